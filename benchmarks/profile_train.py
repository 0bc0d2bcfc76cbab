"""Where a training step's time goes: how busy the device is, and torch.profiler's costliest operations.

    python benchmarks/profile_train.py --device cuda --batch 8 --crop-size 384
    python benchmarks/profile_train.py --device cpu --batch 2 --crop-size 128 --steps 4

``restyle.train`` runs ``--steps`` steps unprofiled (steps/s between its reports at step 10 and the last) and
then ``--profile-steps`` more under torch.profiler (set-up included: loading the network, the style's Gram
matrices). On a GPU it prints the kernels' time per step against the unprofiled step's wall time: when the
kernels fill far less than the step, the loop waits on the host (data, launches, syncs), not on the GPU.
Photos: --photos (default the shared content photos); the style: the bundled Starry Night.

``--onednn`` runs every convolution through PyTorch's oneDNN, as before restyle used NNPACK on AVX2 CPUs (the
baseline). ``--compare-memory N`` instead times N pairs of runs in this one process, alternating freed memory returned
to the system (glibc's default) and kept for reuse (what ``restyle.train`` does on a CPU where memory allows,
``restyle.core.memory.keep_freed_memory``), and prints each run's time a step.
"""

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nnpack_layers import without_nnpack  # noqa: E402

import restyle  # noqa: E402
import restyle.feedforward.training  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--device", default="cpu")
ap.add_argument("--photos", default=str(ROOT.parent / "shared" / "images" / "content"))
ap.add_argument("--batch", type=int, default=8)
ap.add_argument("--crop-size", type=int, default=384)
ap.add_argument("--steps", type=int, default=40, help="unprofiled steps, timed from step 10 (at least 20)")
ap.add_argument("--profile-steps", type=int, default=10, help="0: timing only")
ap.add_argument("--compare-memory", type=int, default=0, metavar="N",
                help="time N pairs of runs, freed memory returned to the system against kept for reuse")
ap.add_argument("--onednn", action="store_true", help="PyTorch's convolutions only (no NNPACK): the baseline")
args = ap.parse_args()
cuda = args.device.startswith("cuda")
style = ROOT / "restyle" / "examples" / "starry_night.jpg"
settings = dict(batch_size=args.batch, crop_size=args.crop_size, seed=0, device=args.device, preview_every=0,
                checkpoint_every=10**9, keep_freed_memory=True)  # as the command line runs


def timed_run(tmp: str) -> tuple[float, int, int]:
    """Seconds a step of one unprofiled run, and the steps it was timed over."""
    marks: dict[int, float] = {}
    restyle.train(style, args.photos, Path(tmp) / "a.safetensors", steps=args.steps,
                  callback=lambda p: marks.setdefault(p.step, time.perf_counter()), **settings)
    first, last = min(marks), max(marks)
    return (marks[last] - marks[first]) / (last - first), first, last


def returned(device, peak):
    """In place of ``keep_freed_memory``: glibc's default, freed memory returned to the system."""
    return contextlib.nullcontext(False)


with tempfile.TemporaryDirectory() as tmp, without_nnpack() if args.onednn else contextlib.nullcontext():
    if args.compare_memory:
        kept = restyle.feedforward.training.keep_freed_memory
        times: dict[str, list[float]] = {"returned": [], "kept": []}
        for _ in range(args.compare_memory):
            for how, manager in (("returned", returned), ("kept", kept)):
                restyle.feedforward.training.keep_freed_memory = manager
                step_s, first, last = timed_run(tmp)
                times[how].append(step_s)
                print(f"freed memory {how}: {step_s * 1000:.0f} ms a step (steps {first}-{last})", flush=True)
        print(" ".join(f"{how}: median {statistics.median(t) * 1000:.0f} ms a step;" for how, t in times.items()))
        raise SystemExit(0)
    step_s, first, last = timed_run(tmp)
    print(f"{args.device}, batch {args.batch} of {args.crop_size} px: {step_s * 1000:.1f} ms a step "
          f"({1 / step_s:.2f} steps/s, steps {first}-{last}, unprofiled)")
    if not args.profile_steps:
        raise SystemExit(0)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    with profile(activities=activities) as prof:
        restyle.train(style, args.photos, Path(tmp) / "b.safetensors", steps=args.profile_steps, **settings)
averages = prof.key_averages()
if cuda:
    kernels = sum(e.self_device_time_total for e in averages) / 1e3 / args.profile_steps
    print(f"device kernels: {kernels:.1f} ms a step (set-up included) against {step_s * 1000:.1f} ms of wall time: "
          f"the GPU is busy {min(1, kernels / (step_s * 1000)):.0%} of a step")
print(averages.table(sort_by="self_cuda_time_total" if cuda else "self_cpu_time_total", row_limit=25,
                     max_name_column_width=50))
