#!/usr/bin/env bash
# The parallel (MPI-IO) variant of jaxon, beside the serial one (docs/many-processes.md):
#   Debian's Open MPI (libopenmpi-dev, openmpi-bin);
#   HDF5 from the same Debian source package and patches as the serial build, compiled with
#     mpicc and -DHDF5_ENABLE_PARALLEL=ON into its own cache prefix (suffix -mpi);
#   the virtual environment .venv-mpi: requirements.txt without h5py, plus mpi4py compiled
#     against Open MPI (requirements-mpi.txt);
#   the jaxon package built against that HDF5 (build-mpi/pip) and installed into .venv-mpi.
# The serial build and .venv never see MPI. Idempotent: each step is skipped when its stamp
# or marker says it is done, so a second run takes seconds.
set -euo pipefail
export JAXON_HDF5_MPI=1
. "$(dirname "$0")/common.sh"
trap on_err ERR
export JAXON_VENV="$JAXON_ROOT_DIR/.venv-mpi"
export JAXON_BUILD_DIR="$JAXON_ROOT_DIR/build-mpi"
export JAXON_JOBS

"$JAXON_ROOT_DIR/scripts/install-system-deps.sh"
missing=()
for p in libopenmpi-dev openmpi-bin; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    step "install Debian packages: ${missing[*]}" "apt-get update && apt-get install -y ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

"$JAXON_ROOT_DIR/scripts/setup-venv.sh" base
stamp="$JAXON_VENV/.jaxon-mpi4py"
want="$(sha256sum "$JAXON_ROOT_DIR/requirements-mpi.txt" | cut -d' ' -f1) $(mpicc --showme:version 2>&1 | head -1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    step "build mpi4py from source against Open MPI (mpicc)" "check access to PyPI, then run the same command again"
    CC=mpicc "$JAXON_VENV/bin/python" -m pip install -q --disable-pip-version-check \
        --no-binary mpi4py --no-cache-dir -r "$JAXON_ROOT_DIR/requirements-mpi.txt" 2>&1 \
        | { grep -v "^WARNING: Location" || true; }
    "$JAXON_VENV/bin/python" -c 'from mpi4py import MPI; assert "Open MPI" in MPI.Get_library_version()' \
        || die "mpi4py does not use Open MPI"
    printf '%s\n' "$want" > "$stamp"
fi

CMAKE="$JAXON_VENV/bin/cmake" "$JAXON_ROOT_DIR/scripts/build-hdf5.sh"
"$JAXON_ROOT_DIR/scripts/install-package.sh"
