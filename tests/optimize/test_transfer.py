import threading

import numpy as np
import pytest
import torch
from PIL import Image

import restyle
from restyle.core import color, losses
from restyle.core.images import load_image, resize, to_pil
from restyle.errors import Interrupted, NumericalError, RestyleError
from restyle.optimize import transfer
from restyle.optimize.objective import Temporal
from restyle.optimize.planning import FORWARD_SHARE
from tests.conftest import DEVICE, gradient_image

FAST = dict(size=48, iterations=4, device=DEVICE)
CPU_FAST = dict(FAST, device="cpu")


def test_end_to_end_with_progress(content_path, style_path):
    seen = []
    image = restyle.stylize(content_path, [style_path], callback=seen.append, **FAST)
    assert isinstance(image, Image.Image) and image.mode == "RGB"
    assert image.size == (48, 36)  # 64x48 content, long side 48
    assert [p.iteration for p in seen] == [1, 2, 3, 4]
    last = seen[-1]
    assert (last.scale, last.scales, last.size, last.step, last.steps) == (1, 1, (36, 48), 4, 4)
    assert set(last.losses) == {"content", "style", "tv", "total"}
    assert last.losses["total"] == pytest.approx(sum(last.losses[k] for k in ("content", "style", "tv")))
    assert seen[-1].losses["style"] < seen[0].losses["style"]  # it optimizes
    assert last.elapsed > 0
    assert last.image().size == (48, 36)


def test_accepts_pil_and_numpy(content_path, style_path):
    image = restyle.stylize(Image.open(content_path), (gradient_image() * 255).astype(np.uint8), **FAST)
    assert image.size == (48, 36)


def test_seed_makes_noise_init_reproducible(content_path, style_path):
    a = restyle.stylize(content_path, style_path, init="noise", seed=3, **FAST)
    b = restyle.stylize(content_path, style_path, init="noise", seed=3, **FAST)
    c = restyle.stylize(content_path, style_path, init="noise", seed=4, **FAST)
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))


def test_init_from_image_adam_avg_pool_fp32(content_path, style_path):
    image = restyle.stylize(content_path, style_path, init=style_path, optimizer="adam", pooling="avg",
                            precision="fp32", **FAST)
    assert image.size == (48, 36)


def test_the_run_starts_from_the_init_image(content_path, style_path):
    # The first evaluation is at the start image, so the best image after one iteration is that image.
    init = gradient_image(30, 40)
    first = next(restyle.iter_stylize(content_path, style_path, init=init, **FAST)).image()
    expected = to_pil(resize(load_image(init), (36, 48)))
    assert np.array_equal(np.asarray(first), np.asarray(expected))
    from_content = next(restyle.iter_stylize(content_path, style_path, **FAST)).image()
    assert np.array_equal(np.asarray(from_content), np.asarray(to_pil(resize(load_image(content_path), (36, 48)))))


def test_several_styles_with_blend(content_path, style_path):
    image = restyle.stylize(content_path, [style_path, gradient_image()], style_blend=[0.7, 0.3],
                            style_scale=0.5, **FAST)
    assert image.size == (48, 36)
    with pytest.raises(RestyleError, match="2 weights for 1 style images"):
        restyle.stylize(content_path, [style_path], style_blend=[1, 1], **FAST)


def test_style_blend_is_blend_of_grams(content_path, style_path):
    # A 1:0 blend of two styles must equal using the first style alone.
    one = restyle.stylize(content_path, [style_path], seed=0, **FAST)
    blended = restyle.stylize(content_path, [style_path, gradient_image()], style_blend=[1, 0], seed=0, **FAST)
    assert np.abs(np.asarray(one, float) - np.asarray(blended, float)).max() <= 1


def test_preserve_color_luminance_keeps_content_chroma(content_path, style_path):
    image = restyle.stylize(content_path, style_path, preserve_color="luminance", **FAST)
    out = torch.from_numpy(np.asarray(image, np.float32) / 255).permute(2, 0, 1)
    content = torch.from_numpy(np.asarray(Image.open(content_path).resize((48, 36), Image.BICUBIC),
                                          np.float32) / 255).permute(2, 0, 1)
    chroma_out, chroma_content = color.rgb_to_yuv(out)[1:], color.rgb_to_yuv(content)[1:]
    assert (chroma_out - chroma_content).abs().mean() < 0.01


def test_preserve_color_histogram_keeps_the_photos_colours(content_path, style_path):
    red = np.asarray(Image.open(style_path), np.float32) / 255 * np.array([1.0, 0.3, 0.3], np.float32)
    content = np.asarray(Image.open(content_path).convert("RGB"), np.float32) / 255

    def colour_gap(**options):
        image = restyle.stylize(content_path, red, seed=0, style_weight=1000.0, **dict(FAST, iterations=20), **options)
        return np.abs(np.asarray(image, np.float32).mean((0, 1)) / 255 - content.mean((0, 1))).sum()

    plain, matched = colour_gap(), colour_gap(preserve_color="histogram")
    assert matched < 0.5 * plain  # the red painting turns the photo red, unless its colours are matched first


def test_coarse_to_fine(content_path, style_path):
    seen = []
    image = restyle.stylize(content_path, style_path, size=64, iterations=4, multiscale=True, start_size=32,
                            device=DEVICE, callback=seen.append)
    assert image.size == (64, 48)
    assert [(p.scale, p.size) for p in seen if p.iteration == 1] == [(1, (24, 32)), (2, (48, 64))]
    assert seen[-1].steps == 4 + 2
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    # Work: each scale's targets (a forward pass over content and style, FORWARD_SHARE of an iteration
    # each) plus its iterations, in proportion to pixels; the second scale has 4x the pixels.
    first, second = 24 * 32, 48 * 64
    done = 2 * FORWARD_SHARE * first + 4 * first
    assert fractions[3] == pytest.approx(done / (done + 2 * FORWARD_SHARE * second + 2 * second))


def test_log_messages_schedule(content_path, style_path):
    lines = []
    restyle.stylize(content_path, style_path, size=64, iterations=2, multiscale=True, start_size=32,
                    device=DEVICE, log=lines.append)
    assert "schedule: 32px x 2 -> 64px x 1" in lines[0]


def test_nan_loss_is_reported(content_path, style_path, monkeypatch):
    monkeypatch.setattr(losses.TVLoss, "forward", lambda self, x: x.sum() * float("nan"))
    with pytest.raises(NumericalError, match="loss became nan at scale 1, iteration 1"):
        restyle.stylize(content_path, style_path, **FAST)


@pytest.mark.parametrize("precision, hint", [("fp32", "try a smaller learning rate"),
                                             ("bf16", "try precision fp32, a smaller learning rate")])
def test_nan_loss_names_fp32_only_where_the_run_was_not(content_path, style_path, monkeypatch, precision, hint):
    monkeypatch.setattr(losses.TVLoss, "forward", lambda self, x: x.sum() * float("nan"))
    with pytest.raises(NumericalError, match=hint):
        restyle.stylize(content_path, style_path, precision=precision, **FAST)


def test_a_photo_one_pixel_high_is_painted(style_path, tmp_path):
    line = tmp_path / "line.png"
    Image.fromarray((np.random.default_rng(0).random((2, 300, 3)) * 255).astype(np.uint8)).save(line)
    image = restyle.stylize(line, style_path, size=150, iterations=3, device=DEVICE)  # 150 x 1 px
    assert image.size == (150, 1)
    assert np.asarray(image).std() > 0


def test_ctrl_c_returns_best_image_so_far(content_path, style_path):
    def interrupt(progress):
        if progress.iteration == 3:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted) as info:
        restyle.stylize(content_path, style_path, callback=interrupt, **FAST)
    assert isinstance(info.value, KeyboardInterrupt)
    assert info.value.image.size == (48, 36)


def test_cpu_keeps_freed_memory_only_where_asked_for_whole_images_without_a_budget(content_path, style_path,
                                                                                  keep_memory_calls):
    calls = keep_memory_calls(transfer)

    def interrupt(progress):
        raise KeyboardInterrupt

    restyle.stylize(content_path, style_path, **CPU_FAST)
    assert calls == []  # off by default: it tunes the allocator of the whole process
    with pytest.raises(Interrupted):
        restyle.stylize(content_path, style_path, callback=interrupt, keep_freed_memory=True, **CPU_FAST)
    [(device, peak, _), left] = calls  # around the optimization, and left on Ctrl-C too
    assert device == "cpu" and peak > 0 and left == "left"
    calls.clear()
    keep = dict(CPU_FAST, keep_freed_memory=True)
    restyle.stylize(content_path, style_path, max_memory=100, **keep)  # any budget given: the heap could overshoot it
    restyle.stylize(content_path, style_path, tile_size=32, **keep)  # tiles: the budget binds
    assert calls == []


@pytest.mark.parametrize("options, message", [
    (dict(size=0), "size must be a positive whole number"),
    (dict(iterations=-1), "iterations must be"),
    (dict(style_weight=-1.0), "style_weight must be a finite number >= 0"),
    (dict(tv_weight=float("inf")), "tv_weight must be a finite number"),
    (dict(style_layers=["relu1_1", "fc7"]), "unknown layer 'fc7'"),
    (dict(content_layers={}), "at least one content layer"),
    (dict(optimizer="sgd"), "unknown optimizer"),
    (dict(preserve_color="rgb"), "unknown preserve_color 'rgb'; use luminance, histogram"),
    (dict(device="tpu"), "unknown device"),
    (dict(bogus=1), "unknown option"),
    (dict(size=100_000), "size must be at most 32768"),
    (dict(start_size=40_000), "start_size must be at most 32768"),
    (dict(style_scale=1000, size=32), "style_scale must be at most 8"),
    (dict(learning_rate=float("inf")), "learning_rate must be a finite number"),
    (dict(learning_rate=1e9), "learning_rate must be at most 1000"),
    (dict(style_weight=1e300), "style_weight must be at most 1e"),
    (dict(style_scale=8, size=2048, max_memory=2),
     r"style image at style_scale 8 would be 2048x\d+ px, needing about .* GB, more than the memory budget of 2\.0 GB"),
])
def test_bad_options(content_path, style_path, options, message):
    with pytest.raises(RestyleError, match=message):
        restyle.stylize(content_path, style_path, **options)


def test_cancel_at_the_third_progress_stops_before_the_next_iteration(content_path, style_path):
    cancel, seen = threading.Event(), []
    for p in restyle.iter_stylize(content_path, style_path, cancel=cancel, size=64, iterations=20, device=DEVICE):
        seen.append(p)
        if len(seen) == 3:
            cancel.set()
    assert [p.step for p in seen] == [1, 2, 3]  # at most one more may come; none does
    assert seen[-1].image().size == (64, 48)


def test_iter_stylize_ends_with_what_stylize_returns_and_a_break_leaves_cleanly(content_path, style_path,
                                                                                 keep_memory_calls):
    args = dict(seed=0, keep_freed_memory=True, **FAST)
    progress = list(restyle.iter_stylize(content_path, style_path, **args))
    assert [p.step for p in progress] == [1, 2, 3, 4] and progress[-1].eta is not None
    result = restyle.stylize(content_path, style_path, **args)
    assert np.array_equal(np.asarray(progress[-1].image()), np.asarray(result))
    calls = keep_memory_calls(transfer)
    run = restyle.iter_stylize(content_path, style_path, **args)
    next(run)
    assert calls[-1] != "left"
    run.close()  # what a loop's break does to its generator
    assert calls[-1] == "left"


def test_stylize_cancelled_returns_the_best_image_so_far(content_path, style_path):
    cancel, shots = threading.Event(), []

    def at_second(p):
        shots.append(p.image())
        if p.step == 2:
            cancel.set()

    image = restyle.stylize(content_path, style_path, callback=at_second, cancel=cancel, seed=0, **FAST)
    assert len(shots) == 2 and np.array_equal(np.asarray(image), np.asarray(shots[-1]))
    cancel.set()  # before the first iteration: nothing to return
    with pytest.raises(Interrupted) as info:
        restyle.stylize(content_path, style_path, cancel=cancel, **FAST)
    assert info.value.image is None


def test_the_temporal_term_pulls_the_result_to_the_carried_frame_where_the_mask_trusts_it(content_path, style_path):
    # A grey "last frame", trusted on the left half only, with a strong weight: the left half turns grey, the
    # right half is painted as usual (Ruder et al.'s temporal loss).
    grey = np.full((36, 48, 3), 128, np.uint8)
    mask = np.zeros((36, 48), np.float32)
    mask[:, :24] = 1
    seen = []
    held = restyle.stylize(content_path, style_path, callback=seen.append,
                           temporal=Temporal(grey, mask, 1e4), **dict(FAST, iterations=10))
    free = restyle.stylize(content_path, style_path, **dict(FAST, iterations=10))
    held, free = (np.asarray(x, np.float32) for x in (held, free))
    assert np.abs(held[:, 4:20] - 128).mean() < 6 < np.abs(free[:, 4:20] - 128).mean()
    assert np.abs(held[:, 30:] - free[:, 30:]).mean() < np.abs(held[:, 4:20] - free[:, 4:20]).mean() / 3
    assert set(seen[-1].losses) == {"content", "style", "tv", "temporal", "total"}
    assert seen[-1].losses["total"] == pytest.approx(sum(v for k, v in seen[-1].losses.items() if k != "total"))


def test_the_temporal_term_holds_at_every_scale_and_in_luminance_mode(content_path, style_path):
    # The carried frame is the photo's grey-level negative, trusted everywhere: in luminance mode the result's
    # luminance moves towards it, at both scales of a coarse-to-fine run.
    photo = np.asarray(Image.open(content_path).convert("RGB"))
    grey = 255 - np.repeat(np.asarray(Image.open(content_path).convert("L"))[..., None], 3, -1)
    seen = []
    held = restyle.stylize(content_path, style_path, size=64, iterations=4, multiscale=True, start_size=32,
                           preserve_color="luminance", device=DEVICE, callback=seen.append,
                           temporal=Temporal(grey, np.ones(photo.shape[:2], np.float32), 1e4))
    free = restyle.stylize(content_path, style_path, size=64, iterations=4, multiscale=True, start_size=32,
                           preserve_color="luminance", device=DEVICE)
    target = np.asarray(Image.fromarray(grey).resize(held.size, Image.BICUBIC).convert("L"), np.float32)

    def luma_error(image):
        return np.abs(np.asarray(image.convert("L"), np.float32) - target).mean()

    assert luma_error(held) < luma_error(free) / 2
    assert {p.scale for p in seen if p.losses.get("temporal", 0) > 0} == {1, 2}


@pytest.mark.parametrize("mask, weight, message", [
    (np.ones((5, 5), np.float32), 1.0, "temporal mask is"),
    (np.full((36, 48), 2, np.float32), 1.0, r"mask must lie in \[0, 1\]"),
    (np.ones((36, 48), np.float32), -1.0, "temporal weight must be"),
])
def test_bad_temporal_ties(content_path, style_path, mask, weight, message):
    with pytest.raises(RestyleError, match=message):
        restyle.stylize(content_path, style_path, temporal=Temporal(np.zeros((36, 48, 3), np.uint8), mask, weight),
                        **FAST)
