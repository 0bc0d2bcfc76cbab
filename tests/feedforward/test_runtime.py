import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from restyle.core.images import load_image, resize, to_pil, to_uint8
from restyle.errors import RestyleError
from restyle.feedforward.modelfile import save_model
from restyle.feedforward.noise import with_noise
from restyle.feedforward.runtime import StyleModel, load_model
from tests.conftest import DEVICE
from tests.feedforward.conftest import lively_net
from tests.feedforward.conftest import random_photo as _photo


def test_output_size_equals_input_for_odd_sizes(model_file):
    model = load_model(model_file, device=DEVICE)
    for h, w in [(37, 53), (1, 5), (3, 3), (64, 48)]:
        out = model(_photo(h, w))
        assert out.size == (w, h)
    assert isinstance(model(Image.fromarray(_photo(9, 7))), Image.Image)


def test_frame_is_the_uint8_path_to_the_same_image(model_file):
    model = load_model(model_file, device=DEVICE)
    frame = _photo(37, 53, seed=1)
    out = model.frame(frame)
    assert out.dtype == np.uint8 and out.shape == (37, 53, 3)
    assert np.array_equal(out, np.asarray(model(frame)))
    assert np.array_equal(model.frame(torch.from_numpy(frame)), out)
    frame.flags.writeable = False  # as np.asarray(PIL image) gives: no warning, same result
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.array_equal(model.frame(frame), out)
    bgr = np.ascontiguousarray(frame[..., ::-1])
    assert np.array_equal(model.frame(bgr[..., ::-1]), out)  # a flipped view (negative strides) works
    for bad in (frame.astype(np.float32), frame[..., :2], frame[0], "frame.png", [[1, 2], [3]]):
        with pytest.raises(RestyleError, match="uint8"):
            model.frame(bad)


def test_strength_and_preserve_color(model_file):
    model = load_model(model_file, device=DEVICE, precision="fp32")
    photo = _photo(32, 40)
    same = np.asarray(model(photo, strength=0.0)).astype(int)
    assert np.abs(same - photo).max() <= 1
    photo_t = torch.from_numpy(photo).permute(2, 0, 1).float() / 255
    expected = ((model.tensor(photo_t) + photo_t) / 2).clamp(0, 1).permute(1, 2, 0).numpy() * 255
    half = np.asarray(model(photo, strength=0.5)).astype(float)
    assert np.abs(half - expected).max() <= 0.51
    photo = (photo // 2 + 64).astype(np.uint8)  # moderate colours, so the recombined ones are rarely clipped
    result = np.asarray(model(photo, preserve_color=True))
    kept = np.asarray(Image.fromarray(result).convert("YCbCr")).astype(int)
    orig = np.asarray(Image.fromarray(photo).convert("YCbCr")).astype(int)
    inside = ((result > 0) & (result < 255)).all(axis=2)
    assert inside.mean() > 0.5
    assert np.abs(kept[..., 1:] - orig[..., 1:])[inside].max() <= 3
    with pytest.raises(RestyleError, match="strength"):
        model(photo, strength=1.5)


def test_size_resizes_the_photo_first(model_file):
    model = load_model(model_file, device=DEVICE, precision="fp32")
    photo = _photo(40, 60)
    out = model(photo, size=30)
    assert out.size == (30, 20)
    # The same as painting the photo shrunk beforehand with restyle's resize (to rounding: the shrunk copy is
    # 8-bit here).
    smaller = np.asarray(to_pil(resize(load_image(photo), (20, 30))))
    assert np.abs(np.asarray(out, np.float32) - np.asarray(model(smaller), np.float32)).mean() < 3  # (15 with Lanczos)
    assert model(photo, size=90).size == (90, 60)
    for bad in (0, -3, 40000):
        with pytest.raises(RestyleError, match="size"):
            model(photo, size=bad)


def test_repr_and_backend(model_file):
    model = load_model(model_file, device=DEVICE)
    assert isinstance(model, StyleModel) and model.backend == "torch" and "test" in repr(model)


def test_frame_of_a_read_only_array_warns_nothing_and_leaves_warnings_alone(model_file, monkeypatch, recwarn):
    def no_catch_warnings(*args, **kwargs):
        raise AssertionError("catch_warnings is not thread-safe")

    model = load_model(model_file, device=DEVICE)
    monkeypatch.setattr(warnings, "catch_warnings", no_catch_warnings)
    frame = np.asarray(Image.fromarray(np.zeros((16, 24, 3), np.uint8)))  # read-only, as from PIL
    assert not frame.flags.writeable
    out = model.frame(frame)
    assert out.shape == (16, 24, 3) and out.dtype == np.uint8
    assert [str(w.message) for w in recwarn] == []


def test_a_model_trained_with_a_margin_paints_the_photo_framed_by_it(tmp_path):
    net = lively_net()
    path = save_model(net, tmp_path / "m.safetensors", {"style_name": "t", "settings": {"margin": 8}},
                      dtype=torch.float32)
    model = load_model(path, device="cpu", precision="fp32")
    photo = torch.from_numpy(_photo(37, 53)).permute(2, 0, 1).float() / 255
    padded = torch.nn.functional.pad(photo[None], (8, 8 + 3, 8, 8 + 3), mode="reflect")  # margin, then to 4s
    with torch.no_grad():
        expected = net(padded)[0, :, 8:45, 8:61]
    assert torch.allclose(model.tensor(photo), expected, atol=1e-5)
    plain = load_model(save_model(net, tmp_path / "p.safetensors", {"style_name": "t"}, dtype=torch.float32),
                       device="cpu", precision="fp32")
    assert not torch.allclose(plain.tensor(photo), expected, atol=1e-3)
    assert model(_photo(5, 3)).size == (3, 5)  # too small to reflect that far: the edge repeated


def test_a_model_trained_with_a_margin_in_two_passes_paints_as_training_does(tmp_path):
    # training paints a crop with its margin around it in two passes, the first at half the framed crop's size;
    # each pass framing its own input (the first pass's margin whole at half size) once painted another picture
    net = lively_net()
    path = save_model(net, tmp_path / "m.safetensors", {"style_name": "t", "settings": {"margin": 8, "coarse": 0.5}},
                      dtype=torch.float32)
    model = load_model(path, device=DEVICE, precision="fp32")
    photo = torch.from_numpy(_photo(48, 64)).permute(2, 0, 1).float() / 255
    framed = torch.nn.functional.pad(photo[None], (8, 8, 8, 8), mode="reflect").to(model.device)  # 64 x 80
    with torch.no_grad():
        net = net.to(model.device)
        half = net(resize(framed, (32, 40))).clamp(0, 1)
        expected = net(0.5 * framed + 0.5 * resize(half, (64, 80)).clamp(0, 1))[0, :, 8:56, 8:72]
    assert torch.allclose(model.tensor(photo), expected.cpu(), atol=1e-4)
    batch = torch.stack([photo, photo.flip(2)])
    assert torch.allclose(model.paint(batch)[0].cpu(), expected.cpu(), atol=1e-4)
    assert model(_photo(5, 3)).size == (3, 5)  # too small to reflect that far: the edge repeated


def test_coarse_paints_over_the_photo_mixed_with_its_half_size_painting(model_file):
    plain = load_model(model_file, device=DEVICE, precision="fp32")
    model = load_model(model_file, device=DEVICE, precision="fp32", coarse=0.25)
    photo = torch.from_numpy(_photo(38, 53)).permute(2, 0, 1).float() / 255
    half = plain.tensor(resize(photo, (19, 26))).clamp(0, 1)  # (half of 53 rounds to 26)
    mixed = 0.75 * photo + 0.25 * resize(half, (38, 53)).clamp(0, 1)
    assert torch.allclose(model.tensor(photo), plain.tensor(mixed), atol=1e-4)
    assert not torch.allclose(model.tensor(photo), plain.tensor(photo), atol=1e-2)
    frame = _photo(38, 53)
    assert np.array_equal(model.frame(frame), np.asarray(model(frame)))  # every path paints the two passes
    batch = torch.stack([photo, photo.flip(2)]).to(model.device)
    assert torch.allclose(model.paint(batch)[1], model.paint(batch[1]), atol=1e-4)
    zero = load_model(model_file, device=DEVICE, precision="fp32", coarse=0)
    assert torch.equal(zero.tensor(photo), plain.tensor(photo))
    assert model(_photo(1, 5)).size == (5, 1)  # half of one pixel is still one


def test_a_model_trained_in_two_passes_paints_so_unless_told_otherwise(tmp_path):
    path = save_model(lively_net(), tmp_path / "m.safetensors", {"style_name": "t", "settings": {"coarse": 0.25}},
                      dtype=torch.float32)
    photo = torch.from_numpy(_photo(38, 53)).permute(2, 0, 1).float() / 255
    by_default, told = load_model(path, device=DEVICE, precision="fp32"), load_model(path, device=DEVICE,
                                                                                     precision="fp32", coarse=0.25)
    assert by_default.coarse == 0.25 and torch.equal(by_default.tensor(photo), told.tensor(photo))
    assert load_model(path, device=DEVICE, coarse=0).coarse == 0


def test_coarse_must_be_a_fraction(model_file):
    for bad in (-0.1, 1.5, True, "0.5"):
        with pytest.raises(RestyleError, match="coarse must be between 0 and 1"):
            load_model(model_file, device=DEVICE, coarse=bad)
        with pytest.raises(RestyleError, match="coarse must be between 0 and 1"):
            load_model(model_file, device=DEVICE).copy_with(coarse=bad)


def test_a_copy_with_other_settings_shares_the_network_and_paints_as_loaded_so(model_file):
    one = load_model(model_file, device=DEVICE, precision="fp32")
    photo = torch.from_numpy(_photo(38, 53)).permute(2, 0, 1).float() / 255
    for settings in (dict(coarse=0.5), dict(noise=0.05), dict(coarse=0.5, noise=0.05)):
        two = one.copy_with(**settings)
        assert two.net is one.net and (one.coarse, one.noise) == (0.0, 0.0)
        assert (two.coarse, two.noise) == (settings.get("coarse", 0.0), settings.get("noise", 0.0))
        loaded = load_model(model_file, device=DEVICE, precision="fp32", **settings)
        assert torch.equal(two.tensor(photo), loaded.tensor(photo))
    with pytest.raises(RestyleError, match="noise must be at most 0.5"):
        one.copy_with(coarse=0.5, noise=0.6)


def test_noise_gives_a_flat_photo_texture_the_same_on_every_path(model_file):
    plain = load_model(model_file, device=DEVICE, precision="fp32")
    noisy = load_model(model_file, device=DEVICE, precision="fp32", noise=0.1)
    flat = torch.full((3, 40, 56), 0.5)
    assert plain.tensor(flat)[:, 8:-8, 8:-8].std(dim=(1, 2)).max() < 0.01  # one flat colour, away from the edges
    painted = noisy.tensor(flat)
    assert painted[:, 8:-8, 8:-8].std(dim=(1, 2)).min() > 0.05  # texture
    assert torch.equal(noisy.tensor(flat), painted)  # each time alike
    frame = (flat.permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()
    assert np.array_equal(noisy.frame(frame), np.asarray(noisy(frame)))  # every path adds the same noise
    assert np.array_equal(noisy.frame(frame), noisy.frame(frame))  # a video's frames: no flicker
    batch = torch.stack([flat, flat.flip(2)]).to(noisy.device)
    assert torch.allclose(noisy.paint(batch)[0], noisy.paint(batch[0]), atol=1e-5)
    assert torch.equal(noisy.tensor(flat.to(noisy.device)), painted)  # the model's own pattern, wherever the photo is
    kept = noisy.paint(flat.to(noisy.device), strength=0.0)
    assert torch.equal(kept.cpu(), flat)  # the blend with the photo takes the photo without noise


def test_origin_takes_the_noise_at_that_place_of_a_larger_picture(model_file):
    noisy = load_model(model_file, device=DEVICE, precision="fp32", noise=0.1)
    plain = load_model(model_file, device=DEVICE, precision="fp32")
    flat = torch.full((3, 40, 56), 0.5)
    shifted = noisy.tensor(flat, origin=(8, -12))
    assert torch.equal(shifted, plain.tensor(with_noise(flat, 0.1, origin=(8, -12))))
    assert not torch.allclose(shifted, noisy.tensor(flat), atol=1e-3)  # another place, another noise
    frame = (flat.permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()
    for path in (lambda o: np.asarray(noisy(frame, origin=o)),
                 lambda o: to_uint8(noisy.paint(torch.from_numpy(frame).permute(2, 0, 1).to(noisy.device) / 255,
                                                origin=o))):
        assert np.array_equal(path((8, -12)), noisy.frame(frame, (8, -12)))


def test_a_model_recording_noise_adds_it_unless_told_otherwise(tmp_path):
    path = save_model(lively_net(), tmp_path / "m.safetensors", {"style_name": "t", "settings": {"noise": 0.05}},
                      dtype=torch.float32)
    photo = torch.from_numpy(_photo(38, 53)).permute(2, 0, 1).float() / 255
    by_default = load_model(path, device=DEVICE, precision="fp32")
    assert by_default.noise == 0.05
    assert torch.equal(by_default.tensor(photo), load_model(path, device=DEVICE, precision="fp32",
                                                            noise=0.05).tensor(photo))
    none = load_model(path, device=DEVICE, precision="fp32", noise=0)
    assert none.noise == 0 and not torch.allclose(none.tensor(photo), by_default.tensor(photo), atol=1e-3)


def test_noise_must_be_a_standard_deviation_up_to_a_half(model_file):
    for bad, message in ((-0.1, "noise must be a finite number >= 0"), (0.6, "noise must be at most 0.5"),
                         (float("nan"), "noise must be a finite number"), ("0.1", "noise must be a finite number"),
                         (True, "noise must be a finite number")):
        with pytest.raises(RestyleError, match=message):
            load_model(model_file, device=DEVICE, noise=bad)


def test_loading_and_painting_leave_out_modules_that_only_slow_start_up():
    import subprocess
    import sys
    # Building the network by to_empty imported sympy (0.9 s), and asking whether an ONNX export runs imported
    # torch.onnx (0.25 s of the first pass): a one-photo command paid both.
    run = ("import sys, numpy as np; from restyle.feedforward.runtime import load_model; "
           f"load_model(preset='the_scream', device={DEVICE!r}).frame(np.zeros((48, 64, 3), np.uint8)); "
           "print(sorted(m for m in ('sympy', 'torch.onnx') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", run], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == "[]"
