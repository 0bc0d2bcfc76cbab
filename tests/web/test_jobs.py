import os
import threading

import numpy as np
import pytest
import torch
from PIL import Image

from restyle.errors import RestyleError
from restyle.feedforward.runtime import load_model
from restyle.web import jobs
from tests.conftest import DEVICE, EXAMPLES


@pytest.fixture(scope="module")
def models():
    return jobs.Models(DEVICE)


def test_a_preset_paints_a_photo_shrunk_to_the_working_size(models):
    photo = np.asarray(Image.open(EXAMPLES / "tubingen.jpg").convert("RGB").resize((800, 600)))
    out = jobs.apply_preset(models, photo, "starry_night")
    assert out.size == (512, 384)
    small = photo[:90, :120]
    assert jobs.apply_preset(models, small, "starry_night").size == (120, 90)  # never enlarged
    same = np.asarray(jobs.apply_preset(models, small, "starry_night", strength=0.0), np.int16)
    assert np.abs(same - small).max() <= 1
    assert models["starry_night"] is models["starry_night"]  # loaded once
    two = jobs.apply_preset(models, small, "starry_night", coarse=0.5)  # in two passes, as the library paints
    expected = load_model(preset="starry_night", device=models.device, coarse=0.5)(small)
    assert np.abs(np.asarray(two, np.int16) - np.asarray(expected, np.int16)).max() <= 1
    assert models.preset("starry_night", 0.5) is models.preset("starry_night", 0.5) is not models["starry_night"]
    assert models.preset("starry_night", 0.5).net is models["starry_night"].net  # one network, not a copy
    noisy = jobs.apply_preset(models, small, "starry_night", noise=0.05)  # texture in flat areas, as the library
    expected = load_model(preset="starry_night", device=models.device, noise=0.05)(small)
    assert np.abs(np.asarray(noisy, np.int16) - np.asarray(expected, np.int16)).max() <= 1
    assert models.preset("starry_night", 0.5, 0.05) is models.preset("starry_night", 0.5, 0.05)
    assert (models.preset("starry_night", 0.5, 0.05).coarse, models.preset("starry_night", 0.5, 0.05).noise) == \
        (0.5, 0.05)


def test_the_command_line_equivalent():
    assert jobs.apply_command("great_wave", 0.7, True, 512) == \
        "restyle apply --preset great_wave --size 512 --strength 0.7 --preserve-color photo.jpg -o painted.png"
    assert jobs.apply_command("great_wave", 1.0, False, 256) == \
        "restyle apply --preset great_wave --size 256 photo.jpg -o painted.png"
    options = jobs.stylize_settings(256, 100, 10, preserve_color="luminance", seed=3)
    assert jobs.stylize_command(options) == (
        "restyle stylize photo.jpg -s painting.jpg -o painted.png --size 256 --iterations 100 --style-weight 10 "
        "--style-scale 1 --preserve-color luminance --seed 3")
    assert jobs.video_command("the_scream", 0.5, 320) == \
        "restyle video clip.mp4 --preset the_scream -o painted.mp4 --size 320 --strength 0.5"
    assert jobs.video_command("the_scream", 1.0, 320, coarse=0.3) == \
        "restyle video clip.mp4 --preset the_scream -o painted.mp4 --size 320 --coarse 0.3"
    assert jobs.apply_command("great_wave", 0.7, False, 512, coarse=0.5) == \
        "restyle apply --preset great_wave --size 512 --strength 0.7 --coarse 0.5 photo.jpg -o painted.png"
    assert jobs.apply_command("great_wave", 1.0, True, 512, noise=0.02) == \
        "restyle apply --preset great_wave --size 512 --noise 0.02 --preserve-color photo.jpg -o painted.png"
    assert jobs.video_command("the_scream", 1.0, 320, coarse=0.3, noise=0.02) == \
        "restyle video clip.mp4 --preset the_scream -o painted.mp4 --size 320 --coarse 0.3 --noise 0.02"
    assert jobs.video_command("the_scream", 1.0, None, "/tmp/upload/abc/mine.safetensors") == \
        "restyle video clip.mp4 --model mine.safetensors -o painted.mp4"
    assert jobs.apply_command("the_scream", 1.0, False, 512, model_file="/tmp/x/mine.onnx") == \
        "restyle apply --model mine.onnx --size 512 photo.jpg -o painted.png"
    assert jobs.apply_command("the_scream", 1.0, False, 512, model_file="/tmp/x/ab.safetensors", mix=" a:0.6,b:0.4") \
        == "restyle apply --model ab.safetensors --mix a:0.6,b:0.4 --size 512 photo.jpg -o painted.png"
    assert jobs.apply_command("the_scream", 1.0, False, 512, mix="a,b") == \
        "restyle apply --preset a,b --size 512 photo.jpg -o painted.png"  # a mix of a preset's styles
    assert jobs.video_command("the_scream", 1.0, None, "/tmp/ab.safetensors", mix="b") == \
        "restyle video clip.mp4 --model ab.safetensors --mix b -o painted.mp4"
    assert jobs.video_command("the_scream", 1.0, None, "/tmp/mine.safetensors", mix="  ") == \
        "restyle video clip.mp4 --model mine.safetensors -o painted.mp4"  # a blank box: no mix


def test_a_model_file_of_ones_own_paints_instead_of_the_preset(models, tmp_path):
    from restyle.feedforward.modelfile import presets

    mine = tmp_path / "mine.safetensors"
    mine.write_bytes(presets()["the_scream"].read_bytes())
    photo = EXAMPLES / "tubingen.jpg"
    ours = np.asarray(jobs.apply_preset(models, photo, "starry_night", size=64, model_file=str(mine)), np.int16)
    scream = np.asarray(jobs.apply_preset(models, photo, "the_scream", size=64), np.int16)
    starry = np.asarray(jobs.apply_preset(models, photo, "starry_night", size=64), np.int16)
    assert np.abs(ours - scream).max() <= 1 and np.abs(ours - starry).mean() > 10
    (tmp_path / "broken.safetensors").write_text("not a model")
    with pytest.raises(RestyleError, match=r"^broken\.safetensors: ") as e:  # its name, not the server's path
        jobs.model_for(models, "starry_night", str(tmp_path / "broken.safetensors"))
    assert str(tmp_path) not in str(e.value)


def test_a_model_of_several_styles_paints_the_style_or_mix_typed(models, tmp_path):
    import torch

    from restyle.feedforward.modelfile import save_model
    from restyle.feedforward.runtime import load_model
    from tests.feedforward.conftest import lively_net

    path = tmp_path / "ab.safetensors"
    save_model(lively_net(width=8, blocks=1, styles=2), path, {"styles": [{"name": "a"}, {"name": "b"}]},
               dtype=torch.float32)
    photo = EXAMPLES / "tubingen.jpg"
    painted = {mix: np.asarray(jobs.apply_preset(models, photo, "starry_night", size=48, model_file=str(path),
                                                 mix=mix), np.int16) for mix in ("a", " b ", "a:0.5,b:0.5")}
    direct = np.asarray(jobs._painted(load_model(path, device=DEVICE, mix="b"), photo, 48), np.int16)
    assert np.abs(painted[" b "] - direct).max() <= 1
    assert np.abs(painted["a"] - painted[" b "]).mean() > 1 and np.abs(painted["a:0.5,b:0.5"] - direct).mean() > 0.5
    for mix, message in ((None, r"^ab\.safetensors: a model of 2 styles \(a, b\); choose one or a mix"),
                         ("", "choose one or a mix"), ("c", "no style named 'c'"), ("a:-1", "must be a number >= 0")):
        with pytest.raises(RestyleError, match=message) as e:
            jobs.model_for(models, "starry_night", str(path), mix)
        assert "\n" not in str(e.value) and str(tmp_path) not in str(e.value)
    with pytest.raises(RestyleError, match="separate presets|one preset"):  # no shipped preset holds both
        jobs.model_for(models, "starry_night", mix="the_scream:0.5,starry_night:0.5")


def _bomb(path):
    Image.new("1", (8000, 8000)).save(path)  # 64 million pixels in a few kilobytes
    return path


@pytest.mark.parametrize("case, message", [
    ("none", "give a photo first"), ("text", "not an image|cannot"), ("truncated", "truncated|cannot|broken"),
    ("bomb", "over the limit"), ("preset", "no preset named"), ("size", "size must be"), ("strength", "strength"),
])
def test_bad_input_is_a_one_line_error(models, tmp_path, case, message):
    photo, preset, size, strength = str(EXAMPLES / "tubingen.jpg"), "starry_night", 512, 1.0
    if case == "none":
        photo = None
    elif case == "text":
        photo = tmp_path / "notes.jpg"
        photo.write_text("not a picture")
    elif case == "truncated":
        photo = tmp_path / "cut.jpg"
        photo.write_bytes((EXAMPLES / "tubingen.jpg").read_bytes()[:3000])
    elif case == "bomb":
        photo = _bomb(tmp_path / "bomb.png")
    elif case == "preset":
        preset = "mona_lisa"
    elif case == "size":
        size = 0
    else:
        strength = 3.0
    with pytest.raises(RestyleError, match=message) as e:
        jobs.apply_preset(models, photo, preset, strength, size=size)
    assert "\n" not in str(e.value)


def test_the_optimizer_shows_its_image_as_it_goes_and_ends_with_the_result():
    options = jobs.stylize_settings(32, 7, 10, seed=0, device=DEVICE)
    updates = list(jobs.stylize_painting(EXAMPLES / "tubingen.jpg", EXAMPLES / "starry_night.jpg", options))
    assert len(updates) == 7
    assert [u.result is not None for u in updates] == [True, False, False, False, True, False, True]
    assert updates[-1].result.size == (32, 24) and updates[-1].fraction == pytest.approx(1.0)
    fractions = [u.fraction for u in updates]
    assert fractions == sorted(fractions) and updates[0].text.startswith("iteration 1 of 7")


def test_a_stopped_run_ends_with_the_best_image_so_far():
    options = jobs.stylize_settings(32, 50, 10, seed=0, device=DEVICE)
    cancel, updates = threading.Event(), []
    for update in jobs.stylize_painting(EXAMPLES / "tubingen.jpg", EXAMPLES / "starry_night.jpg", options,
                                        cancel=cancel):
        updates.append(update)
        if len(updates) == 3:
            cancel.set()
    assert len(updates) == 4 and updates[-1].result.size == (32, 24)
    assert updates[-1].text == "stopped at iteration 3 of 50"


@pytest.mark.parametrize("settings, message", [
    ((0, 10, 10, "none"), "size must be"), ((4096, 10, 10, "none"), "size must be at most 2048"),
    ((64, 0, 10, "none"), "iterations must be"), ((64, 5000, 10, "none"), "iterations must be at"),
    ((64, 10, -1, "none"), "style_weight"), ((64, 10, 10, "sepia"), "preserve_color"),
])
def test_bad_optimizer_settings(settings, message):
    *numbers, keep = settings
    with pytest.raises(RestyleError, match=message):
        jobs.stylize_settings(*numbers, preserve_color=keep)


def test_missing_painting():
    options = jobs.stylize_settings(32, 2, 10)
    with pytest.raises(RestyleError, match="give a painting first"):
        list(jobs.stylize_painting(EXAMPLES / "tubingen.jpg", None, options))


def _clip(tmp_path, frames=6, size=(64, 48)):
    pytest.importorskip("av")
    pytest.importorskip("cv2")
    from tests.video.conftest import pan, write_clip

    return write_clip(tmp_path / "clip.mp4", pan(frames, size=size))


def test_a_video_is_painted_with_its_sound(models, tmp_path):
    from tests.video.conftest import audio_packets, decoded

    clip = _clip(tmp_path)
    updates = list(jobs.paint_video(models, str(clip), "starry_night", 1.0, folder=tmp_path))
    out = updates[-1].result
    assert out.parent == tmp_path and len(decoded(out)) == 6 and decoded(out)[0].shape == (48, 64, 3)
    assert audio_packets(out) == audio_packets(clip)
    assert [u.text for u in updates[:-1]] == [f"frame {i} of 6" for i in range(1, 7)]
    assert updates[-2].fraction == 1.0 and updates[-1].text == "done"


def test_a_video_is_shrunk_to_the_working_size_never_enlarged(models, tmp_path):
    from tests.video.conftest import decoded

    clip = str(_clip(tmp_path, frames=2))
    assert jobs.video_size(clip, 32) == 32 and jobs.video_size(clip, 64) is None
    out = list(jobs.paint_video(models, clip, "starry_night", folder=tmp_path, size=32))[-1].result
    assert decoded(out)[0].shape == (24, 32, 3)


def test_closing_a_video_job_stops_it_after_the_frame_in_hand(models, tmp_path):
    from tests.video.conftest import decoded

    job = jobs.paint_video(models, str(_clip(tmp_path, frames=40)), "starry_night", folder=tmp_path)
    assert next(job).text == "frame 1 of 40"
    job.close()  # (what the page's Stop does)
    done = decoded(tmp_path / "clip-painted.mp4")
    assert 1 <= len(done) < 40


@pytest.mark.parametrize("case, message", [
    (None, "give a video first"), ("notes.mp4", r"^notes\.mp4: not a video file"), ("size", "size must be"),
])
def test_a_bad_video_is_a_one_line_error_naming_the_upload(models, tmp_path, case, message):
    pytest.importorskip("av")
    clip, size = None, 512
    if case == "size":
        clip, size = str(_clip(tmp_path, frames=2)), 0
    elif case is not None:
        clip = tmp_path / case
        clip.write_text("not a video")
    with pytest.raises(RestyleError, match=message) as e:
        list(jobs.paint_video(models, None if clip is None else str(clip), "starry_night", folder=tmp_path,
                              size=size))
    assert str(tmp_path) not in str(e.value)


def test_a_region_drawn_over_the_photo_is_painted_and_the_rest_kept(models):
    layer = np.zeros((48, 64, 4), np.uint8)
    layer[:, :24, 3] = 255  # drawn over the left part
    mask = jobs.drawn_mask([layer])
    assert mask.dtype == np.uint8 and mask[:, :24].min() == 255 and mask[:, 24:].max() == 0
    assert jobs.drawn_mask([np.zeros((48, 64, 4), np.uint8)]) is None and jobs.drawn_mask(None) is None
    photo = np.asarray(Image.open(EXAMPLES / "tubingen.jpg").convert("RGB").resize((64, 48)))
    out = np.asarray(jobs.apply_regions(models, photo, mask, inside="the_scream", outside="none"), np.int16)
    scream = np.asarray(jobs.apply_preset(models, photo, "the_scream"), np.int16)
    assert np.abs(out[:, 32:] - photo[:, 32:]).max() <= 1 and np.array_equal(out[:, :20], scream[:, :20])
    both = np.asarray(jobs.apply_regions(models, photo, mask, inside="the_scream", outside="great_wave"), np.int16)
    wave = np.asarray(jobs.apply_preset(models, photo, "great_wave"), np.int16)
    assert np.array_equal(both[:, 32:], wave[:, 32:])
    assert jobs.regions_command("the_scream", "none", strength=1.0, preserve_color=False, size=64,
                                feather=8) == (
        "restyle apply --mask mask.png --region 255=the_scream --region 0=none --size 64 --feather 8 photo.jpg "
        "-o painted.png")


def test_an_uploaded_mask_of_other_colours_is_a_one_line_error_naming_the_upload(models, tmp_path):
    mask = tmp_path / "mine.png"
    Image.new("RGB", (8, 6), (0, 255, 0)).save(mask)
    with pytest.raises(RestyleError, match=r"^mine\.png: colours no region names: 00ff00") as e:
        jobs.apply_regions(models, EXAMPLES / "tubingen.jpg", str(mask), inside="the_scream", outside="none")
    assert str(tmp_path) not in str(e.value)


def test_a_region_takes_an_uploaded_model_and_a_mix_of_its_styles(models, tmp_path):
    from restyle.feedforward.modelfile import presets, save_model
    from restyle.feedforward.runtime import load_model
    from tests.feedforward.conftest import lively_net

    mine = tmp_path / "mine.safetensors"
    mine.write_bytes(presets()["the_scream"].read_bytes())
    photo = np.asarray(Image.open(EXAMPLES / "tubingen.jpg").convert("RGB").resize((64, 48)))
    mask = np.zeros((48, 64), np.uint8)
    mask[:, :24] = 255
    kw = dict(inside="starry_night", outside="none")
    ours = np.asarray(jobs.apply_regions(models, photo, mask, model_file=str(mine), **kw), np.int16)
    scream = np.asarray(jobs.apply_regions(models, photo, mask, inside="the_scream", outside="none"), np.int16)
    assert np.abs(ours - scream).max() <= 1  # the model file painted the region, not the preset chosen
    ab = save_model(lively_net(width=8, blocks=1, styles=2), tmp_path / "ab.safetensors",
                    {"styles": [{"name": "a"}, {"name": "b"}]}, dtype=torch.float32)
    mixed = np.asarray(jobs.apply_regions(models, photo, mask, model_file=str(ab), mix=" a:0.5,b:0.5", **kw),
                       np.int16)
    whole = np.asarray(jobs._painted(load_model(ab, device=DEVICE, mix="a:0.5,b:0.5"), photo, 64), np.int16)
    assert np.abs(mixed[:, :20] - whole[:, :20]).max() <= 1 and np.abs(mixed[:, 32:] - photo[:, 32:]).max() <= 1
    with pytest.raises(RestyleError, match="a model of one style"):
        jobs.apply_regions(models, photo, mask, model_file=str(mine), mix="a:0.5,b:0.5", **kw)
    assert np.array_equal(jobs.apply_regions(models, photo, mask, mix="  ", **kw),  # a blank box: no mix
                          jobs.apply_regions(models, photo, mask, **kw))
    assert jobs.regions_command("starry_night", "none", strength=1.0, preserve_color=False, size=64, feather=0,
                                model_file=str(ab), mix=" a:0.5,b:0.5").startswith(
        "restyle apply --mask mask.png --region 255=ab.safetensors@a:0.5,b:0.5 --region 0=none ")


def test_an_uploaded_model_paints_in_two_passes_and_with_noise_as_it_was_trained_unless_told(tmp_path):
    from restyle.feedforward.modelfile import save_model
    from tests.feedforward.conftest import lively_net

    trained = save_model(lively_net(width=8, blocks=1), tmp_path / "t.safetensors", {"settings": {"coarse": 0.3}})
    assert jobs.trained_settings(None) == (0.0, 0.0) and jobs.trained_settings(str(trained)) == (0.3, 0.0)
    plain = save_model(lively_net(width=8, blocks=1), tmp_path / "p.safetensors", {})
    assert jobs.trained_settings(str(plain)) == (0.0, 0.0)
    for bad in (b"not a model", b"\xff" * 8):  # unreadable: 0, and painting with it names the trouble
        (tmp_path / "bad.safetensors").write_bytes(bad)
        assert jobs.trained_settings(str(tmp_path / "bad.safetensors")) == (0.0, 0.0)
    for settings in ({"coarse": 7}, {"noise": 0.9}, {"noise": "x"}):
        odd = save_model(lively_net(width=8, blocks=1), tmp_path / "o.safetensors", {"settings": settings})
        assert jobs.trained_settings(str(odd)) == (0.0, 0.0)
    noisy = save_model(lively_net(width=8, blocks=1), tmp_path / "n.safetensors", {"settings": {"noise": 0.02}})
    assert jobs.trained_settings(str(noisy)) == (0.0, 0.02)
    assert "--noise" not in jobs.apply_command("x", 1.0, False, 64, model_file=str(noisy), noise=0.02)
    assert jobs.video_command("x", 1.0, model_file=str(noisy), noise=0.0).endswith("--noise 0")
    assert "--noise 0.02" in jobs.regions_command("x", "great_wave", strength=1.0, preserve_color=False, size=64,
                                                  feather=0, model_file=str(noisy), noise=0.02)
    assert jobs.apply_command("x", 1.0, False, 64, model_file=str(trained), coarse=0.3) == \
        "restyle apply --model t.safetensors --size 64 photo.jpg -o painted.png"  # its own: no option needed
    assert "--coarse 0 " in jobs.apply_command("x", 1.0, False, 64, model_file=str(trained), coarse=0.0)
    assert jobs.video_command("x", 1.0, model_file=str(trained), coarse=0.0).endswith("--coarse 0")
    assert "--coarse 0.3" in jobs.regions_command("x", "great_wave", strength=1.0, preserve_color=False, size=64,
                                                  feather=0, model_file=str(trained), coarse=0.3)
    assert "--coarse" not in jobs.regions_command("x", "none", strength=1.0, preserve_color=False, size=64,
                                                  feather=0, model_file=str(trained), coarse=0.3)


def test_an_exported_models_own_two_passes_are_read_too_loading_it_once(tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime")
    from restyle.feedforward.modelfile import save_model
    from restyle.feedforward.onnx import export_onnx
    from tests.feedforward.conftest import lively_net

    loads, real_load = [], jobs.load_model
    monkeypatch.setattr(jobs, "load_model", lambda *a, **k: loads.append(a) or real_load(*a, **k))
    trained = save_model(lively_net(width=8, blocks=1), tmp_path / "t.safetensors", {"settings": {"coarse": 0.4}})
    exported = str(export_onnx(trained, tmp_path / "t.onnx"))
    assert jobs.trained_settings(exported) == (0.4, 0.0) and jobs.trained_settings(exported) == (0.4, 0.0)
    assert len(loads) == 1  # on upload, then for each command shown: loaded once
    plain = save_model(lively_net(width=8, blocks=1), tmp_path / "p.safetensors", {})
    os.replace(export_onnx(plain, tmp_path / "p.onnx"), exported)
    assert jobs.trained_settings(exported) == (0.0, 0.0)  # a new file under the same name is read anew


def test_the_commands_shown_paint_what_the_page_painted(models, tmp_path, run_cli):
    from restyle.feedforward.modelfile import save_model
    from tests.feedforward.conftest import lively_net

    ab = save_model(lively_net(width=8, blocks=1, styles=2), tmp_path / "ab.safetensors",
                    {"styles": [{"name": "a"}, {"name": "b"}]}, dtype=torch.float32)
    photo = tmp_path / "photo.jpg"
    Image.open(EXAMPLES / "tubingen.jpg").convert("RGB").resize((64, 48)).save(photo)
    mask = np.zeros((48, 64), np.uint8)
    mask[:, :24] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    own = save_model(lively_net(width=8, blocks=1), tmp_path / "own.safetensors", {"settings": {"coarse": 0.5}},
                     dtype=torch.float32)
    page = {"whole": jobs.apply_preset(models, photo, "the_scream", size=64, model_file=str(ab), mix="b"),
            "own, as trained": jobs.apply_preset(models, photo, "x", size=64, model_file=str(own), coarse=0.5),
            "own, one pass": jobs.apply_preset(models, photo, "x", size=64, model_file=str(own), coarse=0.0),
            "region": jobs.apply_regions(models, photo, mask, inside="the_scream", outside="none", size=64,
                                         model_file=str(ab), mix="b"),
            "two passes": jobs.apply_regions(models, photo, mask, inside="the_scream", outside="great_wave",
                                             size=64, coarse=0.5),
            "noise": jobs.apply_preset(models, photo, "great_wave", size=64, noise=0.05)}
    shown = {"whole": jobs.apply_command("the_scream", 1.0, False, 64, model_file=str(ab), mix="b"),
             "own, as trained": jobs.apply_command("x", 1.0, False, 64, model_file=str(own), coarse=0.5),
             "own, one pass": jobs.apply_command("x", 1.0, False, 64, model_file=str(own), coarse=0.0),
             "region": jobs.regions_command("the_scream", "none", strength=1.0, preserve_color=False, size=64,
                                            feather=0, model_file=str(ab), mix="b"),
             "two passes": jobs.regions_command("the_scream", "great_wave", strength=1.0, preserve_color=False,
                                                size=64, feather=0, coarse=0.5),
             "noise": jobs.apply_command("great_wave", 1.0, False, 64, noise=0.05)}
    for name, command in shown.items():  # the files it names are the ones in tmp_path
        words = [w.replace("ab.safetensors", str(ab)).replace("own.safetensors", str(own)) if ".safetensors" in w
                 else str(tmp_path / w) if w.endswith((".jpg", ".png")) else w for w in command.split()[2:]]
        code, _, err = run_cli("apply", *words, "--device", DEVICE, "-q")
        assert code == 0, (command, err)
        typed = np.asarray(Image.open(tmp_path / "painted.png"), np.int16)
        assert np.abs(typed - np.asarray(page[name], np.int16)).max() <= 1, command
