"""Painting on a canvas that moves with the camera, so a pan or a zoom does not repaint the scene's strokes.

A trained model paints a texture that changes with the tiniest shift of its input: pan a camera by a third of
a pixel and every stroke moves differently, which is most of a painted video's flicker. So ``Camera`` follows the
camera's global motion, a similarity (shift, rotation, zoom) fitted to the flow between input frames, relative to
an *anchor* frame; each frame is drawn onto a canvas in the anchor's coordinates (on the network's grid of 4
pixels), painted there (a model's ``noise`` taken at the canvas's place in those coordinates), and drawn back.
What stayed still in the scene is then the same on every canvas, noise included, and gets the same strokes, which
move with the scene. When the camera has zoomed or turned too far from the anchor (its strokes would be drawn too
large or too small, or the canvas would grow), at a scene cut, or where no motion fits, the current frame becomes
the anchor.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from .flow import _cv2

#: A new anchor when the camera has zoomed more than this (either way) since the last: zoomed in, the canvas's
#: strokes are drawn larger (at 1.25, a 72-frame zoom's style distance rose to 1.25x on some frames; 1.05x in all
#: at 1.15; benchmarks/video.py --frames 72).
MAX_ZOOM = 1.15
#: A new anchor when the canvas would have more than this many times the pixels of the frame at the anchor's scale
#: (a camera turned by more than about 10 degrees).
MAX_CANVAS = 1.5
#: The canvas lies on the network's grid: its origin at multiples of this in the anchor's coordinates.
GRID = 4
#: A camera that moves no corner of the frame by more than this many pixels is still.
STILL = 0.05
#: Flow vectors the motion is fitted to (a regular sample of the reliable ones).
SAMPLES = 4096


def fit_motion(backward: np.ndarray, mask: np.ndarray) -> Optional[np.ndarray]:
    """The similarity (3x3) taking frame t's pixels to frame t-1's that best explains ``backward`` (H, W, 2) on
    the pixels ``mask`` (H, W) says are reliable (RANSAC: moving objects are left out), or None where too few
    are reliable."""
    cv2 = _cv2()
    h, w = mask.shape[:2]
    step = max(1, round((h * w / SAMPLES) ** 0.5))
    ys, xs = np.mgrid[0:h:step, 0:w:step]
    keep = mask[::step, ::step].reshape(ys.shape) > 0
    if keep.sum() < 64:
        return None
    src = np.stack([xs[keep], ys[keep]], -1).astype(np.float32)
    dst = src + backward[::step, ::step][keep]
    fitted, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=1.0)
    if fitted is None:
        return None
    corners = _corners((h, w))
    if np.abs(fitted @ corners - corners[:2]).max() < STILL:
        return np.eye(3)  # (the fit's noise on a still camera, which would otherwise add up)
    return np.vstack([fitted, [0, 0, 1]])


class Camera:
    """Where each frame lies in its anchor frame's coordinates (``follow``), and a painter run on that canvas
    (``paint``)."""

    def __init__(self):
        self.to_anchor = np.eye(3)  # frame t's pixels -> the anchor's
        self.anchors = 0

    def follow(self, step: Optional[np.ndarray], size: tuple[int, int]) -> None:
        """Take the next frame, of ``size`` (H, W), moved by ``step`` (``fit_motion``'s) since the last, or None
        at a scene's first frame or where no motion fitted."""
        moved = self.to_anchor @ step if step is not None else None
        if moved is None or not self._near(moved, size):
            moved = np.eye(3)
            self.anchors += 1
        self.to_anchor = moved

    @staticmethod
    def _near(to_anchor: np.ndarray, size: tuple[int, int]) -> bool:
        """Whether a frame placed by ``to_anchor`` is still close enough to its anchor to paint on its canvas."""
        zoom = abs(np.linalg.det(to_anchor[:2, :2])) ** 0.5
        (x0, y0), (x1, y1) = _bounds(to_anchor, size)
        return 1 / MAX_ZOOM < zoom < MAX_ZOOM and (x1 - x0) * (y1 - y0) <= MAX_CANVAS * zoom ** 2 * size[0] * size[1]

    def paint(self, painter: Callable[[np.ndarray, tuple[int, int]], np.ndarray], frame: np.ndarray) -> np.ndarray:
        """``painter`` (an (H, W, 3) uint8 image and its top-left pixel's (y, x) in the anchor's coordinates, to its
        painting: a model's noise is the anchor's, so it moves with the scene too) run on ``frame`` drawn on the
        canvas, and its painting drawn back to ``frame``'s pixels."""
        cv2 = _cv2()
        h, w = frame.shape[:2]
        if np.array_equal(self.to_anchor, np.eye(3)):
            return painter(frame, (0, 0))  # (the anchor itself, or a still camera)
        (x0, y0), (x1, y1) = _bounds(self.to_anchor, (h, w))
        to_canvas = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]]) @ self.to_anchor
        canvas = cv2.warpAffine(frame, to_canvas[:2], (int(x1 - x0), int(y1 - y0)), flags=cv2.INTER_CUBIC,
                                borderMode=cv2.BORDER_REFLECT)
        painted = painter(canvas, (int(y0), int(x0)))
        return cv2.warpAffine(painted, to_canvas[:2], (w, h), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REPLICATE)


def _bounds(to_anchor: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The canvas's corners (x0, y0), (x1, y1) in the anchor's coordinates: on the grid, holding the frame."""
    corners = (to_anchor @ _corners(size))[:2]
    return np.floor(corners.min(1) / GRID) * GRID, np.ceil(corners.max(1) / GRID) * GRID



def _corners(size: tuple[int, int]) -> np.ndarray:
    """A frame of ``size`` (H, W): its four corners as homogeneous columns (3, 4)."""
    h, w = size
    return np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], float).T
