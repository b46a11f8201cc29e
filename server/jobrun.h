/*
 * Running jobs: what POST /jobs/{id}/start and /stop do, and the server's
 * side of docs/worker-protocol.md. It joins the supervisor (processes), the
 * committer (tables) and the store (job definitions and states).
 *
 * Start: the job's Iceberg table is created on its first start from the job's
 * fields (column ids 1..n in field order) and partitions (ids from 1000); a
 * run gets a new run id and a random worker token (kept in memory as a hash
 * only); the supervisor then runs one worker per 2 ACUs (at least 1). The
 * job's state follows the supervisor's reports and is stored with an event
 * for every change. A server restart starts again every job that was
 * starting or running (with a new run: workers of the old run are refused).
 *
 * Workers authenticate with their run's token; a token of an older run, of
 * another job, or of a stopped job is refused (401), which makes the worker
 * exit. Commits go to the committer; heartbeats mark the job running and
 * carry metrics, kept in memory per worker.
 *
 * Paimon jobs cannot be started yet: start answers LS_ERR_UNPROCESSABLE.
 *
 * Thread-safe; every function may be called from HTTP threads.
 */
#ifndef LAKESYNC_JOBRUN_H
#define LAKESYNC_JOBRUN_H

#include <jansson.h>
#include <stdint.h>

#include "committer.h"
#include "secret.h"
#include "store_db.h"
#include "util/buf.h"
#include "util/error.h"

typedef struct ls_jobrun ls_jobrun;

typedef struct ls_jobrun_options {
    ls_store *store;             /* borrowed */
    const ls_secret_key *key;    /* borrowed: opens sealed passwords and secrets */
    const char *worker_program;  /* absolute path of the lakesync binary */
    const char *log_level;       /* passed to workers; NULL: info */
    int64_t stop_grace_ms;       /* 0: 30000 */
} ls_jobrun_options;

ls_code ls_jobrun_new(const ls_jobrun_options *options, ls_jobrun **out, ls_error *err) LS_MUST_USE;

/* Stops every running job (graceful, bounded by the grace period) and frees. */
void ls_jobrun_free(ls_jobrun *jr);

/* The URL workers reach the server at ("http://127.0.0.1:8080"); set once the
 * listener is bound, before any job starts. */
void ls_jobrun_set_server_url(ls_jobrun *jr, const char *url);

/* The committer of this runtime (borrowed), which table maintenance must
 * share: commits to one table serialize on its locks. */
ls_committer *ls_jobrun_committer(ls_jobrun *jr);

/* Starts a job. LS_ERR_NOT_FOUND, LS_ERR_CONFLICT when it is not stopped or
 * failed, LS_ERR_UNPROCESSABLE for Paimon jobs, storage errors from creating
 * the table. */
ls_code ls_jobrun_start(ls_jobrun *jr, const char *job_id, ls_error *err) LS_MUST_USE;

/* Stops a job gracefully. LS_ERR_CONFLICT when it is not running. */
ls_code ls_jobrun_stop(ls_jobrun *jr, const char *job_id, ls_error *err) LS_MUST_USE;

/* Starts again the jobs the store says were starting or running. */
ls_code ls_jobrun_resume(ls_jobrun *jr, ls_error *err) LS_MUST_USE;

/* LS_OK when token is the worker token of job_id's current run (401
 * otherwise). Handlers call it before reading a request body. */
ls_code ls_jobrun_authorize(ls_jobrun *jr, const char *job_id, const char *token,
                            ls_error *err) LS_MUST_USE;

/* Worker endpoints. token is the bearer token the worker sent. Each returns
 * a new JSON reference in *out for a 200 answer. A fenced commit returns
 * LS_ERR_CONFLICT with *out = {"offsets": {...}} for the 409 body. */
ls_code ls_jobrun_worker_spec(ls_jobrun *jr, const char *job_id, const char *token, json_t **out,
                              ls_error *err) LS_MUST_USE;
ls_code ls_jobrun_worker_offsets(ls_jobrun *jr, const char *job_id, const char *token,
                                 json_t **out, ls_error *err) LS_MUST_USE;
ls_code ls_jobrun_worker_commit(ls_jobrun *jr, const char *job_id, const char *token,
                                const json_t *request, json_t **out, ls_error *err) LS_MUST_USE;
/* POST .../schema: applies a worker's proposal ({"add":[{"source","type"}],
 * "widen":[{"field_id","type"}]}) under the job's schema_evolution: the
 * table is evolved (serialized with its commits), the job's fields gain the
 * new fields / types, and a schema_changed event names the changes. *out is
 * {"changed", "schema_id", "fields": [as in the spec]}. LS_ERR_CONFLICT for
 * a change the policy or the table refuses, LS_ERR_INVALID for a malformed
 * proposal. */
ls_code ls_jobrun_worker_schema(ls_jobrun *jr, const char *job_id, const char *token,
                                const json_t *request, json_t **out, ls_error *err) LS_MUST_USE;
ls_code ls_jobrun_worker_heartbeat(ls_jobrun *jr, const char *job_id, const char *token,
                                   const json_t *request, json_t **out, ls_error *err) LS_MUST_USE;

/* {"job_id","state","run_id","commits","last_commit_at","last_snapshot_id",
 *  "workers":[{worker metrics as last reported}], "totals":{messages,rows,
 *  bytes,files,errors,lag,bytes_uploaded,storage_requests}} for
 *  GET /jobs/{id}/metrics. */
ls_code ls_jobrun_metrics(ls_jobrun *jr, const char *job_id, json_t **out,
                          ls_error *err) LS_MUST_USE;

/* Appends the Prometheus text exposition (format 0.0.4) of every job started
 * since the server started to out: lakesync_up, then per job (label job_id)
 * lakesync_job_state{state} (1 for the current state, 0 for the others),
 * the counters lakesync_job_{messages,rows,bytes,files,commits,errors}_total,
 * the gauges lakesync_job_lag_messages,
 * lakesync_job_partition_lag_messages{partition} and
 * lakesync_job_last_commit_timestamp_seconds (only after a commit). Worker
 * figures are the sums of their last heartbeats, counted since each worker
 * process started, so a worker restart is a counter reset. Fails only when
 * out reaches its cap (LS_ERR_TOO_LARGE) or memory runs out. */
ls_code ls_jobrun_prometheus(ls_jobrun *jr, ls_buf *out, ls_error *err) LS_MUST_USE;

#endif
