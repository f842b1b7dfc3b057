# cmake --build build --target regenerate: rewrites every generated file the
# repository commits, from the myogen just built (after a template change):
#   generated/            the kernels of specs/ (a test fails on drift)
#   bench/opencl/kernels/ the GPU benchmarks' kernels (built where there is no
#                         myogen; see bench/opencl/kernels.cmake)
# myogen rewrites only files whose content changes.  Args: -DMYOGEN= -DSRC=
cmake_minimum_required(VERSION 3.20) # IN_LIST
file(GLOB specs ${SRC}/specs/*.lua)
set(names "")
foreach(spec ${specs})
  get_filename_component(name ${spec} NAME_WE)
  list(APPEND names ${name})
  execute_process(COMMAND ${MYOGEN} ${spec} -o ${SRC}/generated/${name}.c RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "myogen failed on ${spec}")
  endif()
endforeach()
file(GLOB files ${SRC}/generated/*)
foreach(f ${files}) # kernels whose spec is gone
  get_filename_component(n ${f} NAME_WE)
  if(NOT n IN_LIST names)
    file(REMOVE ${f})
    message(STATUS "removed ${f} (no spec ${n}.lua)")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -DMYOGEN=${MYOGEN} -DMODE=write
                        -P ${SRC}/bench/opencl/kernels.cmake RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "bench/opencl/kernels.cmake failed")
endif()
message(STATUS "generated/ and bench/opencl/kernels/ regenerated (git status shows what changed)")
