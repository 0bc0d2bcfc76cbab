"""restyle: neural style transfer (Gatys et al.) with a command line and a Python API.

    >>> import restyle
    >>> image = restyle.stylize("photo.jpg", ["painting.jpg"], size=512)
    >>> image.save("painted.png")
"""

import os

# Large tensors on the CPU in transparent huge pages: PyTorch's CPU allocator returns memory to the OS on
# every free, so each iteration page-faults its activations in again; with 2 MB pages that costs 512x fewer
# faults (on a 2-core CPU, a 2048x1536 iteration went from 11.5 s to 7.4 s). Read once, at torch's first
# allocation, so it must be set before torch is imported; a user's own setting wins.
os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

__version__ = "0.1.0"

from .errors import Interrupted, NumericalError, RestyleError
from .options import Options
from .score import Score, Scorer, score
from .stylemodel import StyleModel, export_onnx, load_model
from .training import TrainOptions, TrainProgress, train
from .transfer import Progress, stylize

__all__ = ["stylize", "score", "train", "load_model", "export_onnx", "StyleModel", "TrainOptions", "TrainProgress", "Score", "Scorer", "Options", "Progress", "RestyleError", "NumericalError", "Interrupted"]
