"""Times ``restyle demo`` as a user runs it: the installed command line in a fresh process, N times.

    python benchmarks/demo.py [--runs 2] [--device cpu]

Writes results/demo.md with the hardware, the date and each run's wall time (process start to exit).
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import machine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "demo.md")
    ap.add_argument("--keep", type=Path, help="write the demo's images here (default: a temporary folder)")
    args = ap.parse_args()
    times = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            subprocess.run(["restyle", "demo", "-o", str(args.keep or tmp), "-q", "--device", args.device], check=True)
            times.append(time.perf_counter() - start)
        print(f"restyle demo: {times[-1]:.1f} s", flush=True)
    import torch
    lines = [f"# `restyle demo`, {args.device}", "",
             f"{machine(args.device)}, torch {torch.__version__}, {datetime.date.today()}. "
             f"Command: `python benchmarks/demo.py --runs {args.runs} --device {args.device}`.", "",
             "| run | wall time (process start to exit) |", "|---|---|"]
    lines += [f"| {i} | {t:.1f} s |" for i, t in enumerate(times, 1)]
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
