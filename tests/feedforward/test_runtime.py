import json
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from restyle.errors import RestyleError
from restyle.feedforward.modelfile import FORMAT, presets, save_model
from restyle.feedforward.network import StyleNetwork as TransformerNet
from restyle.feedforward.onnx import export_onnx
from restyle.feedforward.runtime import StyleModel, load_model
from restyle.feedforward.tiled import HALO, _spans


def lively_net(seed: int = 0) -> TransformerNet:
    """A random-weight network whose output spans most of [0, 1] (a fresh one's is nearly constant)."""
    torch.manual_seed(seed)
    net = TransformerNet().eval()
    for norm in net.norms():
        norm.weight.data.uniform_(0.5, 1.5)
        norm.bias.data.uniform_(-0.5, 0.5)
    net.head[1].weight.data *= 120
    net.head[1].bias.data.fill_(127.0)
    return net


@pytest.fixture
def model_file(tmp_path):
    return save_model(lively_net(), tmp_path / "m.safetensors", {"style_name": "test"}, dtype=torch.float32)


def _photo(h, w, seed=0):
    return (np.random.default_rng(seed).random((h, w, 3)) * 255).astype(np.uint8)


def test_save_load_round_trip(tmp_path, model_file):
    net = lively_net()
    model = load_model(model_file, device="cpu", precision="fp32")
    for k, v in net.state_dict().items():
        assert torch.equal(model.net.state_dict()[k], v), k
    assert model.metadata == {"format": FORMAT, "style_name": "test"} and model.name == "test"
    half = load_model(save_model(net, tmp_path / "h.safetensors", {}), device="cpu", precision="fp32")
    assert (tmp_path / "h.safetensors").stat().st_size < 0.55 * model_file.stat().st_size  # fp16 on disk
    x = torch.rand(3, 40, 40)
    assert (half.tensor(x) - model.tensor(x)).abs().max() < 2e-3


def test_output_size_equals_input_for_odd_sizes(model_file):
    model = load_model(model_file, device="cpu")
    for h, w in [(37, 53), (1, 5), (3, 3), (64, 48)]:
        out = model(_photo(h, w))
        assert out.size == (w, h)
    assert isinstance(model(Image.fromarray(_photo(9, 7))), Image.Image)


def test_frame_is_the_uint8_path_to_the_same_image(model_file):
    model = load_model(model_file, device="cpu")
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


def test_spans_are_aligned_and_cover():
    for n, tile in [(100, 32), (64, 64), (8, 4), (1000, 333)]:
        spans = _spans(n, tile)
        assert spans[0][0] == 0 and spans[-1][1] == n
        assert all(a % 4 == 0 and b - a <= tile + 4 for a, b in spans)
        assert all(b == c for (_, b), (c, _) in zip(spans, spans[1:]))


def test_tiled_equals_untiled(model_file):
    whole = load_model(model_file, device="cpu", precision="fp32")
    tiled = load_model(model_file, device="cpu", precision="fp32", tile_size=48)
    photo = torch.from_numpy(_photo(150, 230)).permute(2, 0, 1).float() / 255
    a, b = whole.tensor(photo), tiled.tensor(photo)
    assert tiled._tile_side(152, 232) == 48 and 230 > 48 + 2 * HALO  # really several tiles, halos included
    assert a.std() > 0.1  # a lively output, not a flat one
    assert (a - b).abs().max() < 1e-4
    assert all(n.fixed is None and n.observe is None for n in tiled.net.norms())  # left as found


def test_small_budget_tiles_and_too_small_is_an_error(model_file):
    model = load_model(model_file, device="cpu", max_memory=0.05)  # enough for tiles in fp32 or bf16
    assert model._tile_side(2000, 2000) is not None
    with pytest.raises(RestyleError, match="too small"):
        load_model(model_file, device="cpu", max_memory=1e-6)._tile_side(2000, 2000)


def test_strength_and_preserve_color(model_file):
    model = load_model(model_file, device="cpu", precision="fp32")
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


@pytest.mark.parametrize("case", ["missing", "directory", "garbage", "no-metadata", "wrong-tensors", "both"])
def test_load_errors(tmp_path, model_file, case):
    from safetensors.torch import save_file
    path = tmp_path / "bad.safetensors"
    kwargs = {}
    if case == "missing":
        path = tmp_path / "nope.safetensors"
    elif case == "directory":
        path = tmp_path
    elif case == "garbage":
        path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!")
    elif case == "no-metadata":
        save_file({"w": torch.zeros(2)}, str(path))
    elif case == "wrong-tensors":
        save_file({"w": torch.zeros(2)}, str(path), metadata={"restyle": json.dumps({"format": FORMAT})})
    else:
        kwargs["preset"] = "starry_night"
    with pytest.raises(RestyleError) as e:
        load_model(path, device="cpu", **kwargs)
    assert "\n" not in str(e.value)


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(RestyleError, match="no preset named 'nope'"):
        load_model(preset="nope")


def test_presets_load_and_apply():
    for name in presets():
        model = load_model(preset=name, device="cpu")
        assert model.metadata["style_name"] == name and model(_photo(20, 28)).size == (28, 20)


def test_onnx_export_agrees_with_torch(tmp_path, model_file):
    pytest.importorskip("onnxruntime")
    onnx_path = export_onnx(model_file, tmp_path / "m.onnx")
    torch_model = load_model(model_file, device="cpu", precision="fp32")
    onnx_model = load_model(onnx_path, device="cpu")
    assert onnx_model.backend == "onnx" and onnx_model.metadata["style_name"] == "test"
    for h, w in [(64, 48), (37, 53)]:  # dynamic height and width, odd sizes padded
        photo = torch.from_numpy(_photo(h, w, seed=h)).permute(2, 0, 1).float() / 255
        a, b = torch_model.tensor(photo), onnx_model.tensor(photo)
        assert a.std() > 0.1 and (a - b).abs().max() < 1e-3


@pytest.mark.parametrize("case", ["onnx-input", "wrong-suffix", "missing"])
def test_export_errors(tmp_path, model_file, case):
    src, out = model_file, tmp_path / "m.onnx"
    if case == "onnx-input":
        src = tmp_path / "x.onnx"
        src.write_bytes(b"x")
    elif case == "wrong-suffix":
        out = tmp_path / "m.bin"
    else:
        src = tmp_path / "nope.safetensors"
    with pytest.raises(RestyleError):
        export_onnx(src, out)
    assert not out.exists()


def test_repr_and_backend(model_file):
    model = load_model(model_file, device="cpu")
    assert isinstance(model, StyleModel) and model.backend == "torch" and "test" in repr(model)
