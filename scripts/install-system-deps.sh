#!/usr/bin/env bash
# Installs the Debian packages the build needs, only those that are missing.
set -euo pipefail
. "$(dirname "$0")/common.sh"
trap on_err ERR

# clang-14 + libclang-rt-14-dev: libFuzzer (-fsanitize=fuzzer) for the fuzz targets (fuzz/);
# patch: our HDF5 patches (patches/hdf5/) applied by build-hdf5.sh.
needed=(gcc g++ make zlib1g-dev dpkg-dev pkg-config patch clang-14 libclang-rt-14-dev)
missing=()
for p in "${needed[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    step "install Debian packages: ${missing[*]}" "apt-get update && apt-get install -y ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v python3 >/dev/null; then
    step "install python3" "apt-get install -y python3 python3-venv python3-dev"
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3 python3-venv python3-dev >/dev/null
fi
