"""Float32 inference convolutions through NNPACK's Winograd and FFT kernels, on CPUs where they beat oneDNN.

PyTorch ships NNPACK but picks it only for batches of 16 or more with oneDNN turned off, so ``conv2d`` calls it
directly, one image at a time (a large one in bands of rows), for unstrided, undilated float32 convolutions without
autograd. On a 2-core AMD EPYC with AVX2 the network's 3x3 convolutions run 2.5-3x faster and its 9x9 ones 1.4-4.8x,
a whole pass about 2x, with the same results to rounding (1e-5 relative; docs/performance.md). Where it was not
measured (AVX-512, ARM) and where a check at first use fails, ``conv2d`` is PyTorch's. Strided convolutions stay
with oneDNN, the faster there. NNPACK's threads are its own, as many as PyTorch's when it is first used.
"""

from __future__ import annotations

import threading
from typing import Optional

import torch
import torch.nn.functional as F

#: CPU capabilities (``torch.backends.cpu.get_cpu_capability()``) where NNPACK was measured faster than oneDNN.
MEASURED_FASTER = frozenset({"AVX2"})
#: Larger inputs are convolved in bands of rows of at most this many pixels (a 1080p frame is one band): NNPACK's
#: workspace grows with the input (a whole 4K pass peaked at 7.6 GB against oneDNN's 3.9 GB).
BAND_PIXELS = 2_400_000

_lock = threading.Lock()
_usable: Optional[bool] = None


def usable() -> bool:
    """Whether NNPACK runs here and was measured faster; checked once (thread-safe), by a small convolution that must
    match PyTorch's (which also starts NNPACK's thread pool, with PyTorch's thread count at that moment)."""
    global _usable
    if _usable is None:
        with _lock:
            if _usable is None:
                _usable = _check()
    return _usable


def _check() -> bool:
    if torch.backends.cpu.get_cpu_capability() not in MEASURED_FASTER:
        return False
    if not (hasattr(torch, "_nnpack_spatial_convolution") and torch._nnpack_available()):
        return False
    x, weight, bias = torch.linspace(-1, 1, 2 * 9 * 9).reshape(1, 2, 9, 9), torch.ones(3, 2, 3, 3), torch.ones(3)
    with torch.no_grad():
        try:
            return torch.allclose(torch._nnpack_spatial_convolution(x, weight, bias, (0, 0)), F.conv2d(x, weight, bias),
                                  atol=1e-4)
        except RuntimeError:
            return False


def _eligible(x: torch.Tensor, weight: torch.Tensor, stride: int, dilation: int) -> bool:
    return (stride == 1 and dilation == 1 and x.device.type == "cpu" and x.dtype == weight.dtype == torch.float32
            and weight.shape[-1] <= 16 and weight.shape[-2] <= 16 and not torch.is_grad_enabled()
            and not torch.onnx.is_in_onnx_export() and not torch.jit.is_tracing() and usable())


def conv2d(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor] = None, stride: int = 1,
           dilation: int = 1) -> torch.Tensor:
    """``F.conv2d(x, weight, bias, stride, dilation=dilation)`` without padding (groups 1), through NNPACK where it
    is the faster (``usable``, float32 on the CPU, no autograd, stride and dilation 1), else PyTorch's."""
    if _eligible(x, weight, stride, dilation):
        try:
            return torch.cat([_banded(image, weight, bias) for image in x.split(1)]) if len(x) > 1 else \
                _banded(x, weight, bias)
        except RuntimeError:  # NNPACK could not (its workspace, a size it refuses): PyTorch's gives the same
            pass
    return F.conv2d(x, weight, bias, stride, dilation=dilation)


def _banded(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor]) -> torch.Tensor:
    """NNPACK's convolution of one image (1, C, H, W), in bands of rows of at most ``BAND_PIXELS`` input pixels, each
    band with the kernel's height less one rows more, so that the bands' outputs join exactly."""
    reach, out_rows = weight.shape[-2] - 1, x.shape[-2] - weight.shape[-2] + 1
    rows = max(1, BAND_PIXELS // x.shape[-1] - reach)  # output rows per band
    if rows >= out_rows:
        return torch._nnpack_spatial_convolution(x, weight, bias, (0, 0))
    return torch.cat([torch._nnpack_spatial_convolution(x[..., top:min(top + rows, out_rows) + reach, :], weight, bias,
                                                        (0, 0)) for top in range(0, out_rows, rows)], dim=-2)
