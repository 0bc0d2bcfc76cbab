"""Manifests: their jobs, paths from the manifest's folder, settings over the common ones, and every error."""

from pathlib import Path

import pytest

from restyle.batch.jobs import Style
from restyle.batch.manifest import read_manifest
from restyle.errors import RestyleError


def write(tmp_path, text: str) -> Path:
    (tmp_path / "wave.jpg").write_bytes(b"x")
    path = tmp_path / "jobs.csv"
    path.write_text(text)
    return path


def test_rows_become_jobs(tmp_path):
    path = write(tmp_path, "photo,style,size,style_weight,strength\n"
                           "a.jpg,great_wave,128,,0.5\n\n"
                           "/abs/b.png,wave.jpg,,20,\n")
    one, two = read_manifest(path, {"size": 64, "seed": 3})
    assert one.photo == str(tmp_path / "a.jpg") and one.style == Style("preset", "great_wave") and one.line == 2
    assert dict(one.settings) == {"size": 128, "strength": 0.5, "seed": 3}
    assert two.photo == "/abs/b.png" and two.style == Style("painting", str(tmp_path / "wave.jpg"))
    assert dict(two.settings) == {"size": 64, "seed": 3, "style_weight": 20.0} and two.line == 4


@pytest.mark.parametrize("text, message", [
    ("", "is empty; give a header row"),
    ("photo,size\n", ":1: the header must start with photo,style"),
    ("photo,style,colour\n", ":1: unknown setting\\(s\\) colour"),
    ("photo,style,device\n", ":1: device is for the whole batch"),
    ("photo,style,size,size\n", ":1: a column is named twice"),
    ("photo,style\na.jpg,great_wave\nb.jpg\n", ":3: give a photo and a style"),
    ("photo,style\na.jpg,great_wave,9\n", ":2: 3 cells for 2 columns"),
    ("photo,style,size\na.jpg,great_wave,big\n", ":2: bad size 'big'"),
    ("photo,style\na.jpg,nothing.jpg\n", ":2: .*nothing.jpg: no such painting"),
    ("photo,style,strength\na.jpg,wave.jpg,0.5\n", ":2: strength is for presets and models"),
])
def test_bad_manifests_name_their_line(tmp_path, text, message):
    with pytest.raises(RestyleError, match=message):
        read_manifest(write(tmp_path, text), {})


def test_a_missing_manifest(tmp_path):
    with pytest.raises(RestyleError, match="no such manifest"):
        read_manifest(tmp_path / "none.csv", {})
