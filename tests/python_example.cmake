# examples/python/numpy_example.py: myogen.compile (python/, numpy only) trains
# a Myo layer through a generated kernel's forward and backward (gradient
# check, then a falling loss).  Skipped (exit 77) when the interpreter has no
# numpy; not added without Python 3.  The torch example is in python.cmake.
# Prefer the system interpreter (Debian's python3-numpy) over one earlier on PATH.
if(NOT DEFINED Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
  set(Python3_EXECUTABLE /usr/bin/python3)
endif()
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  # MYOGEN_SANITIZE: the kernel is instrumented and loaded into an
  # uninstrumented python, so the ASan runtime is preloaded (gcc's shared
  # one; clang links its runtime statically into myogen, so there the kernel
  # is built plain).  Python's own allocations are not leak-checked.
  set(py_env "CC=${MYOGEN_TEST_CC}" PYTHONDONTWRITEBYTECODE=1
             PYTHONPATH=${PROJECT_SOURCE_DIR}/python MYOGEN=$<TARGET_FILE:myogen>
             MYOGEN_CACHE=${CMAKE_BINARY_DIR}/python-example-cache)
  if(MYOGEN_SANITIZE)
    set(asan_rt "")
    if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
      execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so
                      OUTPUT_VARIABLE asan_rt OUTPUT_STRIP_TRAILING_WHITESPACE)
    endif()
    if(asan_rt AND EXISTS "${asan_rt}")
      list(APPEND py_env "LD_PRELOAD=${asan_rt}" "ASAN_OPTIONS=detect_leaks=0")
    else()
      list(REMOVE_AT py_env 0) # the instrumented CC entry
      list(INSERT py_env 0 "CC=${CMAKE_C_COMPILER}")
      message(STATUS "python_example: no shared ASan runtime to preload: kernel built plain")
    endif()
  endif()
  add_test(NAME python_example
           COMMAND ${CMAKE_COMMAND} -E env ${py_env}
                   ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/examples/python/numpy_example.py)
  set_tests_properties(python_example PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
else()
  message(STATUS "python_example: no Python 3 interpreter, test not added")
endif()
