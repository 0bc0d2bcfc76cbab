"""A trained model's weights in a wider or deeper network that paints the same, as a file for `restyle train --init`.

    python tools/presets/grown_init.py the_scream --width 40 -o work/the_scream-w40-init.safetensors
    restyle train .train/styles/the_scream.jpg --photos .train/photos --init work/the_scream-w40-init.safetensors \
        --width 40 -o work/the_scream-w40.safetensors

Tests more capacity at the presets' full scale without training a network from scratch (2000 steps): the grown
network starts where the preset is and fine-tuning it can be set beside fine-tuning the preset itself for as many
steps. Every new channel's incoming weights are drawn as `StyleNetwork.seeded` draws a new network's, and its
outgoing weights are zero, so the old channels never see it until training moves those; each new residual block
(after the old ones) has its last norm's scale at zero, so it adds nothing to the stream. The tool checks that
the file written paints an image as the model does and prints the largest difference.
"""

from __future__ import annotations

import argparse

import torch
from torch import nn

from restyle.feedforward.modelfile import model_or_preset, read_model, save_model
from restyle.feedforward.network import StyleNetwork

ENCODER = 6  # the three encoder convolutions and their norms come before the residual blocks
PER_BLOCK = 4  # a residual block's two convolutions and two norms


def layers(net: StyleNetwork) -> list[nn.Module]:
    """The layers with weights, in the order the input reaches them."""
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.InstanceNorm2d))]


def grown(net: StyleNetwork, width: int, blocks: int, seed: int = 0) -> StyleNetwork:
    """``net`` in a network of ``width`` and ``blocks`` (no smaller than its own) that paints the same."""
    if width < net.width or blocks < net.blocks:
        raise SystemExit(f"can only grow: the model has width {net.width} and {net.blocks} blocks")
    if blocks != net.blocks and net.dilation > 1:
        raise SystemExit("a dilated model's blocks change their dilations when blocks are added; grow its width only")
    big = StyleNetwork.seeded(seed, width, blocks, net.styles, net.dilation)
    old, new = layers(net), layers(big)
    kept = ENCODER + PER_BLOCK * net.blocks
    added = new[kept:kept + PER_BLOCK * (blocks - net.blocks)]
    with torch.no_grad():
        for small, large in zip(old, new[:kept] + new[len(added) + kept:]):
            for name in ("weight", "bias"):
                a, b = getattr(small, name), getattr(large, name)
                b[tuple(slice(0, n) for n in a.shape)] = a
                if name == "weight" and b.dim() == 4:
                    b[: a.shape[0], a.shape[1]:] = 0  # old channels read no new channel
        for norm in added[PER_BLOCK - 1::PER_BLOCK]:
            norm.weight.zero_()  # a new block's output is its last norm's shift: zero
    return big


def painting_difference(net: StyleNetwork, big: StyleNetwork) -> float:
    """The largest difference (0-1 pixel scale) between the two networks' paintings of a random 64 px image."""
    image = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        return (net.float().eval()(image) - big.float().eval()(image)).abs().max().item()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", help="a shipped preset's name or a .safetensors model")
    ap.add_argument("--width", type=int, help="the new network's first layer's channels (default: the model's)")
    ap.add_argument("--blocks", type=int, help="its residual blocks (default: the model's)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the new channels' weights")
    ap.add_argument("-o", "--out", required=True, help="the model file to write (.safetensors)")
    args = ap.parse_args()
    net, meta = read_model(model_or_preset(args.model))
    net = net.float()
    big = grown(net, args.width or net.width, args.blocks or net.blocks, args.seed)
    save_model(big, args.out, meta)
    saved = read_model(args.out)[0]
    print(f"{args.out}: {saved.shape}, {sum(p.numel() for p in big.parameters()) / 1e6:.2f} M parameters; "
          f"paints as the model does to {painting_difference(net, saved):.1e}")


if __name__ == "__main__":
    main()
