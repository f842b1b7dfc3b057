# The CPU targets the kernel tests build on this machine, and their flags.
# avx2 and avx512 kernels are compiled on every x86 build with GCC or Clang
# (unless MYOGEN_TEST_AVX2 / MYOGEN_TEST_AVX512 is OFF: the sanitizer build); the tests run each kernel
# only where its NAME_cpu_supported() says so and print the others as
# skipped.  neon kernels are cross-built and run under qemu (myogen_neon_test
# below).
option(MYOGEN_TEST_AVX2 "add the avx2 kernels to the test matrices" ON)
option(MYOGEN_TEST_AVX512 "add the avx512 kernels to the test matrices" ON)
set(MYOGEN_TEST_TARGETS c)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$"
   AND CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
  if(MYOGEN_TEST_AVX2)
    list(APPEND MYOGEN_TEST_TARGETS avx2)
  endif()
  if(MYOGEN_TEST_AVX512)
    list(APPEND MYOGEN_TEST_TARGETS avx512)
  endif()
endif()

# Targets whose kernel matrices are thinned: every shape and variant once
# (on one dtype, or one shape per variant) instead of twice.  avx512 and
# neon add ISA vocabularies to templates the full c and avx2 matrices test;
# the sanitizer build thins every target (CI minutes).
set(MYOGEN_TEST_THIN_TARGETS avx512 neon CACHE STRING
    "targets whose test kernel matrices hold every shape once instead of twice")
function(myogen_thin_matrix target out)
  if(target IN_LIST MYOGEN_TEST_THIN_TARGETS)
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()
# The dtypes shape number `index` is tested on: both, or for a thinned
# target f32 on even and f64 on odd numbers.
function(myogen_matrix_dtypes target index out)
  myogen_thin_matrix(${target} thin)
  math(EXPR odd "${index} % 2")
  if(NOT thin)
    set(${out} f32 f64 PARENT_SCOPE)
  elseif(odd)
    set(${out} f64 PARENT_SCOPE)
  else()
    set(${out} f32 PARENT_SCOPE)
  endif()
endfunction()

# The flags a kernel of `target` is compiled with (its file's #error names them).
function(myogen_isa_flags target out)
  if(target STREQUAL "avx2")
    set(${out} -mavx2 -mfma PARENT_SCOPE)
  elseif(target STREQUAL "avx512")
    set(${out} -mavx512f -mfma PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

# neon: kernels built by the AArch64 cross compiler and run under qemu-user,
# where Debian's gcc-aarch64-linux-gnu, qemu-user and libcunit1-dev:arm64 are
# installed (.ci/install-deps installs them).  MYOGEN_CROSS_TARGETS is then
# "neon": the kernel matrices add it, and myogen_neon_test builds and runs.
set(MYOGEN_CROSS_TARGETS "")
option(MYOGEN_NEON_TESTS "cross-build the neon kernels and run them under qemu-aarch64" ON)
if(MYOGEN_NEON_TESTS)
  find_program(AARCH64_CC aarch64-linux-gnu-gcc)
  find_program(QEMU_AARCH64 qemu-aarch64)
  find_file(AARCH64_CUNIT libcunit.a PATHS /usr/lib/aarch64-linux-gnu NO_DEFAULT_PATH)
  if(AARCH64_CC AND QEMU_AARCH64 AND AARCH64_CUNIT)
    set(MYOGEN_CROSS_TARGETS neon)
  else()
    message(STATUS "neon tests not built: they need aarch64-linux-gnu-gcc, qemu-aarch64 and "
                   "libcunit1-dev:arm64 (found: ${AARCH64_CC} ${QEMU_AARCH64} ${AARCH64_CUNIT})")
  endif()
endif()

# The kernel directory and source-list variable of a target: neon kernels
# go to PREFIX_NEON (cross-built), the others to PREFIX.
function(myogen_target_var target prefix dir out_dir out_var)
  if(target STREQUAL "neon")
    set(${out_dir} ${dir}_neon PARENT_SCOPE)
    set(${out_var} ${prefix}_NEON PARENT_SCOPE)
  else()
    set(${out_dir} ${dir} PARENT_SCOPE)
    set(${out_var} ${prefix} PARENT_SCOPE)
  endif()
endfunction()

# myogen_neon_test(NAME TEST DIR SOURCES...): compiles the test driver and
# kernels in SOURCES (.c; headers in DIR) with the cross compiler, one object
# per file, links them statically, and adds ctest TEST running it under qemu.
function(myogen_neon_test name test dir)
  set(objs "")
  file(GLOB registry ${dir}/*_test_kernels.h) # written at configure time
  foreach(src ${ARGN})
    if(NOT src MATCHES "\\.c$")
      continue()
    endif()
    get_filename_component(base ${src} NAME_WE)
    set(obj ${CMAKE_CURRENT_BINARY_DIR}/${name}_objs/${base}.o)
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/${name}_objs
      COMMAND ${AARCH64_CC} -O2 -std=gnu99 -Wall -Wextra -Werror -I${CMAKE_CURRENT_SOURCE_DIR}
              -I${dir} -c ${src} -o ${obj}
      DEPENDS ${src} ${ARGN} ${registry}
      COMMENT "aarch64-linux-gnu-gcc ${base}.c"
      VERBATIM)
    list(APPEND objs ${obj})
  endforeach()
  # the executable lives beside its objects: a file named like its target
  # is two rules for one path under Ninja
  set(exe ${CMAKE_CURRENT_BINARY_DIR}/${name}_objs/${name})
  add_custom_command(
    OUTPUT ${exe}
    COMMAND ${AARCH64_CC} -static -o ${exe} ${objs} ${AARCH64_CUNIT} -lm
    DEPENDS ${objs}
    COMMENT "linking ${name} (aarch64)"
    VERBATIM)
  add_custom_target(${name} ALL DEPENDS ${exe})
  add_test(NAME ${test} COMMAND ${QEMU_AARCH64} ${exe})
endfunction()
