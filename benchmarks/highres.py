"""Print-size benchmark: wall time, peak memory, ETA accuracy and quality of restyle at growing sizes.

Each size runs in a fresh process (so peak memory is that run's alone): `restyle.stylize` with default
settings, recording every progress report. Afterwards every result is scored at the judge size (512 px),
the ETA the progress bar showed is compared with the real duration, and the report, a plot of memory
against pixels and side-by-side crops (512 px result against the largest one) go to benchmarks/results/.

    python benchmarks/highres.py                              # 512 1024 2048 3840 on the default device
    python benchmarks/highres.py --sizes 512 3840 --device cuda
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "images"
EXAMPLES = ROOT / "restyle" / "examples"


def worker(args: argparse.Namespace) -> None:
    """One run in this process: stylize, save, and write progress samples plus peak memory as JSON."""
    import torch

    import restyle

    samples = []
    logs = []

    def progress(p):
        samples.append({"elapsed": p.elapsed, "fraction": p.fraction, "scale": p.scale, "size": p.size,
                        "tiles": p.tiles, "iteration": p.iteration, "style": p.losses["style"], "eta": p.eta})

    start = time.perf_counter()
    image = restyle.stylize(args.content, [args.style], size=args.size, device=args.device, seed=0,
                            keep_freed_memory=True,  # as the command line runs
                            callback=progress, log=logs.append)
    seconds = time.perf_counter() - start
    image.save(args.output)
    hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
    out = {"size": args.size, "seconds": seconds, "max_rss_mb": int(hwm.split()[1]) / 1024,
           "samples": samples, "log": logs, "pixels": image.width * image.height}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        out["cuda_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    Path(args.report).write_text(json.dumps(out))


def eta_errors(samples: list[dict], total: float) -> dict[str, float]:
    """Relative error of the ETA the progress bar shows (the engine's ``Progress.eta``; in results from before
    it, elapsed × (1 − f) / f) at 10, 25 and 50% of the run's time, and the worst error after its first 10%."""
    def error(s):
        if s.get("eta") is not None:
            predicted_total = s["elapsed"] + s["eta"]
        else:
            predicted_total = s["elapsed"] / s["fraction"]
        return (predicted_total - total) / total
    out = {}
    for share in (0.10, 0.25, 0.50):
        s = next((s for s in samples if s["elapsed"] >= share * total), samples[-1])
        out[f"{share:.0%}"] = error(s)
    later = [error(s) for s in samples if s["elapsed"] >= 0.10 * total]
    out["worst after 10%"] = max(later, key=abs) if later else 0.0
    return out


def seam_ratio(path: Path, plan_line: str | None) -> float | None:
    """Mean squared image gradient across the nominal tile boundaries over that everywhere else."""
    import numpy as np
    from PIL import Image
    if not plan_line or "tiles" not in plan_line:
        return None
    img = np.asarray(Image.open(path).convert("L"), dtype=np.float64)
    h, w = img.shape
    gx = (img[:, 1:] - img[:, :-1]) ** 2  # between columns x-1 and x, at index x-1
    gy = (img[1:, :] - img[:-1, :]) ** 2
    rows, cols = _grid_from(plan_line)
    xs = [round(k * w / cols / 16) * 16 for k in range(1, cols)]
    ys = [round(k * h / rows / 16) * 16 for k in range(1, rows)]
    on = [gx[:, x - 1].mean() for x in xs] + [gy[y - 1, :].mean() for y in ys]
    off_x = np.delete(gx, [x - 1 for x in xs], axis=1).mean()
    off_y = np.delete(gy, [y - 1 for y in ys], axis=0).mean()
    return float(np.mean(on) / ((off_x + off_y) / 2))


def _grid_from(plan_line: str) -> tuple[int, int]:
    # "3840x2880: 12 tiles of <= 1360x1360 ..." -> rows, cols from the tile size and the image size.
    size, rest = plan_line.strip().split(":", 1)
    w, h = map(int, size.split("x"))
    tw, th = map(int, rest.split("<= ")[1].split(" ")[0].split("x"))
    tiles = int(rest.split()[0])
    best = min(((r, tiles // r) for r in range(1, tiles + 1) if tiles % r == 0),
               key=lambda rc: abs(h / rc[0] - w / rc[1] * th / tw))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--content", default=str(SHARED / "content" / "tubingen.jpg"
                                             if SHARED.exists() else EXAMPLES / "tubingen.jpg"))
    ap.add_argument("--style", default=str(SHARED / "styles" / "starry_night.jpg"
                                           if SHARED.exists() else EXAMPLES / "starry_night.jpg"))
    ap.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048, 3840])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--work", type=Path, default=Path("highres-work"), help="folder for the results' images")
    ap.add_argument("--report-only", action="store_true",
                    help="do not run; score and report the runs already in --work")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--output", help=argparse.SUPPRESS)
    ap.add_argument("--report", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args)

    args.work.mkdir(parents=True, exist_ok=True)
    runs = []
    for size in args.sizes:
        image, report = args.work / f"highres-{size}.png", args.work / f"highres-{size}.json"
        if args.report_only:
            runs.append({**json.loads(report.read_text()), "image": str(image)})
            continue
        wall = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--worker", "--size", str(size), "--content", args.content,
                        "--style", args.style, "--device", args.device, "--output", str(image),
                        "--report", str(report)], check=True)
        run = json.loads(report.read_text())
        run["image"] = str(image)
        runs.append(run)
        print(f"{size}px: {time.perf_counter() - wall:.0f} s, peak RSS {run['max_rss_mb'] / 1024:.2f} GiB", flush=True)

    import restyle
    scorer = restyle.Scorer(args.content, [args.style], device=args.device)
    for run in runs:
        s = scorer(run["image"])
        run["score"] = {"content": s.content, "style": s.style}
        run["eta"] = eta_errors(run["samples"], run["seconds"])
        last_plan = [line for line in run["log"] if line.startswith("  ")]
        run["plan"] = last_plan[-1].strip() if last_plan else "whole image"
        run["seams"] = seam_ratio(Path(run["image"]), last_plan[-1] if last_plan else None)
    write_outputs(runs, args)


def write_outputs(runs: list[dict], args: argparse.Namespace) -> None:
    import torch
    from compare import machine  # this folder's sibling script (run as python benchmarks/highres.py)
    args.out.mkdir(parents=True, exist_ok=True)
    kind = "cuda" if any("cuda_peak_mb" in r for r in runs) else "cpu"
    stem = args.out / f"highres-{kind}-{datetime.date.today().isoformat()}"
    base = min(runs, key=lambda r: r["size"])
    lines = [f"# Print-size runs ({kind})", "",
             f"Machine: {machine(args.device)}, torch {torch.__version__}. Content {Path(args.content).name}, "
             f"style {Path(args.style).name}, "
             f"default settings, seed 0. Command: `python benchmarks/highres.py --sizes "
             f"{' '.join(str(r['size']) for r in runs)} --device {args.device}`.", "",
             "| size | pixels | time | peak RSS | peak CUDA | last scale | style dist. (vs smallest) | content dist. "
             "| ETA error at 10% / 25% / 50% / worst after 10% | seam ratio |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        eta = " / ".join(f"{v:+.0%}" for v in r["eta"].values())
        cuda = f"{r['cuda_peak_mb'] / 1024:.2f} GiB" if "cuda_peak_mb" in r else "-"
        seams = f"{r['seams']:.3f}" if r["seams"] is not None else "-"
        lines.append(f"| {r['size']} | {r['pixels'] / 1e6:.2f} M | {r['seconds']:.0f} s ({r['seconds'] / 60:.1f} min) "
                     f"| {r['max_rss_mb'] / 1024:.2f} GiB | {cuda} | {r['plan']} | {r['score']['style']:.4f} "
                     f"({r['score']['style'] / base['score']['style']:.2f}x) | {r['score']['content']:.4f} | {eta} "
                     f"| {seams} |")
    lines += ["", "Time: `restyle.stylize` from call to return (weights and images loaded, all scales). "
              "Peak RSS: the process's VmHWM. ETA error: (elapsed + the ETA shown − real total) / real total, "
              "the estimate the progress bar shows. Seam ratio: mean squared gradient across the nominal tile "
              "boundaries of the last scale over that elsewhere (1.0: boundaries are like any other line).", ""]
    for r in runs:
        lines.append(f"- {r['size']} px plan: " + "; ".join(line.strip() for line in r["log"]))
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    plot(stem.with_suffix(".png"), runs)
    crops(args.out / f"highres-crops-{kind}.jpg", base, max(runs, key=lambda r: r["size"]))
    print(f"wrote {stem}.md, .png and {args.out}/highres-crops-{kind}.jpg")


def plot(path: Path, runs: list[dict]) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    px = [r["pixels"] / 1e6 for r in runs]
    a.plot(px, [r["max_rss_mb"] / 1024 for r in runs], "o-", label="peak RSS")
    if any("cuda_peak_mb" in r for r in runs):
        a.plot(px, [r.get("cuda_peak_mb", 0) / 1024 for r in runs], "s-", label="peak CUDA")
    lin = runs[0]["max_rss_mb"] / 1024 / px[0]
    a.plot(px, [p * lin for p in px], ":", color="grey", label="linear from the smallest")
    a.axhline(12e9 / 2**30, color="red", lw=0.8, label="12 GB bound")
    a.set(xlabel="output megapixels", ylabel="GiB", title="Peak memory")
    a.legend()
    b.plot(px, [r["seconds"] / 60 for r in runs], "o-")
    b.set(xlabel="output megapixels", ylabel="minutes", title="Wall time")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def crops(path: Path, small: dict, large: dict) -> None:
    """Left: the small result, upscaled; right: the large one; the same region, at the large one's pixels."""
    from PIL import Image
    a, b = Image.open(small["image"]).convert("RGB"), Image.open(large["image"]).convert("RGB")
    w, h = b.size
    side = min(w, h) // 4
    boxes = [(w // 2 - side // 2, h // 3 - side // 2), (w // 5, 2 * h // 3 - side // 2)]
    up = a.resize(b.size, Image.Resampling.BICUBIC)
    tiles = []
    for x, y in boxes:
        box = (x, y, x + side, y + side)
        tiles.append((up.crop(box), b.crop(box)))
    size = 640
    sheet = Image.new("RGB", (2 * size + 10, len(tiles) * (size + 10) - 10), "white")
    for i, (left, right) in enumerate(tiles):
        sheet.paste(left.resize((size, size), Image.Resampling.LANCZOS), (0, i * (size + 10)))
        sheet.paste(right.resize((size, size), Image.Resampling.LANCZOS), (size + 10, i * (size + 10)))
    sheet.save(path, quality=90)


if __name__ == "__main__":
    main()
