import torch


def test_anchored_objective_adds_the_loss_of_the_shrunk_image():
    from restyle.core.images import resize
    from restyle.core.layers import layer_weights
    from restyle.core.losses import LossWeights, PerceptualLoss
    from restyle.core.vgg import VGG19Features, load_weights
    from restyle.optimize.objective import Anchored, Objective
    from restyle.optimize.options import Options

    opts = Options()
    cw, sw = layer_weights("content", opts.content_layers), layer_weights("style", opts.style_layers)
    state, caffe = load_weights()
    net = VGG19Features(state, list(cw) + list(sw), "max", caffe)
    torch.manual_seed(0)
    content, style, x0 = torch.rand(1, 3, 64, 96), torch.rand(1, 3, 50, 60), torch.rand(1, 3, 64, 96)
    loss = PerceptualLoss(net, cw, sw, LossWeights(1.0, 10.0, 10.0))
    fine = Objective(loss.with_targets(content, [style]), (64, 96))
    small = Objective(loss.with_targets(resize(content, (32, 48)), [resize(style, (25, 30))]), (32, 48))
    x = x0.clone().requires_grad_(True)
    terms = Anchored(fine, small).evaluate(x)
    # the same, by hand: one autograd graph through both losses and the resize
    y = x0.clone().requires_grad_(True)
    expected = fine(y) + small(resize(y, (32, 48)))
    expected.sum().backward()
    torch.testing.assert_close(terms, expected.detach())
    torch.testing.assert_close(x.grad, y.grad)
