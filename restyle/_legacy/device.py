"""Deprecated: ``restyle.device`` is now ``restyle.core.device``; this alias goes in the next minor version."""

import importlib
import sys
import warnings

warnings.warn("restyle.device is now restyle.core.device", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = importlib.import_module("restyle.core.device")
