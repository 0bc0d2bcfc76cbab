"""Training crops taken at the scale the model is judged at: a small trial of the crops' scale jitter.

    python tools/presets/crop_scale_trial.py --scales 1.5 3 --seeds 0 1 2 --out work/scales

The question: each training crop covers a square of the photo shrunk so its short side is between once and twice
the crop's side (``restyle.feedforward.dataset.CROP_SCALES``). The judge paints whole photos at 512 px, whose short
sides are 0.6 to 1.3 times the presets' 384 px crops: at the bottom of their range, or below it. Does a network
paint closer to the painting at the scale it was trained at? This recipe's crops are 128 px, so at 256 px the
judged photos lie inside the default range (0.9 to 1.5 crops) and at 512 px above it (1.9 to 3): scales 1.5 to 3
move training onto the 512 px judge and off the 256 px one. If matching the scales pays, the runs trained so come
closer at 512 px and further at 256 px than the default's (``levels_trial.py --kinds restyle``, the same recipe).
The answer on the Scream (benchmarks/results/scale-trials-cpu-2026-12-07.md, three seeds each): yes, but little:
3.6% closer at 512 px, 4.8% further at 256 px.

Each run trains restyle's network with ``restyle.train`` on the small trial recipe (as ``levels_trial.py``: 300 steps
of 8 crops of 128 px, the style at 256 px), with ``CROP_SCALES`` swapped for the run, and judges it as
``levels_trial.py`` does (the selection photos at 256 and 512 px, restyle's Scorer). Nothing in restyle is changed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from unittest.mock import patch

from levels_trial import judge, print_head, print_rows, recipe_arguments, sheet, train_recipe

import restyle.feedforward.dataset as dataset


def name(seed: int, scales: tuple[float, float], style_weight: float) -> str:
    """The model file's name."""
    return f"scales-{scales[0]:g}-{scales[1]:g}-seed-{seed}-sw-{style_weight:g}.safetensors"


def train(seed: int, scales: tuple[float, float], out: Path, args) -> Path:
    """One run with crops at ``scales``; the model file."""
    path = out / name(seed, scales, args.style_weight)
    if path.exists():
        return path
    with patch.object(dataset, "CROP_SCALES", scales):
        train_recipe(path, seed, args.style_weight, args)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    recipe_arguments(ap)
    ap.add_argument("--scales", type=float, nargs=2, default=[1.5, 3.0], metavar=("LOW", "HIGH"),
                    help="the photo's short side, in crops, that crops are taken between")
    ap.add_argument("--style-weight", type=float, default=5.0)
    ap.add_argument("--out", type=Path, default=Path("work/scales"))
    ap.add_argument("--beside", type=Path, nargs="*", default=[], metavar="MODEL",
                    help="for --sheet: models of restyle's network to draw first (levels_trial.py's restyle-seed-0)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    scales = tuple(args.scales)
    print_head("crop scales")
    for seed in args.seeds:
        print_rows(f"{scales[0]:g} to {scales[1]:g}", seed, args.style_weight,
                   judge("restyle", train(seed, scales, args.out, args), args))
    if args.sheet:
        models = list(args.beside) + [args.out / name(s, scales, args.style_weight) for s in args.seeds]
        sheet(args.sheet, [("restyle", path) for path in models], args)


if __name__ == "__main__":
    main()
