# Helpers shared by the module files in cmake/modules/.

# lakesync_module(NAME SOURCES file.c... [DEPS target...] [MAIN])
# A static library ls_NAME. DEPS are linked PUBLIC: a module's header may expose
# them. MAIN adds it to the lakesync binary.
function(lakesync_module name)
  cmake_parse_arguments(arg "MAIN" "" "SOURCES;DEPS" ${ARGN})
  add_library(ls_${name} STATIC ${arg_SOURCES})
  target_include_directories(ls_${name} PUBLIC ${CMAKE_SOURCE_DIR}/server)
  if(arg_DEPS)
    target_link_libraries(ls_${name} PUBLIC ${arg_DEPS})
  endif()
  if(arg_MAIN)
    set_property(GLOBAL APPEND PROPERTY LAKESYNC_MAIN_LIBS ls_${name})
  endif()
endfunction()

# lakesync_unit_test(NAME SOURCES file.c... DEPS target...)
# Builds test_NAME from the sources plus the harness, and registers one ctest
# test per TEST(x) in the sources, named NAME.x, each run in its own process.
function(lakesync_unit_test name)
  cmake_parse_arguments(arg "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  # While several people add modules at once, a module file can appear a
  # moment before its test file. Outside strict mode (CI's is strict) such a
  # test is skipped with a warning instead of breaking everyone's configure.
  foreach(src IN LISTS arg_SOURCES)
    if(NOT EXISTS ${CMAKE_SOURCE_DIR}/${src} AND NOT EXISTS ${src})
      if(LAKESYNC_STRICT)
        message(FATAL_ERROR "unit test ${name}: source ${src} does not exist")
      endif()
      message(WARNING "unit test ${name} skipped: ${src} does not exist yet")
      return()
    endif()
  endforeach()
  add_executable(test_${name} ${arg_SOURCES} ${CMAKE_SOURCE_DIR}/tests/unit/testing.c)
  target_include_directories(test_${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/unit)
  target_compile_definitions(test_${name} PRIVATE
    LAKESYNC_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
    LAKESYNC_SHARED_DIR="${CMAKE_SOURCE_DIR}/../shared")
  target_link_libraries(test_${name} PRIVATE ${arg_DEPS})
  set(labels unit ${arg_LABELS})
  foreach(src IN LISTS arg_SOURCES)
    file(STRINGS ${src} lines REGEX "^TEST\\([a-z0-9_]+\\)")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^TEST\\(([a-z0-9_]+)\\).*" "\\1" test_name "${line}")
      add_test(NAME ${name}.${test_name} COMMAND test_${name} ${test_name})
      set_tests_properties(${name}.${test_name} PROPERTIES LABELS "${labels}" TIMEOUT 120)
    endforeach()
  endforeach()
endfunction()

# End-to-end tests: every tests/e2e/*.test.mjs is one ctest test run with node's
# test runner against the real binary. Browser tests live in tests/browser/.
function(lakesync_register_e2e_tests)
  foreach(dir e2e browser)
    file(GLOB e2e_files CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/${dir}/*.test.mjs)
    foreach(test_file IN LISTS e2e_files)
      get_filename_component(test_name ${test_file} NAME_WE)
      # A first line "// ctest-labels: a;b" adds labels, e.g. sanitize to run
      # the test under the ASan+UBSan build too.
      set(test_labels ${dir})
      file(STRINGS ${test_file} label_lines LIMIT_COUNT 1 REGEX "^// ctest-labels: ")
      if(label_lines)
        string(REGEX REPLACE "^// ctest-labels: *" "" extra_labels "${label_lines}")
        string(STRIP "${extra_labels}" extra_labels)
        list(APPEND test_labels ${extra_labels})
      endif()
      add_test(NAME ${dir}.${test_name}
               COMMAND node --test --test-reporter=spec ${test_file}
               WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests)
      set_tests_properties(${dir}.${test_name} PROPERTIES
        LABELS "${test_labels}" TIMEOUT 900
        ENVIRONMENT "LAKESYNC_BIN=$<TARGET_FILE:lakesync>;LAKESYNC_BUILD_DIR=${CMAKE_BINARY_DIR};LAKESYNC_SOURCE_DIR=${CMAKE_SOURCE_DIR};LAKESYNC_SHARED_DIR=${CMAKE_SOURCE_DIR}/../shared")
    endforeach()
  endforeach()
endfunction()
