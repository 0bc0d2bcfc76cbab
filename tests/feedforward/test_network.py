import pytest
import torch
import torch.nn.functional as F

from restyle.feedforward.network import (
    MULTIPLE,
    NormStats,
    _Norm,
    _ReflectionPad,
    _UpsampleConv,
    dilations,
    instance_norm,
    min_side,
)
from restyle.feedforward.network import StyleNetwork as TransformerNet
from tests.conftest import DEVICE
from tests.feedforward.conftest import lively_net


def test_size_and_parameter_count():
    net = TransformerNet()
    assert 1_600_000 < sum(p.numel() for p in net.parameters()) < 1_750_000  # Johnson et al.: about 1.7 M
    x = torch.rand(2, 3, 36, 52)
    assert net(x).shape == x.shape
    assert MULTIPLE == 4 and len(net.norms()) == 15
    assert [n.stride for n in net.norms()] == [1, 2, 4] + [4] * 10 + [2, 1]


@pytest.mark.parametrize("shape", [(2, 5, 7, 9), (1, 5, 1, 3)])
def test_upsample_conv_equals_upsample_reflect_pad_conv(shape):
    torch.manual_seed(0)
    layer = _UpsampleConv(5, 2)
    x = torch.rand(*shape, requires_grad=True)
    got = layer(x)
    expected = layer.conv(F.pad(F.interpolate(x, scale_factor=2, mode="nearest"), (1, 1, 1, 1), mode="reflect"))
    assert got.shape == expected.shape and torch.allclose(got, expected, atol=1e-6)
    # and it trains alike: the same gradients for the input, the kernel and the bias
    g = torch.randn_like(got)
    for a, b in zip(torch.autograd.grad(got, [x, *layer.conv.parameters()], g),
                    torch.autograd.grad(expected, [x, *layer.conv.parameters()], g)):
        assert torch.allclose(a, b, atol=1e-4)


def test_upsample_conv_hand_value():
    layer = _UpsampleConv(1, 1)
    torch.nn.init.ones_(layer.conv.weight)
    torch.nn.init.constant_(layer.conv.bias, 0.5)
    # one pixel v: upsampled and padded, every 3x3 window holds nine v's
    assert torch.equal(layer(torch.full((1, 1, 1, 1), 2.0)), torch.full((1, 1, 2, 2), 18.5))


def test_padding_keeps_bf16_under_cpu_autocast():
    x = torch.rand(2, 3, 5, 6).to(torch.bfloat16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = _ReflectionPad(2)(x)
    assert y.dtype == torch.bfloat16  # autocast alone would give float32
    assert torch.equal(y.float(), F.pad(x.float(), (2, 2, 2, 2), mode="reflect"))


def test_receptive_field_hand_count():
    # 9x9 convs: +8 each; 3x3 convs: +2 x their stride (1, 2, ten at 4, 2, 1)
    assert TransformerNet().receptive_field == 1 + 8 + 2 + 4 + 80 + 4 + 2 + 8 == 109
    assert TransformerNet.empty(blocks=7).receptive_field == 109 + 2 * 2 * 8


def test_dilations_rise_and_fall_hand_values():
    assert dilations(5, 1) == [1] * 5 and dilations(5, 4) == [1, 2, 4, 2, 1] and dilations(5, 2) == [1, 2, 2, 2, 1]
    assert dilations(7, 8) == [1, 2, 4, 8, 4, 2, 1] and dilations(5, 64) == [1, 2, 4, 2, 1]
    assert dilations(2, 8) == [1, 1] and dilations(1, 4) == [1]
    assert min_side() == 8 and min_side(5, 4) == 20 and min_side(2, 8) == 8


def test_dilation_widens_what_an_output_pixel_sees_for_the_same_weights():
    net, dense = TransformerNet.seeded(0, dilation=4), TransformerNet.seeded(0)
    # the residual blocks' ten 3x3 convs at stride 4 add 2 x 4 x their dilation: 1, 1, 2, 2, 4, 4, 2, 2, 1, 1
    assert net.receptive_field == 109 + 2 * 4 * 2 * (1 + 2 + 4 + 2 + 1 - 5) == 189
    assert net.shape == {"width": 32, "blocks": 5, "dilation": 4} and dense.shape == {"width": 32, "blocks": 5}
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), dense.parameters()))  # the same weights
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]  # encoder, blocks, decoder, head
    assert [c.dilation[0] for c in convs] == [1] * 3 + [1, 1, 2, 2, 4, 4, 2, 2, 1, 1] + [1] * 3
    # what an output pixel sees: a change 80 px away (beyond the dense network's 54, within the dilated one's 94),
    # with the norms' statistics fixed (the image's own would carry any change everywhere); with autograd on, so
    # that the convolutions are PyTorch's, exactly zero beyond their reach (NNPACK's Winograd and FFT kernels,
    # used for inference on some CPUs, leak rounding of 1e-8 there, as large as the dilated network's reach here)
    x = torch.rand(1, 3, 200, 200)
    far = x.clone()
    far[..., 100, 20] += 1  # the centre pixel (100, 100) is 80 px away
    with torch.enable_grad():
        for n, reaches in ((dense.eval(), False), (net.eval(), True)):
            stats = NormStats()
            stats.fixed = {m: (torch.zeros(1, m.num_features, 1, 1), torch.ones(1, m.num_features, 1, 1))
                           for m in n.norms()}
            assert bool((n(far, stats) - n(x, stats))[..., 100, 100].abs().max() > 0) == reaches


def test_width_and_blocks_shape_the_network():
    net = TransformerNet.seeded(0, width=16, blocks=2)
    assert net.shape == {"width": 16, "blocks": 2} and len(net.norms()) == 3 + 4 + 2
    assert [n.num_features for n in net.norms()] == [16, 32, 64] + [64] * 4 + [32, 16]
    assert [n.stride for n in net.norms()] == [1, 2, 4] + [4] * 4 + [2, 1]
    x = torch.rand(1, 3, 20, 24)
    assert net(x).shape == x.shape
    # parameters, hand-counted: convs (in*k*k + 1) * out, norms 2 per channel
    convs = [(3, 16, 9), (16, 32, 3), (32, 64, 3)] + [(64, 64, 3)] * 4 + [(64, 32, 3), (32, 16, 3), (16, 3, 9)]
    norms = 2 * (16 + 32 + 64 + 64 * 4 + 32 + 16)
    assert sum(p.numel() for p in net.parameters()) == sum((i * k * k + 1) * o for i, o, k in convs) + norms


def test_half_keeps_head_in_float32():
    torch.manual_seed(0)
    net = TransformerNet().eval()
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        ref = net(x)
        net.half(torch.bfloat16)
        out = net(x)
    assert net.body[1].weight.dtype == torch.bfloat16 and net.head[1].weight.dtype == torch.float32
    assert out.dtype == torch.float32
    assert (out - ref).abs().max() < 0.02 * ref.abs().max() + 1e-4


def test_fixed_norm_statistics_reproduce_instance_norm():
    torch.manual_seed(0)
    norm = TransformerNet().norms()[0]
    norm.weight.data.uniform_(0.5, 1.5)
    norm.bias.data.uniform_(-1, 1)
    x = torch.randn(1, 32, 10, 12) * 3 + 1
    free = norm(x)
    stats = NormStats()
    stats.fixed[norm] = (x.mean((2, 3), keepdim=True), x.var((2, 3), keepdim=True, unbiased=False))
    assert torch.allclose(norm(x, stats), free, atol=1e-5)
    stats.fixed[norm] = (stats.fixed[norm][0] + 1, stats.fixed[norm][1])  # and they are what is used
    assert torch.allclose(norm(x, stats), free - norm.weight.view(1, -1, 1, 1) * torch.rsqrt(
        stats.fixed[norm][1] + norm.eps), atol=1e-4)


@pytest.mark.parametrize("channels_last", [False, True])
def test_own_instance_norm_equals_pytorchs(channels_last):
    """restyle's inference norm (used on GPUs) gives PyTorch's instance norm's numbers, image by image."""
    torch.manual_seed(0)
    weight, bias = torch.rand(5) + 0.5, torch.rand(5) - 0.5
    x = torch.randn(2, 5, 9, 13) * torch.rand(1, 5, 1, 1) * 4 + torch.randn(1, 5, 1, 1) * 3
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    expected = F.instance_norm(x, weight=weight, bias=bias, eps=1e-5)
    assert (instance_norm(x, weight, bias, 1e-5) - expected).abs().max() < 1e-5
    assert torch.equal(instance_norm(x[1:], weight, bias, 1e-5), instance_norm(x, weight, bias, 1e-5)[1:])
    stats = (x[:1].mean((2, 3), keepdim=True), x[:1].var((2, 3), keepdim=True, unbiased=False))
    assert (instance_norm(x[:1], weight, bias, 1e-5, stats) - expected[:1]).abs().max() < 1e-5
    half = instance_norm(x.bfloat16(), weight.bfloat16(), bias.bfloat16(), 1e-5)  # bf16 in, float32 math
    assert half.dtype == torch.bfloat16 and (half.float() - expected).abs().max() < 0.05


@pytest.mark.parametrize("styles", [1, 3])
@pytest.mark.parametrize("dtype, grad, own", [(torch.float32, False, True), (torch.float32, True, False),
                                              (torch.bfloat16, False, None)])
def test_which_norm_a_pass_takes(monkeypatch, dtype, grad, own, styles):
    """Inference in float32 takes restyle's norm (faster on CPUs and GPUs); autograd takes PyTorch's, and so does
    bf16 on a CPU (PyTorch's the faster there); all give the same numbers, for a network of one style or several."""
    from restyle.feedforward import network
    norm = _Norm(5, styles=styles).to(DEVICE, dtype).eval()
    norm.weight.data.uniform_(0.5, 1.5)
    norm.bias.data.uniform_(-1, 1)
    calls = []
    monkeypatch.setattr(network, "instance_norm", lambda *a, **k: calls.append(1) or instance_norm(*a, **k))
    x = (torch.randn(2, 5, 9, 13) * 3 + 1).to(DEVICE, dtype)
    mix = torch.tensor([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]])
    weight, bias = (norm.weight.float(), norm.bias.float()) if styles == 1 else (
        mix.to(DEVICE) @ norm.weight.float(), mix.to(DEVICE) @ norm.bias.float())
    with torch.set_grad_enabled(grad):
        out = norm(x) if styles == 1 else norm(x, NormStats(mix))
    expected = torch.cat([F.instance_norm(x[i:i + 1].float(), weight=weight.expand(2, 5)[i],
                                          bias=bias.expand(2, 5)[i], eps=norm.eps) for i in range(2)])
    assert (out.float() - expected).abs().max() < (1e-4 if dtype == torch.float32 else 0.05)
    assert bool(calls) == (own if own is not None else DEVICE.startswith("cuda"))


def test_a_norm_of_several_styles_hand_computed():
    norm = _Norm(2, styles=2)
    norm.weight.data = torch.tensor([[1.0, 2.0], [3.0, 4.0]])  # (styles, channels)
    norm.bias.data = torch.tensor([[0.0, 0.0], [10.0, 20.0]])
    x = torch.tensor([0.0, 2.0]).repeat(2, 2, 1, 1)  # each channel of each image normalizes to (-1, 1)
    mix = torch.tensor([[1.0, 0.0], [0.5, 0.5]])  # image 0: style 0; image 1: half and half (scale 2, 3; shift 5, 10)
    expected = torch.tensor([[[[-1.0, 1.0]], [[-2.0, 2.0]]], [[[3.0, 7.0]], [[7.0, 13.0]]]])
    assert torch.allclose(norm(x, NormStats(mix)), expected, atol=1e-3)
    stats = NormStats(mix)  # statistics given (tiled inference) take the same path
    stats.fixed[norm] = (torch.ones(1, 2, 1, 1), torch.ones(1, 2, 1, 1))
    assert torch.allclose(norm(x, stats), expected, atol=1e-3)


def test_a_network_of_several_styles_paints_each_image_in_its_mix_and_bakes_a_mix():
    net = lively_net(width=8, blocks=1, styles=3)
    assert net.shape == {"width": 8, "blocks": 1, "styles": 3} and net.norms()[0].weight.shape == (3, 8)
    x, mix = torch.rand(2, 3, 24, 28), torch.tensor([[0.2, 0.8, 0.0], [0.0, 0.0, 1.0]])
    with torch.no_grad():
        both = net(x, NormStats(mix))
        for i in range(2):
            baked = net.mixed(mix[i])
            assert baked.shape == {"width": 8, "blocks": 1} and not baked.training
            assert torch.allclose(baked(x[i:i + 1]), both[i:i + 1], atol=1e-5)
        assert not torch.allclose(both[0], net(x[:1], NormStats(mix[1:]))[0], atol=1e-2)  # the mix matters
    with pytest.raises(ValueError, match="style mix"):
        net(x)
