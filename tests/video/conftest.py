"""Test clips made from still photos: a camera pan (known flow), an object moving over a background (occlusions),
a cut between two photos, with a sine tone for a sound track."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

av = pytest.importorskip("av")
if importlib.util.find_spec("cv2") is None:  # (imported by restyle itself, which keeps the environment as it was)
    pytest.skip("needs OpenCV", allow_module_level=True)

SHARED = Path(__file__).resolve().parents[3] / "shared" / "images" / "content"
EXAMPLES = Path(__file__).resolve().parents[2] / "restyle" / "examples"


def photo(name: str = "tubingen.jpg") -> np.ndarray:
    """A photo from the shared test images (the package's example of the same name where those are absent),
    RGB uint8."""
    path = SHARED / name
    if not path.exists():
        path = EXAMPLES / (Path(name).stem + ".jpg")
    return np.asarray(Image.open(path).convert("RGB"))


def pan(frames: int, size=(96, 64), step: float = 2.0, name: str = "tubingen.jpg") -> list[np.ndarray]:
    """A camera panning right over a photo by ``step`` px a frame (content moves left): (H, W, 3) frames."""
    img = photo(name)
    w, h = size
    scale = (h * 2) / img.shape[0]
    big = np.asarray(Image.fromarray(img).resize((round(img.shape[1] * scale), h * 2), Image.BICUBIC))
    return [np.ascontiguousarray(big[h // 2: h // 2 + h, round(t * step): round(t * step) + w]) for t in range(frames)]


def write_clip(path: Path, frames: list[np.ndarray], rate: int = 25, audio: bool = True) -> Path:
    """An H.264 MP4 (yuv420p) of ``frames`` with a 440 Hz AAC tone as long as the video."""
    out = av.open(str(path), "w")
    video = out.add_stream("libx264", rate=rate)
    video.height, video.width = frames[0].shape[:2]
    video.pix_fmt = "yuv420p"
    tone = out.add_stream("aac", rate=44100) if audio else None
    if tone is not None:
        tone.layout = "mono"
    for f in frames:
        for packet in video.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
            out.mux(packet)
    for packet in video.encode():
        out.mux(packet)
    if tone is not None:
        samples = 44100 * len(frames) // rate
        for k in range(0, samples, 1024):
            s = np.sin(2 * np.pi * 440 * np.arange(k, k + 1024) / 44100).astype(np.float32)[None]
            frame = av.AudioFrame.from_ndarray(s, format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 44100, k
            for packet in tone.encode(frame):
                out.mux(packet)
        for packet in tone.encode():
            out.mux(packet)
    out.close()
    return path


def audio_packets(path: Path) -> list[bytes]:
    """The audio stream's packets, as bytes."""
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(c.streams.audio[0]) if p.size]


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


@pytest.fixture
def clip(tmp_path) -> Path:
    """A 12-frame 96x64 pan with sound."""
    return write_clip(tmp_path / "clip.mp4", pan(12))
