"""Judge a real-time model on photos with Gaussian noise added before painting: texture for its flat areas.

A network paints a flat area (a black background) flat, since its convolutions see the same input
everywhere there; the optimizer paints the painting's structures into it. Noise gives the network something to
paint. No training: the model as it is, each photo shrunk to --size, noise of standard deviation SIGMA (on the
0-1 scale, the same for the three channels unless --colour) added, painted, and judged with restyle's Scorer
against the optimizer's result, made and kept in each set's folder of optimized results as ``presets.py quality``
does.

    python tools/presets/input_noise.py the_scream --model restyle/feedforward/presets/the_scream.safetensors \\
      --set .train/heldout .train/optimized-selection tubingen.jpg golden_gate_bridge.jpg columns.jpg \\
      --sigmas 0 0.01 0.02 0.03 0.05 --seeds 0 1 2

Prints a Markdown row per sigma and seed: per set, the style ratio to the optimizer per photo, its mean, and the
mean content distance.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from presets import optimized_result, photo_at  # the optimizer's kept result; a photo shrunk as it was made


def noisy(image, sigma: float, seed: int, colour: bool):
    """``image`` (PIL, RGB) with seeded Gaussian noise of standard deviation ``sigma`` (0-1 scale) added."""
    from PIL import Image
    pixels = np.asarray(image, dtype=np.float32) / 255
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(pixels.shape if colour else pixels.shape[:2] + (1,), dtype=np.float32)
    return Image.fromarray(np.round(np.clip(pixels + sigma * noise, 0, 1) * 255).astype(np.uint8))


def prepared(style: Path, photo_set: list[str], size: int) -> list[tuple]:
    """Per photo of one set (folder, optimized folder, names...): its Scorer, the optimizer's style distance and
    the photo shrunk to ``size``, made once for every sigma and seed."""
    import restyle
    from restyle.core.images import to_pil
    folder, names = Path(photo_set[0]), photo_set[2:]
    kept = argparse.Namespace(optimized=photo_set[1], size=size, device="cpu")
    photos = []
    for photo in (folder / name for name in names):
        scorer = restyle.Scorer(photo, style, device="cpu", size=size)
        photos.append((scorer, scorer(optimized_result(kept, photo, style)).style, to_pil(photo_at(photo, size))))
    return photos


def judge(model, photos: list[tuple], sigma: float, seed: int, colour: bool) -> list[tuple[float, float]]:
    """Per prepared photo: (style ratio to the optimizer, content distance) of ``model``'s painting of it."""
    rows = []
    for scorer, optimizer_style, image in photos:
        score = scorer(model(noisy(image, sigma, seed, colour) if sigma else image))
        rows.append((score.style / optimizer_style, score.content))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("style", help="the painting's name in --style-dir, without .jpg")
    ap.add_argument("--model", required=True, help="a .safetensors model file")
    ap.add_argument("--coarse", type=float, help="paint in two passes (default: as the model was trained)")
    ap.add_argument("--style-dir", default=".train/styles")
    ap.add_argument("--set", nargs="+", action="append", required=True, metavar="FOLDER",
                    help="FOLDER OPTIMIZED NAME...: photos and the folder of the optimizer's results for them")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--sigmas", type=float, nargs="+", default=[0, 0.03])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--colour", action="store_true", help="noise drawn per channel, not shared by the three")
    args = ap.parse_args()

    import restyle
    model = restyle.load_model(args.model, device="cpu", coarse=args.coarse)
    style = Path(args.style_dir) / f"{args.style}.jpg"
    sets = [prepared(style, photo_set, args.size) for photo_set in args.set]
    print("| sigma | seed | " + " | ".join(f"{Path(s[0]).name}: per photo, mean, content" for s in args.set) + " |")
    print("|---|---|" + "---|" * len(args.set))
    for sigma in args.sigmas:
        for seed in args.seeds if sigma else [0]:
            cells = []
            for photos in sets:
                rows = judge(model, photos, sigma, seed, args.colour)
                ratios = [r for r, _ in rows]
                cells.append(" / ".join(f"{r:.2f}" for r in ratios) + f", **{np.mean(ratios):.2f}**, "
                             f"{np.mean([c for _, c in rows]):.3f}")
            print(f"| {sigma:g} | {seed} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
