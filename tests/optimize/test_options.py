import pytest

from restyle.core.layers import blend_weights, layer_weights, parse_layers
from restyle.errors import RestyleError
from restyle.optimize.options import Options


def test_parse_layers():
    assert parse_layers("relu1_1, relu2_1:0.5,") == {"relu1_1": 1.0, "relu2_1": 0.5}
    with pytest.raises(RestyleError, match="bad layer weight"):
        parse_layers("relu1_1:lots")


def test_layer_weights_normalized():
    assert layer_weights("style", ["relu1_1", "relu2_1"]) == {"relu1_1": 0.5, "relu2_1": 0.5}
    assert layer_weights("style", {"relu1_1": 3, "relu2_1": 1}) == {"relu1_1": 0.75, "relu2_1": 0.25}
    with pytest.raises(RestyleError, match="must not all be zero"):
        layer_weights("style", {"relu1_1": 0})
    with pytest.raises(RestyleError, match="style layer weight for relu1_1"):
        layer_weights("style", {"relu1_1": -1})


def test_blend_weights():
    assert blend_weights(None, 4) == [0.25] * 4
    assert blend_weights([3, 1], 2) == [0.75, 0.25]
    with pytest.raises(RestyleError, match="at least one style image"):
        blend_weights(None, 0)
    with pytest.raises(RestyleError, match="must not all be zero"):
        blend_weights([0, 0], 2)


def test_replace_and_validate():
    opts = Options().replace(size=128)
    assert opts.size == 128 and Options().size == 512
    with pytest.raises(RestyleError, match="unknown option"):
        Options().replace(sizee=1)
    with pytest.raises(RestyleError, match="learning_rate must be positive"):
        Options(learning_rate=0.0).validate(1)
    with pytest.raises(RestyleError, match="style_scale must be positive"):
        Options(style_scale=0.0).validate(1)
    with pytest.raises(RestyleError, match="size must be a positive whole number, got True"):
        Options(size=True).validate(1)
