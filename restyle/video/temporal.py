"""Temporal consistency: the last painted frame, carried along the flow, where it can be trusted.

Each frame is painted on its own, then, where the flow is reliable, mixed with the previous frame's own painting
(as the engine made it, before mixing) warped to it, bicubically (``temporal_weight`` of it, 0: independent
frames). Mixing with the previous *mixed* frame instead carries every earlier frame along, blurred a little more by
each warp: flicker falls further but the strokes fade (style distance 1.5x at weight 0.7 on a test pan, against
1.05-1.08x this way; benchmarks/video.py). A scene cut, where almost nothing is reliable, starts afresh instead of
smearing the old frame over the new one.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .flow import FlowEstimator, reliable, warp

#: Below this share of reliable pixels, a frame is a new scene.
CUT_BELOW = 0.3


class Carry:
    """Follows a video's input frames and offers each new frame the last painted one, warped to it, with the mask
    of where it holds (``previous``); ``painted`` takes the frame's final image."""

    def __init__(self, flow: Optional[FlowEstimator] = None):
        self.flow = flow or FlowEstimator()
        self.last_gray: Optional[np.ndarray] = None
        self.last_painted: Optional[np.ndarray] = None
        self.cuts = 0

    def previous(self, frame: np.ndarray) -> Optional[tuple[np.ndarray, np.ndarray]]:
        """(last painted frame warped to ``frame``, float32, and its (H, W, 1) reliability mask), or None for the
        first frame of the video or of a scene."""
        gray, last = self.flow.gray(frame), self.last_gray
        self.last_gray = gray
        if last is None or self.last_painted is None:
            return None
        size = frame.shape[:2]
        backward, forward = self.flow(gray, last, size), self.flow(last, gray, size)
        mask = reliable(backward, forward)
        if mask.mean() < CUT_BELOW:
            self.cuts += 1
            return None
        return warp(self.last_painted.astype(np.float32), backward, cubic=True), mask[..., None]

    def painted(self, image: np.ndarray) -> None:
        """The engine painted the frame just followed as ``image`` (H, W, 3) uint8 (before any mixing)."""
        self.last_painted = image


def mix(painted: np.ndarray, previous: Optional[tuple[np.ndarray, np.ndarray]], weight: float) -> np.ndarray:
    """``painted`` (uint8) with ``weight`` of the warped previous frame where it is reliable, as uint8."""
    if previous is None or weight == 0:
        return painted
    warped, mask = previous
    alpha = weight * mask
    return np.clip(painted * (1 - alpha) + warped * alpha + 0.5, 0, 255).astype(np.uint8)
