/*
 * The data files of a table's current snapshot (REST API), for Iceberg and
 * Paimon tables alike: each file's path, partition values, record count and
 * size, and for Iceberg the snapshot that added it. Also the table's storage
 * usage (bytes and files of the current snapshot) for a job's metrics.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_handlers.h"
#include "api_json.h"
#include "api_tables.h"
#include "api_usage_cache.h"
#include "paimon_binaryrow.h"
#include "paimon_objstore.h"

/* ---- Iceberg partition values ------------------------------------------ */

/* The object of array whose key equals the integer id, or NULL. */
static const json_t *find_by_int(const json_t *array, const char *key, json_int_t id)
{
    size_t i;
    const json_t *item;
    json_array_foreach(array, i, item)
    {
        const json_t *v = json_object_get(item, key);
        if (json_is_integer(v) && json_integer_value(v) == id)
            return item;
    }
    return NULL;
}

/* The type text of the field with id in the table's schemas, newest first
 * ("" when unknown): a partition's source may have left the current one. */
static const char *source_type(const json_t *md, json_int_t field_id)
{
    const json_t *schemas = json_object_get(md, "schemas");
    for (size_t i = json_array_size(schemas); i-- > 0;) {
        const json_t *f =
            find_by_int(json_object_get(json_array_get(schemas, i), "fields"), "id", field_id);
        if (f)
            return json_is_string(json_object_get(f, "type"))
                       ? json_string_value(json_object_get(f, "type"))
                       : "";
    }
    return "";
}

/* The scale S of "decimal(P, S)", 0 when the text is not one. */
static int decimal_scale(const char *type)
{
    const char *comma = strncmp(type, "decimal(", 8) == 0 ? strchr(type, ',') : NULL;
    long scale = comma ? strtol(comma + 1, NULL, 10) : 0;
    return scale >= 0 && scale <= 38 ? (int)scale : 0;
}

/* An int result of the year, month or hour transform as Iceberg writes it
 * in partition paths ("2026", "2026-11", "2026-11-23-10"); else NULL. */
static json_t *time_ordinal_json(const char *transform, int32_t v)
{
    char text[48];
    if (strcmp(transform, "year") == 0) {
        snprintf(text, sizeof text, "%04" PRId64, (int64_t)1970 + v);
    } else if (strcmp(transform, "month") == 0) {
        /* Floor division: months before 1970 count back. */
        int64_t years = v >= 0 ? v / 12 : -((-(int64_t)v + 11) / 12);
        snprintf(text, sizeof text, "%04" PRId64 "-%02" PRId64, 1970 + years,
                 (int64_t)v - years * 12 + 1);
    } else if (strcmp(transform, "hour") == 0) {
        char stamp[64];
        api_table_format_micros((int64_t)v * 3600000000LL, false, stamp, sizeof stamp);
        snprintf(text, sizeof text, "%.10s-%.2s", stamp, stamp + 11);
    } else {
        return NULL;
    }
    return json_string(text);
}

/* One partition value as JSON, typed by its Avro kind, logical type and the
 * source column's type. */
static json_t *iceberg_value_json(const ls_iceberg_read_partition *p, const char *transform,
                                  const char *type)
{
    char text[64];
    const ls_iceberg_value *v = &p->value;
    switch (p->kind) {
    case LS_AVRO_NULL:
        return json_null();
    case LS_AVRO_BOOLEAN:
        return json_boolean(v->u.boolean);
    case LS_AVRO_INT:
        if (p->logical_type && strcmp(p->logical_type, "date") == 0) {
            api_table_format_days(v->u.i32, text, sizeof text);
            return json_string(text);
        }
        json_t *ordinal = time_ordinal_json(transform, v->u.i32);
        return ordinal ? ordinal : json_integer(v->u.i32);
    case LS_AVRO_LONG:
        if (p->logical_type && strcmp(p->logical_type, "timestamp-micros") == 0) {
            api_table_format_micros(v->u.i64, strcmp(type, "timestamptz") == 0, text, sizeof text);
            return json_string(text);
        }
        return json_integer((json_int_t)v->u.i64);
    case LS_AVRO_FLOAT:
        return api_table_real_json(v->u.f32);
    case LS_AVRO_DOUBLE:
        return api_table_real_json(v->u.f64);
    case LS_AVRO_STRING:
    case LS_AVRO_BYTES:
        return api_table_bytes_json(v->u.bytes.data, v->u.bytes.len, p->kind == LS_AVRO_STRING);
    case LS_AVRO_FIXED:
        return api_table_decimal_json(v->u.unscaled, decimal_scale(type));
    default:
        return json_null();
    }
}

/* {"<partition field name>": value, ...} by the file's own spec. */
static json_t *iceberg_partition_json(const json_t *md, const ls_iceberg_live_file *f)
{
    const json_t *spec = find_by_int(json_object_get(md, "partition-specs"), "spec-id", f->spec_id);
    const json_t *fields = json_object_get(spec, "fields");
    json_t *out = json_object();
    for (size_t k = 0; out && k < f->partition_count; k++) {
        const json_t *pf = json_array_get(fields, k);
        const char *name = json_string_value(json_object_get(pf, "name"));
        const char *transform = json_string_value(json_object_get(pf, "transform"));
        char fallback[32];
        if (!name) { /* a spec we cannot find: name by position */
            snprintf(fallback, sizeof fallback, "%zu", k);
            name = fallback;
        }
        const char *type = source_type(md, json_integer_value(json_object_get(pf, "source-id")));
        json_t *value = iceberg_value_json(&f->partition[k], transform ? transform : "", type);
        if (!value || json_object_set_new(out, name, value)) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static const char *content_name(int32_t content)
{
    return content == 0 ? "data" : content == 1 ? "position_deletes" : "equality_deletes";
}

static json_t *iceberg_file_json(const json_t *md, const ls_iceberg_live_file *f)
{
    json_t *partition = iceberg_partition_json(md, f);
    if (!partition)
        return NULL;
    return json_pack("{s:s,s:s,s:o,s:I,s:I,s:I,s:i,s:I}", "path", f->path, "content",
                     content_name(f->content), "partition", partition, "record_count",
                     (json_int_t)f->record_count, "file_size_bytes", (json_int_t)f->file_size_bytes,
                     "added_snapshot_id", (json_int_t)f->added_snapshot_id, "spec_id",
                     (int)f->spec_id, "sequence_number", (json_int_t)f->sequence_number);
}

/* ---- Paimon partition values ------------------------------------------- */

static json_t *paimon_value_json(ls_paimon_type type, const ls_paimon_datum *d)
{
    char text[64];
    if (d->is_null)
        return json_null();
    switch (type.kind) {
    case LS_PAIMON_BOOLEAN:
        return json_boolean(d->v.b);
    case LS_PAIMON_TINYINT:
    case LS_PAIMON_SMALLINT:
    case LS_PAIMON_INT:
        return json_integer(d->v.i32);
    case LS_PAIMON_DATE:
        api_table_format_days(d->v.i32, text, sizeof text);
        return json_string(text);
    case LS_PAIMON_BIGINT:
        return json_integer((json_int_t)d->v.i64);
    case LS_PAIMON_FLOAT:
        return api_table_real_json(d->v.f32);
    case LS_PAIMON_DOUBLE:
        return api_table_real_json(d->v.f64);
    case LS_PAIMON_DECIMAL:
        return api_table_decimal_json(d->v.unscaled, type.scale);
    case LS_PAIMON_STRING:
    case LS_PAIMON_BYTES:
        return api_table_bytes_json(d->v.bytes.data, d->v.bytes.len, type.kind == LS_PAIMON_STRING);
    case LS_PAIMON_TIMESTAMP:
    case LS_PAIMON_TIMESTAMP_LTZ: {
        int64_t micros = d->v.ts.millis * 1000 + d->v.ts.nanos_of_milli / 1000;
        api_table_format_micros(micros, type.kind == LS_PAIMON_TIMESTAMP_LTZ, text, sizeof text);
        return json_string(text);
    }
    }
    return json_null();
}

/* The table's partition keys with their types, to decode every file's
 * serialized partition row. */
typedef struct paimon_keys {
    size_t count;
    ls_paimon_type *types;
    ls_paimon_datum *values;
} paimon_keys;

static ls_code paimon_keys_init(paimon_keys *keys, const ls_paimon_schema *schema, ls_error *err)
{
    keys->count = schema->partition_key_count;
    keys->types = calloc(keys->count ? keys->count : 1, sizeof *keys->types);
    keys->values = calloc(keys->count ? keys->count : 1, sizeof *keys->values);
    if (!keys->types || !keys->values)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    return ls_paimon_schema_partition_types(schema, keys->types, err);
}

static void paimon_keys_cleanup(paimon_keys *keys)
{
    free(keys->types);
    free(keys->values);
}

static ls_code paimon_partition_json(const ls_paimon_schema *schema, paimon_keys *keys,
                                     const ls_paimon_manifest_entry *e, json_t **out, ls_error *err)
{
    *out = NULL;
    ls_code rc = ls_paimon_binaryrow_deserialize(e->partition.data, e->partition.len, keys->types,
                                                 keys->count, keys->values, err);
    if (rc)
        return rc;
    json_t *obj = json_object();
    for (size_t k = 0; obj && k < keys->count; k++) {
        json_t *value = paimon_value_json(keys->types[k], &keys->values[k]);
        if (!value || json_object_set_new(obj, schema->partition_keys[k], value)) {
            json_decref(obj);
            obj = NULL;
        }
    }
    *out = obj;
    return obj ? LS_OK : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
}

/* A live file's full URI: Paimon paths are relative to the table root
 * unless the file lies outside it (external_path). */
static json_t *paimon_path_json(const char *location, const ls_paimon_live_file *f)
{
    if (f->entry.file.external_path)
        return json_string(f->path);
    size_t n = strlen(location);
    while (n > 0 && location[n - 1] == '/')
        n--;
    size_t size = n + strlen(f->path) + 2;
    char *uri = malloc(size);
    if (!uri)
        return NULL;
    snprintf(uri, size, "%.*s/%s", (int)n, location, f->path);
    json_t *out = json_string(uri);
    free(uri);
    return out;
}

static ls_code paimon_file_json(const char *location, const ls_paimon_table *t, paimon_keys *keys,
                                const ls_paimon_live_file *f, json_t **out, ls_error *err)
{
    json_t *partition = NULL;
    ls_code rc = paimon_partition_json(&t->schema, keys, &f->entry, &partition, err);
    if (rc)
        return rc;
    *out = json_pack("{s:o*,s:s,s:o,s:I,s:I,s:n,s:i,s:i,s:I}", "path",
                     paimon_path_json(location, f), "content", "data", "partition", partition,
                     "record_count", (json_int_t)f->entry.file.row_count, "file_size_bytes",
                     (json_int_t)f->entry.file.file_size, "added_snapshot_id", "bucket",
                     (int)f->entry.bucket, "level", (int)f->entry.file.level, "schema_id",
                     (json_int_t)f->entry.file.schema_id);
    return *out ? LS_OK : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
}

/* ---- the list ------------------------------------------------------------ */

static json_t *usage_json(const api_table_usage *usage);

/* A page of a table's files: items [after, after + page_size) of all. */
typedef struct files_page {
    int64_t page_size, after;
    json_t *items;
    api_table_usage usage;
} files_page;

static bool in_page(const files_page *page, size_t i)
{
    return (int64_t)i >= page->after && (int64_t)i < page->after + page->page_size;
}

static ls_code iceberg_files(ls_table_open *table, files_page *page, ls_error *err)
{
    ls_iceberg_scan *scan = NULL;
    ls_code rc = ls_table_read_scan(table, &scan, err);
    if (rc)
        return rc;
    const json_t *md = ls_iceberg_metadata_json(table->metadata);
    page->usage.snapshot_id = scan->snapshot_id > 0 ? scan->snapshot_id : -1;
    for (size_t i = 0; i < scan->file_count; i++) {
        const ls_iceberg_live_file *f = &scan->files[i];
        page->usage.files++;
        page->usage.bytes += f->file_size_bytes;
        page->usage.records += f->content == 0 ? f->record_count : 0;
        if (!in_page(page, i))
            continue;
        json_t *item = iceberg_file_json(md, f);
        if (!item || json_array_append_new(page->items, item)) {
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
            break;
        }
    }
    ls_iceberg_scan_free(scan);
    return rc;
}

static ls_code paimon_files(ls_table_open *table, files_page *page, ls_error *err)
{
    ls_paimon_table *t = NULL;
    paimon_keys keys = {0};
    ls_paimon_storage storage = ls_paimon_storage_for_objstore(table->store);
    ls_code rc = ls_paimon_table_read(&storage, &t, err);
    if (!rc)
        rc = paimon_keys_init(&keys, &t->schema, err);
    if (rc)
        goto out;
    page->usage.snapshot_id = t->has_snapshot ? t->snapshot.id : -1;
    for (size_t i = 0; i < t->file_count && !rc; i++) {
        const ls_paimon_live_file *f = &t->files[i];
        page->usage.files++;
        page->usage.bytes += f->entry.file.file_size;
        page->usage.records += f->entry.file.row_count;
        if (!in_page(page, i))
            continue;
        json_t *item = NULL;
        rc = paimon_file_json(table->pointer.location, t, &keys, f, &item, err);
        if (!rc && json_array_append_new(page->items, item))
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    }
out:
    paimon_keys_cleanup(&keys);
    ls_paimon_table_free(t);
    return rc;
}

/* Lists the open table's live files into page (either format). */
static ls_code table_files(ls_table_open *table, files_page *page, ls_error *err)
{
    memset(&page->usage, 0, sizeof page->usage);
    return table->metadata ? iceberg_files(table, page, err) : paimon_files(table, page, err);
}

ls_code api_table_files(ls_api_request *req, ls_error *err)
{
    ls_table_open table;
    files_page page = {.items = json_array()};
    ls_code rc = api_page_params(req, &page.page_size, &page.after, err);
    memset(&table, 0, sizeof table);
    if (!rc && !page.items)
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = api_table_open_route(req, &table, err);
    if (!rc)
        rc = table_files(&table, &page, err);
    ls_table_read_close(&table);
    if (rc) {
        json_decref(page.items);
        return rc;
    }
    bool more = page.after + page.page_size < page.usage.files;
    json_t *body = api_page_body(page.items, more, page.after + page.page_size);
    /* Page tokens are positions in this snapshot's list: a client that sees
     * snapshot_id change between pages starts again. */
    json_t *extra = body ? usage_json(&page.usage) : NULL;
    if (extra && json_object_set_new(extra, "format", json_string(table.pointer.format)))
        json_decref(extra), extra = NULL;
    if (!extra || json_object_update_new(body, extra)) {
        json_decref(body);
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    }
    return api_reply_json(req, 200, body, err);
}

/* An Iceberg summary's integer (Iceberg writes numbers as strings), or -1. */
static int64_t summary_int(const json_t *summary, const char *key)
{
    const char *text = json_string_value(json_object_get(summary, key));
    char *end = NULL;
    long long v = text && *text ? strtoll(text, &end, 10) : -1;
    return text && *text && !*end && v >= 0 ? (int64_t)v : -1;
}

/* The current snapshot's totals from its summary; false when a writer left
 * them out (optional in the spec) and the manifests must be read. */
static bool usage_from_summary(const ls_iceberg_metadata *md, api_table_usage *out)
{
    const json_t *snap = ls_iceberg_metadata_snapshot(md, -1);
    const json_t *summary = json_object_get(snap, "summary");
    int64_t bytes = summary_int(summary, "total-files-size");
    int64_t data = summary_int(summary, "total-data-files");
    int64_t deletes = summary_int(summary, "total-delete-files");
    int64_t records = summary_int(summary, "total-records");
    memset(out, 0, sizeof *out);
    out->snapshot_id = -1;
    if (!snap)
        return true; /* no snapshot: nothing stored yet */
    if (bytes < 0 || data < 0 || records < 0)
        return false;
    out->snapshot_id = json_integer_value(json_object_get(snap, "snapshot-id"));
    out->bytes = bytes;
    out->files = data + (deletes > 0 ? deletes : 0);
    out->records = records;
    return true;
}

ls_code api_table_usage_read(ls_api *api, const char *database, const char *table,
                             api_table_usage *out, ls_error *err)
{
    ls_table_pointer pointer;
    ls_table_open open;
    files_page page = {0}; /* page_size 0: totals only */
    memset(&open, 0, sizeof open);
    ls_code rc = ls_table_read_pointer(api->store, database, table, &pointer, err);
    if (rc)
        return rc;
    /* Only a pointer a commit set keys the cache: before the first one an
     * empty pointer says nothing about the table's files. */
    bool cacheable = api->usage_cache && pointer.metadata_location[0];
    if (cacheable &&
        api_usage_cache_get(api->usage_cache, database, table, pointer.metadata_location, out))
        return LS_OK;
    rc = ls_table_read_open_pointer(api->store, &api->key, database, table, &pointer, &open, err);
    if (!rc && !(open.metadata && usage_from_summary(open.metadata, &page.usage)))
        rc = table_files(&open, &page, err);
    ls_table_read_close(&open);
    *out = page.usage;
    if (!rc && cacheable) /* errors are not kept: the next poll tries again */
        api_usage_cache_put(api->usage_cache, database, table, pointer.metadata_location, out);
    return rc;
}

static json_t *usage_json(const api_table_usage *usage)
{
    return json_pack("{s:o,s:I,s:I,s:I}", "snapshot_id",
                     usage->snapshot_id > 0 ? json_integer(usage->snapshot_id) : json_null(),
                     "file_count", (json_int_t)usage->files, "total_file_size_bytes",
                     (json_int_t)usage->bytes, "total_record_count", (json_int_t)usage->records);
}
