"""The web page: Gradio components wired to the jobs (``jobs``), and the named API endpoints ``apply`` and
``stylize``. Every engine call goes through ``jobs``; this module only lays out and translates."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Iterator, Optional

import gradio as gr
from PIL import Image

from ..core.guest import process_kept
from ..core.memory import release_freed_memory
from ..errors import RestyleError
from ..feedforward.modelfile import presets
from . import jobs

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PHOTOS = [EXAMPLES / "tubingen.jpg", EXAMPLES / "chelsea_cat.jpg"]
#: All jobs share one engine: one at a time (the queue holds the others).
ENGINE = "engine"
#: Seconds between sweeps of old uploads and results, and the age at which they go.
KEEP_FILES = 3600


@contextlib.contextmanager
def _job() -> Iterator[None]:
    """Around a handler's job: its errors as the page and API clients show them (``gr.Error``), and the memory it
    freed handed back to the system after it, however it ends (also when Stop closes a generator)."""
    try:
        yield
    except RestyleError as e:
        raise gr.Error(str(e), print_exception=False) from None
    finally:
        release_freed_memory()


def painting_of(preset: str) -> Path:
    """The example painting a preset was trained on."""
    return EXAMPLES / f"{preset}.jpg"


def thumbnails() -> list[tuple[Image.Image, str]]:
    """(a small copy of the painting, its name) for each preset, for the gallery."""
    out = []
    for name in presets():
        with Image.open(painting_of(name)) as painting:
            thumb = painting.convert("RGB")
            thumb.thumbnail((160, 160))
        out.append((thumb, name))
    return out


def unread(component: gr.components.Component) -> gr.components.Component:
    """``component`` handing its upload over as the file's path, unread: restyle decodes it itself, so a file that
    is not an image (or video), a truncated one or a decompression bomb gets restyle's one-line message, not
    Gradio's. (Set on the instance: a subclass of a Gradio component makes Gradio write a .pyi file beside this
    module.)"""
    component.preprocess = lambda payload: None if payload is None else str(payload.path)
    return component


def upload(**kwargs) -> gr.Image:
    """An image upload, unread (``unread``)."""
    return unread(gr.Image(type="filepath", sources=["upload", "clipboard"], **kwargs))


def drawing(**kwargs) -> gr.ImageEditor:
    """A brush over the photo, for a region. Its strokes are read; the photo beneath is restyle's to read: where it
    is not an image, the editor hands over nothing, and the job says what is wrong with the photo."""
    editor = gr.ImageEditor(type="numpy", sources=(), layers=False, transforms=(),
                            brush=gr.Brush(colors=["#ff3030"], color_mode="fixed"), **kwargs)
    decode = editor.preprocess

    def preprocess(payload):
        try:
            return decode(payload)
        except (OSError, ValueError, Image.DecompressionBombError):
            return None

    editor.preprocess = preprocess
    return editor


def model_upload(elem_id: str) -> tuple[gr.File, gr.Textbox]:
    """A model file of one's own (from ``restyle train`` or ``restyle export``), instead of a preset, and the box
    for a mix of a model's styles (a model of several styles paints one of them, or a blend); a row of their own
    with the two passes' slider (squeezed into the row above, the uploaded file's name was cut to nothing)."""
    model = gr.File(label="Or your own model (.safetensors or .onnx)", file_types=[".safetensors", ".onnx"],
                    type="filepath", height=100, elem_id=elem_id)
    mix = gr.Textbox(label="Style mix, for a model of several styles", placeholder="the_scream:0.6,starry_night:0.4",
                     elem_id=f"{elem_id}-mix")
    return model, mix


def model_sliders(model_file: gr.File, elem_id: str) -> tuple[gr.Slider, gr.Slider]:
    """How much of the photo's half-size painting the model paints over in a second pass (``load_model``'s coarse),
    and the noise it adds to the photo first (its noise), each moved to an uploaded model's own on upload."""
    coarse = gr.Slider(0, 1, value=0, step=0.1, label="Larger structures: two passes (0: one pass)",
                       elem_id=f"{elem_id}-coarse")
    noise = gr.Slider(0, 0.1, value=0, step=0.01, label="Texture in flat areas: noise (0: none)",
                      elem_id=f"{elem_id}-noise")
    model_file.change(jobs.trained_settings, model_file, [coarse, noise], api_visibility="private")
    return coarse, noise


class Page:
    """The page's handlers: each runs a job inside ``_job``."""

    def __init__(self, models: jobs.Models):
        self.models = models

    def apply(self, photo: Optional[str], preset: str, strength: float, keep: bool = False,
              size: int = jobs.WORK_SIZE, model_file: Optional[str] = None, mix: Optional[str] = None,
              coarse: float = 0.0, noise: float = 0.0):
        with _job():
            return jobs.apply_preset(self.models, photo, preset, strength, preserve_color=keep, size=int(size),
                                     model_file=model_file, mix=mix, coarse=coarse, noise=noise)

    def apply_page(self, photo, preset, strength, keep, size, model_file=None, drawn=None, mask=None,
                   outside=jobs.KEEP, feather=0.0, mix=None, coarse=0.0, noise=0.0):
        """The Preset tab's Paint: a preset (or model file, or a ``mix`` of its styles) over the whole photo, or
        with a region drawn over the photo or uploaded as a mask, that model there and ``outside`` elsewhere;
        ``coarse``: in two passes; ``noise``: added to the photo first."""
        drawn = jobs.drawn_mask(drawn and drawn.get("layers"))
        model = dict(model_file=model_file, mix=mix, coarse=coarse, noise=noise)
        if drawn is None and mask is None:
            image = self.apply(photo, preset, strength, keep=keep, size=size, **model)
            return image, jobs.apply_command(preset, strength, keep, max(image.size), **model)
        with _job():
            image = jobs.apply_regions(self.models, photo, mask if drawn is None else drawn, inside=preset,
                                       outside=outside, strength=strength, preserve_color=keep, size=int(size),
                                       feather=feather, **model)
        return image, jobs.regions_command(preset, outside, strength=strength, preserve_color=keep,
                                           size=max(image.size), feather=feather, **model)

    def paint_live(self, photo, painting, size, iterations, style_weight, style_scale=1.0, keep="none", seed=-1,
                progress=gr.Progress()):  # noqa: B008 (how Gradio hands a handler its progress bar)
        """The optimizer, yielding (image, status, command line) as it goes; Stop closes the generator."""
        with _job():
            options = jobs.stylize_settings(int(size), int(iterations), style_weight, style_scale=style_scale,
                                            preserve_color=keep, seed=None if seed is None else int(seed),
                                            device=self.models.device)
            command = jobs.stylize_command(options)
            for update in jobs.stylize_painting(photo, painting, options):
                progress(update.fraction, desc=update.text)
                yield gr.skip() if update.result is None else update.result, update.text, command

    def stylize_api(self, photo, painting, size, iterations, style_weight):
        """The ``stylize`` endpoint: the image as it goes (a client's ``predict`` gets the finished one)."""
        with _job():
            options = jobs.stylize_settings(int(size), int(iterations), style_weight, device=self.models.device)
            for update in jobs.stylize_painting(photo, painting, options):
                if update.result is not None:
                    yield update.result

    def paint_video(self, clip, preset, strength, size, model_file=None, mix=None, coarse=0.0, noise=0.0,
                    progress=gr.Progress()):  # noqa: B008
        """A video, yielding (video, status, command line) as it goes; Stop closes the generator. Its folder goes
        when the job ends (Gradio has its own copy of the video by then)."""
        model = dict(model_file=model_file, mix=mix, coarse=coarse, noise=noise)
        with _job(), tempfile.TemporaryDirectory(prefix="restyle-video-") as folder:
            command = jobs.video_command(preset, strength, jobs.video_size(clip, int(size)), **model)
            for update in jobs.paint_video(self.models, clip, preset, strength, folder=Path(folder), size=int(size),
                                           **model):
                progress(update.fraction, desc=update.text)
                yield gr.skip() if update.result is None else str(update.result), update.text, command


def build(models: jobs.Models, video: bool = True) -> gr.Blocks:
    """The page, its events queued one at a time (``ENGINE``)."""
    page, names = Page(models), list(presets())
    with process_kept():  # (gr.Blocks sets a Hugging Face variable)
        blocks = gr.Blocks(title="restyle", analytics_enabled=False, delete_cache=(KEEP_FILES, KEEP_FILES))
    with blocks:
        gr.Markdown("# restyle\nPaint a photo in the style of a painting: a preset in about a second, or any "
                    "painting with the optimizer (slower, watch it happen).")
        with gr.Tab("Preset"):
            _preset_tab(page, names)
        with gr.Tab("Any painting"):
            _painting_tab(page)
        if video:
            with gr.Tab("Video"):
                _video_tab(page, names)
        _api(page, names)
        gr.Markdown("Training a model and print-size runs are for the command line: `restyle train`, "
                    "`restyle stylize --size 4000`.")
    return blocks


def _preset_tab(page: Page, names: list[str]) -> None:
    with gr.Row():
        photo = upload(label="Photo", elem_id="preset-photo")
        result = gr.Image(label="Painted", type="pil", format="png", interactive=False, elem_id="preset-result",
                          buttons=["download", "fullscreen"])
    gallery = gr.Gallery(value=thumbnails(), label="Presets (click one)", columns=len(names), height=200,
                         allow_preview=False)
    with gr.Row():
        preset = gr.Radio(names, value=names[0], label="Preset")
        strength = gr.Slider(0, 1, value=1, step=0.05, label="Strength (1: all style)")
        keep = gr.Checkbox(label="Keep the photo's colours")
        size = gr.Slider(64, 2048, value=jobs.WORK_SIZE, step=32, label="Working size (long side, px)")
    with gr.Row():
        model_file, mix = model_upload("preset-model")
        coarse, noise = model_sliders(model_file, "preset")
    drawn, mask, outside, feather = _regions(photo, names)
    paint = gr.Button("Paint", variant="primary", elem_id="preset-paint")
    command = gr.Code(label="The same on the command line", language="shell", interactive=False,
                      elem_id="preset-command")
    gr.Examples([[str(p)] for p in PHOTOS], inputs=[photo], label="Example photos")
    def pick(event: gr.SelectData) -> str:
        return names[event.index]

    gallery.select(pick, None, preset, api_visibility="private")
    paint.click(page.apply_page, [photo, preset, strength, keep, size, model_file, drawn, mask, outside,
                                     feather, mix, coarse, noise],
                [result, command], concurrency_id=ENGINE, api_visibility="private")


def _regions(photo, names: list[str]):
    """The Preset tab's regions: a region drawn over the photo or uploaded as a mask, painted by the chosen
    preset, and what paints the rest."""
    with gr.Accordion("Regions: the preset in part of the photo only", open=False):
        with gr.Row():
            drawn = drawing(label="Draw the region over the photo", elem_id="preset-draw")
            mask = upload(label="Or upload a mask (white: the region; black: the rest)", elem_id="preset-mask")
        with gr.Row():
            outside = gr.Radio([jobs.KEEP, *names], value=jobs.KEEP, label="The rest (none: keep the photo)",
                               elem_id="preset-outside")
            feather = gr.Slider(0, 64, value=8, step=1, label="Soft edges (px)")
    photo.change(lambda p: p, photo, drawn, api_visibility="private")  # the photo under the brush
    return drawn, mask, outside, feather


def _painting_tab(page: Page) -> None:
    with gr.Row():
        photo = upload(label="Photo", elem_id="any-photo")
        painting = upload(label="Painting", elem_id="any-painting")
        result = gr.Image(label="Painted (updates as it goes)", type="pil", format="png", interactive=False,
                          elem_id="any-result", buttons=["download", "fullscreen"])
    with gr.Row():
        gr.Examples([[str(p)] for p in PHOTOS], inputs=[photo], label="Example photos")
        gr.Examples([[str(painting_of(n))] for n in presets()], inputs=[painting], label="Example paintings")
    with gr.Row():
        size = gr.Slider(64, jobs.MAX_WEB_SIZE, value=256, step=32, label="Size (long side, px)", elem_id="any-size")
        iterations = gr.Slider(1, 1000, value=100, step=1, label="Iterations", elem_id="any-iterations")
        style_weight = gr.Number(10, label="Style weight (higher: more painted)")
        style_scale = gr.Slider(0.25, 4, value=1, step=0.05, label="Style scale (smaller: finer strokes)")
        keep = gr.Radio(["none", "luminance", "histogram"], value="none", label="Keep the photo's colours")
        seed = gr.Number(-1, label="Seed (-1: random)", precision=0)
    with gr.Row():
        start = gr.Button("Paint", variant="primary", elem_id="any-paint")
        stop = gr.Button("Stop", variant="stop", elem_id="any-stop")
    status = gr.Markdown(elem_id="any-status")
    command = gr.Code(label="The same on the command line", language="shell", interactive=False)
    run = start.click(page.paint_live, [photo, painting, size, iterations, style_weight, style_scale, keep, seed],
                      [result, status, command], concurrency_id=ENGINE, api_visibility="private")
    stop.click(None, None, None, cancels=[run], api_visibility="private")


def _video_tab(page: Page, names: list[str]) -> None:
    with gr.Row():
        clip = unread(gr.Video(label="Video", sources=["upload"], elem_id="video-clip"))
        result = gr.Video(label="Painted, with its sound", interactive=False, buttons=["download"],
                          elem_id="video-result")
    with gr.Row():
        preset = gr.Radio(names, value=names[0], label="Preset")
        strength = gr.Slider(0, 1, value=1, step=0.05, label="Strength (1: all style)")
        size = gr.Slider(64, 2048, value=jobs.WORK_SIZE, step=32, label="Working size (long side, px)")
    with gr.Row():
        model_file, mix = model_upload("video-model")
        coarse, noise = model_sliders(model_file, "video")
    with gr.Row():
        start = gr.Button("Paint the video", variant="primary", elem_id="video-paint")
        stop = gr.Button("Stop", variant="stop", elem_id="video-stop")
    status = gr.Markdown(elem_id="video-status")
    command = gr.Code(label="The same on the command line", language="shell", interactive=False,
                      elem_id="video-command")
    run = start.click(page.paint_video, [clip, preset, strength, size, model_file, mix, coarse, noise],
                      [result, status, command],
                      concurrency_id=ENGINE, api_visibility="private")
    stop.click(None, None, None, cancels=[run], api_visibility="private")


def _api(page: Page, names: list[str]) -> None:
    """The named endpoints for scripts (``gradio_client`` or HTTP), on hidden components."""
    with gr.Row(visible=False):
        # Files, not images: restyle reads them itself, so a bad one gets restyle's one-line message
        photo, painting = gr.File(type="filepath"), gr.File(type="filepath")
        preset, strength = gr.Textbox(), gr.Number()
        size, iterations, weight = gr.Number(precision=0), gr.Number(precision=0), gr.Number()
        image = gr.Image(type="pil", format="png")
        apply, stylize = gr.Button(), gr.Button()
    apply.click(page.apply, [photo, preset, strength], image, api_name="apply", concurrency_id=ENGINE)
    stylize.click(page.stylize_api, [photo, painting, size, iterations, weight], image, api_name="stylize",
                  concurrency_id=ENGINE)
