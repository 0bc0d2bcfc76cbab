"""``restyle video``: paint a whole video with a preset, a model or the optimizer, keeping its sound."""

from __future__ import annotations

import argparse
import sys
import time

from ..feedforward.modelfile import presets
from ..optimize.options import Options
from .arguments import add_fields, loss, machine, quiet, regions, regions_from, settings_from
from .interrupt import CtrlC
from .progress import ProgressBar, say


def add_parser(sub, name: str, fmt) -> None:
    v = sub.add_parser(name, formatter_class=fmt, help="paint a video, keeping its sound, without flicker",
                       usage="restyle video IN -o OUT (--preset NAME | --model FILE | -s PAINTING [-s ...] | "
                             "--mask MASK --region COLOR=MODEL ...) [options]",
                       description="Paint every frame of IN with a shipped preset, a trained model or (slowly) the "
                                   "optimizer after paintings, each frame tied to the last one carried along the "
                                   "optical flow so strokes do not flicker. OUT's extension picks the container: "
                                   ".mp4 and .mkv (H.264, the sound copied), .webm (VP9, the sound as Opus), .gif "
                                   "(no sound). Frame times, rate and count are kept. Needs restyle[video].")
    v.add_argument("input", metavar="IN", help="the video to paint")
    v.add_argument("-o", "--output", required=True, metavar="OUT", help="where to write the painted video")
    g = v.add_argument_group("style (exactly one kind)")
    g.add_argument("--preset", metavar="NAME", help=f"a model shipped with restyle ({', '.join(presets())})")
    g.add_argument("--model", metavar="FILE", help="a trained model (.safetensors or .onnx)")
    g.add_argument("--mix", metavar="NAME[:W,...]", help="with a --model of several styles: the style to paint, or a "
                   "mix of them (a:0.6,b:0.4)")
    g.add_argument("-s", "--style", action="append", metavar="PAINTING", help="a painting, for the optimizer "
                   "(slow: seconds to minutes a frame); repeat for several")
    regions(v.add_argument_group("regions (a model per region; one mask for the whole clip)"),
            "a preset or model file (FILE@MIX: a style or mix of a model of several styles, e.g. "
            "mine.safetensors@a:0.6,b:0.4)")
    g = v.add_argument_group("frames")
    g.add_argument("--size", type=int, metavar="PX", help="scale the frames' long side to PX (default: as they are)")
    g.add_argument("--temporal-weight", type=float, default=None, metavar="W",
                   help="0 to 1: how strongly each frame is tied to the last one carried along the flow, where "
                        "the flow is reliable (models: the share mixed in; the optimizer: its temporal loss; 0: "
                        "independent frames; default: 0.5)")
    g.add_argument("--strength", type=float, default=1.0, metavar="S", help="models: blend with the photo (1: all "
                   "style)")
    from ..batch.settings import ModelSettings
    add_fields(g, ModelSettings, ["coarse", "noise"])
    add_fields(g, Options, ["preserve_color", "iterations", "style_scale"])
    loss(v.add_argument_group("optimizer's loss"), Options)
    g = v.add_argument_group("machine and output")
    machine(g, Options, memory=False)
    g.add_argument("--resume", action="store_true", help="go on with a run stopped by Ctrl-C (the same command, "
                   "with --resume): the frames done are kept, the rest painted")
    g.add_argument("--crf", type=int, default=18, metavar="N", help="H.264 quality (lower: better, bigger; 18 looks "
                   "lossless)")
    quiet(g)


def run(args: argparse.Namespace) -> int:
    from ..video.io import info
    from ..video.pipeline import DEFAULT_TEMPORAL_WEIGHT, check_video_output, stylize_video
    check_video_output(args.input, args.output)
    meta = info(args.input)
    options = settings_from(args, Options, keep_freed_memory=True)
    weight = DEFAULT_TEMPORAL_WEIGHT if args.temporal_weight is None else args.temporal_weight
    bar, start, painted = ProgressBar(args.quiet, meta.frames or 1, unit="frame"), time.perf_counter(), [0]

    def show(progress) -> None:
        painted[0] = progress.frame
        bar.show(progress.frame)
    with CtrlC() as ctrl_c:
        try:
            out = stylize_video(args.input, args.output, temporal_weight=weight, size=args.size, crf=args.crf,
                                callback=show, cancel=ctrl_c.cancel, preset=args.preset,
                                model=args.model, styles=args.style, options=options, strength=args.strength,
                                preserve_color=options.preserve_color, resume=args.resume,
                                regions=regions_from(args), mask=args.mask, mix=args.mix, coarse=args.coarse,
                                # (recorded only when given, so that a run stopped by an older version resumes)
                                **({"noise": args.noise} if args.noise is not None else {}))
        finally:
            bar.close()
    if ctrl_c.cancel.is_set():
        print(f"restyle: interrupted; wrote the frames done so far to {out}: go on with the same command and "
              "--resume", file=sys.stderr)
        return 130
    frames = f"{painted[0]} frame{'s' if painted[0] != 1 else ''}{', with its sound' if meta.audio else ''}"
    say(args.quiet, f"wrote {out} ({frames}) in {time.perf_counter() - start:.0f} s")
    return 0
