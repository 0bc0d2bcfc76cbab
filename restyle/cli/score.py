"""``restyle score``: how far an image is from a photo and from a painting."""

from __future__ import annotations

import argparse
import json

from ..core.checks import SCORE_SIZE
from ..core.settings import parse_blend
from ..optimize.options import Options
from .arguments import add_fields


def add_parser(sub, name: str, fmt) -> None:
    p = sub.add_parser(name, formatter_class=fmt, help="measure how close an image is to a photo and a style",
                       description="Content distance (relative squared error of relu4_2 features) and style "
                                   "distance (mean relative squared error of Gram matrices over relu1_1..relu5_1) "
                                   "of IMAGE, judged at long side --size (512) whatever its own size, so that "
                                   "results of any size and any tool compare. Lower is closer. The style distance "
                                   "is also given by layer: relu1_1 judges colours and fine texture, relu5_1 the "
                                   "painting's largest structures.")
    p.add_argument("image", help="the image to judge, e.g. a stylized result")
    p.add_argument("-c", "--content", required=True, help="the content photo")
    p.add_argument("-s", "--style", action="append", required=True, metavar="STYLE",
                   help="a style image; repeat for several")
    p.add_argument("--style-blend", metavar="W,W,...", help="weights of the style images (default: equal)")
    p.add_argument("--size", type=int, default=SCORE_SIZE, metavar="PX",
                   help="long side at which images are judged; scores at different sizes do not compare "
                        "(default: %(default)s)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    add_fields(p, Options, ["device", "max_pixels"])


def run(args: argparse.Namespace) -> int:
    from ..scoring import score
    result = score(args.image, args.content, args.style, parse_blend(args.style_blend), device=args.device,
                   max_pixels=args.max_pixels, size=args.size)
    if args.json:
        print(json.dumps(result.as_dict()))
    else:
        print(f"content distance {result.content:.6g}")
        print(f"style distance   {result.style:.6g}")
        print("  by layer       " + "  ".join(f"{k} {v:.4g}" for k, v in result.style_layers.items()))
    return 0
