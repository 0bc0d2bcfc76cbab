from pathlib import Path

import pytest
import torch

from restyle.errors import RestyleError
from restyle.feedforward.network import NormStats
from restyle.feedforward.styles import choose_style, mix_label, mix_names, parse_mix
from tests.feedforward.conftest import lively_net

NAMES = ["a", "b", "c"]


@pytest.mark.parametrize("choice, expected", [
    ("b", {"b": 1.0}),
    ("a:3,b:1", {"a": 0.75, "b": 0.25}),
    ("a, c", {"a": 0.5, "c": 0.5}),  # no weights: equal parts
    ("c:0.6,a:0.4", {"c": 0.6, "a": 0.4}),
    ("a:0,b:2", {"a": 0.0, "b": 1.0}),
    ({"a": 1, "c": 3}, {"a": 0.25, "c": 0.75}),
])
def test_a_mix_is_read_and_its_weights_scaled_to_one(choice, expected):
    mix = parse_mix(choice, NAMES)
    assert mix == pytest.approx(expected) and list(mix) == list(expected)


@pytest.mark.parametrize("choice, message", [
    ("d", "no style named 'd' in the model (styles: a, b, c)"),
    ("a:1,a:2", "'a' is named twice"),
    ("a:-1", "a number >= 0, got -1.0"),
    ("a:much", "a number >= 0, got 'much'"),
    ("a:nan", "a number >= 0"),
    ({"a": "1"}, "a number >= 0"),
    ("a:0,b:0", "add up to 0"),
])
def test_a_bad_mix_is_a_one_line_error(choice, message):
    with pytest.raises(RestyleError, match=message.replace("(", r"\(").replace(")", r"\)")) as e:
        parse_mix(choice, NAMES)
    assert "\n" not in str(e.value)


def test_names_and_labels_of_a_mix():
    assert mix_names("a:0.6, b:0.4") == ["a", "b"] and mix_names("starry_night") == ["starry_night"]
    assert mix_label({"a": 1.0}) == "a" and mix_label(parse_mix("a:2,b:1", NAMES)) == "a:0.667,b:0.333"
    assert parse_mix(mix_label(parse_mix("a:2,b:1", NAMES)), NAMES) == pytest.approx({"a": 2 / 3, "b": 1 / 3}, abs=1e-3)


def test_choosing_among_a_models_styles():
    net, meta = lively_net(width=8, blocks=1, styles=3), {"styles": [{"name": n} for n in NAMES]}
    path = Path("three.safetensors")
    with pytest.raises(RestyleError, match=r"a model of 3 styles \(a, b, c\); .* try mix=a:0.5,b:0.5"):
        choose_style(path, net, meta, None)
    baked, info = choose_style(path, net, meta, "c:1,a:3")
    assert info["style_name"] == "c:0.25,a:0.75" and info["style_mix"] == {"c": 0.25, "a": 0.75}
    assert info["network"] == {"width": 8, "blocks": 1} and meta["styles"] == info["styles"]
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        assert torch.allclose(baked(x), net(x, NormStats(torch.tensor([[0.75, 0.0, 0.25]]))), atol=1e-5)


def test_a_one_style_model_takes_no_other_style():
    net, meta = lively_net(width=8, blocks=1), {"style_name": "a"}
    assert choose_style(Path("a.safetensors"), net, meta, None) == (net, meta)
    assert choose_style(Path("a.safetensors"), net, meta, "a") == (net, meta)
    for other in ("b", "a:1,b:1", {"b": 1.0}):
        with pytest.raises(RestyleError, match=r"a model of one style \(a\); mix chooses among the styles of a"):
            choose_style(Path("a.safetensors"), net, meta, other)
