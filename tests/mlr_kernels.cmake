# `mlr` kernel tests: myogen generates a matrix of test kernels at build time
# (regenerated whenever myogen, hence its embedded templates, changes);
# test_mlr checks each against the reference of mlr_ref.c (S formed
# explicitly, in double) and, in f64, against finite differences.
# test_mlr_omp (where OpenMP is found) builds threads="openmp" kernels with
# OpenMP, checks them the same way, and checks that 1, 2 and 3 threads give
# the same bytes.
option(MLR_TEST_KERNELS "generate and test the mlr kernel matrix" ON)

set(MLR_GEN_DIR ${CMAKE_CURRENT_BINARY_DIR}/mlr_gen)
set(MLR_OMP_GEN_DIR ${CMAKE_CURRENT_BINARY_DIR}/mlr_gen_omp)
set(MLR_BASE_SPEC ${PROJECT_SOURCE_DIR}/tests/specs/mlr_base.lua)
file(MAKE_DIRECTORY ${MLR_GEN_DIR} ${MLR_OMP_GEN_DIR} ${MLR_GEN_DIR}_neon)

# The levels of a test kernel: ARITY a number (base spec tests/specs/
# mlr_base.lua, -D arity=) or a list of block sizes (mlr_blocks_base.lua,
# -D blocks=); for the registry, the arity (0 with blocks) and the blocks
# (0 with an arity).
function(mlr_levels_args arity base_ levels_ k_ blocks_)
  if(arity MATCHES ",")
    set(${base_} ${PROJECT_SOURCE_DIR}/tests/specs/mlr_blocks_base.lua PARENT_SCOPE)
    set(${levels_} blocks=${arity} PARENT_SCOPE)
    set(${k_} 0 PARENT_SCOPE)
    string(REPLACE "," ", " b "${arity}")
    set(${blocks_} "${b}" PARENT_SCOPE)
  else()
    set(${base_} ${MLR_BASE_SPEC} PARENT_SCOPE)
    set(${levels_} arity=${arity} PARENT_SCOPE)
    set(${k_} ${arity} PARENT_SCOPE)
    set(${blocks_} 0 PARENT_SCOPE)
  endif()
endfunction()

foreach(v MLR MLR_OMP MLR_NEON)
  set(${v}_GEN_SOURCES "")
  set(${v}_REGISTRY_INCLUDES "")
  set(${v}_REGISTRY_KERNELS "")
endforeach()

# mlr_test_kernel(ID TARGET DTYPE T ARITY DEPTH RANKS DV CAUSAL NORMALIZE SCALE
#                 [OPENMP] [OMP_BUILD] [IDENTITY])
# ARITY: a number, or the block size of every level ("48,12,6": the spec's
# blocks instead of arity); RANKS: "4,3,2" or one number; SCALE: inv_rank,
# inv_sqrt_rank or "0.5,-1,2".
# OPENMP: threads = "openmp" (suffix _omp), compiled without OpenMP unless
# OMP_BUILD (then for test_mlr_omp, in its own directory).  IDENTITY: link
# "identity" (suffix _id).
function(mlr_test_kernel id target dtype T arity depth ranks dv causal normalize scale)
  cmake_parse_arguments(K "OPENMP;OMP_BUILD;IDENTITY" "" "" ${ARGN})
  set(name "mlr_${target}_${dtype}_${id}")
  set(link softmax)
  set(identity 0)
  if(K_IDENTITY)
    set(link identity)
    set(identity 1)
    string(APPEND name _id)
  endif()
  set(threads none)
  if(K_OPENMP)
    set(threads openmp)
    string(APPEND name _omp)
  endif()
  myogen_target_var(${target} MLR ${MLR_GEN_DIR} dir var)
  if(K_OMP_BUILD)
    set(dir ${MLR_OMP_GEN_DIR})
    set(var MLR_OMP)
  endif()
  set(c ${dir}/${name}.c)
  set(h ${dir}/${name}.h)
  mlr_levels_args(${arity} base levels k blocks)
  add_custom_command(
    OUTPUT ${c} ${h}
    COMMAND ${MYOGEN_EXE} ${base} -o ${c} -D name=${name} -D target=${target}
            -D dtype=${dtype} -D seq_len=${T} -D ${levels} -D depth=${depth}
            -D state=${ranks} -D value_dim=${dv} -D causal=${causal}
            -D normalize=${normalize} -D scale=${scale} -D threads=${threads} -D link=${link}
    DEPENDS myogen ${base}
    COMMENT "myogen ${name}"
    VERBATIM)
  set(opts -O2 -Wall -Wextra -Werror -pedantic)
  myogen_isa_flags(${target} isa)
  list(APPEND opts ${isa})
  if(K_OMP_BUILD)
    list(APPEND opts ${OpenMP_C_FLAGS})
  endif()
  set_source_files_properties(${c} PROPERTIES COMPILE_OPTIONS "${opts}")
  # what the test needs to rebuild the configuration on its own
  string(REPLACE "," ";" rl "${ranks}")
  list(LENGTH rl n)
  if(n EQUAL 1)
    set(rl "")
    foreach(i RANGE 1 ${depth})
      list(APPEND rl ${ranks})
    endforeach()
  endif()
  string(REPLACE ";" ", " rl "${rl}")
  if(scale STREQUAL "inv_rank")
    set(smode MLR_SCALE_INV_RANK)
    set(slist 0)
  elseif(scale STREQUAL "inv_sqrt_rank")
    set(smode MLR_SCALE_INV_SQRT_RANK)
    set(slist 0)
  else()
    set(smode MLR_SCALE_LIST)
    string(REPLACE "," ", " slist "${scale}")
  endif()
  string(TOUPPER "${normalize}" norm)
  if(causal)
    set(cz 1)
  else()
    set(cz 0)
  endif()
  if(dtype STREQUAL "f64")
    set(is64 1)
  else()
    set(is64 0)
  endif()
  set(${var}_GEN_SOURCES ${${var}_GEN_SOURCES} ${c} ${h} PARENT_SCOPE)
  set(${var}_REGISTRY_INCLUDES "${${var}_REGISTRY_INCLUDES}#include \"${name}.h\"\n" PARENT_SCOPE)
  set(${var}_REGISTRY_KERNELS
      "${${var}_REGISTRY_KERNELS}MLR_KERNEL(${name}, ${is64}, ${T}, ${k}, (${blocks}), ${depth}, (${rl}), ${dv}, ${cz}, MLR_NORM_${norm}, ${smode}, (${slist}), ${identity})\n"
      PARENT_SCOPE)
endfunction()

if(MLR_TEST_KERNELS)
  set(targets ${MYOGEN_TEST_TARGETS} ${MYOGEN_CROSS_TARGETS})
  # Shapes (id: T arity depth ranks dv causal normalize scale), every one on
  # every target and both dtypes (a thinned target: one dtype per shape), chosen so that together they cover: one level
  # (the dense case), many levels (6, 8), arity 3, 4, 5, odd T and T not a
  # multiple of the tile, odd dv, non-causal, every normalize and every scale
  # mode (negative scales too).
  set(shapes
    "dense64:64:2:1:8:8:true:shared:inv_rank"
    "tiny7:7:2:1:3:2:true:none:inv_sqrt_rank"
    "k3t45:45:3:3:4,3,2:5:true:shared:inv_rank"
    "k2l6:96:2:6:4,2,2,1,1,1:6:false:levels:inv_sqrt_rank"
    "k4t80:80:4:3:3:7:true:none:0.5,-1.25,2"
    "k2l8:256:2:8:8,4,3,2,2,1,1,1:16:true:shared:inv_rank"
    "t100:100:2:3:6,4,2:9:false:shared:inv_sqrt_rank"
    "k5t125:125:5:3:2,2,3:4:false:none:inv_rank"
    "k2t200:200:2:4:5,3,2,2:8:true:levels:1.5,0.75,-0.5,0.25"
    # blocks instead of arity (the authors' mlr_block_size_list): uneven
    # ratios (4, 2, 3; 3, 2, 2; 3, 5), odd blocks
    "bl4231:144:144,36,18,6:4:4,3,2,2:5:true:shared:inv_rank"
    "bl96:96:96,32,16,8:4:3,2,2,1:4:false:levels:inv_sqrt_rank"
    "bl105:105:105,35,7:3:2,3,1:6:true:none:0.5,1,-2")
  foreach(target ${targets})
    set(si 0)
    foreach(shape ${shapes})
      myogen_matrix_dtypes(${target} ${si} dtypes)
      math(EXPR si "${si} + 1")
      if(shape MATCHES "^tiny7:")
        set(dtypes f32 f64) # on both everywhere: test_mlr_vmath includes them
      endif()
      foreach(dtype ${dtypes})
        string(REPLACE ":" ";" s "${shape}")
        list(GET s 0 id)
        list(GET s 1 T)
        list(GET s 2 k)
        list(GET s 3 depth)
        list(GET s 4 ranks)
        list(GET s 5 dv)
        list(GET s 6 causal)
        list(GET s 7 norm)
        list(GET s 8 scale)
        mlr_test_kernel(${id} ${target} ${dtype} ${T} ${k} ${depth} ${ranks} ${dv} ${causal}
                        ${norm} ${scale})
      endforeach()
    endforeach()
    # the published configuration at T = 1024 (f32; the tile grid of the bench;
    # not under qemu, where it alone would take minutes)
    if(NOT target STREQUAL "neon")
      mlr_test_kernel(pub1024 ${target} f32 1024 2 8 32,8,6,4,4,4,4,2 64 true shared inv_rank)
    endif()
  endforeach()
  # Extremes, each on one dtype per target: T = 1; ranks and dv wider than
  # a tile (R = 130, dv = 130); arity 64 (level-2 blocks of 2); seven levels
  # of rank 1 down to blocks of 2, non-causal.
  foreach(target ${targets})
    if(target STREQUAL "c")
      set(da f64)
      set(db f32)
    else()
      set(da f32)
      set(db f64)
    endif()
    mlr_test_kernel(t1 ${target} ${da} 1 2 1 3 2 true shared inv_rank)
    mlr_test_kernel(bigr ${target} ${db} 160 2 2 100,30 130 true shared inv_sqrt_rank)
    mlr_test_kernel(k64 ${target} ${da} 128 64 2 3,2 5 true levels inv_rank)
    mlr_test_kernel(k2l7nc ${target} ${db} 128 2 7 1,1,1,1,1,1,1 3 false shared inv_rank)
    # link "identity": causal with partial levels and fix-ups, both normalizations
    # that scale per pair; blocks listed; non-causal
    mlr_test_kernel(k3t45 ${target} ${da} 45 3 3 4,3,2 5 true shared inv_rank IDENTITY)
    mlr_test_kernel(t100 ${target} ${db} 100 2 3 6,4,2 9 true levels inv_sqrt_rank IDENTITY)
    mlr_test_kernel(bl96 ${target} ${da} 96 96,32,16,8 4 3,2,2,1 4 false none 0.5,1,-1,2
                    IDENTITY)
  endforeach()
  # threads = "openmp" compiled without OpenMP (the serial fallback) ...
  mlr_test_kernel(k3t45 c f64 45 3 3 4,3,2 5 true shared inv_rank OPENMP)
  # ... and with it, for test_mlr_omp
  find_package(OpenMP COMPONENTS C)
  if(OpenMP_C_FOUND)
    foreach(target ${MYOGEN_TEST_TARGETS})
      mlr_test_kernel(k2l8 ${target} f32 256 2 8 8,4,3,2,2,1,1,1 16 true shared inv_rank
                      OPENMP OMP_BUILD)
      mlr_test_kernel(t100 ${target} f64 100 2 3 6,4,2 9 false levels inv_sqrt_rank
                      OPENMP OMP_BUILD)
    endforeach()
  else()
    message(STATUS "OpenMP not found: test_mlr_omp (thread determinism) is not built")
  endif()
endif()

# Registry: includes once (guarded), X-macro lines on every inclusion.
function(mlr_write_registry dir includes kernels)
  file(CONFIGURE OUTPUT ${dir}/mlr_test_kernels.h @ONLY CONTENT
"/* Generated by tests/mlr_kernels.cmake: the mlr test kernels.
 * MLR_KERNEL(name, f64, T, arity, (blocks), depth, (ranks), dv, causal, normalize,
 *            scale mode, (scale list), identity) */
#ifndef MLR_TEST_KERNELS_H
#define MLR_TEST_KERNELS_H
${includes}#endif
#ifdef MLR_KERNEL
${kernels}#endif
")
endfunction()

mlr_write_registry(${MLR_GEN_DIR} "${MLR_REGISTRY_INCLUDES}" "${MLR_REGISTRY_KERNELS}")
add_executable(test_mlr test_mlr.c mlr_ref.c ${MLR_GEN_SOURCES})
target_include_directories(test_mlr PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${MLR_GEN_DIR})
target_compile_options(test_mlr PRIVATE -Wall -Wextra)
target_link_libraries(test_mlr PRIVATE cunit_lib m)
add_test(NAME mlr_kernels COMMAND test_mlr)
if(MLR_NEON_GEN_SOURCES)
  mlr_write_registry(${MLR_GEN_DIR}_neon "${MLR_NEON_REGISTRY_INCLUDES}"
                     "${MLR_NEON_REGISTRY_KERNELS}")
  myogen_neon_test(test_mlr_neon mlr_kernels_neon ${MLR_GEN_DIR}_neon
                   ${CMAKE_CURRENT_SOURCE_DIR}/test_mlr.c ${CMAKE_CURRENT_SOURCE_DIR}/mlr_ref.c
                   ${MLR_NEON_GEN_SOURCES})
endif()

if(MLR_OMP_GEN_SOURCES)
  mlr_write_registry(${MLR_OMP_GEN_DIR} "${MLR_OMP_REGISTRY_INCLUDES}"
                     "${MLR_OMP_REGISTRY_KERNELS}")
  add_executable(test_mlr_omp test_mlr.c mlr_ref.c ${MLR_OMP_GEN_SOURCES})
  target_include_directories(test_mlr_omp PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}
                                                  ${MLR_OMP_GEN_DIR})
  target_compile_options(test_mlr_omp PRIVATE -Wall -Wextra)
  target_link_libraries(test_mlr_omp PRIVATE cunit_lib m OpenMP::OpenMP_C)
  add_test(NAME mlr_kernels_omp COMMAND test_mlr_omp)
endif()

# The vector exp of templates/lib/vmath.c.tmpl, tested through two of the
# kernels above (their static functions, by including the generated .c).
if(MLR_TEST_KERNELS)
  set(vm_sources mlr_vmath_test.c mlr_vmath_c.c)
  set_source_files_properties(mlr_vmath_c.c PROPERTIES OBJECT_DEPENDS
    "${MLR_GEN_DIR}/mlr_c_f32_tiny7.c;${MLR_GEN_DIR}/mlr_c_f64_tiny7.c")
  if("avx2" IN_LIST targets)
    list(APPEND vm_sources mlr_vmath_avx2.c)
    set_source_files_properties(mlr_vmath_avx2.c PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma"
      OBJECT_DEPENDS "${MLR_GEN_DIR}/mlr_avx2_f32_tiny7.c;${MLR_GEN_DIR}/mlr_avx2_f64_tiny7.c")
  endif()
  add_executable(test_mlr_vmath ${vm_sources})
  if("avx2" IN_LIST targets)
    target_compile_definitions(test_mlr_vmath PRIVATE MLR_VMATH_AVX2=1)
  endif()
  target_include_directories(test_mlr_vmath PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${MLR_GEN_DIR})
  target_compile_options(test_mlr_vmath PRIVATE -Wall -Wextra)
  target_link_libraries(test_mlr_vmath PRIVATE cunit_lib m)
  add_dependencies(test_mlr_vmath test_mlr) # test_mlr's rules generate the kernels
  add_test(NAME mlr_vmath COMMAND test_mlr_vmath)
endif()
