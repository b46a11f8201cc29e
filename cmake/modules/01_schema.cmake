# schema: field types and the column batch shared by the scanner and writers.
lakesync_module(schema MAIN SOURCES
  server/schema_type.c
  server/column_batch.c
  server/dead_letter.c
  DEPS ls_util)

lakesync_unit_test(schema SOURCES tests/unit/test_schema.c DEPS ls_schema)
lakesync_unit_test(dead_letter SOURCES tests/unit/test_dead_letter.c DEPS ls_schema)
