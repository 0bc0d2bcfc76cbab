import pytest

from restyle.core.layers import blend_weights, layer_weights, layers_text, parse_layers, receptive_field, stride
from restyle.errors import RestyleError


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


def test_layers_text_inverts_parse_layers():
    assert layers_text({"relu1_1": 1.0, "relu2_1": 0.5}) == "relu1_1,relu2_1:0.5"
    assert parse_layers(layers_text({"relu1_1": 2.0, "relu4_2": 1.0})) == {"relu1_1": 2.0, "relu4_2": 1.0}


def test_stride_and_receptive_field_hand_computed():
    assert [stride(k) for k in ("relu1_1", "pool1", "relu2_1", "relu5_1")] == [1, 2, 2, 16]
    # relu1_1: one 3x3 conv; relu1_2: two; pool1 adds one input pixel; relu5_1: 156 (the tiling's halo)
    assert [receptive_field(k) for k in ("relu1_1", "relu1_2", "pool1", "relu5_1")] == [3, 5, 6, 156]
