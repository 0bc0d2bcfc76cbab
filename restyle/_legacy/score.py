"""Deprecated: the module ``restyle.score`` is now ``restyle.scoring`` (``restyle.score`` is the function); this alias
goes in the next minor version."""

import importlib
import sys
import warnings

warnings.warn("the module restyle.score is now restyle.scoring", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = importlib.import_module("restyle.scoring")
