import os
import signal

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from restyle.errors import Interrupted, RestyleError
from restyle.stylemodel import load_model
from restyle.training import TrainOptions, train

TINY = dict(batch_size=2, crop_size=32, style_size=64, device="cpu", precision="fp32", seed=3, preview_every=0)


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


def test_ctrl_c_checkpoints_and_resume_matches(tmp_path, photos, style_path):
    kw = dict(TINY, checkpoint_every=1000, save_dtype=torch.float32)
    whole = train(style_path, photos, tmp_path / "whole.safetensors", steps=20, **kw)

    def press_ctrl_c(p):
        if p.step == 10:
            os.kill(os.getpid(), signal.SIGINT)

    out = tmp_path / "cut.safetensors"
    with pytest.raises(Interrupted):
        train(style_path, photos, out, steps=20, callback=press_ctrl_c, **kw)
    assert not out.exists() and (tmp_path / "cut-training" / "checkpoint.pt").exists()
    resumed = train(style_path, photos, out, steps=20, resume=True, **kw)
    a, b = _weights(whole), _weights(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_metadata_and_previews(tmp_path, photos, style_path):
    out = train(style_path, photos, tmp_path / "m.safetensors", steps=10, **dict(TINY, preview_every=5))
    meta = load_model(out, device="cpu").metadata
    assert meta["style_name"] == "style" and len(meta["style_sha256"]) == 64 and meta["seed"] == 3
    assert meta["steps"] == 10 and meta["photos"] == 2  # one of the three held out for previews
    assert meta["settings"]["crop_size"] == 32 and "restyle_version" in meta
    previews = sorted(p.name for p in (tmp_path / "m-training").glob("preview-*.jpg"))
    assert previews == ["preview-000005.jpg", "preview-000010.jpg"]


@pytest.mark.parametrize("case", ["other-style", "other-setting", "no-checkpoint", "already-done"])
def test_resume_refuses_another_run(tmp_path, photos, style_path, content_path, case):
    out = tmp_path / "m.safetensors"
    if case != "no-checkpoint":
        train(style_path, photos, out, steps=4, **TINY)
    style, kw = style_path, dict(TINY)
    steps = 8
    if case == "other-style":
        style = content_path
    elif case == "other-setting":
        kw["crop_size"] = 40
    elif case == "already-done":
        steps = 4
    with pytest.raises(RestyleError) as e:
        train(style, photos, out, steps=steps, resume=True, **kw)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("change", [dict(steps=0), dict(crop_size=30), dict(learning_rate=0), dict(style_weight=-1),
                                    dict(batch_size=0), dict(style_layers={"relu9_1": 1})])
def test_bad_options(tmp_path, photos, style_path, change):
    with pytest.raises(RestyleError):
        train(style_path, photos, tmp_path / "m.safetensors", **dict(TINY, **change))
    assert not (tmp_path / "m.safetensors").exists()


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
