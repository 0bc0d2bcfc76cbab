"""``run_batch`` end to end at tiny sizes: every photo in every style, resume, redo, failures, stopping."""

import json
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from restyle.batch.painter import Painter
from restyle.batch.run import run_batch
from restyle.errors import RestyleError
from restyle.feedforward.runtime import load_model
from tests.conftest import DEVICE


def pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path), np.int16)


def outputs(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.png"))


def test_every_photo_in_every_preset_as_one_at_a_time(photos, tmp_path):
    out = tmp_path / "out"
    summary = run_batch([str(photos)], out, ["great_wave", "the_scream"], device=DEVICE)
    assert summary.ok and summary.done == 6 and summary.report == out / "batch-report.json"
    assert outputs(out) == [f"{s}/{p}.png" for s in ("great_wave", "the_scream") for p in "abc"]
    model = load_model(preset="the_scream", device=DEVICE)
    for photo, name in ((photos / "b.jpg", "b"), (photos / "sub" / "c.png", "c")):
        assert np.abs(pixels(out / "the_scream" / f"{name}.png") - np.asarray(model(photo), np.int16)).max() <= 1


def test_model_jobs_keep_freed_memory_from_job_to_job_where_asked(photos, tmp_path, keep_memory_calls):
    import torch

    from restyle.core import memory
    calls, device = keep_memory_calls(memory), torch.device(DEVICE)
    run_batch([str(photos)], tmp_path / "out", ["the_scream"], device=DEVICE)
    assert calls == []  # off by default: it tunes the allocator of the whole process
    summary = run_batch([str(photos)], tmp_path / "kept", ["great_wave", "the_scream"], device=DEVICE,
                        keep_freed_memory=True)
    assert summary.done == 6
    [(kind, peak, _), left] = calls  # one block, up to the default budget (within which passes are planned)
    assert kind == device.type and 0 < peak <= memory.DEFAULT_BUDGET and left == "left"
    calls.clear()
    run_batch([str(photos)], tmp_path / "budget", ["great_wave"], device=DEVICE, keep_freed_memory=True,
              max_memory=4.0)  # a budget given binds
    assert calls == []


def test_a_rerun_skips_what_is_finished_and_redoes_what_changed(photos, tmp_path):
    out, log = tmp_path / "out", []
    run_batch([str(photos)], out, ["great_wave"], device=DEVICE, size=32)
    again = run_batch([str(photos)], out, ["great_wave"], device=DEVICE, size=32, log=log.append)
    assert (again.done, again.skipped) == (0, 3) and "skipped 3 finished; 0 to do" in log
    assert run_batch([str(photos)], out, ["great_wave"], device=DEVICE, size=32, strength=0.5).done == 3
    assert Image.open(out / "great_wave" / "a.png").width == 32
    assert run_batch([str(photos)], out, ["great_wave"], device=DEVICE, size=32, strength=0.5, force=True).done == 3
    settings = {j["settings"]["strength"] for j in json.loads((out / "batch-report.json").read_text())["jobs"]}
    assert settings == {0.5}


def test_coarse_paints_a_model_in_two_passes_and_is_a_setting_of_its_own(photos, tmp_path):
    out = tmp_path / "out"
    run_batch([str(photos / "b.jpg")], out, ["the_scream"], device=DEVICE, size=48)
    one = pixels(out / "the_scream" / "b.png")
    assert run_batch([str(photos / "b.jpg")], out, ["the_scream"], device=DEVICE, size=48, coarse=0.5).done == 1
    model = load_model(preset="the_scream", device=DEVICE, coarse=0.5)
    two = np.asarray(model(photos / "b.jpg", size=48), np.int16)
    assert np.abs(pixels(out / "the_scream" / "b.png") - two).max() <= 1
    assert np.abs(two - one).mean() > 1


def test_noise_is_added_before_a_model_paints_and_is_a_setting_of_its_own(photos, tmp_path):
    out = tmp_path / "out"
    run_batch([str(photos / "b.jpg")], out, ["the_scream"], device=DEVICE, size=48)
    plain = pixels(out / "the_scream" / "b.png")
    assert run_batch([str(photos / "b.jpg")], out, ["the_scream"], device=DEVICE, size=48, noise=0.05).done == 1
    noisy = np.asarray(load_model(preset="the_scream", device=DEVICE, noise=0.05)(photos / "b.jpg", size=48), np.int16)
    assert np.abs(pixels(out / "the_scream" / "b.png") - noisy).max() <= 1
    assert np.abs(noisy - plain).mean() > 1


def test_a_bad_photo_fails_alone_and_is_reported(photos, tmp_path):
    (photos / "broken.jpg").write_text("not a photo")
    out = tmp_path / "out"
    summary = run_batch([str(photos)], out, ["great_wave"], device=DEVICE)
    assert summary.done == 3 and [o.job.photo for o in summary.failed] == [str(photos / "broken.jpg")]
    assert "not an image file" in summary.failed[0].reason and not summary.ok
    report = json.loads((out / "batch-report.json").read_text())
    assert report["failed"] == 1 and [j["status"] for j in report["jobs"]].count("done") == 3


def test_a_file_restyle_did_not_write_is_kept_unless_forced(photos, tmp_path):
    out = tmp_path / "out"
    (out / "great_wave").mkdir(parents=True)
    Image.new("RGB", (5, 5), "red").save(out / "great_wave" / "a.png")
    summary = run_batch([str(photos)], out, ["great_wave"], device=DEVICE)
    assert "was not written by restyle batch" in summary.failed[0].reason
    assert Image.open(out / "great_wave" / "a.png").size == (5, 5)
    assert run_batch([str(photos)], out, ["great_wave"], device=DEVICE, force=True).ok
    assert Image.open(out / "great_wave" / "a.png").size == (48, 32)


def test_a_painting_by_the_optimizer_and_a_manifest(photos, style_path, tmp_path):
    manifest = tmp_path / "jobs.csv"
    manifest.write_text(f"photo,style,size,iterations\nphotos/a.png,{style_path.name},24,2\n"
                        "photos/b.jpg,great_wave,16,\n")
    out = tmp_path / "out"
    summary = run_batch(outdir=out, manifest=manifest, device=DEVICE, seed=1)
    assert summary.ok and outputs(out) == ["great_wave/b.png", f"{style_path.stem}/a.png"]
    assert Image.open(out / style_path.stem / "a.png").size == (24, 16)


def test_stopping_between_jobs_and_going_on(photos, tmp_path, monkeypatch):
    out, stop, paint = tmp_path / "out", threading.Event(), Painter.paint

    def paint_then_stop(self, jobs, photos):
        stop.set()
        return paint(self, jobs, photos)

    monkeypatch.setattr(Painter, "paint", paint_then_stop)
    summary = run_batch([str(photos)], out, ["great_wave"], device=DEVICE, batch_size=1, cancel=stop)
    assert summary.interrupted and summary.done == 1 and len(outputs(out)) == 1
    monkeypatch.undo()
    rest = run_batch([str(photos)], out, ["great_wave"], device=DEVICE)
    assert rest.skipped == summary.done and rest.done == 3 - summary.done


def test_a_model_of_several_styles_paints_the_mix_asked_and_a_painting_takes_none(photos, style_path, tmp_path):
    from restyle.feedforward.modelfile import save_model
    from tests.feedforward.conftest import lively_net
    two = save_model(lively_net(width=8, blocks=1, styles=2), tmp_path / "two.safetensors",
                     {"styles": [{"name": "a"}, {"name": "b"}]})
    out = tmp_path / "out"
    assert run_batch([str(photos / "b.jpg")], out, [str(two)], device=DEVICE, mix="a:1,b:3").done == 1
    model = load_model(two, device=DEVICE, mix="a:0.25,b:0.75")
    assert np.abs(pixels(out / "two" / "b.png") - np.asarray(model(photos / "b.jpg"), np.int16)).max() <= 1
    assert run_batch([str(photos / "b.jpg")], out, [str(two)], device=DEVICE, mix="b").done == 1  # another mix
    failed = run_batch([str(photos / "b.jpg")], tmp_path / "none", [str(two)], device=DEVICE)
    assert len(failed.failed) == 1 and "a model of 2 styles" in failed.failed[0].reason
    with pytest.raises(RestyleError, match="mix is for models of several styles"):
        run_batch([str(photos)], tmp_path / "x", [str(style_path)], mix="a")


@pytest.mark.parametrize("kwargs, message", [
    ({"styles": []}, "give the styles"), ({"inputs": []}, "give the photos"),
    ({"backend": "spark"}, "unknown backend 'spark'"), ({"format": "gif"}, "unknown format"),
    ({"strength": 3}, "strength must be between 0 and 1"), ({"colour": 1}, "unknown setting 'colour'"),
])
def test_bad_batches_stop_before_any_work(photos, tmp_path, kwargs, message):
    args = {"inputs": [str(photos)], "outdir": tmp_path / "out", "styles": ["great_wave"]} | kwargs
    with pytest.raises(RestyleError, match=message):
        run_batch(**args)
    assert not list((tmp_path / "out").rglob("*.png")) if (tmp_path / "out").exists() else True


def test_an_output_that_would_overwrite_a_photo_is_refused(tmp_path):
    out = tmp_path / "out"
    (out / "great_wave").mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(out / "great_wave" / "a.png")
    with pytest.raises(RestyleError, match="is an input"):
        run_batch([str(out / "great_wave" / "a.png")], out, ["great_wave"])


def test_the_ray_backend_without_ray_says_how_to_install_it(photos, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails
    with pytest.raises(RestyleError, match=r"the ray backend needs Ray: pip install 'restyle\[ray\]'"):
        run_batch([str(photos)], tmp_path / "out", ["great_wave"], backend="ray")
