#include "paimon_stats.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static ls_code nomem(ls_error *err)
{
    return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
}

/* Byte length of the first n code points of UTF-8 text (all of it if shorter);
 * *count_out gets how many code points that is. */
static size_t utf8_prefix(const uint8_t *s, size_t len, size_t n, size_t *count_out)
{
    size_t at = 0, count = 0;
    while (at < len && count < n) {
        uint8_t c = s[at];
        size_t step = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
        at = at + step > len ? len : at + step;
        count++;
    }
    *count_out = count;
    return at;
}

static size_t utf8_encode(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xc0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xe0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (uint8_t)(0xf0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

/* The code point starting at s[at] and its length. */
static uint32_t utf8_decode(const uint8_t *s, size_t len, size_t at, size_t *step)
{
    uint8_t c = s[at];
    size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    if (at + n > len)
        n = len - at;
    uint32_t cp = n == 1 ? c : c & (0xff >> (n + 1));
    for (size_t i = 1; i < n; i++)
        cp = (cp << 6) | (s[at + i] & 0x3f);
    *step = n;
    return cp;
}

/* The truncated upper bound: the first `limit` code points with the last one
 * that can be incremented incremented, later ones dropped. Returns the length
 * written to out (4 * limit bytes), or 0 when no code point can be. */
static size_t truncate_max(const uint8_t *s, size_t len, size_t limit, uint8_t *out)
{
    uint32_t cps[LS_PAIMON_STATS_TRUNCATE_LENGTH];
    size_t n = 0;
    for (size_t at = 0, step = 0; at < len && n < limit; at += step)
        cps[n++] = utf8_decode(s, len, at, &step);
    for (size_t i = n; i-- > 0;) {
        uint32_t next = cps[i] + 1;
        if (next >= 0xd800 && next <= 0xdfff)
            next = 0xe000;
        if (next > 0x10ffff)
            continue;
        size_t o = 0;
        for (size_t j = 0; j < i; j++)
            o += utf8_encode(cps[j], out + o);
        return o + utf8_encode(next, out + o);
    }
    return 0;
}

/* One column's min/max datums; string bounds may point into scratch. */
static void column_bounds(const ls_parquet_column_stats *c, ls_paimon_type t,
                          ls_paimon_datum *min, ls_paimon_datum *max, uint8_t *scratch)
{
    memset(min, 0, sizeof *min);
    memset(max, 0, sizeof *max);
    min->is_null = max->is_null = true;
    if (!c || !c->has_min_max || c->nan_count)
        return;
    min->is_null = max->is_null = false;
    switch (t.kind) {
    case LS_PAIMON_BOOLEAN:
        min->v.b = c->min_int != 0;
        max->v.b = c->max_int != 0;
        return;
    case LS_PAIMON_TINYINT:
    case LS_PAIMON_SMALLINT:
    case LS_PAIMON_INT:
    case LS_PAIMON_DATE:
        min->v.i32 = (int32_t)c->min_int;
        max->v.i32 = (int32_t)c->max_int;
        return;
    case LS_PAIMON_BIGINT:
        min->v.i64 = c->min_int;
        max->v.i64 = c->max_int;
        return;
    case LS_PAIMON_FLOAT:
        min->v.f32 = (float)c->min_double;
        max->v.f32 = (float)c->max_double;
        return;
    case LS_PAIMON_DOUBLE:
        min->v.f64 = c->min_double;
        max->v.f64 = c->max_double;
        return;
    case LS_PAIMON_DECIMAL:
        min->v.unscaled = ls_paimon_decimal_is_compact(t.precision) ? c->min_int : c->min_int128;
        max->v.unscaled = ls_paimon_decimal_is_compact(t.precision) ? c->max_int : c->max_int128;
        return;
    case LS_PAIMON_TIMESTAMP:
    case LS_PAIMON_TIMESTAMP_LTZ: {
        /* Job timestamps are microseconds: floor millis plus nanos of the millisecond. */
        int64_t us[2] = {c->min_int, c->max_int};
        ls_paimon_datum *d[2] = {min, max};
        for (int i = 0; i < 2; i++) {
            int64_t ms = us[i] / 1000 - (us[i] % 1000 < 0);
            d[i]->v.ts.millis = ms;
            d[i]->v.ts.nanos_of_milli = (int32_t)((us[i] - ms * 1000) * 1000);
        }
        return;
    }
    case LS_PAIMON_STRING: {
        size_t count = 0;
        min->v.bytes.data = c->min_bytes;
        min->v.bytes.len = utf8_prefix(c->min_bytes, c->min_bytes_len,
                                       LS_PAIMON_STATS_TRUNCATE_LENGTH, &count);
        size_t max_len = utf8_prefix(c->max_bytes, c->max_bytes_len,
                                     LS_PAIMON_STATS_TRUNCATE_LENGTH, &count);
        max->v.bytes.data = c->max_bytes;
        max->v.bytes.len = max_len;
        if (max_len < c->max_bytes_len) {
            max->v.bytes.data = scratch;
            max->v.bytes.len = truncate_max(c->max_bytes, c->max_bytes_len,
                                            LS_PAIMON_STATS_TRUNCATE_LENGTH, scratch);
            max->is_null = max->v.bytes.len == 0;
        }
        return;
    }
    case LS_PAIMON_BYTES:
        break;
    }
    min->is_null = max->is_null = true;
}

ls_code ls_paimon_value_stats_from_parquet(const ls_paimon_schema *schema,
                                           const ls_parquet_file_stats *file,
                                           ls_paimon_stats *out, ls_error *err)
{
    size_t n = schema->field_count;
    ls_paimon_type *types = calloc(n ? n : 1, sizeof *types);
    ls_paimon_datum *mins = calloc(n ? n : 1, sizeof *mins);
    ls_paimon_datum *maxs = calloc(n ? n : 1, sizeof *maxs);
    int64_t *nulls = calloc(n ? n : 1, sizeof *nulls);
    uint8_t *scratch = calloc(n ? n : 1, 4 * LS_PAIMON_STATS_TRUNCATE_LENGTH);
    ls_code rc = types && mins && maxs && nulls && scratch ? LS_OK : nomem(err);
    for (size_t i = 0; rc == LS_OK && i < n; i++) {
        const ls_parquet_column_stats *c = NULL;
        for (size_t j = 0; j < file->column_count; j++)
            if (file->columns[j].field_id == schema->fields[i].id)
                c = &file->columns[j];
        types[i] = schema->fields[i].type;
        column_bounds(c, types[i], &mins[i], &maxs[i],
                      scratch + i * 4 * LS_PAIMON_STATS_TRUNCATE_LENGTH);
        nulls[i] = c ? (int64_t)c->null_count : LS_PAIMON_ABSENT;
    }
    if (rc == LS_OK)
        rc = ls_paimon_stats_set(out, types, mins, maxs, nulls, n, err);
    free(types);
    free(mins);
    free(maxs);
    free(nulls);
    free(scratch);
    return rc;
}

ls_code ls_paimon_entry_for_parquet_file(const ls_paimon_schema *schema,
                                         const ls_paimon_datum *partition_values,
                                         const char *file_name,
                                         const ls_parquet_file_stats *file,
                                         int64_t creation_time_millis,
                                         ls_paimon_manifest_entry *entry, ls_error *err)
{
    memset(entry, 0, sizeof *entry);
    entry->kind = LS_PAIMON_KIND_ADD;
    entry->bucket = 0;
    entry->total_buckets = -1;
    size_t n = schema->partition_key_count;
    ls_paimon_type *types = calloc(n ? n : 1, sizeof *types);
    ls_buf part;
    ls_buf_init(&part, (size_t)16 << 20);
    ls_code rc = types ? LS_OK : nomem(err);
    if (rc == LS_OK)
        rc = ls_paimon_schema_partition_types(schema, types, err);
    if (rc == LS_OK)
        rc = ls_paimon_binaryrow_serialize(types, partition_values, n, &part, err);
    if (rc == LS_OK && !(entry->partition.data = ls_buf_take(&part, &entry->partition.len)))
        rc = nomem(err);
    if (rc == LS_OK)
        rc = ls_paimon_data_file_init_append(&entry->file, file_name,
                                             (int64_t)file->file_size_bytes,
                                             (int64_t)file->row_count, schema->id,
                                             creation_time_millis, err);
    if (rc == LS_OK)
        rc = ls_paimon_value_stats_from_parquet(schema, file, &entry->file.value_stats, err);
    ls_buf_cleanup(&part);
    free(types);
    if (rc)
        ls_paimon_manifest_entry_cleanup(entry);
    return rc;
}

int64_t ls_paimon_creation_time_millis(int64_t utc_millis)
{
    time_t secs = (time_t)(utc_millis / 1000);
    struct tm local;
    if (!localtime_r(&secs, &local))
        return utc_millis;
    return utc_millis + (int64_t)local.tm_gmtoff * 1000;
}
