"""Deprecated: ``restyle.vgg`` is now ``restyle.core.vgg``; this alias goes in the next minor version."""

import importlib
import sys
import warnings

warnings.warn("restyle.vgg is now restyle.core.vgg", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = importlib.import_module("restyle.core.vgg")
