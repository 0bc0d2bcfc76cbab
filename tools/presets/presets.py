"""Train the shipped preset models, judge them against the optimizer, and draw the docs' galleries.

    python tools/presets/training_photos.py .train/photos       # the training photos (held-out ones left out)
    python tools/presets/presets.py train --device cuda          # restyle train for each style -> models/
    python tools/presets/presets.py quality --device cuda        # style distance: model vs optimized, held-out photos
    python tools/presets/presets.py gallery                      # docs/images/presets-gallery.jpg
    python tools/presets/presets.py beside --heldout .heldout --heldout-photos dahlia.jpg summer_palace.jpg \
        --optimized .train/optimized-heldout                     # docs/images/presets-beside-optimizer.jpg

train: runs `restyle train` (2000 steps, seed 0, restyle's defaults and PRESET_ARGS, as the shipped presets were
trained, the Great Wave then trained on with --train-args='--init great_wave --seed 2' --steps 2800, the Starry Night
and Composition VII then averaged (soup.py) from two models trained on; each one's metadata records its settings)
per style as a command line and records the command, the steps and the wall time; --stop-at T asks the run in
progress to stop at unix time T as Ctrl-C does (restyle train then writes a model of its weights so far, and a
checkpoint to --resume from), so a time-bound call still brings back a model.
quality: for each style and held-out photo, `restyle score` distances of the model's result and of
`restyle stylize`'s (512 px, defaults, seed 0; kept in --optimized and reused), both at long side 512, and the
style ratio (model / optimized) layer by layer; --images DIR draws each style's results side by side; --shared
MODEL judges one model of several styles in each style instead of a model file a style; --coarse C has the
models paint in two passes (``restyle.load_model(coarse=C)``), --noise SIGMA adds that noise to each photo first
(``restyle.load_model(noise=SIGMA)``).
beside: each painting's row of the optimizer's result and the preset's, side by side, on each of --heldout-photos
(whole, not cropped; the optimizer's from --optimized, made as quality makes them).
Train and quality each write a Markdown table to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "images"
STYLES = ["starry_night", "great_wave", "the_scream", "composition_vii"]
HELD_OUT = ["tubingen.jpg", "golden_gate_bridge.jpg", "columns.jpg"]
# Where a shipped preset departs from restyle train's defaults (--train-args come after, and win).
PRESET_ARGS = {"starry_night": "--style-weight 12.5"}


def as_typed(cmd: list[str]) -> str:
    """A ``[python, -m, restyle, ...]`` command line as a user types it: ``restyle ...``, quoted for a shell."""
    return shlex.join(["restyle", *cmd[3:]])


def cmd_train(args) -> list[str]:
    lines = ["| preset | command | steps | wall time |", "|---|---|---|---|"]
    out = Path(args.models)
    out.mkdir(parents=True, exist_ok=True)
    for name in args.styles:
        if any(t and time.time() > t for t in (args.deadline, args.stop_at)):
            print(f"skipping {name}: past the deadline", flush=True)
            continue
        cmd = [sys.executable, "-m", "restyle", "train", str(Path(args.style_dir) / f"{name}.jpg"),
               "--photos", args.photos,
               "-o", str(out / f"{name}.safetensors"), "--seed", "0", "--steps", str(args.steps),
               "--preview", str(Path(args.heldout) / HELD_OUT[0]), "--work-dir", str(Path(args.work) / name),
               "--device", args.device, "-q", *PRESET_ARGS.get(name, "").split(), *args.train_args.split()]
        t, began = time.perf_counter(), time.time()
        stopped = run_until(cmd, args.stop_at)
        steps = steps_reached(out / f"{name}.safetensors", began) if stopped else args.steps
        took = time.perf_counter() - t
        lines.append(f"| {name} | `{as_typed(cmd)}` | {steps} | {took:.1f} s |")
        print(lines[-1], flush=True)
    return lines


def run_until(cmd: list[str], stop_at: float) -> bool:
    """Run ``cmd``, sending it Ctrl-C's signal at unix time ``stop_at`` (0: never); whether it was stopped so."""
    with subprocess.Popen(cmd) as proc:
        try:
            proc.wait(timeout=max(stop_at - time.time(), 0) if stop_at else None)
        except subprocess.TimeoutExpired:
            print(f"stopping {as_typed(cmd)}: --stop-at reached", flush=True)
            proc.send_signal(signal.SIGINT)  # restyle train finishes its step and writes the model so far
            proc.wait()
            return True
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return False


def steps_reached(model: Path, since: float) -> str:
    """The steps of the model a stopped run wrote at ``model`` (if after unix time ``since``), for the table."""
    from restyle.feedforward.modelfile import header_metadata
    meta = header_metadata(model) if model.exists() and model.stat().st_mtime >= since else {}
    if "steps" not in meta:
        return "stopped before it wrote a model"
    mean = meta.get("averaged_steps")
    return f"{meta['steps']} (stopped{f'; the mean of steps {mean[0]}-{mean[1]}' if mean else ''})"


def photo_at(photo: Path, size: int):
    """``photo`` as a (3, H, W) tensor shrunk to long side ``size`` (as the optimizer's run sees it)."""
    from restyle.core.images import fit_size, load_image, resize
    img = load_image(photo)
    return resize(img, fit_size(img.shape[1], img.shape[2], size))


def model_result(model, photo: Path, size: int):
    """``model``'s PIL result on ``photo`` shrunk to long side ``size`` (as the optimizer's run is made)."""
    from restyle.core.images import to_pil
    return model(to_pil(photo_at(photo, size)))


def cmd_quality(args) -> list[str]:
    import restyle
    lines = [f"| style | held-out photo | optimized {args.size} px: style / content | model: style / content | "
             "style ratio | by layer, relu1_1 ... relu5_1 |", "|---|---|---|---|---|---|"]
    for name in args.styles:
        model_path = Path(args.shared or Path(args.models) / f"{name}.safetensors")
        if not model_path.exists():
            continue
        model = restyle.load_model(model_path, device=args.device, mix=name if args.shared else None,
                                   coarse=args.coarse, noise=args.noise)
        style = Path(args.style_dir) / f"{name}.jpg"
        row = []
        for photo in args.heldout_photos:
            path = Path(args.heldout) / photo
            scorer = restyle.Scorer(path, style, device=args.device, size=args.size)
            optimized, fast = optimized_result(args, path, style), model_result(model, path, args.size)
            a, b = scorer(optimized), scorer(fast)
            by_layer = " / ".join(f"{b.style_layers[k] / a.style_layers[k]:.2f}" for k in a.style_layers)
            lines.append(f"| {name} | {photo} | {a.style:.4f} / {a.content:.3f} | {b.style:.4f} / {b.content:.3f} "
                         f"| {b.style / a.style:.2f} | {by_layer} |")
            print(lines[-1], flush=True)
            row.append((path, optimized, fast))
        if args.images:
            lines.append(f"\nSide by side (photo, optimizer, model): {side_by_side(args.images, name, row)}\n")
    return lines


def optimized_result(args, photo: Path, style: Path):
    """``restyle stylize``'s result (``--size``, defaults, seed 0), kept in --optimized and reused when there."""
    from PIL import Image

    import restyle
    cached = Path(args.optimized) / f"{style.stem}-{photo.stem}-{args.size}.png"
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        restyle.stylize(photo, style, size=args.size, seed=0, device=args.device).save(cached)
    return Image.open(cached).convert("RGB")


def side_by_side(folder: str, name: str, row: list) -> Path:
    """One JPEG per style: a line per photo of the photo, the optimizer's result and the model's, at 256 px."""
    from PIL import Image, ImageOps
    cell = 256
    sheet = Image.new("RGB", (3 * cell, cell * len(row)), "white")
    for i, (path, optimized, fast) in enumerate(row):
        for j, img in enumerate([Image.open(path).convert("RGB"), optimized, fast]):
            sheet.paste(ImageOps.pad(img, (cell, cell), color="white"), (j * cell, i * cell))
    out = Path(folder) / f"{name}.jpg"
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out, quality=90)
    return out


def model_files(args) -> dict[str, Path]:
    """Each of --styles that has a model file in --models, with that file (the galleries draw only those)."""
    files = {name: Path(args.models) / f"{name}.safetensors" for name in args.styles}
    return {name: path for name, path in files.items() if path.exists()}


def cmd_gallery(args) -> list[str]:
    from PIL import Image, ImageOps

    import restyle
    cell = 256
    models = model_files(args)
    photos = [Image.open(Path(args.heldout) / p).convert("RGB") for p in HELD_OUT]
    grid = Image.new("RGB", (cell * (len(photos) + 1), cell * (len(models) + 1)), "white")
    for j, p in enumerate(photos):
        grid.paste(ImageOps.fit(p, (cell, cell)), (cell * (j + 1), 0))
    for i, (name, file) in enumerate(models.items()):
        style = Image.open(Path(args.style_dir) / f"{name}.jpg").convert("RGB")
        grid.paste(ImageOps.fit(style, (cell, cell)), (0, cell * (i + 1)))
        model = restyle.load_model(file, device=args.device)
        for j, p in enumerate(photos):
            small = p.copy()
            small.thumbnail((512, 512))
            grid.paste(ImageOps.fit(model(small), (cell, cell)), (cell * (j + 1), cell * (i + 1)))
    out = ROOT / "docs" / "images" / "presets-gallery.jpg"
    grid.save(out, quality=88)
    return [f"wrote {out}"]


def cmd_beside(args) -> list[str]:
    """docs/images/presets-beside-optimizer.jpg: a row a painting, per photo the optimizer's result and the model's."""
    from PIL import Image, ImageDraw, ImageFont, ImageOps

    import restyle
    cell = (300, 200)
    models = model_files(args)
    photos = [Path(args.heldout) / p for p in args.heldout_photos]
    grid = Image.new("RGB", (cell[0] * (1 + 2 * len(photos)), cell[1] * (1 + len(models))), "white")
    draw, font = ImageDraw.Draw(grid), ImageFont.load_default(size=20)
    for j, path in enumerate(photos):
        x = cell[0] * (1 + 2 * j)
        grid.paste(ImageOps.pad(Image.open(path).convert("RGB"), (2 * cell[0], cell[1]), color="white"), (x, 0))
        draw.text((x + 8, cell[1] - 8), "optimizer", fill="black", font=font, anchor="ls")
        draw.text((x + 2 * cell[0] - 8, cell[1] - 8), "preset", fill="black", font=font, anchor="rs")
    for i, (name, file) in enumerate(models.items(), 1):
        style = Path(args.style_dir) / f"{name}.jpg"
        grid.paste(ImageOps.pad(Image.open(style).convert("RGB"), cell, color="white"), (0, cell[1] * i))
        model = restyle.load_model(file, device=args.device)
        for j, path in enumerate(photos):
            pair = [optimized_result(args, path, style), model_result(model, path, args.size)]
            for k, img in enumerate(pair):
                grid.paste(ImageOps.pad(img, cell, color="white"), (cell[0] * (1 + 2 * j + k), cell[1] * i))
    out = ROOT / "docs" / "images" / "presets-beside-optimizer.jpg"
    grid.save(out, quality=85)
    return [f"wrote {out}"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["train", "quality", "gallery", "beside"])
    ap.add_argument("--styles", nargs="+", default=STYLES)
    ap.add_argument("--style-dir", default=str(SHARED / "styles"))
    ap.add_argument("--photos", default=str(ROOT / ".train" / "photos"))
    ap.add_argument("--heldout", default=str(SHARED / "content"))
    ap.add_argument("--heldout-photos", nargs="+", default=HELD_OUT, help="quality, beside: the photos, in "
                    "--heldout (tools/presets/held_out.py assembles ones no preset has seen)")
    ap.add_argument("--models", default=str(ROOT / "restyle" / "feedforward" / "presets"))
    ap.add_argument("--shared", metavar="MODEL", help="quality: one model of several styles judged in each of "
                    "--styles (its style of that name chosen) instead of --models' file a style")
    ap.add_argument("--work", default=str(ROOT / ".train" / "work"))
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--train-args", default="",
                    help="more options for restyle train, e.g. '--style-weight 15'")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--size", type=int, default=512,
                    help="quality, beside: long side of both results (quality judges them at it)")
    ap.add_argument("--optimized", default=str(ROOT / ".train" / "optimized"),
                    help="quality, beside: folder keeping the optimizer's results, reused when there")
    ap.add_argument("--coarse", type=float, help="quality: the models paint in two passes (restyle.load_model's "
                    "coarse; default: as each was trained)")
    ap.add_argument("--noise", type=float, help="quality: noise added to each photo before the models paint it "
                    "(restyle.load_model's noise; default: as each model says)")
    ap.add_argument("--images", help="quality: folder for a side-by-side sheet per style (photo, optimizer, model)")
    ap.add_argument("--deadline", type=float, default=0, help="unix time after which no new preset is started")
    ap.add_argument("--stop-at", type=float, default=0, help="train: unix time at which the run in progress "
                    "stops as at Ctrl-C, writing a model of its weights so far (0: never)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args()
    lines = {"train": cmd_train, "quality": cmd_quality, "gallery": cmd_gallery, "beside": cmd_beside}[args.what](args)
    if args.what in ("train", "quality"):
        import torch
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from compare import machine
        head = [f"# Presets: {args.what} on {machine(args.device)}", "",
                f"{datetime.date.today()}, torch {torch.__version__}. Command: `python tools/presets/presets.py "
                f"{shlex.join(sys.argv[1:])}`", ""]
        kind = "cpu" if args.device == "cpu" or not torch.cuda.is_available() else "cuda"
        report = Path(args.out) / f"presets-{args.what}-{kind}-{datetime.date.today()}.md"
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text("\n".join(head + lines) + "\n")
        print(f"wrote {report}")


if __name__ == "__main__":
    main()
