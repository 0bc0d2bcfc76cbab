"""A batch's jobs: the photos found, the styles named, each job's settings and where its painting goes."""

from __future__ import annotations

import dataclasses
import glob
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional

from ..errors import RestyleError

#: Output formats of a batch, by the name ``format`` takes.
OUTPUT_FORMATS = ("png", "jpg", "webp")
#: Settings a model's painting depends on (the others are the optimizer's).
MODEL_SETTINGS = ("size", "strength", "preserve_color", "precision", "mix", "coarse", "noise")
#: Settings that change how a job runs, not what it paints: not recorded, so changing them redoes nothing.
MACHINE_SETTINGS = ("device", "max_memory", "tile_size", "max_pixels", "keep_freed_memory")


@dataclass(frozen=True)
class Style:
    """A style of the batch: a painting (for the optimizer), a shipped preset or a model file."""

    kind: str
    """"painting", "preset" or "model"."""
    source: str
    """The painting's or model's path, or the preset's name."""

    @property
    def stem(self) -> str:
        """The name its folder takes when no other style shares it."""
        return self.source if self.kind == "preset" else Path(self.source).stem


@dataclass(frozen=True)
class Job:
    """One photo in one style, with its settings (only those given) and its output file."""

    photo: str
    style: Style
    settings: tuple[tuple[str, Any], ...]
    output: str = ""
    line: Optional[int] = None
    """The manifest line it came from, if any."""

    def get(self, name: str, default: Any = None) -> Any:
        return dict(self.settings).get(name, default)

    def recorded(self) -> dict[str, Any]:
        """The settings the painting depends on (what a rerun compares)."""
        keep = MODEL_SETTINGS if self.style.kind != "painting" else None
        return {k: v for k, v in self.settings if k not in MACHINE_SETTINGS and (keep is None or k in keep)}


def find_photos(inputs: Iterable[str], exclude: Optional[Path] = None) -> list[Path]:
    """The image files ``inputs`` name: files, folders (searched recursively) or glob patterns; each once, in the
    order given (a folder's sorted); a search finds nothing under ``exclude`` (the output folder, so that results
    are never taken for photos)."""
    from ..core.images import image_files
    out = exclude.resolve() if exclude is not None else None
    unique: dict[Path, Path] = {}
    for name in inputs:
        p = Path(name)
        if p.is_dir():
            files = image_files(p, recursive=True)
        elif p.exists():
            files = [p]
        elif glob.has_magic(name):
            files = [Path(f) for f in sorted(glob.glob(name, recursive=True)) if Path(f).is_file()]
        else:
            raise RestyleError(f"{p}: no such file or folder")
        if p.is_dir() or not p.exists():
            files = [f for f in files if out is None or not f.resolve().is_relative_to(out)]
        if not files:
            raise RestyleError(f"{name}: {'holds no image files' if p.is_dir() else 'no file matches'}")
        for f in files:
            unique.setdefault(f.resolve(), f)
    return list(unique.values())


def plan(jobs: list[Job], outdir: Path, fmt: str) -> tuple[list[Job], list[str]]:
    """The jobs with their output files, ``outdir/STYLE/PHOTO.fmt`` by stems, and a note for each name clash.

    Where two styles (or photos of one style) would share a name, each of them takes a suffix from a hash of its
    own source (and settings): the same for every rerun, whatever else the batch holds."""
    if fmt not in OUTPUT_FORMATS:
        raise RestyleError(f"unknown format {fmt!r}; use one of {', '.join(OUTPUT_FORMATS)}")
    styles, notes = _names({s: (s.stem, s.source, f"the {s.kind} {s.source}")
                            for s in dict.fromkeys(j.style for j in jobs)}, "styles", [])
    outputs, notes = _names({j: (Path(j.photo).stem, (j.photo, j.settings), _label(j)) for j in jobs}, "photos",
                            notes, group=lambda j: styles[j.style])
    placed = [dataclasses.replace(j, output=str(outdir / styles[j.style] / f"{outputs[j]}.{fmt}")) for j in jobs]
    return placed, notes


def _label(job: Job) -> str:
    """A job's photo, and its settings where a manifest gave it its own."""
    return job.photo + (f" ({', '.join(f'{k} {v}' for k, v in job.recorded().items())})" if job.line else "")


def _names(items: dict, what: str, notes: list[str], group=lambda item: "") -> tuple[dict, list[str]]:
    """{item: its name}, ``items`` being {item: (stem, source, label)}: its stem, or where others of its ``group``
    share the stem, the stem and a hash of its source; a note for each clash, naming what each name holds."""
    by_name: dict[tuple[str, str], list] = {}
    for item, (stem, _, _) in items.items():
        by_name.setdefault((group(item), stem), []).append(item)
    names = {}
    for (_, stem), members in by_name.items():
        if len(members) == 1:
            names[members[0]] = stem
            continue
        for item in members:
            names[item] = f"{stem}-{hashlib.sha256(repr(items[item][1]).encode()).hexdigest()[:6]}"
        note = f"{len(members)} {what} share the name {stem!r}; written as " \
               f"{', '.join(sorted(f'{names[m]} ({items[m][2]})' for m in members))}"
        notes += [] if note in notes else [note]
    return names, notes
