# Shared helpers for the project's set-up scripts. Sourced, never run.
# Every step announces itself; a failure names the step and how to retry.

JAXON_ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAXON_CACHE_DIR=${JAXON_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/jaxon}
# The Debian source package HDF5 is built from, and the Debian suite that carries it.
# Overridable so that a second HDF5 can be built for comparisons (docs/security-fuzzing.md).
JAXON_HDF5_VERSION=${JAXON_HDF5_VERSION:-1.14.6+repack-2}
JAXON_HDF5_SUITE=${JAXON_HDF5_SUITE:-sid}
# Our own fixes on top of Debian's source (patches/hdf5/NNNN-name.patch, applied in order).
# The prefix name carries a hash of the patch set, so changing a patch builds a new prefix
# instead of reusing one built without it. JAXON_HDF5_PATCHES=none builds Debian's source as is.
JAXON_HDF5_PATCHES=${JAXON_HDF5_PATCHES:-$JAXON_ROOT_DIR/patches/hdf5}
jaxon_hdf5_patch_tag=""
if [ "$JAXON_HDF5_PATCHES" != none ] && compgen -G "$JAXON_HDF5_PATCHES/*.patch" >/dev/null; then
    jaxon_hdf5_patch_tag=-jx$(cat "$JAXON_HDF5_PATCHES"/*.patch | sha256sum | cut -c1-8)
fi
# JAXON_HDF5_MPI=1 selects the parallel (MPI-IO) variant of the same source and patches: built
# with mpicc and -DHDF5_ENABLE_PARALLEL=ON into its own prefix (suffix -mpi), used only by the
# MPI build (scripts/setup-mpi.sh, docs/many-processes.md); the default build never links MPI.
JAXON_HDF5_MPI=${JAXON_HDF5_MPI:-0}
jaxon_hdf5_variant=""
if [ "$JAXON_HDF5_MPI" = 1 ]; then
    jaxon_hdf5_variant=-mpi
fi
JAXON_HDF5_PREFIX="$JAXON_CACHE_DIR/hdf5-$JAXON_HDF5_VERSION$jaxon_hdf5_patch_tag$jaxon_hdf5_variant"
JAXON_VENV=${JAXON_VENV:-$JAXON_ROOT_DIR/.venv}
JAXON_BUILD_DIR=${JAXON_BUILD_DIR:-$JAXON_ROOT_DIR/build}
JAXON_JOBS=${JAXON_JOBS:-$(nproc 2>/dev/null || echo 2)}

jaxon_step=""
jaxon_retry=""

step() {  # step "description" "how to retry"
    jaxon_step=$1
    jaxon_retry=${2:-"run the same command again"}
    printf '==> %s\n' "$jaxon_step" >&2
}

die() {
    printf '\nERROR in step "%s": %s\n' "$jaxon_step" "$*" >&2
    printf 'To retry: %s\n' "$jaxon_retry" >&2
    exit 1
}

on_err() {
    local rc=$?
    printf '\nERROR: step "%s" failed (exit %s).\n' "$jaxon_step" "$rc" >&2
    printf 'To retry: %s\n' "$jaxon_retry" >&2
    exit "$rc"
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
