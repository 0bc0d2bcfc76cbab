"""Colour preservation (Gatys et al. 2016, "Preserving Color in Neural Artistic Style Transfer").

- luminance: style transfer runs on the luminance channel only (the style's luminance first matched to the
  content's mean and spread); the result's luminance is then recombined with the content's chroma.
- histogram: the style image's colours are moved, by an affine map, to the content's mean and covariance
  before optimization.
Images are (…, 3, H, W) RGB tensors in [0, 1].
"""

from __future__ import annotations

import torch

# BT.601 YCbCr (full range, offsets dropped so the map is linear).
_RGB_TO_YUV = torch.tensor([[0.299, 0.587, 0.114],
                            [-0.168736, -0.331264, 0.5],
                            [0.5, -0.418688, -0.081312]])
_YUV_TO_RGB = torch.linalg.inv(_RGB_TO_YUV)


def _apply(matrix: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,...jhw->...ihw", matrix.to(image), image)


def rgb_to_yuv(image: torch.Tensor) -> torch.Tensor:
    """RGB → (Y, Cb, Cr), each channel a linear function of RGB."""
    return _apply(_RGB_TO_YUV, image)


def yuv_to_rgb(image: torch.Tensor) -> torch.Tensor:
    return _apply(_YUV_TO_RGB, image)


def luminance(image: torch.Tensor) -> torch.Tensor:
    """Y channel repeated three times: a grey RGB image the network can take."""
    y = rgb_to_yuv(image)[..., :1, :, :]
    return y.expand_as(image).contiguous()


def match_luminance(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Grey luminance of ``style`` shifted and scaled to the content's luminance mean and std."""
    ys, yc = luminance(style), luminance(content)
    return ((ys - ys.mean()) / ys.std().clamp_min(1e-6) * yc.std() + yc.mean()).clamp(0, 1)


def combine_luminance(result: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """The result's luminance with the content's chroma (Cb, Cr), back in RGB."""
    y = rgb_to_yuv(result)[..., :1, :, :]
    chroma = rgb_to_yuv(content)[..., 1:, :, :]
    return yuv_to_rgb(torch.cat([y, chroma], dim=-3))


def _mean_cov(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (3, 1) and covariance (3, 3) of the pixels, in float32 on the image's device (MPS has no float64)."""
    pixels = image.reshape(3, -1).float()
    mean = pixels.mean(dim=1, keepdim=True)
    centered = pixels - mean
    cov = centered @ centered.T / pixels.shape[1]
    return mean, cov + 1e-5 * torch.eye(3, dtype=cov.dtype, device=cov.device)


def _sqrtm(matrix: torch.Tensor, inverse: bool = False) -> torch.Tensor:
    values, vectors = torch.linalg.eigh(matrix)
    values = values.clamp_min(1e-10)
    return vectors @ torch.diag(values.rsqrt() if inverse else values.sqrt()) @ vectors.T


def match_histogram(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """``style`` (3, H, W) mapped affinely so its pixel mean and covariance equal the content's.

    Uses the symmetric matrix square root (the "image analogies" variant in Gatys et al. 2016), clipped to [0, 1].
    """
    mean_s, cov_s = _mean_cov(style)
    mean_c, cov_c = _mean_cov(content)
    transform = _sqrtm(cov_c) @ _sqrtm(cov_s, inverse=True)
    pixels = style.reshape(3, -1).float()
    out = transform @ (pixels - mean_s) + mean_c
    return out.reshape(style.shape).to(style.dtype).clamp(0, 1)
