"""``restyle demo``: stylize the example photos shipped in the package and lay the results out in a grid."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PIL import Image, ImageOps

from .errors import RestyleError
from .images import load_image, save_image, to_pil
from .options import Options
from .transfer import stylize

EXAMPLES = Path(__file__).parent / "examples"
CONTENTS = ["tubingen.jpg", "chelsea_cat.jpg"]
STYLES = ["starry_night.jpg", "great_wave.jpg"]


def run_demo(output_dir: Path, size: int = 256, iterations: int = 150, device: str = "auto",
             quiet: bool = False, progress: Callable[[], Callable] | None = None) -> Path:
    """Write every content×style result and ``grid.jpg`` into ``output_dir``; return the grid's path.

    The grid's first row shows the paintings, its first column the photos, and each other cell the
    photo painted in that column's style.
    """
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RestyleError(f"{output_dir}: cannot create the demo folder ({e.strerror})") from None
    options = Options(size=size, iterations=iterations, device=device, seed=0)
    rows = [[None] + [to_pil(load_image(EXAMPLES / s)) for s in STYLES]]
    for content in CONTENTS:
        row = [to_pil(load_image(EXAMPLES / content))]
        for style in STYLES:
            if not quiet:
                print(f"{content} in the style of {style}")
            bar = progress() if progress else None
            try:
                result = stylize(EXAMPLES / content, [EXAMPLES / style], options, callback=bar)
            finally:
                if bar is not None and hasattr(bar, "close"):
                    bar.close()
            save_image(result, output_dir / f"{Path(content).stem}_{Path(style).stem}.jpg")
            row.append(result)
        rows.append(row)
    grid = _grid(rows, cell_width=size)
    return save_image(grid, output_dir / "grid.jpg")


def _grid(rows: list[list[Image.Image | None]], cell_width: int, gap: int = 4) -> Image.Image:
    """Images fitted to ``cell_width``, each row as tall as its tallest image, on white."""
    fitted = [[ImageOps.contain(im, (cell_width, 4 * cell_width)) if im else None for im in row] for row in rows]
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
