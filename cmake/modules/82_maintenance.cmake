# maintenance: compaction, snapshot expiration and orphan removal of Iceberg
# tables (server/maintenance.h). Commits through the committer.
lakesync_module(maintenance MAIN SOURCES
  server/maintenance_config.c
  server/maintenance_table.c
  server/maintenance_compact.c
  server/maintenance_expire.c
  DEPS ls_committer ls_iceberg ls_iceberg_parquet ls_paimon ls_paimon_objstore ls_parquet
       ls_parquet_reader ls_objstore
       PkgConfig::JANSSON)

lakesync_unit_test(maintenance SOURCES tests/unit/test_maintenance.c tests/unit/catalog_fixture.c
  DEPS ls_maintenance ls_committer ls_paimon ls_parquet ls_parquet_reader)
