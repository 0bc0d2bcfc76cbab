"""restyle: neural style transfer with a command line and a typed Python API.

    >>> import restyle
    >>> image = restyle.stylize("photo.jpg", ["painting.jpg"], size=512)   # the optimizer (Gatys et al.)
    >>> image.save("painted.png")
    >>> restyle.load_model(preset="starry_night")("photo.jpg").save("fast.png")   # a trained model

The names below are imported on first use, so ``import restyle`` (and ``restyle --help``) does not load torch.
Older import paths (``restyle.transfer``, ``restyle.stylemodel``, ...) still work until the next minor version.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING

from ._version import __version__ as __version__

# Modules that moved to subpackages are found by their old names in _legacy/ (each aliases its new module).
__path__.append(os.path.join(os.path.dirname(__file__), "_legacy"))

_PUBLIC = {
    "stylize": "optimize.transfer", "iter_stylize": "optimize.transfer", "Progress": "optimize.transfer",
    "Options": "optimize.options",
    "load_model": "feedforward.runtime", "StyleModel": "feedforward.runtime", "export_onnx": "feedforward.onnx",
    "train": "feedforward.training", "TrainOptions": "feedforward.options", "TrainProgress": "feedforward.training",
    "score": "scoring", "Score": "scoring", "Scorer": "scoring", "run_batch": "batch.run",
    "RestyleError": "errors", "NumericalError": "errors", "Interrupted": "errors",
}
__all__ = ["Interrupted", "NumericalError", "Options", "Progress", "RestyleError", "Score", "Scorer", "StyleModel",
           "TrainOptions", "TrainProgress", "export_onnx", "iter_stylize", "load_model", "run_batch", "score",
           "stylize", "train"]

if TYPE_CHECKING:
    from .batch.run import run_batch
    from .errors import Interrupted, NumericalError, RestyleError
    from .feedforward.onnx import export_onnx
    from .feedforward.options import TrainOptions
    from .feedforward.runtime import StyleModel, load_model
    from .feedforward.training import TrainProgress, train
    from .optimize.options import Options
    from .optimize.transfer import Progress, iter_stylize, stylize
    from .scoring import Score, Scorer, score


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'restyle' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
