#!/usr/bin/env bash
# Long-mode fuzzing (docs/security-fuzzing.md): runs, at the lowest CPU priority and for a set
# time, the three fuzzers of fuzz/ against the build in $JAXON_BUILD_DIR, then prints their
# totals (executions, crashes, hangs) and writes them to $out/summary.json.
#
#   scripts/fuzz.sh --hours 2                 # all three, split over the machine's cores
#   scripts/fuzz.sh --minutes 30 --only campaign
#   JAXON_BUILD_DIR=build-other JAXON_FUZZ_PYTHON=/path/python-with-atheris scripts/fuzz.sh ...
#
#   campaign   fuzz/mutant_campaign.py: attacker-style mutants, one forked child each, both
#              jaxon.load and jaxon-validate, classified (clean error / crash / hang / poisoned);
#              continues numbering from the previous run in $out so each run adds new mutants
#   validate   the libFuzzer target (fuzz/fuzz_validate.c), -fork over the given jobs
#   load       the atheris target (fuzz/fuzz_load.py)
# Findings: $out/campaign-finds/, $out/validate/artifacts/, $out/load/artifacts/. Each one
# becomes a regression file under tests/hostile/hdf5/ once the bug is fixed.
set -euo pipefail
. "$(dirname "$0")/common.sh"

seconds=3600
only="campaign validate load"
jobs=1
while [ $# -gt 0 ]; do
    case $1 in
        --hours) seconds=$(( $2 * 3600 )); shift 2 ;;
        --minutes) seconds=$(( $2 * 60 )); shift 2 ;;
        --only) only=$2; shift 2 ;;
        --jobs) jobs=$2; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
b=$JAXON_BUILD_DIR
out=${JAXON_FUZZ_OUT:-$b/fuzz/long}
mkdir -p "$out"
py="$JAXON_VENV/bin/python"
export PYTHONPATH="$b/python" HDF5_PLUGIN_PATH="$b/python/jaxon/_plugins" JAX_PLATFORMS=cpu
export JAXON_H5MUTATE="$b/fuzz/libh5mutate.so"
pids=()

if [[ " $only " == *" campaign "* ]]; then
    start=$(cat "$out/campaign-next" 2>/dev/null || echo 0)
    # chunks of 2000 mutants (one summary file each) until the deadline
    (
        end=$(( $(date +%s) + seconds ))
        n=$start
        while [ "$(date +%s)" -lt "$end" ]; do
            nice -n 19 "$py" "$JAXON_ROOT_DIR/fuzz/mutant_campaign.py" --lib "$b/fuzz/libh5mutate.so" \
                --validate "$b/bin/jaxon-validate" --start "$n" --count 2000 --rng 15 --poison \
                --timeout 10 --jobs "$jobs" --deadline "$end" --save "$out/campaign-finds" \
                --json "$out/campaign-$n.json" >/dev/null 2>&1 || true
            n=$(( n + $("$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['count'])" \
                        "$out/campaign-$n.json" 2>/dev/null || echo 2000) ))
            echo "$n" > "$out/campaign-next"
        done
    ) &
    pids+=($!)
fi
if [[ " $only " == *" validate "* ]]; then
    nice -n 19 "$py" "$JAXON_ROOT_DIR/fuzz/smoke.py" libfuzzer "$b/fuzz/libfuzzer/fuzz_validate" \
        --seconds "$seconds" --work "$out/validate" --jobs "$jobs" --keep-going >"$out/validate.log" 2>&1 &
    pids+=($!)
fi
if [[ " $only " == *" load "* ]]; then
    nice -n 19 "$py" "$JAXON_ROOT_DIR/fuzz/smoke.py" atheris "${JAXON_FUZZ_PYTHON:-$py}" --seconds "$seconds" \
        --work "$out/load" --jobs "$jobs" --keep-going -max_len=131072 >"$out/load.log" 2>&1 &
    pids+=($!)
fi
for p in "${pids[@]}"; do wait "$p" || true; done
"$py" "$JAXON_ROOT_DIR/fuzz/summarize.py" "$out" | tee "$out/summary.json"
