# ctest script: kernels whose names differ only in case (myo "kcase" and
# "Kcase", mlr and btt alike) have headers that one translation unit can
# include together and use both of (DESIGN.md 5: guards cannot collide).
# Args: -DMYOGEN= -DSRC= (project) -DWORK= -DCC=
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(pairs "myo:kcase:Kcase" "mlr:lcase:lCASE" "btt:bcase:BCASE")
set(sources "")
set(tu "#include <stdio.h>\n")
set(body "")
foreach(pair ${pairs})
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 kernel)
  list(GET pair 1 a)
  list(GET pair 2 b)
  foreach(name ${a} ${b})
    # file names differ beyond case too (case-insensitive file systems)
    if(name STREQUAL a)
      set(file ${kernel}_lower)
    else()
      set(file ${kernel}_upper)
    endif()
    execute_process(COMMAND ${MYOGEN} ${SRC}/tests/specs/${kernel}_base.lua
                            -o ${WORK}/${file}.c -D name=${name}
                    RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "myogen failed on ${kernel} name=${name}")
    endif()
    list(APPEND sources ${WORK}/${file}.c)
    string(APPEND tu "#include \"${file}.h\"\n")
    string(APPEND body "    n += ${name}_workspace_size(1, 1) > 0;\n")
  endforeach()
endforeach()
# a type of each kernel too: a skipped header leaves it undeclared
string(APPEND tu "static Kcase_params pa;\nstatic kcase_params pb;\n")
string(APPEND tu "int main(void)\n{\n    int n = 0;\n${body}")
string(APPEND tu "    (void)pa;\n    (void)pb;\n    printf(\"%d\\n\", n);\n    return 0;\n}\n")
file(WRITE ${WORK}/both.c "${tu}")
execute_process(COMMAND ${CC} -std=c99 -Wall -Wextra -Werror -pedantic -I${WORK}
                        ${WORK}/both.c ${sources} -lm -o ${WORK}/both
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "headers of names that differ only in case do not compile together")
endif()
execute_process(COMMAND ${WORK}/both RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the program using both kernels failed: ${rc}")
endif()
message(STATUS "headers of names differing only in case: one translation unit, ${out}")
