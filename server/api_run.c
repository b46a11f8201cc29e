/*
 * Running jobs over HTTP: start, stop, metrics and events under /api/v1, all
 * jobs' metrics as Prometheus text at /metrics, and the worker endpoints
 * under /internal/v1 (docs/worker-protocol.md). The logic lives in jobrun.c;
 * these handlers translate.
 *
 * Worker endpoints are routed as PUBLIC (API tokens do not apply) and check
 * the run's worker token themselves, answering 401 without a valid one.
 */
#include <string.h>

#include "api_handlers.h"
#include "api_maintenance.h"
#include "api_json.h"
#include "api_rows.h"
#include "jobrun.h"

/* The job (as GET /jobs/{id} shows it) after a state change. */
static ls_code reply_job(ls_api_request *req, ls_error *err)
{
    return api_job_get(req, err);
}

ls_code api_job_start(ls_api_request *req, ls_error *err)
{
    const char *id = api_param(req, "id");
    if (!api_id_valid(id))
        return ls_error_set(err, LS_ERR_NOT_FOUND, "job not found");
    ls_code rc = ls_jobrun_start(req->api->jobrun, id, err);
    return rc ? rc : reply_job(req, err);
}

ls_code api_job_stop(ls_api_request *req, ls_error *err)
{
    const char *id = api_param(req, "id");
    if (!api_id_valid(id))
        return ls_error_set(err, LS_ERR_NOT_FOUND, "job not found");
    ls_code rc = ls_jobrun_stop(req->api->jobrun, id, err);
    return rc ? rc : reply_job(req, err);
}

/* 404 unless the job exists (metrics and events of unknown jobs). */
static ls_code job_exists(ls_api_request *req, const char *id, ls_error *err)
{
    ls_stmt *stmt = NULL;
    bool row = false;
    if (!api_id_valid(id))
        return ls_error_set(err, LS_ERR_NOT_FOUND, "job not found");
    ls_code rc = ls_store_begin_read(req->api->store, err);
    if (rc)
        return rc;
    rc = ls_stmt_prepare(req->api->store, "SELECT 1 FROM jobs WHERE id = ?1", &stmt, err);
    if (!rc) {
        ls_stmt_bind_text(stmt, 1, id);
        rc = ls_stmt_step(stmt, &row, err);
    }
    ls_stmt_free(stmt);
    ls_store_rollback(req->api->store);
    if (!rc && !row)
        rc = ls_error_set(err, LS_ERR_NOT_FOUND, "job %s not found", id);
    return rc;
}

/* The job's database and table ("" when the job is gone), and whether the
 * catalog has that table yet (it is created at the job's first start). */
static ls_code job_table(ls_api_request *req, const char *id, char *database, size_t db_size,
                         char *table, size_t table_size, bool *exists, ls_error *err)
{
    int64_t count = 0;
    ls_code rc = ls_store_begin_read(req->api->store, err);
    if (rc)
        return rc;
    rc = api_rows_text(req->api->store, "SELECT database FROM jobs WHERE id = ?1", id, NULL,
                       database, db_size, err);
    if (!rc)
        rc = api_rows_text(req->api->store, "SELECT table_name FROM jobs WHERE id = ?1", id, NULL,
                           table, table_size, err);
    if (!rc)
        rc = api_rows_int(req->api->store,
                          "SELECT count(*) FROM tables WHERE database = ?1 AND name = ?2", database,
                          table, &count, err);
    ls_store_rollback(req->api->store);
    *exists = count > 0;
    return rc;
}

/* {"table_bytes","table_files","table_records","snapshot_id" of the job's
 * table's current snapshot (null before the table exists, or when it cannot
 * be read), "bytes_uploaded", "requests" (the workers' object-store
 * counters), "error" (why an existing table could not be read, else null)}. */
static json_t *storage_json(ls_api_request *req, const char *id, const json_t *totals)
{
    char database[256], table[256];
    bool exists = false;
    api_table_usage usage = {.snapshot_id = -1};
    ls_error local;
    ls_error_clear(&local);
    ls_code rc =
        job_table(req, id, database, sizeof database, table, sizeof table, &exists, &local);
    if (!rc && exists)
        rc = api_table_usage_read(req->api, database, table, &usage, &local);
    bool known = !rc && exists;
    json_t *error = rc ? json_string(local.message) : json_null();
    return json_pack("{s:o,s:o,s:o,s:o,s:O,s:O,s:o}", "table_bytes",
                     known ? json_integer(usage.bytes) : json_null(), "table_files",
                     known ? json_integer(usage.files) : json_null(), "table_records",
                     known ? json_integer(usage.records) : json_null(), "snapshot_id",
                     known && usage.snapshot_id > 0 ? json_integer(usage.snapshot_id) : json_null(),
                     "bytes_uploaded", json_object_get(totals, "bytes_uploaded"), "requests",
                     json_object_get(totals, "storage_requests"), "error", error);
}

ls_code api_job_metrics(ls_api_request *req, ls_error *err)
{
    const char *id = api_param(req, "id");
    json_t *body = NULL;
    ls_code rc = job_exists(req, id, err);
    if (!rc)
        rc = ls_jobrun_metrics(req->api->jobrun, id, &body, err);
    if (rc)
        return rc;
    json_t *storage = storage_json(req, id, json_object_get(body, "totals"));
    if (!storage || json_object_set_new(body, "storage", storage)) {
        json_decref(body);
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    }
    return api_reply_json(req, 200, body, err);
}

ls_code api_metrics_prometheus(ls_api_request *req, ls_error *err)
{
    ls_buf_reset(&req->response->body);
    ls_code rc = ls_jobrun_prometheus(req->api->jobrun, &req->response->body, err);
    if (!rc)
        rc = api_maintenance_prometheus(req->api->maintenance, &req->response->body, err);
    if (rc)
        return rc;
    req->response->status = 200;
    req->response->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return LS_OK;
}

static json_t *event_json(ls_stmt *stmt)
{
    return json_pack("{s:s, s:s, s:s}", "at", ls_stmt_text(stmt, 1), "kind",
                     ls_stmt_text(stmt, 2), "message", ls_stmt_text(stmt, 3));
}

ls_code api_job_events(ls_api_request *req, ls_error *err)
{
    const char *id = api_param(req, "id");
    ls_code rc = job_exists(req, id, err);
    if (rc)
        return rc;
    return api_rows_list_of(req,
                            "SELECT seq, at, kind, message FROM job_events WHERE job_id = ?3 "
                            "AND seq > ?1 ORDER BY seq LIMIT ?2",
                            id, event_json, err);
}

/* ---- worker endpoints ------------------------------------------------------ */

/* The bearer token of the request, or NULL. */
static const char *bearer(const ls_api_request *req)
{
    const char *header = ls_http_request_header(req->http, "Authorization");
    if (!header || strncmp(header, "Bearer ", 7) != 0 || !header[7])
        return NULL;
    return header + 7;
}

ls_code api_internal_spec(ls_api_request *req, ls_error *err)
{
    json_t *body = NULL;
    ls_code rc = ls_jobrun_worker_spec(req->api->jobrun, api_param(req, "id"), bearer(req), &body,
                                       err);
    return rc ? rc : api_reply_json(req, 200, body, err);
}

ls_code api_internal_offsets(ls_api_request *req, ls_error *err)
{
    json_t *body = NULL;
    ls_code rc = ls_jobrun_worker_offsets(req->api->jobrun, api_param(req, "id"), bearer(req),
                                          &body, err);
    return rc ? rc : api_reply_json(req, 200, body, err);
}

ls_code api_internal_commit(ls_api_request *req, ls_error *err)
{
    json_t *request = NULL, *body = NULL;
    ls_code rc = ls_jobrun_authorize(req->api->jobrun, api_param(req, "id"), bearer(req), err);
    if (!rc)
        rc = api_json_body(req, false, &request, err);
    if (!rc)
        rc = ls_jobrun_worker_commit(req->api->jobrun, api_param(req, "id"), bearer(req), request,
                                     &body, err);
    json_decref(request);
    if (rc == LS_ERR_CONFLICT && body) {
        /* A fence answers 409 with the table's offsets beside the error. */
        json_object_set_new(body, "error", json_pack("{s:s, s:s}", "code", "conflict", "message",
                                                     err->message));
        return api_reply_json(req, 409, body, err);
    }
    return rc ? rc : api_reply_json(req, 200, body, err);
}

ls_code api_internal_heartbeat(ls_api_request *req, ls_error *err)
{
    json_t *request = NULL, *body = NULL;
    ls_code rc = ls_jobrun_authorize(req->api->jobrun, api_param(req, "id"), bearer(req), err);
    if (!rc)
        rc = api_json_body(req, false, &request, err);
    if (!rc)
        rc = ls_jobrun_worker_heartbeat(req->api->jobrun, api_param(req, "id"), bearer(req),
                                        request, &body, err);
    json_decref(request);
    return rc ? rc : api_reply_json(req, 200, body, err);
}

ls_code api_internal_schema(ls_api_request *req, ls_error *err)
{
    json_t *request = NULL, *body = NULL;
    ls_code rc = ls_jobrun_authorize(req->api->jobrun, api_param(req, "id"), bearer(req), err);
    if (!rc)
        rc = api_json_body(req, false, &request, err);
    if (!rc)
        rc = ls_jobrun_worker_schema(req->api->jobrun, api_param(req, "id"), bearer(req), request,
                                     &body, err);
    json_decref(request);
    return rc ? rc : api_reply_json(req, 200, body, err);
}
