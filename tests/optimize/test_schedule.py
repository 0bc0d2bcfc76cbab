from restyle.optimize.schedule import MULTISCALE_ABOVE, scale_schedule


def test_single_scale_up_to_threshold():
    assert scale_schedule(MULTISCALE_ABOVE, 200) == [(MULTISCALE_ABOVE, 200)]
    assert scale_schedule(256, 100) == [(256, 100)]


def test_coarse_to_fine_on_above_threshold():
    assert scale_schedule(1024, 200) == [(256, 200), (512, 100), (1024, 50)]
    assert scale_schedule(2048, 200) == [(256, 200), (512, 100), (1024, 50), (2048, 25)]
    assert scale_schedule(3840, 200) == [(480, 200), (960, 100), (1920, 50), (3840, 25)]


def test_fine_scales_get_at_least_an_eighth():
    assert [n for _, n in scale_schedule(4096, 200, start_size=128)] == [200, 100, 50, 25, 25, 25]


def test_sizes_halve_from_the_target_and_end_there():
    schedule = scale_schedule(1500, 300)
    sizes = [s for s, _ in schedule]
    assert sizes == [375, 750, 1500]
    assert all(b == 2 * a for a, b in zip(sizes, sizes[1:]))


def test_forced_on_and_off():
    assert scale_schedule(512, 100, multiscale=True, start_size=128) == [(128, 100), (256, 50), (512, 25)]
    assert scale_schedule(4096, 100, multiscale=False) == [(4096, 100)]
    assert scale_schedule(100, 10, multiscale=True, start_size=256) == [(100, 10)]


def test_iterations_never_zero():
    assert all(n >= 1 for _, n in scale_schedule(4096, 1, multiscale=True, start_size=64))
