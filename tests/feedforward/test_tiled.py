
import pytest
import torch

from restyle.errors import RestyleError
from restyle.feedforward.runtime import load_model
from restyle.feedforward.tiled import _spans, halo
from tests.conftest import DEVICE
from tests.feedforward.conftest import random_photo as _photo


def test_spans_are_aligned_and_cover():
    for n, tile in [(100, 32), (64, 64), (8, 4), (1000, 333)]:
        spans = _spans(n, tile)
        assert spans[0][0] == 0 and spans[-1][1] == n
        assert all(a % 4 == 0 and b - a <= tile + 4 for a, b in spans)
        assert all(b == c for (_, b), (c, _) in zip(spans, spans[1:]))


def test_tiled_equals_untiled(model_file):
    whole = load_model(model_file, device=DEVICE, precision="fp32")
    tiled = load_model(model_file, device=DEVICE, precision="fp32", tile_size=48)
    photo = torch.from_numpy(_photo(150, 230)).permute(2, 0, 1).float() / 255
    a, b = whole.tensor(photo), tiled.tensor(photo)
    assert tiled._tile_side(152, 232) == 48 and 230 > 48 + 2 * halo(tiled.net)  # really several tiles, halos included
    assert a.std() > 0.1  # a lively output, not a flat one
    assert (a - b).abs().max() < 1e-4


def test_small_budget_tiles_and_too_small_is_an_error(model_file):
    model = load_model(model_file, device=DEVICE, max_memory=0.05)  # enough for tiles in fp32 or bf16
    assert model._tile_side(2000, 2000) is not None
    with pytest.raises(RestyleError, match="too small"):
        load_model(model_file, device=DEVICE, max_memory=1e-6)._tile_side(2000, 2000)
