"""restyle's L-BFGS against torch.optim.LBFGS with the optimizer's settings: the same numbers, step by step."""

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from restyle.optimize.lbfgs import LBFGS
from tests.conftest import DEVICE


def _loss(x: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """A smooth non-quadratic loss, so the curvature changes from step to step."""
    return ((a @ x - b) ** 2).sum() + (x ** 4).sum() * 0.1


def _assert_same(a: torch.Tensor, b: torch.Tensor) -> None:
    """Equal to the bit on a CPU; on a GPU, whose kernels may fuse a multiply and an add differently for a step
    length given as a tensor than as a number, equal to float32's rounding."""
    if a.device.type == "cpu":
        assert torch.equal(a, b)
    else:
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-6)


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
        _assert_same(mine_loss, torchs_loss)
        _assert_same(ours, theirs)
        losses.append(mine_loss.item())
    assert losses[-1] < 0.5 * losses[0]  # and it descends


def test_a_zero_gradient_takes_no_step():
    x = torch.zeros(4, device=DEVICE, requires_grad=True)
    optimizer = LBFGS(x)

    def flat():
        optimizer.zero_grad()
        loss = (x * 0).sum()
        loss.backward()
        return loss

    for _ in range(2):
        optimizer.step(flat)
        assert torch.equal(x, torch.zeros(4, device=DEVICE))  # nowhere to go


def _linear(optimizer: LBFGS, x: torch.Tensor):
    """A loss with a constant gradient (1, -2, 0, 4): no curvature for the memory to learn."""
    def evaluate():
        optimizer.zero_grad()
        loss = (x * torch.tensor([1.0, -2.0, 0.0, 4.0], device=DEVICE)).sum()
        loss.backward()
        return loss
    return evaluate


def test_without_curvature_each_step_is_the_steepest_descents():
    x = torch.zeros(4, device=DEVICE, requires_grad=True)
    optimizer = LBFGS(x)
    optimizer.step(_linear(optimizer, x))
    first = x.detach().clone()
    steepest = torch.tensor([-1.0, 2.0, 0.0, -4.0], device=DEVICE)
    assert torch.allclose(first, steepest / 7)  # min(1, 1/|g|_1) along -g
    optimizer.step(_linear(optimizer, x))
    # the pair (y = 0, s) has no curvature: kept as one that changes nothing, so the step is -g at length 1
    assert optimizer.ro[0].item() == 0 and torch.allclose(x, first + steepest)


def test_a_direction_that_does_not_descend_takes_no_step():
    x = torch.zeros(4, device=DEVICE, requires_grad=True)
    optimizer = LBFGS(x)
    optimizer.step(_linear(optimizer, x))
    first = x.detach().clone()
    optimizer.h_diag = torch.tensor(-1.0, device=DEVICE)  # a memory that points uphill: d = +g
    optimizer.step(_linear(optimizer, x))
    assert torch.equal(x, first)


class _Reads(TorchDispatchMode):
    """Counts the numbers read back from tensors to the host (``item``, ``bool``, a tensor as a float argument):
    each one a sync on a GPU."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += func is torch.ops.aten._local_scalar_dense.default
        return func(*args, **(kwargs or {}))


def test_a_step_reads_nothing_back_from_the_device():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(12, 8, generator=g).to(DEVICE), torch.randn(12, generator=g).to(DEVICE)
    x = torch.randn(8, generator=g).to(DEVICE).requires_grad_()
    optimizer = LBFGS(x, history=3)

    def evaluate():
        optimizer.zero_grad()
        loss = _loss(x, a, b)
        loss.backward()
        return loss

    with _Reads() as reads:
        for _ in range(6):  # the first step, the memory filling and overflowing
            optimizer.step(evaluate)
    assert reads.count == 0
    theirs = torch.optim.LBFGS([x.detach().clone().requires_grad_()], max_iter=1, history_size=3)
    with _Reads() as reads:  # the test sees the reads torch's iteration makes
        theirs.step(lambda: 0 * theirs.param_groups[0]["params"][0].sum())
    assert reads.count > 0
