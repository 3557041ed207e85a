#!/usr/bin/env bash
# Brings a fresh machine (or a warm one, quickly) to a built tree: Debian packages, the
# virtual environment, HDF5 from Debian's source package, h5py against it, then the CMake
# build of the connector, the CLI and the Python extension in $JAXON_BUILD_DIR (for the C
# tests), and the jaxon package pip-installed into .venv (what the Python tests import);
# then the parallel (MPI) variant, scripts/setup-mpi.sh.
set -euo pipefail
. "$(dirname "$0")/common.sh"
trap on_err ERR

"$JAXON_ROOT_DIR/scripts/install-system-deps.sh"
"$JAXON_ROOT_DIR/scripts/setup-venv.sh" base
CMAKE="$JAXON_VENV/bin/cmake" "$JAXON_ROOT_DIR/scripts/build-hdf5.sh"
"$JAXON_ROOT_DIR/scripts/setup-venv.sh" h5py
"$JAXON_ROOT_DIR/scripts/setup-compat.sh"
"$JAXON_ROOT_DIR/scripts/setup-fuzz.sh"

step "configure the project (CMake, $JAXON_BUILD_DIR)" "rm -rf $JAXON_BUILD_DIR and run the same command again"
"$JAXON_VENV/bin/cmake" -S "$JAXON_ROOT_DIR" -B "$JAXON_BUILD_DIR" \
    -Dhdf5_DIR="$JAXON_HDF5_PREFIX/cmake" \
    -DPython_EXECUTABLE="$JAXON_VENV/bin/python" \
    ${JAXON_CMAKE_ARGS:-} >"$JAXON_ROOT_DIR/.cmake-configure.log" 2>&1 \
    || { tail -n 30 "$JAXON_ROOT_DIR/.cmake-configure.log" >&2; die "CMake configure failed"; }
step "build the project" "fix the compile error shown above, then run the same command again"
"$JAXON_VENV/bin/cmake" --build "$JAXON_BUILD_DIR" -j "$JAXON_JOBS" 2>&1 \
    | { grep -E "error|warning|Error" || true; }
"$JAXON_ROOT_DIR/scripts/install-package.sh"
# The parallel variant beside it (.venv-mpi, build-mpi), for the py.mpi.* tests
# (docs/many-processes.md: about 10 minutes once on a fresh 2-core machine, seconds after).
# JAXON_SKIP_MPI=1 leaves it out; those tests then report themselves skipped.
if [ "${JAXON_SKIP_MPI:-0}" != 1 ]; then
    "$JAXON_ROOT_DIR/scripts/setup-mpi.sh"
fi
