"""What a result's style error at one layer is made of: the features' overall strength, their means, or the rest?

    python tools/presets/gram_parts.py --style .train/styles/the_scream.jpg --photo .heldout/tower.jpg \
        RESULT.png ... [--model MODEL ...] [--layer relu5_1]

For each image (a result file, or a model's result on --photo at 512 px as presets.py makes it; the photo itself
for scale), at the given layer of restyle's Scorer (512 px, float32) prints:
- error: the Scorer's ‖G − G_s‖² / ‖G_s‖² (G the size-normalized Gram matrix, G_s the painting's);
- strength: tr G / tr G_s, and the error left after the best scalar multiple of G (so, what a brighter or fainter
  copy of the same features would reach);
- means: ‖μμᵀ − μ_sμ_sᵀ‖² / ‖G_s‖², μ the features' mean over positions: the part of G set by which channels are
  active on average, rather than by how they co-occur;
- diagonal: the error on G's diagonal alone, relative to ‖G_s‖² (each channel's own energy).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from presets import model_result

import restyle
from restyle.core.images import fit_size, load_image, resize
from restyle.core.layers import DEFAULT_STYLE_LAYERS
from restyle.core.losses import gram, relative_sq_error


def parts(feats: torch.Tensor, target: torch.Tensor, target_mean: torch.Tensor) -> str:
    """The row of one image's features (1, C, H, W) against the painting's Gram matrix and mean features."""
    f = feats.float()
    g = gram(f)[0]
    norm = target.pow(2).sum()  # every term is taken relative to ‖G_s‖², as the Scorer's is
    best = (g * target).sum() / g.pow(2).sum()
    mu = f.mean((2, 3))[0]
    means = relative_sq_error(torch.outer(mu, mu), torch.outer(target_mean, target_mean), norm)
    return (f"error {relative_sq_error(g, target):.3f} | strength {g.trace() / target.trace():.2f}, "
            f"{relative_sq_error(best * g, target):.3f} at the best multiple | means {means:.3f} | diagonal "
            f"{relative_sq_error(g.diagonal(), target.diagonal(), norm):.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", nargs="*", help="result images, judged as they are")
    ap.add_argument("--model", nargs="*", default=[], help="models (.safetensors) applied to --photo")
    ap.add_argument("--style", required=True)
    ap.add_argument("--photo", required=True, help="the content photo (Scorer's sizes; --model's input)")
    ap.add_argument("--layer", default="relu5_1", choices=list(DEFAULT_STYLE_LAYERS))
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    scorer = restyle.Scorer(args.photo, args.style, device=args.device)
    loss = scorer.loss

    def features(image) -> torch.Tensor:
        img = load_image(image)
        size = fit_size(img.shape[1], img.shape[2], scorer.size)
        with torch.no_grad():
            return loss.features(resize(img, size)[None].to(scorer.device))[args.layer]

    style_mean = features(args.style).float().mean((2, 3))[0]
    target = loss.style[args.layer].target
    target = target.view(-1, *target.shape[-2:])[0]  # the painting's Gram matrix (C, C)
    images = [(r, r) for r in args.results] + [(m, model_result(restyle.load_model(m, device=args.device),
                                                                Path(args.photo), scorer.size)) for m in args.model]
    print(f"{args.layer}, painting {Path(args.style).name}, photo {Path(args.photo).name}, {scorer.size} px\n")
    for label, image in [*images, (f"(the photo, {Path(args.photo).name})", args.photo)]:
        print(f"| {Path(label).name} | {parts(features(image), target, style_mean)} |", flush=True)


if __name__ == "__main__":
    main()
