# committer: the single writer of table pointers (Iceberg and Paimon).
lakesync_module(committer MAIN SOURCES
  server/committer.c
  server/committer_catalog.c
  server/committer_request.c
  server/committer_paimon.c
  server/committer_update.c
  DEPS ls_iceberg ls_paimon ls_paimon_objstore ls_objstore ls_store ls_offsets PkgConfig::JANSSON Threads::Threads)

lakesync_unit_test(committer SOURCES tests/unit/test_committer.c tests/unit/catalog_fixture.c
  DEPS ls_committer ls_parquet ls_iceberg_parquet)

lakesync_unit_test(committer_paimon SOURCES tests/unit/test_committer_paimon.c tests/unit/catalog_fixture.c
  DEPS ls_committer ls_paimon ls_parquet)
