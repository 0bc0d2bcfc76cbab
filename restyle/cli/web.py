"""``restyle web``: the web page, served on this machine."""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import RestyleError
from ..optimize.options import Options
from .arguments import add_fields


def add_parser(sub, name: str, fmt) -> None:
    w = sub.add_parser(name, formatter_class=fmt, help="a web page to paint photos and videos in a browser",
                       description="Serve restyle's web page: paint a photo with a preset (about a second), "
                                   "after any painting with the optimizer (watch it, stop it, download it), or a "
                                   "video. Nothing is fetched from the internet; only this computer can reach it "
                                   "unless --host says otherwise. Needs restyle[web].")
    w.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every network interface)")
    w.add_argument("--port", type=int, default=7860, help="port to listen on")
    w.add_argument("--max-upload-mb", type=float, default=25, metavar="MB", help="largest upload accepted")
    w.add_argument("--queue", type=int, default=16, metavar="N", help="jobs that may wait while one runs; more "
                   "are refused as busy")
    add_fields(w, Options, ["device"])


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise RestyleError(f"--port must be between 1 and 65535, got {args.port}")
    if args.queue < 0 or args.max_upload_mb <= 0:
        raise RestyleError("--queue must be 0 or more and --max-upload-mb more than 0")
    # The command owns its process: no analytics or update checks from Gradio, whatever the page does.
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    try:
        from ..web.server import serve
    except ImportError:
        raise RestyleError("the web page needs Gradio: pip install 'restyle[web]'") from None
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"restyle: warning: listening on {args.host}: anyone who can reach this computer on the network "
              "can use the page", file=sys.stderr)
    video = _has_video()
    url = f"http://{'localhost' if args.host in ('127.0.0.1', '::1') else args.host}:{args.port}"
    serve(args.host, args.port, max_upload_mb=args.max_upload_mb, queue=args.queue, device=args.device, video=video,
          started=lambda _: print(f"restyle web: {url} (Ctrl-C to stop)"
                                  f"{'' if video else '; no video tab: pip install restyle[video]'}", flush=True))
    return 0


def _has_video() -> bool:
    import importlib.util
    return all(importlib.util.find_spec(m) is not None for m in ("av", "cv2"))
