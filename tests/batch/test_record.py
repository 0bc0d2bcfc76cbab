"""Each output's record: written into the file, compared on a rerun; files restyle did not write left alone."""

import json

import pytest
from PIL import Image

from restyle.batch.jobs import Job, Style
from restyle.batch.record import recipe, state, style_identity
from restyle.core.images import save_image
from restyle.errors import RestyleError


@pytest.fixture
def job(tmp_path):
    (tmp_path / "a.png").write_bytes(b"photo")
    return Job(str(tmp_path / "a.png"), Style("preset", "great_wave"), (("size", 64), ("device", "cpu")),
               output=str(tmp_path / "out.png"))


def test_the_recipe_names_photo_style_and_settings(job):
    body = json.loads(recipe(job, "abc"))
    assert body["photo_bytes"] == 5 and body["style"] == ["preset", "great_wave", "abc"]
    assert body["settings"] == {"size": 64}


@pytest.mark.parametrize("fmt", ["png", "jpg", "webp"])
def test_an_output_with_its_recipe_is_finished_and_with_another_stale(job, tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    note = recipe(job, "abc")
    assert state(out, note) == "missing"
    save_image(Image.new("RGB", (8, 8)), out, note=note)
    assert state(out, note) == "finished"
    assert state(out, recipe(job, "another painting")) == "stale"


def test_a_file_restyle_did_not_write_is_foreign(job, tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "mine.png")
    (tmp_path / "notes.png").write_text("not an image")
    assert state(tmp_path / "mine.png", recipe(job, "abc")) == "foreign"
    assert state(tmp_path / "notes.png", recipe(job, "abc")) == "foreign"


def test_a_changed_photo_changes_the_recipe(job):
    before = recipe(job, "abc")
    with open(job.photo, "ab") as f:
        f.write(b"more")
    assert recipe(job, "abc") != before


def test_a_missing_photo(job, tmp_path):
    with pytest.raises(RestyleError, match="no such file"):
        recipe(Job(str(tmp_path / "none.jpg"), job.style, ()), "abc")


def test_a_style_is_known_by_its_file(tmp_path):
    (tmp_path / "p.jpg").write_bytes(b"x")
    assert style_identity(Style("painting", str(tmp_path / "p.jpg"))) == \
        "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
    assert len(style_identity(Style("preset", "great_wave"))) == 64
