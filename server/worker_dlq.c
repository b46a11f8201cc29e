/*
 * The worker's side of the dead-letter table (dead_letter.h): rejected
 * messages become rows of one open, unpartitioned Parquet file under the
 * dead-letter table's data location; it closes with the job's other files
 * before each commit and travels in the request's "dead_letter_files", so
 * the server commits both tables together (docs/worker-protocol.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "util/log.h"
#include "worker_internal.h"

#define DEAD_VALUE_CUT_BYTES ((size_t)1 << 20)

static int64_t wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

ls_code worker_dlq_setup(worker *w, ls_error *err)
{
    if (!w->spec.dead_letter_location)
        return LS_OK;
    for (size_t i = 0; i < LS_DEAD_LETTER_COLUMN_COUNT; i++) {
        const ls_dead_letter_column *c = &ls_dead_letter_columns[i];
        w->dead_columns[i] = (ls_parquet_column_spec){
            .name = c->name, .field_id = c->field_id, .type = {.kind = c->kind}};
    }
    return worker_open_store(w, w->spec.dead_letter_location, &w->dead_store, err);
}

/* Opens the dead-letter file: named like data files, Paimon ones in
 * bucket-0/ as an unpartitioned Paimon table keeps them. */
static ls_code open_dead_file(worker *w, ls_error *err)
{
    worker_file *f = &w->dead_file;
    char name[LS_WORKER_FILE_NAME_MAX];
    ls_type types[LS_DEAD_LETTER_COLUMN_COUNT];
    ls_buf key;
    ls_buf_init(&key, LS_OBJSTORE_KEY_MAX);
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < LS_DEAD_LETTER_COLUMN_COUNT; i++)
        types[i] = w->dead_columns[i].type;
    ls_code rc = ls_worker_file_name(w->spec.paimon, w->worker_index, w->spec.run_id, w->uuid,
                                     ++w->file_sequence, name, sizeof name, err);
    if (!rc && w->spec.paimon)
        rc = ls_buf_append_str(&key, "bucket-0/", err);
    if (!rc)
        rc = ls_buf_append_str(&key, name, err);
    if (!rc)
        rc = ls_objstore_upload_begin(w->dead_store, (const char *)key.data, &f->upload, err);
    if (!rc) {
        f->writer = ls_parquet_writer_new(w->dead_columns, LS_DEAD_LETTER_COLUMN_COUNT,
                                          &w->parquet, ls_objstore_upload_sink(f->upload), err);
        if (!f->writer)
            rc = err->code ? err->code : LS_ERR_INTERNAL;
    }
    if (!rc) {
        f->batch = ls_column_batch_new(types, LS_DEAD_LETTER_COLUMN_COUNT,
                                       LS_DEAD_LETTER_BATCH_MAX_BYTES);
        f->path = strdup("");
        f->key = (char *)ls_buf_take(&key, NULL);
        f->partition = json_object();
        if (!f->batch || !f->path || !f->key || !f->partition)
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    }
    ls_buf_cleanup(&key);
    if (rc)
        worker_file_abort(f);
    w->dead_open = rc == LS_OK;
    return rc;
}

/* Writes the file's buffered rows to its Parquet writer. */
static ls_code drain(worker_file *f, ls_error *err)
{
    if (f->batch->row_count == 0)
        return LS_OK;
    ls_code rc = ls_parquet_writer_write_batch(f->writer, f->batch, err);
    ls_column_batch_reset(f->batch);
    return rc;
}

ls_code worker_dlq_add(worker *w, const ls_kafka_message *m, const char *kind,
                       const ls_jsonscan_error *record, ls_error *err)
{
    if (!w->dead_store)
        return ls_error_set(err, LS_ERR_INTERNAL, "no dead-letter table in the spec");
    ls_code rc = w->dead_open ? LS_OK : open_dead_file(w, err);
    if (rc)
        return rc;
    ls_dead_letter_record r = {
        .job_id = w->spec.job_id, .topic = w->spec.topic, .partition = m->partition,
        .offset = m->offset, .timestamp_ms = m->timestamp_ms, .key = m->key,
        .key_len = m->key_len, .value = m->value, .value_len = m->value_len,
        .error_kind = kind, .error_field = record->field, .error_message = record->message,
        .error_offset = (int64_t)record->offset, .ingested_at_ms = wall_ms()};
    worker_file *f = &w->dead_file;
    rc = ls_dead_letter_append(f->batch, &r, err);
    if (rc == LS_ERR_TOO_LARGE && f->batch->row_count > 0) {
        ls_error_clear(err);
        rc = drain(f, err); /* full: write what it holds and try again */
        if (!rc)
            rc = ls_dead_letter_append(f->batch, &r, err);
    }
    if (rc == LS_ERR_TOO_LARGE) {
        /* Larger than a whole batch (tens of MiB): keep its first MiB and
         * say so, rather than lose the record or stop the job on it. */
        char message[LS_ERROR_MESSAGE_MAX];
        snprintf(message, sizeof message, "%.200s (value cut to its first %zu of %zu bytes)",
                 record->message, (size_t)DEAD_VALUE_CUT_BYTES, m->value_len);
        r.value_len = DEAD_VALUE_CUT_BYTES;
        r.error_message = message;
        ls_error_clear(err);
        rc = drain(f, err);
        if (!rc)
            rc = ls_dead_letter_append(f->batch, &r, err);
    }
    if (!rc && ls_column_batch_bytes(f->batch) >= FILE_BATCH_MAX_BYTES)
        rc = drain(f, err);
    if (rc)
        return rc;
    w->dead_letter_rows++;
    w->ranges.items[m->partition].dead_letter_rows++;
    return LS_OK;
}

ls_code worker_dlq_close(worker *w, ls_error *err)
{
    if (!w->dead_open)
        return LS_OK;
    w->dead_open = false;
    return worker_file_finish(w, &w->dead_file, w->spec.dead_letter_location, true, err);
}

void worker_dlq_abort(worker *w)
{
    if (w->dead_open)
        worker_file_abort(&w->dead_file);
    w->dead_open = false;
}

void worker_dlq_cleanup(worker *w)
{
    worker_dlq_abort(w);
    ls_objstore_free(w->dead_store);
    w->dead_store = NULL;
}
