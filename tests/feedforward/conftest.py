"""Fixtures of the feed-forward tests: a lively random network and its model file, and random photos."""

import numpy as np
import pytest
import torch

from restyle.feedforward.modelfile import save_model
from restyle.feedforward.network import StyleNetwork


def lively_net(seed: int = 0, **shape) -> StyleNetwork:
    """A random-weight network (of ``shape``: width, blocks, styles) whose output spans most of [0, 1] (a fresh one's is
    nearly constant)."""
    torch.manual_seed(seed)
    net = StyleNetwork(**shape).eval()
    for norm in net.norms():
        norm.weight.data.uniform_(0.5, 1.5)
        norm.bias.data.uniform_(-0.5, 0.5)
    net.head[1].weight.data *= 120
    net.head[1].bias.data.fill_(127.0)
    return net


@pytest.fixture
def model_file(tmp_path):
    return save_model(lively_net(), tmp_path / "m.safetensors", {"style_name": "test"}, dtype=torch.float32)


def random_photo(h, w, seed=0):
    return (np.random.default_rng(seed).random((h, w, 3)) * 255).astype(np.uint8)
