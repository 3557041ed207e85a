#!/usr/bin/env bash
# The full benchmark (not part of CI): set up and build, install the extra contenders, then
# run bench/run.py (writes bench/results.md, bench/results.json and bench/results.png).
# Arguments go to bench/run.py, e.g. --runs 7 or --workloads config_dict,big_array.
set -euo pipefail
. "$(dirname "$0")/common.sh"
trap on_err ERR

"$JAXON_ROOT_DIR/scripts/setup.sh"
"$JAXON_ROOT_DIR/scripts/setup-bench.sh"
step "run the benchmark" "read the error above"
JAXON_BUILD_DIR="$JAXON_BUILD_DIR" "$JAXON_VENV/bin/python" "$JAXON_ROOT_DIR/bench/run.py" "$@"
