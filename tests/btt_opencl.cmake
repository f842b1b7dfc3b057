# btt on the OpenCL target (DESIGN.md 6.3, 6.4): myogen generates each test
# kernel twice from tests/specs/btt_base.lua, target "c" (ref_*) and target
# "opencl" (ocl_*), op "matmul" and "attention", forward and backward; test_btt_opencl runs
# both on the same inputs (the OpenCL one on the default device, PoCL in CI)
# through the host-pointer and the cl_mem entry points.  The C target is
# itself checked against dense references by test_btt.  Built only where
# CMake finds OpenCL (after opencl_kernels.cmake, whose runtime library it
# links); exits 77 (skipped) without an OpenCL device at run time.

find_package(OpenCL)
if(NOT OpenCL_FOUND OR NOT TARGET myogen_cl_runtime)
  return()
endif()

set(BTTCL_GEN_DIR ${CMAKE_CURRENT_BINARY_DIR}/btt_opencl_gen)
file(MAKE_DIRECTORY ${BTTCL_GEN_DIR})
set(BTTCL_SOURCES "")
set(BTTCL_INCLUDES "")
set(BTTCL_REGISTRY "")

#   bttcl_test_kernel(ID DTYPE ARITY OUT_ARITY RANK)   ARITY, OUT_ARITY: "m0,m1"
function(bttcl_test_kernel id dtype arity out_arity rank)
  foreach(target c opencl)
    if(target STREQUAL "c")
      set(name ref_${id})
    else()
      set(name ocl_${id})
    endif()
    set(out ${BTTCL_GEN_DIR}/${name}.c ${BTTCL_GEN_DIR}/${name}.h)
    if(target STREQUAL "opencl")
      list(APPEND out ${BTTCL_GEN_DIR}/${name}.cl)
    endif()
    add_custom_command(
      OUTPUT ${out}
      COMMAND ${MYOGEN_EXE} ${PROJECT_SOURCE_DIR}/tests/specs/btt_base.lua
              -o ${BTTCL_GEN_DIR}/${name}.c -D name=${name} -D target=${target}
              -D dtype=${dtype} -D arity=${arity} -D out_arity=${out_arity}
              -D state=${rank} -D passes=forward,backward ${ARGN}
      DEPENDS myogen ${PROJECT_SOURCE_DIR}/tests/specs/btt_base.lua
      COMMENT "myogen ${name}"
      VERBATIM)
    set_source_files_properties(${BTTCL_GEN_DIR}/${name}.c PROPERTIES
                                COMPILE_OPTIONS "-O2;-std=c99;-Wall;-Wextra;-Werror;-pedantic")
    list(APPEND BTTCL_SOURCES ${out})
  endforeach()
  set(extra "")
  foreach(a ${ARGN})
    if(NOT a STREQUAL "-D")
      list(APPEND extra ${a})
    endif()
  endforeach()
  cuda_check_kernel(${PROJECT_SOURCE_DIR}/tests/specs/btt_base.lua name=cu_${id} dtype=${dtype}
                    arity=${arity} out_arity=${out_arity} state=${rank}
                    passes=forward,backward ${extra})
  set(BTTCL_SOURCES ${BTTCL_SOURCES} PARENT_SCOPE)
  set(BTTCL_INCLUDES "${BTTCL_INCLUDES}#include \"ref_${id}.h\"\n#include \"ocl_${id}.h\"\n"
      PARENT_SCOPE)
  set(BTTCL_REGISTRY "${BTTCL_REGISTRY}${BTTCL_MACRO}(ref_${id}, ocl_${id})\n" PARENT_SCOPE)
endfunction()
set(BTTCL_MACRO BTTCL_PAIR)

# Square and odd factorizations, unit factors, rank 1 and > 1, both dtypes.
bttcl_test_kernel(f32_sq4_r2 f32 4,4 4,4 2)   # square
bttcl_test_kernel(f32_odd_r3 f32 3,5 2,7 3)   # odd, d_in != d_out
bttcl_test_kernel(f32_odd_r1 f32 5,3 3,4 1)   # rank 1
bttcl_test_kernel(f32_unit_r2 f32 1,6 5,1 2)  # unit factors
bttcl_test_kernel(f32_sq8_r4 f32 8,8 8,8 4)   # larger, square
bttcl_test_kernel(f64_sq3_r1 f64 3,3 3,3 1)   # f64 square, rank 1
bttcl_test_kernel(f64_odd_r4 f64 3,5 7,2 4)   # f64 odd

# op "attention": odd T and value_dim, D = 6 from {2,3} x {3,2}, causal or not.
set(BTTCL_MACRO BTTCL_ATTN)
bttcl_test_kernel(f32_att_c f32 2,3 3,2 2 -D op=attention -D seq_len=7 -D value_dim=3)
bttcl_test_kernel(f32_att_nc f32 3,3 3,3 1 -D op=attention -D seq_len=5 -D value_dim=4
                  -D causal=false)
bttcl_test_kernel(f64_att_c f64 2,3 3,2 3 -D op=attention -D seq_len=9 -D value_dim=2)
# Several GPU tiles of queries and keys, a partial last tile.
bttcl_test_kernel(f32_att_t100 f32 4,4 4,4 2 -D op=attention -D seq_len=100 -D value_dim=5)
bttcl_test_kernel(f64_att_t70 f64 3,4 4,3 1 -D op=attention -D seq_len=70 -D value_dim=3
                  -D causal=false)
# Long enough that the forward splits each query tile's keys into chunks
# (3, the last one short) and merges them.
bttcl_test_kernel(f32_att_t300 f32 2,3 3,2 2 -D op=attention -D seq_len=300 -D value_dim=3)
# Wide heads (D 256, 128): the flash kernels load each tile at the top of its
# step instead of during the last one (lib/gpu_flash.lua's prefetch_k/q); f32
# D 256 and 128 run the forward with q and k staged 64 dims at a time (g.DC),
# D 128 over several query tiles and key chunks, v columns not in 4s; D 256
# (f32: 32 x 32 tiles of 2 x 4, f64: 16 x 16 of 2 x 2) the backward too.
# T 300 and 301 split the backward into query and key chunks (gb.NCB, NCQ).
bttcl_test_kernel(f32_att_d256 f32 16,16 16,16 1 -D op=attention -D seq_len=37 -D value_dim=64)
bttcl_test_kernel(f32_att_d128 f32 8,16 16,8 2 -D op=attention -D seq_len=301 -D value_dim=12
                  -D causal=false)
bttcl_test_kernel(f64_att_d256 f64 16,16 16,16 2 -D op=attention -D seq_len=45 -D value_dim=40
                  -D causal=false)
# key_order "j1_major" (the authors' key index)
bttcl_test_kernel(f32_att_j1 f32 3,4 2,6 2 -D op=attention -D seq_len=37 -D value_dim=4
                  -D key_order=j1_major)
bttcl_test_kernel(f64_att_j1 f64 2,2 2,2 1 -D op=attention -D seq_len=9 -D value_dim=3
                  -D key_order=j1_major)
# key_norm "layernorm_affine" (and both key options)
set(BTTCL_MACRO BTTCL_ATTN_LN)
bttcl_test_kernel(f32_att_ln f32 2,3 3,2 2 -D op=attention -D seq_len=40 -D value_dim=3
                  -D key_norm=layernorm_affine)
bttcl_test_kernel(f64_att_lnj1 f64 3,4 2,6 1 -D op=attention -D seq_len=11 -D value_dim=2
                  -D key_norm=layernorm_affine -D key_order=j1_major)

file(CONFIGURE OUTPUT ${BTTCL_GEN_DIR}/btt_opencl_test_kernels.h @ONLY CONTENT
"/* Generated by tests/btt_opencl.cmake: (C, OpenCL) pairs of btt test kernels:
 * the headers once, the X-macro lines BTTCL_PAIR(ref, ocl) (op matmul) and
 * BTTCL_ATTN(ref, ocl) (op attention) and BTTCL_ATTN_LN(ref, ocl) (attention with
 * key_norm layernorm_affine) on every inclusion that defines them. */
#ifndef BTT_OPENCL_TEST_KERNELS_H
#define BTT_OPENCL_TEST_KERNELS_H
@BTTCL_INCLUDES@#endif
#if defined(BTTCL_PAIR) && defined(BTTCL_ATTN)
@BTTCL_REGISTRY@#endif
")

add_executable(test_btt_opencl test_btt_opencl.c ${BTTCL_SOURCES})
target_include_directories(test_btt_opencl PRIVATE ${BTTCL_GEN_DIR})
target_compile_options(test_btt_opencl PRIVATE -Wall -Wextra)
target_link_libraries(test_btt_opencl PRIVATE cunit_lib myogen_cl_runtime m)
add_test(NAME btt_opencl COMMAND test_btt_opencl)
# (600 s: PoCL compiles every kernel from an empty cache in CI; with the keys as
# batched GEMMs (session 27) that took 284 s in one clean run and passed 300 in the next)
set_tests_properties(btt_opencl PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600
                     ENVIRONMENT "${MYOGEN_OPENCL_TEST_ENV}")
