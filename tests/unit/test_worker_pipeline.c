/* The worker's encoder thread (worker_pipeline.c): batches handed over with
 * the worker's double buffering give the same file, byte for byte, as
 * writing them on one thread; a failed write is reported by the next wait,
 * once. For partitioned tables (worker_files.c) the flushes hand over
 * routed staging batches, whose rows the thread copies into their files:
 * the files are the ones one thread writes, also when files close while a
 * staging batch is routed. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parquet_reader.h"
#include "testing.h"
#include "worker.h"
#include "worker_internal.h"
#include "worker_pipeline.h"

#define BATCHES 40
#define ROWS 1000

static const ls_type types[2] = {{.kind = LS_TYPE_BIGINT}, {.kind = LS_TYPE_STRING}};
static const ls_parquet_column_spec columns[2] = {
    {.name = "n", .field_id = 1, .type = {.kind = LS_TYPE_BIGINT}},
    {.name = "s", .field_id = 2, .type = {.kind = LS_TYPE_STRING}},
};

/* Rows [first, first + ROWS) of a deterministic table, every 7th s null. */
static void fill(ls_column_batch *b, int64_t first)
{
    ls_error err;
    ls_error_clear(&err);
    ls_column_batch_reset(b);
    for (int64_t i = first; i < first + ROWS; i++) {
        char text[32];
        int len = snprintf(text, sizeof text, "row-%lld", (long long)(i % 997));
        ls_column_batch_row_begin(b);
        CHECK_OK(ls_column_set_int64(&b->columns[0], i * 31, &err), &err);
        CHECK_OK(i % 7 ? ls_column_set_bytes(&b->columns[1], text, (size_t)len, &err)
                       : ls_column_set_null(&b->columns[1], &err),
                 &err);
        CHECK_OK(ls_column_batch_row_end(b, &err), &err);
    }
}

static ls_parquet_writer *writer_for(ls_sink *sink)
{
    ls_parquet_options options;
    ls_parquet_options_init(&options);
    options.row_group_bytes = 64 << 10; /* several row groups, written by the thread */
    ls_error err;
    ls_error_clear(&err);
    ls_parquet_writer *w = ls_parquet_writer_new(columns, 2, &options, sink, &err);
    CHECK(w != NULL);
    return w;
}

static void close_writer(ls_parquet_writer *w)
{
    ls_parquet_file_stats stats;
    memset(&stats, 0, sizeof stats);
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_parquet_writer_close(w, &stats, &err), &err);
    CHECK_EQ_INT(stats.row_count, BATCHES * ROWS);
    ls_parquet_file_stats_cleanup(&stats);
    ls_parquet_writer_free(w);
}

TEST(double_buffered_batches_write_the_same_file)
{
    ls_error err;
    ls_error_clear(&err);
    ls_buf direct, threaded;
    ls_buf_init(&direct, 64 << 20);
    ls_buf_init(&threaded, 64 << 20);
    ls_sink direct_sink = ls_sink_for_buf(&direct), threaded_sink = ls_sink_for_buf(&threaded);
    ls_parquet_writer *one = writer_for(&direct_sink), *two = writer_for(&threaded_sink);
    ls_column_batch *staging = ls_column_batch_new(types, 2, 8 << 20);
    ls_column_batch *spare = ls_column_batch_new(types, 2, 8 << 20);
    CHECK(staging && spare);
    worker_pipeline *p = NULL;
    CHECK_OK(worker_pipeline_new(&p, &err), &err);
    for (int k = 0; k < BATCHES; k++) {
        fill(staging, (int64_t)k * ROWS); /* while the thread writes the previous one */
        CHECK_OK(ls_parquet_writer_write_batch(one, staging, &err), &err);
        CHECK_OK(worker_pipeline_wait(p, &err), &err);
        worker_pipeline_submit(p, two, staging);
        ls_column_batch *t = staging;
        staging = spare;
        spare = t;
    }
    CHECK_OK(worker_pipeline_wait(p, &err), &err);
    close_writer(one);
    close_writer(two);
    CHECK_EQ_INT(threaded.len, direct.len);
    CHECK(threaded.len > 0 && memcmp(threaded.data, direct.data, direct.len) == 0);
    worker_pipeline_free(p);
    ls_column_batch_free(staging);
    ls_column_batch_free(spare);
    ls_buf_cleanup(&direct);
    ls_buf_cleanup(&threaded);
}

TEST(a_failed_write_is_reported_by_the_next_wait_once)
{
    ls_error err;
    ls_error_clear(&err);
    ls_buf small;
    ls_buf_init(&small, 1024); /* the first row group does not fit */
    ls_sink sink = ls_sink_for_buf(&small);
    ls_parquet_writer *w = writer_for(&sink);
    ls_column_batch *b = ls_column_batch_new(types, 2, 8 << 20);
    CHECK(b != NULL);
    worker_pipeline *p = NULL;
    CHECK_OK(worker_pipeline_new(&p, &err), &err);
    ls_code rc = LS_OK;
    for (int k = 0; k < BATCHES && rc == LS_OK; k++) {
        fill(b, (int64_t)k * ROWS);
        worker_pipeline_submit(p, w, b);
        rc = worker_pipeline_wait(p, &err);
    }
    CHECK(rc != LS_OK);
    CHECK(err.message[0] != '\0');
    ls_error_clear(&err);
    CHECK_OK(worker_pipeline_wait(p, &err), &err); /* reported once */
    worker_pipeline_idle(p);
    worker_pipeline_discard(p);
    worker_pipeline_free(p);
    ls_parquet_writer_abort(w);
    ls_parquet_writer_free(w);
    ls_column_batch_free(b);
    ls_buf_cleanup(&small);
}

#define TARGETS 3
#define SPLIT 600 /* the routed batch goes as rows [0, SPLIT) then [SPLIT, ROWS) */

/* Row i of a routed batch goes to target (i*i + i/4) % TARGETS: every
 * target, in uneven runs. */
static uint8_t target_of(size_t i)
{
    return (uint8_t)((i * i + i / 4) % TARGETS);
}

/* A routed batch handed over as two jobs (the cursors carry on), with
 * full_bytes small enough that target batches fill up within a job: each
 * target's file is, byte for byte, the one written on one thread from its
 * rows alone (a write when its batch reaches full_bytes and at the end of
 * each job), so every row is there once, in order. */
TEST(routed_jobs_write_each_target_its_rows_in_order)
{
    ls_error err;
    ls_error_clear(&err);
    const size_t full_bytes = 4 << 10;
    ls_buf direct[TARGETS], threaded[TARGETS];
    ls_sink direct_sink[TARGETS], threaded_sink[TARGETS];
    ls_parquet_writer *one[TARGETS];
    worker_pipeline_target targets[TARGETS];
    ls_column_batch *expected[TARGETS];
    for (int t = 0; t < TARGETS; t++) {
        ls_buf_init(&direct[t], 64 << 20);
        ls_buf_init(&threaded[t], 64 << 20);
        direct_sink[t] = ls_sink_for_buf(&direct[t]);
        threaded_sink[t] = ls_sink_for_buf(&threaded[t]);
        one[t] = writer_for(&direct_sink[t]);
        targets[t].writer = writer_for(&threaded_sink[t]);
        targets[t].batch = ls_column_batch_new(types, 2, 8 << 20);
        expected[t] = ls_column_batch_new(types, 2, 8 << 20);
        CHECK(targets[t].batch && expected[t]);
    }
    ls_column_batch *staging = ls_column_batch_new(types, 2, 8 << 20);
    ls_column_batch *rows = ls_column_batch_new(types, 2, 8 << 20);
    CHECK(staging && rows);
    uint8_t route[ROWS];
    for (size_t i = 0; i < ROWS; i++)
        route[i] = target_of(i);
    size_t cursors[2];
    worker_pipeline *p = NULL;
    CHECK_OK(worker_pipeline_new(&p, &err), &err);
    for (int k = 0; k < BATCHES; k++) {
        CHECK_OK(worker_pipeline_wait(p, &err), &err);
        fill(staging, (int64_t)k * ROWS);
        memset(cursors, 0, sizeof cursors);
        worker_pipeline_route job = {.batch = staging, .route = route, .begin = 0, .end = SPLIT,
                                     .cursors = cursors, .targets = targets,
                                     .target_count = TARGETS, .full_bytes = full_bytes};
        worker_pipeline_submit_route(p, &job);
        job.begin = SPLIT;
        job.end = ROWS;
        worker_pipeline_submit_route(p, &job); /* waits for the first */
        /* One thread, each target's rows alone (from a copy of the batch,
         * as the thread still reads staging). */
        fill(rows, (int64_t)k * ROWS);
        size_t c[2] = {0, 0};
        for (size_t i = 0; i < ROWS; i++) {
            int t = target_of(i);
            CHECK_OK(ls_worker_copy_row(rows, i, c, expected[t], &err), &err);
            ls_worker_advance_cursors(rows, i, c);
            bool job_ends = i == SPLIT - 1 || i == ROWS - 1;
            for (int u = 0; u < TARGETS; u++) {
                bool full = u == t && ls_column_batch_bytes(expected[u]) >= full_bytes;
                if ((full || job_ends) && expected[u]->row_count > 0) {
                    CHECK_OK(ls_parquet_writer_write_batch(one[u], expected[u], &err), &err);
                    ls_column_batch_reset(expected[u]);
                }
            }
        }
        CHECK_OK(worker_pipeline_wait(p, &err), &err);
        CHECK_EQ_INT(cursors[0], ROWS); /* advanced past every row */
    }
    worker_pipeline_free(p);
    for (int t = 0; t < TARGETS; t++) {
        CHECK_EQ_INT(targets[t].batch->row_count, 0); /* the job leaves them empty */
        ls_parquet_file_stats a, b;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        CHECK_OK(ls_parquet_writer_close(one[t], &a, &err), &err);
        CHECK_OK(ls_parquet_writer_close(targets[t].writer, &b, &err), &err);
        CHECK(a.row_count > 0 && a.row_count == b.row_count);
        ls_parquet_file_stats_cleanup(&a);
        ls_parquet_file_stats_cleanup(&b);
        CHECK_EQ_INT(threaded[t].len, direct[t].len);
        CHECK(memcmp(threaded[t].data, direct[t].data, direct[t].len) == 0);
        ls_parquet_writer_free(one[t]);
        ls_parquet_writer_free(targets[t].writer);
        ls_column_batch_free(targets[t].batch);
        ls_column_batch_free(expected[t]);
        ls_buf_cleanup(&direct[t]);
        ls_buf_cleanup(&threaded[t]);
    }
    ls_column_batch_free(staging);
    ls_column_batch_free(rows);
}

/* A routed job whose second target cannot be written: the first target's
 * rows are written, the job stops there (the third's are not), and the
 * failure is reported by the next wait, once. */
TEST(a_routed_job_stops_at_its_first_failure)
{
    ls_error err;
    ls_error_clear(&err);
    ls_buf bufs[TARGETS];
    ls_sink sinks[TARGETS];
    worker_pipeline_target targets[TARGETS];
    for (int t = 0; t < TARGETS; t++) {
        ls_buf_init(&bufs[t], t == 1 ? 1024 : 64 << 20); /* the first row group does not fit */
        sinks[t] = ls_sink_for_buf(&bufs[t]);
        targets[t].writer = writer_for(&sinks[t]);
        targets[t].batch = ls_column_batch_new(types, 2, 8 << 20);
        CHECK(targets[t].batch != NULL);
    }
    ls_column_batch *b = ls_column_batch_new(types, 2, 8 << 20);
    CHECK(b != NULL);
    uint8_t route[ROWS];
    size_t per_target[TARGETS] = {0};
    for (size_t i = 0; i < ROWS; i++) {
        route[i] = target_of(i);
        per_target[route[i]]++;
    }
    worker_pipeline *p = NULL;
    CHECK_OK(worker_pipeline_new(&p, &err), &err);
    ls_code rc = LS_OK;
    int rounds = 0;
    while (rc == LS_OK && rounds < BATCHES) {
        fill(b, (int64_t)rounds * ROWS);
        size_t cursors[2] = {0, 0};
        worker_pipeline_route job = {.batch = b, .route = route, .begin = 0, .end = ROWS,
                                     .cursors = cursors, .targets = targets,
                                     .target_count = TARGETS, .full_bytes = 64 << 20};
        worker_pipeline_submit_route(p, &job);
        rounds++;
        rc = worker_pipeline_wait(p, &err);
    }
    CHECK(rc != LS_OK);
    CHECK(err.message[0] != '\0');
    ls_error_clear(&err);
    CHECK_OK(worker_pipeline_wait(p, &err), &err); /* reported once */
    worker_pipeline_free(p);
    ls_parquet_file_stats stats;
    memset(&stats, 0, sizeof stats);
    CHECK_OK(ls_parquet_writer_close(targets[0].writer, &stats, &err), &err);
    CHECK_EQ_INT(stats.row_count, (size_t)rounds * per_target[0]);
    ls_parquet_file_stats_cleanup(&stats);
    CHECK_EQ_INT(targets[2].batch->row_count, per_target[2]); /* not written */
    memset(&stats, 0, sizeof stats);
    CHECK_OK(ls_parquet_writer_close(targets[2].writer, &stats, &err), &err);
    CHECK_EQ_INT(stats.row_count, (size_t)(rounds - 1) * per_target[2]);
    ls_parquet_file_stats_cleanup(&stats);
    ls_parquet_writer_abort(targets[1].writer);
    for (int t = 0; t < TARGETS; t++) {
        ls_parquet_writer_free(targets[t].writer);
        ls_column_batch_free(targets[t].batch);
        ls_buf_cleanup(&bufs[t]);
    }
    ls_column_batch_free(b);
}

/* ---- the worker's partitioned flushes ------------------------------------ */

#define FIRST_DAY 20000 /* 2024-10-04 */
#define DAY_MICROS (86400LL * 1000000)

/* A worker of a table partitioned by day(ts), columns ts, s, n, writing
 * under the test's directory; the caller scans rows straight into staging. */
static worker *partitioned_worker(void)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"job_id\":\"job_1\",\"run_id\":7,"
             "\"kafka\":{\"bootstrap_servers\":\"127.0.0.1:9092\",\"topic\":\"events\","
             "\"group_id\":\"g\"},"
             "\"start\":{\"mode\":\"earliest\",\"timestamp_ms\":0},\"parse_levels\":1,"
             "\"fields\":[{\"source\":\"ts\",\"name\":\"ts\",\"type\":\"timestamptz\","
             "\"field_id\":1},{\"source\":\"s\",\"name\":\"s\",\"type\":\"string\","
             "\"field_id\":2},{\"source\":\"n\",\"name\":\"n\",\"type\":\"bigint\","
             "\"field_id\":3}],"
             "\"partition\":[{\"source\":\"ts\",\"transform\":\"day\",\"name\":\"ts_day\","
             "\"field_id\":1000}],"
             "\"format\":\"iceberg\",\"data_location\":\"file://%s\","
             "\"storage\":{\"endpoint\":null},\"commit_interval_ms\":1000,"
             "\"target_file_size_bytes\":134217728,\"error_policy\":\"skip\"}",
             testing_tmpdir());
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    CHECK(doc != NULL);
    worker *w = calloc(1, sizeof *w);
    CHECK(w != NULL);
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_worker_spec_parse(doc, &w->spec, &err), &err);
    json_decref(doc);
    CHECK_OK(worker_schema_build(w, &err), &err);
    CHECK_OK(ls_objstore_open(w->spec.data_location, NULL, &w->store, &err), &err);
    CHECK_OK(ls_worker_uuid(w->uuid, sizeof w->uuid, &err), &err);
    return w;
}

static void free_worker(worker *w)
{
    worker_pipeline_free(w->pipeline); /* as the worker's teardown */
    w->pipeline = NULL;
    for (size_t i = 0; i < w->file_count; i++)
        worker_file_abort(&w->files[i]);
    worker_drop_waiting_files(w, true);
    worker_schema_free(w);
    ls_objstore_free(w->store);
    ls_worker_spec_cleanup(&w->spec);
    free(w);
}

/* Appends row n (of day `day`, with a text of text_len bytes) to b. */
static void add_row(ls_column_batch *b, int64_t n, int day, size_t text_len)
{
    static char text[1200];
    ls_error err;
    ls_error_clear(&err);
    CHECK(text_len <= sizeof text);
    for (size_t j = 0; j < text_len; j++)
        text[j] = (char)('a' + (size_t)(n * 7 + (int64_t)j * 13) % 26);
    ls_column_batch_row_begin(b);
    CHECK_OK(ls_column_set_int64(&b->columns[0], (FIRST_DAY + day) * DAY_MICROS + n, &err), &err);
    CHECK_OK(ls_column_set_bytes(&b->columns[1], text, text_len, &err), &err);
    CHECK_OK(ls_column_set_int64(&b->columns[2], n, &err), &err);
    CHECK_OK(ls_column_batch_row_end(b, &err), &err);
}

/* The day of a closed file, from its commit entry's partition value. */
static int file_day(const waiting_file *f)
{
    json_t *day = json_object_get(json_object_get(f->json, "partition"), "ts_day");
    CHECK(json_is_string(day));
    return atoi(json_string_value(day)) - FIRST_DAY;
}

static char *read_object(const waiting_file *f, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", testing_tmpdir(), f->key);
    return testing_read_file(path, len);
}

#define A_DAYS 5
#define A_FLUSHES 10
#define A_TEXT 400

/* Rows of five days interleaved, so that every flush hands over a few file
 * batches at once: each day's file holds, byte for byte, what writing its
 * rows on one thread gives (a write each time its batch reaches
 * FILE_BATCH_MAX_BYTES while a staging batch is routed, and one of what is
 * left at the end of each flush). */
TEST(partitioned_flushes_write_the_same_files_as_one_thread)
{
    ls_error err;
    ls_error_clear(&err);
    worker *w = partitioned_worker();
    int64_t n = 0;
    for (int k = 0; k < A_FLUSHES; k++) {
        for (int i = 0; i < STAGING_MAX_ROWS; i++, n++)
            add_row(w->staging, n, (int)(n % A_DAYS), A_TEXT);
        CHECK_OK(worker_flush_staging(w, &err), &err);
    }
    CHECK_OK(worker_close_all_files(w, &err), &err);
    CHECK_EQ_INT(w->done_count, A_DAYS);

    for (size_t i = 0; i < w->done_count; i++) {
        int day = file_day(&w->done[i]);
        ls_buf expected;
        ls_buf_init(&expected, 256 << 20);
        ls_sink sink = ls_sink_for_buf(&expected);
        ls_parquet_writer *one =
            ls_parquet_writer_new(w->columns, w->spec.field_count, &w->parquet, &sink, &err);
        CHECK(one != NULL);
        ls_column_batch *b = ls_column_batch_new(w->types, w->spec.field_count, 8 << 20);
        CHECK(b != NULL);
        for (int64_t m = 0; m < n; m++) {
            if (m % A_DAYS != day)
                continue;
            add_row(b, m, day, A_TEXT);
            bool flush_ends = m % STAGING_MAX_ROWS >= STAGING_MAX_ROWS - A_DAYS;
            if (ls_column_batch_bytes(b) >= FILE_BATCH_MAX_BYTES || flush_ends) {
                CHECK_OK(ls_parquet_writer_write_batch(one, b, &err), &err);
                ls_column_batch_reset(b);
            }
        }
        if (b->row_count > 0)
            CHECK_OK(ls_parquet_writer_write_batch(one, b, &err), &err);
        ls_parquet_file_stats stats;
        memset(&stats, 0, sizeof stats);
        CHECK_OK(ls_parquet_writer_close(one, &stats, &err), &err);
        CHECK_EQ_INT(stats.row_count, n / A_DAYS);
        ls_parquet_file_stats_cleanup(&stats);
        ls_parquet_writer_free(one);
        ls_column_batch_free(b);

        size_t len = 0;
        char *written = read_object(&w->done[i], &len);
        CHECK_EQ_INT(len, expected.len);
        CHECK(len > 0 && memcmp(written, expected.data, len) == 0);
        free(written);
        ls_buf_cleanup(&expected);
    }
    free_worker(w);
}

#define B_FLUSHES 2
#define B_HEAD 3600 /* rows of days 0-2: each fills a file batch per flush */
#define B_TAIL_DAYS 66 /* 69 partitions per flush: past MAX_OPEN_FILES */
#define B_TEXT 1000

/* Each flush fills the batches of days 0-2 (past FILE_BATCH_MAX_BYTES) and
 * then meets more partitions than MAX_OPEN_FILES, so files close while
 * routing, the least recently used (days 0-2) first: the rows routed to
 * them so far must reach them before they close. Every row of days 0-2 is
 * read back from the files closed so, once, in order within its file (the
 * open files are left: closing them would only fsync 64 more files). */
TEST(a_file_closed_while_routing_gets_its_pending_batches_first)
{
    ls_error err;
    ls_error_clear(&err);
    worker *w = partitioned_worker();
    int64_t n = 0;
    for (int k = 0; k < B_FLUSHES; k++) {
        for (int i = 0; i < STAGING_MAX_ROWS; i++, n++) {
            int day = i < B_HEAD ? i % 3 : 3 + (i - B_HEAD) % B_TAIL_DAYS;
            add_row(w->staging, n, day, i < B_HEAD ? B_TEXT : 8);
        }
        CHECK_OK(worker_flush_staging(w, &err), &err);
    }
    CHECK_OK(worker_pipeline_wait(w->pipeline, &err), &err);

    bool *seen = calloc((size_t)n, sizeof *seen);
    CHECK(seen != NULL);
    size_t head_files = 0;
    for (size_t i = 0; i < w->done_count; i++) {
        if (file_day(&w->done[i]) >= 3)
            continue;
        head_files++;
        size_t len = 0;
        char *data = read_object(&w->done[i], &len);
        ls_parquet_reader *r = ls_parquet_reader_open_buffer(data, len, NULL, &err);
        CHECK(r != NULL);
        size_t col = (size_t)ls_parquet_reader_column_find(r, "n");
        ls_column_batch *b = ls_parquet_reader_batch_new(r, &col, 1);
        CHECK(b != NULL);
        int64_t last = -1;
        for (size_t g = 0; g < ls_parquet_reader_row_group_count(r); g++) {
            CHECK_OK(ls_parquet_reader_read_row_group(r, g, &col, 1, b, &err), &err);
            const int64_t *values = (const int64_t *)b->columns[0].values.data;
            for (size_t j = 0; j < b->row_count; j++) {
                CHECK(values[j] > last && values[j] < n);
                CHECK(!seen[values[j]]);
                seen[values[j]] = true;
                last = values[j];
            }
        }
        ls_column_batch_free(b);
        ls_parquet_reader_free(r);
        free(data);
    }
    CHECK_EQ_INT(head_files, B_FLUSHES * 3); /* each day once per flush */
    for (int64_t m = 0; m < n; m++)
        CHECK(seen[m] == (m % STAGING_MAX_ROWS < B_HEAD));
    free(seen);
    free_worker(w);
}

static volatile sig_atomic_t stop_signals;

static void count_stop_signal(int signo)
{
    (void)signo;
    stop_signals++;
}

/* The worker's SIGTERM must reach its main thread, whose waits (a commit's
 * backoff, a poll) end when the signal interrupts them; the encoder thread
 * takes no signals. With the main thread blocking SIGTERM for a moment, a
 * SIGTERM sent to the process stays pending instead of running the handler
 * on the encoder thread, and is taken once the main thread unblocks it. */
TEST(the_encoder_thread_takes_no_stop_signal)
{
    struct sigaction action, previous;
    memset(&action, 0, sizeof action);
    action.sa_handler = count_stop_signal;
    sigemptyset(&action.sa_mask);
    CHECK(sigaction(SIGTERM, &action, &previous) == 0);
    worker_pipeline *p = NULL;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(worker_pipeline_new(&p, &err), &err);
    sigset_t term, old;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    CHECK(pthread_sigmask(SIG_BLOCK, &term, &old) == 0);
    stop_signals = 0;
    CHECK(kill(getpid(), SIGTERM) == 0);
    usleep(100 * 1000); /* time for another thread to take it */
    CHECK_EQ_INT(stop_signals, 0);
    sigset_t pending;
    CHECK(sigpending(&pending) == 0);
    CHECK(sigismember(&pending, SIGTERM));
    CHECK(pthread_sigmask(SIG_SETMASK, &old, NULL) == 0); /* delivered here, now */
    CHECK_EQ_INT(stop_signals, 1);
    worker_pipeline_free(p);
    sigaction(SIGTERM, &previous, NULL);
}
