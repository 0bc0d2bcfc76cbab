"""L-BFGS for the optimizer: torch.optim.LBFGS's iteration, the same arithmetic, without its start-up cost or its
host syncs.

Constructing any ``torch.optim`` optimizer the first time imports ``torch._dynamo`` (``add_param_group`` is wrapped
to keep torch.compile out), which took 2.7 s of every ``stylize`` run's start-up on a 2-core CPU. The optimizer
needs only what ``torch.optim.LBFGS(max_iter=1, tolerance_grad=0, tolerance_change=0)`` does: one iteration per
step, a fixed step length, no line search. This is that iteration, operation for operation, so the results are
the same to the bit (tests/optimize/test_lbfgs.py), less the loss's conversion to a float, which only its
tolerance checks read.

torch's iteration also reads numbers back from the device to decide what to do: whether the gradient is zero,
whether the curvature is positive, whether the direction descends, and each step of its two-loop recursion (a step
length given as a tensor), 2 * history + 3 host syncs an iteration, each of which stalls a GPU's queue. Here every
such decision is made on the device (``torch.where``), so an iteration reads nothing back. Two rare cases differ
from torch: a zero gradient counts as an iteration (taking no step, as torch's takes none), and a pair of step and
gradient change without positive curvature is kept as one that changes nothing (its ``1 / (y · s)`` set to 0)
instead of being dropped, so it holds a place in the history and the oldest pair leaves one iteration sooner.
Otherwise the arithmetic is torch's: the stylize results checked on a CPU were byte-identical.
"""

from __future__ import annotations

from collections import deque
from typing import Callable, Optional

import torch


class LBFGS:
    """One L-BFGS iteration per ``step(closure)`` on the tensor ``x``, whose gradient ``closure`` sets and whose loss
    it returns, keeping the last ``history`` pairs of steps and gradient changes."""

    def __init__(self, x: torch.Tensor, lr: float = 1.0, history: int = 100):
        self.x, self.lr = x, lr
        self.dirs: deque[torch.Tensor] = deque(maxlen=history)  # gradient changes (y)
        self.steps: deque[torch.Tensor] = deque(maxlen=history)  # steps taken (s)
        self.ro: deque[torch.Tensor] = deque(maxlen=history)  # 1 / (y · s), or 0 where y · s is not positive
        self.h_diag: torch.Tensor | int = 1
        self.d: Optional[torch.Tensor] = None
        self.t: torch.Tensor | float = lr
        self.prev_grad: Optional[torch.Tensor] = None  # None until the first step

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop ``x``'s gradient (``set_to_none``) or zero it."""
        if set_to_none or self.x.grad is None:
            self.x.grad = None
        else:
            self.x.grad.zero_()

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor]) -> torch.Tensor:
        """Evaluate ``closure`` at ``x``, then move ``x`` one L-BFGS step; returns the loss."""
        with torch.enable_grad():
            loss = closure()
        grad = self._grad()
        if self.prev_grad is None:
            self.d = grad.neg()
            self.t = (1.0 / grad.abs().sum()).clamp(max=1.0) * self.lr  # torch's min(1, 1 / |g|_1) * lr
            self.prev_grad = grad.clone(memory_format=torch.contiguous_format)
        else:
            self.d = self._direction(grad)  # from the last step's d * t and gradient change
            self.t = self.lr
            self.prev_grad.copy_(grad)
        # No step along a direction that does not descend; the memory still takes d * t, as torch's does.
        length = torch.where(grad.dot(self.d) > 0, 0.0, self.t)
        self.x.addcmul_(self.d.view_as(self.x), length)
        return loss

    def _grad(self) -> torch.Tensor:
        """``x``'s gradient as a new flat tensor (zeros where the closure left none)."""
        if self.x.grad is None:
            return self.x.new(self.x.numel()).zero_()
        return torch.cat([self.x.grad.view(-1)], 0)

    def _direction(self, grad: torch.Tensor) -> torch.Tensor:
        """The memory updated with the last step, then the two-loop recursion: minus the inverse Hessian
        approximation times ``grad``."""
        y = grad.sub(self.prev_grad)
        s = self.d.mul(self.t)
        ys = y.dot(s)
        curved = ys > 1e-10
        self.dirs.append(y)  # the oldest pair leaves once ``history`` are kept
        self.steps.append(s)
        self.ro.append(torch.where(curved, 1.0 / ys, 0.0))
        self.h_diag = torch.where(curved, ys / y.dot(y), self.h_diag)
        q, al = grad.neg(), [None] * len(self.dirs)  # filled newest first, read oldest first
        for i in range(len(self.dirs) - 1, -1, -1):
            al[i] = self.steps[i].dot(q) * self.ro[i]
            q.addcmul_(self.dirs[i], -al[i])
        r = torch.mul(q, self.h_diag)
        for i in range(len(self.dirs)):
            be_i = self.dirs[i].dot(r) * self.ro[i]
            r.addcmul_(self.steps[i], al[i] - be_i)
        return r
