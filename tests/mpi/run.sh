#!/usr/bin/env bash
# CTest's py.mpi.np<N>: the many-process tests (test_many_processes.py) with N processes,
# in the parallel variant's environment (.venv-mpi, built by scripts/setup-mpi.sh). Exits
# 77, which CTest reports as skipped, with the reason when that variant or mpirun is absent.
set -euo pipefail
np=${1:?usage: run.sh NPROCS}
root=$(cd "$(dirname "$0")/../.." && pwd)
py="$root/.venv-mpi/bin/python"
if [ ! -x "$py" ] || ! command -v mpirun >/dev/null \
   || ! "$py" -c 'import mpi4py' 2>/dev/null; then
    echo "SKIPPED: no parallel (MPI) build of jaxon here (.venv-mpi with mpi4py, and mpirun);" \
         "scripts/setup-mpi.sh builds it (docs/many-processes.md)"
    exit 77
fi
# The sources may have changed since setup: reinstall incrementally (one at a time: np2 and
# np4 share build-mpi).
mkdir -p "$root/build-mpi"
flock "$root/build-mpi/.install.lock" env JAXON_HDF5_MPI=1 JAXON_VENV="$root/.venv-mpi" \
    JAXON_BUILD_DIR="$root/build-mpi" bash "$root/scripts/install-package.sh"
if ! "$py" -c 'import sys, jaxon._jaxon as j; sys.exit(0 if j._parallel else 1)' 2>/dev/null; then
    echo "SKIPPED: the jaxon in .venv-mpi is not built against parallel HDF5"
    exit 77
fi
cd "$root/tests/mpi"
JAXON_MPI_NP=$np exec "$py" -m pytest -q -p no:cacheprovider test_many_processes.py
