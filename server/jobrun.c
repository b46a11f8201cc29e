#include "jobrun.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "dead_letter.h"
#include "iceberg_types.h"
#include "jsonscan.h"
#include "kafka_sample.h"
#include "schema_evolve.h"
#include "supervisor.h"
#include "util/log.h"

#define MAX_RUNS LS_SUPERVISOR_MAX_JOBS
#define ID_MAX 72
#define NAME_MAX_BYTES 256
#define URI_MAX 2048
#define DEFAULT_TARGET_FILE_BYTES ((int64_t)128 << 20)
/* The API writes advanced.schema_evolution into every job it stores; a job
 * without it was stored before schema evolution existed, and the fields it
 * does not map were left out on purpose: it keeps today's behaviour. */
#define LEGACY_EVOLUTION "none"
#define DEFAULT_ERROR_WINDOW 1000 /* messages (advanced.error_window) */

/* One started job. Strings the committer and spec need are copied at start. */
typedef struct run {
    char job_id[ID_MAX];
    int64_t run_id;
    char token_hash[LS_SECRET_HASH_HEX];
    char database[NAME_MAX_BYTES], table[NAME_MAX_BYTES], topic[NAME_MAX_BYTES];
    char location[URI_MAX];
    char endpoint[URI_MAX], region[64], access_key_id[256], secret_access_key[256];
    int path_style; /* 1: path-style asked; -1: automatic (the job says false or nothing) */
    int worker_count;
    json_t *worker_metrics[LS_SUPERVISOR_MAX_WORKERS];
    int64_t commits, last_commit_ms, last_snapshot_id;
} run;

struct ls_jobrun {
    ls_jobrun_options options;
    char worker_program[4096];
    char log_level[16];
    char server_url[256];
    ls_supervisor *supervisor;
    ls_committer *committer;
    pthread_mutex_t mu; /* guards runs and next_run_id */
    /* Serializes schema changes (rare): a job's fields are read, changed
     * and written back under it, with the table evolved in between. */
    pthread_mutex_t schema_mu;
    run *runs[MAX_RUNS];
    size_t run_count;
    int64_t next_run_id;
    /* Set while the server shuts down: workers stop, but the jobs stay
     * "running" in the store so the next start resumes them. */
    _Atomic bool shutting_down;
};

static int64_t wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

/* ---- job state in the store ------------------------------------------ */

/* Adds a job event, inside the caller's transaction. */
static ls_code insert_event(ls_store *store, const char *job_id, const char *kind,
                            const char *message, ls_error *err)
{
    ls_stmt *event = NULL;
    bool row = false;
    ls_code rc = ls_stmt_prepare(store,
                                 "INSERT INTO job_events (job_id, at, kind, message) VALUES "
                                 "(?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?2, ?3)",
                                 &event, err);
    if (!rc) {
        ls_stmt_bind_text(event, 1, job_id);
        ls_stmt_bind_text(event, 2, kind);
        ls_stmt_bind_text(event, 3, message);
        rc = ls_stmt_step(event, &row, err);
    }
    ls_stmt_free(event);
    return rc;
}

static ls_code record_state(ls_jobrun *jr, const char *job_id, const char *state,
                            const char *reason, ls_error *err)
{
    ls_store *store = jr->options.store;
    ls_stmt *update = NULL;
    bool row = false;
    ls_code rc = ls_store_begin(store, err);
    if (rc)
        return rc;
    rc = ls_stmt_prepare(store,
                         "UPDATE jobs SET state = ?1, state_reason = ?2, "
                         "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?3",
                         &update, err);
    if (!rc) {
        ls_stmt_bind_text(update, 1, state);
        if (reason && *reason)
            ls_stmt_bind_text(update, 2, reason);
        else
            ls_stmt_bind_null(update, 2);
        ls_stmt_bind_text(update, 3, job_id);
        rc = ls_stmt_step(update, &row, err);
    }
    if (!rc) {
        char message[512];
        snprintf(message, sizeof message, "%s%s%s", state, reason && *reason ? ": " : "",
                 reason ? reason : "");
        rc = insert_event(store, job_id, "state", message, err);
    }
    ls_stmt_free(update);
    if (!rc)
        return ls_store_commit(store, err);
    ls_store_rollback(store);
    return rc;
}

static void on_state(void *ctx, const char *job_id, ls_job_state state, const char *reason)
{
    ls_jobrun *jr = ctx;
    ls_error err;
    ls_error_clear(&err);
    if (atomic_load(&jr->shutting_down))
        return;
    if (record_state(jr, job_id, ls_job_state_name(state), reason, &err))
        ls_log_error("jobrun", "cannot record state of job %s: %s", job_id, err.message);
}

/* ---- loading a job ---------------------------------------------------- */

/* A job row with its data source, secrets opened. */
typedef struct job_row {
    json_t *job;    /* the stored job spec */
    json_t *source; /* the stored data-source spec */
    char *password; /* SASL password or NULL */
    char *secret;   /* destination secret_access_key or NULL */
    char database[NAME_MAX_BYTES], table[NAME_MAX_BYTES], location[URI_MAX];
    int64_t acus;
} job_row;

static void job_row_cleanup(job_row *r)
{
    json_decref(r->job);
    json_decref(r->source);
    if (r->password)
        wipe(r->password, strlen(r->password));
    if (r->secret)
        wipe(r->secret, strlen(r->secret));
    free(r->password);
    free(r->secret);
    memset(r, 0, sizeof *r);
}

static ls_code open_sealed(ls_jobrun *jr, ls_stmt *stmt, int column, const char *aad,
                           char **out, ls_error *err)
{
    size_t len = 0;
    const void *sealed = ls_stmt_blob(stmt, column, &len);
    *out = NULL;
    if (!sealed || ls_stmt_is_null(stmt, column))
        return LS_OK;
    ls_buf plain;
    ls_buf_init(&plain, 64 * 1024);
    ls_code rc = ls_secret_open(jr->options.key, aad, sealed, len, &plain, err);
    if (!rc)
        *out = (char *)ls_buf_take(&plain, NULL);
    ls_buf_cleanup(&plain);
    return rc;
}

static ls_code parse_row_json(ls_stmt *stmt, int column, json_t **out, ls_error *err)
{
    json_error_t jerr;
    *out = json_loads(ls_stmt_text(stmt, column), 0, &jerr);
    return *out ? LS_OK : ls_error_set(err, LS_ERR_FORMAT, "stored spec is not JSON: %s", jerr.text);
}

static ls_code read_job_row(ls_jobrun *jr, ls_stmt *stmt, job_row *out, ls_error *err)
{
    char aad[128];
    const char *job_id = ls_stmt_text(stmt, 6), *source_id = ls_stmt_text(stmt, 7);
    ls_code rc = parse_row_json(stmt, 0, &out->job, err);
    if (!rc)
        rc = parse_row_json(stmt, 1, &out->source, err);
    snprintf(aad, sizeof aad, "data_source:%s:password", source_id);
    if (!rc)
        rc = open_sealed(jr, stmt, 2, aad, &out->password, err);
    snprintf(aad, sizeof aad, "job:%s:secret_access_key", job_id);
    if (!rc)
        rc = open_sealed(jr, stmt, 3, aad, &out->secret, err);
    snprintf(out->database, sizeof out->database, "%s", ls_stmt_text(stmt, 4));
    snprintf(out->table, sizeof out->table, "%s", ls_stmt_text(stmt, 5));
    snprintf(out->location, sizeof out->location, "%s", ls_stmt_text(stmt, 8));
    size_t n = strlen(out->location);
    while (n > 0 && out->location[n - 1] == '/')
        out->location[--n] = '\0'; /* the stored path ends with '/' */
    out->acus = ls_stmt_int(stmt, 9);
    return rc;
}

static ls_code load_job(ls_jobrun *jr, const char *job_id, job_row *out, ls_error *err)
{
    ls_store *store = jr->options.store;
    ls_stmt *stmt = NULL;
    bool row = false;
    memset(out, 0, sizeof *out);
    ls_code rc = ls_store_begin(store, err);
    if (rc)
        return rc;
    rc = ls_stmt_prepare(store,
                         "SELECT j.spec, d.spec, d.password, j.secret, j.database, j.table_name, "
                         "j.id, d.id, j.path, j.acus FROM jobs j JOIN data_sources d "
                         "ON d.id = j.data_source_id WHERE j.id = ?1",
                         &stmt, err);
    if (!rc) {
        ls_stmt_bind_text(stmt, 1, job_id);
        rc = ls_stmt_step(stmt, &row, err);
    }
    if (!rc && !row)
        rc = ls_error_set(err, LS_ERR_NOT_FOUND, "job %s does not exist", job_id);
    if (!rc)
        rc = read_job_row(jr, stmt, out, err);
    ls_stmt_free(stmt);
    ls_store_rollback(store);
    if (rc)
        job_row_cleanup(out);
    return rc;
}

static const char *member_text(const json_t *doc, const char *object, const char *key)
{
    const json_t *o = object ? json_object_get(doc, object) : doc;
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- the table -------------------------------------------------------- */

static bool is_paimon(const json_t *job)
{
    const char *format = member_text(job, "destination", "format");
    return format && strcmp(format, "paimon") == 0;
}

/* The job's schema: its fields in order, ids 1..n, all optional (a JSON
 * message may omit any of them), and its partition spec. */
static ls_code job_schema(const json_t *job, ls_iceberg_schema *schema,
                          ls_iceberg_partition_spec *spec, ls_error *err)
{
    const json_t *fields = json_object_get(job, "fields");
    const json_t *parts = json_object_get(job, "partition");
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && i < json_array_size(fields); i++) {
        const json_t *f = json_array_get(fields, i);
        ls_type type;
        rc = ls_type_parse(member_text(f, NULL, "type") ? member_text(f, NULL, "type") : "",
                           &type, err);
        if (!rc)
            rc = ls_iceberg_schema_add(schema, (int32_t)i + 1, member_text(f, NULL, "name"), type,
                                       0, err);
    }
    for (size_t i = 0; !rc && i < json_array_size(parts); i++) {
        const json_t *p = json_array_get(parts, i);
        rc = ls_iceberg_spec_add(spec, schema, member_text(p, NULL, "source"),
                                 member_text(p, NULL, "transform"), member_text(p, NULL, "name"),
                                 0, err);
    }
    return rc;
}

static bool table_exists(ls_jobrun *jr, const job_row *row)
{
    ls_store *store = jr->options.store;
    ls_stmt *stmt = NULL;
    bool found = false;
    ls_error err;
    ls_error_clear(&err);
    if (ls_store_begin(store, &err))
        return false;
    if (!ls_stmt_prepare(store, "SELECT 1 FROM tables WHERE database = ?1 AND name = ?2", &stmt,
                         &err)) {
        ls_stmt_bind_text(stmt, 1, row->database);
        ls_stmt_bind_text(stmt, 2, row->table);
        if (ls_stmt_step(stmt, &found, &err))
            found = false;
    }
    ls_stmt_free(stmt);
    ls_store_rollback(store);
    return found;
}

static void storage_options(const run *r, ls_objstore_options *o)
{
    ls_objstore_options_init(o);
    o->endpoint = r->endpoint[0] ? r->endpoint : NULL;
    o->region = r->region[0] ? r->region : NULL;
    o->access_key_id = r->access_key_id[0] ? r->access_key_id : NULL;
    o->secret_access_key = r->secret_access_key[0] ? r->secret_access_key : NULL;
    o->path_style = r->path_style;
}

static ls_code create_table(ls_jobrun *jr, const job_row *row, const run *r, ls_error *err)
{
    ls_iceberg_schema schema;
    ls_iceberg_partition_spec spec;
    ls_objstore_options storage;
    ls_iceberg_schema_init(&schema, 0);
    ls_iceberg_spec_init(&spec, 0);
    storage_options(r, &storage);
    ls_table_ref ref = {.database = row->database, .table = row->table, .storage = &storage};
    ls_code rc = job_schema(row->job, &schema, &spec, err);
    if (!rc)
        rc = is_paimon(row->job)
                 ? ls_committer_create_paimon(jr->committer, &ref, row->location, &schema, &spec,
                                              err)
                 : ls_committer_create_iceberg(jr->committer, &ref, row->location, &schema, &spec,
                                               err);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&schema);
    return rc;
}

/* The job's table and its dead-letter table (created on the first start;
 * jobs created before dead-letter tables existed get theirs on a start). */
static ls_code ensure_table(ls_jobrun *jr, const job_row *row, const run *r, ls_error *err)
{
    ls_objstore_options storage;
    storage_options(r, &storage);
    ls_table_ref ref = {.database = row->database, .table = row->table, .storage = &storage};
    ls_code rc = table_exists(jr, row) ? LS_OK : create_table(jr, row, r, err);
    if (!rc)
        rc = ls_committer_ensure_dead_letter(jr->committer, &ref, is_paimon(row->job),
                                             row->location, err);
    return rc;
}

/* ---- runs ----------------------------------------------------------------- */

static run *find_run(ls_jobrun *jr, const char *job_id)
{
    for (size_t i = 0; i < jr->run_count; i++)
        if (strcmp(jr->runs[i]->job_id, job_id) == 0)
            return jr->runs[i];
    return NULL;
}

static void run_reset_metrics(run *r)
{
    for (int i = 0; i < LS_SUPERVISOR_MAX_WORKERS; i++) {
        json_decref(r->worker_metrics[i]);
        r->worker_metrics[i] = NULL;
    }
}

/* How many workers: one per 2 ACUs (at least one), never more than the
 * topic has partitions (extra group members would sit idle), never more than
 * the supervisor runs. When the broker cannot say, the ACUs decide and the
 * workers report the broker's trouble themselves. */
static int worker_count(const job_row *row)
{
    const json_t *security = json_object_get(row->source, "security");
    ls_kafka_settings settings = {
        .bootstrap_servers = member_text(row->source, NULL, "bootstrap_servers"),
        .security_protocol = member_text(security, NULL, "protocol"),
        .sasl_mechanism = member_text(security, NULL, "sasl_mechanism"),
        .username = member_text(security, NULL, "username"),
        .password = row->password,
    };
    int64_t workers = row->acus / 2 < 1 ? 1 : row->acus / 2;
    int32_t partitions = 0;
    ls_error err;
    ls_error_clear(&err);
    if (ls_kafka_topic_partitions(&settings, member_text(row->source, NULL, "topic"), 5000,
                                  &partitions, &err))
        ls_log_warn("jobrun", "cannot count the topic's partitions (%s); running %" PRId64
                    " workers", err.message, workers);
    else if (partitions < workers)
        workers = partitions;
    return (int)(workers > LS_SUPERVISOR_MAX_WORKERS ? LS_SUPERVISOR_MAX_WORKERS : workers);
}

/* Fills a run's copies of what the committer and the spec need. */
static void run_describe(run *r, const job_row *row, int workers)
{
    const json_t *dest = json_object_get(row->job, "destination");
    snprintf(r->database, sizeof r->database, "%s", row->database);
    snprintf(r->table, sizeof r->table, "%s", row->table);
    snprintf(r->topic, sizeof r->topic, "%s", member_text(row->source, NULL, "topic"));
    snprintf(r->location, sizeof r->location, "%s", row->location);
    snprintf(r->endpoint, sizeof r->endpoint, "%s",
             member_text(dest, NULL, "endpoint") ? member_text(dest, NULL, "endpoint") : "");
    snprintf(r->region, sizeof r->region, "%s",
             member_text(dest, NULL, "region") ? member_text(dest, NULL, "region") : "");
    snprintf(r->access_key_id, sizeof r->access_key_id, "%s",
             member_text(dest, NULL, "access_key_id") ? member_text(dest, NULL, "access_key_id")
                                                      : "");
    snprintf(r->secret_access_key, sizeof r->secret_access_key, "%s",
             row->secret ? row->secret : "");
    r->path_style = json_is_true(json_object_get(dest, "path_style")) ? 1 : -1;
    r->worker_count = workers;
}

/* Creates or renews the job's run (new id, new token) under mu. */
static ls_code run_renew(ls_jobrun *jr, const job_row *row, int workers, const char *job_id,
                         char *token, size_t token_size, run **out, ls_error *err)
{
    run *r = find_run(jr, job_id);
    if (!r) {
        if (jr->run_count == MAX_RUNS)
            return ls_error_set(err, LS_ERR_TOO_LARGE, "at most %d jobs can run", MAX_RUNS);
        r = calloc(1, sizeof *r);
        if (!r)
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        snprintf(r->job_id, sizeof r->job_id, "%s", job_id);
        jr->runs[jr->run_count++] = r;
    }
    ls_code rc = ls_secret_token_new("lsw_", token, token_size, err);
    if (rc)
        return rc;
    ls_secret_hash(token, r->token_hash);
    r->run_id = ++jr->next_run_id;
    run_reset_metrics(r);
    run_describe(r, row, workers);
    *out = r;
    return LS_OK;
}

static ls_code spawn(ls_jobrun *jr, const run *r, const char *token, ls_error *err)
{
    char url[320], job[ID_MAX + 32], tok[256], level[48], grace[64];
    snprintf(url, sizeof url, "LAKESYNC_SERVER_URL=%s", jr->server_url);
    snprintf(job, sizeof job, "LAKESYNC_JOB_ID=%s", r->job_id);
    snprintf(tok, sizeof tok, "LAKESYNC_WORKER_TOKEN=%s", token);
    snprintf(level, sizeof level, "LAKESYNC_LOG_LEVEL=%s", jr->log_level);
    /* The worker ends its final commit before the supervisor's SIGKILL. */
    snprintf(grace, sizeof grace, "LAKESYNC_STOP_GRACE_MS=%" PRId64, jr->options.stop_grace_ms);
    const char *argv[] = {jr->worker_program, "worker"};
    const char *env[] = {url, job, tok, level, grace};
    ls_supervisor_job spec = {.job_id = r->job_id, .argv = argv, .argc = 2, .env = env,
                              .env_count = 5, .worker_count = r->worker_count};
    ls_code rc = ls_supervisor_start(jr->supervisor, &spec, err);
    wipe(tok, sizeof tok);
    return rc;
}

ls_code ls_jobrun_start(ls_jobrun *jr, const char *job_id, ls_error *err)
{
    job_row row;
    char token[128];
    ls_code rc = load_job(jr, job_id, &row, err);
    if (rc)
        return rc;
    ls_job_state state = ls_supervisor_state(jr->supervisor, job_id, NULL, 0);
    if (state != LS_JOB_STOPPED && state != LS_JOB_FAILED) {
        job_row_cleanup(&row);
        return ls_error_set(err, LS_ERR_CONFLICT, "job %s is already %s", job_id,
                            ls_job_state_name(state));
    }
    int workers = worker_count(&row); /* a broker round trip: outside the lock */
    pthread_mutex_lock(&jr->mu);
    run *r = NULL;
    rc = run_renew(jr, &row, workers, job_id, token, sizeof token, &r, err);
    pthread_mutex_unlock(&jr->mu);
    if (!rc)
        rc = ensure_table(jr, &row, r, err);
    if (!rc)
        rc = spawn(jr, r, token, err);
    wipe(token, sizeof token);
    job_row_cleanup(&row);
    return rc;
}

ls_code ls_jobrun_stop(ls_jobrun *jr, const char *job_id, ls_error *err)
{
    ls_code rc = ls_supervisor_stop(jr->supervisor, job_id, jr->options.stop_grace_ms, err);
    if (rc == LS_ERR_NOT_FOUND) {
        ls_error_clear(err);
        return ls_error_set(err, LS_ERR_CONFLICT, "job %s is not running", job_id);
    }
    return rc;
}

ls_code ls_jobrun_resume(ls_jobrun *jr, ls_error *err)
{
    ls_store *store = jr->options.store;
    ls_stmt *stmt = NULL;
    char ids[64][ID_MAX];
    size_t count = 0;
    bool row = false;
    ls_code rc = ls_store_begin(store, err);
    if (rc)
        return rc;
    rc = ls_stmt_prepare(store,
                         "SELECT id FROM jobs WHERE state IN ('starting', 'running') ORDER BY seq",
                         &stmt, err);
    while (!rc && !(rc = ls_stmt_step(stmt, &row, err)) && row && count < 64)
        snprintf(ids[count++], ID_MAX, "%s", ls_stmt_text(stmt, 0));
    ls_stmt_free(stmt);
    ls_store_rollback(store);
    for (size_t i = 0; !rc && i < count; i++) {
        ls_error job_err;
        ls_error_clear(&job_err);
        if (ls_jobrun_start(jr, ids[i], &job_err)) {
            ls_log_error("jobrun", "cannot resume job %s: %s", ids[i], job_err.message);
            (void)record_state(jr, ids[i], "failed", job_err.message, &job_err);
        }
    }
    return rc;
}

/* ---- worker endpoints ------------------------------------------------------ */

/* Checks a worker's token against its job's current run; copies the run. */
static ls_code authorize(ls_jobrun *jr, const char *job_id, const char *token, run *copy,
                         ls_error *err)
{
    char hash[LS_SECRET_HASH_HEX];
    ls_secret_hash(token ? token : "", hash);
    pthread_mutex_lock(&jr->mu);
    run *r = find_run(jr, job_id);
    bool ok = r && token && strcmp(r->token_hash, hash) == 0;
    if (ok) {
        *copy = *r;
        memset(copy->worker_metrics, 0, sizeof copy->worker_metrics);
    }
    pthread_mutex_unlock(&jr->mu);
    if (!ok)
        return ls_error_set(err, LS_ERR_UNAUTHENTICATED,
                            "not a worker token of the current run of job %s", job_id);
    ls_job_state state = ls_supervisor_state(jr->supervisor, job_id, NULL, 0);
    if (state != LS_JOB_STARTING && state != LS_JOB_RUNNING && state != LS_JOB_STOPPING)
        return ls_error_set(err, LS_ERR_UNAUTHENTICATED, "job %s is %s", job_id,
                            ls_job_state_name(state));
    return LS_OK;
}

ls_code ls_jobrun_authorize(ls_jobrun *jr, const char *job_id, const char *token, ls_error *err)
{
    run r;
    ls_code rc = authorize(jr, job_id, token, &r, err);
    wipe(r.secret_access_key, sizeof r.secret_access_key);
    return rc;
}

static int64_t start_timestamp_ms(const json_t *start)
{
    const char *text = member_text(start, NULL, "timestamp");
    int64_t micros = 0;
    if (!text || !ls_json_parse_timestamp((const uint8_t *)text, strlen(text), &micros))
        return 0;
    return micros / 1000;
}

static json_t *spec_fields(const json_t *job)
{
    json_t *out = json_array();
    const json_t *fields = json_object_get(job, "fields");
    for (size_t i = 0; i < json_array_size(fields); i++) {
        const json_t *f = json_array_get(fields, i);
        json_array_append_new(out, json_pack("{s:s?, s:s?, s:s?, s:I}", "source",
                                             member_text(f, NULL, "source"), "name",
                                             member_text(f, NULL, "name"), "type",
                                             member_text(f, NULL, "type"), "field_id",
                                             (json_int_t)(i + 1)));
    }
    return out;
}

/* Paimon partitions are identity ones keyed by their column's name, which
 * also names the partition directories the worker writes. */
static json_t *spec_partition(const json_t *job)
{
    bool paimon = is_paimon(job);
    json_t *out = json_array();
    const json_t *parts = json_object_get(job, "partition");
    for (size_t i = 0; i < json_array_size(parts); i++) {
        const json_t *p = json_array_get(parts, i);
        json_array_append_new(out, json_pack("{s:s?, s:s?, s:s?, s:I}", "source",
                                             member_text(p, NULL, "source"), "transform",
                                             member_text(p, NULL, "transform"), "name",
                                             member_text(p, NULL, paimon ? "source" : "name"),
                                             "field_id",
                                             (json_int_t)(1000 + i)));
    }
    return out;
}

static json_t *spec_kafka(const run *r, const job_row *row)
{
    const json_t *security = json_object_get(row->source, "security");
    char group[ID_MAX + 16];
    snprintf(group, sizeof group, "lakesync-%s", r->job_id);
    return json_pack("{s:s?, s:s, s:s, s:{s:s?, s:s?, s:s?, s:s?}}", "bootstrap_servers",
                     member_text(row->source, NULL, "bootstrap_servers"), "topic", r->topic,
                     "group_id", group, "security", "protocol",
                     member_text(security, NULL, "protocol"), "sasl_mechanism",
                     member_text(security, NULL, "sasl_mechanism"), "username",
                     member_text(security, NULL, "username"), "password", row->password);
}

static json_t *build_spec(const run *r, const job_row *row)
{
    const json_t *sync = json_object_get(row->job, "sync");
    const json_t *start = json_object_get(sync, "start");
    const json_t *advanced = json_object_get(row->job, "advanced");
    const json_t *interval = json_object_get(advanced, "commit_interval_s");
    const char *policy = member_text(advanced, NULL, "error_policy");
    const char *evolution = member_text(advanced, NULL, "schema_evolution");
    const json_t *ignored = json_object_get(advanced, "ignored_sources");
    char data_location[URI_MAX + 8];
    /* Paimon data files live in partition directories under the table root. */
    snprintf(data_location, sizeof data_location, is_paimon(row->job) ? "%s" : "%s/data",
             r->location);
    json_int_t interval_ms = json_is_integer(interval) ? json_integer_value(interval) * 1000 : 300000;
    return json_pack(
        "{s:s, s:I, s:o, s:{s:s, s:I}, s:O, s:o, s:o, s:s, s:s, s:{s:s?, s:s?, s:o, s:s?, s:s?},"
        " s:I, s:I, s:s, s:s, s:o}",
        "job_id", r->job_id, "run_id", (json_int_t)r->run_id, "kafka", spec_kafka(r, row),
        "start", "mode", member_text(start, NULL, "mode") ? member_text(start, NULL, "mode")
                                                          : "earliest",
        "timestamp_ms", (json_int_t)start_timestamp_ms(start), "parse_levels",
        json_object_get(row->job, "parse_levels"), "fields", spec_fields(row->job), "partition",
        spec_partition(row->job), "format", is_paimon(row->job) ? "paimon" : "iceberg",
        "data_location", data_location, "storage",
        "endpoint", r->endpoint[0] ? r->endpoint : NULL, "region", r->region[0] ? r->region : NULL,
        "path_style", r->path_style == 1 ? json_true() : json_null(), "access_key_id",
        r->access_key_id[0] ? r->access_key_id : NULL, "secret_access_key",
        r->secret_access_key[0] ? r->secret_access_key : NULL, "commit_interval_ms", interval_ms,
        "target_file_size_bytes", (json_int_t)DEFAULT_TARGET_FILE_BYTES, "error_policy",
        policy ? policy : "dlq", "schema_evolution",
        evolution ? evolution : LEGACY_EVOLUTION, "ignored_sources",
        json_is_array(ignored) ? json_incref((json_t *)ignored) : json_array());
}

/* Where the worker writes dead letters, and when too many mean the job
 * must stop (advanced.max_error_ratio over advanced.error_window messages;
 * the defaults never stop it). */
static ls_code spec_add_dead_letter(json_t *spec, const run *r, const job_row *row, ls_error *err)
{
    const json_t *advanced = json_object_get(row->job, "advanced");
    const json_t *ratio = json_object_get(advanced, "max_error_ratio");
    const json_t *window = json_object_get(advanced, "error_window");
    char table[NAME_MAX_BYTES + 8], location[URI_MAX + 16];
    ls_code rc = ls_dead_letter_table_name(r->table, table, sizeof table, err);
    if (rc)
        return rc;
    /* Paimon data files live in the table root, Iceberg ones under data/. */
    snprintf(location, sizeof location, is_paimon(row->job) ? "%s%s" : "%s%s/data", r->location,
             LS_DEAD_LETTER_SUFFIX);
    json_t *dead = json_pack("{s:s, s:s}", "table", table, "data_location", location);
    if (!dead || json_object_set_new(spec, "dead_letter", dead) != 0 ||
        json_object_set_new(spec, "max_error_ratio",
                            json_real(json_is_number(ratio) ? json_number_value(ratio) : 1.0)) ||
        json_object_set_new(spec, "error_window",
                            json_integer(json_is_integer(window) ? json_integer_value(window)
                                                                 : DEFAULT_ERROR_WINDOW)))
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory building a spec");
    return LS_OK;
}

ls_code ls_jobrun_worker_spec(ls_jobrun *jr, const char *job_id, const char *token, json_t **out,
                              ls_error *err)
{
    run r;
    job_row row;
    ls_objstore_options storage;
    int64_t schema_id = -1;
    *out = NULL;
    ls_code rc = authorize(jr, job_id, token, &r, err);
    if (rc)
        return rc;
    storage_options(&r, &storage);
    ls_table_ref ref = {.database = r.database, .table = r.table, .storage = &storage};
    /* The fields and the table's schema id as one state: no schema change
     * in between (they happen under schema_mu). */
    pthread_mutex_lock(&jr->schema_mu);
    rc = load_job(jr, job_id, &row, err);
    if (!rc)
        rc = ls_committer_schema_id(jr->committer, &ref, &schema_id, err);
    pthread_mutex_unlock(&jr->schema_mu);
    if (!rc) {
        *out = build_spec(&r, &row);
        if (!*out || json_object_set_new(*out, "schema_id", json_integer(schema_id)))
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory building a spec");
        if (!rc)
            rc = spec_add_dead_letter(*out, &r, &row, err);
    }
    job_row_cleanup(&row); /* zeroed by load_job, also when it failed */
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    wipe(r.secret_access_key, sizeof r.secret_access_key);
    return rc;
}

static json_t *offsets_json(const ls_offsets *offsets)
{
    json_t *partitions = json_object();
    for (size_t i = 0; i < offsets->count; i++) {
        char key[16];
        snprintf(key, sizeof key, "%" PRId32, offsets->items[i].partition);
        json_object_set_new(partitions, key, json_integer(offsets->items[i].next_offset));
    }
    return partitions;
}

static ls_table_ref run_ref(const run *r, ls_objstore_options *storage)
{
    storage_options(r, storage);
    return (ls_table_ref){.database = r->database, .table = r->table, .storage = storage};
}

ls_code ls_jobrun_worker_offsets(ls_jobrun *jr, const char *job_id, const char *token,
                                 json_t **out, ls_error *err)
{
    run r;
    ls_objstore_options storage;
    ls_offsets offsets;
    *out = NULL;
    ls_code rc = authorize(jr, job_id, token, &r, err);
    if (rc)
        return rc;
    ls_table_ref ref = run_ref(&r, &storage);
    rc = ls_committer_offsets(jr->committer, &ref, &offsets, err);
    if (!rc)
        *out = json_pack("{s:s, s:o}", "topic", r.topic, "partitions", offsets_json(&offsets));
    ls_offsets_cleanup(&offsets);
    wipe(r.secret_access_key, sizeof r.secret_access_key);
    return rc;
}

static void note_commit(ls_jobrun *jr, const char *job_id, int64_t snapshot_id)
{
    pthread_mutex_lock(&jr->mu);
    run *r = find_run(jr, job_id);
    if (r) {
        r->commits++;
        r->last_commit_ms = wall_ms();
        r->last_snapshot_id = snapshot_id;
    }
    pthread_mutex_unlock(&jr->mu);
}

/* authorize, and a request naming another run (an older one) is refused. */
static ls_code authorize_run(ls_jobrun *jr, const char *job_id, const char *token,
                             const json_t *request, run *copy, ls_error *err)
{
    ls_code rc = authorize(jr, job_id, token, copy, err);
    if (rc)
        return rc;
    const json_t *run_id = json_object_get(request, "run_id");
    if (json_is_integer(run_id) && json_integer_value(run_id) != copy->run_id) {
        wipe(copy->secret_access_key, sizeof copy->secret_access_key);
        return ls_error_set(err, LS_ERR_UNAUTHENTICATED, "run %" PRId64 " is over",
                            (int64_t)json_integer_value(run_id));
    }
    return LS_OK;
}

ls_code ls_jobrun_worker_commit(ls_jobrun *jr, const char *job_id, const char *token,
                                const json_t *request, json_t **out, ls_error *err)
{
    run r;
    ls_objstore_options storage;
    ls_commit_result result;
    *out = NULL;
    ls_code rc = authorize_run(jr, job_id, token, request, &r, err);
    if (rc)
        return rc;
    ls_table_ref ref = run_ref(&r, &storage);
    rc = ls_committer_commit_json(jr->committer, &ref, job_id, r.topic, request, &result, err);
    if (!rc) {
        note_commit(jr, job_id, result.snapshot_id);
        *out = json_pack("{s:I, s:I, s:o}", "snapshot_id", (json_int_t)result.snapshot_id,
                         "sequence_number", (json_int_t)result.sequence_number, "offsets",
                         offsets_json(&result.offsets));
    } else if (rc == LS_ERR_CONFLICT) {
        *out = json_pack("{s:o}", "offsets", offsets_json(&result.offsets));
    }
    ls_offsets_cleanup(&result.offsets);
    wipe(r.secret_access_key, sizeof r.secret_access_key);
    return rc;
}

/* ---- schema changes ---------------------------------------------------------- */

/* Stores the job's new fields (a new etag: the job changed) and the event
 * naming the change, in one transaction. */
static ls_code store_fields(ls_jobrun *jr, const char *job_id, const json_t *fields,
                            const char *summary, ls_error *err)
{
    ls_store *store = jr->options.store;
    ls_stmt *read = NULL, *update = NULL;
    json_t *job = NULL;
    char *text = NULL, etag[33];
    bool row = false;
    ls_code rc = ls_secret_random_hex(16, etag, sizeof etag, err);
    if (!rc)
        rc = ls_store_begin(store, err);
    if (rc)
        return rc;
    rc = ls_stmt_prepare(store, "SELECT spec FROM jobs WHERE id = ?1", &read, err);
    if (!rc) {
        ls_stmt_bind_text(read, 1, job_id);
        rc = ls_stmt_step(read, &row, err);
    }
    if (!rc && !row)
        rc = ls_error_set(err, LS_ERR_NOT_FOUND, "job %s does not exist", job_id);
    if (!rc)
        rc = parse_row_json(read, 0, &job, err);
    if (!rc && (json_object_set(job, "fields", (json_t *)fields) ||
                !(text = json_dumps(job, JSON_COMPACT | JSON_PRESERVE_ORDER))))
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = ls_stmt_prepare(store,
                             "UPDATE jobs SET spec = ?1, etag = ?2, updated_at = "
                             "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?3",
                             &update, err);
    if (!rc) {
        ls_stmt_bind_text(update, 1, text);
        ls_stmt_bind_text(update, 2, etag);
        ls_stmt_bind_text(update, 3, job_id);
        rc = ls_stmt_step(update, &row, err);
    }
    if (!rc)
        rc = insert_event(store, job_id, "schema_changed", summary, err);
    ls_stmt_free(read);
    ls_stmt_free(update);
    free(text);
    json_decref(job);
    if (!rc)
        return ls_store_commit(store, err);
    ls_store_rollback(store);
    return rc;
}

/* Applies a worker's proposal to the job's fields; *fields_out is the new
 * array (the old one's copy when nothing changed). */
static ls_code proposed_fields(const job_row *row, const json_t *proposal, json_t **fields_out,
                               char *summary, size_t summary_size, ls_error *err)
{
    const json_t *advanced = json_object_get(row->job, "advanced");
    const json_t *levels = json_object_get(row->job, "parse_levels");
    ls_schema_evolution policy;
    const char *text = member_text(advanced, NULL, "schema_evolution");
    ls_code rc = ls_schema_evolution_parse(text ? text : LEGACY_EVOLUTION, &policy, err);
    if (!rc)
        rc = ls_schema_evolve_apply(json_object_get(row->job, "fields"),
                                    json_object_get(advanced, "ignored_sources"),
                                    json_is_integer(levels) ? (int)json_integer_value(levels) : 1,
                                    policy, proposal, LS_JSONSCAN_MAX_FIELDS, fields_out, summary,
                                    summary_size, err);
    return rc;
}

/* The table schema of fields (ids 1..n in order, as the worker writes them). */
static ls_code fields_schema(const json_t *job, const json_t *fields, ls_iceberg_schema *schema,
                             ls_error *err)
{
    json_t *copy = json_copy((json_t *)job);
    ls_iceberg_partition_spec spec;
    ls_iceberg_spec_init(&spec, 0);
    ls_code rc = copy && !json_object_set(copy, "fields", (json_t *)fields)
                     ? job_schema(copy, schema, &spec, err)
                     : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    ls_iceberg_spec_cleanup(&spec);
    json_decref(copy);
    return rc;
}

/* Under schema_mu: the job's fields with the proposal applied, the table
 * evolved to them, then the job stored with its event. The table goes
 * first: if storing the job fails, the next proposal evolves the table to
 * the same schema again, which changes nothing. */
static ls_code evolve_locked(ls_jobrun *jr, const run *r, const char *job_id,
                             const json_t *proposal, json_t **out, ls_error *err)
{
    job_row row;
    json_t *fields = NULL;
    ls_iceberg_schema schema;
    ls_objstore_options storage;
    char summary[LS_EVOLUTION_SUMMARY_MAX];
    int64_t schema_id = -1;
    bool changed = false;
    ls_iceberg_schema_init(&schema, 0);
    ls_code rc = load_job(jr, job_id, &row, err);
    if (rc)
        return rc;
    rc = proposed_fields(&row, proposal, &fields, summary, sizeof summary, err);
    if (!rc)
        rc = fields_schema(row.job, fields, &schema, err);
    ls_table_ref ref = run_ref(r, &storage);
    if (!rc)
        rc = ls_committer_evolve_schema(jr->committer, &ref, &schema, &schema_id, &changed, err);
    if (!rc && summary[0]) {
        rc = store_fields(jr, job_id, fields, summary, err);
        if (!rc)
            ls_log_info("jobrun", "job %s: %s (table schema %" PRId64 ")", job_id, summary,
                        schema_id);
    }
    if (!rc) {
        json_t *spec_view = json_pack("{s:O}", "fields", fields);
        const json_t *ignored =
            json_object_get(json_object_get(row.job, "advanced"), "ignored_sources");
        /* The job's ignored sources too: a worker started before they changed
         * must stop proposing them. */
        *out = json_pack("{s:b, s:I, s:o, s:o}", "changed", summary[0] != '\0', "schema_id",
                         (json_int_t)schema_id, "fields", spec_fields(spec_view),
                         "ignored_sources",
                         json_is_array(ignored) ? json_deep_copy(ignored) : json_array());
        json_decref(spec_view);
        if (!*out)
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    }
    ls_iceberg_schema_cleanup(&schema);
    json_decref(fields);
    job_row_cleanup(&row);
    return rc;
}

ls_code ls_jobrun_worker_schema(ls_jobrun *jr, const char *job_id, const char *token,
                                const json_t *request, json_t **out, ls_error *err)
{
    run r;
    *out = NULL;
    ls_code rc = authorize_run(jr, job_id, token, request, &r, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&jr->schema_mu);
    rc = evolve_locked(jr, &r, job_id, request, out, err);
    pthread_mutex_unlock(&jr->schema_mu);
    wipe(r.secret_access_key, sizeof r.secret_access_key);
    return rc;
}

ls_code ls_jobrun_worker_heartbeat(ls_jobrun *jr, const char *job_id, const char *token,
                                   const json_t *request, json_t **out, ls_error *err)
{
    run r;
    *out = NULL;
    ls_code rc = authorize(jr, job_id, token, &r, err);
    if (rc)
        return rc;
    wipe(r.secret_access_key, sizeof r.secret_access_key);
    const json_t *index = json_object_get(request, "worker_index");
    const json_t *metrics = json_object_get(request, "metrics");
    json_int_t i = json_is_integer(index) ? json_integer_value(index) : -1;
    if (i < 0 || i >= r.worker_count || !json_is_object(metrics))
        return ls_error_set_field(err, LS_ERR_INVALID, "worker_index",
                                  "a heartbeat needs worker_index (0..%d) and metrics",
                                  r.worker_count - 1);
    pthread_mutex_lock(&jr->mu);
    run *live = find_run(jr, job_id);
    if (live) {
        json_decref(live->worker_metrics[i]);
        live->worker_metrics[i] = json_deep_copy(metrics);
    }
    pthread_mutex_unlock(&jr->mu);
    const json_t *failure = json_object_get(request, "failure");
    if (json_is_string(failure))
        ls_supervisor_note_failure(jr->supervisor, job_id, json_string_value(failure));
    else
        ls_supervisor_mark_running(jr->supervisor, job_id);
    ls_job_state state = ls_supervisor_state(jr->supervisor, job_id, NULL, 0);
    *out = json_pack("{s:b}", "stop", state == LS_JOB_STOPPING);
    return LS_OK;
}

/* ---- metrics -------------------------------------------------------------- */

static void add_total(json_t *totals, const json_t *metrics, const char *key)
{
    const json_t *v = json_object_get(metrics, key);
    if (!json_is_integer(v))
        return;
    json_t *sum = json_object_get(totals, key);
    json_object_set_new(totals, key, json_integer(json_integer_value(sum) + json_integer_value(v)));
}

ls_code ls_jobrun_metrics(ls_jobrun *jr, const char *job_id, json_t **out, ls_error *err)
{
    static const char *const keys[] = {"messages",       "rows",
                                       "bytes",          "files",
                                       "errors",         "lag",
                                       "bytes_uploaded", "storage_requests",
                                       "dead_letter_rows", "duplicate_key_rows"};
    json_t *workers = json_array(), *totals = json_object();
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        json_object_set_new(totals, keys[k], json_integer(0));
    pthread_mutex_lock(&jr->mu);
    run *r = find_run(jr, job_id);
    int64_t run_id = r ? r->run_id : 0, commits = r ? r->commits : 0;
    int64_t last_ms = r ? r->last_commit_ms : 0, snapshot = r ? r->last_snapshot_id : 0;
    char dead_table[NAME_MAX_BYTES + 8] = "";
    ls_error name_err;
    ls_error_clear(&name_err);
    if (r && ls_dead_letter_table_name(r->table, dead_table, sizeof dead_table, &name_err))
        dead_table[0] = '\0';
    for (int i = 0; r && i < r->worker_count; i++) {
        const json_t *m = r->worker_metrics[i];
        json_array_append_new(workers, m ? json_deep_copy(m) : json_null());
        for (size_t k = 0; m && k < sizeof keys / sizeof keys[0]; k++)
            add_total(totals, m, keys[k]);
    }
    pthread_mutex_unlock(&jr->mu);
    char state_reason[256];
    ls_job_state state = ls_supervisor_state(jr->supervisor, job_id, state_reason,
                                             sizeof state_reason);
    *out = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:s?, s:o, s:o}", "job_id", job_id, "state",
                     ls_job_state_name(state), "run_id", (json_int_t)run_id, "commits",
                     (json_int_t)commits, "last_commit_at_ms", (json_int_t)last_ms,
                     "last_snapshot_id", (json_int_t)snapshot, "dead_letter_table",
                     dead_table[0] ? dead_table : NULL, "workers", workers, "totals", totals);
    return *out ? LS_OK : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
}

/* ---- Prometheus text ------------------------------------------------------ */

/* Job-level figures of ls_jobrun_metrics' document: from its totals (sums of
 * the workers' last heartbeats) or, for commits, from the document itself
 * (counted here as the committer accepts them). */
static const struct prom_figure {
    const char *name, *type, *key, *help;
    bool from_totals;
} prom_figures[] = {
    {"lakesync_job_messages_total", "counter", "messages",
     "Kafka messages consumed by the job's current workers since each started.", true},
    {"lakesync_job_rows_total", "counter", "rows",
     "Rows written by the job's current workers since each started.", true},
    {"lakesync_job_bytes_total", "counter", "bytes",
     "Kafka message bytes consumed by the job's current workers since each started.", true},
    {"lakesync_job_files_total", "counter", "files",
     "Data files written by the job's current workers since each started.", true},
    {"lakesync_job_commits_total", "counter", "commits",
     "Snapshots committed for the job since the server started.", false},
    {"lakesync_job_errors_total", "counter", "errors",
     "Rejected messages and retried failures of the job's current workers.", true},
    {"lakesync_job_dead_letter_rows_total", "counter", "dead_letter_rows",
     "Rejected messages written to the job's dead-letter table by its current workers.", true},
    {"lakesync_job_lag_messages", "gauge", "lag",
     "Messages in the job's assigned partitions past what its workers consumed.", true},
    {"lakesync_job_storage_uploaded_bytes_total", "counter", "bytes_uploaded",
     "Bytes the job's current workers sent to the object store since each started.", true},
    {"lakesync_job_storage_requests_total", "counter", "storage_requests",
     "Object-store requests of the job's current workers since each started.", true},
};

/* Appends a label value with the exposition format's escapes. */
static ls_code prom_label_value(ls_buf *out, const char *value, ls_error *err)
{
    ls_code rc = LS_OK;
    for (const char *p = value ? value : ""; !rc && *p; p++) {
        if (*p == '\\')
            rc = ls_buf_append_str(out, "\\\\", err);
        else if (*p == '"')
            rc = ls_buf_append_str(out, "\\\"", err);
        else if (*p == '\n')
            rc = ls_buf_append_str(out, "\\n", err);
        else
            rc = ls_buf_append_byte(out, (uint8_t)*p, err);
    }
    return rc;
}

static ls_code prom_family(ls_buf *out, const char *name, const char *type, const char *help,
                           ls_error *err)
{
    return ls_buf_printf(out, err, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Appends `name{job_id="..."[,label="..."]} `; the value follows. */
static ls_code prom_sample(ls_buf *out, const char *name, const json_t *doc, const char *label,
                           const char *label_value, ls_error *err)
{
    ls_code rc = ls_buf_printf(out, err, "%s{job_id=\"", name);
    if (!rc)
        rc = prom_label_value(out, json_string_value(json_object_get(doc, "job_id")), err);
    if (!rc && label) {
        rc = ls_buf_printf(out, err, "\",%s=\"", label);
        if (!rc)
            rc = prom_label_value(out, label_value, err);
    }
    return rc ? rc : ls_buf_append_str(out, "\"} ", err);
}

static ls_code prom_states(ls_buf *out, json_t *const *docs, size_t count, ls_error *err)
{
    static const ls_job_state states[] = {LS_JOB_STOPPED, LS_JOB_STARTING, LS_JOB_RUNNING,
                                          LS_JOB_STOPPING, LS_JOB_FAILED};
    ls_code rc = prom_family(out, "lakesync_job_state", "gauge",
                             "1 for the job's current state, 0 for the others.", err);
    for (size_t i = 0; !rc && i < count; i++) {
        const char *current = json_string_value(json_object_get(docs[i], "state"));
        for (size_t s = 0; !rc && s < sizeof states / sizeof states[0]; s++) {
            const char *name = ls_job_state_name(states[s]);
            rc = prom_sample(out, "lakesync_job_state", docs[i], "state", name, err);
            if (!rc)
                rc = ls_buf_printf(out, err, "%d\n", current && strcmp(current, name) == 0);
        }
    }
    return rc;
}

static ls_code prom_figures_all(ls_buf *out, json_t *const *docs, size_t count, ls_error *err)
{
    ls_code rc = LS_OK;
    for (size_t f = 0; !rc && f < sizeof prom_figures / sizeof prom_figures[0]; f++) {
        const struct prom_figure *fig = &prom_figures[f];
        rc = prom_family(out, fig->name, fig->type, fig->help, err);
        for (size_t i = 0; !rc && i < count; i++) {
            const json_t *from = fig->from_totals ? json_object_get(docs[i], "totals") : docs[i];
            rc = prom_sample(out, fig->name, docs[i], NULL, NULL, err);
            if (!rc)
                rc = ls_buf_printf(out, err, "%" PRId64 "\n",
                                   (int64_t)json_integer_value(json_object_get(from, fig->key)));
        }
    }
    return rc;
}

/* During a rebalance two workers may both list a partition: the one further
 * along (greater position, then the lower index) speaks for it, so that each
 * series appears once. */
static bool partition_owner(const json_t *workers, size_t index, const char *key,
                            const json_t *mine)
{
    json_int_t position = json_integer_value(json_object_get(mine, "position"));
    for (size_t j = 0; j < json_array_size(workers); j++) {
        const json_t *theirs =
            json_object_get(json_object_get(json_array_get(workers, j), "partitions"), key);
        if (j == index || !theirs)
            continue;
        json_int_t other = json_integer_value(json_object_get(theirs, "position"));
        if (other > position || (other == position && j < index))
            return false;
    }
    return true;
}

static ls_code prom_partition_lag(ls_buf *out, json_t *const *docs, size_t count, ls_error *err)
{
    static const char name[] = "lakesync_job_partition_lag_messages";
    ls_code rc =
        prom_family(out, name, "gauge",
                    "Messages in an assigned partition past what its worker consumed.", err);
    for (size_t i = 0; !rc && i < count; i++) {
        const json_t *workers = json_object_get(docs[i], "workers");
        for (size_t w = 0; !rc && w < json_array_size(workers); w++) {
            json_t *partitions = json_object_get(json_array_get(workers, w), "partitions");
            const char *key;
            json_t *p;
            json_object_foreach(partitions, key, p)
            {
                if (!partition_owner(workers, w, key, p))
                    continue;
                rc = prom_sample(out, name, docs[i], "partition", key, err);
                if (!rc)
                    rc = ls_buf_printf(out, err, "%" PRId64 "\n",
                                       (int64_t)json_integer_value(json_object_get(p, "lag")));
                if (rc)
                    break;
            }
        }
    }
    return rc;
}

/* Jobs without a commit since the server started have no sample. */
static ls_code prom_last_commit(ls_buf *out, json_t *const *docs, size_t count, ls_error *err)
{
    static const char name[] = "lakesync_job_last_commit_timestamp_seconds";
    ls_code rc = prom_family(out, name, "gauge",
                             "Unix time of the job's last commit since the server started.", err);
    for (size_t i = 0; !rc && i < count; i++) {
        int64_t ms = (int64_t)json_integer_value(json_object_get(docs[i], "last_commit_at_ms"));
        if (ms <= 0)
            continue;
        rc = prom_sample(out, name, docs[i], NULL, NULL, err);
        if (!rc)
            rc = ls_buf_printf(out, err, "%" PRId64 ".%03d\n", ms / 1000, (int)(ms % 1000));
    }
    return rc;
}

ls_code ls_jobrun_prometheus(ls_jobrun *jr, ls_buf *out, ls_error *err)
{
    char(*ids)[ID_MAX] = calloc(MAX_RUNS, sizeof *ids);
    json_t **docs = calloc(MAX_RUNS, sizeof *docs);
    size_t count = 0;
    ls_code rc = ids && docs ? LS_OK : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (!rc) {
        pthread_mutex_lock(&jr->mu);
        for (; count < jr->run_count; count++)
            snprintf(ids[count], ID_MAX, "%s", jr->runs[count]->job_id);
        pthread_mutex_unlock(&jr->mu);
    }
    for (size_t i = 0; !rc && i < count; i++)
        rc = ls_jobrun_metrics(jr, ids[i], &docs[i], err);
    if (!rc)
        rc = prom_family(out, "lakesync_up", "gauge", "1 while the lakesync server answers.", err);
    if (!rc)
        rc = ls_buf_append_str(out, "lakesync_up 1\n", err);
    if (!rc)
        rc = prom_states(out, docs, count, err);
    if (!rc)
        rc = prom_figures_all(out, docs, count, err);
    if (!rc)
        rc = prom_partition_lag(out, docs, count, err);
    if (!rc)
        rc = prom_last_commit(out, docs, count, err);
    for (size_t i = 0; docs && i < count; i++)
        json_decref(docs[i]);
    free(docs);
    free(ids);
    return rc;
}

/* ---- lifecycle ------------------------------------------------------------- */

ls_code ls_jobrun_new(const ls_jobrun_options *options, ls_jobrun **out, ls_error *err)
{
    ls_jobrun *jr = calloc(1, sizeof *jr);
    if (!jr)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    jr->options = *options;
    if (jr->options.stop_grace_ms <= 0)
        jr->options.stop_grace_ms = 30000;
    snprintf(jr->worker_program, sizeof jr->worker_program, "%s", options->worker_program);
    snprintf(jr->log_level, sizeof jr->log_level, "%s",
             options->log_level ? options->log_level : "info");
    jr->next_run_id = wall_ms(); /* run ids grow across server restarts */
    pthread_mutex_init(&jr->mu, NULL);
    pthread_mutex_init(&jr->schema_mu, NULL);
    ls_supervisor_options sup = {.on_state = on_state, .ctx = jr};
    ls_code rc = ls_committer_new(options->store, &jr->committer, err);
    if (!rc)
        rc = ls_supervisor_new(&sup, &jr->supervisor, err);
    if (rc) {
        ls_jobrun_free(jr);
        return rc;
    }
    jr->options.worker_program = jr->worker_program;
    *out = jr;
    return LS_OK;
}

void ls_jobrun_set_server_url(ls_jobrun *jr, const char *url)
{
    pthread_mutex_lock(&jr->mu);
    snprintf(jr->server_url, sizeof jr->server_url, "%s", url);
    pthread_mutex_unlock(&jr->mu);
}

void ls_jobrun_free(ls_jobrun *jr)
{
    if (!jr)
        return;
    atomic_store(&jr->shutting_down, true);
    ls_supervisor_free(jr->supervisor, jr->options.stop_grace_ms);
    ls_committer_free(jr->committer);
    for (size_t i = 0; i < jr->run_count; i++) {
        run_reset_metrics(jr->runs[i]);
        wipe(jr->runs[i], sizeof *jr->runs[i]);
        free(jr->runs[i]);
    }
    pthread_mutex_destroy(&jr->mu);
    pthread_mutex_destroy(&jr->schema_mu);
    free(jr);
}

ls_committer *ls_jobrun_committer(ls_jobrun *jr)
{
    return jr->committer;
}
