"""Finding a batch's photos and naming its outputs: folders, patterns, the output folder left out, clashes."""

from pathlib import Path

import pytest

from restyle.batch.jobs import Job, Style, find_photos, plan
from restyle.errors import RestyleError


def test_folders_are_searched_recursively_and_each_photo_found_once(photos):
    found = find_photos([str(photos), str(photos / "a.png")])
    assert [p.relative_to(photos).as_posix() for p in found] == ["a.png", "b.jpg", "sub/c.png"]


def test_patterns_match_files(photos):
    found = find_photos([str(photos / "**" / "*.png")])
    assert sorted(p.name for p in found) == ["a.png", "c.png"]


def test_the_output_folder_is_never_searched_for_photos(photos):
    assert [p.name for p in find_photos([str(photos)], exclude=photos / "sub")] == ["a.png", "b.jpg"]


@pytest.mark.parametrize("name, message", [("missing", "no such file or folder"), ("*.nothing", "no file matches")])
def test_inputs_that_name_nothing(tmp_path, name, message):
    with pytest.raises(RestyleError, match=message):
        find_photos([str(tmp_path / name)])


def test_outputs_are_style_folder_and_photo_stem(tmp_path):
    jobs, notes = plan([Job("x/a.jpg", Style("preset", "starry_night"), ())], tmp_path, "webp")
    assert Path(jobs[0].output) == tmp_path / "starry_night" / "a.webp" and notes == []


def test_clashing_names_take_a_hash_of_their_source_the_same_whatever_else_is_there(tmp_path):
    wave = Style("preset", "great_wave")
    one, two, other = Job("x/a.jpg", wave, ()), Job("y/a.png", wave, ()), Job("z/b.png", wave, ())
    jobs, notes = plan([one, two], tmp_path, "png")
    names = sorted(Path(j.output).name for j in jobs)
    assert names[0].startswith("a-") and names[1].startswith("a-") and names[0] != names[1]
    sources = {Path(j.output).name: j.photo for j in jobs}
    assert notes == [f"2 photos share the name 'a'; written as {names[0][:-4]} ({sources[names[0]]}), "
                     f"{names[1][:-4]} ({sources[names[1]]})"]
    again, _ = plan([other, two, one], tmp_path, "png")
    assert sorted(Path(j.output).name for j in again if j.photo != "z/b.png") == names


def test_two_styles_of_one_name_get_two_folders(tmp_path):
    jobs, notes = plan([Job("a.jpg", Style("painting", "x/wave.jpg"), ()),
                        Job("a.jpg", Style("painting", "y/wave.png"), ())], tmp_path, "png")
    folders = {Path(j.output).parent.name for j in jobs}
    assert len(folders) == 2 and all(f.startswith("wave-") for f in folders) and "2 styles" in notes[0]
    assert "(the painting x/wave.jpg)" in notes[0] and "(the painting y/wave.png)" in notes[0]


def test_one_photo_and_style_at_two_settings_gets_two_files(tmp_path):
    wave = Style("preset", "great_wave")
    jobs, _ = plan([Job("a.jpg", wave, (("size", 64),)), Job("a.jpg", wave, (("size", 128),))], tmp_path, "png")
    assert len({j.output for j in jobs}) == 2


def test_model_jobs_record_only_what_a_model_uses():
    job = Job("a.jpg", Style("preset", "great_wave"), (("device", "cpu"), ("size", 64), ("style_weight", 5.0)))
    assert job.recorded() == {"size": 64}
    painting = Job("a.jpg", Style("painting", "p.jpg"), (("device", "cpu"), ("style_weight", 5.0)))
    assert painting.recorded() == {"style_weight": 5.0}


def test_an_unknown_format():
    with pytest.raises(RestyleError, match="unknown format 'gif'"):
        plan([], Path("."), "gif")
