# api: the /api/v1 control-plane REST API, its router, the static console and
# the `serve` command (server/api_router.h, server/serve.c). JSON with jansson.
lakesync_embed(OUTPUT ${CMAKE_BINARY_DIR}/generated/embedded_api_docs.c
               SYMBOL ls_embedded_api_docs
               FILES ${CMAKE_SOURCE_DIR}/api/openapi.yaml)
lakesync_module(api MAIN SOURCES
  server/api_router.c
  server/api_routes.c
  server/api_json.c
  server/api_rows.c
  server/api_dest.c
  server/api_meta.c
  server/api_static.c
  server/api_tokens.c
  server/api_groups.c
  server/api_sources.c
  server/api_databases.c
  server/api_jobspec.c
  server/api_jobs.c
  server/api_run.c
  server/api_prefix.c
  server/api_tables.c
  server/api_table_files.c
  server/api_usage_cache.c
  server/api_tables_paimon.c
  server/api_iceberg_rest.c
  server/api_maintenance.c
  server/table_read.c
  server/serve.c
  ${CMAKE_BINARY_DIR}/generated/embedded_api_docs.c
  DEPS ls_store ls_secret ls_http ls_schema ls_util ls_jobrun ls_objstore ls_iceberg ls_paimon_objstore ls_maintenance
       ls_parquet_reader PkgConfig::JANSSON)
target_compile_definitions(ls_api PRIVATE LAKESYNC_WEB_DIR_DEFAULT="${CMAKE_SOURCE_DIR}/web")

lakesync_unit_test(api SOURCES tests/unit/test_api.c DEPS ls_api)
