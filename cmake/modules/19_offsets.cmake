# offsets: a table's Kafka progress and the exactly-once fencing rule (pure).
lakesync_module(offsets MAIN SOURCES
  server/offsets.c
  DEPS ls_util PkgConfig::JANSSON)

lakesync_unit_test(offsets SOURCES tests/unit/test_offsets.c DEPS ls_offsets)
