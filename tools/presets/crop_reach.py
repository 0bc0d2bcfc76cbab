"""How far crops of a painting, or of a result, are from the whole painting's style, layer by layer, by crop size.

    python tools/presets/crop_reach.py .train/styles/the_scream.jpg
    python tools/presets/crop_reach.py .train/styles/the_scream.jpg .train/optimized-heldout/the_scream-tower-512.png

Training judges each crop against the whole painting's Gram matrices; `restyle score` judges a whole image. A crop
of the painting itself is not the painting: this prints, for each image (the painting first, at long side
--style-size as training and scoring take it; then any other images at the same long side), its style distance to
the whole painting (restyle's Scorer, per layer and the mean) whole and as square crops of each --sizes, the mean
over a grid of --grid x --grid positions from corner to corner. A crop the painting's own crops are far from is a
target no image can meet in every crop. Sizes larger than an image's short side are skipped.
"""

from __future__ import annotations

import argparse

import torch
from layer_rows import LayerRows  # beside this script

from restyle.core.images import fit_size, load_image, resize


def crops(img: torch.Tensor, size: int, grid: int) -> list[torch.Tensor]:
    """``grid`` x ``grid`` square crops of side ``size``, evenly spaced from corner to corner."""
    height, width = img.shape[1:]
    ys = torch.linspace(0, height - size, grid).round().long().tolist()
    xs = torch.linspace(0, width - size, grid).round().long().tolist()
    return [img[:, y:y + size, x:x + size] for y in ys for x in xs]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("style", help="the painting")
    ap.add_argument("images", nargs="*", help="other images to crop alike (e.g. the optimizer's results)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 320, 384], help="crop sides in px")
    ap.add_argument("--grid", type=int, default=3, help="crop positions along each side")
    ap.add_argument("--style-size", type=int, default=512, help="long side of the painting and the images")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()

    row = LayerRows(args.style, args.style_size, "image", args.device).row
    for path in [args.style, *args.images]:
        img = load_image(path)
        img = resize(img, fit_size(img.shape[1], img.shape[2], args.style_size))
        name = path.rsplit("/", 1)[-1]
        row(f"{name} whole ({img.shape[2]}x{img.shape[1]})", [img])
        for size in (s for s in args.sizes if s <= min(img.shape[1:])):
            row(f"{name}, {size} px crops", crops(img, size, args.grid))


if __name__ == "__main__":
    main()
