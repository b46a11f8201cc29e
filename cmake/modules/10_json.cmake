# json: the hot-path JSON scanner, parse-level flattening and schema inference.
# Pure format code: bytes in, columns or field lists out. jansson is only a
# test dependency here (the differential tests and the benchmark's peer).
lakesync_module(json MAIN SOURCES
  server/jsonscan.c
  server/flatten.c
  server/schema_infer.c
  DEPS ls_schema)
target_link_libraries(ls_json PUBLIC m)

lakesync_unit_test(jsonscan SOURCES tests/unit/test_jsonscan.c DEPS ls_json)
lakesync_unit_test(flatten SOURCES tests/unit/test_flatten.c DEPS ls_json)
lakesync_unit_test(schema_infer SOURCES tests/unit/test_schema_infer.c DEPS ls_json)

# The scanner against jansson on 1M reference messages (bench/jsonscan.sh).
add_executable(bench_jsonscan EXCLUDE_FROM_ALL bench/jsonscan_bench.c)
target_link_libraries(bench_jsonscan PRIVATE ls_json PkgConfig::JANSSON)

# The differential check against jansson: replayed over the committed corpus
# by ctest, and driven by libFuzzer when LAKESYNC_FUZZ is on (clang only).
lakesync_unit_test(jsonscan_corpus
  SOURCES tests/unit/test_jsonscan_corpus.c tests/fuzz/jsonscan_diff.c
  DEPS ls_json PkgConfig::JANSSON)
target_include_directories(test_jsonscan_corpus PRIVATE ${CMAKE_SOURCE_DIR}/tests/fuzz)
if(LAKESYNC_FUZZ)
  target_compile_options(ls_json PRIVATE -fsanitize=fuzzer-no-link)
  add_executable(fuzz_jsonscan tests/fuzz/fuzz_jsonscan.c tests/fuzz/jsonscan_diff.c)
  target_compile_options(fuzz_jsonscan PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz_jsonscan PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_jsonscan PRIVATE ls_json PkgConfig::JANSSON)
endif()
