"""A batch's settings from text, frozen for comparing, checked per kind of style; styles named by text."""

import pytest

from restyle.batch.jobs import Style
from restyle.batch.settings import check, checked, frozen, parse, style_from
from restyle.errors import RestyleError


@pytest.mark.parametrize("name, text, value", [
    ("size", "256", 256), ("style_weight", "2.5", 2.5), ("strength", " 0.5 ", 0.5), ("multiscale", "off", False),
    ("preserve_color", "luminance", "luminance"), ("style_layers", "relu1_1,relu2_1:0.5",
                                                   {"relu1_1": 1.0, "relu2_1": 0.5}),
    ("optimizer", "adam", "adam"), ("seed", "7", 7), ("keep_freed_memory", "yes", True)])
def test_values_from_text(name, text, value):
    assert parse(name, text) == value


@pytest.mark.parametrize("name, text, message", [
    ("size", "big", "bad size 'big'; give a whole number"), ("style_weight", "x", "give a number"),
    ("multiscale", "maybe", "use one of auto, on, off"), ("optimizer", "sgd", "use one of lbfgs, adam"),
    ("colour", "1", "unknown setting 'colour'"), ("keep_freed_memory", "2", "use true or false")])
def test_bad_text(name, text, message):
    with pytest.raises(RestyleError, match=message):
        parse(name, text)


def test_frozen_leaves_out_defaults_but_size_and_is_hashable():
    settings = frozen({"style_weight": 10.0, "size": 512, "style_layers": {"relu1_1": 1.0}, "style_blend": [1.0],
                       "seed": None})
    assert settings == (("size", 512), ("style_blend", (1.0,)), ("style_layers", "relu1_1"))
    hash(settings)


@pytest.mark.parametrize("kind, settings, message", [
    ("preset", {"strength": 2.0}, "strength must be between 0 and 1"),
    ("painting", {"strength": 0.5}, "strength is for presets and models"),
    ("preset", {"coarse": -0.5}, "coarse must be between 0 and 1"),
    ("painting", {"coarse": 0.5}, "coarse is for presets and models"),
    ("preset", {"noise": 0.7}, "noise must be at most 0.5"),
    ("painting", {"noise": 0.1}, "noise is for presets and models"),
    ("preset", {"preserve_color": "histogram"}, "a model keeps colours by luminance"),
    ("painting", {"size": 0}, "size must be"), ("preset", {"size": -1}, "size must be"),
    ("painting", {"iterations": 0}, "iterations must be")])
def test_settings_a_style_cannot_take(kind, settings, message):
    with pytest.raises(RestyleError, match=message):
        check(Style(kind, "x"), frozen(settings))


def test_styles_by_text(tmp_path):
    (tmp_path / "m.safetensors").write_bytes(b"x")
    (tmp_path / "p.jpg").write_bytes(b"x")
    assert style_from("m.safetensors", tmp_path) == Style("model", str(tmp_path / "m.safetensors"))
    assert style_from(str(tmp_path / "p.jpg")) == Style("painting", str(tmp_path / "p.jpg"))
    assert style_from("great_wave") == Style("preset", "great_wave")
    with pytest.raises(RestyleError, match="no such painting or model file"):
        style_from("nothing.jpg", tmp_path)
    with pytest.raises(RestyleError, match="is a folder"):
        style_from(str(tmp_path))


@pytest.mark.parametrize("style, message", [
    (Style("preset", "mona_lisa"), "no preset named 'mona_lisa'"), (Style("painting", "none.jpg"), "no such file"),
    (Style("model", __file__), "not a model file")])
def test_styles_named_by_kind_are_checked(style, message):
    with pytest.raises(RestyleError, match=message):
        checked(style)
