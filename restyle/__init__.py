"""restyle: neural style transfer (Gatys et al.) with a command line and a Python API.

    >>> import restyle
    >>> image = restyle.stylize("photo.jpg", ["painting.jpg"], size=512)
    >>> image.save("painted.png")
"""

from .errors import Interrupted, NumericalError, RestyleError
from .options import Options
from .score import Score, Scorer, score
from .transfer import Progress, stylize

__all__ = ["stylize", "score", "Score", "Scorer", "Options", "Progress", "RestyleError", "NumericalError", "Interrupted"]
__version__ = "0.1.0"
