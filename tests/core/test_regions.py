import io

import numpy as np
import pytest
import torch
from PIL import Image

from restyle.core.regions import blur, color_name, composite, parse_color, read_regions
from restyle.errors import RestyleError

RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 255, 0)


@pytest.mark.parametrize("text, rgb", [("ff0000", RED), ("#0000FF", BLUE), ("00ff00", GREEN), ("0", (0, 0, 0)),
                                       ("255", (255, 255, 255)), (" 128 ", (128, 128, 128))])
def test_a_colour_is_hex_or_a_grey_level(text, rgb):
    assert parse_color(text) == rgb
    assert color_name(rgb) == "".join(f"{c:02x}" for c in rgb)


@pytest.mark.parametrize("text", ["red", "256", "ff00", "0f0", "-1", ""])
def test_a_bad_colour_is_refused(text):
    with pytest.raises(RestyleError, match="region colour"):
        parse_color(text)


def _halves(w=8, h=4, left=RED, right=BLUE) -> np.ndarray:
    mask = np.zeros((h, w, 3), np.uint8)
    mask[:, : w // 2], mask[:, w // 2:] = left, right
    return mask


def test_each_pixel_belongs_to_its_colour_and_the_mask_is_stretched_nearest_neighbour():
    regions, notes = read_regions(_halves(), [RED, BLUE], (2, 4))
    assert regions.labels.tolist() == [[0, 0, 1, 1], [0, 0, 1, 1]] and notes == []
    square, notes = read_regions(_halves(), [RED, BLUE], (4, 4))
    assert square.labels.tolist() == [[0, 0, 1, 1]] * 4
    assert notes == ["mask image: 8x4 has another aspect ratio than the photo (4x4); stretched"]
    same, notes = read_regions(_halves(), [RED, BLUE], (8, 16))
    assert notes == [] and same.labels[:, :8].eq(0).all() and same.labels[:, 8:].eq(1).all()


def test_anti_aliased_edges_and_jpeg_masks_are_read():
    mask = _halves(64, 32)
    mask[:, 31] = (128, 0, 127)  # an anti-aliased column between red and blue
    buf = io.BytesIO()
    Image.fromarray(mask).save(buf, "JPEG", quality=70)
    regions, _ = read_regions(Image.open(buf), [RED, BLUE], (32, 64))
    assert regions.labels[:, :28].eq(0).all() and regions.labels[:, 36:].eq(1).all()


def test_a_colour_no_region_names_is_listed_and_refused():
    mask = _halves(right=GREEN)
    with pytest.raises(RestyleError, match=r"colours no region names: 00ff00 \(50%\)"):
        read_regions(mask, [RED, BLUE], (4, 8))


def test_a_region_with_no_pixel_is_a_note():
    _, notes = read_regions(_halves(), [RED, BLUE, GREEN], (4, 8))
    assert notes == ["region 00ff00 covers no pixel of mask image"]


def test_weights_are_hard_without_feather_and_blend_with_it():
    regions, _ = read_regions(_halves(64, 16), [RED, BLUE], (16, 64))
    hard = regions.weights((16, 64))
    assert hard.shape == (2, 1, 16, 64) and set(hard.unique().tolist()) == {0.0, 1.0}
    soft = regions.weights((16, 64), feather=8)
    assert torch.allclose(soft.sum(0), torch.ones(1, 16, 64))
    row = soft[0, 0, 0]
    assert row[0] == 1 and row[-1] == 0 and 0.4 < row[31] < 0.7 and 0 < row[36] < 0.3  # the edge is soft
    assert torch.equal(regions.weights((4, 16)), regions.weights((4, 16)))  # a smaller size: area-averaged
    assert set(regions.weights((4, 16)).unique().tolist()) == {0.0, 1.0}


def test_blur_keeps_a_constant_and_its_total():
    flat = torch.full((1, 1, 9, 9), 0.3)
    assert torch.allclose(blur(flat, 2.0), flat)
    dot = torch.zeros(1, 1, 21, 21)
    dot[..., 10, 10] = 1
    out = blur(dot, 1.5)
    assert torch.isclose(out.sum(), torch.tensor(1.0)) and out[..., 10, 10] == out.max()


def test_composite_mixes_by_the_weights():
    a, b = torch.zeros(3, 2, 2), torch.ones(3, 2, 2)
    w = torch.tensor([[[[1.0, 0.25], [0.5, 0.0]]], [[[0.0, 0.75], [0.5, 1.0]]]])
    assert torch.allclose(composite([a, b], w), torch.tensor([[0.0, 0.75], [0.5, 1.0]]).expand(3, 2, 2))
