"""Where a trained model falls short of its painting, layer by layer: on the crops it trains on, or on whole photos?

    python tools/presets/layer_gap.py --preset starry_night
    python tools/presets/layer_gap.py --model work/m.safetensors --style .train/styles/the_scream.jpg

Prints the style distance per layer (relu1_1 ... relu5_1, the terms of restyle's Scorer, float32, the painting
at long side 512 as `restyle train` and `restyle score` take it) of what the model paints from:
- crops as `restyle train` draws them (PhotoSet.batch: the model's crop size, scale jitter, flips), judged at
  their own size as training judges them (`restyle score` would resize them to long side 512);
- whole training photos at long side 512, as `restyle score` judges the held-out ones;
- the same photos shrunk to a short side of 1.5x and 2x the crop size, their top-left crop: the two ends of
  training's scale jitter;
- for scale, the painting's own top-left crop of that size.
If the model is as far off on its own training crops as on whole photos, the gap is under-fitting, not a
mismatch between training and use. About 75 s on a 2-core CPU for the presets' 384 px crops.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from layer_rows import LayerRows  # beside this script

import restyle
from restyle.core.images import fit_size, load_image, resize
from restyle.feedforward.dataset import PhotoSet


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    which = ap.add_mutually_exclusive_group(required=True)
    which.add_argument("--preset", help="a shipped preset's name (its painting: --style-dir/NAME.jpg)")
    which.add_argument("--model", help="a trained model (.safetensors); needs --style")
    ap.add_argument("--style", help="the painting the model was trained on")
    ap.add_argument("--style-dir", default=".train/styles")
    ap.add_argument("--photos", default=".train/photos", help="the photos the model was trained on")
    ap.add_argument("--crops", type=int, default=16, help="training crops to judge")
    ap.add_argument("--whole", type=int, default=8, help="whole photos to judge (the first in name order)")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    if args.model and not args.style:
        ap.error("--model needs --style")

    model = restyle.load_model(args.model, preset=args.preset, device=args.device)
    style = args.style or str(Path(args.style_dir) / f"{args.preset}.jpg")
    settings = model.metadata["settings"]
    crop, style_size = settings["crop_size"], settings["style_size"]
    def painted(img: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return model.tensor(img).clamp(0, 1)

    data = PhotoSet(args.photos, crop)
    files = [Path(args.photos) / n for n in sorted(data.names)[:args.whole]]
    print(f"{model.name}: crop {crop}, style at {style_size}; {len(data)} photos in {args.photos}\n")
    row = LayerRows(style, style_size, "what the model painted", args.device).row
    crops = torch.cat([data.batch(8, step, 123) for step in range((args.crops + 7) // 8)])[:args.crops]
    row(f"{len(crops)} training crops, {crop} px, taken as training takes them", [painted(c) for c in crops])
    photos = [load_image(f) for f in files]
    row(f"{len(files)} training photos whole, {style_size} px long side",
        [painted(resize(p, fit_size(p.shape[1], p.shape[2], style_size))) for p in photos])
    for k in (1.5, 2):
        short = round(k * crop)
        shrunk = [resize(p, tuple(round(n * short / min(p.shape[1:])) for n in p.shape[1:])) for p in photos]
        row(f"the same photos shrunk to a {short} px short side, their top-left {crop} px crop",
            [painted(p[:, :crop, :crop]) for p in shrunk])
    art = load_image(style)
    row(f"(the painting's own top-left {crop} px crop)",
        [resize(art, fit_size(art.shape[1], art.shape[2], style_size))[:, :crop, :crop]])


if __name__ == "__main__":
    main()
