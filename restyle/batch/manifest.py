"""A manifest of irregular jobs: a CSV file with columns photo, style, then any setting by its field name."""

from __future__ import annotations

import csv
from pathlib import Path

from ..errors import RestyleError
from .jobs import MACHINE_SETTINGS, Job
from .settings import FIELDS, check, frozen, parse, style_from


def read_manifest(path: str | Path, common: dict) -> list[Job]:
    """The manifest's jobs, each row's settings over ``common`` (every job's). Paths in it are taken from the
    manifest's own folder; a bad row is a RestyleError naming its line."""
    p = Path(path)
    try:
        with open(p, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        raise RestyleError(f"{p}: no such manifest") from None
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise RestyleError(f"{p}: cannot read the manifest ({e})") from None
    if not rows:
        raise RestyleError(f"{p}: is empty; give a header row: photo,style[,setting...]")
    header = [h.strip() for h in rows[0]]
    if header[:2] != ["photo", "style"]:
        raise RestyleError(f"{p}:1: the header must start with photo,style, got {','.join(header[:2])}")
    unknown = [h for h in header[2:] if h not in FIELDS]
    if unknown:
        raise RestyleError(f"{p}:1: unknown setting(s) {', '.join(unknown)}")
    machine = [h for h in header[2:] if h in MACHINE_SETTINGS]
    if machine:
        raise RestyleError(f"{p}:1: {', '.join(machine)} is for the whole batch, not a row")
    if len(set(header)) != len(header):
        raise RestyleError(f"{p}:1: a column is named twice")
    return [_job(p, line, header=header, row=row, common=common) for line, row in enumerate(rows[1:], start=2)
            if any(cell.strip() for cell in row)]


def _job(path: Path, line: int, header: list[str], row: list[str], common: dict) -> Job:
    """The job on one line of the manifest."""
    try:
        if len(row) > len(header):
            raise RestyleError(f"{len(row)} cells for {len(header)} columns")
        cells = dict(zip(header, (c.strip() for c in row)))
        if not cells.get("photo") or not cells.get("style"):
            raise RestyleError("give a photo and a style")
        style = style_from(cells["style"], path.parent)
        settings = dict(common) | {k: parse(k, v) for k, v in cells.items() if k in header[2:] and v}
        photo = Path(cells["photo"])
        photo = photo if photo.is_absolute() else path.parent / photo
        job = Job(str(photo), style, frozen(settings), line=line)
        check(style, job.settings)
        return job
    except RestyleError as e:
        raise RestyleError(f"{path}:{line}: {e}") from None
