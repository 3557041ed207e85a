#!/usr/bin/env bash
# Installs what the fuzz targets need (docs/security-fuzzing.md): atheris from
# requirements-fuzz.txt into the project's virtual environment. clang with libFuzzer comes from
# scripts/install-system-deps.sh. Idempotent: a stamp records the requirements' hash.
set -euo pipefail
. "$(dirname "$0")/common.sh"
trap on_err ERR

req="$JAXON_ROOT_DIR/requirements-fuzz.txt"
stamp="$JAXON_VENV/.jaxon-fuzz"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
step "install the fuzzing requirements (requirements-fuzz.txt) into $JAXON_VENV" \
     "check access to PyPI, then run the same command again"
"$JAXON_VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$req" 2>&1 \
    | { grep -v "^WARNING: Location" || true; }
"$JAXON_VENV/bin/python" -c "import atheris" || die "atheris does not import after installation"
printf '%s\n' "$want" > "$stamp"
