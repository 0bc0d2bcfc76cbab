
import numpy as np
import pytest
import torch

from restyle.errors import RestyleError
from restyle.feedforward.modelfile import save_model
from restyle.feedforward.onnx import export_onnx
from restyle.feedforward.runtime import load_model
from tests.conftest import DEVICE
from tests.feedforward.conftest import lively_net
from tests.feedforward.conftest import random_photo as _photo


def test_onnx_export_agrees_with_torch(tmp_path, model_file):
    pytest.importorskip("onnxruntime")
    onnx_path = export_onnx(model_file, tmp_path / "m.onnx")
    torch_model = load_model(model_file, device=DEVICE, precision="fp32")
    onnx_model = load_model(onnx_path, device=DEVICE)
    assert onnx_model.backend == "onnx" and onnx_model.metadata["style_name"] == "test"
    for h, w in [(64, 48), (37, 53)]:  # dynamic height and width, odd sizes padded
        photo = torch.from_numpy(_photo(h, w, seed=h)).permute(2, 0, 1).float() / 255
        a, b = torch_model.tensor(photo), onnx_model.tensor(photo)
        assert a.std() > 0.1 and (a - b).abs().max() < 1e-3
    # Two passes (coarse) are the runtime's: an exported model paints them alike in restyle
    two = [load_model(p, device=DEVICE, precision="fp32", coarse=0.5) for p in (model_file, onnx_path)]
    assert (two[0].tensor(photo) - two[1].tensor(photo)).abs().max() < 1e-3
    trained = save_model(lively_net(), tmp_path / "c.safetensors", {"style_name": "c", "settings": {"coarse": 0.5}})
    assert load_model(export_onnx(trained, tmp_path / "c.onnx"), device=DEVICE).coarse == 0.5  # as it was trained


def test_a_dilated_network_exports_and_paints_small_photos_alike(tmp_path):
    pytest.importorskip("onnxruntime")
    net = lively_net(width=8, blocks=3, dilation=2)
    path = save_model(net, tmp_path / "d.safetensors", {"style_name": "d"}, dtype=torch.float32)
    torch_model, onnx_model = load_model(path, device=DEVICE, precision="fp32"), load_model(
        export_onnx(path, tmp_path / "d.onnx"), device=DEVICE)
    for h, w in [(64, 48), (5, 7)]:  # 5x7: padded to the dilated layers' smallest side, 12
        photo = torch.from_numpy(_photo(h, w, seed=h)).permute(2, 0, 1).float() / 255
        a, b = torch_model.tensor(photo), onnx_model.tensor(photo)
        assert a.shape == (3, h, w) and (a - b).abs().max() < 1e-3


def test_an_exported_model_keeps_its_margin(tmp_path):
    pytest.importorskip("onnxruntime")
    net = lively_net(width=8, blocks=2)
    path = save_model(net, tmp_path / "m.safetensors", {"style_name": "m", "settings": {"margin": 8}},
                      dtype=torch.float32)
    torch_model, onnx_model = load_model(path, device=DEVICE, precision="fp32"), load_model(
        export_onnx(path, tmp_path / "m.onnx"), device=DEVICE)
    assert onnx_model.margin == 8
    photo = torch.from_numpy(_photo(37, 53)).permute(2, 0, 1).float() / 255
    assert (torch_model.tensor(photo) - onnx_model.tensor(photo)).abs().max() < 1e-3


def test_a_preset_exports_by_its_name(tmp_path):
    pytest.importorskip("onnxruntime")
    exported = load_model(export_onnx("starry_night", tmp_path / "s.onnx"), device=DEVICE)
    preset = load_model(preset="starry_night", device=DEVICE, precision="fp32")
    photo = torch.from_numpy(_photo(48, 64)).permute(2, 0, 1).float() / 255
    assert exported.name == "starry_night" and (exported.tensor(photo) - preset.tensor(photo)).abs().max() < 1e-3


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


def test_onnx_refuses_an_image_that_would_not_fit(tmp_path, model_file):
    pytest.importorskip("onnxruntime")
    model = load_model(export_onnx(model_file, tmp_path / "m.onnx"), device=DEVICE, max_memory=0.01)  # 10 MB
    with pytest.raises(RestyleError, match=r"an \.onnx model, more than the memory budget .* raise max_memory"):
        model(np.zeros((200, 200, 3), np.uint8))  # about 48 MB
    assert model(np.zeros((40, 40, 3), np.uint8)).size == (40, 40)


@pytest.mark.parametrize("metadata, message", [("{oops", "its metadata is not JSON"),
                                               ('{"settings": {"coarse": 3}}', "coarse must be between 0 and 1"),
                                               ('{"network": "wide"}', "network shape 'wide'")])
def test_an_exported_model_with_damaged_metadata_is_refused_naming_it(tmp_path, model_file, metadata, message):
    pytest.importorskip("onnxruntime")
    import onnx
    graph = onnx.load(str(export_onnx(model_file, tmp_path / "m.onnx")))
    next(p for p in graph.metadata_props if p.key == "restyle").value = metadata
    onnx.save(graph, str(tmp_path / "odd.onnx"))
    with pytest.raises(RestyleError, match=f"odd.onnx: .*{message}"):
        load_model(tmp_path / "odd.onnx", device=DEVICE)
