#!/usr/bin/env bash
# The GPU check of issue #19: one script, for a machine with an NVIDIA GPU and no network, with
# the project installed by `pip install --no-deps -e .` over the CUDA build of torch already
# there. Budget: under 6 minutes on an H200. Run from the repository root:
#
#     benchmarks/gpu_check.sh [OUT]                  # OUT: where the JSON results go
#     GPU_CHECK_DEVICE=cpu benchmarks/gpu_check.sh   # a dry run of every step on the CPU,
#                                                    # tiny sizes (the CUDA tests all skip)
#
# Steps: 1. the CUDA tests (pytest -m "cuda and not slow": every device-parametrised test of the
# core against its CPU oracle); 2. the demo on the device against the CPU and the reference step
# (n = 1000, d = 50, m = 400) at R = 64, 1024, 4096 with and without probes, as effective TFLOP/s
# next to the GPU's float32 GEMM rate, probe overhead and peak memory (twolayer/bench/gpu.py);
# 3. twolayer check frei2023 --quick; 4. twolayer bench --quick. Exit status: the number of
# steps that failed (0: all passed; the check's exit status 1, claims that do not hold, is a
# verdict, not a failure).
set -u
DEV=${GPU_CHECK_DEVICE:-cuda}
OUT=${1:-${OUT:-gpu-check}}
PY=${PYTHON:-python}
mkdir -p "$OUT"
QUICK=()
if [ "$DEV" = cpu ]; then QUICK=(--quick); fi
failed=0
step() {  # step [--verdicts] NAME COMMAND...: run it, report its time and status
    # --verdicts: the command is a claim check, whose exit status 1 is a result (some claims do
    # not hold), not a failure of the step; 2 and above are failures.
    local verdicts=0
    if [ "$1" = --verdicts ]; then verdicts=1; shift; fi
    local name=$1; shift
    echo "== $name: $*"
    local t0=$SECONDS
    "$@"
    local rc=$?
    echo "== $name: exit $rc in $((SECONDS - t0)) s"
    if [ $rc -eq 1 ] && [ $verdicts -eq 1 ]; then
        echo "== $name: exit 1 means some claims do not hold (verdicts above), not a failure"
    elif [ $rc -ne 0 ]; then
        failed=$((failed + 1))
    fi
}
if [ "${GPU_CHECK_SOURCE_ONLY:-0}" = 1 ]; then return 0 2>/dev/null || exit 0; fi
$PY -c "import torch, twolayer; print('torch', torch.__version__, 'cuda', torch.version.cuda,
'available', torch.cuda.is_available(), 'twolayer', twolayer.__version__)"
step "cuda tests" $PY -m pytest -q -p no:cacheprovider -m "cuda and not slow" tests/
step "demo + reference step" $PY -m twolayer.bench.gpu --device "$DEV" "${QUICK[@]}" \
    --out "$OUT/gpu.json"
step --verdicts "check frei2023" $PY -m twolayer check frei2023 --quick --device "$DEV" --no-store
step "bench" $PY -m twolayer bench --quick --device "$DEV" --out "$OUT/bench.json"
echo "== gpu_check: $failed step(s) failed; results in $OUT/"
exit $failed
