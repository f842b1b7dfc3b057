# cmake --install (DESIGN.md 10): the myogen executable (templates are
# embedded in it, nothing else is read at run time), the OpenCL runtime pair
# that OpenCL kernels build against, and the CMake package:
#   <prefix>/bin/myogen
#   <prefix>/share/myogen/runtime/myogen_cl.{c,h}
#   <prefix>/lib/cmake/myogen/   myogenConfig.cmake, myogenConfigVersion.cmake,
#                                myogenTargets.cmake (myogen::myogen),
#                                myogenAddKernel.cmake (myogen_add_kernel)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(MYOGEN_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/myogen)
set(MYOGEN_INSTALL_RUNTIMEDIR ${CMAKE_INSTALL_DATADIR}/myogen/runtime)

install(TARGETS myogen EXPORT myogenTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/runtime/myogen_cl.c ${PROJECT_SOURCE_DIR}/runtime/myogen_cl.h
        DESTINATION ${MYOGEN_INSTALL_RUNTIMEDIR})
install(EXPORT myogenTargets NAMESPACE myogen:: DESTINATION ${MYOGEN_INSTALL_CMAKEDIR})

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/myogenConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/myogenConfig.cmake
                              INSTALL_DESTINATION ${MYOGEN_INSTALL_CMAKEDIR}
                              PATH_VARS MYOGEN_INSTALL_RUNTIMEDIR)
# 0.x: a new minor version may change the spec format or the ABI
write_basic_package_version_file(${PROJECT_BINARY_DIR}/myogenConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/myogenConfig.cmake
              ${PROJECT_BINARY_DIR}/myogenConfigVersion.cmake
              ${CMAKE_CURRENT_LIST_DIR}/myogenAddKernel.cmake
        DESTINATION ${MYOGEN_INSTALL_CMAKEDIR})
