import pytest
import torch

from restyle.feedforward.passes import with_coarse


def half_of(image):
    return image * 0.5


def test_a_constant_photo_mixed_with_its_halved_painting():
    # resizing keeps a constant image constant, so the mix is 0.8 (1 - c) + 0.4 c
    photo = torch.full((3, 38, 53), 0.8)
    for coarse, value in ((0.0, 0.8), (0.5, 0.6), (1.0, 0.4)):
        assert torch.allclose(with_coarse(photo, coarse, half_of), torch.tensor(value), atol=1e-6)


@pytest.mark.parametrize("shape, half", [((3, 38, 53), (19, 26)), ((2, 3, 5, 7), (2, 4)), ((3, 1, 1), (1, 1))])
def test_the_first_pass_sees_half_the_size_and_the_mix_has_the_photos(shape, half):
    seen = []

    def paint(image):
        seen.append(tuple(image.shape[-2:]))
        return image

    out = with_coarse(torch.rand(shape), 0.5, paint)
    assert seen == [half] and out.shape == shape and out.dtype == torch.float32


def test_the_painting_is_clamped_before_it_is_mixed():
    photo = torch.full((3, 8, 8), 0.5)
    assert torch.allclose(with_coarse(photo, 1.0, lambda image: image * 4), torch.tensor(1.0))
    assert torch.allclose(with_coarse(photo, 1.0, lambda image: image - 2), torch.tensor(0.0))
