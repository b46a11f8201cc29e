# parquet_reader: the Parquet reader (format code: bytes in, bytes out) and the
# `lakesync parquet-cat` command. It reuses the writer's thrift type codes, so
# it depends on ls_parquet; the writer is also what its unit tests read back.
lakesync_module(parquet_reader MAIN SOURCES
  server/parquet_thrift_read.c
  server/parquet_reader_meta.c
  server/parquet_reader_values.c
  server/parquet_reader_page.c
  server/parquet_reader.c
  server/parquet_cat.c
  DEPS ls_parquet ls_schema PkgConfig::ZSTD PkgConfig::ZLIB ${SNAPPY_LIBRARY})

lakesync_unit_test(parquet_reader SOURCES tests/unit/test_parquet_reader.c DEPS ls_parquet_reader)

# libFuzzer over whole files (clang only), like fuzz_jsonscan.
if(LAKESYNC_FUZZ)
  target_compile_options(ls_parquet_reader PRIVATE -fsanitize=fuzzer-no-link)
  add_executable(fuzz_parquet_reader tests/unit/test_parquet_reader_fuzz.c)
  target_compile_options(fuzz_parquet_reader PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz_parquet_reader PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_parquet_reader PRIVATE ls_parquet_reader)
endif()
