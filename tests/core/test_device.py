
import pytest
import torch

from restyle.core.device import bf16_supported, resolve_device, resolve_precision
from restyle.errors import RestyleError


def test_cpu_and_auto():
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else None
    if expected:
        assert resolve_device("auto").type == "cuda"
    elif not (torch.backends.mps.is_available()):
        assert resolve_device("auto") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_asked_for_but_absent():
    with pytest.raises(RestyleError, match="no CUDA GPU"):
        resolve_device("cuda")


def test_unknown_device():
    with pytest.raises(RestyleError, match="unknown device"):
        resolve_device("tpu")


def test_precision():
    cpu = torch.device("cpu")
    assert resolve_precision("fp32", cpu) == torch.float32
    assert resolve_precision("bf16", cpu) == torch.bfloat16
    assert resolve_precision("auto", cpu) == (torch.bfloat16 if bf16_supported(cpu) else torch.float32)
    with pytest.raises(RestyleError, match="unknown precision"):
        resolve_precision("fp8", cpu)
