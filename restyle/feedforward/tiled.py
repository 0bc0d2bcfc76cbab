"""Applying a style model to an image too big for memory: tiles, with every instance norm's whole-image statistics.

Each norm layer normalizes by statistics of the *whole* image, so independent tiles would each get their own
contrast and colour cast and show seams. So first every norm layer's whole-image statistics are computed, layer
by layer (tile by tile, each tile's core only, with a halo covering the network's receptive field), then every
tile runs with those statistics fixed: the stitched cores equal the untiled result up to rounding, with no
blending needed. It costs about seven forward passes instead of one, and is only used where the whole image
would not fit.
"""

from __future__ import annotations

import math

import torch

from .network import MULTIPLE, NormStats, StyleNetwork


def halo(net: StyleNetwork) -> int:
    """Pixels of context around each tile's core: half the receptive field, rounded up to the multiple of 4."""
    return math.ceil(net.receptive_field / 2 / MULTIPLE) * MULTIPLE


def _spans(n: int, tile: int) -> list[tuple[int, int]]:
    """[start, end) cores, multiples of 4, of nearly equal length at most ``tile``, covering 0..n."""
    parts = math.ceil(n / tile)
    cuts = [round(n * i / parts / MULTIPLE) * MULTIPLE for i in range(parts + 1)]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


class _Stop(Exception):
    """Ends a forward pass once the norm layer being measured has seen its input."""


class _Moments:
    """A norm layer's ``observe`` hook: per-channel sums of its input's values and squares over the tiles'
    cores (``core``: the current tile's core, as slices of that input), then ``_Stop``."""

    def __init__(self, channels: int, device: torch.device):
        self.sums = torch.zeros(2, channels, dtype=torch.float64, device=device)
        self.count = 0
        self.core: tuple[slice, slice] = (slice(None), slice(None))

    def __call__(self, t: torch.Tensor) -> None:
        core = t[0, :, self.core[0], self.core[1]].double()
        self.sums[0] += core.sum((1, 2))
        self.sums[1] += core.pow(2).sum((1, 2))
        self.count += core.shape[1] * core.shape[2]
        raise _Stop

    def mean_var(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The whole image's mean and (biased) variance per channel, shaped (1, C, 1, 1)."""
        mean = self.sums[0] / self.count
        var = (self.sums[1] / self.count - mean.pow(2)).clamp_min(0)
        return mean.float().view(1, -1, 1, 1), var.float().view(1, -1, 1, 1)


def tiled_forward(net: StyleNetwork, x: torch.Tensor, tile: int) -> torch.Tensor:
    """The network's output on ``x`` (1, 3, H, W) computed over tiles with exact whole-image norm statistics."""
    _, _, h, w = x.shape
    boxes = [(y0, y1, x0, x1) for y0, y1 in _spans(h, tile) for x0, x1 in _spans(w, tile)]
    pad = halo(net)

    def window(y0, y1, x0, x1):
        return max(0, y0 - pad), min(h, y1 + pad), max(0, x0 - pad), min(w, x1 + pad)

    stats = NormStats()
    for norm in net.norms():
        moments = stats.observe[norm] = _Moments(norm.num_features, x.device)
        for y0, y1, x0, x1 in boxes:
            wy0, wy1, wx0, wx1 = window(y0, y1, x0, x1)
            st = norm.stride  # the core's place in this layer's input, which is 1, 2 or 4 times smaller
            moments.core = (slice((y0 - wy0) // st, (y1 - wy0) // st), slice((x0 - wx0) // st, (x1 - wx0) // st))
            try:
                net(x[..., wy0:wy1, wx0:wx1], stats)
            except _Stop:
                pass
        del stats.observe[norm]
        stats.fixed[norm] = moments.mean_var()
    out = torch.empty(1, 3, h, w, device=x.device)
    for y0, y1, x0, x1 in boxes:
        wy0, wy1, wx0, wx1 = window(y0, y1, x0, x1)
        out[..., y0:y1, x0:x1] = net(x[..., wy0:wy1, wx0:wx1], stats)[..., y0 - wy0:y1 - wy0, x0 - wx0:x1 - wx0]
    return out
