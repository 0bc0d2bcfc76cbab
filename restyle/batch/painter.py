"""Painting a batch's jobs: each style's model loaded once and kept, photos of one size painted together, every
output written atomically with its record."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path
from typing import Any, Mapping, Optional

import torch

from ..core.images import save_image
from ..core.memory import keep_freed_memory_between_passes
from ..errors import RestyleError
from ..feedforward.runtime import StyleModel, load_model, read_photo
from ..optimize.options import Options
from ..optimize.transfer import stylize
from .jobs import Job, Style
from .report import Outcome


class Painter:
    """Paints jobs on one device, keeping each model (by style and precision) loaded for the next job."""

    def __init__(self, machine: Optional[Mapping[str, Any]] = None):
        self.machine = {k: v for k, v in (machine or {}).items() if v is not None}
        self._models: dict[tuple[Style, str, Optional[str], Optional[float], Optional[float]], StyleModel] = {}
        self._lock = threading.Lock()

    def model(self, style: Style, precision: str = "auto", mix: Optional[str] = None,
              coarse: Optional[float] = None, noise: Optional[float] = None) -> StyleModel:
        """The style's model (``mix``: the style or mix of a model of several; ``coarse``: its two passes;
        ``noise``: what it adds to each photo first), loaded on first use."""
        key = (style, precision, mix, coarse, noise)
        with self._lock:
            if key not in self._models:
                load = {k: self.machine[k] for k in ("device", "max_memory", "tile_size") if k in self.machine}
                path = None if style.kind == "preset" else style.source
                self._models[key] = load_model(path, preset=style.source if path is None else None,
                                               precision=precision, mix=mix, coarse=coarse,
                                               noise=noise, **load)
            return self._models[key]

    def keeping_memory(self) -> contextlib.AbstractContextManager:
        """A block in which freed memory is kept from one model job to the next, where the machine's settings ask for
        it (``keep_freed_memory``; the optimizer's jobs keep their own)."""
        return keep_freed_memory_between_passes(self.machine.get("device", "auto"), self.machine.get("max_memory"),
                                                asked=bool(self.machine.get("keep_freed_memory")))

    def photo(self, job: Job) -> torch.Tensor:
        """A model job's photo, read and resized as its settings say."""
        return read_photo(job.photo, self.machine.get("max_pixels", Options.max_pixels), job.get("size"))

    def paint(self, jobs: list[Job], photos: list[torch.Tensor]) -> list[torch.Tensor]:
        """Model jobs of one style and settings (and their photos of one size), painted together."""
        job = jobs[0]
        model = self.model(job.style, job.get("precision", "auto"), mix=job.get("mix"), coarse=job.get("coarse"),
                           noise=job.get("noise"))
        batch = torch.stack(photos).to(model.device)
        out = model.paint(batch, job.get("strength", 1.0), job.get("preserve_color") == "luminance")
        return list(out)

    def options(self, job: Job) -> Options:
        """A painting job's ``Options``: the machine's, then the job's settings."""
        values = {k: v for k, v in job.settings if k != "strength"}
        return Options().replace(**self.machine, **values)

    def stylize(self, job: Job, cancel: Optional[threading.Event] = None):
        """A painting job's image by the optimizer (None if ``cancel`` was set before it finished)."""
        image = stylize(job.photo, job.style.source, self.options(job), cancel=cancel)
        return None if cancel is not None and cancel.is_set() else image

    def run(self, job: Job, note: str, cancel: Optional[threading.Event] = None) -> Outcome:
        """A painting job from its photo to its written output (model jobs go through ``local.run_local``'s
        pipeline); a failure is its outcome, not an exception."""
        start = time.perf_counter()
        try:
            image = self.stylize(job, cancel)
            if image is None:
                return Outcome(job, "stopped")
            write(job, image, note)
        except RestyleError as e:
            return Outcome(job, "failed", str(e), time.perf_counter() - start)
        except Exception as e:  # noqa: BLE001 - one job's bug must not stop a batch of thousands
            return Outcome(job, "failed", f"internal error: {type(e).__name__}: {e}", time.perf_counter() - start)
        return Outcome(job, "done", "", time.perf_counter() - start)


def write(job: Job, image, note: str) -> None:
    """The job's output, written atomically with its record, its style's folder made where needed."""
    out = Path(job.output)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RestyleError(f"{out.parent}: cannot create the folder ({e.strerror})") from None
    save_image(image, out, note=note)

