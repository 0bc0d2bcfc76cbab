"""Images' style distances to one painting, layer by layer, as the rows of a Markdown table."""

from __future__ import annotations

import torch

import restyle
from restyle.core.layers import DEFAULT_STYLE_LAYERS


class LayerRows:
    """Prints a table's header, then a row per group of images: each layer's distance over it, the layers' mean."""

    def __init__(self, style: str, size: int, first_column: str, device: str = "cpu"):
        # The Scorer's painting targets at long side ``size``; its content photo plays no part here.
        self.scorer = restyle.Scorer(style, style, device=device, size=size)
        print(f"| {first_column} | " + " | ".join(DEFAULT_STYLE_LAYERS) + " | mean |")
        print("|---" * (len(DEFAULT_STYLE_LAYERS) + 2) + "|")

    def per_layer(self, img: torch.Tensor) -> list[float]:
        """The style distance of a (3, H, W) image at each style layer, judged at its own size."""
        with torch.no_grad():
            feats = self.scorer.loss.features(img[None].to(self.scorer.device))
            return [float(v) for v in self.scorer.loss.style_by_layer(feats).values()]

    def row(self, label: str, images: list[torch.Tensor]) -> None:
        """One row: each layer's distance averaged over ``images``, then the mean over layers."""
        v = torch.tensor([self.per_layer(i) for i in images]).mean(0).tolist()
        print(f"| {label} | " + " | ".join(f"{x:.4f}" for x in v) + f" | {sum(v) / len(v):.4f} |", flush=True)
