# `btt` kernel tests: myogen generates a matrix of test kernels at build time
# (regenerated whenever myogen, hence its embedded templates, changes) from
# tests/specs/btt_base.lua with -D overrides; test_btt checks each against
# the dense references of btt_ref.c and finite differences.
option(BTT_TEST_KERNELS "generate and test the btt kernel matrix" ON)

set(BTT_GEN_DIR ${CMAKE_CURRENT_BINARY_DIR}/btt_gen)
set(BTT_BASE_SPEC ${PROJECT_SOURCE_DIR}/tests/specs/btt_base.lua)
file(MAKE_DIRECTORY ${BTT_GEN_DIR} ${BTT_GEN_DIR}_neon ${BTT_GEN_DIR}_omp)

foreach(v BTT BTT_NEON BTT_OMP)
  set(${v}_GEN_SOURCES "")
  set(${v}_REGISTRY_INCLUDES "")
  set(${v}_REGISTRY_KERNELS "")
endforeach()

# btt_test_kernel(NAME TARGET DTYPE OP ARITY OUT_ARITY RANK [-D overrides...]
#                 [COMPILE_ONLY] [OMP_BUILD])
# Names start with the target; test_btt skips kernels whose
# NAME_cpu_supported() is 0 on this CPU.  ARITY and OUT_ARITY are "m0,m1"
# (OUT_ARITY "-": absent).  OMP_BUILD: for test_btt_omp (built with OpenMP).
function(btt_test_kernel name target dtype op arity out_arity rank)
  myogen_target_var(${target} BTT ${BTT_GEN_DIR} dir var)
  if("OMP_BUILD" IN_LIST ARGN)
    set(dir ${BTT_GEN_DIR}_omp)
    set(var BTT_OMP)
  endif()
  set(c ${dir}/${name}.c)
  set(h ${dir}/${name}.h)
  set(defs -D name=${name} -D target=${target} -D dtype=${dtype} -D op=${op}
           -D arity=${arity} -D state=${rank})
  if(NOT out_arity STREQUAL "-")
    list(APPEND defs -D out_arity=${out_arity})
  endif()
  set(register 1)
  foreach(extra ${ARGN})
    if(extra STREQUAL "COMPILE_ONLY")
      set(register 0) # one pass only: compiled with -Werror, not run
    elseif(extra STREQUAL "OMP_BUILD")
    else()
      list(APPEND defs -D ${extra})
    endif()
  endforeach()
  add_custom_command(
    OUTPUT ${c} ${h}
    COMMAND ${MYOGEN_EXE} ${BTT_BASE_SPEC} -o ${c} ${defs}
    DEPENDS myogen ${BTT_BASE_SPEC}
    COMMENT "myogen ${name}"
    VERBATIM)
  set(opts -O2 -std=c99 -Wall -Wextra -Werror -pedantic)
  myogen_isa_flags(${target} isa)
  list(APPEND opts ${isa})
  if(var STREQUAL "BTT_OMP")
    list(APPEND opts ${OpenMP_C_FLAGS})
  endif()
  set_source_files_properties(${c} PROPERTIES COMPILE_OPTIONS "${opts}")
  if(op STREQUAL "attention")
    set(macro BTT_ATTN)
    # the key order and norm the spec asks for, for the reference
    set(j1 0)
    set(affine 0)
    if("key_order=j1_major" IN_LIST ARGN)
      set(j1 1)
    endif()
    if("key_norm=layernorm_affine" IN_LIST ARGN)
      set(affine 1)
    endif()
    set(margs ", ${j1}, ${affine}")
  else()
    set(macro BTT_MATMUL)
    set(margs "")
  endif()
  set(${var}_GEN_SOURCES ${${var}_GEN_SOURCES} ${c} ${h} PARENT_SCOPE)
  if(register)
    set(${var}_REGISTRY_INCLUDES "${${var}_REGISTRY_INCLUDES}#include \"${name}.h\"\n"
        PARENT_SCOPE)
    set(${var}_REGISTRY_KERNELS "${${var}_REGISTRY_KERNELS}${macro}(${name}${margs})\n" PARENT_SCOPE)
  endif()
endfunction()

if(BTT_TEST_KERNELS)
  set(targets ${MYOGEN_TEST_TARGETS} ${MYOGEN_CROSS_TARGETS})
  # matmul shapes "tag:arity:out_arity:rank": square, odd non-square, rank 1
  # (Monarch-like) and 16, a factor 1, and a larger square one (several row
  # tiles of n = 250 rows only with its smaller tile).
  set(mm_shapes "sq4:4,4:-:1" "odd:3,5:7,2:3" "r16:5,3:3,5:16" "one:1,7:6,1:2"
                "sq16:16,16:-:4")
  # attention: D = m0*m1 = n0*n1; "tag:arity:out_arity:rank:T:dv:extra"
  # (T = 150 and 100: several query blocks and key tiles, partial ones last)
  set(at_shapes "c:2,3:3,2:2:13:3:causal=true" "nc:4,4:-:1:9:5:causal=false"
                "sc:3,3:-:3:17:4:scale=0.3" "long:2,2:-:2:150:6:causal=true"
                "longnc:3,2:2,3:1:100:2:causal=false" "r16:3,3:-:16:20:9:causal=true"
                "j1:3,4:2,6:2:37:4:key_order=j1_major" "j1sq:2,2:-:1:9:3:key_order=j1_major"
                "ln:2,3:3,2:2:11:3:key_norm=layernorm_affine"
                "lnlong:3,4:-:1:70:4:key_norm=layernorm_affine")
  # every shape on both dtypes (a thinned target: on one, alternating)
  foreach(target ${targets})
    set(si 0)
    foreach(shape ${mm_shapes} ${at_shapes})
      myogen_matrix_dtypes(${target} ${si} dtypes)
      math(EXPR si "${si} + 1")
      string(REPLACE ":" ";" f "${shape}")
      list(GET f 0 tag)
      list(GET f 1 arity)
      list(GET f 2 out)
      list(GET f 3 rank)
      if(shape IN_LIST mm_shapes)
        set(kind mm)
        set(op matmul)
        set(extra "")
      else()
        set(kind at)
        set(op attention)
        list(GET f 4 T)
        list(GET f 5 dv)
        list(GET f 6 e)
        set(extra seq_len=${T} value_dim=${dv} ${e})
      endif()
      foreach(dtype ${dtypes})
        btt_test_kernel(${target}_${dtype}_${kind}_${tag} ${target} ${dtype} ${op} ${arity}
                        ${out} ${rank} ${extra})
      endforeach()
    endforeach()
  endforeach()
  # threads = "openmp" matmuls and attention: built without OpenMP here (the
  # row-tile groups, head groups run serially; 250 rows make several row
  # groups, 3 heads three head groups), with it for test_btt_omp
  foreach(target ${MYOGEN_TEST_TARGETS})
    btt_test_kernel(${target}_f64_mm_omp ${target} f64 matmul 3,5 7,2 3 threads=openmp)
    btt_test_kernel(${target}_f64_at_omp ${target} f64 attention 2,3 3,2 2 threads=openmp
                    seq_len=20 value_dim=3)
    # both key options at once, with threads (the affine's gradients per head)
    btt_test_kernel(${target}_f64_at_lnj1 ${target} f64 attention 3,4 2,6 2 threads=openmp
                    seq_len=23 value_dim=2 key_order=j1_major key_norm=layernorm_affine)
  endforeach()
  find_package(OpenMP COMPONENTS C)
  if(OpenMP_C_FOUND)
    foreach(target ${MYOGEN_TEST_TARGETS})
      btt_test_kernel(${target}_f32_mm_omp ${target} f32 matmul 4,4 - 2 threads=openmp OMP_BUILD)
      btt_test_kernel(${target}_f64_mm_omp ${target} f64 matmul 3,5 7,2 3 threads=openmp
                      OMP_BUILD)
      btt_test_kernel(${target}_f32_at_omp ${target} f32 attention 2,3 3,2 2 threads=openmp
                      seq_len=37 value_dim=3 causal=true OMP_BUILD)
      btt_test_kernel(${target}_f32_at_ln_omp ${target} f32 attention 2,3 3,2 2 threads=openmp
                      seq_len=37 value_dim=3 key_norm=layernorm_affine OMP_BUILD)
    endforeach()
  else()
    message(STATUS "OpenMP not found: test_btt_omp (thread determinism) is not built")
  endif()
  # single-pass kernels (passes = {"forward"} or {"backward"}): they must
  # generate and compile alone with -Werror (the others test both passes)
  foreach(target ${targets})
    foreach(pass forward backward)
      btt_test_kernel(${target}_f32_mm_${pass}only ${target} f32 matmul 3,5 7,2 2
                      passes=${pass} COMPILE_ONLY)
      btt_test_kernel(${target}_f64_at_${pass}only ${target} f64 attention 2,3 3,2 2
                      passes=${pass} seq_len=20 value_dim=3 COMPILE_ONLY)
    endforeach()
  endforeach()
endif()

# Registry: includes once (guarded), X-macro lines on every inclusion with
# BTT_KERNEL_LIST defined.  file(CONFIGURE) rewrites it only when it changes.
function(btt_write_registry dir includes kernels)
  file(CONFIGURE OUTPUT ${dir}/btt_test_kernels.h @ONLY CONTENT
"/* Generated by tests/btt_kernels.cmake: the btt test kernels. */
#ifndef BTT_TEST_KERNELS_H
#define BTT_TEST_KERNELS_H
@includes@#endif
#ifdef BTT_KERNEL_LIST
@kernels@#endif
")
endfunction()
btt_write_registry(${BTT_GEN_DIR} "${BTT_REGISTRY_INCLUDES}" "${BTT_REGISTRY_KERNELS}")

add_executable(test_btt test_btt.c btt_ref.c ${BTT_GEN_SOURCES})
target_include_directories(test_btt PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${BTT_GEN_DIR})
target_compile_options(test_btt PRIVATE -Wall -Wextra)
target_link_libraries(test_btt PRIVATE cunit_lib m)
add_test(NAME btt_kernels COMMAND test_btt)
if(BTT_OMP_GEN_SOURCES)
  btt_write_registry(${BTT_GEN_DIR}_omp "${BTT_OMP_REGISTRY_INCLUDES}"
                     "${BTT_OMP_REGISTRY_KERNELS}")
  add_executable(test_btt_omp test_btt.c btt_ref.c ${BTT_OMP_GEN_SOURCES})
  target_include_directories(test_btt_omp PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${BTT_GEN_DIR}_omp)
  target_compile_options(test_btt_omp PRIVATE -Wall -Wextra)
  target_link_libraries(test_btt_omp PRIVATE cunit_lib m OpenMP::OpenMP_C)
  add_test(NAME btt_kernels_omp COMMAND test_btt_omp)
endif()
if(BTT_NEON_GEN_SOURCES)
  btt_write_registry(${BTT_GEN_DIR}_neon "${BTT_NEON_REGISTRY_INCLUDES}"
                     "${BTT_NEON_REGISTRY_KERNELS}")
  myogen_neon_test(test_btt_neon btt_kernels_neon ${BTT_GEN_DIR}_neon
                   ${CMAKE_CURRENT_SOURCE_DIR}/test_btt.c ${CMAKE_CURRENT_SOURCE_DIR}/btt_ref.c
                   ${BTT_NEON_GEN_SOURCES})
endif()
