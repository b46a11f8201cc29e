/* The worker's encoder thread (worker_pipeline.c): batches handed over with
 * the worker's double buffering give the same file, byte for byte, as
 * writing them on one thread; a failed write is reported by the next wait,
 * once. */
#include <stdio.h>
#include <string.h>

#include "testing.h"
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
