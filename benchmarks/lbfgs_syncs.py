"""The optimizer's iteration with restyle's L-BFGS (no host syncs) against torch.optim.LBFGS (2 x history + 3 a step).

    python benchmarks/lbfgs_syncs.py --device cuda --sizes 256 512 --iterations 200 --rounds 3

In one process, ``restyle.stylize`` (single scale) runs each size with each optimizer in alternating order,
``--rounds`` times; torch's is put in with the same settings as restyle's (one iteration a step, no tolerances).
Reported per size: the median seconds an iteration over the rounds (the run's last iteration's time stamp less
its first's, over the iterations between), the ratio restyle / torch, and each one's final loss (on a CPU the two
are the same to the bit; on a GPU they may differ in rounding). A warm-up run of each comes first.
Not part of the test suite. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import machine  # noqa: E402

import restyle  # noqa: E402
from restyle.optimize import transfer  # noqa: E402

EXAMPLES = Path(restyle.__file__).parent / "examples"
RESTYLES = transfer._optimizer


def torchs(x: torch.Tensor, opts, history: int):
    """torch.optim.LBFGS as restyle's optimizer would be set up (one iteration a step, no tolerances)."""
    return torch.optim.LBFGS([x], lr=opts.learning_rate or 1.0, max_iter=1, history_size=history,
                             tolerance_grad=0.0, tolerance_change=0.0)


def run(size: int, optimizer, args) -> tuple[float, float]:
    """Seconds an iteration and the final loss of one single-scale run with ``optimizer``."""
    stamps, losses = [], []

    def callback(p):
        stamps.append(time.perf_counter())
        losses.append(p.losses["total"])

    transfer._optimizer = optimizer
    try:
        restyle.stylize(args.content, args.style, size=size, iterations=args.iterations, device=args.device,
                        precision=args.precision, multiscale="off", seed=0, callback=callback)
    finally:
        transfer._optimizer = RESTYLES
    return (stamps[-1] - stamps[0]) / (len(stamps) - 1), losses[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--content", default=str(EXAMPLES / "tubingen.jpg"))
    ap.add_argument("--style", default=str(EXAMPLES / "starry_night.jpg"))
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--precision", default="auto")
    args = ap.parse_args()
    ways = {"restyle": RESTYLES, "torch": torchs}
    for optimizer in ways.values():  # warm-up: the first run of a process pays its start-up
        run(min(args.sizes), optimizer, args)
    print(f"{machine(args.device)}, torch {torch.__version__}, device {args.device}, precision {args.precision}, "
          f"{args.iterations} iterations, {args.rounds} rounds\n")
    print("| size | restyle s/it | torch.optim s/it | restyle / torch | final loss: restyle, torch |")
    print("|---|---|---|---|---|")
    for size in args.sizes:
        times, finals = {k: [] for k in ways}, {}
        for r in range(args.rounds):
            for name in (ways if r % 2 == 0 else reversed(ways)):
                seconds, finals[name] = run(size, ways[name], args)
                times[name].append(seconds)
        ours, theirs = (statistics.median(times[k]) for k in ways)
        print(f"| {size} | {ours:.4f} | {theirs:.4f} | **{ours / theirs:.2f}** | "
              f"{finals['restyle']:.6g}, {finals['torch']:.6g} |", flush=True)


if __name__ == "__main__":
    main()
