"""Makes the README's video figures: a 2 s pan over the bundled Tübingen photo with a tone
(docs/images/tubingen-pan.mp4, the clip to try `restyle video` on) and an animated GIF of it painted with a
preset, independent frames (left) against restyle's steady ones (right): docs/images/video-steady.gif.

    python tools/video_figure.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from restyle.video import io  # noqa: E402
from restyle.video.pipeline import iter_video  # noqa: E402
from tests.video.conftest import pan, write_clip  # noqa: E402

IMAGES = ROOT / "docs" / "images"


def main() -> None:
    clip = write_clip(IMAGES / "tubingen-pan.mp4", pan(50, size=(320, 240), step=1.5), rate=25)
    with io.open_video(clip) as c:
        frames = [f.image for kind, f in io.frames_and_audio(c) if kind == "frame"]
    alone = iter_video(frames[:16], preset="starry_night", temporal_weight=0)
    steady = iter_video(frames[:16], preset="starry_night")
    shots = [_side_by_side(a, b) for a, b in zip(alone, steady)]
    shots[0].save(IMAGES / "video-steady.gif", save_all=True, append_images=shots[1:], duration=80, loop=0,
                  optimize=True)
    print("wrote", clip, IMAGES / "video-steady.gif")


def _side_by_side(a: np.ndarray, b: np.ndarray) -> Image.Image:
    """Two 200x150 frames with their labels."""
    pair = Image.new("RGB", (404, 166), "white")
    for i, (im, label) in enumerate([(a, "independent frames"), (b, "restyle video")]):
        pair.paste(Image.fromarray(im).resize((200, 150), Image.BICUBIC), (i * 204, 16))
        ImageDraw.Draw(pair).text((i * 204 + 100, 8), label, fill="black", anchor="mm")
    return pair


if __name__ == "__main__":
    main()
