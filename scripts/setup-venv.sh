#!/usr/bin/env bash
# Creates .venv and installs requirements.txt into it, h5py compiled against our HDF5.
#   setup-venv.sh base   everything but h5py (gives us CMake for the HDF5 build)
#   setup-venv.sh h5py   h5py from source against $JAXON_HDF5_PREFIX
# Idempotent: stamps record the hash of requirements.txt (and the HDF5 build for h5py).
set -euo pipefail
. "$(dirname "$0")/common.sh"
trap on_err ERR

phase=${1:?usage: setup-venv.sh base|h5py}
py=${PYTHON:-python3}
reqhash=$(sha256sum "$JAXON_ROOT_DIR/requirements.txt" | cut -d' ' -f1)

case "$phase" in
base)
    stamp="$JAXON_VENV/.jaxon-base"
    want="$reqhash"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$JAXON_VENV/bin/python" ]; then
        exit 0
    fi
    if [ ! -x "$JAXON_VENV/bin/python" ]; then
        step "create the virtual environment $JAXON_VENV" "rm -rf .venv and run the same command again"
        "$py" -m venv "$JAXON_VENV"
    fi
    step "install the pinned Python packages" "check access to PyPI, then run the same command again"
    "$JAXON_VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
    reqs=$(mktemp); trap 'rm -f "$reqs"' EXIT
    grep -v -E '^h5py([=<>~ ]|$)' "$JAXON_ROOT_DIR/requirements.txt" > "$reqs"
    "$JAXON_VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$reqs" 2>&1 \
        | { grep -v "^WARNING: Location" || true; }
    printf '%s\n' "$want" > "$stamp"
    ;;
h5py)
    stamp="$JAXON_VENV/.jaxon-h5py"
    want="$reqhash $(cat "$JAXON_HDF5_PREFIX/.complete" 2>/dev/null) $JAXON_HDF5_PREFIX"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$JAXON_HDF5_PREFIX/.complete" ]; then
        exit 0
    fi
    step "build h5py from source against HDF5 in $JAXON_HDF5_PREFIX" \
         "check access to PyPI, then run the same command again"
    [ -f "$JAXON_HDF5_PREFIX/.complete" ] || die "HDF5 is not built yet (scripts/build-hdf5.sh)"
    # Never a wheel (or pip's cached wheel) built against another libhdf5; the rpath lets it
    # find ours without LD_LIBRARY_PATH.
    h5ver=${JAXON_HDF5_VERSION#*:}
    h5ver=${h5ver%%+*}          # 1.14.6+repack-2 -> 1.14.6
    HDF5_DIR="$JAXON_HDF5_PREFIX" HDF5_VERSION=$h5ver \
    LDFLAGS="-Wl,-rpath,$JAXON_HDF5_PREFIX/lib ${LDFLAGS:-}" \
        "$JAXON_VENV/bin/python" -m pip install -q --disable-pip-version-check --no-binary h5py \
        --no-cache-dir --force-reinstall --no-deps \
        "$(grep -E '^h5py==' "$JAXON_ROOT_DIR/requirements.txt")" 2>&1 \
        | { grep -v "^WARNING: Location" || true; }
    got=$("$JAXON_VENV/bin/python" -c 'import h5py; print(h5py.version.hdf5_version)')
    [ "$got" = "$h5ver" ] || die "h5py reports HDF5 $got instead of $h5ver"
    printf '%s\n' "$want" > "$stamp"
    ;;
*) die "unknown phase $phase" ;;
esac
