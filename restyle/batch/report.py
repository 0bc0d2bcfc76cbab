"""The outcome of each job, the summary of a batch, and ``batch-report.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..core.images import write_atomic
from .jobs import Job

REPORT_NAME = "batch-report.json"


@dataclass(frozen=True)
class Outcome:
    """How one job ended: "done", "skipped" (finished before), "failed" (with the reason) or "stopped"."""

    job: Job
    status: str
    reason: str = ""
    seconds: float = 0.0


@dataclass
class Summary:
    """What a batch did: counts, the failures with their reasons, name clashes, time and the report's path."""

    total: int
    done: int = 0
    skipped: int = 0
    failed: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False
    report: Optional[Path] = None

    @property
    def ok(self) -> bool:
        """Every job done or finished before, none failed and the batch not stopped."""
        return not self.failed and not self.interrupted

    def count(self, outcome: Outcome) -> None:
        if outcome.status == "done":
            self.done += 1
        elif outcome.status == "skipped":
            self.skipped += 1
        elif outcome.status == "failed":
            self.failed.append(outcome)

    def line(self) -> str:
        """One line: done, skipped, failed, left."""
        left = self.total - self.done - self.skipped - len(self.failed)
        return (f"{self.done} done, {self.skipped} skipped (finished before), {len(self.failed)} failed"
                + (f", {left} not started" if left else "") + f" in {self.seconds:.1f} s")


def write_report(outdir: Path, summary: Summary, outcomes: list[Outcome]) -> Path:
    """``outdir/batch-report.json``, atomically: the summary and every job's outcome."""
    body = {"total": summary.total, "done": summary.done, "skipped": summary.skipped, "failed": len(summary.failed),
            "interrupted": summary.interrupted, "seconds": round(summary.seconds, 3), "notes": summary.notes,
            "jobs": [{"photo": o.job.photo, "style": o.job.style.source, "kind": o.job.style.kind,
                      "output": o.job.output, "settings": o.job.recorded(), "status": o.status,
                      "reason": o.reason, "seconds": round(o.seconds, 3)} for o in outcomes]}
    data = json.dumps(body, indent=1).encode()
    return write_atomic(outdir / REPORT_NAME, lambda f: f.write(data))
