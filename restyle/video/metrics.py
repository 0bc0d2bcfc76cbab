"""The field's temporal metric: Lai et al.'s masked warping error (ECCV 2018, "Learning Blind Video Temporal
Consistency"), with flow and mask computed on the input frames. Lai et al.'s videos are single shots; across a
scene cut (``temporal.CUT_BELOW``) frames have no motion to be consistent with, so those pairs are left out."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from .flow import FlowEstimator, reliable, warp
from .temporal import CUT_BELOW


def warping_error(outputs: Iterable[np.ndarray], inputs: Iterable[np.ndarray]) -> float:
    """Mean over t >= 1 of the mean squared difference (RGB in [0, 1]) between output t and output t-1 warped to
    t, over the pixels the input frames' flow says are reliable (frames after a cut left out). The input video
    against itself is the floor."""
    flow, errors = FlowEstimator(), []
    last_out = last_gray = None
    for out, frame in zip(outputs, inputs):
        gray, out = flow.gray(frame), out.astype(np.float32) / 255
        if last_out is not None:
            size = frame.shape[:2]
            backward = flow(gray, last_gray, size)
            mask = reliable(backward, flow(last_gray, gray, size))
            if mask.mean() >= CUT_BELOW:
                diff = ((out - warp(last_out, backward)) ** 2).mean(-1)
                errors.append(float((diff * mask).sum() / mask.sum()))
        last_out, last_gray = out, gray
    return float(np.mean(errors)) if errors else 0.0
