"""Deprecated: ``restyle.tiling`` is now ``restyle.optimize.tiling``; this alias goes in the next minor version."""

import importlib
import sys
import warnings

warnings.warn("restyle.tiling is now restyle.optimize.tiling", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = importlib.import_module("restyle.optimize.tiling")
