# List targets (DESIGN.md 3): one kernel of each kind generated for the list
# {"avx512","avx2","neon","c"} and for "c" alone; test_multi_isa checks that
# the list file runs the best ISA of this CPU and agrees with the c one.  No
# ISA flags: the list file must compile without them.  Cross-built and run
# under qemu too where the neon tests are (it must pick neon there).
set(MULTI_GEN_DIR ${CMAKE_CURRENT_BINARY_DIR}/multi_gen)
file(MAKE_DIRECTORY ${MULTI_GEN_DIR})
set(MULTI_SOURCES "")
set(multi_list avx512,avx2,neon,c)
set(multi_myo ${PROJECT_SOURCE_DIR}/tests/specs/myo_base.lua arity=3 depth=3 state=4
    share=vertex readout=siso dtype=f32 passes=forward,backward)
set(multi_mlr ${PROJECT_SOURCE_DIR}/tests/specs/mlr_base.lua seq_len=40 arity=2 depth=3
    state=4,2,2 value_dim=5 dtype=f64)
set(multi_btt ${PROJECT_SOURCE_DIR}/tests/specs/btt_base.lua arity=4,4 state=2 dtype=f32)
foreach(kind myo mlr btt)
  list(GET multi_${kind} 0 spec)
  list(SUBLIST multi_${kind} 1 -1 overrides)
  set(defs "")
  foreach(d ${overrides})
    list(APPEND defs -D ${d})
  endforeach()
  foreach(variant list c)
    if(variant STREQUAL "list")
      set(name multi_${kind})
      set(target ${multi_list})
    else()
      set(name multi_${kind}_c)
      set(target c)
    endif()
    set(c ${MULTI_GEN_DIR}/${name}.c)
    add_custom_command(
      OUTPUT ${c} ${MULTI_GEN_DIR}/${name}.h
      COMMAND ${MYOGEN_EXE} ${spec} -o ${c} -D name=${name} -D target=${target} ${defs}
      DEPENDS myogen ${spec}
      COMMENT "myogen ${name}"
      VERBATIM)
    set_source_files_properties(${c} PROPERTIES COMPILE_OPTIONS
                                "-O2;-std=c99;-Wall;-Wextra;-Werror;-pedantic")
    list(APPEND MULTI_SOURCES ${c} ${MULTI_GEN_DIR}/${name}.h)
  endforeach()
endforeach()
add_executable(test_multi_isa test_multi_isa.c ${MULTI_SOURCES})
target_include_directories(test_multi_isa PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${MULTI_GEN_DIR})
target_compile_options(test_multi_isa PRIVATE -Wall -Wextra)
target_link_libraries(test_multi_isa PRIVATE cunit_lib m)
add_test(NAME multi_isa COMMAND test_multi_isa)
if(MYOGEN_CROSS_TARGETS)
  myogen_neon_test(test_multi_isa_neon multi_isa_neon ${MULTI_GEN_DIR}
                   ${CMAKE_CURRENT_SOURCE_DIR}/test_multi_isa.c ${MULTI_SOURCES})
endif()
