#!/usr/bin/env bash
# Prints where scripts/build-hdf5.sh installs HDF5 (version, Debian suite and patch set as
# scripts/common.sh defines them), on one line: the one answer CMake and the scripts share.
set -euo pipefail
. "$(dirname "$0")/common.sh"
printf '%s\n' "$JAXON_HDF5_PREFIX"
