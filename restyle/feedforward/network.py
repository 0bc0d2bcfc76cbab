"""The feed-forward style network (Johnson, Alahi & Fei-Fei 2016) that a trained style model runs.

Encoder (9x9 conv, two stride-2 3x3 convs), five residual blocks at a quarter of the resolution, decoder
(two upsample-then-convolve steps, 9x9 conv); 1.68 M parameters. Input and output are RGB in [0, 1]. ``width``
(the first layer's channels, 32; then 2x and 4x) and ``blocks`` (residual blocks, 5) make it wider or deeper;
``dilation`` above 1 dilates the residual blocks' convolutions (``dilations``), so that each output pixel sees
more of the photo for the same weights and work.
``styles`` above 1 makes one network of several styles (conditional instance norm, Dumoulin, Shlens & Kudlur
2017, "A Learned Representation for Artistic Style"): every norm layer holds a scale and shift per style, all
else is shared; a pass picks each image's style, or a blend of styles, by ``NormStats.mix``, and ``mixed`` bakes
one choice into a network of one style.

Departures from Johnson et al., and why:
- Instance normalization instead of batch normalization (Ulyanov et al. 2016): the style no longer depends
  on the other images in a batch, and results are markedly better.
- Nearest-neighbour upsampling followed by a convolution instead of fractionally strided convolutions
  (Odena et al. 2016, "Deconvolution and checkerboard artifacts"), which leave a checkerboard pattern.
- Reflection padding instead of zero padding, so borders do not darken.
- No tanh on the output: a plain linear output, clamped when the image is rendered (as PyTorch's
  fast_neural_style example does); tanh saturates and slows training.

Sides must be multiples of ``MULTIPLE`` (two stride-2 steps); ``runtime`` pads other sizes.
"""

from __future__ import annotations

import functools
import math
from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import nn

from ..core.nnpack import Conv2d, conv2d, recording
from .options import TrainOptions

#: Height and width of the input must be multiples of this.
MULTIPLE = 4
#: The network's shape by default (Johnson et al.'s): first layer's channels and residual blocks, as training's
#: settings give them.
WIDTH, BLOCKS = TrainOptions.width, TrainOptions.blocks


def instance_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float,
                  stats: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """Affine instance norm of ``x`` (N, C, H, W) for inference, in float32 whatever ``x``'s dtype.

    The statistics are ``stats = (mean, var)`` (each (N or 1, C, 1, 1)) or, by default, ``x``'s own (float32
    sums, no float32 copy of ``x``); then one multiply-add per element. On a GPU, and in float32 on a CPU, this
    is faster than PyTorch's instance norm, a batch norm over N*C channels (docs/performance.md).
    """
    n, c, h, w = x.shape
    if stats is not None:
        mean, var = (t.float().expand(n, c, 1, 1) for t in stats)
    else:
        mean = x.sum((2, 3), keepdim=True, dtype=torch.float32) / (h * w)
        square = torch.linalg.vector_norm(x, 2, (2, 3), keepdim=True, dtype=torch.float32).square() / (h * w)
        var = (square - mean.square()).clamp_min(0)
    scale = weight.float().reshape(-1, c, 1, 1) * torch.rsqrt(var + eps)  # weight, bias: (C,) or (N, C)
    shift = bias.float().reshape(-1, c, 1, 1) - mean * scale
    return torch.addcmul(shift, x, scale).to(x.dtype)


class NormStats:
    """What one forward pass does at its norm layers instead of the usual (for exact tiled inference), passed to
    ``StyleNetwork.forward``, so that a network shared by threads is never written to: ``fixed[norm] = (mean,
    var)`` (each (N or 1, C, 1, 1)) normalizes with those statistics instead of the input's own; ``observe[norm]``
    is called with that layer's input first (to collect statistics); ``mix`` (N or 1, S) weighs the styles of a
    network of S styles for each image (a row of one-hot: one style; fractions: a blend)."""

    def __init__(self, mix: Optional[torch.Tensor] = None):
        self.fixed: dict[nn.Module, tuple[torch.Tensor, torch.Tensor]] = {}
        self.observe: dict[nn.Module, Callable[[torch.Tensor], None]] = {}
        self.mix = mix


class _Norm(nn.InstanceNorm2d):
    """Affine instance norm whose statistics can be given for a pass (``NormStats``, for exact tiled inference).

    Inference on a GPU, and in float32 on a CPU, goes through ``instance_norm`` above; training (autograd), ONNX
    export and bf16 or fp16 on a CPU use PyTorch's, the faster there. With ``styles`` above 1, ``weight`` and
    ``bias`` are (styles, channels), and a pass weighs them by ``NormStats.mix``.
    """

    def __init__(self, channels: int, styles: int = 1):
        super().__init__(channels, affine=True)
        self.stride = 1
        if styles > 1:
            self.weight = nn.Parameter(torch.ones(styles, channels))
            self.bias = nn.Parameter(torch.zeros(styles, channels))

    def forward(self, x: torch.Tensor, stats: Optional[NormStats] = None) -> torch.Tensor:
        if stats is not None:
            if self in stats.observe:
                stats.observe[self](x)
            if self.weight.dim() == 2:
                return self._mixed(x, stats)
            if self in stats.fixed:
                return instance_norm(x, self.weight, self.bias, self.eps, stats=stats.fixed[self])
        if self._restyles(x):
            return instance_norm(x, self.weight, self.bias, self.eps)
        return super().forward(x)

    def _restyles(self, x: torch.Tensor) -> bool:
        """Whether a pass over ``x`` normalizes with ``instance_norm`` (inference on a GPU or in float32)."""
        return (x.is_cuda or x.dtype == torch.float32) and not (
            self.training or torch.is_grad_enabled() or recording())

    def _mixed(self, x: torch.Tensor, stats: NormStats) -> torch.Tensor:
        """The norm with each image's scale and shift weighed from the styles' by ``stats.mix``."""
        mix = stats.mix.to(self.weight)
        weight, bias = mix @ self.weight, mix @ self.bias  # (N or 1, C)
        if self in stats.fixed:
            return instance_norm(x, weight, bias, self.eps, stats=stats.fixed[self])
        if self._restyles(x):
            return instance_norm(x, weight, bias, self.eps)
        y = F.instance_norm(x, eps=self.eps)
        return torch.addcmul(bias[..., None, None], y, weight[..., None, None]).to(x.dtype)


def _pad(x: torch.Tensor, pad: int, mode: str) -> torch.Tensor:
    """``F.pad`` by ``pad`` on all four sides, in ``x``'s own dtype.

    CPU autocast runs padding in float32, so in bf16 training every padding wrote a float32 copy that the next
    convolution cast back (and the same again backward); padding only copies values, so it loses nothing in
    bf16 (the network's pass forward and back 40% faster on a 2-core CPU; docs/performance.md).
    """
    if x.device.type != "cpu":  # only measured on the CPU: elsewhere padding is left as it was
        return F.pad(x, (pad,) * 4, mode=mode)
    with torch.autocast("cpu", enabled=False):
        return F.pad(x, (pad,) * 4, mode=mode)


def framed(x: torch.Tensor, margin: int, right: int = 0, bottom: int = 0) -> torch.Tensor:
    """``x`` padded by ``margin`` on every side and by ``right`` and ``bottom`` more: by reflection, or by repeating
    the edge where the image is too small to reflect that far."""
    if not (margin or right or bottom):
        return x
    mode = "reflect" if min(x.shape[-2:]) > margin + max(right, bottom) else "replicate"
    return F.pad(x, (margin, margin + right, margin, margin + bottom), mode=mode)


class _ReflectionPad(nn.Module):
    def __init__(self, pad: int):
        super().__init__()
        self.pad = pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _pad(x, self.pad, "reflect")


def _conv(cin: int, cout: int, kernel: int, stride: int = 1, dilation: int = 1) -> list[nn.Module]:
    return [_ReflectionPad(dilation * (kernel // 2)), Conv2d(cin, cout, kernel, stride, dilation=dilation)]


def dilations(blocks: int, dilation: int) -> list[int]:
    """Each residual block's dilation: doubling from 1 up to ``dilation`` and back down, so that the first and last
    blocks stay dense (``dilation`` 4, 5 blocks: 1, 2, 4, 2, 1; 1: none dilated)."""
    return [min(2 ** i, 2 ** (blocks - 1 - i), dilation) for i in range(blocks)]


def min_side(blocks: int = BLOCKS, dilation: int = 1) -> int:
    """The smallest side the network takes: its quarter-size layers pad by reflection, by up to the largest
    dilation, which needs a side one pixel longer (8 px undilated)."""
    return MULTIPLE * (max(dilations(blocks, dilation), default=1) + 1)


# phases[a] maps the 3 taps (along one axis) to the 3 low-resolution rows that output phase a reads (_UpsampleConv)
_PHASES = [[[1., 0., 0.], [0., 1., 1.], [0., 0., 0.]], [[0., 0., 0.], [1., 1., 0.], [0., 0., 1.]]]


class _UpsampleConv(nn.Module):
    """Nearest-neighbour upsampling by 2, reflection padding by 1, then a 3x3 convolution.

    Computed without the upsampled image: after nearest upsampling, each output pixel of the convolution
    sees only two distinct input rows and two columns, weighted by sums of the kernel's taps, so the layer
    equals a 3x3 convolution at the low resolution into four times the channels, one per output phase
    (even/odd row and column), interleaved by ``pixel_shuffle``. The reflection of a doubled pixel is its
    twin, so the padding is edge padding at the low resolution. The same numbers (to rounding) and work as
    upsampling first, without the 4x larger tensor, its padding and copies (figures in docs/performance.md).
    """

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3)
        # Along each axis (_PHASES): even outputs 2m read rows m, m+1 of the padded input with taps w0, w1 + w2;
        # odd ones m+1, m+2 with w0 + w1, w2.
        # A buffer, so it moves with the network (no copy to the GPU at each pass); not saved in model files.
        self.register_buffer("phases", torch.tensor(_PHASES), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w, b = self.conv.weight, self.conv.bias
        m = self.phases.float()
        with torch.autocast(w.device.type, enabled=False):  # the taps' sums in float32, rounded once
            # weight[o, a, b, i] = M_a · w[o, i] · M_bᵀ: (cout * 4, cin, 3, 3), in the order pixel_shuffle reads
            phased = torch.einsum("akl,oilm,bnm->oabikn", m, w.float(), m).reshape(-1, w.shape[1], 3, 3)
        y = conv2d(_pad(x, 1, "replicate"), phased.to(w.dtype), b[:, None].expand(-1, 4).reshape(-1))
        return F.pixel_shuffle(y, 2)


class _Residual(nn.Module):
    def __init__(self, channels: int, styles: int = 1, dilation: int = 1):
        super().__init__()
        conv = functools.partial(_conv, channels, channels, 3, dilation=dilation)
        self.body = nn.Sequential(*conv(), _Norm(channels, styles), nn.ReLU(inplace=True), *conv(),
                                  _Norm(channels, styles))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class StyleNetwork(nn.Module):
    """Image transformation network: (N, 3, H, W) in [0, 1] -> (N, 3, H, W), H and W multiples of 4.

    ``body`` holds every layer but the last convolution, ``head``; ``half(dtype)`` runs the body in bf16 or
    fp16 for inference and keeps the head in float32, so the output pixels keep full precision.
    """

    def __init__(self, width: int = WIDTH, blocks: int = BLOCKS, styles: int = 1, dilation: int = 1):
        super().__init__()
        self.width, self.blocks, self.styles, self.dilation = width, blocks, styles, dilation
        w1, w2, w4, s = width, 2 * width, 4 * width, styles
        self.body = nn.Sequential(
            *_conv(3, w1, 9), _Norm(w1, s), nn.ReLU(inplace=True),
            *_conv(w1, w2, 3, stride=2), _Norm(w2, s), nn.ReLU(inplace=True),
            *_conv(w2, w4, 3, stride=2), _Norm(w4, s), nn.ReLU(inplace=True),
            *[_Residual(w4, s, d) for d in dilations(blocks, dilation)],
            _UpsampleConv(w4, w2), _Norm(w2, s), nn.ReLU(inplace=True),
            _UpsampleConv(w2, w1), _Norm(w1, s), nn.ReLU(inplace=True),
        )
        self.head = nn.Sequential(*_conv(w1, 3, 9))
        for norm, stride in zip(self.norms(), [1, 2, 4] + [4] * 2 * blocks + [2, 1]):
            norm.stride = stride  # input pixels per position of the norm's input

    def forward(self, x: torch.Tensor, stats: Optional[NormStats] = None) -> torch.Tensor:
        """The painted image; ``stats`` replaces the norm layers' statistics for this pass and, for a network of
        several styles, chooses the style (``NormStats``)."""
        if self.styles > 1 and (stats is None or stats.mix is None):
            raise ValueError(f"a network of {self.styles} styles needs a style mix (NormStats.mix)")
        # On the 0-255 scale the architecture was designed for: Adam's step size (1e-3) and the output
        # layer's initial scale are tuned to it.
        body_dtype, head_dtype = self.body[1].weight.dtype, self.head[1].weight.dtype
        x = (x * 255.0).to(body_dtype)
        y = self.body(x) if stats is None else _through(self.body, x, stats)
        return self.head(y.to(head_dtype)) / 255.0

    @property
    def shape(self) -> dict[str, int]:
        """What a model file records of the network's shape: ``{"width": ..., "blocks": ...}``, ``"styles"`` for a
        network of several and ``"dilation"`` for a dilated one (the keywords that build it again)."""
        return {"width": self.width, "blocks": self.blocks, **({"styles": self.styles} if self.styles > 1 else {}),
                **({"dilation": self.dilation} if self.dilation > 1 else {})}

    @property
    def receptive_field(self) -> int:
        """Input pixels one output pixel sees along each axis: the 9x9 convolutions add 8 each, the 3x3 ones 2 per
        stride step they run at (stride 1, 2, 4 x two per residual block x its dilation, 2, 1)."""
        return 1 + 8 + 2 * 1 + 2 * 2 + 2 * 4 * 2 * sum(dilations(self.blocks, self.dilation)) + 2 * 2 + 2 * 1 + 8

    @classmethod
    def empty(cls, width: int = WIDTH, blocks: int = BLOCKS, styles: int = 1, dilation: int = 1) -> "StyleNetwork":
        """A new network on the CPU with its weights not yet set (to be filled or loaded): built without drawing
        random numbers, so the caller's global random state is left as it was. (Its tensors are made afresh rather
        than by ``to_empty``, whose ``empty_like`` of meta tensors imports sympy: 0.9 s of every model's loading.)"""
        with torch.device("meta"):
            net = cls(width, blocks, styles, dilation)
        for m in net.modules():
            for name, p in m.named_parameters(recurse=False):
                setattr(m, name, nn.Parameter(torch.empty(p.shape, dtype=p.dtype), p.requires_grad))
            for name, b in m.named_buffers(recurse=False):
                setattr(m, name, torch.empty(b.shape, dtype=b.dtype))
            if isinstance(m, _UpsampleConv):
                m.phases.copy_(torch.tensor(_PHASES))
        return net

    @classmethod
    def seeded(cls, seed: int, width: int = WIDTH, blocks: int = BLOCKS, styles: int = 1,
               dilation: int = 1) -> "StyleNetwork":
        """A new network whose initial weights are PyTorch's default initialization drawn from its own generator
        seeded with ``seed`` (the global random state is neither used nor reseeded)."""
        net = cls.empty(width, blocks, styles, dilation)
        generator = torch.Generator().manual_seed(seed)
        for m in net.modules():  # in the order the layers were built, each drawing as its reset_parameters would
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
                bound = 1 / math.sqrt(m.weight[0].numel())
                nn.init.uniform_(m.bias, -bound, bound, generator=generator)
            elif isinstance(m, _Norm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        return net

    def mixed(self, mix: torch.Tensor) -> "StyleNetwork":
        """A network of one style (on the CPU, float32) that paints as this one does with the styles weighed by
        ``mix`` (S,): each norm's scale and shift are the mix of the styles'; the rest is copied."""
        net = StyleNetwork.empty(self.width, self.blocks, dilation=self.dilation)
        mix = mix.float().cpu()
        net.load_state_dict({k: mix @ v.float().cpu() if v.dim() == 2 else v for k, v in self.state_dict().items()})
        return net.train(self.training).requires_grad_(False)

    def half(self, dtype: torch.dtype = torch.bfloat16) -> "StyleNetwork":
        """For inference: the body in ``dtype``, the head in float32 (in place; returns self)."""
        self.body.to(dtype)
        self.head.float()
        return self

    def norms(self) -> list[_Norm]:
        """The instance-norm layers in the order the input reaches them."""
        return [m for m in self.modules() if isinstance(m, _Norm)]


def _through(layers: nn.Sequential, x: torch.Tensor, stats: NormStats) -> torch.Tensor:
    """``layers(x)`` with ``stats`` handed to every norm layer, residual blocks' included."""
    for layer in layers:
        if isinstance(layer, _Norm):
            x = layer(x, stats)
        elif isinstance(layer, _Residual):
            x = x + _through(layer.body, x, stats)
        else:
            x = layer(x)
    return x



#: The name this network had before restyle 0.2 (the image transformation network of Johnson et al.).
TransformerNet = StyleNetwork
