import numpy as np
import pytest
import torch

import restyle
from restyle.core.images import fit_size, load_image, resize, to_uint8
from restyle.core.losses import Guide, PerceptualLoss, gram
from restyle.core.vgg import load_vgg
from restyle.errors import RestyleError
from restyle.optimize.regions import plan_regions
from tests.conftest import DEVICE, EXAMPLES, halves

PHOTO, WAVE, SCREAM = EXAMPLES / "tubingen.jpg", EXAMPLES / "great_wave.jpg", EXAMPLES / "the_scream.jpg"
RUN = dict(size=64, iterations=20, device=DEVICE, seed=0, precision="fp32")



def test_one_region_over_the_whole_photo_is_the_loss_and_the_run_without_regions():
    net = load_vgg(["relu1_1", "relu3_1", "relu4_2"], torch.device(DEVICE))
    loss = PerceptualLoss(net, {"relu4_2": 1.0}, {"relu1_1": 0.5, "relu3_1": 0.5})
    content, style = _tensor(PHOTO, 64).to(DEVICE), _tensor(WAVE, 64).to(DEVICE)
    plain = loss.with_targets(content, [style])
    guided = loss.with_targets(content, [style], guide=Guide(torch.ones(1, 1, 48, 64, device=DEVICE),
                                                             torch.ones(1, 1)))
    terms = []
    for judged in (plain, guided):
        x = torch.rand(1, 3, 48, 64, generator=torch.Generator().manual_seed(0)).to(DEVICE).requires_grad_(True)
        value = judged.terms(x)
        value.sum().backward()
        terms.append((value.detach(), x.grad))
    torch.testing.assert_close(terms[1][0], terms[0][0], rtol=1e-5, atol=1e-7)
    assert (terms[1][1] - terms[0][1]).abs().max() <= 1e-4 * terms[0][1].abs().max()
    run = dict(RUN, iterations=2)
    one = np.asarray(restyle.stylize(PHOTO, regions={"0": WAVE}, mask=np.zeros((3, 4), np.uint8), **run), np.int16)
    assert np.abs(one - np.asarray(restyle.stylize(PHOTO, WAVE, **run), np.int16)).mean() < 0.5  # rounding only


def test_a_region_named_none_keeps_the_photo():
    out = np.asarray(restyle.stylize(PHOTO, regions={"0": WAVE, "255": "none"}, mask=halves(), **RUN), np.int16)
    kept = to_uint8(_tensor(PHOTO, 64)).astype(np.int16)
    assert out.shape == kept.shape == (48, 64, 3)
    assert np.array_equal(out[:, 32:], kept[:, 32:])  # the photo itself, exactly
    assert np.abs(out[:, :24] - kept[:, :24]).mean() > 10  # painted


def _style_distance(image, painting) -> float:
    net = load_vgg(["relu2_1", "relu3_1"], torch.device("cpu"))
    loss = PerceptualLoss(net, {}, {"relu2_1": 0.5, "relu3_1": 0.5})
    loss = loss.with_targets(styles=[_tensor(painting, 64)])
    return loss.style_term(loss.features(_tensor(image))).item()


def _tensor(image, size=None):
    x = load_image(image)
    return resize(x, fit_size(*x.shape[1:], size))[None] if size else x[None]


def test_each_region_takes_its_own_painting():
    out = np.asarray(restyle.stylize(PHOTO, regions={"0": WAVE, "255": SCREAM}, mask=halves(), **RUN))
    left, right = out[:, :28], out[:, 36:]
    assert _style_distance(left, WAVE) < _style_distance(left, SCREAM)
    assert _style_distance(right, SCREAM) < _style_distance(right, WAVE)


def test_a_region_with_several_paintings_blends_them():
    plan, styles, _ = plan_regions({"0": [WAVE, SCREAM], "255": WAVE}, halves(), (48, 64), feather=0,
                                   max_pixels=10**8)
    assert styles == [WAVE, SCREAM] and plan.blends.tolist() == [[0.5, 0.5], [1.0, 0.0]]
    assert plan.styled == [0, 1] and plan.kept == []
    guide = plan.guide((24, 32), torch.device("cpu"))
    assert guide.masks.shape == (2, 1, 24, 32) and torch.allclose(guide.shares(), torch.tensor([0.5, 0.5]))


def test_the_guided_gram_of_a_region_matches_its_crop():
    f = torch.rand(1, 8, 6, 10)
    plan, _, _ = plan_regions({"0": WAVE, "255": "none"}, halves(6, 10), (6, 10), feather=0, max_pixels=10**8)
    masks = plan.guide((6, 10), torch.device("cpu")).masks
    assert torch.allclose(gram(f, masks)[0], gram(f[..., :5])[0], atol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    (dict(styles=WAVE, regions={"0": WAVE}, mask=halves()), "one of them"),
    (dict(), "one of them"),
    (dict(regions={"0": WAVE}), "regions need a mask"),
    (dict(regions={}, mask=halves()), "a mask needs regions"),
    (dict(regions={"0": WAVE}, mask=halves()), "colours no region names: ffffff"),
    (dict(regions={"0": "none", "255": None}, mask=halves()), "every region keeps the photo"),
    (dict(regions={"0": WAVE, "#000000": SCREAM, "255": WAVE}, mask=halves()), "named twice"),
    (dict(regions={"0": WAVE, "255": WAVE}, mask=halves(), style_blend=[1.0]), "style_blend does not apply"),
    (dict(regions={"0": WAVE, "255": WAVE}, mask=halves(), feather=-1), "feather"),
    (dict(regions={"red": WAVE}, mask=halves()), "region colour 'red'"),
])
def test_bad_regions_are_one_line_errors(kwargs, message):
    styles = kwargs.pop("styles", None)
    with pytest.raises(RestyleError, match=message):
        restyle.stylize(PHOTO, styles, **{**RUN, "iterations": 1}, **kwargs)


def test_an_empty_region_is_a_note_in_the_log():
    seen = []
    restyle.stylize(PHOTO, regions={"0": WAVE, "255": WAVE, "ff0000": SCREAM}, mask=halves(), log=seen.append,
                    **{**RUN, "iterations": 1})
    assert "region ff0000 covers no pixel of mask image" in seen


def test_regions_work_coarse_to_fine_with_colour_preservation_and_tiles():
    common = dict(size=96, iterations=2, device=DEVICE, seed=0, precision="fp32", multiscale=True, start_size=48,
                  preserve_color="luminance", mask=halves(72, 96), feather=4)
    seen = []
    whole = np.asarray(restyle.stylize(PHOTO, regions={"0": [WAVE, SCREAM], "255": "none"}, log=seen.append,
                                       **common), np.int16)
    tiled = np.asarray(restyle.stylize(PHOTO, regions={"0": [WAVE, SCREAM], "255": "none"}, tile_size=32,
                                       **common), np.int16)
    kept = to_uint8(_tensor(PHOTO, 96)).astype(np.int16)
    assert whole.shape == tiled.shape == (72, 96, 3) and any("96px" in line for line in seen)
    for out in (whole, tiled):
        assert np.abs(out[:, 60:] - kept[:, 60:]).max() <= 1
    assert np.abs(whole[:, :40] - tiled[:, :40]).mean() < 2  # the same run, over tiles
