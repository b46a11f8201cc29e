#include "dead_letter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"

const ls_dead_letter_column ls_dead_letter_columns[LS_DEAD_LETTER_COLUMN_COUNT] = {
    {"job_id", LS_TYPE_STRING, 1},
    {"topic", LS_TYPE_STRING, 2},
    {"kafka_partition", LS_TYPE_INT, 3},
    {"kafka_offset", LS_TYPE_BIGINT, 4},
    {"kafka_timestamp", LS_TYPE_TIMESTAMPTZ, 5},
    {"kafka_key", LS_TYPE_STRING, 6},
    {"kafka_key_encoding", LS_TYPE_STRING, 7},
    {"value", LS_TYPE_STRING, 8},
    {"value_encoding", LS_TYPE_STRING, 9},
    {"error_kind", LS_TYPE_STRING, 10},
    {"error_field", LS_TYPE_STRING, 11},
    {"error_offset", LS_TYPE_BIGINT, 12},
    {"error_message", LS_TYPE_STRING, 13},
    {"ingested_at", LS_TYPE_TIMESTAMPTZ, 14},
};

enum {
    COL_JOB_ID,
    COL_TOPIC,
    COL_PARTITION,
    COL_OFFSET,
    COL_TIMESTAMP,
    COL_KEY,
    COL_KEY_ENCODING,
    COL_VALUE,
    COL_VALUE_ENCODING,
    COL_ERROR_KIND,
    COL_ERROR_FIELD,
    COL_ERROR_OFFSET,
    COL_ERROR_MESSAGE,
    COL_INGESTED_AT,
};

ls_code ls_dead_letter_table_name(const char *table, char *out, size_t out_size, ls_error *err)
{
    int n = snprintf(out, out_size, "%s%s", table, LS_DEAD_LETTER_SUFFIX);
    if (n < 0 || (size_t)n >= out_size)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "table name %s is too long for a dead-letter "
                            "table name", table);
    return LS_OK;
}

bool ls_dead_letter_is_name(const char *name)
{
    size_t n = strlen(name), s = strlen(LS_DEAD_LETTER_SUFFIX);
    return n >= s && strcmp(name + n - s, LS_DEAD_LETTER_SUFFIX) == 0;
}

static ls_code set_text(ls_column *col, const char *text, ls_error *err)
{
    return text ? ls_column_set_bytes(col, text, strlen(text), err) : ls_column_set_null(col, err);
}

/* Stores bytes as text when they are UTF-8, else as base64, and names the
 * encoding in the next column; both null when data is NULL. */
static ls_code set_encoded(ls_column *col, ls_column *encoding, const uint8_t *data, size_t len,
                           ls_error *err)
{
    if (!data) {
        ls_code rc = ls_column_set_null(col, err);
        return rc ? rc : ls_column_set_null(encoding, err);
    }
    if (ls_utf8_valid(data, len)) {
        ls_code rc = ls_column_set_bytes(col, data, len, err);
        return rc ? rc : set_text(encoding, "utf8", err);
    }
    size_t n = ls_base64_encoded_len(len);
    char *text = malloc(n ? n : 1);
    if (!text)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory encoding a dead letter");
    ls_base64_encode(data, len, text);
    ls_code rc = ls_column_set_bytes(col, text, n, err);
    free(text);
    return rc ? rc : set_text(encoding, "base64", err);
}

static bool batch_matches(const ls_column_batch *batch)
{
    if (batch->column_count != LS_DEAD_LETTER_COLUMN_COUNT)
        return false;
    for (size_t i = 0; i < LS_DEAD_LETTER_COLUMN_COUNT; i++)
        if (batch->columns[i].type.kind != ls_dead_letter_columns[i].kind)
            return false;
    return true;
}

ls_code ls_dead_letter_append(ls_column_batch *batch, const ls_dead_letter_record *r,
                              ls_error *err)
{
    if (!batch_matches(batch))
        return ls_error_set(err, LS_ERR_INTERNAL, "not a dead-letter batch");
    ls_column *c = batch->columns;
    ls_column_batch_row_begin(batch);
    ls_code rc = set_text(&c[COL_JOB_ID], r->job_id, err);
    if (!rc)
        rc = set_text(&c[COL_TOPIC], r->topic, err);
    if (!rc)
        rc = ls_column_set_int32(&c[COL_PARTITION], r->partition, err);
    if (!rc)
        rc = ls_column_set_int64(&c[COL_OFFSET], r->offset, err);
    if (!rc)
        rc = r->timestamp_ms >= 0
                 ? ls_column_set_int64(&c[COL_TIMESTAMP], r->timestamp_ms * 1000, err)
                 : ls_column_set_null(&c[COL_TIMESTAMP], err);
    if (!rc)
        rc = set_encoded(&c[COL_KEY], &c[COL_KEY_ENCODING], r->key, r->key_len, err);
    if (!rc)
        rc = set_encoded(&c[COL_VALUE], &c[COL_VALUE_ENCODING], r->value, r->value_len, err);
    if (!rc)
        rc = set_text(&c[COL_ERROR_KIND], r->error_kind, err);
    if (!rc)
        rc = set_text(&c[COL_ERROR_FIELD], r->error_field ? r->error_field : "", err);
    if (!rc)
        rc = ls_column_set_int64(&c[COL_ERROR_OFFSET], r->error_offset, err);
    if (!rc)
        rc = set_text(&c[COL_ERROR_MESSAGE], r->error_message, err);
    if (!rc)
        rc = ls_column_set_int64(&c[COL_INGESTED_AT], r->ingested_at_ms * 1000, err);
    if (rc) {
        ls_column_batch_row_abort(batch);
        return rc;
    }
    return ls_column_batch_row_end(batch, err);
}
