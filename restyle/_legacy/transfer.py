"""Deprecated: ``restyle.transfer`` is now ``restyle.optimize.transfer``; this alias goes in the next minor version."""

import importlib
import sys
import warnings

warnings.warn("restyle.transfer is now restyle.optimize.transfer", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = importlib.import_module("restyle.optimize.transfer")
