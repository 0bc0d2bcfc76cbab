"""Regions of a photo: a mask image whose colours name the regions, each pixel given to the nearest named colour,
and the regions' soft weights (feathered edges) at any size.

A mask may be anti-aliased or saved as JPEG: a pixel belongs to the nearest named colour when it lies near that
colour or near a mix of two named colours (an edge); pixels far from all of them (a colour no region names) are
refused in one line, since painting them after a guess would surprise the user.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from ..errors import RestyleError
from .checks import DEFAULT_MAX_PIXELS
from .images import ImageLike, load_image, resize, source_name

#: Distance (0..255 per channel, Euclidean) within which a mask pixel is a named colour (JPEG's error included).
NEAR_COLOR = 64.0
#: Distance within which a mask pixel is a mix of two named colours (an anti-aliased edge).
NEAR_EDGE = 32.0
#: Share of a mask's pixels that may be far from every named colour (stray JPEG noise) before it is refused.
STRAY = 0.001
#: The word that keeps the photo in a region (no style there).
KEEP = "none"


def parse_color(text: str) -> tuple[int, int, int]:
    """A region's colour: hex ``ff0000`` (``#`` optional) or a grey level ``0``..``255``."""
    t = str(text).strip().lower().lstrip("#")
    if re.fullmatch(r"\d{1,3}", t) and int(t) <= 255:
        return (int(t),) * 3
    if re.fullmatch(r"[0-9a-f]{6}", t):
        return int(t[0:2], 16), int(t[2:4], 16), int(t[4:6], 16)
    raise RestyleError(f"region colour {text!r}: use hex like ff0000 or a grey level 0..255")


def named_regions(regions: Mapping[Any, Any], what: str) -> list[tuple[tuple[int, int, int], Any]]:
    """(colour, what paints it, or None to keep the photo) for each of ``regions`` ({colour: ``what``}), in order,
    each colour parsed and named once; a RestyleError where none is given or every region keeps the photo."""
    if not regions:
        raise RestyleError(f"a mask needs regions: {{colour: {what}, ...}}")
    out: list[tuple[tuple[int, int, int], Any]] = []
    for color, value in regions.items():
        rgb = parse_color(color)
        if rgb in [c for c, _ in out]:
            raise RestyleError(f"region colour {color_name(rgb)} is named twice")
        keep = value is None or (isinstance(value, str) and value.strip().lower() == KEEP)
        out.append((rgb, None if keep else value))
    if all(v is None for _, v in out):
        raise RestyleError(f"every region keeps the photo ({KEEP}): give at least one a {what}")
    return out


def color_name(rgb: Sequence[int]) -> str:
    """``rgb`` as hex, the way a region names it."""
    return "".join(f"{int(c):02x}" for c in rgb)


@dataclass
class Regions:
    """A photo's regions: ``labels`` (H, W) int64, the index of each pixel's region in ``colors``."""

    labels: torch.Tensor
    colors: list[tuple[int, int, int]]

    def weights(self, size: tuple[int, int], feather: float = 0.0) -> torch.Tensor:
        """(R, 1, h, w) float weights of the regions at ``size``, summing to 1 at each pixel: the share of each
        pixel that is in each region (area-averaged), edges blurred over about ``feather`` pixels of ``size``."""
        onehot = F.one_hot(self.labels, len(self.colors)).permute(2, 0, 1)[:, None].float()
        out = _area(onehot, size)
        if feather > 0:
            out = blur(out, feather / 2)
        return out / out.sum(0, keepdim=True).clamp_min(1e-8)


def _area(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(N, C, H, W) resized to ``size``: averaged over each output pixel's area (no overshoot, unlike bicubic)."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    if size[0] <= x.shape[-2] and size[1] <= x.shape[-1]:
        return F.interpolate(x, size=size, mode="area")
    return resize(x, size).clamp(0, 1)


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """(N, C, H, W) blurred by a Gaussian of ``sigma`` pixels (edges repeated)."""
    radius = max(1, math.ceil(3 * sigma))
    taps = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-0.5 * (taps / sigma) ** 2)
    kernel = (kernel / kernel.sum()).to(x)
    n, c, h, w = x.shape
    y = x.reshape(n * c, 1, h, w)
    y = F.conv2d(F.pad(y, (radius, radius, 0, 0), mode="replicate"), kernel.view(1, 1, 1, -1))
    y = F.conv2d(F.pad(y, (0, 0, radius, radius), mode="replicate"), kernel.view(1, 1, -1, 1))
    return y.reshape(n, c, h, w)


def read_regions(mask: ImageLike, colors: Sequence[tuple[int, int, int]], size: tuple[int, int], *,
                 max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[Regions, list[str]]:
    """The regions ``mask`` draws with ``colors``, at ``size`` (h, w), and notes for the user (a mask of another
    aspect ratio, a region with no pixel). A mask with colours far from every named one is a RestyleError."""
    name = source_name(mask, "mask")
    pixels = load_image(mask, max_pixels, name=name)
    notes = []
    h, w = pixels.shape[1:]
    if abs(w / h - size[1] / size[0]) > 0.01 * size[1] / size[0]:
        notes.append(f"{name}: {w}x{h} has another aspect ratio than the photo ({size[1]}x{size[0]}); stretched")
    rgb = np.asarray(Image.fromarray((pixels.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))
                     .resize((size[1], size[0]), Image.NEAREST)).reshape(-1, 3)
    labels = _nearest(rgb, np.asarray(colors, np.float32), name)
    counts = np.bincount(labels, minlength=len(colors))
    notes += [f"region {color_name(c)} covers no pixel of {name}" for c, n in zip(colors, counts) if n == 0]
    return Regions(torch.from_numpy(labels.reshape(size)), list(colors)), notes


def _nearest(rgb: np.ndarray, colors: np.ndarray, name: str) -> np.ndarray:
    """Each pixel's nearest named colour; a RestyleError listing the colours too far from all of them."""
    packed = rgb.astype(np.int64) @ np.array([65536, 256, 1])
    unique, inverse, counts = np.unique(packed, return_inverse=True, return_counts=True)
    u = np.stack([unique >> 16, (unique >> 8) & 255, unique & 255], 1).astype(np.float32)
    dist = np.linalg.norm(u[:, None] - colors[None], axis=2)
    nearest = dist.argmin(1)
    far = (dist.min(1) > NEAR_COLOR) & (_edge_distance(u, colors) > NEAR_EDGE)
    if counts[far].sum() > STRAY * len(rgb):
        order = np.argsort(-counts[far])[:4]
        listed = ", ".join(f"{color_name(c)} ({100 * n / len(rgb):.2g}%)"
                           for c, n in zip(u[far][order].astype(int), counts[far][order]))
        raise RestyleError(f"{name}: colours no region names: {listed}; name each as a region, with a style or "
                           f"{KEEP}")
    return nearest[inverse.reshape(-1)]


def _edge_distance(u: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """Each colour's distance to the nearest mix of two named colours (the segment between them)."""
    best = np.full(len(u), np.inf, np.float32)
    for i in range(len(colors)):
        for j in range(i + 1, len(colors)):
            a, d = colors[i], colors[j] - colors[i]
            t = np.clip((u - a) @ d / max(float(d @ d), 1e-8), 0, 1)
            best = np.minimum(best, np.linalg.norm(u - (a + t[:, None] * d), axis=1))
    return best


def composite(layers: Sequence[torch.Tensor], weights: torch.Tensor) -> torch.Tensor:
    """Σ weights[r] · layers[r]: (3, H, W) images mixed by (R, 1, H, W) weights that sum to 1."""
    out = torch.zeros_like(layers[0])
    for image, w in zip(layers, weights):
        out += w.to(image) * image
    return out
