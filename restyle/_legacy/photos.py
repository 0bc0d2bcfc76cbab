"""Deprecated: ``restyle.photos`` is now ``restyle.feedforward.dataset``; this alias goes in the next minor version."""

import importlib
import sys
import warnings

warnings.warn("restyle.photos is now restyle.feedforward.dataset", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = importlib.import_module("restyle.feedforward.dataset")
