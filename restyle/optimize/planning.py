"""How each scale runs: the memory budget, whole image or tiles, the L-BFGS history, and its relative cost.

A scale runs on the whole image when one evaluation fits the budget, else over tiles (see ``tiling``).
Memory is counted in bytes, with GB = 10⁹ bytes. The cost of an iteration (for progress and the ETA) is in
units of a forward+backward pass over 2¹⁸ pixels.
"""

from __future__ import annotations

import functools
import math
import random
import time
from dataclasses import dataclass
from typing import Optional

import torch

from ..core.layers import receptive_field, stride
from ..core.memory import GB
from ..errors import RestyleError

#: L-BFGS history pairs kept when memory allows (fewer at print sizes, where each pair is 2 image-sized vectors).
MAX_HISTORY = 20
MIN_HISTORY = 5
#: Image-sized float32 buffers besides the L-BFGS history: the image, its gradient, the best image so far,
#: the content and start images, L-BFGS's direction, previous gradient and flat gradient, and the total
#: variation term's temporaries.
IMAGE_BUFFERS = 14
#: Gradients and temporaries during backward, on top of the tensors autograd saves (measured on a 2-core AMD EPYC VM:
#: peak RSS over saved bytes at 1024 px, 1.32).
BACKWARD_FACTOR = 1.4
#: Share of the budget that plans fill: the rest absorbs the allocator's fragmentation (tiles vary in size).
PLAN_SHARE = 0.85
#: Cost of pass 1 of a tiled evaluation (a forward pass without autograd) relative to forward+backward;
#: measured on a 2-core AMD EPYC VM: 0.77 s vs 2.51 s at 1 Mpx, 2.70 s vs 7.71 s at 3.1 Mpx.
FORWARD_SHARE = 0.33
#: Per-pixel time grows a little with the pixels in one pass: on a 2-core AMD EPYC VM with AVX-512 bf16
#: (huge pages on) 2.02 s/Mpx at 0.2 Mpx, 2.40 at 1.05, 2.45 at 3.15: about +5% per doubling.
_SLOWDOWN_PER_DOUBLING = 0.05


def autograd_bytes_per_pixel(forward, device: torch.device) -> float:
    """Bytes per input pixel that a forward+backward of ``forward(image) -> loss`` needs.

    Measured, not modelled: the tensors autograd saves are counted at two small sizes, and the difference
    (which leaves out constants such as weights) is scaled by BACKWARD_FACTOR for backward's temporaries.
    """
    counts = []
    for side in (96, 160):
        seen: dict = {}

        def pack(t, seen=seen):
            seen[(t.data_ptr(), t.dtype, t.shape)] = t.numel() * t.element_size()
            return t

        x = _random_image((side, side), device)
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            forward(x)
        counts.append(sum(seen.values()))
    return BACKWARD_FACTOR * (counts[1] - counts[0]) / (160**2 - 96**2)


def _random_image(size: tuple[int, int], device: torch.device) -> torch.Tensor:
    """A (1, 3, h, w) random image needing gradients, drawn from its own generator (the caller's is left alone)."""
    x = torch.rand(1, 3, *size, generator=torch.Generator().manual_seed(0))
    return x.to(device).requires_grad_(True)


def pass_seconds(forward, sizes: list[tuple[int, int]], device: torch.device) -> list[float]:
    """Seconds of one forward+backward of ``forward(image) -> loss`` at each (h, w) of ``sizes``, after one
    warm-up pass at the first (the device is synchronized around each timed pass)."""
    def once(size: tuple[int, int]) -> float:
        x = _random_image(size, device)
        _synchronize(device)
        start = time.perf_counter()
        forward(x).backward()
        _synchronize(device)
        return time.perf_counter() - start

    once(sizes[0])
    return [once(size) for size in sizes]


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


@dataclass(frozen=True)
class Span:
    """One tile's extent along one axis: its core [start, stop) and its input with halo [lo, hi)."""

    start: int
    stop: int
    lo: int
    hi: int


def halo_and_align(layers) -> tuple[int, int]:
    """(halo, alignment) in pixels for the deepest of ``layers``: tiles start on multiples of the alignment
    (so pooling windows fall as in the whole image), and the halo covers half the receptive field."""
    align = max(stride(k) for k in layers)
    radius = max(receptive_field(k) for k in layers) / 2
    return math.ceil(radius / align) * align, align


def _jitter(core: float, align: int) -> int:
    # Inner boundaries move by up to an eighth of a core either way (0 for small cores).
    return align * int(core / 8 // align)


def _longest(n: int, parts: int, halo: int, align: int) -> tuple[int, int]:
    """(longest core, longest input with halo) when a length ``n`` is cut into ``parts``, jitter included."""
    spans = cut(n, parts, halo, align)
    jitter = 2 * _jitter(n / parts, align) if parts > 1 else 0
    return max(s.stop - s.start for s in spans) + jitter, min(n, max(s.hi - s.lo for s in spans) + jitter)


@functools.lru_cache(maxsize=64)
def choose_grid(h: int, w: int, max_area: float, halo: int, align: int,
                max_core: Optional[int] = None) -> Optional[tuple[tuple[int, int], tuple[int, int]]]:
    """((rows, columns), (tile height, tile width)) of the cheapest grid (by ``_pass_cost``: halos add area,
    but smaller tiles are faster per pixel) whose largest tile fits ``max_area`` pixels and whose cores are
    at most ``max_core`` long; None if no grid fits."""
    def options(n: int) -> list[tuple[int, int, int]]:
        # (parts, longest core, longest tile) for every way to cut n, skipping cores over max_core
        # unless the cut is as fine as the alignment allows.
        out = []
        for parts in range(1, max(1, n // align) + 1):
            core, tile = _longest(n, parts, halo, align)
            if max_core is None or core <= max_core or parts == max(1, n // align):
                out.append((parts, core, tile))
        return out

    best = None
    col_options = options(w)
    for rows, _, tile_h in options(h):
        for cols, _, tile_w in col_options:
            if tile_h * tile_w > max_area:
                continue
            area = (h + 2 * halo * (rows - 1)) * (w + 2 * halo * (cols - 1))
            key = (rows * cols * _pass_cost(area / (rows * cols)), rows * cols)
            if best is None or key < best[0]:
                best = (key, (rows, cols), (tile_h, tile_w))
            break  # more columns for these rows: more halo, hardly faster per pixel
    return None if best is None else (best[1], best[2])


def cut(n: int, parts: int, halo: int, align: int, rng: Optional[random.Random] = None) -> list[Span]:
    """Cut a length ``n`` into ``parts`` aligned cores, inner boundaries jittered by ``rng`` (none if None)."""
    jitter = _jitter(n / parts, align) if rng is not None else 0
    bounds = [0]
    for k in range(1, parts):
        b = round(k * n / parts / align) * align
        if jitter:
            b += align * rng.randint(-jitter // align, jitter // align)
        bounds.append(b)
    bounds.append(n)
    return [Span(a, b, max(0, a - halo), min(n, b + halo)) for a, b in zip(bounds, bounds[1:])]


def _pass_cost(pixels: float) -> float:
    units = pixels / 2**18
    return units * (1 + _SLOWDOWN_PER_DOUBLING * math.log2(max(units, 1.0)))


@dataclass(frozen=True)
class ScalePlan:
    """How one scale runs: on the whole image or over a grid of tiles, and with how much L-BFGS history."""

    size: tuple[int, int]
    """(height, width) of the image."""
    history: int
    grid: Optional[tuple[int, int]] = None
    """(rows, columns) of tiles, or None for the whole image at once."""
    tile: tuple[int, int] = (0, 0)
    """Largest tile with its halo, (height, width)."""
    halo: int = 0
    max_area: float = 0
    """Most pixels a tile may have, halo included (what the budget leaves for one tile's evaluation)."""
    estimate: int = 0
    """Estimated peak bytes."""
    anchor: int = 0
    """Pixels of the shrunk copy whose loss is added at fine scales (0: none; see ``objective.Anchored``)."""

    @property
    def tiles(self) -> int:
        return 1 if self.grid is None else self.grid[0] * self.grid[1]

    def _passes(self) -> float:
        # One forward+backward over the image (its tiles with their halos), in cost units.
        h, w = self.size
        if self.grid is None:
            return _pass_cost(h * w)
        rows, cols = self.grid
        area = (h + 2 * self.halo * (rows - 1)) * (w + 2 * self.halo * (cols - 1))
        return self.tiles * _pass_cost(area / self.tiles)

    @property
    def cost(self) -> float:
        """Relative time of one iteration, comparable across scales and plans (for progress and the ETA)."""
        anchor = _pass_cost(self.anchor) if self.anchor else 0.0
        return self._passes() * (1 if self.grid is None else 1 + FORWARD_SHARE) + anchor

    def setup_cost(self, styles: int) -> float:
        """Relative time of computing the targets: a forward pass over the content and each style image."""
        anchor = _pass_cost(self.anchor) if self.anchor else 0.0
        return (self._passes() + anchor) * FORWARD_SHARE * (1 + styles)

    def describe(self) -> str:
        h, w = self.size
        where = "whole image" if self.grid is None else \
            f"{self.tiles} tiles of <= {self.tile[1]}x{self.tile[0]} ({self.halo} px halo)"
        return f"{w}x{h}: {where}, L-BFGS history {self.history}, ~{self.estimate / GB:.1f} GB"


def plan_scale(h: int, w: int, budget: int, autograd_bpp: float, fixed_bpp: float,
               halo: int, align: int, tile_size: Optional[int] = None, history: int = MAX_HISTORY) -> ScalePlan:
    """Plan an h×w scale within ``budget`` bytes.

    ``budget``: bytes the run may still take (what the process holds already is not in it); ``autograd_bpp``:
    bytes per pixel of a network forward+backward (``autograd_bytes_per_pixel``); ``fixed_bpp``: other bytes per
    output pixel (content targets); ``tile_size``: cap on a tile's core side, forcing tiles even when the image
    would fit.
    The L-BFGS history is cut (to no fewer than MIN_HISTORY) so that it takes at most a quarter of the budget.
    """
    px = h * w
    vector = 12 * px  # one float32 RGB image
    fit = int((budget / 4 / vector - 2) // 2)
    history = max(MIN_HISTORY, min(history, fit))
    usable = PLAN_SHARE * budget
    fixed = px * fixed_bpp + vector * (2 * history + IMAGE_BUFFERS)
    whole = fixed + px * autograd_bpp
    if tile_size is None and whole <= usable:
        return ScalePlan((h, w), history, estimate=int(whole))
    area = (usable - fixed) / autograd_bpp
    grid = choose_grid(h, w, max_area=area, halo=halo, align=align, max_core=tile_size)
    if grid is None:
        smallest = (fixed + autograd_bpp * (4 * align + 2 * halo) ** 2) / PLAN_SHARE
        raise RestyleError(f"a {w}x{h} image needs more than the memory budget of {budget / GB:.1f} GB "
                           f"(at least {math.ceil(smallest / GB * 10) / 10:.1f} GB with the smallest tiles); "
                           f"raise max_memory or lower size")
    (rows, cols), tile = grid
    return ScalePlan((h, w), history, grid=(rows, cols), tile=tile, halo=halo, max_area=area,
                     estimate=int(fixed + tile[0] * tile[1] * autograd_bpp))
