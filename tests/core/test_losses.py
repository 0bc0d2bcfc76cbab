import torch

from restyle.core.losses import (
    ContentLoss,
    Guide,
    LossWeights,
    PerceptualLoss,
    StyleLoss,
    TemporalLoss,
    TVLoss,
    gram,
    shrink,
)


def test_gram_hand_computed():
    # Two channels over two positions: F = [[1, 2], [3, 4]]; G = F Fᵀ / 2.
    f = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
    assert torch.allclose(gram(f), torch.tensor([[[2.5, 5.5], [5.5, 12.5]]]))


def test_gram_does_not_change_with_image_size():
    torch.manual_seed(0)
    f = torch.rand(1, 8, 5, 7)
    tiled = f.repeat(1, 1, 3, 4)  # same statistics over 12x the positions
    assert torch.allclose(gram(f), gram(tiled), rtol=1e-5)


def test_gram_is_float32_for_bf16_features():
    f = torch.rand(1, 4, 3, 3).to(torch.bfloat16)
    assert gram(f).dtype == torch.float32


def test_content_loss_hand_computed():
    target = torch.tensor([1.0, 2.0]).reshape(1, 2, 1, 1)
    x = torch.tensor([2.0, 2.0]).reshape(1, 2, 1, 1)
    # ‖x − t‖² / ‖t‖² = 1 / 5
    assert torch.isclose(ContentLoss(target)(x), torch.tensor(0.2))
    assert ContentLoss(target)(target) == 0


def test_style_loss_hand_computed():
    target = torch.tensor([[[2.0, 0.0], [0.0, 1.0]]])  # ‖G_s‖² = 5
    f = torch.tensor([[1.0, 1.0], [1.0, 1.0]]).reshape(1, 2, 2, 1)  # G = [[1, 1], [1, 1]]
    # ‖G − G_s‖² = 1 + 1 + 1 + 0 = 3
    assert torch.isclose(StyleLoss(target)(f), torch.tensor(3 / 5))


def test_style_loss_same_for_any_size():
    torch.manual_seed(0)
    f_style = torch.rand(1, 6, 4, 4)
    f = torch.rand(1, 6, 5, 5)
    loss = StyleLoss(gram(f_style))
    assert torch.isclose(loss(f), loss(f.repeat(1, 1, 4, 4)), rtol=1e-4)


def test_losses_do_not_change_with_feature_scale():
    # Relative errors: Caffe (0-255) and torchvision (normalized) features give the same numbers.
    torch.manual_seed(0)
    t, x = torch.rand(1, 3, 4, 4), torch.rand(1, 3, 4, 4)
    assert torch.isclose(ContentLoss(t)(x), ContentLoss(58 * t)(58 * x))
    assert torch.isclose(StyleLoss(gram(t))(x), StyleLoss(gram(58 * t))(58 * x))


def test_tv_loss_hand_computed():
    image = torch.tensor([[0.0, 1.0], [0.0, 1.0]]).reshape(1, 1, 2, 2)
    # horizontal differences: 1, 1 -> mean 1; vertical: 0, 0 -> mean 0
    assert torch.isclose(TVLoss()(image), torch.tensor(1.0))
    assert TVLoss()(torch.full((1, 3, 5, 5), 0.3)) == 0


def test_tv_loss_of_a_line_one_pixel_across():
    row = torch.tensor([0.0, 1.0, 3.0]).reshape(1, 1, 1, 3)  # differences 1, 2 -> mean 2.5; none across
    assert torch.isclose(TVLoss()(row), torch.tensor(2.5))
    assert torch.isclose(TVLoss()(row.transpose(2, 3)), torch.tensor(2.5))
    assert TVLoss()(torch.rand(1, 3, 1, 1)) == 0


def test_temporal_loss_hand_computed():
    target = torch.zeros(1, 3, 1, 2)
    image = torch.tensor([[1.0, 3.0]]).expand(3, 1, 2)[None]
    mask = torch.tensor([[1.0, 0.0]]).reshape(1, 1, 1, 2)
    # Only the first pixel counts: 3 channels of (1 - 0)^2 over 3 values of the mask's area.
    assert TemporalLoss(target, mask)(image) == 1.0
    # Half-trusted pixels count half: (3 * 1 * 1 + 3 * 9 * 0.5) / (3 * 1.5)
    assert torch.isclose(TemporalLoss(target, torch.tensor([[1.0, 0.5]]).reshape(1, 1, 1, 2))(image),
                         torch.tensor(16.5 / 4.5))
    assert TemporalLoss(target, torch.zeros(1, 1, 1, 2))(image) == 0  # nothing trusted: no pull


class _Identity(torch.nn.Module):
    """A stand-in network: its "layers" are the image itself and the image doubled."""

    def forward(self, image, taps=None):
        return {"a": image, "b": 2 * image}


def _loss(weights=LossWeights(1.0, 10.0, 10.0), blend=(1.0,)):
    return PerceptualLoss(_Identity(), {"a": 0.25, "b": 0.75}, {"a": 0.5, "b": 0.5}, weights, blend)


def test_perceptual_content_term_hand_computed():
    t = torch.tensor([1.0, 2.0]).reshape(1, 2, 1, 1)
    loss = _loss().with_targets(content_features={"a": t, "b": 2 * t})
    feats = {"a": torch.tensor([2.0, 2.0]).reshape(1, 2, 1, 1), "b": 2 * t}
    # layer a: |(2,2) - (1,2)|^2 / |(1,2)|^2 = 1/5; layer b: exact
    assert torch.isclose(loss.content_term(feats), torch.tensor(0.25 * 0.2))
    # against a given target instead (training: each photo its own target)
    assert torch.isclose(loss.content_term(feats, target=feats), torch.tensor(0.0))


def test_perceptual_terms_are_weighted_and_the_style_blend_is_the_weighted_gram():
    torch.manual_seed(0)
    a, b, x = torch.rand(1, 3, 4, 4), torch.rand(1, 3, 5, 3), torch.rand(1, 3, 4, 4)
    loss = _loss(LossWeights(2.0, 3.0, 5.0), blend=(0.25, 0.75)).with_targets(a, [a, b])
    blended = 0.25 * gram(a) + 0.75 * gram(b)
    torch.testing.assert_close(loss.style["a"].target, blended)
    torch.testing.assert_close(loss.style["b"].target, 4 * blended)
    content = 0.25 * ContentLoss(a)(x) + 0.75 * ContentLoss(2 * a)(2 * x)
    style = 0.5 * StyleLoss(blended)(x) + 0.5 * StyleLoss(4 * blended)(2 * x)
    expected = torch.stack([2.0 * content, 3.0 * style, 5.0 * TVLoss()(x)])
    torch.testing.assert_close(loss.terms(x), expected)


def test_perceptual_style_of_a_batch_is_the_mean_of_its_images():
    torch.manual_seed(0)
    s, x = torch.rand(1, 3, 4, 4), torch.rand(2, 3, 4, 4)
    loss = _loss().with_targets(styles=[s])
    one = [loss.style_term(loss.features(x[i:i + 1])) for i in range(2)]
    torch.testing.assert_close(loss.style_term(loss.features(x)), (one[0] + one[1]) / 2)


def _checkerboard(square: int, side: int = 16) -> torch.Tensor:
    """A (1, 3, side, side) checkerboard of 0s and 1s whose squares are ``square`` px wide."""
    y, x = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
    return ((y // square + x // square) % 2).float().expand(1, 3, side, side).clone()


def test_style_scales_compose_the_mean_of_each_scales_error():
    torch.manual_seed(0)
    s, x = torch.rand(1, 3, 8, 8), torch.rand(2, 3, 8, 8)
    loss = PerceptualLoss(_Identity(), {"a": 1.0}, {"a": 0.5, "b": 0.5}, LossWeights(0.0, 3.0, 0.0),
                          style_scales=(1.0, 0.5)).with_targets(styles=[s])
    assert shrink(x, 0.5).shape == (2, 3, 4, 4)

    def error(image, style):  # the layers a (the image) and b (it doubled), weighted 0.5 each; batch mean
        return sum(0.5 * StyleLoss(gram(k * style))(k * image) / 2 for k in (1, 2))

    expected = 3.0 * (error(x, s) + error(shrink(x, 0.5), shrink(s, 0.5))) / 2
    torch.testing.assert_close(loss.terms(x, content_target={"a": x})[1], expected)


def test_the_half_scale_sees_the_size_of_a_pattern():
    # Two checkerboards alike pixel by pixel (the same Gram matrix at scale 1) but of 1 px and 4 px squares:
    # shrunk by half, the fine one blurs to grey and the coarse one stays a checkerboard.
    fine, coarse = _checkerboard(1), _checkerboard(4)
    one = _loss().with_targets(styles=[coarse])
    two = PerceptualLoss(_Identity(), {}, {"a": 1.0}, style_scales=(1.0, 0.5)).with_targets(styles=[coarse])
    assert float(one.scales_term(fine, one.features(fine))) < 1e-6
    assert float(two.scales_term(fine, two.features(fine))) > 0.05
    assert float(two.scales_term(coarse, two.features(coarse))) < 1e-6


def test_style_loss_of_several_styles_judges_each_image_against_its_own_hand_computed():
    target = torch.tensor([[[2.0]], [[4.0]]])  # two styles' 1x1 Gram matrices: ‖G_s‖² = 4 and 16
    g = torch.tensor([[[3.0]], [[3.0]], [[5.0]]])
    # image 0 against style 0: 1/4; images 1 and 2 against style 1: 1/16 each
    assert torch.isclose(StyleLoss(target).of_gram(g, torch.tensor([0, 1, 1])), torch.tensor(0.375))
    assert StyleLoss(target).of_gram(torch.tensor([[[4.0]], [[2.0]]]), torch.tensor([1, 0])) == 0


def test_each_style_kept_apart_is_the_per_image_mean_of_one_style_losses():
    torch.manual_seed(0)
    a, b, x = torch.rand(1, 3, 4, 4), torch.rand(1, 3, 6, 5), torch.rand(3, 3, 4, 4)
    both = PerceptualLoss(_Identity(), {"a": 1.0}, {"a": 0.5, "b": 0.5}, LossWeights(0.0, 3.0, 0.0),
                          style_scales=(1.0, 0.5)).with_targets(styles=[a, b], each_style=True)
    assert both.style["a"].target.shape == (2, 3, 3) and both.scaled[0.5]["b"].target.shape == (2, 3, 3)
    which = torch.tensor([1, 0, 1])
    alone = [both.with_targets(styles=[s]) for s in (a, b)]  # (each_style off: a target of one style)
    expected = sum(alone[w].terms(x[i:i + 1], content_target={"a": x[i:i + 1]})[1] for i, w in enumerate(which)) / 3
    torch.testing.assert_close(both.terms(x, content_target={"a": x}, which=which)[1], expected)


def test_with_targets_leaves_the_original_without_targets():
    base = _loss()
    base.with_targets(torch.rand(1, 3, 4, 4), [torch.rand(1, 3, 4, 4)])
    assert base.content == {} and base.style == {}


def test_losses_backpropagate():
    x = torch.rand(1, 3, 4, 4, requires_grad=True)
    (ContentLoss(torch.rand(1, 3, 4, 4))(x) + StyleLoss(torch.rand(1, 3, 3))(x) + TVLoss()(x)).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_style_targets_blend_the_styles_grams():
    a, b = gram(torch.rand(1, 3, 4, 4)), gram(torch.rand(1, 3, 2, 5))
    loss = PerceptualLoss(None, {}, {"relu1_1": 1.0}, blend=[0.25, 0.75])
    assert torch.allclose(loss.style_targets([{"relu1_1": a}, {"relu1_1": b}])["relu1_1"], 0.25 * a + 0.75 * b)
    guide = Guide(torch.ones(2, 1, 4, 4) / 2, torch.tensor([[1.0, 0.0], [0.5, 0.5]]))
    regions = loss.with_targets(guide=guide).style_targets([{"relu1_1": a}, {"relu1_1": b}])["relu1_1"]
    assert regions.shape == (2, 3, 3)
    assert torch.allclose(regions[0], a[0]) and torch.allclose(regions[1], (a[0] + b[0]) / 2)


def test_guided_gram_hand_computed():
    # Two channels over two positions, f₁ = (1, 3) and f₂ = (2, 4): the first position alone gives f₁f₁ᵀ; half of
    # each is the plain Gram matrix; an all-ones mask too.
    f = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
    masks = torch.tensor([[1.0, 0.0], [0.5, 0.5], [1.0, 1.0]]).reshape(3, 1, 2, 1)
    g = gram(f, masks)
    assert torch.allclose(g[0], torch.tensor([[1.0, 3.0], [3.0, 9.0]]))
    assert torch.allclose(g[1], gram(f)[0]) and torch.allclose(g[2], gram(f)[0])


def test_guided_gram_is_that_of_the_region_alone():
    torch.manual_seed(0)
    f = torch.rand(1, 4, 6, 8)
    mask = torch.zeros(1, 1, 6, 8)
    mask[..., :, :3] = 1
    assert torch.allclose(gram(f, mask), gram(f[..., :3]), atol=1e-6)


def test_style_loss_weighs_each_regions_relative_error_by_its_share():
    target = torch.stack([torch.eye(2), 2 * torch.eye(2)])  # ‖T₁‖² = 2, ‖T₂‖² = 8
    g = torch.stack([torch.zeros(2, 2), torch.eye(2)])  # errors 2 and 2
    loss = StyleLoss(target, shares=torch.tensor([0.25, 0.75]))
    assert torch.isclose(loss.of_gram(g), torch.tensor(0.25 * 2 / 2 + 0.75 * 2 / 8))


def test_a_guide_at_a_layer_averages_its_masks_as_the_network_pools():
    mask = torch.tensor([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]).reshape(1, 1, 3, 3)
    guide = Guide(mask, torch.ones(1, 1))
    assert torch.equal(guide.at("relu1_1"), mask)
    # 2x2 windows, the partial ones at the edges averaged over the pixels they hold
    assert torch.allclose(guide.at("relu2_1")[0, 0], torch.tensor([[0.5, 0.5], [0.0, 1.0]]))
    assert guide.at("relu5_1").shape == (1, 1, 1, 1)
    assert torch.isclose(guide.shares(), torch.tensor([4 / 9])).all()


def test_gram_gradient_matches_autograd_reference():
    torch.manual_seed(0)
    f = torch.rand(2, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    weights = torch.rand(2, 3, 3, dtype=torch.float64)
    (gram(f).double() * weights).sum().backward()
    ref = f.detach().clone().requires_grad_(True)
    flat = ref.reshape(2, 3, 20)
    ((torch.bmm(flat, flat.transpose(1, 2)) / 20) * weights).sum().backward()
    assert torch.allclose(f.grad, ref.grad, atol=1e-6)


def test_guided_gram_and_its_gradient_match_the_dense_formula():
    torch.manual_seed(0)
    f = torch.rand(1, 3, 4, 5, requires_grad=True)
    masks = torch.rand(2, 1, 4, 5) * (torch.rand(2, 1, 4, 5) > 0.4)  # soft, with positions outside each region
    weights = torch.rand(2, 3, 3)
    (gram(f, masks) * weights).sum().backward()
    ref = f.detach().clone().requires_grad_(True)
    flat, m = ref.reshape(3, 20).T, masks.reshape(2, 20, 1)
    dense = torch.matmul((flat * m).transpose(1, 2), flat) / m.sum(1, keepdim=True)
    (dense * weights).sum().backward()
    assert torch.allclose(gram(f, masks), dense, atol=1e-6) and torch.allclose(f.grad, ref.grad, atol=1e-5)
    assert torch.equal(gram(f, torch.zeros(1, 1, 4, 5)), torch.zeros(1, 3, 3))  # an empty region


def test_gram_of_channels_last_features():
    f = torch.rand(1, 8, 6, 5)
    assert torch.allclose(gram(f.contiguous(memory_format=torch.channels_last)), gram(f), atol=1e-6)


def test_perceptual_loss_runs_on_a_non_cpu_device():
    meta = torch.device("meta")
    loss = _loss().with_targets(torch.rand(1, 3, 4, 4, device=meta), [torch.rand(1, 3, 5, 3, device=meta)])
    x = torch.rand(1, 3, 4, 4, device=meta, requires_grad=True)
    terms = loss.terms(x)
    terms.sum().backward()
    assert terms.device == meta and terms.shape == (3,) and x.grad.device == meta
