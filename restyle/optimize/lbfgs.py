"""L-BFGS for the optimizer: torch.optim.LBFGS's iteration, the same arithmetic, without its start-up cost.

Constructing any ``torch.optim`` optimizer the first time imports ``torch._dynamo`` (``add_param_group`` is wrapped
to keep torch.compile out), which took 2.7 s of every ``stylize`` run's start-up on a 2-core CPU. The optimizer
needs only what ``torch.optim.LBFGS(max_iter=1, tolerance_grad=0, tolerance_change=0)`` does: one iteration per
step, a fixed step length, no line search. This is that iteration, operation for operation, so the results are
the same to the bit (tests/optimize/test_lbfgs.py), less the loss's conversion to a float, which only its
tolerance checks read.
"""

from __future__ import annotations

from typing import Callable, Optional

import torch


class LBFGS:
    """One L-BFGS iteration per ``step(closure)`` on the tensor ``x``, whose gradient ``closure`` sets and whose loss
    it returns, keeping the last ``history`` pairs of steps and gradient changes."""

    def __init__(self, x: torch.Tensor, lr: float = 1.0, history: int = 100):
        self.x, self.lr, self.history = x, lr, history
        self.dirs: list[torch.Tensor] = []  # gradient changes (y)
        self.steps: list[torch.Tensor] = []  # steps taken (s)
        self.ro: list[torch.Tensor] = []  # 1 / (y · s)
        self.h_diag: torch.Tensor | int = 1
        self.d: Optional[torch.Tensor] = None
        self.t: torch.Tensor | float = lr
        self.prev_grad: Optional[torch.Tensor] = None
        self.iterations = 0

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
        if grad.abs().max() <= 0:  # a zero gradient: nowhere to go
            return loss
        self.iterations += 1
        self.d = grad.neg() if self.iterations == 1 else self._direction(grad)
        if self.prev_grad is None:
            self.prev_grad = grad.clone(memory_format=torch.contiguous_format)
        else:
            self.prev_grad.copy_(grad)
        self.t = min(1.0, 1.0 / grad.abs().sum()) * self.lr if self.iterations == 1 else self.lr
        if grad.dot(self.d) > 0:  # not a descent direction: no step
            return loss
        self.x.add_(self.d.view_as(self.x), alpha=self.t)
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
        if ys > 1e-10:
            if len(self.dirs) == self.history:
                self.dirs.pop(0)
                self.steps.pop(0)
                self.ro.pop(0)
            self.dirs.append(y)
            self.steps.append(s)
            self.ro.append(1.0 / ys)
            self.h_diag = ys / y.dot(y)
        q, al = grad.neg(), [None] * len(self.dirs)  # filled newest first, read oldest first
        for i in range(len(self.dirs) - 1, -1, -1):
            al[i] = self.steps[i].dot(q) * self.ro[i]
            q.add_(self.dirs[i], alpha=-al[i])
        r = torch.mul(q, self.h_diag)
        for i in range(len(self.dirs)):
            be_i = self.dirs[i].dot(r) * self.ro[i]
            r.add_(self.steps[i], alpha=al[i] - be_i)
        return r
