"""Image input and output: decode any common image into an RGB float tensor, resize, and save atomically.

Every decoding problem (missing file, directory, not an image, truncated, too many pixels) becomes a
one-line ``RestyleError``. Saving writes a temporary file beside the target and renames it, so a crash
or Ctrl-C never leaves a partial file and never clobbers the user's file with garbage.
"""

from __future__ import annotations

import math
import os
import secrets
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Optional, Union

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from ..errors import RestyleError
from .checks import DEFAULT_MAX_PIXELS

ImageLike = Union[str, os.PathLike, Image.Image, np.ndarray]

#: Output formats by file extension (what Pillow calls them).
FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF"}
#: zlib level of PNG files: 1 writes a painting in half the time of Pillow's default 6 (32 against 61 ms at
#: 512x384), 2% bigger (paintings compress little at any level; docs/performance.md).
PNG_LEVEL = 1
#: The PNG text chunk a note is written to (``save_image``).
NOTE_KEY = "restyle"
#: File name extensions taken as images when a folder is scanned.
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif"}


def image_files(folder: str | os.PathLike, recursive: bool = False) -> list[Path]:
    """Image files (by extension) in ``folder``, sorted; a missing folder or a file is a RestyleError."""
    path = Path(folder)
    if not path.exists():
        raise RestyleError(f"{path}: no such folder")
    if not path.is_dir():
        raise RestyleError(f"{path}: is a file, not a folder of photos")
    found = path.rglob("*") if recursive else path.iterdir()
    return sorted(p for p in found if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())


def load_image(source: ImageLike, max_pixels: int = DEFAULT_MAX_PIXELS, name: str | None = None,
               at_least: Optional[int] = None) -> torch.Tensor:
    """Return ``source`` as a float32 tensor of shape (3, H, W), RGB in [0, 1].

    Accepts a path, a PIL image or a numpy array (H×W or H×W×C, uint8/uint16 or float in [0, 1]).
    EXIF orientation is applied; alpha is composited over white; palette, grayscale, CMYK and
    16-bit images are converted without clipping their range. ``at_least``: the long side the caller will
    resize to; a JPEG file is then decoded at a half, a quarter or an eighth of its size where that still has it
    (scaled in the JPEG's own frequency domain: a camera photo read for 512 px in a fraction of the time).
    """
    if isinstance(source, np.ndarray):
        return _from_array(source, name or "array")
    if isinstance(source, Image.Image):
        return _from_pil(source, name or "image")
    if not isinstance(source, (str, os.PathLike)):
        raise RestyleError(f"expected an image path, PIL image or numpy array, got {type(source).__name__}")
    path = Path(source)
    label = name or str(path)
    if not path.exists():
        raise RestyleError(f"{label}: no such file")
    if path.is_dir():
        raise RestyleError(f"{label}: is a directory, not an image")
    if path.stat().st_size == 0:
        raise RestyleError(f"{label}: file is empty")
    try:
        with Image.open(path) as img:
            w, h = img.size
            if w * h > max_pixels:
                raise RestyleError(
                    f"{label}: {w}x{h} = {w * h:,} pixels is over the limit of {max_pixels:,} "
                    f"(a guard against decompression bombs); raise max_pixels"
                )
            if at_least is not None and img.format == "JPEG" and max(w, h) >= 2 * at_least:
                scale = at_least / max(w, h)
                img.draft("RGB", (math.ceil(w * scale), math.ceil(h * scale)))
            img.load()
            return _from_pil(img, label)
    except Image.DecompressionBombError as e:  # over Pillow's own guard, which the library leaves as it is
        raise RestyleError(f"{label}: Pillow refuses it as a possible decompression bomb ({e}); a program that "
                           "trusts its images may raise PIL.Image.MAX_IMAGE_PIXELS, and max_pixels") from None
    except UnidentifiedImageError:
        raise RestyleError(f"{label}: not an image file Pillow can read") from None
    except PermissionError:
        raise RestyleError(f"{label}: permission denied") from None
    except (OSError, SyntaxError, ValueError) as e:  # truncated or corrupt data
        raise RestyleError(f"{label}: cannot decode image ({e})") from None


def _from_pil(img: Image.Image, label: str) -> torch.Tensor:
    img = ImageOps.exif_transpose(img)  # (a quirky EXIF block may warn: the host decides what warnings show)
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        arr = np.asarray(img, dtype=np.float32)
        # 16-bit grayscale arrives as mode I; "F" is float data of unknown range.
        scale = 65535.0 if img.mode != "F" or arr.max() > 1.0 else 1.0
        return _from_array(np.clip(arr / scale, 0.0, 1.0), label)
    if img.mode == "P":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        img = img.convert("RGBA")
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img)
    if img.mode != "RGB":
        img = img.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV
    return torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1).contiguous()


def _from_array(arr: np.ndarray, label: str) -> torch.Tensor:
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4) or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise RestyleError(f"{label}: expected an H×W, H×W×3 or H×W×4 array, got shape {arr.shape}")
    if arr.dtype == np.uint8:
        x = arr.astype(np.float32) / 255.0
    elif arr.dtype == np.uint16:
        x = arr.astype(np.float32) / 65535.0
    elif np.issubdtype(arr.dtype, np.floating):
        x = arr.astype(np.float32)
        if not np.isfinite(x).all():
            raise RestyleError(f"{label}: array contains NaN or infinite values")
        if x.max() > 1.5 or x.min() < -0.5:  # (small excursions, as resampling makes, are clipped)
            raise RestyleError(f"{label}: a float array's values must lie in [0, 1], got {x.min():g} to {x.max():g}"
                               " (values of 0 to 255: divide them by 255)")
        x = np.clip(x, 0.0, 1.0)
    else:
        raise RestyleError(f"{label}: unsupported array dtype {arr.dtype} (use uint8, uint16 or float in [0, 1])")
    if x.shape[2] == 4:
        alpha = x[:, :, 3:]
        x = x[:, :, :3] * alpha + (1.0 - alpha)
    elif x.shape[2] == 1:
        x = np.repeat(x, 3, axis=2)
    return torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1).contiguous()


def source_name(source: ImageLike, role: str) -> str:
    """How to name an image source in messages: its path, or its role ("content image") if in memory."""
    return str(source) if isinstance(source, str) or hasattr(source, "__fspath__") else f"{role} image"


def fit_size(height: int, width: int, long_side: int) -> tuple[int, int]:
    """(h, w) scaled so that the longer side is ``long_side``, each side at least 1."""
    scale = long_side / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize a (C, H, W) or (N, C, H, W) tensor to ``size`` = (h, w); antialiased when shrinking."""
    batched = image.dim() == 4
    x = image if batched else image[None]
    if tuple(x.shape[-2:]) != tuple(size):
        shrinking = size[0] < x.shape[-2] or size[1] < x.shape[-1]
        x = F.interpolate(x, size=size, mode="bicubic", align_corners=False, antialias=shrinking)
    return x if batched else x[0]


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """A (3, H, W) or (1, 3, H, W) float tensor in [0, 1] (values outside are clipped) as an (H, W, 3) uint8
    array, rounded on the tensor's device (a quarter of float32's bytes cross to the host)."""
    x = image.detach().float().squeeze(0).clamp(0, 1).mul(255).round().byte()
    return x.permute(1, 2, 0).cpu().numpy()


def to_pil(image: torch.Tensor) -> Image.Image:
    """A (3, H, W) or (1, 3, H, W) float tensor in [0, 1] (values outside are clipped) as an 8-bit PIL image."""
    return Image.fromarray(to_uint8(image), "RGB")


def check_output_path(path: str | os.PathLike) -> Path:
    """Validate an output path before any work is done: known extension, writable folder."""
    out = Path(path)
    if out.is_dir():
        raise RestyleError(f"{out}: is a directory; give a file name such as {out / 'out.png'}")
    if out.suffix.lower() not in FORMATS:
        raise RestyleError(f"{out}: unknown output format {out.suffix!r}; use one of {', '.join(sorted(FORMATS))}")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise RestyleError(f"{out}: folder {folder} does not exist")
    try:  # the only reliable writability test is to try
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".restyle-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise RestyleError(f"{out}: cannot write to folder {folder} ({e.strerror})") from None
    return out


def check_not_input(output: str | os.PathLike, inputs: Iterable[ImageLike]) -> None:
    """A RestyleError when ``output`` is the same file as one of ``inputs`` (those given as paths), so that a
    result never overwrites a photo, a painting or any other image it was made from."""
    check_not_inputs([output], inputs)


def check_not_inputs(outputs: Iterable[str | os.PathLike], inputs: Iterable[ImageLike]) -> None:
    """``check_not_input`` for many outputs at once, every path resolved once (a folder of n photos: n, not n²)."""
    sources: dict[Path, ImageLike] = {}
    for source in inputs:
        if isinstance(source, (str, os.PathLike)):
            sources.setdefault(Path(source).resolve(), source)
    for output in outputs:
        source = sources.get(Path(output).resolve())
        if source is not None:
            raise RestyleError(f"{output}: is an input ({source}); choose another output so it is not overwritten")


def save_image(image: Image.Image, path: str | os.PathLike, quality: int = 95, note: Optional[str] = None) -> Path:
    """Write ``image`` to ``path`` atomically (temp file in the same folder, then rename).

    The format comes from the extension; ``note``, a text, goes into the file's metadata (``read_note`` reads it
    back). Returns the path written.
    """
    out = Path(path)
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise RestyleError(f"{out}: unknown output format {out.suffix!r}; use one of {', '.join(sorted(FORMATS))}")
    kwargs: dict = {"quality": quality} if fmt in ("JPEG", "WEBP") else {"compress_level": PNG_LEVEL} \
        if fmt == "PNG" else {}
    if note is not None:
        kwargs.update(_note_kwargs(fmt, note))
    return write_atomic(out, lambda f: image.save(f, format=fmt, **kwargs))


def _note_kwargs(fmt: str, note: str) -> dict:
    """Pillow's keyword that writes ``note`` into a file of ``fmt``: a PNG text chunk, a JPEG comment, WebP's XMP
    chunk or TIFF's description."""
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text(NOTE_KEY, note)
        return {"pnginfo": info}
    return {"JPEG": {"comment": note.encode()}, "WEBP": {"xmp": note.encode()},
            "TIFF": {"description": note}}[fmt]


def read_note(path: str | os.PathLike) -> Optional[str]:
    """The note ``save_image`` wrote into ``path``; None where there is none or the file cannot be read."""
    try:
        with Image.open(path) as img:
            value = img.info.get(NOTE_KEY) or img.info.get("comment") or img.info.get("xmp")
            if value is None and hasattr(img, "tag_v2"):
                value = img.tag_v2.get(270)
    except (OSError, SyntaxError, ValueError):
        return None
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def write_atomic(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``: a crash or
    Ctrl-C never leaves a partial file, and an existing file is replaced only by a complete one."""
    out = Path(path)
    try:
        fd, tmp = _new_file(out)
    except OSError as e:
        raise RestyleError(f"{out}: cannot write ({e.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, out)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise RestyleError(f"{out}: cannot write ({e})") from None
        raise
    return out


def _new_file(out: Path) -> tuple[int, str]:
    """A new, hidden file beside ``out`` opened for writing, with the usual mode (0666 less the process's umask,
    which is left alone): (its descriptor, its path)."""
    folder = out.parent if str(out.parent) else Path(".")
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = str(folder / f".{out.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {out}")
