# paimon: Paimon append-table formats (BinaryRow, schema/snapshot JSON,
# manifests, partition paths, commit planning) and a table reader. Pure format
# code: bytes in, bytes out; storage is the caller's.
lakesync_module(paimon MAIN SOURCES
  server/paimon_binaryrow.c
  server/paimon_meta.c
  server/paimon_manifest.c
  server/paimon_commit.c
  DEPS ls_avro ls_schema ls_util PkgConfig::JANSSON)

lakesync_unit_test(paimon SOURCES tests/unit/test_paimon.c DEPS ls_paimon)
