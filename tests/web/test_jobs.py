import threading

import numpy as np
import pytest
from PIL import Image

from restyle.errors import RestyleError
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


def test_the_command_line_equivalent():
    assert jobs.apply_command("great_wave", 0.7, True, 512) == \
        "restyle apply --preset great_wave --size 512 --strength 0.7 --preserve-color photo.jpg -o painted.png"
    assert jobs.apply_command("great_wave", 1.0, False, 256) == \
        "restyle apply --preset great_wave --size 256 photo.jpg -o painted.png"
    options = jobs.stylize_settings(256, 100, 10, preserve_color="luminance", seed=3)
    assert jobs.stylize_command(options) == (
        "restyle stylize photo.jpg -s painting.jpg -o painted.png --size 256 --iterations 100 --style-weight 10 "
        "--style-scale 1 --preserve-color luminance --seed 3")
    assert jobs.video_command("the_scream", 0.5) == \
        "restyle video clip.mp4 --preset the_scream -o painted.mp4 --strength 0.5"


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
    assert [u.image is not None for u in updates] == [True, False, False, False, True, False, True]
    assert updates[-1].image.size == (32, 24) and updates[-1].fraction == pytest.approx(1.0)
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
    assert len(updates) == 4 and updates[-1].image.size == (32, 24)
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


def test_a_video_is_painted_with_its_sound(models, tmp_path):
    pytest.importorskip("av")
    pytest.importorskip("cv2")
    from tests.video.conftest import audio_packets, decoded, pan, write_clip

    clip = write_clip(tmp_path / "clip.mp4", pan(6, size=(64, 48)))
    seen = []
    out = jobs.paint_video(models, str(clip), "starry_night", 1.0, folder=tmp_path,
                           progress=lambda fraction, text: seen.append((fraction, text)))
    assert out.parent == tmp_path and len(decoded(out)) == 6
    assert audio_packets(out) == audio_packets(clip)
    assert seen[-1] == (1.0, "frame 6 of 6")
    with pytest.raises(RestyleError, match="give a video first"):
        jobs.paint_video(models, None, "starry_night", 1.0, folder=tmp_path)
