"""The Ray backend: a batch's jobs on an existing Ray cluster (or a local one), by actors that keep their models.

Ray places the actors, restarts one whose process dies and runs its job again; restyle only hands out the jobs
(one in flight per actor) and collects the outcomes. Outputs are written by the workers themselves, atomically,
to ``outdir``: a path every worker must see (a shared filesystem on a cluster)."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from typing import Any, Callable, Optional

from ..core.guest import process_kept
from ..errors import RestyleError
from .jobs import Job
from .painter import Painter
from .report import Outcome

#: How often Ray restarts a dead worker and reruns its job before the job is reported as failed.
RETRIES = 3


class Worker:
    """One Ray actor: a ``Painter`` on its device, kept (with its loaded models) from job to job."""

    def __init__(self, machine: dict[str, Any]):
        self.painter = Painter(machine)

    def run(self, job: Job, note: str) -> Outcome:
        return self.painter.run(job, note)


def pool_size(resources: dict[str, float], jobs: int) -> tuple[int, int]:
    """(actors, GPUs each): one actor per GPU where there are GPUs, else one per CPU but one, which is left to Ray's
    own work (an actor pool that takes every CPU can starve it and hang); never more actors than jobs."""
    gpus = int(resources.get("GPU", 0))
    if gpus:
        return max(1, min(gpus, jobs)), 1
    return max(1, min(int(resources.get("CPU", 1)) - 1, jobs)), 0


def run_ray(work: list[tuple[Job, str]], machine: dict[str, Any], report: Callable[[Outcome], None],
            cancel: threading.Event, address: Optional[str] = None) -> None:
    """Every (job, record) of ``work`` on Ray's actors; stops handing out jobs once ``cancel`` is set, and then
    stops the jobs in flight (their outputs are not written). Where Ray is not running yet, it is started
    (``ray.init``) and shut down at the end, the process's environment and signal handlers put back."""
    if not work:
        return
    ray = _ray()
    started = not ray.is_initialized()
    with process_kept() if started else contextlib.nullcontext():  # (ray.init sets variables and a handler)
        if started:
            ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
        actors: list = []
        try:
            count, gpus = pool_size(ray.cluster_resources(), len(work))
            remote = ray.remote(Worker).options(num_cpus=1, num_gpus=gpus, max_restarts=RETRIES,
                                                 max_task_retries=RETRIES)
            actors = [remote.remote(machine) for _ in range(count)]
            _dispatch(ray, actors, deque(work), report=report, cancel=cancel)
        finally:
            for actor in actors:
                ray.kill(actor)
            if started:
                ray.shutdown()


def _dispatch(ray, actors: list, queue: deque, report: Callable[[Outcome], None], cancel: threading.Event) -> None:
    """One job in flight per actor; each outcome reported as it comes."""
    idle, flying = list(actors), {}
    while (queue and not cancel.is_set()) or flying:
        while idle and queue and not cancel.is_set():
            actor, (job, note) = idle.pop(), queue.popleft()
            flying[actor.run.remote(job, note)] = (actor, job)
        done, _ = ray.wait(list(flying), num_returns=1, timeout=0.5)
        if cancel.is_set() and not done:
            return
        for ref in done:
            actor, job = flying.pop(ref)
            idle.append(actor)
            try:
                report(ray.get(ref))
            except ray.exceptions.RayError as e:
                report(Outcome(job, "failed", f"the worker failed {RETRIES + 1} times: {type(e).__name__}"))


def _ray():
    """The ray module, or a RestyleError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise RestyleError("the ray backend needs Ray: pip install 'restyle[ray]'") from None
    return ray
