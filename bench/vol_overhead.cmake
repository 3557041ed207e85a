# bench_vol_overhead, included from bench/CMakeLists.txt (or from any CMakeLists.txt of a build
# without add_subdirectory(bench)); defines the target once.
if(TARGET jaxon_vol AND TARGET jaxon_layout AND NOT TARGET bench_vol_overhead)
  add_executable(bench_vol_overhead "${CMAKE_CURRENT_LIST_DIR}/vol_overhead.c")
  target_link_libraries(bench_vol_overhead PRIVATE hdf5-shared jaxon_layout)
  target_include_directories(bench_vol_overhead PRIVATE "${PROJECT_SOURCE_DIR}/layout")
  target_compile_definitions(bench_vol_overhead PRIVATE JAXON_PLUGIN_DIR="${JAXON_PLUGIN_DIR}")
  jaxon_target_defaults(bench_vol_overhead)
  set_target_properties(bench_vol_overhead PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bin")
  # The plugin is loaded at run time, never linked.
  add_dependencies(bench_vol_overhead jaxon_vol)

  # The benchmark never rots: its --quick mode runs in the test suite (label "bench").
  if(BUILD_TESTING)
    add_test(NAME bench.vol_overhead_quick
             COMMAND bench_vol_overhead --quick --dir "${CMAKE_BINARY_DIR}/test-tmp")
    set_tests_properties(bench.vol_overhead_quick PROPERTIES
      ENVIRONMENT "HDF5_PLUGIN_PATH=${JAXON_PLUGIN_DIR}" LABELS "bench" TIMEOUT 300)
  endif()
endif()
