import copy

import numpy as np
import pytest
import torch

import restyle
from restyle.core.layers import layer_weights
from restyle.core.losses import Guide, LossWeights, PerceptualLoss
from restyle.core.vgg import VGG19Features, load_weights
from restyle.errors import Interrupted
from restyle.optimize.objective import Objective
from restyle.optimize.options import Options
from restyle.optimize.planning import choose_grid, cut, halo_and_align
from restyle.optimize.tiling import TiledObjective
from tests.conftest import DEVICE, EXAMPLES

OPTS = Options()
CONTENT_W = layer_weights("content", OPTS.content_layers)
STYLE_W = layer_weights("style", OPTS.style_layers)
WEIGHTS = LossWeights(1.0, 10.0, 10.0)


@pytest.fixture(scope="module")
def net():
    state, caffe = load_weights()
    return VGG19Features(state, list(CONTENT_W) + list(STYLE_W), "max", caffe).to(memory_format=torch.channels_last)


def _loss_and_grad(objective, x0):
    x = x0.clone().requires_grad_(True)
    terms = objective.evaluate(x)
    return terms, x.grad


SHALLOW = {"relu1_1": 1.0, "relu2_1": 1.0, "relu3_1": 1.0}  # a 12 px halo: many tiles with interior edges, cheaply


def _guide(size) -> Guide:
    """Two regions, left and right, with a soft edge between them, and a blend of the two styles in the second."""
    left = torch.linspace(1.5, -0.5, size[1]).clamp(0, 1).expand(1, 1, *size)
    return Guide(torch.cat([left, 1 - left]), torch.tensor([[1.0, 0.0], [0.4, 0.6]]))


@pytest.mark.parametrize("size, max_core, style_w, guided", [((96, 120), 24, SHALLOW, False),
                                                             ((101, 190), 64, STYLE_W, False),
                                                             ((96, 120), 24, SHALLOW, True),
                                                             ((101, 190), 64, STYLE_W, True)])
def test_tiled_loss_and_gradient_equal_the_whole_image(net, size, max_core, style_w, guided):
    torch.manual_seed(0)
    content, x0 = torch.rand(1, 3, *size), torch.rand(1, 3, *size)
    styles = [torch.rand(1, 3, 120, 90), torch.rand(1, 3, 100, 150)]
    content_w = {"relu3_1": 1.0} if style_w is SHALLOW else CONTENT_W
    loss = PerceptualLoss(net, content_w, style_w, WEIGHTS, [0.3, 0.7])
    if guided:  # regions: the guided Gram matrices are sums over positions too
        loss = loss.with_targets(guide=_guide(size))
    whole = Objective(loss.with_targets(content, styles), tuple(content.shape[-2:]))
    tiled = TiledObjective(loss, content, styles, max_area=1e9, max_core=max_core, seed=0)
    tiles = tiled.tiles(x0)
    assert len(tiles) >= 6
    # tiles whose windows (core and halo) stop inside the image: the tiles' own edges are exercised
    assert any(xs.lo > 0 or xs.hi < size[1] for _, xs in tiles if 0 < xs.start)
    if style_w is SHALLOW:
        assert any(0 < ys.lo and ys.hi < size[0] for ys, _ in tiles)
    a, ga = _loss_and_grad(whole, x0)
    for _ in range(2):  # two evaluations: two different jittered grids
        b, gb = _loss_and_grad(tiled, x0)
        torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-7)
        assert (gb - ga).abs().max() <= 1e-4 * ga.abs().max()


def test_tiled_objective_runs_on_a_non_cpu_device(net):
    meta = torch.device("meta")
    content, x = torch.rand(1, 3, 96, 80, device=meta), torch.rand(1, 3, 96, 80, device=meta, requires_grad=True)
    loss = PerceptualLoss(copy.deepcopy(net).to(meta), CONTENT_W, STYLE_W, WEIGHTS, [1.0])
    tiled = TiledObjective(loss, content, [torch.rand(1, 3, 64, 64, device=meta)], max_area=1e9, max_core=32, seed=0)
    assert len(tiled.tiles(x)) >= 4
    terms = tiled.evaluate(x)
    assert terms.device == meta and terms.shape == (3,) and x.grad.shape == x.shape and x.grad.device == meta


def test_tiled_run_gives_the_untiled_result(content_path, style_path):
    # shallow layers (a 12 px halo), so that 32 px tiles have edges inside the 96 px image
    common = dict(size=96, iterations=5, precision="fp32", device=DEVICE, seed=0, style_layers=list(SHALLOW),
                  content_layers=["relu3_1"])
    a = np.asarray(restyle.stylize(content_path, style_path, **common), dtype=np.float64)
    b = np.asarray(restyle.stylize(content_path, style_path, tile_size=32, **common), dtype=np.float64)
    assert np.abs(a - b).mean() < 0.5  # out of 255: rounding, not structure


def _boundary_energy(image, xs: list[int], ys: list[int]) -> float:
    """The image's gradient energy across the given columns and rows over that across all others."""
    img = np.asarray(image.convert("L"), dtype=np.float64)
    gx = (img[:, 1:] - img[:, :-1]) ** 2  # index x - 1: across the boundary between columns x - 1 and x
    gy = (img[1:, :] - img[:-1, :]) ** 2
    on = np.mean([gx[:, x - 1].mean() for x in xs] + [gy[y - 1, :].mean() for y in ys])
    off = (np.delete(gx, [x - 1 for x in xs], axis=1).mean() + np.delete(gy, [y - 1 for y in ys], axis=0).mean()) / 2
    return on / off


def test_no_seams_at_tile_boundaries():
    # A run over 24 tiles whose boundaries do not move (cores this small get no jitter): the image's gradient
    # energy across the tile boundaries, over that across every other row and column, must be within 5% of the
    # same lines' in the untiled run. Started from noise, so the painted texture is alike everywhere; a few lines
    # are still a small sample (untiled, they differ from the rest by 5-9%, fp32 or bf16), hence the comparison.
    # Layers up to relu3_1 only: their 20 px halo keeps the 24 tiles cheap (relu5_1's 80 px would make each
    # 48 px core a 208 px tile); the exactness of the tiling does not depend on the depth.
    size, tile, layers = 256, 48, ["relu1_1", "relu2_1", "relu3_1"]
    common = dict(size=size, iterations=15, init="noise", device=DEVICE, seed=0, style_layers=layers,
                  content_layers=["relu3_1"])
    tiled = restyle.stylize(EXAMPLES / "tubingen.jpg", EXAMPLES / "starry_night.jpg", tile_size=tile, **common)
    whole = restyle.stylize(EXAMPLES / "tubingen.jpg", EXAMPLES / "starry_night.jpg", **common)
    w, h = tiled.size
    halo, align = halo_and_align(layers)
    (rows, cols), _ = choose_grid(h, w, max_area=1e12, halo=halo, align=align, max_core=tile)
    xs = [s.start for s in cut(w, cols, halo, align)[1:]]
    ys = [s.start for s in cut(h, rows, halo, align)[1:]]
    assert len(xs) + len(ys) >= 6
    assert _boundary_energy(tiled, xs, ys) <= 1.05 * _boundary_energy(whole, xs, ys)


def test_ctrl_c_at_a_tiled_scale_saves_its_best_image(content_path, style_path):
    def interrupt(progress):
        if progress.scale == 2 and progress.iteration == 2:
            assert progress.tiles > 1
            raise KeyboardInterrupt

    with pytest.raises(Interrupted) as info:
        restyle.stylize(content_path, style_path, size=64, iterations=4, multiscale=True, start_size=32,
                        tile_size=32, device=DEVICE, callback=interrupt)
    assert info.value.image.size == (64, 48)


def test_ctrl_c_while_a_scale_starts_saves_the_last_scale(content_path, style_path, monkeypatch):
    real_init, calls = TiledObjective.__init__, []

    def init_then_interrupt(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # scale 2 is computing its targets
            raise KeyboardInterrupt
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(TiledObjective, "__init__", init_then_interrupt)
    with pytest.raises(Interrupted) as info:
        restyle.stylize(content_path, style_path, size=64, iterations=2, multiscale=True, start_size=32,
                        tile_size=32, device=DEVICE)
    assert info.value.image.size == (32, 24)  # scale 1's result
