# Shared helpers for the project's set-up scripts. Sourced, never run.
# Every step announces itself; a failure names the step and how to retry.

JAXON_ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAXON_CACHE_DIR=${JAXON_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/jaxon}
JAXON_HDF5_VERSION=1.14.5+repack-3
JAXON_HDF5_PREFIX="$JAXON_CACHE_DIR/hdf5-$JAXON_HDF5_VERSION"
JAXON_VENV="$JAXON_ROOT_DIR/.venv"
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
