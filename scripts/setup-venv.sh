#!/usr/bin/env bash
# Creates .venv and installs requirements.txt into it; h5py is compiled against our HDF5.
# Idempotent: a stamp records the hash of requirements.txt and the HDF5 version it was made for.
set -euo pipefail
. "$(dirname "$0")/common.sh"
trap on_err ERR

py=${PYTHON:-python3}
stamp="$JAXON_VENV/.jaxon-stamp"
want="$(sha256sum "$JAXON_ROOT_DIR/requirements.txt" | cut -d' ' -f1) hdf5=$JAXON_HDF5_VERSION"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$JAXON_VENV/bin/python" ]; then
    exit 0
fi

if [ ! -x "$JAXON_VENV/bin/python" ]; then
    step "create the virtual environment $JAXON_VENV" "rm -rf .venv and run the same command again"
    "$py" -m venv "$JAXON_VENV"
fi
step "install the pinned Python packages (h5py from source against our HDF5)" \
     "check access to PyPI, then run the same command again"
[ -f "$JAXON_HDF5_PREFIX/.complete" ] || die "HDF5 is not built yet (run scripts/build-hdf5.sh)"
"$JAXON_VENV/bin/python" -m pip install -q --upgrade pip
# Everything but h5py first (pip's cache may serve these wheels) ...
reqs=$(mktemp); trap 'rm -f "$reqs"' EXIT
grep -v -E '^h5py([=<>~ ]|$)' "$JAXON_ROOT_DIR/requirements.txt" > "$reqs"
"$JAXON_VENV/bin/python" -m pip install -q -r "$reqs"
# ... then h5py, compiled here: never a wheel (or a cached wheel) built against another libhdf5.
# The rpath makes it find our library without LD_LIBRARY_PATH.
HDF5_DIR="$JAXON_HDF5_PREFIX" HDF5_VERSION=1.14.5 \
LDFLAGS="-Wl,-rpath,$JAXON_HDF5_PREFIX/lib ${LDFLAGS:-}" \
    "$JAXON_VENV/bin/python" -m pip install -q --no-binary h5py --no-cache-dir --force-reinstall --no-deps \
    "$(grep -E '^h5py==' "$JAXON_ROOT_DIR/requirements.txt")"
got=$("$JAXON_VENV/bin/python" -c 'import h5py; print(h5py.version.hdf5_version)')
[ "$got" = "1.14.5" ] || die "h5py reports HDF5 $got instead of 1.14.5"
printf '%s\n' "$want" > "$stamp"
