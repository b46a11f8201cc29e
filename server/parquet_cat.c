/*
 * `lakesync parquet-cat FILE [--limit N] [--json] [--schema] [--columns a,b]`:
 * prints a Parquet file's rows (NDJSON with --json, tab-separated text
 * otherwise) or its columns, for operators and tests.
 *
 * JSON values are typed: booleans and integers as JSON literals, float and
 * double as numbers (NaN and infinities as the strings "NaN", "Infinity",
 * "-Infinity"), decimals as strings with exactly scale fraction digits, dates
 * as "YYYY-MM-DD", timestamps as RFC 3339 with microseconds
 * ("2024-01-02T03:04:05.000006", with a trailing "Z" for timestamptz),
 * binary as base64, strings as JSON strings (invalid UTF-8 replaced by
 * U+FFFD). Nested fields cannot be read: each is named on stderr.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parquet_reader.h"
#include "util/buf.h"

#define CAT_MAX_LINE_BYTES ((size_t)1 << 30)

typedef struct cat_options {
    const char *path;
    uint64_t limit;
    bool json;
    bool schema;
    const char *columns; /* comma-separated names, NULL for all */
} cat_options;

static void usage(FILE *out)
{
    fprintf(out, "usage: lakesync parquet-cat FILE [--limit N] [--json] [--schema] "
                 "[--columns a,b,...]\n"
                 "  --json      one JSON object per row (NDJSON); default: tab-separated text\n"
                 "  --schema    print the readable columns instead of rows\n"
                 "  --limit N   stop after N rows\n"
                 "  --columns   read only these columns, in this order\n");
}

static int parse_args(int argc, char **argv, cat_options *o)
{
    memset(o, 0, sizeof *o);
    o->limit = UINT64_MAX;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--schema") == 0) {
            o->schema = true;
        } else if (strcmp(a, "--limit") == 0 && i + 1 < argc) {
            char *end;
            o->limit = strtoull(argv[++i], &end, 10);
            if (*end || argv[i][0] == '-' || !argv[i][0])
                return 2;
        } else if (strcmp(a, "--columns") == 0 && i + 1 < argc) {
            o->columns = argv[++i];
        } else if (a[0] != '-' && !o->path) {
            o->path = a;
        } else {
            return 2;
        }
    }
    return o->path ? -1 : 2;
}

static ls_code put_json_string(ls_buf *b, const uint8_t *s, size_t len, ls_error *err);

/* Splits --columns into reader column indexes. */
static ls_code resolve_columns(const ls_parquet_reader *r, const char *list, size_t **out,
                               size_t *count, ls_error *err)
{
    size_t n = ls_parquet_reader_column_count(r), cap = 1;
    for (const char *p = list; p && *p; p++)
        cap += *p == ',';
    size_t *idx = calloc(list ? cap : n ? n : 1, sizeof *idx);
    if (!idx)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    *out = idx;
    if (!list) {
        for (size_t i = 0; i < n; i++)
            idx[i] = i;
        *count = n;
        return LS_OK;
    }
    *count = 0;
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char name[512];
        if (len == 0 || len >= sizeof name)
            return ls_error_set(err, LS_ERR_INVALID, "bad --columns list");
        memcpy(name, p, len);
        name[len] = '\0';
        long c = ls_parquet_reader_column_find(r, name);
        if (c < 0)
            return ls_error_set(err, LS_ERR_NOT_FOUND, "no readable column '%s'", name);
        idx[(*count)++] = (size_t)c;
        p += len + (comma ? 1 : 0);
    }
    return LS_OK;
}

static ls_code print_schema(const ls_parquet_reader *r, bool json, ls_buf *b, ls_error *err)
{
    ls_code rc = LS_OK;
    for (size_t i = 0; i < ls_parquet_reader_column_count(r) && !rc; i++) {
        const ls_parquet_reader_column *c = ls_parquet_reader_column_at(r, i);
        char type[32];
        ls_type_format(c->type, type, sizeof type);
        if (json) {
            rc = ls_buf_append_str(b, "{\"name\":", err);
            if (!rc)
                rc = put_json_string(b, (const uint8_t *)c->name, strlen(c->name), err);
            if (!rc && c->has_field_id)
                rc = ls_buf_printf(b, err, ",\"field_id\":%" PRId32, c->field_id);
            if (!rc)
                rc = ls_buf_printf(b, err, ",\"type\":\"%s\",\"required\":%s,\"physical\":%d}\n",
                                   type, c->required ? "true" : "false", (int)c->physical);
        } else {
            rc = ls_buf_printf(b, err, "%s\t%s\t%s\t", c->name, type,
                               c->required ? "required" : "optional");
            if (!rc && c->has_field_id)
                rc = ls_buf_printf(b, err, "%" PRId32 "\n", c->field_id);
            else if (!rc)
                rc = ls_buf_append_str(b, "-\n", err);
        }
    }
    return rc;
}

/* Length of a valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t utf8_sequence(const uint8_t *s, size_t len)
{
    uint8_t c = s[0];
    size_t n;
    uint32_t min, cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0) {
        n = 2, min = 0x80, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3, min = 0x800, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (n > len)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static ls_code put_json_string(ls_buf *b, const uint8_t *s, size_t len, ls_error *err)
{
    ls_code rc = ls_buf_append_byte(b, '"', err);
    size_t i = 0;
    while (i < len && !rc) {
        uint8_t c = s[i];
        size_t n = utf8_sequence(s + i, len - i);
        if (n == 0) {
            rc = ls_buf_append_str(b, "\\ufffd", err);
            i++;
        } else if (c == '"' || c == '\\') {
            uint8_t esc[2] = {'\\', c};
            rc = ls_buf_append(b, esc, 2, err);
            i++;
        } else if (c < 0x20) {
            rc = ls_buf_printf(b, err, "\\u%04x", c);
            i++;
        } else {
            rc = ls_buf_append(b, s + i, n, err);
            i += n;
        }
    }
    return rc ? rc : ls_buf_append_byte(b, '"', err);
}

static ls_code put_base64(ls_buf *b, const uint8_t *s, size_t len, ls_error *err)
{
    static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    ls_code rc = ls_buf_reserve(b, (len + 2) / 3 * 4, err);
    for (size_t i = 0; i < len && !rc; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < len)
            v |= s[i + 2];
        char out[4] = {table[(v >> 18) & 63], table[(v >> 12) & 63],
                       i + 1 < len ? table[(v >> 6) & 63] : '=', i + 2 < len ? table[v & 63] : '='};
        rc = ls_buf_append(b, out, 4, err);
    }
    return rc;
}

/* The unscaled decimal as text with exactly scale fraction digits. */
static ls_code put_decimal(ls_buf *b, ls_int128 v, int scale, ls_error *err)
{
    char digits[48];
    int n = 0;
    __extension__ unsigned __int128 mag = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
    do {
        digits[n++] = (char)('0' + (int)(mag % 10));
        mag /= 10;
    } while (mag);
    while (n <= scale)
        digits[n++] = '0';
    char text[64];
    int t = 0;
    if (v < 0)
        text[t++] = '-';
    for (int i = n - 1; i >= 0; i--) {
        text[t++] = digits[i];
        if (i == scale && scale > 0)
            text[t++] = '.';
    }
    return ls_buf_append(b, text, (size_t)t, err);
}

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static ls_code put_date(ls_buf *b, int64_t days, ls_error *err)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y >= 0 && y <= 9999)
        return ls_buf_printf(b, err, "%04" PRId64 "-%02u-%02u", y, m, d);
    return ls_buf_printf(b, err, "%+" PRId64 "-%02u-%02u", y, m, d);
}

static ls_code put_timestamp(ls_buf *b, int64_t micros, bool utc, ls_error *err)
{
    int64_t day = micros / INT64_C(86400000000);
    int64_t rem = micros % INT64_C(86400000000);
    if (rem < 0) {
        rem += INT64_C(86400000000);
        day--;
    }
    ls_code rc = put_date(b, day, err);
    int64_t secs = rem / 1000000;
    if (!rc)
        rc = ls_buf_printf(b, err, "T%02d:%02d:%02d.%06d%s", (int)(secs / 3600),
                           (int)(secs / 60 % 60), (int)(secs % 60), (int)(rem % 1000000),
                           utc ? "Z" : "");
    return rc;
}

static ls_code put_double(ls_buf *b, double v, bool is_float, bool json, ls_error *err)
{
    if (isnan(v))
        return ls_buf_append_str(b, json ? "\"NaN\"" : "NaN", err);
    if (isinf(v))
        return ls_buf_append_str(b,
                                 v > 0 ? (json ? "\"Infinity\"" : "Infinity")
                                       : (json ? "\"-Infinity\"" : "-Infinity"),
                                 err);
    /* 9 and 17 significant digits read back to the same float and double. */
    return ls_buf_printf(b, err, is_float ? "%.9g" : "%.17g", v);
}

/* Appends the value_index-th non-null value of col. */
static ls_code put_value(ls_buf *b, const ls_column *col, size_t vi, bool json, ls_error *err)
{
    const uint8_t *p = col->values.data + vi * ls_storage_width(col->storage);
    int32_t i32;
    int64_t i64;
    switch (col->type.kind) {
    case LS_TYPE_BOOLEAN:
        return ls_buf_append_str(b, p[0] ? "true" : "false", err);
    case LS_TYPE_INT:
        memcpy(&i32, p, 4);
        return ls_buf_printf(b, err, "%" PRId32, i32);
    case LS_TYPE_BIGINT:
        memcpy(&i64, p, 8);
        return ls_buf_printf(b, err, "%" PRId64, i64);
    case LS_TYPE_FLOAT: {
        float f;
        memcpy(&f, p, 4);
        return put_double(b, f, true, json, err);
    }
    case LS_TYPE_DOUBLE: {
        double d;
        memcpy(&d, p, 8);
        return put_double(b, d, false, json, err);
    }
    default:
        break;
    }
    if (col->type.kind == LS_TYPE_STRING) {
        size_t len;
        const uint8_t *s = ls_column_bytes_at(col, vi, &len);
        return json ? put_json_string(b, s, len, err) : ls_buf_append(b, s, len, err);
    }
    ls_code rc = json ? ls_buf_append_byte(b, '"', err) : LS_OK;
    if (rc)
        return rc;
    switch (col->type.kind) {
    case LS_TYPE_DECIMAL: {
        ls_int128 v;
        if (col->storage == LS_STORAGE_INT128) {
            memcpy(&v, p, 16);
        } else {
            memcpy(&i64, p, 8);
            v = i64;
        }
        rc = put_decimal(b, v, col->type.scale, err);
        break;
    }
    case LS_TYPE_DATE:
        memcpy(&i32, p, 4);
        rc = put_date(b, i32, err);
        break;
    case LS_TYPE_TIMESTAMP:
    case LS_TYPE_TIMESTAMPTZ:
        memcpy(&i64, p, 8);
        rc = put_timestamp(b, i64, col->type.kind == LS_TYPE_TIMESTAMPTZ, err);
        break;
    case LS_TYPE_BINARY: {
        size_t len;
        const uint8_t *s = ls_column_bytes_at(col, vi, &len);
        rc = put_base64(b, s, len, err);
        break;
    }
    default:
        rc = ls_error_set(err, LS_ERR_INTERNAL, "unknown type kind");
        break;
    }
    return rc ? rc : json ? ls_buf_append_byte(b, '"', err) : LS_OK;
}

/* Prints one row: columns track their next non-null value in next[]. */
static ls_code put_row(ls_buf *b, const ls_parquet_reader *r, const size_t *cols,
                       const ls_column_batch *batch, size_t row, size_t *next, bool json,
                       ls_error *err)
{
    ls_code rc = json ? ls_buf_append_byte(b, '{', err) : LS_OK;
    for (size_t i = 0; i < batch->column_count && !rc; i++) {
        const ls_column *col = &batch->columns[i];
        if (i > 0)
            rc = ls_buf_append_byte(b, json ? ',' : '\t', err);
        if (!rc && json) {
            const char *name = ls_parquet_reader_column_at(r, cols[i])->name;
            rc = put_json_string(b, (const uint8_t *)name, strlen(name), err);
            if (!rc)
                rc = ls_buf_append_byte(b, ':', err);
        }
        if (rc)
            break;
        if (!ls_column_is_valid(col, row))
            rc = ls_buf_append_str(b, json ? "null" : "\\N", err);
        else
            rc = put_value(b, col, next[i]++, json, err);
    }
    if (!rc && json)
        rc = ls_buf_append_byte(b, '}', err);
    return rc ? rc : ls_buf_append_byte(b, '\n', err);
}

static ls_code flush_buf(ls_buf *b, ls_error *err)
{
    if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len)
        return ls_error_set(err, LS_ERR_IO, "cannot write to stdout");
    ls_buf_reset(b);
    return LS_OK;
}

static ls_code print_rows(ls_parquet_reader *r, const cat_options *o, const size_t *cols,
                          size_t count, ls_buf *b, ls_error *err)
{
    ls_column_batch *batch = ls_parquet_reader_batch_new(r, cols, count);
    size_t *next = calloc(count ? count : 1, sizeof *next);
    ls_code rc = batch && next ? LS_OK : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    uint64_t printed = 0;
    for (size_t g = 0; !rc && g < ls_parquet_reader_row_group_count(r) && printed < o->limit; g++) {
        if ((rc = ls_parquet_reader_read_row_group(r, g, cols, count, batch, err)))
            break;
        memset(next, 0, count * sizeof *next);
        for (size_t row = 0; row < batch->row_count && printed < o->limit && !rc; row++) {
            rc = put_row(b, r, cols, batch, row, next, o->json, err);
            printed++;
            if (!rc && b->len > 65536)
                rc = flush_buf(b, err);
        }
    }
    if (!rc)
        rc = flush_buf(b, err);
    free(next);
    ls_column_batch_free(batch);
    return rc;
}

int cmd_parquet_cat(int argc, char **argv)
{
    cat_options o;
    int usage_rc = parse_args(argc, argv, &o);
    if (usage_rc >= 0) {
        if (usage_rc)
            usage(stderr);
        return usage_rc;
    }
    ls_error err;
    ls_error_clear(&err);
    ls_buf out;
    ls_buf_init(&out, CAT_MAX_LINE_BYTES);
    size_t *cols = NULL, count = 0;
    ls_code rc = LS_OK;
    ls_parquet_reader *r = ls_parquet_reader_open_path(o.path, NULL, &err);
    if (!r)
        rc = err.code ? err.code : LS_ERR_INTERNAL;
    for (size_t i = 0; r && i < ls_parquet_reader_skipped_count(r); i++)
        fprintf(stderr,
                "parquet-cat: skipping field '%s': nested and repeated fields are not "
                "supported\n",
                ls_parquet_reader_skipped_name(r, i));
    if (!rc && o.schema)
        rc = print_schema(r, o.json, &out, &err);
    if (!rc && o.schema)
        rc = flush_buf(&out, &err);
    if (!rc && !o.schema)
        rc = resolve_columns(r, o.columns, &cols, &count, &err);
    if (!rc && !o.schema)
        rc = print_rows(r, &o, cols, count, &out, &err);
    if (rc == LS_OK && fflush(stdout) != 0)
        rc = ls_error_set(&err, LS_ERR_IO, "cannot write to stdout");
    if (rc)
        fprintf(stderr, "parquet-cat: %s: %s%s%s (%s)\n", o.path, err.field,
                err.field[0] ? ": " : "", err.message, ls_code_name(rc));
    free(cols);
    ls_buf_cleanup(&out);
    ls_parquet_reader_free(r);
    return rc ? 1 : 0;
}
