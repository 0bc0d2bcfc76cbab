"""Applying a trained style model: ``load_model`` returns a ``StyleModel``, a callable from an image to a PIL image.

It pads any size to the network's multiple of 4 (by reflection; a model trained with a margin also by that margin
on every side) and crops back, blends with the photo (``strength``), can keep the photo's colours, can paint in two
passes (``coarse``: the photo at half size first, for the painting's larger structures), can add a fixed noise to
the photo first (``noise``: texture in flat areas), and cuts images too big for the memory budget into tiles
(``tiled``).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Optional, Union

import numpy as np
import torch
from PIL import Image

from ..core import color
from ..core.checks import DEFAULT_MAX_PIXELS, fraction, noise_sigma, side
from ..core.device import resolve_device, resolve_precision
from ..core.images import ImageLike, fit_size, load_image, resize, source_name, to_pil, to_uint8
from ..core.memory import GB, out_of_memory_as_error, run_budget
from ..errors import RestyleError
from .modelfile import PathLike, model_coarse, model_file, model_margin, model_noise, preset_path, read_model, styles_in
from .network import BLOCKS, MULTIPLE, WIDTH, StyleNetwork, framed, min_side
from .noise import with_noise
from .onnx import load_session
from .passes import with_coarse
from .styles import StyleChoice, choose_style
from .tiled import halo, tiled_forward

#: Peak bytes per pixel of a whole-image forward pass, the body in 16-bit (measured on an H100: 600 at
#: 1080p, 571 at 4K, CUDA peak allocation, input and output included; docs/performance.md) and in float32
#: (on a CPU at 4K: 710 with NNPACK's convolutions, 470 with oneDNN's, the process's peak RSS), with a margin; for
#: the default width (a wider network: in proportion).
BYTES_PER_PIXEL = {2: 650, 4: 1200}


def read_photo(image: ImageLike, max_pixels: int = DEFAULT_MAX_PIXELS, size: Optional[int] = None) -> torch.Tensor:
    """A photo to paint as a (3, H, W) tensor, resized first to the long side ``size`` (None: as it is)."""
    if size is not None:
        side("size", size)
    photo = load_image(image, max_pixels, name=source_name(image, "input"), at_least=size)
    return photo if size is None else resize(photo, fit_size(photo.shape[1], photo.shape[2], size))


class StyleModel:
    """A trained style model, ready to apply: ``model(image)`` returns the stylized image (PIL, RGB).

    ``backend`` is "torch" (a .safetensors file) or "onnx" (an exported .onnx file, run by onnxruntime).
    ``metadata`` holds the style's name and hash, the training settings and the restyle version.
    ``coarse`` in [0, 1] paints in two passes (see ``load_model``; 0: one pass; None: as the metadata says the
    model was trained). ``noise``: the noise added to the photo first (see ``load_model``; None: as the metadata says).
    """

    def __init__(self, path: Path, metadata: dict, device: torch.device, net: Optional[StyleNetwork] = None,
                 session=None, dtype: torch.dtype = torch.float32, max_memory: Optional[float] = None,
                 tile_size: Optional[int] = None, coarse: Optional[float] = None, noise: Optional[float] = None):
        self.coarse = model_coarse(metadata) if coarse is None else coarse  # trained to paint so (TrainOptions)
        fraction("coarse", self.coarse)
        self.noise = model_noise(metadata) if noise is None else noise
        noise_sigma("noise", self.noise)
        self.path, self.metadata, self.device = path, metadata, device
        self.net, self.session, self.dtype = net, session, dtype
        self.backend = "torch" if net is not None else "onnx"
        self.max_memory, self.tile_size = max_memory, tile_size
        shape = metadata.get("network", {})  # the smallest side its layers take (ONNX models: from the metadata)
        self.min_side = min_side(shape.get("blocks", BLOCKS), shape.get("dilation", 1))
        self.margin = model_margin(metadata)  # trained to paint with it (TrainOptions)
        if tile_size is not None and tile_size < 2 * MULTIPLE:
            raise RestyleError(f"tile_size must be at least {2 * MULTIPLE}, got {tile_size}")
        if max_memory is not None and not max_memory > 0:
            raise RestyleError(f"max_memory must be a positive number of GB, got {max_memory}")

    @property
    def name(self) -> str:
        return str(self.metadata.get("style_name") or self.path.stem)

    def copy_with(self, *, coarse: Optional[float] = None, noise: Optional[float] = None) -> "StyleModel":
        """This model painting with ``coarse`` or ``noise`` instead (None: as it does): the same network (shared,
        not copied) and other settings."""
        other = copy.copy(self)
        other.coarse = self.coarse if coarse is None else coarse
        other.noise = self.noise if noise is None else noise
        fraction("coarse", other.coarse)  # (as __init__ checks them)
        noise_sigma("noise", other.noise)
        return other

    def __repr__(self) -> str:
        return f"StyleModel({self.name!r}, backend={self.backend!r}, device={self.device.type!r})"

    def __call__(self, image: ImageLike, strength: float = 1.0, preserve_color: bool = False,
                 max_pixels: int = DEFAULT_MAX_PIXELS, size: Optional[int] = None,
                 origin: tuple[int, int] = (0, 0)) -> Image.Image:
        """Stylize ``image``; ``strength`` in [0, 1] blends the result with the photo (1: all style);
        ``preserve_color`` keeps the photo's colours (the result's luminance with the photo's chroma); ``size``
        resizes the photo first to that long side (None: as it is); ``origin`` (y, x): where the image's top-left
        pixel lies in a larger picture whose ``noise`` it shares (a tile of it, a video's canvas)."""
        fraction("strength", strength)
        photo = read_photo(image, max_pixels, size)
        with torch.inference_mode():
            return to_pil(self.paint(photo.to(self.device), strength, preserve_color, origin))  # rounded there

    def paint(self, photo: torch.Tensor, strength: float = 1.0, preserve_color: bool = False,
              origin: tuple[int, int] = (0, 0)) -> torch.Tensor:
        """The painted (3, H, W) float tensor of a (3, H, W) photo on the model's device, blended with it by
        ``strength``, its colours kept where asked, its noise at ``origin`` (as ``__call__`` does; not clamped); or
        of (N, 3, H, W) photos of one size, painted together where they fit the memory budget together."""
        with torch.inference_mode():
            out = self._run(photo, origin)
            if preserve_color:
                out = color.combine_luminance(out, photo)
            if strength < 1:
                out = strength * out + (1 - strength) * photo
            return out

    def tensor(self, photo: torch.Tensor, origin: tuple[int, int] = (0, 0)) -> torch.Tensor:
        """The stylized (3, H, W) float tensor of a (3, H, W) photo in [0, 1] (not clamped), on the CPU; ``origin``
        as ``__call__``'s."""
        with torch.inference_mode():
            return self._run(photo, origin).float().cpu()

    def frame(self, frame, origin: tuple[int, int] = (0, 0)) -> np.ndarray:
        """A video frame or camera image, (H, W, 3) uint8 (numpy or torch), stylized as (H, W, 3) uint8; ``origin``
        as ``__call__``'s (a video's canvas that follows the camera carries its noise along).

        The fastest path: 8-bit pixels cross to and from the device (a quarter of float32's bytes) and are
        converted there.
        """
        if isinstance(frame, np.ndarray):
            # contiguous (e.g. OpenCV's BGR flipped to RGB with [..., ::-1]) and writable (np.asarray of a PIL
            # image is not, and torch warns of it), copied only where it is neither
            frame = np.require(frame, requirements=["C", "W"])
        try:
            x = torch.as_tensor(frame)
        except (TypeError, ValueError, RuntimeError):
            raise RestyleError(f"a frame must be an (H, W, 3) uint8 array, got {type(frame).__name__}") from None
        if x.dtype != torch.uint8 or x.dim() != 3 or x.shape[2] != 3:
            raise RestyleError(f"a frame must be an (H, W, 3) uint8 array, got {tuple(x.shape)} {x.dtype}")
        with torch.inference_mode():
            x = x.to(self.device, non_blocking=True).permute(2, 0, 1).float().div_(255)
            return to_uint8(self._run(x, origin))

    def _run(self, photo: torch.Tensor, origin: tuple[int, int] = (0, 0)) -> torch.Tensor:
        """The painted (3, H, W) for a (3, H, W) photo, or (N, 3, H, W) for as many: one pass of the network, or
        two with ``coarse``, after ``noise`` (its pattern at ``origin``); on the model's device for the torch
        backend."""
        photo = with_noise(photo, self.noise, device=self.device, origin=origin)
        if not self.coarse:
            return self._pass(photo)
        # Two passes over the photo framed once by the model's margin, as training paints its crops (the margin
        # halved in the first pass); each pass framing its own input instead painted another picture.
        h, w, m = *photo.shape[-2:], self.margin
        x = framed(photo if photo.dim() == 4 else photo[None], m)
        y = self._pass(with_coarse(x, self.coarse, lambda half: self._pass(half, margin=0)), margin=0)
        return y[..., m:m + h, m:m + w] if photo.dim() == 4 else y[0, :, m:m + h, m:m + w]

    def _pass(self, photo: torch.Tensor, margin: Optional[int] = None) -> torch.Tensor:
        """The network's output (3, H, W) for a (3, H, W) photo, or (N, 3, H, W) for as many (one at a time where
        they do not fit the budget together), framed by ``margin`` (default the model's); on the model's device for
        the torch backend."""
        h, w = photo.shape[-2:]
        x = photo if photo.dim() == 4 else photo[None]
        # The margin around it, then up to a multiple of 4 and at least the network's smallest side (its
        # quarter-size layers' padding)
        m = self.margin if margin is None else margin
        ph, pw = max(-h % MULTIPLE, self.min_side - h - 2 * m), max(-w % MULTIPLE, self.min_side - w - 2 * m)
        if len(x) > 1 and self._tile_side(h + ph + 2 * m, w + pw + 2 * m, count=len(x)) is not None:
            return torch.stack([self._pass(p, margin) for p in x])
        x = framed(x, m, pw, ph)
        if self.session is not None:
            self._check_onnx_fits(*x.shape[-2:])
            y = torch.from_numpy(self.session.run(None, {"image": x.float().cpu().numpy()})[0]).to(photo.device)
        else:
            x = x.to(self.device)
            tile = self._tile_side(*x.shape[-2:])
            with out_of_memory_as_error():
                y = self.net(x) if tile is None else tiled_forward(self.net, x, tile)
        return y[..., m:m + h, m:m + w] if photo.dim() == 4 else y[0, :, m:m + h, m:m + w]

    def _bytes_per_pixel(self, size: int) -> float:
        """``BYTES_PER_PIXEL`` for values of ``size`` bytes, grown in proportion to the network's width."""
        width = self.metadata.get("network", {}).get("width", WIDTH)
        return BYTES_PER_PIXEL[size] * max(1.0, width / WIDTH)

    def _check_onnx_fits(self, h: int, w: int) -> None:
        """A RestyleError when an h×w image would not fit the memory budget whole (onnxruntime cannot tile)."""
        room, need = run_budget(self.device, self.max_memory), h * w * self._bytes_per_pixel(4)
        if need > room:
            raise RestyleError(f"a {w}x{h} image needs about {need / GB:.1f} GB with an .onnx model, more than the "
                               f"memory budget of {room / GB:.1f} GB; use the .safetensors model (it computes in "
                               "tiles), raise max_memory or give a smaller image")

    def _tile_side(self, h: int, w: int, count: int = 1) -> Optional[int]:
        """None if ``count`` whole h×w images fit the memory budget together, else the side of the largest square
        core that does."""
        if self.tile_size is not None:
            return max(MULTIPLE, self.tile_size // MULTIPLE * MULTIPLE) if max(h, w) > self.tile_size else None
        free = run_budget(self.device, self.max_memory)
        bpp = self._bytes_per_pixel(2 if self.dtype != torch.float32 else 4)
        if count * h * w * bpp <= free:
            return None
        side = int(math.sqrt(max(free, 0) / bpp)) - 2 * halo(self.net)
        if side < 64:
            raise RestyleError(f"the memory budget ({free / GB:.2g} GB) is too small to apply a model even in "
                               "tiles; raise max_memory")
        return side // MULTIPLE * MULTIPLE


def load_model(path: Union[PathLike, None] = None, *, preset: Optional[str] = None, device: str = "auto",
               precision: str = "auto", max_memory: Optional[float] = None,
               tile_size: Optional[int] = None, mix: Optional[StyleChoice] = None,
               coarse: Optional[float] = None, noise: Optional[float] = None) -> StyleModel:
    """Load a trained style model: a .safetensors file from ``restyle train``, an .onnx file from
    ``restyle export`` (run by onnxruntime), or a shipped ``preset`` by name.

    A model of several styles paints the style that ``mix`` names, or a mix of them, "a:0.6,b:0.4" or {"a": 0.6,
    "b": 0.4} (the weights scaled to add up to 1); a preset's name may be such a mix of one preset's styles.

    ``precision`` auto runs the network in bf16 where the hardware has it (the last layer stays float32).
    ``max_memory`` (GB) bounds the memory a forward pass may use; bigger images are cut into tiles
    (``tile_size`` forces tiles of at most that side).

    ``coarse`` (0 to 1) paints in two passes: first the photo at half its size, then the photo with that share of
    it replaced by the first painting, brought back to full size. The network's strokes and motifs have a fixed
    size in pixels; the second pass paints over structures twice as large, closer to the painting's (and
    further from the photo), for about 1.25 times the work. 0: one pass; None (the default): as the model was
    trained (``restyle train``'s coarse; 0 for the shipped presets).

    ``noise`` (0 to 0.5) adds Gaussian noise of that standard deviation (pixel values 0 to 1) to the photo before
    painting, one fixed pattern (each pixel's value set by its position), so that flat areas (a plain sky, a black
    background) get the painting's texture instead of one flat colour. None (the default): as the model's metadata
    says (``restyle train``'s noise, or set for a preset).
    """
    if (path is None) == (preset is None):
        raise RestyleError("give a model file or a preset name (one of them)")
    p = model_file(preset_path(preset) if preset is not None else Path(path))
    if preset is not None and styles_in(p):  # a style (or mix) of a preset of several styles
        if mix is not None:
            raise RestyleError("give the style in the preset's name or as mix, not both")
        mix = preset
    dev = resolve_device(device)
    if p.suffix.lower() == ".onnx":
        if mix is not None:
            raise RestyleError(f"{p}: an .onnx model has one style; choose the mix when exporting it")
        session, meta, dev = load_session(p, dev)
        return StyleModel(p, meta, dev, session=session, max_memory=max_memory, tile_size=tile_size,
                          coarse=coarse, noise=noise)
    net, meta = choose_style(p, *read_model(p), mix)
    dtype = resolve_precision(precision, dev)
    net = net.to(dev)
    if dtype != torch.float32:
        net.half(dtype)
    return StyleModel(p, meta, dev, net=net, dtype=dtype, max_memory=max_memory, tile_size=tile_size,
                      coarse=coarse, noise=noise)
