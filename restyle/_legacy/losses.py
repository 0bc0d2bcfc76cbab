"""Deprecated: ``restyle.losses`` is now ``restyle.core.losses``; this alias goes in the next minor version."""

import importlib
import sys
import warnings

warnings.warn("restyle.losses is now restyle.core.losses", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = importlib.import_module("restyle.core.losses")
