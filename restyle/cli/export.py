"""``restyle export``: a trained model as ONNX."""

from __future__ import annotations

import argparse

from .progress import say


def add_parser(sub, name: str, fmt) -> None:
    p = sub.add_parser(name, formatter_class=fmt, help="write a trained model as ONNX",
                       description="Write MODEL (a .safetensors file from restyle train, or a preset's name) as an "
                                   "ONNX graph with dynamic height and width, for onnxruntime or other runtimes; "
                                   "restyle apply runs it too. Its metadata is kept.")
    p.add_argument("model", help="a .safetensors model, or a preset's name")
    p.add_argument("-o", "--output", required=True, help="the .onnx file to write")
    p.add_argument("--mix", metavar="NAME[:W,...]", help="of a model of several styles, the style to export, "
                   "or a mix of them (a:0.6,b:0.4)")
    p.add_argument("--opset", type=int, default=17, metavar="N", help="ONNX opset version")
    p.add_argument("-q", "--quiet", action="store_true", help="no messages")


def run(args: argparse.Namespace) -> int:
    from ..feedforward.onnx import export_onnx
    say(args.quiet, f"wrote {export_onnx(args.model, args.output, opset=args.opset, mix=args.mix)}")
    return 0
