#!/usr/bin/env bash
# Builds HDF5 from Debian's source package ($JAXON_HDF5_SUITE, trixie by default) into a
# per-version cache directory, with our patches (patches/hdf5/*.patch) applied on top.
#
# Debian 12 ships HDF5 1.10, which lacks the stable VOL API, and newer suites' binaries need a
# newer libc, so we compile the *source* package. The source comes through a private apt
# configuration (own lists and source list) whose deb-src entry reuses the mirror URI already
# configured on this machine, with only the suite changed. A build is taken as usable only when
# its ".complete" marker exists; anything else in the prefix is discarded and rebuilt.
set -euo pipefail
. "$(dirname "$0")/common.sh"
trap on_err ERR

CMAKE=${CMAKE:-cmake}
marker="$JAXON_HDF5_PREFIX/.complete"
if [ -f "$marker" ]; then
    exit 0
fi
# One build at a time per cache (setup.sh, and pip install running CMake, may race): the
# second waits for the first and then finds its marker.
mkdir -p "$JAXON_CACHE_DIR"
exec 9>"$JAXON_CACHE_DIR/hdf5-$JAXON_HDF5_VERSION$jaxon_hdf5_variant.lock"
flock 9
if [ -f "$marker" ]; then
    exit 0
fi

step "check the tools the HDF5 build needs" "install them (scripts/install-system-deps.sh), then run the same command again"
for tool in apt-get dpkg-source "$CMAKE" make cc; do
    command -v "$tool" >/dev/null || die "$tool is missing (Debian packages: apt, dpkg-dev, make, gcc; CMake from pip or Debian)"
done
[ -f /usr/include/zlib.h ] || die "zlib's header is missing (Debian package zlib1g-dev)"

work="$JAXON_CACHE_DIR/work-hdf5-$JAXON_HDF5_VERSION$jaxon_hdf5_patch_tag$jaxon_hdf5_variant"
aptdir="$JAXON_CACHE_DIR/apt-$JAXON_HDF5_SUITE"
upstream=${JAXON_HDF5_VERSION%-*}      # 1.14.5+repack
upstream=${upstream#*:}

step "find the Debian mirror configured on this machine" \
     "check /etc/apt/sources.list(.d) has a Debian 'deb' entry"
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822: the first URIs line of a stanza whose Suites name a Debian release.
    mirror=$(awk '/^URIs:/{u=$2} /^Suites:/{ if ($0 ~ /bookworm|trixie|bullseye|stable/ && u ~ /debian\/?$/) {print u; exit} }' "$f")
    [ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
    mirror=$(awk '$1=="deb" && $2 !~ /^\[/ && $2 ~ /debian\/?$/ {print $2; exit} $1=="deb" && $2 ~ /^\[/ && $3 ~ /debian\/?$/ {print $3; exit}' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || die "no Debian mirror URI found in the apt sources"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || die "missing $keyring (install debian-archive-keyring)"

step "fetch the hdf5 $JAXON_HDF5_VERSION source package ($JAXON_HDF5_SUITE)" \
     "check network access to the Debian mirror, then run the same command again"
rm -rf "$work"
mkdir -p "$work/src" "$aptdir/lists/partial" "$aptdir/parts" "$aptdir/cache/archives/partial"
echo "deb-src [signed-by=$keyring] $mirror $JAXON_HDF5_SUITE main" > "$aptdir/sources.list"
aptopts=(-o "Dir::Etc::sourcelist=$aptdir/sources.list" -o "Dir::Etc::sourceparts=$aptdir/parts"
         -o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache=$aptdir/cache"
         -o "APT::Get::List-Cleanup=0" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
apt-get "${aptopts[@]}" -qq update
(cd "$work/src" && apt-get "${aptopts[@]}" -qq source --download-only "hdf5=$JAXON_HDF5_VERSION")

step "verify the source files against the checksums in the .dsc" \
     "delete $work and run the same command again"
dsc="$work/src/hdf5_${JAXON_HDF5_VERSION}.dsc"
[ -f "$dsc" ] || die "the .dsc file was not downloaded"
n=0
while read -r sum size name; do
    [ -n "$name" ] || continue
    [ -f "$work/src/$name" ] || die "missing $name"
    actual=$(sha256sum "$work/src/$name" | cut -d' ' -f1)
    [ "$actual" = "$sum" ] || die "checksum mismatch for $name"
    n=$((n + 1))
done < <(awk '/^Checksums-Sha256:/{f=1; next} /^[^ ]/{f=0} f{print $1, $2, $3}' "$dsc")
[ "$n" -ge 2 ] || die "the .dsc lists no SHA-256 checksums"

step "unpack the source package" "delete $work and run the same command again"
(cd "$work" && dpkg-source --no-check -x "$dsc" hdf5 >/dev/null)
if [ -n "$jaxon_hdf5_patch_tag" ]; then
    for p in "$JAXON_HDF5_PATCHES"/*.patch; do
        step "apply $(basename "$p")" "the patch no longer applies to $JAXON_HDF5_VERSION: refresh it"
        patch -d "$work/hdf5" -p1 --forward --quiet < "$p" || die "patch $p failed"
    done
fi

# The parallel variant: compiled by Open MPI's wrapper, MPI-IO driver on. It stays thread-safe
# (HDF5's CMake calls parallel + thread-safe "unsupported", hence ALLOW_UNSUPPORTED, which the
# serial build already needs for HL + thread-safe): the extension releases the GIL around HDF5
# calls, so two Python threads may call into HDF5; the global lock serialises them.
variant_args=()
if [ "$JAXON_HDF5_MPI" = 1 ]; then
    command -v mpicc >/dev/null || die "mpicc is missing (Debian packages libopenmpi-dev openmpi-bin)"
    variant_args=(-DCMAKE_C_COMPILER=mpicc -DHDF5_ENABLE_PARALLEL=ON)
fi

step "configure HDF5 with CMake" "see the CMake output above, then run the same command again"
rm -rf "$JAXON_HDF5_PREFIX"
"$CMAKE" -S "$work/hdf5" -B "$work/build" -G "Unix Makefiles" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$JAXON_HDF5_PREFIX" \
    -DBUILD_SHARED_LIBS=ON -DBUILD_STATIC_LIBS=OFF \
    -DHDF5_ENABLE_THREADSAFE=ON -DHDF5_BUILD_HL_LIB=ON -DALLOW_UNSUPPORTED=ON \
    -DHDF5_BUILD_TOOLS=ON -DHDF5_ENABLE_Z_LIB_SUPPORT=ON -DHDF5_ENABLE_SZIP_SUPPORT=OFF \
    -DHDF5_BUILD_CPP_LIB=OFF -DHDF5_BUILD_FORTRAN=OFF -DHDF5_BUILD_JAVA=OFF \
    -DHDF5_BUILD_EXAMPLES=OFF -DBUILD_TESTING=OFF -DHDF5_BUILD_DOC=OFF \
    -DHDF5_ENABLE_PLUGIN_SUPPORT=OFF "${variant_args[@]}" >"$work/configure.log" 2>&1 \
    || { tail -n 40 "$work/configure.log" >&2; die "CMake configure failed (log: $work/configure.log)"; }

step "compile HDF5 (about 2 minutes)" "see $work/build.log, then run the same command again"
"$CMAKE" --build "$work/build" -j "$JAXON_JOBS" >"$work/build.log" 2>&1 \
    || { tail -n 40 "$work/build.log" >&2; die "compilation failed (log: $work/build.log)"; }

step "install HDF5 into $JAXON_HDF5_PREFIX" "run the same command again"
"$CMAKE" --install "$work/build" >"$work/install.log" 2>&1 \
    || { tail -n 20 "$work/install.log" >&2; die "install failed (log: $work/install.log)"; }
"$JAXON_HDF5_PREFIX/bin/h5dump" --version >/dev/null || die "the installed h5dump does not run"
printf '%s\n' "$JAXON_HDF5_VERSION" > "$marker"
rm -rf "$work"
