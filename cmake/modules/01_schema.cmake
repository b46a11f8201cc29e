# schema: field types and the column batch shared by the scanner and writers.
lakesync_module(schema MAIN SOURCES
  server/schema_type.c
  server/column_batch.c
  DEPS ls_util)

lakesync_unit_test(schema SOURCES tests/unit/test_schema.c DEPS ls_schema)
