"""How long a run has left, predicted from its own timings: a pass of cost c takes a + b·c seconds.

The cost c of an iteration or a scale's set-up comes from ``planning`` (it grows with the pixels of a pass).
On a CPU the time of a pass is close to proportional to its pixels (a ≈ 0); on a GPU small passes are bound by
kernel launches, so a 480 px iteration can take nearly as long as a 960 px one, and a model that assumed time
proportional to pixels was off by orders of magnitude early in a run. So ``a`` and ``b`` are fitted to the run
itself: to each scale's measured seconds per iteration once two scales have run, before that to a timed pass
at the first two scales' sizes where one was made (``calibration``), else with a = 0.
"""

from __future__ import annotations

from typing import Optional, Sequence

from .planning import FORWARD_SHARE, ScalePlan


def fit(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """(a, b) >= 0 of the least-squares line seconds = a + b·cost through (cost, seconds) points; with one
    point, or costs all alike, the line through the origin."""
    costs = {c for c, _ in points}
    if len(costs) < 2:
        c, t = max(points)
        return 0.0, t / c
    n = len(points)
    mc, mt = sum(c for c, _ in points) / n, sum(t for _, t in points) / n
    b = sum((c - mc) * (t - mt) for c, t in points) / sum((c - mc) ** 2 for c, _ in points)
    a = mt - b * mc
    if b <= 0:  # flat or falling: every pass the same (launch-bound)
        return mt, 0.0
    if a < 0:  # falling through the origin: proportional
        return 0.0, sum(t for _, t in points) / sum(c for c, _ in points)
    return a, b


class Eta:
    """Seconds left in a run of ``plans`` (with ``iterations`` each), from the timings it is given."""

    def __init__(self, plans: Sequence[ScalePlan], iterations: Sequence[int], styles: int,
                 calibration: Optional[Sequence[tuple[float, float]]] = None):
        self.plans, self.iterations, self.styles = list(plans), list(iterations), styles
        self.calibration = list(calibration or [])
        self.times: dict[int, list[float]] = {}  # seconds of each timed iteration, by scale

    def iteration_took(self, scale: int, seconds: float) -> None:
        """Record that an iteration of scale ``scale`` (0-based) took ``seconds``."""
        self.times.setdefault(scale, []).append(seconds)

    def model(self) -> tuple[float, float]:
        """(a, b): seconds per iteration = a + b·cost, from the scales timed so far (or the calibration)."""
        timed = [(self.plans[s].cost, sum(t) / len(t)) for s, t in self.times.items() if t]
        if len({c for c, _ in timed}) >= 2 or not self.calibration:
            return fit(timed) if timed else (0.0, 0.0)
        a, b = fit(self.calibration)
        if timed:  # the calibration's shape, scaled to the iterations actually timed (optimizer steps included)
            c, t = timed[0]
            scale = t / (a + b * c) if a + b * c > 0 else 1.0
            a, b = a * scale, b * scale
        return a, b

    def remaining(self, scale: int, done: int) -> Optional[float]:
        """Seconds left after ``done`` iterations of scale ``scale``; None before any iteration was timed."""
        if not self.times:
            return None
        a, b = self.model()
        own = self.times.get(scale)
        now = sum(own) / len(own) if own else a + b * self.plans[scale].cost
        left = now * (self.iterations[scale] - done)
        for s in range(scale + 1, len(self.plans)):
            plan = self.plans[s]
            left += (a + b * plan.cost) * self.iterations[s]
            left += a * FORWARD_SHARE * (1 + self.styles) + b * plan.setup_cost(self.styles)  # its targets
        return left
