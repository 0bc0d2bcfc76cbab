"""Two passes of a style network (``coarse``): the photo mixed with its painting at half the size, painted again."""

from __future__ import annotations

from typing import Callable

import torch

from ..core.images import resize


def with_coarse(photo: torch.Tensor, coarse: float, paint: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """``photo`` (N, 3, H, W) or (3, H, W) with ``coarse`` of it replaced by ``paint``'s painting of it at half the
    size, brought back to full size (float32, on that painting's device): what the second pass paints. The network's
    strokes have a fixed size in pixels, so the second pass paints over structures twice as large."""
    h, w = photo.shape[-2:]
    half = paint(resize(photo, (max(1, round(h / 2)), max(1, round(w / 2))))).float().clamp(0, 1)
    up = resize(half, (h, w)).clamp(0, 1)
    return torch.lerp(photo.to(up.device, torch.float32), up, coarse)
