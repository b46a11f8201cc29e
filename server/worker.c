/*
 * `lakesync worker`: the loop that turns a job's Kafka topic into committed
 * table files (DESIGN.md "Data path (worker)", docs/worker-protocol.md).
 *
 * One thread runs the loop: poll a message, scan it into the staging
 * batch, route full batches to open files, and every commit interval (or
 * earlier when a cap is crossed, on a revoke, on stop) close the files and
 * ask the server to commit them with the offset ranges they cover. An
 * encoder thread writes into the files while the loop scans the next batch
 * (an unpartitioned table's whole staging batch; a partitioned table's
 * per-file batches after it was routed); every step that
 * touches the files waits for it first (worker_files.c, worker_pipeline.c).
 * Kafka callbacks (rebalances) run on the loop's thread, inside the poll.
 * The table is the truth about progress: positions come from the server,
 * and whatever was not committed is simply read again after a crash, a
 * fence or a rebalance.
 */
#include <curl/curl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "util/log.h"
#include "worker_internal.h"

#define WORKER_EXIT_FATAL 3        /* LS_WORKER_EXIT_FATAL of supervisor.h: no restart helps */
#define HEARTBEAT_INTERVAL_MS 2000 /* default; LAKESYNC_HEARTBEAT_INTERVAL_MS overrides */
#define POLL_TIMEOUT_MS 100
#define FIRST_ERRORS_LOGGED 10
#define COMMIT_GIVE_UP_MS (5 * 60 * 1000)
#define COMMIT_RETRY_MAX_DELAY_MS 5000
#define STOP_GRACE_DEFAULT_MS 30000 /* the supervisor's default (jobrun.c) */

/* Set by SIGTERM / SIGINT; with the clock's deadline, the only state a
 * signal handler may touch. */
static volatile sig_atomic_t stop_signal;

/* The stop deadline every request of a stopping worker ends by: to the
 * server (control_client.h) and to object storage, the table's and the
 * dead-letter table's (objstore.h). Started by the signal, so it counts
 * from the SIGTERM even when the loop is busy in a stalled upload. */
static ls_stop_clock stop_clock;

static void on_stop_signal(int signo)
{
    (void)signo;
    stop_signal = 1;
    ls_stop_clock_begin(&stop_clock);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(uint64_t ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The supervisor sends SIGKILL when its grace period (LAKESYNC_STOP_GRACE_MS)
 * ends after SIGTERM. A stopping worker gives its requests (the final
 * commit's uploads and the commit itself) until a margin before that, then
 * gives up cleanly: nothing is lost either way (the table holds the
 * offsets), but a clean exit aborts what it can and says why. */
static void stop_clock_setup(void)
{
    const char *text = getenv("LAKESYNC_STOP_GRACE_MS");
    long grace = text && atol(text) > 0 ? atol(text) : STOP_GRACE_DEFAULT_MS;
    uint64_t budget = 0, cleanup = 0;
    ls_stop_clock_plan((uint64_t)grace, &budget, &cleanup);
    ls_stop_clock_init(&stop_clock, &stop_signal, budget, cleanup);
}

/* Records why the worker must exit (the first reason wins). */
static void fail(worker *w, bool fatal, const ls_error *why)
{
    if (w->failed)
        return;
    w->failed = true;
    w->fatal = fatal;
    w->failure = *why;
}

/* ---- giving up uncommitted work ------------------------------------------- */

/* Forgets everything not committed: open files are aborted, waiting files
 * deleted when that is safe (delete_waiting), positions forgotten. When
 * reposition is set the consumer goes back to the table's offsets. */
static ls_code abandon(worker *w, bool delete_waiting, bool reposition, ls_error *err)
{
    worker_files_quiesce(w);
    for (size_t i = 0; i < w->file_count; i++)
        worker_file_abort(&w->files[i]);
    w->file_count = 0;
    worker_dlq_abort(w);
    worker_drop_waiting_files(w, delete_waiting);
    ls_column_batch_reset(w->staging);
    w->window_messages = w->window_errors = 0;
    ls_worker_ranges_abandon(&w->ranges);
    json_decref(w->offsets_cache);
    w->offsets_cache = NULL;
    w->commit_soon = false;
    if (!reposition)
        return LS_OK;
    return ls_kafka_consumer_reposition(w->consumer, err);
}

/* ---- commits ------------------------------------------------------------------ */

static json_t *commit_body(worker *w)
{
    json_t *files = json_array(), *dead = json_array();
    for (size_t i = 0; files && dead && i < w->done_count; i++)
        if (json_array_append(w->done[i].dead_letter ? dead : files, w->done[i].json) != 0) {
            json_decref(files);
            files = NULL;
        }
    json_t *ranges = ls_worker_ranges_to_json(&w->ranges);
    if (!files || !dead || !ranges) {
        json_decref(files);
        json_decref(dead);
        json_decref(ranges);
        return NULL;
    }
    json_t *body =
        json_pack("{sIsisososo}", "run_id", (json_int_t)w->spec.run_id, "worker_index",
                  w->worker_index, "ranges", ranges, "files", files, "dead_letter_files", dead);
    /* The schema the files were written with (they never straddle a change). */
    if (body && w->spec.schema_id >= 0 &&
        json_object_set_new(body, "schema_id", json_integer(w->spec.schema_id))) {
        json_decref(body);
        return NULL;
    }
    return body;
}

/* After the server accepted the commit: Kafka group offsets for lag tools,
 * ranges start over at their ends. */
static void committed(worker *w, const json_t *answer)
{
    int32_t partitions[256];
    int64_t next[256];
    size_t n = 0;
    for (size_t p = 0; p < w->ranges.count; p++) {
        const ls_worker_partition_state *s = &w->ranges.items[p];
        if (s->start >= 0 && s->end > s->start) {
            partitions[n] = (int32_t)p;
            next[n] = s->end;
            if (++n == 256) {
                ls_error ignored;
                ls_error_clear(&ignored);
                if (ls_kafka_consumer_commit_offsets(w->consumer, partitions, next, n, &ignored))
                    ls_log_debug("worker", "group offsets not committed (lag only)");
                n = 0;
            }
        }
    }
    ls_error kafka_err;
    ls_error_clear(&kafka_err);
    if (n > 0 && ls_kafka_consumer_commit_offsets(w->consumer, partitions, next, n, &kafka_err))
        ls_log_debug("worker", "group offsets not committed (lag only): %s", kafka_err.message);
    ls_worker_ranges_committed(&w->ranges);
    worker_drop_waiting_files(w, false);
    w->commits++;
    const json_t *snapshot = json_object_get(answer, "snapshot_id");
    if (json_is_integer(snapshot))
        w->last_snapshot_id = json_integer_value(snapshot);
}

/* Whether a commit whose earlier attempt had an unknown outcome landed: the
 * table's offsets then equal our ranges' ends. */
static bool commit_landed(worker *w)
{
    json_t *offsets = NULL;
    ls_error ignored;
    ls_error_clear(&ignored);
    if (ls_control_get_offsets(w->control, &offsets, &ignored) != LS_OK)
        return false;
    bool landed = ls_worker_ranges_landed(&w->ranges, offsets);
    json_decref(offsets);
    return landed;
}

typedef enum commit_outcome { COMMIT_DONE, COMMIT_FENCED, COMMIT_UNKNOWN } commit_outcome;

/* Posts the commit until it is accepted, fenced, or we give up. A retry is
 * safe: if an earlier attempt landed, the fencing answers 409 and the
 * table's offsets tell us it did. */
static ls_code post_commit(worker *w, const json_t *body, commit_outcome *outcome, ls_error *err)
{
    bool uncertain = false;
    uint64_t started = now_ms(), delay = 200;
    for (;;) {
        json_t *answer = NULL;
        ls_error attempt_err;
        ls_error_clear(&attempt_err);
        bool retried = false;
        ls_code rc = ls_control_post_commit(w->control, body, &answer, &retried, &attempt_err);
        uncertain = uncertain || retried;
        bool landed = rc == LS_ERR_CONFLICT && uncertain && commit_landed(w);
        if (landed)
            ls_log_info("worker", "the commit landed although its answer was lost");
        if (rc == LS_OK || landed) {
            committed(w, answer);
            json_decref(answer);
            *outcome = COMMIT_DONE;
            return LS_OK;
        }
        json_decref(answer);
        if (rc == LS_ERR_CONFLICT) {
            ls_log_warn("worker",
                        "commit fenced (%s): dropping its files, back to the table's offsets",
                        attempt_err.message);
            *outcome = uncertain ? COMMIT_UNKNOWN : COMMIT_FENCED;
            return LS_OK;
        }
        if (rc != LS_ERR_UNAVAILABLE && rc != LS_ERR_FORMAT) {
            *outcome = uncertain ? COMMIT_UNKNOWN : COMMIT_FENCED;
            return ls_error_set(err, rc, "commit refused: %s", attempt_err.message);
        }
        uncertain = true; /* the request may have reached the server */
        uint64_t deadline = ls_stop_clock_deadline(&stop_clock), now = now_ms();
        if (now - started > COMMIT_GIVE_UP_MS || (deadline && now + delay >= deadline)) {
            *outcome = COMMIT_UNKNOWN;
            return ls_error_set(err, LS_ERR_UNAVAILABLE, "giving up the commit%s: %s",
                                deadline ? " (the stop grace period ends)" : "",
                                attempt_err.message);
        }
        ls_log_warn("worker", "commit failed (%s); retrying", attempt_err.message);
        sleep_ms(delay);
        delay = delay * 2 > COMMIT_RETRY_MAX_DELAY_MS ? COMMIT_RETRY_MAX_DELAY_MS : delay * 2;
    }
}

/* A stopping worker's commit failed before it was sent (its files could not
 * all be uploaded, most likely cut off by the stop deadline): the table
 * holds none of it. Says so, the cause kept. */
static ls_code stop_gave_up(ls_code rc, ls_error *err)
{
    ls_error cause = *err;
    ls_error_clear(err);
    /* Within the last look at the clock, the deadline is what ended it. */
    bool grace_ends = ls_stop_clock_cut_in_flight(&stop_clock, false);
    return ls_error_set(err, rc,
                        "giving up the uploads of the commit%s: nothing of it was committed, "
                        "the next run reads it again; %s",
                        grace_ends ? " (the stop grace period ends)" : "", cause.message);
}

/* Closes every file and commits them with the ranges they cover. When the
 * commit does not land, everything uncommitted is given up and, unless the
 * worker is leaving the partitions (a revoke, a stop), the consumer goes
 * back to the table's offsets: files known not to be in the table are
 * deleted, files of an unknown outcome are kept (they may be referenced).
 * Returns the failure for the caller to judge (retryable codes:
 * UNAVAILABLE, IO, FORMAT). */
static ls_code worker_commit(worker *w, bool leaving, ls_error *err)
{
    commit_outcome outcome = COMMIT_FENCED; /* nothing posted yet: nothing landed */
    json_t *body = NULL;
    w->commit_soon = false;
    w->last_commit_ms = now_ms();
    ls_code rc = worker_flush_staging(w, err);
    if (!rc)
        rc = worker_close_all_files(w, err);
    if (!rc)
        rc = worker_dlq_close(w, err);
    if (rc && ls_stop_clock_deadline(&stop_clock))
        rc = stop_gave_up(rc, err);
    if (rc)
        goto give_up;
    if (w->done_count == 0 && !ls_worker_ranges_pending(&w->ranges))
        return LS_OK;
    body = commit_body(w);
    if (!body) {
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory building a commit");
        goto give_up;
    }
    rc = post_commit(w, body, &outcome, err);
    json_decref(body);
    if (!rc && outcome == COMMIT_DONE)
        return LS_OK;
    if (outcome == COMMIT_FENCED)
        w->fenced++;
give_up:
    if (rc)
        ls_log_warn("worker", "dropping uncommitted data: %s", err->message);
    ls_error again_err;
    ls_error_clear(&again_err);
    ls_code again = abandon(w, outcome == COMMIT_FENCED, !leaving, &again_err);
    if (!rc && again)
        rc = ls_error_set(err, again, "%s", again_err.message);
    return rc;
}

static bool retryable(ls_code rc)
{
    return rc == LS_ERR_UNAVAILABLE || rc == LS_ERR_IO || rc == LS_ERR_FORMAT ||
           rc == LS_ERR_CONFLICT || rc == LS_ERR_TOO_LARGE;
}

/* A failure is fatal (exit 3) when no restart can fix it. */
static bool hopeless(ls_code rc)
{
    return rc == LS_ERR_INVALID || rc == LS_ERR_UNAUTHENTICATED || rc == LS_ERR_PERMISSION ||
           rc == LS_ERR_NOT_FOUND || rc == LS_ERR_UNPROCESSABLE;
}

/* ---- Kafka callbacks ------------------------------------------------------------- */

static ls_code position_cb(void *ctx, int32_t partition, int64_t *next_offset, ls_error *err)
{
    worker *w = ctx;
    if (!w->offsets_cache) {
        ls_code rc = ls_control_get_offsets(w->control, &w->offsets_cache, err);
        if (rc)
            return rc;
    }
    char key[16];
    snprintf(key, sizeof key, "%d", (int)partition);
    const json_t *next = json_object_get(w->offsets_cache, key);
    *next_offset =
        json_is_integer(next) && json_integer_value(next) >= 0 ? json_integer_value(next) : -1;
    return ls_worker_ranges_reset(&w->ranges, partition, *next_offset, err);
}

/* A latest start is recorded in the table at once (an empty range in a
 * commit right away): a restart must resume there, not at a newer end. */
static void pinned_cb(void *ctx, int32_t partition, int64_t offset)
{
    worker *w = ctx;
    ls_error err;
    ls_error_clear(&err);
    if (ls_worker_ranges_pin(&w->ranges, partition, offset, &err) != LS_OK)
        ls_log_warn("worker", "cannot record the start of partition %d: %s", (int)partition,
                    err.message);
    else
        w->commit_soon = true;
}

static void rebalance_cb(void *ctx, bool assigned, const int32_t *partitions, size_t count)
{
    worker *w = ctx;
    (void)partitions;
    /* The next assignment reads the table's offsets afresh. */
    json_decref(w->offsets_cache);
    w->offsets_cache = NULL;
    ls_log_info("worker", "%s %zu partition(s)", assigned ? "assigned" : "revoking", count);
    if (assigned)
        return;
    ls_error err;
    ls_error_clear(&err);
    if (w->failed) {
        /* Failing: what we hold must not be committed (it may include the
         * record that failed the job). */
        (void)abandon(w, true, false, &err);
        return;
    }
    /* Commit what we hold before the partitions go to another member. */
    ls_code rc = worker_commit(w, true, &err);
    if (rc) {
        if (!retryable(rc))
            fail(w, hopeless(rc), &err);
        else
            ls_log_warn("worker", "commit on revoke failed: %s", err.message);
    }
}

/* ---- messages ------------------------------------------------------------------------ */

/* Stops the job when the message just rejected puts the window over
 * max_error_ratio: more than ratio * window rejections among a window of
 * error_window consecutive messages (StarRocks' max_error_number over its
 * sampling window, as a ratio). Fatal: restarting would read the same
 * messages; once the data or the job is fixed, a start resumes from the
 * table's offsets. */
static void check_error_ratio(worker *w, const ls_kafka_message *m, const char *kind)
{
    if ((double)w->window_errors <= w->spec.max_error_ratio * (double)w->spec.error_window)
        return;
    ls_error why;
    ls_error_clear(&why);
    ls_error_set(&why, LS_ERR_UNPROCESSABLE,
                 "too many bad records: %lld of the last %lld messages were rejected, more than "
                 "max_error_ratio %g of error_window %lld (the last: %s at %s[%d] offset %lld)",
                 (long long)w->window_errors, (long long)w->window_messages,
                 w->spec.max_error_ratio, (long long)w->spec.error_window, kind, w->spec.topic,
                 (int)m->partition, (long long)m->offset);
    fail(w, true, &why);
}

/* A message the scanner rejected (or a tombstone, or a type conflict schema
 * evolution cannot resolve). Its offset stays covered by the range (the
 * protocol says skipped and dead-lettered messages are). Policy dlq writes
 * it to the dead-letter table, skip only counts it, fail stops the job; the
 * first few are logged whatever the policy. */
static ls_code reject_record(worker *w, const ls_kafka_message *m, const char *kind,
                             const ls_jsonscan_error *record, ls_error *err)
{
    w->errors++;
    w->window_errors++;
    w->ranges.items[m->partition].errors++;
    if (w->errors <= FIRST_ERRORS_LOGGED)
        ls_log_warn("worker", "rejected %s[%d] offset %lld: %s in '%s' at byte %zu: %s%s",
                    w->spec.topic, (int)m->partition, (long long)m->offset, kind, record->field,
                    record->offset, record->message,
                    w->errors == FIRST_ERRORS_LOGGED ? " (no more logged)" : "");
    if (w->spec.error_policy == LS_WORKER_ERRORS_FAIL) {
        ls_error why;
        ls_error_clear(&why);
        ls_error_set(&why, LS_ERR_UNPROCESSABLE,
                     "the job fails on bad records and %s[%d] offset %lld is one (%s: %s)",
                     w->spec.topic, (int)m->partition, (long long)m->offset, kind,
                     record->message);
        fail(w, true, &why);
        return LS_OK;
    }
    if (w->spec.error_policy == LS_WORKER_ERRORS_DLQ) {
        ls_code rc = worker_dlq_add(w, m, kind, record, err);
        if (rc)
            return rc;
    }
    check_error_ratio(w, m, kind);
    return LS_OK;
}

/* A row was written from a message with duplicate keys (valid JSON; the
 * last occurrence won): counted, and the first few logged. */
static void report_duplicates(worker *w, const ls_kafka_message *m)
{
    w->duplicate_key_rows++;
    if (w->duplicate_key_rows <= FIRST_ERRORS_LOGGED)
        ls_log_info("worker", "%s[%d] offset %lld has %zu duplicate key(s); the last occurrence "
                    "of each was kept%s", w->spec.topic, (int)m->partition, (long long)m->offset,
                    ls_jsonscan_duplicate_keys(w->plan),
                    w->duplicate_key_rows == FIRST_ERRORS_LOGGED ? " (no more logged)" : "");
}

/* Counts a message into the error-ratio window, starting a new window when
 * the current one is full. */
static void window_count(worker *w)
{
    if (w->window_messages >= w->spec.error_window)
        w->window_messages = w->window_errors = 0;
    w->window_messages++;
}

/* How far a message got (schema evolution may interrupt it). */
typedef enum take_outcome {
    TAKEN,        /* scanned into staging, or rejected */
    TAKE_AGAIN,   /* the schema changed for it: take it again */
    TAKE_REFUSED, /* the server refused the change it needs: take it without */
    TAKE_LATER,   /* the consumer went back to the table's offsets: it comes again */
} take_outcome;

/* Gives back message m's place in its partition's range, and its counts, so
 * that a commit now covers exactly the messages before it. */
static void unobserve(worker *w, const ls_kafka_message *m)
{
    ls_worker_partition_state *s = &w->ranges.items[m->partition];
    s->end = m->offset;
    s->messages--;
    s->bytes -= m->value_len;
    w->messages--;
    w->bytes -= m->value_len;
    if (w->window_messages > 0)
        w->window_messages--; /* it is counted again when taken again */
}

/* Schema evolution for message m: commit everything before it (no file ever
 * mixes two schemas), then ask the server for the change and rebuild the
 * schema from its answer. Takes proposal. */
static ls_code evolve(worker *w, const ls_kafka_message *m, json_t *proposal, bool additions,
                      take_outcome *outcome, ls_error *err)
{
    unobserve(w, m);
    ls_code rc = worker_commit(w, false, err);
    if (rc || w->ranges.items[m->partition].end != m->offset) {
        json_decref(proposal);
        *outcome = TAKE_LATER; /* the commit did not land: everything is read again */
        return rc;
    }
    json_t *answer = NULL;
    ls_error why;
    ls_error_clear(&why);
    rc = ls_control_post_schema(w->control, proposal, &answer, &why);
    json_decref(proposal);
    if (rc == LS_ERR_CONFLICT) {
        ls_log_warn("worker", "the server refused a schema change: %s%s", why.message,
                    additions ? " (new fields are ignored from now on)" : "");
        w->additions_refused = w->additions_refused || additions;
        *outcome = TAKE_REFUSED;
        rc = LS_OK;
    } else if (rc) {
        rc = ls_error_set(err, rc, "schema change: %s", why.message);
    } else {
        rc = worker_apply_schema(w, answer, err);
        *outcome = TAKE_AGAIN;
    }
    json_decref(answer);
    return rc;
}

/* Scans one message into staging, or rejects it. With may_evolve, a message
 * with new fields or (add_and_widen) a value too large for its column
 * evolves the schema first (evolve). */
static ls_code take_message(worker *w, const ls_kafka_message *m, bool may_evolve,
                            take_outcome *outcome, ls_error *err)
{
    bool accepted = false;
    *outcome = TAKEN;
    ls_code rc = ls_worker_ranges_observe(&w->ranges, m->partition, m->offset, &accepted, err);
    if (rc || !accepted)
        return rc; /* a replay below what we hold: already in the files */
    ls_worker_partition_state *s = &w->ranges.items[m->partition];
    s->messages++;
    s->bytes += m->value_len;
    w->messages++;
    w->bytes += m->value_len;
    ls_kafka_meta meta = {.partition = m->partition,
                          .offset = m->offset,
                          .timestamp_ms = m->timestamp_ms,
                          .key = m->key,
                          .key_len = m->key_len};
    window_count(w);
    if (!m->value) {
        /* A tombstone (null value) deletes a key in a compacted topic; an
         * append table has nothing to delete, so it is a dead letter of its
         * own kind rather than silently dropped. */
        ls_jsonscan_error tombstone = {.kind = LS_JSONSCAN_INVALID_JSON};
        snprintf(tombstone.message, sizeof tombstone.message,
                 "a tombstone (null value) has no row to write");
        return reject_record(w, m, "tombstone", &tombstone, err);
    }
    const uint8_t *value = m->value;
    bool flushed = false;
    ls_jsonscan_set_hold_unmapped(w->plan, may_evolve && !w->additions_refused);
    for (;;) {
        ls_jsonscan_error record;
        ls_error scan_err;
        memset(&record, 0, sizeof record);
        ls_error_clear(&scan_err);
        rc = ls_jsonscan_row(w->plan, value, m->value_len, &meta, w->staging, &record, &scan_err);
        if (rc == LS_OK) {
            s->rows++;
            w->rows++;
            if (ls_jsonscan_duplicate_keys(w->plan) > 0)
                report_duplicates(w, m);
            break;
        }
        if (rc == LS_ERR_TOO_LARGE && !flushed && w->staging->row_count > 0) {
            flushed = true;
            rc = worker_flush_staging(w, err); /* full batch: flush and scan again */
            if (rc)
                return rc;
            continue;
        }
        if (rc == LS_ERR_CONFLICT) { /* held: values at paths no field maps */
            json_t *proposal = NULL;
            rc = worker_additions_proposal(w, value, m->value_len, &proposal, err);
            if (rc)
                return rc;
            if (proposal)
                return evolve(w, m, proposal, true, outcome, err);
            ls_jsonscan_set_hold_unmapped(w->plan, false); /* nothing to add: take it */
            continue;
        }
        if (rc == LS_ERR_TOO_LARGE) { /* one message larger than a whole batch */
            record.kind = LS_JSONSCAN_TOO_LARGE;
            snprintf(record.message, sizeof record.message, "%s", scan_err.message);
            rc = LS_ERR_INVALID;
        }
        if (rc != LS_ERR_INVALID)
            return ls_error_set(err, rc, "%s", scan_err.message);
        json_t *widen = may_evolve ? worker_widen_proposal(w, &record) : NULL;
        if (widen)
            return evolve(w, m, widen, false, outcome, err);
        if (worker_evolving(w))
            worker_type_conflict(w, &record);
        rc = reject_record(w, m, ls_jsonscan_error_kind_name(record.kind), &record, err);
        if (rc)
            return rc;
        break;
    }
    worker_unmapped_tidy(w);
    if (w->staging->row_count >= STAGING_MAX_ROWS)
        return worker_flush_staging(w, err);
    return LS_OK;
}

#define MAX_EVOLUTIONS_PER_MESSAGE 4 /* e.g. new fields, then a widening */

static ls_code handle_message(worker *w, const ls_kafka_message *m, ls_error *err)
{
    bool may_evolve = worker_evolving(w);
    for (int round = 0;; round++) {
        take_outcome outcome = TAKEN;
        ls_code rc =
            take_message(w, m, may_evolve && round < MAX_EVOLUTIONS_PER_MESSAGE, &outcome, err);
        if (rc || outcome == TAKEN || outcome == TAKE_LATER)
            return rc;
        if (outcome == TAKE_REFUSED)
            may_evolve = false;
    }
}

/* ---- heartbeat ------------------------------------------------------------------------- */

static json_t *metrics_json(worker *w, int32_t *assigned, size_t capacity)
{
    size_t n = ls_kafka_consumer_assignment(w->consumer, assigned, capacity);
    json_t *partitions = json_object();
    int64_t total_lag = 0;
    for (size_t i = 0; partitions && i < n; i++) {
        int32_t p = assigned[i];
        ls_worker_partition_state zero = {.start = -1, .end = -1};
        const ls_worker_partition_state *s =
            (size_t)p < w->ranges.count ? &w->ranges.items[p] : &zero;
        int64_t high = ls_kafka_consumer_high_watermark(w->consumer, p);
        int64_t lag = high >= 0 && s->end >= 0 && high > s->end ? high - s->end : 0;
        total_lag += lag;
        char key[16];
        snprintf(key, sizeof key, "%d", (int)p);
        json_object_set_new(partitions, key,
                            json_pack("{sIsIsIsIsIsIsIsI}", "messages", (json_int_t)s->messages,
                                      "rows", (json_int_t)s->rows, "bytes", (json_int_t)s->bytes,
                                      "errors", (json_int_t)s->errors, "dead_letter_rows",
                                      (json_int_t)s->dead_letter_rows, "high_watermark",
                                      (json_int_t)high, "position", (json_int_t)s->end, "lag",
                                      (json_int_t)lag));
    }
    if (!partitions)
        return NULL;
    return json_pack("{sIsIsIsIsIsIsIsIsIsIsIso}", "messages", (json_int_t)w->messages, "rows",
                     (json_int_t)w->rows, "bytes", (json_int_t)w->bytes, "files",
                     (json_int_t)w->files_written, "commits", (json_int_t)w->commits, "fenced",
                     (json_int_t)w->fenced, "errors", (json_int_t)w->errors, "dead_letter_rows",
                     (json_int_t)w->dead_letter_rows, "duplicate_key_rows",
                     (json_int_t)w->duplicate_key_rows, "lag",
                     (json_int_t)total_lag, "last_snapshot_id", (json_int_t)w->last_snapshot_id,
                     "partitions", partitions);
}

/* What the worker's object stores (its table's and its dead-letter table's)
 * counted: the bytes they sent (data files, retries included) and every
 * request, as a provider bills them. */
static void add_storage_metrics(const worker *w, json_t *metrics)
{
    const ls_objstore *stores[] = {w->store, w->dead_store};
    uint64_t bytes = 0, requests = 0;
    for (size_t i = 0; i < sizeof stores / sizeof stores[0]; i++) {
        ls_objstore_counters c;
        if (!stores[i])
            continue;
        ls_objstore_counters_read(stores[i], &c);
        bytes += c.bytes_up;
        requests += c.put_requests + c.get_requests + c.head_requests + c.list_requests +
                    c.delete_requests + c.multipart_part_requests + c.multipart_control_requests;
    }
    json_object_set_new(metrics, "bytes_uploaded", json_integer((json_int_t)bytes));
    json_object_set_new(metrics, "storage_requests", json_integer((json_int_t)requests));
}

static void heartbeat(worker *w, int32_t *assigned, size_t capacity)
{
    w->last_heartbeat_ms = now_ms();
    json_t *metrics = metrics_json(w, assigned, capacity);
    if (metrics)
        add_storage_metrics(w, metrics);
    json_t *body = metrics ? json_pack("{sIsiso}", "run_id", (json_int_t)w->spec.run_id,
                                       "worker_index", w->worker_index, "metrics", metrics)
                           : NULL;
    /* A worker about to exit fatally says why: the job's failure reason. */
    if (body && w->failed && w->fatal)
        json_object_set_new(body, "failure", json_string(w->failure.message));
    ls_error err;
    ls_error_clear(&err);
    bool stop = false;
    ls_code rc = body ? ls_control_post_heartbeat(w->control, body, &stop, &err)
                      : ls_error_set(&err, LS_ERR_NOMEM, "out of memory building a heartbeat");
    json_decref(body);
    if (w->failed) {
        if (rc)
            ls_log_warn("worker", "could not tell the server why: %s", err.message);
    } else if (rc && hopeless(rc)) {
        /* The server no longer knows this run (token revoked, job gone): we
         * are a zombie, and our commits would be refused anyway. */
        fail(w, true, &err);
    } else if (rc) {
        ls_log_warn("worker", "heartbeat failed: %s", err.message);
    } else if (stop && !w->stop) {
        ls_log_info("worker", "the server asks this worker to stop");
        w->stop = true;
    }
}

/* ---- setup ----------------------------------------------------------------------------- */

static const char *env_required(const char *name, ls_error *err)
{
    const char *v = getenv(name);
    if (!v || !*v)
        ls_error_set(err, LS_ERR_INVALID, "the environment variable %s is not set", name);
    return v && *v ? v : NULL;
}

static ls_code connect_control(worker *w, ls_error *err)
{
    const char *url = env_required("LAKESYNC_SERVER_URL", err);
    const char *job = env_required("LAKESYNC_JOB_ID", err);
    const char *token = env_required("LAKESYNC_WORKER_TOKEN", err);
    const char *index = env_required("LAKESYNC_WORKER_INDEX", err);
    if (!url || !job || !token || !index)
        return err->code;
    char *end = NULL;
    long value = strtol(index, &end, 10);
    if (*end || value < 0 || value > 100000)
        return ls_error_set(err, LS_ERR_INVALID, "LAKESYNC_WORKER_INDEX is not a worker index");
    w->worker_index = (int)value;
    ls_control_options options;
    ls_control_options_init(&options);
    options.server_url = url;
    options.job_id = job;
    options.token = token;
    ls_code rc = ls_control_client_new(&options, &w->control, err);
    if (!rc)
        ls_control_watch_stop(w->control, &stop_clock);
    return rc;
}

ls_code worker_open_store(worker *w, const char *location, ls_objstore **out, ls_error *err)
{
    ls_objstore_options options;
    ls_objstore_options_init(&options);
    options.endpoint = w->spec.storage_endpoint;
    options.region = w->spec.storage_region;
    options.access_key_id = w->spec.access_key_id;
    options.secret_access_key = w->spec.secret_access_key;
    options.path_style = w->spec.path_style;
    options.stop = &stop_clock; /* a stop's uploads end by the deadline too */
    return ls_objstore_open(location, &options, out, err);
}

static ls_code open_consumer(worker *w, ls_error *err)
{
    ls_kafka_connection connection = {
        .bootstrap_servers = w->spec.bootstrap_servers,
        .security_protocol = w->spec.security_protocol,
        .sasl_mechanism = w->spec.sasl_mechanism,
        .sasl_username = w->spec.sasl_username,
        .sasl_password = w->spec.sasl_password,
    };
    char client_id[128];
    snprintf(client_id, sizeof client_id, "lakesync-worker-%d", w->worker_index);
    /* A short session lets a restarted worker rejoin soon after a crash. */
    const char *session = getenv("LAKESYNC_KAFKA_SESSION_TIMEOUT_MS");
    int session_ms = session && atoi(session) > 0 ? atoi(session) : 10000;
    ls_kafka_consumer_options options = {
        .topic = w->spec.topic,
        .group_id = w->spec.group_id,
        .client_id = client_id,
        .start_mode = w->spec.start_mode,
        .start_timestamp_ms = w->spec.start_timestamp_ms,
        .session_timeout_ms = session_ms,
        .position = position_cb,
        .rebalance = rebalance_cb,
        .pinned = pinned_cb,
        .ctx = w,
    };
    return ls_kafka_consumer_new(&connection, &options, &w->consumer, err);
}

static ls_code setup(worker *w, ls_error *err)
{
    json_t *document = NULL;
    ls_code rc = connect_control(w, err);
    if (!rc)
        rc = ls_control_get_spec(w->control, &document, err);
    if (!rc)
        rc = ls_worker_spec_parse(document, &w->spec, err);
    json_decref(document);
    if (!rc)
        rc = ls_worker_uuid(w->uuid, sizeof w->uuid, err);
    if (!rc)
        rc = worker_schema_build(w, err);
    if (!rc)
        rc = worker_open_store(w, w->spec.data_location, &w->store, err);
    if (!rc)
        rc = worker_dlq_setup(w, err);
    if (!rc)
        rc = open_consumer(w, err);
    return rc;
}

static void teardown(worker *w)
{
    /* Leaving the group revokes through rebalance_cb, which commits what is
     * left; after a graceful stop nothing is. */
    if (w->failed) {
        ls_error ignored;
        ls_error_clear(&ignored);
        (void)abandon(w, true, false, &ignored);
    }
    ls_kafka_consumer_free(w->consumer);
    w->consumer = NULL;
    worker_pipeline_free(w->pipeline); /* lets its last batch finish */
    w->pipeline = NULL;
    for (size_t i = 0; i < w->file_count; i++)
        worker_file_abort(&w->files[i]);
    worker_drop_waiting_files(w, false);
    worker_dlq_cleanup(w);
    ls_objstore_free(w->store);
    worker_schema_free(w);
    ls_worker_ranges_cleanup(&w->ranges);
    json_decref(w->offsets_cache);
    ls_worker_spec_cleanup(&w->spec);
    ls_control_client_free(w->control);
}

/* ---- the loop ---------------------------------------------------------------------------- */

/* Handles a failed step of the loop: retryable failures give up what is
 * uncommitted and carry on from the table's offsets; others end the run. */
static void step_failed(worker *w, ls_code rc, const ls_error *err, bool abandon_data)
{
    if (!retryable(rc)) {
        fail(w, hopeless(rc), err);
        return;
    }
    w->errors++;
    ls_log_warn("worker", "%s; starting again from the table's offsets", err->message);
    ls_error again;
    ls_error_clear(&again);
    if (abandon_data && abandon(w, true, true, &again) != LS_OK)
        fail(w, false, &again);
    sleep_ms(500); /* do not spin on a store or server that is down */
}

static void run(worker *w, int32_t *assigned, size_t capacity)
{
    const char *interval = getenv("LAKESYNC_HEARTBEAT_INTERVAL_MS");
    w->heartbeat_interval_ms =
        interval && atoi(interval) >= 100 ? (uint64_t)atoi(interval) : HEARTBEAT_INTERVAL_MS;
    w->last_commit_ms = w->last_heartbeat_ms = now_ms();
    while (!w->failed && !w->stop) {
        ls_kafka_message m;
        ls_error err;
        ls_error_clear(&err);
        bool got = false;
        ls_code rc = ls_kafka_consumer_poll(w->consumer, POLL_TIMEOUT_MS, &m, &got, &err);
        if (rc) {
            fail(w, false, &err); /* the consumer holds nothing usable: restart */
            break;
        }
        if (got && (rc = handle_message(w, &m, &err)) != LS_OK)
            step_failed(w, rc, &err, true);
        uint64_t now = now_ms();
        if (!w->failed &&
            (w->commit_soon || now - w->last_commit_ms >= (uint64_t)w->spec.commit_interval_ms)) {
            ls_error_clear(&err);
            if ((rc = worker_commit(w, false, &err)) != LS_OK)
                step_failed(w, rc, &err, false);
        }
        if (!w->failed && now - w->last_heartbeat_ms >= w->heartbeat_interval_ms)
            heartbeat(w, assigned, capacity);
        if (stop_signal)
            w->stop = true;
    }
    if (w->failed)
        return;
    ls_stop_clock_begin(&stop_clock); /* a no-op when SIGTERM started it */
    uint64_t deadline = ls_stop_clock_deadline(&stop_clock), now = now_ms();
    ls_log_info("worker", "stopping: final commit within %llu ms",
                (unsigned long long)(deadline > now ? deadline - now : 0));
    ls_error err;
    ls_error_clear(&err);
    ls_code rc = worker_commit(w, true, &err); /* leaving: no repositioning after a failure */
    if (rc)
        fail(w, false, &err);
    else
        heartbeat(w, assigned, capacity); /* the server sees the final figures */
}

static void usage(FILE *out)
{
    fprintf(out, "usage: lakesync worker\n\n"
                 "Runs one worker of a job. The supervisor starts it with its settings in the\n"
                 "environment: LAKESYNC_SERVER_URL, LAKESYNC_JOB_ID, LAKESYNC_WORKER_INDEX,\n"
                 "LAKESYNC_WORKER_TOKEN (optional: LAKESYNC_KAFKA_SESSION_TIMEOUT_MS,\n"
                 "LAKESYNC_HEARTBEAT_INTERVAL_MS, LAKESYNC_LOG_LEVEL). SIGTERM stops it after a "
                 "final commit.\n");
}

/* A worker frees and reallocates buffers of a few hundred KiB to tens of
 * MiB all the time (column batches, pages, a file's writer at each commit).
 * glibc raises its mmap threshold to the size of each mmapped block freed,
 * so after the first commit such buffers come from the heap, where the
 * freed ones fragment and stay resident: with 28 day partitions open the
 * worker's peak RSS was 222-254 MiB across runs, 202-218 MiB with the
 * threshold fixed at 256 KiB (bench/e2e_worker.sh with
 * LAKESYNC_BENCH_PARTITION=day). A fixed threshold stops the raising. */
static void keep_large_buffers_mapped(void)
{
#ifdef __GLIBC__
    (void)mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
}

int cmd_worker(int argc, char **argv)
{
    if (argc > 1) {
        bool help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
        usage(help ? stdout : stderr);
        return help ? 0 : 2;
    }
    ls_error err;
    ls_error_clear(&err);
    const char *level_text = getenv("LAKESYNC_LOG_LEVEL");
    ls_log_level level;
    if (level_text && ls_log_level_parse(level_text, &level, &err) == LS_OK)
        ls_log_set_level(level);
    ls_error_clear(&err);
    keep_large_buffers_mapped();
    stop_clock_setup(); /* before the handler that starts it */
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ls_log_error("worker", "libcurl could not be initialized");
        return 1;
    }
    worker *w = calloc(1, sizeof *w);
    int32_t *assigned = calloc(LS_WORKER_MAX_PARTITIONS, sizeof *assigned);
    int status = 1;
    if (!w || !assigned) {
        ls_log_error("worker", "out of memory");
        goto out;
    }
    ls_worker_ranges_init(&w->ranges);
    ls_code rc = setup(w, &err);
    if (rc) {
        ls_log_error("worker", "cannot start: %s%s%s", err.message, err.field[0] ? " at " : "",
                     err.field);
        status = hopeless(rc) ? WORKER_EXIT_FATAL : 1;
    } else {
        ls_log_info("worker", "worker %d of job %s (run %lld) consuming %s", w->worker_index,
                    w->spec.job_id, (long long)w->spec.run_id, w->spec.topic);
        run(w, assigned, LS_WORKER_MAX_PARTITIONS);
        if (w->failed)
            ls_log_error("worker", "stopping: %s", w->failure.message);
        if (w->failed && w->fatal)
            heartbeat(w, assigned, LS_WORKER_MAX_PARTITIONS);
        status = !w->failed ? 0 : w->fatal ? WORKER_EXIT_FATAL : 1;
    }
    teardown(w);
out:
    free(assigned);
    free(w);
    curl_global_cleanup();
    return status;
}
