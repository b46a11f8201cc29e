/*
 * The table endpoints for Paimon tables, in the shapes of the Iceberg ones
 * (api_tables.c dispatches here), read from the table's own files through
 * paimon_read.h: every schema/schema-<N> for the schema history (so schemas
 * added by evolution show up), snapshot/snapshot-<N> for the snapshots, and
 * the live data files of the latest snapshot for the preview. Schema and
 * snapshot files are shown as written (raw JSON), so types lakesync cannot
 * write still display.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_tables.h"
#include "paimon_objstore.h"

/* A snapshot list reads one object per snapshot: keep a request bounded. */
#define SNAPSHOTS_MAX 500
#define NOT_NULL_SUFFIX " NOT NULL"

static ls_code nomem(ls_error *err)
{
    return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
}

static json_t *or_null(const json_t *value)
{
    return value ? json_incref((json_t *)value) : json_null();
}

/* Reads a metadata object as JSON; LS_ERR_NOT_FOUND passes through. */
static ls_code read_json(const ls_paimon_storage *st, const char *path, json_t **out,
                         ls_error *err)
{
    ls_buf buf;
    json_error_t parse;
    ls_buf_init(&buf, LS_PAIMON_MAX_JSON_BYTES);
    *out = NULL;
    ls_code rc = st->read(st->ctx, path, &buf, err);
    if (!rc) {
        *out = json_loadb((const char *)buf.data, buf.len, 0, &parse);
        if (!*out)
            rc = ls_error_set(err, LS_ERR_FORMAT, "%s is not JSON: %s", path, parse.text);
    }
    ls_buf_cleanup(&buf);
    return rc;
}

/* Reads "<dir>/<dir>-<id>"; *out stays NULL when it is gone (a snapshot
 * expired between the listing and the read). */
static ls_code read_numbered(const ls_paimon_storage *st, const char *dir, int64_t id,
                             json_t **out, ls_error *err)
{
    char path[64];
    ls_error local;
    ls_error_clear(&local);
    snprintf(path, sizeof path, "%s/%s-%" PRId64, dir, dir, id);
    ls_code rc = read_json(st, path, out, &local);
    if (rc == LS_ERR_NOT_FOUND)
        return LS_OK;
    return rc ? ls_error_set(err, rc, "%s", local.message) : LS_OK;
}

/* A field as the Iceberg endpoints show one. Paimon writes nullability into
 * the type ("BIGINT NOT NULL"; a nested type's in its "type" member): the
 * suffix becomes required = true and leaves a plain type string. */
static json_t *field_json(const json_t *field)
{
    const json_t *type = json_object_get(field, "type");
    const char *text = json_string_value(json_is_object(type) ? json_object_get(type, "type")
                                                              : type);
    size_t len = text ? strlen(text) : 0, suffix = strlen(NOT_NULL_SUFFIX);
    bool required = len > suffix && strcmp(text + len - suffix, NOT_NULL_SUFFIX) == 0;
    json_t *shown = json_is_string(type) && required ? json_stringn(text, len - suffix)
                                                     : or_null(type);
    return json_pack("{s:o,s:o,s:o,s:b}", "id", or_null(json_object_get(field, "id")), "name",
                     or_null(json_object_get(field, "name")), "type", shown, "required",
                     required);
}

static json_t *schema_json(const json_t *schema)
{
    json_t *fields = json_array();
    size_t i;
    const json_t *field;
    json_array_foreach(json_object_get(schema, "fields"), i, field)
        json_array_append_new(fields, field_json(field));
    return json_pack("{s:o,s:o}", "schema_id", or_null(json_object_get(schema, "id")), "fields",
                     fields);
}

/* Iceberg-shaped partition spec: Paimon partitions by column values, so
 * each key is an identity field of the column it names. */
static json_t *spec_json(const json_t *schema)
{
    json_t *fields = json_array();
    size_t i, j;
    const json_t *key, *field;
    json_array_foreach(json_object_get(schema, "partitionKeys"), i, key)
    {
        const json_t *source = NULL;
        json_array_foreach(json_object_get(schema, "fields"), j, field)
        {
            if (json_equal(json_object_get(field, "name"), key))
                source = json_object_get(field, "id");
        }
        json_array_append_new(fields, json_pack("{s:o,s:n,s:O,s:s}", "source_id",
                                                or_null(source), "field_id", "name", key,
                                                "transform", "identity"));
    }
    return json_pack("{s:n,s:o}", "spec_id", "fields", fields);
}

/* A snapshot in the Iceberg endpoints' shape: commitKind is the operation,
 * the properties (lakesync.offsets parsed) are the summary, with the record
 * counts under Iceberg's summary names too; Paimon's own fields follow. */
static json_t *snapshot_json(const json_t *snap)
{
    json_int_t id = json_integer_value(json_object_get(snap, "id"));
    json_int_t ms = json_integer_value(json_object_get(snap, "timeMillis"));
    const json_t *total = json_object_get(snap, "totalRecordCount");
    const json_t *delta = json_object_get(snap, "deltaRecordCount");
    char when[64], number[32];
    api_table_format_ms(ms, when, sizeof when);
    json_t *summary = api_table_summary_json(json_object_get(snap, "properties"));
    if (summary && json_is_integer(total)) {
        snprintf(number, sizeof number, "%" JSON_INTEGER_FORMAT, json_integer_value(total));
        json_object_set_new(summary, "total-records", json_string(number));
    }
    if (summary && json_is_integer(delta)) {
        snprintf(number, sizeof number, "%" JSON_INTEGER_FORMAT, json_integer_value(delta));
        json_object_set_new(summary, "added-records", json_string(number));
    }
    /* Paimon snapshot ids are consecutive: the parent of N is N - 1. */
    return json_pack("{s:I,s:o,s:n,s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "snapshot_id",
                     id, "parent_snapshot_id", id > 1 ? json_integer(id - 1) : json_null(),
                     "sequence_number", "timestamp_ms", ms, "timestamp", when, "operation",
                     or_null(json_object_get(snap, "commitKind")), "schema_id",
                     or_null(json_object_get(snap, "schemaId")), "summary", summary,
                     "commit_kind", or_null(json_object_get(snap, "commitKind")),
                     "total_record_count", or_null(total), "delta_record_count", or_null(delta),
                     "changelog_record_count",
                     or_null(json_object_get(snap, "changelogRecordCount")), "commit_user",
                     or_null(json_object_get(snap, "commitUser")), "commit_identifier",
                     or_null(json_object_get(snap, "commitIdentifier")));
}

/* Every schema file, oldest first, as history (schema_json shapes) and raw. */
static ls_code read_schemas(const ls_paimon_storage *st, const ls_table_open *t, json_t **raw,
                            json_t **history, ls_error *err)
{
    int64_t *ids = NULL;
    size_t count = 0;
    *raw = json_array();
    *history = json_array();
    ls_code rc = *raw && *history ? ls_paimon_schema_ids(st, &ids, &count, err) : nomem(err);
    for (size_t i = 0; !rc && i < count; i++) {
        json_t *schema = NULL;
        rc = read_numbered(st, "schema", ids[i], &schema, err);
        if (!rc && schema && (json_array_append_new(*history, schema_json(schema)) ||
                              json_array_append_new(*raw, schema)))
            rc = nomem(err);
    }
    free(ids);
    if (!rc && json_array_size(*raw) == 0)
        rc = ls_error_set(err, LS_ERR_NOT_FOUND, "table at %s has no schema file yet",
                          t->pointer.location);
    return rc;
}

/* When the table last changed: its newest schema or latest snapshot. */
static json_int_t last_updated_ms(const json_t *newest_schema, const json_t *snap)
{
    json_int_t schema_ms = json_integer_value(json_object_get(newest_schema, "timeMillis"));
    json_int_t snap_ms = json_integer_value(json_object_get(snap, "timeMillis"));
    return snap_ms > schema_ms ? snap_ms : schema_ms;
}

ls_code api_paimon_table_json(const ls_api_request *req, ls_table_open *t, json_t **out,
                              ls_error *err)
{
    ls_paimon_storage st = ls_paimon_storage_for_objstore(t->store);
    json_t *raw = NULL, *history = NULL, *snap = NULL;
    int64_t latest = 0;
    *out = NULL;
    ls_code rc = read_schemas(&st, t, &raw, &history, err);
    if (!rc)
        rc = ls_paimon_latest_snapshot_id(&st, &latest, err);
    if (!rc && latest > 0)
        rc = read_numbered(&st, "snapshot", latest, &snap, err);
    if (rc)
        goto out;
    /* Paimon's current schema is its newest schema file (SchemaManager#latest),
     * not the latest snapshot's: a schema change lands before the next
     * snapshot, and a table with no snapshot has a schema too. raw is in id
     * order. */
    const json_t *current = json_array_get(raw, json_array_size(raw) - 1);
    const json_t *keys = json_object_get(current, "partitionKeys");
    *out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:n,s:n,s:o,s:O,s:o,s:o,s:o,s:I}", "database",
                     api_param(req, "db"), "name", api_param(req, "table"), "format",
                     t->pointer.format, "location", t->pointer.location, "metadata_location",
                     t->pointer.metadata_location, "format_version", "table_uuid", "schema",
                     schema_json(current), "schemas", history, "partition_spec",
                     spec_json(current), "partition_keys",
                     json_is_array(keys) ? json_incref((json_t *)keys) : json_array(),
                     "current_snapshot", snap ? snapshot_json(snap) : json_null(),
                     "last_updated_ms", last_updated_ms(current, snap));
    if (!*out)
        rc = nomem(err);
out:
    json_decref(raw);
    json_decref(history);
    json_decref(snap);
    return rc;
}

ls_code api_paimon_snapshots_json(ls_table_open *t, json_t **out, ls_error *err)
{
    ls_paimon_storage st = ls_paimon_storage_for_objstore(t->store);
    int64_t *ids = NULL;
    size_t count = 0;
    json_t *items = json_array();
    *out = NULL;
    ls_code rc = items ? ls_paimon_snapshot_ids(&st, &ids, &count, err) : nomem(err);
    size_t first = count > SNAPSHOTS_MAX ? count - SNAPSHOTS_MAX : 0;
    for (size_t i = first; !rc && i < count; i++) {
        json_t *snap = NULL, *item = NULL;
        rc = read_numbered(&st, "snapshot", ids[i], &snap, err);
        if (!rc && snap && (!(item = snapshot_json(snap)) || json_array_append_new(items, item)))
            rc = nomem(err);
        json_decref(snap);
    }
    free(ids);
    if (!rc && !(*out = json_pack("{s:o,s:b}", "items", items, "truncated", first > 0)))
        rc = nomem(err);
    if (rc && !*out)
        json_decref(items);
    return rc;
}

/* {"fields":[{"id","name"}]} of a schema, for api_table_preview_file. */
static json_t *preview_schema(const ls_paimon_schema *schema)
{
    json_t *fields = json_array();
    for (size_t i = 0; fields && i < schema->field_count; i++)
        json_array_append_new(fields, json_pack("{s:i,s:s}", "id", schema->fields[i].id, "name",
                                                schema->fields[i].name));
    return json_pack("{s:o}", "fields", fields);
}

/* Marks a timestamp text as an instant ("Z") or a local time (no zone). */
static void set_zone(json_t *row, const char *name, bool instant)
{
    const char *text = json_string_value(json_object_get(row, name));
    size_t len = text ? strlen(text) : 0;
    if (!len || (text[len - 1] == 'Z') == instant)
        return;
    char fixed[64];
    if (instant)
        snprintf(fixed, sizeof fixed, "%s%s", text, "Z");
    else
        snprintf(fixed, sizeof fixed, "%.*s", (int)(len - 1), text);
    json_object_set_new(row, name, json_string(fixed));
}

/* Reads rows as Paimon does: a column a data file lacks (added after it was
 * written) is null, and the table's type says whether a timestamp is an
 * instant (Parquet INT96 columns carry no UTC flag of their own). */
static void align_rows(json_t *rows, const ls_paimon_schema *schema)
{
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        for (size_t f = 0; f < schema->field_count; f++) {
            const ls_paimon_field *field = &schema->fields[f];
            if (!json_object_get(row, field->name))
                json_object_set_new(row, field->name, json_null());
            else if (field->type.kind == LS_PAIMON_TIMESTAMP ||
                     field->type.kind == LS_PAIMON_TIMESTAMP_LTZ)
                set_zone(row, field->name, field->type.kind == LS_PAIMON_TIMESTAMP_LTZ);
        }
    }
}

/* What the preview cannot apply refuses it: showing every row of the files
 * would show rows such a table does not hold. */
static ls_code check_previewable(const ls_paimon_table *pt, ls_error *err)
{
    if (pt->schema.primary_key_count)
        return ls_error_set(err, LS_ERR_UNPROCESSABLE,
                            "the table has primary keys, whose rows the preview cannot merge");
    if (pt->has_snapshot && pt->snapshot.index_manifest)
        return ls_error_set(err, LS_ERR_UNPROCESSABLE,
                            "the table has an index manifest (deletion vectors), which the "
                            "preview cannot apply yet");
    return LS_OK;
}

ls_code api_paimon_preview_json(ls_table_open *t, size_t limit, json_t **out, ls_error *err)
{
    ls_paimon_storage st = ls_paimon_storage_for_objstore(t->store);
    ls_paimon_table *pt = NULL;
    json_t *rows = json_array(), *schema = NULL;
    char uri[LS_TABLE_READ_URI_MAX * 2];
    size_t root = strlen(t->pointer.location);
    while (root > 0 && t->pointer.location[root - 1] == '/')
        root--;
    *out = NULL;
    ls_code rc = rows ? ls_paimon_table_read(&st, &pt, err) : nomem(err);
    if (!rc)
        rc = check_previewable(pt, err);
    if (!rc && !(schema = preview_schema(&pt->schema)))
        rc = nomem(err);
    for (size_t i = 0; !rc && i < pt->file_count && json_array_size(rows) < limit; i++) {
        const ls_paimon_live_file *f = &pt->files[i];
        if (f->entry.file.external_path)
            snprintf(uri, sizeof uri, "%s", f->entry.file.external_path);
        else
            snprintf(uri, sizeof uri, "%.*s/%s", (int)root, t->pointer.location, f->path);
        rc = api_table_preview_file(t, uri, schema, rows, limit, err);
    }
    if (!rc) {
        align_rows(rows, &pt->schema);
        *out = json_pack("{s:o,s:O}", "snapshot_id",
                         pt->has_snapshot ? json_integer(pt->snapshot.id) : json_null(), "rows",
                         rows);
        if (!*out)
            rc = nomem(err);
    }
    json_decref(rows);
    json_decref(schema);
    ls_paimon_table_free(pt);
    return rc;
}
