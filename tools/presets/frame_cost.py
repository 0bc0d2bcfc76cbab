"""What the reflected frame a model paints a photo in costs, against the photo's own surroundings.

    python tools/presets/frame_cost.py the_scream --models the_scream MODEL.safetensors --photos .heldout \
        --names cheetah_cub.jpg dahlia.jpg --optimized work/opt [--inset 32] [--coarse C]

Each photo, shrunk to long side --size, loses its outer --inset px on every side: the inner picture. Each model
paints that inner picture twice. "As applied": as `restyle apply` paints any photo, framed by reflection (the model's
margin, or its network's own padding). "Real surroundings": the whole photo painted with no frame added (the
model's margin set to 0) and the inner picture cut from it, so the network sees the photo's own pixels around it, as
a model trained with a margin saw them around each training crop. A second row holds every instance norm's statistics
as in the painting as applied, so only what lies around the inner picture differs. Each result is scored with
restyle's Scorer against the inner picture at its own size, beside the optimizer's 512 px result (kept in
--optimized as `presets.py quality` keeps it) cut alike; the figures are comparable among themselves, not with
`presets.py quality`'s. Also prints each painting's border bands (`edge_bands.py`'s figure, the four sides' mean).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from border_share import StatsReplay  # noqa: E402
from edge_bands import bands  # noqa: E402
from presets import SHARED, optimized_result, photo_at  # noqa: E402

import restyle  # noqa: E402
from restyle.core.images import load_image, to_pil  # noqa: E402
from restyle.feedforward.modelfile import model_or_preset  # noqa: E402


def inner(image, inset: int):
    """``image`` (3, H, W) without its outer ``inset`` px on every side."""
    return image[:, inset:-inset, inset:-inset]


def paintings(model, photo, inset: int) -> dict[str, object]:
    """``model``'s three paintings of ``photo`` (3, H, W) without its outer ``inset`` px: as applied, and cut from
    the whole photo painted with no frame, with the norms' own statistics and with those of the painting as applied."""
    net, margin = model.net, model.margin
    model.net = replay = StatsReplay(net)
    try:
        applied = load_image(model(to_pil(inner(photo, inset))))
        model.margin = 0
        replay.rewind()
        held = inner(load_image(model(to_pil(photo))), inset)
        model.net = net
        own = inner(load_image(model(to_pil(photo))), inset)
    finally:
        model.net, model.margin = net, margin
    return {"as applied": applied, "real surroundings": own, "real surroundings, statistics as applied": held}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("style", help="the painting's name in --style-dir")
    parser.add_argument("--models", nargs="+", required=True, help="shipped presets' names or .safetensors files")
    parser.add_argument("--photos", required=True, help="folder of the photos")
    parser.add_argument("--names", nargs="+", required=True, help="the photos' file names in --photos")
    parser.add_argument("--style-dir", default=str(SHARED / "styles"))
    parser.add_argument("--optimized", required=True, help="folder keeping the optimizer's results, reused there")
    parser.add_argument("--inset", type=int, default=32, help="px cut from each side of the photo")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--coarse", type=float, help="the models paint in two passes (load_model's; default: as "
                        "each was trained)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    if args.inset < 1:
        parser.error(f"--inset must be at least 1 px, got {args.inset}")
    style = Path(args.style_dir) / f"{args.style}.jpg"
    models = {source: restyle.load_model(model_or_preset(source), device=args.device, coarse=args.coarse)
              for source in args.models}
    rows: dict[str, list] = {}
    for name in args.names:
        photo = photo_at(Path(args.photos) / name, args.size)
        picture = inner(photo, args.inset)
        scorer = restyle.Scorer(to_pil(picture), style, device=args.device, size=max(picture.shape[1:]))
        images = {"optimizer": inner(load_image(optimized_result(args, Path(args.photos) / name, style)), args.inset)}
        for source, model in models.items():
            images.update({f"{source}, {kind}": image for kind, image in paintings(model, photo, args.inset).items()})
        for label, image in images.items():
            rows.setdefault(label, []).append((scorer(to_pil(image)), bands(to_pil(image)).mean()))
    print("| painting | style | content | style ratio to the optimizer | per photo | border bands |\n"
          "|---|---|---|---|---|---|")
    for label, scored in rows.items():
        ratios = [s.style / o.style for (s, _), (o, _) in zip(scored, rows["optimizer"])]
        print(f"| {label} | {np.mean([s.style for s, _ in scored]):.4f} | {np.mean([s.content for s, _ in scored]):.3f}"
              f" | {np.mean(ratios):.2f} | {' / '.join(f'{r:.2f}' for r in ratios)} | "
              f"{np.mean([b for _, b in scored]):.1f} |")


if __name__ == "__main__":
    main()
