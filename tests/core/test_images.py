import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from restyle.core.images import check_not_inputs, check_output_path, fit_size, load_image, resize, save_image, to_pil
from restyle.errors import RestyleError


def _save(tmp_path, image, name, **kw):
    path = tmp_path / name
    image.save(path, **kw)
    return path


def test_rgb_roundtrip(tmp_path):
    arr = (np.arange(4 * 5 * 3) % 256).astype(np.uint8).reshape(4, 5, 3)
    x = load_image(_save(tmp_path, Image.fromarray(arr), "a.png"))
    assert x.shape == (3, 4, 5) and x.dtype == torch.float32
    assert np.array_equal(np.asarray(to_pil(x)), arr)


def test_exif_rotation_applied(tmp_path):
    image = Image.new("RGB", (6, 4), "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    x = load_image(_save(tmp_path, image, "r.jpg", exif=exif))
    assert x.shape == (3, 6, 4)


def test_alpha_composited_over_white(tmp_path):
    image = Image.new("RGBA", (2, 2), (0, 0, 0, 0))
    x = load_image(_save(tmp_path, image, "t.png"))
    assert torch.allclose(x, torch.ones_like(x))


@pytest.mark.parametrize("mode", ["P", "L", "LA", "1", "CMYK"])
def test_other_modes_become_rgb(tmp_path, mode):
    image = Image.new("RGB", (3, 2), (200, 100, 50)).convert(mode)
    name = "m.jpg" if mode == "CMYK" else "m.png"
    x = load_image(_save(tmp_path, image, name))
    assert x.shape == (3, 2, 3)
    assert 0 <= x.min() and x.max() <= 1


def test_16_bit_grayscale_keeps_its_range(tmp_path):
    arr = np.array([[0, 32768, 65535]], dtype=np.uint16)
    x = load_image(_save(tmp_path, Image.fromarray(arr), "g16.png"))
    assert x[0, 0].tolist() == pytest.approx([0.0, 0.5, 1.0], abs=1e-4)
    assert torch.equal(x[0], x[2])


def _png_rgb16(path, arr):
    """Write a 48-bit RGB PNG by hand (Pillow cannot write one)."""
    h, w, _ = arr.shape
    raw = b"".join(b"\x00" + arr[i].astype(">u2").tobytes() for i in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_16_bit_rgb(tmp_path):
    arr = np.zeros((2, 3, 3), dtype=np.uint16)
    arr[..., 0] = 65535
    path = tmp_path / "rgb16.png"
    _png_rgb16(path, arr)
    x = load_image(path)
    assert x.shape == (3, 2, 3)
    assert x[0].min() > 0.99 and x[1].max() < 0.01


def test_numpy_and_pil_inputs():
    arr = np.random.default_rng(0).random((5, 4, 3)).astype(np.float32)
    assert torch.allclose(load_image(arr), torch.from_numpy(arr).permute(2, 0, 1))
    assert load_image((arr * 255).astype(np.uint8)).shape == (3, 5, 4)
    assert load_image(np.zeros((5, 4), np.uint16)).shape == (3, 5, 4)
    assert load_image(Image.new("L", (4, 5))).shape == (3, 5, 4)
    assert load_image(np.array([[[-0.1, 0.5, 1.2]]])).flatten().tolist() == [0.0, 0.5, 1.0]  # small excursions clipped


@pytest.mark.parametrize("arr, message", [
    (np.zeros((2, 2, 5), np.uint8), "expected an H×W"),
    (np.full((2, 2, 3), np.nan, np.float32), "NaN"),
    (np.zeros((2, 2, 3), np.int64), "unsupported array dtype"),
    (np.full((2, 2, 3), 200.0, np.float32), r"must lie in \[0, 1\], got 200 to 200 \(values of 0 to 255"),
    (np.full((2, 2, 3), -1.0), r"got -1 to -1"),
])
def test_bad_arrays(arr, message):
    with pytest.raises(RestyleError, match=message):
        load_image(arr)


def test_bad_files(tmp_path):
    with pytest.raises(RestyleError, match="no such file"):
        load_image(tmp_path / "missing.jpg")
    with pytest.raises(RestyleError, match="is a directory"):
        load_image(tmp_path)
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(RestyleError, match="file is empty"):
        load_image(tmp_path / "empty.png")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(RestyleError, match="not an image"):
        load_image(tmp_path / "notes.txt")
    good = _save(tmp_path, Image.new("RGB", (64, 64), "blue"), "full.jpg")
    (tmp_path / "cut.jpg").write_bytes(good.read_bytes()[:300])
    with pytest.raises(RestyleError, match="cannot decode"):
        load_image(tmp_path / "cut.jpg")
    with pytest.raises(RestyleError, match="over the limit of 1,000 .*raise max_pixels"):
        load_image(good, max_pixels=1000)


def test_fit_size_and_resize():
    assert fit_size(300, 451, 512) == (341, 512)
    assert fit_size(1000, 10, 50) == (50, 1)
    assert resize(torch.rand(3, 8, 8), (4, 4)).shape == (3, 4, 4)
    assert resize(torch.rand(1, 3, 8, 8), (16, 12)).shape == (1, 3, 16, 12)


@pytest.mark.parametrize("ext", [".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff"])
def test_save_formats(tmp_path, ext):
    path = save_image(Image.new("RGB", (4, 3), "green"), tmp_path / f"out{ext}")
    assert Image.open(path).size == (4, 3)
    assert [p.name for p in tmp_path.iterdir()] == [f"out{ext}"]  # no temp file left behind


def test_save_replaces_atomically_and_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = save_image(Image.new("RGB", (4, 3), "green"), tmp_path / "out.png")
    before = path.read_bytes()

    def broken_save(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(KeyboardInterrupt):
        save_image(Image.new("RGB", (4, 3), "red"), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_check_output_path(tmp_path):
    assert check_output_path(tmp_path / "a.png") == tmp_path / "a.png"
    with pytest.raises(RestyleError, match="unknown output format '.gif'"):
        check_output_path(tmp_path / "a.gif")
    with pytest.raises(RestyleError, match="does not exist"):
        check_output_path(tmp_path / "nope" / "a.png")
    with pytest.raises(RestyleError, match="is a directory"):
        check_output_path(tmp_path)


def test_a_jpeg_read_for_a_smaller_size_is_decoded_smaller_and_close_to_the_whole(tmp_path):
    y, x = np.mgrid[0:384, 0:512]
    pixels = np.stack([x / 2 % 256, y / 1.5 % 256, (x + y) / 4 % 256], axis=2).astype(np.uint8)
    Image.fromarray(pixels).save(tmp_path / "big.jpg", quality=95)
    small = load_image(tmp_path / "big.jpg", at_least=64)
    assert small.shape == (3, 48, 64)  # an eighth, in the JPEG's own frequency domain
    whole = load_image(tmp_path / "big.jpg")
    assert (resize(whole, (48, 64)) - small).abs().mean() < 2 / 255
    assert load_image(tmp_path / "big.jpg", at_least=300).shape == (3, 384, 512)  # a half would be too small


def test_no_output_may_be_an_input_however_it_is_named(tmp_path):
    photos = [tmp_path / f"p{i}.png" for i in range(3)]
    (tmp_path / "link").symlink_to(tmp_path)
    check_not_inputs([tmp_path / "out" / p.name for p in photos], photos + [Image.new("RGB", (2, 2))])
    for output in (photos[1], tmp_path / "link" / "p2.png", tmp_path / "out" / ".." / "p0.png"):
        with pytest.raises(RestyleError, match=r"is an input \(.*p\d.png\); choose another output"):
            check_not_inputs([tmp_path / "out" / "a.png", output], photos)
