"""Speed of real-time style models: training steps per second and apply time per image, on one device.

    python benchmarks/fast.py                     # the CPU
    python benchmarks/fast.py --device cuda
    python benchmarks/fast.py --train-steps 0 --coarse 0.5    # apply in one pass and in two (coarse), side by side

Training: ``restyle.train`` with batch 8 of 256 px crops (the benchmark's setting) on the photos in --photos;
steps per second between the first report (step 10, after warm-up) and the last step. Apply: a model
(--model, default a random-weight one: same network, same cost) on 512x384, 1920x1080 and 3840x2160 images,
median of --repeat runs after one warm-up, the image already decoded (network time plus padding and the
copy back), both as float32 pixels (``model.tensor``) and as 8-bit ones (``model.frame``, converted on the
device); on CPU also onnxruntime on the exported model and, where restyle runs its float32 convolutions through
NNPACK (``restyle.core.nnpack``), the torch model without it (PyTorch's oneDNN), the baseline; with --coarse C
also the torch model painting in two passes (``load_model(coarse=C)``). --sizes picks the sizes. Peak memory: the
CUDA peak allocation on a GPU.
Writes benchmarks/results/fast-<device>-<date>.md (fast-<device>-<date>-coarse.md with --coarse).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import machine  # noqa: E402
from nnpack_layers import without_nnpack  # noqa: E402

import restyle  # noqa: E402
from restyle.core import nnpack  # noqa: E402
from restyle.feedforward.modelfile import save_model  # noqa: E402
from restyle.feedforward.network import StyleNetwork as TransformerNet  # noqa: E402
from restyle.feedforward.onnx import export_onnx  # noqa: E402
from restyle.feedforward.runtime import load_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"512 px": (384, 512), "1080p": (1080, 1920), "4K": (2160, 3840)}


def train_rate(device: str, photos: str, steps: int, tmp: Path) -> tuple[float, float]:
    """(steps per second after warm-up, seconds for all ``steps`` including set-up)."""
    marks: dict[int, float] = {}

    def cb(p):
        marks[p.step] = time.perf_counter()

    t0 = time.perf_counter()
    restyle.train(ROOT / "restyle" / "examples" / "starry_night.jpg", photos, tmp / "m.safetensors", steps=steps,
                  batch_size=8, crop_size=256, seed=0, device=device, preview_every=0, checkpoint_every=10**9,
                  callback=cb, keep_freed_memory=True)
    total = time.perf_counter() - t0
    first, last = min(marks), max(marks)
    return (last - first) / (marks[last] - marks[first]), total


def apply_time(model, size: tuple[int, int], repeat: int, path: str) -> tuple[float, float]:
    """(median seconds, peak CUDA GB or nan) of ``model.tensor`` (float32 in and out) or ``model.frame``
    (uint8 in and out) on a random image of ``size``."""
    if path == "frame":
        photo, run = torch.randint(0, 256, (*size, 3), dtype=torch.uint8).numpy(), model.frame
    else:
        photo, run = torch.rand(3, *size), model.tensor
    cuda = model.device.type == "cuda"
    run(photo)
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        run(photo)  # ends with a copy to the CPU, which waits for the GPU
        times.append(time.perf_counter() - t)
    peak = torch.cuda.max_memory_allocated() / 1e9 if cuda else float("nan")
    return statistics.median(times), peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--photos", default=str(ROOT.parent / "shared" / "images" / "content"))
    ap.add_argument("--train-steps", type=int, default=None,
                    help="default: 30 on CPU, 300 on a GPU; 0: apply times only")
    ap.add_argument("--repeat", type=int, default=None, help="apply runs per size (default: 3 on CPU, 20 on a GPU)")
    ap.add_argument("--model", help="a .safetensors model (default: random weights)")
    ap.add_argument("--coarse", type=float, default=0.0, help="also time the model painting in two passes, "
                    "load_model's coarse (0: not)")
    ap.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES), help="image sizes to time")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args()
    gpu = args.device != "cpu"
    steps = args.train_steps if args.train_steps is not None else (300 if gpu else 30)
    repeat = args.repeat or (20 if gpu else 3)
    lines = [f"# Real-time models: speed on {machine(args.device)}", "",
             f"{datetime.date.today()}, torch {torch.__version__}, restyle {restyle.__version__}. "
             f"Command: `python {shlex.join(['benchmarks/fast.py', *sys.argv[1:]])}`", ""]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if steps:
            rate, total = train_rate(args.device, args.photos, steps, tmp)
            lines += [f"Training (batch 8, 256 px crops, bf16 autocast where supported): **{rate:.2f} steps/s** "
                      f"({steps} steps in {total:.1f} s with set-up); 2000 steps would take {2000 / rate:.0f} s.", ""]
            print(lines[-2], flush=True)
        path = Path(args.model) if args.model else tmp / "random.safetensors"
        if not args.model:
            torch.manual_seed(0)
            save_model(TransformerNet(), path, {"style_name": "random"})
        plain = contextlib.nullcontext
        models = [("torch", load_model(path, device=args.device), plain)]
        if not gpu and nnpack.usable():
            models = [("torch, oneDNN only (no NNPACK)", models[0][1], without_nnpack), *models]
        if args.coarse:
            models.append((f"torch, coarse {args.coarse:g}", load_model(path, device=args.device, coarse=args.coarse),
                           plain))
        if not gpu:
            models.append(("onnxruntime", load_model(export_onnx(path, tmp / "m.onnx"), device="cpu"), plain))
        lines += ["| image | backend | precision | pixels in and out | median time | peak GPU memory |",
                  "|---|---|---|---|---|---|"]
        for label in args.sizes:
            size = SIZES[label]
            for backend, model, context in models:
                for path in ("tensor", "frame"):
                    with context():
                        t, peak = apply_time(model, size, repeat if size[0] < 2000 or gpu else 1, path)
                    prec = str(model.dtype).replace("torch.", "") if model.backend == "torch" else "float32"
                    mem = f"{peak:.2f} GB" if peak == peak else "-"
                    pixels = "float32 (`model.tensor`)" if path == "tensor" else "uint8 (`model.frame`)"
                    lines.append(f"| {label} {size[1]}x{size[0]} | {backend} | {prec} | {pixels} | "
                                 f"{t * 1000:.1f} ms | {mem} |")
                    print(lines[-1], flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    kind = "cuda" if gpu else "cpu"
    report = out / f"fast-{kind}-{datetime.date.today()}{'-coarse' if args.coarse else ''}.md"
    report.write_text("\n".join(lines) + "\n")
    print(f"wrote {report}")


if __name__ == "__main__":
    main()
