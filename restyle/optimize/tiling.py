"""Exact loss and gradient of images too large for memory, computed over overlapping tiles.

The style loss depends on whole-image Gram matrices, so tiles cannot simply be optimized apart (each would
match the style on its own, and the style would drift from tile to tile). Instead, per evaluation:

1. Without autograd, run every tile through the network and sum the Gram matrices of the tiles' cores: the
   whole image's Grams, hence the exact style loss L and dL/dG.
2. Run every tile again with autograd and backpropagate Σ⟨dL/dG, G_core⟩ plus the content loss of its core.
   Each tile carries a halo as wide as half the receptive field of the deepest layer used (80 px for
   relu5_1), aligned to its stride (16 px), so features in the core are exactly those of the whole image, and
   the per-tile input gradients add up to the whole image's gradient.

Content targets and style Grams are taken from whole images the same way (step 1). The loss is that of the
untiled image, so L-BFGS sees one consistent function and no tile boundary is special. The grid's inner
boundaries still move by a random amount each evaluation, so rounding differences of bf16 at the boundaries
never accumulate in one place. Costs: one extra forward pass (about a third of an iteration) and the halos.

With regions (the loss's guide), the guided Gram matrices are sums over positions too: each core adds
Σ_core m·f·fᵀ / Σ_all m, its masks cropped like its features, so the tiling stays exact.
"""

from __future__ import annotations

import random
from typing import Optional

import torch

from ..core.layers import stride
from ..core.losses import PerceptualLoss, gram
from .planning import Span, choose_grid, cut, halo_and_align


def _crop(features: torch.Tensor, ys: Span, xs: Span, s: int) -> torch.Tensor:
    """The core of a tile's features at a layer of stride ``s`` (a ceil-mode network: partial windows count)."""
    return features[..., (ys.start - ys.lo) // s: -(-(ys.stop - ys.lo) // s),
                    (xs.start - xs.lo) // s: -(-(xs.stop - xs.lo) // s)]


def _positions(h: int, w: int, s: int) -> int:
    return -(-h // s) * -(-w // s)


class TiledObjective:
    """The loss terms of one scale (content, style, total variation) and their gradient, over tiles.

    ``loss`` is the run's perceptual loss, without targets: they are assembled here from tiles (of
    ``content`` and of each of ``styles``); this class only decides how to cover the image. ``evaluate(x)`` fills
    ``x.grad`` and returns the three weighted terms. Tiles hold at most ``max_area`` pixels (halo included)
    and cores are at most ``max_core`` pixels long.
    """

    def __init__(self, loss: PerceptualLoss, content: torch.Tensor, styles: list[torch.Tensor], *, max_area: float,
                 max_core: Optional[int] = None, seed: Optional[int] = None):
        self.max_area, self.max_core = max_area, max_core
        self.content_w, self.style_w = loss.content_layers, loss.style_layers
        layers = list(self.content_w) + list(self.style_w)
        self.halo, self.align = halo_and_align(layers)
        self.strides = {k: stride(k) for k in layers}
        self.rng = random.Random(seed)
        self.loss = loss
        with torch.no_grad():
            feats = self._features(content, self.tiles(content, jitter=False), list(self.content_w))
            grams = [self.grams(s, self.tiles(s, jitter=False), guided=False) for s in styles]
        self.loss = loss.with_targets(content_features=feats, style_grams=loss.style_targets(grams))
        self.areas = {k: m.sum((1, 2, 3)).clamp_min(1e-8) for k, m in loss.masks.items()}

    def tiles(self, image: torch.Tensor, jitter: bool = True) -> list[tuple[Span, Span]]:
        """The tiles (row span, column span) that cover ``image``, jittered unless told not to."""
        h, w = image.shape[-2:]
        grid = choose_grid(h, w, max_area=self.max_area, halo=self.halo, align=self.align, max_core=self.max_core)
        rows, cols = grid[0] if grid is not None else (1, 1)
        rng = self.rng if jitter else None
        ys, xs = cut(h, rows, self.halo, self.align, rng=rng), cut(w, cols, self.halo, self.align, rng=rng)
        return [(y, x) for y in ys for x in xs]

    def _run(self, tile: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.loss.features(tile)

    def _features(self, image: torch.Tensor, tiles, layers) -> dict[str, torch.Tensor]:
        """Whole-image features of ``layers`` (float32), assembled from the tiles' cores."""
        h, w = image.shape[-2:]
        out = {}
        for ys, xs in tiles:
            feats = self._run(image[..., ys.lo:ys.hi, xs.lo:xs.hi])
            for k in layers:
                s = self.strides[k]
                core = _crop(feats[k], ys, xs, s).float()
                if k not in out:
                    out[k] = core.new_zeros((1, core.shape[1], -(-h // s), -(-w // s)))
                out[k][..., ys.start // s: ys.start // s + core.shape[-2],
                       xs.start // s: xs.start // s + core.shape[-1]] = core
        return out

    def grams(self, image: torch.Tensor, tiles, guided: bool = True) -> dict[str, torch.Tensor]:
        """Whole-image size-normalized Gram matrices of the style layers, summed over the tiles' cores (guided
        ones where the loss has a guide, unless not ``guided``: a style image's)."""
        h, w = image.shape[-2:]
        out: dict[str, torch.Tensor] = {}
        for ys, xs in tiles:
            feats = self._run(image[..., ys.lo:ys.hi, xs.lo:xs.hi])
            for k in self.style_w:
                g = self._core_gram(feats[k], (ys, xs), k, (h, w), guided=guided)
                out[k] = out[k] + g if k in out else g
        return out

    def _core_gram(self, features, spans: tuple[Span, Span], k: str, size: tuple[int, int],
                   guided: bool = True) -> torch.Tensor:
        """The core's share of the whole image's Gram matrix: its Gram weighted by its share of positions (of each
        region's area, guided)."""
        (ys, xs), s = spans, self.strides[k]
        core = _crop(features, ys, xs, s)
        if guided and self.loss.guide is not None:
            masks = self.loss.masks[k][..., ys.start // s: ys.start // s + core.shape[-2],
                                       xs.start // s: xs.start // s + core.shape[-1]]
            return gram(core, masks) * (masks.sum((1, 2, 3)) / self.areas[k])[:, None, None]
        return gram(core) * (core.shape[-2] * core.shape[-1] / _positions(*size, s))

    def evaluate(self, x: torch.Tensor) -> torch.Tensor:
        """Weighted (content, style, tv) at ``x``; their summed gradient is written to ``x.grad``."""
        tiles = self.tiles(x)
        image = x.detach()
        with torch.no_grad():
            grams = self.grams(image, tiles)
        # Pass 1 gave the exact style loss; autograd on it gives dL/dG for pass 2.
        grams = {k: g.requires_grad_(True) for k, g in grams.items()}
        weights = self.loss.weights
        with torch.enable_grad():
            style = weights.style * self.loss.style_term(grams=grams)
            d_grams = dict(zip(grams, torch.autograd.grad(style, list(grams.values()))))
        grad = torch.zeros_like(image)
        content = torch.zeros((), device=x.device)
        for ys, xs in tiles:
            tile = image[..., ys.lo:ys.hi, xs.lo:xs.hi].clone().requires_grad_(True)
            term, surrogate = self._tile_terms(tile, (ys, xs), x.shape[-2:], d_grams)
            (surrogate + term).backward()
            content = content + term.detach()
            grad[..., ys.lo:ys.hi, xs.lo:xs.hi] += tile.grad
            del surrogate, term, tile
        x.grad = grad
        tv = weights.tv * self.loss.tv(x)
        tv.backward()
        return torch.stack([content, style.detach(), tv.detach()])

    def _tile_terms(self, tile: torch.Tensor, spans: tuple[Span, Span], size,
                    d_grams) -> tuple[torch.Tensor, torch.Tensor]:
        """(weighted content loss of the tile's core, Σ⟨dL/dG, G_core⟩ whose gradient is the style's)."""
        (ys, xs), (h, w) = spans, size
        feats = self._run(tile)
        surrogate = sum((d_grams[k] * self._core_gram(feats[k], (ys, xs), k, (h, w))).sum() for k in self.style_w)
        cores = {k: _crop(feats[k], ys, xs, self.strides[k]) for k in self.content_w}
        offsets = {k: (ys.start // self.strides[k], xs.start // self.strides[k]) for k in self.content_w}
        content = self.loss.content_term(cores, offsets=offsets)
        return self.loss.weights.content * content, surrogate
