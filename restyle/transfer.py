"""The optimization loop: build targets, then optimize the pixels of an image, scale by scale.

``stylize`` is the engine behind the CLI and the Python API.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence, Union

import torch
from PIL import Image

from . import color
from .device import autocast, keep_freed_memory, resolve_device, resolve_precision
from .errors import Interrupted, NumericalError
from .images import ImageLike, fit_size, load_image, resize, source_name, to_pil
from .losses import ContentLoss, StyleLoss, TVLoss, WeightedSum, blend_grams, gram
from .options import Options, blend_weights, layer_weights
from .planning import GB, ScalePlan, autograd_bytes_per_pixel, default_budget, in_use, plan_scale
from .schedule import ANCHOR_SIZE, scale_schedule
from .tiling import TiledObjective, halo_and_align
from .vgg import VGG19Features, load_weights, stride


@dataclass
class Progress:
    """What the progress callback receives after every iteration."""

    scale: int
    """1-based index of the current scale."""
    scales: int
    size: tuple[int, int]
    """(height, width) at this scale."""
    iteration: int
    """1-based iteration within this scale."""
    iterations: int
    tiles: int
    """Tiles the image is cut into at this scale (1: the whole image at once)."""
    step: int
    """1-based iteration over all scales."""
    steps: int
    fraction: float
    """Share of the whole run's work done, in [0, 1] (iterations weighted by their estimated cost)."""
    losses: dict[str, float]
    """Weighted loss terms: content, style, tv, and their total."""
    elapsed: float
    """Seconds since ``stylize`` was called."""
    _render: Callable[[], Image.Image] = field(repr=False, default=None)

    def image(self) -> Image.Image:
        """The current image at this scale's size (colour post-processing applied)."""
        return self._render()


Callback = Callable[[Progress], None]


def stylize(content: ImageLike, styles: Union[ImageLike, Sequence[ImageLike]], options: Optional[Options] = None,
            *, callback: Optional[Callback] = None, log: Optional[Callable[[str], None]] = None,
            **overrides) -> Image.Image:
    """Paint ``content`` in the style of ``styles``; returns the result as an RGB PIL image.

    ``content`` and each style are a path, a PIL image or a numpy array. Settings come from ``options``
    (an ``Options``) and/or keyword overrides of its fields, e.g. ``stylize("a.jpg", "b.jpg", size=256)``.
    ``callback(progress)`` is called after every iteration; ``log`` receives one-line status messages
    (the device, the schedule and each scale's memory plan). Raises ``RestyleError`` for bad input,
    ``NumericalError`` if the loss becomes
    NaN/inf, and ``Interrupted`` (a KeyboardInterrupt carrying the best image so far) on Ctrl-C.
    """
    start = time.perf_counter()
    opts = (options or Options()).replace(**overrides)
    style_list = list(styles) if isinstance(styles, (list, tuple)) else [styles]
    opts.validate(len(style_list))
    content_w = layer_weights("content", opts.content_layers)
    style_w = layer_weights("style", opts.style_layers)
    blend = blend_weights(opts.style_blend, len(style_list))

    content_img = load_image(content, opts.max_pixels, name=source_name(content, "content"))
    style_imgs = [load_image(s, opts.max_pixels, name=source_name(s, "style")) for s in style_list]
    init_img = None
    if not (isinstance(opts.init, str) and opts.init in ("content", "noise")):
        init_img = load_image(opts.init, opts.max_pixels, name=source_name(opts.init, "init"))

    device = resolve_device(opts.device)
    dtype = resolve_precision(opts.precision, device)
    state, caffe = load_weights(opts.weights)
    net = VGG19Features(state, list(content_w) + list(style_w), opts.pooling, caffe)
    net = net.to(device, memory_format=torch.channels_last)
    schedule = scale_schedule(opts.size, opts.iterations, opts.multiscale, opts.start_size)
    plans = _plan(net, content_img, schedule, content_w, style_w, opts, device, dtype)
    if log:
        plan = " -> ".join(f"{s}px x {n}" for s, n in schedule)
        log(f"device {device.type}, precision {str(dtype).replace('torch.', '')}, "
            f"{'coarse-to-fine ' if len(schedule) > 1 else ''}schedule: {plan}")
        if any(p.grid is not None for p in plans) or opts.max_memory is not None:
            for p in plans:
                log(f"  {p.describe()}")

    def targets(long_side: int) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
        """(content, content target, style images) at a scale whose long side is ``long_side``."""
        content_s = resize(content_img, fit_size(content_img.shape[1], content_img.shape[2], long_side))
        content_s = content_s.to(device)[None]
        style_long = max(1, round(long_side * opts.style_scale))
        styles_s = [resize(s, fit_size(s.shape[1], s.shape[2], style_long)).to(device)[None] for s in style_imgs]
        styles_s = [_prepare_style(s, content_s, opts.preserve_color) for s in styles_s]
        target = color.luminance(content_s) if opts.preserve_color == "luminance" else content_s
        return content_s, target, styles_s

    generator = torch.Generator().manual_seed(opts.seed) if opts.seed is not None else None
    steps = sum(n for _, n in schedule)
    # Progress (and the ETA) is weighted by each iteration's estimated cost, which grows with its pixels.
    # Computing a scale's targets counts as work too (half a minute at 4K on a 2-core CPU).
    total_work = sum(p.cost * n + p.setup_cost(len(style_imgs)) for p, (_, n) in zip(plans, schedule))
    work = 0.0
    step = 0
    x = None
    best = None
    render = None
    anchor = None
    # Freed memory kept for reuse on a CPU (``device.keep_freed_memory``): the same pixels; on a 2-core CPU 9% faster
    # at 512 px and 18-20% at 1024 and 2048 px, alternating in one process. It costs memory at the peak, up to 13%
    # above the plan's estimate (2048 px with the defaults: 9.7 GB against an estimate of 8.6 GB; 8.8 GB without it
    # on 2026-11-27, before the 512 px anchor), so it is used only where a quarter more than the estimate fits the
    # default budget, and never with a budget given or a scale in tiles, where the budget binds.
    peak = int(1.25 * max(p.estimate for p in plans))
    fits = opts.max_memory is None and all(p.grid is None for p in plans) and peak <= default_budget(device)
    kept = keep_freed_memory(device, peak) if fits else contextlib.nullcontext(False)
    with kept:
        try:
            for scale_index, ((long_side, iterations), plan) in enumerate(zip(schedule, plans)):
                h, w = plan.size
                content_s, target_content, styles_s = targets(long_side)
                weights = (opts.content_weight, opts.style_weight, opts.tv_weight)
                if plan.grid is None:
                    objective = _Objective(net, target_content, styles_s, content_w, style_w, blend, weights, dtype)
                else:
                    objective = TiledObjective(net, target_content, styles_s, content_w, style_w, blend, weights, dtype,
                                               plan.max_area, opts.tile_size, opts.seed)
                del styles_s
                if plan.anchor:
                    if anchor is None:  # the same for every fine scale: built once
                        _, anchor_content, anchor_styles = targets(ANCHOR_SIZE)
                        anchor = _Objective(net, anchor_content, anchor_styles, content_w, style_w, blend, weights,
                                            dtype)
                    objective = _Anchored(objective, anchor)
                work += plan.setup_cost(len(style_imgs))

                if x is not None:  # coarse-to-fine: the last scale's result, upsampled
                    start_img = resize(x, (h, w))
                elif init_img is not None:
                    start_img = resize(init_img, (h, w)).to(device)[None]
                    if opts.preserve_color == "luminance":
                        start_img = color.luminance(start_img)
                elif opts.init == "noise":
                    start_img = torch.rand((1, 3, h, w), generator=generator).to(device)
                else:
                    start_img = target_content
                x = start_img.detach().clone().contiguous().requires_grad_(True)
                render = functools.partial(_render, content=content_s, mode=opts.preserve_color)
                # Until this scale's first evaluation, Ctrl-C saves the last scale's result (upsampled).
                best = _Best(fallback=x.detach() if scale_index > 0 else None)
                del start_img
                optimizer = _optimizer(x, opts, plan.history)
                closure = functools.partial(_evaluate, optimizer, objective, x, best)

                for it in range(1, iterations + 1):
                    optimizer.step(closure)
                    if opts.optimizer == "adam":
                        with torch.no_grad():
                            x.clamp_(0, 1)
                    if not best.finite:
                        raise NumericalError(
                            f"the loss became {best.last_total} at scale {scale_index + 1}, iteration {it}; "
                            f"try --precision fp32, a smaller learning rate or smaller weights")
                    step += 1
                    work += plan.cost
                    if callback is not None:
                        c, s, t = best.last_terms
                        callback(Progress(scale_index + 1, len(schedule), (h, w), it, iterations, plan.tiles, step,
                                          steps, work / total_work,
                                          {"content": c, "style": s, "tv": t, "total": c + s + t},
                                          time.perf_counter() - start, functools.partial(render, x)))
                x = best.image if best.image is not None else x.detach()
                best = _Best(fallback=x)
                del optimizer, closure, objective
        except KeyboardInterrupt:
            image = render(best.image) if best is not None and best.image is not None else None
            raise Interrupted(image) from None
    return render(x)


class _Objective:
    """The weighted loss terms (content, style, total variation) of a whole image at one scale.

    Targets are computed once, here; ``evaluate`` runs the network on the image and backpropagates.
    """

    def __init__(self, net: VGG19Features, content: torch.Tensor, styles: list[torch.Tensor],
                 content_w: dict[str, float], style_w: dict[str, float], blend: list[float],
                 weights: tuple[float, float, float], dtype: torch.dtype):
        self.net, self.weights, self.dtype = net, weights, dtype
        self.device = content.device
        self.content_size = tuple(content.shape[-2:])
        with torch.no_grad(), autocast(self.device, dtype):
            feats = net(_cl(content))
            self.content = WeightedSum({k: ContentLoss(feats[k]) for k in content_w}, content_w)
            grams = blend_grams((net(_cl(s)) for s in styles), blend, style_w)
            self.style = WeightedSum({k: StyleLoss(g) for k, g in grams.items()}, style_w)
        self.tv = TVLoss()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        with autocast(self.device, self.dtype):
            feats = self.net(_cl(x))
        content_weight, style_weight, tv_weight = self.weights
        return torch.stack([content_weight * self.content(feats), style_weight * self.style(feats),
                            tv_weight * self.tv(x)])

    def evaluate(self, x: torch.Tensor) -> torch.Tensor:
        """Weighted (content, style, tv) at ``x``; their summed gradient is written to ``x.grad``."""
        terms = self(x)
        terms.sum().backward()
        return terms.detach()


class _Anchored:
    """A fine scale's objective plus the same loss on the image shrunk to ANCHOR_SIZE.

    A departure from plain coarse-to-fine (Gatys et al. 2017), measured: each finer scale matches the style
    only up to VGG19's receptive field (156 px) at its own resolution, and its content term pulls the rest
    back towards the photo, so what the coarse scales built fades. Judged at 512 px, Tübingen/Starry Night
    at 1024 px scored style 0.046 against 0.018 for its own 512 px scale. Keeping the loss at 512 px in
    the objective keeps the look of a 512 px result and lets the fine scale add detail to it; it costs one
    small forward and backward pass.
    """

    def __init__(self, objective, anchor: _Objective):
        self.objective, self.anchor = objective, anchor
        self.size = anchor.content_size

    def evaluate(self, x: torch.Tensor) -> torch.Tensor:
        terms = self.objective.evaluate(x)  # fills x.grad
        small = resize(x, self.size)
        anchor_terms = self.anchor(small)
        anchor_terms.sum().backward()  # adds to x.grad, through the (antialiased) resize
        return terms + anchor_terms.detach()


def _plan(net: VGG19Features, content: torch.Tensor, schedule, content_w, style_w, opts: Options,
          device: torch.device, dtype: torch.dtype) -> list[ScalePlan]:
    """Each scale's plan within the memory budget (whole image, or tiles when it would not fit)."""
    budget = int(opts.max_memory * GB) if opts.max_memory is not None else default_budget(device)
    layers = list(content_w) + list(style_w)
    halo, align = halo_and_align(layers)

    def forward(image):
        with autocast(device, dtype):
            feats = net(_cl(image))
        return sum(gram(feats[k]).sum() for k in style_w) + sum(feats[k].float().sum() for k in content_w)

    bpp = autograd_bytes_per_pixel(forward, device)
    # Content targets are kept in float32 at every content layer's resolution.
    fixed_bpp = sum(4 * net.channels(k) / stride(k) ** 2 for k in content_w)
    base = in_use(device)
    anchor = math.prod(fit_size(content.shape[1], content.shape[2], ANCHOR_SIZE))
    return [dataclasses.replace(
        plan_scale(*fit_size(content.shape[1], content.shape[2], size), budget, base, bpp, fixed_bpp, halo, align,
                   opts.tile_size), anchor=anchor if len(schedule) > 1 and size > ANCHOR_SIZE else 0)
        for size, _ in schedule]


def _optimizer(x: torch.Tensor, opts: Options, history: int) -> torch.optim.Optimizer:
    lr = opts.learning_rate or (1.0 if opts.optimizer == "lbfgs" else 0.02)
    if opts.optimizer == "adam":
        return torch.optim.Adam([x], lr=lr)
    # One iteration per step() so that each can be reported; the optimizer keeps its history between calls.
    # Tolerances of 0: run the iterations asked for rather than stopping on a plateau.
    return torch.optim.LBFGS([x], lr=lr, max_iter=1, history_size=history, tolerance_grad=0.0,
                             tolerance_change=0.0)


def _evaluate(optimizer: torch.optim.Optimizer, objective, x: torch.Tensor, best: "_Best") -> torch.Tensor:
    """The optimizer's closure: loss and gradient at ``x``, recorded in ``best``."""
    optimizer.zero_grad(set_to_none=True)
    terms = objective.evaluate(x)
    values = terms.tolist()  # the one host sync per evaluation (L-BFGS needs the loss anyway)
    best.offer(sum(values), values, x)
    return terms.sum()


def _render(image: torch.Tensor, content: torch.Tensor, mode: Optional[str]) -> Image.Image:
    """The optimized tensor as the user's image: with the content's chroma put back in luminance mode."""
    out = image.detach()
    if mode == "luminance":
        out = color.combine_luminance(out, content)
    return to_pil(out)


class _Best:
    """Lowest-loss image seen so far at this scale (L-BFGS can step uphill; we return the best)."""

    def __init__(self, fallback: Optional[torch.Tensor] = None):
        self.total = math.inf
        self.image: Optional[torch.Tensor] = fallback
        self.finite = True
        self.last_total = 0.0
        self.last_terms = (0.0, 0.0, 0.0)

    def offer(self, total: float, terms, x: torch.Tensor) -> None:
        self.last_total, self.last_terms = total, tuple(terms)
        if not math.isfinite(total):
            self.finite = False
        elif total < self.total:
            self.total = total
            self.image = x.detach().clone()


def _prepare_style(style: torch.Tensor, content: torch.Tensor, mode: Optional[str]) -> torch.Tensor:
    if mode == "luminance":
        return color.match_luminance(style, content)
    if mode == "histogram":
        return color.match_histogram(style[0], content[0])[None]
    return style


def _cl(x: torch.Tensor) -> torch.Tensor:
    return x.contiguous(memory_format=torch.channels_last)
