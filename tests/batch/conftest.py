"""A batch's photos on disk: small gradients of a few sizes."""

import numpy as np
import pytest
from PIL import Image

from tests.conftest import gradient_image


def save(path, h: int, w: int, flip: bool = False) -> None:
    """A gradient photo of h x w at ``path`` (upside down with ``flip``)."""
    pixels = (gradient_image(h, w) * 255).astype(np.uint8)
    Image.fromarray(np.ascontiguousarray(pixels[::-1] if flip else pixels)).save(path)


@pytest.fixture
def photos(tmp_path):
    """A folder of three photos (two of one size), one of them in a subfolder."""
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    save(folder / "a.png", 32, 48)
    save(folder / "b.jpg", 32, 48, flip=True)
    save(folder / "sub" / "c.png", 40, 24)
    return folder
