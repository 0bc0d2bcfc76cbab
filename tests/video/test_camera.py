import numpy as np
import pytest

from restyle.video import camera
from restyle.video.camera import Camera, fit_motion
from tests.video.conftest import pan


def flow_of(step: np.ndarray, size=(60, 80)) -> np.ndarray:
    """The backward flow of a camera whose frame t's pixel x lies at ``step @ x`` in frame t-1."""
    h, w = size
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    moved = np.einsum("ij,jhw->ihw", step, np.stack([xs, ys, np.ones_like(xs)]))
    return np.stack([moved[0] - xs, moved[1] - ys], -1).astype(np.float32)


def similarity(zoom: float, angle: float, dx: float, dy: float) -> np.ndarray:
    c, s = zoom * np.cos(angle), zoom * np.sin(angle)
    return np.array([[c, -s, dx], [s, c, dy], [0, 0, 1]])


@pytest.mark.parametrize("step", [similarity(1, 0, 2.5, -1), similarity(1.05, 0.02, -3, 1.5)])
def test_the_cameras_move_is_fitted_from_the_flow(step):
    mask = np.ones((60, 80), np.float32)
    np.testing.assert_allclose(fit_motion(flow_of(step), mask), step, atol=1e-3)


def test_a_moving_object_is_left_out_of_the_fit():
    flow, mask = flow_of(similarity(1, 0, 2, 0)), np.ones((60, 80), np.float32)
    flow[10:30, 10:30] = (-6, 3)  # a fifth of the frame moves its own way
    np.testing.assert_allclose(fit_motion(flow, mask), similarity(1, 0, 2, 0), atol=1e-3)


def test_a_still_camera_is_exactly_still_and_too_little_is_no_fit():
    mask = np.ones((60, 80), np.float32)
    assert np.array_equal(fit_motion(flow_of(similarity(1, 0, 0.01, -0.02)), mask), np.eye(3))
    mask[:] = 0
    mask[:2, :2] = 1
    assert fit_motion(flow_of(similarity(1, 0, 2, 0)), mask) is None


def test_the_anchor_is_painted_as_it_is():
    frame, cam = pan(1)[0], Camera()
    cam.follow(None, frame.shape[:2])
    seen = []
    out = cam.paint(lambda image, origin: seen.append((image, origin)) or image[::-1].copy(), frame)
    assert seen[0][0] is frame and seen[0][1] == (0, 0) and np.array_equal(out, frame[::-1])


def test_strokes_stay_with_the_scene_as_the_camera_pans():
    # A painter whose "strokes" (as a model's noise) lie in the coordinates it is given: the same for a frame and
    # the next, 6 px further on (a canvas 4 px along), only where the canvas follows the camera.
    first, second = pan(2, size=(96, 64), step=6)
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 60, (200, 200, 3), dtype=np.uint8)

    def painter(image, origin=(0, 0)):
        (y, x), (h, w) = origin, image.shape[:2]
        return image // 2 + texture[50 + y: 50 + y + h, 50 + x: 50 + x + w]

    cam = Camera()
    cam.follow(None, first.shape[:2])
    a = cam.paint(painter, first)
    cam.follow(similarity(1, 0, 6, 0), second.shape[:2])  # the second frame's x is the first's x + 6
    b = cam.paint(painter, second)
    inner = (slice(4, -4), slice(4, -10))
    assert np.abs(b[:, :-6].astype(int) - a[:, 6:])[inner].max() <= 1
    still = np.abs(painter(second)[:, :-6].astype(int) - painter(first)[:, 6:])[inner].mean()
    assert still > 10  # painted where they are, the strokes do not follow
    canvas_own = np.abs(cam.paint(lambda image, origin: painter(image), second)[:, :-6].astype(int) - a[:, 6:])
    assert canvas_own[inner].mean() > 10  # nor do strokes fixed to the canvas's corner instead of its place


def test_a_new_anchor_after_a_cut_a_failed_fit_or_too_much_zoom():
    cam, size = Camera(), (60, 80)
    cam.follow(None, size)
    cam.follow(similarity(1.05, 0, 0, 0), size)
    cam.follow(similarity(1.05, 0, 0, 0), size)
    assert cam.anchors == 1 and not np.array_equal(cam.to_anchor, np.eye(3))
    cam.follow(similarity(1.05, 0, 0, 0), size)  # 1.16x the anchor: beyond camera.MAX_ZOOM
    assert cam.anchors == 2 and np.array_equal(cam.to_anchor, np.eye(3)) and 1.05 ** 3 > camera.MAX_ZOOM
    cam.follow(similarity(1, 0, 2, 0), size)
    cam.follow(None, size)
    assert cam.anchors == 3 and np.array_equal(cam.to_anchor, np.eye(3))


def test_a_turn_too_far_for_the_canvas_is_a_new_anchor():
    cam, size = Camera(), (60, 80)
    cam.follow(None, size)
    cam.follow(similarity(1, 0.5, 0, 0), size)  # the canvas would hold the frame turned by 29 degrees
    assert cam.anchors == 2
