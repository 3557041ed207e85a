# jaxon_add_c_test(<name> SOURCES <files…> [LIBS <targets…>] [ENV <VAR=value…>] [LABELS <l…>])
# Builds one executable per C unit and registers it with CTest under "c.<name>", with
# HDF5_PLUGIN_PATH pointing at the freshly built connector plugin.
#
# Each ENV argument is one variable and may contain ';', as info strings do:
#   ENV "HDF5_VOL_CONNECTOR=jaxon under_vol=0;under_info={}" "OTHER=1"
# The PARSE_ARGV form keeps every argument whole, and each ';' inside a value is escaped
# before it goes into the ENVIRONMENT property (itself a ';'-separated list).
function(jaxon_add_c_test name)
  cmake_parse_arguments(PARSE_ARGV 1 T "" "" "SOURCES;LIBS;ENV;LABELS")
  add_executable(test_${name} ${T_SOURCES})
  target_include_directories(test_${name} PRIVATE "${PROJECT_SOURCE_DIR}/tests/c")
  target_link_libraries(test_${name} PRIVATE hdf5-shared ${T_LIBS})
  jaxon_target_defaults(test_${name})
  add_test(NAME c.${name} COMMAND test_${name})
  set(env
    "HDF5_PLUGIN_PATH=${JAXON_PLUGIN_DIR}"
    "JAXON_H5DUMP=${JAXON_H5DUMP}"
    "JAXON_TEST_TMP=${CMAKE_BINARY_DIR}/test-tmp")
  # The installed h5dump is not instrumented: in sanitizer builds the tests that run it
  # preload the ASan runtime so that our instrumented plugin can load into it.
  if(JAXON_SANITIZE AND CMAKE_C_COMPILER_ID STREQUAL "GNU")
    execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so
                    OUTPUT_VARIABLE asan_rt OUTPUT_STRIP_TRAILING_WHITESPACE)
    list(APPEND env "JAXON_H5DUMP_PRELOAD=${asan_rt}")
  endif()
  foreach(item IN LISTS T_ENV)
    string(REPLACE ";" "\\;" item "${item}")
    list(APPEND env "${item}")
  endforeach()
  set_tests_properties(c.${name} PROPERTIES
    ENVIRONMENT "${env}"
    LABELS "c;${T_LABELS}"
    TIMEOUT 120)
endfunction()
