# generated/ is committed; it must match what the specs generate now.
add_test(NAME generated_up_to_date
         COMMAND ${CMAKE_COMMAND} -DMYOGEN=${MYOGEN_EXE} -DSRC=${PROJECT_SOURCE_DIR}
                 -DWORK=${CMAKE_CURRENT_BINARY_DIR}/generated_check "-DCC=${MYOGEN_TEST_CC}"
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/check_generated.cmake)

# The vendoring example builds with make and cc alone, from generated/.
find_program(MAKE_PROGRAM NAMES make gmake)
if(MAKE_PROGRAM)
  add_test(NAME vendor_example
           COMMAND ${MAKE_PROGRAM} -s -C ${PROJECT_SOURCE_DIR}/examples/vendor
                   OUT=${CMAKE_CURRENT_BINARY_DIR}/vendor "CC=${MYOGEN_TEST_CC}" run)
endif()
