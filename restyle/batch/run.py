"""``run_batch``: every photo in every style (and a manifest's jobs), finished outputs skipped, on a backend."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Union

from ..core.checks import positive_int
from ..core.images import check_not_inputs
from ..errors import RestyleError
from . import record
from .jobs import Job, Style, find_photos, plan
from .manifest import read_manifest
from .painter import Painter
from .report import Outcome, Summary, write_report
from .settings import check, checked, frozen, machine_of, style_from

BACKENDS = ("local", "ray")


def run_batch(inputs: Sequence[str] = (), outdir: Union[str, Path] = "restyled",
              styles: Sequence[Union[str, Style]] = (), *, manifest: Optional[Union[str, Path]] = None,
              format: str = "png", force: bool = False, backend: str = "local", address: Optional[str] = None,
              batch_size: int = 4, progress: Optional[Callable[[Outcome, Summary], None]] = None,
              log: Optional[Callable[[str], None]] = None, cancel: Optional[threading.Event] = None,
              **settings: Any) -> Summary:
    """Paint every photo of ``inputs`` (files, folders searched recursively, glob patterns) in every one of
    ``styles`` (paintings, model files or preset names), and each job of a ``manifest``, into
    ``outdir/STYLE/PHOTO.format``.

    ``settings`` are any option of ``Options`` (the optimizer's, for paintings), ``strength``, ``mix``,
    ``coarse`` and ``noise`` (models), for every job. Outputs finished by an earlier run with the same settings are
    skipped (``force``: redo them); a job that fails is reported and the others go on. ``backend`` "ray" runs the
    jobs on a Ray cluster (``address``, else Ray's own choice: ``RAY_ADDRESS`` or a local one). ``progress(outcome,
    summary)`` follows every job; ``cancel`` stops the batch between jobs (a job cut short is not written). Writes
    ``outdir/batch-report.json`` and returns the ``Summary``; bad input or settings raise a RestyleError before any
    work."""
    start = time.perf_counter()
    cancel = cancel or threading.Event()
    if backend not in BACKENDS:
        raise RestyleError(f"unknown backend {backend!r}; use local or ray")
    positive_int("batch_size", batch_size)
    out = Path(outdir)
    machine, common = machine_of(settings)
    jobs, notes = plan(_jobs(inputs, styles, manifest=manifest, common=common, out=out), out, format)
    _check_outputs(jobs)
    _make(out)
    summary = Summary(total=len(jobs), notes=notes)
    for note in notes:
        (log or _quiet)(note)
    outcomes: list[Outcome] = []

    def report(outcome: Outcome) -> None:
        outcomes.append(outcome)
        summary.count(outcome)
        if progress is not None:
            progress(outcome, summary)

    work, early = _todo(jobs, force)
    skipped = sum(o.status == "skipped" for o in early)
    (log or _quiet)((f"skipped {skipped} finished; " if skipped else "") + f"{len(work)} to do")
    for outcome in early:
        report(outcome)

    try:
        if backend == "ray":
            from .cluster import run_ray
            run_ray(work, machine, report, cancel, address=address, batch_size=batch_size)
        else:
            from .local import run_local
            run_local(work, Painter(machine), report, cancel, batch_size=batch_size)
    except KeyboardInterrupt:
        cancel.set()
        raise
    finally:
        summary.interrupted = cancel.is_set() and len(outcomes) < len(jobs)
        summary.seconds = time.perf_counter() - start
        summary.report = write_report(out, summary, outcomes)
    return summary


def _quiet(message: str) -> None:
    """Where messages go without a ``log``."""


def _make(out: Path) -> None:
    """The output folder, made if needed."""
    if out.exists() and not out.is_dir():
        raise RestyleError(f"{out}: is a file; give a folder for the results")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RestyleError(f"{out}: cannot create the output folder ({e.strerror})") from None


def _jobs(inputs, styles, manifest, common: dict, out: Path) -> list[Job]:
    """Every photo of ``inputs`` in every style, then the manifest's jobs; each once."""
    if inputs and not styles:
        raise RestyleError("give the styles: paintings, presets or model files")
    if styles and not inputs:
        raise RestyleError("give the photos to paint: files, folders or patterns")
    if not inputs and manifest is None:
        raise RestyleError("give photos and styles, or a manifest")
    named = [checked(s) if isinstance(s, Style) else style_from(s) for s in styles]
    settings = frozen(common)
    for style in dict.fromkeys(named):
        check(style, settings)
    photos = find_photos(inputs, exclude=out) if inputs else []
    jobs = [Job(str(p), s, settings) for s in named for p in photos]
    jobs += read_manifest(manifest, common) if manifest is not None else []
    return list(dict.fromkeys(jobs))


def _check_outputs(jobs: list[Job]) -> None:
    """A RestyleError when an output would be one of the batch's photos, paintings or models."""
    inputs = dict.fromkeys([j.photo for j in jobs] + [j.style.source for j in jobs if j.style.kind != "preset"])
    check_not_inputs([j.output for j in jobs], inputs)


def _todo(jobs: list[Job], force: bool) -> tuple[list[tuple[Job, str]], list[Outcome]]:
    """(job, its record) for each job to do, and the outcomes of the others: finished before (skipped), or unable
    to start (failed)."""
    identity = {s: record.style_identity(s) for s in dict.fromkeys(j.style for j in jobs)}
    work, outcomes = [], []
    for job in jobs:
        try:
            note = record.recipe(job, identity[job.style])
        except RestyleError as e:
            outcomes.append(Outcome(job, "failed", str(e)))
            continue
        state = record.state(job.output, note)
        if state == "finished" and not force:
            outcomes.append(Outcome(job, "skipped"))
        elif state == "foreign" and not force:
            outcomes.append(Outcome(job, "failed", f"{job.output}: exists and was not written by restyle batch, so "
                                                   "it is kept; move it away, or try force to replace it"))
        else:
            work.append((job, note))
    return work, outcomes
