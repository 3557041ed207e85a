#!/usr/bin/env bash
# Installs the benchmark's extra contenders (requirements-bench.txt) into .venv. Idempotent.
set -euo pipefail
. "$(dirname "$0")/common.sh"
trap on_err ERR
stamp="$JAXON_VENV/.jaxon-bench"
want=$(sha256sum "$JAXON_ROOT_DIR/requirements-bench.txt" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
step "install the benchmark contenders (orbax, safetensors, matplotlib)" \
     "check access to PyPI, then run the same command again"
"$JAXON_VENV/bin/python" -m pip install -q --disable-pip-version-check \
    -r "$JAXON_ROOT_DIR/requirements-bench.txt" 2>&1 | { grep -v "^WARNING: Location" || true; }
printf '%s\n' "$want" > "$stamp"
