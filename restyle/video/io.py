"""Reading and writing video with PyAV: frames streamed one at a time, timing kept, audio copied or re-encoded.

Frames arrive as (H, W, 3) uint8 RGB arrays (10-bit and other formats converted to 8 bits), each with its
presentation time (``pts`` in the stream's ``time_base``), so variable frame rates and the duration survive.
MP4 and MKV get H.264 (yuv420p, ``crf``) and the input's audio packets copied untouched; WebM gets VP9 and its
audio re-encoded to Opus (the only audio WebM takes); GIF has no audio. yuv420p needs even sides, so odd ones are
padded by repeating the last row or column.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from ..errors import RestyleError

#: Output containers by extension: (FFmpeg format, video codec, pixel format, what happens to the audio).
CONTAINERS = {".mp4": ("mp4", "libx264", "yuv420p", "copy"), ".mkv": ("matroska", "libx264", "yuv420p", "copy"),
              ".webm": ("webm", "libvpx-vp9", "yuv420p", "opus"), ".gif": ("gif", "gif", "rgb8", None)}


def _av():
    """PyAV, or a RestyleError saying how to install it."""
    try:
        import av
    except ImportError:
        raise RestyleError("video needs PyAV and OpenCV: pip install 'restyle[video]'") from None
    return av


@dataclass
class Frame:
    """One decoded frame: its RGB pixels and when it is shown."""

    image: np.ndarray
    """(H, W, 3) uint8 RGB."""
    pts: Optional[int]
    time_base: Fraction


@dataclass
class VideoInfo:
    """What a video file holds: its picture's size and rate, its length, and whether it has sound."""

    width: int
    height: int
    rate: Fraction
    """Average frames per second."""
    frames: int
    """Frame count (``frame_count``)."""
    duration: float
    """Seconds."""
    audio: Optional[str]
    """The audio codec's name, or None."""


def open_video(path: str | os.PathLike):
    """The input container, its checks done: a file PyAV reads, with a video stream, not a still image (which
    FFmpeg reads as a video of one frame; RestyleError otherwise)."""
    av, p = _av(), Path(path)
    if not p.exists():
        raise RestyleError(f"{p}: no such file")
    if p.is_dir():
        raise RestyleError(f"{p}: is a directory, not a video")
    try:
        container = av.open(str(p))
    except av.error.FFmpegError as e:
        raise RestyleError(f"{p}: not a video file FFmpeg can read ({e.strerror or type(e).__name__})") from None
    if not container.streams.video:
        container.close()
        raise RestyleError(f"{p}: has no video stream")
    if container.format.name in ("image2", "image2pipe") or container.format.name.endswith("_pipe"):
        container.close()
        raise RestyleError(f"{p}: is a still image, not a video; paint it as an image")
    return container


def frame_count(container) -> int:
    """The video stream's frame count: as the container says, or else from its duration and average rate (MKV and
    WebM do not store it); 0 where neither says."""
    v = container.streams.video[0]
    return v.frames or max(0, round(_seconds(container) * float(v.average_rate or 0)))


def _seconds(container) -> float:
    """The video's duration in seconds: the container's, or else its video stream's (0 where neither says)."""
    v = container.streams.video[0]
    return container.duration / 1_000_000 if container.duration else float((v.duration or 0) * v.time_base)


def info(path: str | os.PathLike) -> VideoInfo:
    """Size, rate, frame count, duration and audio of the video at ``path``."""
    with open_video(path) as c:
        v = c.streams.video[0]
        audio = c.streams.audio[0].codec_context.name if c.streams.audio else None
        return VideoInfo(width=v.codec_context.width, height=v.codec_context.height,
                         rate=Fraction(v.average_rate or 25), frames=frame_count(c), duration=_seconds(c), audio=audio)


def rotation(path: str | os.PathLike) -> int:
    """Degrees (counter-clockwise) a player turns the video's frames by when it shows them (phones record so)."""
    av = _av()
    with open_video(path) as c:
        try:
            for frame in c.decode(video=0):
                return int(getattr(frame, "rotation", 0) or 0)
        except av.error.FFmpegError as e:
            raise _cannot_decode(c, e) from None
    return 0


def _cannot_decode(container, error) -> RestyleError:
    """The one-line error for a video whose frames FFmpeg cannot decode."""
    return RestyleError(f"{container.name}: cannot decode ({error.strerror or type(error).__name__})")


def scaled_size(width: int, height: int, long_side: Optional[int]) -> tuple[int, int]:
    """(width, height) with the long side ``long_side`` (unchanged for None), the aspect ratio kept."""
    if long_side is None:
        return width, height
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def even(image: np.ndarray) -> np.ndarray:
    """``image`` padded to even sides by repeating its last row or column (yuv420p needs them)."""
    h, w = image.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return image
    return np.pad(image, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


class VideoWriter:
    """Encodes frames to ``path`` (the container by extension) through a temporary file renamed on ``close``:
    a failed or interrupted write leaves no partial output. ``audio``, the input's audio stream or None, is
    copied or re-encoded as the container needs (``mux_audio``). ``rotation`` (degrees counter-clockwise, as
    ``rotation`` reads it) is kept as the output's flag where the container has one, else the frames are turned."""

    def __init__(self, path: Path, *, rate: Fraction, time_base: Fraction, size: tuple[int, int], audio=None,
                 crf: int = 18, rotation: int = 0):
        av = _av()
        self.path = path
        fmt, codec, self.pix_fmt, self.audio_mode = CONTAINERS[path.suffix.lower()]
        self.tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        self.out = av.open(str(self.tmp), "w", format=fmt)
        self.video = self.out.add_stream(codec, rate=rate)
        flag = self.pix_fmt == "yuv420p" and hasattr(self.video, "set_display_rotation")  # (GIF has no such flag)
        self.turn = 0 if flag else round(rotation / 90) % 4  # quarter turns counter-clockwise given to each frame
        w, h = size if self.turn % 2 == 0 else size[::-1]
        self.video.width, self.video.height = (w + w % 2, h + h % 2) if self.pix_fmt == "yuv420p" else (w, h)
        self.video.pix_fmt, self.video.time_base = self.pix_fmt, time_base
        if codec == "libx264":
            self.video.options = {"crf": str(crf)}
        elif codec == "libvpx-vp9":
            self.video.options = {"crf": str(crf + 13), "b": "0", "row-mt": "1"}
        if rotation and flag:
            self.video.set_display_rotation(rotation)  # shown turned as the input was
        self.audio, self.resampler = self._audio_stream(audio) if audio is not None else (None, None)

    def _audio_stream(self, template):
        """The output's audio stream for the input's ``template``: a copy, Opus, or none (GIF)."""
        if self.audio_mode == "copy":
            return self.out.add_stream_from_template(template), None
        if self.audio_mode == "opus":
            av = _av()
            layout = template.layout.name if template.layout.nb_channels <= 2 else "stereo"
            return self.out.add_stream("libopus", rate=48000), av.AudioResampler(format="flt", layout=layout,
                                                                                 rate=48000)
        return None, None

    def write(self, image: np.ndarray, pts: Optional[int], time_base: Fraction) -> None:
        """Encode one (H, W, 3) uint8 RGB frame shown at ``pts``."""
        av = _av()
        image = np.ascontiguousarray(np.rot90(image, self.turn)) if self.turn else image
        frame = av.VideoFrame.from_ndarray(even(image) if self.pix_fmt == "yuv420p" else image, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        for packet in self.video.encode(frame):
            self.out.mux(packet)

    def mux_audio(self, packet) -> None:
        """Pass on one audio packet of the input: muxed as it is, or decoded and re-encoded."""
        if self.audio is None or packet.dts is None:
            return
        if self.resampler is None:
            packet.stream = self.audio
            self.out.mux(packet)
            return
        for frame in packet.decode():
            for resampled in self.resampler.resample(frame):
                for out in self.audio.encode(resampled):
                    self.out.mux(out)

    def close(self) -> Path:
        """Flush the encoders, close the file and put it in place; returns the path."""
        for packet in self.video.encode():
            self.out.mux(packet)
        if self.resampler is not None:
            for packet in self.audio.encode():
                self.out.mux(packet)
        self.out.close()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Close and remove the temporary file (nothing is left at ``path``)."""
        try:
            self.out.close()
        except Exception:  # an encoder that failed may fail to flush too; the file goes anyway
            pass
        self.tmp.unlink(missing_ok=True)


def frames_and_audio(container, size: Optional[tuple[int, int]] = None) -> Iterator[tuple[str, object]]:
    """The container's video frames, ("frame", Frame), and audio packets, ("audio", packet), in file order;
    frames scaled to ``size`` (width, height) where given."""
    av = _av()
    video = container.streams.video[0]
    video.thread_type = "AUTO"
    streams = [video, *container.streams.audio[:1]]
    try:
        for packet in container.demux(streams):
            if packet.stream.type == "audio":
                yield "audio", packet
                continue
            for frame in packet.decode():
                if size is not None and (frame.width, frame.height) != size:
                    frame = frame.reformat(width=size[0], height=size[1], interpolation="AREA")
                yield "frame", Frame(frame.to_ndarray(format="rgb24"), frame.pts, frame.time_base)
    except av.error.FFmpegError as e:
        raise _cannot_decode(container, e) from None
