"""What the web page does, without the page: each job checks its inputs, runs an engine, and says how to do the
same on the command line. Thread-safe: several people's jobs may share the loaded models."""

from __future__ import annotations

import contextlib
import functools
import queue
import shlex
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional, Union

import numpy as np
from PIL import Image

from ..core.checks import at_most, positive_int, side
from ..core.images import ImageLike, load_image
from ..core.regions import KEEP
from ..errors import RestyleError
from ..feedforward.modelfile import checked_metadata, header_metadata, model_coarse, model_noise
from ..feedforward.regions import RegionModels
from ..feedforward.runtime import StyleModel, load_model
from ..optimize.options import Options
from ..optimize.transfer import iter_stylize

#: Long side photos are shrunk to before a preset paints them (the page's default working size).
WORK_SIZE = 512
#: The optimizer's largest size on the page: a print-size run belongs on the command line.
MAX_WEB_SIZE = 2048
#: Most iterations the page runs.
MAX_WEB_ITERATIONS = 2000
#: A live image after the first iteration and then every this many iterations while the optimizer runs.
SHOW_EVERY = 5
#: Photos and paintings with more pixels than this are refused (a decompression bomb is refused by Pillow first).
MAX_PIXELS = 50_000_000


class Models:
    """The presets, each loaded once on first use and shared by every job (each ``coarse`` and ``noise`` a copy
    sharing its network)."""

    def __init__(self, device: str = "auto"):
        self.device, self._models, self._lock = device, {}, threading.Lock()

    def __getitem__(self, name: str) -> StyleModel:
        return self.preset(name)

    def preset(self, name: str, coarse: float = 0.0, noise: float = 0.0) -> StyleModel:
        """The preset ``name``, painting in two passes with ``coarse`` and adding ``noise`` (``load_model``'s)."""
        with self._lock:
            if (name, 0.0, 0.0) not in self._models:
                self._models[name, 0.0, 0.0] = load_model(preset=name, device=self.device, coarse=0.0, noise=0.0)
            if (name, coarse, noise) not in self._models:
                self._models[name, coarse, noise] = self._models[name, 0.0, 0.0].copy_with(coarse=coarse, noise=noise)
            return self._models[name, coarse, noise]


def _photo(image: Optional[ImageLike], what: str = "photo") -> ImageLike:
    """``image`` as given, or a RestyleError when none was."""
    if image is None:
        raise RestyleError(f"give a {what} first")
    return image


@contextlib.contextmanager
def _named(path: Optional[str]) -> Iterator[None]:
    """Errors about an uploaded file name it as its owner knows it (its name), not by the server's path to it."""
    try:
        yield
    except RestyleError as e:
        if path is None:
            raise
        raise RestyleError(str(e).replace(str(path), Path(path).name)) from None


def model_for(models: Models, preset: str, model_file: Optional[str] = None, mix: Optional[str] = None,
              coarse: float = 0.0, noise: float = 0.0) -> StyleModel:
    """The model a job paints with: an uploaded model file (.safetensors or .onnx, loaded for this job only) when
    given, else the preset ``preset``. ``mix`` ("a:0.6,b:0.4"; blank: none) chooses among a model's styles: the
    uploaded file's, or else a preset's of several styles (then it names them instead of ``preset``). ``coarse``:
    it paints in two passes; ``noise``: it adds that noise to the photo first (``load_model``'s)."""
    mix = _typed(mix)
    settings = dict(coarse=coarse, noise=noise)
    if model_file is None:
        return models.preset(preset, **settings) if mix is None else load_model(preset=mix, device=models.device,
                                                                                  **settings)
    with _named(model_file):
        return load_model(model_file, device=models.device, mix=mix, **settings)


def trained_settings(model_file: Optional[str]) -> tuple[float, float]:
    """The share of two passes and the noise an uploaded model was trained to paint with, ``load_model``'s defaults
    for it ((0, 0): no file, a preset's, or a file that cannot be read, which painting with it then names)."""
    if model_file is None:
        return 0.0, 0.0
    try:
        if Path(model_file).suffix.lower() == ".onnx":
            return _onnx_settings(model_file, Path(model_file).stat().st_mtime_ns)
        meta = checked_metadata(Path(model_file), header_metadata(Path(model_file)))
        return model_coarse(meta), model_noise(meta)
    except (OSError, RestyleError):
        return 0.0, 0.0


@functools.lru_cache(maxsize=16)
def _onnx_settings(model_file: str, mtime_ns: int) -> tuple[float, float]:
    """An .onnx model's trained coarse and noise, read by loading it once per file version (the page asks on upload
    and again for each command it shows)."""
    model = load_model(model_file, device="cpu")
    return model.coarse, model.noise


def _typed(mix: Optional[str]) -> Optional[str]:
    """A style mix as typed in the page, None where its box was left blank."""
    return (mix or "").strip() or None


def apply_preset(models: Models, photo: Optional[ImageLike], preset: str, strength: float = 1.0, *,
                 preserve_color: bool = False, size: int = WORK_SIZE, model_file: Optional[str] = None,
                 mix: Optional[str] = None, coarse: float = 0.0, noise: float = 0.0) -> Image.Image:
    """``photo`` shrunk to ``size`` (long side; a smaller photo stays as it is) and painted by the preset
    ``preset`` (or by ``model_file``, when given; ``mix``, ``coarse``, ``noise``: as ``model_for`` takes them)."""
    side("size", size)
    model = model_for(models, preset, model_file, mix=mix, coarse=coarse, noise=noise)
    return _painted(model, photo, size, strength=strength, preserve_color=preserve_color)


def _painted(painter, photo: Optional[ImageLike], size: int, **options) -> Image.Image:
    """``photo`` shrunk to ``size`` (long side; a smaller photo stays as it is) and painted by ``painter`` (a
    ``StyleModel`` or ``RegionModels``) with ``options`` (strength, preserve_color)."""
    pixels = load_image(_photo(photo), MAX_PIXELS, name="the photo")  # (one decoding, every check)
    return painter(pixels.permute(1, 2, 0).numpy(), size=min(size, max(pixels.shape[1:])), **options)


def _style_words(preset: str, model_file: Optional[str], mix: Optional[str] = None) -> list[str]:
    """The command line's words for the model a job paints with (``mix``: as ``model_for`` takes it)."""
    mix = _typed(mix)
    if model_file is None:
        return ["--preset", mix or preset]
    return ["--model", Path(model_file).name] + ["--mix", mix] * (mix is not None)


def apply_command(preset: str, strength: float, preserve_color: bool, size: int, *,
                  model_file: Optional[str] = None, mix: Optional[str] = None, coarse: float = 0.0,
                  noise: float = 0.0) -> str:
    """The command line that paints a photo as ``apply_preset`` does."""
    words = ["restyle", "apply", *_style_words(preset, model_file, mix), "--size", str(size)]
    words += _model_words(strength, (coarse, noise), [trained_settings(model_file)])
    return shlex.join(words + ["--preserve-color"] * preserve_color + ["photo.jpg", "-o", "painted.png"])


def _model_words(strength: float, settings: tuple[float, float], owns: list[tuple[float, float]]) -> list[str]:
    """The command line's words for a model's strength, two passes and noise (``settings``), where not at their
    defaults (those of two passes and noise: ``owns``, each painting model's own, as ``trained_settings`` says)."""
    words = ["--strength", f"{strength:g}"] * (strength != 1)
    for i, name in enumerate(("--coarse", "--noise")):
        words += [name, f"{settings[i]:g}"] * any(own[i] != settings[i] for own in owns)
    return words


def drawn_mask(layers: Optional[list]) -> Optional[np.ndarray]:
    """The region a person drew over the photo in the page's editor (its layers, (H, W, 4) RGBA arrays): 255 where
    anything was drawn, 0 elsewhere; None where nothing was."""
    arrays = [np.asarray(layer) for layer in layers or []]
    drawn = [a[..., 3] > 0 for a in arrays if a.ndim == 3 and a.shape[2] == 4]
    if not drawn or not np.any(drawn):
        return None
    return np.where(np.logical_or.reduce(drawn), 255, 0).astype(np.uint8)


def apply_regions(models: Models, photo: Optional[ImageLike], mask: ImageLike, *, inside: str, outside: str,
                  strength: float = 1.0, preserve_color: bool = False, size: int = WORK_SIZE,
                  feather: float = 0.0, model_file: Optional[str] = None, mix: Optional[str] = None,
                  coarse: float = 0.0, noise: float = 0.0) -> Image.Image:
    """``photo`` (shrunk as by ``apply_preset``) painted by the preset ``inside`` (or by ``model_file``, when given;
    ``mix``, ``coarse``, ``noise``: as ``model_for`` takes them) where ``mask`` is white and by ``outside`` (a
    preset, or "none" to keep the photo) where it is black."""
    side("size", size)
    regions = {"255": model_for(models, inside, model_file, mix=mix, coarse=coarse, noise=noise),
               "0": KEEP if outside == KEEP else models.preset(outside, coarse, noise)}
    painter = RegionModels(regions, mask, feather=feather)
    with _named(mask if isinstance(mask, str) else None):
        return _painted(painter, photo, size, strength=strength, preserve_color=preserve_color)


def regions_command(inside: str, outside: str, *, strength: float, preserve_color: bool, size: int,
                    feather: float, model_file: Optional[str] = None, mix: Optional[str] = None,
                    coarse: float = 0.0, noise: float = 0.0) -> str:
    """The command line that paints a photo as ``apply_regions`` does."""
    words = ["restyle", "apply", "--mask", "mask.png", "--region", f"255={_region_model(inside, model_file, mix)}",
             "--region", f"0={outside}", "--size", str(size)] + ["--feather", f"{feather:g}"] * (feather > 0)
    owns = [trained_settings(model_file)] + [(0.0, 0.0)] * (outside != KEEP)  # a preset paints the rest
    words += _model_words(strength, (coarse, noise), owns) + ["--preserve-color"] * preserve_color
    return shlex.join(words + ["photo.jpg", "-o", "painted.png"])


def _region_model(preset: str, model_file: Optional[str], mix: Optional[str]) -> str:
    """The region's model as ``--region`` names it: the preset, a mix of a preset's styles, the file, or FILE@MIX
    (``mix``: as ``model_for`` takes it)."""
    mix = _typed(mix)
    if model_file is None:
        return mix or preset
    return Path(model_file).name + f"@{mix}" * (mix is not None)


@dataclass
class Update:
    """One step of a job, as the page shows it."""

    result: Union[Image.Image, Path, None]
    """The optimizer's best image so far (None between live images), or the finished video's file."""
    fraction: float
    """Share of the work done, in [0, 1]."""
    text: str
    """Where the run is, in words (iteration, scale, time left)."""


def stylize_settings(size: int, iterations: int, style_weight: float, *, style_scale: float = 1.0,
                     preserve_color: str = "none", seed: Optional[int] = None, device: str = "auto") -> Options:
    """The page's settings as the optimizer's ``Options``, checked (within the page's limits too)."""
    side("size", size, MAX_WEB_SIZE)
    positive_int("iterations", iterations)
    at_most("iterations", iterations, MAX_WEB_ITERATIONS)
    options = Options(size=int(size), iterations=int(iterations), style_weight=float(style_weight),
                      style_scale=float(style_scale), preserve_color=None if preserve_color == "none" else
                      preserve_color, seed=None if seed is None or seed < 0 else int(seed), max_pixels=MAX_PIXELS,
                      device=device)
    options.validate(1)
    return options


def stylize_painting(photo: Optional[ImageLike], painting: Optional[ImageLike], options: Options,
                     cancel: Optional[threading.Event] = None) -> Iterator[Update]:
    """The optimizer painting ``photo`` after ``painting``: an ``Update`` after each iteration, with the best
    image so far after the first, every ``SHOW_EVERY`` iterations and at the end. ``cancel`` ends the run after
    the current iteration; the last update then holds the best image so far."""
    last = None
    for last in iter_stylize(_photo(photo), _photo(painting, "painting"), options, cancel=cancel):
        show = last.step == 1 or last.step % SHOW_EVERY == 0 or last.step == last.steps
        yield Update(last.image() if show else None, last.fraction, _where(last))
    if last is None:
        raise RestyleError("stopped before the first iteration")
    if last.step != last.steps:  # stopped: the best image so far, once more
        yield Update(last.image(), last.fraction, f"stopped at iteration {last.step} of {last.steps}")


def _where(progress) -> str:
    """A progress line: iteration, scale and time left."""
    text = f"iteration {progress.step} of {progress.steps}"
    if progress.scales > 1:
        text += f", scale {progress.scale} of {progress.scales} ({progress.size[1]}x{progress.size[0]} px)"
    if progress.eta is not None:
        text += f", about {progress.eta:.0f} s left"
    return text


def stylize_command(options: Options) -> str:
    """The command line that runs the optimizer as ``stylize_painting`` does with ``options``."""
    words = ["restyle", "stylize", "photo.jpg", "-s", "painting.jpg", "-o", "painted.png", "--size",
             str(options.size), "--iterations", str(options.iterations), "--style-weight", f"{options.style_weight:g}",
             "--style-scale", f"{options.style_scale:g}"]
    if options.preserve_color:
        words += ["--preserve-color", options.preserve_color]
    if options.seed is not None:
        words += ["--seed", str(options.seed)]
    return shlex.join(words)


def video_size(clip: Optional[str], size: int = WORK_SIZE) -> Optional[int]:
    """The long side the page paints ``clip`` at: ``size`` when the clip's is longer, else None (as it is)."""
    from ..video import io  # (the video extra)

    side("size", size)
    with _named(clip):
        shape = io.info(_photo(clip, "video"))
    return size if max(shape.width, shape.height) > size else None


def paint_video(models: Models, clip: Optional[str], preset: str, strength: float = 1.0, *, folder: Path,
                size: int = WORK_SIZE, model_file: Optional[str] = None, mix: Optional[str] = None,
                coarse: float = 0.0, noise: float = 0.0) -> Iterator[Update]:
    """The video ``clip`` shrunk to ``size`` (long side; a smaller one stays as it is) and painted by ``preset`` (or
    ``model_file``; ``mix``, ``coarse``, ``noise``: as ``model_for`` takes them) into an MP4 in ``folder``, its
    sound kept: an ``Update`` after each frame, the last one with the video's path. Closing the iterator stops the
    painting after the frame in hand."""
    from ..video.pipeline import stylize_video  # (the video extra)

    model = model_for(models, preset, model_file, mix=mix, coarse=coarse, noise=noise)
    long_side = video_size(clip, size)
    out = folder / (Path(clip).stem + "-painted.mp4")

    def work(report, cancel):
        with _named(clip):
            return stylize_video(clip, out, model=model, strength=strength, size=long_side, callback=report,
                                 cancel=cancel)

    for update in _in_background(work):
        yield update if isinstance(update, Update) else Update(update, 1.0, "done")


def _frame(progress) -> Update:
    """A video's progress as the page shows it."""
    total = f" of {progress.frames}" if progress.frames else ""
    share = min(1.0, progress.frame / progress.frames) if progress.frames else 0.0  # (the count may be estimated)
    return Update(None, share, f"frame {progress.frame}{total}")


def _in_background(work: Callable[[Callable, threading.Event], object]) -> Iterator[object]:
    """``work(report, cancel)`` run in a thread: an ``Update`` for each progress it reports, then what it returned
    (its error raised here). Closing the iterator sets ``cancel`` and waits for ``work`` to stop."""
    updates, cancel, done = queue.Queue(), threading.Event(), object()

    def run():
        try:
            updates.put((done, work(lambda p: updates.put((None, _frame(p))), cancel)))
        except BaseException as e:  # (handed to the caller's thread)
            updates.put((done, e))

    worker = threading.Thread(target=run, name="restyle-web-job", daemon=True)
    worker.start()
    try:
        while True:
            end, item = updates.get()
            if end is done and isinstance(item, BaseException):
                raise item
            yield item
            if end is done:
                return
    finally:
        cancel.set()
        worker.join()


def video_command(preset: str, strength: float, size: Optional[int] = None, model_file: Optional[str] = None,
                  mix: Optional[str] = None, coarse: float = 0.0, noise: float = 0.0) -> str:
    """The command line that paints a video as ``paint_video`` does (``size``: as ``video_size`` says)."""
    words = ["restyle", "video", "clip.mp4", *_style_words(preset, model_file, mix), "-o", "painted.mp4"]
    words += ["--size", str(size)] * (size is not None)
    return shlex.join(words + _model_words(strength, (coarse, noise), [trained_settings(model_file)]))
