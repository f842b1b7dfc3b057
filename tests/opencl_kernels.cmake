# OpenCL target tests (DESIGN.md 6.4): myogen generates each test kernel
# twice, target "c" (ref_*) and target "opencl" (ocl_*), and test_opencl runs
# both on the same inputs (the OpenCL one on the default OpenCL device, PoCL
# in CI), forward and backward, through the host-pointer and the cl_mem
# entry points.  Added only where CMake finds OpenCL; the test exits 77
# (skipped) when no OpenCL platform or device is there at run time.  The
# programs' binaries are cached in the build tree (MYOGEN_CL_CACHE), so
# re-runs skip the device compiler.
# bench/opencl/kernels/ (committed, so the benchmark builds without myogen)
# is what myogen generates now.
add_test(NAME opencl_bench_kernels_up_to_date
         COMMAND ${CMAKE_COMMAND} -DMYOGEN=${MYOGEN_EXE} -DMODE=check
                 -DWORK=${CMAKE_CURRENT_BINARY_DIR}/opencl_bench_kernels_check
                 -P ${PROJECT_SOURCE_DIR}/bench/opencl/kernels.cmake)

find_package(OpenCL)
if(NOT OpenCL_FOUND)
  message(STATUS "OpenCL not found: the OpenCL target tests are not built")
  return()
endif()

add_library(myogen_cl_runtime STATIC ${PROJECT_SOURCE_DIR}/runtime/myogen_cl.c)
target_include_directories(myogen_cl_runtime PUBLIC ${PROJECT_SOURCE_DIR}/runtime)
target_compile_options(myogen_cl_runtime PRIVATE -Wall -Wextra)
find_package(Threads REQUIRED)
target_link_libraries(myogen_cl_runtime PUBLIC OpenCL::OpenCL Threads::Threads)

set(OCL_GEN_DIR ${CMAKE_CURRENT_BINARY_DIR}/gen_opencl)
file(MAKE_DIRECTORY ${OCL_GEN_DIR})
set(OCL_GEN_SOURCES "")
set(OCL_REGISTRY "")
set(OCL_INCLUDES "")

#   ocl_test_kernel(dtype share readout symmetric block arity depth state)
# Both kernels have the forward and backward passes.
function(ocl_test_kernel dtype share readout symmetric block arity depth state)
  set(id "${dtype}_${share}_${readout}_${symmetric}_${block}_k${arity}d${depth}n${state}")
  foreach(target c opencl)
    if(target STREQUAL "c")
      set(name ref_${id})
    else()
      set(name ocl_${id})
    endif()
    set(out ${OCL_GEN_DIR}/${name}.c ${OCL_GEN_DIR}/${name}.h)
    if(target STREQUAL "opencl")
      list(APPEND out ${OCL_GEN_DIR}/${name}.cl)
    endif()
    add_custom_command(
      OUTPUT ${out}
      COMMAND ${MYOGEN_EXE} ${MYO_BASE_SPEC} -o ${OCL_GEN_DIR}/${name}.c -D name=${name}
              -D target=${target} -D dtype=${dtype} -D share=${share} -D readout=${readout}
              -D symmetric=${symmetric} -D block=${block} -D arity=${arity} -D depth=${depth}
              -D state=${state} -D passes=forward,backward
      DEPENDS myogen ${MYO_BASE_SPEC}
      COMMENT "myogen ${name}"
      VERBATIM)
    set_source_files_properties(${OCL_GEN_DIR}/${name}.c PROPERTIES
                                COMPILE_OPTIONS "-O2;-std=c99;-Wall;-Wextra;-Werror;-pedantic")
    list(APPEND OCL_GEN_SOURCES ${out})
  endforeach()
  cuda_check_kernel(${MYO_BASE_SPEC} name=cu_${id} dtype=${dtype} share=${share}
                    readout=${readout} symmetric=${symmetric} block=${block} arity=${arity}
                    depth=${depth} state=${state} passes=forward,backward)
  set(OCL_GEN_SOURCES ${OCL_GEN_SOURCES} PARENT_SCOPE)
  set(OCL_INCLUDES "${OCL_INCLUDES}#include \"ref_${id}.h\"\n#include \"ocl_${id}.h\"\n"
      PARENT_SCOPE)
  set(OCL_REGISTRY "${OCL_REGISTRY}OCL_PAIR(ref_${id}, ocl_${id})\n" PARENT_SCOPE)
endfunction()

# Every path of the templates (level sums, tree, chain; packed dense states;
# per-item factors of share "input"), each block type, readout and share,
# symmetric or not, both dtypes; channel counts in the test make partial
# lane groups.
ocl_test_kernel(f32 level siso false diag 2 3 3)   # level sums
ocl_test_kernel(f64 level siso true dense 3 2 3)   # level sums, dense weights
ocl_test_kernel(f64 level siso false diag 16 1 2)  # level sums, one level
ocl_test_kernel(f32 vertex siso false diag 4 2 4)  # tree, folded readout
ocl_test_kernel(f32 vertex siso false dense 2 3 3) # tree, dense blocks
ocl_test_kernel(f64 vertex none true diag 2 3 2)   # tree, channel*state lanes
ocl_test_kernel(f32 level none false diag 3 2 3)   # tree, per-level factors
ocl_test_kernel(f32 input siso false diag 2 2 3)   # per-item factors
ocl_test_kernel(f64 input none false dense 2 2 2)  # per-item factors, packed states
ocl_test_kernel(f32 level siso false diag 1 6 3)   # chain
ocl_test_kernel(f32 vertex siso false diag 16 1 4) # arity 16, depth 1
ocl_test_kernel(f64 vertex siso false dense 3 2 2) # arity 3, dense
ocl_test_kernel(f32 level none true dense 3 1 2)   # depth 1, level partials, dense symmetric
ocl_test_kernel(f64 input siso true diag 16 1 3)   # arity 16, per-item parameters
ocl_test_kernel(f32 vertex siso false diag 16 2 16) # arity 16, 16 states: the "exchange" output kernel
ocl_test_kernel(f64 vertex siso false diag 8 3 16) # "exchange" below depth 2 (it takes the parent's step down)
ocl_test_kernel(f32 vertex none false dense 8 3 4) # the same with dense blocks
ocl_test_kernel(f32 input siso false diag 3 3 5)   # per-item parameters below depth 2 (the parent's step in k_leaves)
ocl_test_kernel(f64 vertex siso true dense 2 3 3)  # symmetric dense below depth 1 (dC^T folded into dB)
ocl_test_kernel(f32 vertex siso true diag 16 3 8)  # diag, 8 states, arity x states 128: the level kernels in 2 items a lane, symmetric
ocl_test_kernel(f64 input siso false diag 11 3 12) # the same in 3 items a lane (odd arity), per-item parameters
ocl_test_kernel(f32 level siso false diag 2 8 2)   # level sums in two stages (64-input chunks)
ocl_test_kernel(f64 level siso true dense 3 4 2)   # level sums, stages of heights 3 and 1
ocl_test_kernel(f32 input siso true diag 1 20 16)  # chain: 2 chunks of 16, the last partial
ocl_test_kernel(f64 vertex none false dense 1 39 2) # chain: dense, 2 chunks of 32
ocl_test_kernel(f32 vertex none false diag 1 100 1) # chain: 7 chunks
ocl_test_kernel(f64 vertex none false dense 1 4 2) # chain, packed states
ocl_test_kernel(f32 input none true diag 1 5 1)    # chain, per-item factors
ocl_test_kernel(f64 vertex siso false diag 1 150 3) # chain: 10 chunks, the last partial
ocl_test_kernel(f32 input siso true diag 1 140 2)  # chain: per-item pivots
ocl_test_kernel(f32 vertex siso false diag 1 299 5) # chain: 19 chunks of 16, the last partial; 12 channels x 5 states a group
ocl_test_kernel(f64 level none false diag 1 63 2)  # chain: 4 whole chunks

# A forward-only tree kernel: host code without gradients (it once referred
# to them); compiled into test_opencl with -Werror, not run.
set(fwd ${OCL_GEN_DIR}/ocl_forward_only)
add_custom_command(
  OUTPUT ${fwd}.c ${fwd}.h ${fwd}.cl
  COMMAND ${MYOGEN_EXE} ${MYO_BASE_SPEC} -o ${fwd}.c -D name=ocl_forward_only -D target=opencl
          -D dtype=f32 -D share=vertex -D readout=siso -D symmetric=false -D block=diag
          -D arity=3 -D depth=3 -D state=4 -D passes=forward
  DEPENDS myogen ${MYO_BASE_SPEC}
  COMMENT "myogen ocl_forward_only"
  VERBATIM)
set_source_files_properties(${fwd}.c PROPERTIES
                            COMPILE_OPTIONS "-O2;-std=c99;-Wall;-Wextra;-Werror;-pedantic")
list(APPEND OCL_GEN_SOURCES ${fwd}.c ${fwd}.h ${fwd}.cl)
cuda_check_kernel(${MYO_BASE_SPEC} name=cu_forward_only dtype=f32 share=vertex readout=siso
                  symmetric=false block=diag arity=3 depth=3 state=4 passes=forward)

file(CONFIGURE OUTPUT ${OCL_GEN_DIR}/opencl_test_kernels.h @ONLY CONTENT
"/* Generated by tests/opencl_kernels.cmake: (C, OpenCL) pairs of test kernels:
 * the headers once, the X-macro lines OCL_PAIR(ref, ocl) on every inclusion. */
#ifndef OPENCL_TEST_KERNELS_H
#define OPENCL_TEST_KERNELS_H
@OCL_INCLUDES@#endif
#ifdef OCL_PAIR
@OCL_REGISTRY@#endif
")

add_executable(test_opencl test_opencl.c ${OCL_GEN_SOURCES})
target_include_directories(test_opencl PRIVATE ${OCL_GEN_DIR})
target_compile_options(test_opencl PRIVATE -Wall -Wextra)
target_link_libraries(test_opencl PRIVATE cunit_lib myogen_cl_runtime m)
add_test(NAME opencl_kernels COMMAND test_opencl)
# PoCL compiles every kernel from an empty cache in CI: 267 s alone on 2
# cores, 290-300 s beside the other OpenCL tests (a 300 s limit failed once)
set_tests_properties(opencl_kernels PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600
                     ENVIRONMENT "${MYOGEN_OPENCL_TEST_ENV}")

# examples/opencl: a generated OpenCL kernel and the runtime pair (as
# myogen --emit-runtime writes it) built by a plain Makefile, then run.
find_program(MAKE_PROGRAM NAMES make gmake)
if(MAKE_PROGRAM)
  add_test(NAME opencl_example
           COMMAND ${CMAKE_COMMAND} -DMYOGEN=${MYOGEN_EXE} -DMAKE=${MAKE_PROGRAM}
                   "-DCC=${MYOGEN_TEST_CC}" -DSRC=${PROJECT_SOURCE_DIR}
                   -DWORK=${CMAKE_CURRENT_BINARY_DIR}/opencl_example
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/opencl_example.cmake)
  set_tests_properties(opencl_example PROPERTIES TIMEOUT 300
                       SKIP_REGULAR_EXPRESSION "SKIP: no OpenCL device"
                       ENVIRONMENT "${MYOGEN_OPENCL_TEST_ENV}")
endif()
