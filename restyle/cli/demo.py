"""``restyle demo``: both engines on the bundled example photos and paintings."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..optimize.options import Options
from .arguments import add_fields, quiet
from .progress import OptimizerBar, say


def add_parser(sub, name: str, fmt) -> None:
    d = sub.add_parser(name, formatter_class=fmt, help="paint the bundled example photos with both engines",
                       description="Paint the two example photos shipped with restyle with every shipped preset "
                                   "(a second), then with the optimizer in the style of the two example paintings, "
                                   "and write each result plus a grid of each engine's.")
    d.add_argument("-o", "--output-dir", metavar="DIR", default="restyle-demo", help="folder for the results")
    d.add_argument("--size", type=int, metavar="PX", help="long side of each result in pixels (default: 256)")
    d.add_argument("--iterations", type=int, metavar="N", help="optimizer iterations per result (default: 60)")
    add_fields(d, Options, ["device"])
    quiet(d)


def run(args: argparse.Namespace) -> int:
    from ..demo import run_demo
    given = {k: getattr(args, k) for k in ("size", "iterations") if getattr(args, k) is not None}
    fast, grid = run_demo(Path(args.output_dir), device=args.device, say=lambda m: say(args.quiet, m),
                          progress=lambda: OptimizerBar(args.quiet), keep_freed_memory=True, **given)
    say(args.quiet, f"presets grid: {fast}\noptimizer grid: {grid}")
    return 0
