/*
 * paimon_ls TABLE_DIR [SNAPSHOT_ID]
 *
 * Reads a Paimon table's metadata with lakesync's reader and prints one JSON
 * object: snapshot ids, schema, and the live data files with their paths
 * (relative to TABLE_DIR), partition values, buckets and row counts. Used by
 * tests/e2e/paimon_*.test.mjs, which read the listed Parquet files with
 * independent readers. Exit status 1 with a message on stderr on failure.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paimon_read.h"

static json_t *datum_json(const ls_paimon_type *t, const ls_paimon_datum *d)
{
    char text[64];
    if (d->is_null)
        return json_null();
    switch (t->kind) {
    case LS_PAIMON_BOOLEAN: return json_boolean(d->v.b);
    case LS_PAIMON_TINYINT:
    case LS_PAIMON_SMALLINT:
    case LS_PAIMON_INT:
    case LS_PAIMON_DATE: return json_integer(d->v.i32);
    case LS_PAIMON_BIGINT: return json_integer(d->v.i64);
    case LS_PAIMON_FLOAT: return json_real(d->v.f32);
    case LS_PAIMON_DOUBLE: return json_real(d->v.f64);
    case LS_PAIMON_STRING:
    case LS_PAIMON_BYTES: return json_stringn_nocheck((const char *)d->v.bytes.data, d->v.bytes.len);
    case LS_PAIMON_TIMESTAMP:
    case LS_PAIMON_TIMESTAMP_LTZ: return json_integer(d->v.ts.millis);
    case LS_PAIMON_DECIMAL:
        snprintf(text, sizeof text, "%" PRId64, (int64_t)d->v.unscaled);
        return json_string(text);
    }
    return json_null();
}

static void hex(const ls_paimon_bytes *b, char *out)
{
    for (size_t i = 0; i < b->len; i++)
        snprintf(out + 2 * i, 3, "%02x", b->data[i]);
    out[2 * b->len] = '\0';
}

static json_t *file_json(const ls_paimon_table *t, const ls_paimon_live_file *f,
                         ls_paimon_type *types, ls_paimon_datum *values, ls_error *err)
{
    json_t *o = json_object(), *part = json_object();
    size_t n = t->schema.partition_key_count;
    if (ls_paimon_binaryrow_deserialize(f->entry.partition.data, f->entry.partition.len, types, n,
                                        values, err))
        return NULL;
    for (size_t i = 0; i < n; i++)
        json_object_set_new(part, t->schema.partition_keys[i], datum_json(&types[i], &values[i]));
    char *phex = malloc(f->entry.partition.len * 2 + 1);
    hex(&f->entry.partition, phex);
    json_object_set_new(o, "path", json_string(f->path));
    json_object_set_new(o, "file_name", json_string(f->entry.file.file_name));
    json_object_set_new(o, "partition", part);
    json_object_set_new(o, "partition_hex", json_string(phex));
    json_object_set_new(o, "bucket", json_integer(f->entry.bucket));
    json_object_set_new(o, "total_buckets", json_integer(f->entry.total_buckets));
    json_object_set_new(o, "row_count", json_integer(f->entry.file.row_count));
    json_object_set_new(o, "file_size", json_integer(f->entry.file.file_size));
    json_object_set_new(o, "schema_id", json_integer(f->entry.file.schema_id));
    json_object_set_new(o, "min_sequence_number", json_integer(f->entry.file.min_sequence_number));
    json_object_set_new(o, "max_sequence_number", json_integer(f->entry.file.max_sequence_number));
    json_object_set_new(o, "file_source", json_integer(f->entry.file.file_source));
    free(phex);
    return o;
}

static json_t *table_json(const ls_paimon_table *t, ls_error *err)
{
    json_t *o = json_object(), *fields = json_array(), *files = json_array();
    json_t *keys = json_array();
    size_t n = t->schema.partition_key_count;
    ls_paimon_type *types = calloc(n + 1, sizeof *types);
    ls_paimon_datum *values = calloc(n + 1, sizeof *values);
    if (ls_paimon_schema_partition_types(&t->schema, types, err))
        return NULL;
    for (size_t i = 0; i < t->schema.field_count; i++) {
        char type[64];
        json_t *f = json_object();
        json_object_set_new(f, "id", json_integer(t->schema.fields[i].id));
        json_object_set_new(f, "name", json_string(t->schema.fields[i].name));
        json_object_set_new(f, "type", json_string(ls_paimon_type_format(t->schema.fields[i].type,
                                                                         type, sizeof type)));
        json_array_append_new(fields, f);
    }
    for (size_t i = 0; i < n; i++)
        json_array_append_new(keys, json_string(t->schema.partition_keys[i]));
    for (size_t i = 0; i < t->file_count; i++) {
        json_t *f = file_json(t, &t->files[i], types, values, err);
        if (!f)
            return NULL;
        json_array_append_new(files, f);
    }
    json_object_set_new(o, "latest_snapshot_id", json_integer(t->latest_snapshot_id));
    json_object_set_new(o, "earliest_snapshot_id", json_integer(t->earliest_snapshot_id));
    json_object_set_new(o, "snapshot_id", t->has_snapshot ? json_integer(t->snapshot.id) : json_null());
    json_object_set_new(o, "schema_id", json_integer(t->schema.id));
    json_object_set_new(o, "total_record_count",
                        t->has_snapshot ? json_integer(t->snapshot.total_record_count) : json_null());
    json_object_set_new(o, "row_count", json_integer(t->row_count));
    json_object_set_new(o, "fields", fields);
    json_object_set_new(o, "partition_keys", keys);
    json_object_set_new(o, "files", files);
    free(types);
    free(values);
    return o;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: paimon_ls TABLE_DIR [SNAPSHOT_ID]\n");
        return 2;
    }
    ls_error err;
    ls_error_clear(&err);
    ls_paimon_storage storage = ls_paimon_storage_for_dir(argv[1]);
    ls_paimon_table *table = NULL;
    ls_code rc = argc == 3 ? ls_paimon_table_read_snapshot(&storage, strtoll(argv[2], NULL, 10),
                                                           &table, &err)
                           : ls_paimon_table_read(&storage, &table, &err);
    json_t *out = rc == LS_OK ? table_json(table, &err) : NULL;
    if (!out) {
        fprintf(stderr, "paimon_ls: %s (%s)\n", err.message, err.field);
        ls_paimon_table_free(table);
        return 1;
    }
    char *text = json_dumps(out, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    puts(text);
    free(text);
    json_decref(out);
    ls_paimon_table_free(table);
    return 0;
}
