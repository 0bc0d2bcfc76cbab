"""Training against the Gram matrix of the whole batch instead of each crop's: a small trial at several style weights.

    python tools/presets/pooled_gram_trial.py --style-weights 10 15 --seeds 0 --out work/pooled

The question: each training crop's own Gram matrix is held to the painting's, so every crop must carry the whole
painting (its orange sky, its dark water), while the judge, like the optimizer, takes one Gram matrix over the whole
photo. The mean over crops of ‖G_i − G_s‖² is the pooled error ‖mean G_i − G_s‖² plus the spread of the crops'
Gram matrices around their mean, so matching each crop also punishes crops for differing from one another. Pooling
drops that penalty: at the same style weight it came much closer to the photos and further from the painting in an
earlier trial (train-trials-cpu.md, "the whole batch's mean Gram"; a blend of the two, `--style-spread`, since
reverted, moved along the style weight's curve). Does a higher style weight then buy the painting back for less than
the per-crop loss pays at the same content distance? The answer on the Scream
(benchmarks/results/pooled-gram-trials-cpu-2026-12-07.md): no, within 1.5% of the per-crop loss's own curve, and
further on the photo least like the others (the colonnade).

Each run trains restyle's network with ``restyle.train`` on the small trial recipe (as ``levels_trial.py``: 300
steps of 8 crops of 128 px, the style at 256 px), with ``restyle.core.losses.gram`` swapped for the run by one that
returns the mean of a batch's Gram matrices (the painting's, of one image, is unchanged), and judges the model as
``levels_trial.py`` judges restyle's network (the selection photos at 256 and 512 px, restyle's Scorer). Nothing in
restyle is changed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from unittest.mock import patch

import torch
from levels_trial import judge, print_head, print_rows, recipe_arguments, sheet, train_recipe

import restyle.core.losses as losses


def pooled(gram):
    """``gram`` made to return one Gram matrix, the mean of the batch's, for unguided features of a batch."""
    def mean_gram(features: torch.Tensor, masks=None) -> torch.Tensor:
        g = gram(features, masks)
        return g.mean(0, keepdim=True) if masks is None else g
    return mean_gram


def name(seed: int, style_weight: float) -> str:
    """The model file's name."""
    return f"pooled-seed-{seed}-sw-{style_weight:g}.safetensors"


def train(seed: int, style_weight: float, out: Path, args) -> Path:
    """One run with the batch's Gram matrix pooled; the model file."""
    path = out / name(seed, style_weight)
    if path.exists():
        return path
    with patch.object(losses, "gram", pooled(losses.gram)):
        train_recipe(path, seed, style_weight, args)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    recipe_arguments(ap)
    ap.add_argument("--style-weights", type=float, nargs="+", default=[10.0])
    ap.add_argument("--out", type=Path, default=Path("work/pooled"))
    ap.add_argument("--beside", type=Path, nargs="*", default=[], metavar="MODEL",
                    help="for --sheet: models of restyle's network to draw first (levels_trial.py's restyle-seed-0)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print_head("loss")
    for seed in args.seeds:
        for weight in args.style_weights:
            print_rows("pooled", seed, weight, judge("restyle", train(seed, weight, args.out, args), args))
    if args.sheet:
        models = list(args.beside) + [args.out / name(s, w) for s in args.seeds for w in args.style_weights]
        sheet(args.sheet, [("restyle", path) for path in models], args)


if __name__ == "__main__":
    main()
