"""Command-line flags built from the settings dataclasses' fields, and the argument groups commands share."""

from __future__ import annotations

import argparse
import dataclasses
import re
from typing import Any, Optional

from ..core.settings import CONVERTERS, WORDS, default_of
from ..errors import RestyleError

#: Flags whose name differs from their field's.
ALIASES = {"batch_size": "--batch"}


def flag(name: str) -> str:
    """The command-line flag of a settings field."""
    return ALIASES.get(name, "--" + name.replace("_", "-"))


def add_fields(group, settings: type, names: list[str]) -> None:
    """Add a flag for each named field of the ``settings`` dataclass: its help, default, type and choices."""
    by_name = {f.name: f for f in dataclasses.fields(settings)}
    for name in names:
        f = by_name[name]
        meta = f.metadata
        default = default_of(f)
        kw: dict[str, Any] = {"dest": name, "help": meta["help"], "metavar": meta["metavar"]}
        if name in WORDS:
            words = WORDS[name]
            kw.update(choices=list(words), default=next(w for w, v in words.items() if v == default), metavar=None)
        elif name in CONVERTERS:
            parse, show = CONVERTERS[name]
            kw.update(type=str, default=show(default) if show and default is not None else default)
        elif meta["choices"]:
            kw.update(choices=list(meta["choices"]), default=default, metavar=None)
        else:
            kw.update(type=meta["type"] or type(default), default=default)
        group.add_argument(flag(name), **kw)


def settings_from(args: argparse.Namespace, settings: type, **extra: Any):
    """A ``settings`` dataclass from the parsed flags of its fields (words and texts converted)."""
    values = {}
    for f in dataclasses.fields(settings):
        if not hasattr(args, f.name):
            continue
        value = getattr(args, f.name)
        if f.name in WORDS:
            value = WORDS[f.name][value]
        elif f.name in CONVERTERS and isinstance(value, str):
            value = CONVERTERS[f.name][0](value)
        values[f.name] = value
    return settings(**values, **extra)


def machine(group, settings: type, memory: bool = True) -> None:
    """Device and precision, and where the command has them, the memory budget and tiles."""
    add_fields(group, settings, ["device", "precision"] + (["max_memory", "tile_size"] if memory else []))


def quiet(parser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar or messages")


def loss(group, settings: type) -> None:
    """The loss: the three terms' weights and the layers of content and style."""
    add_fields(group, settings, ["content_weight", "style_weight", "tv_weight", "content_layers", "style_layers"])


def flags_for_options(message: str, names) -> str:
    """A library message with each option it names written as the command-line flag (max_memory: --max-memory).

    Names with an underscore are options wherever they stand; one-word names (size, seed, precision) only where
    a message names a setting: at its start or after "raise", "lower" or "try"."""
    for name in sorted(names, key=len, reverse=True):
        before = r"(?<![\w./-])" if "_" in name else r"(?:^|(?<=\braise )|(?<=\blower )|(?<=\btry ))"
        message = re.sub(rf"{before}{re.escape(name)}(?![\w./-])", flag(name), message)
    return message


def regions(group, what: str) -> None:
    """A mask and its regions (``what`` paints a region: a painting, a preset or model), and their edges."""
    group.add_argument("--mask", metavar="MASK", help="an image whose colours are regions (any size: stretched to "
                       "the photo, nearest-neighbour); each pixel belongs to the nearest colour a --region names")
    group.add_argument("--region", action="append", metavar="COLOR=STYLE", help=f"paint the mask's COLOR (hex like "
                       f"ff0000, or a grey level 0..255) with STYLE: {what}, or none to keep the photo there; "
                       "repeat for each region (a colour named twice blends its styles)")
    from ..optimize.options import Options  # (torch-free: its fields' defaults and help)

    add_fields(group, Options, ["feather"])


def regions_from(args: argparse.Namespace) -> Optional[dict[str, Any]]:
    """{colour: style, or a list of styles} from the --region flags (None without them); a mask needs them."""
    if not args.region:
        if args.mask:
            raise RestyleError("--mask needs regions: --region COLOR=STYLE for each of its colours")
        return None
    if not args.mask:
        raise RestyleError("--region needs --mask MASK (an image whose colours are the regions)")
    out: dict[str, Any] = {}
    for text in args.region:
        color, sep, style = text.partition("=")
        if not sep or not color.strip() or not style.strip():
            raise RestyleError(f"bad --region {text!r}; use COLOR=STYLE, e.g. ff0000=painting.jpg or 0000ff=none")
        key = color.strip().lower().lstrip("#")
        out.setdefault(key, []).append(style.strip())
    return {k: v[0] if len(v) == 1 else v for k, v in out.items()}
