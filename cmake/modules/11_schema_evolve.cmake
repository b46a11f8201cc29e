# schema_evolve: automatic schema evolution's policies and proposals, shared
# by the worker (finding new fields) and the server (applying them to a job).
lakesync_module(schema_evolve MAIN SOURCES
  server/schema_evolve.c
  DEPS ls_json PkgConfig::JANSSON)

lakesync_unit_test(schema_evolve SOURCES tests/unit/test_schema_evolve.c DEPS ls_schema_evolve)
