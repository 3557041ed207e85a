# HDF5 >= 1.14 (the stable VOL API), as CMake's imported target hdf5-shared, found in this order:
#   1. HDF5_DIR, hdf5_DIR or HDF5_ROOT (a CMake variable, else the environment): an HDF5 install
#      prefix or the directory holding hdf5-config.cmake; nothing else is tried then;
#   2. find_package(hdf5 1.14 CONFIG) on CMake's usual search path (CMAKE_PREFIX_PATH, PATH ...);
#   3. the project's cache, ${JAXON_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/jaxon}/hdf5-<version>-jx<patches>,
#      as scripts/build-hdf5.sh leaves it (scripts/hdf5-prefix.sh prints it);
#   4. otherwise scripts/build-hdf5.sh builds it there (once: every later build finds it in 3).
# Sets JAXON_HDF5_PREFIX, JAXON_H5DUMP, and JAXON_HDF5_BUNDLE_LIBS / JAXON_HDF5_BUNDLE_TOOLS: the
# real files of libhdf5, libhdf5_tools, h5dump, h5ls, h5stat and h5diff that the Python package ships
# (libraries under their SONAME, see jaxon_hdf5_bundle_name).

if(DEFINED ENV{JAXON_CACHE_DIR} AND NOT "$ENV{JAXON_CACHE_DIR}" STREQUAL "")
  set(_jaxon_cache "$ENV{JAXON_CACHE_DIR}")
elseif(DEFINED ENV{XDG_CACHE_HOME} AND NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
  set(_jaxon_cache "$ENV{XDG_CACHE_HOME}/jaxon")
else()
  set(_jaxon_cache "$ENV{HOME}/.cache/jaxon")
endif()
# The cache prefix carries the version, the suite and a hash of patches/hdf5: scripts/common.sh
# computes it, and CMake asks it rather than computing it a second time.
find_program(JAXON_BASH bash)
execute_process(
  COMMAND "${CMAKE_COMMAND}" -E env "JAXON_CACHE_DIR=${_jaxon_cache}"
          "${JAXON_BASH}" "${PROJECT_SOURCE_DIR}/scripts/hdf5-prefix.sh"
  OUTPUT_VARIABLE JAXON_HDF5_CACHE_PREFIX OUTPUT_STRIP_TRAILING_WHITESPACE
  RESULT_VARIABLE _jaxon_rc)
if(NOT _jaxon_rc EQUAL 0 OR JAXON_HDF5_CACHE_PREFIX STREQUAL "")
  message(FATAL_ERROR "scripts/hdf5-prefix.sh failed (exit ${_jaxon_rc}): bash is needed")
endif()
get_filename_component(JAXON_HDF5_BUILD_VERSION "${JAXON_HDF5_CACHE_PREFIX}" NAME)

set(_jaxon_hints "")
foreach(var IN ITEMS HDF5_DIR hdf5_DIR HDF5_ROOT hdf5_ROOT)
  if(DEFINED ${var} AND NOT "${${var}}" STREQUAL "" AND NOT "${${var}}" MATCHES "NOTFOUND$")
    list(APPEND _jaxon_hints "${${var}}")
  elseif(DEFINED ENV{${var}} AND NOT "$ENV{${var}}" STREQUAL "")
    list(APPEND _jaxon_hints "$ENV{${var}}")
  endif()
endforeach()

if(_jaxon_hints)
  # A prefix or a config directory; find_package searches <prefix>/cmake and the other
  # usual places under each hint.
  unset(hdf5_DIR CACHE)
  find_package(hdf5 1.14 CONFIG HINTS ${_jaxon_hints} NO_DEFAULT_PATH)
  if(NOT hdf5_FOUND)
    message(FATAL_ERROR "HDF5 >= 1.14 with its CMake package (hdf5-config.cmake) was not found "
      "under ${_jaxon_hints} (from HDF5_DIR, hdf5_DIR or HDF5_ROOT). Point it at an HDF5 1.14 "
      "install prefix, or unset it to use or build the project's own HDF5 in "
      "${JAXON_HDF5_CACHE_PREFIX}.")
  endif()
else()
  find_package(hdf5 1.14 CONFIG QUIET)
  if(NOT hdf5_FOUND)
    if(NOT EXISTS "${JAXON_HDF5_CACHE_PREFIX}/.complete")
      find_program(JAXON_APT_GET apt-get)
      find_program(JAXON_DPKG_SOURCE dpkg-source)
      if(NOT JAXON_BASH OR NOT JAXON_APT_GET OR NOT JAXON_DPKG_SOURCE)
        message(FATAL_ERROR "HDF5 >= 1.14 was not found, and it cannot be built here: "
          "scripts/build-hdf5.sh builds it from Debian's source package and needs bash, "
          "apt-get and dpkg-source (Debian's dpkg-dev). Set HDF5_DIR to the install prefix "
          "of an HDF5 1.14 built with CMake (shared libraries and tools), or run this on "
          "Debian with dpkg-dev installed.")
      endif()
      message(STATUS "HDF5 >= 1.14 not found: building HDF5 ${JAXON_HDF5_BUILD_VERSION} "
                     "into ${JAXON_HDF5_CACHE_PREFIX} with scripts/build-hdf5.sh (once, a few minutes)")
      execute_process(
        COMMAND "${CMAKE_COMMAND}" -E env "CMAKE=${CMAKE_COMMAND}" "JAXON_CACHE_DIR=${_jaxon_cache}"
                "${JAXON_BASH}" "${PROJECT_SOURCE_DIR}/scripts/build-hdf5.sh"
        RESULT_VARIABLE _jaxon_rc)
      if(NOT _jaxon_rc EQUAL 0)
        message(FATAL_ERROR "scripts/build-hdf5.sh failed (exit ${_jaxon_rc}); its output above "
          "names the step. Alternatively set HDF5_DIR to an HDF5 >= 1.14 install prefix.")
      endif()
    endif()
    unset(hdf5_DIR CACHE)
    find_package(hdf5 1.14 CONFIG REQUIRED PATHS "${JAXON_HDF5_CACHE_PREFIX}" NO_DEFAULT_PATH)
  endif()
endif()
if(NOT TARGET hdf5-shared)
  message(FATAL_ERROR "HDF5 was found (${hdf5_DIR}) but without the shared library target 'hdf5-shared'")
endif()

# The file an imported target stands for, with symlinks resolved, into out.
function(jaxon_imported_file target out)
  set(loc "")
  foreach(config IN ITEMS RELEASE RELWITHDEBINFO MINSIZEREL NOCONFIG DEBUG)
    get_target_property(loc ${target} IMPORTED_LOCATION_${config})
    if(loc)
      break()
    endif()
  endforeach()
  if(NOT loc)
    get_target_property(loc ${target} IMPORTED_LOCATION)
  endif()
  if(loc)
    file(REAL_PATH "${loc}" loc)
  endif()
  set(${out} "${loc}" PARENT_SCOPE)
endfunction()

# The name a bundled file has inside the package: a library's SONAME (what the programs that
# link it look for), a program's own name.
function(jaxon_hdf5_bundle_name path out)
  get_filename_component(name "${path}" NAME)
  if(name MATCHES "^(lib[^.]+\\.so\\.[0-9]+)")
    set(name "${CMAKE_MATCH_1}")
  endif()
  set(${out} "${name}" PARENT_SCOPE)
endfunction()

jaxon_imported_file(hdf5-shared JAXON_HDF5_LIBRARY)
get_filename_component(JAXON_HDF5_LIBDIR "${JAXON_HDF5_LIBRARY}" DIRECTORY)
get_filename_component(JAXON_HDF5_PREFIX "${JAXON_HDF5_LIBDIR}" DIRECTORY)
message(STATUS "HDF5 ${hdf5_VERSION}: ${JAXON_HDF5_PREFIX}")

set(JAXON_HDF5_BUNDLE_LIBS "${JAXON_HDF5_LIBRARY}")
set(JAXON_HDF5_BUNDLE_TOOLS "")
if(TARGET hdf5_tools-shared)
  jaxon_imported_file(hdf5_tools-shared lib)
  list(APPEND JAXON_HDF5_BUNDLE_LIBS "${lib}")
endif()
foreach(tool IN ITEMS h5dump h5ls h5stat h5diff)
  set(path "")
  if(TARGET ${tool})
    jaxon_imported_file(${tool} path)
  elseif(EXISTS "${JAXON_HDF5_PREFIX}/bin/${tool}")
    file(REAL_PATH "${JAXON_HDF5_PREFIX}/bin/${tool}" path)
  endif()
  if(path)
    list(APPEND JAXON_HDF5_BUNDLE_TOOLS "${path}")
  else()
    message(WARNING "HDF5 in ${JAXON_HDF5_PREFIX} has no ${tool}: the package will not bundle it")
  endif()
endforeach()
set(JAXON_H5DUMP "${JAXON_HDF5_PREFIX}/bin/h5dump")

# Bundled, HDF5's libraries and tools must find each other inside the package: their run
# paths must be relative to $ORIGIN (HDF5's own CMake install sets $ORIGIN/../lib). A wheel
# is refused otherwise rather than shipped working only while that HDF5 stays where it is.
foreach(path IN LISTS JAXON_HDF5_BUNDLE_LIBS JAXON_HDF5_BUNDLE_TOOLS)
  file(READ_ELF "${path}" RUNPATH runpath RPATH rpath CAPTURE_ERROR err)
  string(REPLACE ":" ";" dirs "${runpath}:${rpath}")
  foreach(dir IN LISTS dirs)
    if(dir AND NOT dir MATCHES "^[$]ORIGIN")
      if(SKBUILD)
        message(FATAL_ERROR "${path} has the run path ${dir}: bundled into the package, it "
          "needs run paths relative to $ORIGIN only")
      endif()
      message(WARNING "${path} has the run path ${dir}: a package installed from this build "
        "would depend on that directory")
    endif()
  endforeach()
endforeach()
