"""What the command line shows while it works: status lines, the one progress bar (tqdm on stderr), snapshots."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional


def say(quiet: bool, message: str) -> None:
    """A status line on stderr, unless quiet."""
    if not quiet:
        print(message, file=sys.stderr, flush=True)


class ProgressBar:
    """A bar over ``total`` units of work that starts at the first report, so work done before it (loading,
    set-up) is not counted as done at time zero, which would make the early ETA too short; its rate is the
    average since then (``smoothing=0``), not the last few updates' (which jump when a scale starts)."""

    def __init__(self, quiet: bool, total: int, unit: str = "it", percent: bool = False):
        self.quiet, self.total, self.unit, self.percent = quiet, total, unit, percent
        self.bar = None

    def show(self, done: int, description: Optional[str] = None, losses: Optional[dict] = None,
             eta: Optional[float] = None) -> None:
        """Move the bar to ``done``, with a description, the loss terms and the engine's ETA where given (else
        tqdm's, from the average rate)."""
        if self.quiet:
            return
        if self.bar is None:
            from tqdm import tqdm
            fmt = "{desc} {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]{postfix}" if self.percent else None
            self.bar = tqdm(total=self.total, initial=done, file=sys.stderr, dynamic_ncols=True, unit=self.unit,
                            smoothing=0, bar_format=fmt)
        if description:
            self.bar.set_description(description, refresh=False)
        if eta is not None and self.percent:
            self.bar.bar_format = "{desc} {percentage:3.0f}%|{bar}| [{elapsed}<" + _clock(eta) + "]{postfix}"
        if losses:
            self.bar.set_postfix_str(f"content {losses['content']:.3g} style {losses['style']:.3g} "
                                     f"tv {losses['tv']:.3g} total {losses['total']:.4g}", refresh=False)
        self.bar.update(done - self.bar.n)

    def write(self, message: str) -> None:
        """A line above the bar (or plain on stderr)."""
        (self.bar.write if self.bar else lambda m: print(m, file=sys.stderr))(message)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class OptimizerBar(ProgressBar):
    """The bar of ``stylize`` and the demo: the work done (iterations weighted by their cost), scale and losses."""

    def __init__(self, quiet: bool):
        super().__init__(quiet, total=1000, percent=True)

    def __call__(self, p) -> None:
        tiles = f" {p.tiles} tiles" if p.tiles > 1 else ""
        self.show(round(p.fraction * 1000), f"scale {p.scale}/{p.scales} {p.size[1]}x{p.size[0]}{tiles} "
                                            f"it {p.iteration}/{p.iterations}", p.losses, p.eta)


class Snapshots:
    """Writes the image every ``every`` iterations as OUTPUT's name + _NNNN (``--save-every``)."""

    def __init__(self, every: int, output: Path):
        self.every, self.output = every, output

    def path(self, step: int) -> Path:
        """The snapshot of ``step``."""
        return self.output.with_name(f"{self.output.stem}_{step:04d}{self.output.suffix}")

    def check(self, inputs: list, steps: int) -> None:
        """A RestyleError when a snapshot of a run of ``steps`` iterations would overwrite one of ``inputs``: an
        input whose real name is a snapshot's (looked at input by input, not snapshot by snapshot, so that a long
        run does not stat its every snapshot's path first)."""
        if not self.every:
            return
        from ..core.images import check_not_input
        prefix, suffix = f"{self.output.stem}_", self.output.suffix
        for source in inputs:
            if not isinstance(source, (str, os.PathLike)):
                continue
            name = Path(source).resolve().name
            digits = name[len(prefix):len(name) - len(suffix)]
            if name.startswith(prefix) and name.endswith(suffix) and digits.isdigit() and digits.isascii():
                step = int(digits)
                if 0 < step <= steps and step % self.every == 0:
                    check_not_input(self.path(step), [source])

    def __call__(self, p) -> None:
        if self.every and p.step % self.every == 0:
            from ..core.images import save_image
            save_image(p.image(), self.path(p.step))


def _clock(seconds: float) -> str:
    """Seconds as tqdm writes them: M:SS, or H:MM:SS."""
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"
