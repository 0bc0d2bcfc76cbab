"""``restyle batch``: many photos in many styles, resumable, on the local machine or a Ray cluster."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import sys

from ..feedforward.modelfile import presets
from ..optimize.options import Options
from .arguments import add_fields, flags_for_options, loss, settings_from
from .interrupt import CtrlC
from .progress import ProgressBar, say

#: The optimizer's options a batch takes on the command line (every job's; a manifest may set them per job).
OPTIMIZER = ["iterations", "multiscale", "start_size", "style_scale", "preserve_color", "optimizer", "learning_rate",
             "seed", "pooling"]


def add_parser(sub, name: str, fmt) -> None:
    from ..batch.jobs import OUTPUT_FORMATS, Style
    from ..batch.settings import ModelSettings
    b = sub.add_parser(name, formatter_class=fmt, help="paint many photos in many styles (resumable; Ray)",
                       usage="restyle batch INPUT... (-s PAINTING | --preset NAME | --model FILE)... -o OUTDIR "
                             "[options]",
                       description="Paint every photo of INPUT (files, folders searched recursively, or glob "
                                   "patterns) in every style, into OUTDIR/STYLE/PHOTO.png. Run it again to go on: "
                                   "outputs finished with the same settings are skipped. A photo that fails is "
                                   "reported and the others go on. Exit code 0: all done; 3: some failed (see "
                                   "OUTDIR/batch-report.json); 2: bad usage; 130: interrupted.")
    b.add_argument("inputs", nargs="*", metavar="INPUT", help="photos, folders of them, or patterns like 'a/*.jpg'")
    b.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="the folder for the results")
    g = b.add_argument_group("styles (repeat each; every photo is painted in every one)")
    for flags, kind, what in ((("-s", "--style"), "painting", "a painting, for the optimizer (minutes a photo on a "
                                                              "CPU)"),
                              (("--preset",), "preset", f"a shipped model ({', '.join(presets())})"),
                              (("--model",), "model", "a trained model file (.safetensors or .onnx)")):
        g.add_argument(*flags, dest="styles", action="append", type=functools.partial(Style, kind),
                       metavar=kind.upper() if kind != "preset" else "NAME", help=what)
    g = b.add_argument_group("jobs")
    g.add_argument("--manifest", metavar="CSV", help="more jobs, one a row: columns photo, style, then any setting "
                   "by its name (size, style_weight, strength, ...); paths from the file's folder")
    g.add_argument("--format", choices=OUTPUT_FORMATS, default="png", help="the results' file format")
    g.add_argument("--force", action="store_true", help="redo every job, finished or not")
    g = b.add_argument_group("every job")
    g.add_argument("--size", type=int, metavar="PX", help="long side of the results (default: 512 for paintings, "
                   "as the photo is for models)")
    add_fields(g, ModelSettings, ["strength", "mix", "coarse", "noise"])
    add_fields(g, Options, OPTIMIZER)
    loss(g, Options)
    g = b.add_argument_group("where it runs")
    g.add_argument("--backend", choices=("local", "ray"), default="local", help="the local machine, or a Ray cluster "
                   "(needs restyle[ray])")
    g.add_argument("--address", metavar="ADDR", help="the Ray cluster's address (default: Ray's own: RAY_ADDRESS, "
                   "else a local cluster)")
    g.add_argument("--batch", type=int, default=4, metavar="N", dest="batch_size", help="photos of one size a model "
                   "paints at once")
    add_fields(g, Options, ["device", "precision", "max_memory", "tile_size", "weights", "max_pixels"])
    b.add_argument("-q", "--quiet", action="store_true", help="no progress bar; only failures and the summary")


def settings(args: argparse.Namespace) -> dict:
    """The settings given for every job: the flags not left at their defaults."""
    given, default = settings_from(args, Options), Options()
    out = {f.name: getattr(given, f.name) for f in dataclasses.fields(Options)
           if f.name != "size" and getattr(given, f.name) != getattr(default, f.name)}
    return out | ({"size": args.size} if args.size is not None else {}) | \
        ({"strength": args.strength} if args.strength != 1 else {}) | ({"mix": args.mix} if args.mix else {}) | \
        ({"coarse": args.coarse} if args.coarse is not None else {}) | \
        ({"noise": args.noise} if args.noise is not None else {})


def run(args: argparse.Namespace) -> int:
    from ..batch.run import run_batch
    from . import _option_names
    bar, names = ProgressBar(args.quiet, 0, unit="image"), _option_names() | {"force"}

    def progress(outcome, summary) -> None:
        if outcome.status == "skipped":  # (the bar starts at the first job done, so its rate is the jobs' own)
            return
        bar.total = summary.total
        if outcome.status == "failed":
            bar.write(f"restyle: failed ({outcome.job.output}): {flags_for_options(outcome.reason, names)}")
        bar.show(summary.done + summary.skipped + len(summary.failed))

    with CtrlC() as ctrl_c:
        try:
            summary = run_batch(args.inputs, args.output, args.styles or (), manifest=args.manifest,
                                format=args.format, force=args.force, backend=args.backend, address=args.address,
                                batch_size=args.batch_size, progress=progress, log=lambda m: say(args.quiet, m),
                                cancel=ctrl_c.cancel, keep_freed_memory=True, **settings(args))
        finally:
            bar.close()
    say(False, f"{summary.line()}; report: {summary.report}")
    if summary.interrupted:
        print("restyle: interrupted; run the same command again to go on", file=sys.stderr)
        return 130
    return 3 if summary.failed else 0
