#include "committer_request.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "committer.h"

#define MAX_COLUMNS_PER_FILE LS_ICEBERG_MAX_FIELDS
#define MAX_SPLIT_OFFSETS_PER_FILE 4096

void ls_commit_files_cleanup(ls_commit_files *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->allocation_count; i++)
        free(f->allocations[i]);
    free(f->allocations);
    free(f->ranges);
    free(f->files);
    free(f->partition_values);
    free(f->stats);
    free(f->split_offsets);
    memset(f, 0, sizeof *f);
}

/* Keeps p (malloc'd) until cleanup. */
static void *keep(ls_commit_files *f, void *p)
{
    if (!p)
        return NULL;
    if (f->allocation_count == f->allocation_cap) {
        size_t cap = f->allocation_cap ? f->allocation_cap * 2 : 16;
        void **grown = realloc(f->allocations, cap * sizeof *grown);
        if (!grown) {
            free(p);
            return NULL;
        }
        f->allocations = grown;
        f->allocation_cap = cap;
    }
    f->allocations[f->allocation_count++] = p;
    return p;
}

/* ---- scalar decoding ------------------------------------------------------ */

/* A JSON string of decimal digits (optionally negative) into a 128-bit
 * integer, refusing anything else and overflow. */
static int parse_int128(const char *text, ls_int128 *out)
{
    const char *p = text;
    int negative = *p == '-';
    if (negative)
        p++;
    if (!*p || strlen(p) > 39)
        return -1;
    ls_int128 value = 0;
    const ls_int128 limit = ((ls_int128)1 << 126) / 5; /* (2^127) / 10 */
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || value >= limit)
            return -1;
        value = value * 10 + (*p - '0');
    }
    *out = negative ? -value : value;
    return 0;
}

static int base64_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes standard base64 (with padding) into a new allocation. */
static uint8_t *base64_decode(const char *text, size_t len, size_t *out_len)
{
    if (len % 4 != 0)
        return NULL;
    uint8_t *out = malloc(len / 4 * 3 + 1);
    size_t n = 0;
    for (size_t i = 0; out && i < len; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++)
            v[k] = text[i + k] == '=' && i + 4 == len && k >= 2 ? 0 : base64_value(text[i + k]);
        if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0) {
            free(out);
            return NULL;
        }
        uint32_t group = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[n++] = (uint8_t)(group >> 16);
        if (text[i + 2] != '=')
            out[n++] = (uint8_t)(group >> 8);
        if (text[i + 3] != '=')
            out[n++] = (uint8_t)group;
    }
    *out_len = n;
    return out;
}

static ls_code decode_integer(const json_t *json, ls_type type, ls_iceberg_value *v,
                              const char *field, ls_error *err)
{
    ls_int128 n = 0;
    if (!json_is_string(json) || parse_int128(json_string_value(json), &n))
        return ls_error_set_field(err, LS_ERR_INVALID, field,
                                  "expected a string of decimal digits");
    if (type.kind == LS_TYPE_DECIMAL) {
        v->u.unscaled = n;
        return LS_OK;
    }
    int narrow = type.kind == LS_TYPE_INT || type.kind == LS_TYPE_DATE;
    if (narrow ? (n < INT32_MIN || n > INT32_MAX) : (n < INT64_MIN || n > INT64_MAX))
        return ls_error_set_field(err, LS_ERR_INVALID, field, "value out of range for its type");
    if (narrow)
        v->u.i32 = (int32_t)n;
    else
        v->u.i64 = (int64_t)n;
    return LS_OK;
}

/* Decodes one typed value (docs/worker-protocol.md "Bounds are typed JSON"). */
static ls_code decode_value(ls_commit_files *f, const json_t *json, ls_type type,
                            ls_iceberg_value *v, const char *field, ls_error *err)
{
    memset(v, 0, sizeof *v);
    if (json_is_null(json)) {
        v->is_null = 1;
        return LS_OK;
    }
    switch (type.kind) {
    case LS_TYPE_BOOLEAN:
        if (!json_is_boolean(json))
            return ls_error_set_field(err, LS_ERR_INVALID, field, "expected true or false");
        v->u.boolean = json_is_true(json);
        return LS_OK;
    case LS_TYPE_FLOAT:
    case LS_TYPE_DOUBLE:
        if (!json_is_number(json))
            return ls_error_set_field(err, LS_ERR_INVALID, field, "expected a number");
        if (type.kind == LS_TYPE_FLOAT)
            v->u.f32 = (float)json_number_value(json);
        else
            v->u.f64 = json_number_value(json);
        return LS_OK;
    case LS_TYPE_STRING:
        if (!json_is_string(json))
            return ls_error_set_field(err, LS_ERR_INVALID, field, "expected a string");
        v->u.bytes.data = (const uint8_t *)json_string_value(json);
        v->u.bytes.len = json_string_length(json);
        return LS_OK;
    case LS_TYPE_BINARY: {
        size_t len = 0;
        uint8_t *bytes = json_is_string(json) ? base64_decode(json_string_value(json),
                                                              json_string_length(json), &len)
                                              : NULL;
        if (!bytes || !keep(f, bytes))
            return ls_error_set_field(err, LS_ERR_INVALID, field, "expected base64 text");
        v->u.bytes.data = bytes;
        v->u.bytes.len = len;
        return LS_OK;
    }
    default:
        return decode_integer(json, type, v, field, err);
    }
}

/* ---- request parts ---------------------------------------------------- */

static ls_code decode_ranges(const json_t *ranges, ls_commit_files *out, ls_error *err)
{
    if (!json_is_object(ranges))
        return ls_error_set_field(err, LS_ERR_INVALID, "ranges", "expected an object");
    size_t n = json_object_size(ranges);
    if (n > LS_OFFSETS_MAX_PARTITIONS)
        return ls_error_set_field(err, LS_ERR_INVALID, "ranges", "too many partitions");
    out->ranges = calloc(n ? n : 1, sizeof *out->ranges);
    if (!out->ranges)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    const char *key;
    json_t *pair;
    json_object_foreach((json_t *)ranges, key, pair) {
        char field[64];
        snprintf(field, sizeof field, "ranges.%.40s", key);
        char *end = NULL;
        errno = 0;
        long partition = strtol(key, &end, 10);
        if (errno || *end || end == key || partition < 0 || partition > INT32_MAX)
            return ls_error_set_field(err, LS_ERR_INVALID, field, "not a partition number");
        json_t *start = json_array_get(pair, 0), *stop = json_array_get(pair, 1);
        if (json_array_size(pair) != 2 || !json_is_integer(start) || !json_is_integer(stop))
            return ls_error_set_field(err, LS_ERR_INVALID, field, "expected [start, end]");
        out->ranges[out->range_count++] = (ls_offset_range){
            (int32_t)partition, json_integer_value(start), json_integer_value(stop)};
    }
    return LS_OK;
}

static ls_code decode_partition(ls_commit_files *f, const json_t *partition,
                                const ls_iceberg_schema *schema,
                                const ls_iceberg_partition_spec *spec, ls_iceberg_value *values,
                                size_t file_index, ls_error *err)
{
    char field[160];
    snprintf(field, sizeof field, "files[%zu].partition", file_index);
    if (spec->field_count == 0 && (!partition || json_object_size(partition) == 0))
        return LS_OK;
    if (!json_is_object(partition) || json_object_size(partition) != spec->field_count)
        return ls_error_set_field(err, LS_ERR_INVALID, field,
                                  "expected one value per partition field (%zu)",
                                  spec->field_count);
    for (size_t i = 0; i < spec->field_count; i++) {
        ls_type type;
        ls_code rc = ls_iceberg_spec_field_type(spec, i, schema, &type, err);
        if (rc)
            return rc;
        snprintf(field, sizeof field, "files[%zu].partition.%.64s", file_index,
                 spec->fields[i].name);
        const json_t *value = json_object_get(partition, spec->fields[i].name);
        if (!value)
            return ls_error_set_field(err, LS_ERR_INVALID, field, "missing partition value");
        if ((rc = decode_value(f, value, type, &values[i], field, err)))
            return rc;
    }
    return LS_OK;
}

/* Reads an optional non-negative count member; -1 when absent. */
static ls_code count_member(const json_t *obj, const char *name, int64_t *out, const char *field,
                            ls_error *err)
{
    const json_t *v = json_object_get(obj, name);
    *out = -1;
    if (!v)
        return LS_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return ls_error_set_field(err, LS_ERR_INVALID, field, "%s must be a non-negative integer",
                                  name);
    *out = json_integer_value(v);
    return LS_OK;
}

static ls_code decode_column(ls_commit_files *f, const json_t *col,
                             const ls_iceberg_schema *schema, ls_iceberg_column_stats *stats,
                             const char *field, ls_error *err)
{
    const json_t *id = json_object_get(col, "field_id");
    const ls_iceberg_field *column =
        json_is_integer(id) ? ls_iceberg_schema_find_id(schema, (int32_t)json_integer_value(id))
                            : NULL;
    if (!column)
        return ls_error_set_field(err, LS_ERR_INVALID, field,
                                  "field_id is not a column of the table's schema");
    memset(stats, 0, sizeof *stats);
    stats->field_id = column->id;
    ls_code rc = count_member(col, "compressed_size_bytes", &stats->column_size_bytes, field, err);
    if (!rc)
        rc = count_member(col, "value_count", &stats->value_count, field, err);
    if (!rc)
        rc = count_member(col, "null_count", &stats->null_value_count, field, err);
    if (!rc)
        rc = count_member(col, "nan_count", &stats->nan_value_count, field, err);
    if (rc)
        return rc;
    if (column->type.kind != LS_TYPE_FLOAT && column->type.kind != LS_TYPE_DOUBLE)
        stats->nan_value_count = -1;
    const json_t *lower = json_object_get(col, "lower"), *upper = json_object_get(col, "upper");
    char bound_field[200];
    if (lower && !json_is_null(lower)) {
        snprintf(bound_field, sizeof bound_field, "%s.lower", field);
        rc = decode_value(f, lower, column->type, &stats->lower_bound, bound_field, err);
        stats->has_lower_bound = !rc;
    }
    if (!rc && upper && !json_is_null(upper)) {
        snprintf(bound_field, sizeof bound_field, "%s.upper", field);
        rc = decode_value(f, upper, column->type, &stats->upper_bound, bound_field, err);
        stats->has_upper_bound = !rc;
    }
    return rc;
}

/* Counts what the files need so storage is allocated once. */
static ls_code size_files(const json_t *files, size_t *columns, size_t *splits, ls_error *err)
{
    *columns = *splits = 0;
    size_t i;
    const json_t *file;
    json_array_foreach(files, i, file) {
        size_t c = json_array_size(json_object_get(file, "columns"));
        size_t s = json_array_size(json_object_get(file, "split_offsets"));
        if (!json_is_object(file) || c > MAX_COLUMNS_PER_FILE || s > MAX_SPLIT_OFFSETS_PER_FILE)
            return ls_error_set_field(err, LS_ERR_INVALID, "files",
                                      "file %zu is not an object or lists too many columns "
                                      "or split offsets", i);
        *columns += c;
        *splits += s;
    }
    return LS_OK;
}

static ls_code decode_file(ls_commit_files *f, const json_t *file, size_t index,
                           const ls_iceberg_schema *schema, const ls_iceberg_partition_spec *spec,
                           ls_iceberg_value *partition, ls_iceberg_column_stats *stats,
                           int64_t *splits, ls_error *err)
{
    char field[160];
    snprintf(field, sizeof field, "files[%zu]", index);
    const json_t *path = json_object_get(file, "path");
    const json_t *size = json_object_get(file, "file_size_bytes");
    const json_t *records = json_object_get(file, "record_count");
    if (!json_is_string(path) || !json_is_integer(size) || json_integer_value(size) <= 0 ||
        !json_is_integer(records) || json_integer_value(records) < 0)
        return ls_error_set_field(err, LS_ERR_INVALID, field,
                                  "needs path, a positive file_size_bytes and record_count");
    ls_code rc = decode_partition(f, json_object_get(file, "partition"), schema, spec, partition,
                                  index, err);
    const json_t *columns = json_object_get(file, "columns");
    for (size_t c = 0; !rc && c < json_array_size(columns); c++) {
        snprintf(field, sizeof field, "files[%zu].columns[%zu]", index, c);
        rc = decode_column(f, json_array_get(columns, c), schema, &stats[c], field, err);
    }
    const json_t *offsets = json_object_get(file, "split_offsets");
    for (size_t s = 0; !rc && s < json_array_size(offsets); s++) {
        const json_t *v = json_array_get(offsets, s);
        if (!json_is_integer(v) || json_integer_value(v) < 4)
            rc = ls_error_set_field(err, LS_ERR_INVALID, "split_offsets",
                                    "file %zu: split offsets are file positions >= 4", index);
        else
            splits[s] = json_integer_value(v);
    }
    f->files[index] = (ls_iceberg_data_file){
        .path = json_string_value(path),
        .file_size_bytes = json_integer_value(size),
        .record_count = json_integer_value(records),
        .partition = partition,
        .column_count = json_array_size(columns),
        .columns = stats,
        .split_offset_count = json_array_size(offsets),
        .split_offsets = splits,
    };
    return rc;
}

ls_code ls_commit_files_decode(const json_t *request, const ls_iceberg_schema *schema,
                               const ls_iceberg_partition_spec *spec, ls_commit_files *out,
                               ls_error *err)
{
    memset(out, 0, sizeof *out);
    ls_code rc = decode_ranges(json_object_get(request, "ranges"), out, err);
    const json_t *files = json_object_get(request, "files");
    size_t n = json_array_size(files), columns = 0, splits = 0;
    if (!rc && (!json_is_array(files) || n > LS_COMMITTER_MAX_FILES))
        rc = ls_error_set_field(err, LS_ERR_INVALID, "files",
                                "expected an array of at most %d files", LS_COMMITTER_MAX_FILES);
    if (!rc)
        rc = size_files(files, &columns, &splits, err);
    if (!rc) {
        out->files = calloc(n + 1, sizeof *out->files);
        out->partition_values = calloc(n * spec->field_count + 1, sizeof *out->partition_values);
        out->stats = calloc(columns + 1, sizeof *out->stats);
        out->split_offsets = calloc(splits + 1, sizeof *out->split_offsets);
        if (!out->files || !out->partition_values || !out->stats || !out->split_offsets)
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory decoding a commit");
    }
    size_t column_at = 0, split_at = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        const json_t *file = json_array_get(files, i);
        rc = decode_file(out, file, i, schema, spec, out->partition_values + i * spec->field_count,
                         out->stats + column_at, out->split_offsets + split_at, err);
        column_at += json_array_size(json_object_get(file, "columns"));
        split_at += json_array_size(json_object_get(file, "split_offsets"));
        out->file_count = i + 1;
    }
    if (rc)
        ls_commit_files_cleanup(out);
    return rc;
}
