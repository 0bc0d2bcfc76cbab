import json

import pytest
import torch

from restyle.errors import RestyleError
from restyle.feedforward.modelfile import FORMAT, presets, save_model
from restyle.feedforward.runtime import load_model
from tests.conftest import DEVICE
from tests.feedforward.conftest import lively_net
from tests.feedforward.conftest import random_photo as _photo


def test_save_load_round_trip(tmp_path, model_file):
    net = lively_net()
    model = load_model(model_file, device=DEVICE, precision="fp32")
    for k, v in net.state_dict().items():
        assert torch.equal(model.net.state_dict()[k], v), k
    assert model.metadata == {"format": FORMAT, "network": {"width": 32, "blocks": 5}, "style_name": "test"}
    assert model.name == "test"
    half = load_model(save_model(net, tmp_path / "h.safetensors", {}), device=DEVICE, precision="fp32")
    assert (tmp_path / "h.safetensors").stat().st_size < 0.55 * model_file.stat().st_size  # fp16 on disk
    x = torch.rand(3, 40, 40)
    assert (half.tensor(x) - model.tensor(x)).abs().max() < 2e-3


def test_a_wider_shallower_network_round_trips_and_tiles_exactly(tmp_path):
    net = lively_net(width=16, blocks=2)
    path = save_model(net, tmp_path / "w.safetensors", {}, dtype=torch.float32)
    model = load_model(path, device=DEVICE, precision="fp32")
    assert model.net.shape == {"width": 16, "blocks": 2}
    x = torch.rand(1, 3, 100, 124)
    with torch.no_grad():
        assert torch.allclose(model.tensor(x), net.to(DEVICE)(x.to(DEVICE)), atol=1e-5)
    tiled = load_model(path, device=DEVICE, precision="fp32", tile_size=40)
    assert (tiled.tensor(x) - model.tensor(x)).abs().max() < 1e-4  # the halo follows the shallower network


def test_files_without_a_network_shape_load_as_the_default_network(tmp_path, model_file):
    from safetensors.torch import load_file, save_file
    old = tmp_path / "old.safetensors"
    save_file(load_file(str(model_file)), str(old), metadata={"restyle": json.dumps({"format": FORMAT})})
    assert load_model(old, device=DEVICE).net.shape == {"width": 32, "blocks": 5}


@pytest.mark.parametrize("case", ["missing", "directory", "garbage", "no-metadata", "wrong-tensors", "both",
                                  "bad-shape", "other-shape"])
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
    elif case in ("bad-shape", "other-shape"):  # a shape that is no shape; one the weights do not have
        from safetensors.torch import load_file
        shape = {"width": "wide"} if case == "bad-shape" else {"width": 32, "blocks": 6}
        save_file(load_file(str(model_file)), str(path),
                  metadata={"restyle": json.dumps({"format": FORMAT, "network": shape})})
    else:
        kwargs["preset"] = "starry_night"
    with pytest.raises(RestyleError) as e:
        load_model(path, device=DEVICE, **kwargs)
    assert "\n" not in str(e.value)


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(RestyleError, match="no preset named 'nope'"):
        load_model(preset="nope")


def test_presets_load_and_apply():
    for name in presets():
        model = load_model(preset=name, device=DEVICE)
        assert model.metadata["style_name"] == name and model(_photo(20, 28)).size == (28, 20)
