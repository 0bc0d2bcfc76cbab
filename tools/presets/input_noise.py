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

Prints a Markdown row per sigma, grain (`--grains`) and seed: per set, the style ratio to the optimizer per photo,
its mean, and the mean content distance.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from presets import optimized_result, photo_at  # the optimizer's kept result; a photo shrunk as it was made


def noisy(image, sigma: float, seed: int, colour: bool, grain: int = 1):
    """``image`` (PIL, RGB) with seeded Gaussian noise of standard deviation ``sigma`` (0-1 scale) added: one value
    a pixel, or with ``grain`` G one per G x G pixels, smoothly interpolated (bicubic) and scaled back to ``sigma``."""
    from PIL import Image
    pixels = np.asarray(image, dtype=np.float32) / 255
    rng = np.random.default_rng(seed)
    h, w = pixels.shape[:2]
    shape = (-(-h // grain), -(-w // grain), pixels.shape[2] if colour else 1)
    noise = rng.standard_normal(shape, dtype=np.float32)
    if grain > 1:
        noise = np.stack([np.asarray(Image.fromarray(noise[..., c], mode="F").resize((w, h), Image.BICUBIC))
                          for c in range(shape[2])], axis=-1)
        noise /= noise.std()
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


def judge(model, photos: list[tuple], sigma: float, seed: int, colour: bool,
          grain: int = 1) -> list[tuple[float, float]]:
    """Per prepared photo: (style ratio to the optimizer, content distance) of ``model``'s painting of it."""
    rows = []
    for scorer, optimizer_style, image in photos:
        score = scorer(model(noisy(image, sigma, seed, colour, grain) if sigma else image))
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
    ap.add_argument("--grains", type=int, nargs="+", default=[1],
                    help="one noise value per G x G pixels, smoothly interpolated (1: per pixel)")
    args = ap.parse_args()

    import restyle
    model = restyle.load_model(args.model, device="cpu", coarse=args.coarse)
    style = Path(args.style_dir) / f"{args.style}.jpg"
    sets = [prepared(style, photo_set, args.size) for photo_set in args.set]
    heads = [f"{Path(s[0]).name}: per photo, mean, content" for s in args.set]
    print("| sigma | grain | seed | " + " | ".join(heads) + " |")
    print("|---|---|---|" + "---|" * len(args.set))
    for sigma, grain in [(s, g) for s in args.sigmas for g in (args.grains if s else [1])]:
        for seed in args.seeds if sigma else [0]:
            cells = []
            for photos in sets:
                rows = judge(model, photos, sigma, seed, args.colour, grain)
                ratios = [r for r, _ in rows]
                cells.append(" / ".join(f"{r:.2f}" for r in ratios) + f", **{np.mean(ratios):.2f}**, "
                             f"{np.mean([c for _, c in rows]):.3f}")
            print(f"| {sigma:g} | {grain} | {seed} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
