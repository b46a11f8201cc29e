# parquet: the streaming Parquet writer (format code: bytes in, bytes out).
execute_process(COMMAND git rev-parse --short=12 HEAD
                WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                OUTPUT_VARIABLE lakesync_parquet_build_id
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT lakesync_parquet_build_id)
  set(lakesync_parquet_build_id unknown)
endif()

lakesync_module(parquet MAIN SOURCES
  server/parquet_thrift.c
  server/parquet_encode.c
  server/parquet_writer.c
  DEPS ls_schema PkgConfig::ZSTD PkgConfig::ZLIB ${SNAPPY_LIBRARY} m)
target_compile_definitions(ls_parquet PRIVATE LAKESYNC_BUILD_ID="${lakesync_parquet_build_id}")

lakesync_unit_test(parquet SOURCES tests/unit/test_parquet.c DEPS ls_parquet)

# A test tool: writes Parquet files described by a JSON document, for the
# end-to-end tests that read them back with DuckDB and hyparquet.
add_executable(lakesync_parquet_gen tests/tools/parquet_gen.c)
target_link_libraries(lakesync_parquet_gen PRIVATE ls_parquet PkgConfig::JANSSON)
