# ctest script (cmake_package_tests.cmake): tests/cmake_host adds myogen with
# add_subdirectory(); myogen's tests and benchmarks stay out, its
# myogen_add_kernel() builds kernels with the myogen built there.
# Args: -DSRC= (project) -DWORK= -DGENERATOR= -DCC=
include(${CMAKE_CURRENT_LIST_DIR}/cmake_test_util.cmake)
file(REMOVE_RECURSE ${WORK})
run(${CMAKE_COMMAND} -S ${SRC}/tests/cmake_host -B ${WORK} -G ${GENERATOR}
    -DCMAKE_C_COMPILER=${CC} -DCMAKE_BUILD_TYPE=Release -DMYOGEN_SOURCE_DIR=${SRC})
if(last_output MATCHES "OpenBLAS|btt_bench|tests/python|OpenCL")
  message(FATAL_ERROR "configuring myogen as a subdirectory probed for its tests or "
                      "benchmarks:\n${last_output}")
endif()
file(STRINGS ${WORK}/CMakeCache.txt options REGEX "^MYOGEN_BUILD_(TESTS|BENCHMARKS):")
if(NOT options STREQUAL "MYOGEN_BUILD_TESTS:BOOL=OFF;MYOGEN_BUILD_BENCHMARKS:BOOL=OFF" AND
   NOT options STREQUAL "MYOGEN_BUILD_BENCHMARKS:BOOL=OFF;MYOGEN_BUILD_TESTS:BOOL=OFF")
  message(FATAL_ERROR "as a subdirectory: ${options} (expected both OFF)")
endif()
run(${CMAKE_COMMAND} --build ${WORK} --target example)
run(${CMAKE_CTEST_COMMAND} --test-dir ${WORK} -N)
expect_output("Total Tests: 1\n")
run(${CMAKE_CTEST_COMMAND} --test-dir ${WORK} --output-on-failure)
run(${WORK}/example)
expect_output("btt_c: 5 x 12 -> 10, largest relative error [^ ]*: ok")
message(STATUS "cmake_subdirectory: no tests or benchmarks of myogen; kernels built and run")
