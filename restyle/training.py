"""Training a feed-forward style model on a folder of photos (Johnson et al. 2016, with instance norm).

A plain loop: each step takes a batch of random crops (``photos.PhotoSet``), runs the transformer network,
and lowers restyle's own content, style (Gram) and total-variation losses, judged by the same VGG19, with
Adam. Checkpoints hold the weights (and their running mean, see ``average_last``), Adam's state and the
step; batches depend on (seed, step) alone, so a resumed run continues exactly as the uninterrupted one would.

Departures from Johnson et al.:
- The losses are restyle's relative errors (see ``losses``), each style image's Gram matrices taken at a
  fixed size (``style_size``), with the default layers of ``restyle stylize`` (content relu4_2, style
  relu1_1..relu5_1) so a model aims at what the optimizer aims at, and ``restyle score`` judges both alike.
- Scale jitter (each crop taken from the photo shrunk to a random size) and flips instead of a large data
  set: a few dozen photos then train a model that generalizes to photos it never saw.
- The saved model is the mean of the weights over the last quarter of the steps (stochastic weight averaging),
  not the last step's: Adam's constant step leaves the weights jittering, and the mean came closer to the
  painting in six of seven full runs (see ``TrainOptions.average_last``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import torch

from . import __version__
from .device import autocast, keep_freed_memory, resolve_device, resolve_precision
from .errors import Interrupted, NumericalError, RestyleError
from .images import (DEFAULT_MAX_PIXELS, ImageLike, fit_size, load_image, resize, save_image, source_name, to_pil,
                     write_atomic)
from .losses import StyleLoss, TVLoss, gram, relative_sq_error
from .options import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, layer_weights, parse_layers
from .photos import PhotoSet, image_files
from .stylemodel import file_sha256, model_or_preset, read_model, save_model
from .transformer import MULTIPLE, TransformerNet
from .vgg import VGG19Features, load_weights

CHECKPOINT = "checkpoint.pt"


@dataclass(frozen=True)
class TrainOptions:
    """Settings of one training run (defaults: those of the newest presets; each model's metadata records its own)."""

    steps: int = 2000
    batch_size: int = 8
    """Crops per step. 8 of 384 px against 4 (H100, 2000 steps, three held-out photos): the Great Wave came
    closer to the painting and to the photos (style 1.95x the optimizer's against 2.11x, content 1.12 against
    1.14), the Starry Night as close to the painting (2.34x against 2.32x) and closer to the photos (0.97
    against 1.03). Twice the compute of batch 4: on a 2-core CPU 5.3-5.5 s a step and 6.9 GB peak memory
    (batch 4: 3.0 s, 3.7 GB), freed memory kept for reuse (see ``device.keep_freed_memory``)."""
    crop_size: int = 384
    """Side of the square random crops, in pixels (a multiple of 4). 256 px crops of a painting are far from
    its whole-image Gram statistics (0.13 by ``restyle score`` for the Starry Night; 384 px crops: 0.025), so
    with them the network learnt strokes rather than the painting's larger structures (swirls, stars, waves)."""
    learning_rate: float = 1e-3
    """Adam's step size, constant (see ``average_last``). Training a finished model on at a fifth of it
    (``init``, batch 8, 2-core CPU) took an earlier starry_night preset from 2.39x the optimizer's style distance to
    2.14x in 250 steps, but 300 more steps the same way from there scored 2.09x to 2.32x at its checkpoints,
    and the Scream 1.99x to 2.07x from 2.01x: within the noise between checkpoints, not a lever found."""
    content_weight: float = 1.0
    style_weight: float = 10.0
    """On an H100 (four presets, three held-out photos; benchmarks/results/presets-quality-*.md) the style
    distance to the painting was 2.1-5.3x the optimizer's (mean 3.1x) with 256 px crops at weight 5, 1.5-3.0x
    (mean 2.1x) with 384 px crops (batch 4) at 10, 1.1-2.4x (mean 1.8x) at 15, where the Great Wave drowned the
    photos' towns. 384 px crops at weight 5 alone kept more of the photos and were further from the style (3.7x).
    With batch 8 and the weights averaged (H200, 2026-11-28): 1.9-2.0x at 10 for three paintings; the Starry Night,
    2.34x at 10 before averaging, 1.78x at 12.5 and 1.65x at 15 (its preset uses 12.5)."""
    tv_weight: float = 10.0
    content_layers: dict = field(default_factory=lambda: dict(DEFAULT_CONTENT_LAYERS))
    style_layers: dict = field(default_factory=lambda: dict(DEFAULT_STYLE_LAYERS))
    style_size: int = 512
    """Long side the style image is shrunk to before its Gram matrices are taken."""
    seed: Optional[int] = None
    """None: a random seed, recorded in the checkpoint and the model."""
    device: str = "auto"
    precision: str = "auto"
    average_last: float = 0.25
    """The fraction of the steps, at the end, whose weights are averaged (every step's, equally) into the saved
    model: stochastic weight averaging (Izmailov et al. 2018); 0 saves the last step's weights. With Adam's
    constant step the weights keep jittering: on a 2-core CPU, judged on three held-out photos, checkpoints of
    one run 50 steps apart differed by up to 7% in style distance (the Starry Night). Seven runs of 2000 steps
    from scratch (H200, batch 8, four paintings, style weights 10 to 15; benchmarks/results/
    presets-quality-cpu-2026-11-28-averaged.md): the mean of the last quarter came 2.4% to 20% closer to the
    painting than the last step in six, 2% further in the seventh (the Great Wave), and 0-4% further from the
    photo; two runs differing only in their seed scored 1.91x and 2.20x the optimizer's style distance at their
    last step, 1.65x and 1.76x averaged. In short runs that are still improving the mean lags: the quick CPU
    recipe (600 steps) scored 6.33x against 6.36x (the Starry Night) but 4.55x against 4.27x (the Great Wave)."""
    checkpoint_every: int = 500
    preview_every: int = 250
    """Steps between preview images (0: only at the end)."""
    max_pixels: int = DEFAULT_MAX_PIXELS

    def validate(self) -> None:
        for name in ("steps", "batch_size", "crop_size", "style_size", "checkpoint_every"):
            if not (isinstance(getattr(self, name), int) and getattr(self, name) > 0):
                raise RestyleError(f"{name.replace('_', '-')} must be a positive whole number, got {getattr(self, name)!r}")
        if self.crop_size % MULTIPLE or self.crop_size < 16:
            raise RestyleError(f"crop-size must be a multiple of {MULTIPLE} and at least 16, got {self.crop_size}")
        if not 0 <= self.average_last < 1:
            raise RestyleError(f"average-last must be a fraction of the steps, >= 0 and below 1, got {self.average_last}")
        if not self.learning_rate > 0:
            raise RestyleError(f"learning-rate must be positive, got {self.learning_rate}")
        for name in ("content_weight", "style_weight", "tv_weight", "preview_every"):
            if not getattr(self, name) >= 0:
                raise RestyleError(f"{name.replace('_', '-')} must be >= 0, got {getattr(self, name)}")
        layer_weights("content", self.content_layers)
        layer_weights("style", self.style_layers)

    # Settings that a resumed run must share with the checkpoint (the others may change).
    _RESUME_KEYS = ("batch_size", "crop_size", "learning_rate", "content_weight", "style_weight", "tv_weight",
                    "content_layers", "style_layers", "style_size")


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


def train(style: ImageLike, photos: str | os.PathLike, output: str | os.PathLike,
          options: Optional[TrainOptions] = None, *, resume: bool = False,
          work_dir: Optional[str | os.PathLike] = None, preview: Optional[ImageLike] = None,
          callback: Optional[Callable[[TrainProgress], None]] = None,
          log: Optional[Callable[[str], None]] = None, save_dtype: torch.dtype = torch.float16,
          init: Optional[str | os.PathLike] = None, **overrides) -> Path:
    """Train a style model for ``style`` on the photos in the folder ``photos`` and save it to ``output``.

    Checkpoints and preview images go to ``work_dir`` (default: OUTPUT's name + "-training" beside it);
    ``resume`` continues from the checkpoint there. ``preview`` is a photo to stylize every
    ``preview_every`` steps; by default one photo of the folder is held out of training for it (when
    the folder has two or more). ``init`` (a model file or a preset's name) starts from that model's weights
    instead of random ones, to train a model on (Adam starts afresh; the model records where it started).
    Returns the model's path. Ctrl-C finishes the current step, writes a checkpoint and raises ``Interrupted``.
    """
    opts = dataclasses.replace(options or TrainOptions(), **overrides)
    if isinstance(opts.content_layers, str):
        opts = dataclasses.replace(opts, content_layers=parse_layers(opts.content_layers))
    if isinstance(opts.style_layers, str):
        opts = dataclasses.replace(opts, style_layers=parse_layers(opts.style_layers))
    opts.validate()
    say = log or (lambda m: None)
    out = Path(output)
    if out.suffix.lower() != ".safetensors":
        raise RestyleError(f"{out}: a model file must end in .safetensors")
    if out.is_dir():
        raise RestyleError(f"{out}: is a directory")
    if not (out.parent if str(out.parent) else Path(".")).is_dir():
        raise RestyleError(f"{out}: folder {out.parent} does not exist")
    work = Path(work_dir) if work_dir is not None else default_work_dir(out)
    if resume and not (work / CHECKPOINT).exists():
        raise RestyleError(f"{work / CHECKPOINT}: no checkpoint to resume from (train without --resume first, or "
                           "give the same --work-dir)")

    init_net, init_info = _init_model(init) if init is not None else (None, None)
    style_img = load_image(style, opts.max_pixels, name=source_name(style, "style"))
    style_name = Path(style).stem if isinstance(style, (str, os.PathLike)) else "style"
    style_hash = file_sha256(style) if isinstance(style, (str, os.PathLike)) else \
        hashlib.sha256(style_img.numpy().tobytes()).hexdigest()

    held_out: tuple[Path, ...] = (Path(preview),) if isinstance(preview, (str, os.PathLike)) else ()
    if preview is None:
        files = image_files(photos, recursive=True)
        if len(files) >= 2:
            preview = files[len(files) // 2]
            held_out = (preview,)
    preview_img = load_image(preview, opts.max_pixels, name=source_name(preview, "preview")) \
        if preview is not None else None
    data = PhotoSet(photos, opts.crop_size, exclude=held_out, max_pixels=opts.max_pixels,
                    warn=lambda m: say(f"warning: {m}"))
    if preview_img is None:
        preview_img = data.images[0].float() / 255
    say(f"{len(data)} photos to train on" + (f" ({data.skipped} unreadable, skipped)" if data.skipped else "")
        + (f"; previews on held-out {Path(held_out[0]).name}" if held_out else ""))

    device = resolve_device(opts.device)
    dtype = resolve_precision(opts.precision, device)
    seed = opts.seed if opts.seed is not None else int.from_bytes(os.urandom(4), "little") >> 1
    torch.manual_seed(seed)  # the initial weights
    net = init_net.requires_grad_(True) if init_net is not None else TransformerNet()
    net = net.to(device, memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(net.parameters(), lr=opts.learning_rate)
    # The saved model may be the mean of the weights of the last steps: from step average_from on, each step's.
    average_from = opts.steps - round(opts.average_last * opts.steps) + 1
    averaged = _WeightMean(net) if average_from <= opts.steps else None
    averaged_from: Optional[int] = None  # the first step in ``averaged``; None while it is empty
    start = 0
    checkpoint_path = work / CHECKPOINT
    if resume:
        start, seed, init_info, averaged_from = _load_checkpoint(checkpoint_path, net, optimizer, opts, style_hash,
                                                                 data.names, init_info, averaged, average_from)
        if start >= opts.steps:
            raise RestyleError(f"{checkpoint_path}: already at step {start}; give --steps above that to train on")
        say(f"resuming at step {start} of {opts.steps}")
    elif init_info is not None:
        steps, earlier = 0, init_info
        while earlier:  # a model trained on from another counts that one's steps too
            steps, earlier = steps + earlier.get("steps", 0), earlier.get("init")
        say(f"starting from {init_info['file']} (trained {steps} steps in all on "
            f"{init_info.get('style_name', 'an unnamed style')})")
    try:
        work.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RestyleError(f"{work}: cannot create the training folder ({e.strerror})") from None

    content_w = layer_weights("content", opts.content_layers)
    content_taps = list(content_w)
    style_w = layer_weights("style", opts.style_layers)
    state, caffe = load_weights()
    vgg = VGG19Features(state, content_taps + list(style_w), "max", caffe)
    vgg = vgg.to(device, memory_format=torch.channels_last)
    with torch.no_grad(), autocast(device, dtype):
        s = resize(style_img, fit_size(style_img.shape[1], style_img.shape[2], opts.style_size))
        feats = vgg(s[None].to(device).contiguous(memory_format=torch.channels_last))
        style_losses = {k: StyleLoss(gram(feats[k])) for k in style_w}
    tv = TVLoss()
    say(f"device {device.type}, precision {str(dtype).replace('torch.', '')}, {opts.steps} steps of "
        f"{opts.batch_size} crops of {opts.crop_size} px, seed {seed}; checkpoints and previews in {work}")

    def losses(x: torch.Tensor) -> dict[str, torch.Tensor]:
        with autocast(device, dtype):
            y = net(x)
            with torch.no_grad():
                # The photos' targets need the content layers only (relu4_2 by default), so this pass skips
                # conv4_3 to conv5_1, 23% of its convolution work but only 2% of a step on a 2-core CPU
                # (3.73 s against 3.79 s, batch 8 of 256 px): the result's pass and the backward dominate.
                target = vgg(x, taps=content_taps)
            feats = vgg(y)
        n = x.shape[0]
        content = sum(w * relative_sq_error(feats[k].float(), target[k].float()) for k, w in content_w.items())
        style = sum(w * style_losses[k].of_gram(gram(feats[k])) / n for k, w in style_w.items())
        terms = {"content": opts.content_weight * content, "style": opts.style_weight * style,
                 "tv": opts.tv_weight * tv(y)}
        terms["total"] = terms["content"] + terms["style"] + terms["tv"]
        return terms

    meta = {"style_name": style_name, "style_sha256": style_hash, "seed": seed, "photos": len(data),
            "restyle_version": __version__, "settings": _settings(opts)}
    if init_info is not None:
        meta["init"] = init_info

    preview_x = _fit_multiple(preview_img, 512).to(device)[None]

    def write_preview(step: int) -> Path:
        net.eval()
        with torch.no_grad(), autocast(device, dtype):
            img = to_pil(net(preview_x).float()[0])
        net.train()
        return save_image(img, work / f"preview-{step:06d}.jpg")

    def checkpoint(step: int) -> None:
        blob = {"format": 1, "step": step, "seed": seed, "model": net.state_dict(),
                "optimizer": optimizer.state_dict(), "settings": _settings(opts), "style_sha256": style_hash,
                "photos": data.names, "init": init_info,
                "average": None if averaged_from is None else {"from": averaged_from, "model": averaged.state_dict()}}
        write_atomic(checkpoint_path, lambda f: torch.save(blob, f))

    stop = _StopFlag()
    report_every = 10
    sums: dict[str, torch.Tensor] = {}
    since = 0
    t0 = time.perf_counter()
    step = start
    net.train()
    peak = _peak_memory(opts)
    with stop, keep_freed_memory(device, peak) as kept:
        if kept:
            say(f"keeping freed memory for reuse (glibc): faster steps, up to about {peak / 1e9:.1f} GB")
        while step < opts.steps:
            x = data.batch(opts.batch_size, step, seed).to(device, non_blocking=True)
            x = x.contiguous(memory_format=torch.channels_last)
            terms = losses(x)
            optimizer.zero_grad(set_to_none=True)
            terms["total"].backward()
            optimizer.step()
            step += 1
            if averaged is not None and step >= average_from:
                averaged_from = averaged_from or step
                averaged.add(net, step - averaged_from + 1)
            since += 1
            for k, v in terms.items():
                sums[k] = sums.get(k, 0) + v.detach()
            # (the last step's preview shows the saved model, so it waits for the averaged weights)
            shot = write_preview(step) if opts.preview_every and step % opts.preview_every == 0 and \
                not (averaged_from and step == opts.steps) else None
            if step % report_every == 0 or step == opts.steps or stop.requested or shot:
                values = {k: float(v) / since for k, v in sums.items()}  # one host-device sync per report
                sums, since = {}, 0
                if not all(v == v and abs(v) != float("inf") for v in values.values()):
                    raise NumericalError(f"the loss became {values['total']} at step {step}; "
                                         "lower --learning-rate or the loss weights")
                if callback:
                    elapsed = time.perf_counter() - t0
                    callback(TrainProgress(step, opts.steps, values, elapsed, (step - start) / elapsed, start, shot))
            if step % opts.checkpoint_every == 0 or step == opts.steps or stop.requested:
                checkpoint(step)
            if stop.requested and step < opts.steps:
                raise Interrupted(None)
    if averaged_from is not None:
        averaged.copy_to(net)
        meta["averaged_steps"] = [averaged_from, step]
        say(f"the model is the mean of the weights of steps {averaged_from}-{step}")
    if averaged_from is not None or not (opts.preview_every and step % opts.preview_every == 0):
        write_preview(step)
    meta["steps"] = step
    meta["final_losses"] = values
    return save_model(net, out, meta, dtype=save_dtype)


def _peak_memory(opts: TrainOptions) -> int:
    """Bytes a CPU training run may take at its peak with freed memory kept for reuse (``keep_freed_memory``).

    Above the peaks measured on a 2-core CPU in bf16 (maximum resident set, 20 steps): batch 8 of 256 px
    3.2 GB, 4 of 384 px 3.7 GB, 8 of 384 px 6.5-6.9 GB (6.9 over 100 steps), 16 of 384 px 12.2 GB.
    """
    return int(1e9 + 5.3e3 * opts.batch_size * opts.crop_size ** 2)


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


def _init_model(source: str | os.PathLike) -> tuple[TransformerNet, dict]:
    """The network to start from and what the new model records of it: file name, hash, style, steps, settings
    (and, for a model that was itself trained on from another, that one's record too)."""
    path = model_or_preset(source)
    net, meta = read_model(path)
    info = {"file": path.name, "sha256": file_sha256(path)}
    info.update({k: meta[k] for k in ("style_name", "steps", "seed", "settings", "init") if k in meta})
    return net, info


def _load_checkpoint(path: Path, net, optimizer, opts: TrainOptions, style_hash: str, photos: list[str],
                     init_info: Optional[dict], averaged, average_from: int
                     ) -> tuple[int, int, Optional[dict], Optional[int]]:
    """Restore weights, Adam's state and the weights' running mean from ``path``; return (step, seed, the record
    of the model the run started from, the first step in the mean or None). Refuses a different run's.

    A run resumed with other ``steps`` or ``average_last`` keeps the checkpoint's mean only if it started
    within the new window of steps to average; otherwise the mean starts afresh (at the window, or at once)."""
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        if blob.get("format") != 1:
            raise ValueError
    except Exception:
        raise RestyleError(f"{path}: not a restyle training checkpoint") from None
    if blob["style_sha256"] != style_hash:
        raise RestyleError(f"{path}: was trained on another style image; give the same STYLE to resume")
    saved, now = blob["settings"], _settings(opts)
    changed = [k for k in TrainOptions._RESUME_KEYS if json.dumps(saved.get(k)) != json.dumps(now.get(k))]
    if changed:
        raise RestyleError(f"{path}: --{changed[0].replace('_', '-')} differs from the checkpoint's "
                           f"({saved.get(changed[0])}); resume with the same settings")
    if blob["photos"] != photos:
        raise RestyleError(f"{path}: the photos folder changed since the checkpoint ({len(blob['photos'])} photos "
                           f"then, {len(photos)} now); resume needs the same photos")
    if opts.seed is not None and opts.seed != blob["seed"]:
        raise RestyleError(f"{path}: was trained with --seed {blob['seed']}; resume with that seed or none")
    started = blob.get("init")
    if init_info is not None and (started or {}).get("sha256") != init_info["sha256"]:
        raise RestyleError(f"{path}: that run started from {started['file'] if started else 'random weights'}, "
                           f"not {init_info['file']}; resume without --init or with the same one")
    mean = blob.get("average")
    keep_mean = averaged is not None and mean is not None and mean["from"] >= average_from
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


class _StopFlag:
    """Within its block, the first Ctrl-C only sets ``requested`` (the loop ends after the current step,
    with a checkpoint); a second one interrupts at once. Outside the main thread it does nothing."""

    def __init__(self):
        self.requested = False
        self._old = None

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        try:
            self._old = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread
            self._old = None
        return self

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
        return False
