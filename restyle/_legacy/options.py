"""Deprecated: ``restyle.options`` is now ``restyle.optimize.options``; this alias goes in the next minor version."""

import importlib
import sys
import warnings

warnings.warn("restyle.options is now restyle.optimize.options", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = importlib.import_module("restyle.optimize.options")
