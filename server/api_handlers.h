/*
 * The API's handlers, one per route of server/api_routes.c, grouped by the
 * file that implements them. Each follows the contract of api_router.h.
 */
#ifndef LAKESYNC_API_HANDLERS_H
#define LAKESYNC_API_HANDLERS_H

#include "api_router.h"

/* api_meta.c */
ls_code api_health_get(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_openapi_get(ls_api_request *req, ls_error *err) LS_MUST_USE;

/* api_static.c: files of ls_api.web_dir for non-API paths (GET and HEAD). */
ls_code api_static_serve(ls_api_request *req, ls_error *err) LS_MUST_USE;

/* api_tokens.c */
ls_code api_tokens_list(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_tokens_create(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_token_get(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_token_delete(ls_api_request *req, ls_error *err) LS_MUST_USE;

/* Resolves a bearer token to its role and id. LS_ERR_UNAUTHENTICATED when it
 * is unknown or revoked. */
ls_code api_auth_lookup(ls_api *api, const char *token, ls_api_role *role, char *id, size_t id_size,
                        ls_error *err) LS_MUST_USE;

/* First start: makes sure an admin token exists. When env_token is non-NULL
 * (LAKESYNC_ADMIN_TOKEN) its hash is stored (once); otherwise, when no admin
 * token exists yet, a new one is generated, written to token_path (mode 0600)
 * and returned in created (else created is ""). */
ls_code api_tokens_bootstrap(ls_api *api, const char *env_token, const char *token_path,
                             char *created, size_t created_size, ls_error *err) LS_MUST_USE;

/* api_groups.c */
ls_code api_groups_list(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_groups_create(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_group_get(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_group_patch(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_group_delete(ls_api_request *req, ls_error *err) LS_MUST_USE;

/* Creates the resource group "default" with max_acus when it does not exist. */
ls_code api_groups_bootstrap(ls_api *api, int64_t max_acus, ls_error *err) LS_MUST_USE;

/* api_sources.c */
/* Writes "<prefix>_YYYYMMDD_HHMMSS" (UTC, the seed's auto-generated names),
 * with "_N" appended when attempt > 1. */
void api_auto_name(const char *prefix, int attempt, char *out, size_t size);
ls_code api_sources_list(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_sources_create(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_source_get(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_source_patch(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_source_delete(ls_api_request *req, ls_error *err) LS_MUST_USE;

/* api_databases.c */
/* Loads database name as its JSON resource; LS_ERR_NOT_FOUND when absent. In
 * a transaction. */
ls_code api_database_load(ls_store *store, const char *name, json_t **out,
                          ls_error *err) LS_MUST_USE;
/* Inserts a database row (properties: object of strings). LS_ERR_CONFLICT
 * naming "name" when it exists. In a transaction. */
ls_code api_database_insert(ls_store *store, const char *name, const char *catalog, bool external,
                            const char *location, const json_t *properties,
                            ls_error *err) LS_MUST_USE;
ls_code api_databases_list(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_databases_create(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_database_get(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_database_delete(ls_api_request *req, ls_error *err) LS_MUST_USE;

/* api_tables.c (Paimon tables in api_tables_paimon.c): a database's tables,
 * and one table's metadata, snapshots and a preview of its rows. */
ls_code api_tables_list(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_table_get(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_table_snapshots(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_table_preview(ls_api_request *req, ls_error *err) LS_MUST_USE;

/* api_table_files.c: the live data files of a table's current snapshot
 * (Iceberg or Paimon), paged. */
ls_code api_table_files(ls_api_request *req, ls_error *err) LS_MUST_USE;

/* What a table's current snapshot holds: its live files (data and deletes),
 * their bytes and their rows (snapshot_id -1 before the first commit). */
typedef struct api_table_usage {
    int64_t snapshot_id;
    int64_t files, bytes, records;
} api_table_usage;

/* Reads database.table's usage: an Iceberg table's snapshot summary (its
 * manifests when the summary lacks the totals), a Paimon table's manifests. */
ls_code api_table_usage_read(ls_api *api, const char *database, const char *table,
                             api_table_usage *out, ls_error *err) LS_MUST_USE;

/* api_iceberg_rest.c: the Iceberg REST catalog under /iceberg/v1 (read side). */
ls_code api_iceberg_config(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_iceberg_namespaces_list(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_iceberg_namespace_create(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_iceberg_namespace_get(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_iceberg_tables_list(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_iceberg_table_load(ls_api_request *req, ls_error *err) LS_MUST_USE;
/* The catalog's error body {"error":{"message","type","code"}} for status;
 * a 404 is of not_found_type. NULL on allocation failure. */
json_t *api_iceberg_error_json(int status, const char *message, const char *not_found_type);

/* api_jobs.c */
ls_code api_jobs_list(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_jobs_create(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_job_get(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_job_patch(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_job_delete(ls_api_request *req, ls_error *err) LS_MUST_USE;

/* Running jobs (api_run.c): start, stop, metrics, events; the worker
 * endpoints of docs/worker-protocol.md. */
ls_code api_job_start(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_job_stop(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_job_metrics(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_job_events(ls_api_request *req, ls_error *err) LS_MUST_USE;
/* GET /metrics: every job's metrics in the Prometheus text format. */
ls_code api_metrics_prometheus(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_internal_spec(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_internal_offsets(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_internal_commit(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_internal_heartbeat(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_internal_schema(ls_api_request *req, ls_error *err) LS_MUST_USE;

#endif
