"""Reading ahead: a stream's next items fetched and prepared in a background thread while the caller works on the
current one (decoding and optical flow overlap the network)."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_END = object()


def prefetch(items: Iterator[T], prepare: Callable[[T], R], ahead: int = 2) -> Iterator[R]:
    """``prepare(item)`` for each of ``items``, in order, up to ``ahead`` items ahead of the caller. One worker
    thread both advances ``items`` and prepares them, so neither needs to be thread-safe; its errors are raised
    here, in order. When the caller stops early, the thread finishes the item in hand and stops."""

    def next_prepared():
        item = next(items, _END)
        return _END if item is _END else prepare(item)

    with ThreadPoolExecutor(1, thread_name_prefix="restyle-prefetch") as pool:
        pending: list[Future] = [pool.submit(next_prepared) for _ in range(ahead)]
        try:
            while True:
                result = pending.pop(0).result()
                if result is _END:
                    return
                pending.append(pool.submit(next_prepared))
                yield result
        finally:
            for future in pending:
                future.cancel()
