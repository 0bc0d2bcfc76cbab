"""How strongly models paint a band along each border of their results, beside the photos' own borders.

    python tools/presets/edge_bands.py the_scream MODEL.safetensors --photos DIR --names a.jpg b.jpg [--size 512]

For each side (left, right, top, bottom), the mean absolute difference (0-255, over pixels and channels) between
the outermost 8 px of a result, row or column by row or column, and the mean of the band 16-48 px further in;
averaged over the photos. A stripe or frame that the network paints along a border raises its side's figure
above the photos' own (the first row printed, from the photos shrunk to the same size). Models are shipped
presets' names or model files, applied as `presets.py quality` applies them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from presets import model_result, photo_at  # noqa: E402

import restyle  # noqa: E402
from restyle.feedforward.modelfile import model_or_preset  # noqa: E402

SIDES = ("left", "right", "top", "bottom")


def bands(image) -> np.ndarray:
    """The four sides' figures of one PIL image: outermost 8 px against the band 16-48 px in."""
    a = np.asarray(image.convert("RGB"), dtype=np.float64)
    t = a.transpose(1, 0, 2)
    strips = [t, t[::-1], a, a[::-1]]  # each ordered from its edge inward, along its first axis
    return np.array([np.abs(s[:8] - s[16:48].mean(0)).mean() for s in strips])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="shipped presets' names or .safetensors model files")
    parser.add_argument("--photos", required=True, help="folder of the photos")
    parser.add_argument("--names", nargs="+", required=True, help="the photos' file names in --photos")
    parser.add_argument("--size", type=int, default=512, help="long side the photos are painted at")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    photos = [Path(args.photos) / n for n in args.names]
    from restyle.core.images import to_pil
    rows = {"photos": np.mean([bands(to_pil(photo_at(p, args.size))) for p in photos], axis=0)}
    for source in args.models:
        model = restyle.load_model(model_or_preset(source), device=args.device)
        rows[source] = np.mean([bands(model_result(model, p, args.size)) for p in photos], axis=0)
    print("| images | " + " | ".join(SIDES) + " |\n|---|" + "---|" * len(SIDES))
    for name, figures in rows.items():
        print(f"| {name} | " + " | ".join(f"{f:.1f}" for f in figures) + " |")


if __name__ == "__main__":
    main()
