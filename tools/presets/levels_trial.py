"""A style network with a third stride-2 level (residual blocks at an eighth of the size), trained beside restyle's.

    python tools/presets/levels_trial.py --seeds 0 1 --out work/levels

The question: the presets fall furthest short of the painting in its largest structures (relu5_1), and painting
in two passes (``coarse``), which lets the network work over structures twice as large, brought them closer. A
network whose residual blocks run at an eighth of the photo's size instead of a quarter sees about twice as far
(an output pixel sees 205 px against 109) and does a quarter of those blocks' work (their channels kept at 128).
This prototype trains it with ``restyle.train`` (the network class swapped for the run) beside restyle's own
network on the small trial recipe (300 steps of 8 crops of 128 px, the style at 256 px, style weight 5 or
``--style-weight``), and judges both alike: each selection photo shrunk to each ``--score-size``, painted (padded
by reflection to a multiple of 8), scored with restyle's Scorer. ``--sheet`` draws the results side by side,
``--apply-time`` times each network's pass. The answer (benchmarks/results/levels-trials-cpu-2026-12-07.md): no
closer to the painting at the same content distance. Nothing in restyle is changed: the network is built from
restyle's own layers (private names, as a prototype may), and a model file written here records restyle's shape,
so only this script paints with the third level.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from unittest.mock import patch

import torch
from PIL import Image
from presets import HELD_OUT, photo_at
from safetensors.torch import load_file
from torch import nn

import restyle
import restyle.feedforward.training as training
from restyle.core.images import to_pil
from restyle.feedforward.network import StyleNetwork, _conv, _Norm, _Residual, _UpsampleConv, dilations, framed


class ThreeLevels(StyleNetwork):
    """restyle's network with one more stride-2 convolution and upsampling step; channels capped at 4x width."""

    def __init__(self, width: int = 32, blocks: int = 5, styles: int = 1, dilation: int = 1):
        nn.Module.__init__(self)
        self.width, self.blocks, self.styles, self.dilation = width, blocks, styles, dilation
        w1, w2, w4, s = width, 2 * width, 4 * width, styles
        relu = lambda: nn.ReLU(inplace=True)  # noqa: E731
        self.body = nn.Sequential(
            *_conv(3, w1, 9), _Norm(w1, s), relu(),
            *_conv(w1, w2, 3, stride=2), _Norm(w2, s), relu(),
            *_conv(w2, w4, 3, stride=2), _Norm(w4, s), relu(),
            *_conv(w4, w4, 3, stride=2), _Norm(w4, s), relu(),
            *[_Residual(w4, s, d) for d in dilations(blocks, dilation)],
            _UpsampleConv(w4, w4), _Norm(w4, s), relu(),
            _UpsampleConv(w4, w2), _Norm(w2, s), relu(),
            _UpsampleConv(w2, w1), _Norm(w1, s), relu(),
        )
        self.head = nn.Sequential(*_conv(w1, 3, 9))
        for norm, stride in zip(self.norms(), [1, 2, 4, 8] + [8] * 2 * blocks + [4, 2, 1]):
            norm.stride = stride


#: What each network's sides must be multiples of (two or three stride-2 steps).
MULTIPLES = {"restyle": 4, "levels": 8}


def name(kind: str, seed: int, args) -> str:
    """The model file's name: network, seed and (where not 5) style weight."""
    return f"{kind}-seed-{seed}" + (f"-sw-{args.style_weight:g}" if args.style_weight != 5 else "") + ".safetensors"


def train(kind: str, seed: int, out: Path, args) -> Path:
    """One trial run of ``kind`` ("restyle" or "levels"); the model file."""
    path = out / name(kind, seed, args)
    if path.exists():
        return path
    swap = patch.multiple(training, StyleNetwork=ThreeLevels, MULTIPLE=MULTIPLES[kind]) if kind == "levels" \
        else nullcontext()
    with swap:
        train_recipe(path, seed, args.style_weight, args)
    return path


def train_recipe(path: Path, seed: int, style_weight: float, args) -> None:
    """``restyle.train`` on the small trial recipe (300 steps by default of 8 crops of 128 px, the style at 256 px),
    the model written to ``path``, its training folder beside it; prints the time it took."""
    began = time.perf_counter()
    restyle.train(Path(args.style_dir) / f"{args.style}.jpg", args.photos, path, steps=args.steps, batch_size=8,
                  crop_size=128, style_size=256, style_weight=style_weight, seed=seed, device="cpu",
                  preview_every=0, checkpoint_every=10**9, preview=Path(args.heldout) / HELD_OUT[0],
                  work_dir=path.parent / f"{path.stem}-training")
    print(f"{path.stem}: trained in {time.perf_counter() - began:.0f} s", flush=True)


def recipe_arguments(ap: argparse.ArgumentParser) -> None:
    """The options a trial on this recipe shares: the painting, the photos, steps, seeds, judging sizes, a sheet."""
    ap.add_argument("--style", default="the_scream")
    ap.add_argument("--style-dir", default=".train/styles")
    ap.add_argument("--photos", default=".train/photos")
    ap.add_argument("--heldout", default=".train/heldout")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--score-size", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--sheet", type=Path, help="also draw the selection photos and each model's 512 px result here")


def print_head(label: str) -> None:
    """The head of ``print_rows``' table, its first column headed ``label``."""
    print(f"| {label} | seed | style weight | judged at | style per photo | mean style | mean content |")
    print("|---|---|---|---|---|---|---|")


def print_rows(label: str, seed: int, style_weight: float, scores: dict[int, tuple[list[float], float]]) -> None:
    """A Markdown table row per judging size of ``judge``'s scores."""
    for size, (styles, content) in scores.items():
        print(f"| {label} | {seed} | {style_weight:g} | {size} px | {' / '.join(f'{s:.4f}' for s in styles)} | "
              f"{statistics.mean(styles):.4f} | {content:.3f} |", flush=True)


@torch.inference_mode()
def paint(net: StyleNetwork, photo: torch.Tensor, multiple: int) -> torch.Tensor:
    """``photo`` (3, H, W) painted (3, H, W), padded by reflection to a multiple of ``multiple`` and cut back."""
    h, w = photo.shape[-2:]
    return net(framed(photo[None], 0, right=-w % multiple, bottom=-h % multiple))[0, :, :h, :w].clamp(0, 1)


def judge(kind: str, path: Path, args) -> dict[int, tuple[list[float], float]]:
    """{size: (style distance per photo, mean content distance)}."""
    net = load(kind, path)
    style = Path(args.style_dir) / f"{args.style}.jpg"
    scores = {}
    for size in args.score_size:
        styles, contents = [], []
        for photo_name in HELD_OUT:
            photo = Path(args.heldout) / photo_name
            result = paint(net, photo_at(photo, size), MULTIPLES[kind])
            score = restyle.Scorer(photo, style, device="cpu", size=size)(to_pil(result))
            styles.append(score.style)
            contents.append(score.content)
        scores[size] = (styles, statistics.mean(contents))
    return scores


def load(kind: str, path: Path) -> StyleNetwork:
    """The network of ``kind`` with the weights of the model file ``path``, for inference."""
    net = (ThreeLevels if kind == "levels" else StyleNetwork).empty()
    net.load_state_dict(load_file(path), strict=True)
    return net.eval()


def sheet(out: Path, models: list[tuple[str, Path]], args, size: int = 512, cell: int = 320) -> None:
    """A row a selection photo: the photo, then each model's result at ``size``, each shrunk to ``cell`` px wide."""
    nets = [(kind, load(kind, path)) for kind, path in models]
    rows = []
    for photo_name in HELD_OUT:
        photo = photo_at(Path(args.heldout) / photo_name, size)
        row = [to_pil(photo)] + [to_pil(paint(net, photo, MULTIPLES[kind])) for kind, net in nets]
        rows.append([im.resize((cell, round(cell * im.height / im.width))) for im in row])
    grid = Image.new("RGB", (cell * len(rows[0]), sum(r[0].height for r in rows)), "white")
    top = 0
    for row in rows:
        for i, im in enumerate(row):
            grid.paste(im, (i * cell, top))
        top += row[0].height
    grid.save(out, quality=85)
    print(f"wrote {out}: photo, then {', '.join(path.stem for _, path in models)}")


@torch.inference_mode()
def apply_times(models: list[tuple[str, Path]], passes: int) -> None:
    """Each model's pass over a 512 x 384 float32 image, the models alternating ``passes`` times: the medians, and
    each network's multiply-adds (``benchmarks/network_shapes.py``'s count)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from network_shapes import macs_per_pixel
    nets = [(path.stem, load(kind, path)) for kind, path in models]
    x = torch.rand(1, 3, 384, 512, generator=torch.Generator().manual_seed(0))
    times: dict[str, list[float]] = {label: [] for label, _ in nets}
    for label, net in nets * (passes + 1):
        began = time.perf_counter()
        net(x)
        times[label].append(time.perf_counter() - began)
    for label, spans in times.items():  # the first pass of each is a warm-up
        print(f"{label}: a 512 x 384 pass in {statistics.median(spans[1:]) * 1000:.0f} ms (median of {passes}), "
              f"{macs_per_pixel(dict(nets)[label]) * 384 * 512 * 2 / 1e9:.1f} GFLOP")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    recipe_arguments(ap)
    ap.add_argument("--style-weight", type=float, default=5.0)
    ap.add_argument("--kinds", nargs="+", default=["restyle", "levels"], choices=["restyle", "levels"])
    ap.add_argument("--out", type=Path, default=Path("work/levels"))
    ap.add_argument("--apply-time", type=int, default=0, metavar="N",
                    help="also time the models' passes at 512 x 384, N alternating passes each")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print_head("network")
    for seed in args.seeds:
        for kind in args.kinds:
            print_rows(kind, seed, args.style_weight, judge(kind, train(kind, seed, args.out, args), args))
    models = [(kind, args.out / name(kind, seed, args)) for seed in args.seeds for kind in args.kinds]
    if args.sheet:
        sheet(args.sheet, models, args)
    if args.apply_time:
        apply_times(models, args.apply_time)


if __name__ == "__main__":
    main()
