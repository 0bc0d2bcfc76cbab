#!/usr/bin/env bash
# One model of several presets' paintings (conditional instance norm) at full size on one CUDA GPU, in one device
# call: trained, then judged in each of its styles on the selection photos at 512 px against the optimizer
# (presets.py quality --shared), never on the held-out photos.
#
#   bash tools/presets/gpu_shared.sh                    # the four presets' paintings, 2000 steps a style
#   DISTILL=2 bash tools/presets/gpu_shared.sh          # distilled: each style's targets painted first
#   STYLES="the_scream starry_night" ARGS="--blocks 7" bash tools/presets/gpu_shared.sh
#   DISTILL=2 PHOTOS=.train/photos-more bash tools/presets/gpu_shared.sh
#
# STYLES: names in .train/styles; PHOTOS: the training photos (default .train/photos); STEPS (default 2000 a style:
# each step's crops take the styles in turn); ARGS: more restyle train options; DISTILL: the distillation weight,
# with the optimizer's paintings of every training photo in each style (tools/presets/distill_targets.py into
# .train/targets/shared/STYLE, skipped where done; TARGET_SIZE, default 512; a few seconds a photo on a GPU, so 4
# styles of 21 photos take minutes: where a call is cut short, the next one skips the targets done). Back under
# $OUT: log.txt, shared.tar (the model, its training log and last preview, judged.md). TRAIN_TIMEOUT (default 480 s)
# and JUDGE_TIMEOUT (default 600 s) bound the steps; the training, stopped then as at Ctrl-C, keeps a model of its
# weights so far.
source tools/presets/device_setup.sh
STYLES=${STYLES:-the_scream starry_night great_wave composition_vii}
D=${DEVICE:-cuda}
PHOTOS=${PHOTOS:-.train/photos}
read -ra names <<< "$STYLES"
paths=("${names[@]/#/.train/styles/}"); paths=("${paths[@]/%/.jpg}")
ARGS=${ARGS:-}
if [[ -n $DISTILL ]]; then
  python3 tools/presets/distill_targets.py "${paths[@]}" "$PHOTOS" .train/targets/shared \
    --size "${TARGET_SIZE:-512}" --device "$D" | tail -1
  ARGS+=" --targets .train/targets/shared --distill-weight $DISTILL"
fi
mkdir -p work/shared
timeout --foreground -s INT -k 60 "${TRAIN_TIMEOUT:-480}" python3 -m restyle train "${paths[@]}" --photos "$PHOTOS" \
  -o work/shared/shared.safetensors --steps $(( ${STEPS:-2000} * ${#names[@]} )) --seed 0 --device "$D" \
  --preview .train/heldout/tubingen.jpg --work-dir .train/trials/shared $ARGS < /dev/null > work/shared/train.log 2>&1
tail -3 work/shared/train.log
cp "$(ls -t .train/trials/shared/preview-*.jpg | head -1)" work/shared/ 2>/dev/null
echo "elapsed $(( $(date +%s) - T0 )) s: trained"
timeout "${JUDGE_TIMEOUT:-600}" python3 tools/presets/presets.py quality --shared work/shared/shared.safetensors \
  --styles "${names[@]}" --style-dir .train/styles --heldout .train/heldout --size "${SIZE:-512}" --device "$D" \
  --optimized .train/optimized --out work/shared < /dev/null | grep "^|" > work/shared/judged.md
cat work/shared/judged.md
tar -cf "$OUT/shared.tar" -C work shared
echo "total $(( $(date +%s) - T0 )) s"
