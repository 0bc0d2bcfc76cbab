"""Coarse-to-fine schedule (Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer").

The image is first stylized small, where the network's receptive fields cover a large part of it and the
style's large structures form; each result, upsampled, starts the next scale. Without this, a large output
keeps the photo's look with only fine texture on top.
"""

from __future__ import annotations

#: Coarse-to-fine is on by default for outputs whose long side is above this.
MULTISCALE_ABOVE = 512
#: Scales finer than this keep the loss of the image shrunk to this size in their objective, so a large
#: result looks like a result of this size, with more detail (see ``objective.Anchored``).
ANCHOR_SIZE = 512


def scale_schedule(size: int, iterations: int, multiscale: bool | None = None,
                   start_size: int = 256) -> list[tuple[int, int]]:
    """[(long side, iterations), ...] from coarsest to the target ``size``.

    Sizes double from ``start_size``-or-more up to ``size`` (each is ``size`` halved k times). The coarsest
    scale gets ``iterations``; each finer one half of the one before, but at least an eighth of
    ``iterations``: fine scales cost 4× more per iteration (more with tiles) and only refine what the
    coarse ones built. At 3840 px: 480 x 200, 960 x 100, 1920 x 50, 3840 x 25.
    """
    if multiscale is None:
        multiscale = size > MULTISCALE_ABOVE
    sizes = [size]
    if multiscale:
        while sizes[-1] // 2 >= start_size:
            sizes.append(sizes[-1] // 2)
    sizes.reverse()
    schedule = []
    its = iterations
    for s in sizes:
        schedule.append((s, its))
        its = max(its // 2, iterations // 8, 1)
    return schedule
