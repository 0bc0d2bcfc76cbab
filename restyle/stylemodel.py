"""Trained style models: the file (safetensors + JSON metadata, or ONNX), loading one, and applying it to images.

``load_model`` returns a ``StyleModel``, a callable from an image (path, PIL image or array) to a PIL image.
It pads any size to the network's multiple of 4 (by reflection) and crops back, blends with the photo
(``strength``), can keep the photo's colours, and cuts images too big for the memory budget into tiles.

Tiles and instance norm: each norm layer normalizes by statistics of the *whole* image, so independent
tiles would each get their own contrast and colour cast and show seams. Tiled inference therefore first
computes every norm layer's whole-image statistics, layer by layer (tile by tile, each tile's core only,
with a halo covering the network's receptive field), then runs every tile with those statistics fixed:
the stitched cores equal the untiled result up to rounding, with no blending needed. It costs about
seven forward passes instead of one, and is only used where the whole image would not fit.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import warnings
from pathlib import Path
from typing import Optional, Union

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from . import color
from .device import resolve_device, resolve_precision
from .errors import RestyleError
from .images import DEFAULT_MAX_PIXELS, ImageLike, load_image, source_name, to_pil, to_uint8, write_atomic
from .planning import GB, default_budget, in_use
from .transformer import MULTIPLE, RECEPTIVE_FIELD, TransformerNet

#: What the metadata's "format" says for the network in ``transformer.py``.
FORMAT = "restyle-transformer-1"
#: Folder of the models shipped with restyle (``--preset NAME``).
PRESETS = Path(__file__).parent / "presets"
#: Pixels of context around each tile's core: half the receptive field, rounded up to the multiple of 4.
HALO = math.ceil(RECEPTIVE_FIELD / 2 / MULTIPLE) * MULTIPLE
#: Peak bytes per pixel of a whole-image forward pass, the body in 16-bit (measured on an H100: 600 at
#: 1080p, 571 at 4K, CUDA peak allocation, input and output included; benchmarks/fast.py) and in float32
#: (not measured: twice the activations), with a margin.
BYTES_PER_PIXEL = {2: 650, 4: 1200}

PathLike = Union[str, os.PathLike]


def file_sha256(path: PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_model(net: TransformerNet, path: PathLike, metadata: dict, dtype: torch.dtype = torch.float16) -> Path:
    """Write the network's weights (as ``dtype``) and ``metadata`` (JSON) to a safetensors file, atomically."""
    from safetensors.torch import save
    state = {k: v.detach().to("cpu", dtype).contiguous() for k, v in net.state_dict().items()}
    meta = {"format": FORMAT, **metadata}
    out = Path(path)
    data = save(state, metadata={"restyle": json.dumps(meta, sort_keys=True)})
    return write_atomic(out, lambda f: f.write(data))


def presets() -> dict[str, Path]:
    """The models shipped with restyle, by name."""
    return {p.stem: p for p in sorted(PRESETS.glob("*.safetensors"))}


def preset_path(name: str) -> Path:
    found = presets()
    if name not in found:
        have = ", ".join(found) if found else "none are installed"
        raise RestyleError(f"no preset named {name!r} (presets: {have})")
    return found[name]


def _model_file(p: Path) -> Path:
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
    _model_file(p)
    if p.suffix.lower() != ".safetensors":
        why = " (an ONNX export cannot be trained on)" if p.suffix.lower() == ".onnx" else ""
        raise RestyleError(f"{p}: not a .safetensors model{why}")
    return p


def read_model(path: Path) -> tuple[TransformerNet, dict]:
    """A .safetensors model's network (float32, eval mode, on the CPU) and metadata."""
    from safetensors import SafetensorError, safe_open
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = json.loads((f.metadata() or {}).get("restyle", "{}"))
            state = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, ValueError, UnicodeDecodeError):  # JSONDecodeError is a ValueError
        raise RestyleError(f"{path}: not a restyle model (not a readable safetensors file)") from None
    if meta.get("format") != FORMAT:
        raise RestyleError(f"{path}: not a restyle model (format {meta.get('format')!r}, expected {FORMAT!r})")
    net = TransformerNet()
    try:
        net.load_state_dict({k: v.float() for k, v in state.items()})
    except RuntimeError:
        raise RestyleError(f"{path}: its weights do not fit restyle's network (damaged or another model)") from None
    return net.eval().requires_grad_(False), meta


class StyleModel:
    """A trained style model, ready to apply: ``model(image)`` returns the stylized image (PIL, RGB).

    ``backend`` is "torch" (a .safetensors file) or "onnx" (an exported .onnx file, run by onnxruntime).
    ``metadata`` holds the style's name and hash, the training settings and the restyle version.
    """

    def __init__(self, path: Path, metadata: dict, device: torch.device, net: Optional[TransformerNet] = None,
                 session=None, dtype: torch.dtype = torch.float32, max_memory: Optional[float] = None,
                 tile_size: Optional[int] = None):
        self.path, self.metadata, self.device = path, metadata, device
        self.net, self.session, self.dtype = net, session, dtype
        self.backend = "torch" if net is not None else "onnx"
        self.max_memory, self.tile_size = max_memory, tile_size
        if tile_size is not None and tile_size < 2 * MULTIPLE:
            raise RestyleError(f"--tile-size must be at least {2 * MULTIPLE}, got {tile_size}")
        if max_memory is not None and not max_memory > 0:
            raise RestyleError(f"--max-memory must be a positive number of GB, got {max_memory}")

    @property
    def name(self) -> str:
        return str(self.metadata.get("style_name") or self.path.stem)

    def __repr__(self) -> str:
        return f"StyleModel({self.name!r}, backend={self.backend!r}, device={self.device.type!r})"

    def __call__(self, image: ImageLike, strength: float = 1.0, preserve_color: bool = False,
                 max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
        """Stylize ``image``; ``strength`` in [0, 1] blends the result with the photo (1: all style);
        ``preserve_color`` keeps the photo's colours (the result's luminance with the photo's chroma)."""
        if not 0 <= strength <= 1:
            raise RestyleError(f"strength must be between 0 and 1, got {strength}")
        photo = load_image(image, max_pixels, name=source_name(image, "input"))
        with torch.inference_mode():
            photo = photo.to(self.device)
            out = self._run(photo)
            if preserve_color:
                out = color.combine_luminance(out, photo)
            if strength < 1:
                out = strength * out + (1 - strength) * photo
            return to_pil(out)  # rounded to 8 bits on the device

    def tensor(self, photo: torch.Tensor) -> torch.Tensor:
        """The stylized (3, H, W) float tensor of a (3, H, W) photo in [0, 1] (not clamped), on the CPU."""
        with torch.inference_mode():
            return self._run(photo).float().cpu()

    def frame(self, frame) -> np.ndarray:
        """A video frame or camera image, (H, W, 3) uint8 (numpy or torch), stylized as (H, W, 3) uint8.

        The fastest path: 8-bit pixels cross to and from the device (a quarter of float32's bytes) and are
        converted there.
        """
        if isinstance(frame, np.ndarray):
            frame = np.ascontiguousarray(frame)  # e.g. OpenCV's BGR flipped to RGB with [..., ::-1]
        try:
            with warnings.catch_warnings():  # a read-only array (np.asarray of a PIL image) is only read here
                warnings.filterwarnings("ignore", "The given NumPy array is not writable")
                x = torch.as_tensor(frame)
        except (TypeError, ValueError, RuntimeError):
            raise RestyleError(f"a frame must be an (H, W, 3) uint8 array, got {type(frame).__name__}") from None
        if x.dtype != torch.uint8 or x.dim() != 3 or x.shape[2] != 3:
            raise RestyleError(f"a frame must be an (H, W, 3) uint8 array, got {tuple(x.shape)} {x.dtype}")
        with torch.inference_mode():
            x = x.to(self.device, non_blocking=True).permute(2, 0, 1).float().div_(255)
            return to_uint8(self._run(x))

    def _run(self, photo: torch.Tensor) -> torch.Tensor:
        """The network's output (3, H, W) for a (3, H, W) photo; on the model's device for the torch backend."""
        h, w = photo.shape[1:]
        # Up to a multiple of 4, and at least 8 (the reflection padding of the quarter-size layers needs 2)
        ph, pw = max(-h % MULTIPLE, 2 * MULTIPLE - h), max(-w % MULTIPLE, 2 * MULTIPLE - w)
        x = photo[None]
        if ph or pw:  # reflection needs a side longer than the padding
            mode = "reflect" if min(h, w) > max(ph, pw) else "replicate"
            x = F.pad(x, (0, pw, 0, ph), mode=mode)
        if self.session is not None:
            y = torch.from_numpy(self.session.run(None, {"image": x.float().cpu().numpy()})[0]).to(photo.device)
        else:
            x = x.to(self.device)
            tile = self._tile_side(*x.shape[-2:])
            y = self.net(x) if tile is None else _tiled(self.net, x, tile)
        return y[0, :, :h, :w]

    def _tile_side(self, h: int, w: int) -> Optional[int]:
        """None if the whole image fits the memory budget, else the side of the largest square core that does."""
        if self.tile_size is not None:
            return max(MULTIPLE, self.tile_size // MULTIPLE * MULTIPLE) if max(h, w) > self.tile_size else None
        budget = self.max_memory * GB if self.max_memory is not None else default_budget(self.device)
        free = budget - in_use(self.device) if self.device.type == "cuda" else budget
        bpp = BYTES_PER_PIXEL[2 if self.dtype != torch.float32 else 4]
        if h * w * bpp <= free:
            return None
        side = int(math.sqrt(max(free, 0) / bpp)) - 2 * HALO
        if side < 64:
            raise RestyleError(f"the memory budget ({budget / GB:.2g} GB) is too small to apply a model even in "
                               "tiles; raise --max-memory")
        return side // MULTIPLE * MULTIPLE


def _spans(n: int, tile: int) -> list[tuple[int, int]]:
    """[start, end) cores, multiples of 4, of nearly equal length at most ``tile``, covering 0..n."""
    parts = math.ceil(n / tile)
    cuts = [round(n * i / parts / MULTIPLE) * MULTIPLE for i in range(parts + 1)]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


class _Stop(Exception):
    """Ends a forward pass once the norm layer being measured has seen its input."""


class _Moments:
    """A norm layer's ``observe`` hook: per-channel sums of its input's values and squares over the tiles'
    cores (``core``: the current tile's core, as slices of that input), then ``_Stop``."""

    def __init__(self, channels: int, device: torch.device):
        self.sums = torch.zeros(2, channels, dtype=torch.float64, device=device)
        self.count = 0
        self.core: tuple[slice, slice] = (slice(None), slice(None))

    def __call__(self, t: torch.Tensor) -> None:
        core = t[0, :, self.core[0], self.core[1]].double()
        self.sums[0] += core.sum((1, 2))
        self.sums[1] += core.pow(2).sum((1, 2))
        self.count += core.shape[1] * core.shape[2]
        raise _Stop

    def mean_var(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The whole image's mean and (biased) variance per channel, shaped (1, C, 1, 1)."""
        mean = self.sums[0] / self.count
        var = (self.sums[1] / self.count - mean.pow(2)).clamp_min(0)
        return mean.float().view(1, -1, 1, 1), var.float().view(1, -1, 1, 1)


def _tiled(net: TransformerNet, x: torch.Tensor, tile: int) -> torch.Tensor:
    """The network's output on ``x`` (1, 3, H, W) computed over tiles with exact whole-image norm statistics."""
    _, _, h, w = x.shape
    boxes = [(y0, y1, x0, x1) for y0, y1 in _spans(h, tile) for x0, x1 in _spans(w, tile)]

    def window(y0, y1, x0, x1):
        return max(0, y0 - HALO), min(h, y1 + HALO), max(0, x0 - HALO), min(w, x1 + HALO)

    norms = net.norms()
    try:
        for norm in norms:
            moments = norm.observe = _Moments(norm.num_features, x.device)
            for y0, y1, x0, x1 in boxes:
                wy0, wy1, wx0, wx1 = window(y0, y1, x0, x1)
                st = norm.stride  # the core's place in this layer's input, which is 1, 2 or 4 times smaller
                moments.core = (slice((y0 - wy0) // st, (y1 - wy0) // st), slice((x0 - wx0) // st, (x1 - wx0) // st))
                try:
                    net(x[..., wy0:wy1, wx0:wx1])
                except _Stop:
                    pass
            norm.observe = None
            norm.fixed = moments.mean_var()
        out = torch.empty(1, 3, h, w, device=x.device)
        for y0, y1, x0, x1 in boxes:
            wy0, wy1, wx0, wx1 = window(y0, y1, x0, x1)
            out[..., y0:y1, x0:x1] = net(x[..., wy0:wy1, wx0:wx1])[..., y0 - wy0:y1 - wy0, x0 - wx0:x1 - wx0]
        return out
    finally:
        for norm in norms:
            norm.observe, norm.fixed = None, None


def load_model(path: Union[PathLike, None] = None, *, preset: Optional[str] = None, device: str = "auto",
               precision: str = "auto", max_memory: Optional[float] = None,
               tile_size: Optional[int] = None) -> StyleModel:
    """Load a trained style model: a .safetensors file from ``restyle train``, an .onnx file from
    ``restyle export`` (run by onnxruntime), or a shipped ``preset`` by name.

    ``precision`` auto runs the network in bf16 where the hardware has it (the last layer stays float32).
    ``max_memory`` (GB) bounds the memory a forward pass may use; bigger images are cut into tiles
    (``tile_size`` forces tiles of at most that side).
    """
    if (path is None) == (preset is None):
        raise RestyleError("give a model file or a preset name (one of them)")
    p = _model_file(preset_path(preset) if preset is not None else Path(path))
    dev = resolve_device(device)
    if p.suffix.lower() == ".onnx":
        session, meta, dev = _load_onnx(p, dev)
        return StyleModel(p, meta, dev, session=session, max_memory=max_memory, tile_size=tile_size)
    net, meta = read_model(p)
    dtype = resolve_precision(precision, dev)
    net = net.to(dev)
    if dtype != torch.float32:
        net.half(dtype)
    return StyleModel(p, meta, dev, net=net, dtype=dtype, max_memory=max_memory, tile_size=tile_size)


def _load_onnx(path: Path, device: torch.device) -> tuple[object, dict, torch.device]:
    """(onnxruntime session, metadata, the device it runs on) for an exported model."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise RestyleError("running .onnx models needs onnxruntime: pip install onnxruntime") from None
    providers = ["CPUExecutionProvider"]
    if device.type == "cuda" and "CUDAExecutionProvider" in ort.get_available_providers():
        providers.insert(0, "CUDAExecutionProvider")
    try:
        session = ort.InferenceSession(str(path), providers=providers)
    except Exception as e:  # onnxruntime raises its own exception types for unreadable graphs
        raise RestyleError(f"{path}: not a readable ONNX model ({type(e).__name__})") from None
    if [i.name for i in session.get_inputs()] != ["image"]:
        raise RestyleError(f"{path}: not a restyle ONNX model (its input is not named 'image')")
    meta = json.loads(session.get_modelmeta().custom_metadata_map.get("restyle", "{}"))
    return session, meta, torch.device("cpu") if providers[0] == "CPUExecutionProvider" else device


def export_onnx(model: PathLike, output: PathLike, opset: int = 17) -> Path:
    """Write ``model`` (a .safetensors model) as ONNX, height and width dynamic (multiples of 4; ``StyleModel``
    pads other sizes), weights in float32, the metadata kept. Needs the ``onnx`` package."""
    try:
        import onnx
    except ImportError:
        raise RestyleError("exporting to ONNX needs the onnx package: pip install onnx") from None
    src = Path(model)
    if not src.exists():
        raise RestyleError(f"{src}: no such model file")
    if src.suffix.lower() == ".onnx":
        raise RestyleError(f"{src}: is already an ONNX model")
    out = Path(output)
    if out.suffix.lower() != ".onnx":
        raise RestyleError(f"{out}: the output of an export must end in .onnx")
    net, meta = read_model(src)
    axes = {0: "batch", 2: "height", 3: "width"}
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = Path(tmp) / "model.onnx"
        torch.onnx.export(net, (torch.rand(1, 3, 64, 64),), str(raw), dynamo=False, opset_version=opset,
                          input_names=["image"], output_names=["stylized"],
                          dynamic_axes={"image": axes, "stylized": axes})
        graph = onnx.load(str(raw))
    graph.metadata_props.add(key="restyle", value=json.dumps(meta, sort_keys=True))
    data = graph.SerializeToString()
    return write_atomic(out, lambda f: f.write(data))
