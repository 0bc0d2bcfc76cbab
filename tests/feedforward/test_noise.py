import pytest
import torch

from restyle.feedforward.noise import PERIOD, pattern, with_noise
from tests.conftest import DEVICE


def test_no_noise_is_the_photo_itself():
    photo = torch.rand(3, 8, 8)
    assert with_noise(photo, 0.0) is photo


def test_the_fixed_pattern_is_one_grey_value_a_pixel_the_same_every_time_and_for_every_image():
    grey = torch.full((2, 3, 64, 48), 0.5, device=DEVICE)
    noisy = with_noise(grey, 0.05)
    added = noisy - 0.5
    assert torch.equal(added[:, 0], added[:, 1]) and torch.equal(added[:, 0], added[:, 2])  # shared by the channels
    assert torch.equal(added[0], added[1])  # every image of the batch alike
    assert torch.equal(with_noise(grey[0], 0.05), noisy[0])  # painted alone: the same
    assert float(added.std()) == pytest.approx(0.05, rel=0.1) and abs(float(added.mean())) < 0.01
    assert torch.equal(grey, torch.full_like(grey, 0.5))  # the photo itself untouched


def test_a_generator_draws_fresh_noise_for_each_image_and_again_the_same_from_the_same_seed():
    grey = torch.full((2, 3, 32, 32), 0.5)
    first = with_noise(grey, 0.05, torch.Generator().manual_seed(7)) - 0.5
    assert not torch.equal(first[0], first[1])
    assert torch.equal(with_noise(grey, 0.05, torch.Generator().manual_seed(7)) - 0.5, first)
    assert not torch.equal(with_noise(grey, 0.05, torch.Generator().manual_seed(8)) - 0.5, first)


def test_the_result_stays_within_pixel_values():
    photo = torch.tensor([0.0, 1.0]).repeat(3, 16, 8)
    out = with_noise(photo, 0.5)
    assert out.min() >= 0 and out.max() <= 1 and out.dtype == photo.dtype
    assert (out[..., 0] > 0).any() and (out[..., 1] < 1).any()  # moved off both ends


def test_the_pattern_is_standard_normal_white_noise():
    p = pattern(256, 256, device=DEVICE)[0].double()
    assert abs(float(p.mean())) < 0.02 and float(p.std()) == pytest.approx(1, abs=0.02)
    assert float((p > 1).double().mean()) == pytest.approx(0.1587, abs=0.01)  # a normal's tail, not a uniform's
    for a, b in ((p[:, 1:], p[:, :-1]), (p[1:], p[:-1]), (p[1:, 1:], p[:-1, :-1])):  # neighbours unrelated
        assert abs(float((a * b).mean())) < 0.02


def test_each_pixels_value_is_set_by_its_position():
    whole = pattern(40, 50, device=DEVICE)
    assert torch.equal(pattern(8, 9, (12, 30), DEVICE), whole[:, 12:20, 30:39])  # a window agrees with the whole
    assert torch.equal(pattern(4, 4, (-2, -3), DEVICE)[:, 2:, 3:], whole[:, :2, :1])  # before the origin too
    assert torch.equal(pattern(2, 2, (PERIOD, PERIOD), DEVICE), whole[:, :2, :2])  # repeats after PERIOD
    grey = torch.full((3, 8, 9), 0.5, device=DEVICE)
    assert torch.allclose(with_noise(grey, 0.1, origin=(12, 30)) - 0.5, 0.1 * whole[:, 12:20, 30:39], atol=1e-6)
