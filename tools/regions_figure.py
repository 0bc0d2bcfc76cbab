"""Makes the README's regions picture (docs/images/regions.jpg) and its mask (docs/images/tubingen-sky-mask.png):
a mask of the Tübingen photo's sky (found by its colour, each column's blue run from the top) and the town, and
the optimizer's result with the sky after The Scream and the town after The Starry Night, side by side.

    python tools/regions_figure.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

import restyle
from restyle.core.regions import color_name

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "restyle" / "examples"
SKY, TOWN = (70, 130, 230), (230, 140, 60)


def sky_mask(photo: Image.Image) -> np.ndarray:
    """SKY over each column's run of blue pixels from the top, TOWN below it."""
    rgb = np.asarray(photo.convert("RGB")).astype(int)
    blue = (rgb[..., 2] > 140) & (rgb[..., 2] > rgb[..., 0] + 40)
    sky = np.cumprod(blue, axis=0).astype(bool)  # blue from the top down, without a break
    mask = np.empty(rgb.shape, np.uint8)
    mask[sky], mask[~sky] = SKY, TOWN
    return mask


def main() -> None:
    photo = Image.open(EXAMPLES / "tubingen.jpg").convert("RGB")
    photo.thumbnail((512, 512))
    mask = sky_mask(photo)
    Image.fromarray(mask).save(ROOT / "docs" / "images" / "tubingen-sky-mask.png", optimize=True)
    regions = {color_name(SKY): EXAMPLES / "the_scream.jpg", color_name(TOWN): EXAMPLES / "starry_night.jpg"}
    out = restyle.stylize(photo, regions=regions, mask=mask, size=512, feather=4, seed=0)
    w, h = out.size
    sheet = Image.new("RGB", (2 * w + 8, h), "white")
    sheet.paste(Image.fromarray(mask).resize((w, h), Image.NEAREST), (0, 0))
    sheet.paste(out, (w + 8, 0))
    path = ROOT / "docs" / "images" / "regions.jpg"
    sheet.save(path, quality=85)
    print("wrote", path)


if __name__ == "__main__":
    main()
