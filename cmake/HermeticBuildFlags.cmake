# hermetic_build_flags: the one place for warnings and hardening flags.
# hermetic_sanitize: sanitizer flags (HERMETIC_SANITIZE), linked only into
# targets that never get preloaded into foreign programs (core, CLI, tests).

add_library(hermetic_build_flags INTERFACE)
target_compile_options(hermetic_build_flags INTERFACE
  -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wmissing-declarations -Wformat=2 -Wformat-security -Wformat-nonliteral
  -Wpointer-arith -Wimplicit-fallthrough -Wundef -Wswitch-default -Wvla
  # Designated initialisers that leave fields zero are idiomatic here.
  -Wno-missing-field-initializers
  -fstack-protector-strong)
target_compile_definitions(hermetic_build_flags INTERFACE _GNU_SOURCE)

add_library(hermetic_sanitize INTERFACE)
if(HERMETIC_SANITIZE)
  list(JOIN HERMETIC_SANITIZE "," _hm_san)
  target_compile_options(hermetic_sanitize INTERFACE
    -fsanitize=${_hm_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(hermetic_sanitize INTERFACE -fsanitize=${_hm_san})
endif()

# Apply the house defaults to a target.
function(hermetic_target_defaults tgt)
  set_target_properties(${tgt} PROPERTIES
    C_VISIBILITY_PRESET hidden
    COMPILE_WARNING_AS_ERROR ON)
  # BUILD_INTERFACE: the flags are ours; an exported static core must
  # not carry them (or the interface target) to find_package users.
  target_link_libraries(${tgt} PRIVATE $<BUILD_INTERFACE:hermetic_build_flags>)
endfunction()
