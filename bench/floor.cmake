# jaxon-floor: the bare C program issuing the layout's HDF5 calls (bench/floor.c).
add_executable(jaxon-floor "${CMAKE_CURRENT_LIST_DIR}/floor.c")
target_link_libraries(jaxon-floor PRIVATE hdf5-shared)
set_target_properties(jaxon-floor PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bin")

# The benchmark never rots: its --quick mode runs in the test suite (label "bench"). Not in
# the sanitizer build: its contenders import jax, which cannot run with libasan preloaded,
# and timings there mean nothing.
if(BUILD_TESTING AND JAXON_BUILD_PYTHON AND NOT JAXON_SANITIZE)
  add_test(NAME bench.quick
           COMMAND ${Python_EXECUTABLE} "${CMAKE_CURRENT_LIST_DIR}/run.py" --quick
                   --out "${CMAKE_BINARY_DIR}/bench-quick.md")
  set_tests_properties(bench.quick PROPERTIES
    ENVIRONMENT "JAXON_BUILD_DIR=${CMAKE_BINARY_DIR}" LABELS "bench" TIMEOUT 600)
endif()
