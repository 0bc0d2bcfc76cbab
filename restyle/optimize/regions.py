"""The optimizer's regions: which styles each region of the photo is painted after (the guide of Gatys et al.'s
guided Gram matrices at each scale), and where the photo is kept (a region whose style is ``none``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence, Union

import torch

from ..core.images import ImageLike
from ..core.losses import Guide
from ..core.regions import Regions, named_regions, read_regions
from ..errors import RestyleError

#: What a region is painted after: a style image, several (an even blend), or None / "none" to keep the photo.
RegionStyle = Union[ImageLike, Sequence[ImageLike], None]


def _key(style: ImageLike):
    """Styles named by the same path are loaded once; images given in memory are each their own."""
    return ("path", os.fspath(style)) if isinstance(style, (str, os.PathLike)) else ("object", id(style))


@dataclass
class RegionPlan:
    """The regions of one run at its output size, and how each is painted."""

    regions: Regions
    styled: list[int]
    """Indexes (in ``regions.colors``) of the regions with styles, in the guide's order."""
    blends: torch.Tensor
    """(len(styled), S): each styled region's share of each style image."""
    kept: list[int]
    """Indexes of the regions that keep the photo."""
    feather: float
    """Pixels of the output over which region edges are blurred."""
    _weights: dict = field(default_factory=dict, repr=False)

    def weights(self, size: tuple[int, int]) -> torch.Tensor:
        """Every region's weights at ``size`` (feathered in proportion), made once per size (a scale's guide, its
        kept photo and the memory probe share them)."""
        if size not in self._weights:
            output = self.regions.labels.shape
            self._weights[size] = self.regions.weights(size, self.feather * max(size) / max(output))
        return self._weights[size]

    def guide(self, size: tuple[int, int], device: torch.device) -> Guide:
        """The styled regions' guide at ``size``."""
        return Guide(self.weights(size)[self.styled].to(device), self.blends.to(device))

    def kept_weight(self, size: tuple[int, int], device: torch.device) -> Optional[torch.Tensor]:
        """(1, 1, h, w) on ``device``: how much of each pixel keeps the photo; None where no region does."""
        if not self.kept:
            return None
        return self.weights(size)[self.kept].sum(0, keepdim=True).to(device)


def plan_regions(regions: Mapping, mask: Optional[ImageLike], size: tuple[int, int], *, feather: float,
                 max_pixels: int) -> tuple[RegionPlan, list[ImageLike], list[str]]:
    """(the plan, the style images it uses, notes for the user) for ``regions`` ({colour: style}) drawn by
    ``mask`` at the output's ``size`` (h, w)."""
    if mask is None:
        raise RestyleError("regions need a mask (an image whose colours are the regions)")
    named = named_regions(regions, "style")
    styles, keys, rows, kept = [], {}, [], []
    for i, (_, style) in enumerate(named):
        if style is None:
            kept.append(i)
            continue
        row = {}
        chosen = list(style) if isinstance(style, (list, tuple)) else [style]
        for s in chosen:
            index = keys.setdefault(_key(s), len(styles))
            if index == len(styles):
                styles.append(s)
            row[index] = row.get(index, 0.0) + 1 / len(chosen)
        rows.append(row)
    blends = torch.zeros(len(rows), len(styles))
    for r, row in enumerate(rows):
        for s, w in row.items():
            blends[r, s] = w
    colors = [rgb for rgb, _ in named]
    drawn, notes = read_regions(mask, colors, size, max_pixels=max_pixels)
    styled = [i for i in range(len(colors)) if i not in kept]
    return RegionPlan(drawn, styled=styled, blends=blends, kept=kept, feather=feather), styles, notes
