/* Avro object container writer (Avro specification, "Object Container Files"). */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "avro_internal.h"

#define MAX_META_ENTRIES 256
#define DEFAULT_BLOCK_TARGET_BYTES (64u << 10)
#define DEFAULT_MAX_RECORD_BYTES (64u << 20)

typedef struct meta_entry {
    char *key;
    uint8_t *value;
    size_t value_len;
} meta_entry;

struct ls_avro_writer {
    ls_sink *sink;
    char *schema_json;
    ls_avro_codec codec;
    uint8_t sync[16];
    size_t block_target_bytes;
    meta_entry meta[MAX_META_ENTRIES];
    size_t meta_count;
    int header_written;
    int finished;
    ls_buf record;     /* the record being encoded */
    ls_buf block;      /* encoded records of the current block */
    uint64_t block_records;
    ls_buf compressed; /* scratch: block after the codec, and the header */
    uint64_t record_count;
};

ls_code ls_avro_writer_new(ls_sink *sink, const char *schema_json,
                           const ls_avro_writer_options *options, ls_avro_writer **out,
                           ls_error *err)
{
    ls_avro_writer *w = calloc(1, sizeof *w);
    if (!w)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory creating an Avro writer");
    w->sink = sink;
    w->schema_json = strdup(schema_json);
    if (!w->schema_json) {
        free(w);
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory creating an Avro writer");
    }
    w->codec = options ? options->codec : LS_AVRO_CODEC_NULL;
    w->block_target_bytes = options && options->block_target_bytes ? options->block_target_bytes
                                                                    : DEFAULT_BLOCK_TARGET_BYTES;
    size_t max_record = options && options->max_record_bytes ? options->max_record_bytes
                                                              : DEFAULT_MAX_RECORD_BYTES;
    ls_buf_init(&w->record, max_record);
    /* A block holds whole records; one record may push it past the target. */
    ls_buf_init(&w->block, w->block_target_bytes + max_record);
    ls_buf_init(&w->compressed, LS_AVRO_MAX_BLOCK_BYTES + (1u << 20));
    if (options && options->sync_marker) {
        memcpy(w->sync, options->sync_marker, sizeof w->sync);
    } else if (getrandom(w->sync, sizeof w->sync, 0) != (ssize_t)sizeof w->sync) {
        ls_avro_writer_free(w);
        return ls_error_set(err, LS_ERR_IO, "getrandom failed for the Avro sync marker");
    }
    *out = w;
    return LS_OK;
}

ls_code ls_avro_writer_set_meta(ls_avro_writer *w, const char *key, const void *value,
                                size_t value_len, ls_error *err)
{
    if (w->header_written)
        return ls_error_set(err, LS_ERR_INTERNAL, "Avro metadata '%.64s' set after the header",
                            key);
    if (strcmp(key, "avro.schema") == 0 || strcmp(key, "avro.codec") == 0)
        return ls_error_set(err, LS_ERR_INVALID, "Avro metadata key '%s' is reserved", key);
    for (size_t i = 0; i < w->meta_count; i++)
        if (strcmp(w->meta[i].key, key) == 0)
            return ls_error_set(err, LS_ERR_INVALID, "duplicate Avro metadata key '%.64s'", key);
    if (w->meta_count == MAX_META_ENTRIES)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "more than %d Avro metadata entries",
                            MAX_META_ENTRIES);
    meta_entry *m = &w->meta[w->meta_count];
    m->key = strdup(key);
    m->value = malloc(value_len ? value_len : 1);
    if (!m->key || !m->value) {
        free(m->key);
        free(m->value);
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory storing Avro metadata");
    }
    if (value_len)
        memcpy(m->value, value, value_len);
    m->value_len = value_len;
    w->meta_count++;
    return LS_OK;
}

ls_code ls_avro_writer_set_meta_str(ls_avro_writer *w, const char *key, const char *value,
                                    ls_error *err)
{
    return ls_avro_writer_set_meta(w, key, value, strlen(value), err);
}

static ls_code write_header(ls_avro_writer *w, ls_error *err)
{
    ls_buf *h = &w->compressed;
    ls_buf_reset(h);
    ls_code rc = ls_buf_append(h, "Obj\x01", 4, err);
    if (!rc)
        rc = ls_avro_encode_long(h, (int64_t)w->meta_count + 2, err);
    if (!rc)
        rc = ls_avro_encode_string(h, "avro.schema", err);
    if (!rc)
        rc = ls_avro_encode_bytes(h, w->schema_json, strlen(w->schema_json), err);
    if (!rc)
        rc = ls_avro_encode_string(h, "avro.codec", err);
    if (!rc)
        rc = ls_avro_encode_string(h, ls_avro_codec_name(w->codec), err);
    for (size_t i = 0; !rc && i < w->meta_count; i++) {
        rc = ls_avro_encode_string(h, w->meta[i].key, err);
        if (!rc)
            rc = ls_avro_encode_bytes(h, w->meta[i].value, w->meta[i].value_len, err);
    }
    if (!rc)
        rc = ls_avro_encode_long(h, 0, err);
    if (!rc)
        rc = ls_buf_append(h, w->sync, sizeof w->sync, err);
    if (!rc)
        rc = ls_sink_write(w->sink, h->data, h->len, err);
    if (!rc)
        w->header_written = 1;
    return rc;
}

static ls_code flush_block(ls_avro_writer *w, ls_error *err)
{
    if (w->block_records == 0)
        return LS_OK;
    ls_buf *c = &w->compressed;
    ls_buf_reset(c);
    /* Reserve room for the two varints in front of the compressed data. */
    uint8_t prefix[20];
    ls_buf pre;
    ls_buf_init(&pre, sizeof prefix);
    ls_code rc = avro_codec_compress(w->codec, w->block.data, w->block.len, c, err);
    if (!rc)
        rc = ls_avro_encode_long(&pre, (int64_t)w->block_records, err);
    if (!rc)
        rc = ls_avro_encode_long(&pre, (int64_t)c->len, err);
    if (!rc)
        rc = ls_sink_write(w->sink, pre.data, pre.len, err);
    if (!rc)
        rc = ls_sink_write(w->sink, c->data, c->len, err);
    if (!rc)
        rc = ls_sink_write(w->sink, w->sync, sizeof w->sync, err);
    ls_buf_cleanup(&pre);
    if (rc)
        return rc;
    ls_buf_reset(&w->block);
    w->block_records = 0;
    return LS_OK;
}

ls_buf *ls_avro_writer_begin_record(ls_avro_writer *w)
{
    ls_buf_reset(&w->record);
    return &w->record;
}

ls_code ls_avro_writer_end_record(ls_avro_writer *w, ls_error *err)
{
    if (w->finished)
        return ls_error_set(err, LS_ERR_INTERNAL, "Avro record after finish");
    ls_code rc = LS_OK;
    if (!w->header_written && (rc = write_header(w, err)))
        return rc;
    if ((rc = ls_buf_append(&w->block, w->record.data, w->record.len, err)))
        return rc;
    w->block_records++;
    w->record_count++;
    ls_buf_reset(&w->record);
    if (w->block.len >= w->block_target_bytes)
        return flush_block(w, err);
    return LS_OK;
}

ls_code ls_avro_writer_finish(ls_avro_writer *w, ls_error *err)
{
    if (w->finished)
        return ls_error_set(err, LS_ERR_INTERNAL, "Avro writer finished twice");
    ls_code rc = LS_OK;
    if (!w->header_written && (rc = write_header(w, err)))
        return rc;
    if ((rc = flush_block(w, err)))
        return rc;
    w->finished = 1;
    return LS_OK;
}

uint64_t ls_avro_writer_record_count(const ls_avro_writer *w)
{
    return w->record_count;
}

void ls_avro_writer_free(ls_avro_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->meta_count; i++) {
        free(w->meta[i].key);
        free(w->meta[i].value);
    }
    free(w->schema_json);
    ls_buf_cleanup(&w->record);
    ls_buf_cleanup(&w->block);
    ls_buf_cleanup(&w->compressed);
    free(w);
}
