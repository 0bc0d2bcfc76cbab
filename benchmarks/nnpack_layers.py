"""The style network's convolutions one at a time on the CPU: NNPACK (as restyle calls it) against PyTorch's oneDNN.

    python benchmarks/nnpack_layers.py            # the layers of a 512 x 384 pass
    python benchmarks/nnpack_layers.py --scale 2   # of a 1024 x 768 one
    python benchmarks/nnpack_layers.py --crossover # oneDNN's time over NNPACK's by size and channels (VGG19's too)

Each layer's input is as the network pads it; median of --repeat runs after one warm-up, float32, no autograd, with
the largest difference relative to oneDNN's largest output. Prints a Markdown table. Also the switch the other
benchmarks use for their oneDNN baseline (``without_nnpack``).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import statistics
import time

import torch
import torch.nn.functional as F

from restyle.core import nnpack

# (label, batch, in, out, kernel, stride, height and width of the input at scale 1, padded)
LAYERS = [("3x3, 128 to 128: a residual block's", 1, 128, 128, 3, 1, 98, 130),
          ("3x3, 128 to 256: the first upsampling's", 1, 128, 256, 3, 1, 98, 130),
          ("3x3, 64 to 128: the second upsampling's", 1, 64, 128, 3, 1, 194, 258),
          ("9x9, 3 to 32: the first layer", 1, 3, 32, 9, 1, 392, 520),
          ("9x9, 32 to 3: the last layer", 1, 32, 3, 9, 1, 392, 520),
          ("3x3 stride 2, 32 to 64", 1, 32, 64, 3, 2, 386, 514),
          ("3x3 stride 2, 64 to 128", 1, 64, 128, 3, 2, 194, 258),
          ("3x3, 128 to 128, a batch of 2 (NNPACK's batched path)", 2, 128, 128, 3, 1, 98, 130)]


@contextlib.contextmanager
def without_nnpack():
    """restyle's convolutions as PyTorch runs them (oneDNN), as on CPUs where NNPACK is not used."""
    saved, nnpack._usable = nnpack._usable, False
    try:
        yield
    finally:
        nnpack._usable = saved


def median_ms(run, repeat: int) -> float:
    run()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def crossover(repeat: int) -> None:
    """oneDNN's time over NNPACK's (above 1: NNPACK the faster) for square inputs of several sides."""
    sides = [8, 16, 24, 32, 48, 64, 96]
    print("| convolution | " + " | ".join(f"{s} x {s}" for s in sides) + " |\n|---|" + "---|" * len(sides))
    shapes = [(c, c, 3) for c in (64, 128, 256, 512)] + [(3, 64, 3), (3, 32, 9), (32, 3, 9)]
    with torch.no_grad():
        for cin, cout, k in shapes:
            ratios = []
            for side in sides:
                x, weight, bias = torch.randn(1, cin, side, side), torch.randn(cout, cin, k, k), torch.randn(cout)
                pad = k // 2  # output as large as the input
                nnpack_ms = median_ms(functools.partial(torch._nnpack_spatial_convolution, x, weight, bias, (pad, pad)),
                                      repeat)
                ratios.append(median_ms(functools.partial(F.conv2d, x, weight, bias, padding=pad), repeat) / nnpack_ms)
            print(f"| {k}x{k}, {cin} to {cout} | " + " | ".join(f"{r:.2f}" for r in ratios) + " |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="the image's side against 512 x 384")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--crossover", action="store_true", help="instead: oneDNN's time over NNPACK's by input size")
    args = ap.parse_args()
    if not torch._nnpack_available():
        raise SystemExit("NNPACK is not available in this PyTorch build")
    print(f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, "
          f"{torch.get_num_threads()} threads\n")
    if args.crossover:
        return crossover(args.repeat)
    print("| convolution (input) | NNPACK | oneDNN | difference |\n|---|---|---|---|")
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for label, n, cin, cout, k, stride, h, w in LAYERS:
            h, w = round((h - k + 1) * args.scale) + k - 1, round((w - k + 1) * args.scale) + k - 1
            x, weight = torch.randn(n, cin, h, w, generator=g), torch.randn(cout, cin, k, k, generator=g) * 0.05
            bias = torch.randn(cout, generator=g)
            through_nnpack = functools.partial(torch._nnpack_spatial_convolution, x, weight, bias, (0, 0),
                                               (stride, stride))
            onednn = functools.partial(F.conv2d, x, weight, bias, stride)
            expected = onednn()
            error = ((through_nnpack() - expected).abs().max() / expected.abs().max()).item()
            print(f"| {label} ({h} x {w}) | {median_ms(through_nnpack, args.repeat):.1f} ms | "
                  f"{median_ms(onednn, args.repeat):.1f} ms | {error:.0e} |", flush=True)


if __name__ == "__main__":
    main()
