"""restyle's L-BFGS against torch.optim.LBFGS with the optimizer's settings: the same numbers, step by step."""

import pytest
import torch

from restyle.optimize.lbfgs import LBFGS
from tests.conftest import DEVICE


def _loss(x: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """A smooth non-quadratic loss, so the curvature changes from step to step."""
    return ((a @ x - b) ** 2).sum() + (x ** 4).sum() * 0.1


@pytest.mark.parametrize("history, lr", [(3, 1.0), (100, 0.5)])
def test_every_step_equals_torchs_lbfgs(history, lr):
    g = torch.Generator().manual_seed(0)
    a, b, start = torch.randn(12, 8, generator=g), torch.randn(12, generator=g), torch.randn(8, generator=g)
    a, b, start = a.to(DEVICE), b.to(DEVICE), start.to(DEVICE)
    ours, theirs = start.clone().requires_grad_(), start.clone().requires_grad_()
    mine = LBFGS(ours, lr=lr, history=history)
    torchs = torch.optim.LBFGS([theirs], lr=lr, max_iter=1, history_size=history, tolerance_grad=0.0,
                               tolerance_change=0.0)

    def closure(x, optimizer):
        def evaluate():
            optimizer.zero_grad(set_to_none=True)
            loss = _loss(x, a, b)
            loss.backward()
            return loss
        return evaluate

    losses = []
    for _ in range(12):  # more steps than the short history holds
        mine_loss = mine.step(closure(ours, mine))
        torchs_loss = torchs.step(closure(theirs, torchs))
        assert torch.equal(mine_loss, torchs_loss)
        assert torch.equal(ours, theirs)
        losses.append(mine_loss.item())
    assert losses[-1] < 0.5 * losses[0]  # and it descends


def test_a_zero_gradient_or_a_flat_loss_takes_no_step_or_a_steepest_one():
    x = torch.zeros(4, requires_grad=True)
    optimizer = LBFGS(x)

    def flat():
        optimizer.zero_grad()
        loss = (x * 0).sum()
        loss.backward()
        return loss

    optimizer.step(flat)
    assert torch.equal(x, torch.zeros(4)) and optimizer.iterations == 0  # nowhere to go

    def linear():  # a constant gradient: no curvature to remember, so each step is the steepest descent's
        optimizer.zero_grad()
        loss = (x * torch.tensor([1.0, -2.0, 0.0, 4.0])).sum()
        loss.backward()
        return loss

    optimizer.step(linear)
    first = x.detach().clone()
    assert torch.allclose(first, torch.tensor([-1.0, 2.0, 0.0, -4.0]) / 7)  # min(1, 1/|g|_1) along -g
    optimizer.step(linear)
    assert optimizer.dirs == [] and torch.allclose(x, first + torch.tensor([-1.0, 2.0, 0.0, -4.0]))
