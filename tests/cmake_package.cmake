# ctest script (cmake_package_tests.cmake): install, then build and run
# examples/cmake against the installed prefix.
# Args: -DSRC= (project) -DBUILD= (its build tree) -DWORK= -DGENERATOR= -DCC=
include(${CMAKE_CURRENT_LIST_DIR}/cmake_test_util.cmake)
file(REMOVE_RECURSE ${WORK})
# a copy of the example, so the test may touch and edit its spec
file(COPY ${SRC}/examples/cmake DESTINATION ${WORK})
set(ex ${WORK}/cmake)
set(prefix ${WORK}/prefix)

run(${CMAKE_COMMAND} --install ${BUILD} --prefix ${prefix})
foreach(f bin/myogen share/myogen/runtime/myogen_cl.c share/myogen/runtime/myogen_cl.h
          lib/cmake/myogen/myogenConfig.cmake lib/cmake/myogen/myogenConfigVersion.cmake
          lib/cmake/myogen/myogenTargets.cmake lib/cmake/myogen/myogenAddKernel.cmake)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "cmake --install did not install ${f}")
  endif()
endforeach()

# knobs for the example's tuned kernel, measured here (about a second); the
# build below runs myogen in the same environment ($CC), as the wisdom needs
run(${prefix}/bin/myogen tune ${ex}/tree.lua --seq-len 16 --arity 4 --budget 0.2 --channels 8
    --wisdom ${WORK}/tree_wisdom.txt)

run(${CMAKE_COMMAND} -S ${ex} -B ${WORK}/build -G ${GENERATOR} -DCMAKE_C_COMPILER=${CC}
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix}
    -DEXAMPLE_WISDOM=${WORK}/tree_wisdom.txt)
run(${CMAKE_COMMAND} --build ${WORK}/build)
run(${WORK}/build/example)
expect_output("btt_c: 5 x 12 -> 10, largest relative error [^ ]*: ok")
expect_output("btt_avx2: .*(: ok|not run)")
expect_output("tree_tuned: .*: ok")
set(tuned ${WORK}/build/myogen/tree_tuned/tree_tuned.c)
file(READ ${tuned} text LIMIT 1500)
if(NOT text MATCHES "with knobs TC=")
  message(FATAL_ERROR "${tuned}: the WISDOM knobs are not in its header comment")
endif()

# a touched spec: myogen runs again, its unchanged output keeps its mtime
set(c ${WORK}/build/myogen/btt_c/btt_c.c)
file(TIMESTAMP ${c} before "%s")
run(${CMAKE_COMMAND} -E sleep 1.1)
run(${CMAKE_COMMAND} -E touch ${ex}/btt.lua)
run(${CMAKE_COMMAND} --build ${WORK}/build)
expect_output("myogen: btt_c from btt.lua")
file(TIMESTAMP ${c} after "%s")
if(NOT before STREQUAL after)
  message(FATAL_ERROR "${c} was rewritten with the same content (mtime ${before} -> ${after})")
endif()

# an edited spec: regenerated and rebuilt (the rank is a macro of the header)
file(READ ${ex}/btt.lua spec)
string(REPLACE "state = 2" "state = 3" spec "${spec}")
file(WRITE ${ex}/btt.lua "${spec}")
run(${CMAKE_COMMAND} --build ${WORK}/build)
run(${WORK}/build/example)
expect_output("btt_c: 5 x 12 -> 10, largest relative error [^ ]*: ok")
file(READ ${WORK}/build/myogen/btt_c/btt_c.h h)
if(NOT h MATCHES "#define btt_c_RANK 3\n")
  message(FATAL_ERROR "btt_c.h was not regenerated from the edited spec")
endif()

# a bad spec fails at configure time with myogen's one-line message
file(WRITE ${ex}/btt.lua "return {kernel = \"btt\", name = \"x\", passes = \"forward\"}\n")
execute_process(COMMAND ${CMAKE_COMMAND} ${WORK}/build RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE out)
# CMake wraps long messages at word boundaries (a long build path moves the breaks)
string(REGEX REPLACE "[ \n]+" " " flat "${out}")
if(rc EQUAL 0 OR NOT flat MATCHES "myogen_add_kernel\\(btt_c\\): myogen: .*btt.lua: field .passes.")
  message(FATAL_ERROR "a bad spec: configure exit ${rc}, expected myogen's message:\n${out}")
endif()
message(STATUS "cmake_package: installed, found, built, ran, regenerated")
