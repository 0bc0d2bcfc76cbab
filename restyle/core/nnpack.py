"""Float32 convolutions through NNPACK's Winograd and FFT kernels, on CPUs where they beat oneDNN.

PyTorch ships NNPACK but picks it only for batches of 16 or more with oneDNN turned off, so ``conv2d`` calls it
directly (a large image in bands of rows) for unstrided, undilated float32 convolutions of one image whose weights
take no gradient: the style network's passes without autograd, and VGG19's, whose gradient with respect
to its input is itself such a convolution (``_InputGradient``). On a 2-core AMD EPYC with AVX2 the style network's
3x3 convolutions run 2.5-3x faster and its 9x9 ones 1.4-4.8x, a whole pass about 2x, with the same results to
rounding (1e-5 relative; docs/performance.md). Where it was not measured (AVX-512, ARM), under autocast and where a
check at first use fails, ``conv2d`` is PyTorch's; so are strided convolutions (NNPACK's are the slower), those
whose weights are being trained, and batches of several images (training's, batch 8 of 128 px crops, took 5% longer
a step through NNPACK one image at a time). NNPACK's threads are its own, as many as PyTorch's when it is first used.
"""

from __future__ import annotations

import sys
import threading
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

#: CPU capabilities (``torch.backends.cpu.get_cpu_capability()``) where NNPACK was measured faster than oneDNN.
MEASURED_FASTER = frozenset({"AVX2"})
#: 3x3 convolutions with smaller outputs or fewer input channels stay with oneDNN: there NNPACK's tiles and
#: transforms cost more than they save (64 to 512 channels: 0.3x oneDNN's speed at 8 x 8, 0.8-0.9x at 16 x 16,
#: 1.1-1.5x at 24 x 24, 1.5-3.6x from 32 x 32; 3 to 64 channels 0.2-0.6x at any size). 9x9 ones were 1.5-9x faster at
#: every size (benchmarks/nnpack_layers.py --crossover).
MIN_OUTPUT_PIXELS, MIN_CHANNELS_3X3 = 24 * 24, 16
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
            return torch.allclose(torch._nnpack_spatial_convolution(x, weight, bias, (1, 1)),
                                  F.conv2d(x, weight, bias, padding=1), atol=1e-4)
        except RuntimeError:
            return False


def _eligible(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], stride: int, dilation: int,
              padding: int) -> bool:
    trained = torch.is_grad_enabled() and (weight.requires_grad or (bias is not None and bias.requires_grad))
    square = weight.shape[-1] == weight.shape[-2] <= 16 and padding < weight.shape[-1]
    return (stride == 1 and dilation == 1 and x.device.type == "cpu" and x.dtype == weight.dtype == torch.float32
            and x.dim() == 4 and len(x) == 1 and square and not trained and _worth_it(x, weight, padding)
            and not torch.is_autocast_enabled("cpu") and not recording() and usable())


def recording() -> bool:
    """Whether the pass is being recorded (an ONNX export or a TorchScript trace), where only PyTorch's own
    operations may run. ``torch.onnx`` is looked at only once something has loaded it (an export must have):
    loading it takes a quarter of a second of a model's first pass."""
    onnx = sys.modules.get("torch.onnx")
    return torch.jit.is_tracing() or (onnx is not None and onnx.is_in_onnx_export())


def _worth_it(x: torch.Tensor, weight: torch.Tensor, padding: int) -> bool:
    k = weight.shape[-1]
    out = (x.shape[-2] + 2 * padding - k + 1) * (x.shape[-1] + 2 * padding - k + 1)
    return out > 0 and (k > 3 or (out >= MIN_OUTPUT_PIXELS and weight.shape[1] >= MIN_CHANNELS_3X3))


def conv2d(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor] = None, stride: int = 1,
           padding: int = 0, dilation: int = 1) -> torch.Tensor:
    """``F.conv2d(x, weight, bias, stride, padding, dilation)`` (zero padding, groups 1), through NNPACK where it is
    the faster (``usable``; one image in float32 on the CPU, stride and dilation 1, square kernels, weights that take
    no gradient), else PyTorch's."""
    if _eligible(x, weight, bias, stride=stride, dilation=dilation, padding=padding):
        try:
            if torch.is_grad_enabled() and x.requires_grad:
                return _InputGradient.apply(x, weight, bias, padding)
            return _banded(x, weight, bias, padding)
        except RuntimeError:  # NNPACK could not (its workspace, a size it refuses): PyTorch's gives the same
            pass
    return F.conv2d(x, weight, bias, stride=stride, padding=padding, dilation=dilation)


class Conv2d(nn.Conv2d):
    """``nn.Conv2d`` (square, zero padding, groups 1) whose passes go through ``conv2d``: NNPACK where faster."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return conv2d(x, self.weight, self.bias, stride=self.stride[0], padding=self.padding[0],
                      dilation=self.dilation[0])


class _InputGradient(torch.autograd.Function):
    """NNPACK's convolution with its gradient for the input only (the weights take none): the gradient is the
    convolution of the output's gradient with the kernel flipped and its channels swapped, padded by the kernel's
    reach less the forward padding."""

    @staticmethod
    def forward(ctx, x, weight, bias, padding):
        ctx.save_for_backward(weight)
        ctx.padding = padding
        return _banded(x, weight, bias, padding)

    @staticmethod
    def backward(ctx, grad):
        (weight,) = ctx.saved_tensors
        flipped = weight.flip(-2, -1).transpose(0, 1)
        return _banded(grad, flipped, None, weight.shape[-1] - 1 - ctx.padding), None, None, None


def _banded(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], padding: int) -> torch.Tensor:
    """NNPACK's convolution of one image (1, C, H, W), in bands of rows of at most ``BAND_PIXELS`` input pixels, each
    band with the kernel's height less one rows more, so that the bands' outputs join exactly."""
    width = x.shape[-1] + 2 * padding
    if (x.shape[-2] + 2 * padding) * width <= BAND_PIXELS:
        return torch._nnpack_spatial_convolution(x, weight, bias, (padding, padding))
    if padding:
        x = F.pad(x, (padding,) * 4)
    reach, out_rows = weight.shape[-2] - 1, x.shape[-2] - weight.shape[-2] + 1
    rows = max(1, BAND_PIXELS // width - reach)  # output rows per band
    return torch.cat([torch._nnpack_spatial_convolution(x[..., top:min(top + rows, out_rows) + reach, :], weight, bias,
                                                        (0, 0)) for top in range(0, out_rows, rows)], dim=-2)
