"""Choosing the device and the numeric precision the networks run in."""

from __future__ import annotations

import contextlib

import torch

from ..errors import RestyleError


def resolve_device(name: str = "auto") -> torch.device:
    """auto picks cuda, then mps, then cpu; asking for one that is absent is a RestyleError."""
    if name == "auto":
        if torch.cuda.is_available():
            name = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            name = "mps"
        else:
            name = "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise RestyleError("device cuda asked for, but PyTorch sees no CUDA GPU (this torch build: "
                               f"{torch.__version__}); use device cpu")
        # No backend flag is set here: they are process-wide (the command line turns TF32 on; bf16, the default
        # where a GPU has it, does not use it). cudnn.benchmark stays off: an iteration is bound by kernel
        # launches, not by convolution algorithms, so autotuning bought no speed and cost seconds of start-up.
    elif name == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise RestyleError("device mps asked for, but it is not available here; use device cpu")
    elif name != "cpu":
        raise RestyleError(f"unknown device {name!r}; use auto, cpu, cuda or mps")
    return torch.device(name)


def bf16_supported(device: torch.device) -> bool:
    """Whether the hardware runs bfloat16 convolutions natively (not emulated, which would be slower)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False


def resolve_precision(name: str, device: torch.device) -> torch.dtype:
    """The dtype the network runs in: bf16 where the hardware has it (auto), else float32."""
    if name == "fp32":
        return torch.float32
    if name == "bf16":
        if device.type == "mps":
            raise RestyleError("bf16 is not supported on mps; use precision fp32")
        return torch.bfloat16
    if name == "auto":
        return torch.bfloat16 if bf16_supported(device) else torch.float32
    raise RestyleError(f"unknown precision {name!r}; use auto, fp32 or bf16")


def autocast(device: torch.device, dtype: torch.dtype):
    """Autocast to ``dtype`` on ``device``; a no-op context for float32 (on any device, ``meta`` included)."""
    if dtype == torch.float32:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)
