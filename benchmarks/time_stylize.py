"""Time restyle's engine: start-up, seconds per iteration and total, per size and precision.

    python benchmarks/time_stylize.py --device cuda --sizes 512 1024 --precisions auto fp32
    python benchmarks/time_stylize.py --sizes 512 --convolutions auto onednn   # NNPACK against oneDNN on a CPU

Not part of the test suite. Prints a Markdown table; with --out DIR also saves each result image.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nnpack_layers import without_nnpack  # noqa: E402

import restyle  # noqa: E402
from restyle.core.device import resolve_device  # noqa: E402

EXAMPLES = Path(restyle.__file__).parent / "examples"


def run(content, style, size, precision, device, iterations, out, curve=0):
    stamps = []
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()

    def callback(p):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        stamps.append((p.scale, time.perf_counter()))
        if curve and (p.iteration % curve == 0 or p.iteration == 1):
            losses = " ".join(f"{k} {v:.4f}" for k, v in p.losses.items())
            print(f"  {size}px {precision} scale {p.scale} it {p.iteration:4d} {p.elapsed:7.1f}s  {losses}", flush=True)

    start = time.perf_counter()
    image = restyle.stylize(content, [style], size=size, precision=precision, device=device,
                            iterations=iterations, callback=callback, keep_freed_memory=True)
    total = time.perf_counter() - start
    last_scale = stamps[-1][0]
    final = [t for s, t in stamps if s == last_scale]
    per_it = statistics.median(b - a for a, b in zip(final, final[1:])) if len(final) > 2 else float("nan")
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else float("nan")
    if out:
        image.save(Path(out) / f"{size}-{precision}.png")
    return stamps[0][1] - start, per_it, total, peak


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--content", default=str(EXAMPLES / "tubingen.jpg"))
    ap.add_argument("--style", default=str(EXAMPLES / "starry_night.jpg"))
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--precisions", nargs="+", default=["auto"])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--iterations", type=int, default=restyle.Options().iterations)
    ap.add_argument("--out")
    ap.add_argument("--curve", type=int, default=0, metavar="N", help="print the loss terms every N iterations")
    ap.add_argument("--convolutions", nargs="+", choices=("auto", "onednn"), default=["auto"],
                    help="auto: as restyle picks (NNPACK on AVX2 CPUs); onednn: PyTorch's only, the baseline")
    args = ap.parse_args()
    device = str(resolve_device(args.device))
    name = torch.cuda.get_device_name() if device.startswith("cuda") else "cpu"
    print(f"device: {name}, torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    # Warm-up: loads weights, initializes kernels (and cudnn autotuning for small sizes).
    restyle.stylize(args.content, [args.style], size=64, iterations=2, device=device)
    print("| size | precision | convolutions | first iteration after (s) | s/iteration at final scale | total (s) | "
          "peak GPU MiB |")
    print("|---|---|---|---|---|---|---|")
    for size in args.sizes:
        for precision in args.precisions:
            for convolutions in args.convolutions:
                with without_nnpack() if convolutions == "onednn" else contextlib.nullcontext():
                    first, per_it, total, peak = run(args.content, args.style, size, precision, device,
                                                     args.iterations, args.out, args.curve)
                print(f"| {size} | {precision} | {convolutions} | {first:.2f} | {per_it:.4f} | {total:.1f} | "
                      f"{peak:.0f} |", flush=True)


if __name__ == "__main__":
    main()
