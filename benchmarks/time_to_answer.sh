#!/usr/bin/env bash
# Time-to-answer of the two long commands (issue #20), from a cold record store:
#
#     benchmarks/time_to_answer.sh [WORK] [FIGURES_OUT] [SUMMARY_JSON]
#
# 1. `twolayer check --all` (full plan: evidence tier) into a fresh store in WORK (and a fresh
#    cache for the phase figures' sweeps: TWOLAYER_CACHE=WORK/cache), with
#    --timings (where the time goes), --json (the verdicts) and --report (the Markdown table);
# 2. `twolayer figures --all --out FIGURES_OUT examples/barak2022` (what `make figures` runs) on the
#    SAME store, so that it trains only the runs the checks did not need.
# Each command's wall time, CPU time and peak memory come from /usr/bin/time when it exists.
# WORK defaults to a new temporary directory, FIGURES_OUT to WORK/figures (pass figures/ to
# regenerate the committed figures), SUMMARY_JSON to WORK/summary.json (pass
# benchmarks/time_to_answer.json to publish: `twolayer bench --doc` renders it into
# docs/benchmarks.md). Prints the Markdown section at the end
# (python -m twolayer.bench.timetable WORK --json SUMMARY_JSON). Tens of minutes on 2 cores.
set -eu
WORK=${1:-$(mktemp -d -t twolayer-tta.XXXXXX)}
FIGS=${2:-$WORK/figures}
SUMMARY=${3:-$WORK/summary.json}
TL=${TWOLAYER:-twolayer}
PY=${PYTHON:-python}
mkdir -p "$WORK"
STORE="$WORK/store"
# the phase-diagram figures keep their sweeps under $TWOLAYER_CACHE (default ~/.cache/twolayer):
# a cache of its own, so that they start cold like the record store
export TWOLAYER_CACHE="$WORK/cache"
TIME=()
if [ -x /usr/bin/time ]; then TIME=(/usr/bin/time -v -o); fi
timed() {  # timed NAME COMMAND...: run it, keep its exit status and /usr/bin/time's report
    local name=$1; shift
    echo "== $name: $*" >&2
    local rc=0
    if [ ${#TIME[@]} -gt 0 ]; then "${TIME[@]}" "$WORK/$name.time" "$@" || rc=$?; else "$@" || rc=$?; fi
    echo "$rc" > "$WORK/$name.rc"
    echo "== $name: exit $rc" >&2
}
date -u +%Y-%m-%dT%H:%M:%SZ > "$WORK/started"
cut -d' ' -f1-3 /proc/loadavg > "$WORK/load_before" 2>/dev/null || true
timed check "$TL" check --all --records "$STORE" --json --quiet \
    --timings "$WORK/check.timings.json" --report "$WORK/claims.md" > "$WORK/check.json"
timed figures "$TL" figures --all --out "$FIGS" --records "$STORE" --quiet examples/barak2022 \
    --timings "$WORK/figures.timings.json"
date -u +%Y-%m-%dT%H:%M:%SZ > "$WORK/finished"
cut -d' ' -f1-3 /proc/loadavg > "$WORK/load_after" 2>/dev/null || true
"$PY" -m twolayer.bench.timetable "$WORK" --json "$SUMMARY"
