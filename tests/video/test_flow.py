import numpy as np

from restyle.video.flow import FlowEstimator, reliable, warp
from tests.video.conftest import pan, photo


def _shifted(image: np.ndarray, dx: int, dy: int) -> np.ndarray:
    return np.roll(np.roll(image, dy, axis=0), dx, axis=1)


def test_flow_recovers_a_shift_within_half_a_pixel():
    a = np.ascontiguousarray(photo()[100:228, 100:292])
    b = _shifted(a, 3, 2)  # content moves 3 px right, 2 down: a(x) = b(x + (3, 2))
    flow = FlowEstimator()
    f = flow(flow.gray(a), flow.gray(b), a.shape[:2])
    inner = f[16:-16, 16:-16].reshape(-1, 2)
    assert np.abs(np.median(inner, axis=0) - [3, 2]).max() < 0.5


def test_warp_samples_along_the_flow():
    image = np.arange(5 * 6 * 1, dtype=np.float32).reshape(5, 6, 1)
    flow = np.zeros((5, 6, 2), np.float32)
    flow[..., 0] = 1  # sample one pixel to the right
    assert np.array_equal(warp(image, flow)[:, :-1, 0], image[:, 1:, 0])


def test_a_pan_is_reliable_and_an_uncovered_background_is_not():
    frames = pan(2, size=(160, 120), step=3)
    flow = FlowEstimator()
    g0, g1 = flow.gray(frames[0]), flow.gray(frames[1])
    mask = reliable(flow(g1, g0, (120, 160)), flow(g0, g1, (120, 160)))
    assert mask[10:-10, 10:-10].mean() > 0.9
    # a grey square moving 12 px right over a still photo: where it was, the background is uncovered
    back = np.ascontiguousarray(photo()[100:220, 100:260])
    a, b = back.copy(), back.copy()
    a[40:80, 40:80], b[40:80, 52:92] = 128, 128
    ga, gb = flow.gray(a), flow.gray(b)
    mask = reliable(flow(gb, ga, (120, 160)), flow(ga, gb, (120, 160)))
    assert mask[44:76, 42:50].mean() < 0.5  # uncovered in b: no source in a
    assert mask[:30, 100:].mean() > 0.9  # far background
