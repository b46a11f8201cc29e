/*
 * The route table. One line per (method, path); see api_router.h for how to
 * add one, and keep api/openapi.yaml in step (the api_openapi e2e test
 * compares them).
 */
#include "api_handlers.h"
#include "api_maintenance.h"
#include "api_schema.h"

#define PUBLIC LS_API_ROLE_PUBLIC
#define STANDARD LS_API_ROLE_STANDARD
#define ADMIN LS_API_ROLE_ADMIN

const ls_api_route ls_api_routes[] = {
    {"GET", "/api/v1/health", api_health_get, PUBLIC},
    {"GET", "/api/v1/openapi.yaml", api_openapi_get, PUBLIC},

    {"GET", "/api/v1/tokens", api_tokens_list, ADMIN},
    {"POST", "/api/v1/tokens", api_tokens_create, ADMIN},
    {"GET", "/api/v1/tokens/{id}", api_token_get, ADMIN},
    {"DELETE", "/api/v1/tokens/{id}", api_token_delete, ADMIN},

    {"GET", "/api/v1/data-sources", api_sources_list, STANDARD},
    {"POST", "/api/v1/data-sources", api_sources_create, STANDARD},
    {"GET", "/api/v1/data-sources/{id}", api_source_get, STANDARD},
    {"PATCH", "/api/v1/data-sources/{id}", api_source_patch, STANDARD},
    {"DELETE", "/api/v1/data-sources/{id}", api_source_delete, STANDARD},
    {"GET", "/api/v1/data-sources/{id}/sample", api_source_sample, STANDARD},
    {"POST", "/api/v1/schema/infer", api_schema_infer, STANDARD},

    {"GET", "/api/v1/resource-groups", api_groups_list, STANDARD},
    {"POST", "/api/v1/resource-groups", api_groups_create, ADMIN},
    {"GET", "/api/v1/resource-groups/{id}", api_group_get, STANDARD},
    {"PATCH", "/api/v1/resource-groups/{id}", api_group_patch, ADMIN},
    {"DELETE", "/api/v1/resource-groups/{id}", api_group_delete, ADMIN},

    {"GET", "/api/v1/databases", api_databases_list, STANDARD},
    {"POST", "/api/v1/databases", api_databases_create, STANDARD},
    {"GET", "/api/v1/databases/{db}", api_database_get, STANDARD},
    {"DELETE", "/api/v1/databases/{db}", api_database_delete, STANDARD},
    {"GET", "/api/v1/databases/{db}/tables", api_tables_list, STANDARD},
    {"GET", "/api/v1/databases/{db}/tables/{table}", api_table_get, STANDARD},
    {"GET", "/api/v1/databases/{db}/tables/{table}/snapshots", api_table_snapshots, STANDARD},
    {"GET", "/api/v1/databases/{db}/tables/{table}/preview", api_table_preview, STANDARD},
    {"GET", "/api/v1/databases/{db}/tables/{table}/files", api_table_files, STANDARD},
    {"GET", "/api/v1/databases/{db}/tables/{table}/maintenance", api_table_maintenance_get,
     STANDARD},
    {"POST", "/api/v1/databases/{db}/tables/{table}/maintenance", api_table_maintenance_run,
     STANDARD},

    /* The Iceberg REST catalog for engines (HEAD on a table: exists). */
    {"GET", "/iceberg/v1/config", api_iceberg_config, STANDARD},
    {"GET", "/iceberg/v1/namespaces", api_iceberg_namespaces_list, STANDARD},
    {"POST", "/iceberg/v1/namespaces", api_iceberg_namespace_create, STANDARD},
    {"GET", "/iceberg/v1/namespaces/{namespace}", api_iceberg_namespace_get, STANDARD},
    {"GET", "/iceberg/v1/namespaces/{namespace}/tables", api_iceberg_tables_list, STANDARD},
    {"GET", "/iceberg/v1/namespaces/{namespace}/tables/{table}", api_iceberg_table_load, STANDARD},

    {"GET", "/api/v1/jobs", api_jobs_list, STANDARD},
    {"POST", "/api/v1/jobs", api_jobs_create, STANDARD},
    {"GET", "/api/v1/jobs/{id}", api_job_get, STANDARD},
    {"PATCH", "/api/v1/jobs/{id}", api_job_patch, STANDARD},
    {"DELETE", "/api/v1/jobs/{id}", api_job_delete, STANDARD},
    {"POST", "/api/v1/jobs/{id}/start", api_job_start, STANDARD},
    {"POST", "/api/v1/jobs/{id}/stop", api_job_stop, STANDARD},
    {"GET", "/api/v1/jobs/{id}/metrics", api_job_metrics, STANDARD},
    {"GET", "/api/v1/jobs/{id}/events", api_job_events, STANDARD},
    /* Prometheus scrapes with a standard token (authorization: in its
     * scrape config): job ids and lag are not for anonymous callers. */
    {"GET", "/metrics", api_metrics_prometheus, STANDARD},

    /* Workers: their run's token, checked by the handlers (api_run.c). */
    {"GET", "/internal/v1/jobs/{id}/spec", api_internal_spec, PUBLIC},
    {"GET", "/internal/v1/jobs/{id}/offsets", api_internal_offsets, PUBLIC},
    {"POST", "/internal/v1/jobs/{id}/commits", api_internal_commit, PUBLIC},
    {"POST", "/internal/v1/jobs/{id}/heartbeat", api_internal_heartbeat, PUBLIC},
    {"POST", "/internal/v1/jobs/{id}/schema", api_internal_schema, PUBLIC},

    {NULL, NULL, NULL, PUBLIC},
};
