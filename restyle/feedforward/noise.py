"""Noise added to a photo before a style network paints it (``noise``), so that flat areas get the painting's
texture instead of one flat colour."""

from __future__ import annotations

from typing import Optional

import torch

#: The fixed pattern's values come from a hash of each pixel's position, its coordinates taken modulo this.
PERIOD = 1 << 16
_MASK = (1 << 32) - 1


def with_noise(photo: torch.Tensor, sigma: float, generator: Optional[torch.Generator] = None,
               device: Optional[torch.device] = None, origin: tuple[int, int] = (0, 0)) -> torch.Tensor:
    """``photo`` (3, H, W) or (N, 3, H, W) in [0, 1] with Gaussian noise of standard deviation ``sigma`` added (one
    value a pixel, shared by the three channels), clamped to [0, 1]. Without ``generator``: one fixed pattern, each
    pixel's value set by its position alone (``pattern``), with the photo's top-left pixel at ``origin`` (y, x) of
    it; made on ``device`` (default: the photo's; a model's own). So a photo painted alone, in a batch or in tiles
    gets the same, a video's frames do not flicker, and a canvas that follows the camera carries its noise along.
    With a generator (on the CPU): fresh noise for each of the N images."""
    if not sigma:
        return photo
    h, w = photo.shape[-2:]
    if generator is None:
        noise = pattern(h, w, origin, photo.device if device is None else device).to(photo.device, non_blocking=True)
    else:
        noise = torch.randn((*photo.shape[:-3], 1, h, w), generator=generator).to(photo.device, non_blocking=True)
    return (photo + sigma * noise.to(photo.dtype)).clamp_(0, 1)


def pattern(h: int, w: int, origin: tuple[int, int] = (0, 0), device: Optional[torch.device] = None) -> torch.Tensor:
    """The fixed noise's (1, h, w) float32 window at ``origin`` (y, x): standard normal values, each from a hash of
    its pixel's coordinates (Box-Muller on the hash's two 16-bit halves), so windows that overlap agree there."""
    y = torch.arange(origin[0], origin[0] + h, device=device)[:, None] % PERIOD
    x = torch.arange(origin[1], origin[1] + w, device=device)[None, :] % PERIOD
    key = y * PERIOD + x
    for _ in range(2):  # a 32-bit integer hash, in int64 without overflow
        key = ((key >> 16) ^ key) * 0x45D9F3B & _MASK
    key = (key >> 16) ^ key
    radius = torch.sqrt(-2 * torch.log(((key >> 16) + 1).float() / 2.0 ** 16))
    return (radius * torch.cos((2 * torch.pi / 2.0 ** 16) * (key & 0xFFFF).float()))[None]
