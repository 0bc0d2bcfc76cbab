"""Models of several styles: reading a style choice ("a", "a:0.6,b:0.4") and baking it into a one-style network."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Optional, Sequence, Union

from ..errors import RestyleError

if TYPE_CHECKING:
    from .network import StyleNetwork

#: A style choice: a style's name, a mix as typed ("a:0.6,b:0.4"; "a,b": equal parts) or {name: weight}.
StyleChoice = Union[str, Mapping[str, float]]


def mix_names(choice: str) -> list[str]:
    """The style names a typed choice names, in order, weights dropped: "a:0.6,b:0.4" -> ["a", "b"]."""
    return [part.split(":")[0].strip() for part in choice.split(",")]


def parse_mix(choice: StyleChoice, names: Sequence[str], where: str = "the model") -> dict[str, float]:
    """{name: weight} of ``choice`` among the styles ``names``, the weights (>= 0) scaled to add up to 1.

    A one-line RestyleError names what is wrong: a style ``where`` lacks, a weight that is no number or negative,
    a style named twice, or weights that add up to 0.
    """
    pairs = list(choice.items()) if isinstance(choice, Mapping) else [_pair(p) for p in str(choice).split(",")]
    mix: dict[str, float] = {}
    for name, weight in pairs:
        if name not in names:
            raise RestyleError(f"no style named {name!r} in {where} (styles: {', '.join(names)})")
        if name in mix:
            raise RestyleError(f"style {name!r} is named twice in the style mix")
        if not (isinstance(weight, (int, float)) and 0 <= weight < float("inf")):
            raise RestyleError(f"a style's weight must be a number >= 0, got {weight!r} for {name!r}")
        mix[name] = float(weight)
    total = sum(mix.values())
    if not total > 0:
        raise RestyleError("the weights of a style mix add up to 0; give at least one above 0")
    return {name: weight / total for name, weight in mix.items()}


def _pair(part: str) -> tuple[str, Union[float, str]]:
    """("a", 0.6) from "a:0.6"; ("a", 1.0) from "a"; the weight as typed where it is no number."""
    name, _, weight = part.partition(":")
    if not weight:
        return name.strip(), 1.0
    try:
        return name.strip(), float(weight)
    except ValueError:
        return name.strip(), weight.strip()


def mix_label(mix: Mapping[str, float]) -> str:
    """The mix as typed back: "a" for one style, else "a:0.6,b:0.4"."""
    if len(mix) == 1:
        return next(iter(mix))
    return ",".join(f"{name}:{weight:.3g}" for name, weight in mix.items())


def style_names(meta: dict) -> list[str]:
    """The names of a model's styles, as its metadata lists them (a one-style model: its one name, if any)."""
    if "styles" in meta:
        return [s["name"] for s in meta["styles"]]
    return [meta["style_name"]] if isinstance(meta.get("style_name"), str) else []


def choose_style(path: Path, net: StyleNetwork, meta: dict, mix: Optional[StyleChoice]
                 ) -> tuple[StyleNetwork, dict]:
    """(network, metadata) painting the style, or the ``mix`` of styles, chosen of a model's: a model of several
    styles baked to one style or mix (its metadata's ``style_name`` the mix as typed, ``style_mix`` the weights); a
    one-style model as it is.
    """
    names = style_names(meta)
    if net.styles == 1:
        if mix is not None:
            named = list(mix) if isinstance(mix, Mapping) else mix_names(mix)
            if not names or named != names[:1]:
                raise RestyleError(f"{path}: a model of one style ({', '.join(names) or 'unnamed'}); mix chooses "
                                   "among the styles of a model of several")
            parse_mix(mix, names, str(path))  # (its weights checked)
        return net, meta
    if mix is None:
        raise RestyleError(f"{path}: a model of {net.styles} styles ({', '.join(names)}); choose one or a mix: "
                           f"try mix={names[0]}:0.5,{names[1]}:0.5")
    import torch
    weights = parse_mix(mix, names, str(path))
    baked = net.mixed(torch.tensor([weights.get(name, 0.0) for name in names]))
    return baked, {**meta, "network": baked.shape, "style_name": mix_label(weights), "style_mix": weights}
