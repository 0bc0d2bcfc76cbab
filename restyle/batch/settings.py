"""A batch's settings: which a job may take (the optimizer's ``Options`` and a model's own), read from text
and checked before any work."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

from ..core.checks import MAX_NOISE, fraction, noise_sigma
from ..core.layers import layers_text
from ..core.settings import default_of, from_text, setting
from ..errors import RestyleError
from ..feedforward.modelfile import is_preset, preset_path, presets
from ..optimize.options import Options
from .jobs import MACHINE_SETTINGS, Style

#: Model file extensions (anything else is a painting).
MODEL_EXTENSIONS = (".safetensors", ".onnx")


@dataclass(frozen=True)
class ModelSettings:
    """What a model's painting takes beyond the optimizer's options."""

    strength: float = setting(1.0, "0 to 1: blend a model's painting with the photo (1: all style; models only)",
                              metavar="S")
    mix: Optional[str] = setting(None, "with a model of several styles: the style to paint, or a mix of them "
                                       "(a:0.6,b:0.4)", type=str, metavar="NAME[:W,...]")
    coarse: Optional[float] = setting(None, "0 to 1: paint in two passes, first the photo at half size, and mix "
                                            "that much of it into the photo the second pass paints: the painting's "
                                            "larger structures at working sizes near 512 px (at 1024 px most "
                                            "presets come no closer), less of the photo, 1.25x the work (0: one pass; "
                                            "default: as the model was trained, one pass for the presets; models "
                                            "only)", type=float, metavar="C")
    noise: Optional[float] = setting(None, f"0 to {MAX_NOISE:g}: add Gaussian noise of this standard deviation "
                                           "(pixel values 0 to 1) to each photo before painting, one fixed pattern "
                                           "(in a video, moving with the scene), so flat areas (a plain sky, a black "
                                           "background) get the painting's texture instead of one flat colour (0: "
                                           "none; default: as the model says; models only)", type=float,
                                     metavar="SIGMA")


FIELDS = {f.name: f for cls in (Options, ModelSettings) for f in dataclasses.fields(cls)}


def parse(name: str, text: str) -> Any:
    """The value of setting ``name`` written as ``text``."""
    if name not in FIELDS:
        raise RestyleError(f"unknown setting {name!r}")
    return from_text(FIELDS[name], text)


def frozen(settings: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Settings as a sorted, hashable tuple (layers as their text, lists as tuples), those at their defaults left
    out (but ``size``, whose default differs between paintings and models)."""
    out = []
    for name, value in sorted(settings.items()):
        if name not in FIELDS:
            raise RestyleError(f"unknown setting {name!r}")
        if value is None or (name != "size" and value == default_of(FIELDS[name])):
            continue
        if name in ("content_layers", "style_layers") and not isinstance(value, str):
            value = layers_text(value)
        out.append((name, tuple(value) if isinstance(value, list) else value))
    return tuple(out)


def check(style: Style, settings: tuple[tuple[str, Any], ...]) -> None:
    """A RestyleError for the first setting a job of ``style`` cannot take."""
    values = dict(settings)
    strength = values.get("strength", 1.0)
    for name in ("strength", "coarse"):
        if name in values:
            fraction(name, values[name])
    if "noise" in values:
        noise_sigma("noise", values["noise"])
    if style.kind == "painting":
        if "strength" in values and strength != 1:
            raise RestyleError("strength is for presets and models (the optimizer paints with style_weight)")
        if values.get("coarse"):
            raise RestyleError("coarse is for presets and models (the optimizer has its own coarse-to-fine schedule)")
        if values.get("noise"):
            raise RestyleError("noise is for presets and models (the optimizer paints flat areas itself)")
        if values.get("mix") is not None:
            raise RestyleError("mix is for models of several styles (a painting is one style)")
        Options().replace(**{k: v for k, v in values.items() if k != "strength"}).validate(1)
        return
    if values.get("preserve_color") == "histogram":
        raise RestyleError("preserve_color histogram is for paintings; a model keeps colours by luminance")
    options = Options().replace(**{k: v for k, v in values.items() if k in ("size", "precision", "max_pixels")})
    options.validate(1)


def machine_of(settings: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the machine's settings, every job's settings) from one mapping."""
    machine = {k: v for k, v in settings.items() if k in MACHINE_SETTINGS}
    return machine, {k: v for k, v in settings.items() if k not in MACHINE_SETTINGS}


def style_from(text: str, base: Optional[Path] = None) -> Style:
    """The style ``text`` names: a model file (.safetensors, .onnx), a painting, or a shipped preset's name; a
    relative path is taken from ``base`` (a manifest's folder)."""
    text = text.strip()
    path = Path(text) if base is None or Path(text).is_absolute() else base / text
    if path.is_file():
        return Style("model" if path.suffix.lower() in MODEL_EXTENSIONS else "painting", str(path))
    if is_preset(text):
        return Style("preset", text)
    if path.exists():
        raise RestyleError(f"{path}: is a folder, not a painting or a model")
    raise RestyleError(f"{path}: no such painting or model file (nor a preset: {', '.join(presets())})")


def checked(style: Style) -> Style:
    """``style`` if what it names is there: a preset's name, a painting's or a model's file."""
    if style.kind == "preset":
        preset_path(style.source)  # (a one-line error where there is none of that name)
        return style
    path = Path(style.source)
    if not path.is_file():
        raise RestyleError(f"{path}: {'is a folder' if path.is_dir() else 'no such file'}; give a {style.kind} file")
    if style.kind == "model" and path.suffix.lower() not in MODEL_EXTENSIONS:
        raise RestyleError(f"{path}: not a model file (.safetensors or .onnx)")
    return style
