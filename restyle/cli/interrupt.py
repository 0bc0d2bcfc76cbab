"""Ctrl-C as a request to stop: the command line's own signal handler (a library never installs one)."""

from __future__ import annotations

import signal
import threading


class CtrlC:
    """Within its block, the first Ctrl-C sets ``cancel`` (the run stops at the end of its iteration or step and
    keeps its work); a second interrupts at once. Outside the main thread it installs nothing."""

    def __init__(self):
        self.cancel = threading.Event()
        self._old = None

    def _handle(self, signum, frame):
        if self.cancel.is_set():
            raise KeyboardInterrupt
        self.cancel.set()

    def __enter__(self) -> "CtrlC":
        try:
            self._old = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread
            self._old = None
        return self

    def __exit__(self, *exc) -> bool:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
        return False
