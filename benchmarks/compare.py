"""Side-by-side benchmark of restyle against pastiche (same original VGG19 weights, L-BFGS, single-scale Gatys).

    python benchmarks/compare.py                      # CPU, 256 and 512 px, the shipped example pair
    python benchmarks/compare.py --device cuda --sizes 512

Both tools run as command lines in fresh processes, in the same run, on the same machine. For each content/style
pair and size it measures, per tool:
- seconds per L-BFGS function evaluation (each tool's L-BFGS step is one forward + backward), the median over
  the run after the first snapshot interval;
- start-up: process start to the first iteration (imports, weights, targets), i.e. the time of the first
  snapshot less the iterations before it;
- time to quality: pastiche's score after --steps steps is the target; restyle's time to quality is the wall time
  (from process start) of its first snapshot whose style distance is at most the target's and whose content
  distance is at most 1.1 x the target's (scored by `restyle score`, at long side 512);
- peak memory: max RSS on CPU, torch.cuda.max_memory_allocated on CUDA (read in the tool's own process).

Times come from the modification times of each tool's intermediate images (pastiche --workspace, restyle
--save-every): restyle saves them as uncompressed TIFF, pastiche as PNG. Writes
benchmarks/results/<device>-<date>.md and a PNG plot of style distance against seconds.
Needs matplotlib for the plot (pip install -e '.[bench]').
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "restyle" / "examples"

# Runs a module's command line and, at exit, writes its peak memory to $BENCH_REPORT.
WRAPPER = r"""
import atexit, json, os, runpy, sys
def report():
    # VmHWM, not getrusage: after fork + exec, ru_maxrss still counts the parent's memory (Linux).
    try:
        hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
        out = {"max_rss_mb": int(hwm.split()[1]) / 1024}
    except OSError:
        import resource
        out = {"max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}  # bytes on macOS
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        out["cuda_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    with open(os.environ["BENCH_REPORT"], "w") as f:
        json.dump(out, f)
atexit.register(report)
module = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


@dataclass
class Run:
    tool: str
    start: float
    snapshots: list[tuple[int, float, Path]]  # (iteration, seconds since process start, path)
    wall: float
    memory: dict
    scores: dict[int, tuple[float, float]] = field(default_factory=dict)  # iteration -> (content, style)

    def per_eval(self) -> float:
        its = [(i, t) for i, t, _ in self.snapshots if i > 0]
        rates = [(t2 - t1) / (i2 - i1) for (i1, t1), (i2, t2) in zip(its, its[1:])]
        return statistics.median(rates[1:] or rates)  # the first interval can include warm-up

    def startup(self) -> float:
        i, t, _ = next(s for s in self.snapshots if s[0] > 0)
        return t - i * self.per_eval()


def run_tool(tool: str, args: list[str], workdir: Path, device: str) -> tuple[float, float, dict]:
    report = workdir / f"{tool}-report.json"
    env = dict(os.environ, BENCH_REPORT=str(report), PYTHONUNBUFFERED="1")
    start = time.time()
    proc = subprocess.run([sys.executable, "-c", WRAPPER, tool, *args], env=env, cwd=workdir,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.time() - start
    if proc.returncode != 0:
        raise SystemExit(f"{tool} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return start, wall, json.loads(report.read_text())


def run_pastiche(content, style, size, steps, every, device, workdir: Path) -> Run:
    ws = workdir / "pastiche-ws"
    args = ["--content", str(content), "--styles", str(style), "--output", str(workdir / "pastiche.png"),
            "--size", str(size), "--num-steps", str(steps), "--device", device, "--seed", "0",
            "--workspace", str(ws), "--workspace-step", str(every), "--info-step", str(steps)]
    start, wall, memory = run_tool("pastiche", args, workdir, device)
    snaps = sorted((int(p.stem), p.stat().st_mtime - start, p) for p in ws.glob("*.png"))
    return Run("pastiche", start, snaps, wall, memory)


def run_restyle(content, style, size, iterations, every, device, workdir: Path, extra: list[str]) -> Run:
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / "restyle.tif"
    args = ["stylize", str(content), "-s", str(style), "-o", str(out), "--size", str(size),
            "--iterations", str(iterations), "--device", device, "--seed", "0", "--save-every", str(every), "-q",
            *extra]
    start, wall, memory = run_tool("restyle", args, workdir, device)
    snaps = sorted((int(p.stem.rsplit("_", 1)[1]), p.stat().st_mtime - start, p)
                   for p in workdir.glob("restyle_*.tif"))
    return Run("restyle", start, snaps, wall, memory)


def score_run(run: Run, scorer) -> None:
    for i, _, path in run.snapshots:
        s = scorer(path)
        run.scores[i] = (s.content, s.style)


def time_to_quality(run: Run, target: tuple[float, float]) -> float | None:
    for i, t, _ in run.snapshots:
        c, s = run.scores[i]
        if i > 0 and s <= target[1] and c <= 1.1 * target[0]:
            return t
    return None


def measures(run: Run, ttq: float | None, mem_key: str) -> dict:
    return dict(per_eval=run.per_eval(), startup=run.startup(), ttq=ttq, wall=run.wall,
                final=run.scores[max(run.scores)], memory=run.memory.get(mem_key))


def curve(run: Run) -> list[tuple[float, float]]:
    return [(t, run.scores[i][1]) for i, t, _ in run.snapshots]


def machine(device: str = "auto") -> str:
    """The GPU's name (unless ``device`` is cpu and a GPU is idle), else the CPU model and core count."""
    import torch
    if device != "cpu" and torch.cuda.is_available():
        return torch.cuda.get_device_name()
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from restyle.core.device import bf16_supported
    bf16 = "AVX-512 bf16" if bf16_supported(torch.device("cpu")) else "no bf16"
    return f"{cpu}, {os.cpu_count()} cores, {bf16}"


def versions() -> str:
    from importlib.metadata import version

    import torch

    import restyle
    return (f"Python {platform.python_version()}, torch {torch.__version__}, restyle {restyle.__version__}, "
            f"pastiche {version('pastiche')}")


def main() -> None:
    ap = argparse.ArgumentParser(description="restyle vs pastiche, side by side.")
    ap.add_argument("--pair", action="append", metavar="CONTENT:STYLE",
                    help="content and style image paths (repeatable; default: the shipped Tübingen / Starry Night)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--steps", type=int, default=500, help="pastiche's steps; its final score is the target")
    ap.add_argument("--restyle-iterations", type=int, default=300)
    ap.add_argument("--every", type=int, default=10, help="snapshot every N iterations (restyle)")
    ap.add_argument("--pastiche-every", type=int, default=10, help="snapshot every N steps (pastiche)")
    ap.add_argument("--restyle-args", action="append", metavar="OPTIONS",
                    help="extra restyle stylize options, e.g. '--style-weight 30'; repeat to compare several "
                         "settings against the same pastiche run (default: restyle's defaults)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args()

    pairs = [tuple(p.split(":", 1)) for p in args.pair] if args.pair else [
        (str(EXAMPLES / "tubingen.jpg"), str(EXAMPLES / "starry_night.jpg"))]
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = f"{args.device}-{datetime.date.today().isoformat()}"
    rows, curves = [], []
    configs = args.restyle_args or [""]
    mem_key = "cuda_peak_mb" if args.device.startswith("cuda") else "max_rss_mb"
    from restyle import Scorer
    for content, style in pairs:
        scorer = Scorer(content, style, device=args.device)  # one set of targets for every snapshot
        for size in args.sizes:
            with tempfile.TemporaryDirectory() as tmp:
                workdir = Path(tmp)
                print(f"{Path(content).stem} / {Path(style).stem} at {size} px: pastiche {args.steps} steps ...",
                      flush=True)
                p = run_pastiche(content, style, size, args.steps, args.pastiche_every, args.device, workdir)
                score_run(p, scorer)
                target = p.scores[args.steps]
                pastiche = measures(p, next(t for i, t, _ in p.snapshots if i == args.steps), mem_key)
                restyles = {}
                for extra in configs:
                    print(f"  restyle {extra or '(defaults)'}, {args.restyle_iterations} iterations ...", flush=True)
                    r = run_restyle(content, style, size, args.restyle_iterations, args.every, args.device,
                                    workdir / f"restyle-{len(restyles)}", extra.split())
                    score_run(r, scorer)
                    restyles[extra] = (measures(r, time_to_quality(r, target), mem_key), r)
            row = dict(pair=f"{Path(content).stem} / {Path(style).stem}", size=size, target=target,
                       pastiche=pastiche, restyle={k: m for k, (m, _) in restyles.items()})
            rows.append(row)
            curves.append((row["pair"], size, target, [("pastiche", curve(p))]
                           + [(f"restyle {k}".strip(), curve(r)) for k, (_, r) in restyles.items()]))
            print(json.dumps(row, default=float), flush=True)
    write_report(out_dir / f"{stamp}.md", rows, args, mem_key)
    plot(out_dir / f"{stamp}.png", curves)
    print(f"wrote {out_dir / (stamp + '.md')} and .png")


def _ratio(a, b) -> str:
    return f"{a / b:.2f}" if a is not None and b else "n/a"


def write_report(path: Path, rows, args, mem_key: str) -> None:
    mem = "peak GPU memory (MiB)" if mem_key == "cuda_peak_mb" else "peak RSS (MiB)"
    lines = [f"# restyle vs pastiche, {args.device}, {datetime.date.today().isoformat()}", "",
             f"Machine: {machine()}. {versions()}.", "",
             f"Command: `python benchmarks/compare.py {shlex.join(sys.argv[1:])}`", "",
             f"Target: pastiche's score (`restyle score`, judged at 512 px) after {args.steps} steps with its "
             f"defaults. restyle: {args.restyle_iterations} iterations with the options shown, snapshots every "
             f"{args.every}. Time to quality counts from process start.", "",
             f"| pair | size | tool | s / evaluation | start-up (s) | time to quality (s) "
             f"| final content / style | {mem} |",
             "|---|---|---|---|---|---|---|---|"]

    def line(row, tool, m):
        ttq = f"{m['ttq']:.1f}" if m["ttq"] is not None else "not reached"
        memory = f"{m['memory']:.0f}" if m["memory"] is not None else "n/a"
        return (f"| {row['pair']} | {row['size']} | {tool} | {m['per_eval']:.4f} | {m['startup']:.2f} | {ttq} | "
                f"{m['final'][0]:.3f} / {m['final'][1]:.4f} | {memory} |")

    for row in rows:
        lines.append(line(row, "pastiche", row["pastiche"]))
        for extra, m in row["restyle"].items():
            lines.append(line(row, f"restyle {extra}".strip(), m))
    lines += ["", "Ratios restyle / pastiche (lower is better for restyle):", "",
              "| pair | size | restyle options | target content / style | per evaluation | start-up | "
              "time to quality | time to quality, start-up excluded | memory |",
              "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        p = row["pastiche"]
        for extra, r in row["restyle"].items():
            ttq_ex = _ratio(r["ttq"] - r["startup"], p["ttq"] - p["startup"]) if r["ttq"] is not None else "n/a"
            lines.append(f"| {row['pair']} | {row['size']} | {extra or 'defaults'} | "
                         f"{row['target'][0]:.3f} / {row['target'][1]:.4f} | "
                         f"{_ratio(r['per_eval'], p['per_eval'])} | {_ratio(r['startup'], p['startup'])} | "
                         f"{_ratio(r['ttq'], p['ttq'])} | {ttq_ex} | {_ratio(r['memory'], p['memory'])} |")
    path.write_text("\n".join(lines) + "\n")


def plot(path: Path, curves) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed; no plot (pip install -e '.[bench]')")
        return
    fig, axes = plt.subplots(1, len(curves), figsize=(5.5 * len(curves), 4), squeeze=False)
    for ax, (pair, size, target, lines) in zip(axes[0], curves):
        for label, points in lines:
            ax.plot([t for t, _ in points], [s for _, s in points], marker=".", label=label)
        ax.axhline(target[1], color="grey", linestyle="--", linewidth=1, label="target (pastiche final)")
        ax.set_yscale("log")
        ax.set_xlabel("seconds since process start")
        ax.set_ylabel("style distance (judged at 512 px)")
        ax.set_title(f"{pair}, {size} px")
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
