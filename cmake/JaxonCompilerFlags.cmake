# Warning and sanitizer settings, applied per target through jaxon_target_defaults().

add_library(jaxon_compile_options INTERFACE)
target_compile_options(jaxon_compile_options INTERFACE
  -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith
  -Wcast-qual -Wformat=2 -Wundef -Wnull-dereference -Wdouble-promotion
  -Wvla -Wimplicit-fallthrough -Wno-unused-parameter
  $<$<BOOL:${JAXON_WERROR}>:-Werror>)

if(JAXON_SANITIZE)
  # Applied globally so that every object, test and the extension share one runtime.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# Every project target links this to get the strict warning set.
function(jaxon_target_defaults target)
  target_link_libraries(${target} PRIVATE jaxon_compile_options)
endfunction()
