"""``restyle train``: train a real-time style model on a folder of photos."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..feedforward.options import TrainOptions
from .arguments import add_fields, loss, machine, quiet, settings_from
from .interrupt import CtrlC
from .progress import ProgressBar, say


def add_parser(sub, name: str, fmt) -> None:
    t = sub.add_parser(name, formatter_class=fmt, help="train a real-time style model on your photos",
                       description="Train a feed-forward network (Johnson et al. 2016, instance norm) to paint any "
                                   "photo in the style of STYLE (or of each of several STYLEs) in one pass. Photos "
                                   "in DIR (and its subfolders) are cut into random crops at random scales; "
                                   "unreadable ones are skipped. Checkpoints and previews go to MODEL's name + "
                                   "-training/ beside it.")
    t.add_argument("style", nargs="+", metavar="STYLE", help="the style image (a painting); several train one model "
                   "of them all (conditional instance norm), each style named by its file name and chosen, or mixed, "
                   "when the model is applied (restyle apply MODEL --mix NAME or a:0.6,b:0.4)")
    t.add_argument("--photos", required=True, metavar="DIR", help="folder of photos to train on (a few dozen do)")
    t.add_argument("-o", "--output", required=True, metavar="MODEL", help="the .safetensors model to write")
    g = t.add_argument_group("training")
    add_fields(g, TrainOptions, ["steps", "batch_size", "crop_size", "margin", "margin_shift", "learning_rate",
                                 "seed"])
    g.add_argument("--init", metavar="MODEL", help="start from this model's weights (a .safetensors file or a "
                   "preset's name) to train it on; give another --seed than its own to see new crops")
    add_fields(g, TrainOptions, ["average_last"])
    add_fields(t.add_argument_group("network"), TrainOptions, ["width", "blocks", "dilation", "coarse", "noise"])
    g = t.add_argument_group("loss")
    loss(g, TrainOptions)
    add_fields(g, TrainOptions, ["style_size", "style_scales", "distill_weight"])
    g.add_argument("--targets", metavar="DIR", help="for --distill-weight: each photo of --photos painted by the "
                   "optimizer (restyle stylize) in STYLE, at the same path and name in DIR (any image format); "
                   "for several styles, a folder in DIR for each, named by the style's file name")
    g = t.add_argument_group("progress and checkpoints")
    g.add_argument("--preview", metavar="PHOTO",
                   help="photo to stylize for previews (default: one photo of DIR, held out of training)")
    add_fields(g, TrainOptions, ["preview_every", "checkpoint_every"])
    g.add_argument("--work-dir", metavar="DIR", help="folder for checkpoints and previews (default: MODEL's "
                   "name + -training)")
    g.add_argument("--resume", action="store_true", help="continue from the checkpoint in the work folder "
                   "(same style, photos and settings; --steps may be raised)")
    g = t.add_argument_group("machine and output")
    machine(g, TrainOptions, memory=False)
    g.add_argument("--fp32-weights", action="store_true", help="save the weights in float32 (default: float16, "
                   "half the size, the same images to within a level)")
    quiet(g)


def run(args: argparse.Namespace) -> int:
    import torch

    from ..feedforward.training import default_work_dir, train
    options = settings_from(args, TrainOptions, keep_freed_memory=True)
    bar = ProgressBar(args.quiet, options.steps, unit="step")
    start = time.perf_counter()
    work = Path(args.work_dir) if args.work_dir else default_work_dir(Path(args.output))
    try:
        with CtrlC() as ctrl_c:
            out = train(args.style, args.photos, args.output, options, resume=args.resume, work_dir=args.work_dir,
                        preview=args.preview, callback=lambda p: bar.show(p.step, losses=p.losses),
                        log=lambda m: say(args.quiet, m), init=args.init, cancel=ctrl_c.cancel, targets=args.targets,
                        save_dtype=torch.float32 if args.fp32_weights else torch.float16)
    except KeyboardInterrupt:  # a second Ctrl-C
        bar.close()
        print(f"restyle: interrupted; the last checkpoint is in {work}: continue with the same command and --resume",
              file=sys.stderr)
        return 130
    finally:
        bar.close()
    if ctrl_c.cancel.is_set():
        print(f"restyle: interrupted; wrote {out} from the weights so far, and a checkpoint in {work}: continue "
              "with the same command and --resume", file=sys.stderr)
        return 130
    say(args.quiet, f"wrote {out} in {time.perf_counter() - start:.0f} s (previews in {work})")
    return 0
