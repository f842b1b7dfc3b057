# Helpers of the cmake_package and cmake_subdirectory test scripts.

# run(COMMAND...): runs it, fails the test with its output unless it exits 0;
# its output is in ${last_output}
macro(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc OUTPUT_VARIABLE last_output
                  ERROR_VARIABLE last_output)
  if(NOT _rc EQUAL 0)
    string(REPLACE ";" " " _cmd "${ARGN}")
    message(FATAL_ERROR "failed (${_rc}): ${_cmd}\n${last_output}")
  endif()
endmacro()

# expect_output(REGEX): the last run's output matches REGEX
function(expect_output regex)
  if(NOT last_output MATCHES "${regex}")
    message(FATAL_ERROR "expected output matching '${regex}', got:\n${last_output}")
  endif()
endfunction()
