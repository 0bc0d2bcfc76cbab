"""What a stopped ``stylize_video`` leaves beside its output, so that ``resume`` takes it up again: the count of
frames done and the run's settings (OUT + ``.resume.json``) and the engine's last painting, which the next frame
is carried from (OUT + ``.resume.png``). A resumed run copies the frames done from the stopped output (decoded
and encoded once more) and paints the rest: every frame once, in order, with the sound."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image

from ..core.images import save_image, write_atomic
from ..errors import RestyleError
from . import io


def _paths(out: Path) -> tuple[Path, Path]:
    return out.with_name(out.name + ".resume.json"), out.with_name(out.name + ".resume.png")


def save(out: Path, frames: int, settings: str, last_painted: np.ndarray) -> None:
    """Record a run stopped after ``frames`` frames."""
    state, painted = _paths(out)
    save_image(Image.fromarray(last_painted), painted)
    write_atomic(state, lambda f: f.write(json.dumps({"frames": frames, "settings": settings}).encode()))


def load(out: Path, settings: str) -> tuple[int, np.ndarray]:
    """(frames done, the last painting) of the run stopped at ``out``, refused when there is none or it was made
    with other settings."""
    state, painted = _paths(out)
    if not (state.exists() and painted.exists() and out.exists()):
        raise RestyleError(f"{out}: no stopped run to resume (it leaves {state.name} beside the video)")
    try:
        saved = json.loads(state.read_text())
        frames, last = int(saved["frames"]), np.asarray(Image.open(painted).convert("RGB"))
    except (OSError, ValueError, KeyError):
        raise RestyleError(f"{state}: damaged; paint the video afresh, without resume") from None
    if saved.get("settings") != settings:
        raise RestyleError(f"{out}: was painted with other settings; resume with the same ones, or paint afresh")
    return frames, last


def clear(out: Path) -> None:
    """Forget a stopped run at ``out`` (the video is complete)."""
    for path in _paths(out):
        path.unlink(missing_ok=True)


def done_frames(out: Path, turn: int = 0) -> Iterator[np.ndarray]:
    """The frames of the stopped output, in order, turned back by ``turn`` quarter turns (``VideoWriter.turn``)."""
    with io.open_video(out) as container:
        for kind, item in io.frames_and_audio(container):
            if kind == "frame":
                yield np.rot90(item.image, -turn) if turn else item.image
