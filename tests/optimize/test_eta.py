import pytest
import torch

from restyle.optimize.eta import Eta, fit
from restyle.optimize.planning import FORWARD_SHARE, ScalePlan, pass_seconds
from tests.conftest import DEVICE


def test_fit_hand_computed():
    assert fit([(1.0, 3.0), (3.0, 7.0)]) == pytest.approx((1.0, 2.0))
    assert fit([(2.0, 4.0)]) == (0.0, 2.0)  # one point: through the origin
    assert fit([(1.0, 5.0), (4.0, 5.0)]) == (5.0, 0.0)  # flat: launch-bound
    assert fit([(1.0, 1.0), (2.0, 5.0)]) == pytest.approx((0.0, 2.0))  # would cross below 0: proportional


def _plans(*sizes):
    return [ScalePlan((h, w), 20) for h, w in sizes]


def _run(eta, per_iteration, iterations, upto):
    """Feed ``eta`` the timings of a run whose iteration at scale s takes per_iteration[s]; its remaining() then."""
    out = None
    for s, n in enumerate(iterations):
        for i in range(1, n + 1):
            eta.iteration_took(s, per_iteration[s])
            if (s, i) == upto:
                return eta.remaining(s, i)
    return out


def test_after_two_scales_the_eta_is_exact_for_a_launch_bound_device():
    plans = _plans((256, 256), (512, 512), (1024, 1024))
    a, b = 0.01, 0.002  # seconds per iteration = a + b * cost
    times = [a + b * p.cost for p in plans]
    iterations = [20, 10, 5]
    eta = Eta(plans, iterations, styles=1)
    left = _run(eta, times, iterations, upto=(1, 4))
    setup = a * FORWARD_SHARE * 2 + b * plans[2].setup_cost(1)
    assert left == pytest.approx(6 * times[1] + 5 * times[2] + setup)


def test_during_the_first_scale_a_gpu_calibration_shapes_the_prediction():
    plans = _plans((256, 256), (512, 512))
    times = [0.010, 0.011]  # launch-bound: 4x the pixels, nearly the same time
    calibration = [(plans[0].cost, 0.005), (plans[1].cost, 0.0055)]  # passes only: half an iteration
    eta = Eta(plans, [10, 10], styles=0, calibration=calibration)
    left = _run(eta, times, [10, 10], upto=(0, 2))
    b = 0.001 / (plans[1].cost - plans[0].cost)  # the calibration's line, doubled to the iteration timed
    setup = (0.010 - b * plans[0].cost) * FORWARD_SHARE + b * plans[1].setup_cost(0)
    assert left == pytest.approx(8 * 0.010 + 10 * 0.011 + setup, rel=1e-6)
    # without it, time is taken as proportional to the pixels: four times too long for the GPU's next scale
    plain = _run(Eta(plans, [10, 10], styles=0), times, [10, 10], upto=(0, 2))
    assert plain > 2 * left


def test_no_eta_before_an_iteration_was_timed():
    assert Eta(_plans((64, 64)), [5], styles=1).remaining(0, 0) is None


def test_pass_seconds_times_each_size():
    seconds = pass_seconds(lambda x: (x * x).sum(), [(8, 8), (16, 16)], torch.device("cpu"))
    assert len(seconds) == 2 and all(s > 0 for s in seconds)


def test_stylize_reports_an_eta_that_reaches_zero(content_path, style_path):
    import restyle
    reports = []
    restyle.stylize(content_path, style_path, size=48, iterations=3, multiscale=True, start_size=24,
                    device=DEVICE, precision="fp32", callback=reports.append)
    assert all(r.eta is not None and r.eta >= 0 for r in reports)
    assert reports[-1].eta == 0
