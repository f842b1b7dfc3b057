# MYOGEN_SANITIZE=ON (root CMakeLists.txt): myogen, the test programs and
# the kernels compiled into them carry -fsanitize=address,undefined with
# -fno-sanitize-recover=undefined (any UBSan report fails the test); kernels
# built outside CMake get the same flags through MYOGEN_TEST_CC (examples,
# the drift check, python) or myogen's compiled-in MYOGEN_TUNE_CFLAGS
# default (myogen tune).  Here: the run-time options of every test.
#
#   cmake -S . -B build-asan -DMYOGEN_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
#   cmake --build build-asan -j2 && ctest --test-dir build-asan --output-on-failure
#
# LeakSanitizer is on (a leak fails the test); tests/sanitize/lsan.supp
# names the leaks that are not ours (system libraries).
get_property(all_tests DIRECTORY PROPERTY TESTS)
set(supp ${CMAKE_CURRENT_SOURCE_DIR}/sanitize/lsan.supp)
set_property(TEST ${all_tests} APPEND PROPERTY ENVIRONMENT
  "ASAN_OPTIONS=detect_leaks=1:check_initialization_order=1:strict_init_order=1"
  "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
  "LSAN_OPTIONS=suppressions=${supp}:print_suppressions=0")

# `myogen tune` builds its variants with $CC or cc and loads them into
# itself: the compiler must be the one whose ASan runtime myogen carries.
foreach(t ${all_tests})
  if(t MATCHES "^tune\\.")
    set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT "CC=${CMAKE_C_COMPILER}")
  endif()
endforeach()

# The generated test kernels are most of the build, and ASan + UBSan with
# debug info makes their compile ~9x slower than a plain one (-g0: ~5x).
# Their reports still name the kernel function and the test's frames (with
# lines); MYOGEN_SANITIZE_KERNEL_DEBUG=ON keeps the kernels' debug info.
option(MYOGEN_SANITIZE_KERNEL_DEBUG "debug info for the generated test kernels (MYOGEN_SANITIZE)" OFF)
if(NOT MYOGEN_SANITIZE_KERNEL_DEBUG)
  get_property(targets DIRECTORY PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t ${targets})
    get_target_property(type ${t} TYPE)
    if(NOT type STREQUAL "EXECUTABLE")
      continue()
    endif()
    get_target_property(srcs ${t} SOURCES)
    foreach(s ${srcs})
      if(s MATCHES "^${CMAKE_CURRENT_BINARY_DIR}/.*\\.c$")
        set_property(SOURCE ${s} APPEND PROPERTY COMPILE_OPTIONS -g0)
      endif()
    endforeach()
  endforeach()
endif()
