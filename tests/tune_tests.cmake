# myogen tune and wisdom (issue 4): functional tests, no timing.  The units
# link myogen_core; the cli suite runs the built myogen, which builds tiny
# variants with the system C compiler ($CC or cc) on a budget of ~1 s each.
add_executable(test_tune test_tune.c)
target_compile_options(test_tune PRIVATE -Wall -Wextra)
target_link_libraries(test_tune PRIVATE myogen_core cunit_lib m)
add_dependencies(test_tune myogen)
file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/tune_work)
set(_suites knobs reference wisdom cli)
# tuning on the OpenCL target (PoCL in CI) where the tuner can build against OpenCL
find_package(OpenCL)
if(OpenCL_FOUND)
  list(APPEND _suites opencl)
endif()
# tuning on the CUDA target through tests/cuda_emu (its nvcc stand-in builds
# the kernels with the host C++ compiler; they run on host threads)
find_program(MYOGEN_TUNE_GXX NAMES g++)
find_program(MYOGEN_TUNE_PYTHON NAMES python3)
if(MYOGEN_TUNE_GXX AND MYOGEN_TUNE_PYTHON)
  list(APPEND _suites cuda)
endif()
foreach(suite ${_suites})
  add_test(NAME tune.${suite}
           COMMAND test_tune ${MYOGEN_EXE} ${CMAKE_CURRENT_BINARY_DIR}/tune_work/${suite} ${suite})
  set_tests_properties(tune.${suite} PROPERTIES TIMEOUT 600)
endforeach()
if(TARGET test_tune AND "cuda" IN_LIST _suites)
  set_tests_properties(tune.cuda PROPERTIES ENVIRONMENT
                       "MYOGEN_NVCC=${PROJECT_SOURCE_DIR}/tests/cuda_emu/nvcc")
endif()
