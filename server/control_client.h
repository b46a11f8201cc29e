/*
 * The worker's HTTP client of the control plane (docs/worker-protocol.md,
 * /internal/v1). An adapter over libcurl; bodies are JSON (jansson).
 *
 * Every request carries "Authorization: Bearer <worker token>". The token is
 * copied at creation, sent only in that header and never logged nor put in
 * an error message.
 *
 * Retries: connection errors, timeouts and 5xx answers are retried with
 * exponential backoff (base doubling up to a cap, with jitter) until
 * max_attempts or max_retry_total_ms; each attempt is bounded by
 * request_timeout_ms. 4xx answers are never retried: in particular a 409 on
 * a commit means fenced and must reach the caller at once.
 *
 * Error codes: LS_ERR_UNAVAILABLE (could not reach the server or it kept
 * failing: the outcome of a POST is then unknown), LS_ERR_CONFLICT (409),
 * LS_ERR_UNAUTHENTICATED (401), LS_ERR_PERMISSION (403), LS_ERR_NOT_FOUND
 * (404), LS_ERR_INVALID (other 4xx), LS_ERR_FORMAT (an answer that is not the
 * JSON the protocol describes), LS_ERR_TOO_LARGE (answer over the cap).
 *
 * Threads: one thread uses a client at a time.
 */
#ifndef LAKESYNC_CONTROL_CLIENT_H
#define LAKESYNC_CONTROL_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/stop_clock.h"

#define LS_CONTROL_MAX_RESPONSE_BYTES ((size_t)16 << 20)

typedef struct ls_control_options {
    const char *server_url; /* "http://127.0.0.1:8080" (no trailing path needed) */
    const char *job_id;
    const char *token;            /* the worker token; copied, never logged */
    uint32_t connect_timeout_ms;  /* default 5000 */
    uint32_t request_timeout_ms;  /* one attempt; default 30000 */
    uint32_t max_attempts;        /* first try included; default 6 */
    uint32_t retry_base_delay_ms; /* default 200 */
    uint32_t retry_max_delay_ms;  /* default 5000 */
    uint32_t max_retry_total_ms;  /* no new attempt after this; default 60000 */
} ls_control_options;

/* Fills o with the defaults (strings NULL). */
void ls_control_options_init(ls_control_options *o);

typedef struct ls_control_client ls_control_client;

/* Creates a client. server_url, job_id and token are required
 * (LS_ERR_INVALID). The caller frees it with ls_control_client_free. */
ls_code ls_control_client_new(const ls_control_options *options, ls_control_client **out,
                              ls_error *err) LS_MUST_USE;

/* Frees the client. NULL-safe. */
void ls_control_client_free(ls_control_client *client);

/* Bounds the requests of a stopping worker by the clock's deadline, so
 * that it finishes within the supervisor's grace period (stop_clock.h):
 * once the clock's stop began, an attempt ends by the deadline (one in
 * flight when the stop begins is cut off at its last look at the clock
 * before it), no retry waits past it, and a request made after it fails at
 * once with LS_ERR_UNAVAILABLE (the outcome of a POST cut off is unknown).
 * The clock (borrowed) must outlive the client; NULL unbinds. */
void ls_control_watch_stop(ls_control_client *client, ls_stop_clock *clock);

/* GET /internal/v1/jobs/{id}/spec. *spec_out receives a new reference to the
 * answer's object. */
ls_code ls_control_get_spec(ls_control_client *client, json_t **spec_out,
                            ls_error *err) LS_MUST_USE;

/* GET /internal/v1/jobs/{id}/offsets. *partitions_out receives a new
 * reference to the "partitions" object ({"0": 1234, ...}). */
ls_code ls_control_get_offsets(ls_control_client *client, json_t **partitions_out,
                               ls_error *err) LS_MUST_USE;

/* POST /internal/v1/jobs/{id}/commits with body (borrowed). On 200
 * *response_out receives the answer ({"snapshot_id",...,"offsets"}). On 409
 * (fenced) returns LS_ERR_CONFLICT and *response_out receives the answer's
 * body when it is JSON (it carries the table's offsets), else NULL. Other
 * failures leave *response_out NULL. *retried_out tells whether an attempt
 * failed before the final answer: such an attempt may have been applied by
 * the server, so a 409 after it does not prove the commit was refused. */
ls_code ls_control_post_commit(ls_control_client *client, const json_t *body, json_t **response_out,
                               bool *retried_out, ls_error *err) LS_MUST_USE;

/* POST /internal/v1/jobs/{id}/heartbeat with body (borrowed); *stop_out is
 * the answer's "stop" (false when absent). */
ls_code ls_control_post_heartbeat(ls_control_client *client, const json_t *body, bool *stop_out,
                                  ls_error *err) LS_MUST_USE;

/* POST /internal/v1/jobs/{id}/schema with body (borrowed): a schema change
 * proposal. On 200 *response_out receives the answer ({"changed",
 * "schema_id", "fields"}); 409 (the change is refused) is LS_ERR_CONFLICT.
 * Safe to retry: the server skips changes already made. */
ls_code ls_control_post_schema(ls_control_client *client, const json_t *body,
                               json_t **response_out, ls_error *err) LS_MUST_USE;

/* Reads the table's offsets out of a 409 body: "offsets" at the top level or
 * inside "error" (a borrowed reference), NULL when absent. */
const json_t *ls_control_conflict_offsets(const json_t *body);

#endif
