"""How far painting in two passes (``coarse``) moves each preset from one pass, at each judging size (no optimizer).

    python tools/presets/coarse_sizes.py --photos .heldout --names cheetah_cub.jpg dahlia.jpg summer_palace.jpg \
        tower.jpg --size 512 [--styles the_scream ...] [--arms 0.3:1 0.5:1 0.3:2 0.5:2]

Each preset paints each photo shrunk to --size (as ``presets.py quality`` has it paint) in one pass and in each arm
C:L: two passes with ``coarse`` C for L=1 (``restyle.load_model(coarse=C)``), and for L=2 a pyramid, tried here only:
the half-size painting is itself made in two passes (a quarter-size one under it). Every result is scored with
restyle's Scorer at --size. Prints a Markdown row per preset and arm: the mean over the photos of the arm's style
distance over one pass's (lower: closer to the painting than one pass), the same per VGG layer (relu1_1 to
relu5_1), the mean content distance, and each photo's style ratio. The optimizer is not run: these say how far the
arms move from one pass, not how far from the optimizer (``presets.py quality --coarse C`` says that).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from presets import model_result  # noqa: E402

import restyle  # noqa: E402
from restyle.feedforward.passes import with_coarse  # noqa: E402


def painter(model, coarse: float, levels: int):
    """``model`` painting one arm: restyle's own one pass (levels 0) or two (1, ``copy_with``), or the pyramid (2:
    the half-size painting itself in two passes), tried in this tool only."""
    arm = model.copy_with(coarse=coarse if levels else 0.0)
    if levels < 2:
        return arm

    def run(photo, k=levels):
        if k == 0 or min(photo.shape[-2:]) < 64:
            return model._pass(photo)
        return model._pass(with_coarse(photo, coarse, lambda p: run(p, k - 1)))
    arm._run = run
    return arm


def rows(style: str, args) -> list[str]:
    """The Markdown rows of one preset: one per arm, against one pass."""
    model = restyle.load_model(preset=style, device=args.device, coarse=0.0)
    arms = [(0.0, 0)] + [(float(c), int(k)) for c, k in (a.split(":") for a in args.arms)]
    painters = {arm: painter(model, *arm) for arm in arms}  # each made once, for every photo
    scores = {arm: [] for arm in arms}
    for name in args.names:
        photo = Path(args.photos) / name
        scorer = restyle.Scorer(photo, Path(args.style_dir) / f"{style}.jpg", device=args.device, size=args.size)
        for arm, painting in painters.items():
            scores[arm].append(scorer(model_result(painting, photo, args.size)))
    one = scores[0.0, 0]
    out = []
    for (c, k), got in list(scores.items())[1:]:
        ratios = [a.style / b.style for a, b in zip(got, one)]
        layers = " / ".join(f"{sum(a.style_layers[n] / b.style_layers[n] for a, b in zip(got, one)) / len(one):.2f}"
                            for n in one[0].style_layers)
        content, before = (sum(s.content for s in got) / len(got), sum(s.content for s in one) / len(one))
        out.append(f"| {style} | {c:g} | {k} | {sum(ratios) / len(ratios):.3f} | {layers} | {content:.3f} (one pass "
                   f"{before:.3f}) | {' / '.join(f'{r:.2f}' for r in ratios)} |")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--styles", nargs="+", default=["the_scream", "starry_night", "great_wave", "composition_vii"])
    ap.add_argument("--photos", required=True, help="folder of the photos")
    ap.add_argument("--names", nargs="+", required=True, help="the photos judged in it")
    ap.add_argument("--size", type=int, default=512, help="long side painted and judged at")
    ap.add_argument("--arms", nargs="+", default=["0.3:1", "0.5:1"], help="C:L, coarse C with L passes under the last")
    ap.add_argument("--style-dir", default=".train/styles")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    print("| painting | coarse | levels | style over one pass's | by layer (relu1_1 .. relu5_1) | content | "
          "per photo |\n|---|---|---|---|---|---|---|", flush=True)
    for style in args.styles:
        for row in rows(style, args):
            print(row, flush=True)


if __name__ == "__main__":
    main()
