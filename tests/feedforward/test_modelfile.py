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
    assert model.metadata == {"format": FORMAT, "style_name": "test"} and model.name == "test"
    half = load_model(save_model(net, tmp_path / "h.safetensors", {}), device=DEVICE, precision="fp32")
    assert (tmp_path / "h.safetensors").stat().st_size < 0.55 * model_file.stat().st_size  # fp16 on disk
    x = torch.rand(3, 40, 40)
    assert (half.tensor(x) - model.tensor(x)).abs().max() < 2e-3


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
        load_model(path, device=DEVICE, **kwargs)
    assert "\n" not in str(e.value)


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(RestyleError, match="no preset named 'nope'"):
        load_model(preset="nope")


def test_presets_load_and_apply():
    for name in presets():
        model = load_model(preset=name, device=DEVICE)
        assert model.metadata["style_name"] == name and model(_photo(20, 28)).size == (28, 20)
