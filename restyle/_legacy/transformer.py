"""Deprecated: ``restyle.transformer`` is now ``restyle.feedforward.network``; this alias goes in the next minor
version."""

import importlib
import sys
import warnings

warnings.warn("restyle.transformer is now restyle.feedforward.network", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = importlib.import_module("restyle.feedforward.network")
