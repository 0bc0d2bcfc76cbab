"""Trial: fine-tune a shipped preset to paint shifted photos alike (shift consistency), then judge its video.

A lever for `restyle video`'s flicker (Ruder et al. 2018 train with a temporal loss): each step takes crops x of
the photos and the same crops shifted by 1-4 px, x', and adds to the preset's own training loss
`temporal_weight * mean((net(x') - shift(net(x)))^2)` over the pixels both see. Then it prints, for a pan and a
moving object (benchmarks/video.py's clips, 320x240, 24 frames), the warping error and the style and content
distances of the fine-tuned model (alone and mixed as `restyle video` does) relative to the shipped preset's
independent frames. An experiment, not a shipping path: the model is written to `--out` only.

    python tools/temporal_finetune.py --preset starry_night --steps 150 --temporal-weight 200
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import restyle  # noqa: E402
from benchmarks.video import SHARED, distances, object_clip, pan_clip  # noqa: E402
from restyle.core.images import fit_size, load_image, resize  # noqa: E402
from restyle.core.layers import layer_weights  # noqa: E402
from restyle.core.losses import LossWeights, PerceptualLoss  # noqa: E402
from restyle.core.vgg import load_vgg  # noqa: E402
from restyle.feedforward.dataset import PhotoSet  # noqa: E402
from restyle.feedforward.modelfile import preset_path, read_model, save_model  # noqa: E402
from restyle.video.metrics import warping_error  # noqa: E402
from restyle.video.pipeline import iter_video  # noqa: E402


def perceptual_loss(preset: str, settings: dict) -> PerceptualLoss:
    """The preset's training loss, its style targets from the painting in the shared images."""
    content_w = layer_weights("content", settings["content_layers"])
    style_w = layer_weights("style", settings["style_layers"])
    weights = LossWeights(settings["content_weight"], settings["style_weight"], settings["tv_weight"])
    loss = PerceptualLoss(load_vgg(list(content_w) + list(style_w), torch.device("cpu")), content_w, style_w, weights)
    style = load_image(SHARED / "styles" / f"{preset}.jpg")
    style = resize(style, fit_size(style.shape[1], style.shape[2], settings["style_size"]))
    return loss.with_targets(styles=[style[None]])


def finetune(args) -> Path:
    net, meta = read_model(preset_path(args.preset))
    net.train().requires_grad_(True)
    loss, photos = perceptual_loss(args.preset, meta["settings"]), PhotoSet(SHARED / "content", args.crop)
    adam, shifts, start = torch.optim.Adam(net.parameters(), lr=args.lr), torch.Generator().manual_seed(0), time.time()
    for step in range(args.steps):
        x = photos.batch(args.batch, step, 7)
        dx, dy = (int(v) for v in torch.randint(1, 5, (2,), generator=shifts))
        y, y_shifted = net(x), net(torch.roll(x, (dy, dx), (2, 3)))
        with torch.no_grad():
            target = loss.features(x, list(loss.content_layers))
        terms = loss.terms(y, content_target=target)
        apart = (y_shifted - torch.roll(y, (dy, dx), (2, 3)))[..., 8 + dy:-8, 8 + dx:-8].pow(2).mean()
        adam.zero_grad()
        (terms.sum() + args.temporal_weight * apart).backward()
        adam.step()
        if step % 20 == 0:
            terms_now = [round(v, 4) for v in terms.detach().tolist()]
            print(f"step {step} ({time.time() - start:.0f} s): terms {terms_now}, shift {float(apart):.5f}")
    return save_model(net.eval(), Path(args.out), meta)


def judge(preset: str, model_path: Path) -> None:
    painting = SHARED / "styles" / f"{preset}.jpg"
    base, tuned = restyle.load_model(preset=preset), restyle.load_model(model_path)
    for name, frames in [("pan", pan_clip(24, 320)), ("moving object", object_clip(24, 320))]:
        ref = list(iter_video(frames, model=base, temporal_weight=0))
        e0, (s0, c0) = warping_error(ref, frames), distances(ref, frames, painting)
        for label, model, weight in [("shipped, steady", base, 0.5), ("tuned, alone", tuned, 0),
                                     ("tuned, steady", tuned, 0.5)]:
            out = list(iter_video(frames, model=model, temporal_weight=weight))
            s, c = distances(out, frames, painting)
            print(f"{name}, {label}: warping error {warping_error(out, frames) / e0:.2f}x, style {s / s0:.2f}x, "
                  f"content {c / c0:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="starry_night")
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--crop", type=int, default=192)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--temporal-weight", type=float, default=200.0)
    ap.add_argument("--out", default="tuned.safetensors")
    args = ap.parse_args()
    judge(args.preset, finetune(args))


if __name__ == "__main__":
    main()
