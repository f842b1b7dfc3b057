# myogen_add_kernel(<target> SPEC <file.lua> [WISDOM <file>] [DEFINES key=value...])
#
# DESIGN.md 10.  Generates the kernel of SPEC at build time (myogen SPEC -o
# <target>.c [-D key=value]... [--wisdom FILE]) into
# ${CMAKE_CURRENT_BINARY_DIR}/myogen/<target>/ and builds it into a STATIC
# library <target>:
#   - #include "<target>.h" (the include directory is an INTERFACE one);
#   - compiled with the flags of the spec's target ISA (PRIVATE: the program
#     that links it needs none of them; c: none, avx2: -mavx2 -mfma, avx512:
#     -mavx512f -mfma, a list of targets: none, the file dispatches at run time);
#   - threads = "openmp": linked with OpenMP::OpenMP_C where CMake finds OpenMP;
#   - target = "opencl": linked with the runtime (myogen_cl.c) and OpenCL::OpenCL;
#   - target = "cuda": <target>.cu compiled as CUDA (the project enables the
#     CUDA language: project(... LANGUAGES C CUDA) or enable_language(CUDA)),
#     linked with CUDA::cudart_static.
# It regenerates when the spec, the wisdom file or myogen change; myogen
# does not rewrite an unchanged file, so nothing recompiles then.  SPEC and
# WISDOM are relative to the current source directory.
#
# With find_package(myogen), the spec is checked at configure time (a bad
# spec fails there with myogen's one-line message) and a change to it
# re-runs CMake.  In a project that adds myogen with add_subdirectory(),
# myogen does not exist yet at configure time: the target is read from
# DEFINES target=... or from the spec's text (a literal target = "..."),
# and passed to myogen as -D target=..., so the flags and the kernel agree.
include_guard(GLOBAL)

# where myogen_cl.c lives: myogenConfig.cmake sets it for an installed
# myogen; in the source tree it is runtime/
get_property(_myogen_rt GLOBAL PROPERTY MYOGEN_RUNTIME_DIR)
if(NOT _myogen_rt)
  set_property(GLOBAL PROPERTY MYOGEN_RUNTIME_DIR ${CMAKE_CURRENT_LIST_DIR}/../runtime)
endif()
unset(_myogen_rt)

# The compiler flags of a target ISA (templates/isa/<isa>.lua, cflags).
function(_myogen_isa_flags isa out)
  if(isa STREQUAL "avx2")
    set(${out} -mavx2 -mfma PARENT_SCOPE)
  elseif(isa STREQUAL "avx512")
    set(${out} -mavx512f -mfma PARENT_SCOPE)
  else() # c, neon (AArch64 has it always), opencl (host C), a list
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

# The target ("c", "avx2", ... or "list") and threads of the canonical spec.
function(_myogen_canonical_fields canonical isa_out threads_out)
  set(isa c)
  if(canonical MATCHES "target=\"([a-z0-9]+)\"")
    set(isa ${CMAKE_MATCH_1})
  elseif(canonical MATCHES "target={")
    set(isa list)
  endif()
  set(threads none)
  if(canonical MATCHES "threads=\"([a-z]+)\"")
    set(threads ${CMAKE_MATCH_1})
  endif()
  set(${isa_out} ${isa} PARENT_SCOPE)
  set(${threads_out} ${threads} PARENT_SCOPE)
endfunction()

# Without a myogen to run: a spec field's value from DEFINES, else from the
# spec's text, where it must be a literal string or list of strings (one
# value however often it appears).  Sets ${out} to the value in -D form
# (avx2, or avx512,avx2,c for a list), or "" where the spec does not set it.
function(_myogen_scan_field where spec field defines out)
  foreach(d IN LISTS defines)
    if(d MATCHES "^${field}=(.*)$")
      set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
      return()
    endif()
  endforeach()
  file(READ ${spec} text)
  string(REGEX REPLACE "--[^\n]*" "" text "${text}") # comments
  string(REGEX MATCHALL "[^A-Za-z0-9_]${field}[ \t\r\n]*=[^=][^,}\n]*" uses " ${text}")
  set(found "")
  foreach(u IN LISTS uses)
    string(REGEX REPLACE "^.${field}[ \t\r\n]*=" "" v "${u}")
    string(STRIP "${v}" v)
    if(v MATCHES "^\"([a-z0-9]+)\"$")
      set(v ${CMAKE_MATCH_1})
    elseif(v MATCHES "^{[ \t\"a-z0-9,]*$")
      # a list: ${field} = {"avx512", "avx2", "c"} (the regex stops at the first comma)
      string(REGEX MATCH "${field}[ \t\r\n]*=[ \t\r\n]*{[^}]*}" l "${text}")
      string(REGEX REPLACE "^[^{]*{|}$|[ \t\r\n\"]" "" v "${l}")
    else()
      message(FATAL_ERROR "${where}: ${spec} computes '${field}' (${v}); myogen is not built "
                          "yet when CMake configures this project, so the kernel's ${field} "
                          "must be a literal in the spec or given as DEFINES ${field}=...")
    endif()
    if(found AND NOT found STREQUAL v)
      message(FATAL_ERROR "${where}: ${spec} sets '${field}' to ${found} and to ${v}; give "
                          "DEFINES ${field}=... to say which")
    endif()
    set(found ${v})
  endforeach()
  set(${out} "${found}" PARENT_SCOPE)
endfunction()

function(myogen_add_kernel target)
  set(where "myogen_add_kernel(${target})")
  set(usage "myogen_add_kernel(<target> SPEC <file.lua> [WISDOM <file>] [DEFINES key=value...])")
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "SPEC;WISDOM" "DEFINES")
  if(arg_UNPARSED_ARGUMENTS OR arg_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "${where}: unexpected or incomplete arguments "
                        "'${arg_UNPARSED_ARGUMENTS}${arg_KEYWORDS_MISSING_VALUES}'; usage: ${usage}")
  endif()
  if(NOT target MATCHES "^[A-Za-z0-9_.+-]+$")
    message(FATAL_ERROR "${where}: the target name is the kernel's file name: letters, "
                        "digits and '._+-' only")
  endif()
  if(NOT arg_SPEC)
    message(FATAL_ERROR "${where}: SPEC <file.lua> is required; usage: ${usage}")
  endif()
  get_filename_component(spec ${arg_SPEC} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  if(NOT EXISTS ${spec})
    message(FATAL_ERROR "${where}: SPEC ${spec} does not exist")
  endif()
  set(deps ${spec})
  set(defs "")
  foreach(d IN LISTS arg_DEFINES)
    if(NOT d MATCHES "^[A-Za-z_][A-Za-z0-9_]*=")
      message(FATAL_ERROR "${where}: DEFINES '${d}': expected key=value")
    endif()
    list(APPEND defs -D ${d})
  endforeach()
  set(wisdom_args "")
  if(arg_WISDOM)
    get_filename_component(wisdom ${arg_WISDOM} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    if(NOT EXISTS ${wisdom})
      message(FATAL_ERROR "${where}: WISDOM ${wisdom} does not exist")
    endif()
    list(APPEND deps ${wisdom})
    set(wisdom_args --wisdom ${wisdom})
  endif()

  get_target_property(imported myogen::myogen IMPORTED)
  if(imported) # an installed myogen: ask it
    get_target_property(exe myogen::myogen LOCATION)
    execute_process(COMMAND ${exe} check ${spec} ${defs}
                    OUTPUT_VARIABLE canonical ERROR_VARIABLE why RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      string(STRIP "${why}" why)
      message(FATAL_ERROR "${where}: ${why}")
    endif()
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${spec})
    _myogen_canonical_fields("${canonical}" isa threads)
  else() # built in this tree, later: read the spec, pin what was read
    _myogen_scan_field(${where} ${spec} target "${arg_DEFINES}" isa)
    _myogen_scan_field(${where} ${spec} threads "${arg_DEFINES}" threads)
    if(isa STREQUAL "")
      set(isa c)
    else()
      list(APPEND defs -D target=${isa})
      if(isa MATCHES ",")
        set(isa list)
      endif()
    endif()
  endif()

  set(dir ${CMAKE_CURRENT_BINARY_DIR}/myogen/${target})
  file(MAKE_DIRECTORY ${dir})
  set(src ${dir}/${target}.c)
  if(isa STREQUAL "cuda") # NAME.cu and NAME.h (DESIGN.md 6.4)
    get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
    if(NOT "CUDA" IN_LIST languages)
      message(FATAL_ERROR "${where}: target \"cuda\" needs the CUDA language: "
                          "project(... LANGUAGES C CUDA) or enable_language(CUDA) first")
    endif()
    set(src ${dir}/${target}.cu)
  endif()
  set(files ${src} ${dir}/${target}.h)
  if(isa STREQUAL "opencl")
    list(APPEND files ${dir}/${target}.cl)
  endif()
  # myogen keeps an unchanged file as it is (mtime too), so the stamp is what
  # tells the build tool the command ran; the kernel files are byproducts
  add_custom_command(
    OUTPUT ${dir}/${target}.stamp
    BYPRODUCTS ${files}
    COMMAND myogen::myogen ${spec} -o ${src} ${defs} ${wisdom_args}
    COMMAND ${CMAKE_COMMAND} -E touch ${dir}/${target}.stamp
    DEPENDS ${deps} myogen::myogen
    COMMENT "myogen: ${target} from ${arg_SPEC}"
    VERBATIM)

  add_library(${target} STATIC ${src} ${dir}/${target}.stamp)
  # for the users of the library; the kernel's own "<target>.h" is found
  # beside it, and a -I here would let <target>.h shadow a system header
  # (a target named omp hid <omp.h> from the kernel)
  target_include_directories(${target} INTERFACE ${dir})
  _myogen_isa_flags(${isa} flags)
  target_compile_options(${target} PRIVATE ${flags})
  if(UNIX)
    target_link_libraries(${target} PUBLIC m)
  endif()
  if(threads STREQUAL "openmp")
    find_package(OpenMP COMPONENTS C QUIET)
    if(OpenMP_C_FOUND)
      target_link_libraries(${target} PUBLIC OpenMP::OpenMP_C)
    endif()
  endif()
  if(isa STREQUAL "opencl")
    find_package(OpenCL REQUIRED)
    find_package(Threads REQUIRED)
    if(NOT TARGET myogen_opencl_runtime)
      get_property(rt GLOBAL PROPERTY MYOGEN_RUNTIME_DIR)
      add_library(myogen_opencl_runtime STATIC ${rt}/myogen_cl.c)
      target_include_directories(myogen_opencl_runtime PUBLIC ${rt})
      target_link_libraries(myogen_opencl_runtime PUBLIC OpenCL::OpenCL Threads::Threads)
    endif()
    target_link_libraries(${target} PUBLIC myogen_opencl_runtime)
  endif()
  if(isa STREQUAL "cuda")
    find_package(CUDAToolkit REQUIRED)
    target_link_libraries(${target} PUBLIC CUDA::cudart_static)
  endif()
endfunction()
