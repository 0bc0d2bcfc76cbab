"""Apply cost of wider and deeper style networks against the default one, in one run.

    python benchmarks/network_shapes.py                       # CPU, 512x384 (the presets' apply budget: 0.5 s)
    python benchmarks/network_shapes.py --device cuda --size 1080x1920
    python benchmarks/network_shapes.py --shapes 32/5 32/5/1/32/0.6   # a margin, two passes

For each shape (``--shapes``, width/blocks, width/blocks/dilation, width/blocks/dilation/margin, the margin a
model trained with ``restyle train --margin`` paints each image framed by, or width/blocks/dilation/margin/coarse,
the share a model trained with ``--coarse`` paints in two passes with; the first is the baseline), a random-weight
model of that shape (the cost does not depend on the weights) is applied to one image through ``StyleModel.frame``
(8-bit pixels in and out, the path video and batch use), the shapes taken in turn for --rounds rounds so that a
slow spell of the machine falls on all alike; the median per shape and its ratio to the baseline. Also the
parameters and the multiply-adds per pixel (torch's FLOP counter).
Writes benchmarks/results/network-shapes-<device>-<date>.md.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import machine  # noqa: E402
from nnpack_layers import without_nnpack  # noqa: E402

from restyle.feedforward.modelfile import save_model  # noqa: E402
from restyle.feedforward.network import StyleNetwork  # noqa: E402
from restyle.feedforward.runtime import load_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def macs_per_pixel(net: StyleNetwork) -> float:
    """Multiply-adds per input pixel of one forward pass (on a 64x64 image), every convolution PyTorch's: the FLOP
    counter does not see NNPACK's (on an AVX2 CPU it missed the 9x9 layers, a fifth of the work)."""
    with torch.no_grad(), without_nnpack(), FlopCounterMode(display=False) as count:
        net(torch.rand(1, 3, 64, 64))
    return count.get_total_flops() / 2 / (64 * 64)


def shape_of(text: str) -> tuple:
    """(width, blocks, dilation, margin, coarse) of "W/B[/D[/M[/C]]]": dilation 1, margin 0, coarse 0 where not
    given."""
    parts = text.split("/")
    *whole, coarse = parts + ["1", "0", "0"][len(parts) - 2:]
    return (*map(int, whole), float(coarse))


def label(shape: tuple) -> str:
    """"W / B / D / M / C" of a shape."""
    return " / ".join(f"{v:g}" for v in shape)


def network(shape: tuple) -> StyleNetwork:
    """A random-weight network of ``shape``: (width, blocks, dilation, margin, coarse)."""
    width, blocks, dilation, *_ = shape
    return StyleNetwork.seeded(0, width, blocks, dilation=dilation)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shapes", nargs="+", default=["32/5", "32/7", "32/9", "40/5", "48/5", "32/5/4"],
                    metavar="W/B[/D[/M[/C]]]", help="network shapes, width/blocks[/dilation[/margin[/coarse]]]; "
                    "the first is the baseline")
    ap.add_argument("--size", default="384x512", help="HxW of the image")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--out", help="Markdown file (default: benchmarks/results/network-shapes-<device>-<date>.md)")
    args = ap.parse_args()
    h, w = (int(v) for v in args.size.split("x"))
    frame = torch.randint(0, 256, (h, w, 3), dtype=torch.uint8)
    shapes = [shape_of(s) for s in args.shapes]
    with tempfile.TemporaryDirectory() as tmp:
        models = {s: load_model(save_model(network(s), Path(tmp) / f"{'-'.join(map(str, s))}.safetensors",
                                           {"settings": {"margin": s[3]}}), device=args.device, coarse=s[4])
                  for s in shapes}
        times: dict[tuple, list[float]] = {s: [] for s in shapes}
        for m in models.values():
            m.frame(frame)  # warm-up
        for _ in range(args.rounds):
            for s, m in models.items():
                synchronize(m.device)
                t = time.perf_counter()
                m.frame(frame)
                synchronize(m.device)
                times[s].append(time.perf_counter() - t)
    base = statistics.median(times[shapes[0]])
    lines = [f"# Apply cost of network shapes ({args.device}, {w}x{h})", "",
             f"`python benchmarks/network_shapes.py {' '.join(sys.argv[1:])}`, {datetime.date.today()}, "
             f"{machine(args.device)}, torch {torch.__version__}, precision {models[shapes[0]].dtype}. Median of "
             f"{args.rounds} rounds of `StyleModel.frame` (8-bit in and out), the shapes in turn.", "",
             "| width / blocks / dilation / margin / coarse | parameters | multiply-adds per pixel (a pass) | median "
             "| vs the default |",
             "|---|---|---|---|---|"]
    for s in shapes:
        net = network(s)
        med = statistics.median(times[s])
        lines.append(f"| {label(s)} | {sum(p.numel() for p in net.parameters()) / 1e6:.2f} M "
                     f"| {macs_per_pixel(net) / 1e3:.0f} k | {med * 1e3:.0f} ms | {med / base:.2f}x |")
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(args.out) if args.out else \
        ROOT / "benchmarks" / "results" / f"network-shapes-{args.device}-{datetime.date.today()}.md"
    out.write_text(text)


if __name__ == "__main__":
    main()
