# iceberg: Iceberg v2 table format (schemas, partition transforms, manifests,
# manifest lists, metadata JSON, table reader). Pure format code.
lakesync_module(iceberg MAIN SOURCES
  server/iceberg_schema.c
  server/iceberg_transform.c
  server/iceberg_manifest_schemas.c
  server/iceberg_manifest.c
  server/iceberg_metadata.c
  server/iceberg_table.c
  server/iceberg_replace.c
  DEPS ls_avro ls_schema PkgConfig::JANSSON)

lakesync_unit_test(iceberg SOURCES tests/unit/test_iceberg.c DEPS ls_iceberg)

# Test tool: writes sample table metadata for tests/e2e/iceberg_avro.test.mjs.
add_executable(iceberg_sample tests/tools/iceberg_sample.c)
target_link_libraries(iceberg_sample PRIVATE ls_iceberg)

# iceberg_parquet: Parquet writer stats -> Iceberg data file metrics. Separate
# so ls_iceberg does not depend on the Parquet writer.
if(TARGET ls_parquet)
  lakesync_module(iceberg_parquet MAIN SOURCES
    server/iceberg_parquet.c
    DEPS ls_iceberg ls_parquet)
  lakesync_unit_test(iceberg_parquet SOURCES tests/unit/test_iceberg_parquet.c
                     DEPS ls_iceberg_parquet)
  # Test tool: a complete table with Parquet data for tests/e2e/iceberg_icebird.test.mjs.
  add_executable(iceberg_table_sample tests/tools/iceberg_table_sample.c)
  target_link_libraries(iceberg_table_sample PRIVATE ls_iceberg_parquet)
endif()
