#!/usr/bin/env bash
# The presets retrained with the levers gpu_levers.sh chose (ARGS), side by side on one CUDA GPU, then judged on the
# held-out photos (.heldout: tools/presets/held_out.py; never trained or chosen on) against the optimizer at 512 px,
# the shipped presets judged alike beside them, with a sheet per painting (photo, optimizer, model): one device call
# of at most CALL_LIMIT s (default 585, within the device tool's 600 s a call and a session's 15 minutes of device time,
# machine start included).
#
#   ARGS="--margin 32" bash tools/presets/gpu_presets.sh      # ARGS: the levers gpu_levers.sh chose (required)
#   ARGS="--blocks 8" SHAPES="32/5 32/8" bash tools/presets/gpu_presets.sh
#
# Carry .train/photos .train/photos-more .train/styles .train/heldout .train/optimized-heldout .heldout .whl (7 paths,
# about 52 MB; not all of .train, whose leftover trials can pass the 64 MiB a call carries). STYLES: the paintings
# (default the four presets'); ARGS: restyle train options for each, after the preset's own (PRESET_ARGS in
# presets.py); STEPS (default 2000); SIZE: the judging size (default 512); HELDOUT: the held-out photos' folder
# (default .heldout); PHOTOS: the photos judged in it (default the four of the CPU baseline,
# benchmarks/results/presets-quality-cpu-2026-12-03-heldout-512.md, whose optimizer results .train/optimized-heldout
# holds, so no optimizer runs on the GPU and the rows compare with the baseline's one to one; the script says how many
# are missing before it trains). JUDGE_COARSE (default "0"): each value also judges the new models painting so
# (restyle.load_model's coarse: a model trained with --coarse paints in two passes, and 0 judges it in one), into
# work/judged/new-coarse-C; "" for none. TRAIN_UNTIL (default 420 s after the start) stops the training: a run still
# going then keeps a model of its weights so far (gpu_trials.sh's TRAIN_TIMEOUT; its table gives the step reached, and
# before step 1500 of 2000 that model is the last step's weights, not the mean of the last quarter). Four runs with
# `--margin 32 --coarse 0.5` side by side are estimated at about 450 s for 2000 steps on an H200 and more on an H100
# (the 324 s four presets took on an H200, times the 1.38 such a step costs on a CPU; not measured), so two paintings
# (STYLES) is what reaches 2000 steps in one call. KEEP=1 brings back each checkpoint of the runs too (gpu_trials.sh;
# with --checkpoint-every 500 in ARGS, 10 MB more a run). The judgings come after the runs are packed, each bounded by
# JUDGE_TIMEOUT (default 200 s) and by the call's end, the first's including the optimizer's runs for any photo not
# cached in .train/optimized-heldout; a judging cut off is made again on a CPU from the runs' tars. Back under $OUT:
# log.txt, the runs' tars (gpu_trials.sh), judged.tar
# (work/judged: new/, new-coarse-C/ and shipped/ quality tables by pair and layer, NAME-rows.md their rows so far
# where a judging was cut short, NAME-sheets, the optimizer's images), network-shapes.md (SHAPES, default
# "32/5 32/5/1/32 32/5/1/32/0.6": the apply time of each width/blocks/dilation/margin/coarse at SHAPES_SIZE, default
# 1080x1920, the last a margin painted in two passes; SHAPES="" skips it). In ARGS, {style} stands for each
# painting's name: ARGS="--init {style} --seed 3 --coarse 0.5" trains each preset on in two passes. Tried end to end
# on a CPU at toy sizes (DEVICE=cpu STEPS=2 SIZE=40 SHAPES_SIZE=64x64 ...).
# ARGS has no default: no lever has yet brought a preset to the bar at full size (the best so far, the Scream trained
# on a CPU with "--coarse 0.5 --margin 32": presets-coarse-train-cpu-2026-12-05.md).
if [[ -z ${ARGS:-} ]]; then
  echo "ARGS: give the restyle train options to retrain with (gpu_levers.sh chooses them)" >&2
  exit 2
fi
source tools/presets/device_setup.sh
STYLES=${STYLES:-the_scream starry_night great_wave composition_vii}
D=${DEVICE:-cuda}
SHAPES=${SHAPES-32/5 32/5/1/32 32/5/1/32/0.6}
if [[ -n $SHAPES ]]; then  # the apply cost of the network shapes on this GPU first (seconds)
  timeout 90 python3 benchmarks/network_shapes.py --device "$D" --size "${SHAPES_SIZE:-1080x1920}" \
    --shapes $SHAPES --out "$OUT/network-shapes.md" | grep "^| "
fi
H=${HELDOUT:-.heldout}
read -ra photos <<< "${PHOTOS:-cheetah_cub.jpg dahlia.jpg summer_palace.jpg tower.jpg}"
missing=0  # the cache's names are presets.py's (optimized_result): STYLE-PHOTO-SIZE.png
for style in $STYLES; do for photo in "${photos[@]}"; do
  [[ -f .train/optimized-heldout/$style-${photo%.*}-${SIZE:-512}.png ]] || missing=$((missing + 1))
done; done
(( missing )) && echo "$missing optimizer results missing from .train/optimized-heldout: the first judging makes them"
TRIALS=""
for style in $STYLES; do TRIALS+="new-$style $style ${ARGS//\{style\}/$style}"$'\n'; done
left=$(( T0 + ${TRAIN_UNTIL:-420} - $(date +%s) ))
TRIALS=$TRIALS SPEED_BEFORE=0 TRAIN_TIMEOUT=$(( left > 1 ? left : 1 )) bash tools/presets/gpu_trials.sh
END=$(( T0 + ${CALL_LIMIT:-585} ))
rm -rf work/new work/judged && mkdir -p work/new work/judged  # nothing left from an earlier call is judged
trained=""
for style in $STYLES; do
  cp "work/trials/new-$style/$style.safetensors" work/new/ 2>/dev/null && trained+="$style " ||
    echo "no new model of $style"
done
judgings="new shipped"
for c in ${JUDGE_COARSE-0}; do judgings+=" new-coarse-$c"; done
for which in $judgings; do
  models=work/new styles=$trained coarse=()
  [[ $which == shipped ]] && models=restyle/feedforward/presets styles=$STYLES
  [[ $which == new-coarse-* ]] && coarse=(--coarse "${which#new-coarse-}")
  left=$(( END - $(date +%s) )); (( left > ${JUDGE_TIMEOUT:-200} )) && left=${JUDGE_TIMEOUT:-200}
  [[ -z $styles ]] || (( left < 20 )) && continue
  echo "elapsed $(( $(date +%s) - T0 )) s: judging $which"
  timeout "$left" python3 tools/presets/presets.py quality --styles $styles --models $models \
    --style-dir .train/styles --heldout "$H" --heldout-photos "${photos[@]}" --size "${SIZE:-512}" \
    --device "$D" --optimized .train/optimized-heldout --images "work/judged/$which-sheets" "${coarse[@]}" \
    --out "work/judged/$which" < /dev/null | grep "^| " | tee "work/judged/$which-rows.md" | tail -1
done
cp -r .train/optimized-heldout work/judged/optimized 2>/dev/null
tar -cf "$OUT/judged.tar" -C work judged
echo "total $(( $(date +%s) - T0 )) s"
