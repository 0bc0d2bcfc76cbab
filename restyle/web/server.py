"""Serving the page: Gradio's server on this machine only by default, nothing fetched from the internet, a bounded
queue, uploads limited in size."""

from __future__ import annotations

from typing import Callable, Optional

import gradio as gr

from ..errors import RestyleError
from . import jobs
from .page import build

#: System fonts instead of the Google web fonts Gradio's themes load by default.
FONTS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
         "sans-serif"]
MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Liberation Mono", "monospace"]


def theme() -> gr.themes.Theme:
    """Gradio's default look with local fonts only."""
    return gr.themes.Default(font=FONTS, font_mono=MONO)


def serve(host: str = "127.0.0.1", port: int = 7860, *, max_upload_mb: float = 25, queue: int = 16,
          device: str = "auto", video: bool = True, block: bool = True,
          started: Optional[Callable[[str], None]] = None):
    """Start the page on ``host``:``port``, call ``started`` with its URL, and serve until interrupted; returns
    Gradio's (app, local URL, share URL) at once when not ``block``ing. ``queue`` jobs wait (beyond the running
    one); more are refused as busy. Uploads over ``max_upload_mb`` MB are refused. A port that is taken, or a host
    that is not this computer's, is a RestyleError."""
    blocks = build(jobs.Models(device), video=video)
    blocks.queue(max_size=queue, default_concurrency_limit=1)
    _say_busy(blocks, queue)
    try:
        launched = blocks.launch(server_name=host, server_port=port, share=False, ssr_mode=False, theme=theme(),
                                 max_file_size=int(max_upload_mb * 1_000_000), footer_links=["api"],
                                 prevent_thread_lock=True, quiet=True, show_error=True)
    except OSError:  # Gradio's "Cannot find empty port", for a port in use or an address it cannot bind
        raise RestyleError(f"port {port} on {host}: cannot serve the page there (another program has the port, "
                           "or the host is not an address of this computer)") from None
    if started is not None:
        started(launched[1])
    if block:
        blocks.block_thread()  # (as launch does when it blocks: until Ctrl-C, then the server closed)
    return launched


def _say_busy(blocks: gr.Blocks, queue: int) -> None:
    """A request beyond the full queue is refused with restyle's words instead of Gradio's "Queue is full. Max
    size is N and size is N." (this page's queue only: its ``push`` is wrapped, Gradio is left as it is)."""
    push = blocks._queue.push

    async def push_or_busy(*args, **kwargs):
        accepted, message, state = await push(*args, **kwargs)
        if state == "queue_full":
            message = f"restyle is busy ({queue} jobs are waiting already): please try again in a minute"
        return accepted, message, state

    blocks._queue.push = push_or_busy
