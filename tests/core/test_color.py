import torch

from restyle.core import color
from tests.conftest import Float64Ops


def test_yuv_roundtrip():
    x = torch.rand(3, 5, 6)
    assert torch.allclose(color.yuv_to_rgb(color.rgb_to_yuv(x)), x, atol=1e-6)


def test_luminance_of_white_and_grey():
    white = torch.ones(3, 2, 2)
    assert torch.allclose(color.luminance(white), white, atol=1e-6)
    assert torch.allclose(color.rgb_to_yuv(white)[1:], torch.zeros(2, 2, 2), atol=1e-6)


def test_combine_luminance_keeps_content_chroma():
    torch.manual_seed(0)
    content, result = torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8)
    out = color.combine_luminance(result, content)
    yuv_out, yuv_content, yuv_result = (color.rgb_to_yuv(t) for t in (out, content, result))
    assert torch.allclose(yuv_out[:, 1:], yuv_content[:, 1:], atol=1e-5)
    assert torch.allclose(yuv_out[:, :1], yuv_result[:, :1], atol=1e-5)


def test_match_luminance_matches_mean_and_std():
    torch.manual_seed(0)
    style, content = torch.rand(1, 3, 16, 16) * 0.3, torch.rand(1, 3, 8, 8) * 0.5 + 0.2
    out = color.match_luminance(style, content)
    y_out, y_content = color.luminance(out), color.luminance(content)
    assert torch.isclose(y_out.mean(), y_content.mean(), atol=1e-4)
    assert torch.isclose(y_out.std(), y_content.std(), atol=1e-3)
    assert torch.allclose(out[:, 0], out[:, 1])  # grey


def test_match_histogram_matches_mean_and_covariance():
    torch.manual_seed(0)
    style = torch.rand(3, 20, 20) * torch.tensor([0.2, 0.5, 0.3]).view(3, 1, 1) + 0.1
    content = torch.rand(3, 10, 10) * 0.4 + 0.3
    out = color.match_histogram(style, content)
    mean_o, cov_o = color._mean_cov(out)
    mean_c, cov_c = color._mean_cov(content)
    assert torch.allclose(mean_o, mean_c, atol=1e-4)
    assert torch.allclose(cov_o, cov_c, atol=1e-4)


def test_float64_ops_are_seen():
    with Float64Ops() as seen:
        torch.ones(2, device="meta") + torch.ones(2, dtype=torch.float64, device="meta")
    assert seen.ops


def test_every_colour_function_runs_on_a_non_cpu_device_without_float64():
    # meta stands for a GPU: a CPU tensor mixed in fails there; float64 fails on MPS.
    x = torch.rand(3, 8, 8, device="meta")
    with Float64Ops() as seen:
        outs = [color.match_histogram(x, x), color.luminance(x[None]), color.match_luminance(x[None], x[None]),
                color.combine_luminance(x[None], x[None]), color.yuv_to_rgb(color.rgb_to_yuv(x))]
    assert all(o.device.type == "meta" and o.shape[-3:] == (3, 8, 8) for o in outs)
    assert seen.ops == []
