"""A preset's float32 pass on the CPU with restyle's inference norm against PyTorch's instance norm.

    python benchmarks/cpu_norm.py [--size 384x512] [--pairs 6] [--preset the_scream]

Both variants run in one process, interleaved pair by pair (a noisy machine drifts between runs); each figure
is the median of 4 passes after one more. Not part of the test suite. Run it as the command line runs
(``OMP_WAIT_POLICY=PASSIVE``) or without, to see both.
"""
from __future__ import annotations

import argparse
import functools
import statistics
import sys
from pathlib import Path
from unittest import mock

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nnpack_layers import median_ms  # noqa: E402

from restyle.feedforward import network  # noqa: E402
from restyle.feedforward.runtime import load_model  # noqa: E402

_OWN = network._Norm.forward
PASSES = 4


def _pytorchs(norm, x, stats=None):
    """The norm as the CPU ran it before: PyTorch's instance norm wherever no statistics are given."""
    return nn.InstanceNorm2d.forward(norm, x) if stats is None else _OWN(norm, x, stats)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="384x512", help="HEIGHTxWIDTH")
    ap.add_argument("--pairs", type=int, default=6)
    ap.add_argument("--preset", default="the_scream")
    args = ap.parse_args()
    h, w = map(int, args.size.split("x"))
    net = load_model(preset=args.preset, device="cpu").net
    x = torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(0))
    times = {"pytorch": [], "restyle": []}
    with torch.inference_mode():
        own = net(x)
        with mock.patch.object(network._Norm, "forward", _pytorchs):
            difference = (net(x) - own).abs().max().item()
        for _ in range(args.pairs):
            with mock.patch.object(network._Norm, "forward", _pytorchs):
                times["pytorch"].append(median_ms(functools.partial(net, x), PASSES))
            times["restyle"].append(median_ms(functools.partial(net, x), PASSES))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {w}x{h}, the outputs differ by "
          f"{difference:.1e} at most\n\n| norm | ms a pass, pair by pair | median |\n|---|---|---|")
    for name, ms in times.items():
        print(f"| {name} | {', '.join(f'{t:.0f}' for t in ms)} | {statistics.median(ms):.0f} |")


if __name__ == "__main__":
    main()
