"""VGG19's layer names and geometry, the default loss layers, and the weights of layers and styles (torch-free)."""

from __future__ import annotations

from typing import Mapping, Optional, Sequence, Union

from ..errors import RestyleError
from .checks import non_negative

# (block, number of convs in the block, output channels)
BLOCKS = [(1, 2, 64), (2, 2, 128), (3, 4, 256), (4, 4, 512), (5, 4, 512)]

#: Every tap point of VGG19, in network order.
LAYERS: list[str] = [name for block, convs, _ in BLOCKS
                     for name in [n for i in range(1, convs + 1) for n in (f"conv{block}_{i}", f"relu{block}_{i}")]
                     + [f"pool{block}"]]
CONV_LAYERS: list[str] = [n for n in LAYERS if n.startswith("conv")]

DEFAULT_CONTENT_LAYERS = {"relu4_2": 1.0}
DEFAULT_STYLE_LAYERS = {"relu1_1": 1.0, "relu2_1": 1.0, "relu3_1": 1.0, "relu4_1": 1.0, "relu5_1": 1.0}

LayerSpec = Union[Sequence[str], Mapping[str, float]]


def stride(name: str) -> int:
    """Pixels of input per position of ``name``'s output: 2 to the number of pools up to and including it."""
    return 2 ** sum(1 for n in LAYERS[: LAYERS.index(name) + 1] if n.startswith("pool"))


def receptive_field(name: str) -> int:
    """Side in input pixels of the window that one position of ``name``'s output depends on.

    3x3 convolutions widen it by 2 strides, 2x2 pools by 1; e.g. relu5_1: 156 px.
    """
    field, step = 1, 1
    for n in LAYERS[: LAYERS.index(name) + 1]:
        if n.startswith("conv"):
            field += 2 * step
        elif n.startswith("pool"):
            field += step
            step *= 2
    return field


def channels(name: str) -> int:
    """Channels of the activation at ``name``."""
    block = int(name[4] if name.startswith("pool") else name[4:].split("_")[0])
    return BLOCKS[block - 1][2]


def check_layers(names) -> None:
    """Raise a one-line RestyleError for any name that is not a VGG19 layer."""
    for name in names:
        if name not in LAYERS:
            raise RestyleError(f"unknown layer {name!r}; layers are named like relu1_1, conv4_2, pool3 "
                               f"(relu1_1..relu5_4)")


def layer_weights(term: str, spec: LayerSpec) -> dict[str, float]:
    """Layers of one loss term as {name: weight}, weights normalized to sum to 1."""
    if isinstance(spec, str):
        spec = parse_layers(spec)
    weights = dict(spec) if isinstance(spec, Mapping) else {name: 1.0 for name in spec}
    if not weights:
        raise RestyleError(f"give at least one {term} layer")
    check_layers(weights)
    for name, w in weights.items():
        non_negative(f"{term} layer weight for {name}", w)
    total = sum(weights.values())
    if total <= 0:
        raise RestyleError(f"{term} layer weights must not all be zero")
    return {name: w / total for name, w in weights.items()}


def parse_layers(text: str) -> dict[str, float]:
    """"relu1_1,relu2_1:0.5" → {"relu1_1": 1.0, "relu2_1": 0.5}."""
    out = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        name, _, weight = item.partition(":")
        try:
            out[name.strip()] = float(weight) if weight else 1.0
        except ValueError:
            raise RestyleError(f"bad layer weight in {item!r}; write layer:weight, e.g. relu2_1:0.5") from None
    return out


def layers_text(layers: LayerSpec) -> str:
    """{"relu1_1": 1.0, "relu2_1": 0.5} → "relu1_1,relu2_1:0.5" (the inverse of ``parse_layers``)."""
    weights = dict(layers) if isinstance(layers, Mapping) else {name: 1.0 for name in layers}
    return ",".join(f"{k}:{v:g}" if v != 1 else k for k, v in weights.items())


def blend_weights(blend: Optional[Sequence[float]], n_styles: int) -> list[float]:
    """Weights of ``n_styles`` style images, normalized to sum to 1 (equal when ``blend`` is None)."""
    if n_styles < 1:
        raise RestyleError("give at least one style image")
    if blend is None:
        return [1.0 / n_styles] * n_styles
    if len(blend) != n_styles:
        raise RestyleError(f"style blend has {len(blend)} weights for {n_styles} style images")
    for w in blend:
        non_negative("style blend weight", w)
    if sum(blend) <= 0:
        raise RestyleError("style blend weights must not all be zero")
    return [w / sum(blend) for w in blend]
