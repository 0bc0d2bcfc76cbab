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
from typing import Iterable, NamedTuple, Optional, Sequence

import torch
from torch import nn

from .device import autocast


def gram(features: torch.Tensor) -> torch.Tensor:
    """Size-normalized Gram matrix of (N, C, H, W) features: (N, C, C), F·Fᵀ / (H·W), in float32."""
    return _Gram.apply(features)


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


def blend_grams(features: Iterable[dict[str, torch.Tensor]], weights: Sequence[float],
                layers: Iterable[str]) -> dict[str, torch.Tensor]:
    """{layer: Σ wᵢ·gram(featuresᵢ[layer])}: the style target of several styles (one features dict per style)."""
    layers = list(layers)
    out: dict[str, torch.Tensor] = {}
    for w, feats in zip(weights, features):
        for k in layers:
            out[k] = out[k] + w * gram(feats[k]) if k in out else w * gram(feats[k])
    return out


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
    minimizer of the weighted sum of per-style losses, and is cheaper).
    """

    def __init__(self, target_gram: torch.Tensor):
        super().__init__()
        self.register_buffer("target", target_gram.detach().float())
        self.register_buffer("norm", self.target.pow(2).sum().clamp_min(1e-8))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.of_gram(gram(features))

    def of_gram(self, g: torch.Tensor) -> torch.Tensor:
        """The loss given the Gram matrix itself (as when it was summed over tiles)."""
        return relative_sq_error(g, self.target, self.norm)


class TVLoss(nn.Module):
    """Total variation: mean squared difference between neighbouring pixels (image in [0, 1])."""

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = image.float()
        dx = (x[..., :, 1:] - x[..., :, :-1]).pow(2).mean()
        dy = (x[..., 1:, :] - x[..., :-1, :]).pow(2).mean()
        return dx + dy


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
    """

    def __init__(self, net: nn.Module, content_layers: dict[str, float], style_layers: dict[str, float],
                 weights: LossWeights = LossWeights(), blend: Sequence[float] = (1.0,),
                 dtype: torch.dtype = torch.float32):
        self.net, self.weights, self.blend, self.dtype = net, LossWeights(*weights), list(blend), dtype
        self.content_layers, self.style_layers = dict(content_layers), dict(style_layers)
        self.content: dict[str, ContentLoss] = {}
        self.style: dict[str, StyleLoss] = {}
        self.tv = TVLoss()

    def features(self, image: torch.Tensor, taps: Optional[Sequence[str]] = None) -> dict[str, torch.Tensor]:
        """The network's {layer: activation} for ``image`` (N, 3, H, W), in the loss's dtype."""
        with autocast(image.device, self.dtype):
            return self.net(image.contiguous(memory_format=torch.channels_last), taps)

    def with_targets(self, content: Optional[torch.Tensor] = None, styles: Optional[Sequence[torch.Tensor]] = None,
                     *, content_features: Optional[dict[str, torch.Tensor]] = None,
                     style_grams: Optional[dict[str, torch.Tensor]] = None) -> "PerceptualLoss":
        """A copy with content and/or style targets: from images, or from their features / blended Gram matrices."""
        out = copy.copy(self)
        with torch.no_grad():
            if content is not None:
                content_features = self.features(content)
            if content_features is not None:
                out.content = {k: ContentLoss(content_features[k]) for k in self.content_layers}
            if styles is not None:
                style_grams = blend_grams((self.features(s) for s in styles), self.blend, self.style_layers)
            if style_grams is not None:
                out.style = {k: StyleLoss(style_grams[k]) for k in self.style_layers}
        return out

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
                       grams: Optional[dict[str, torch.Tensor]] = None) -> dict[str, torch.Tensor]:
        """Each style layer's relative error (unweighted), from features or from their Gram matrices, averaged
        over a batch."""
        grams = grams if grams is not None else {k: gram(feats[k]) for k in self.style_layers}
        return {k: self.style[k].of_gram(g) / g.shape[0] for k, g in grams.items()}

    def style_term(self, feats: Optional[dict[str, torch.Tensor]] = None,
                   grams: Optional[dict[str, torch.Tensor]] = None) -> torch.Tensor:
        """Σ layer weight · the layer's style error."""
        total = 0.0
        for k, term in self.style_by_layer(feats, grams).items():
            total = total + self.style_layers[k] * term
        return total

    def terms(self, image: torch.Tensor, feats: Optional[dict[str, torch.Tensor]] = None,
              content_target: Optional[dict[str, torch.Tensor]] = None) -> torch.Tensor:
        """The weighted (content, style, tv) of ``image`` as one float32 tensor of 3."""
        feats = feats if feats is not None else self.features(image)
        w = self.weights
        return torch.stack([w.content * self.content_term(feats, content_target), w.style * self.style_term(feats),
                            w.tv * self.tv(image)])
