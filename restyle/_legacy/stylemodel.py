"""Deprecated: ``restyle.stylemodel`` is now ``restyle.feedforward`` (runtime, modelfile, onnx, tiled); this alias
goes in the next minor version."""

import warnings

from restyle.feedforward.modelfile import (
           FORMAT,
           PRESETS,
           file_sha256,
           model_or_preset,
           preset_path,
           presets,
           read_model,
           save_model,
)
from restyle.feedforward.onnx import export_onnx
from restyle.feedforward.runtime import BYTES_PER_PIXEL, StyleModel, load_model

warnings.warn("restyle.stylemodel is now restyle.feedforward", DeprecationWarning, stacklevel=2)

__all__ = ["FORMAT", "PRESETS", "file_sha256", "model_or_preset", "presets", "read_model", "save_model",
           "preset_path", "export_onnx", "BYTES_PER_PIXEL", "StyleModel", "load_model"]
