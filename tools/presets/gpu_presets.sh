#!/usr/bin/env bash
# The presets retrained with the levers gpu_levers.sh chose (ARGS), side by side on one CUDA GPU, then judged on the
# held-out photos (.heldout: tools/presets/held_out.py; never trained or chosen on) against the optimizer at 512 px,
# the shipped presets judged alike beside them, with a sheet per painting (photo, optimizer, model): one device call
# of about 8 minutes on an H200 (an estimate for a 32 px margin), within a session's 15 minutes of device time (machine
# start included).
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
# work/judged/new-coarse-C; "" for none. TRAIN_TIMEOUT (default 470 s) bounds the training (a run cut short leaves no
# model; four runs with a 32 px margin side by side are estimated at under 440 s on an H200: the 324 s four presets
# took there, the network's share 1.36x for its 448 px windows, not measured; give the device call its full 600 s,
# or fewer STYLES), JUDGE_TIMEOUT (default 200 s) each judging, the first's including the optimizer's runs for any
# photo not cached in .train/optimized-heldout. Back under $OUT: log.txt, the runs' tars (gpu_trials.sh), judged.tar
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
TRIALS=$TRIALS SPEED_BEFORE=0 TRAIN_TIMEOUT=${TRAIN_TIMEOUT:-470} bash tools/presets/gpu_trials.sh
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
  [[ -z $styles ]] && continue
  echo "elapsed $(( $(date +%s) - T0 )) s: judging $which"
  timeout "${JUDGE_TIMEOUT:-200}" python3 tools/presets/presets.py quality --styles $styles --models $models \
    --style-dir .train/styles --heldout "$H" --heldout-photos "${photos[@]}" --size "${SIZE:-512}" \
    --device "$D" --optimized .train/optimized-heldout --images "work/judged/$which-sheets" "${coarse[@]}" \
    --out "work/judged/$which" < /dev/null | grep "^| " | tee "work/judged/$which-rows.md" | tail -1
done
cp -r .train/optimized-heldout work/judged/optimized 2>/dev/null
tar -cf "$OUT/judged.tar" -C work judged
echo "total $(( $(date +%s) - T0 )) s"
