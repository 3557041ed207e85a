#!/usr/bin/env bash
# The whole test suite: set up and build whatever is missing, then run every C unit and
# every pytest file through CTest. Extra arguments go to ctest (e.g. -L c, -R py.save).
set -euo pipefail
. "$(dirname "$0")/common.sh"
trap on_err ERR

"$JAXON_ROOT_DIR/scripts/setup.sh"
step "run the test suite (ctest)" "read the failing test's output above; rerun with: $0 -R <name>"
"$JAXON_VENV/bin/ctest" --test-dir "$JAXON_BUILD_DIR" --output-on-failure -j "$JAXON_JOBS" "$@"
