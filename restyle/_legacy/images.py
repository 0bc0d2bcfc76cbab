"""Deprecated: ``restyle.images`` is now ``restyle.core.images``; this alias goes in the next minor version."""

import importlib
import sys
import warnings

warnings.warn("restyle.images is now restyle.core.images", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = importlib.import_module("restyle.core.images")
