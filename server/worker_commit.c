/*
 * The commit request's pieces: offset ranges per Kafka partition, column
 * statistics and partition values as the protocol's typed JSON, file names.
 * Pure code: nothing here talks to Kafka, the server or storage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "util/text.h"
#include "worker.h"

/* ---- ranges ------------------------------------------------------------------ */

void ls_worker_ranges_init(ls_worker_ranges *r)
{
    r->items = NULL;
    r->count = 0;
}

void ls_worker_ranges_cleanup(ls_worker_ranges *r)
{
    free(r->items);
    r->items = NULL;
    r->count = 0;
}

/* Makes partition p addressable, growing the table by doubling. */
static ls_code ranges_reach(ls_worker_ranges *r, int32_t p, ls_error *err)
{
    if (p < 0 || p >= LS_WORKER_MAX_PARTITIONS)
        return ls_error_set(err, LS_ERR_INVALID, "Kafka partition %d is out of range", (int)p);
    if ((size_t)p < r->count)
        return LS_OK;
    size_t count = r->count ? r->count : 16;
    while (count <= (size_t)p)
        count *= 2;
    ls_worker_partition_state *items = realloc(r->items, count * sizeof *items);
    if (!items)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory tracking partitions");
    for (size_t i = r->count; i < count; i++)
        items[i] = (ls_worker_partition_state){.start = -1, .end = -1};
    r->items = items;
    r->count = count;
    return LS_OK;
}

static bool range_pending(const ls_worker_partition_state *s)
{
    return s->start >= 0 && (s->end > s->start || s->pinned);
}

ls_code ls_worker_ranges_reset(ls_worker_ranges *r, int32_t p, int64_t next_offset, ls_error *err)
{
    ls_code rc = ranges_reach(r, p, err);
    if (rc)
        return rc;
    ls_worker_partition_state *s = &r->items[p];
    if (range_pending(s))
        return ls_error_set(err, LS_ERR_INTERNAL,
                            "partition %d was repositioned while holding offsets %lld..%lld",
                            (int)p, (long long)s->start, (long long)s->end);
    s->start = next_offset >= 0 ? next_offset : -1;
    s->end = s->start;
    s->pinned = false;
    return LS_OK;
}

ls_code ls_worker_ranges_pin(ls_worker_ranges *r, int32_t p, int64_t offset, ls_error *err)
{
    ls_code rc = ranges_reach(r, p, err);
    if (rc)
        return rc;
    ls_worker_partition_state *s = &r->items[p];
    if (s->start >= 0 || offset < 0)
        return LS_OK;
    s->start = s->end = offset;
    s->pinned = true;
    return LS_OK;
}

ls_code ls_worker_ranges_observe(ls_worker_ranges *r, int32_t p, int64_t offset, bool *accepted,
                                 ls_error *err)
{
    *accepted = false;
    ls_code rc = ranges_reach(r, p, err);
    if (rc)
        return rc;
    ls_worker_partition_state *s = &r->items[p];
    if (offset < 0 || (s->end >= 0 && offset < s->end))
        return LS_OK;
    if (s->start < 0)
        s->start = offset; /* a partition the table never saw starts at its first message */
    /* A gap (offset > end) is fine: compaction and transaction markers leave
     * offsets without messages, and the range still covers them. */
    s->end = offset + 1;
    *accepted = true;
    return LS_OK;
}

bool ls_worker_ranges_pending(const ls_worker_ranges *r)
{
    for (size_t i = 0; i < r->count; i++)
        if (range_pending(&r->items[i]))
            return true;
    return false;
}

json_t *ls_worker_ranges_to_json(const ls_worker_ranges *r)
{
    json_t *out = json_object();
    for (size_t i = 0; out && i < r->count; i++) {
        const ls_worker_partition_state *s = &r->items[i];
        if (!range_pending(s))
            continue;
        char key[24];
        snprintf(key, sizeof key, "%zu", i);
        json_t *pair = json_pack("[II]", (json_int_t)s->start, (json_int_t)s->end);
        if (!pair || json_object_set_new(out, key, pair) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

bool ls_worker_ranges_landed(const ls_worker_ranges *r, const json_t *offsets)
{
    for (size_t i = 0; i < r->count; i++) {
        const ls_worker_partition_state *s = &r->items[i];
        if (!range_pending(s))
            continue;
        char key[24];
        snprintf(key, sizeof key, "%zu", i);
        const json_t *next = json_object_get(offsets, key);
        if (!json_is_integer(next) || json_integer_value(next) != s->end)
            return false;
    }
    return true;
}

void ls_worker_ranges_committed(ls_worker_ranges *r)
{
    for (size_t i = 0; i < r->count; i++) {
        if (r->items[i].start >= 0)
            r->items[i].start = r->items[i].end;
        r->items[i].pinned = false;
    }
}

void ls_worker_ranges_abandon(ls_worker_ranges *r)
{
    for (size_t i = 0; i < r->count; i++) {
        r->items[i].start = r->items[i].end = -1;
        r->items[i].pinned = false;
    }
}

/* ---- typed JSON values --------------------------------------------------------- */

const char *ls_worker_int128_text(ls_int128 v, char *out, size_t out_size)
{
    char digits[48];
    size_t n = 0;
    bool negative = v < 0;
    /* Work on the negative side so the minimum value needs no special case. */
    ls_int128 x = negative ? v : -v;
    do {
        int digit = (int)(x % 10);
        digits[n++] = (char)('0' - digit);
        x /= 10;
    } while (x != 0);
    size_t w = 0;
    if (negative && w + 1 < out_size)
        out[w++] = '-';
    while (n > 0 && w + 1 < out_size)
        out[w++] = digits[--n];
    out[w] = '\0';
    return out;
}

static json_t *int_text_json(int64_t v)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)v);
    return json_string(text);
}

static json_t *base64_json(const uint8_t *data, size_t len)
{
    size_t n = ls_base64_encoded_len(len);
    char *text = malloc(n + 1);
    if (!text)
        return NULL;
    ls_base64_encode(data, len, text);
    json_t *out = json_stringn(text, n);
    free(text);
    return out;
}

/* The length of the longest prefix of s holding at most max code points.
 * Strings here are valid UTF-8 (the scanner checked them). */
static size_t utf8_cut(const uint8_t *s, size_t len, size_t max, bool *cut)
{
    size_t points = 0;
    for (size_t i = 0; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            if (points == max) {
                *cut = true;
                return i;
            }
            points++;
        }
    }
    return len;
}

static json_t *bytes_json(ls_type type, const uint8_t *data, size_t len, bool cut_bounds, bool *cut)
{
    if (type.kind == LS_TYPE_BINARY) {
        if (cut_bounds && len > LS_WORKER_BOUND_BYTES) {
            len = LS_WORKER_BOUND_BYTES;
            *cut = true;
        }
        return base64_json(data, len);
    }
    if (cut_bounds)
        len = utf8_cut(data, len, LS_WORKER_BOUND_CODEPOINTS, cut);
    return json_stringn((const char *)data, len);
}

/* A finite double as a JSON number; NULL (omit) for NaN and infinities,
 * which JSON cannot carry. */
static json_t *double_json(double v)
{
    if (v != v || v > 1.7976931348623157e308 || v < -1.7976931348623157e308)
        return NULL;
    return json_real(v);
}

json_t *ls_worker_value_json(ls_type type, const ls_iceberg_value *v)
{
    char text[48];
    bool cut = false;
    if (!v || v->is_null)
        return json_null();
    switch (type.kind) {
    case LS_TYPE_BOOLEAN:
        return json_boolean(v->u.boolean);
    case LS_TYPE_INT:
    case LS_TYPE_DATE:
        return int_text_json(v->u.i32);
    case LS_TYPE_BIGINT:
    case LS_TYPE_TIMESTAMP:
    case LS_TYPE_TIMESTAMPTZ:
        return int_text_json(v->u.i64);
    case LS_TYPE_DECIMAL:
        return json_string(ls_worker_int128_text(v->u.unscaled, text, sizeof text));
    case LS_TYPE_FLOAT:
        return double_json(v->u.f32);
    case LS_TYPE_DOUBLE:
        return double_json(v->u.f64);
    case LS_TYPE_STRING:
    case LS_TYPE_BINARY:
        return bytes_json(type, v->u.bytes.data, v->u.bytes.len, false, &cut);
    }
    return NULL;
}

/* One bound of a column's statistics as typed JSON (NULL: omit it). */
static json_t *bound_json(const ls_parquet_column_stats *s, bool upper, bool *cut)
{
    char text[48];
    switch (ls_type_storage(s->type)) {
    case LS_STORAGE_BOOL:
        return json_boolean(upper ? s->max_int : s->min_int);
    case LS_STORAGE_INT32:
    case LS_STORAGE_INT64:
        return int_text_json(upper ? s->max_int : s->min_int);
    case LS_STORAGE_INT128:
        return json_string(
            ls_worker_int128_text(upper ? s->max_int128 : s->min_int128, text, sizeof text));
    case LS_STORAGE_FLOAT:
    case LS_STORAGE_DOUBLE:
        return double_json(upper ? s->max_double : s->min_double);
    case LS_STORAGE_BYTES:
        return upper ? bytes_json(s->type, s->max_bytes, s->max_bytes_len, true, cut)
                     : bytes_json(s->type, s->min_bytes, s->min_bytes_len, true, cut);
    }
    return NULL;
}

json_t *ls_worker_column_json(const ls_parquet_column_stats *s)
{
    json_t *col =
        json_pack("{sisIsIsIsI}", "field_id", (int)s->field_id, "compressed_size_bytes",
                  (json_int_t)s->compressed_bytes, "value_count", (json_int_t)s->value_count,
                  "null_count", (json_int_t)s->null_count, "nan_count", (json_int_t)s->nan_count);
    if (!col)
        return NULL;
    bool cut = false;
    if (s->has_min_max) {
        json_t *lower = bound_json(s, false, &cut);
        json_t *upper = bound_json(s, true, &cut);
        /* Float bounds are written only in pairs: one side without the other
         * would claim a range the column does not have. */
        if (lower && upper) {
            json_object_set_new(col, "lower", lower);
            json_object_set_new(col, "upper", upper);
        } else {
            json_decref(lower);
            json_decref(upper);
        }
    }
    if (json_object_set_new(col, "bounds_truncated", json_boolean(cut)) != 0) {
        json_decref(col);
        return NULL;
    }
    return col;
}

json_t *ls_worker_file_json(const char *path, const ls_parquet_file_stats *stats,
                            const json_t *partition)
{
    json_t *columns = json_array(), *splits = json_array();
    for (size_t i = 0; columns && i < stats->column_count; i++)
        if (json_array_append_new(columns, ls_worker_column_json(&stats->columns[i])) != 0)
            goto fail;
    for (size_t i = 0; splits && i < stats->row_group_count; i++)
        if (json_array_append_new(splits, json_integer((json_int_t)stats->split_offsets[i])) != 0)
            goto fail;
    if (!columns || !splits)
        goto fail;
    json_t *file =
        json_pack("{sssIsIsOsoso}", "path", path, "file_size_bytes",
                  (json_int_t)stats->file_size_bytes, "record_count", (json_int_t)stats->row_count,
                  "partition", partition, "split_offsets", splits, "columns", columns);
    return file; /* json_pack's "o" took both arrays, also on failure */
fail:
    json_decref(columns);
    json_decref(splits);
    return NULL;
}

/* ---- names ------------------------------------------------------------------------ */

ls_code ls_worker_file_name(bool paimon, int worker_index, int64_t run_id, const char *uuid,
                            uint64_t sequence, char *out, size_t out_size, ls_error *err)
{
    int n =
        paimon ? snprintf(out, out_size, "data-%s-%llu.parquet", uuid, (unsigned long long)sequence)
               : snprintf(out, out_size, "%05d-%lld-%s-%05llu.parquet", worker_index,
                          (long long)run_id, uuid, (unsigned long long)sequence);
    if (n < 0 || (size_t)n >= out_size)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "a data file name does not fit %zu bytes",
                            out_size);
    return LS_OK;
}

ls_code ls_worker_uuid(char *out, size_t out_size, ls_error *err)
{
    uint8_t b[16];
    if (out_size < 37)
        return ls_error_set(err, LS_ERR_INTERNAL, "a UUID needs 37 bytes");
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        return ls_error_set(err, LS_ERR_IO, "getrandom failed");
    b[6] = (uint8_t)((b[6] & 0x0F) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3F) | 0x80);
    snprintf(out, out_size, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
    return LS_OK;
}
