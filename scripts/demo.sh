#!/usr/bin/env bash
# The main job: set up and build whatever is missing, save and load the quick-start pytree,
# then show the file with h5dump running through the jaxon VOL connector (which validates
# the layout on open and prints the annotations it wrote).
set -euo pipefail
. "$(dirname "$0")/common.sh"
trap on_err ERR

"$JAXON_ROOT_DIR/scripts/setup.sh"

out="$JAXON_BUILD_DIR/demo"
mkdir -p "$out"
step "run examples/quickstart.py with the installed jaxon" "read the Python error above"
JAX_PLATFORMS=cpu "$JAXON_VENV/bin/python" "$JAXON_ROOT_DIR/examples/quickstart.py" "$out/quickstart.h5"

step "show the file with h5dump through the jaxon connector" "read the h5dump error above"
# The h5dump, plugin and libhdf5 that the installed package bundles.
plugins=$("$JAXON_VENV/bin/python" -c 'from jaxon import _paths; print(_paths.plugin_dir())')
h5dump=$("$JAXON_VENV/bin/python" -c 'from jaxon import _paths; print(_paths.hdf5_bin("h5dump"))')
echo
echo "\$ HDF5_PLUGIN_PATH=$plugins HDF5_VOL_CONNECTOR='jaxon under_vol=0;under_info={}' $h5dump $out/quickstart.h5"
HDF5_PLUGIN_PATH="$plugins" HDF5_VOL_CONNECTOR="jaxon under_vol=0;under_info={}" \
    "$h5dump" "$out/quickstart.h5"
