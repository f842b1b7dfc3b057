# mlr on the OpenCL target (DESIGN.md 6.2, 6.4): myogen generates each test
# kernel twice, target "c" (mlrref_*) and target "opencl" (mlrocl_*), and
# test_mlr_opencl runs both on the same inputs (the OpenCL one on the default
# OpenCL device, PoCL in CI), forward (o, lse) and backward (dq, dk, dv),
# through the host-pointer and the cl_mem entry points.  The C target is
# itself checked against an independent reference by test_mlr.  Needs the
# runtime library of opencl_kernels.cmake (built where CMake finds OpenCL);
# the test exits 77 (skipped) when no OpenCL device can be had at run time.
if(NOT TARGET myogen_cl_runtime)
  return()
endif()

set(MLR_OCL_GEN_DIR ${CMAKE_CURRENT_BINARY_DIR}/gen_mlr_opencl)
file(MAKE_DIRECTORY ${MLR_OCL_GEN_DIR})
set(MLR_OCL_SOURCES "")
set(MLR_OCL_INCLUDES "")
set(MLR_OCL_REGISTRY "")

#   mlr_ocl_pair(id dtype T arity depth ranks dv causal normalize scale [IDENTITY])
# (arity: a number, or block sizes "48,12,6": see mlr_levels_args; IDENTITY:
# link "identity")
function(mlr_ocl_pair id dtype T arity depth ranks dv causal normalize scale)
  mlr_levels_args(${arity} base levels k blocks)
  set(link softmax)
  if("IDENTITY" IN_LIST ARGN)
    set(link identity)
  endif()
  foreach(target c opencl)
    if(target STREQUAL "c")
      set(name mlrref_${dtype}_${id})
    else()
      set(name mlrocl_${dtype}_${id})
    endif()
    set(out ${MLR_OCL_GEN_DIR}/${name}.c ${MLR_OCL_GEN_DIR}/${name}.h)
    if(target STREQUAL "opencl")
      list(APPEND out ${MLR_OCL_GEN_DIR}/${name}.cl)
    endif()
    add_custom_command(
      OUTPUT ${out}
      COMMAND ${MYOGEN_EXE} ${base}
              -o ${MLR_OCL_GEN_DIR}/${name}.c -D name=${name} -D target=${target}
              -D dtype=${dtype} -D seq_len=${T} -D ${levels} -D depth=${depth}
              -D state=${ranks} -D value_dim=${dv} -D causal=${causal}
              -D normalize=${normalize} -D scale=${scale} -D link=${link}
      DEPENDS myogen ${base}
      COMMENT "myogen ${name}"
      VERBATIM)
    set_source_files_properties(${MLR_OCL_GEN_DIR}/${name}.c PROPERTIES
                                COMPILE_OPTIONS "-O2;-std=c99;-Wall;-Wextra;-Werror;-pedantic")
    list(APPEND MLR_OCL_SOURCES ${out})
  endforeach()
  cuda_check_kernel(${base} name=mlrcu_${dtype}_${id}
                    dtype=${dtype} seq_len=${T} ${levels} depth=${depth} state=${ranks}
                    value_dim=${dv} causal=${causal} normalize=${normalize} scale=${scale}
                    link=${link})
  set(MLR_OCL_SOURCES ${MLR_OCL_SOURCES} PARENT_SCOPE)
  set(MLR_OCL_INCLUDES
      "${MLR_OCL_INCLUDES}#include \"mlrref_${dtype}_${id}.h\"\n#include \"mlrocl_${dtype}_${id}.h\"\n"
      PARENT_SCOPE)
  set(MLR_OCL_REGISTRY
      "${MLR_OCL_REGISTRY}MLR_OCL_PAIR(mlrref_${dtype}_${id}, mlrocl_${dtype}_${id})\n"
      PARENT_SCOPE)
endfunction()

# One level and several, arity 2 and 3, odd T, causal and not, every
# normalize and scale mode, both dtypes; T = 64 gives the C target several
# tiles with partial-level fix-ups.
mlr_ocl_pair(one     f32 16 2 1 4       4 true  shared inv_rank)
mlr_ocl_pair(k3t27   f32 27 3 3 "3,2,2" 5 true  shared inv_rank)
mlr_ocl_pair(l4t24   f32 24 2 4 2       3 false levels inv_sqrt_rank)
mlr_ocl_pair(k3t9    f32 9  3 2 "2,3"   4 false none   inv_sqrt_rank)
mlr_ocl_pair(t64     f32 64 2 4 "4,2,2,2" 8 true levels inv_rank)
mlr_ocl_pair(k3t27   f64 27 3 3 "3,2,2" 5 true  shared inv_rank)
mlr_ocl_pair(l3t32   f64 32 2 3 3       4 false none   "0.5,-1,2")
mlr_ocl_pair(one5    f64 5  2 1 3       2 false levels inv_rank)
mlr_ocl_pair(t64     f64 64 2 4 "4,2,2,2" 8 true shared inv_sqrt_rank)
# Several GPU tiles: a partial last tile (296, 135), blocks that cut tiles
# (near-diagonal tile pairs whose pairs share different levels), 8 levels of
# finest blocks of 2 (the published rank profile, shortened), and head dims
# past one work-item's columns.  T 296, 297 and 135 have more than 4 tiles
# of 32: the backward splits them into chunks (lib/gpu_flash.lua's NCB, NCQ).
mlr_ocl_pair(t296    f32 296 2 4 "5,3,2,1" 7 true shared inv_rank)
mlr_ocl_pair(t135    f32 135 3 3 "4,4,4"  19 false levels inv_sqrt_rank)
mlr_ocl_pair(pub256  f32 256 2 8 "32,8,6,4,4,4,4,2" 64 true shared inv_rank)
mlr_ocl_pair(t297    f64 297 3 3 "6,1,3"  9 true none   inv_rank)
mlr_ocl_pair(t200    f64 200 2 4 "5,3,2,1" 7 false shared inv_sqrt_rank)
# head dim 8 in levels of 5 and 3: scalar tiles staged in blocks of 4 rows x
# 8 dims (lib/gpu_stage.lua's blocked layout), forward and backward
mlr_ocl_pair(r53     f32 98  2 2 "5,3"     8 true shared inv_rank)
mlr_ocl_pair(r53     f64 98  2 2 "5,3"     8 false levels inv_sqrt_rank)
# blocks instead of arity: uneven ratios (4, 2, 3; 3, 5)
mlr_ocl_pair(bl144   f32 144 "144,36,18,6" 4 "4,3,2,2" 5 true shared inv_rank)
mlr_ocl_pair(bl105   f64 105 "105,35,7" 3 "2,3,1" 6 false levels inv_sqrt_rank)
# link "identity": several tiles with level fix-ups, causal and not
mlr_ocl_pair(t296id  f32 296 2 4 "5,3,2,1" 7 false shared inv_rank IDENTITY)
mlr_ocl_pair(t135id  f64 135 3 3 "4,4,4"  9 false levels inv_sqrt_rank IDENTITY)
mlr_ocl_pair(pub256id f32 256 2 8 "32,8,6,4,4,4,4,2" 64 true shared inv_rank IDENTITY)

file(CONFIGURE OUTPUT ${MLR_OCL_GEN_DIR}/mlr_opencl_kernels.h @ONLY CONTENT
"/* Generated by tests/mlr_opencl.cmake: (C, OpenCL) pairs of mlr test kernels:
 * the headers once, the X-macro lines MLR_OCL_PAIR(ref, ocl) on every inclusion. */
#ifndef MLR_OPENCL_KERNELS_H
#define MLR_OPENCL_KERNELS_H
@MLR_OCL_INCLUDES@#endif
#ifdef MLR_OCL_PAIR
@MLR_OCL_REGISTRY@#endif
")

add_executable(test_mlr_opencl test_mlr_opencl.c ${MLR_OCL_SOURCES})
target_include_directories(test_mlr_opencl PRIVATE ${MLR_OCL_GEN_DIR})
target_compile_options(test_mlr_opencl PRIVATE -Wall -Wextra)
target_link_libraries(test_mlr_opencl PRIVATE cunit_lib myogen_cl_runtime m)
add_test(NAME mlr_opencl COMMAND test_mlr_opencl)
set_tests_properties(mlr_opencl PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300
                     ENVIRONMENT "${MYOGEN_OPENCL_TEST_ENV}")
