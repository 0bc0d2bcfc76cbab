"""The perceptual loss: content, style (Gram matrices) and total variation, as small modules and their one composition.

``PerceptualLoss`` composes the terms for every user: the optimizer (whole images or tiles), training and the
scores all judge images with it, so they aim at and measure the same thing.

All terms are computed in float32 even when the network runs in bfloat16.

Departures from Gatys et al. (2016), and why:
- Gram matrices are divided by the number of positions (H·W), so they are averages, not sums, and do not
  grow with image size.
- Content and style terms are *relative* errors: each is divided by the energy of its target. Gatys et al.
  weight each style layer by 1/(4·N²·M²), which leaves the layers' contributions differing by orders of
  magnitude and depending on the image size and on the weights' scale; relative errors make every layer
  count alike at any size, and make the losses identical whether features come from Caffe weights (0-255
  input) or torchvision weights (normalized input). One set of default weights then fits all.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import NamedTuple, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from .device import autocast
from .images import resize
from .layers import stride


def gram(features: torch.Tensor, masks: Union[torch.Tensor, "Positions", None] = None) -> torch.Tensor:
    """Size-normalized Gram matrix of (N, C, H, W) features: (N, C, C), F·Fᵀ / (H·W), in float32.

    With ``masks`` (R, 1, H, W) in [0, 1] (one image, N = 1), or the ``Positions`` made of them: Gatys et al.'s
    guided Gram matrices (2017), (R, C, C), each Σₚ mₚ·fₚ·fₚᵀ / Σₚ mₚ, the Gram matrix of the features in that
    region, normalized by its area."""
    if masks is None:
        return _Gram.apply(features)
    return _GuidedGram.apply(features, masks if isinstance(masks, Positions) else Positions.of(masks))


@dataclass(frozen=True)
class Positions:
    """Regions as the positions each covers (its mask above 0) and their weights mₚ / Σ m: a guided Gram matrix
    then costs each region its own area, so regions that share the image cost one plain Gram matrix."""

    rows: list[torch.Tensor]
    """For each region, the indexes of its positions among the H·W."""
    weights: list[torch.Tensor]
    """For each region, mₚ / Σ m at those positions."""

    @classmethod
    def of(cls, masks: torch.Tensor) -> "Positions":
        """From (R, 1, H, W) masks (at the features' resolution)."""
        m = masks.reshape(masks.shape[0], -1).float()
        rows = [torch.nonzero(r > 0).flatten() for r in m]
        return cls(rows, [r[i] / r.sum().clamp_min(1e-8) for r, i in zip(m, rows)])


class _GuidedGram(torch.autograd.Function):
    """Guided Gram matrices over each region's own positions, with a hand-written backward like ``_Gram``'s: one
    matrix product per region each way."""

    @staticmethod
    def forward(ctx, features: torch.Tensor, positions: Positions) -> torch.Tensor:
        n, c, h, w = features.shape
        f = features.permute(0, 2, 3, 1).reshape(h * w, c).float()
        ctx.save_for_backward(f)
        ctx.shape, ctx.dtype, ctx.positions = (n, c, h, w), features.dtype, positions
        return torch.stack([(f[i] * wt[:, None]).T @ f[i] for i, wt in zip(positions.rows, positions.weights)])

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (f,) = ctx.saved_tensors
        n, c, h, w = ctx.shape
        grad_f = torch.zeros_like(f)
        for g, i, wt in zip(grad, ctx.positions.rows, ctx.positions.weights):
            grad_f.index_add_(0, i, (f[i] @ (g + g.T)) * wt[:, None])  # d(Σ w·f·fᵀ)/df applied to g
        return grad_f.view(n, h, w, c).permute(0, 3, 1, 2).to(ctx.dtype), None


class _Gram(torch.autograd.Function):
    """Gram matrix with a hand-written backward: one matrix product instead of autograd's two plus a sum.

    Features are viewed as (N, H·W, C), which for channels_last tensors (what the network produces) is a
    free view, and the gradient comes back in that same layout, so adding it to the next layer's gradient
    needs no transposing copy (an iteration 29% faster on a 2-core CPU; docs/performance.md).
    """

    @staticmethod
    def forward(ctx, features: torch.Tensor) -> torch.Tensor:
        n, c, h, w = features.shape
        f = features.permute(0, 2, 3, 1).reshape(n, h * w, c).float()
        ctx.save_for_backward(f)
        ctx.shape, ctx.dtype = (n, c, h, w), features.dtype
        return torch.bmm(f.transpose(1, 2), f) / (h * w)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (f,) = ctx.saved_tensors
        n, c, h, w = ctx.shape
        grad_f = torch.bmm(f, (grad + grad.transpose(1, 2)) / (h * w))  # d(FᵀF/HW)/dF applied to grad
        return grad_f.view(n, h, w, c).permute(0, 3, 1, 2).to(ctx.dtype)


@dataclass(frozen=True)
class Guide:
    """Where each style goes (Gatys et al., "Controlling Perceptual Factors in Neural Style Transfer", 2017): R
    styled regions' weights over the image, and the styles each region is painted after."""

    masks: torch.Tensor
    """(R, 1, H, W) in [0, 1] at the image's size: how much of each pixel each region holds."""
    blends: torch.Tensor
    """(R, S): region r's style target is Σₛ blends[r, s] · Gₛ, the styles' Gram matrices mixed (rows sum to 1)."""

    def shares(self) -> torch.Tensor:
        """(R,): each region's share of the image."""
        return self.masks.float().mean((1, 2, 3))

    def at(self, layer: str) -> torch.Tensor:
        """The masks at ``layer``'s resolution, area-averaged over each position as the network pools (2x2 windows,
        partial ones at the edges)."""
        m = self.masks.float()
        for _ in range(int(math.log2(stride(layer)))):
            m = F.avg_pool2d(m, 2, ceil_mode=True)
        return m


def relative_sq_error(x: torch.Tensor, target: torch.Tensor, norm: torch.Tensor | None = None) -> torch.Tensor:
    """‖x − target‖² / norm, where norm defaults to ‖target‖² (kept away from 0)."""
    if norm is None:
        norm = target.pow(2).sum().clamp_min(1e-8)
    return (x - target).pow(2).sum() / norm


class ContentLoss(nn.Module):
    """‖F − F_c‖² / ‖F_c‖² for one layer's features F and the content's features F_c.

    Given an ``offset`` (row, column), ``features`` are a window of the whole image's starting there, and
    the result is that window's share of the loss (tiles' shares add up to the whole loss).
    """

    def __init__(self, target: torch.Tensor):
        super().__init__()
        self.register_buffer("target", target.detach().float())
        self.register_buffer("norm", self.target.pow(2).sum().clamp_min(1e-8))

    def forward(self, features: torch.Tensor, offset: tuple[int, int] | None = None) -> torch.Tensor:
        target = self.target
        if offset is not None:
            (y, x), (h, w) = offset, features.shape[-2:]
            target = target[..., y:y + h, x:x + w]
        return relative_sq_error(features.float(), target, self.norm)


class StyleLoss(nn.Module):
    """‖G − G_s‖² / ‖G_s‖² with G the size-normalized Gram matrix of one layer's features.

    ``target`` is the style's Gram matrix, or a weighted blend of several styles' (the blend is the
    minimizer of the weighted sum of per-style losses, and is cheaper). With ``shares`` (R,), the target holds R
    regions' Gram matrices (R, C, C), G their guided Grams (``gram`` with masks), and the loss is
    Σᵣ shareᵣ · ‖Gᵣ − G_sᵣ‖² / ‖G_sᵣ‖²: each region's error weighted by its share of the image, so that a pixel's
    style pulls as hard as in a run without regions. Without shares, a target of S Gram matrices (S, C, C) holds
    several styles' for one batch: ``of_gram(g, which)`` judges each image n against style ``which[n]``.
    """

    def __init__(self, target_gram: torch.Tensor, shares: Optional[torch.Tensor] = None):
        super().__init__()
        self.register_buffer("target", target_gram.detach().float())
        self.register_buffer("norm", self.target.pow(2).sum().clamp_min(1e-8))
        self.register_buffer("norms", self.target.pow(2).sum((-2, -1)).clamp_min(1e-8))  # each target's
        scale = None
        if shares is not None:
            norms = self.target.pow(2).sum((-2, -1)).clamp_min(1e-8)
            scale = (shares.to(norms) / norms)[:, None, None]
        self.register_buffer("scale", scale)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.of_gram(gram(features))

    def of_gram(self, g: torch.Tensor, which: Optional[torch.Tensor] = None) -> torch.Tensor:
        """The loss given the Gram matrix itself (as when it was summed over tiles); ``which`` (N,): the target of
        each of the N images of ``g``, an index into a target of several styles."""
        if which is not None:
            return ((g - self.target[which]).pow(2).sum((-2, -1)) / self.norms[which]).sum()
        if self.scale is None:
            return relative_sq_error(g, self.target, self.norm)
        return ((g - self.target).pow(2) * self.scale).sum()


class TVLoss(nn.Module):
    """Total variation: mean squared difference between neighbouring pixels (image in [0, 1])."""

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = image.float()
        return _mean_square(x[..., :, 1:] - x[..., :, :-1]) + _mean_square(x[..., 1:, :] - x[..., :-1, :])


def _mean_square(d: torch.Tensor) -> torch.Tensor:
    """The mean of ``d`` squared; 0 where ``d`` is empty (an image 1 px high or wide has no neighbours across)."""
    return d.pow(2).mean() if d.numel() else d.new_zeros(())


class TemporalLoss(nn.Module):
    """Ruder, Dosovitskiy & Brox's temporal term (2016): the mean squared difference between an image (in [0, 1])
    and ``target`` (1, 3, H, W), a video's last painted frame carried along the flow, over the pixels ``mask``
    (1, 1, H, W) in [0, 1] trusts, divided by the mask's area."""

    def __init__(self, target: torch.Tensor, mask: torch.Tensor):
        super().__init__()
        self.register_buffer("target", target.detach().float())
        self.register_buffer("mask", mask.detach().float())
        self.register_buffer("area", 3 * self.mask.sum().clamp_min(1))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return ((image.float() - self.target).pow(2) * self.mask).sum() / self.area


class LossWeights(NamedTuple):
    """The weights of the three terms of the loss."""

    content: float = 1.0
    style: float = 10.0
    tv: float = 10.0


class PerceptualLoss:
    """Content, style and total variation of an image, judged by one VGG19 network: the one loss of restyle.

    ``content_layers`` and ``style_layers`` map layer names to weights (normalized, see ``layers.layer_weights``);
    ``blend`` weighs several style images; the network runs in ``dtype`` (the terms are always float32). Targets
    are made once, by ``with_targets``, from whole images or from features and Gram matrices assembled
    elsewhere (over tiles). ``terms`` gives the weighted (content, style, tv); the parts it adds up are public
    too, so a caller can cover the image its own way (tiles) or judge by layer (scores). A per-region style
    term (masked Gram matrices) or a temporal term would be one more part here, not another composition.

    With a ``guide`` (``with_targets``), the style term is per region: each region's guided Gram matrices against
    its own styles' (``Guide``, ``StyleLoss``); content and total variation stay global.

    ``style_scales`` other than ``(1.0,)`` make ``terms``' style term the mean over scales s of the style error of
    the image shrunk by s against the style images shrunk by s (a Gram pyramid, as in Snelgrove's multi-scale
    texture synthesis, 2017): at 0.5, VGG's deepest layers see twice the area of the painting, its larger
    structures, while scale 1 keeps the strokes. Targets for it come from style images (``with_targets(styles=)``).

    ``with_targets(styles=..., each_style=True)`` keeps each style image's targets apart instead of blending them (a
    network of several styles in training): ``terms(..., which=)`` then judges each image of a batch against the
    style its index names.
    """

    def __init__(self, net: nn.Module, content_layers: dict[str, float], style_layers: dict[str, float],
                 weights: LossWeights = LossWeights(), blend: Sequence[float] = (1.0,),
                 dtype: torch.dtype = torch.float32, style_scales: Sequence[float] = (1.0,)):
        self.net, self.weights, self.blend, self.dtype = net, LossWeights(*weights), list(blend), dtype
        self.content_layers, self.style_layers = dict(content_layers), dict(style_layers)
        self.style_scales = tuple(float(s) for s in style_scales)
        self.content: dict[str, ContentLoss] = {}
        self.style: dict[str, StyleLoss] = {}
        self.scaled: dict[float, dict[str, StyleLoss]] = {}  # the style targets at each scale but 1
        self.guide: Optional[Guide] = None
        self.masks: dict[str, torch.Tensor] = {}
        self.positions: dict[str, Positions] = {}
        self.tv = TVLoss()

    def features(self, image: torch.Tensor, taps: Optional[Sequence[str]] = None) -> dict[str, torch.Tensor]:
        """The network's {layer: activation} for ``image`` (N, 3, H, W), in the loss's dtype."""
        with autocast(image.device, self.dtype):
            return self.net(image.contiguous(memory_format=torch.channels_last), taps)

    def with_targets(self, content: Optional[torch.Tensor] = None, styles: Optional[Sequence[torch.Tensor]] = None,
                     *, content_features: Optional[dict[str, torch.Tensor]] = None,
                     style_grams: Optional[dict[str, torch.Tensor]] = None,
                     guide: Optional[Guide] = None, each_style: bool = False) -> "PerceptualLoss":
        """A copy with content and/or style targets: from images, or from their features / blended Gram matrices
        (``style_targets``); with ``guide``, the style targets are per region (give the guide before, or with,
        the styles); ``each_style``: the style images' targets stacked, not blended (see ``terms``' ``which``)."""
        out = copy.copy(self)
        if guide is not None:
            out.guide, out.masks = guide, {k: guide.at(k) for k in self.style_layers}
            out.positions = {k: Positions.of(m) for k, m in out.masks.items()}
        with torch.no_grad():
            if content is not None:
                content_features = self.features(content)
            if content_features is not None:
                out.content = {k: ContentLoss(content_features[k]) for k in self.content_layers}
            if styles is not None:
                style_grams = out._grams_of(styles, 1.0, each_style)
                out.scaled = {s: {k: StyleLoss(g) for k, g in out._grams_of(styles, s, each_style).items()}
                              for s in self.style_scales if s != 1.0}
            if style_grams is not None:
                shares = None if out.guide is None else out.guide.shares()
                out.style = {k: StyleLoss(style_grams[k], shares) for k in self.style_layers}
        return out

    def _grams_of(self, styles: Sequence[torch.Tensor], scale: float, each: bool = False) -> dict[str, torch.Tensor]:
        """{layer: style target} of the style images shrunk by ``scale``; ``each``: every image's, stacked."""
        if scale != 1.0 and self.guide is not None:
            raise ValueError("style scales other than 1 do not take a guide")
        grams = [{k: gram(f[k]) for k in self.style_layers} for f in (self.features(shrink(s, scale)) for s in styles)]
        return {k: torch.cat([g[k] for g in grams]) for k in self.style_layers} if each else self.style_targets(grams)

    def style_targets(self, grams: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        """{layer: style target} from each style's {layer: Gram matrix}: their blend (``blend``), or with a guide,
        each region's blend, (R, C, C)."""
        if self.guide is None:
            return {k: sum(b * g[k] for b, g in zip(self.blend, grams)) for k in self.style_layers}
        blends = self.guide.blends.float()
        return {k: torch.einsum("rs,scd->rcd", blends.to(grams[0][k]), torch.cat([g[k] for g in grams]))
                for k in self.style_layers}

    def content_term(self, feats: dict[str, torch.Tensor], target: Optional[dict[str, torch.Tensor]] = None,
                     offsets: Optional[dict[str, tuple[int, int]]] = None) -> torch.Tensor:
        """Σ layer weight · relative error of ``feats`` against the content target, or against ``target``'s
        features when given (training, where each photo is its own target); ``offsets`` (by layer): ``feats`` are
        windows of the whole image's, and the result is their share of the loss (see ``ContentLoss``)."""
        total = 0.0
        for k, w in self.content_layers.items():
            if target is not None:
                total = total + w * relative_sq_error(feats[k].float(), target[k].float())
            else:
                total = total + w * self.content[k](feats[k], offsets[k] if offsets else None)
        return total

    def style_by_layer(self, feats: Optional[dict[str, torch.Tensor]] = None,
                       grams: Optional[dict[str, torch.Tensor]] = None, scale: float = 1.0,
                       which: Optional[torch.Tensor] = None) -> dict[str, torch.Tensor]:
        """Each style layer's relative error (unweighted), from features or from their Gram matrices (guided ones,
        with a guide), averaged over a batch; ``scale``: against the targets at that style scale; ``which``: each
        image's style, of targets kept apart (``with_targets(each_style=True)``)."""
        if grams is None:
            grams = {k: gram(feats[k], self.positions.get(k)) for k in self.style_layers}
        batch = (lambda g: 1) if self.guide is not None else (lambda g: g.shape[0])
        targets = self.style if scale == 1.0 else self.scaled[scale]
        return {k: targets[k].of_gram(g, which) / batch(g) for k, g in grams.items()}

    def style_term(self, feats: Optional[dict[str, torch.Tensor]] = None,
                   grams: Optional[dict[str, torch.Tensor]] = None, scale: float = 1.0,
                   which: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Σ layer weight · the layer's style error (at style scale ``scale``; ``which``: see ``style_by_layer``)."""
        total = 0.0
        for k, term in self.style_by_layer(feats, grams, scale, which).items():
            total = total + self.style_layers[k] * term
        return total

    def scales_term(self, image: torch.Tensor, feats: dict[str, torch.Tensor],
                    which: Optional[torch.Tensor] = None) -> torch.Tensor:
        """The style error averaged over ``style_scales`` (``feats``: the image's own, for scale 1)."""
        total = 0.0
        for s in self.style_scales:
            f = feats if s == 1.0 else self.features(shrink(image, s), list(self.style_layers))
            total = total + self.style_term(f, scale=s, which=which)
        return total / len(self.style_scales)

    def terms(self, image: torch.Tensor, feats: Optional[dict[str, torch.Tensor]] = None,
              content_target: Optional[dict[str, torch.Tensor]] = None,
              which: Optional[torch.Tensor] = None) -> torch.Tensor:
        """The weighted (content, style, tv) of ``image`` as one float32 tensor of 3; ``which`` (N,): each image's
        style, of targets kept apart (``with_targets(each_style=True)``)."""
        feats = feats if feats is not None else self.features(image)
        w = self.weights
        content, style = self.content_term(feats, content_target), self.scales_term(image, feats, which)
        return torch.stack([w.content * content, w.style * style, w.tv * self.tv(image)])


def shrink(image: torch.Tensor, scale: float) -> torch.Tensor:
    """(N, C, H, W) ``image`` resized by ``scale`` (each side rounded, at least 1 px)."""
    if scale == 1.0:
        return image
    h, w = image.shape[-2:]
    return resize(image, (max(1, round(h * scale)), max(1, round(w * scale))))
