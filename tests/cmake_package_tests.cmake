# The CMake package (DESIGN.md 10), as a user meets it:
#   cmake_package       cmake --install into a temporary prefix, then
#                       examples/cmake configured against it with
#                       find_package(myogen), built (myogen_add_kernel: a c,
#                       an avx2 and a tuned kernel) and run; a touched spec
#                       regenerates without recompiling, an edited one rebuilds
#   cmake_subdirectory  a host project that add_subdirectory()s myogen: no
#                       tests, ctest entries or benchmark probes of myogen,
#                       and myogen_add_kernel builds and runs there too
set(pkg_args -DSRC=${PROJECT_SOURCE_DIR} -DBUILD=${PROJECT_BINARY_DIR}
             "-DGENERATOR=${CMAKE_GENERATOR}" -DCC=${CMAKE_C_COMPILER})
add_test(NAME cmake_package
         COMMAND ${CMAKE_COMMAND} ${pkg_args} -DWORK=${CMAKE_CURRENT_BINARY_DIR}/cmake_package
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake_package.cmake)
add_test(NAME cmake_subdirectory
         COMMAND ${CMAKE_COMMAND} ${pkg_args} -DWORK=${CMAKE_CURRENT_BINARY_DIR}/cmake_subdirectory
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake_subdirectory.cmake)
set_tests_properties(cmake_package cmake_subdirectory PROPERTIES TIMEOUT 300)
# both run CMake and compilers: one at a time is enough on a small machine
set_tests_properties(cmake_package cmake_subdirectory PROPERTIES RESOURCE_LOCK cmake_package)
