"""Painting a video: frames in, each painted by an engine and carried along the flow, frames or a file out.

``iter_video`` takes a path or an iterable of frames and yields painted frames; ``stylize_video`` writes a file
with the input's timing and sound. A trained model paints with ``StyleModel.frame``, the optimizer with
``stylize`` (each frame after the first starting from the last painting carried to it, with fewer iterations).
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Sequence, Union

import numpy as np

from ..core.checks import MAX_SIZE, at_most, fraction, positive_int
from ..core.images import ImageLike, check_not_input
from ..errors import RestyleError
from ..feedforward.runtime import StyleModel, load_model
from ..optimize.options import Options
from ..optimize.transfer import stylize
from . import io
from . import resume as resume_state
from .temporal import Carry, mix

#: Share of the last painting mixed into each frame where the flow holds (benchmarks/video.py chose it).
DEFAULT_TEMPORAL_WEIGHT = 0.5
#: Iterations of the optimizer for each frame after the first, as a share of the first frame's.
LATER_SHARE = 0.5

Source = Union[str, os.PathLike, Iterable[np.ndarray]]


@dataclass
class VideoProgress:
    """What ``stylize_video``'s callback receives after every frame."""

    frame: int
    """Frames written."""
    frames: int
    """Frames in the video, as its container says (0 where it does not)."""
    elapsed: float
    """Seconds since the call."""


class ModelPainter:
    """Paints a frame with a trained model: ``StyleModel.frame``, or its blend and colour options."""

    def __init__(self, model: StyleModel, strength: float = 1.0, preserve_color: bool = False):
        fraction("strength", strength)  # (before any frame is read or written)
        self.model, self.strength, self.preserve_color = model, strength, preserve_color

    def __call__(self, frame: np.ndarray, previous) -> np.ndarray:
        if self.strength == 1 and not self.preserve_color:
            return self.model.frame(frame)
        return np.asarray(self.model(frame, strength=self.strength, preserve_color=self.preserve_color))


class OptimizerPainter:
    """Paints a frame with the optimizer after ``styles``: the first from the photo, each later one starting from
    the last painting carried along the flow (the photo where the flow fails), with ``LATER_SHARE`` of the
    iterations (Ruder et al. 2016)."""

    def __init__(self, styles: Sequence[ImageLike], options: Options):
        options.validate(len(styles))
        self.styles, self.options = list(styles), options
        self.later = max(1, round(options.iterations * LATER_SHARE))

    def __call__(self, frame: np.ndarray, previous) -> np.ndarray:
        options = self.options.replace(size=max(frame.shape[:2]))  # the frame's own size
        if previous is None:
            return np.asarray(stylize(frame, self.styles, options))
        warped, mask = previous
        start = np.clip(mask * warped + (1 - mask) * frame + 0.5, 0, 255).astype(np.uint8)
        return np.asarray(stylize(frame, self.styles, options.replace(init=start, iterations=self.later)))


def painter_for(*, preset: Optional[str] = None, model: Union[str, os.PathLike, StyleModel, None] = None,
                styles: Optional[Sequence[ImageLike]] = None, options: Optional[Options] = None,
                strength: float = 1.0, preserve_color: Optional[str] = None) -> Callable:
    """The painter of exactly one kind of style: a preset, a model (file or loaded) or paintings (optimizer)."""
    if sum(x is not None for x in (preset, model, styles)) != 1:
        raise RestyleError("give exactly one kind of style: a preset, a model or paintings")
    opts = options or Options()
    if styles is not None:
        return OptimizerPainter(styles, opts.replace(preserve_color=preserve_color or opts.preserve_color))
    if not isinstance(model, StyleModel):
        model = load_model(model, preset=preset, device=opts.device, precision=opts.precision)
    return ModelPainter(model, strength, preserve_color is not None)


def iter_video(source: Source, *, temporal_weight: float = DEFAULT_TEMPORAL_WEIGHT, size: Optional[int] = None,
               cancel: Optional[threading.Event] = None, **style) -> Iterator[np.ndarray]:
    """Paint each frame of ``source`` (a video file's path, or an iterable of (H, W, 3) uint8 RGB frames) and
    yield it, (H, W, 3) uint8. ``style``: ``painter_for``'s arguments (exactly one of preset, model, styles).
    ``temporal_weight`` in [0, 1]: share of the last painting, carried along the flow, mixed in where the flow
    is reliable (0: independent frames). ``size`` scales the long side of a file's frames."""
    steady = Steady(painter_for(**style), temporal_weight)
    if isinstance(source, (str, os.PathLike)):
        with io.open_video(source) as container:
            frames = (f.image for kind, f in io.frames_and_audio(container, _size(container, size)) if kind == "frame")
            yield from _paint(frames, steady, cancel)
    else:
        yield from _paint(iter(source), steady, cancel)


def _size(container, long_side: Optional[int]) -> Optional[tuple[int, int]]:
    """The frames' (width, height) for ``long_side`` (None: as they are)."""
    if long_side is None:
        return None
    positive_int("size", long_side)
    at_most("size", long_side, MAX_SIZE)
    ctx = container.streams.video[0].codec_context
    return io.scaled_size(ctx.width, ctx.height, long_side)


class Steady:
    """Paints frames one after another with ``painter``, each mixed with the last painting carried to it along
    the flow (``weight`` of it where the flow is reliable; 0: independent frames)."""

    def __init__(self, painter: Callable, weight: float):
        fraction("temporal_weight", weight)
        self.painter, self.weight, self.carry = painter, weight, Carry()

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        previous = self.carry.previous(frame) if self.weight > 0 else None
        painted = self.painter(frame, previous)
        self.carry.painted(painted)
        return mix(painted, previous, self.weight)


def _paint(frames: Iterator[np.ndarray], steady: Steady, cancel: Optional[threading.Event]) -> Iterator[np.ndarray]:
    """Each frame painted, until ``cancel`` is set."""
    for frame in frames:
        if cancel is not None and cancel.is_set():
            return
        yield steady(frame)


def stylize_video(source: Union[str, os.PathLike], output: Union[str, os.PathLike], *,
                  temporal_weight: float = DEFAULT_TEMPORAL_WEIGHT, size: Optional[int] = None, crf: int = 18,
                  callback: Optional[Callable[[VideoProgress], None]] = None,
                  cancel: Optional[threading.Event] = None, resume: bool = False, **style) -> Path:
    """Paint the video ``source`` into ``output`` (MP4, MKV, WebM or GIF, by extension), keeping its frame times
    and its sound (copied into MP4 and MKV, re-encoded to Opus for WebM, dropped for GIF). ``cancel`` ends it
    after the current frame with a playable file of the frames done, and what ``resume=True`` needs to go on
    from there later (with the same settings). Returns the output's path."""
    out = check_video_output(source, output)
    settings = json.dumps({"source": str(Path(source).resolve()), "size": size, "temporal_weight": temporal_weight,
                           "style": style}, sort_keys=True, default=str)
    taken = resume_state.load(out, settings) if resume else None
    run = _Encoding(Steady(painter_for(**style), temporal_weight), callback, cancel)
    with io.open_video(source) as container:
        video = container.streams.video[0]
        dims = _size(container, size) or (video.codec_context.width, video.codec_context.height)
        writer = io.VideoWriter(out, rate=video.average_rate, time_base=video.time_base, size=dims,
                                audio=container.streams.audio[0] if container.streams.audio else None, crf=crf,
                                rotation=io.rotation(source))
        try:
            run.encode(container, writer, dims, taken=taken and (taken[0], taken[1], resume_state.done_frames(out)))
            if run.done == 0 and not run.stopped:
                raise RestyleError(f"{source}: has no frames")
        except BaseException:
            writer.abort()
            raise
        writer.close()
    if run.stopped:
        resume_state.save(out, run.done, settings, run.steady.carry.last_painted)
    else:
        resume_state.clear(out)
    return out


class _Encoding:
    """The loop of ``stylize_video``: frames painted (or, when resuming, copied) and written, the audio passed
    on, in file order, until ``cancel`` is set."""

    def __init__(self, steady: Steady, callback, cancel: Optional[threading.Event]):
        self.steady, self.callback, self.cancel = steady, callback, cancel
        self.done, self.stopped, self.start = 0, False, time.perf_counter()

    def encode(self, container, writer: io.VideoWriter, dims, taken=None) -> None:
        """``taken``: (frames done, the last painting, those frames) of a stopped run to go on from."""
        total = container.streams.video[0].frames or 0
        for kind, item in io.frames_and_audio(container, dims):
            if kind == "audio":
                writer.mux_audio(item)
                continue
            if self.cancel is not None and self.cancel.is_set():
                self.stopped = True
                return
            writer.write(self.frame(item.image, taken), item.pts, item.time_base)
            self.done += 1
            if self.callback is not None:
                self.callback(VideoProgress(frame=self.done, frames=total, elapsed=time.perf_counter() - self.start))

    def frame(self, image: np.ndarray, taken) -> np.ndarray:
        """The frame painted, or copied from the stopped run (whose last painting the next frame is carried from)."""
        if taken is None or self.done >= taken[0]:
            return self.steady(image)
        done, last, frames = taken
        copied = next(frames, None)
        if copied is None:
            raise RestyleError(f"the stopped output has fewer frames than its record ({done}); paint afresh")
        if self.done == done - 1:
            self.steady.carry.previous(image)  # follows the input frame the last painting belongs to
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
