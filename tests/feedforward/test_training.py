import subprocess
import sys
import threading

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from restyle.errors import RestyleError
from restyle.feedforward import training
from restyle.feedforward.modelfile import file_sha256, presets
from restyle.feedforward.noise import with_noise
from restyle.feedforward.options import TrainOptions
from restyle.feedforward.runtime import load_model
from restyle.feedforward.training import train
from tests.conftest import DEVICE, PEAK_RSS
from tests.feedforward.conftest import random_photo

TINY = dict(batch_size=2, crop_size=32, style_size=64, device=DEVICE, precision="fp32", seed=3, preview_every=0)


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        y, x = np.mgrid[0:48, 0:64]
        img = np.stack([(x * (i + 1)) % 64 * 4, y * 5, rng.random((48, 64)) * 255], axis=2)
        Image.fromarray(img.astype(np.uint8)).save(folder / f"p{i}.png")
    return folder


def _weights(path):
    return load_file(str(path))


def test_a_few_steps_lower_the_loss(tmp_path, photos, style_path):
    reports = []
    train(style_path, photos, tmp_path / "m.safetensors", steps=40, callback=reports.append, **TINY)
    assert [r.step for r in reports] == [10, 20, 30, 40]
    assert reports[-1].losses["total"] < 0.8 * reports[0].losses["total"]
    assert set(reports[0].losses) == {"content", "style", "tv", "total"}


def test_resume_gives_the_same_weights(tmp_path, photos, style_path):
    kw = dict(TINY, checkpoint_every=1000, save_dtype=torch.float32)
    whole = train(style_path, photos, tmp_path / "whole.safetensors", steps=12, **kw)
    train(style_path, photos, tmp_path / "part.safetensors", steps=5, **kw)
    resumed = train(style_path, photos, tmp_path / "part.safetensors", steps=12, resume=True, **kw)
    a, b = _weights(whole), _weights(resumed)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("average_last, averaged", [(0.25, [16, 20]), (0.75, [6, 20])])  # cut before / within
def test_cancel_checkpoints_returns_the_model_so_far_and_resume_matches(tmp_path, photos, style_path, average_last,
                                                                        averaged):
    kw = dict(TINY, checkpoint_every=1000, save_dtype=torch.float32, average_last=average_last)
    whole = train(style_path, photos, tmp_path / "whole.safetensors", steps=20, **kw)
    cancel = threading.Event()

    def cancel_at_10(p):
        if p.step == 10:
            cancel.set()

    out = tmp_path / "cut.safetensors"
    assert train(style_path, photos, out, steps=20, callback=cancel_at_10, cancel=cancel, **kw) == out
    assert load_model(out, device=DEVICE).metadata["steps"] == 10  # the callback reports every 10 steps
    assert (tmp_path / "cut-training" / "checkpoint.pt").exists()
    resumed = train(style_path, photos, out, steps=20, resume=True, **kw)
    a, b = _weights(whole), _weights(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert load_model(resumed, device=DEVICE).metadata["averaged_steps"] == averaged


def test_average_last_saves_the_mean_of_the_last_steps(tmp_path, photos, style_path):
    kw = dict(TINY, save_dtype=torch.float32)
    # Batches depend on (seed, step) alone, so 3- and 4-step runs pass through the 4-step run's weights.
    w3, w4 = (_weights(train(style_path, photos, tmp_path / f"{n}.safetensors", steps=n, average_last=0, **kw))
              for n in (3, 4))
    out = train(style_path, photos, tmp_path / "avg.safetensors", steps=4, average_last=0.5,
                **{**kw, "preview_every": 2})
    avg = _weights(out)
    assert all(torch.allclose(avg[k], (w3[k] + w4[k]) / 2, atol=1e-6) for k in avg)
    assert not all(torch.allclose(avg[k], w4[k], atol=1e-6) for k in avg)
    meta = load_model(out, device=DEVICE).metadata
    assert meta["averaged_steps"] == [3, 4] and meta["settings"]["average_last"] == 0.5
    assert "averaged_steps" not in load_model(tmp_path / "4.safetensors", device=DEVICE).metadata
    # the last step's preview is written once, after the averaging (from the saved weights)
    assert sorted(p.name for p in (tmp_path / "avg-training").glob("*.jpg")) == ["preview-000002.jpg",
                                                                                "preview-000004.jpg"]


def test_resume_to_more_steps_averages_the_new_last_steps(tmp_path, photos, style_path):
    out = tmp_path / "m.safetensors"
    train(style_path, photos, out, steps=8, average_last=0.5, **TINY)  # the mean of steps 5-8
    said = []
    train(style_path, photos, out, steps=12, average_last=0.5, resume=True, log=said.append, **TINY)
    assert said[-1] == "the model is the mean of the weights of steps 9-12"
    # The new window is steps 7-12: the checkpoint's mean began before it, so a new one begins at step 9.
    assert load_model(out, device=DEVICE).metadata["averaged_steps"] == [9, 12]


def test_metadata_and_previews(tmp_path, photos, style_path):
    out = train(style_path, photos, tmp_path / "m.safetensors", steps=10, **dict(TINY, preview_every=5))
    meta = load_model(out, device=DEVICE).metadata
    assert meta["style_name"] == "style" and len(meta["style_sha256"]) == 64 and meta["seed"] == 3
    assert meta["steps"] == 10 and meta["photos"] == 2  # one of the three held out for previews
    assert meta["settings"]["crop_size"] == 32 and "restyle_version" in meta
    previews = sorted(p.name for p in (tmp_path / "m-training").glob("preview-*.jpg"))
    assert previews == ["preview-000005.jpg", "preview-000010.jpg"]


@pytest.mark.parametrize("broken", ["the other", "the middle"])
def test_a_preview_is_held_out_only_where_a_readable_photo_is_left_to_train_on(tmp_path, style_path, broken):
    folder = tmp_path / "two"
    folder.mkdir()
    Image.fromarray(random_photo(48, 64)).save(folder / "b.png")  # the middle one of two, held out where it can be
    (folder / ("a.jpg" if broken == "the other" else "c.jpg")).write_bytes(b"not an image")
    said = []
    out = train(style_path, folder, tmp_path / "m.safetensors", steps=1, log=said.append, **TINY)
    assert load_model(out, device=DEVICE).metadata["photos"] == 1  # b.png, trained on
    assert sum("skipping" in line for line in said) == 1 and not any("held-out" in line for line in said)


def test_init_starts_from_the_models_weights_and_records_it(tmp_path, photos, style_path):
    kw = dict(TINY, save_dtype=torch.float32)
    first = train(style_path, photos, tmp_path / "a.safetensors", steps=10, **kw)
    # One step at a negligible step size: the new model is the first one, not a fresh random network.
    on = train(style_path, photos, tmp_path / "b.safetensors", steps=1, learning_rate=1e-12, init=first, **kw)
    a, b = _weights(first), _weights(on)
    assert all(torch.allclose(a[k], b[k], atol=1e-9) for k in a)
    fresh = _weights(train(style_path, photos, tmp_path / "c.safetensors", steps=1, learning_rate=1e-12, **kw))
    assert not all(torch.allclose(a[k], fresh[k], atol=1e-3) for k in a)
    meta = load_model(on, device=DEVICE).metadata
    assert meta["init"]["file"] == "a.safetensors" and meta["init"]["sha256"] == file_sha256(first)
    assert (meta["init"]["steps"], meta["init"]["seed"], meta["init"]["settings"]["crop_size"]) == (10, 3, 32)
    assert meta["steps"] == 1 and "init" not in load_model(first, device=DEVICE).metadata
    said = []
    again = train(style_path, photos, tmp_path / "d.safetensors", steps=1, init=on, log=said.append, **kw)
    assert "starting from b.safetensors (trained 11 steps in all on style)" in said  # 10, then 1
    assert load_model(again, device=DEVICE).metadata["init"]["init"]["sha256"] == file_sha256(first)


def test_init_from_a_preset_by_name(tmp_path, photos, style_path):
    name = next(iter(presets()))
    out = train(style_path, photos, tmp_path / "m.safetensors", steps=1, init=name, **TINY)
    assert load_model(out, device=DEVICE).metadata["init"]["file"] == f"{name}.safetensors"


def test_resume_keeps_the_init_record_and_refuses_another(tmp_path, photos, style_path):
    a = train(style_path, photos, tmp_path / "a.safetensors", steps=2, **TINY)
    b = train(style_path, photos, tmp_path / "b.safetensors", steps=2, **{**TINY, "seed": 4})
    out = tmp_path / "m.safetensors"
    train(style_path, photos, out, steps=4, init=a, **TINY)
    train(style_path, photos, out, steps=6, resume=True, **TINY)  # without --init: the checkpoint's record
    assert load_model(out, device=DEVICE).metadata["init"]["sha256"] == file_sha256(a)
    train(style_path, photos, out, steps=8, resume=True, init=a, **TINY)  # the same --init: fine
    for model, init in ((out, b), (a, b)):  # a run started from another model; one started from random weights
        with pytest.raises(RestyleError, match="started from") as e:
            train(style_path, photos, model, steps=10, resume=True, init=init, **TINY)
        assert "\n" not in str(e.value)


@pytest.mark.parametrize("case", ["missing", "folder", "onnx", "not-a-model", "unknown-preset"])
def test_bad_init(tmp_path, photos, style_path, case):
    init = {"missing": tmp_path / "nope.safetensors", "folder": tmp_path, "onnx": tmp_path / "m.onnx",
            "not-a-model": tmp_path / "junk.safetensors", "unknown-preset": "no_such_preset"}[case]
    if case in ("onnx", "not-a-model"):
        init.write_bytes(b"junk")
    out = tmp_path / "m.safetensors"
    with pytest.raises(RestyleError) as e:
        train(style_path, photos, out, steps=1, init=init, **TINY)
    assert "\n" not in str(e.value) and not out.exists()


@pytest.mark.parametrize("case", ["other-style", "other-setting", "no-checkpoint", "already-done", "weights-misfit",
                                  "mean-misfit"])
def test_resume_refuses_another_run(tmp_path, photos, style_path, content_path, case):
    out = tmp_path / "m.safetensors"
    style, kw = style_path, dict(TINY, average_last=0.5)
    if case != "no-checkpoint":
        train(style_path, photos, out, steps=4, **kw)
    steps = 8
    if case.endswith("misfit"):  # e.g. written by another version: the mean as torch's AveragedModel keyed it
        ckpt = tmp_path / "m-training" / "checkpoint.pt"
        blob = torch.load(ckpt, weights_only=True)
        state = blob["model"] if case == "weights-misfit" else blob["average"]["model"]
        for k in list(state):
            state["module." + k] = state.pop(k)
        torch.save(blob, ckpt)
        steps, kw["average_last"] = 5, 0.9  # one step on: the new window (steps 2-5) keeps the mean of 3-4
    elif case == "other-style":
        style = content_path
    elif case == "other-setting":
        kw["crop_size"] = 40
    elif case == "already-done":
        steps = 4
    with pytest.raises(RestyleError) as e:
        train(style, photos, out, steps=steps, resume=True, **kw)
    assert "\n" not in str(e.value) and (not case.endswith("misfit") or "does not fit" in str(e.value))


def test_noise_trains_on_fresh_noise_each_step_and_the_model_adds_its_fixed_pattern(tmp_path, photos, style_path):
    opts = TrainOptions(**dict(TINY, noise=0.1))
    run = training._Training([style_path], photos, opts, preview=None, init=None, say=lambda m: None)
    run.start(tmp_path / "work", resume=False)
    seen = []
    run.net = lambda image, stats: seen.append(image) or image
    x = torch.full((2, 3, 32, 32), 0.5, device=DEVICE)
    run.losses(x), run.losses(x)
    run.step += 1
    run.losses(x)
    first, again, next_step = (image - 0.5 for image in seen)
    assert float(first.std()) == pytest.approx(0.1, rel=0.15) and torch.equal(first, again)  # drawn from the step
    assert not torch.equal(first[0], first[1]) and not torch.equal(first, next_step)  # each crop, each step anew
    assert torch.equal(run.painted(x), with_noise(x, 0.1))  # without the step's draws (a preview): the fixed pattern
    out = train(style_path, photos, tmp_path / "m.safetensors", steps=2, noise=0.1, **dict(TINY, preview_every=1))
    assert load_model(out).noise == 0.1 and load_model(out, noise=0).noise == 0
    with pytest.raises(RestyleError, match="noise differs"):
        train(style_path, photos, out, steps=3, resume=True, **TINY)


@pytest.mark.parametrize("change", [dict(steps=0), dict(crop_size=30), dict(learning_rate=0), dict(style_weight=-1),
                                    dict(batch_size=0), dict(style_layers={"relu9_1": 1}),
                                    dict(average_last=1), dict(average_last=-0.1), dict(learning_rate=float("inf")),
                                    dict(learning_rate=2.0), dict(crop_size=40_000), dict(tv_weight=1e7),
                                    dict(style_scales=(1.0, 0.0)), dict(style_scales=(1.5,)), dict(style_scales=()),
                                    dict(style_scales=(0.5, 0.5)), dict(style_scales=(1.0, 0.25)), dict(width=0),
                                    dict(blocks=0), dict(width=300), dict(blocks=65),
                                    dict(dilation=0), dict(dilation=65), dict(margin=3), dict(margin=-2),
                                    dict(margin=32), dict(coarse=1.5), dict(coarse=0.5, crop_size=36),
                                    dict(coarse=0.5, margin=2), dict(margin_shift=2), dict(margin=4, margin_shift=6),
                                    dict(margin=4, margin_shift=-1), dict(noise=-0.1), dict(noise=0.6)])
def test_bad_options(tmp_path, photos, style_path, change):
    with pytest.raises(RestyleError, match="must|unknown"):
        train(style_path, photos, tmp_path / "m.safetensors", **dict(TINY, **change))
    assert not (tmp_path / "m.safetensors").exists()


def test_style_scales_train_and_are_recorded(tmp_path, photos, style_path):
    reports = []
    out = train(style_path, photos, tmp_path / "m.safetensors", steps=20, style_scales="1,0.5",
                callback=reports.append, **TINY)
    assert reports[-1].losses["style"] < reports[0].losses["style"]
    assert load_model(out).metadata["settings"]["style_scales"] == [1.0, 0.5]


def test_width_and_blocks_train_the_network_they_say(tmp_path, photos, style_path):
    out = train(style_path, photos, tmp_path / "m.safetensors", steps=2, width=8, blocks=1, **TINY)
    model = load_model(out)
    assert model.net.shape == {"width": 8, "blocks": 1} and model.metadata["settings"]["blocks"] == 1
    with pytest.raises(RestyleError, match="width 8 and 1 blocks"):  # training on it keeps its shape
        train(style_path, photos, tmp_path / "n.safetensors", steps=1, init=out, **TINY)
    train(style_path, photos, tmp_path / "n.safetensors", steps=1, init=out, width=8, blocks=1, **TINY)


def test_dilation_trains_the_network_it_says_and_resumes_only_alike(tmp_path, photos, style_path):
    out = train(style_path, photos, tmp_path / "m.safetensors", steps=2, width=8, blocks=3, dilation=2, **TINY)
    model = load_model(out)
    assert model.net.shape == {"width": 8, "blocks": 3, "dilation": 2} and model.metadata["settings"]["dilation"] == 2
    with pytest.raises(RestyleError, match="width 8 and 3 blocks dilated up to 2, not width 8 and 3 blocks"):
        train(style_path, photos, tmp_path / "n.safetensors", steps=1, init=out, width=8, blocks=3, **TINY)
    with pytest.raises(RestyleError, match="dilation differs"):
        train(style_path, photos, out, steps=3, resume=True, width=8, blocks=3, **TINY)


def test_a_checkpoint_older_than_style_scales_resumes(tmp_path, photos, style_path):
    out = tmp_path / "m.safetensors"
    train(style_path, photos, out, steps=2, **TINY)
    ckpt = tmp_path / "m-training" / "checkpoint.pt"
    blob = torch.load(ckpt, weights_only=True)
    for key in ("style_scales", "width", "blocks"):  # as restyle wrote it before these settings existed
        del blob["settings"][key]
    torch.save(blob, ckpt)
    train(style_path, photos, out, steps=3, resume=True, **TINY)
    with pytest.raises(RestyleError, match="style_scales differs"):
        train(style_path, photos, out, steps=4, resume=True, style_scales=(1.0, 0.5), **TINY)


def test_the_model_never_overwrites_the_model_it_starts_from(tmp_path, photos, style_path):
    first = train(style_path, photos, tmp_path / "m.safetensors", steps=1, **TINY)
    before = first.read_bytes()
    with pytest.raises(RestyleError, match="is an input"):
        train(style_path, photos, first, steps=1, init=first, **TINY)
    assert first.read_bytes() == before


@pytest.mark.parametrize("case", ["wrong-suffix", "empty-folder", "missing-folder", "missing-style"])
def test_bad_input(tmp_path, photos, style_path, case):
    out, folder, style = tmp_path / "m.safetensors", photos, style_path
    if case == "wrong-suffix":
        out = tmp_path / "m.pt"
    elif case == "empty-folder":
        folder = tmp_path / "empty"
        folder.mkdir()
    elif case == "missing-folder":
        folder = tmp_path / "nope"
    else:
        style = tmp_path / "nope.jpg"
    with pytest.raises(RestyleError):
        train(style, folder, out, **TINY)
    assert not out.exists()


def test_defaults_are_the_documented_ones():
    o = TrainOptions()
    assert (o.steps, o.batch_size, o.crop_size, o.learning_rate, o.style_weight) == (2000, 8, 384, 1e-3, 10.0)
    assert o.average_last == 0.25


def test_cpu_training_keeps_freed_memory_only_where_asked_and_it_fits(tmp_path, photos, style_path,
                                                                     keep_memory_calls):
    calls, cpu = keep_memory_calls(training), dict(TINY, device="cpu")  # glibc's allocator: the CPU's memory
    train(style_path, photos, tmp_path / "m.safetensors", steps=1, **cpu)
    assert calls == []  # off by default: it tunes the allocator of the whole process
    said = []
    train(style_path, photos, tmp_path / "m.safetensors", steps=2, log=said.append, keep_freed_memory=True, **cpu)
    [(device, peak, kept), left] = calls  # once, around the whole loop
    assert device == "cpu" and peak == int(1.2e9 + 5.3e3 * 2 * 32 ** 2) and left == "left"
    assert any(m.startswith("keeping freed memory for reuse") for m in said) == kept


def test_peak_memory_estimate_is_above_a_measured_peak(tmp_path, photos, style_path):
    # A training run with freed memory kept, in a process of its own, its whole peak (torch, VGG19 and all)
    # measured; the figures at full size are in docs/training-trials.md.
    run = (f"import restyle; restyle.train({str(style_path)!r}, {str(photos)!r}, "
           f"{str(tmp_path / 'm.safetensors')!r}, steps=3, batch_size=4, crop_size=128, style_size=64, "
           "device='cpu', preview_every=0, keep_freed_memory=True); "
           + PEAK_RSS)
    done = subprocess.run([sys.executable, "-c", run], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    peak = int(done.stdout.split()[-1])
    assert peak < training._peak_memory(TrainOptions(batch_size=4, crop_size=128))


def _norm_rows_moved(path) -> list[bool]:
    """For each style of a model file of several styles: whether any norm's scale or shift left its start (1, 0)."""
    norms = {k: v for k, v in _weights(path).items() if v.dim() == 2}  # (styles, channels): the norms' only
    start = {k: torch.ones_like(v) if k.endswith("weight") else torch.zeros_like(v) for k, v in norms.items()}
    return [any(not torch.equal(v[s], start[k][s]) for k, v in norms.items()) for s in range(2)]


def test_several_styles_train_one_model_each_crop_its_own_style_in_turn(tmp_path, photos, style_path,
                                                                        content_path):
    kw = dict(TINY, batch_size=1, average_last=0, save_dtype=torch.float32)
    one = train([style_path, content_path], photos, tmp_path / "one.safetensors", steps=1, **kw)
    assert _norm_rows_moved(one) == [True, False]  # step 0's one crop: style 0 (style 1's norms had no gradient)
    two = train([style_path, content_path], photos, tmp_path / "two.safetensors", steps=2, **kw)
    assert _norm_rows_moved(two) == [True, True]  # step 1's: style 1


def test_a_model_of_several_styles_records_them_and_previews_each(tmp_path, photos, style_path, content_path):
    out = train([style_path, content_path], photos, tmp_path / "m.safetensors", steps=4,
                **dict(TINY, preview_every=2))
    with pytest.raises(RestyleError, match=r"a model of 2 styles \(style, content\)"):
        load_model(out, device=DEVICE)
    model = load_model(out, device=DEVICE, mix="content")
    meta = model.metadata
    assert meta["styles"] == [{"name": "style", "sha256": file_sha256(style_path)},
                              {"name": "content", "sha256": file_sha256(content_path)}]
    assert meta["style_name"] == "content" and "style_sha256" not in meta
    x = torch.rand(3, 32, 40)
    assert not torch.allclose(model.tensor(x), load_model(out, device=DEVICE, mix="style").tensor(x))
    preview = Image.open(tmp_path / "m-training" / "preview-000004.jpg")  # the held-out photo (64x48) in each
    assert preview.size == (2 * 64, 48)


def test_a_run_of_several_styles_resumes_exactly_and_refuses_other_styles(tmp_path, photos, style_path,
                                                                          content_path):
    kw = dict(TINY, checkpoint_every=1000, save_dtype=torch.float32)
    styles = [style_path, content_path]
    whole = train(styles, photos, tmp_path / "whole.safetensors", steps=6, **kw)
    train(styles, photos, tmp_path / "part.safetensors", steps=3, **kw)
    resumed = train(styles, photos, tmp_path / "part.safetensors", steps=6, resume=True, **kw)
    a, b = _weights(whole), _weights(resumed)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(RestyleError, match="another style image"):
        train(styles[::-1], photos, tmp_path / "part.safetensors", steps=8, resume=True, **kw)


@pytest.mark.parametrize("case", ["same-name", "init-one-style"])
def test_bad_styles(tmp_path, photos, style_path, content_path, case):
    if case == "same-name":
        other = tmp_path / "other"
        other.mkdir()
        twin = other / style_path.name
        twin.write_bytes(style_path.read_bytes())
        with pytest.raises(RestyleError, match="two style images are named 'style'"):
            train([style_path, twin], photos, tmp_path / "m.safetensors", steps=1, **TINY)
    else:
        single = train(style_path, photos, tmp_path / "single.safetensors", steps=1, **TINY)
        with pytest.raises(RestyleError, match="width 32 and 5 blocks, not width 32 and 5 blocks for 2 styles"):
            train([style_path, content_path], photos, tmp_path / "m.safetensors", steps=1, init=single, **TINY)


def _inverted_targets(photos, folder):
    """Each photo's negative, at the same name in ``folder``: targets a network can learn in a few steps."""
    folder.mkdir(parents=True)
    for p in photos.iterdir():
        Image.fromarray(255 - np.asarray(Image.open(p))).save(folder / p.name)
    return folder


def test_distillation_alone_brings_the_result_to_the_targets(tmp_path, photos, style_path):
    targets, reports = _inverted_targets(photos, tmp_path / "targets"), []
    out = train(style_path, photos, tmp_path / "m.safetensors", steps=60, targets=targets, callback=reports.append,
                content_weight=0, style_weight=0, tv_weight=0, distill_weight=1, learning_rate=1e-2,
                **dict(TINY, average_last=0))
    first, last = reports[0].losses, reports[-1].losses
    assert set(first) == {"content", "style", "tv", "distill", "total"} and last["total"] == last["distill"]
    assert last["distill"] < 0.5 * first["distill"]
    assert load_model(out, device=DEVICE).metadata["settings"]["distill_weight"] == 1


def test_a_model_of_several_styles_distils_each_style_from_its_own_targets(tmp_path, photos, style_path,
                                                                          content_path):
    targets = tmp_path / "targets"
    _inverted_targets(photos, targets / "style")  # the style "style" inverts, the style "content" copies
    (targets / "content").mkdir()
    for p in photos.iterdir():
        (targets / "content" / p.name).write_bytes(p.read_bytes())
    out = train([style_path, content_path], photos, tmp_path / "m.safetensors", steps=80, targets=targets,
                content_weight=0, style_weight=0, tv_weight=0, distill_weight=1, learning_rate=1e-2,
                **dict(TINY, average_last=0))
    photo = torch.from_numpy(np.array(Image.open(photos / "p1.png"))).permute(2, 0, 1).float().div(255)
    inverting, copying = (load_model(out, device=DEVICE, mix=m).paint(photo.to(DEVICE)).float().cpu()
                          for m in ("style", "content"))
    assert (inverting - (1 - photo)).abs().mean() < 0.7 * (copying - (1 - photo)).abs().mean()
    assert (copying - photo).abs().mean() < 0.7 * (inverting - photo).abs().mean()


@pytest.mark.parametrize("case, message", [
    ("weight-alone", "distill_weight needs targets"), ("targets-alone", "targets are for distillation"),
    ("two-styles", "no folder named content"), ("missing-target", "no image named p0"),
])
def test_bad_distillation(tmp_path, photos, style_path, content_path, case, message):
    targets = _inverted_targets(photos, tmp_path / "targets")
    kw = {"targets": targets, "distill_weight": 1.0}
    if case == "weight-alone":
        kw.pop("targets")
    elif case == "targets-alone":
        kw.pop("distill_weight")
    elif case == "missing-target":
        (targets / "p0.png").unlink()
    elif case == "two-styles":  # a folder for the first style, none for the second
        _inverted_targets(photos, targets / "style")
    styles = [style_path, content_path] if case == "two-styles" else style_path
    with pytest.raises(RestyleError, match=message):
        train(styles, photos, tmp_path / "m.safetensors", steps=1, **kw, **dict(TINY, preview_every=0))
    assert not (tmp_path / "m.safetensors").exists()


def test_a_margin_is_painted_but_not_judged_and_the_model_paints_with_it(tmp_path, photos, style_path):
    opts = TrainOptions(**dict(TINY, margin=8))
    run = training._Training([style_path], photos, opts, preview=None, init=None, say=lambda m: None)
    run.start(tmp_path / "work", resume=False)
    x = run.data.batch(2, 0, 3).to(DEVICE)
    assert x.shape == (2, 3, 48, 48)
    # the identity, but with junk in the top margin: the loss sees only the crop, so its content term is 0
    def junk(rows):
        return lambda image, stats: torch.cat([image[..., :rows, :] * 0 + 0.5, image[..., rows:, :]], -2)
    run.net = junk(8)
    assert float(run.losses(x)["content"]) == 0
    run.net = junk(9)  # one row into the crop: judged
    assert float(run.losses(x)["content"]) > 0
    out = train(style_path, photos, tmp_path / "m.safetensors", steps=2, margin=8, **dict(TINY, preview_every=1))
    assert load_model(out).margin == 8 and load_model(out).metadata["settings"]["margin"] == 8
    assert Image.open(tmp_path / "m-training" / "preview-000001.jpg").size == (64, 48)  # the photo's size
    with pytest.raises(RestyleError, match="margin differs"):
        train(style_path, photos, out, steps=3, resume=True, **TINY)


def test_a_margin_shift_moves_each_judged_crop_about_its_window_alike_for_photo_and_painting(tmp_path, photos,
                                                                                           style_path):
    def run_at(step, shift):
        run = training._Training([style_path], photos, TrainOptions(**dict(TINY, margin=8, margin_shift=shift)),
                                 preview=None, init=None, say=lambda m: None)
        run.step = step
        return run

    # each pixel holds its own row and column, so a judged crop tells where it was cut
    rows, cols = torch.meshgrid(torch.arange(48.0), torch.arange(48.0), indexing="ij")
    x = torch.stack([rows, cols, rows * 0]).expand(64, 3, 48, 48)

    def corners(run):
        judged, twin = run._judged(x, x.clone())
        assert torch.equal(judged, twin)  # cut alike
        assert judged.shape == (64, 3, 32, 32)
        assert torch.equal(judged[:, :2] - judged[:, :2, :1, :1], x[:64, :2, :32, :32])  # whole, unscaled squares
        return judged[:, :2, 0, 0].long().tolist()

    assert {tuple(c) for c in corners(run_at(0, 0))} == {(8, 8)}  # no shift: the middle
    seen = corners(run_at(0, 3))
    assert all(5 <= top <= 11 and 5 <= left <= 11 for top, left in seen)
    assert {top for top, _ in seen} == set(range(5, 12)) and {left for _, left in seen} == set(range(5, 12))
    assert corners(run_at(0, 3)) == seen and corners(run_at(1, 3)) != seen  # drawn from the seed and the step
    # the photo and its painting are judged at the same places: the identity's content term stays 0
    run = run_at(0, 8)
    run.start(tmp_path / "work", resume=False)
    run.net = lambda image, stats: image
    assert float(run.losses(run.data.batch(2, 0, 3).to(DEVICE))["content"]) == 0
    out = train(style_path, photos, tmp_path / "m.safetensors", steps=2, margin=8, margin_shift=4, **TINY)
    assert load_model(out).metadata["settings"]["margin_shift"] == 4 and load_model(out).margin == 8
    resumed = train(style_path, photos, out, steps=3, resume=True, **dict(TINY, margin=8))  # may change on resuming
    assert load_model(resumed).metadata["settings"]["margin_shift"] == 0


def test_coarse_trains_the_two_passes_and_the_model_paints_so_by_default(tmp_path, photos, style_path):
    opts = TrainOptions(**dict(TINY, coarse=0.5))
    run = training._Training([style_path], photos, opts, preview=None, init=None, say=lambda m: None)
    run.start(tmp_path / "work", resume=False)
    run.net = lambda image, stats: image * 0.5  # halves: 0.4 in one pass; in two, half of 0.5 * 0.8 + 0.5 * 0.4
    assert torch.allclose(run.painted(torch.full((2, 3, 32, 32), 0.8)), torch.tensor(0.3), atol=1e-6)
    out = train(style_path, photos, tmp_path / "m.safetensors", steps=2, coarse=0.5, **dict(TINY, preview_every=1))
    assert load_model(out).coarse == 0.5 and load_model(out, coarse=0).coarse == 0
    assert (tmp_path / "m-training" / "preview-000001.jpg").exists()
    with pytest.raises(RestyleError, match="coarse differs"):
        train(style_path, photos, out, steps=3, resume=True, **TINY)
