"""Model files: the safetensors format with its JSON metadata, reading and writing them, and the shipped presets."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

from ..core.checks import MAX_SIZE, at_most, even_pixels, fraction, noise_sigma
from ..errors import RestyleError

if TYPE_CHECKING:  # torch is imported where it is used, so that listing the presets (--help) does not load it
    import torch

    from .network import StyleNetwork

#: What the metadata's "format" says for the network in ``network.py``.
FORMAT = "restyle-transformer-1"
#: Folder of the models shipped with restyle (the ``preset`` option).
PRESETS = Path(__file__).parent / "presets"

PathLike = Union[str, os.PathLike]


def file_sha256(path: PathLike) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_model(net: StyleNetwork, path: PathLike, metadata: dict, dtype: Optional[torch.dtype] = None) -> Path:
    """Write the network's weights (as ``dtype``, default float16) and ``metadata`` (JSON) to a safetensors file,
    atomically. The file's format and the network's shape are the file's own: a ``metadata`` read from another
    model file (whose network may differ) does not replace them."""
    import torch
    from safetensors.torch import save

    from ..core.images import write_atomic
    dtype = dtype or torch.float16
    state = {k: v.detach().to("cpu", dtype).contiguous() for k, v in net.state_dict().items()}
    meta = {**metadata, "format": FORMAT, "network": net.shape}
    out = Path(path)
    data = save(state, metadata={"restyle": json.dumps(meta, sort_keys=True)})
    return write_atomic(out, lambda f: f.write(data))


def presets() -> dict[str, Path]:
    """The models shipped with restyle, by the name of the style each paints: a file's name, or each of the styles
    of a file of several styles (whose own name is none)."""
    found: dict[str, Path] = {}
    for p in sorted(PRESETS.glob("*.safetensors")):
        for name in styles_in(p) or [p.stem]:
            found.setdefault(name, p)
    return found


def header_metadata(path: Path) -> dict:
    """A .safetensors model file's restyle metadata, read from its header alone (no torch); {} where unreadable."""
    try:
        with open(path, "rb") as f:
            size = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(min(size, 1 << 24)))
        meta = json.loads(header.get("__metadata__", {}).get("restyle", "{}"))
    except (OSError, ValueError, TypeError, AttributeError):
        return {}
    return meta if isinstance(meta, dict) else {}


def styles_in(path: Path) -> list[str]:
    """The style names a model file of several styles lists, read from its header alone (no torch)."""
    try:
        return [s["name"] for s in header_metadata(path).get("styles", [])]
    except (TypeError, KeyError, AttributeError):
        return []


def is_preset(name: str) -> bool:
    """Whether ``name`` is a shipped preset, or a mix of the styles of one ("a:0.6,b:0.4")."""
    try:
        preset_path(name)
    except RestyleError:
        return False
    return True


def preset_path(name: str) -> Path:
    """The file of the shipped preset ``name``, or of the preset of several styles that a mix of styles names."""
    from .styles import mix_names
    found = presets()
    if name in found:
        return found[name]
    files = {found.get(n) for n in mix_names(name)}
    if len(files) == 1 and None not in files and styles_in(next(iter(files))):
        return files.pop()
    have = ", ".join(found) if found else "none are installed"
    if None in files or len(files) == 1:
        raise RestyleError(f"no preset named {name!r} (presets: {have})")
    raise RestyleError(f"{name!r}: a mix takes the styles of one preset of several styles; these are separate "
                       f"models (presets: {have})")


def model_file(p: Path) -> Path:
    """``p``, refused with a one-line error unless it is an existing file."""
    if not p.exists():
        raise RestyleError(f"{p}: no such model file")
    if p.is_dir():
        raise RestyleError(f"{p}: is a directory, not a model file")
    return p


def model_or_preset(source: PathLike) -> Path:
    """The .safetensors file ``source`` names: a path, or else the name of a shipped preset."""
    p = Path(source)
    if not p.exists():
        found = presets()
        if p.suffix == "" and str(source) in found:
            return found[str(source)]
        raise RestyleError(f"{p}: no such model file (nor a preset: {', '.join(found) or 'none installed'})")
    model_file(p)
    if p.suffix.lower() != ".safetensors":
        why = " (an ONNX export cannot be trained on)" if p.suffix.lower() == ".onnx" else ""
        raise RestyleError(f"{p}: not a .safetensors model{why}")
    return p


def read_model(path: Path) -> tuple[StyleNetwork, dict]:
    """A .safetensors model's network (float32, eval mode, on the CPU) and metadata."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = json.loads((f.metadata() or {}).get("restyle", "{}"))
            state = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, ValueError, UnicodeDecodeError):  # JSONDecodeError is a ValueError
        raise RestyleError(f"{path}: not a restyle model (not a readable safetensors file)") from None
    found = meta.get("format") if isinstance(meta, dict) else None
    if found != FORMAT:
        raise RestyleError(f"{path}: not a restyle model (format {found!r}, expected {FORMAT!r})")
    net = _network_of(path, checked_metadata(path, meta))
    try:
        net.load_state_dict({k: v.float() for k, v in state.items()})
    except RuntimeError:
        raise RestyleError(f"{path}: its weights do not fit restyle's network (damaged or another model)") from None
    return net.eval().requires_grad_(False), meta


def checked_metadata(path: Path, meta: object) -> dict:
    """A model file's metadata, refused with one line naming the file where it records a network shape or settings
    (margin, coarse, noise) that restyle cannot paint with (a damaged or hand-edited file)."""
    if not isinstance(meta, dict):
        raise RestyleError(f"{path}: not a restyle model (its metadata is not a table)")
    network_shape(path, meta)
    settings = meta.get("settings", {})
    try:
        if not isinstance(settings, dict):
            raise RestyleError(f"settings must be a table, got {settings!r}")
        margin = settings.get("margin", 0)
        even_pixels("margin", margin)
        at_most("margin", margin, MAX_SIZE)
        fraction("coarse", settings.get("coarse", 0))
        noise_sigma("noise", settings.get("noise", 0))
    except RestyleError as e:
        raise RestyleError(f"{path}: not a model restyle can paint with (its recorded {e})") from None
    return meta


def model_margin(meta: dict) -> int:
    """The margin a model's metadata says it was trained with, which applying it paints around each image (0: none)."""
    return int(meta.get("settings", {}).get("margin", 0))


def model_coarse(meta: dict) -> float:
    """The share of two passes a model's metadata says it was trained to paint with, which applying it takes by
    default (0: one pass)."""
    return float(meta.get("settings", {}).get("coarse", 0.0))


def model_noise(meta: dict) -> float:
    """The noise a model's metadata says to add to each photo before painting, which applying it takes by default
    (0: none)."""
    return float(meta.get("settings", {}).get("noise", 0.0))


def model_record(path: Path, meta: dict) -> dict:
    """What a model made from this one records of it: file name, hash, style, steps, seed, settings (and, for a
    model that was itself trained on from another, that one's record too)."""
    info = {"file": path.name, "sha256": file_sha256(path)}
    info.update({k: meta[k] for k in ("style_name", "steps", "seed", "settings", "init") if k in meta})
    return info


def network_shape(path: Path, meta: dict) -> dict:
    """The network shape a model's metadata records (``network``; files without it: the default), checked."""
    from .network import BLOCKS, WIDTH
    shape = meta.get("network", {"width": WIDTH, "blocks": BLOCKS})
    ok = isinstance(shape, dict) and {"width", "blocks"} <= set(shape) <= {"width", "blocks", "styles", "dilation"} \
        and all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1024 for v in shape.values())
    if not ok:
        raise RestyleError(f"{path}: not a restyle model (its network shape {shape!r} is not width, blocks "
                           "and maybe styles and dilation, whole numbers 1 to 1024)")
    return shape


def _network_of(path: Path, meta: dict) -> StyleNetwork:
    """An empty network of the shape a model's metadata records."""
    from .network import StyleNetwork
    shape = network_shape(path, meta)
    styles = shape.get("styles", 1)
    if styles > 1 and not _names_ok(meta.get("styles"), styles):
        raise RestyleError(f"{path}: not a restyle model (a network of {styles} styles without their {styles} "
                           "distinct names)")
    return StyleNetwork.empty(shape["width"], shape["blocks"], styles, shape.get("dilation", 1))


def _names_ok(styles, count: int) -> bool:
    """Whether ``styles`` (a model's metadata) lists ``count`` styles by distinct names."""
    return isinstance(styles, list) and len(styles) == count and all(
        isinstance(s, dict) and isinstance(s.get("name"), str) and s["name"] for s in styles) and \
        len({s["name"] for s in styles}) == count
