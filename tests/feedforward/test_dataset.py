import numpy as np
import pytest
import torch
from PIL import Image

from restyle.core.images import image_files
from restyle.errors import RestyleError
from restyle.feedforward.dataset import PhotoSet


def _photo(path, h, w, seed=0):
    rng = np.random.default_rng(seed)
    Image.fromarray((rng.random((h, w, 3)) * 255).astype(np.uint8)).save(path)
    return path


def test_image_files_filters_and_sorts(tmp_path):
    for name in ["b.png", "a.JPG", "notes.txt", "c.webp"]:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.png").write_bytes(b"x")
    assert [p.name for p in image_files(tmp_path)] == ["a.JPG", "b.png", "c.webp"]
    assert [p.name for p in image_files(tmp_path, recursive=True)] == ["a.JPG", "b.png", "c.webp", "d.png"]


@pytest.mark.parametrize("case", ["missing", "file"])
def test_image_files_errors(tmp_path, case):
    target = tmp_path / "nope" if case == "missing" else _photo(tmp_path / "x.png", 4, 4)
    with pytest.raises(RestyleError, match="no such folder" if case == "missing" else "not a folder"):
        image_files(target)


def test_unreadable_photos_are_skipped_and_counted(tmp_path):
    _photo(tmp_path / "good.png", 40, 60)
    (tmp_path / "broken.jpg").write_text("not a jpeg")
    (tmp_path / "empty.png").write_bytes(b"")
    warnings = []
    photos = PhotoSet(tmp_path, 16, warn=warnings.append)
    assert len(photos) == 1 and photos.skipped == 2 and len(warnings) == 2
    assert photos.names == ["good.png"]


@pytest.mark.parametrize("case", ["empty", "only-broken"])
def test_no_photos_is_an_error(tmp_path, case):
    if case == "only-broken":
        (tmp_path / "broken.jpg").write_text("not a jpeg")
    with pytest.raises(RestyleError, match="no photos to train on"):
        PhotoSet(tmp_path, 16)


def test_photos_kept_at_twice_the_crop(tmp_path):
    _photo(tmp_path / "big.png", 100, 300)
    _photo(tmp_path / "small.png", 20, 30)
    photos = PhotoSet(tmp_path, 16)
    shapes = {n: tuple(img.shape) for n, img in zip(photos.names, photos.images)}
    assert shapes == {"big.png": (3, 32, 96), "small.png": (3, 20, 30)}
    assert photos.images[0].dtype == torch.uint8


def test_batches_depend_on_seed_and_step_only(tmp_path):
    for i in range(3):
        _photo(tmp_path / f"p{i}.png", 50 + 10 * i, 70, seed=i)
    photos = PhotoSet(tmp_path, 24)
    a = photos.batch(4, step=7, seed=3)
    assert a.shape == (4, 3, 24, 24) and 0 <= a.min() and a.max() <= 1
    assert torch.equal(a, photos.batch(4, step=7, seed=3))
    assert not torch.equal(a, photos.batch(4, step=8, seed=3))
    assert not torch.equal(a, photos.batch(4, step=7, seed=4))


def _inverted(photo, target):
    """``photo`` saved as its negative at ``target``: a target that crops of the photo tell exactly."""
    Image.fromarray(255 - np.asarray(Image.open(photo))).save(target)


def test_each_crop_comes_with_the_same_crop_of_its_target(tmp_path):
    photos, targets = tmp_path / "photos", tmp_path / "targets"
    (photos / "sub").mkdir(parents=True)
    (targets / "sub").mkdir(parents=True)
    for name, (h, w) in (("a.png", (40, 60)), ("sub/b.jpg", (90, 70))):
        _photo(photos / name, h, w, seed=len(name))
    _inverted(photos / "a.png", targets / "a.png")
    _inverted(photos / "sub" / "b.jpg", targets / "sub" / "b.png")  # any format, the same path and name
    data = PhotoSet(photos, 16, targets=targets)
    batch = data.batch(6, step=3, seed=1)
    assert batch.shape == (6, 6, 16, 16)
    assert torch.equal(batch[:, :3], PhotoSet(photos, 16).batch(6, step=3, seed=1))  # the photos' crops as before
    assert (batch[:, :3] + batch[:, 3:] - 1).abs().max() < 0.03  # the target's crop is the photo's, inverted


def test_each_crop_comes_with_its_styles_target(tmp_path):
    photos, inverted, same = tmp_path / "photos", tmp_path / "inverted", tmp_path / "same"
    for folder in (photos, inverted, same):
        folder.mkdir()
    _photo(photos / "a.png", 40, 60, seed=2)
    _inverted(photos / "a.png", inverted / "a.png")
    (same / "a.png").write_bytes((photos / "a.png").read_bytes())
    data = PhotoSet(photos, 16, targets=[inverted, same])
    batch = data.batch(4, step=5, seed=2, styles=[0, 1, 1, 0])
    assert torch.equal(batch[:, :3], PhotoSet(photos, 16).batch(4, step=5, seed=2))
    inverse = (batch[:, :3] + batch[:, 3:] - 1).abs().amax(dim=(1, 2, 3))
    equal = (batch[:, :3] - batch[:, 3:]).abs().amax(dim=(1, 2, 3))
    assert (inverse[[0, 3]] < 0.03).all() and (equal[[1, 2]] == 0).all()  # crop i: style styles[i]'s target
    default = data.batch(4, step=5, seed=2)  # without styles: the first folder's targets
    assert (default[:, :3] + default[:, 3:] - 1).abs().max() < 0.03


def test_a_photo_without_its_target_is_an_error(tmp_path):
    photos, targets = tmp_path / "photos", tmp_path / "targets"
    photos.mkdir()
    targets.mkdir()
    _photo(photos / "a.png", 20, 20)
    _photo(photos / "b.png", 20, 20)
    _inverted(photos / "a.png", targets / "a.png")
    with pytest.raises(RestyleError, match=r"no image named b \(the target of photo b.png\)"):
        PhotoSet(photos, 16, targets=targets)
    _inverted(photos / "b.png", targets / "b.png")
    _inverted(photos / "b.png", targets / "b.jpg")
    with pytest.raises(RestyleError, match="2 images named b"):
        PhotoSet(photos, 16, targets=targets)


def test_a_margin_brings_the_photo_around_each_crop(tmp_path):
    y, x = np.mgrid[0:60, 0:80]
    Image.fromarray(np.stack([x * 3, y * 4, (x + y) * 1.5], axis=2).astype(np.uint8)).save(tmp_path / "ramp.png")
    plain, framed = PhotoSet(tmp_path, 16).batch(6, step=2, seed=5), PhotoSet(tmp_path, 16, margin=4).batch(6, 2, 5)
    assert framed.shape == (6, 3, 24, 24)
    assert (framed[..., 4:-4, 4:-4] - plain).abs().max() < 0.02  # the same crops (a smooth photo: resampling agrees)
    assert not torch.allclose(framed[..., :4, :], framed[..., 4:8, :].flip(-2), atol=0.02)  # not mirrored inside


def test_the_margin_is_reflected_past_the_photos_edges(tmp_path):
    _photo(tmp_path / "p.png", 8, 8)
    data = PhotoSet(tmp_path, 4, margin=2)
    img = torch.arange(24, dtype=torch.uint8).reshape(1, 4, 6)
    window = data._window(img, 0, 1, 4)  # the 4 px square at row 0, column 1, with 2 px around it
    rows, cols = [2, 1, 0, 1, 2, 3, 2, 1], [1, 0, 1, 2, 3, 4, 5, 4]  # rows -2..5 and columns -1..6, reflected
    assert torch.equal(window[0, 0], img[0][rows][:, cols].float())
    half = data._window(img, 0, 1, 2)  # a 2 px square: a 1 px margin (the margin is at the crop's scale)
    assert torch.equal(half[0, 0], img[0][[1, 0, 1, 2]][:, [0, 1, 2, 3]].float())
