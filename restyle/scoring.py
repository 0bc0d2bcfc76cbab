"""Quality scores: how far an image is from a content photo (content distance) and from a style (style distance).

Both are judged at a fixed size (long side 512, or ``Scorer``'s ``size``) in float32 with the original VGG19
and max pooling, so that outputs of any size, from any tool, are comparable:
- content distance: ‖F − F_c‖² / ‖F_c‖² of relu4_2 features (relative squared error);
- style distance: the mean over relu1_1 … relu5_1 of ‖G − G_s‖² / ‖G_s‖², G the size-normalized Gram matrix;
  each layer's term is kept too (``Score.style_layers``): relu1_1 measures the painting's colours and finest
  texture, relu5_1 its largest structures, so the terms say at which scale a result falls short.
Lower is closer. These are the terms of ``core.losses.PerceptualLoss`` with unit weights.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional, Sequence, Union

import torch

from .core.checks import DEFAULT_MAX_PIXELS, SCORE_SIZE
from .core.device import resolve_device
from .core.images import ImageLike, fit_size, load_image, resize, source_name
from .core.layers import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, blend_weights, layer_weights
from .core.losses import LossWeights, PerceptualLoss
from .core.vgg import load_vgg
from .errors import RestyleError


@dataclass(frozen=True)
class Score:
    content: float
    """Content distance (relative squared error of relu4_2 features)."""
    style: float
    """Style distance (mean relative squared error of Gram matrices over relu1_1..relu5_1)."""
    style_layers: dict[str, float] = field(default_factory=dict, hash=False)
    """Each layer's term of ``style`` (its mean), by layer name, from relu1_1 (finest) to relu5_1 (coarsest)."""

    def as_dict(self) -> dict[str, float | dict[str, float]]:
        return asdict(self)


class Scorer:
    """Judges images against one content photo and one (blended) style; targets are computed once.

    The style's Gram matrices are computed at construction; the content's features once per image size
    (every image is judged at long side ``size``, the content resized to the same height and width).
    Scores taken at different sizes are not comparable; the default, 512, is what ``restyle score`` uses.
    """

    def __init__(self, content: ImageLike, styles: Union[ImageLike, Sequence[ImageLike]],
                 style_blend: Optional[Sequence[float]] = None, device: str = "auto",
                 max_pixels: int = DEFAULT_MAX_PIXELS, size: int = SCORE_SIZE):
        if not (isinstance(size, int) and size >= 32):
            raise RestyleError(f"score size must be a whole number of pixels >= 32, got {size!r}")
        self.size = size
        style_list = list(styles) if isinstance(styles, (list, tuple)) else [styles]
        blend = blend_weights(style_blend, len(style_list))
        self.device = resolve_device(device)
        self.max_pixels = max_pixels
        self.content = load_image(content, max_pixels, name=source_name(content, "content"))
        style_imgs = []
        for s in style_list:
            s = load_image(s, max_pixels, name=source_name(s, "style"))
            style_imgs.append(resize(s, fit_size(s.shape[1], s.shape[2], size)))
        net = load_vgg(list(DEFAULT_CONTENT_LAYERS) + list(DEFAULT_STYLE_LAYERS), self.device)
        style = layer_weights("style", DEFAULT_STYLE_LAYERS)  # equal: the style distance is the layers' mean
        loss = PerceptualLoss(net, layer_weights("content", DEFAULT_CONTENT_LAYERS), style,
                              weights=LossWeights(1, 1, 0), blend=blend)
        self.loss = loss.with_targets(styles=[s[None].to(self.device) for s in style_imgs])
        self.by_size: dict[tuple[int, int], PerceptualLoss] = {}

    def __call__(self, image: ImageLike) -> Score:
        img = load_image(image, self.max_pixels, name=source_name(image, "image"))
        size = fit_size(img.shape[1], img.shape[2], self.size)
        with torch.no_grad():
            if size not in self.by_size:  # the content's features at this size
                self.by_size[size] = self.loss.with_targets(resize(self.content, size)[None].to(self.device))
            loss = self.by_size[size]
            feats = loss.features(resize(img, size)[None].to(self.device))
            content = float(loss.content_term(feats))
            layers = loss.style_by_layer(feats)
            values = torch.stack(list(layers.values())).tolist()
        return Score(content=content, style=sum(values) / len(values), style_layers=dict(zip(layers, values)))


def score(image: ImageLike, content: ImageLike, styles: Union[ImageLike, Sequence[ImageLike]],
          style_blend: Optional[Sequence[float]] = None, device: str = "auto",
          max_pixels: int = DEFAULT_MAX_PIXELS, size: int = SCORE_SIZE) -> Score:
    """Content and style distances of ``image`` (see the module docstring), judged at long side ``size``.

    Several styles are blended. To judge many images against the same photo and style, build one ``Scorer``.
    """
    return Scorer(content, styles, style_blend, device=device, max_pixels=max_pixels, size=size)(image)
