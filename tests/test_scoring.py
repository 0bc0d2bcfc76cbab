import json
import subprocess
import sys

import pytest
from PIL import Image

import restyle
from restyle.errors import RestyleError
from tests.conftest import DEVICE, EXAMPLES

# Judged at long side 64 (SMALL) where the size is not what is tested: the default, 512, costs a 512 px VGG19 pass
# per image, seconds on a small CPU.
SMALL = 64


def test_content_itself_has_zero_content_distance(content_path, style_path):
    s = restyle.score(content_path, content_path, style_path, device=DEVICE, size=SMALL)
    assert s.content == pytest.approx(0.0, abs=1e-6)
    assert s.style > 0


def test_style_itself_has_zero_style_distance(content_path, style_path):
    s = restyle.score(style_path, content_path, style_path, device=DEVICE, size=SMALL)
    assert s.style == pytest.approx(0.0, abs=1e-6)
    assert s.content > 0


def test_style_distance_is_the_mean_of_its_layers(content_path, style_path):
    s = restyle.score(content_path, content_path, style_path, device=DEVICE, size=SMALL)
    assert list(s.style_layers) == ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
    assert s.style == pytest.approx(sum(s.style_layers.values()) / 5, rel=1e-6)
    assert all(v > 0 for v in s.style_layers.values())
    itself = restyle.score(style_path, content_path, style_path, device=DEVICE, size=SMALL)
    assert max(itself.style_layers.values()) == pytest.approx(0.0, abs=1e-6)


def test_judged_at_fixed_size_whatever_the_image_size(tmp_path):
    # The same picture at 512 and at 1024 px scores about the same: by default both are judged at long side 512
    # (resampling twice softens fine texture a little, hence the tolerance).
    photo, style_path = EXAMPLES / "tubingen.jpg", EXAMPLES / "starry_night.jpg"
    big = tmp_path / "big.png"
    Image.open(photo).resize((1024, 768), Image.LANCZOS).save(big)
    scorer = restyle.Scorer(photo, style_path, device=DEVICE)
    a, b = scorer(photo), scorer(big)
    assert b.style == pytest.approx(a.style, rel=0.1)
    assert b.content < 0.03
    assert list(scorer.by_size) == [(384, 512)]


def test_score_and_the_command_line_judge_at_512_by_default(monkeypatch, content_path, style_path):
    import importlib

    from restyle.cli import build_parser
    score_module = importlib.import_module("restyle.scoring")
    made = []
    monkeypatch.setattr(score_module, "Scorer", lambda *a, **k: made.append(k["size"]) or (lambda image: None))
    restyle.score(content_path, content_path, style_path)
    assert made == [512]
    assert build_parser().parse_args(["score", "a.png", "-c", "b.png", "-s", "c.png"]).size == 512


def test_stylized_result_is_closer_to_style_than_the_photo(content_path, style_path):
    result = restyle.stylize(content_path, style_path, size=48, iterations=10, device=DEVICE)
    scorer = restyle.Scorer(content_path, style_path, device=DEVICE, size=SMALL)
    photo, painted = scorer(content_path), scorer(result)
    assert painted.style < photo.style
    assert painted.content > photo.content


def test_blend_validated(content_path, style_path):
    with pytest.raises(RestyleError, match="2 weights for 1 style"):
        restyle.score(content_path, content_path, style_path, style_blend=[1, 2])


def test_cli_text_and_json(run_cli, content_path, style_path):
    code, out, err = run_cli("score", content_path, "-c", content_path, "-s", style_path, "--size", SMALL)
    assert code == 0, err
    assert out.splitlines()[0].startswith("content distance 0")
    assert out.splitlines()[1].startswith("style distance")
    by_layer = out.splitlines()[2].split()
    assert by_layer[:2] == ["by", "layer"] and by_layer[2::2] == ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
    code, out, err = run_cli("score", content_path, "-c", content_path, "-s", style_path, "--json", "--size", SMALL)
    data = json.loads(out)
    assert set(data) == {"content", "style", "style_layers"} and data["content"] == pytest.approx(0, abs=1e-6)
    assert data["style"] == pytest.approx(sum(data["style_layers"].values()) / 5, rel=1e-6)


def test_cli_bad_input(run_cli, content_path, style_path, tmp_path):
    code, out, err = run_cli("score", tmp_path / "nope.png", "-c", content_path, "-s", style_path)
    assert code == 2 and err.strip() == f"restyle: error: {tmp_path / 'nope.png'}: no such file"
    code, out, err = run_cli("score", content_path, "-c", content_path, "-s", style_path, "--size", 8)
    assert code == 2 and err.strip() == "restyle: error: score size must be a whole number of pixels >= 32, got 8"


def test_scorer_reused_gives_the_same_numbers(content_path, style_path):
    scorer = restyle.Scorer(content_path, style_path, device=DEVICE, size=SMALL)
    for image in (content_path, style_path, content_path):
        assert scorer(image) == restyle.score(image, content_path, style_path, device=DEVICE, size=SMALL)


def test_scorer_at_another_size(tmp_path):
    # At size=128 an image is judged at long side 128, whatever its own size: the 512 px photo and a
    # 1024 px copy score alike.
    photo, style_path = EXAMPLES / "tubingen.jpg", EXAMPLES / "starry_night.jpg"
    big = tmp_path / "big.png"
    Image.open(photo).resize((1024, 768), Image.LANCZOS).save(big)
    small = restyle.Scorer(photo, style_path, device=DEVICE, size=128)
    a, b = small(photo), small(big)
    assert b.style == pytest.approx(a.style, rel=0.1) and b.content < 0.03
    assert list(small.by_size) == [(96, 128)]  # the content's features were taken at 128 x 96
    with pytest.raises(RestyleError):
        restyle.Scorer(photo, style_path, device=DEVICE, size=8)


def test_restyle_score_stays_the_function_whatever_was_imported_before():
    # the scores' module once shared the function's name, so importing it (as the command line does) replaced
    # restyle.score with the module
    code = ("import restyle.scoring, restyle.cli.score\nfrom restyle.scoring import Scorer\nimport restyle\n"
            "assert restyle.score is restyle.scoring.score and callable(restyle.score)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
