"""A trained model's weights in a dilated network of the same shape, as a model file for `restyle train --init`.

    python tools/presets/dilated_init.py the_scream --dilation 4 -o work/the_scream-d4-init.safetensors
    restyle train .train/styles/the_scream.jpg --photos .train/photos --init work/the_scream-d4-init.safetensors \
        --dilation 4 -o work/the_scream-d4.safetensors

Dilating the residual blocks changes no weight's shape, so a dense preset's weights can start a dilated model
(`restyle train --dilation`) instead of a random network: fine-tuning rather than training from scratch. The new
network paints differently until trained on (the Scream preset at dilation 4, untrained: about twice the style
distance). The file keeps the model's metadata (style, steps, settings), so the trained model records what it
started from.
"""

from __future__ import annotations

import argparse

from restyle.feedforward.modelfile import model_or_preset, read_model, save_model
from restyle.feedforward.network import StyleNetwork


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", help="a shipped preset's name or a .safetensors model")
    ap.add_argument("--dilation", type=int, required=True, help="largest dilation of the new network's blocks")
    ap.add_argument("-o", "--out", required=True, help="the model file to write (.safetensors)")
    args = ap.parse_args()
    net, meta = read_model(model_or_preset(args.model))
    dilated = StyleNetwork.empty(net.width, net.blocks, net.styles, args.dilation)
    dilated.load_state_dict(net.state_dict())
    save_model(dilated, args.out, meta)
    print(f"{args.out}: {dilated.shape}, receptive field {dilated.receptive_field} px")


if __name__ == "__main__":
    main()
