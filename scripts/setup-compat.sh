#!/usr/bin/env bash
# Installs the Python jaxon releases of requirements-compat.txt, one directory each under
# .compat/ (jaxon-<version>/), for the interoperability tests and the benchmarks. Idempotent.
set -euo pipefail
. "$(dirname "$0")/common.sh"
trap on_err ERR

compat="$JAXON_ROOT_DIR/.compat"
mkdir -p "$compat"
grep -E '^jaxon==' "$JAXON_ROOT_DIR/requirements-compat.txt" | while read -r spec; do
    dir="$compat/jaxon-${spec#jaxon==}"
    [ -f "$dir/.complete" ] && continue
    step "install $spec into $dir" "check access to PyPI, then run the same command again"
    rm -rf "$dir"
    "$JAXON_VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
        --ignore-requires-python --target "$dir" "$spec" 2>&1 | { grep -v "^WARNING: Location" || true; }
    touch "$dir/.complete"
done
