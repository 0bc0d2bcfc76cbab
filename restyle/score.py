"""Quality scores: how far an image is from a content photo (content distance) and from a style (style distance).

Both are judged at a fixed size (long side 512) in float32 with the original VGG19 and max pooling, so that
outputs of any size, from any tool, are comparable:
- content distance: ‖F − F_c‖² / ‖F_c‖² of relu4_2 features (relative squared error);
- style distance: the mean over relu1_1 … relu5_1 of ‖G − G_s‖² / ‖G_s‖², G the size-normalized Gram matrix.
Lower is closer. These are the loss terms of ``restyle.losses`` with unit weights.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional, Sequence, Union

import torch

from .device import resolve_device
from .images import DEFAULT_MAX_PIXELS, ImageLike, fit_size, load_image, resize, source_name
from .losses import ContentLoss, StyleLoss, blend_grams
from .options import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, blend_weights
from .vgg import VGG19Features, load_weights

SCORE_SIZE = 512


@dataclass(frozen=True)
class Score:
    content: float
    """Content distance (relative squared error of relu4_2 features)."""
    style: float
    """Style distance (mean relative squared error of Gram matrices over relu1_1..relu5_1)."""

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def score(image: ImageLike, content: ImageLike, styles: Union[ImageLike, Sequence[ImageLike]],
          style_blend: Optional[Sequence[float]] = None, device: str = "auto",
          max_pixels: int = DEFAULT_MAX_PIXELS) -> Score:
    """Content and style distances of ``image`` (see the module docstring); several styles are blended."""
    style_list = list(styles) if isinstance(styles, (list, tuple)) else [styles]
    blend = blend_weights(style_blend, len(style_list))
    dev = resolve_device(device)
    img = load_image(image, max_pixels, name=source_name(image, "image"))
    h, w = fit_size(img.shape[1], img.shape[2], SCORE_SIZE)
    img = resize(img, (h, w))
    content_img = resize(load_image(content, max_pixels, name=source_name(content, "content")), (h, w))
    style_imgs = []
    for s in style_list:
        s = load_image(s, max_pixels, name=source_name(s, "style"))
        style_imgs.append(resize(s, fit_size(s.shape[1], s.shape[2], SCORE_SIZE)))

    state, caffe = load_weights()
    layers = list(DEFAULT_STYLE_LAYERS)
    (content_layer,) = DEFAULT_CONTENT_LAYERS
    net = VGG19Features(state, layers + [content_layer], "max", caffe).to(dev)
    with torch.no_grad():
        feats = net(img[None].to(dev))
        c = ContentLoss(net(content_img[None].to(dev))[content_layer])(feats[content_layer])
        grams = blend_grams((net(s[None].to(dev)) for s in style_imgs), blend, layers)
        style = sum(StyleLoss(grams[k])(feats[k]) for k in layers) / len(layers)
    return Score(content=float(c), style=float(style))
