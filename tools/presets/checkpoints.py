"""Judge a training run's checkpoints, and the mean of their weights, on the held-out photos.

    python tools/presets/checkpoints.py starry_night CKPT.pt... --mean [--device cpu]

Each model (a `restyle train` checkpoint.pt, or a .safetensors model) is applied to each held-out photo at
512 px and judged with restyle.Scorer against a 512 px `restyle.stylize` result (defaults, seed 0), as
`tools/presets/presets.py quality` does; the optimizer's results are computed once and kept in --optimized,
named as `presets.py quality` names them, so either reuses the other's. `--mean` adds the model whose weights are
the mean of the checkpoints' (what `restyle train --average-last` keeps, there over every step); `--averaged`
judges each checkpoint's own running mean instead of its last weights (a run not yet at its end, judged as it
would save), `--save DIR` keeps the judged models, the Nth as DIR/N/STYLE.safetensors (as `presets.py quality
--models DIR/N` reads it). Prints one Markdown row per model: style ratio (model / optimized) per photo and their
mean, content distance per photo.

A run keeps only its latest checkpoint; to judge several, copy each as it is written, e.g.
`while sleep 1; do cp -u RUN-training/checkpoint.pt ckpts/$(date +%s).pt; done` beside the run (on a device
call, gpu_trials.sh's KEEP=1 does so, slimmed by slim_checkpoint.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from presets import HELD_OUT, ROOT, SHARED, model_result, optimized_result  # noqa: E402

import restyle  # noqa: E402
from restyle.feedforward.modelfile import read_model, save_model  # noqa: E402
from restyle.feedforward.network import BLOCKS, WIDTH  # noqa: E402
from restyle.feedforward.network import StyleNetwork as TransformerNet  # noqa: E402


def weights(path: Path, averaged: bool = False) -> tuple[str, dict, dict, dict]:
    """(a label, the network's float32 state dict, its shape: width, blocks, dilation, the run's settings) of a
    checkpoint or a model file; with ``averaged``, a checkpoint's running mean of weights where it holds one. The
    settings go into the judged model's metadata, so it paints as the run trained it (margin, two passes)."""
    if path.suffix == ".pt":
        blob = torch.load(path, map_location="cpu", weights_only=True)
        settings = blob.get("settings", {})
        shape = {"width": settings.get("width", WIDTH), "blocks": settings.get("blocks", BLOCKS),
                 "dilation": settings.get("dilation", 1)}
        label, state = f"{path.name} (step {blob['step']})", blob["model"]
        if averaged and blob.get("average"):
            label = f"{path.name} (mean of steps {blob['average']['from']}-{blob['step']})"
            state = blob["average"]["model"]
        return label, {k: v.float() for k, v in state.items()}, shape, settings
    net, meta = read_model(path)
    return path.name, {k: v.float() for k, v in net.state_dict().items()}, net.shape, meta.get("settings", {})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("style", help="the painting's name in --style-dir (e.g. starry_night)")
    ap.add_argument("models", nargs="+", type=Path, help="checkpoint.pt copies or .safetensors models")
    ap.add_argument("--mean", action="store_true", help="also judge the mean of the models' weights")
    ap.add_argument("--averaged", action="store_true",
                    help="judge a checkpoint's running mean of weights (restyle train --average-last), not its last")
    ap.add_argument("--save", type=Path, help="also keep each judged model, the Nth as SAVE/N/STYLE.safetensors")
    ap.add_argument("--style-dir", default=str(SHARED / "styles"))
    ap.add_argument("--heldout", default=str(SHARED / "content"))
    ap.add_argument("--optimized", type=Path, default=ROOT / ".train" / "optimized",
                    help="folder for the optimizer's 512 px results (reused when there)")
    ap.add_argument("--device", default="auto")
    ap.set_defaults(size=512)  # the size presets.py quality judges at by default, its cache's names
    args = ap.parse_args()
    style = Path(args.style_dir) / f"{args.style}.jpg"
    judges = []
    for photo in HELD_OUT:
        path = Path(args.heldout) / photo
        scorer = restyle.Scorer(path, style, device=args.device, size=args.size)
        judges.append((path, scorer, scorer(optimized_result(args, path, style))))

    models = [weights(p, args.averaged) for p in args.models]
    if args.mean:
        mean = {k: sum(m[1][k] for m in models) / len(models) for k in models[0][1]}
        models.append((f"mean of the {len(models)} above", mean, *models[0][2:]))  # the first one's shape, settings
    print("| model | style ratio (" + " / ".join(HELD_OUT) + ") | mean | content |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, state, shape, settings) in enumerate(models):
            net = TransformerNet.empty(**shape)
            net.load_state_dict(state)
            # saved as restyle train saves (float16), so each is judged as it would be shipped
            saved = Path(args.save or tmp) / str(i) / f"{args.style}.safetensors"
            saved.parent.mkdir(parents=True, exist_ok=True)
            save_model(net, saved, {"style_name": args.style, "settings": settings})
            model = restyle.load_model(saved, device=args.device)
            ratios, contents = [], []
            for path, scorer, optimized in judges:
                s = scorer(model_result(model, path, args.size))
                ratios.append(s.style / optimized.style)
                contents.append(s.content)
            print(f"| {label} | {' / '.join(f'{r:.2f}' for r in ratios)} | {sum(ratios) / len(ratios):.3f} | "
                  f"{' / '.join(f'{c:.3f}' for c in contents)} |", flush=True)


if __name__ == "__main__":
    main()
