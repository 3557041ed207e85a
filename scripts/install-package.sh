#!/usr/bin/env bash
# Installs this repository's jaxon into .venv ($JAXON_PYTHON's environment if set) as a user
# gets it: pip wheel builds the wheel (scikit-build-core; the plugin, jaxon-validate and
# libhdf5 inside) into $JAXON_BUILD_DIR/pip/dist, where the install tests find it, and pip
# installs it; no build isolation or dependencies, since .venv has the pinned ones.
# Incremental: the package's CMake build stays in $JAXON_BUILD_DIR/pip/build, and nothing
# runs when the package's sources, the interpreter and the HDF5 build are those of the last
# install (a stamp of their hashes). scripts/setup.sh runs it, and so does CTest before any
# Python test (fixture py.install): the tests never run a package older than the sources.
set -euo pipefail
. "$(dirname "$0")/common.sh"
trap on_err ERR

py=${JAXON_PYTHON:-$JAXON_VENV/bin/python}  # CTest passes the interpreter it tests with
builddir="$JAXON_BUILD_DIR/pip"
stamp="$builddir/.jaxon-installed"
# Everything the wheel is built from (pyproject.toml's sdist minus tests, docs, benchmarks).
want=$(
    cd "$JAXON_ROOT_DIR"
    find CMakeLists.txt pyproject.toml README.md cmake include layout pybridge vol \
         scripts/common.sh scripts/build-hdf5.sh -type f ! -name '*.pyc' -print0 \
        | LC_ALL=C sort -z | xargs -0 sha256sum
    echo "$py $JAXON_HDF5_PREFIX $(cat "$JAXON_HDF5_PREFIX/.complete" 2>/dev/null)"
)
want=$(printf '%s\n' "$want" | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && compgen -G "$builddir/dist/*.whl" >/dev/null \
   && (cd / && "$py" -I -c 'import jaxon' 2>/dev/null); then
    exit 0
fi

step "install the jaxon package for $py (pip install, build in $builddir)" \
     "fix the error shown above, then run the same command again"
rm -rf "$stamp" "$builddir/dist"
mkdir -p "$builddir"
"$py" -m pip wheel -q --disable-pip-version-check --no-build-isolation --no-deps \
    -Cbuild-dir="$builddir/build" -Ccmake.define.HDF5_DIR="$JAXON_HDF5_PREFIX" \
    -w "$builddir/dist" "$JAXON_ROOT_DIR" 2>&1 | { grep -v "^WARNING: Location" || true; }
"$py" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall \
    "$builddir"/dist/*.whl 2>&1 | { grep -v "^WARNING: Location" || true; }
(cd / && "$py" -I -c 'import jaxon') || die "the installed jaxon does not import"
printf '%s\n' "$want" > "$stamp"
