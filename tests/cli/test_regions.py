"""``--mask`` and ``--region`` on the command line: stylize and apply, and each bad mask."""

import numpy as np
import pytest
from PIL import Image

from tests.conftest import DEVICE


@pytest.fixture
def mask(tmp_path):
    m = np.zeros((48, 64, 3), np.uint8)
    m[:, 32:] = (255, 0, 0)
    Image.fromarray(m).save(tmp_path / "mask.png")
    return tmp_path / "mask.png"


def test_stylize_with_a_painting_and_the_photo_kept(run_cli, content_path, style_path, mask, tmp_path):
    out = tmp_path / "out.png"
    code, _, err = run_cli("stylize", content_path, "--mask", mask, "--region", f"0={style_path}",
                           "--region", "ff0000=none", "--feather", 2, "--size", 64, "--iterations", 15,
                           "--device", DEVICE, "-o", out, "-q")
    assert code == 0, err
    painted, photo = np.asarray(Image.open(out), np.int16), np.asarray(Image.open(content_path), np.int16)
    assert np.abs(painted[:, 40:] - photo[:, 40:]).max() <= 1 and np.abs(painted[:, :24] - photo[:, :24]).mean() > 2


def test_apply_with_presets_by_region(run_cli, content_path, mask, tmp_path):
    out = tmp_path / "out.png"
    code, stdout, err = run_cli("apply", "--mask", mask, "--region", "0=great_wave", "--region", "ff0000=none",
                                content_path, "-o", out, "--device", DEVICE)
    assert code == 0, err
    assert "with 1 model(s) in 2 regions" in stdout + err
    painted, photo = np.asarray(Image.open(out), np.int16), np.asarray(Image.open(content_path), np.int16)
    assert np.array_equal(painted[:, 32:], photo[:, 32:])


def test_apply_a_style_of_a_model_of_several_styles_by_region(run_cli, content_path, mask, tmp_path):
    import torch

    from restyle.feedforward.modelfile import save_model
    from tests.feedforward.conftest import lively_net

    ab = save_model(lively_net(width=8, blocks=1, styles=2), tmp_path / "ab.safetensors",
                    {"styles": [{"name": "a"}, {"name": "b"}]}, dtype=torch.float32)
    out, whole = tmp_path / "out.png", tmp_path / "whole.png"
    code, _, err = run_cli("apply", "--mask", mask, "--region", f"0={ab}@b", "--region", "ff0000=none", content_path,
                           "-o", out, "--device", DEVICE, "-q")
    assert code == 0, err
    code, _, err = run_cli("apply", "--model", ab, "--mix", "b", content_path, "-o", whole, "--device", DEVICE, "-q")
    assert code == 0, err
    painted, alone = np.asarray(Image.open(out), np.int16), np.asarray(Image.open(whole), np.int16)
    assert np.array_equal(painted[:, :32], alone[:, :32])
    assert "FILE@MIX" in run_cli("apply", "--help")[1]


@pytest.mark.parametrize("command, flags, message", [
    ("stylize", ["--region", "0=none"], "--region needs --mask"),
    ("stylize", ["--mask", "MASK"], "--mask needs regions"),
    ("stylize", ["--mask", "MASK", "--region", "0"], "bad --region '0'; use COLOR=STYLE"),
    ("stylize", ["--mask", "MASK", "--region", "0=STYLE"], "colours no region names: ff0000 (50%)"),
    ("stylize", ["--mask", "MASK", "--region", "0=STYLE", "--region", "ff0000=STYLE", "-s", "STYLE"], "not both"),
    ("stylize", ["--mask", "NOWHERE", "--region", "0=STYLE", "--region", "ff0000=none"], "no such file"),
    ("stylize", ["--mask", "MASK", "--region", "red=STYLE"], "region colour 'red'"),
    ("stylize", [], "give the paintings"),
    ("apply", ["--mask", "MASK", "--region", "0=great_wave", "--region", "0=the_scream"], "takes one model"),
    ("apply", ["--mask", "MASK", "--region", "0=great_wave", "--region", "ff0000=none", "--preset", "great_wave"],
     "not both"),
    ("apply", ["--mask", "MASK", "--region", "0=great_wave", "--region", "ff0000=none", "--model", "STYLE"],
     "give --model or --region, not both"),
    ("apply", ["--mask", "MASK", "--region", "0=no_such", "--region", "ff0000=none"], "no such model file"),
    ("apply", ["--mask", "MASK", "--region", "0=great_wave"], "colours no region names"),
    ("apply", ["--mask", "MASK", "--region", "0=great_wave@", "--region", "ff0000=none"], "no style mix after '@'"),
])
def test_a_bad_mask_or_region_is_one_line_exit_2_nothing_written(run_cli, content_path, style_path, mask, tmp_path,
                                                                   command, flags, message):
    out = tmp_path / "out.png"
    flags = [str(mask) if f == "MASK" else str(tmp_path / "nowhere.png") if f == "NOWHERE" else
             f.replace("STYLE", str(style_path)) for f in flags]
    size = ["--size", 32, "--iterations", 1] if command == "stylize" else []
    code, _, err = run_cli(command, content_path, *flags, "-o", out, "--device", DEVICE, *size)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_an_empty_region_is_a_warning_and_the_run_goes_on(run_cli, content_path, style_path, mask, tmp_path):
    out = tmp_path / "out.png"
    code, stdout, err = run_cli("stylize", content_path, "--mask", mask, "--region", f"0={style_path}",
                                "--region", "ff0000=none", "--region", f"00ff00={style_path}", "--size", 32,
                                "--iterations", 1, "--device", DEVICE, "-o", out)
    assert code == 0 and out.exists()
    assert "region 00ff00 covers no pixel of" in stdout + err
