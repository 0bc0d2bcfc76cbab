"""The weighted mean of the weights of models trained on from one model (a model soup), as one model file.

    python tools/presets/soup.py -o work/soup/the_scream.safetensors work/long/the_scream.safetensors \
        work/swB/the_scream.safetensors --weights 0.5 0.5

Models fine-tuned from the same start stay close enough that their weights can be averaged and still paint
(Wortsman et al., "Model soups", 2022; Izmailov et al.'s weight averaging, which `restyle train --average-last` does
along one run, is the same idea). Two runs that moved a preset in different directions (one trained longer: more of
the photo; one at a higher style weight: more of the painting) give a model between them, and the weights choose
where. The models must share one network shape, style and margin. The file records each model as `--init` records
the model it starts from (file, SHA-256, steps, seed, settings, its own start), with its weight, under "soup"; its
style and settings (the margin applying uses) are the first model's.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from restyle.errors import RestyleError
from restyle.feedforward.modelfile import model_margin, model_or_preset, model_record, read_model, save_model

#: What must be alike in the models of a soup, read from each (network, metadata).
TRAITS = {"shape": lambda net, meta: net.shape,
          "style": lambda net, meta: meta.get("style_sha256", meta.get("styles")),
          "margin": lambda net, meta: model_margin(meta)}


def soup(paths: list[Path], weights: list[float]):
    """The network whose every weight is the ``weights``-mean of the models' (float32), and its metadata."""
    nets = [read_model(p) for p in paths]
    for what, of in TRAITS.items():
        found = {str(of(net, meta)) for net, meta in nets}
        if len(found) > 1:
            raise SystemExit(f"the models' {what}s differ: {sorted(found)}")
    states = [net.state_dict() for net, _ in nets]
    total = sum(weights)
    net, meta = nets[0]
    net.load_state_dict({k: sum(w / total * state[k] for state, w in zip(states, weights)) for k in states[0]})
    parts = [{**model_record(p, m), "weight": w / total} for p, (_, m), w in zip(paths, nets, weights)]
    keep = ("style_name", "style_sha256", "styles", "settings", "restyle_version")
    return net, {**{k: meta[k] for k in keep if k in meta}, "soup": parts}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", help="model files or presets' names, trained on from one model")
    ap.add_argument("--weights", type=float, nargs="+", help="one a model (default: equal); they are normalized")
    ap.add_argument("-o", "--output", type=Path, required=True)
    args = ap.parse_args()
    weights = args.weights or [1.0] * len(args.models)
    if len(weights) != len(args.models) or min(weights) < 0 or sum(weights) <= 0:
        raise SystemExit("--weights: one non-negative number a model, not all zero")
    try:
        net, meta = soup([model_or_preset(m) for m in args.models], weights)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        print(save_model(net, args.output, meta))
    except RestyleError as e:  # a missing or damaged model file, an unwritable output
        raise SystemExit(f"soup.py: {e}") from None


if __name__ == "__main__":
    main()
