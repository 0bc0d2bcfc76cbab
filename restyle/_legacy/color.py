"""Deprecated: ``restyle.color`` is now ``restyle.core.color``; this alias goes in the next minor version."""

import importlib
import sys
import warnings

warnings.warn("restyle.color is now restyle.core.color", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = importlib.import_module("restyle.core.color")
