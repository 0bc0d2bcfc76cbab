"""Small training trials: does a training setting bring a model closer to the style at the same content distance?

    python tools/presets/train_trial.py --label "per-crop, style weight 5"
    python tools/presets/train_trial.py --label "batch 16" --batch 16 --score-size 256 512
    python tools/presets/train_trial.py --label "content relu2_2" -- --content-layers relu2_2

Each call runs `restyle train` as a command line (by default at a small size, which a 2-core CPU does in
about 8 minutes: 600 steps of 8 crops of 128 px, style weight 5, the style at 256 px, seed 0 (--seed), the options
after `--` added; all photos trained on, as for the presets), applies the model to the selection photos (never
trained on; models are chosen on them) shrunk to each --score-size (default: the style size), judges each result
with restyle's Scorer at that size, and appends a row per size to a Markdown table (--out). Compare rows of one
size and trial size only (--judge-only judges a trial's model again, e.g. after a change to how models
paint); small trials have misled before (384 px crops looked better at half size and were not
at full size), so a lead found here still needs the full-size check (tools/presets/gpu_levers.sh on a GPU).
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import time
from pathlib import Path

from presets import HELD_OUT, as_typed, model_result  # the presets' held-out photos, how a model's result is made

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--label", required=True, help="what this row tries")
    ap.add_argument("--style", default="starry_night", help="style image name in --style-dir, without .jpg; "
                    "several, comma-separated, train one model of them all (a row per style)")
    ap.add_argument("--style-dir", default=".train/styles")
    ap.add_argument("--photos", default=".train/photos")
    ap.add_argument("--heldout", default=".train/heldout")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crop-size", type=int, default=128)
    ap.add_argument("--style-size", type=int, default=256)
    ap.add_argument("--style-weight", type=float, default=5.0,
                    help="restyle train's default until the presets' 384 px crops at 10 replaced it; kept so "
                         "that rows stay comparable")
    ap.add_argument("--seed", type=int, default=0, help="training seed (single runs differ by ~15%%: compare the "
                    "means of a few seeds)")
    ap.add_argument("--score-size", type=int, nargs="+", metavar="PX",
                    help="long sides the results are judged at, a row each (default: --style-size)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--work", default="work/train-trials", help="folder for the models and their training folders")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "train-trials-cpu.md"))
    ap.add_argument("--judge-only", action="store_true", help="judge the model an earlier call with the same "
                    "label, style and seed trained, without training again (after a change to how models paint)")
    ap.add_argument("train_args", nargs="*", help="more `restyle train` options (after --)")
    args = ap.parse_args()
    score_sizes = args.score_size or [args.style_size]

    import torch

    import restyle

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    slug = "".join(c if c.isalnum() else "-" for c in args.label.lower()).strip("-")
    names = args.style.split(",")
    model_path = work / f"{'-'.join(names)}-{slug}-seed-{args.seed}.safetensors"
    styles = [Path(args.style_dir) / f"{name}.jpg" for name in names]
    cmd = [sys.executable, "-m", "restyle", "train", *map(str, styles), "--photos", args.photos, "-o", str(model_path),
           "--steps", str(args.steps), "--batch", str(args.batch), "--crop-size", str(args.crop_size),
           "--style-size", str(args.style_size), "--style-weight", str(args.style_weight), "--seed", str(args.seed),
           "--preview-every", "0", "--preview", str(Path(args.heldout) / HELD_OUT[0]), "--device", args.device,
           "-q", *args.train_args]
    if args.judge_only:
        took = "judged again, not trained"
    else:
        t = time.perf_counter()
        subprocess.run(cmd, check=True)
        took = f"{time.perf_counter() - t:.0f} s"

    scores = {}
    for style_name, style in zip(names, styles):
        model = restyle.load_model(model_path, device=args.device, mix=style_name if len(names) > 1 else None)
        label = args.label if len(names) == 1 else f"{args.label}: {style_name}"
        for size in score_sizes:
            for name in HELD_OUT:
                photo = Path(args.heldout) / name
                s = restyle.Scorer(photo, style, device=args.device, size=size)(model_result(model, photo, size))
                scores.setdefault((label, size), []).append(s)
                layers = "  ".join(f"{k} {v:.4f}" for k, v in s.style_layers.items())
                print(f"{style_name}, {name} at {size} px: style {s.style:.4f}, content {s.content:.3f}; by layer "
                      f"{layers}", flush=True)

    out = Path(args.out)
    if not out.exists():
        out.write_text(
            "# Training trials\n\n"
            "`python tools/presets/train_trial.py` (see its docstring): each row trains one model with the command "
            "shown "
            "and judges it on the selection photos (never trained on; models are chosen on them: "
            + ", ".join(HELD_OUT) + ") at the size shown, with "
            "restyle's Scorer. Lower is closer. Rows are comparable only at the same size and steps.\n\n"
            "| date | label | command | time | judged at | style per photo | mean style | mean content |\n"
            "|---|---|---|---|---|---|---|---|\n")
    rows = "".join(
        f"| {datetime.date.today()} | {label} | `{as_typed(cmd)}` "
        f"| {took} ({torch.__version__}, {args.device}) "
        f"| {size} px | {' / '.join(f'{s.style:.4f}' for s in ss)} | {sum(s.style for s in ss) / len(ss):.4f} "
        f"| {sum(s.content for s in ss) / len(ss):.3f} |\n" for (label, size), ss in scores.items())
    with out.open("a") as f:
        f.write(rows)
    print(rows, end="")


if __name__ == "__main__":
    main()
