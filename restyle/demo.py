"""``restyle demo``: both engines on the example photos shipped in the package, laid out in grids."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from PIL import Image, ImageDraw, ImageOps

from .core.images import load_image, save_image, to_pil
from .core.memory import keep_freed_memory_between_passes
from .errors import RestyleError
from .feedforward.modelfile import presets
from .feedforward.runtime import load_model
from .optimize.options import Options
from .optimize.transfer import stylize

EXAMPLES = Path(__file__).parent / "examples"
CONTENTS = ["tubingen.jpg", "chelsea_cat.jpg"]
STYLES = ["starry_night.jpg", "great_wave.jpg"]


def run_demo(output_dir: Path, size: int = 256, iterations: int = 60, device: str = "auto", *,
             say: Callable[[str], None] = lambda m: None, progress: Optional[Callable[[], Callable]] = None,
             keep_freed_memory: bool = False) -> list[Path]:
    """Paint the example photos with every shipped preset (``presets.jpg``), then with the optimizer after the
    example paintings (each result and ``grid.jpg``), all into ``output_dir``; return the grids' paths.

    In each grid the photos are the first column; in the optimizer's, the paintings are the first row.
    ``keep_freed_memory`` is the optimizer's option of that name, and keeps freed memory across the presets' passes
    too (``memory.keep_freed_memory_between_passes``).
    """
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RestyleError(f"{output_dir}: cannot create the demo folder ({e.strerror})") from None
    photos = [to_pil(load_image(EXAMPLES / c)) for c in CONTENTS]
    with keep_freed_memory_between_passes(device, asked=keep_freed_memory):
        fast = _presets_grid(photos, size=size, device=device, output_dir=output_dir, say=say)
    rows = [[None] + [to_pil(load_image(EXAMPLES / s)) for s in STYLES]]
    options = Options(size=size, iterations=iterations, device=device, seed=0, keep_freed_memory=keep_freed_memory)
    for content, photo in zip(CONTENTS, photos):
        row = [photo]
        for style in STYLES:
            say(f"optimizer: {content} in the style of {style}")
            bar = progress() if progress else None
            try:
                result = stylize(EXAMPLES / content, [EXAMPLES / style], options, callback=bar)
            finally:
                if bar is not None and hasattr(bar, "close"):
                    bar.close()
            path = save_image(result, output_dir / f"{Path(content).stem}_{Path(style).stem}.jpg")
            say(f"  wrote {path}")
            row.append(result)
        rows.append(row)
    return [fast, save_image(_grid(rows, cell_width=size), output_dir / "grid.jpg")]


def _presets_grid(photos: list[Image.Image], *, size: int, device: str, output_dir: Path,
                  say: Callable[[str], None]) -> Path:
    """Every shipped preset on every photo, one row a photo, a named column a preset: ``presets.jpg``.

    The models paint at twice ``size`` (their strokes are sized for photos of about 512 px), shown at ``size``.
    """
    photos = [ImageOps.contain(p, (2 * size, 2 * size)) for p in photos]
    names = list(presets())
    rows = [[None] + names] + [[p] for p in photos]
    for name in names:
        model = load_model(preset=name, device=device)
        for row, photo in zip(rows[1:], photos):
            row.append(model(photo))
        say(f"preset {name}: {len(photos)} photos painted")
    path = save_image(_grid(rows, cell_width=size), output_dir / "presets.jpg")
    say(f"  wrote {path}")
    return path


def _grid(rows: list[list], cell_width: int, gap: int = 4) -> Image.Image:
    """Images fitted to ``cell_width`` (a text cell becomes its label), each row as tall as its tallest cell, on
    white."""
    fitted = [[_label(im, cell_width) if isinstance(im, str) else
               ImageOps.contain(im, (cell_width, 4 * cell_width)) if im else None for im in row] for row in rows]
    heights = [max(im.height for im in row if im) for row in fitted]
    columns = max(len(row) for row in rows)
    grid = Image.new("RGB", (columns * (cell_width + gap) - gap, sum(heights) + gap * (len(rows) - 1)), "white")
    y = 0
    for row, height in zip(fitted, heights):
        for col, im in enumerate(row):
            if im is not None:
                grid.paste(im, (col * (cell_width + gap) + (cell_width - im.width) // 2, y + (height - im.height) // 2))
        y += height + gap
    return grid


def _label(text: str, width: int) -> Image.Image:
    """``text`` centred on a white strip ``width`` wide."""
    strip = Image.new("RGB", (width, 20), "white")
    draw = ImageDraw.Draw(strip)
    draw.text((width // 2, 10), text, fill="black", anchor="mm")
    return strip
