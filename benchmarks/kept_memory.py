"""Applying a model to many images on a CPU: freed memory handed back after each pass, against kept for reuse.

    python benchmarks/kept_memory.py                  # the Scream preset, 512x384, 1920x1080 and 3000x2250
    python benchmarks/kept_memory.py --sizes 512x384 --repeat 8

Each size and each way runs in a fresh process set up as the command line sets up its own
(``restyle.cli.before_torch``): ``--repeat`` 8-bit applies of one random image of that size (``model.frame``),
either plain or inside ``restyle.core.memory.keep_freed_memory_between_passes`` (what ``restyle apply``,
``video``, ``batch`` and ``demo`` enter). Reported: the first apply (start-up included), the median of the later
ones, and the process's peak resident memory (VmHWM), with kept over handed back as ratios; with ``--rounds N``,
N processes of each way in alternating order, and the medians. A last row paints one image of each size in turn
(``--mixed`` rounds), as a folder of photos of several sizes would be: there each round's total.
Writes benchmarks/results/kept-memory-cpu-<date>.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import machine  # noqa: E402

PRESET = ROOT / "restyle" / "feedforward" / "presets" / "the_scream.safetensors"


def child(mode: str, model_path: str, sizes: list[tuple[int, int]], repeat: int) -> None:
    """Run in a fresh process: time the applies and print them with the peak memory, as JSON."""
    from restyle.cli import before_torch
    before_torch()  # what the command line sets in its own process before torch loads
    import numpy as np

    from restyle.core.memory import keep_freed_memory_between_passes
    from restyle.feedforward.runtime import load_model

    model = load_model(model_path, device="cpu")
    images = [(np.random.default_rng(0).random((h, w, 3)) * 255).astype(np.uint8) for w, h in sizes]
    times = []
    with keep_freed_memory_between_passes("cpu", asked=mode == "kept"):
        for _ in range(repeat):
            for image in images:
                start = time.perf_counter()
                model.frame(image)
                times.append(time.perf_counter() - start)
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM"))
    print(json.dumps({"times": times, "peak": peak}))


def measure(mode: str, model: str, sizes: list[tuple[int, int]], repeat: int) -> dict:
    """One child process's times and peak."""
    spec = ",".join(f"{w}x{h}" for w, h in sizes)
    done = subprocess.run([sys.executable, __file__, "--child", mode, "--model", model, "--sizes", spec,
                           "--repeat", str(repeat)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def parse_sizes(text: str) -> list[tuple[int, int]]:
    return [tuple(int(v) for v in s.split("x")) for s in text.split(",")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(PRESET), help="a .safetensors model (default: the Scream preset)")
    ap.add_argument("--sizes", default="512x384,1920x1080,3000x2250", help="WxH,... (default: %(default)s)")
    ap.add_argument("--repeat", type=int, default=4, help="applies per size and process (default: 4)")
    ap.add_argument("--mixed", type=int, default=2, help="rounds of one image of each size in turn, the first "
                    "timed apart (default: %(default)s; 0: none)")
    ap.add_argument("--rounds", type=int, default=1, help="fresh processes of each way per row, in alternating "
                    "order; the medians reported (default: %(default)s)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--child", choices=("plain", "kept"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    sizes = parse_sizes(args.sizes)
    if args.child:
        return child(args.child, args.model, sizes, args.repeat)
    import torch

    import restyle
    lines = [f"# Keeping freed memory while a model paints many images: {machine('cpu')}, torch capability "
             f"{torch.backends.cpu.get_cpu_capability()}", "",
             f"{datetime.date.today()}, torch {torch.__version__}, restyle {restyle.__version__}, model "
             f"{Path(args.model).name}. Command: `python {shlex.join(['benchmarks/kept_memory.py', *sys.argv[1:]])}`",
             "", "| images | handed back: first / later (median) | kept: first / later | kept / handed back: first / "
             "later | peak memory, handed back / kept | kept / handed back |", "|---|---|---|---|---|---|"]
    runs = [([s], args.repeat) for s in sizes] + ([(sizes, args.mixed)] if args.mixed and len(sizes) > 1 else [])
    for run_sizes, repeat in runs:
        plain, kept = [], []
        for r in range(args.rounds):  # the pair's order alternating round by round
            for mode in ("plain", "kept") if r % 2 == 0 else ("kept", "plain"):
                (plain if mode == "plain" else kept).append(measure(mode, args.model, run_sizes, repeat))
        name = " ".join(f"{w}x{h}" for w, h in run_sizes) + (" in turn" if len(run_sizes) > 1 else "")
        lines.append(row(name, plain, kept, len(run_sizes)))
        print(lines[-1], flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = out / f"kept-memory-cpu-{datetime.date.today()}.md"
    report.write_text("\n".join(lines) + "\n")
    print(f"wrote {report}")


def row(name: str, plain: list[dict], kept: list[dict], per_round: int) -> str:
    """A table row: the first and later times of both ways (medians over the processes; for mixed sizes, each
    round's total), peaks, ratios."""
    def times(runs: list[dict]) -> tuple[float, float, float]:
        firsts, later = [], []
        for run in runs:
            rounds = [sum(run["times"][i:i + per_round]) for i in range(0, len(run["times"]), per_round)]
            firsts.append(rounds[0])
            later += rounds[1:]
        return (statistics.median(firsts), statistics.median(later) if later else float("nan"),
                statistics.median(run["peak"] for run in runs))

    def ms(t: float) -> str:
        return "-" if t != t else f"{t * 1000:.0f} ms"

    (pf, pl, pp), (kf, kl, kp) = times(plain), times(kept)
    return (f"| {name} | {ms(pf)} / {ms(pl)} | {ms(kf)} / {ms(kl)} | {kf / pf:.2f} / {kl / pl:.2f} | "
            f"{pp / 1e9:.2f} / {kp / 1e9:.2f} GB | {kp / pp:.2f} |")


if __name__ == "__main__":
    main()
