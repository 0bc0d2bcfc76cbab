"""``restyle stylize``: paint a photo after paintings with the optimizer."""

from __future__ import annotations

import argparse
import sys
import time

from ..errors import Interrupted, RestyleError
from ..optimize.options import Options
from .arguments import add_fields, loss, machine, quiet, regions, regions_from, settings_from
from .interrupt import CtrlC
from .progress import OptimizerBar, Snapshots, say


def add_parser(sub, name: str, fmt) -> None:
    p = sub.add_parser(name, formatter_class=fmt, help="paint a content image in the style of one or more images",
                       description="Optimize an image so its VGG19 features match CONTENT and the Gram statistics "
                                   "of the style images (Gatys et al.). Output format follows OUTPUT's extension "
                                   "(.png, .jpg, .webp, .tif).")
    p.add_argument("content", help="the photo to paint")
    p.add_argument("-s", "--style", action="append", metavar="STYLE",
                   help="a style image; repeat for several (not with --region)")
    p.add_argument("-o", "--output", required=True, help="where to write the result")
    add_fields(p.add_argument_group("size and iterations"), Options, ["size", "iterations", "multiscale", "start_size"])
    g = p.add_argument_group("loss weights and layers")
    loss(g, Options)
    add_fields(g, Options, ["style_blend", "style_scale"])
    regions(p.add_argument_group("regions (a style per region)"), "a painting")
    add_fields(p.add_argument_group("colour"), Options, ["preserve_color"])
    add_fields(p.add_argument_group("optimization"), Options, ["optimizer", "learning_rate", "init", "seed", "pooling"])
    g = p.add_argument_group("machine")
    machine(g, Options)
    add_fields(g, Options, ["weights", "max_pixels"])
    g = p.add_argument_group("output")
    g.add_argument("--save-every", type=int, default=0, metavar="N",
                   help="also save the image every N iterations, as OUTPUT's name + _NNNN (0: never)")
    quiet(g)


def run(args: argparse.Namespace) -> int:
    from ..core.images import check_not_input, check_output_path, save_image
    from ..optimize.schedule import scale_schedule
    from ..optimize.transfer import stylize
    if args.save_every < 0:
        raise RestyleError(f"--save-every must be >= 0, got {args.save_every}")
    options = settings_from(args, Options, keep_freed_memory=True)
    painted = regions_from(args)
    if (args.style is None) == (painted is None):
        raise RestyleError("give the paintings: -s PAINTING, or --mask MASK with --region COLOR=PAINTING (not both)")
    styles = args.style or [s for v in painted.values() for s in (v if isinstance(v, list) else [v])
                            if s.lower() != "none"]
    options.validate(len(args.style or [1]))
    output = check_output_path(args.output)
    inputs = [args.content, *styles] + ([] if options.init in ("content", "noise") else [options.init])
    inputs += [args.mask] if args.mask else []
    check_not_input(output, inputs)
    bar, snapshots = OptimizerBar(args.quiet), Snapshots(args.save_every, output)
    schedule = scale_schedule(options.size, options.iterations, options.multiscale, options.start_size)
    snapshots.check(inputs, sum(n for _, n in schedule))
    start = time.perf_counter()
    try:
        with CtrlC() as ctrl_c:
            image = stylize(args.content, args.style, options, callback=lambda p: (bar(p), snapshots(p)),
                            cancel=ctrl_c.cancel, log=lambda m: say(args.quiet, m), mask=args.mask,
                            regions=painted)
        interrupted = ctrl_c.cancel.is_set()
    except Interrupted as e:  # a second Ctrl-C, or the first before the first iteration
        image, interrupted = e.image, True
    finally:
        bar.close()
    if image is not None:
        save_image(image, output)
    if not interrupted:
        say(args.quiet, f"wrote {output} ({image.width}x{image.height}) in {time.perf_counter() - start:.1f} s")
        return 0
    print("restyle: interrupted before the first iteration; nothing saved" if image is None else
          f"restyle: interrupted; saved the best image so far ({image.width}x{image.height}) to {output}",
          file=sys.stderr)
    return 130
