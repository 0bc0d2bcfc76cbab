import json

import pytest
import torch

from restyle.errors import RestyleError
from restyle.feedforward import modelfile
from restyle.feedforward.modelfile import FORMAT, is_preset, presets, save_model
from restyle.feedforward.network import NormStats
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


def test_the_header_alone_gives_the_metadata_and_a_file_it_cannot_read_none(tmp_path, model_file):
    meta = modelfile.header_metadata(model_file)
    assert meta["style_name"] == "test" and meta["format"] == FORMAT
    assert meta == load_model(model_file, device="cpu").metadata
    for bad in (b"", b"\x10" + b"\x00" * 7 + b"[1, 2]" + b" " * 10, b"\x05" + b"\x00" * 7 + b"{oops"):
        (tmp_path / "bad.safetensors").write_bytes(bad)
        assert modelfile.header_metadata(tmp_path / "bad.safetensors") == {}
    assert modelfile.header_metadata(tmp_path / "missing.safetensors") == {}
    assert modelfile.styles_in(model_file) == []


def test_metadata_from_another_model_file_does_not_replace_the_network_shape(tmp_path, model_file):
    wide = lively_net(width=16, blocks=2)
    path = save_model(wide, tmp_path / "w.safetensors", load_model(model_file, device="cpu").metadata)
    meta = load_model(path, device="cpu").metadata
    assert meta["network"] == {"width": 16, "blocks": 2} and meta["format"] == FORMAT
    assert meta["style_name"] == "test"


def test_model_record_names_the_file_by_hash_and_keeps_its_training_not_its_results(tmp_path):
    meta = {"style_name": "dusk", "steps": 300, "seed": 4, "settings": {"style_weight": 15.0},
            "init": {"file": "start.safetensors", "steps": 2000}, "final_losses": {"style": 0.5}, "photos": ["a.jpg"]}
    path = save_model(lively_net(), tmp_path / "m.safetensors", meta)
    record = modelfile.model_record(path, meta)
    assert record.pop("sha256") == modelfile.file_sha256(path)
    assert record == {"file": "m.safetensors", "style_name": "dusk", "steps": 300, "seed": 4,
                      "settings": {"style_weight": 15.0}, "init": {"file": "start.safetensors", "steps": 2000}}


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


def test_a_dilated_network_round_trips_tiles_exactly_and_paints_a_tiny_photo(tmp_path):
    net = lively_net(width=8, blocks=3, dilation=2)
    path = save_model(net, tmp_path / "d.safetensors", {}, dtype=torch.float32)
    model = load_model(path, device=DEVICE, precision="fp32")
    assert model.net.shape == {"width": 8, "blocks": 3, "dilation": 2}
    assert model.net.receptive_field == 29 + 16 * (1 + 2 + 1)  # dilations 1, 2, 1
    x = torch.rand(1, 3, 100, 124)
    with torch.no_grad():
        assert torch.allclose(model.tensor(x), net.to(DEVICE)(x.to(DEVICE)), atol=1e-5)
    tiled = load_model(path, device=DEVICE, precision="fp32", tile_size=40)
    assert (tiled.tensor(x) - model.tensor(x)).abs().max() < 1e-4  # the halo follows the dilated network
    # a photo below the dilated layers' padding (12 px: quarter-size sides of 3 for a padding of 2) is padded to it
    assert model.tensor(torch.rand(3, 5, 7)).shape == (3, 5, 7)


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


@pytest.mark.parametrize("settings, message", [
    ([1, 2], "settings must be a table"), ({"margin": "x"}, "margin must be an even number"),
    ({"margin": 7}, "margin must be an even number"), ({"margin": -2}, "margin must be an even number"),
    ({"margin": True}, "margin must be an even number"), ({"margin": 40000}, "margin must be at most"),
    ({"coarse": 5}, "coarse must be between 0 and 1"), ({"coarse": "lots"}, "coarse must be between 0 and 1"),
    ({"noise": None}, "noise must be a finite number"), ({"noise": 0.9}, "noise must be at most 0.5")])
def test_a_file_recording_settings_it_cannot_paint_with_is_refused_naming_it(tmp_path, settings, message):
    path = save_model(lively_net(width=8, blocks=1), tmp_path / "odd.safetensors", {"settings": settings})
    with pytest.raises(RestyleError, match=f"odd.safetensors: not a model restyle can paint with .*{message}"):
        load_model(path, device=DEVICE)


def test_a_file_whose_metadata_is_no_table_is_refused(tmp_path, model_file):
    from safetensors.torch import load_file, save_file
    save_file(load_file(str(model_file)), str(tmp_path / "list.safetensors"), metadata={"restyle": "[1, 2]"})
    with pytest.raises(RestyleError, match="format None"):
        load_model(tmp_path / "list.safetensors", device=DEVICE)
    with pytest.raises(RestyleError, match="its metadata is not a table"):
        modelfile.checked_metadata(tmp_path / "list.safetensors", [1, 2])
    good = {"format": FORMAT, "settings": {"margin": 32, "coarse": 0.5, "noise": 0.02}}
    assert modelfile.checked_metadata(tmp_path / "m.safetensors", good) is good


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(RestyleError, match="no preset named 'nope'"):
        load_model(preset="nope")


def test_presets_load_and_apply():
    for name in presets():
        model = load_model(preset=name, device=DEVICE)
        assert model.metadata["style_name"] == name and model(_photo(20, 28)).size == (28, 20)


def _two_styles(path, names=("a", "b"), **extra):
    """A model file of a lively network of two styles named ``names`` (its metadata: ``extra`` added)."""
    net = lively_net(width=8, blocks=1, styles=2)
    return save_model(net, path, {"styles": [{"name": n} for n in names], **extra}, dtype=torch.float32), net


def test_a_model_of_several_styles_round_trips_each_style_and_mix(tmp_path):
    path, net = _two_styles(tmp_path / "two.safetensors")
    x = torch.rand(1, 3, 20, 24)
    for mix, weights in (("b", [0.0, 1.0]), ("a:0.25,b:0.75", [0.25, 0.75]), ({"a": 2, "b": 2}, [0.5, 0.5])):
        model = load_model(path, device=DEVICE, precision="fp32", mix=mix)
        with torch.no_grad():
            expected = net(x, NormStats(torch.tensor([weights])))
        assert torch.allclose(model.tensor(x)[None], expected, atol=1e-5)
        assert model.net.shape == {"width": 8, "blocks": 1}
    assert model.name == "a:0.5,b:0.5" and model.metadata["style_mix"] == {"a": 0.5, "b": 0.5}
    with pytest.raises(RestyleError, match=r"a model of 2 styles \(a, b\)"):
        load_model(path, device=DEVICE)


@pytest.mark.parametrize("styles", [None, [{"name": "a"}], [{"name": "a"}, {"name": "a"}], ["a", "b"],
                                    [{"name": "a"}, {"name": ""}]])
def test_a_model_of_several_styles_must_name_each(tmp_path, styles):
    from safetensors.torch import load_file, save_file
    path, _ = _two_styles(tmp_path / "two.safetensors")
    meta = {"format": FORMAT, "network": {"width": 8, "blocks": 1, "styles": 2}, "styles": styles}
    save_file(load_file(str(path)), str(path), metadata={"restyle": json.dumps(meta)})
    with pytest.raises(RestyleError, match="without their 2 distinct names"):
        load_model(path, device=DEVICE, mix="a")


def test_a_preset_of_several_styles_offers_each_style_and_their_mixes(tmp_path, monkeypatch, model_file):
    folder = tmp_path / "presets"
    folder.mkdir()
    _, net = _two_styles(folder / "pair.safetensors", names=("dawn", "dusk"))
    model_file.rename(folder / "single.safetensors")
    monkeypatch.setattr(modelfile, "PRESETS", folder)
    assert list(presets()) == ["dawn", "dusk", "single"]  # the styles, not the file of several
    assert is_preset("dawn:0.6,dusk:0.4") and is_preset("dusk") and not is_preset("dawn:1,single")
    x = torch.rand(1, 3, 20, 24)
    model = load_model(preset="dawn:0.6,dusk:0.4", device=DEVICE, precision="fp32")
    with torch.no_grad():
        assert torch.allclose(model.tensor(x)[None], net(x, NormStats(torch.tensor([[0.6, 0.4]]))), atol=1e-5)
    assert model.name == "dawn:0.6,dusk:0.4"
    for name, message in (("pair", "no preset named 'pair'"), ("dawn:1,single", "separate models"),
                          ("dawn:1,noon:1", "no preset named"), ("single:1", "no preset named")):
        with pytest.raises(RestyleError, match=message):
            load_model(preset=name, device=DEVICE)
    with pytest.raises(RestyleError, match="not both"):
        load_model(preset="dawn", mix="dusk", device=DEVICE)
