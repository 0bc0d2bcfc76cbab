"""Settings fields that carry their help text, so the command line builds its flags from the dataclasses themselves,
and the text forms of their values (a flag's or a manifest's cell)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Optional

from ..errors import RestyleError
from .layers import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, LayerSpec, layers_text, parse_layers


def setting(default: Any = dataclasses.MISSING, help: str = "", *, factory: Optional[Callable[[], Any]] = None,
            type: Optional[Callable[[str], Any]] = None, metavar: Optional[str] = None,
            choices: Optional[tuple] = None) -> Any:
    """A dataclass field with its help text; ``type`` (a parser of the flag's text; default: the default's type),
    ``metavar`` and ``choices`` say how its command-line flag reads."""
    meta = {"help": help, "type": type, "metavar": metavar, "choices": choices}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True)
class LossSettings:
    """The perceptual loss's settings, shared by the optimizer's ``Options`` and training's ``TrainOptions``."""

    content_weight: float = setting(1.0, "weight of the content term (each weight at most 1e6)", metavar="W")
    style_weight: float = setting(10.0, "weight of the style term (higher: more painted)", metavar="W")
    tv_weight: float = setting(10.0, "weight of total variation (higher: smoother)", metavar="W")
    content_layers: LayerSpec = setting(factory=lambda: dict(DEFAULT_CONTENT_LAYERS), help="VGG19 layers for "
                                        "content, comma-separated, each optionally name:weight", metavar="LAYERS")
    style_layers: LayerSpec = setting(factory=lambda: dict(DEFAULT_STYLE_LAYERS), help="VGG19 layers for style, "
                                      "comma-separated, each optionally name:weight", metavar="LAYERS")


@dataclass(frozen=True)
class HostSettings:
    """Settings that change the process, not only the run: off by default, for a library is a guest in its host's
    process (the command line, which owns its process, turns them on)."""

    keep_freed_memory: bool = setting(False, "keep freed CPU memory in the process for reuse while the run lasts "
                                             "(glibc's allocator tuned process-wide; faster on a CPU, see "
                                             "docs/performance.md)")


#: Fields written as words: {word: value}.
WORDS = {"multiscale": {"auto": None, "on": True, "off": False},
         "preserve_color": {"none": None, "luminance": "luminance", "histogram": "histogram"}}


def parse_blend(text: Optional[str]) -> Optional[list[float]]:
    """"0.7,0.3" as numbers; their count and signs are checked where they are used."""
    if not text:
        return None
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise RestyleError(f"bad style_blend {text!r}; give numbers like 0.7,0.3") from None


def parse_scales(text: str) -> tuple[float, ...]:
    """"1,0.5" as a tuple of numbers; their range is checked where they are used."""
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise RestyleError(f"bad style_scales {text!r}; give numbers like 1,0.5") from None


#: Fields whose text needs parsing: (parser, how the default is written).
CONVERTERS = {"content_layers": (parse_layers, layers_text), "style_layers": (parse_layers, layers_text),
              "style_blend": (parse_blend, None),
              "style_scales": (parse_scales, lambda scales: ",".join(f"{s:g}" for s in scales))}

def default_of(field: dataclasses.Field) -> Any:
    """A settings field's default value (made anew where it has a factory)."""
    return field.default if field.default is not dataclasses.MISSING else field.default_factory()


_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


def from_text(field: dataclasses.Field, text: str) -> Any:
    """The value of a settings field written as ``text`` (a word, layers, numbers, a path), or a RestyleError
    naming the field."""
    name, meta, text = field.name, field.metadata, text.strip()
    if name in WORDS:
        if text.lower() not in WORDS[name]:
            raise RestyleError(f"bad {name} {text!r}; use one of {', '.join(WORDS[name])}")
        return WORDS[name][text.lower()]
    if name in CONVERTERS:
        return CONVERTERS[name][0](text)
    kind = meta["type"] or type(default_of(field))
    if kind is bool:
        if text.lower() not in _TRUE | _FALSE:
            raise RestyleError(f"bad {name} {text!r}; use true or false")
        return text.lower() in _TRUE
    if meta["choices"] and text not in meta["choices"]:
        raise RestyleError(f"bad {name} {text!r}; use one of {', '.join(c for c in meta['choices'] if c)}")
    try:
        return kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number" if kind is float else "a value"
        raise RestyleError(f"bad {name} {text!r}; give {what}") from None
