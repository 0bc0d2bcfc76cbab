"""``restyle demo``: stylize the example photos shipped in the package and lay the results out in a grid."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PIL import Image, ImageOps

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
    output_dir.mkdir(parents=True, exist_ok=True)
    options = Options(size=size, iterations=iterations, device=device, seed=0)
    cell = size
    grid = Image.new("RGB", (cell * (len(STYLES) + 1), cell * (len(CONTENTS) + 1)), "white")

    def put(image: Image.Image, row: int, col: int) -> None:
        fitted = ImageOps.contain(image, (cell, cell))
        grid.paste(fitted, (col * cell + (cell - fitted.width) // 2, row * cell + (cell - fitted.height) // 2))

    for col, style in enumerate(STYLES, start=1):
        put(to_pil(load_image(EXAMPLES / style)), 0, col)
    for row, content in enumerate(CONTENTS, start=1):
        put(to_pil(load_image(EXAMPLES / content)), row, 0)
        for col, style in enumerate(STYLES, start=1):
            if not quiet:
                print(f"{content} in the style of {style}")
            bar = progress() if progress else None
            try:
                result = stylize(EXAMPLES / content, [EXAMPLES / style], options, callback=bar)
            finally:
                if bar is not None and hasattr(bar, "close"):
                    bar.close()
            save_image(result, output_dir / f"{Path(content).stem}_{Path(style).stem}.jpg")
            put(result, row, col)
    return save_image(grid, output_dir / "grid.jpg")
