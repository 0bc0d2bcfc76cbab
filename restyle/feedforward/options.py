"""Every knob of a training run: its default, its help text and its validation (torch-free, for --help)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..core.checks import (
    DEFAULT_MAX_PIXELS,
    MAX_LEARNING_RATE,
    MAX_NOISE,
    MAX_SIZE,
    MAX_WEIGHT,
    at_most,
    even_pixels,
    fraction,
    noise_sigma,
    non_negative,
    positive,
    positive_int,
)
from ..core.layers import layer_weights
from ..core.settings import HostSettings, LossSettings, setting
from ..errors import RestyleError


@dataclass(frozen=True)
class TrainOptions(LossSettings, HostSettings):
    """Settings of one training run (defaults: those of the newest presets; each model's metadata records its own).

    The trials behind each default are in docs/training-trials.md."""

    steps: int = setting(2000, "optimizer steps", metavar="N")
    batch_size: int = setting(8, "crops per step (more: steadier steps, more memory)", metavar="N")
    crop_size: int = setting(384, "side of the square crops (a multiple of 4); smaller crops learn strokes rather "
                                  "than the painting's larger structures", metavar="PX")
    margin: int = setting(0, "pixels of photo around each crop that the network paints but the loss does not judge "
                               "(even, below the crop size): the network cannot tell where the judged crop ends, so it "
                               "learns no border of its own, and its model paints each photo with that margin of "
                               "reflection (0: none)", metavar="PX")
    margin_shift: int = setting(0, "pixels by which the judged crop moves off the middle of its margin, each way, "
                                   "drawn per crop and step (at most the margin): the network then cannot learn "
                                   "where the judged crop ends from how far it is from its own edges (0: the "
                                   "middle)", metavar="PX")
    coarse: float = setting(0.0, "0 to 1: train the network to paint in two passes, as applying with coarse does "
                                 "(the model records it and paints so by default; crop_size plus twice the margin "
                                 "must then be a multiple of 8) (0: one pass)", metavar="C")
    noise: float = setting(0.0, f"standard deviation of Gaussian noise added to each crop before the network paints "
                                f"it (pixel values 0 to 1, at most {MAX_NOISE:g}; fresh noise each step, the loss "
                                "judging against the crop without it), so that it trains on the input it will be "
                                "applied to: the model records it and adds a fixed noise of that size to every "
                                "photo it paints, as applying with noise does (0: none)", metavar="SIGMA")
    width: int = setting(32, "channels of the network's first layer (then twice and four times that); wider: "
                             "closer to the painting, slower to apply", metavar="N")
    blocks: int = setting(5, "residual blocks of the network; more: closer to the painting, slower to apply",
                          metavar="N")
    dilation: int = setting(1, "largest dilation of the residual blocks' convolutions: they dilate by 1, 2, 4, ... "
                                "up to it and back (4 with 5 blocks: 1, 2, 4, 2, 1), so the network sees more of "
                                "the photo at the same cost; 1: none", metavar="N")
    learning_rate: float = setting(1e-3, f"Adam step size (at most {MAX_LEARNING_RATE['training']:g})", metavar="LR")
    style_size: int = setting(512, "long side of the style image when its statistics are taken (smaller: finer "
                                   "strokes)", metavar="PX")
    style_scales: tuple[float, ...] = setting((1.0,), "scales of the style loss, comma-separated, each in (0, 1]: "
                                                    "at each scale s the result shrunk by s is compared with the "
                                                    "style image shrunk by s, and the style term is their mean "
                                                    "(1,0.5: the strokes and the painting's larger structures)",
                                              metavar="S,...")
    distill_weight: float = setting(0.0, "weight of distillation: the result's distance to each photo's target "
                                         "image (the optimizer's painting of it, from the targets folder), in "
                                         "pixels and in VGG's content layers (0: off)", metavar="W")
    seed: Optional[int] = setting(None, "random seed (default: random, recorded in the model)", type=int,
                                  metavar="N")
    device: str = setting("auto", "auto, cpu, cuda or mps", metavar="DEVICE")
    precision: str = setting("auto", "network precision; auto uses bf16 where the hardware has it (losses stay "
                                     "fp32)", choices=("auto", "fp32", "bf16"))
    average_last: float = setting(0.25, "save the mean of the weights over the last fraction of the steps "
                                        "(stochastic weight averaging), less noisy than the last step's; 0: the "
                                        "last step's", metavar="F")
    checkpoint_every: int = setting(500, "steps between checkpoints", metavar="N")
    preview_every: int = setting(250, "steps between previews (0: only at the end)", metavar="N")
    max_pixels: int = setting(DEFAULT_MAX_PIXELS, "refuse photos with more pixels than this", metavar="N")

    def validate(self) -> None:
        """Raise a one-line RestyleError for the first bad setting."""
        from .network import MULTIPLE
        for name in ("steps", "batch_size", "crop_size", "style_size", "checkpoint_every", "width", "blocks",
                     "dilation"):
            positive_int(name, getattr(self, name))
        at_most("width", self.width, 256)
        at_most("blocks", self.blocks, 64)
        at_most("dilation", self.dilation, 64)
        if self.crop_size % MULTIPLE or self.crop_size < 16:
            raise RestyleError(f"crop_size must be a multiple of {MULTIPLE} and at least 16, got {self.crop_size}")
        if not 0 <= self.average_last < 1:
            raise RestyleError(f"average_last must be a fraction of the steps, >= 0 and below 1, got "
                               f"{self.average_last}")
        for name in ("crop_size", "style_size"):
            at_most(name, getattr(self, name), MAX_SIZE)
        even_pixels("margin", self.margin, ("crop_size", self.crop_size))
        if not 0 <= self.margin_shift <= self.margin:
            raise RestyleError(f"margin_shift must be 0 to the margin ({self.margin}) pixels, got {self.margin_shift}")
        fraction("coarse", self.coarse)
        noise_sigma("noise", self.noise)
        if self.coarse and (self.crop_size + 2 * self.margin) % (2 * MULTIPLE):
            raise RestyleError(f"with coarse, crop_size plus twice the margin must be a multiple of {2 * MULTIPLE} "
                               f"(the half-size pass takes multiples of {MULTIPLE}), got "
                               f"{self.crop_size + 2 * self.margin}")
        positive("learning_rate", self.learning_rate)
        at_most("learning_rate", self.learning_rate, MAX_LEARNING_RATE["training"])
        for name in ("content_weight", "style_weight", "tv_weight", "distill_weight", "preview_every"):
            non_negative(name, getattr(self, name))
        for name in ("content_weight", "style_weight", "tv_weight", "distill_weight"):
            at_most(name, getattr(self, name), MAX_WEIGHT)
        self._check_scales()
        layer_weights("content", self.content_layers)
        layer_weights("style", self.style_layers)

    def _check_scales(self) -> None:
        scales = self.style_scales
        if not scales or len(set(scales)) != len(scales) or not all(0 < s <= 1 for s in scales):
            raise RestyleError(f"style_scales must be distinct numbers above 0 and at most 1, got "
                               f"{','.join(f'{s:g}' for s in scales) or 'none'}")
        if min(scales) * min(self.crop_size, self.style_size) < 16:
            raise RestyleError(f"style_scales must leave the crops and the style image at least 16 px, but "
                               f"{min(scales):g} shrinks them below; use a larger scale, crop_size or style_size")

    # Settings that a resumed run must share with the checkpoint (the others may change).
    _RESUME_KEYS = ("width", "blocks", "dilation", "batch_size", "crop_size", "margin", "learning_rate",
                    "content_weight", "style_weight", "tv_weight", "content_layers", "style_layers", "style_size",
                    "style_scales", "distill_weight", "coarse", "noise")
