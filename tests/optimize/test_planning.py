import math
import random

import pytest
import torch

from restyle.core.memory import GB
from restyle.errors import RestyleError
from restyle.optimize.planning import (
    BACKWARD_FACTOR,
    FORWARD_SHARE,
    MIN_HISTORY,
    ScalePlan,
    autograd_bytes_per_pixel,
    choose_grid,
    cut,
    halo_and_align,
    plan_scale,
)

DEFAULT_LAYERS = ["relu4_2", "relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]


def test_halo_covers_half_the_receptive_field_aligned_to_the_stride():
    assert halo_and_align(DEFAULT_LAYERS) == (80, 16)  # relu5_1: field 156 px, stride 16
    assert halo_and_align(["relu4_2"]) == (48, 8)  # field 84 px, stride 8
    assert halo_and_align(["relu1_1"]) == (2, 1)  # field 3 px


@pytest.mark.parametrize("n, parts", [(100, 1), (300, 3), (2880, 4), (97, 2)])
def test_cut_covers_the_length_once_with_aligned_cores_and_clipped_halos(n, parts):
    for rng in (None, random.Random(0), random.Random(1)):
        spans = cut(n, parts, 80, 16, rng)
        assert len(spans) == parts
        assert spans[0].start == 0 and spans[-1].stop == n
        assert all(a.stop == b.start for a, b in zip(spans, spans[1:]))
        assert all(s.start % 16 == 0 and s.lo % 16 == 0 for s in spans)
        assert all(s.lo == max(0, s.start - 80) and s.hi == min(n, s.stop + 80) for s in spans)


def test_jitter_moves_inner_boundaries_within_an_eighth_of_a_core():
    nominal = [s.start for s in cut(2880, 4, 80, 16)]
    seen = set()
    for seed in range(20):
        starts = [s.start for s in cut(2880, 4, 80, 16, random.Random(seed))]
        assert all(abs(a - b) <= 720 / 8 for a, b in zip(starts, nominal))
        seen.add(tuple(starts))
    assert len(seen) > 10


def test_whole_image_when_it_fits():
    assert choose_grid(300, 400, 300 * 400, 80, 16) == ((1, 1), (300, 400))


def test_grid_respects_area_and_core_limits():
    (rows, cols), (th, tw) = choose_grid(2880, 3840, 2.5e6, 80, 16)
    assert th * tw <= 2.5e6 and rows * cols > 1
    for rng in (None, random.Random(3)):  # the largest tile, jittered or not, is within the bound
        assert max(s.hi - s.lo for s in cut(2880, rows, 80, 16, rng)) <= th
        assert max(s.hi - s.lo for s in cut(3840, cols, 80, 16, rng)) <= tw
    (rows, cols), _ = choose_grid(300, 400, 1e9, 80, 16, max_core=100)
    assert max(s.stop - s.start for s in cut(300, rows, 80, 16)) <= 100
    assert max(s.stop - s.start for s in cut(400, cols, 80, 16)) <= 100
    assert choose_grid(300, 400, 100, 80, 16) is None  # nothing fits 100 pixels


def test_bytes_per_pixel_counts_saved_tensors():
    # x * x saves x (3 float32 channels, counted once): 12 bytes per pixel, times the backward factor.
    assert autograd_bytes_per_pixel(lambda x: (x * x).sum(), torch.device("cpu")) == pytest.approx(12 * BACKWARD_FACTOR)


def test_small_image_whole_large_image_tiled_within_budget():
    args = dict(budget=12 * GB - GB // 2, autograd_bpp=2000, fixed_bpp=32, halo=80, align=16)
    small = plan_scale(768, 1024, **args)
    assert small.grid is None and small.history == 20 and small.tiles == 1
    big = plan_scale(2880, 3840, **args)
    assert big.grid is not None and big.tiles > 1
    assert big.estimate <= 12 * GB
    assert big.history < 20  # each history pair is two 133 MB vectors at 4K
    assert "3840x2880:" in big.describe() and "tiles of <=" in big.describe()
    forced = plan_scale(768, 1024, **args, tile_size=256)
    assert forced.tiles > 1


def test_history_never_below_minimum():
    plan = plan_scale(4096, 4096, 8 * GB, 500, 32, 80, 16)
    assert plan.history == MIN_HISTORY


def test_budget_too_small_is_a_clear_error():
    with pytest.raises(RestyleError, match=r"memory budget of 0\.5 GB .* raise max_memory or lower size"):
        plan_scale(2880, 3840, GB // 2, 2000, 32, 80, 16)


def test_cost_counts_halos_and_the_extra_forward_pass():
    whole = ScalePlan((1024, 1024), 20)
    tiled = ScalePlan((1024, 1024), 20, grid=(2, 2), tile=(592, 592), halo=80)
    units = 1024 * 1024 / 2**18
    assert whole.cost == pytest.approx(units * (1 + 0.05 * math.log2(units)))
    assert tiled.cost > (1 + FORWARD_SHARE) * whole.cost * 0.95  # 4 smaller tiles, but 1.33 passes + halos
    assert whole.setup_cost(styles=2) == pytest.approx(3 * FORWARD_SHARE * whole.cost)
