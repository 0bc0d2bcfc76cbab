"""Noise added to a photo before a style network paints it (``noise``), so that flat areas get the painting's
texture instead of one flat colour."""

from __future__ import annotations

from typing import Optional

import torch


def with_noise(photo: torch.Tensor, sigma: float, generator: Optional[torch.Generator] = None,
               device: Optional[torch.device] = None) -> torch.Tensor:
    """``photo`` (3, H, W) or (N, 3, H, W) in [0, 1] with Gaussian noise of standard deviation ``sigma`` added (one
    value a pixel, shared by the three channels), clamped to [0, 1]. Without ``generator``: one fixed pattern for
    every image of that size, drawn on ``device`` (default: the photo's; a model's own, so that every path through
    it adds the same), so a video's frames all get the same and do not flicker, and a photo painted alone or in a
    batch gets the same; with one (on the CPU): fresh noise for each of the N images."""
    if not sigma:
        return photo
    h, w = photo.shape[-2:]
    if generator is None:
        device = photo.device if device is None else device
        noise = torch.randn((1, h, w), generator=torch.Generator(device).manual_seed(0), device=device)
        noise = noise.to(photo.device, non_blocking=True)
    else:
        noise = torch.randn((*photo.shape[:-3], 1, h, w), generator=generator).to(photo.device, non_blocking=True)
    return (photo + sigma * noise.to(photo.dtype)).clamp_(0, 1)
