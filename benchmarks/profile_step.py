"""Where an iteration's time goes: torch.profiler over a few iterations of restyle.stylize.

    python benchmarks/profile_step.py --device cuda --size 512
"""

import argparse
from pathlib import Path

from torch.profiler import ProfilerActivity, profile

import restyle

EXAMPLES = Path(restyle.__file__).parent / "examples"

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--device", default="cpu")
ap.add_argument("--size", type=int, default=512)
ap.add_argument("--iterations", type=int, default=10)
args = ap.parse_args()
content, style = EXAMPLES / "tubingen.jpg", EXAMPLES / "starry_night.jpg"
restyle.stylize(content, style, size=args.size, iterations=5, device=args.device)  # warm-up
activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if args.device.startswith("cuda") else [])
with profile(activities=activities) as prof:
    restyle.stylize(content, style, size=args.size, iterations=args.iterations, device=args.device,
                    keep_freed_memory=True)
sort = "self_cuda_time_total" if args.device.startswith("cuda") else "self_cpu_time_total"
print(prof.key_averages().table(sort_by=sort, row_limit=25, max_name_column_width=40))
