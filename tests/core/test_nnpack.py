import threading

import pytest
import torch
import torch.nn.functional as F

from restyle.core import nnpack
from tests.feedforward.conftest import lively_net

CONVS = [  # (batch, in, out, kernel, height, width): the network's 3x3 and 9x9 convolutions, tiny and odd sizes
    (1, 128, 128, 3, 26, 34), (2, 16, 64, 3, 9, 13), (1, 3, 32, 9, 40, 24), (1, 32, 3, 9, 17, 9), (3, 4, 5, 3, 3, 3)]


@pytest.fixture
def counted(monkeypatch):
    """The number of NNPACK calls made."""
    calls = []
    original = torch._nnpack_spatial_convolution
    monkeypatch.setattr(torch, "_nnpack_spatial_convolution", lambda *a: calls.append(a[0].shape) or original(*a))
    return calls


@pytest.mark.parametrize("shape", CONVS)
def test_equals_pytorchs_convolution_to_rounding(shape):
    n, cin, cout, k, h, w = shape
    g = torch.Generator().manual_seed(0)
    x, weight = torch.randn(n, cin, h, w, generator=g), torch.randn(cout, cin, k, k, generator=g)
    bias = torch.randn(cout, generator=g)
    with torch.no_grad():
        y, expected = nnpack.conv2d(x, weight, bias), F.conv2d(x, weight, bias)
        without_bias = nnpack.conv2d(x, weight)
    assert y.shape == expected.shape and y.dtype == torch.float32
    assert (y - expected).abs().max() <= 1e-4 * expected.abs().max()
    assert (without_bias + bias[:, None, None] - expected).abs().max() <= 1e-4 * expected.abs().max()


@pytest.mark.skipif(not nnpack.usable(), reason="NNPACK is used only on CPUs where it was measured faster")
def test_one_image_in_float32_goes_through_nnpack_and_a_batch_does_not(counted):
    x, weight = torch.rand(3, 16, 26, 26), torch.rand(4, 16, 3, 3)
    with torch.no_grad():
        nnpack.conv2d(x[:1], weight)
        assert torch.equal(nnpack.conv2d(x, weight), F.conv2d(x, weight))  # training's batches: oneDNN the faster
    assert counted == [(1, 16, 26, 26)]


@pytest.mark.parametrize("channels, side", [(16, 25), (8, 40)])
def test_small_or_few_channel_3x3_convolutions_stay_pytorchs(channels, side, counted):
    # 23 x 23 outputs are below 24 x 24; 8 input channels below 16: there NNPACK was the slower
    x, weight = torch.rand(1, channels, side, side), torch.rand(4, channels, 3, 3)
    with torch.no_grad():
        assert torch.equal(nnpack.conv2d(x, weight), F.conv2d(x, weight))
    assert counted == []


@pytest.mark.skipif(not nnpack.usable(), reason="NNPACK is used only on CPUs where it was measured faster")
@pytest.mark.parametrize("kernel, height, band_heights", [(3, 40, [10, 10, 10, 10, 8]), (9, 40, [30, 18])])
def test_a_large_input_goes_in_bands_of_rows_that_join_exactly(kernel, height, band_heights, counted, monkeypatch):
    monkeypatch.setattr(nnpack, "BAND_PIXELS", 300)  # 10 rows of 30 px, or 30 of 10 (the kernel's reach included)
    width, channels = (30, 16) if kernel == 3 else (10, 2)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1, channels, height, width, generator=g)
    weight = torch.randn(3, channels, kernel, kernel, generator=g)
    with torch.no_grad():
        y, expected = nnpack.conv2d(x, weight), F.conv2d(x, weight)
    assert [shape[-2] for shape in counted] == band_heights  # each band overlaps the next by the kernel's reach
    assert y.shape == expected.shape and (y - expected).abs().max() <= 1e-4 * expected.abs().max()


@pytest.mark.parametrize("case", ["trained weights", "autocast", "bf16", "stride", "dilation", "onnx export",
                                  "trace"])
def test_what_nnpack_does_not_run_is_pytorchs_convolution_exactly(case, counted, monkeypatch):
    x, weight, bias = torch.rand(1, 16, 26, 26), torch.rand(4, 16, 3, 3), torch.rand(4)
    if case == "bf16":
        x, weight, bias = x.bfloat16(), weight.bfloat16(), bias.bfloat16()
    stride, dilation = {"stride": (2, 1), "dilation": (1, 2)}.get(case, (1, 1))
    weight.requires_grad_(case == "trained weights")
    if case == "onnx export":
        monkeypatch.setattr(torch.onnx, "is_in_onnx_export", lambda: True)
    if case == "trace":
        monkeypatch.setattr(torch.jit, "is_tracing", lambda: True)
    with torch.set_grad_enabled(case == "trained weights"), torch.autocast("cpu", enabled=case == "autocast"):
        y = nnpack.conv2d(x, weight, bias, stride=stride, padding=1, dilation=dilation)
        assert torch.equal(y, F.conv2d(x, weight, bias, stride, padding=1, dilation=dilation))
    assert counted == []
    if case == "trained weights":
        y.sum().backward()
        assert weight.grad is not None and weight.grad.abs().sum() > 0


@pytest.mark.parametrize("kernel, padding", [(3, 1), (3, 0), (9, 0)])
def test_the_gradient_for_the_input_equals_pytorchs_to_rounding(kernel, padding, counted):
    g = torch.Generator().manual_seed(2)
    x = torch.randn(1, 16, 28, 26, generator=g, requires_grad=True)
    weight, bias = torch.randn(5, 16, kernel, kernel, generator=g), torch.randn(5, generator=g)  # frozen, as VGG's
    direction = torch.randn(1, 5, 28 + 2 * padding - kernel + 1, 26 + 2 * padding - kernel + 1, generator=g)
    (nnpack.conv2d(x, weight, bias, padding=padding) * direction).sum().backward()
    mine, x.grad = x.grad, None
    (F.conv2d(x, weight, bias, padding=padding) * direction).sum().backward()
    assert (mine - x.grad).abs().max() <= 1e-4 * x.grad.abs().max()
    assert len(counted) == (2 if nnpack.usable() else 0)  # forward and backward


def test_a_network_paints_the_same_with_nnpack_as_without():
    net, x = lively_net(), torch.rand(1, 3, 36, 52)
    with torch.enable_grad():  # PyTorch's convolutions
        expected = net(x).detach()
    with torch.no_grad():  # NNPACK's where usable
        y = net(x)
    assert (y - expected).abs().max() < 1e-4  # of the 0-1 range: far below one 8-bit level


def test_usable_is_decided_once_and_alike_for_every_thread(monkeypatch):
    monkeypatch.setattr(nnpack, "_usable", None)
    checks = []
    original = nnpack._check
    monkeypatch.setattr(nnpack, "_check", lambda: checks.append(1) or original())
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(nnpack.usable())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert checks == [1] and len(set(answers)) == 1 and nnpack.usable() == answers[0]


def test_unmeasured_cpus_keep_pytorchs_convolution(monkeypatch, counted):
    monkeypatch.setattr(nnpack, "_usable", None)
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX512")
    x, weight = torch.rand(1, 16, 26, 26), torch.rand(4, 16, 3, 3)
    with torch.no_grad():
        assert not nnpack.usable() and torch.equal(nnpack.conv2d(x, weight), F.conv2d(x, weight))
    assert counted == []


def test_a_call_nnpack_refuses_falls_back_to_pytorchs(monkeypatch):
    monkeypatch.setattr(nnpack, "_usable", True)

    def refuse(*args):
        raise RuntimeError("NNPACK SpatialConvolution_updateOutput failed")

    monkeypatch.setattr(torch, "_nnpack_spatial_convolution", refuse)
    x, weight = torch.rand(1, 16, 26, 26), torch.rand(4, 16, 3, 3)
    with torch.no_grad():
        assert torch.equal(nnpack.conv2d(x, weight), F.conv2d(x, weight))
