"""Painting a video: frames in, each painted by an engine and carried along the flow, frames or a file out.

``iter_video`` takes a path or an iterable of frames and yields painted frames; ``stylize_video`` writes a file
with the input's timing and sound. A trained model paints with ``StyleModel.frame`` on a canvas that follows the
camera (``camera``), its result mixed with the last one carried along the flow; the optimizer with ``stylize``,
each frame after the first starting from the last result carried to it, with a temporal term towards it and fewer
iterations. The input's frames and their motion are read a frame ahead, in a thread (``core.prefetch``).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Optional, Sequence, Union

import numpy as np

from ..core.checks import fraction, noise_sigma, side
from ..core.images import ImageLike, check_not_input
from ..core.memory import keep_freed_memory_between_passes
from ..core.prefetch import prefetch
from ..errors import RestyleError
from ..feedforward.regions import RegionModels
from ..feedforward.runtime import StyleModel, load_model
from ..feedforward.styles import StyleChoice
from ..optimize.objective import Temporal
from ..optimize.options import Options
from ..optimize.transfer import stylize
from . import io
from . import resume as resume_state
from .camera import Camera
from .temporal import Carry, Follower, Motion, mix

#: How strongly each frame is tied to the last one (``Steady``; benchmarks/video.py chose it).
DEFAULT_TEMPORAL_WEIGHT = 0.5
#: Iterations of the optimizer for each frame after the first, as a share of the first frame's.
LATER_SHARE = 0.5
#: Weight of the optimizer's temporal term per unit of ``temporal_weight`` (benchmarks/video.py chose it).
TEMPORAL_LOSS = 2000.0

Source = Union[str, os.PathLike, Iterable[np.ndarray]]


@dataclass
class VideoProgress:
    """What ``stylize_video``'s callback receives after every frame."""

    frame: int
    """Frames written."""
    frames: int
    """Frames in the video, as its container says or from its duration and rate (0 where neither says;
    ``io.frame_count``)."""
    elapsed: float
    """Seconds since the call."""


class ModelPainter:
    """Paints a frame with a trained model: ``StyleModel.frame``, or its blend and colour options."""

    def __init__(self, model: StyleModel, strength: float = 1.0, preserve_color: bool = False):
        fraction("strength", strength)  # (before any frame is read or written)
        self.model, self.strength, self.preserve_color = model, strength, preserve_color

    def __call__(self, frame: np.ndarray, origin: tuple[int, int] = (0, 0)) -> np.ndarray:
        """``frame`` painted, its noise at ``origin`` (``StyleModel.frame``'s: a canvas's place)."""
        if self.strength == 1 and not self.preserve_color:
            return self.model.frame(frame, origin)
        return np.asarray(self.model(frame, strength=self.strength, preserve_color=self.preserve_color, origin=origin))


class OptimizerPainter:
    """Paints a frame with the optimizer after ``styles``: the first from the photo, each later one as Ruder et
    al. (2016) do, starting from the last frame carried along the flow (the photo where the flow fails), with a
    temporal term towards it where it holds (``TEMPORAL_LOSS`` times the temporal weight), and ``LATER_SHARE``
    of the iterations."""

    def __init__(self, styles: Sequence[ImageLike], options: Options):
        options.validate(len(styles))
        self.styles, self.options = list(styles), options
        self.later = max(1, round(options.iterations * LATER_SHARE))

    def __call__(self, frame: np.ndarray, previous, weight: float) -> np.ndarray:
        """``frame`` painted; ``previous``: (the last frame carried to it, its mask) or None."""
        options = self.options.replace(size=max(frame.shape[:2]))  # the frame's own size
        if previous is None:
            return np.asarray(stylize(frame, self.styles, options))
        warped, mask = previous
        start = np.clip(mask * warped + (1 - mask) * frame + 0.5, 0, 255).astype(np.uint8)
        held = Temporal(np.clip(warped + 0.5, 0, 255).astype(np.uint8), mask[..., 0], TEMPORAL_LOSS * weight)
        return np.asarray(stylize(frame, self.styles, options.replace(init=start, iterations=self.later),
                                  temporal=held))


class RegionsPainter:
    """Paints a frame's regions each with its own model (``RegionModels``, one mask for the whole clip): each
    distinct model's painting (on the camera's canvas, where ``Steady`` has one), mixed in the frame's own
    coordinates, where the mask lies."""

    def __init__(self, models: RegionModels, strength: float = 1.0, preserve_color: bool = False):
        self.models = models
        self.painters = [ModelPainter(m, strength, preserve_color) for m in models.models]

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        return self.mixed(frame, [painter(frame) for painter in self.painters])

    def mixed(self, frame: np.ndarray, paintings: list[np.ndarray]) -> np.ndarray:
        """``frame``'s regions taken from ``paintings`` (one per model, (H, W, 3) uint8) or from the frame."""
        return self.models.mix_frames(frame, paintings)


def painter_for(*, preset: Optional[str] = None, model: Union[str, os.PathLike, StyleModel, None] = None,
                styles: Optional[Sequence[ImageLike]] = None, options: Optional[Options] = None,
                strength: float = 1.0, preserve_color: Optional[str] = None, regions: Optional[Mapping] = None,
                mask: Optional[ImageLike] = None, mix: Optional[StyleChoice] = None,
                coarse: Optional[float] = None, noise: Optional[float] = None) -> Callable:
    """The painter of exactly one kind of style: a preset, a model (file or loaded; ``mix``: the style or mix of
    styles of a model file of several), paintings (optimizer), or ``regions`` of ``mask`` ({colour: preset, model or
    "none"}; ``options.feather`` softens their edges). ``coarse``: models paint in two passes; ``noise``: they add
    that noise to each frame first (``load_model``'s), its pattern lying in the scene (``Steady``'s camera)."""
    if sum(x is not None for x in (preset, model, styles, regions)) != 1:
        raise RestyleError("give exactly one kind of style: a preset, a model, paintings or regions")
    opts = options or Options()
    if mix is not None and (model is None or isinstance(model, StyleModel)) and preset is None:
        raise RestyleError("mix chooses among the styles of a model file; give it with a model file")
    for name, value, check in (("coarse", coarse, fraction), ("noise", noise, noise_sigma)):  # load_model's own
        if value is not None:
            check(name, value)
        if value and (styles is not None or isinstance(model, StyleModel)):
            raise RestyleError(f"{name} is for presets and model files (a loaded model has its own: load_model's "
                               f"{name})")
    if regions is not None:
        fraction("strength", strength)
        models = RegionModels(regions, mask, feather=opts.feather, device=opts.device, precision=opts.precision,
                              coarse=coarse, noise=noise)
        return RegionsPainter(models, strength, preserve_color is not None)
    if styles is not None:
        return OptimizerPainter(styles, opts.replace(preserve_color=preserve_color or opts.preserve_color))
    if not isinstance(model, StyleModel):
        model = load_model(model, preset=preset, device=opts.device, precision=opts.precision, mix=mix, coarse=coarse,
                           noise=noise)
    return ModelPainter(model, strength, preserve_color is not None)


def iter_video(source: Source, *, temporal_weight: float = DEFAULT_TEMPORAL_WEIGHT, size: Optional[int] = None,
               cancel: Optional[threading.Event] = None, **style) -> Iterator[np.ndarray]:
    """Paint each frame of ``source`` (a video file's path, or an iterable of (H, W, 3) uint8 RGB frames) and
    yield it, (H, W, 3) uint8. Frames are read ahead, in a worker thread. ``style``: ``painter_for``'s arguments
    (exactly one of preset, model, styles). ``temporal_weight`` in [0, 1]: how strongly each frame is tied to the
    last one carried along the flow where that is reliable (models: the share of it mixed in; the optimizer:
    ``TEMPORAL_LOSS`` times it weighs its temporal term; 0: independent frames). ``size`` scales the long side of
    a file's frames. With ``options.keep_freed_memory``, models keep freed memory from frame to frame until the
    generator ends or is closed."""
    painter = painter_for(**style)
    steady = Steady(painter, temporal_weight)
    with _kept_memory(painter, style.get("options")):
        if not isinstance(source, (str, os.PathLike)):
            yield from _paint(_own(source), steady, cancel)
            return
        with io.open_video(source) as container:
            frames = (f.image for kind, f in io.frames_and_audio(container, _size(container, size)) if kind == "frame")
            yield from _paint(frames, steady, cancel)


def _own(frames: Iterable) -> Iterator[np.ndarray]:
    """A caller's frames, each checked and copied: they are read ahead, so a buffer the caller reuses for the next
    frame would otherwise change under the painter."""
    for frame in frames:
        array = np.asarray(frame)
        if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
            raise RestyleError(f"a frame must be an (H, W, 3) uint8 array, got {array.shape} {array.dtype}")
        yield np.array(array)


def _size(container, long_side: Optional[int]) -> Optional[tuple[int, int]]:
    """The frames' (width, height) for ``long_side`` (None: as they are)."""
    if long_side is None:
        return None
    side("size", long_side)
    ctx = container.streams.video[0].codec_context
    return io.scaled_size(ctx.width, ctx.height, long_side)


class Steady:
    """Paints frames one after another with ``painter``, each tied to the last frame carried to it along the flow
    by ``weight`` in [0, 1] (0: independent frames): a model paints on a canvas that follows the camera
    (``Camera``), then ``weight`` of the carried frame is mixed in where the flow is reliable; the optimizer ties
    each frame to it in its loss. ``follow`` reads a frame's motion (from the input alone: it may run ahead), the
    call paints the frame with it."""

    def __init__(self, painter: Callable, weight: float):
        fraction("temporal_weight", weight)
        self.painter, self.weight, self.carry = painter, weight, Carry()
        model = isinstance(painter, (ModelPainter, RegionsPainter))
        self.follower = Follower(camera=model) if weight > 0 else None
        self.camera = Camera() if model and weight > 0 else None

    def follow(self, frame: np.ndarray) -> tuple[np.ndarray, Optional[Motion]]:
        """``frame`` with its motion since the last frame followed (None without temporal weight)."""
        return frame, self.follower(frame) if self.follower is not None else None

    def __call__(self, frame: np.ndarray, motion: Optional[Motion]) -> np.ndarray:
        previous = self.carry.previous(motion)
        if isinstance(self.painter, OptimizerPainter):
            final = self.painter(frame, previous, self.weight)
        elif self.camera is not None:
            self.camera.follow(motion and motion.camera, frame.shape[:2])
            final = self._kept(frame, mix(self._on_canvas(frame), previous, self.weight))
        else:
            final = self.painter(frame)
        self.carry.painted(final)
        return final

    def _kept(self, frame: np.ndarray, painted: np.ndarray) -> np.ndarray:
        """``painted`` with the frame itself put back where regions keep it (after mixing, which would blur it)."""
        if isinstance(self.painter, RegionsPainter) and any(i is None for i in self.painter.models.layer):
            return self.painter.mixed(frame, [painted] * len(self.painter.painters))
        return painted

    def _on_canvas(self, frame: np.ndarray) -> np.ndarray:
        """``frame`` painted on the camera's canvas (regions: each model there, mixed back in the frame)."""
        if isinstance(self.painter, RegionsPainter):
            return self.painter.mixed(frame, [self.camera.paint(p, frame) for p in self.painter.painters])
        return self.camera.paint(self.painter, frame)


def _paint(frames: Iterator[np.ndarray], steady: Steady, cancel: Optional[threading.Event]) -> Iterator[np.ndarray]:
    """Each frame painted, its motion read ahead in a thread, until ``cancel`` is set."""
    for frame, motion in prefetch(frames, steady.follow):
        if cancel is not None and cancel.is_set():
            return
        yield steady(frame, motion)


def stylize_video(source: Union[str, os.PathLike], output: Union[str, os.PathLike], *,
                  temporal_weight: float = DEFAULT_TEMPORAL_WEIGHT, size: Optional[int] = None, crf: int = 18,
                  callback: Optional[Callable[[VideoProgress], None]] = None,
                  cancel: Optional[threading.Event] = None, resume: bool = False, **style) -> Path:
    """Paint the video ``source`` into ``output`` (MP4, MKV, WebM or GIF, by extension), keeping its frame times
    and its sound (copied into MP4 and MKV, re-encoded to Opus for WebM, dropped for GIF). ``cancel`` ends it
    after the current frame with a playable file of the frames done, and what ``resume=True`` needs to go on
    from there later (with the same settings). With ``options.keep_freed_memory``, models keep freed memory from
    frame to frame. Returns the output's path."""
    out = check_video_output(source, output)
    settings = json.dumps({"source": str(Path(source).resolve()), "size": size, "temporal_weight": temporal_weight,
                           "style": style}, sort_keys=True, default=str)
    taken = resume_state.load(out, settings) if resume else None
    painter = painter_for(**style)
    run = _Encoding(Steady(painter, temporal_weight), callback, cancel)
    with _kept_memory(painter, style.get("options")), io.open_video(source) as container:
        video = container.streams.video[0]
        dims = _size(container, size) or (video.codec_context.width, video.codec_context.height)
        writer = io.VideoWriter(out, rate=video.average_rate, time_base=video.time_base, size=dims,
                                audio=container.streams.audio[0] if container.streams.audio else None, crf=crf,
                                rotation=io.rotation(source))
        try:
            copied = taken and (taken[0], taken[1], resume_state.done_frames(out, writer.turn))
            run.encode(container, writer, dims, taken=copied)
            if run.done == 0 and not run.stopped:
                raise RestyleError(f"{source}: has no frames")
        except BaseException:
            writer.abort()
            raise
        writer.close()
    if run.stopped:
        resume_state.save(out, run.done, settings, run.steady.carry.last)
    else:
        resume_state.clear(out)
    return out


def _kept_memory(painter: Callable, options: Optional[Options]) -> contextlib.AbstractContextManager:
    """Freed memory kept from frame to frame where ``options`` ask for it (``keep_freed_memory``) and models paint;
    the optimizer keeps its own within each frame."""
    options = options or Options()
    return keep_freed_memory_between_passes(options.device, options.max_memory, asked=options.keep_freed_memory and
                                            not isinstance(painter, OptimizerPainter))


class _Encoding:
    """The loop of ``stylize_video``: frames painted (or, when resuming, copied) and written, the audio passed
    on, in file order, until ``cancel`` is set."""

    def __init__(self, steady: Steady, callback, cancel: Optional[threading.Event]):
        self.steady, self.callback, self.cancel = steady, callback, cancel
        self.done, self.stopped, self.start = 0, False, time.perf_counter()

    def encode(self, container, writer: io.VideoWriter, dims, taken=None) -> None:
        """``taken``: (frames done, the last painting, those frames) of a stopped run to go on from."""
        total = io.frame_count(container)
        for kind, item, motion in prefetch(io.frames_and_audio(container, dims), self.follow):
            if kind == "audio":
                writer.mux_audio(item)
                continue
            if self.cancel is not None and self.cancel.is_set():
                self.stopped = True
                return
            writer.write(self.frame(item.image, motion, taken), item.pts, item.time_base)
            self.done += 1
            if self.callback is not None:
                self.callback(VideoProgress(frame=self.done, frames=total, elapsed=time.perf_counter() - self.start))

    def follow(self, entry: tuple[str, object]) -> tuple[str, object, Optional[Motion]]:
        """A frame with its motion (read ahead), or an audio packet as it is."""
        kind, item = entry
        return (kind, item, self.steady.follow(item.image)[1]) if kind == "frame" else (kind, item, None)

    def frame(self, image: np.ndarray, motion: Optional[Motion], taken) -> np.ndarray:
        """The frame painted, or copied from the stopped run (whose last painting the next frame is carried from)."""
        if taken is None or self.done >= taken[0]:
            return self.steady(image, motion)
        done, last, frames = taken
        copied = next(frames, None)
        if copied is None:
            raise RestyleError(f"the stopped output has fewer frames than its record ({done}); paint afresh")
        if self.done == done - 1:
            self.steady.carry.painted(last)
        return copied[: image.shape[0], : image.shape[1]]


def check_video_output(source: Union[str, os.PathLike], output: Union[str, os.PathLike]) -> Path:
    """``output`` checked before any work: a known container, an existing folder, not the input."""
    out = Path(output)
    if out.suffix.lower() not in io.CONTAINERS:
        raise RestyleError(f"{out}: unknown video format {out.suffix!r}; use one of {', '.join(io.CONTAINERS)}")
    if out.is_dir():
        raise RestyleError(f"{out}: is a directory; give a file name such as {out / 'painted.mp4'}")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise RestyleError(f"{out}: folder {folder} does not exist")
    check_not_input(out, [source])
    return out
