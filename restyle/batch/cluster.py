"""The Ray backend: a batch's jobs on an existing Ray cluster (or a local one), by actors that keep their models.

Ray places the actors, restarts one whose process dies and runs its job again; restyle only hands out the jobs
(one in flight per actor) and collects the outcomes. Outputs are written by the workers themselves, atomically,
to ``outdir``: a path every worker must see (a shared filesystem on a cluster)."""

from __future__ import annotations

import contextlib
import logging
import math
import socket
import threading
from collections import deque
from typing import Any, Callable, Optional

from ..core.guest import process_kept
from ..errors import RestyleError
from .jobs import Job
from .local import run_local
from .painter import Painter
from .report import Outcome

#: Model jobs in a chunk handed to an actor, in batches (more: fewer round trips, coarser progress).
CHUNK = 4
#: How often Ray restarts a dead worker and reruns its job before the job is reported as failed.
RETRIES = 3


class Worker:
    """One Ray actor: a ``Painter`` on its device, kept (with its loaded models) from chunk to chunk, each chunk run
    as the local backend runs a batch (photos read ahead, results written behind, same-size photos together)."""

    def __init__(self, machine: dict[str, Any]):
        self.painter = Painter(machine)

    def run(self, chunk: list[tuple[Job, str]], batch_size: int) -> list[Outcome]:
        outcomes: list[Outcome] = []
        run_local(chunk, self.painter, outcomes.append, threading.Event(), batch_size=batch_size)
        return outcomes


def pool_size(resources: dict[str, float], jobs: int) -> tuple[int, int]:
    """(actors, GPUs each): one actor per GPU where there are GPUs, else one per CPU but one, which is left to Ray's
    own work (an actor pool that takes every CPU can starve it and hang); never more actors than jobs."""
    gpus = int(resources.get("GPU", 0))
    if gpus:
        return max(1, min(gpus, jobs)), 1
    return max(1, min(int(resources.get("CPU", 1)) - 1, jobs)), 0


def run_ray(work: list[tuple[Job, str]], machine: dict[str, Any], report: Callable[[Outcome], None],
            cancel: threading.Event, address: Optional[str] = None, batch_size: int = 4) -> None:
    """Every (job, record) of ``work`` on Ray's actors, in chunks (up to ``CHUNK`` batches of model jobs of one
    style, or one optimizer job); stops handing out chunks once ``cancel`` is set, and then stops the jobs in
    flight (their outputs are not written). Where Ray is not running yet, it is started (``ray.init``) and shut
    down at the end, the process's environment and signal handlers put back."""
    if not work:
        return
    ray = _ray()
    started = not ray.is_initialized()
    with process_kept() if started else contextlib.nullcontext():  # (ray.init sets variables and a handler)
        if started:
            _check_reachable(address)
            ray.init(address=address, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
        actors: list = []
        try:
            count, gpus = pool_size(ray.cluster_resources(), len(work))
            # chunks small enough that every actor gets work, at most CHUNK batches
            chunks = deque(_chunks(work, max(1, min(CHUNK * batch_size, math.ceil(len(work) / count)))))
            count = min(count, len(chunks))
            remote = ray.remote(Worker).options(num_cpus=1, num_gpus=gpus, max_restarts=RETRIES,
                                                 max_task_retries=RETRIES)
            actors = [remote.remote(machine) for _ in range(count)]
            _dispatch(ray, actors, chunks, report=report, cancel=cancel, batch_size=batch_size)
        finally:
            for actor in actors:
                ray.kill(actor)
            if started:
                ray.shutdown()


def _chunks(work: list[tuple[Job, str]], size: int) -> list[list[tuple[Job, str]]]:
    """Consecutive model jobs of one style, ``size`` at most, and each optimizer job alone."""
    chunks: list[list[tuple[Job, str]]] = []
    for item in work:
        last = chunks[-1] if chunks else None
        if last and len(last) < size and item[0].style == last[0][0].style and item[0].style.kind != "painting":
            last.append(item)
        else:
            chunks.append([item])
    return chunks


def _dispatch(ray, actors: list, queue: deque, report: Callable[[Outcome], None], cancel: threading.Event,
              batch_size: int) -> None:
    """One chunk in flight per actor; each outcome reported as its chunk comes back."""
    idle, flying = list(actors), {}
    while (queue and not cancel.is_set()) or flying:
        while idle and queue and not cancel.is_set():
            actor, chunk = idle.pop(), queue.popleft()
            flying[actor.run.remote(chunk, batch_size)] = (actor, chunk)
        done, _ = ray.wait(list(flying), num_returns=1, timeout=0.5)
        if cancel.is_set() and not done:
            return
        for ref in done:
            actor, chunk = flying.pop(ref)
            idle.append(actor)
            try:
                outcomes = ray.get(ref)
            except ray.exceptions.RayError as e:
                why = f"the worker failed {RETRIES + 1} times: {type(e).__name__}"
                outcomes = [Outcome(job, "failed", why) for job, _ in chunk]
            for outcome in outcomes:
                report(outcome)


def _check_reachable(address: Optional[str]) -> None:
    """A RestyleError when ``address`` is a host:port where nothing answers (Ray itself would keep trying for
    minutes); other addresses ("auto", "ray://...", none) are Ray's to resolve."""
    host, _, port = (address or "").rpartition(":")
    if not host or not port.isdigit() or "://" in address:
        return
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as e:
        raise RestyleError(f"no Ray cluster answers at {address} ({e.strerror or e}); check the address") from None


def _ray():
    """The ray module, or a RestyleError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise RestyleError("the ray backend needs Ray: pip install 'restyle[ray]'") from None
    return ray
