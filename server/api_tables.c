/*
 * The tables of a database (REST API): list from the catalog, and for one
 * table its schema, partition spec, snapshots and a preview of its rows, read
 * from the table's own metadata and data files (table_read.h; Paimon tables
 * in api_tables_paimon.c, in the same shapes).
 * Tables on object stores are read with their job's destination settings
 * (or the AWS_* environment), as the job writes them.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_handlers.h"
#include "api_json.h"
#include "api_rows.h"
#include "api_tables.h"
#include "table_read.h"

#define PREVIEW_DEFAULT_ROWS 20
#define PREVIEW_MAX_ROWS 1000
#define TABLE_NAME_MAX 256
/* A preview decodes whole row groups: cap what one request may hold. */
#define PREVIEW_MAX_BATCH_BYTES (256u << 20)

/* 404 unless the database exists: an empty list of a missing database
 * would hide a typo. */
static ls_code database_exists(ls_api_request *req, const char *db, ls_error *err)
{
    json_t *found = NULL;
    ls_code rc = ls_store_begin_read(req->api->store, err);
    if (rc)
        return rc;
    rc = api_database_load(req->api->store, db, &found, err);
    ls_store_rollback(req->api->store);
    json_decref(found);
    return rc;
}

static json_t *table_row_json(ls_stmt *stmt)
{
    const char *metadata = ls_stmt_text(stmt, 5);
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:s}", "database", ls_stmt_text(stmt, 1), "name",
                     ls_stmt_text(stmt, 2), "format", ls_stmt_text(stmt, 3), "location",
                     ls_stmt_text(stmt, 4), "metadata_location",
                     metadata ? json_string(metadata) : json_null(), "created_at",
                     ls_stmt_text(stmt, 6));
}

ls_code api_tables_list(ls_api_request *req, ls_error *err)
{
    const char *db = api_param(req, "db");
    ls_code rc = database_exists(req, db, err);
    if (rc)
        return rc;
    return api_rows_list_of(req,
                            "SELECT seq, database, name, format, location, metadata_location, "
                            "created_at FROM tables WHERE database = ?3 AND seq > ?1 "
                            "ORDER BY seq LIMIT ?2",
                            db, table_row_json, err);
}

ls_code api_table_open_route(ls_api_request *req, ls_table_open *table, ls_error *err)
{
    const char *db = api_param(req, "db"), *name = api_param(req, "table");
    memset(table, 0, sizeof *table);
    if (!api_lower_identifier_valid(db, TABLE_NAME_MAX) ||
        !api_identifier_valid(name, TABLE_NAME_MAX))
        return ls_error_set(err, LS_ERR_NOT_FOUND, "no table %s.%s", db, name);
    return ls_table_read_open_named(req->api->store, &req->api->key, db, name, table, err);
}

/* Proleptic Gregorian (H. Hinnant's civil_from_days), in integers so that
 * any stored value, however absurd, formats without overflow or a failing
 * gmtime. */
void api_table_format_days(int64_t days, char *out, size_t size)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t day = doy - (153 * mp + 2) / 5 + 1;
    int64_t month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);
    snprintf(out, size, "%04" PRId64 "-%02" PRId64 "-%02" PRId64, year, month, day);
}

void api_table_format_micros(int64_t micros, bool utc, char *out, size_t size)
{
    /* Floor division: instants before 1970 count back from midnight. */
    int64_t days = micros / 86400000000LL, rest = micros % 86400000000LL;
    if (rest < 0) {
        rest += 86400000000LL;
        days -= 1;
    }
    char date[32];
    api_table_format_days(days, date, sizeof date);
    int64_t seconds = rest / 1000000;
    snprintf(out, size, "%sT%02" PRId64 ":%02" PRId64 ":%02" PRId64 ".%06" PRId64 "%s", date,
             seconds / 3600, seconds / 60 % 60, seconds % 60, rest % 1000000, utc ? "Z" : "");
}

void api_table_format_ms(int64_t ms, char *out, size_t size)
{
    /* Milliseconds past what microseconds can hold are not real times. */
    if (ms > INT64_MAX / 1000 || ms < INT64_MIN / 1000)
        ms = 0;
    api_table_format_micros(ms * 1000, true, out, size);
}

static json_t *schema_json(const json_t *schema)
{
    json_t *fields = json_array();
    size_t i;
    const json_t *field;
    json_array_foreach(json_object_get(schema, "fields"), i, field)
    {
        json_array_append_new(fields,
                              json_pack("{s:O,s:O,s:O,s:b}", "id", json_object_get(field, "id"),
                                        "name", json_object_get(field, "name"), "type",
                                        json_object_get(field, "type"), "required",
                                        json_is_true(json_object_get(field, "required"))));
    }
    return json_pack("{s:O,s:o}", "schema_id", json_object_get(schema, "schema-id"), "fields",
                     fields);
}

static json_t *or_null(const json_t *value)
{
    return value ? json_incref((json_t *)value) : json_null();
}

/* The object of array whose key equals id, or NULL. */
static const json_t *find_by_id(const json_t *array, const char *key, const json_t *id)
{
    size_t i;
    const json_t *item;
    json_array_foreach(array, i, item)
    {
        if (json_equal(json_object_get(item, key), id))
            return item;
    }
    return NULL;
}

static json_t *spec_json(const json_t *md)
{
    const json_t *id = json_object_get(md, "default-spec-id");
    const json_t *spec = find_by_id(json_object_get(md, "partition-specs"), "spec-id", id);
    json_t *fields = json_array();
    size_t i;
    const json_t *f;
    json_array_foreach(json_object_get(spec, "fields"), i, f)
    {
        json_array_append_new(fields, json_pack("{s:O,s:O,s:O,s:O}", "source_id",
                                                json_object_get(f, "source-id"), "field_id",
                                                json_object_get(f, "field-id"), "name",
                                                json_object_get(f, "name"), "transform",
                                                json_object_get(f, "transform")));
    }
    return json_pack("{s:o,s:o}", "spec_id", or_null(id), "fields", fields);
}

/* The summary with lakesync.offsets parsed: it is JSON text in Iceberg's
 * string map, and clients want the object. */
json_t *api_table_summary_json(const json_t *summary)
{
    json_t *out = json_is_object(summary) ? json_deep_copy(summary) : json_object();
    const json_t *text = json_object_get(out, "lakesync.offsets");
    if (json_is_string(text)) {
        json_t *parsed = json_loads(json_string_value(text), 0, NULL);
        if (parsed)
            json_object_set_new(out, "lakesync.offsets", parsed);
    }
    return out;
}

static json_t *snapshot_json(const json_t *snap)
{
    const json_t *summary = json_object_get(snap, "summary");
    const json_t *parent = json_object_get(snap, "parent-snapshot-id");
    const json_t *seq = json_object_get(snap, "sequence-number");
    const json_t *op = json_object_get(summary, "operation");
    json_int_t ms = json_integer_value(json_object_get(snap, "timestamp-ms"));
    char when[64];
    api_table_format_ms(ms, when, sizeof when);
    return json_pack("{s:o,s:o,s:o,s:I,s:s,s:o,s:o,s:o}", "snapshot_id",
                     or_null(json_object_get(snap, "snapshot-id")), "parent_snapshot_id",
                     or_null(parent), "sequence_number", or_null(seq), "timestamp_ms", ms,
                     "timestamp", when, "operation", or_null(op), "schema_id",
                     or_null(json_object_get(snap, "schema-id")), "summary",
                     api_table_summary_json(summary));
}

static json_t *table_json(const ls_api_request *req, const ls_table_open *t)
{
    const json_t *md = ls_iceberg_metadata_json(t->metadata);
    const json_t *schemas = json_object_get(md, "schemas");
    const json_t *current =
        find_by_id(schemas, "schema-id", json_object_get(md, "current-schema-id"));
    const json_t *snap = ls_iceberg_metadata_snapshot(t->metadata, -1);
    json_t *history = json_array();
    size_t i;
    const json_t *s;
    json_array_foreach(schemas, i, s) json_array_append_new(history, schema_json(s));
    if (!current) /* v1 files may hold a single "schema" instead of "schemas" */
        current = json_object_get(md, "schema");
    return json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:i,s:o,s:o,s:o,s:o,s:o,s:I}", "database", api_param(req, "db"),
        "name", api_param(req, "table"), "format", t->pointer.format, "location",
        t->pointer.location, "metadata_location", t->pointer.metadata_location, "format_version",
        ls_iceberg_metadata_format_version(t->metadata), "table_uuid",
        or_null(json_object_get(md, "table-uuid")), "schema",
        current ? schema_json(current) : json_null(), "schemas", history, "partition_spec",
        spec_json(md), "current_snapshot", snap ? snapshot_json(snap) : json_null(),
        "last_updated_ms", (json_int_t)ls_iceberg_metadata_last_updated_ms(t->metadata));
}

ls_code api_table_get(ls_api_request *req, ls_error *err)
{
    ls_table_open table;
    json_t *body = NULL;
    ls_code rc = api_table_open_route(req, &table, err);
    if (!rc && !table.metadata) {
        rc = api_paimon_table_json(req, &table, &body, err);
    } else if (!rc) {
        body = table_json(req, &table);
        if (!body)
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    }
    ls_table_read_close(&table);
    return rc ? rc : api_reply_json(req, 200, body, err);
}

/* {"items": every snapshot of the Iceberg metadata, oldest first}. */
static ls_code iceberg_snapshots_json(const ls_table_open *table, json_t **out, ls_error *err)
{
    size_t i;
    const json_t *snap;
    json_t *items = json_array();
    const json_t *md = ls_iceberg_metadata_json(table->metadata);
    json_array_foreach(json_object_get(md, "snapshots"), i, snap)
    {
        json_t *item = items ? snapshot_json(snap) : NULL;
        if (!item || json_array_append_new(items, item)) {
            json_decref(items);
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        }
    }
    *out = json_pack("{s:o}", "items", items);
    return *out ? LS_OK : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
}

ls_code api_table_snapshots(ls_api_request *req, ls_error *err)
{
    ls_table_open table;
    json_t *body = NULL;
    ls_code rc = api_table_open_route(req, &table, err);
    if (!rc)
        rc = table.metadata ? iceberg_snapshots_json(&table, &body, err)
                            : api_paimon_snapshots_json(&table, &body, err);
    ls_table_read_close(&table);
    return rc ? rc : api_reply_json(req, 200, body, err);
}

/* ---- preview ------------------------------------------------------------ */

__extension__ typedef unsigned __int128 decimal_magnitude;

json_t *api_table_decimal_json(ls_int128 unscaled, int scale)
{
    char digits[48], out[56];
    size_t n = 0, o = 0;
    bool negative = unscaled < 0;
    /* Negated as unsigned: the most negative value has no positive twin. */
    decimal_magnitude v =
        negative ? (decimal_magnitude)0 - (decimal_magnitude)unscaled : (decimal_magnitude)unscaled;
    do {
        digits[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v && n < sizeof digits);
    while ((int)n <= scale) /* at least one digit before the point */
        digits[n++] = '0';
    if (negative)
        out[o++] = '-';
    while (n > 0) {
        if ((int)n == scale)
            out[o++] = '.';
        out[o++] = digits[--n];
    }
    out[o] = '\0';
    return json_string(out);
}

json_t *api_table_bytes_json(const uint8_t *data, size_t len, bool text)
{
    if (text) {
        json_t *s = json_stringn((const char *)data, len);
        if (s)
            return s;
    }
    /* Binary, or text that is not UTF-8: hex keeps it in JSON losslessly. */
    static const char hex[] = "0123456789abcdef";
    char *buf = malloc(len * 2 + 1);
    if (!buf)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        buf[2 * i] = hex[data[i] >> 4];
        buf[2 * i + 1] = hex[data[i] & 15];
    }
    json_t *out = json_stringn(buf, len * 2);
    free(buf);
    return out;
}

json_t *api_table_real_json(double v)
{
    if (isnan(v))
        return json_string("NaN");
    if (isinf(v))
        return json_string(v > 0 ? "Infinity" : "-Infinity");
    return json_real(v);
}

/* The value_index-th non-null value of col as typed JSON. */
static json_t *value_json(const ls_column *col, size_t value_index)
{
    const uint8_t *base = col->values.data;
    int32_t i32;
    int64_t i64;
    char text[64];
    switch (col->storage) {
    case LS_STORAGE_BOOL:
        return json_boolean(base[value_index]);
    case LS_STORAGE_INT32:
        memcpy(&i32, base + value_index * 4, 4);
        if (col->type.kind == LS_TYPE_DATE) {
            api_table_format_days(i32, text, sizeof text);
            return json_string(text);
        }
        if (col->type.kind == LS_TYPE_DECIMAL)
            return api_table_decimal_json(i32, col->type.scale);
        return json_integer(i32);
    case LS_STORAGE_INT64:
        memcpy(&i64, base + value_index * 8, 8);
        if (col->type.kind == LS_TYPE_TIMESTAMP || col->type.kind == LS_TYPE_TIMESTAMPTZ) {
            api_table_format_micros(i64, col->type.kind == LS_TYPE_TIMESTAMPTZ, text, sizeof text);
            return json_string(text);
        }
        if (col->type.kind == LS_TYPE_DECIMAL)
            return api_table_decimal_json(i64, col->type.scale);
        return json_integer((json_int_t)i64);
    case LS_STORAGE_FLOAT: {
        float f;
        memcpy(&f, base + value_index * 4, 4);
        return api_table_real_json(f);
    }
    case LS_STORAGE_DOUBLE: {
        double d;
        memcpy(&d, base + value_index * 8, 8);
        return api_table_real_json(d);
    }
    case LS_STORAGE_INT128: {
        ls_int128 v;
        memcpy(&v, base + value_index * sizeof v, sizeof v);
        return api_table_decimal_json(v, col->type.scale);
    }
    case LS_STORAGE_BYTES: {
        size_t len = 0;
        const uint8_t *data = ls_column_bytes_at(col, value_index, &len);
        return api_table_bytes_json(data, len, col->type.kind == LS_TYPE_STRING);
    }
    }
    return NULL;
}

/* The table schema's name for a file column: by field id, as Iceberg
 * readers resolve columns, so renamed columns show their current name. */
static const char *column_name(const json_t *schema, const ls_parquet_reader_column *c)
{
    size_t i;
    const json_t *field;
    if (!c->has_field_id)
        return c->name;
    json_array_foreach(json_object_get(schema, "fields"), i, field)
    {
        if (json_integer_value(json_object_get(field, "id")) == c->field_id)
            return json_string_value(json_object_get(field, "name"));
    }
    return NULL; /* a column dropped from the table schema */
}

/* Appends the batch's rows to rows as objects, up to limit rows in all. */
static ls_code append_rows(const ls_parquet_reader *reader, const ls_column_batch *batch,
                           const json_t *schema, json_t *rows, size_t limit, ls_error *err)
{
    /* Non-null values are dense per column: track each column's position. */
    size_t *value_index = calloc(batch->column_count + 1, sizeof *value_index);
    ls_code rc = LS_OK;
    if (!value_index)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    for (size_t r = 0; r < batch->row_count && json_array_size(rows) < limit && !rc; r++) {
        json_t *row = json_object();
        if (!row || json_array_append_new(rows, row)) {
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
            break;
        }
        for (size_t c = 0; c < batch->column_count && !rc; c++) {
            const ls_column *col = &batch->columns[c];
            const char *name = column_name(schema, ls_parquet_reader_column_at(reader, c));
            json_t *value =
                ls_column_is_valid(col, r) ? value_json(col, value_index[c]++) : json_null();
            if (!value)
                rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
            else if (name)
                json_object_set_new(row, name, value);
            else
                json_decref(value);
        }
    }
    free(value_index);
    return rc;
}

ls_code api_table_preview_file(ls_table_open *table, const char *path, const json_t *schema,
                               json_t *rows, size_t limit, ls_error *err)
{
    ls_table_object obj;
    ls_parquet_reader *reader = NULL;
    ls_column_batch *batch = NULL;
    ls_code rc = ls_table_read_object(table, path, &obj, err);
    if (rc)
        return rc;
    ls_parquet_reader_options options;
    ls_parquet_reader_options_init(&options);
    options.max_batch_bytes = PREVIEW_MAX_BATCH_BYTES;
    reader = ls_parquet_reader_open(&obj.source, &options, err);
    if (!reader)
        return err->code ? err->code : LS_ERR_FORMAT;
    batch = ls_parquet_reader_batch_new(reader, NULL, 0);
    if (!batch) {
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        goto out;
    }
    size_t groups = ls_parquet_reader_row_group_count(reader);
    for (size_t g = 0; g < groups && json_array_size(rows) < limit; g++) {
        rc = ls_parquet_reader_read_row_group(reader, g, NULL, 0, batch, err);
        if (!rc)
            rc = append_rows(reader, batch, schema, rows, limit, err);
        if (rc)
            goto out;
    }
out:
    ls_column_batch_free(batch);
    ls_parquet_reader_free(reader);
    return rc;
}

static ls_code preview_limit(const ls_api_request *req, size_t *limit, ls_error *err)
{
    const char *text = ls_http_request_query(req->http, "limit");
    *limit = PREVIEW_DEFAULT_ROWS;
    if (!text)
        return LS_OK;
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < 1 || v > PREVIEW_MAX_ROWS)
        return ls_error_set_field(err, LS_ERR_INVALID, "limit",
                                  "limit must be an integer from 1 to %d", PREVIEW_MAX_ROWS);
    *limit = (size_t)v;
    return LS_OK;
}

ls_code api_table_preview(ls_api_request *req, ls_error *err)
{
    ls_table_open table;
    ls_iceberg_scan *scan = NULL;
    json_t *rows = json_array();
    size_t limit = 0;
    ls_code rc = preview_limit(req, &limit, err);
    memset(&table, 0, sizeof table);
    if (!rc && !rows)
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = api_table_open_route(req, &table, err);
    if (!rc && !table.metadata) {
        json_t *body = NULL;
        rc = api_paimon_preview_json(&table, limit, &body, err);
        if (!rc)
            rc = api_reply_json(req, 200, body, err);
        goto out;
    }
    if (!rc)
        rc = ls_table_read_scan(&table, &scan, err);
    if (rc)
        goto out;
    const json_t *md = ls_iceberg_metadata_json(table.metadata);
    const json_t *schema = find_by_id(json_object_get(md, "schemas"), "schema-id",
                                      json_object_get(md, "current-schema-id"));
    if (!schema)
        schema = json_object_get(md, "schema");
    /* Delete files would change which rows are live; we never write them,
     * and a preview that ignored them would show deleted rows. */
    if (scan->delete_file_count) {
        rc = ls_error_set(err, LS_ERR_UNPROCESSABLE,
                          "the table has delete files, which the preview cannot apply yet");
        goto out;
    }
    for (size_t i = 0; i < scan->file_count && json_array_size(rows) < limit; i++) {
        rc = api_table_preview_file(&table, scan->files[i].path, schema, rows, limit, err);
        if (rc)
            goto out;
    }
    rc = api_reply_json(
        req, 200,
        json_pack("{s:o,s:o}", "snapshot_id",
                  scan->snapshot_id > 0 ? json_integer(scan->snapshot_id) : json_null(), "rows",
                  rows),
        err);
    rows = NULL;
out:
    json_decref(rows);
    ls_iceberg_scan_free(scan);
    ls_table_read_close(&table);
    return rc;
}
