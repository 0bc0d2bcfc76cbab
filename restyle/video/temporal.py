"""Temporal consistency: the last painted frame, carried along the flow, where it can be trusted.

Each frame is painted, then, where the flow is reliable, mixed with the last frame's final image (itself mixed
with the one before, and so on back to the scene's start) warped to it, bicubically (``temporal_weight`` of it,
0: independent frames). Mixing two paintings whose strokes differ fades both (a pan painted frame by frame:
style distance 1.25x at weight 0.5, benchmarks/video.py), so models paint on a canvas that follows the camera
(``camera``), where a pan's strokes agree from frame to frame and mixing keeps them. A scene cut, where almost
nothing is reliable, starts afresh instead of smearing the old frame over the new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .camera import fit_motion
from .flow import FlowEstimator, reliable, warp

#: Below this share of reliable pixels, a frame is a new scene.
CUT_BELOW = 0.3


@dataclass
class Motion:
    """How a frame moved since the last one (from the input frames alone)."""

    backward: np.ndarray
    """(H, W, 2) float32 flow from this frame to the last (``flow``'s conventions)."""
    mask: np.ndarray
    """(H, W) float32: 1 where that flow is reliable, else 0."""
    camera: Optional[np.ndarray] = None
    """The camera's move, a 3x3 similarity from this frame's pixels to the last's (``camera.fit_motion``), when
    asked for and found."""


class Follower:
    """Follows a video's input frames: how each moved since the last (``Motion``), or None for the first frame
    of the video or of a scene (a cut). Needs only the input, so it can run ahead of the painting."""

    def __init__(self, camera: bool = False, flow: Optional[FlowEstimator] = None):
        self.flow, self.camera = flow or FlowEstimator(), camera
        self.last_gray: Optional[np.ndarray] = None
        self.cuts = 0

    def __call__(self, frame: np.ndarray) -> Optional[Motion]:
        gray, last = self.flow.gray(frame), self.last_gray
        self.last_gray = gray
        if last is None:
            return None
        size = frame.shape[:2]
        backward, forward = self.flow(gray, last, size), self.flow(last, gray, size)
        mask = reliable(backward, forward)
        if mask.mean() < CUT_BELOW:
            self.cuts += 1
            return None
        return Motion(backward, mask, fit_motion(backward, mask) if self.camera else None)


class Carry:
    """The last frame's final image, offered to the next frame warped along its ``Motion`` (``previous``)."""

    def __init__(self):
        self.last: Optional[np.ndarray] = None

    def previous(self, motion: Optional[Motion]) -> Optional[tuple[np.ndarray, np.ndarray]]:
        """(the last frame warped to this one, float32, and its (H, W, 1) reliability mask), or None at a scene's
        first frame."""
        if motion is None or self.last is None:
            return None
        return warp(self.last.astype(np.float32), motion.backward, cubic=True), motion.mask[..., None]

    def painted(self, image: np.ndarray) -> None:
        """The frame just painted ended as ``image`` (H, W, 3) uint8."""
        self.last = image


def mix(painted: np.ndarray, previous: Optional[tuple[np.ndarray, np.ndarray]], weight: float) -> np.ndarray:
    """``painted`` (uint8) with ``weight`` of the warped previous frame where it is reliable, as uint8."""
    if previous is None or weight == 0:
        return painted
    warped, mask = previous
    alpha = weight * mask
    return np.clip(painted * (1 - alpha) + warped * alpha + 0.5, 0, 255).astype(np.uint8)
