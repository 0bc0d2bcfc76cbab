import numpy as np
import pytest
import torch

from restyle.errors import RestyleError
from restyle.feedforward.regions import RegionModels
from restyle.feedforward.runtime import load_model
from tests.conftest import DEVICE, EXAMPLES, halves

PHOTO = EXAMPLES / "tubingen.jpg"



@pytest.fixture(scope="module")
def wave():
    return load_model(preset="great_wave", device=DEVICE)


@pytest.fixture(scope="module")
def scream():
    return load_model(preset="the_scream", device=DEVICE)


def test_each_region_is_its_models_painting_and_none_keeps_the_photo(wave, scream):
    out = np.asarray(RegionModels({"0": wave, "255": scream}, halves())(PHOTO, size=64), np.int16)
    alone = {m: np.asarray(m(PHOTO, size=64), np.int16) for m in (wave, scream)}
    assert np.array_equal(out[:, :32], alone[wave][:, :32]) and np.array_equal(out[:, 32:], alone[scream][:, 32:])
    kept = np.asarray(RegionModels({"0": wave, "255": "none"}, halves())(PHOTO, size=64), np.int16)
    photo = np.asarray(wave(PHOTO, size=64, strength=0.0), np.int16)
    assert np.array_equal(kept[:, 32:], photo[:, 32:]) and np.array_equal(kept[:, :32], alone[wave][:, :32])


def test_each_distinct_model_paints_once(wave, monkeypatch):
    runs = []
    real = type(wave).paint
    monkeypatch.setattr(type(wave), "paint", lambda self, *a, **k: runs.append(self) or real(self, *a, **k))
    mask = np.zeros((48, 64), np.uint8)
    mask[:, 20:40], mask[:, 40:] = 128, 255
    painter = RegionModels({"0": "great_wave", "128": "great_wave", "255": wave}, mask, device=DEVICE)
    assert len(painter.models) == 2  # the preset by name is loaded once; the loaded model is another
    painter(PHOTO, size=64)
    assert len(runs) == 2


def test_feather_softens_the_edge(wave):
    hard = np.asarray(RegionModels({"0": wave, "255": None}, halves())(PHOTO, size=64), np.float32)
    soft = np.asarray(RegionModels({"0": wave, "255": None}, halves(), feather=8)(PHOTO, size=64), np.float32)
    assert np.abs(soft[:, 26:38] - hard[:, 26:38]).mean() > 5  # mixed across the edge
    assert np.abs(soft[:, :16] - hard[:, :16]).max() <= 1 and np.abs(soft[:, 48:] - hard[:, 48:]).max() <= 1


def test_a_video_frame_is_painted_by_region(wave):
    painter = RegionModels({"0": wave, "255": None}, halves())
    frame = np.asarray(load_model(preset="great_wave", device=DEVICE)(PHOTO, size=64, strength=0.0))
    out = painter.frame(frame)
    assert out.dtype == np.uint8 and out.shape == frame.shape
    assert np.abs(out[:, 32:].astype(int) - frame[:, 32:]).max() <= 1


def test_a_region_paints_a_style_or_mix_of_a_model_of_several_styles(tmp_path):
    from restyle.feedforward.modelfile import save_model
    from tests.feedforward.conftest import lively_net

    ab = save_model(lively_net(width=8, blocks=1, styles=2), tmp_path / "ab.safetensors",
                    {"styles": [{"name": "a"}, {"name": "b"}]}, dtype=torch.float32)
    painter = RegionModels({"0": f"{ab}@a", "255": f"{ab}@ a:0.5,b:0.5 ", "80": f"{ab}@a"}, halves(), device=DEVICE)
    assert len(painter.models) == 2  # a file is loaded once per mix
    out = np.asarray(painter(PHOTO, size=64), np.int16)
    alone = {mix: np.asarray(load_model(ab, device=DEVICE, mix=mix)(PHOTO, size=64), np.int16)
             for mix in ("a", "a:0.5,b:0.5")}
    assert np.array_equal(out[:, :32], alone["a"][:, :32])
    assert np.array_equal(out[:, 32:], alone["a:0.5,b:0.5"][:, 32:])
    assert np.abs(alone["a"] - alone["a:0.5,b:0.5"]).mean() > 1  # the mix chose other styles
    odd = tmp_path / "x@y.safetensors"  # a file whose name holds "@" is that file
    odd.write_bytes(ab.read_bytes())
    with pytest.raises(RestyleError, match="a model of 2 styles"):
        RegionModels({"0": str(odd)}, halves(), device=DEVICE)
    for name, message in ((f"{ab}@", "no style mix after '@'"), (f"{ab}@c", "no style named 'c'"),
                          (f"{ab}", "a model of 2 styles"), (f"{tmp_path}/none.safetensors@a", "no such model file"),
                          ("great_wave@a", "a model of one style")):
        with pytest.raises(RestyleError, match=message) as e:
            RegionModels({"0": name, "255": None}, halves(), device=DEVICE)
        assert "\n" not in str(e.value)


@pytest.mark.parametrize("regions, message", [
    ({}, "needs regions"), ({"0": "none", "255": None}, "every region keeps the photo"),
    ({"0": "no_such_preset"}, "no such model file"), ({"0": "great_wave", "000000": "none"}, "named twice"),
    ({"0": "great_wave"}, "colours no region names: ffffff"),
])
def test_bad_regions_are_one_line_errors(regions, message):
    with pytest.raises(RestyleError, match=message):
        RegionModels(regions, halves(), device=DEVICE)(PHOTO, size=64)


def test_paint_keeps_strength_and_colour_options(wave):
    painter = RegionModels({"0": wave, "255": wave}, halves())
    photo = torch.rand(3, 16, 16)
    assert torch.allclose(painter.paint(photo, strength=0.0).cpu(), photo, atol=1e-6)
    with pytest.raises(RestyleError, match="strength"):
        painter.paint(photo, strength=2)
