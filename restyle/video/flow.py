"""Optical flow between consecutive input frames (OpenCV's DIS), warping along it, and where it can be trusted.

Conventions: ``flow(a, b)`` maps each pixel x of ``a`` to where it is in ``b`` (a(x) ≈ b(x + flow[x])), and
``warp(image, flow)`` samples ``image`` at x + flow[x]. So the last painted frame is carried into frame t by
``warp(painted[t-1], flow(frame[t], frame[t-1]))``. A pixel is reliable (Ruder, Dosovitskiy & Brox 2016) where
the backward and forward flows cancel out and it is not on a motion boundary; elsewhere it was hidden in the
last frame (disoccluded) and is painted afresh.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import RestyleError

#: Flow is computed on frames whose long side is at most this (then scaled up): faster, and as good for a mask.
FLOW_SIDE = 640


def _cv2():
    """OpenCV, or a RestyleError saying how to install it. OpenCV's loader, on its first import, prepends its own
    folder to ``LD_LIBRARY_PATH`` (for child processes only); the host's environment is put back as it was."""
    environment = dict(os.environ)
    try:
        import cv2
    except ImportError:
        raise RestyleError("video needs PyAV and OpenCV: pip install 'restyle[video]'") from None
    finally:
        for name in set(os.environ) | set(environment):  # only what the import changed is put back
            if os.environ.get(name) != environment.get(name):
                if name in environment:
                    os.environ[name] = environment[name]
                else:
                    del os.environ[name]
    return cv2


class FlowEstimator:
    """DIS optical flow (one estimator per video: it is not thread-safe), on frames shrunk to ``FLOW_SIDE``."""

    def __init__(self, max_side: int = FLOW_SIDE):
        cv2 = _cv2()
        self.dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        self.max_side = max_side

    def gray(self, image: np.ndarray) -> np.ndarray:
        """The (H, W) uint8 grey image flow is computed on, shrunk to at most ``max_side``."""
        cv2 = _cv2()
        g = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        scale = self.max_side / max(g.shape)
        if scale < 1:
            g = cv2.resize(g, (round(g.shape[1] * scale), round(g.shape[0] * scale)), interpolation=cv2.INTER_AREA)
        return g

    def __call__(self, a: np.ndarray, b: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        """Flow (H, W, 2) float32 from grey ``a`` to grey ``b`` (from ``gray``), at ``size`` = (H, W) in pixels."""
        cv2 = _cv2()
        f = self.dis.calc(a, b, None)
        if f.shape[:2] != size:
            scale = np.array([size[1] / f.shape[1], size[0] / f.shape[0]], np.float32)
            f = cv2.resize(f, (size[1], size[0]), interpolation=cv2.INTER_LINEAR) * scale
        return f


def warp(image: np.ndarray, flow: np.ndarray, cubic: bool = False) -> np.ndarray:
    """``image`` (H, W, C) sampled at x + flow[x] (bilinear, or bicubic: sharper; edges repeated), in its dtype."""
    cv2 = _cv2()
    h, w = flow.shape[:2]
    grid = np.mgrid[0:h, 0:w].astype(np.float32)
    out = cv2.remap(image, grid[1] + flow[..., 0], grid[0] + flow[..., 1], cv2.INTER_CUBIC if cubic else
                    cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(image.shape)  # (OpenCV drops a single channel's axis)


def reliable(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """(H, W) float32 mask of frame t's pixels whose flow can be trusted, 1 or 0, from ``backward`` (t to t-1)
    and ``forward`` (t-1 to t): Ruder et al.'s consistency test and motion-boundary test."""
    w, w_hat = backward, warp(forward, backward)
    disoccluded = ((w + w_hat) ** 2).sum(-1) > 0.01 * ((w ** 2).sum(-1) + (w_hat ** 2).sum(-1)) + 0.5
    du, dv = np.gradient(w[..., 0]), np.gradient(w[..., 1])
    boundary = du[0] ** 2 + du[1] ** 2 + dv[0] ** 2 + dv[1] ** 2 > 0.01 * (w ** 2).sum(-1) + 0.002
    return (~(disoccluded | boundary)).astype(np.float32)
