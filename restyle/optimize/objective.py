"""What the optimizer lowers at one scale: the perceptual loss of the whole image, plus its anchor at 512 px, plus a
video frame's tie to the last frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..core.images import resize
from ..core.losses import PerceptualLoss, TemporalLoss


class Objective:
    """The weighted loss terms (content, style, total variation) of a whole image at one scale.

    ``loss`` carries the targets; ``evaluate`` runs the network on the image and backpropagates.
    """

    def __init__(self, loss: PerceptualLoss, content_size: tuple[int, int]):
        self.loss, self.content_size = loss, content_size

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.loss.terms(x)

    def evaluate(self, x: torch.Tensor) -> torch.Tensor:
        """Weighted (content, style, tv) at ``x``; their summed gradient is written to ``x.grad``."""
        terms = self(x)
        terms.sum().backward()
        return terms.detach()


class Anchored:
    """A fine scale's objective plus the same loss on the image shrunk to ``schedule.ANCHOR_SIZE``.

    A departure from plain coarse-to-fine (Gatys et al. 2017): each finer scale matches the style only up to
    VGG19's receptive field (156 px) at its own resolution, and its content term pulls the rest back towards
    the photo, so what the coarse scales built fades (measured in docs/how-it-works.md). Keeping the 512 px
    loss in the objective keeps the look of a 512 px result and lets the fine scale add detail to it, for one
    small forward and backward pass.
    """

    def __init__(self, objective, anchor: Objective):
        self.objective, self.anchor = objective, anchor
        self.size = anchor.content_size

    def evaluate(self, x: torch.Tensor) -> torch.Tensor:
        terms = self.objective.evaluate(x)  # fills x.grad
        small = resize(x, self.size)
        anchor_terms = self.anchor(small)
        anchor_terms.sum().backward()  # adds to x.grad, through the (antialiased) resize
        return terms + anchor_terms.detach()


@dataclass(frozen=True)
class Temporal:
    """A video frame's tie to the last one (Ruder, Dosovitskiy & Brox 2016), for ``stylize``'s ``temporal``."""

    image: np.ndarray
    """The last frame's painting carried along the flow to this frame: (H, W, 3) uint8."""
    mask: np.ndarray
    """(H, W) in [0, 1]: where that carried painting holds (1: the flow is reliable)."""
    weight: float
    """Weight of the temporal term: the mean squared difference (pixels in [0, 1]) to ``image`` over ``mask``."""


class Held:
    """A scale's objective plus the temporal term (``TemporalLoss``) towards the last frame, weighted by
    ``weight``; its terms are the objective's and then the temporal one."""

    def __init__(self, objective, loss: TemporalLoss, weight: float):
        self.objective, self.loss, self.weight = objective, loss, weight

    def evaluate(self, x: torch.Tensor) -> torch.Tensor:
        terms = self.objective.evaluate(x)  # fills x.grad
        temporal = self.weight * self.loss(x)
        temporal.backward()  # adds to x.grad
        return torch.cat([terms, temporal.detach()[None]])
