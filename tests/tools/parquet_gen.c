/*
 * lakesync_parquet_gen: writes a Parquet file described by a JSON document,
 * for end-to-end tests that read it back with independent readers.
 *
 *   lakesync_parquet_gen SPEC.json OUT.parquet
 *
 * SPEC: {"codec":"zstd","level":0,"row_group_bytes":N,"page_bytes":N,
 *        "dictionary":true,"dictionary_max_bytes":N,"dictionary_max_entries":N,
 *        "root_name":"table","metadata":{"k":"v"},"batch_rows":N,
 *        "columns":[{"name":"a","type":"bigint","field_id":1,"required":false}],
 *        "rows":[[value, ...], ...]}
 * Values: null; booleans; integers as JSON integers or decimal strings
 * (int, bigint, date, timestamp, timestamptz); float/double as numbers or the
 * strings "NaN", "Infinity", "-Infinity", "-0"; decimal as the unscaled
 * integer in a string; string as a JSON string; binary as a hex string.
 * Prints the writer's file statistics as JSON on stdout: bounds as strings
 * (integers in decimal, doubles with %.17g, bytes in hex).
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet_writer.h"

static ls_code file_write(void *ctx, const void *data, size_t len, ls_error *err)
{
    if (fwrite(data, 1, len, (FILE *)ctx) != len)
        return ls_error_set(err, LS_ERR_IO, "write failed: %s", strerror(errno));
    return LS_OK;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "lakesync_parquet_gen: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int64_t to_int64(const json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_string(v))
        return strtoll(json_string_value(v), NULL, 10);
    die("expected an integer", NULL);
    return 0;
}

static double to_double(const json_t *v)
{
    if (json_is_number(v))
        return json_number_value(v);
    const char *s = json_string_value(v);
    if (!s)
        die("expected a number", NULL);
    if (strcmp(s, "NaN") == 0)
        return NAN;
    if (strcmp(s, "Infinity") == 0)
        return INFINITY;
    if (strcmp(s, "-Infinity") == 0)
        return -INFINITY;
    return strtod(s, NULL);
}

static ls_int128 to_int128(const json_t *v)
{
    const char *s = json_string_value(v);
    if (!s)
        return (ls_int128)to_int64(v);
    int negative = *s == '-';
    if (negative)
        s++;
    ls_int128 x = 0;
    for (; *s; s++)
        x = x * 10 - (*s - '0'); /* accumulate negatively: reaches the minimum */
    return negative ? x : -x;
}

static ls_code set_value(ls_column *col, const json_t *v, ls_error *err)
{
    if (json_is_null(v))
        return ls_column_set_null(col, err);
    switch (col->storage) {
    case LS_STORAGE_BOOL: return ls_column_set_bool(col, json_is_true(v), err);
    case LS_STORAGE_INT32: return ls_column_set_int32(col, (int32_t)to_int64(v), err);
    case LS_STORAGE_INT64: return ls_column_set_int64(col, to_int64(v), err);
    case LS_STORAGE_FLOAT: return ls_column_set_float(col, (float)to_double(v), err);
    case LS_STORAGE_DOUBLE: return ls_column_set_double(col, to_double(v), err);
    case LS_STORAGE_INT128: return ls_column_set_int128(col, to_int128(v), err);
    case LS_STORAGE_BYTES: {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        if (col->type.kind == LS_TYPE_STRING)
            return ls_column_set_bytes(col, s, len, err);
        uint8_t *bytes = malloc(len / 2 + 1);
        for (size_t i = 0; i < len / 2; i++)
            bytes[i] = (uint8_t)(hexval(s[2 * i]) * 16 + hexval(s[2 * i + 1]));
        ls_code rc = ls_column_set_bytes(col, bytes, len / 2, err);
        free(bytes);
        return rc;
    }
    }
    return LS_OK;
}

static void print_int128(ls_int128 v)
{
    char digits[48];
    int n = 0;
    int negative = v < 0;
    do {
        int d = (int)(v % 10);
        digits[n++] = (char)('0' + (d < 0 ? -d : d));
        v /= 10;
    } while (v != 0);
    printf("\"%s", negative ? "-" : "");
    while (n)
        putchar(digits[--n]);
    putchar('"');
}

static void print_bound(const ls_parquet_column_stats *c, int is_max)
{
    switch (ls_type_storage(c->type)) {
    case LS_STORAGE_BOOL:
    case LS_STORAGE_INT32:
    case LS_STORAGE_INT64: printf("\"%" PRId64 "\"", is_max ? c->max_int : c->min_int); break;
    case LS_STORAGE_FLOAT:
    case LS_STORAGE_DOUBLE: printf("\"%.17g\"", is_max ? c->max_double : c->min_double); break;
    case LS_STORAGE_INT128: print_int128(is_max ? c->max_int128 : c->min_int128); break;
    case LS_STORAGE_BYTES: {
        const uint8_t *b = is_max ? c->max_bytes : c->min_bytes;
        size_t n = is_max ? c->max_bytes_len : c->min_bytes_len;
        putchar('"');
        for (size_t i = 0; i < n; i++)
            printf("%02x", b[i]);
        putchar('"');
        break;
    }
    }
}

static void print_stats(const ls_parquet_file_stats *s)
{
    printf("{\"row_count\":%" PRIu64 ",\"file_size\":%" PRIu64 ",\"split_offsets\":[", s->row_count,
           s->file_size_bytes);
    for (size_t i = 0; i < s->row_group_count; i++)
        printf("%s%" PRIu64, i ? "," : "", s->split_offsets[i]);
    printf("],\"columns\":[");
    for (size_t i = 0; i < s->column_count; i++) {
        const ls_parquet_column_stats *c = &s->columns[i];
        printf("%s{\"field_id\":%d,\"compressed_bytes\":%" PRIu64 ",\"value_count\":%" PRIu64
               ",\"null_count\":%" PRIu64 ",\"nan_count\":%" PRIu64 ",\"has_min_max\":%s",
               i ? "," : "", c->field_id, c->compressed_bytes, c->value_count, c->null_count,
               c->nan_count, c->has_min_max ? "true" : "false");
        if (c->has_min_max) {
            printf(",\"min\":");
            print_bound(c, 0);
            printf(",\"max\":");
            print_bound(c, 1);
        }
        putchar('}');
    }
    printf("]}\n");
}

static void read_options(const json_t *spec, ls_parquet_options *o, ls_error *err)
{
    ls_parquet_options_init(o);
    const json_t *v;
    if ((v = json_object_get(spec, "codec")) && ls_parquet_codec_parse(json_string_value(v), &o->codec, err))
        die("bad codec", err->message);
    if ((v = json_object_get(spec, "level")))
        o->compression_level = (int)json_integer_value(v);
    if ((v = json_object_get(spec, "row_group_bytes")))
        o->row_group_bytes = (uint64_t)json_integer_value(v);
    if ((v = json_object_get(spec, "page_bytes")))
        o->page_bytes = (size_t)json_integer_value(v);
    if ((v = json_object_get(spec, "dictionary")))
        o->dictionary = json_is_true(v);
    if ((v = json_object_get(spec, "dictionary_max_bytes")))
        o->dictionary_max_bytes = (size_t)json_integer_value(v);
    if ((v = json_object_get(spec, "dictionary_max_entries")))
        o->dictionary_max_entries = (uint32_t)json_integer_value(v);
    if ((v = json_object_get(spec, "root_name")))
        o->root_name = json_string_value(v);
}

int main(int argc, char **argv)
{
    if (argc != 3)
        die("usage: lakesync_parquet_gen SPEC.json OUT.parquet", NULL);
    json_error_t jerr;
    json_t *spec = json_load_file(argv[1], JSON_ALLOW_NUL, &jerr);
    if (!spec)
        die("cannot read the spec", jerr.text);
    ls_error err;
    ls_error_clear(&err);
    ls_parquet_options options;
    read_options(spec, &options, &err);
    const json_t *metadata = json_object_get(spec, "metadata");
    ls_parquet_key_value kv[64];
    size_t kv_count = 0;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)metadata, key, value)
    {
        if (kv_count < 64)
            kv[kv_count++] = (ls_parquet_key_value){key, json_string_value(value)};
    }
    options.metadata = kv;
    options.metadata_count = kv_count;

    const json_t *columns = json_object_get(spec, "columns");
    size_t n = json_array_size(columns);
    ls_parquet_column_spec *specs = calloc(n ? n : 1, sizeof *specs);
    ls_type *types = calloc(n ? n : 1, sizeof *types);
    for (size_t i = 0; i < n; i++) {
        const json_t *c = json_array_get(columns, i);
        specs[i].name = json_string_value(json_object_get(c, "name"));
        specs[i].field_id = (int32_t)json_integer_value(json_object_get(c, "field_id"));
        specs[i].required = json_is_true(json_object_get(c, "required"));
        if (ls_type_parse(json_string_value(json_object_get(c, "type")), &specs[i].type, &err))
            die("bad type", err.message);
        types[i] = specs[i].type;
    }
    FILE *out = fopen(argv[2], "wb");
    if (!out)
        die("cannot open the output", strerror(errno));
    ls_sink sink = {.write = file_write, .ctx = out};
    ls_parquet_writer *writer = ls_parquet_writer_new(specs, n, &options, &sink, &err);
    if (!writer)
        die("cannot create the writer", err.message);
    const json_t *rows = json_object_get(spec, "rows");
    const json_t *batch_rows_json = json_object_get(spec, "batch_rows");
    size_t batch_rows = batch_rows_json ? (size_t)json_integer_value(batch_rows_json) : 1000;
    ls_column_batch *batch = ls_column_batch_new(types, n, (size_t)1 << 30);
    for (size_t r = 0; r < json_array_size(rows); r++) {
        const json_t *row = json_array_get(rows, r);
        ls_column_batch_row_begin(batch);
        for (size_t i = 0; i < n; i++) {
            if (set_value(&batch->columns[i], json_array_get(row, i), &err))
                die("cannot set a value", err.message);
        }
        if (ls_column_batch_row_end(batch, &err))
            die("cannot end a row", err.message);
        if (batch->row_count >= batch_rows || r + 1 == json_array_size(rows)) {
            if (ls_parquet_writer_write_batch(writer, batch, &err))
                die("write_batch failed", err.message);
            ls_column_batch_reset(batch);
        }
    }
    ls_parquet_file_stats stats;
    if (ls_parquet_writer_close(writer, &stats, &err))
        die("close failed", err.message);
    if (fclose(out) != 0)
        die("cannot close the output", strerror(errno));
    print_stats(&stats);
    ls_parquet_file_stats_cleanup(&stats);
    ls_parquet_writer_free(writer);
    ls_column_batch_free(batch);
    free(specs);
    free(types);
    json_decref(spec);
    return 0;
}
