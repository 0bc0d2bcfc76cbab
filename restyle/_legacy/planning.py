"""Deprecated: ``restyle.planning`` is now ``restyle.optimize.planning``; this alias goes in the next minor version."""

import importlib
import sys
import warnings

warnings.warn("restyle.planning is now restyle.optimize.planning", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = importlib.import_module("restyle.optimize.planning")
