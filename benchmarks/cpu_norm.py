"""A preset's float32 pass on the CPU with restyle's inference norm against PyTorch's instance norm.

    python benchmarks/cpu_norm.py [--size 384x512] [--pairs 6] [--preset the_scream | --styles 4]

Both variants run in one process, interleaved pair by pair (a noisy machine drifts between runs); each figure
is the median of 4 passes after one more. Not part of the test suite. Run it as the command line runs
(``OMP_WAIT_POLICY=PASSIVE``) or without, to see both. ``--styles N`` times an untrained network of N styles
(the preset's shape; a pass picks one style) instead of the preset.
"""
from __future__ import annotations

import argparse
import functools
import statistics
import sys
from pathlib import Path
from unittest import mock

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nnpack_layers import median_ms  # noqa: E402

from restyle.feedforward import network  # noqa: E402
from restyle.feedforward.network import NormStats, StyleNetwork  # noqa: E402
from restyle.feedforward.runtime import load_model  # noqa: E402

PASSES = 4


def _pytorchs():
    """The norm as the CPU ran it before: PyTorch's instance norm wherever no statistics are given."""
    return mock.patch.object(network._Norm, "_restyles", lambda norm, x: False)


def _network(preset: str, styles: int):
    """The preset's network and its pass, or an untrained one of ``styles`` styles painting in its first."""
    net = load_model(preset=preset, device="cpu").net
    if styles == 1:
        return net
    many = StyleNetwork(net.width, net.blocks, styles=styles).eval()
    mix = torch.eye(styles)[:1]
    return lambda x: many(x, NormStats(mix))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="384x512", help="HEIGHTxWIDTH")
    ap.add_argument("--pairs", type=int, default=6)
    ap.add_argument("--preset", default="the_scream")
    ap.add_argument("--styles", type=int, default=1, help="time a network of this many styles instead")
    args = ap.parse_args()
    h, w = map(int, args.size.split("x"))
    net = _network(args.preset, args.styles)
    x = torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(0))
    times = {"pytorch": [], "restyle": []}
    with torch.inference_mode():
        own = net(x)
        with _pytorchs():
            difference = (net(x) - own).abs().max().item()
        for _ in range(args.pairs):
            with _pytorchs():
                times["pytorch"].append(median_ms(functools.partial(net, x), PASSES))
            times["restyle"].append(median_ms(functools.partial(net, x), PASSES))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {w}x{h}, {args.styles} style(s), the "
          f"outputs differ by {difference:.1e} at most\n\n| norm | ms a pass, pair by pair | median |\n|---|---|---|")
    for name, ms in times.items():
        print(f"| {name} | {', '.join(f'{t:.0f}' for t in ms)} | {statistics.median(ms):.0f} |")


if __name__ == "__main__":
    main()
