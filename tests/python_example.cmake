# examples/python: the numpy + ctypes binding trains a Myo layer through a
# generated kernel's forward and backward (gradient check, then a falling loss).
# Skipped (exit 77) when the interpreter has no numpy; not added without Python 3.
# Prefer the system interpreter (Debian's python3-numpy) over one earlier on PATH.
if(NOT DEFINED Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
  set(Python3_EXECUTABLE /usr/bin/python3)
endif()
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME python_example
           COMMAND ${CMAKE_COMMAND} -E env CC=${CMAKE_C_COMPILER}
                   ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/examples/python/train.py $<TARGET_FILE:myogen>)
  set_tests_properties(python_example PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
else()
  message(STATUS "python_example: no Python 3 interpreter, test not added")
endif()
