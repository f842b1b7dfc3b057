# Unit tests of the compiler itself: the template lexer/compiler (linked
# against myogen_core) and the command line (runs the built myogen).
# Each CUnit suite is its own ctest test.

add_executable(test_template test_template.c)
target_compile_options(test_template PRIVATE -Wall -Wextra)
target_link_libraries(test_template PRIVATE myogen_core cunit_lib)
foreach(suite lexer render errors engine)
  add_test(NAME template.${suite} COMMAND test_template ${suite})
endforeach()

add_executable(test_cli test_cli.c cli_util.c cli_reliability.c)
target_compile_options(test_cli PRIVATE -Wall -Wextra)
target_link_libraries(test_cli PRIVATE cunit_lib)
add_dependencies(test_cli myogen)
foreach(suite options check generate bad_specs reliability)
  add_test(NAME cli.${suite}
           COMMAND test_cli ${MYOGEN_EXE} ${CMAKE_CURRENT_SOURCE_DIR}/bad_specs ${suite})
  # specs that hang are killed after 10 s each
  set_tests_properties(cli.${suite} PROPERTIES TIMEOUT 600)
endforeach()
