"""Distillation targets: every training photo painted by the optimizer, for `restyle train --targets`.

    python tools/presets/distill_targets.py .train/styles/the_scream.jpg .train/photos .train/targets/the_scream
    restyle train .train/styles/the_scream.jpg --photos .train/photos --targets .train/targets/the_scream \
        --distill-weight 1 -o scream.safetensors
    python tools/presets/distill_targets.py .train/styles/{the_scream,starry_night}.jpg .train/photos .train/targets/two
    restyle train .train/styles/{the_scream,starry_night}.jpg --photos .train/photos --targets .train/targets/two \
        --distill-weight 1 -o two.safetensors

Each photo of PHOTOS (subfolders too) is painted by `restyle.stylize` with its defaults at --size (the long side;
default 512, the size the presets are judged at) and written as PNG to OUT at the same path and name (of several
styles, for a model of them all: in OUT's folder named by each style's file name, as training looks). Photos already
painted are skipped, so a stopped run goes on where it stopped. Training stretches each target to its photo as it
keeps it (short side at most twice the crop: 768 px at the default 384 px crops), so a 512 px target is enlarged
up to 2x; --size 1024 matches the crops' scale at about 4x the cost. --iterations sets the optimizer's iterations
(default: its own): fewer make rougher targets sooner. This script sits above both engines: the optimizer
makes the targets, training only reads them. On a 2-core CPU a 512 px painting takes many minutes; on a GPU,
seconds.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def main() -> None:
    from restyle.optimize.options import Options  # the optimizer's defaults (no torch import)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("style", nargs="+", help="the painting (or several, for a model of several styles)")
    ap.add_argument("photos", help="the training photos' folder")
    ap.add_argument("out", help="folder for the targets (created)")
    ap.add_argument("--size", type=int, default=512, help="long side of the paintings")
    ap.add_argument("--iterations", type=int, default=Options().iterations, help="the optimizer's iterations at its "
                    "coarsest scale (default: its own, %(default)s; fewer: cheaper, rougher targets)")
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()

    import restyle
    from restyle.core.images import image_files, save_image  # (written atomically)
    photos = Path(args.photos)
    for style in args.style:
        out = Path(args.out) / Path(style).stem if len(args.style) > 1 else Path(args.out)
        for photo in image_files(photos, recursive=True):
            target = (out / photo.relative_to(photos)).with_suffix(".png")
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            start = time.perf_counter()
            image = restyle.stylize(photo, style, size=args.size, iterations=args.iterations, device=args.device)
            save_image(image, target)
            print(f"{target} in {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
