"""Training a feed-forward style model on a folder of photos (Johnson et al. 2016, with instance norm).

A plain loop: each step takes a batch of random crops (``dataset.PhotoSet``), runs the style network,
and lowers restyle's own content, style (Gram) and total-variation losses, judged by the same VGG19, with
Adam. Checkpoints hold the weights (and their running mean, see ``average_last``), Adam's state and the
step; batches depend on (seed, step) alone, so a resumed run continues exactly as the uninterrupted one would.

Departures from Johnson et al.:
- The losses are restyle's relative errors (see ``core.losses``), each style image's Gram matrices taken at a
  fixed size (``style_size``), with the default layers of ``restyle stylize`` (content relu4_2, style
  relu1_1..relu5_1) so a model aims at what the optimizer aims at, and ``restyle score`` judges both alike.
- Scale jitter (each crop taken from the photo shrunk to a random size) and flips instead of a large data
  set: a few dozen photos then train a model that generalizes to photos it never saw.
- The saved model is the mean of the weights over the last quarter of the steps (stochastic weight averaging),
  not the last step's: Adam's constant step leaves the weights jittering, and the mean came closer to the
  painting in six of seven full runs (see ``TrainOptions.average_last``).

A margin (``margin``): each crop comes with that much of the photo around it, which the network paints and the loss
does not judge, so the network cannot tell where the judged crop ends and gains nothing by painting borders of its
own (VGG19's zero padding rewards a stripe along a picture's edges); the model then paints each photo framed by that
margin of reflection (``StyleModel``). With ``margin_shift`` the judged crop also moves about inside its window, so
its edges are not at a fixed distance from the network's own either.

Distillation (``distill_weight``, ``targets``): each crop also has the same crop of the optimizer's painting of its
photo, and the loss adds the result's relative error to it, in pixels and in VGG's content layers, so the network
learns what the optimizer makes of a photo, not only the statistics it aims at.

Several style images train one network of several styles (conditional instance norm, Dumoulin et al. 2017):
the crops of a step take the styles in turn (crop i of step t: style (t * batch + i) mod S), each crop judged
against its own style's Gram matrices, so every step trains every style's norms when the batch holds them all.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import torch

from .._version import __version__
from ..core.device import autocast, resolve_device, resolve_precision
from ..core.images import (
    ImageLike,
    check_not_input,
    fit_size,
    image_files,
    load_image,
    resize,
    save_image,
    source_name,
    to_pil,
    write_atomic,
)
from ..core.layers import layer_weights
from ..core.losses import LossWeights, PerceptualLoss, relative_sq_error
from ..core.memory import keep_freed_memory, out_of_memory_as_error
from ..core.settings import CONVERTERS
from ..core.vgg import load_vgg
from ..errors import NumericalError, RestyleError
from .dataset import PhotoSet, step_generator
from .modelfile import file_sha256, model_or_preset, model_record, read_model, save_model
from .network import MULTIPLE, NormStats, StyleNetwork, framed
from .noise import with_noise
from .options import TrainOptions
from .passes import with_coarse

CHECKPOINT = "checkpoint.pt"


@dataclass
class TrainProgress:
    """What the progress callback receives every few steps (and after the last)."""

    step: int
    """Steps done."""
    steps: int
    losses: dict[str, float]
    """Weighted loss terms (content, style, tv, total), averaged over the steps since the last report."""
    elapsed: float
    """Seconds of training in this run (not counting set-up or the steps of an earlier, resumed run)."""
    rate: float
    """Steps per second in this run."""
    start: int = 0
    """The step this run started at (above 0 when resumed)."""
    preview: Optional[Path] = None
    """The preview image written at this step, if any."""


def default_work_dir(output: Path) -> Path:
    """Where checkpoints and previews go: beside the model, named after it."""
    return output.with_name(output.stem + "-training")


def train(style: ImageLike | Sequence[ImageLike], photos: str | os.PathLike, output: str | os.PathLike,
          options: Optional[TrainOptions] = None, *, resume: bool = False,
          work_dir: Optional[str | os.PathLike] = None, preview: Optional[ImageLike] = None,
          callback: Optional[Callable[[TrainProgress], None]] = None,
          log: Optional[Callable[[str], None]] = None, save_dtype: torch.dtype = torch.float16,
          init: Optional[str | os.PathLike] = None, cancel: Optional[threading.Event] = None,
          targets: Optional[str | os.PathLike] = None, **overrides) -> Path:
    """Train a style model for ``style`` on the photos in the folder ``photos`` and save it to ``output``.

    A list of several style images trains one model of them all (a model of several styles: ``load_model``'s
    ``mix`` picks one or a mix), each style named by its file name. ``targets`` (with ``distill_weight`` above 0):
    a folder of each photo's painting by the optimizer (same path and name) that the model learns to reproduce
    too (distillation; ``dataset.PhotoSet``); for several styles, a folder holding such a folder for each style,
    named by the style.

    Checkpoints and preview images go to ``work_dir`` (default: OUTPUT's name + "-training" beside it);
    ``resume`` continues from the checkpoint there. ``preview`` is a photo to stylize every
    ``preview_every`` steps; by default one photo of the folder is held out of training for it (when
    the folder has two or more). ``init`` (a model file or a preset's name) starts from that model's weights
    instead of random ones, to train a model on (Adam starts afresh; the model records where it started).
    Returns the model's path. ``cancel`` (a ``threading.Event``, e.g. set from another thread) stops the run at
    the end of the current step: it writes a checkpoint (to resume from) and saves and returns the model so far,
    as a finished run does. Ctrl-C in the caller's program interrupts at once (the last checkpoint stays).
    """
    opts = dataclasses.replace(options or TrainOptions(), **overrides)
    for name in ("content_layers", "style_layers", "style_scales"):  # "relu1_1,relu2_1:0.5", "1,0.5" as typed
        if isinstance(getattr(opts, name), str):
            opts = dataclasses.replace(opts, **{name: CONVERTERS[name][0](getattr(opts, name))})
    opts.validate()
    say = log or (lambda m: None)
    out, work = _check_paths(Path(output), work_dir, resume)
    styles = list(style) if isinstance(style, (list, tuple)) else [style]
    check_not_input(out, styles + ([init] if init is not None else []))
    _check_distill(opts, targets)
    run = _Training(styles, photos, opts, preview=preview, init=init, say=say, targets=targets)
    run.start(work, resume)
    run.loop(callback, cancel)
    return run.save(out, save_dtype)


def _check_distill(opts: TrainOptions, targets) -> None:
    """A one-line RestyleError where distillation's weight and targets do not go together."""
    if opts.distill_weight > 0 and targets is None:
        raise RestyleError("distill_weight needs targets: a folder of the optimizer's paintings of the photos")
    if targets is not None and not opts.distill_weight > 0:
        raise RestyleError("targets are for distillation; give distill_weight above 0")


def _check_paths(out: Path, work_dir, resume: bool) -> tuple[Path, Path]:
    """(model file, work folder), refused before any work when they cannot be written or resumed from."""
    if out.suffix.lower() != ".safetensors":
        raise RestyleError(f"{out}: a model file must end in .safetensors")
    if out.is_dir():
        raise RestyleError(f"{out}: is a directory")
    if not (out.parent if str(out.parent) else Path(".")).is_dir():
        raise RestyleError(f"{out}: folder {out.parent} does not exist")
    work = Path(work_dir) if work_dir is not None else default_work_dir(out)
    if resume and not (work / CHECKPOINT).exists():
        raise RestyleError(f"{work / CHECKPOINT}: no checkpoint to resume from (train without resume first, or "
                           "give the same work folder)")
    return out, work


class _Training:
    """One training run: its photos, network, optimizer, loss and weight mean; ``loop`` trains, ``save`` writes."""

    def __init__(self, styles: list[ImageLike], photos, opts: TrainOptions, *, preview, init,
                 say: Callable[[str], None], targets=None):
        self.opts, self.say = opts, say
        init_net, self.init_info = _init_model(init) if init is not None else (None, None)
        self.style_imgs, self.style_names, self.style_hashes = _styles(styles, opts.max_pixels)
        self.style_hash = self.style_hashes[0] if len(styles) == 1 else \
            hashlib.sha256(" ".join(self.style_hashes).encode()).hexdigest()
        folders = None if targets is None else _target_folders(targets, self.style_names)
        self.data, preview_img = _photos(photos, opts, preview, say, targets=folders)
        self.device = resolve_device(opts.device)
        self.dtype = resolve_precision(opts.precision, self.device)
        self.seed = opts.seed if opts.seed is not None else int.from_bytes(os.urandom(4), "little") >> 1
        shape = (opts.width, opts.blocks, len(styles), opts.dilation)
        if init_net is not None and _shape_of(init_net) != shape:
            raise RestyleError(f"{self.init_info['file']}: its network has {_shape_words(*_shape_of(init_net))}, "
                               f"not {_shape_words(*shape)}; train on it with the same width, blocks and dilation "
                               "(and number of styles)")
        net = init_net.requires_grad_(True) if init_net is not None else StyleNetwork.seeded(self.seed, *shape)
        self.net = net.to(self.device, memory_format=torch.channels_last)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=opts.learning_rate)
        # The saved model may be the mean of the weights of the last steps: from step average_from on, each step's.
        self.average_from = opts.steps - round(opts.average_last * opts.steps) + 1
        self.averaged = _WeightMean(self.net) if self.average_from <= opts.steps else None
        self.averaged_from: Optional[int] = None  # the first step in ``averaged``; None while it is empty
        self.step = 0
        self.preview_x = _fit_multiple(preview_img, 512).to(self.device)[None]

    def start(self, work: Path, resume: bool) -> None:
        """Restore the checkpoint in ``work`` (``resume``), make the folder and the loss."""
        self.work, self.checkpoint_path = work, work / CHECKPOINT
        if resume:
            self.step, self.seed, self.init_info, self.averaged_from = _load_checkpoint(
                self.checkpoint_path, self)
            if self.step >= self.opts.steps:
                raise RestyleError(f"{self.checkpoint_path}: already at step {self.step}; give more steps to "
                                   "train on")
            self.say(f"resuming at step {self.step} of {self.opts.steps}")
        elif self.init_info is not None:
            steps, earlier = 0, self.init_info
            while earlier:  # a model trained on from another counts that one's steps too
                steps, earlier = steps + earlier.get("steps", 0), earlier.get("init")
            self.say(f"starting from {self.init_info['file']} (trained {steps} steps in all on "
                     f"{self.init_info.get('style_name', 'an unnamed style')})")
        try:
            work.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise RestyleError(f"{work}: cannot create the training folder ({e.strerror})") from None
        self.loss = self._loss()
        o = self.opts
        self.say(f"device {self.device.type}, precision {str(self.dtype).replace('torch.', '')}, {o.steps} steps "
                 f"of {o.batch_size} crops of {o.crop_size} px, seed {self.seed}; checkpoints and previews in {work}")

    def _loss(self) -> PerceptualLoss:
        """The perceptual loss with the style's Gram matrices taken at ``style_size`` (and that times each of
        ``style_scales``)."""
        o = self.opts
        content_w, style_w = layer_weights("content", o.content_layers), layer_weights("style", o.style_layers)
        vgg = load_vgg(list(content_w) + list(style_w), self.device)
        loss = PerceptualLoss(vgg, content_w, style_w, LossWeights(o.content_weight, o.style_weight, o.tv_weight),
                              dtype=self.dtype, style_scales=o.style_scales)
        sized = [resize(s, fit_size(s.shape[1], s.shape[2], o.style_size))[None].to(self.device)
                 for s in self.style_imgs]
        return loss.with_targets(styles=sized, each_style=len(sized) > 1)

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The weighted terms and their total for a batch of crops ``x``, each crop its own content target (and, for
        distillation, x's channels 3-5 its target image); with a margin, of the crops within it."""
        which = self._which(len(x))
        with autocast(self.device, self.dtype):
            y = self.painted(x[:, :3], None if which is None else NormStats(self._one_hot(which)),
                             noise=step_generator(self.seed, self.step, stream=2))
        if self.opts.margin:  # the loss judges the crop, not the margin around it
            x, y = self._judged(x, y)
        x, painted = (x[:, :3], x[:, 3:]) if x.shape[1] == 6 else (x, None)
        with torch.no_grad():
            # The photos' targets need the content layers only (relu4_2 by default), so this pass stops there.
            target = self.loss.features(x, list(self.loss.content_layers))
        feats = self.loss.features(y)
        content, style, tv = self.loss.terms(y, feats, content_target=target, which=which).unbind()
        terms = {"content": content, "style": style, "tv": tv, "total": content + style + tv}
        if painted is not None:
            terms["distill"] = self._distill(y, feats, painted)
            terms["total"] = terms["total"] + terms["distill"]
        return terms

    def _judged(self, *windows: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The crops the loss judges, cut alike from each of ``windows`` (the photos', their paintings): each
        window's middle, or with ``margin_shift`` each crop moved by up to that many px each way, drawn per crop
        from the run's seed and step."""
        m, shift, c = self.opts.margin, self.opts.margin_shift, self.opts.crop_size
        if not shift:
            return tuple(w[..., m:-m, m:-m] for w in windows)
        at = (m + torch.randint(-shift, shift + 1, (len(windows[0]), 2), generator=step_generator(
            self.seed, self.step, stream=1))).tolist()
        return tuple(torch.stack([w[i, :, top:top + c, left:left + c] for i, (top, left) in enumerate(at)])
                     for w in windows)

    def painted(self, x: torch.Tensor, stats: Optional[NormStats] = None,
                noise: Optional[torch.Generator] = None) -> torch.Tensor:
        """The network's painting of ``x``: one pass, or two with ``coarse``, after the ``noise`` setting's noise (drawn
        from the ``noise`` generator; without one, the fixed pattern), as ``StyleModel`` applies it."""
        x = with_noise(x, self.opts.noise, noise)
        if not self.opts.coarse:
            return self.net(x, stats)
        return self.net(with_coarse(x, self.opts.coarse, lambda half: self.net(half, stats)), stats)

    def _distill(self, y: torch.Tensor, feats: dict[str, torch.Tensor], painted: torch.Tensor) -> torch.Tensor:
        """Distillation's weighted term: y's relative error to the optimizer's ``painted`` crops, in pixels and in
        the content layers (as the content term measures it to the photo)."""
        with torch.no_grad():
            target = self.loss.features(painted, list(self.loss.content_layers))
        error = self.loss.content_term(feats, target) + relative_sq_error(y.float(), painted.float())
        return self.opts.distill_weight * error

    def _which(self, n: int) -> Optional[torch.Tensor]:
        """Each of this step's ``n`` crops' style (crop i: style (step * n + i) mod S); None for one style."""
        styles = self._styles_of(n)
        return None if styles is None else torch.tensor(styles, device=self.device)

    def _styles_of(self, n: int) -> Optional[list[int]]:
        """``_which`` as a list on the host (the crops' targets are cut there); None for one style."""
        count = len(self.style_names)
        return None if count == 1 else [(self.step * n + i) % count for i in range(n)]

    def _one_hot(self, which: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.one_hot(which, len(self.style_names)).float()

    def loop(self, callback: Optional[Callable[[TrainProgress], None]], cancel: Optional[threading.Event]) -> None:
        """Train to ``steps`` or until ``cancel`` is set, reporting every 10 steps, with checkpoints."""
        report, cancelled = _Reports(self.step, callback), cancel.is_set if cancel is not None else (lambda: False)
        peak = _peak_memory(self.opts)
        self.net.train()
        keep = keep_freed_memory(self.device, peak) if self.opts.keep_freed_memory else contextlib.nullcontext(False)
        with out_of_memory_as_error(), keep as kept:
            if kept:
                self.say(f"keeping freed memory for reuse (glibc): faster steps, up to about {peak / 1e9:.1f} GB")
            while self.step < self.opts.steps:
                terms = self.train_step()
                shot = self.write_preview(self.step) if self._preview_due() else None
                self.values = report.add(self.step, self.opts.steps, terms, now=cancelled() or shot is not None,
                                         shot=shot)
                stop = cancelled()  # (the callback may have set it just now)
                if self.step % self.opts.checkpoint_every == 0 or self.step == self.opts.steps or stop:
                    self.checkpoint()
                if stop:
                    self.say(f"cancelled at step {self.step} of {self.opts.steps}")
                    return

    def train_step(self) -> dict[str, torch.Tensor]:
        """One Adam step on the step's batch, the weight mean updated; the terms, not synced to the host."""
        n = self.opts.batch_size
        x = self.data.batch(n, self.step, self.seed, self._styles_of(n)).to(self.device, non_blocking=True)
        terms = self.losses(x.contiguous(memory_format=torch.channels_last))
        self.optimizer.zero_grad(set_to_none=True)
        terms["total"].backward()
        self.optimizer.step()
        self.step += 1
        if self.averaged is not None and self.step >= self.average_from:
            self.averaged_from = self.averaged_from or self.step
            self.averaged.add(self.net, self.step - self.averaged_from + 1)
        return terms

    def _preview_due(self) -> bool:
        # (the last step's preview shows the saved model, so it waits for the averaged weights)
        every = self.opts.preview_every
        return bool(every and self.step % every == 0 and not (self.averaged_from and self.step == self.opts.steps))

    def write_preview(self, step: int) -> Path:
        self.net.eval()
        count = len(self.style_names)
        mixes = [None] if count == 1 else [NormStats(self._one_hot(torch.tensor([i], device=self.device)))
                                          for i in range(count)]
        m, (h, w) = self.opts.margin, self.preview_x.shape[-2:]
        x = framed(self.preview_x, m)  # painted with the margin, as the model will paint
        with torch.no_grad(), autocast(self.device, self.dtype):  # each style's painting, side by side
            img = to_pil(torch.cat([self.painted(x, mix).float()[0, :, m:m + h, m:m + w] for mix in mixes], dim=-1))
        self.net.train()
        return save_image(img, self.work / f"preview-{step:06d}.jpg")

    def checkpoint(self) -> None:
        average = None if self.averaged_from is None else {"from": self.averaged_from,
                                                           "model": self.averaged.state_dict()}
        blob = {"format": 1, "step": self.step, "seed": self.seed, "model": self.net.state_dict(),
                "optimizer": self.optimizer.state_dict(), "settings": _settings(self.opts),
                "style_sha256": self.style_hash, "photos": self.data.names, "init": self.init_info,
                "average": average}
        write_atomic(self.checkpoint_path, lambda f: torch.save(blob, f))

    def save(self, out: Path, dtype: torch.dtype) -> Path:
        """Write the model (the weights' mean where averaged), its last preview and its metadata."""
        if len(self.style_names) == 1:
            meta = {"style_name": self.style_names[0], "style_sha256": self.style_hash}
        else:
            meta = {"styles": [{"name": n, "sha256": h} for n, h in zip(self.style_names, self.style_hashes)]}
        meta |= {"seed": self.seed, "photos": len(self.data), "restyle_version": __version__,
                 "settings": _settings(self.opts)}
        if self.init_info is not None:
            meta["init"] = self.init_info
        if self.averaged_from is not None:
            self.averaged.copy_to(self.net)
            meta["averaged_steps"] = [self.averaged_from, self.step]
            self.say(f"the model is the mean of the weights of steps {self.averaged_from}-{self.step}")
        every = self.opts.preview_every
        if self.averaged_from is not None or not (every and self.step % every == 0):
            self.write_preview(self.step)
        meta["steps"] = self.step
        meta["final_losses"] = self.values
        return save_model(self.net, out, meta, dtype=dtype)


class _Reports:
    """Sums the loss terms between reports and calls the callback every 10 steps (and when asked to)."""

    EVERY = 10

    def __init__(self, start: int, callback: Optional[Callable[[TrainProgress], None]]):
        self.start, self.callback = start, callback
        self.sums: dict[str, torch.Tensor] = {}
        self.since = 0
        self.t0 = time.perf_counter()
        self.values: dict[str, float] = {}

    def add(self, step: int, steps: int, terms: dict[str, torch.Tensor], *, now: bool, shot: Optional[Path]):
        """Take in a step's terms; at a report, the averages since the last (one host-device sync)."""
        self.since += 1
        for k, v in terms.items():
            self.sums[k] = self.sums.get(k, 0) + v.detach()
        if not (step % self.EVERY == 0 or step == steps or now):
            return self.values
        self.values = {k: float(v) / self.since for k, v in self.sums.items()}
        self.sums, self.since = {}, 0
        if not all(v == v and abs(v) != float("inf") for v in self.values.values()):
            raise NumericalError(f"the loss became {self.values['total']} at step {step}; "
                                 "lower the learning rate or the loss weights")
        if self.callback:
            elapsed = time.perf_counter() - self.t0
            self.callback(TrainProgress(step=step, steps=steps, losses=self.values, elapsed=elapsed,
                                        rate=(step - self.start) / elapsed, start=self.start, preview=shot))
        return self.values


def _shape_of(net: StyleNetwork) -> tuple[int, int, int, int]:
    """The network's width, blocks, styles and dilation, in the order ``StyleNetwork.seeded`` takes them."""
    return net.width, net.blocks, net.styles, net.dilation


def _shape_words(width: int, blocks: int, styles: int = 1, dilation: int = 1) -> str:
    return f"width {width} and {blocks} blocks" + (f" dilated up to {dilation}" if dilation > 1 else "") + \
        (f" for {styles} styles" if styles > 1 else "")


def _styles(styles: list[ImageLike], max_pixels: int) -> tuple[list[torch.Tensor], list[str], list[str]]:
    """The style images, their names (file names; "style", or "style1"... of several, for images in memory) and
    their SHA-256 (of the file, or of the pixels); refused where two share a name or there are over 1024."""
    if not 1 <= len(styles) <= 1024:
        raise RestyleError(f"give 1 to 1024 style images, not {len(styles)}")
    images, names, hashes = [], [], []
    for i, style in enumerate(styles):
        img = load_image(style, max_pixels, name=source_name(style, "style"))
        is_file = isinstance(style, (str, os.PathLike))
        names.append(Path(style).stem if is_file else "style" if len(styles) == 1 else f"style{i + 1}")
        hashes.append(file_sha256(style) if is_file else hashlib.sha256(img.numpy().tobytes()).hexdigest())
        images.append(img)
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise RestyleError(f"two style images are named {twice[0]!r}: each style of a model is named by its file "
                           "name, so rename one")
    return images, names, hashes


def _target_folders(targets, names: list[str]) -> list[Path]:
    """The distillation targets' folder of each style: ``targets`` itself for one style, else its subfolder named
    by each style; a missing one is refused."""
    if len(names) == 1:
        return [Path(targets)]
    missing = [n for n in names if not (Path(targets) / n).is_dir()]
    if missing:
        raise RestyleError(f"{targets}: no folder named {missing[0]} (a model of several styles distils from a "
                           "folder of each style's targets, named by the style)")
    return [Path(targets) / n for n in names]


def _photos(photos, opts: TrainOptions, preview, say, targets=None) -> tuple[PhotoSet, torch.Tensor]:
    """The training photos (with their ``targets``, for distillation) and the preview photo: ``preview``, else one
    photo of the folder held out (none where it is unreadable or the only readable one: then a training photo)."""
    held_out: tuple[Path, ...] = (Path(preview),) if isinstance(preview, (str, os.PathLike)) else ()
    preview_img = load_image(preview, opts.max_pixels, name=source_name(preview, "preview")) \
        if preview is not None else None
    files = image_files(photos, recursive=True) if preview is None else []
    if len(files) >= 2:
        middle = files[len(files) // 2]
        with contextlib.suppress(RestyleError):  # (an unreadable file is skipped below, with a warning)
            preview_img, held_out = load_image(middle, opts.max_pixels), (middle,)
    load = functools.partial(PhotoSet, photos, opts.crop_size, max_pixels=opts.max_pixels, targets=targets,
                             warn=lambda m: say(f"warning: {m}"), margin=opts.margin)
    try:
        data = load(exclude=held_out)
    except RestyleError:
        if preview is not None or not held_out:
            raise
        data, held_out = load(warn=None), ()  # the held-out photo is the only readable one: trained on too
    if preview_img is None:
        preview_img = data.images[0].float() / 255
    say(f"{len(data)} photos to train on" + (f" ({data.skipped} unreadable, skipped)" if data.skipped else "")
        + (f"; previews on held-out {Path(held_out[0]).name}" if held_out else ""))
    return data, preview_img


def _peak_memory(opts: TrainOptions) -> int:
    """Bytes a CPU training run may take at its peak with freed memory kept for reuse (``keep_freed_memory``).

    Above every peak measured (docs/training-trials.md): the fixed part is 1.2 GB, since small runs measured in the test
    suite's subprocess peaked at 0.94 to 1.46 GB (batch 4 of 128 px), over the 1 GB taken before.
    """
    return int(1.2e9 + 5.3e3 * opts.batch_size * (opts.crop_size + 2 * opts.margin) ** 2)


def _settings(opts: TrainOptions) -> dict:
    d = dataclasses.asdict(opts)
    for k in ("device", "max_pixels", "checkpoint_every", "preview_every", "seed"):
        d.pop(k)
    return d


def _fit_multiple(image: torch.Tensor, long_side: int) -> torch.Tensor:
    """``image`` shrunk to at most ``long_side`` and cropped to multiples of 4 (for previews)."""
    h, w = image.shape[1:]
    if max(h, w) > long_side:
        image = resize(image, fit_size(h, w, long_side))
        h, w = image.shape[1:]
    return image[:, : max(MULTIPLE, h // MULTIPLE * MULTIPLE), : max(MULTIPLE, w // MULTIPLE * MULTIPLE)]


def _init_model(source: str | os.PathLike) -> tuple[StyleNetwork, dict]:
    """The network to start from and what the new model records of it: file name, hash, style, steps, settings
    (and, for a model that was itself trained on from another, that one's record too)."""
    path = model_or_preset(source)
    net, meta = read_model(path)
    return net, model_record(path, meta)


def _load_checkpoint(path: Path, run: "_Training") -> tuple[int, int, Optional[dict], Optional[int]]:
    """Restore ``run``'s weights, Adam's state and the weights' running mean from ``path``; return (step, seed,
    the record of the model the run started from, the first step in the mean or None). Refuses a different run's.

    A run resumed with other ``steps`` or ``average_last`` keeps the checkpoint's mean only if it started
    within the new window of steps to average; otherwise the mean starts afresh (at the window, or at once)."""
    net, optimizer, averaged, init_info = run.net, run.optimizer, run.averaged, run.init_info
    opts, style_hash, photos = run.opts, run.style_hash, run.data.names
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        if blob.get("format") != 1:
            raise ValueError
    except Exception:
        raise RestyleError(f"{path}: not a restyle training checkpoint") from None
    if blob["style_sha256"] != style_hash:
        raise RestyleError(f"{path}: was trained on another style image; give the same STYLE to resume")
    saved, now, default = blob["settings"], _settings(opts), _settings(TrainOptions())
    changed = [k for k in TrainOptions._RESUME_KEYS  # (a setting older checkpoints lack had its default)
               if json.dumps(saved.get(k, default[k])) != json.dumps(now.get(k))]
    if changed:
        raise RestyleError(f"{path}: {changed[0]} differs from the checkpoint's "
                           f"({saved.get(changed[0])}); resume with the same settings")
    if blob["photos"] != photos:
        raise RestyleError(f"{path}: the photos folder changed since the checkpoint ({len(blob['photos'])} photos "
                           f"then, {len(photos)} now); resume needs the same photos")
    if opts.seed is not None and opts.seed != blob["seed"]:
        raise RestyleError(f"{path}: was trained with seed {blob['seed']}; resume with that seed or none")
    started = blob.get("init")
    if init_info is not None and (started or {}).get("sha256") != init_info["sha256"]:
        raise RestyleError(f"{path}: that run started from {started['file'] if started else 'random weights'}, "
                           f"not {init_info['file']}; resume without init or with the same one")
    mean = blob.get("average")
    keep_mean = averaged is not None and mean is not None and mean["from"] >= run.average_from
    try:
        net.load_state_dict(blob["model"])
        optimizer.load_state_dict(blob["optimizer"])
        if keep_mean:  # (its count is the number of steps from mean["from"] to the checkpoint's)
            averaged.load_state_dict(mean["model"])
    except (KeyError, RuntimeError, ValueError):
        raise RestyleError(f"{path}: does not fit this version of restyle's network; train afresh") from None
    return int(blob["step"]), int(blob["seed"]), started, int(mean["from"]) if keep_mean else None


class _WeightMean:
    """The running mean of a network's weights, each step's counted equally (stochastic weight averaging).

    Not torch's ``AveragedModel``: that keeps its count in a tensor on the CPU and copies it to the GPU at each
    update, a blocking copy, so every averaged step would wait for the GPU; here the count is the caller's
    Python int, and an update is one fused multiply-add over all the weights, queued like the rest of the step.
    """

    def __init__(self, net: torch.nn.Module):
        self.names = [name for name, _ in net.named_parameters()]
        self.mean = [p.detach().clone() for p in net.parameters()]

    def add(self, net: torch.nn.Module, count: int) -> None:
        """Take in the weights of the ``count``-th step averaged (1: the mean becomes these weights)."""
        weights = [p.detach() for p in net.parameters()]
        if count == 1:
            for m, w in zip(self.mean, weights):
                m.copy_(w)
        else:
            torch._foreach_lerp_(self.mean, weights, 1.0 / count)

    def copy_to(self, net: torch.nn.Module) -> None:
        with torch.no_grad():
            for p, m in zip(net.parameters(), self.mean):
                p.copy_(m)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return dict(zip(self.names, self.mean))

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        with torch.no_grad():
            for name, m in zip(self.names, self.mean):
                m.copy_(state[name])
