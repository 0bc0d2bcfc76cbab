#!/usr/bin/env bash
# The preset-quality levers at full size on one CUDA GPU, in one device call: each lever three seeds, side by
# side (gpu_trials.sh), then every model judged on the selection photos at 512 px against the optimizer
# (presets.py quality; the optimizer's results made once, in .train/optimized), never on the held-out photos.
#
#   bash tools/presets/gpu_levers.sh                      # STYLE=the_scream, SEEDS="0 1 2", LEVERS below
#   STYLE=starry_night LEVERS="base|;blocks7|--blocks 7" bash tools/presets/gpu_levers.sh
#   LEVERS="base|;distill|--targets .train/targets/the_scream --distill-weight 2" bash tools/presets/gpu_levers.sh
#
# LEVERS: "NAME|restyle train options" separated by ';'. --photos .train/photos-more is the larger training set
# (tools/presets/training_photos.py .train/photos-more --extra --wheels .whl). A lever with --targets DIR first has
# the optimizer paint every training photo into DIR (tools/presets/distill_targets.py, skipped where done; seconds a
# photo on a GPU). Back under $OUT: log.txt, the runs' tars (gpu_trials.sh; LAST=0 for more than 8 runs), judged.md
# (one table row per model and photo). SIZE (default 512) is the judging size;
# JUDGE_TIMEOUT (900 s) bounds each model's judging, the first's including the optimizer's runs.
# Fifteen full-size runs and their judging take well over one device call's 10 minutes: within a session's 15
# minutes of device time, give fewer (e.g. SEEDS=0 LEVERS="base|;more|--photos .train/photos-more"), or retrain and
# judge the presets at once with gpu_presets.sh.
source tools/presets/device_setup.sh
STYLE=${STYLE:-the_scream}
SEEDS=${SEEDS:-0 1 2}
# The default levers: a 32 px margin around the crops (--margin 32), closer to the painting at 512 px with and
# without borders in small trials (margin-trials-cpu-2026-12-04.md) but 28% further as painted and 15% without
# borders at the presets' full recipe on a CPU, one seed (scream-margin-full-cpu-2026-12-04.md); the deeper network
# (--blocks 8), ahead of the shipped preset at the presets' full recipe on a CPU as judged, but by its border (two
# seeds; scratch-b8-cpu-2026-12-03.md); and the two that led at small scale but not at the presets' scale there
# (train-trials-cpu-2026-12-03.md): distillation (needs .train/targets, made below) and the larger training set
# (needs .train/photos-more). Judge them also without borders (tools/presets/border_share.py --padded 32).
# Training longer alone kept more of the photo but moved three of four presets further from the painting
# (presets-longer-cuda-2026-12-04.md); trained on at twice the style weight they came 20-29% closer to the painting
# for 6-16% more content distance, and soups of such a model and one trained longer beat two presets on both counts
# (shipped; presets-style-weight-cuda-2026-12-04.md).
# Untried: a run from scratch at twice the weight and longer, e.g. LEVERS="base|;sw2x|--steps 4800 --style-weight 20"
# (a later --steps wins; 2.4x the time), then a soup with the base run (tools/presets/soup.py needs one start: give
# both the same --init).
# Also untried at full size: training in two passes, LEVERS="base|;coarse|--coarse 0.5" (1.25x the time), judged with
# presets.py quality and border_share.py both as trained and with --coarse 0 (small trials: 18-26% closer to the
# painting at 512 px in one pass, coarse-trials-cpu-2026-12-04.md); and the presets applied in two passes
# (presets-coarse-cpu-2026-12-04.md) with models trained on longer at their own weight.
DISTILL="--targets .train/targets/$STYLE --distill-weight 2"
LEVERS=${LEVERS:-"base|;margin|--margin 32;b8|--blocks 8;distill|$DISTILL;more|--photos .train/photos-more"}
TRIALS=""
IFS=';' read -ra levers <<< "$LEVERS"
for lever in "${levers[@]}"; do
  for seed in $SEEDS; do
    TRIALS+="${lever%%|*}-s$seed $STYLE --seed $seed ${lever#*|}"$'\n'
  done
done
if [[ $LEVERS =~ --targets\ ([^ ;|]+) ]]; then
  python3 tools/presets/distill_targets.py ".train/styles/$STYLE.jpg" .train/photos "${BASH_REMATCH[1]}" \
    --device "${DEVICE:-cuda}" | tail -1
fi
TRIALS=$TRIALS SPEED_BEFORE=0 bash tools/presets/gpu_trials.sh
while read -r name _; do
  [[ -z $name ]] && continue
  timeout "${JUDGE_TIMEOUT:-900}" python3 tools/presets/presets.py quality --styles "$STYLE" \
    --models "work/trials/$name" --style-dir .train/styles --heldout .train/heldout --size "${SIZE:-512}" \
    --device "${DEVICE:-cuda}" --optimized .train/optimized --out "work/judged/$name" < /dev/null \
    | grep "^| $STYLE" | sed "s/^| $STYLE/| $name/" >> "$OUT/judged.md"
done <<< "$TRIALS"
echo "judged: $(wc -l < "$OUT/judged.md") rows; total $(( $(date +%s) - T0 )) s"
