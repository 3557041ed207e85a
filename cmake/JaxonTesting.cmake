# jaxon_add_c_test(<name> SOURCES <files…> [LIBS <targets…>] [ENV <VAR=value…>] [LABELS <l…>])
# Builds one executable per C unit and registers it with CTest under "c.<name>", with
# HDF5_PLUGIN_PATH pointing at the freshly built connector plugin.
function(jaxon_add_c_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;ENV;LABELS" ${ARGN})
  add_executable(test_${name} ${T_SOURCES})
  target_include_directories(test_${name} PRIVATE "${PROJECT_SOURCE_DIR}/tests/c")
  target_link_libraries(test_${name} PRIVATE hdf5-shared ${T_LIBS})
  jaxon_target_defaults(test_${name})
  add_test(NAME c.${name} COMMAND test_${name})
  set_tests_properties(c.${name} PROPERTIES
    ENVIRONMENT "HDF5_PLUGIN_PATH=${JAXON_PLUGIN_DIR};JAXON_H5DUMP=${JAXON_H5DUMP};JAXON_TEST_TMP=${CMAKE_BINARY_DIR}/test-tmp;${T_ENV}"
    LABELS "c;${T_LABELS}"
    TIMEOUT 120)
endfunction()
