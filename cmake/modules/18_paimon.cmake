# paimon: Paimon append-table formats (BinaryRow, schema/snapshot JSON,
# manifests, partition paths, commit planning) and a table reader over an
# abstract read callback. Pure format code: bytes in, bytes out; storage is
# the caller's (plus a local-directory storage for file:// tables and tests).
lakesync_module(paimon MAIN SOURCES
  server/paimon_binaryrow.c
  server/paimon_meta.c
  server/paimon_manifest.c
  server/paimon_commit.c
  server/paimon_read.c
  server/paimon_stats.c
  server/paimon_value.c
  DEPS ls_avro ls_parquet ls_iceberg ls_schema ls_util PkgConfig::JANSSON)

lakesync_unit_test(paimon SOURCES tests/unit/test_paimon.c DEPS ls_paimon)

# Test tools used by tests/e2e/paimon_*.test.mjs: paimon_ls prints a table's
# live files as JSON; paimon_sample writes sample tables through the commit
# planner.
add_executable(paimon_ls tests/tools/paimon_ls.c)
target_link_libraries(paimon_ls PRIVATE ls_paimon)
add_executable(paimon_sample tests/tools/paimon_sample.c)
target_link_libraries(paimon_sample PRIVATE ls_paimon)
