"""The optimizer with VGG19 padding other than by zeros, each result judged by each padding's VGG19.

    python tools/presets/vgg_padding.py the_scream --photos .heldout \
        --names cheetah_cub.jpg dahlia.jpg summer_palace.jpg tower.jpg --style-dir .train/styles \
        --optimized .train/optimized-heldout [--modes zeros replicate-first reflect]

restyle's VGG19 pads every convolution with zeros, and pixel optimization tunes a result's outermost pixels to that
padding (benchmarks/results/border-share-cpu-2026-12-04.md). Each mode paints the photos with `restyle.stylize`
(512 px, defaults, seed 0, as `presets.py quality` does) through a VGG19 whose first convolution pads by repeating
the edge pixels ("replicate-first") or whose every convolution pads by reflection ("reflect"); "zeros" is restyle's
own. Results are kept in --optimized ("zeros") and --optimized/MODE and reused when there. Every result, and the
preset's, is then judged by restyle's Scorer built in each mode, and by the zeros judge with the result's outer 2 and
4 px mirrored (`border_share.py`). Edge step: the mean absolute difference (0-255) over a result's outer 2 px
between it and the same result with them mirrored from the 2 px inside (`border_share.mirrored`). A check, not a
restyle option: it swaps the padding by replacing `VGG19Features.__init__` for as long as a mode is in use.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from border_share import mirrored  # noqa: E402
from presets import model_result, optimized_result  # noqa: E402

import restyle  # noqa: E402
from restyle.core import vgg  # noqa: E402
from restyle.core.images import load_image, to_pil  # noqa: E402

MODES = ("zeros", "replicate-first", "reflect")


class Padded(nn.Module):
    """A 3x3 convolution of ``conv``'s weights that pads by ``mode`` ("replicate", "reflect") instead of zeros."""

    def __init__(self, conv: nn.Conv2d, mode: str):
        super().__init__()
        self.conv, self.mode = conv, mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.pad(x, (1, 1, 1, 1), mode=self.mode), self.conv.weight, self.conv.bias)


@contextlib.contextmanager
def padding(mode: str):
    """VGG19 networks built inside this block pad as ``mode`` says (one of MODES)."""
    init = vgg.VGG19Features.__init__

    def padded_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        convs = [i for i, layer in enumerate(self.layers) if isinstance(layer, nn.Conv2d)]
        for i in convs[:1] if mode == "replicate-first" else convs:
            self.layers[i] = Padded(self.layers[i], "replicate" if mode == "replicate-first" else mode)

    if mode != "zeros":
        vgg.VGG19Features.__init__ = padded_init
    try:
        yield
    finally:
        vgg.VGG19Features.__init__ = init


def edge_step(image: torch.Tensor, k: int = 2) -> float:
    """Mean |outer ``k`` px - those px mirrored from the ``k`` px inside them| of a (3, H, W) image, on 0-255."""
    border = torch.ones(image.shape[1:], dtype=torch.bool)
    border[k:-k, k:-k] = False
    return float((image - mirrored(image, k)).abs()[:, border].mean()) * 255


def optimized(args, mode: str, photo: Path, style: Path) -> torch.Tensor:
    """The optimizer's result on ``photo`` painted through ``mode``'s VGG19 (made once, then reused)."""
    folder = args.optimized if mode == "zeros" else str(Path(args.optimized) / mode)
    with padding(mode):
        t = time.perf_counter()
        image = optimized_result(argparse.Namespace(optimized=folder, size=512, device=args.device), photo, style)
        print(f"optimizer, {mode}, {photo.name}: {time.perf_counter() - t:.1f} s (made or read)", flush=True)
    return load_image(image)


def judged(image: torch.Tensor, judges: dict) -> list[float]:
    """One row of figures for one result: each judge's style and content, the mirrored figures, the edge step."""
    row = []
    for mode, judge in judges.items():
        score = judge(to_pil(image))
        row += [score.style, score.content]
        if mode == "zeros":
            row += [judge(to_pil(mirrored(image, k))).style for k in (2, 4)]
    return row + [edge_step(image)]


def table(rows: dict[str, list[list[float]]]) -> str:
    """The Markdown table of each source's mean figures over the photos, and its ratios to the zeros optimizer."""
    lines = ["\n| result | zeros judge: style, content | outer 2 / 4 px mirrored: style | replicate-first judge | "
             "reflect judge | edge step | style ratio to the zeros optimizer: zeros, mirrored 2 / 4, replicate-first, "
             "reflect |", "|---|---|---|---|---|---|---|"]
    base = rows.get("optimizer, zeros")
    for source, photo_rows in rows.items():
        m = [sum(column) / len(column) for column in zip(*photo_rows)]
        ratios = ([sum(r[i] / b[i] for r, b in zip(photo_rows, base)) / len(base) for i in (0, 2, 3, 4, 6)]
                  if base else [])
        lines.append(f"| {source} | {m[0]:.4f}, {m[1]:.3f} | {m[2]:.4f} / {m[3]:.4f} | {m[4]:.4f}, {m[5]:.3f} | "
                     f"{m[6]:.4f}, {m[7]:.3f} | {m[8]:.1f} | " + ", ".join(f"{r:.2f}" for r in ratios) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("style", help="the painting's name in --style-dir, and the preset's")
    parser.add_argument("--photos", required=True, help="folder of the photos")
    parser.add_argument("--names", nargs="+", required=True, help="photo file names in --photos")
    parser.add_argument("--style-dir", required=True)
    parser.add_argument("--optimized", required=True, help="where the optimizer's results are kept")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    style = Path(args.style_dir) / f"{args.style}.jpg"
    model = restyle.load_model(preset=args.style, device=args.device)
    rows: dict[str, list[list[float]]] = {}
    for name in args.names:
        photo = Path(args.photos) / name
        images = {f"optimizer, {mode}": optimized(args, mode, photo, style) for mode in args.modes}
        images["preset"] = load_image(model_result(model, photo, 512))
        judges = {}
        for mode in MODES:
            with padding(mode):
                judges[mode] = restyle.Scorer(photo, style, device=args.device)
        for source, image in images.items():
            rows.setdefault(source, []).append(judged(image, judges))
    print(table(rows))


if __name__ == "__main__":
    main()
