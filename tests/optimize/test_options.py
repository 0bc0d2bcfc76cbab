import pytest

from restyle.errors import RestyleError
from restyle.optimize.options import Options


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
