"""Deprecated: ``restyle.schedule`` is now ``restyle.optimize.schedule``; this alias goes in the next minor version."""

import importlib
import sys
import warnings

warnings.warn("restyle.schedule is now restyle.optimize.schedule", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = importlib.import_module("restyle.optimize.schedule")
