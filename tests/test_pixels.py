"""Fixed-seed runs of each engine give the recorded pixels (to 1/255): a refactor must not change results.

The images in tests/data/pixels/ were recorded with ``python tests/test_pixels.py --record`` (fp32, CPU): they are CPU
figures, so these runs stay on the CPU whatever device the suite is given. A change
that alters pixels on purpose records them again and says why in its commit message.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

import restyle

DATA = Path(__file__).parent / "data" / "pixels"
EXAMPLES = Path(restyle.__file__).parent / "examples"


def _photo(folder: Path) -> Path:
    path = folder / "content.png"
    Image.open(EXAMPLES / "tubingen.jpg").resize((64, 48)).save(path)
    return path


def _painting(folder: Path) -> Path:
    path = folder / "style.png"
    Image.open(EXAMPLES / "starry_night.jpg").resize((64, 50)).save(path)
    return path


def stylized(folder: Path) -> Image.Image:
    """64 px, 5 L-BFGS iterations, seed 0."""
    return restyle.stylize(_photo(folder), _painting(folder), size=64, iterations=5, seed=0, device="cpu",
                           precision="fp32")


def trained(folder: Path) -> Image.Image:
    """A model trained 3 steps (seed 0) on two example photos, applied to the photo."""
    photos = folder / "photos"
    photos.mkdir()
    for name in ("tubingen.jpg", "chelsea_cat.jpg"):
        Image.open(EXAMPLES / name).resize((64, 48)).save(photos / (Path(name).stem + ".png"))
    model = restyle.train(_painting(folder), photos, folder / "m.safetensors", steps=3, batch_size=2, crop_size=32,
                          style_size=64, seed=0, device="cpu", precision="fp32", preview_every=0,
                          save_dtype=torch.float32)
    return restyle.load_model(model, device="cpu", precision="fp32")(_photo(folder))


def weight_norms(folder: Path) -> dict[str, float]:
    """The norm of each weight tensor of the model ``trained`` wrote (its output image is nearly black).

    Biases are left out: their gradients are near zero (a convolution's before an instance norm has none but
    rounding), and Adam's first steps turn such noise into full-size updates, so they differ between CPUs' kernels.
    """
    weights = load_file(str(folder / "m.safetensors"))
    return {k: float(v.norm()) for k, v in sorted(weights.items()) if k.endswith(".weight")}


def applied(folder: Path) -> Image.Image:
    """The starry_night preset applied to the photo."""
    return restyle.load_model(preset="starry_night", device="cpu", precision="fp32")(_photo(folder))


RUNS = {"stylize": stylized, "train": trained, "apply": applied}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_same_pixels_as_recorded(tmp_path, name):
    got = np.asarray(RUNS[name](tmp_path), dtype=np.int16)
    want = np.asarray(Image.open(DATA / f"{name}.png").convert("RGB"), dtype=np.int16)
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 1
    if name == "train":
        want = json.loads((DATA / "train-weights.json").read_text())
        assert weight_norms(tmp_path) == pytest.approx(want, rel=1e-4)


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    import tempfile

    DATA.mkdir(parents=True, exist_ok=True)
    for name, run in RUNS.items():
        with tempfile.TemporaryDirectory() as tmp:
            run(Path(tmp)).save(DATA / f"{name}.png")
            if name == "train":
                (DATA / "train-weights.json").write_text(json.dumps(weight_norms(Path(tmp))))
            print(f"recorded {DATA / name}.png")
