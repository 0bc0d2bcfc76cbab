"""The local backend: a batch's jobs in this process, photos decoded and results written while the network paints."""

from __future__ import annotations

import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, NamedTuple, Optional

import torch

from ..core.images import to_pil
from ..core.prefetch import prefetch
from ..errors import RestyleError
from .jobs import Job
from .painter import Painter, write
from .report import Outcome

Report = Callable[[Outcome], None]


class _Read(NamedTuple):
    """A model job with its photo read (or the reason it could not be)."""

    job: Job
    note: str
    photo: Optional[torch.Tensor]
    error: str
    start: float


def run_local(work: list[tuple[Job, str]], painter: Painter, report: Report, cancel: threading.Event,
              batch_size: int = 4) -> None:
    """Every (job, record) of ``work``: model jobs first, photos of one size and settings ``batch_size`` at a time,
    then the optimizer's jobs one at a time; stops between jobs once ``cancel`` is set (a job cut short is not
    written)."""
    with painter.keeping_memory():
        _models([w for w in work if w[0].style.kind != "painting"], painter, report=report, cancel=cancel,
                batch_size=batch_size)
    for job, note in (w for w in work if w[0].style.kind == "painting"):
        if cancel.is_set():
            return
        outcome = painter.run(job, note, cancel)
        if outcome.status != "stopped":
            report(outcome)


def _models(work: list[tuple[Job, str]], painter: Painter, report: Report, cancel: threading.Event,
            batch_size: int) -> None:
    """Model jobs: the next photos decoded in a thread, same-size ones painted together, written in another."""

    def read(item: tuple[Job, str]) -> _Read:
        start = time.perf_counter()
        try:
            return _Read(*item, painter.photo(item[0]), "", start)
        except RestyleError as e:
            return _Read(*item, None, str(e), start)

    group: list[_Read] = []
    with ThreadPoolExecutor(1, thread_name_prefix="restyle-write") as writer:
        pending: deque[Future] = deque()
        for item in prefetch(iter(work), read, ahead=batch_size + 1):
            if cancel.is_set():
                break
            if item.photo is None:
                report(Outcome(item.job, "failed", item.error, time.perf_counter() - item.start))
                continue
            if group and (len(group) == batch_size or _key(item) != _key(group[0])):
                _paint(group, painter, writer=writer, pending=pending, report=report)
                group = []
            group.append(item)
            while pending and (len(pending) > 2 * batch_size or pending[0].done()):
                report(pending.popleft().result())
        if group and not cancel.is_set():
            _paint(group, painter, writer=writer, pending=pending, report=report)
        while pending:
            report(pending.popleft().result())


def _key(item: _Read) -> tuple:
    """Jobs painted together share this: style, settings and photo size."""
    return item.job.style, item.job.settings, tuple(item.photo.shape)


def _paint(group: list[_Read], painter: Painter, writer: ThreadPoolExecutor, pending: deque, report: Report) -> None:
    """Paint ``group`` at once and queue each result's writing."""
    try:
        painted = painter.paint([g.job for g in group], [g.photo for g in group])
    except RestyleError as e:
        for g in group:
            report(Outcome(g.job, "failed", str(e), time.perf_counter() - g.start))
        return
    for g, image in zip(group, painted):
        pending.append(writer.submit(_write, g, to_pil(image)))


def _write(item: _Read, image) -> Outcome:
    """Write one result; its outcome."""
    try:
        write(item.job, image, item.note)
    except RestyleError as e:
        return Outcome(item.job, "failed", str(e), time.perf_counter() - item.start)
    return Outcome(item.job, "done", "", time.perf_counter() - item.start)
