"""How close the progress bar's ETA comes: one ``restyle.stylize`` run, its ETA error over the run.

    python benchmarks/eta.py --size 768 --iterations 40 [--device cuda]

The error at a moment is (elapsed + the ETA shown - the real total) / the real total, at 10, 25 and 50% of the
run's time and the worst after its first 10%; beside it the estimate from the share of work done alone
(elapsed / fraction), what the bar showed before the ETA learned from the run. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import machine  # noqa: E402

import restyle  # noqa: E402

EXAMPLES = Path(restyle.__file__).parent / "examples"


def errors(samples: list[tuple[float, float, float]], total: float, predict) -> dict[str, float]:
    """Percent error of ``predict(sample)`` (a predicted total) at 10, 25 and 50% of the run, and the worst after
    10%."""
    def error(s):
        return round((predict(s) - total) / total * 100, 1)
    out = {f"{share:.0%}": error(next(s for s in samples if s[0] >= share * total)) for share in (0.1, 0.25, 0.5)}
    out["worst after 10%"] = max((error(s) for s in samples if s[0] >= 0.1 * total), key=abs)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=768)
    ap.add_argument("--iterations", type=int, default=40)
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()
    samples = []
    start = time.perf_counter()
    restyle.stylize(EXAMPLES / "tubingen.jpg", EXAMPLES / "starry_night.jpg", size=args.size,
                    iterations=args.iterations, seed=0, device=args.device, keep_freed_memory=True,
                    callback=lambda p: samples.append((p.elapsed, p.fraction, p.eta)))
    total = time.perf_counter() - start
    print(json.dumps({"machine": machine(args.device), "size": args.size, "iterations": args.iterations,
                      "seconds": round(total, 1), "eta_error_pct": errors(samples, total, lambda s: s[0] + s[2]),
                      "fraction_only_error_pct": errors(samples, total, lambda s: s[0] / s[1])}))


if __name__ == "__main__":
    main()
