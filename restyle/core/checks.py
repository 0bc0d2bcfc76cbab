"""Checks of user-given settings, each failing with one readable line; torch-free, so --help stays fast."""

from __future__ import annotations

import math
from typing import Any, Optional

from ..errors import RestyleError

#: Pillow's own decompression-bomb threshold, the default limit on input pixels (``max_pixels``).
DEFAULT_MAX_PIXELS = 89_478_485
#: The long side at which quality scores are judged by default (``restyle score``, ``Scorer``).
SCORE_SIZE = 512


def positive_int(name: str, value: Any) -> None:
    """``value`` must be a whole number above 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise RestyleError(f"{name} must be a positive whole number, got {value!r}")


def non_negative(name: str, value: Any) -> None:
    """``value`` must be a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise RestyleError(f"{name} must be a finite number >= 0, got {value!r}")


def positive(name: str, value: Any) -> None:
    """``value`` must be a finite number above 0."""
    non_negative(name, value)
    if value == 0:
        raise RestyleError(f"{name} must be positive, got 0")


def one_of(name: str, value: Any, allowed: tuple) -> None:
    """``value`` must be one of ``allowed``."""
    if value not in allowed:
        raise RestyleError(f"unknown {name} {value!r}; use {', '.join(str(a) for a in allowed if a is not None)}")


def fraction(name: str, value: Any) -> None:
    """``value`` must be a number from 0 to 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise RestyleError(f"{name} must be between 0 and 1, got {value}")


def at_most(name: str, value: Any, bound: float) -> None:
    """``value`` (already checked to be a number) must not be above ``bound``."""
    if value > bound:
        raise RestyleError(f"{name} must be at most {bound:g}, got {value!r}")


#: Upper bounds of settings, for clear messages instead of hours of planning or a process killed for memory:
#: image sides in pixels, the style image's scale, loss weights and learning rates.
MAX_SIZE = 32768
MAX_STYLE_SCALE = 8.0
MAX_WEIGHT = 1e6
MAX_LEARNING_RATE = {"optimizer": 1e3, "training": 1.0}
#: The largest noise a style network's input takes (standard deviation, pixel values 0 to 1).
MAX_NOISE = 0.5


def side(name: str, value: Any, bound: int = MAX_SIZE) -> None:
    """``value`` must be an image side in pixels: a whole number above 0, at most ``bound``."""
    positive_int(name, value)
    at_most(name, value, bound)


def even_pixels(name: str, value: Any, below: Optional[tuple[str, int]] = None) -> None:
    """``value`` must be an even whole number of pixels, 0 or more (and below ``below``: another setting's name and
    value)."""
    limit = f" and below {below[0]} ({below[1]})" if below else ""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value % 2 or (below and value >= below[1]):
        raise RestyleError(f"{name} must be an even number of pixels, 0 or more{limit}, got {value!r}")


def noise_sigma(name: str, value: Any) -> None:
    """``value`` must be a standard deviation of noise on pixel values 0 to 1: 0 to ``MAX_NOISE``."""
    non_negative(name, value)
    at_most(name, value, MAX_NOISE)
