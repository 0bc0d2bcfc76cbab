"""The ``restyle`` command line: a thin layer over the engines (flags, progress bars, exit codes), one module a command.

Exit codes: 0 done, 2 bad input or options (one line on stderr, no output file), 1 a failure during the
run (such as a NaN loss), 130 interrupted (the best image so far is saved). Torch is imported only once a
command runs, so ``--help`` is quick.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from typing import Optional, Sequence

from .._version import __version__
from ..errors import NumericalError, RestyleError
from . import apply, batch, demo, export, score, stylize, train, video, web
from .arguments import ALIASES, flags_for_options

COMMANDS = {"apply": apply, "stylize": stylize, "video": video, "batch": batch, "train": train, "export": export,
            "score": score, "demo": demo, "web": web}


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows "(default: X)" where there is a default worth showing (not None, False or one in the text)."""

    def _get_help_string(self, action):
        if action.default in (None, False) or "(default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr and exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="restyle", description="Neural style transfer: paint a photo in the style of artworks.")
    parser.add_argument("--version", action="version", version=f"restyle {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, module in COMMANDS.items():
        module.add_parser(sub, name, HelpFormatter)
    return parser


def _option_names() -> set[str]:
    from ..batch.settings import ModelSettings
    from ..feedforward.options import TrainOptions
    from ..optimize.options import Options
    fields = {f.name for cls in (Options, TrainOptions, ModelSettings) for f in dataclasses.fields(cls)}
    return fields | set(ALIASES) | {"mix"}  # (mix: load_model's, a model's style or mix of styles)


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """The command line parsed, where a command's inputs may also come after its options ("apply MODEL --size 512
    PHOTO -o OUT"), which argparse alone refuses; a usage mistake exits as ``Parser.error`` does."""
    args, extra = parser.parse_known_args(argv)
    if not extra:
        return args
    if args.command is None or any(word.startswith("-") for word in extra):
        return parser.parse_args(argv)  # (no command, or an unknown option: argparse's own error)
    command = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[args.command]
    return command.parse_intermixed_args(argv[argv.index(args.command) + 1:],
                                         argparse.Namespace(command=args.command))


def own_process(args: argparse.Namespace) -> None:
    """Process-wide settings the command line makes because it owns its process, where the library, a guest in
    its host's process, makes none: Pillow's decompression-bomb limit raised to a larger ``--max-pixels``, TF32
    matrix products on NVIDIA GPUs, and Pillow's warnings about quirky files silenced (restyle reports what
    matters itself). Those read as torch loads are made earlier, by ``before_torch``."""
    import warnings

    import torch
    from PIL import Image
    max_pixels = getattr(args, "max_pixels", None)
    if max_pixels and Image.MAX_IMAGE_PIXELS is not None and max_pixels > Image.MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = max_pixels
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    warnings.filterwarnings("ignore", module=r"PIL\.")


#: The environment ``before_torch`` sets where the user has not: variable -> value (the wait policy on NNPACK's CPUs).
BEFORE_TORCH = {"THP_MEM_ALLOC_ENABLE": "1", "OMP_WAIT_POLICY": "PASSIVE"}


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as Linux lists them (``/proc/cpuinfo``), read without torch; none elsewhere."""
    try:
        with open("/proc/cpuinfo") as f:
            return next((frozenset(line.split(":", 1)[1].split()) for line in f if line.startswith("flags")),
                        frozenset())
    except OSError:
        return frozenset()


def nnpack_cpu(flags: frozenset[str]) -> bool:
    """Whether torch runs its AVX2 kernels on a CPU of these flags (AVX2 and FMA, not AVX-512 VL, BW and DQ together),
    the capability restyle runs NNPACK on (``restyle.core.nnpack.MEASURED_FASTER``)."""
    return {"avx2", "fma"} <= flags and not {"avx512vl", "avx512bw", "avx512dq"} <= flags


def before_torch() -> None:
    """Settings read once as torch loads, which the command line makes because it owns its process (a user's own
    setting wins; docs/performance.md): large CPU tensors in transparent huge pages, and, where NNPACK runs, idle
    OpenMP threads that sleep at once instead of spinning, leaving the cores to NNPACK's own threads (a 512 px apply
    on an AVX2 CPU 9-13% faster; on an AVX-512 one, which runs no NNPACK, 3-11% slower)."""
    for name, value in BEFORE_TORCH.items():
        if name != "OMP_WAIT_POLICY" or nnpack_cpu(cpu_flags()):
            os.environ.setdefault(name, value)


def main(argv: Optional[Sequence[str]] = None) -> int:
    before_torch()
    parser = build_parser()
    try:
        args = _parse(parser, list(sys.argv[1:] if argv is None else argv))
    except SystemExit as e:  # --help, --version, or a usage error already printed
        return e.code if isinstance(e.code, int) else 2
    if args.command is None:
        parser.print_help()
        return 2
    try:
        own_process(args)
        return COMMANDS[args.command].run(args)
    except RestyleError as e:
        print(f"restyle: error: {flags_for_options(str(e), _option_names())}", file=sys.stderr)
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

