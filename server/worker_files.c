/*
 * The worker's open data files: rows scanned into the staging batch are
 * routed to one open file per table partition; each file streams row groups
 * through the Parquet writer into an object-store upload. Files roll at the
 * target size; closed files wait, with their protocol JSON, for the next
 * commit. Caps: open files, waiting files and buffered bytes; crossing one
 * asks the worker to commit early (worker_internal.h).
 *
 * The encoder thread (worker_pipeline.c) writes into the files while this
 * thread scans the next staging batch. Unpartitioned tables hand it each
 * full staging batch and scan into the spare one. Partitioned tables route
 * here only: each row's file (its partition key, then the open file with
 * that key) into a byte per row; the staging batch goes to the thread with
 * that route, and the thread copies the rows into their files' batches and
 * writes them, while this one scans into the spare batch. A file that must
 * close while routing (the least recently used one, past the cap) first
 * gets the rows routed so far: they go to the thread as a job of their own
 * and the close waits for it, so each writer sees its rows in row order,
 * exactly the writes of one thread.
 *
 * Everything here that touches an open file's writer, upload or batch
 * (rolling, closing, measuring, aborting, the next routing) first waits
 * for the job, so a commit's files hold every row scanned before it, as
 * without the thread. Rolling is done at the start of the next flush (the
 * same place in the row stream as right after routing, and a commit
 * closes every file anyway).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "worker_internal.h"

static const char *buf_text(const ls_buf *b)
{
    return b->data ? (const char *)b->data : "";
}

static ls_code open_file(worker *w, const char *path, json_t *partition, worker_file *f,
                         ls_error *err)
{
    char name[LS_WORKER_FILE_NAME_MAX];
    ls_buf key;
    ls_buf_init(&key, LS_OBJSTORE_KEY_MAX);
    memset(f, 0, sizeof *f);
    ls_code rc = ls_worker_file_name(w->spec.paimon, w->worker_index, w->spec.run_id, w->uuid,
                                     ++w->file_sequence, name, sizeof name, err);
    if (!rc && *path)
        rc = ls_buf_printf(&key, err, "%s/", path);
    if (!rc && w->spec.paimon)
        rc = ls_buf_append_str(&key, "bucket-0/", err); /* one bucket: append-only table */
    if (!rc)
        rc = ls_buf_append_str(&key, name, err);
    if (!rc)
        rc = ls_objstore_upload_begin(w->store, (const char *)key.data, &f->upload, err);
    if (rc)
        goto out;
    f->writer = ls_parquet_writer_new(w->columns, w->spec.field_count, &w->parquet,
                                      ls_objstore_upload_sink(f->upload), err);
    if (!f->writer) {
        rc = err->code ? err->code : LS_ERR_INTERNAL;
        goto out;
    }
    if (w->partitioner.field_count > 0) {
        f->batch = ls_column_batch_new(w->types, w->spec.field_count, FILE_BATCH_MAX_BYTES * 2);
        if (!f->batch) {
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    f->path = strdup(path);
    f->key = (char *)ls_buf_take(&key, NULL);
    if (!f->path || !f->key) {
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        goto out;
    }
    f->partition = json_incref(partition);
out:
    ls_buf_cleanup(&key);
    if (rc)
        worker_file_abort(f);
    return rc;
}

void worker_file_abort(worker_file *f)
{
    ls_parquet_writer_abort(f->writer);
    ls_parquet_writer_free(f->writer);
    ls_objstore_upload_abort(f->upload);
    ls_column_batch_free(f->batch);
    json_decref(f->partition);
    free(f->route_key);
    free(f->path);
    free(f->key);
    memset(f, 0, sizeof *f);
}

/* Writes the rows still in the file's batch to its Parquet writer (the
 * dead-letter file's; a routed file's batch is emptied by each job). */
static ls_code drain_file_batch(worker_file *f, ls_error *err)
{
    if (!f->batch || f->batch->row_count == 0)
        return LS_OK;
    ls_code rc = ls_parquet_writer_write_batch(f->writer, f->batch, err);
    ls_column_batch_reset(f->batch);
    return rc;
}

/* Completes f once its writer is closed (rc: the close's outcome, stats:
 * its figures, cleaned up here): commits the upload and adds the file to
 * the waiting list with its commit JSON. f is emptied whatever happens. */
static ls_code file_complete(worker *w, worker_file *f, ls_code rc, ls_parquet_file_stats *stats,
                             const char *location, bool dead_letter, ls_error *err)
{
    json_t *json = NULL;
    char *uri = NULL;
    if (rc)
        goto out;
    rc = ls_objstore_upload_commit(f->upload, err);
    f->upload = NULL; /* commit frees it whatever the outcome */
    if (rc)
        goto out;
    size_t n = strlen(location) + strlen(f->key) + 2;
    uri = malloc(n);
    if (uri)
        snprintf(uri, n, "%s/%s", location, f->key);
    json = uri ? ls_worker_file_json(uri, stats, f->partition) : NULL;
    if (!json) {
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory describing a data file");
        goto out;
    }
    w->done[w->done_count].key = f->key;
    w->done[w->done_count].json = json;
    w->done[w->done_count].dead_letter = dead_letter;
    w->done_count++;
    f->key = NULL;
    w->files_written++;
    ls_log_debug("worker", "closed %s: %llu rows, %llu bytes", uri,
                 (unsigned long long)stats->row_count, (unsigned long long)stats->file_size_bytes);
    if (w->done_count >= WAITING_FILES_SOFT_CAP)
        w->commit_soon = true;
out:
    free(uri);
    ls_parquet_file_stats_cleanup(stats);
    worker_file_abort(f);
    return rc;
}

ls_code worker_file_finish(worker *w, worker_file *f, const char *location, bool dead_letter,
                           ls_error *err)
{
    ls_parquet_file_stats stats;
    memset(&stats, 0, sizeof stats);
    /* Its routed rows are written (or failed) once the thread is done. */
    ls_code rc = worker_pipeline_wait(w->pipeline, err);
    if (!rc)
        rc = drain_file_batch(f, err);
    if (!rc)
        rc = ls_parquet_writer_close(f->writer, &stats, err);
    return file_complete(w, f, rc, &stats, location, dead_letter, err);
}

/* Finishes open file i and frees its slot whatever happens. */
ls_code worker_close_file(worker *w, size_t i, ls_error *err)
{
    ls_code rc = worker_file_finish(w, &w->files[i], w->spec.data_location, false, err);
    w->files[i] = w->files[--w->file_count];
    memset(&w->files[w->file_count], 0, sizeof w->files[w->file_count]);
    return rc;
}

/* Closes and frees every open file's writer, the first half on the
 * encoder thread while this one closes the rest (no job is in flight: the
 * caller waited, and a routed file's batch is empty then). Outcomes in
 * w->closing. */
static void close_writers_on_both_threads(worker *w)
{
    size_t n = w->file_count, half = n / 2;
    for (size_t i = 0; i < n; i++) {
        memset(&w->closing[i], 0, sizeof w->closing[i]);
        w->closing[i].writer = w->files[i].writer;
        w->files[i].writer = NULL; /* freed by the close */
    }
    worker_pipeline_submit_close(w->pipeline, w->closing, half);
    worker_pipeline_close_writers(w->closing + half, n - half);
    worker_pipeline_idle(w->pipeline);
}

ls_code worker_close_all_files(worker *w, ls_error *err)
{
    ls_code rc = worker_pipeline_wait(w->pipeline, err);
    if (rc || !w->pipeline || w->file_count < 2) {
        /* One by one; after a failed job every close still runs. */
        while (w->file_count > 0) {
            ls_code one = worker_close_file(w, w->file_count - 1, err);
            if (one && !rc)
                rc = one;
        }
        return rc;
    }
    close_writers_on_both_threads(w);
    /* Completed last first, as worker_close_file would. */
    while (w->file_count > 0) {
        size_t i = --w->file_count;
        worker_pipeline_closing *c = &w->closing[i];
        if (c->rc && !rc)
            *err = c->err;
        ls_error scratch;
        ls_error_clear(&scratch);
        ls_code one = file_complete(w, &w->files[i], c->rc, &c->stats, w->spec.data_location,
                                    false, rc || c->rc ? &scratch : err);
        if (one && !rc)
            rc = one;
    }
    return rc;
}

/* The open file of partition path, opening one (and closing the least
 * recently used one past the cap) when there is none. */
static ls_code file_for(worker *w, const char *path, json_t *partition, worker_file **out,
                        ls_error *err)
{
    for (size_t i = 0; i < w->file_count; i++) {
        if (strcmp(w->files[i].path, path) == 0) {
            *out = &w->files[i];
            (*out)->last_used = ++w->use_clock;
            return LS_OK;
        }
    }
    if (w->file_count == MAX_OPEN_FILES) {
        size_t oldest = 0;
        for (size_t i = 1; i < w->file_count; i++)
            if (w->files[i].last_used < w->files[oldest].last_used)
                oldest = i;
        w->commit_soon = true; /* many partitions at once: commit early */
        ls_code rc = worker_close_file(w, oldest, err);
        if (rc)
            return rc;
    }
    if (w->done_count + w->file_count >= MAX_WAITING_FILES) {
        /* Cannot happen (see worker_internal.h); refuse rather than overrun. */
        return ls_error_set(err, LS_ERR_INTERNAL, "more than %d files wait for a commit",
                            (int)MAX_WAITING_FILES);
    }
    worker_file *f = &w->files[w->file_count];
    ls_code rc = open_file(w, path, partition, f, err);
    if (rc)
        return rc;
    w->file_count++;
    f->last_used = ++w->use_clock;
    *out = f;
    return LS_OK;
}

/* Rolls files that reached the target size. */
static ls_code roll_full_files(worker *w, ls_error *err)
{
    for (size_t i = w->file_count; i-- > 0;) {
        if (ls_parquet_writer_estimated_bytes(w->files[i].writer) >=
            w->spec.target_file_size_bytes) {
            ls_code rc = worker_close_file(w, i, err);
            if (rc)
                return rc;
        }
    }
    return LS_OK;
}

/* The open file whose partition key is key, trying *hint (the last row's
 * file: consecutive rows often share a partition) first; NULL when none. */
static bool has_key(const worker_file *f, const ls_buf *key)
{
    return f->route_key && f->route_key_len == key->len &&
           memcmp(f->route_key, key->data, key->len) == 0;
}

static worker_file *file_by_key(worker *w, size_t *hint, const ls_buf *key)
{
    if (*hint < w->file_count && has_key(&w->files[*hint], key))
        return &w->files[*hint];
    for (size_t i = 0; i < w->file_count; i++) {
        if (has_key(&w->files[i], key)) {
            *hint = i;
            return &w->files[i];
        }
    }
    return NULL;
}

/* Hands rows [*begin, end) of the staging batch, routed, to the encoder
 * thread; *begin moves to end. The targets are the open files now: the
 * route's indices are their slots, which only a close changes. */
static void submit_routed(worker *w, size_t *begin, size_t end)
{
    if (end <= *begin)
        return;
    worker_pipeline_idle(w->pipeline); /* w->targets is the last job's until then */
    for (size_t i = 0; i < w->file_count; i++) {
        w->targets[i].writer = w->files[i].writer;
        w->targets[i].batch = w->files[i].batch;
    }
    worker_pipeline_route job = {.batch = w->staging,
                                 .route = w->route,
                                 .begin = *begin,
                                 .end = end,
                                 .cursors = w->route_cursors,
                                 .targets = w->targets,
                                 .target_count = w->file_count,
                                 .full_bytes = FILE_BATCH_MAX_BYTES};
    worker_pipeline_submit_route(w->pipeline, &job);
    *begin = end;
}

/* The file of row `row`, whose key found none: by its formatted path,
 * opening one when needed (with the partition's values for the commit).
 * Opening past the cap closes one, so the rows routed before this one
 * ([*begin, row)) go to the thread first. The file remembers the key when
 * it has none yet. */
static ls_code file_by_path(worker *w, size_t row, const ls_buf *key, ls_buf *path,
                            size_t *begin, worker_file **out, ls_error *err)
{
    const ls_column_batch *b = w->staging;
    json_t *values = NULL;
    ls_buf_reset(path);
    ls_code rc = ls_worker_partition_row(&w->partitioner, b, row, w->cursors, path, NULL, err);
    if (!rc && !worker_has_file(w, buf_text(path))) {
        /* A new partition: compute it again, with its values for the commit. */
        ls_buf_reset(path);
        rc = ls_worker_partition_row(&w->partitioner, b, row, w->cursors, path, &values, err);
        if (!rc && w->file_count == MAX_OPEN_FILES)
            submit_routed(w, begin, row);
    }
    if (!rc)
        rc = file_for(w, buf_text(path), values, out, err);
    json_decref(values);
    if (!rc && !(*out)->route_key && key->len > 0) {
        (*out)->route_key = malloc(key->len);
        if (!(*out)->route_key)
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        memcpy((*out)->route_key, key->data, key->len);
        (*out)->route_key_len = key->len;
    }
    return rc;
}

/* Advances the cursors of the partition fields' source columns past row
 * `row` (the only ones this thread reads). */
static void advance_source_cursors(worker *w, size_t row)
{
    const ls_worker_partitioner *p = &w->partitioner;
    for (size_t i = 0; i < p->field_count; i++) {
        size_t c = p->source_columns[i];
        bool seen = false; /* a column may be the source of two fields */
        for (size_t j = 0; j < i; j++)
            seen = seen || p->source_columns[j] == c;
        if (!seen && ls_column_is_valid(&w->staging->columns[c], row))
            w->cursors[c]++;
    }
}

/* Routes every row of the staging batch and hands them to the thread,
 * the rows before a failed one too (as one thread would have written
 * them). */
static ls_code route_rows(worker *w, ls_error *err)
{
    ls_column_batch *b = w->staging;
    ls_buf path, key;
    ls_buf_init(&path, LS_OBJSTORE_KEY_MAX);
    ls_buf_init(&key, STAGING_MAX_BYTES);
    memset(w->cursors, 0, w->spec.field_count * sizeof *w->cursors);
    memset(w->route_cursors, 0, w->spec.field_count * sizeof *w->route_cursors);
    size_t hint = 0, begin = 0, row = 0;
    ls_code rc = LS_OK;
    for (; row < b->row_count; row++) {
        ls_buf_reset(&key);
        rc = ls_worker_partition_key(&w->partitioner, b, row, w->cursors, &key, err);
        worker_file *f = rc ? NULL : file_by_key(w, &hint, &key);
        if (f)
            f->last_used = ++w->use_clock;
        else if (!rc)
            rc = file_by_path(w, row, &key, &path, &begin, &f, err);
        if (rc)
            break;
        w->route[row] = (uint8_t)(f - w->files);
        advance_source_cursors(w, row);
    }
    submit_routed(w, &begin, row);
    ls_buf_cleanup(&key);
    ls_buf_cleanup(&path);
    return rc;
}

bool worker_has_file(const worker *w, const char *path)
{
    for (size_t i = 0; i < w->file_count; i++)
        if (strcmp(w->files[i].path, path) == 0)
            return true;
    return false;
}

void worker_files_quiesce(worker *w)
{
    worker_pipeline_discard(w->pipeline);
    if (w->spare)
        ls_column_batch_reset(w->spare);
}

/* The spare batch for the staging batch the thread reads; NULL: no memory. */
/* What handing the staging batch to the encoder thread needs: the thread,
 * and a spare batch for this one to scan into meanwhile. */
static ls_code prepare_handover(worker *w, ls_error *err)
{
    if (!w->pipeline) {
        ls_code rc = worker_pipeline_new(&w->pipeline, err);
        if (rc)
            return rc;
    }
    if (!w->spare)
        w->spare = ls_column_batch_new(w->types, w->spec.field_count, STAGING_MAX_BYTES);
    return w->spare ? LS_OK : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
}

/* The thread reads the handed-over batch until the next wait: scanning
 * goes on into the spare. */
static void swap_staging(worker *w)
{
    ls_column_batch *b = w->staging;
    w->staging = w->spare;
    w->spare = b;
}

/* Partitioned: routes the staging batch and hands it to the encoder thread,
 * which copies its rows into their files and writes them while this one
 * scans into the spare batch. The rows before a failed one are handed over
 * too, so that once waited for the files hold what one thread would have
 * written. */
static ls_code route_batch(worker *w, ls_error *err)
{
    ls_code rc = prepare_handover(w, err);
    if (rc)
        return rc;
    rc = route_rows(w, err);
    swap_staging(w);
    return rc;
}

/* Unpartitioned: the whole batch goes to the one open file as is, written
 * by the encoder thread while this one scans into the spare batch. */
static ls_code submit_batch(worker *w, ls_error *err)
{
    ls_code rc = prepare_handover(w, err);
    if (rc)
        return rc;
    worker_file *f = NULL;
    json_t *none = json_object();
    rc = none ? file_for(w, "", none, &f, err) : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    json_decref(none);
    if (rc)
        return rc;
    worker_pipeline_submit(w->pipeline, f->writer, w->staging);
    swap_staging(w);
    return LS_OK;
}

ls_code worker_flush_staging(worker *w, ls_error *err)
{
    /* The previous batch is in its file (or failed) before files are
     * looked at: rolling and the buffer budget see every earlier row. */
    ls_code rc = worker_pipeline_wait(w->pipeline, err);
    if (w->spare)
        ls_column_batch_reset(w->spare);
    if (!rc)
        rc = roll_full_files(w, err);
    if (!rc && worker_buffered_bytes(w) > BUFFER_BUDGET_BYTES)
        w->commit_soon = true;
    if (!rc && w->staging->row_count > 0)
        rc = w->partitioner.field_count == 0 ? submit_batch(w, err) : route_batch(w, err);
    if (rc)
        ls_column_batch_reset(w->staging);
    return rc;
}

uint64_t worker_buffered_bytes(const worker *w)
{
    worker_pipeline_idle(w->pipeline); /* its writer is not ours until then */
    uint64_t total = ls_column_batch_bytes(w->staging);
    for (size_t i = 0; i < w->file_count; i++) {
        const worker_file *f = &w->files[i];
        uint64_t estimated = ls_parquet_writer_estimated_bytes(f->writer);
        uint64_t sent = ls_objstore_upload_sink(f->upload)->bytes_written;
        total += estimated > sent ? estimated - sent : 0;
        if (f->batch)
            total += ls_column_batch_bytes(f->batch);
    }
    return total;
}

void worker_drop_waiting_files(worker *w, bool delete_objects)
{
    for (size_t i = 0; i < w->done_count; i++) {
        if (delete_objects) {
            ls_error ignored;
            ls_error_clear(&ignored);
            /* Best effort: an object left behind is an orphan that table
             * maintenance removes; it is never referenced by the table. */
            ls_objstore *store = w->done[i].dead_letter ? w->dead_store : w->store;
            if (ls_objstore_delete(store, w->done[i].key, &ignored) != LS_OK)
                ls_log_warn("worker", "could not delete uncommitted file %s: %s", w->done[i].key,
                            ignored.message);
        }
        free(w->done[i].key);
        json_decref(w->done[i].json);
    }
    w->done_count = 0;
}
