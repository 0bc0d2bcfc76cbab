"""A training checkpoint slimmed for the trip back from a device call: its weights in float16, step and settings.

    python tools/presets/slim_checkpoint.py RUN-training/checkpoint.pt last.pt
    python tools/presets/slim_checkpoint.py kept/*.pt --into DIR        # each as DIR/step-NNNNNN.pt

The optimizer's state and the running mean are left out (a fifth of the size); the settings stay, so that
`checkpoints.py` judges the weights painting as the run trained them (margin, two passes).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch


def slim(src: Path) -> dict:
    """The checkpoint at ``src`` as {step, settings, model}, the weights in float16."""
    blob = torch.load(src, map_location="cpu", weights_only=True)
    return {"step": blob["step"], "settings": blob.get("settings", {}),
            "model": {k: v.half() for k, v in blob["model"].items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoints", nargs="+", type=Path)
    ap.add_argument("--into", type=Path, help="a folder for each slimmed checkpoint, named by its step")
    args = ap.parse_args()
    if args.into is None and len(args.checkpoints) != 2:
        ap.error("give SRC and DEST, or checkpoints and --into")
    sources = args.checkpoints if args.into else args.checkpoints[:1]
    for src in sources:
        blob = slim(src)
        dest = args.into / f"step-{blob['step']:06d}.pt" if args.into else args.checkpoints[1]
        dest.parent.mkdir(parents=True, exist_ok=True)
        torch.save(blob, dest)
        print(f"{dest}: step {blob['step']}")


if __name__ == "__main__":
    main()
