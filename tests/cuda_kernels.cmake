# CUDA target compile check (DESIGN.md 6.4; CI has no GPU): every shipped
# spec and every GPU test kernel (the OpenCL tests' lists record theirs with
# cuda_check_kernel) is generated with target "cuda" and compiled by nvcc
# for sm_90 with warnings as errors (tests/cuda_check.cmake).  nvcc: the
# cache variable MYOGEN_NVCC, else nvcc on PATH, else the one PyPI's
# nvidia-cuda-nvcc installs beside torch (.ci/python-deps installs it).  Where
# there is a GPU, tests/python/test_cuda.py runs the kernels.

#   cuda_check_kernel(SPEC key=value...): one kernel for the check
function(cuda_check_kernel spec)
  string(REPLACE ";" " " defs "${ARGN}")
  set_property(GLOBAL APPEND PROPERTY MYOGEN_CUDA_CHECK "${spec} ${defs}")
endfunction()

# nvcc and its include directory (the runtime headers of the same wheels)
function(myogen_find_nvcc out)
  if(MYOGEN_NVCC)
    set(${out} ${MYOGEN_NVCC} PARENT_SCOPE)
    return()
  endif()
  find_program(nvcc_on_path nvcc)
  if(nvcc_on_path)
    set(${out} ${nvcc_on_path} PARENT_SCOPE)
    return()
  endif()
  find_program(python NAMES python3 python)
  if(python)
    execute_process(
      COMMAND ${python} -c "import glob, os, nvidia; print(' '.join(sorted(glob.glob(os.path.join(list(nvidia.__path__)[0], '*', 'bin', 'nvcc')))))"
      OUTPUT_VARIABLE found OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(found)
      separate_arguments(found)
      list(GET found -1 nvcc)
      set(${out} ${nvcc} PARENT_SCOPE)
      return()
    endif()
  endif()
  set(${out} "" PARENT_SCOPE)
endfunction()

# 16-bit storage (DESIGN.md 3: mlr and btt matmul, f32 arithmetic, btt's
# GEMMs on tensor cores): odd shapes, both passes
foreach(dtype bf16 f16)
  cuda_check_kernel(${PROJECT_SOURCE_DIR}/tests/specs/mlr_base.lua name=mlr_${dtype}_k3t27
                    dtype=${dtype} seq_len=27 arity=3 depth=3 state=3,2,2 value_dim=5
                    causal=true normalize=shared scale=inv_rank)
  cuda_check_kernel(${PROJECT_SOURCE_DIR}/tests/specs/mlr_base.lua name=mlr_${dtype}_pub256
                    dtype=${dtype} seq_len=256 arity=2 depth=8 state=32,8,6,4,4,4,4,2
                    value_dim=64 causal=true normalize=shared scale=inv_rank)
  cuda_check_kernel(${PROJECT_SOURCE_DIR}/tests/specs/btt_base.lua name=btt_${dtype}_odd
                    dtype=${dtype} arity=3,5 out_arity=2,7 state=3 passes=forward,backward)
  cuda_check_kernel(${PROJECT_SOURCE_DIR}/tests/specs/btt_base.lua name=btt_${dtype}_sq16
                    dtype=${dtype} arity=16,16 out_arity=16,16 state=4 passes=forward,backward)
endforeach()

# the largest dense blocks the schema admits on GPU targets (compiler/schema.c,
# check_myo_gpu_local): their tree kernels' local memory must fit 48 KiB,
# which ptxas checks (the forward's k_leaves; the backward's row partials)
cuda_check_kernel(${PROJECT_SOURCE_DIR}/tests/specs/myo_base.lua name=cu_dense_n49 dtype=f32
                  share=vertex readout=siso block=dense arity=4 depth=2 state=49
                  passes=forward,backward)
cuda_check_kernel(${PROJECT_SOURCE_DIR}/tests/specs/myo_base.lua name=cu_dense_level_n63 dtype=f32
                  share=level readout=siso block=dense arity=2 depth=2 state=63
                  passes=forward,backward)

# called at the end of tests/CMakeLists.txt, once every list has recorded its kernels
function(myogen_add_cuda_check)
  myogen_find_nvcc(nvcc)
  if(NOT nvcc)
    message(STATUS "nvcc not found: the CUDA compile check is not added (set MYOGEN_NVCC)")
    return()
  endif()
  message(STATUS "CUDA compile check with ${nvcc}")
  file(GLOB shipped ${PROJECT_SOURCE_DIR}/specs/*.lua)
  get_property(kernels GLOBAL PROPERTY MYOGEN_CUDA_CHECK)
  set(lines "")
  foreach(s ${shipped})
    get_filename_component(n ${s} NAME_WE)
    string(APPEND lines "${s} name=${n}\n")
  endforeach()
  foreach(k ${kernels})
    string(APPEND lines "${k}\n")
  endforeach()
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/cuda_check_kernels.txt "${lines}")
  add_test(NAME cuda_compile
           COMMAND ${CMAKE_COMMAND} -DMYOGEN=${MYOGEN_EXE} -DNVCC=${nvcc}
                   -DLIST=${CMAKE_CURRENT_BINARY_DIR}/cuda_check_kernels.txt
                   -DWORK=${CMAKE_CURRENT_BINARY_DIR}/cuda_check
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/cuda_check.cmake)
  set_tests_properties(cuda_compile PROPERTIES TIMEOUT 900)
  # bench/cuda/registers.sh (ptxas's registers per kernel) on a shipped spec
  add_test(NAME cuda_registers
           COMMAND env NVCC=${nvcc} MYOGEN=${MYOGEN_EXE} bash ${PROJECT_SOURCE_DIR}/bench/cuda/registers.sh
                   ${PROJECT_SOURCE_DIR}/specs/gpu_tokens_1024.lua -D name=regs_check)
  set_tests_properties(cuda_registers PROPERTIES PASS_REGULAR_EXPRESSION "regs .* smem  regs_check_k_leaves\n")
endfunction()
