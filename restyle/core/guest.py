"""A library's manners in its host's process: what a third-party library changes there, put back."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Iterator

#: The signal handlers put back (where the block runs in the main thread, the only one that may set them).
SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def process_kept() -> Iterator[None]:
    """Within the block, a library may change environment variables and signal handlers (Gradio sets a Hugging Face
    variable, ``ray.init`` Ray's own and a SIGTERM handler); after it, the host's are back."""
    before = dict(os.environ)
    main = threading.current_thread() is threading.main_thread()
    handlers = {s: signal.getsignal(s) for s in SIGNALS} if main else {}
    try:
        yield
    finally:
        for name in set(os.environ) - set(before):
            del os.environ[name]
        os.environ.update({k: v for k, v in before.items() if os.environ.get(k) != v})
        for sig, handler in handlers.items():
            if signal.getsignal(sig) is not handler and handler is not None:
                signal.signal(sig, handler)
