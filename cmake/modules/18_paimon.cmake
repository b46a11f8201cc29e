# paimon: Paimon append-table formats (BinaryRow, schema/snapshot JSON,
# manifests, partition paths, commit planning) and a table reader. Pure format
# code: bytes in, bytes out; storage is the caller's.
lakesync_module(paimon MAIN SOURCES
  server/paimon_binaryrow.c
  DEPS ls_schema ls_util)

lakesync_unit_test(paimon SOURCES tests/unit/test_paimon.c DEPS ls_paimon)
