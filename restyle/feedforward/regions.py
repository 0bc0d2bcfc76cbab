"""Regions for models: each distinct model paints the whole photo once, and the paintings (and the photo itself,
where a region keeps it) are mixed by the regions' feathered weights."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Union

import numpy as np
import torch
from PIL import Image

from ..core.checks import DEFAULT_MAX_PIXELS, fraction, non_negative
from ..core.images import ImageLike, to_pil, to_uint8
from ..core.regions import color_name, composite, named_regions, read_regions
from ..errors import RestyleError
from .modelfile import is_preset, model_file, presets
from .runtime import StyleModel, load_model, read_photo

#: What paints a region: a loaded model, a preset's name, a model file, or None / "none" to keep the photo. A name
#: or file may end in "@" and a style mix ("mine.safetensors@a:0.6,b:0.4"): those styles of a model of several.
RegionModel = Union[StyleModel, str, os.PathLike, None]


class RegionModels:
    """Models painting the regions of ``mask`` ({colour: model}, see ``RegionModel``): ``painter(image)`` returns the
    painted PIL image, ``painter.frame(frame)`` a video frame, like a ``StyleModel``. Model files and presets are
    loaded once (once per style mix) with ``load``'s keywords (``load_model``'s: device, precision, max_memory,
    tile_size, coarse, noise). ``feather`` blurs region edges over that many pixels of the painted image; ``log`` gets
    notes on the mask (another aspect ratio, an empty region)."""

    def __init__(self, regions: Mapping[Any, RegionModel], mask: ImageLike, *, feather: float = 0.0,
                 log: Optional[Callable[[str], None]] = None, **load):
        non_negative("feather", feather)
        self.mask, self.feather, self.log = mask, float(feather), log
        named = named_regions(regions, "model")
        self.colors: list[tuple[int, int, int]] = [rgb for rgb, _ in named]
        self.models: list[StyleModel] = []
        self.layer: list[Optional[int]] = []  # each region's index in models (None: the photo)
        loaded: dict[Any, int] = {}
        for rgb, model in named:
            if isinstance(model, (list, tuple)):
                raise RestyleError(f"region {color_name(rgb)}: a region takes one model (name each colour once)")
            self.layer.append(None if model is None else self._index(model, loaded, load))
        self._weights: dict[tuple[int, int], torch.Tensor] = {}
        self._lock = threading.Lock()

    def _index(self, model: RegionModel, loaded: dict, load: dict) -> int:
        """``model``'s index in ``models``, loading it the first time it is named."""
        key = ("model", id(model), None) if isinstance(model, StyleModel) else _source(os.fspath(model))
        if key not in loaded:
            loaded[key] = len(self.models)
            kind, name, mix = key
            if kind == "model":
                self.models.append(model)
            elif kind == "preset":
                self.models.append(load_model(preset=name, mix=mix, **load))
            else:
                self.models.append(load_model(name, mix=mix, **load))
        return loaded[key]

    def weights(self, size: tuple[int, int]) -> torch.Tensor:
        """The regions' (R, 1, h, w) weights for a painting of ``size`` (made once per size)."""
        with self._lock:
            if size not in self._weights:
                regions, notes = read_regions(self.mask, self.colors, size)
                for note in notes:
                    if self.log is not None:
                        self.log(note)
                self._weights[size] = regions.weights(size, self.feather)
            return self._weights[size]

    def paint(self, photo: torch.Tensor, strength: float = 1.0, preserve_color: bool = False) -> torch.Tensor:
        """The painted (3, H, W) float tensor of a (3, H, W) photo: each model once, mixed by the regions."""
        fraction("strength", strength)
        photo = photo.to(self.models[0].device)
        return self.mix(photo, [m.paint(photo.to(m.device), strength, preserve_color) for m in self.models])

    def mix(self, photo: torch.Tensor, paintings: list[torch.Tensor]) -> torch.Tensor:
        """The (3, H, W) photo's regions each taken from its model's painting (``paintings``, in ``models``'
        order), or from the photo where a region keeps it."""
        device = photo.device
        layers = [photo if i is None else paintings[i].to(device) for i in self.layer]
        return composite(layers, self.weights(tuple(photo.shape[1:])).to(device))

    def __call__(self, image: ImageLike, strength: float = 1.0, preserve_color: bool = False,
                 max_pixels: int = DEFAULT_MAX_PIXELS, size: Optional[int] = None) -> Image.Image:
        """Paint ``image`` (as ``StyleModel.__call__`` does), each region with its own model."""
        fraction("strength", strength)
        return to_pil(self.paint(read_photo(image, max_pixels, size), strength, preserve_color))

    def frame(self, frame: np.ndarray) -> np.ndarray:
        """A video frame, (H, W, 3) uint8, painted by the regions' models, as (H, W, 3) uint8."""
        return to_uint8(self.paint(_tensor(frame)))

    def mix_frames(self, frame: np.ndarray, paintings: list[np.ndarray]) -> np.ndarray:
        """``mix`` for (H, W, 3) uint8 frames: ``frame``'s regions taken from ``paintings`` or from the frame."""
        return to_uint8(self.mix(_tensor(frame), [_tensor(p) for p in paintings]))


def _tensor(frame: np.ndarray) -> torch.Tensor:
    """An (H, W, 3) uint8 frame as a (3, H, W) float tensor in [0, 1]."""
    return torch.from_numpy(np.require(frame, requirements=["C", "W"])).permute(2, 0, 1).float() / 255


def _source(name: str) -> tuple[str, str, Optional[str]]:
    """("preset", its name, mix) or ("file", its real path, mix), for a region's model named by ``name`` (mix: None,
    or the style mix after its last "@", where ``name`` is no file itself)."""
    name, mix = _mixed(name)
    if is_preset(name) and not os.path.exists(name):
        return "preset", name, mix
    if not os.path.exists(name):
        raise RestyleError(f"{name}: no such model file (nor a preset: {', '.join(presets()) or 'none installed'})")
    return "file", os.path.realpath(model_file(Path(name))), mix


def _mixed(name: str) -> tuple[str, Optional[str]]:
    """``name`` split into a model and the style mix after its last "@" ("mine.safetensors@a:0.6,b:0.4"), unless
    ``name`` is a file or preset itself (then no mix)."""
    model, at, mix = name.rpartition("@")
    if not at or not model.strip() or os.path.exists(name) or is_preset(name):
        return name, None
    if not mix.strip():
        raise RestyleError(f"{name}: no style mix after '@'; e.g. {model}@a:0.6,b:0.4")
    return model, mix.strip()
