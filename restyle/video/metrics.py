"""The field's temporal metric: Lai et al.'s masked warping error (ECCV 2018, "Learning Blind Video Temporal
Consistency"), with flow and mask computed on the input frames."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from .flow import FlowEstimator, reliable, warp


def warping_error(outputs: Iterable[np.ndarray], inputs: Iterable[np.ndarray]) -> float:
    """Mean over t >= 1 of the mean squared difference (RGB in [0, 1]) between output t and output t-1 warped to
    t, over the pixels the input frames' flow says are reliable. The input video against itself is the floor."""
    flow, errors = FlowEstimator(), []
    last_out = last_gray = None
    for out, frame in zip(outputs, inputs):
        gray, out = flow.gray(frame), out.astype(np.float32) / 255
        if last_out is not None:
            size = frame.shape[:2]
            backward = flow(gray, last_gray, size)
            mask = reliable(backward, flow(last_gray, gray, size))
            diff = ((out - warp(last_out, backward)) ** 2).mean(-1)
            errors.append(float((diff * mask).sum() / max(mask.sum(), 1)))
        last_out, last_gray = out, gray
    return float(np.mean(errors)) if errors else 0.0
