"""``restyle apply``: paint photos with a trained model or a shipped preset (fast)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..errors import RestyleError
from ..feedforward.modelfile import presets
from ..optimize.options import Options
from .arguments import add_fields, quiet, regions, regions_from
from .progress import ProgressBar, say


def add_parser(sub, name: str, fmt) -> None:
    names = ", ".join(presets()) or "none installed"
    a = sub.add_parser(name, formatter_class=fmt, help="paint photos with a trained model (fast)",
                       usage="restyle apply [options] (MODEL | --model MODEL | --preset NAME | --mask MASK --region "
                             "COLOR=MODEL ...) INPUT [INPUT ...] -o OUTPUT",
                       description="Paint each INPUT (image files, or folders of them) with a trained model: a "
                                   ".safetensors file from restyle train, an .onnx file from restyle export (run "
                                   "by onnxruntime), or a shipped --preset. With one input file, OUTPUT is a file; "
                                   "otherwise a folder, created if needed, where each result keeps its input's "
                                   "name. Images too big for the memory budget are computed in tiles, with the "
                                   "same result.")
    a.add_argument("paths", nargs="+", metavar="MODEL INPUT",
                   help="the model, then the images or folders to paint (no model with --preset or --region)")
    a.add_argument("--model", metavar="FILE", help="the model (.safetensors or .onnx), instead of the first of the "
                   "paths")
    a.add_argument("-o", "--output", required=True, help="output file (one input) or folder")
    a.add_argument("--preset", metavar="NAME", help=f"use a model shipped with restyle ({names}); of a preset of "
                   "several styles, a style's name or a mix of them (a:0.6,b:0.4)")
    a.add_argument("--mix", metavar="NAME[:W,...]", help="with a MODEL of several styles: the style to paint, or a "
                   "mix of them (a:0.6,b:0.4: the weights are scaled to add up to 1)")
    a.add_argument("--strength", type=float, default=1.0, metavar="S",
                   help="0 to 1: blend the result with the photo (1: all style)")
    a.add_argument("--preserve-color", action="store_true", help="keep the photo's colours (the result's "
                   "luminance with the photo's colours)")
    a.add_argument("--size", type=int, metavar="PX", help="resize each photo to this long side first (default: "
                   "as it is)")
    from ..batch.settings import ModelSettings
    add_fields(a, ModelSettings, ["coarse", "noise"])
    regions(a.add_argument_group("regions (a model per region)"), "a preset or model file (FILE@MIX: a style or "
            "mix of a model of several styles, e.g. mine.safetensors@a:0.6,b:0.4)")
    add_fields(a, Options, ["device", "precision"])
    a.add_argument("--max-memory", metavar="GB", type=float,
                   help="memory budget in GB; bigger images are computed in tiles (default: 12, or less if "
                        "the device has less)")
    a.add_argument("--tile-size", metavar="PX", type=int, help="cut images into tiles at most PX wide and high")
    add_fields(a, Options, ["max_pixels"])
    quiet(a)


def jobs_for(inputs: list[str], output: str) -> list[tuple[Path, Path]]:
    """(input, output) pairs: every input checked before any work, no output overwriting an input."""
    from ..core.images import FORMATS, check_not_inputs, check_output_path, image_files
    files: list[Path] = []
    for name in inputs:
        p = Path(name)
        if not p.exists():
            raise RestyleError(f"{p}: no such file or folder")
        if p.is_dir():
            found = image_files(p)
            if not found:
                raise RestyleError(f"{p}: holds no image files")
            files += found
        else:
            files.append(p)
    out = Path(output)
    if len(files) == 1 and not Path(inputs[0]).is_dir() and out.suffix:
        jobs = [(files[0], check_output_path(out))]
    else:
        jobs = [(f, out / (f.stem + (f.suffix if f.suffix.lower() in FORMATS else ".png"))) for f in files]
        _check_folder(out, jobs)
    check_not_inputs([o for _, o in jobs], files)
    return jobs


def _check_folder(out: Path, jobs: list[tuple[Path, Path]]) -> None:
    """The output folder made, and no two inputs written to one file."""
    if out.exists() and not out.is_dir():
        raise RestyleError(f"{out}: is a file; with several inputs give a folder for the results")
    seen: dict[Path, Path] = {}
    for f, o in jobs:
        if o in seen:
            raise RestyleError(f"{seen[o]} and {f} would both be written to {o}; apply them separately")
        seen[o] = f
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RestyleError(f"{out}: cannot create the output folder ({e.strerror})") from None


def run(args: argparse.Namespace) -> int:
    from ..core.memory import keep_freed_memory_between_passes
    if not 0 <= args.strength <= 1:
        raise RestyleError(f"--strength must be between 0 and 1, got {args.strength}")
    paths, painted = list(args.paths), regions_from(args)
    # The model first: a bad one must not leave an empty output folder behind.
    model = _model(args, paths, painted)
    jobs = jobs_for(paths, args.output)
    start = time.perf_counter()
    with keep_freed_memory_between_passes(args.device, args.max_memory):
        failed = _paint_all(args, model, jobs)
    done = len(jobs) - failed
    where = jobs[0][1] if len(jobs) == 1 else Path(args.output)
    what = f"{len(model.models)} model(s) in {len(model.colors)} regions" if painted else \
        f"{model.name} ({model.backend}, {model.device.type})"
    say(args.quiet, f"wrote {done} image{'s' if done != 1 else ''} to {where} with {what} in "
                    f"{time.perf_counter() - start:.1f} s")
    if failed:
        say(False, f"restyle: error: {failed} of {len(jobs)} inputs could not be read (see above)")
        return 2
    return 0


def _paint_all(args: argparse.Namespace, model, jobs: list[tuple[Path, Path]]) -> int:
    """Each job's image painted and saved, with a bar for several; returns how many could not be read."""
    from ..core.images import save_image
    failed, bar = 0, ProgressBar(args.quiet or len(jobs) == 1, len(jobs), unit="image")
    try:
        for i, (src, dst) in enumerate(jobs):
            try:
                save_image(model(src, strength=args.strength, preserve_color=args.preserve_color,
                                 max_pixels=args.max_pixels, size=args.size), dst)
            except RestyleError as e:
                if len(jobs) == 1:
                    raise
                failed += 1
                bar.write(f"restyle: skipped: {e}")
            bar.show(i + 1)
    finally:
        bar.close()
    return failed


def _model(args: argparse.Namespace, paths: list[str], painted):
    """The model the images are painted with (its file taken from ``paths``), or the regions' models."""
    from ..feedforward.regions import RegionModels
    from ..feedforward.runtime import load_model
    load = dict(device=args.device, precision=args.precision, max_memory=args.max_memory, tile_size=args.tile_size,
                coarse=args.coarse, noise=args.noise)
    given = [flag for flag, value in (("--model", args.model), ("--preset", args.preset), ("--mix", args.mix))
             if value is not None]
    if painted is not None:
        if given:
            raise RestyleError(f"give {given[0]} or --region, not both")
        return RegionModels(painted, args.mask, feather=args.feather, log=lambda m: say(args.quiet, m), **load)
    if args.model is not None and args.preset is not None:
        raise RestyleError("give --model or --preset, not both")
    path = args.model
    if path is None and args.preset is None:
        if len(paths) < 2:
            raise RestyleError("give a model and at least one image (or --preset NAME and images)")
        path = paths.pop(0)
    return load_model(path, preset=args.preset, mix=args.mix, **load)
