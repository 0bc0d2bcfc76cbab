"""Training photos: a folder of the user's photos, decoded once, and the random crops that each training step sees.

Every batch is a function of (seed, step) alone, so training resumed from a checkpoint sees exactly the
batches an uninterrupted run would have seen, with no random state to save.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Optional, Sequence

import torch
import torch.nn.functional as F

from ..core.checks import DEFAULT_MAX_PIXELS
from ..core.images import image_files, load_image
from ..errors import RestyleError

#: Each stream's offset to the seed of a step's generator (far apart, so that no two streams draw alike).
_STREAMS = (0, 2**62, 2**61)

#: The scales a crop is taken at: the photo shrunk so its short side is between these many crops' sides.
CROP_SCALES = (1.0, 2.0)


def step_generator(seed: int, step: int, stream: int = 0) -> torch.Generator:
    """The random draws of one training step of the run seeded ``seed``: stream 0 the crops, stream 1 where the
    loss judges them (``TrainOptions.margin_shift``), stream 2 the noise added to them (``TrainOptions.noise``)."""
    return torch.Generator().manual_seed((seed * 1_000_003 + step + _STREAMS[stream]) % 2**63)


class PhotoSet:
    """The readable photos of a folder (and its subfolders), kept in memory as uint8 at a training scale.

    Each photo is shrunk so its short side is at most ``CROP_SCALES[1]`` times ``crop`` (the largest scale a crop
    is taken at), so a 4:3 photo takes at most 2.4 MB at the default 384 px crops. Unreadable files are skipped
    with a warning (``warn``) and counted in ``skipped``; a folder with no readable photo is an error.

    ``targets``: a folder holding, for each photo, the image a model should make of it (the optimizer's painting of
    it, for distillation) at the same path and name, any image format, stretched to the photo's size; or a list of
    such folders, one a style of a model of several. Each batch then holds each crop's target crop too (``batch``).
    A photo without its target is an error.

    ``margin``: each crop comes with that many pixels of the photo around it (at the crop's scale; reflected where
    the photo ends), so a batch is (crop + 2 * margin) px square, the crop in its middle.
    """

    def __init__(self, folder: str | os.PathLike, crop: int, exclude: tuple[Path, ...] = (),
                 warn: Optional[Callable[[str], None]] = None, max_pixels: int = DEFAULT_MAX_PIXELS,
                 targets: Optional[str | os.PathLike | Sequence[str | os.PathLike]] = None, margin: int = 0):
        self.crop, self.margin = crop, margin
        self.names: list[str] = []
        self.images: list[torch.Tensor] = []
        self.targets: list[torch.Tensor] = []  # each photo's targets, the styles' stacked: (3 * styles, h, w)
        folders = [targets] if isinstance(targets, (str, os.PathLike)) else list(targets or [])
        self.skipped = 0
        excluded = {p.resolve() for p in exclude}
        files = [p for p in image_files(folder, recursive=True) if p.resolve() not in excluded]
        for path in files:
            try:
                img = load_image(path, max_pixels)
            except RestyleError as e:
                self.skipped += 1
                if warn:
                    warn(f"skipping {e}")
                continue
            h, w = img.shape[1:]
            scale = min(1.0, CROP_SCALES[1] * crop / min(h, w))
            size = (max(1, round(h * scale)), max(1, round(w * scale)))
            self.images.append(_as_uint8(img, size))
            self.names.append(str(path.relative_to(folder)))
            if folders:
                self.targets.append(torch.cat([_as_uint8(load_image(_target_of(path, folder, each), max_pixels), size)
                                               for each in folders]))
        if not self.images:
            what = f"none of its {len(files)} image files could be read" if files else "it holds no image files"
            raise RestyleError(f"{folder}: no photos to train on ({what})")

    def __len__(self) -> int:
        return len(self.images)

    def batch(self, size: int, step: int, seed: int, styles: Optional[Sequence[int]] = None) -> torch.Tensor:
        """(size, 3, crop, crop) float in [0, 1]: random photos, scales, crops and flips for ``step``; with targets,
        (size, 6, crop, crop): each crop's photo, then the same crop of its target (in style ``styles[i]`` for crop
        i, where the targets are several styles'; default: the first). With a margin, crop + 2 * margin px square.

        Scale jitter: each crop covers a square of the photo shrunk so its short side is uniformly between
        ``CROP_SCALES`` times ``crop`` (once to twice), so the network sees objects at several sizes.
        """
        g = step_generator(seed, step)
        full = self.crop + 2 * self.margin
        out = torch.empty(size, 6 if self.targets else 3, full, full)
        for i in range(size):
            k = int(torch.randint(len(self.images), (), generator=g))
            img = self.images[k]
            h, w = img.shape[1:]
            low, high = CROP_SCALES
            short = self.crop * (low + (high - low) * float(torch.rand((), generator=g)))
            side = max(1, min(h, w, round(self.crop * min(h, w) / short)))
            y = int(torch.randint(h - side + 1, (), generator=g))
            x = int(torch.randint(w - side + 1, (), generator=g))
            patch = self._window(img, y, x, side)
            if self.targets:  # the same window of the target
                c = 3 * (styles[i] if styles is not None else 0)
                patch = torch.cat([patch, self._window(self.targets[k][c:c + 3], y, x, side)], 1)
            patch = F.interpolate(patch / 255, size=(full, full), mode="bilinear", antialias=side > self.crop,
                                  align_corners=False)
            if float(torch.rand((), generator=g)) < 0.5:
                patch = patch.flip(-1)
            out[i] = patch[0].clamp(0, 1)
        return out

    def _window(self, img: torch.Tensor, y: int, x: int, side: int) -> torch.Tensor:
        """(1, C, s, s) float 0-255: the ``side`` square at (y, x) of ``img`` with the margin around it, at its scale
        (s = side + twice the margin), reflected past the photo's edges."""
        m = round(self.margin * side / self.crop)
        h, w = img.shape[1:]
        y0, y1, x0, x1 = max(0, y - m), min(h, y + side + m), max(0, x - m), min(w, x + side + m)
        part = img[None, :, y0:y1, x0:x1].float()
        beyond = (x0 - x + m, x + side + m - x1, y0 - y + m, y + side + m - y1)  # how far it reaches past the photo
        return F.pad(part, beyond, mode="reflect") if any(beyond) else part


def _as_uint8(img: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """A (3, H, W) float image in [0, 1] resized to ``size`` (antialiased) as uint8."""
    if tuple(img.shape[1:]) != size:
        img = F.interpolate(img[None], size=size, mode="bilinear", antialias=True, align_corners=False)[0]
    return img.clamp(0, 1).mul(255).round().to(torch.uint8)


def _target_of(photo: Path, folder, targets) -> Path:
    """The target image of ``photo`` (of ``folder``): the image in ``targets`` at the same path and name."""
    rel = photo.relative_to(folder)
    found = [p for p in image_files(Path(targets) / rel.parent) if p.stem == rel.stem] \
        if (Path(targets) / rel.parent).is_dir() else []
    if len(found) != 1:
        what = "no image" if not found else f"{len(found)} images"
        raise RestyleError(f"{Path(targets) / rel.parent}: {what} named {rel.stem} (the target of photo {rel})")
    return found[0]
