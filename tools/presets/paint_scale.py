"""Judge a real-time model painting each photo at another size, its result resized to the size it is judged at.

A network paints strokes of a fixed size in pixels, learnt against the painting at its training style size. Painting
a photo F times larger and shrinking the result makes the strokes F times finer at the judged size (F < 1: coarser).
No training: the model as it is, each photo shrunk to F x --size (enlarged where it is smaller), painted, resized
to --size (antialiased when shrinking, bicubic) and judged with restyle's Scorer against the optimizer's result at
--size, made and kept in each set's folder of optimized results as ``presets.py quality`` does.

    python tools/presets/paint_scale.py the_scream --factors 0.75 1 1.25 1.5 2 \\
      --set .heldout .train/optimized-heldout cheetah_cub.jpg dahlia.jpg summer_palace.jpg tower.jpg \\
      --set .train/heldout .train/optimized tubingen.jpg golden_gate_bridge.jpg columns.jpg

Prints a Markdown row per set and factor: the mean and the largest style ratio to the optimizer over the set's
photos, the mean content distance, and each VGG layer's style ratio averaged over the photos.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from presets import optimized_result, photo_at  # the optimizer's kept result; a photo shrunk as it was made


def ratios(model, scorer, optimized, photo: Path, size: int, factor: float) -> tuple[float, float, list[float]]:
    """(style ratio to the optimizer's score ``optimized``, content distance, style ratio per layer) of ``model``
    painting ``photo`` at ``factor`` x ``size``, the result resized to ``size``."""
    import numpy as np
    import torch

    from restyle.core.images import resize, to_pil
    judged = photo_at(photo, size)
    painted = np.asarray(model(to_pil(photo_at(photo, round(size * factor)))), dtype=np.float32) / 255
    b = scorer(to_pil(resize(torch.from_numpy(painted).permute(2, 0, 1), tuple(judged.shape[1:]))))
    return b.style / optimized.style, b.content, [b.style_layers[k] / optimized.style_layers[k]
                                                  for k in optimized.style_layers]


def main() -> None:
    import restyle
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("style", help="a preset's name; its painting is STYLE_DIR/STYLE.jpg")
    ap.add_argument("--model", help="a model file instead of the preset")
    ap.add_argument("--style-dir", default=".train/styles")
    ap.add_argument("--set", nargs="+", action="append", required=True, metavar="FOLDER OPTIMIZED NAME",
                    help="photos: their folder, the folder of the optimizer's kept results, their names")
    ap.add_argument("--factors", type=float, nargs="+", default=[0.75, 1.0, 1.25, 1.5, 2.0])
    ap.add_argument("--size", type=int, default=512)
    args = ap.parse_args()
    model = restyle.load_model(args.model, device="cpu") if args.model else \
        restyle.load_model(preset=args.style, device="cpu")
    style = Path(args.style_dir) / f"{args.style}.jpg"
    print("| photos | factor | style ratio: mean | largest | content | by layer, relu1_1 ... relu5_1 |")
    print("|---|---|---|---|---|---|")
    for folder, optimized, *names in args.set:
        kept = argparse.Namespace(optimized=optimized, size=args.size, device="cpu")
        photos = [Path(folder) / name for name in names]
        scorers = [restyle.Scorer(p, style, device="cpu", size=args.size) for p in photos]
        made = [s(optimized_result(kept, p, style)) for s, p in zip(scorers, photos)]  # scored once
        for factor in args.factors:
            rows = [ratios(model, s, o, p, args.size, factor) for s, o, p in zip(scorers, made, photos)]
            layers = [statistics.mean(r[2][i] for r in rows) for i in range(len(rows[0][2]))]
            print(f"| {folder} | {factor:g} | {statistics.mean(r[0] for r in rows):.2f} | "
                  f"{max(r[0] for r in rows):.2f} | {statistics.mean(r[1] for r in rows):.3f} | "
                  f"{' / '.join(f'{v:.2f}' for v in layers)} |", flush=True)


if __name__ == "__main__":
    main()
