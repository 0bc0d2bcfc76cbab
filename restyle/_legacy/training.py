"""Deprecated: ``restyle.training`` is now ``restyle.feedforward.training``; this alias goes in the next minor
version."""

import importlib
import sys
import warnings

warnings.warn("restyle.training is now restyle.feedforward.training", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = importlib.import_module("restyle.feedforward.training")
