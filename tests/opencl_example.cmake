# ctest script: examples/opencl builds with make and cc against the OpenCL
# headers and loader alone, from generated/ and the runtime pair as
# `myogen --emit-runtime` writes it, then runs (ctest skips it when the
# program finds no OpenCL device: it prints "SKIP: no OpenCL device").
# Args: -DMYOGEN= -DMAKE= -DCC= (compiler command line) -DSRC= (project) -DWORK=
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
execute_process(COMMAND ${MYOGEN} --emit-runtime ${WORK}/runtime RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "myogen --emit-runtime failed")
endif()
foreach(f myogen_cl.c myogen_cl.h)
  file(SHA256 ${WORK}/runtime/${f} emitted)
  file(SHA256 ${SRC}/runtime/${f} source)
  if(NOT emitted STREQUAL source)
    message(FATAL_ERROR "myogen --emit-runtime wrote a ${f} that differs from runtime/${f}")
  endif()
endforeach()
execute_process(COMMAND ${MAKE} -s -C ${SRC}/examples/opencl OUT=${WORK}/out
                        RUNTIME=${WORK}/runtime "CC=${CC}" build
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "examples/opencl does not build")
endif()
execute_process(COMMAND ${WORK}/out/layer RESULT_VARIABLE rc)
if(rc EQUAL 77)
  return() # printed SKIP: ...
elseif(NOT rc EQUAL 0)
  message(FATAL_ERROR "examples/opencl failed (${rc})")
endif()

# MYOGEN_CL_PROFILE: the same run prints a per-kernel table at exit
set(ENV{MYOGEN_CL_PROFILE} 1)
execute_process(COMMAND ${WORK}/out/layer RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
unset(ENV{MYOGEN_CL_PROFILE})
if(NOT rc EQUAL 0 OR NOT err MATCHES "myogen_cl profile: [1-9][0-9]* kernels, [0-9.]+ ms in all\n +ms +calls +us/call +% +kernel\n +[0-9.]+ +[1-9]")
  message(FATAL_ERROR "MYOGEN_CL_PROFILE=1: exit ${rc}, no per-kernel table on stderr:\n${err}")
endif()
