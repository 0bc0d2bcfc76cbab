"""The optimization loop: build targets, then optimize the pixels of an image, scale by scale.

``iter_stylize`` is the engine behind the CLI and the Python API: a generator of ``Progress`` that a caller may
stop at any iteration; ``stylize`` runs it to the end (or to a ``cancel``) and returns the image.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence, Union

import numpy as np
import torch
from PIL import Image

from ..core import color
from ..core.checks import MAX_WEIGHT, at_most, non_negative
from ..core.device import resolve_device, resolve_precision
from ..core.images import ImageLike, fit_size, load_image, resize, source_name, to_pil
from ..core.layers import blend_weights, channels, layer_weights, stride
from ..core.losses import LossWeights, PerceptualLoss, TemporalLoss, gram
from ..core.memory import GB, default_budget, keep_freed_memory, out_of_memory_as_error, run_budget
from ..core.vgg import load_vgg
from ..errors import Interrupted, NumericalError, RestyleError
from .eta import Eta
from .lbfgs import LBFGS
from .objective import Anchored, Held, Objective, Temporal
from .options import Options
from .planning import BACKWARD_FACTOR, ScalePlan, autograd_bytes_per_pixel, pass_seconds, plan_scale
from .regions import RegionStyle, plan_regions
from .schedule import ANCHOR_SIZE, scale_schedule
from .tiling import TiledObjective, halo_and_align


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
    """Weighted loss terms: content, style, tv (and temporal, with ``temporal``), and their total."""
    elapsed: float
    """Seconds since ``stylize`` was called."""
    eta: Optional[float] = None
    """Seconds the run has left, predicted from its own timings (see ``eta``); None before any was timed, and
    from ``stylize`` without a callback (which times nothing)."""
    _render: Callable[[], Image.Image] = field(repr=False, default=None)

    def image(self) -> Image.Image:
        """The best image so far at this scale's size (the lowest loss yet; colour post-processing applied)."""
        return self._render()


Callback = Callable[[Progress], None]


Styles = Union[ImageLike, Sequence[ImageLike], None]


def iter_stylize(content: ImageLike, styles: Styles = None, options: Optional[Options] = None, *,
                 cancel: Optional[threading.Event] = None, log: Optional[Callable[[str], None]] = None,
                 temporal: Optional[Temporal] = None, mask: Optional[ImageLike] = None,
                 regions: Optional[Mapping[Any, RegionStyle]] = None, **overrides) -> Iterator[Progress]:
    """Paint ``content`` in the style of ``styles``, yielding a ``Progress`` after every iteration.

    The same arguments as ``stylize``. The run stops cleanly when the caller stops iterating (``break``) or sets
    ``cancel`` (a ``threading.Event``, e.g. from another thread): it takes effect before the next iteration.
    The last ``Progress`` yielded gives the best image so far through its ``image()``; after the last iteration
    that is the result ``stylize`` returns.
    """
    yield from _iterate(content, styles, options, cancel=cancel, log=log, timed=True, temporal=temporal,
                        mask=mask, regions=regions, **overrides)


def stylize(content: ImageLike, styles: Styles = None, options: Optional[Options] = None, *,
            callback: Optional[Callback] = None, cancel: Optional[threading.Event] = None,
            log: Optional[Callable[[str], None]] = None, temporal: Optional[Temporal] = None,
            mask: Optional[ImageLike] = None, regions: Optional[Mapping[Any, RegionStyle]] = None,
            **overrides) -> Image.Image:
    """Paint ``content`` in the style of ``styles``; returns the result as an RGB PIL image.

    ``content`` and each style are a path, a PIL image or a numpy array. Settings come from ``options``
    (an ``Options``) and/or keyword overrides of its fields, e.g. ``stylize("a.jpg", "b.jpg", size=256)``.
    ``callback(progress)`` is called after every iteration; ``log`` receives one-line status messages
    (the device, the schedule and each scale's memory plan). ``cancel`` (a ``threading.Event``) ends the run
    before its next iteration, which then returns the best image so far. ``temporal`` (a video frame's
    ``objective.Temporal``) adds Ruder et al.'s temporal term towards the last frame carried to this one.
    ``regions`` paints each region of ``mask`` after its own style instead of ``styles``: {colour: style}, a colour
    as hex (``"ff0000"``) or a grey level (0..255), a style as an image, a list of images (an even blend), or
    ``"none"`` to keep the photo there; each mask pixel belongs to the nearest named colour (Gatys et al.'s guided
    Gram matrices, 2017; ``feather`` softens the edges).
    Raises ``RestyleError`` for bad input, ``NumericalError`` if the loss becomes NaN/inf, and ``Interrupted`` (a
    KeyboardInterrupt carrying the best image so far, or None) on Ctrl-C or when cancelled before the first
    iteration.
    """
    last = None
    try:
        for last in _iterate(content, styles, options, cancel=cancel, log=log, timed=callback is not None,
                             temporal=temporal, mask=mask, regions=regions, **overrides):
            if callback is not None:
                callback(last)
    except KeyboardInterrupt:
        raise Interrupted(last.image() if last is not None else None) from None
    if last is None:
        raise Interrupted(None)
    return last.image()


def _iterate(content, styles, options: Optional[Options], *, cancel: Optional[threading.Event],
             log: Optional[Callable[[str], None]], timed: bool, temporal: Optional[Temporal] = None,
             mask: Optional[ImageLike] = None, regions: Optional[Mapping] = None, **overrides) -> Iterator[Progress]:
    """The run behind ``stylize`` and ``iter_stylize``; ``timed``: time iterations for the ETA."""
    start = time.perf_counter()
    opts = (options or Options()).replace(**overrides)
    if (styles is None) == (regions is None):
        raise RestyleError("give styles, or regions with a mask (one of them)")
    if regions is not None and opts.style_blend is not None:
        raise RestyleError("style_blend does not apply with regions: give a region several styles to blend them")
    style_list = [] if styles is None else list(styles) if isinstance(styles, (list, tuple)) else [styles]
    opts.validate(len(style_list) or 1)
    run = _Run(content, style_list, opts, start, temporal=temporal, mask=mask, regions=regions)
    if log:
        run.describe(log)
    with out_of_memory_as_error(), run.keep_memory():
        yield from run.iterate(cancel, timed)


def _temporal(temporal: Temporal, max_pixels: int) -> tuple[torch.Tensor, torch.Tensor, float]:
    """``temporal``'s (image (3, H, W), mask (1, H, W), weight), checked."""
    non_negative("temporal weight", temporal.weight)
    at_most("temporal weight", temporal.weight, MAX_WEIGHT)
    image = load_image(temporal.image, max_pixels, name="temporal image")
    mask = torch.as_tensor(np.asarray(temporal.mask, dtype=np.float32))
    if mask.shape != image.shape[1:]:
        raise RestyleError(f"the temporal mask is {tuple(mask.shape)}, not the temporal image's (H, W), "
                           f"{tuple(image.shape[1:])}")
    if not bool(((mask >= 0) & (mask <= 1)).all()):
        raise RestyleError("the temporal mask must lie in [0, 1]")
    return image, mask[None], float(temporal.weight)


#: Bytes per pixel a style image takes where its statistics are taken over tiles: the float32 image and the copies
#: made while it is resized and prepared.
STYLE_IMAGE_BPP = 3 * 12


class _Run:
    """One ``stylize`` call: its images, network, loss, schedule and memory plans, and the loop over scales."""

    def __init__(self, content: ImageLike, styles: list, opts: Options, start: float,
                 temporal: Optional[Temporal] = None, mask: Optional[ImageLike] = None,
                 regions: Optional[Mapping] = None):
        self.opts, self.start = opts, start
        self.content = load_image(content, opts.max_pixels, name=source_name(content, "content"))
        self.temporal = _temporal(temporal, opts.max_pixels) if temporal is not None else None
        self.regions, self.notes = None, []
        if regions is not None:
            size = fit_size(*self.content.shape[1:], opts.size)
            self.regions, styles, self.notes = plan_regions(regions, mask, size, feather=opts.feather,
                                                            max_pixels=opts.max_pixels)
        self.styles = [load_image(s, opts.max_pixels, name=source_name(s, "style")) for s in styles]
        self.init = None
        if not (isinstance(opts.init, str) and opts.init in ("content", "noise")):
            self.init = load_image(opts.init, opts.max_pixels, name=source_name(opts.init, "init"))
        self.device = resolve_device(opts.device)
        self.dtype = resolve_precision(opts.precision, self.device)
        content_w = layer_weights("content", opts.content_layers)
        style_w = layer_weights("style", opts.style_layers)
        net = load_vgg(list(content_w) + list(style_w), self.device, opts.pooling, opts.weights)
        weights = LossWeights(opts.content_weight, opts.style_weight, opts.tv_weight)
        blend = [1.0] if self.regions is not None else blend_weights(opts.style_blend, len(styles))
        self.loss = PerceptualLoss(net, content_w, style_w, weights=weights, blend=blend, dtype=self.dtype)
        self.schedule = scale_schedule(opts.size, opts.iterations, opts.multiscale, opts.start_size)
        self.plans = self.plan()
        self.generator = torch.Generator()  # its own: the caller's global random state is left alone
        if opts.seed is not None:
            self.generator.manual_seed(opts.seed)
        else:
            self.generator.seed()
        self.anchor: Optional[Objective] = None

    def plan(self) -> list[ScalePlan]:
        """Each scale's plan within the memory budget (whole image, or tiles when it would not fit)."""
        opts, device, content_w = self.opts, self.device, self.loss.content_layers
        budget = run_budget(device, opts.max_memory)
        halo, align = halo_and_align(list(content_w) + list(self.loss.style_layers))
        bpp = autograd_bytes_per_pixel(self.probe, device)
        # Content targets are kept in float32 at every content layer's resolution.
        fixed_bpp = sum(4 * channels(k) / stride(k) ** 2 for k in content_w)
        h, w = self.content.shape[1:]
        anchor = math.prod(fit_size(h, w, ANCHOR_SIZE))
        plans = [dataclasses.replace(
            plan_scale(*fit_size(h, w, size), budget=budget, autograd_bpp=bpp, fixed_bpp=fixed_bpp,
                       halo=halo, align=align, tile_size=opts.tile_size),
            anchor=anchor if len(self.schedule) > 1 and size > ANCHOR_SIZE else 0)
            for size, _ in self.schedule]
        for (size, _), plan in zip(self.schedule, plans):
            self.check_styles(size, budget, bpp / BACKWARD_FACTOR if plan.grid is None else STYLE_IMAGE_BPP)
        return plans

    def check_styles(self, long_side: int, budget: int, bpp: float) -> None:
        """A RestyleError when a style image at the scale whose long side is ``long_side`` would take more than
        ``budget`` (at ``bpp`` bytes per pixel: its features whole, or only its copies where it is tiled)."""
        style_long = max(1, round(long_side * self.opts.style_scale))
        for style in self.styles:
            h, w = fit_size(style.shape[1], style.shape[2], style_long)
            if h * w * bpp > budget:
                raise RestyleError(f"a style image at style_scale {self.opts.style_scale:g} would be {w}x{h} px, "
                                   f"needing about {h * w * bpp / GB:.1f} GB, more than the memory budget of "
                                   f"{budget / GB:.1f} GB; lower style_scale or size")

    def probe(self, image: torch.Tensor) -> torch.Tensor:
        """A forward pass like an evaluation's, reduced to a number (to measure its memory and time)."""
        feats = self.loss.features(image)
        guide = None if self.regions is None else self.regions.guide(tuple(image.shape[-2:]), image.device)
        return sum(gram(feats[k], guide and guide.at(k)).sum() for k in self.loss.style_layers) + \
            sum(feats[k].float().sum() for k in self.loss.content_layers)

    def calibration(self) -> list[tuple[float, float]]:
        """(cost, seconds) of a pass at the first two scales' sizes, timed on a GPU only: there small passes
        are bound by kernel launches, which the cost model cannot know; on a CPU time follows the pixels."""
        first = self.plans[:2]
        if self.device.type == "cpu" or len(first) < 2 or any(p.grid is not None for p in first):
            return []
        return list(zip((p.cost for p in first), pass_seconds(self.probe, [p.size for p in first], self.device)))

    def describe(self, log: Callable[[str], None]) -> None:
        """Log the device, precision and schedule, and each scale's plan where memory binds."""
        for note in self.notes:
            log(note)
        plan = " -> ".join(f"{s}px x {n}" for s, n in self.schedule)
        log(f"device {self.device.type}, precision {str(self.dtype).replace('torch.', '')}, "
            f"{'coarse-to-fine ' if len(self.schedule) > 1 else ''}schedule: {plan}")
        if any(p.grid is not None for p in self.plans) or self.opts.max_memory is not None:
            for p in self.plans:
                log(f"  {p.describe()}")

    def keep_memory(self):
        """Keep freed memory for reuse (``memory.keep_freed_memory``) where every scale fits the default budget
        whole, with a quarter to spare (it costs memory at the peak: up to 13% above the plan's estimate;
        docs/performance.md). Only where asked for (``keep_freed_memory``); never with a budget given or a scale
        in tiles, where the budget binds."""
        peak = int(1.25 * max(p.estimate for p in self.plans))
        fits = self.opts.keep_freed_memory and self.opts.max_memory is None and \
            all(p.grid is None for p in self.plans) and peak <= default_budget(self.device)
        return keep_freed_memory(self.device, peak) if fits else contextlib.nullcontext(False)

    def targets(self, long_side: int) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
        """(content, content target, style images) at a scale whose long side is ``long_side``."""
        opts = self.opts
        content = resize(self.content, fit_size(self.content.shape[1], self.content.shape[2], long_side))
        content = content.to(self.device)[None]
        style_long = max(1, round(long_side * opts.style_scale))
        styles = [resize(s, fit_size(s.shape[1], s.shape[2], style_long)).to(self.device)[None] for s in self.styles]
        styles = [_prepare_style(s, content, opts.preserve_color) for s in styles]
        target = color.luminance(content) if opts.preserve_color == "luminance" else content
        return content, target, styles

    def objective(self, plan: ScalePlan, target: torch.Tensor, styles: list[torch.Tensor]):
        """The scale's objective: whole image or tiles, plus the 512 px anchor at fine scales."""
        loss = self.guided(plan.size)
        if plan.grid is None:
            objective = Objective(loss.with_targets(target, styles), tuple(target.shape[-2:]))
        else:
            objective = TiledObjective(loss, target, styles, max_area=plan.max_area,
                                       max_core=self.opts.tile_size, seed=self.opts.seed)
        if plan.anchor:
            if self.anchor is None:  # the same for every fine scale: built once
                _, anchor_content, anchor_styles = self.targets(ANCHOR_SIZE)
                size = tuple(anchor_content.shape[-2:])
                self.anchor = Objective(self.guided(size).with_targets(anchor_content, anchor_styles), size)
            objective = Anchored(objective, self.anchor)
        return objective if self.temporal is None else self.held(objective, plan.size)

    def guided(self, size: tuple[int, int]) -> PerceptualLoss:
        """The run's loss for an image of ``size``: with the regions' guide at that size, where there are regions."""
        if self.regions is None:
            return self.loss
        return self.loss.with_targets(guide=self.regions.guide(size, self.device))

    def held(self, objective, size: tuple[int, int]) -> Held:
        """``objective`` tied to the last video frame (``temporal``), its image and mask at ``size``."""
        image, mask, weight = self.temporal
        image = resize(image, size).to(self.device)[None]
        if self.opts.preserve_color == "luminance":
            image = color.luminance(image)
        mask = resize(mask, size).clamp(0, 1).to(self.device)[None]
        return Held(objective, TemporalLoss(image, mask), weight)

    def start_image(self, x: Optional[torch.Tensor], size: tuple[int, int], target: torch.Tensor) -> torch.Tensor:
        """Where a scale starts: the last scale's result upsampled, else the init image, noise or the content."""
        if x is not None:
            return resize(x, size)
        if self.init is not None:
            start = resize(self.init, size).to(self.device)[None]
            return color.luminance(start) if self.opts.preserve_color == "luminance" else start
        if self.opts.init == "noise":
            return torch.rand((1, 3, *size), generator=self.generator).to(self.device)
        return target

    def iterate(self, cancel: Optional[threading.Event], timed: bool) -> Iterator[Progress]:
        """Every scale in turn, a ``Progress`` after each iteration; stops before the next when ``cancel`` is set."""
        clock = _Clock(self, timed)
        x = None
        for index, ((long_side, iterations), plan) in enumerate(zip(self.schedule, self.plans)):
            if cancel is not None and cancel.is_set():
                return
            content, target, styles = self.targets(long_side)
            objective = self.objective(plan, target, styles)
            del styles
            clock.setup_done(plan)
            x = self.start_image(x, plan.size, target).detach().clone().contiguous().requires_grad_(True)
            # Until this scale's first evaluation, its best image is the last scale's result (upsampled).
            best = _Best(fallback=x.detach() if index > 0 else None)
            kept = None if self.regions is None else self.regions.kept_weight(plan.size, self.device)
            image = functools.partial(_render, best, content=content, mode=self.opts.preserve_color, kept=kept)
            for it in self.run_scale(x, objective, scale=(index, iterations, plan.history), best=best):
                yield clock.tick((index, iterations, plan), best, image, it)
                if cancel is not None and cancel.is_set():
                    return
            del objective  # before the next scale's targets are made
            x = best.image if best.image is not None else x.detach()

    def run_scale(self, x: torch.Tensor, objective, *, scale: tuple[int, int, int], best: "_Best") -> Iterator[int]:
        """The optimizer's iterations at one scale (``scale``: its index, iterations and L-BFGS history), yielding
        the number of each one done."""
        index, iterations, history = scale
        optimizer = _optimizer(x, self.opts, history)
        closure = functools.partial(_evaluate, optimizer, objective, x=x, best=best)
        for it in range(1, iterations + 1):
            optimizer.step(closure)
            if self.opts.optimizer == "adam":
                with torch.no_grad():
                    x.clamp_(0, 1)
            if not best.finite:
                fp32 = "" if self.dtype == torch.float32 else "precision fp32, "
                raise NumericalError(f"the loss became {best.last_total} at scale {index + 1}, iteration {it}; "
                                     f"try {fp32}a smaller learning rate or smaller weights")
            yield it


class _Clock:
    """Counts the run's work (iterations weighted by their estimated cost, and each scale's set-up), times its
    iterations for the ETA, and makes each iteration's ``Progress``."""

    def __init__(self, run: _Run, timed: bool):
        self.run, self.timed = run, timed
        styles = len(run.styles)
        self.total = sum(p.cost * n + p.setup_cost(styles) for p, (_, n) in zip(run.plans, run.schedule))
        self.steps = sum(n for _, n in run.schedule)
        self.work, self.step = 0.0, 0
        calibration = run.calibration() if timed else []
        self.eta = Eta(run.plans, [n for _, n in run.schedule], styles, calibration)
        self.last = time.perf_counter()

    def setup_done(self, plan: ScalePlan) -> None:
        self.work += plan.setup_cost(len(self.run.styles))
        self.last = time.perf_counter()

    def tick(self, scale: tuple[int, int, ScalePlan], best: "_Best", image, it: int) -> Progress:
        """Count iteration ``it`` of a scale (its index, iterations and plan) done; its ``Progress``."""
        index, iterations, plan = scale
        self.step += 1
        self.work += plan.cost
        now = time.perf_counter()
        if self.timed:
            self.eta.iteration_took(index, now - self.last)
        self.last = now
        losses = dict(zip(("content", "style", "tv", "temporal"), best.last_terms))
        losses["total"] = sum(best.last_terms)
        return Progress(scale=index + 1, scales=len(self.run.schedule), size=plan.size, iteration=it,
                        iterations=iterations, tiles=plan.tiles, step=self.step, steps=self.steps,
                        fraction=self.work / self.total, losses=losses,
                        elapsed=now - self.run.start, eta=self.eta.remaining(index, it) if self.timed else None,
                        _render=image)


def _optimizer(x: torch.Tensor, opts: Options, history: int) -> Union[torch.optim.Adam, LBFGS]:
    lr = opts.learning_rate or (1.0 if opts.optimizer == "lbfgs" else 0.02)
    if opts.optimizer == "adam":
        return torch.optim.Adam([x], lr=lr)
    # One iteration per step() so that each can be reported, keeping its history between calls, and no tolerances:
    # the iterations asked for run rather than stopping on a plateau (torch.optim.LBFGS's, lbfgs.py).
    return LBFGS(x, lr=lr, history=history)


def _evaluate(optimizer: Union[torch.optim.Adam, LBFGS], objective, *, x: torch.Tensor,
              best: "_Best") -> torch.Tensor:
    """The optimizer's closure: loss and gradient at ``x``, recorded in ``best``."""
    optimizer.zero_grad(set_to_none=True)
    terms = objective.evaluate(x)
    values = terms.tolist()  # the one host sync per evaluation (L-BFGS needs the loss anyway)
    best.offer(sum(values), values, x)
    return terms.sum()


def _render(best: "_Best", content: torch.Tensor, mode: Optional[str],
            kept: Optional[torch.Tensor] = None) -> Image.Image:
    """A scale's best image so far as the user's image: with the content's chroma put back in luminance mode, and
    the photo itself where ``kept`` (1, 1, H, W) says (regions that keep it)."""
    out = best.image
    if mode == "luminance":
        out = color.combine_luminance(out, content)
    if kept is not None:
        out = out * (1 - kept) + content * kept
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
