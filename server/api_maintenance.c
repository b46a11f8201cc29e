/* Table maintenance in the server: see api_maintenance.h. */
#include "api_maintenance.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "api_handlers.h"
#include "api_json.h"
#include "dead_letter.h"
#include "maintenance.h"
#include "table_read.h"
#include "util/log.h"

#define NAME_BYTES 256
#define MAX_TABLES 100000

/* What the server knows of one table's maintenance since it started. */
typedef struct table_state {
    char database[NAME_BYTES], table[NAME_BYTES];
    bool busy;
    int64_t last_run_ms; /* start of the last run, 0 before the first */
    int64_t first_seen_ms; /* the first scheduled run is one interval after */
    int64_t runs, failures;
    ls_maintenance_result totals;
    json_t *last; /* the last run: {started_at, duration_ms, result | error} */
} table_state;

struct api_maintenance {
    ls_api *api;
    ls_committer *committer;
    int64_t tick_ms;
    pthread_t thread;
    _Atomic bool cancel; /* set at stop: a run in progress ends early */
    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t wake;
    bool stopping;
    table_state *tables;
    size_t count, cap;
};

static int64_t wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* The state of db.table, created when new; NULL past the cap or out of
 * memory. Called with mu held. */
static table_state *state_of(api_maintenance *m, const char *db, const char *table)
{
    for (size_t i = 0; i < m->count; i++)
        if (strcmp(m->tables[i].database, db) == 0 && strcmp(m->tables[i].table, table) == 0)
            return &m->tables[i];
    if (m->count == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        table_state *grown = cap <= MAX_TABLES ? realloc(m->tables, cap * sizeof *grown) : NULL;
        if (!grown)
            return NULL;
        m->tables = grown;
        m->cap = cap;
    }
    table_state *s = &m->tables[m->count++];
    memset(s, 0, sizeof *s);
    snprintf(s->database, sizeof s->database, "%s", db);
    snprintf(s->table, sizeof s->table, "%s", table);
    s->first_seen_ms = wall_ms();
    return s;
}

/* ---- the table's job: settings, credentials, events --------------------- */

/* The job table a table belongs to: itself, or for "<t>__dlq" its t. */
static void job_table_name(const char *table, char *out, size_t size)
{
    size_t n = strlen(table), suffix = strlen(LS_DEAD_LETTER_SUFFIX);
    if (ls_dead_letter_is_name(table) && n > suffix)
        snprintf(out, size, "%.*s", (int)(n - suffix), table);
    else
        snprintf(out, size, "%s", table);
}

/* The maintenance settings and id ("" when none) of the job writing
 * db.table; defaults without a job. */
static ls_code load_settings(ls_store *store, const char *db, const char *table,
                             ls_maintenance_config *config, char *job_id, size_t job_id_size,
                             ls_error *err)
{
    char job_table[NAME_BYTES];
    ls_stmt *stmt = NULL;
    bool row = false;
    json_t *spec = NULL;
    job_table_name(table, job_table, sizeof job_table);
    job_id[0] = '\0';
    ls_maintenance_config_init(config);
    ls_code rc = ls_store_begin_read(store, err);
    if (rc)
        return rc;
    rc = ls_stmt_prepare(store, "SELECT id, spec FROM jobs WHERE database = ?1 AND table_name = ?2",
                         &stmt, err);
    if (!rc) {
        ls_stmt_bind_text(stmt, 1, db);
        ls_stmt_bind_text(stmt, 2, job_table);
        rc = ls_stmt_step(stmt, &row, err);
    }
    if (!rc && row) {
        snprintf(job_id, job_id_size, "%s", ls_stmt_text(stmt, 0));
        spec = json_loads(ls_stmt_text(stmt, 1), 0, NULL);
    }
    ls_stmt_free(stmt);
    ls_store_rollback(store);
    if (!rc && spec)
        rc = ls_maintenance_config_from_json(
            json_object_get(json_object_get(spec, "advanced"), "maintenance"), config, err);
    json_decref(spec);
    return rc;
}

/* Records a finished run as an event of the table's job (best effort). */
static void record_event(ls_store *store, const char *job_id, const char *kind,
                         const char *message)
{
    ls_stmt *stmt = NULL;
    bool row = false;
    ls_error err;
    ls_error_clear(&err);
    if (!job_id[0] || ls_store_begin(store, &err))
        return;
    ls_code rc = ls_stmt_prepare(store,
                                 "INSERT INTO job_events (job_id, at, kind, message) VALUES "
                                 "(?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?2, ?3)",
                                 &stmt, &err);
    if (!rc) {
        ls_stmt_bind_text(stmt, 1, job_id);
        ls_stmt_bind_text(stmt, 2, kind);
        ls_stmt_bind_text(stmt, 3, message);
        rc = ls_stmt_step(stmt, &row, &err);
    }
    ls_stmt_free(stmt);
    if (!rc)
        rc = ls_store_commit(store, &err);
    else
        ls_store_rollback(store);
    if (rc)
        ls_log_warn("maintenance", "event of job %s not recorded: %s", job_id, err.message);
}

static void event_message(const ls_maintenance_result *r, const ls_table_ref *ref, char *out,
                          size_t size)
{
    snprintf(out, size,
             "%s.%s: compacted %" PRId64 " files into %" PRId64 " (data files %" PRId64
             " -> %" PRId64 "), expired %" PRId64 " snapshots (%" PRId64
             " files deleted), deleted %" PRId64 " orphans",
             ref->database, ref->table, r->files_rewritten, r->files_written,
             r->data_files_before, r->data_files_after, r->snapshots_expired,
             r->expired_files_deleted, r->orphans_deleted);
}

/* ---- one run -------------------------------------------------------------- */

static void add_totals(ls_maintenance_result *t, const ls_maintenance_result *r)
{
    t->files_rewritten += r->files_rewritten;
    t->bytes_rewritten += r->bytes_rewritten;
    t->records_rewritten += r->records_rewritten;
    t->files_written += r->files_written;
    t->bytes_written += r->bytes_written;
    t->snapshots_expired += r->snapshots_expired;
    t->expired_files_deleted += r->expired_files_deleted;
    t->orphans_deleted += r->orphans_deleted;
    t->orphan_bytes_deleted += r->orphan_bytes_deleted;
}

/* Runs maintenance of db.table with the job's storage credentials. */
static ls_code maintain(api_maintenance *m, const char *db, const char *table,
                        const ls_maintenance_config *config, ls_maintenance_result *result,
                        ls_error *err)
{
    ls_table_storage storage;
    char job_table[NAME_BYTES];
    job_table_name(table, job_table, sizeof job_table);
    ls_code rc = ls_table_read_storage(m->api->store, &m->api->key, db, job_table, &storage, err);
    if (!rc) {
        ls_table_ref ref = {.database = db, .table = table, .storage = &storage.options};
        rc = ls_maintenance_run(m->committer, &ref, config, wall_ms(), result, err);
    }
    ls_table_storage_cleanup(&storage);
    return rc;
}

/* Runs db.table now (forced) or when due and enabled. *ran tells whether
 * it ran; *out (may be NULL) receives the run's JSON. LS_ERR_CONFLICT when
 * another thread is maintaining the table. */
static ls_code run_table(api_maintenance *m, const char *db, const char *table, bool forced,
                         bool *ran, json_t **out, ls_error *err)
{
    ls_maintenance_config config;
    char job_id[80];
    *ran = false;
    ls_code rc = load_settings(m->api->store, db, table, &config, job_id, sizeof job_id, err);
    if (rc)
        return rc;
    config.cancel = &m->cancel;
    int64_t start = wall_ms();
    pthread_mutex_lock(&m->mu);
    table_state *s = state_of(m, db, table);
    if (!s)
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    else if (m->stopping)
        rc = ls_error_set(err, LS_ERR_UNAVAILABLE, "the server is shutting down");
    else if (s->busy)
        rc = ls_error_set(err, LS_ERR_CONFLICT, "maintenance of %s.%s is already running", db,
                          table);
    int64_t since = s && s->last_run_ms > s->first_seen_ms ? s->last_run_ms
                    : s                                  ? s->first_seen_ms
                                                         : 0;
    bool due = s && (forced || (config.enabled && start - since >= config.interval_ms));
    if (!rc && due) {
        s->busy = true;
        s->last_run_ms = start;
    }
    pthread_mutex_unlock(&m->mu);
    if (rc || !due)
        return rc;
    *ran = true;
    ls_maintenance_result result = {0};
    ls_error run_err;
    ls_error_clear(&run_err);
    ls_code run_rc = maintain(m, db, table, &config, &result, &run_err);
    json_t *last = json_pack("{s:I, s:I, s:o}", "started_at_ms", (json_int_t)start, "duration_ms",
                             (json_int_t)(wall_ms() - start), "result",
                             ls_maintenance_result_json(&result));
    if (last && run_rc)
        json_object_set_new(last, "error", json_string(run_err.message));
    char message[768];
    ls_table_ref ref = {.database = db, .table = table};
    event_message(&result, &ref, message, sizeof message);
    if (run_rc) {
        size_t n = strlen(message);
        snprintf(message + n, sizeof message - n, "; failed: %s", run_err.message);
    }
    pthread_mutex_lock(&m->mu);
    s = state_of(m, db, table); /* the array may have moved */
    s->busy = false;
    pthread_cond_broadcast(&m->wake); /* api_maintenance_stop may wait for it */
    s->runs++;
    s->failures += run_rc != LS_OK;
    add_totals(&s->totals, &result);
    json_decref(s->last);
    s->last = last;
    if (out && last)
        *out = json_incref(last);
    pthread_mutex_unlock(&m->mu);
    bool worth_an_event = run_rc || result.files_rewritten || result.snapshots_expired ||
                          result.orphans_deleted;
    if (worth_an_event)
        record_event(m->api->store, job_id, run_rc ? "maintenance_failed" : "maintenance",
                     message);
    ls_log_info("maintenance", "%s", message);
    if (run_rc)
        return ls_error_set(err, run_rc, "%s", run_err.message);
    return LS_OK;
}

/* ---- the scheduler ---------------------------------------------------------- */

typedef struct table_name {
    char database[NAME_BYTES], table[NAME_BYTES];
} table_name;

/* The catalog's tables with metadata (Iceberg and Paimon). */
static ls_code list_tables(ls_store *store, table_name **out, size_t *count, ls_error *err)
{
    ls_stmt *stmt = NULL;
    size_t cap = 0;
    *out = NULL;
    *count = 0;
    ls_code rc = ls_store_begin_read(store, err);
    if (rc)
        return rc;
    rc = ls_stmt_prepare(store,
                         "SELECT database, name FROM tables WHERE metadata_location IS NOT NULL "
                         "ORDER BY seq",
                         &stmt, err);
    for (bool row = true; !rc && row && *count < MAX_TABLES;) {
        if ((rc = ls_stmt_step(stmt, &row, err)) || !row)
            break;
        if (*count == cap) {
            cap = cap ? cap * 2 : 16;
            table_name *grown = realloc(*out, cap * sizeof *grown);
            if (!grown) {
                rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
                break;
            }
            *out = grown;
        }
        snprintf((*out)[*count].database, NAME_BYTES, "%s", ls_stmt_text(stmt, 0));
        snprintf((*out)[*count].table, NAME_BYTES, "%s", ls_stmt_text(stmt, 1));
        (*count)++;
    }
    ls_stmt_free(stmt);
    ls_store_rollback(store);
    return rc;
}

static bool stopping(api_maintenance *m)
{
    pthread_mutex_lock(&m->mu);
    bool s = m->stopping;
    pthread_mutex_unlock(&m->mu);
    return s;
}

/* One pass over the catalog: every table that is due runs. */
static void tick(api_maintenance *m)
{
    table_name *tables = NULL;
    size_t count = 0;
    ls_error err;
    ls_error_clear(&err);
    if (list_tables(m->api->store, &tables, &count, &err)) {
        ls_log_warn("maintenance", "cannot list tables: %s", err.message);
        return;
    }
    for (size_t i = 0; i < count && !stopping(m); i++) {
        bool ran;
        ls_error_clear(&err);
        ls_code rc = run_table(m, tables[i].database, tables[i].table, false, &ran, NULL, &err);
        if (rc && rc != LS_ERR_CONFLICT && !ran)
            ls_log_warn("maintenance", "%s.%s: %s", tables[i].database, tables[i].table,
                        err.message);
    }
    free(tables);
}

static void *scheduler(void *arg)
{
    api_maintenance *m = arg;
    for (;;) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += m->tick_ms / 1000;
        until.tv_nsec += (m->tick_ms % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_mutex_lock(&m->mu);
        while (!m->stopping &&
               pthread_cond_timedwait(&m->wake, &m->mu, &until) != ETIMEDOUT) {
        }
        bool stop = m->stopping;
        pthread_mutex_unlock(&m->mu);
        if (stop)
            return NULL;
        tick(m);
    }
}

ls_code api_maintenance_start(ls_api *api, ls_committer *committer, int64_t tick_ms,
                              api_maintenance **out, ls_error *err)
{
    api_maintenance *m = calloc(1, sizeof *m);
    if (!m)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    m->api = api;
    m->committer = committer;
    m->tick_ms = tick_ms > 0 ? tick_ms : 1000;
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->wake, NULL);
    if (pthread_create(&m->thread, NULL, scheduler, m) != 0) {
        pthread_cond_destroy(&m->wake);
        pthread_mutex_destroy(&m->mu);
        free(m);
        return ls_error_set(err, LS_ERR_INTERNAL, "cannot start the maintenance thread");
    }
    *out = m;
    return LS_OK;
}

static bool any_busy(const api_maintenance *m)
{
    for (size_t i = 0; i < m->count; i++)
        if (m->tables[i].busy)
            return true;
    return false;
}

void api_maintenance_stop(api_maintenance *m)
{
    if (!m)
        return;
    atomic_store(&m->cancel, true);
    pthread_mutex_lock(&m->mu);
    if (m->stopping) {
        pthread_mutex_unlock(&m->mu);
        return;
    }
    m->stopping = true;
    pthread_cond_broadcast(&m->wake);
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->thread, NULL);
    /* Runs started by requests end too before the committer goes away. */
    pthread_mutex_lock(&m->mu);
    while (any_busy(m))
        pthread_cond_wait(&m->wake, &m->mu);
    pthread_mutex_unlock(&m->mu);
}

void api_maintenance_free(api_maintenance *m)
{
    if (!m)
        return;
    api_maintenance_stop(m);
    for (size_t i = 0; i < m->count; i++)
        json_decref(m->tables[i].last);
    free(m->tables);
    pthread_cond_destroy(&m->wake);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

/* ---- REST ------------------------------------------------------------------ */

/* 404 unless {db}/{table} is in the catalog. */
static ls_code route_table(ls_api_request *req, const char **db, const char **table,
                           ls_error *err)
{
    ls_table_pointer pointer;
    *db = api_param(req, "db");
    *table = api_param(req, "table");
    if (!req->api->maintenance)
        return ls_error_set(err, LS_ERR_UNAVAILABLE, "table maintenance is not running");
    return ls_table_read_pointer(req->api->store, *db, *table, &pointer, err);
}

ls_code api_table_maintenance_run(ls_api_request *req, ls_error *err)
{
    const char *db, *table;
    json_t *body = NULL;
    bool ran;
    ls_code rc = route_table(req, &db, &table, err);
    if (!rc)
        rc = run_table(req->api->maintenance, db, table, true, &ran, &body, err);
    return rc ? rc : api_reply_json(req, 200, body, err);
}

static json_t *config_json(const ls_maintenance_config *c)
{
    return json_pack("{s:b, s:I, s:I, s:{s:I, s:I}, s:I, s:I}", "enabled", c->enabled,
                     "target_file_size_mb", (json_int_t)(c->target_file_size_bytes >> 20),
                     "min_input_files", (json_int_t)c->min_input_files, "snapshot_retention",
                     "max_age_s", (json_int_t)(c->snapshot_max_age_ms / 1000), "min_keep",
                     (json_int_t)c->snapshot_min_keep, "orphan_age_s",
                     (json_int_t)(c->orphan_age_ms / 1000), "interval_s",
                     (json_int_t)(c->interval_ms / 1000));
}

ls_code api_table_maintenance_get(ls_api_request *req, ls_error *err)
{
    const char *db, *table;
    ls_maintenance_config config;
    char job_id[80];
    ls_code rc = route_table(req, &db, &table, err);
    if (!rc)
        rc = load_settings(req->api->store, db, table, &config, job_id, sizeof job_id, err);
    if (rc)
        return rc;
    api_maintenance *m = req->api->maintenance;
    pthread_mutex_lock(&m->mu);
    table_state *s = state_of(m, db, table);
    json_t *body = s ? json_pack("{s:s, s:s, s:o, s:b, s:I, s:I, s:o, s:O}", "database", db,
                                 "table", table, "settings", config_json(&config), "running",
                                 s->busy, "runs", (json_int_t)s->runs, "failures",
                                 (json_int_t)s->failures, "totals",
                                 ls_maintenance_result_json(&s->totals), "last_run",
                                 s->last ? s->last : json_null())
                     : NULL;
    pthread_mutex_unlock(&m->mu);
    if (!body)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    return api_reply_json(req, 200, body, err);
}

/* ---- Prometheus ---------------------------------------------------------------- */

ls_code api_maintenance_prometheus(api_maintenance *m, ls_buf *out, ls_error *err)
{
    static const char *names[] = {"runs", "failures", "files_rewritten", "bytes_rewritten",
                                  "files_written", "snapshots_expired", "expired_files_deleted",
                                  "orphans_deleted"};
    ls_code rc = LS_OK;
    if (!m)
        return LS_OK;
    pthread_mutex_lock(&m->mu);
    for (size_t k = 0; !rc && k < sizeof names / sizeof names[0]; k++) {
        rc = ls_buf_printf(out, err, "# TYPE lakesync_table_maintenance_%s_total counter\n",
                           names[k]);
        for (size_t i = 0; !rc && i < m->count; i++) {
            const table_state *s = &m->tables[i];
            const ls_maintenance_result *t = &s->totals;
            int64_t v[] = {s->runs, s->failures, t->files_rewritten, t->bytes_rewritten,
                           t->files_written, t->snapshots_expired, t->expired_files_deleted,
                           t->orphans_deleted};
            rc = ls_buf_printf(out, err,
                               "lakesync_table_maintenance_%s_total{database=\"%s\",table=\"%s\"} "
                               "%" PRId64 "\n",
                               names[k], s->database, s->table, v[k]);
        }
    }
    if (!rc)
        rc = ls_buf_printf(out, err,
                           "# TYPE lakesync_table_maintenance_last_run_timestamp_seconds gauge\n");
    for (size_t i = 0; !rc && i < m->count; i++)
        if (m->tables[i].last_run_ms)
            rc = ls_buf_printf(out, err,
                               "lakesync_table_maintenance_last_run_timestamp_seconds{database="
                               "\"%s\",table=\"%s\"} %.3f\n",
                               m->tables[i].database, m->tables[i].table,
                               (double)m->tables[i].last_run_ms / 1000.0);
    pthread_mutex_unlock(&m->mu);
    return rc;
}
