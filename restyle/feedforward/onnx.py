"""ONNX: exporting a style model for other runtimes, and loading an exported one into onnxruntime."""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path
from typing import Optional

import torch

from ..core.images import write_atomic
from ..errors import RestyleError
from .modelfile import PathLike, checked_metadata, model_or_preset, read_model
from .styles import StyleChoice, choose_style


def load_session(path: Path, device: torch.device) -> tuple[object, dict, torch.device]:
    """(onnxruntime session, metadata, the device it runs on) for an exported model."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise RestyleError("running .onnx models needs onnxruntime: pip install 'restyle[onnx]'") from None
    providers = ["CPUExecutionProvider"]
    if device.type == "cuda" and "CUDAExecutionProvider" in ort.get_available_providers():
        providers.insert(0, "CUDAExecutionProvider")
    try:
        session = ort.InferenceSession(str(path), providers=providers)
    except Exception as e:  # onnxruntime raises its own exception types for unreadable graphs
        raise RestyleError(f"{path}: not a readable ONNX model ({type(e).__name__})") from None
    if [i.name for i in session.get_inputs()] != ["image"]:
        raise RestyleError(f"{path}: not a restyle ONNX model (its input is not named 'image')")
    try:
        meta = json.loads(session.get_modelmeta().custom_metadata_map.get("restyle", "{}"))
    except ValueError:
        raise RestyleError(f"{path}: not a restyle ONNX model (its metadata is not JSON)") from None
    runs_on = torch.device("cpu") if providers[0] == "CPUExecutionProvider" else device
    return session, checked_metadata(path, meta), runs_on


def export_onnx(model: PathLike, output: PathLike, opset: int = 17, mix: Optional[StyleChoice] = None) -> Path:
    """Write ``model`` (a .safetensors model, or a preset's name) as ONNX, height and width dynamic (multiples of 4;
    ``StyleModel`` pads other sizes), weights in float32, the metadata kept; of a model of several styles, the style
    or ``mix`` chosen, as ``load_model`` takes it. Needs the ``onnx`` package."""
    try:
        import onnx
    except ImportError:
        raise RestyleError("exporting to ONNX needs the onnx package: pip install 'restyle[onnx]'") from None
    if Path(model).suffix.lower() == ".onnx":
        raise RestyleError(f"{model}: is already an ONNX model")
    src = model_or_preset(model)
    out = Path(output)
    if out.suffix.lower() != ".onnx":
        raise RestyleError(f"{out}: the output of an export must end in .onnx")
    net, meta = choose_style(src, *read_model(src), mix)
    axes = {0: "batch", 2: "height", 3: "width"}
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = Path(tmp) / "model.onnx"
        torch.onnx.export(net, (torch.rand(1, 3, 64, 64),), str(raw), dynamo=False, opset_version=opset,
                          input_names=["image"], output_names=["stylized"],
                          dynamic_axes={"image": axes, "stylized": axes})
        graph = onnx.load(str(raw))
    graph.metadata_props.add(key="restyle", value=json.dumps(meta, sort_keys=True))
    data = graph.SerializeToString()
    return write_atomic(out, lambda f: f.write(data))
