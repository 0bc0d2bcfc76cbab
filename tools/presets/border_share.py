"""How much of a result's style distance rests on its outermost pixels, for the optimizer's results and models'.

    python tools/presets/border_share.py the_scream --models the_scream MODEL.safetensors \
        --photos .heldout --names cheetah_cub.jpg dahlia.jpg --optimized work/opt [--widths 0 2 4 8 16] [--padded 32]

Each result (the optimizer's 512 px `restyle.stylize` result, kept in --optimized as `presets.py quality` keeps it,
and each model's, applied as `presets.py quality` applies it) is scored with restyle's Scorer as it is and with
its outer K px on every side replaced by the mirror image of the K px inside them: the same picture without what
was painted along its borders. Prints, for each K, the mean style / content distance of each source over the
photos and its style ratio to the optimizer's (the mean of the photos' ratios, as `presets.py quality` reports),
then each photo's ratio.
With --padded P (or several) each model also paints the photo padded by P px of reflection on every side, cropped
back after ("MODEL padded P"): a painting with no border of its own, since the network never reaches the photo's
edges (a model trained with a margin may have learned where they lie from its own: several P show whether). The
reflected frame also moves every instance norm's statistics, so a second row ("..., statistics as painted") paints
it with each norm layer normalizing by the statistics it had painting the photo as it is: only the border differs.
--coarse C has the models paint in two passes (``restyle.load_model(coarse=C)``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from presets import SHARED, optimized_result, photo_at  # noqa: E402

import restyle  # noqa: E402
from restyle.core.images import load_image, to_pil  # noqa: E402
from restyle.feedforward.modelfile import model_or_preset  # noqa: E402
from restyle.feedforward.network import NormStats, framed  # noqa: E402


def mirrored(image: torch.Tensor, k: int) -> torch.Tensor:
    """``image`` (3, H, W) with its outer ``k`` px on each side replaced by the mirror image of the ``k`` px inside."""
    y = image.clone()
    if k:
        y[:, :, :k], y[:, :, -k:] = y[:, :, k:2 * k].flip(2), y[:, :, -2 * k:-k].flip(2)
        y[:, :k], y[:, -k:] = y[:, k:2 * k].flip(1), y[:, -2 * k:-k].flip(1)
    return y


class StatsReplay:
    """A model's network recording each pass's norm statistics, then (after ``rewind``) normalizing each pass of a
    later run by those of the same pass: two passes where the model paints in two. Single-style networks only."""

    def __init__(self, net):
        self.net, self.kept, self.replaying = net, [], None

    def rewind(self) -> None:
        """Replay the recorded statistics from the first pass on, for the next painting."""
        self.replaying = iter(range(len(self.kept)))

    def __getattr__(self, name):
        return getattr(self.net, name)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        stats = NormStats()
        if self.replaying is None:
            seen = {}
            for norm in self.net.norms():
                stats.observe[norm] = lambda t, norm=norm: seen.setdefault(norm, (
                    t.float().mean((2, 3), keepdim=True), t.float().var((2, 3), unbiased=False, keepdim=True)))
            self.kept.append(seen)
        else:
            stats.fixed = self.kept[next(self.replaying)]
        return self.net(x, stats)


def paintings(model, photo: Path, size: int, pads: list[int]) -> dict[str, torch.Tensor]:
    """``model``'s painting of ``photo`` (long side ``size``) as it is ("") and, for each of ``pads``, of the photo
    padded by that many px of reflection, cropped back: with the norms' own statistics, and with those of the
    painting as it is (recorded while it is painted)."""
    image = photo_at(photo, size)[None]

    def padded(pad: int) -> torch.Tensor:
        return load_image(model(to_pil(framed(image, pad)[0])))[:, pad:-pad, pad:-pad]

    if not pads:
        return {"": load_image(model(to_pil(image[0])))}
    net = model.net
    model.net = replay = StatsReplay(net)
    try:
        as_it_is, held = load_image(model(to_pil(image[0]))), {}
        for pad in pads:
            replay.rewind()
            held[pad] = padded(pad)
    finally:
        model.net = net
    out = {"": as_it_is}
    for pad in pads:
        out[f" padded {pad}"], out[f" padded {pad}, statistics as painted"] = padded(pad), held[pad]
    return out


def results(args, models: dict, photo: Path) -> dict[str, torch.Tensor]:
    """The optimizer's and each model's result on ``photo`` (and padded, with --padded), (3, H, W) in [0, 1]."""
    out = {"optimizer": load_image(optimized_result(args, photo, Path(args.style_dir) / f"{args.style}.jpg"))}
    painted = {source: paintings(model, photo, args.size, args.padded) for source, model in models.items()}
    out.update({source: images[""] for source, images in painted.items()})  # as painted first, then padded
    out.update({source + kind: image for source, images in painted.items() for kind, image in images.items() if kind})
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("style", help="the painting's name in --style-dir")
    parser.add_argument("--models", nargs="+", default=[], help="shipped presets' names or .safetensors model files")
    parser.add_argument("--photos", required=True, help="folder of the photos")
    parser.add_argument("--names", nargs="+", required=True, help="the photos' file names in --photos")
    parser.add_argument("--style-dir", default=str(SHARED / "styles"))
    parser.add_argument("--optimized", required=True, help="folder keeping the optimizer's results, reused there")
    parser.add_argument("--widths", nargs="+", type=int, default=[0, 2, 4, 8, 16], help="K: px mirrored per side")
    parser.add_argument("--padded", type=int, nargs="+", default=[], metavar="P",
                        help="also each model's painting of the photo padded by P px of reflection, cropped back "
                             "(several: a pair of rows each)")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--coarse", type=float, help="the models paint in two passes (load_model's; default: as "
                        "each was trained)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    models = {source: restyle.load_model(model_or_preset(source), device=args.device, coarse=args.coarse)
              for source in args.models}
    scores: dict[tuple[int, str], list] = {}
    for name in args.names:
        photo = Path(args.photos) / name
        scorer = restyle.Scorer(photo, Path(args.style_dir) / f"{args.style}.jpg", device=args.device, size=args.size)
        for source, image in results(args, models, photo).items():
            for k in args.widths:
                scores.setdefault((k, source), []).append(scorer(to_pil(mirrored(image, k))))
    print("| outer px mirrored | source | style | content | style ratio to the optimizer | per photo |\n"
          "|---|---|---|---|---|---|")
    for (k, source), s in sorted(scores.items(), key=lambda item: item[0][0]):  # by K, sources in order
        ratios = [a.style / b.style for a, b in zip(s, scores[k, "optimizer"])]
        print(f"| {k} | {source} | {sum(x.style for x in s) / len(s):.4f} | {sum(x.content for x in s) / len(s):.3f} "
              f"| {sum(ratios) / len(ratios):.2f} | {' / '.join(f'{r:.2f}' for r in ratios)} |")


if __name__ == "__main__":
    main()
