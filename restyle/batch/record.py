"""What each output was made from, written into the image file itself, so that a rerun knows what is finished."""

from __future__ import annotations

import json
from pathlib import Path

from ..core.images import read_note
from ..errors import RestyleError
from ..feedforward.modelfile import file_sha256, preset_path
from .jobs import Job, Style

#: Marks a note as a batch's record (and its version).
KIND = "restyle-batch/1"


def style_identity(style: Style) -> str:
    """The SHA-256 of the style's file (the painting, the model or the preset's model file)."""
    path = preset_path(style.source) if style.kind == "preset" else Path(style.source)
    try:
        return file_sha256(path)
    except OSError as e:
        raise RestyleError(f"{style.source}: cannot read ({e.strerror or e})") from None


def recipe(job: Job, identity: str) -> str:
    """The job's record: the photo (path, size and time of change), the style (its file's hash) and the settings
    the painting depends on, as JSON."""
    photo = Path(job.photo)
    try:
        stat = photo.stat()
    except OSError as e:
        raise RestyleError(f"{job.photo}: {'no such file' if isinstance(e, FileNotFoundError) else e}") from None
    return json.dumps({"kind": KIND, "photo": str(photo.resolve()), "photo_bytes": stat.st_size,
                       "photo_mtime_ns": stat.st_mtime_ns, "style": [job.style.kind, job.style.source, identity],
                       "settings": job.recorded()}, sort_keys=True)


def state(output: str | Path, expected: str) -> str:
    """What is at ``output``: "missing", "finished" (made by the same recipe), "stale" (by another batch run's
    recipe, or unreadable) or "foreign" (a file restyle batch did not write, which it never overwrites)."""
    path = Path(output)
    if not path.exists():
        return "missing"
    note = read_note(path)
    if note == expected:
        return "finished"
    try:
        ours = json.loads(note).get("kind") == KIND if note else False
    except (ValueError, AttributeError):
        ours = False
    return "stale" if ours else "foreign"
