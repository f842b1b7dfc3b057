# Run by the cuda_compile test (tests/cuda_kernels.cmake): each line of LIST
# is a spec and its -D overrides; myogen writes it with target "cuda" into
# WORK, nvcc compiles it (sm_90, warnings as errors).  Every failure is
# reported, then the test fails.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(STRINGS ${LIST} lines)
set(failed "")
set(count 0)
foreach(line ${lines})
  separate_arguments(words UNIX_COMMAND "${line}")
  list(POP_FRONT words spec)
  set(defs "")
  set(name "")
  foreach(w ${words})
    list(APPEND defs -D ${w})
    if(w MATCHES "^name=(.*)$")
      set(name ${CMAKE_MATCH_1})
    endif()
  endforeach()
  execute_process(COMMAND ${MYOGEN} ${spec} -o ${WORK}/${name}.cu ${defs} -D target=cuda
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    list(APPEND failed "${name}: myogen: ${err}")
    continue()
  endif()
  execute_process(COMMAND ${NVCC} -O2 -arch=sm_90 -Werror all-warnings -c ${WORK}/${name}.cu
                          -o ${WORK}/${name}.o
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    list(APPEND failed "${name}: nvcc: ${out}${err}")
  endif()
  math(EXPR count "${count} + 1")
endforeach()
if(failed)
  string(REPLACE ";" "\n" failed "${failed}")
  message(FATAL_ERROR "CUDA compile check: failures:\n${failed}")
endif()
message(STATUS "CUDA compile check: ${count} kernels generated and compiled")
