# Helpers shared by every folder's CMakeLists.txt.

# rdma_unit_test(NAME name SOURCES a_test.cc ... LIBS lib ...)
# A googletest binary with the ctest label "unit". Unit tests are also built
# and run under ASan+UBSan in CI (target unit_tests builds just these).
function(rdma_unit_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest_main GTest::gmock)
  set_target_properties(${T_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  gtest_discover_tests(${T_NAME} DISCOVERY_MODE PRE_TEST PROPERTIES LABELS unit)
  set_property(GLOBAL APPEND PROPERTY RDMA_UNIT_TESTS ${T_NAME})
endfunction()

function(rdma_finish_unit_tests)
  get_property(tests GLOBAL PROPERTY RDMA_UNIT_TESTS)
  add_custom_target(unit_tests)
  if(tests)
    add_dependencies(unit_tests ${tests})
  endif()
endfunction()
