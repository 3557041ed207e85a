#!/usr/bin/env bash
# The long mode of the differential test (docs/differential.md): 100,000 generated and mutated
# files (override with COUNT=… SEED=…), jaxon.load against jaxon-validate on each, the
# disagreement buckets written to tests/differential/results.md and the smallest example of
# each bucket kept in $KEEP (default build/differential-cases; `python -m tests.differential
# add-cases $KEEP` turns them into regression cases). Installs the package first (as the
# tests do), runs niced with two workers. Exit status 1 when a disagreement was found.
set -euo pipefail
. "$(dirname "$0")/common.sh"
trap on_err ERR

SEED=${SEED:-1}
COUNT=${COUNT:-100000}
KEEP=${KEEP:-$JAXON_BUILD_DIR/differential-cases}
SUMMARY=${SUMMARY:-$JAXON_ROOT_DIR/tests/differential/results.md}

"$JAXON_ROOT_DIR/scripts/setup-compat.sh"
JAXON_BUILD_DIR="$JAXON_BUILD_DIR" JAXON_PYTHON="$JAXON_VENV/bin/python" \
    "$JAXON_ROOT_DIR/scripts/install-package.sh"
step "differential test: $COUNT files, seed $SEED (summary: $SUMMARY)" \
     "rerun; a part of the range: $JAXON_VENV/bin/python -m tests.differential run --start N --count M"
rm -rf "$KEEP"
cd "$JAXON_ROOT_DIR"
rc=0
JAX_PLATFORMS=cpu nice -n 10 "$JAXON_VENV/bin/python" -m tests.differential run \
    --seed "$SEED" --count "$COUNT" --chunk 2000 --workers 2 \
    --keep "$KEEP" --summary "$SUMMARY" >/dev/null || rc=$?
printf 'summary: %s\nexamples: %s\n' "$SUMMARY" "$KEEP" >&2
exit $rc
