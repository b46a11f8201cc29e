#include "committer_paimon.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "committer_catalog.h"
#include "committer_request.h"
#include "dead_letter.h"
#include "iceberg_metadata.h"
#include "paimon_objstore.h"
#include "paimon_read.h"
#include "paimon_stats.h"
#include "paimon_value.h"
#include "util/log.h"

#define PATH_MAX_BYTES LS_CATALOG_PATH_MAX
#define SNAPSHOT_ATTEMPTS 3   /* plans per commit when another writer wins the snapshot race */
#define OFFSETS_MAX_HOPS 1000 /* older snapshots searched for lakesync.offsets */
#define FIRST_FIELD_ID 1      /* the worker writes Parquet field ids 1..n */

/* ---- the table pointer ------------------------------------------------ */


bool ls_committer_paimon_is_table(ls_store *store, const ls_table_ref *ref)
{
    ls_stmt *stmt = NULL;
    bool row = false;
    ls_error err;
    ls_error_clear(&err);
    if (ls_store_begin(store, &err))
        return false;
    if (!ls_stmt_prepare(store,
                         "SELECT 1 FROM tables WHERE database = ?1 AND name = ?2 AND "
                         "format = 'paimon'",
                         &stmt, &err)) {
        ls_stmt_bind_text(stmt, 1, ref->database);
        ls_stmt_bind_text(stmt, 2, ref->table);
        if (ls_stmt_step(stmt, &row, &err))
            row = false;
    }
    ls_stmt_free(stmt);
    ls_store_rollback(store);
    return row;
}

/* ---- creating --------------------------------------------------------- */

/* The job's schema as Paimon's schema-0: fields with the job's ids (the
 * worker writes them as Parquet field ids), all nullable, identity partition
 * fields as partition keys. */
static ls_code schema_from_job(const ls_iceberg_schema *schema,
                               const ls_iceberg_partition_spec *spec, ls_paimon_schema *out,
                               ls_error *err)
{
    ls_code rc = ls_paimon_schema_init_append(out, 0, ls_catalog_wall_ms(), err);
    if (rc)
        return rc;
    for (size_t i = 0; !rc && i < schema->field_count; i++) {
        const ls_iceberg_field *f = &schema->fields[i];
        if (f->id < FIRST_FIELD_ID || f->id <= out->highest_field_id)
            rc = ls_error_set(err, LS_ERR_INVALID, "field %s: ids must increase from %d", f->name,
                              FIRST_FIELD_ID);
        out->highest_field_id = f->id - 1; /* add_field takes the next id */
        if (!rc)
            rc = ls_paimon_schema_add_field(out, f->name, ls_paimon_type_from_ls(f->type, true),
                                            err);
    }
    for (size_t i = 0; !rc && i < spec->field_count; i++) {
        const ls_iceberg_field *source =
            ls_iceberg_schema_find_id(schema, spec->fields[i].source_id);
        if (spec->fields[i].transform.kind != LS_ICEBERG_IDENTITY || !source)
            rc = ls_error_set_field(err, LS_ERR_UNPROCESSABLE, "partition",
                                    "Paimon tables partition by column values only: use identity");
        else
            rc = ls_paimon_schema_add_partition_key(out, source->name, err);
    }
    if (rc)
        ls_paimon_schema_cleanup(out);
    return rc;
}

ls_code ls_committer_paimon_create(ls_store *store, const ls_table_ref *ref, const char *location,
                                   const ls_iceberg_schema *schema,
                                   const ls_iceberg_partition_spec *spec, ls_error *err)
{
    ls_paimon_schema paimon;
    ls_objstore *os = NULL;
    ls_buf json;
    char uri[PATH_MAX_BYTES + 32];
    ls_buf_init(&json, LS_PAIMON_MAX_JSON_BYTES);
    ls_code rc = schema_from_job(schema, spec, &paimon, err);
    if (rc)
        return rc;
    rc = ls_paimon_schema_to_json(&paimon, &json, err);
    if (!rc)
        rc = ls_catalog_open_storage(location, ref, &os, err);
    if (!rc)
        rc = ls_objstore_put_if_absent(os, "schema/schema-0", json.data, json.len, err);
    if (rc == LS_ERR_CONFLICT)
        rc = ls_error_set(err, LS_ERR_CONFLICT, "%s already holds a Paimon schema", location);
    if (!rc) {
        snprintf(uri, sizeof uri, "%s/schema/schema-0", location);
        rc = ls_catalog_insert(store, ref, "paimon", location, uri, err);
    }
    ls_objstore_free(os);
    ls_buf_cleanup(&json);
    ls_paimon_schema_cleanup(&paimon);
    return rc;
}

/* ---- reading the current state ---------------------------------------- */

/* The offsets of the newest snapshot that records them: the latest, or an
 * older one when a snapshot written by Paimon itself (a compaction) has none. */
static ls_code table_offsets(const ls_paimon_storage *st, const ls_paimon_table *t, ls_offsets *out,
                             ls_error *err)
{
    ls_offsets_init(out, "");
    if (!t->has_snapshot)
        return LS_OK;
    const char *text = ls_paimon_strmap_get(&t->snapshot.properties, LS_PAIMON_PROP_OFFSETS);
    if (text)
        return ls_offsets_parse(text, out, err);
    ls_buf buf;
    ls_buf_init(&buf, LS_PAIMON_MAX_JSON_BYTES);
    ls_code rc = LS_OK;
    for (int64_t id = t->snapshot.id - 1, hops = 0;
         !rc && id >= 1 && id >= t->earliest_snapshot_id && hops < OFFSETS_MAX_HOPS; id--, hops++) {
        char path[64];
        ls_paimon_snapshot snap;
        snprintf(path, sizeof path, "snapshot/snapshot-%" PRId64, id);
        ls_buf_reset(&buf);
        rc = st->read(st->ctx, path, &buf, err);
        if (!rc)
            rc = ls_paimon_snapshot_from_json((const char *)buf.data, buf.len, &snap, err);
        if (rc)
            break;
        text = ls_paimon_strmap_get(&snap.properties, LS_PAIMON_PROP_OFFSETS);
        if (text)
            rc = ls_offsets_parse(text, out, err);
        ls_paimon_snapshot_cleanup(&snap);
        if (text)
            break;
    }
    ls_buf_cleanup(&buf);
    return rc;
}

ls_code ls_committer_paimon_offsets(ls_store *store, const ls_table_ref *ref, ls_offsets *out,
                                    ls_error *err)
{
    ls_table_pointer t;
    ls_objstore *os = NULL;
    ls_paimon_table *table = NULL;
    ls_offsets_init(out, "");
    ls_code rc = ls_catalog_open(store, ref, "paimon", &t, &os, err);
    ls_paimon_storage st = ls_paimon_storage_for_objstore(os);
    if (!rc)
        rc = ls_paimon_table_read(&st, &table, err);
    if (!rc) {
        ls_offsets_cleanup(out);
        rc = table_offsets(&st, table, out, err);
    }
    ls_paimon_table_free(table);
    ls_objstore_free(os);
    return rc;
}

/* ---- decoding a request against the Paimon schema --------------------- */

/* The request decoder speaks Iceberg structs: mirror the Paimon schema as an
 * Iceberg schema with the same field ids and an identity spec whose field
 * names are the partition keys (the worker keys partition values by them). */
static ls_code mirror_schema(const ls_paimon_schema *ps, ls_iceberg_schema *schema,
                             ls_iceberg_partition_spec *spec, ls_error *err)
{
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && i < ps->field_count; i++) {
        if (ps->fields[i].id < FIRST_FIELD_ID)
            return ls_error_set(err, LS_ERR_UNPROCESSABLE,
                                "field %s has id %" PRId32 "; lakesync writes ids from %d",
                                ps->fields[i].name, ps->fields[i].id, FIRST_FIELD_ID);
        rc = ls_iceberg_schema_add(schema, ps->fields[i].id, ps->fields[i].name,
                                   ls_paimon_type_to_ls(ps->fields[i].type), 0, err);
    }
    for (size_t i = 0; !rc && i < ps->partition_key_count; i++)
        rc = ls_iceberg_spec_add(spec, schema, ps->partition_keys[i], "identity",
                                 ps->partition_keys[i], 1000 + (int32_t)i, err);
    return rc;
}


/* One bound into the Parquet writer's stats form, which the Paimon stats
 * helper reads (and truncates strings from, as Paimon's truncate(16)). */
static void bound_of(ls_type type, const ls_iceberg_value *v, int64_t *i, double *d,
                     ls_int128 *wide, uint8_t **bytes, size_t *len)
{
    switch (type.kind) {
    case LS_TYPE_BOOLEAN:
        *i = v->u.boolean != 0;
        break;
    case LS_TYPE_INT:
    case LS_TYPE_DATE:
        *i = v->u.i32;
        break;
    case LS_TYPE_FLOAT:
        *d = v->u.f32;
        break;
    case LS_TYPE_DOUBLE:
        *d = v->u.f64;
        break;
    case LS_TYPE_DECIMAL:
        *wide = v->u.unscaled;
        *i = (int64_t)v->u.unscaled; /* compact decimals (p <= 18) fit */
        break;
    case LS_TYPE_STRING:
    case LS_TYPE_BINARY:
        *bytes = (uint8_t *)(uintptr_t)v->u.bytes.data; /* read only by the stats helper */
        *len = v->u.bytes.len;
        break;
    default: /* bigint, timestamps */
        *i = v->u.i64;
        break;
    }
}

/* A decoded file's column stats in the Parquet writer's form (borrowing the
 * request's strings; free columns only). */
static ls_code parquet_stats_of(const ls_iceberg_data_file *f, const ls_iceberg_schema *schema,
                                ls_parquet_file_stats *out, ls_error *err)
{
    memset(out, 0, sizeof *out);
    out->row_count = (uint64_t)f->record_count;
    out->file_size_bytes = (uint64_t)f->file_size_bytes;
    out->columns = calloc(f->column_count ? f->column_count : 1, sizeof *out->columns);
    if (!out->columns)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < f->column_count; i++) {
        const ls_iceberg_column_stats *c = &f->columns[i];
        const ls_iceberg_field *field = ls_iceberg_schema_find_id(schema, c->field_id);
        if (!field)
            continue; /* a column the table does not have: no stats */
        ls_parquet_column_stats *p = &out->columns[out->column_count++];
        p->field_id = c->field_id;
        p->type = field->type;
        p->value_count = c->value_count < 0 ? 0 : (uint64_t)c->value_count;
        p->null_count = c->null_value_count < 0 ? 0 : (uint64_t)c->null_value_count;
        p->nan_count = c->nan_value_count < 0 ? 0 : (uint64_t)c->nan_value_count;
        p->has_min_max = c->has_lower_bound && c->has_upper_bound;
        if (!p->has_min_max)
            continue;
        bound_of(field->type, &c->lower_bound, &p->min_int, &p->min_double, &p->min_int128,
                 &p->min_bytes, &p->min_bytes_len);
        bound_of(field->type, &c->upper_bound, &p->max_int, &p->max_double, &p->max_int128,
                 &p->max_bytes, &p->max_bytes_len);
    }
    return LS_OK;
}

/* ---- committing --------------------------------------------------------- */

/* The manifest entries of a decoded request, each file checked: it must lie
 * where Paimon reads it from (<location>/<partition dirs>/bucket-0/<name>,
 * the directories as Paimon names them) and be exactly as large as the
 * worker says. */
typedef struct paimon_entries {
    ls_paimon_manifest_entry *items;
    size_t count;
} paimon_entries;

static void entries_cleanup(paimon_entries *e)
{
    ls_paimon_manifest_entries_free(e->items, e->count);
    memset(e, 0, sizeof *e);
}

static ls_code check_file(ls_objstore *os, const char *location, const ls_paimon_schema *schema,
                          const ls_iceberg_data_file *f, const ls_paimon_manifest_entry *entry,
                          const char *field, ls_error *err)
{
    ls_buf rel;
    ls_buf_init(&rel, LS_OBJSTORE_KEY_MAX);
    ls_code rc = ls_paimon_data_file_path(schema, entry->partition.data, entry->partition.len, 0,
                                          entry->file.file_name, &rel, err);
    size_t n = strlen(location);
    const char *key = f->path + n + 1;
    if (!rc && (strncmp(f->path, location, n) != 0 || f->path[n] != '/' || strlen(key) != rel.len ||
                memcmp(key, rel.data, rel.len) != 0))
        rc = ls_error_set_field(err, LS_ERR_INVALID, field,
                                "a Paimon data file of this partition must be %s/%.*s", location,
                                (int)rel.len, (const char *)rel.data);
    ls_objstore_info info;
    if (!rc)
        rc = ls_objstore_head(os, key, &info, err);
    if (rc == LS_ERR_NOT_FOUND) {
        ls_error_clear(err); /* the store's "not found" becomes the worker's mistake */
        rc = ls_error_set_field(err, LS_ERR_INVALID, field, "%s does not exist", f->path);
    }
    if (!rc && (int64_t)info.size_bytes != f->file_size_bytes)
        rc = ls_error_set_field(err, LS_ERR_INVALID, field,
                                "%s has %" PRIu64 " bytes, not the %" PRId64 " claimed", f->path,
                                info.size_bytes, f->file_size_bytes);
    ls_buf_cleanup(&rel);
    return rc;
}

static ls_code entry_of(ls_objstore *os, const char *location, const ls_paimon_schema *schema,
                        const ls_iceberg_schema *mirror, const ls_iceberg_data_file *f,
                        size_t index, ls_paimon_manifest_entry *entry, ls_error *err)
{
    char field[48];
    snprintf(field, sizeof field, "files[%zu].path", index);
    const char *name = strrchr(f->path, '/');
    if (!name || !name[1] || strstr(f->path, "/../") || strstr(f->path, "/./"))
        return ls_error_set_field(err, LS_ERR_INVALID, field, "not a data file path");
    size_t keys = schema->partition_key_count;
    ls_paimon_type *types = calloc(keys ? keys : 1, sizeof *types);
    ls_paimon_datum *values = calloc(keys ? keys : 1, sizeof *values);
    ls_parquet_file_stats stats = {0};
    ls_code rc = types && values ? LS_OK : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = ls_paimon_schema_partition_types(schema, types, err);
    for (size_t k = 0; !rc && k < keys; k++)
        ls_paimon_datum_from_value(types[k], &f->partition[k], &values[k]);
    if (!rc)
        rc = parquet_stats_of(f, mirror, &stats, err);
    if (!rc)
        rc =
            ls_paimon_entry_for_parquet_file(schema, keys ? values : NULL, name + 1, &stats,
                                             ls_paimon_creation_time_millis(ls_catalog_wall_ms()), entry, err);
    if (!rc) {
        rc = check_file(os, location, schema, f, entry, field, err);
        if (rc)
            ls_paimon_manifest_entry_cleanup(entry);
    }
    free(stats.columns); /* its strings belong to the request */
    free(values);
    free(types);
    return rc;
}

/* Decodes, fences and checks a request against the table read; fills *next
 * with the offsets after it and *entries with the files to add. On a fence
 * the table's offsets go to result->offsets. */
static ls_code prepare(ls_objstore *os, const char *location, const ls_paimon_storage *st,
                       const ls_paimon_table *table, const ls_paimon_schema *files_schema,
                       const char *topic, const json_t *request, paimon_entries *entries,
                       ls_offsets *next, ls_commit_result *result, ls_error *err)
{
    ls_iceberg_schema mirror;
    ls_iceberg_partition_spec spec;
    ls_commit_files files = {0};
    ls_offsets current;
    ls_iceberg_schema_init(&mirror, 0);
    ls_iceberg_spec_init(&spec, 0);
    ls_offsets_init(next, topic);
    ls_code rc = table_offsets(st, table, &current, err);
    if (rc)
        goto out;
    rc = mirror_schema(files_schema, &mirror, &spec, err);
    if (!rc)
        rc = ls_commit_files_decode(request, &mirror, &spec, &files, err);
    if (!rc) {
        ls_offsets_cleanup(next);
        rc = ls_offsets_advance(&current, topic, files.ranges, files.range_count, next, err);
    }
    if (rc == LS_ERR_CONFLICT) {
        ls_offsets_cleanup(&result->offsets);
        result->offsets = current;
        ls_offsets_init(&current, "");
    }
    if (!rc && files.file_count > LS_COMMITTER_MAX_FILES)
        rc = ls_error_set_field(err, LS_ERR_INVALID, "files", "more than %d files",
                                LS_COMMITTER_MAX_FILES);
    if (!rc && files.file_count) {
        entries->items = calloc(files.file_count, sizeof *entries->items);
        if (!entries->items)
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; !rc && i < files.file_count; i++) {
        rc = entry_of(os, location, files_schema, &mirror, &files.files[i], i, &entries->items[i],
                      err);
        if (!rc)
            entries->count++;
    }
    ls_offsets_cleanup(&current);
out:
    ls_commit_files_cleanup(&files);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&mirror);
    return rc;
}

static void put_hint(ls_objstore *os, const char *key, const char *text)
{
    ls_error err;
    ls_error_clear(&err);
    /* Readers trust a hint only after checking it (paimon_read.h), so a stale
     * one costs a probe, never a wrong read: logged, not fatal. */
    if (ls_objstore_put(os, key, text, strlen(text), &err))
        ls_log_warn("committer", "%s not updated: %s", key, err.message);
}

/* Stores a plan in the order of ls_paimon_commit_plan: LS_ERR_CONFLICT
 * when another writer created the snapshot first (nothing of ours is
 * referenced then). */
static ls_code write_plan(ls_objstore *os, const ls_paimon_commit_plan *plan, ls_error *err)
{
    ls_code rc = LS_OK;
    if (plan->manifest_path)
        rc = ls_objstore_put(os, plan->manifest_path, plan->manifest.data, plan->manifest.len, err);
    if (!rc && plan->merged_manifest_path)
        rc = ls_objstore_put(os, plan->merged_manifest_path, plan->merged_manifest.data,
                             plan->merged_manifest.len, err);
    if (!rc)
        rc = ls_objstore_put(os, plan->base_list_path, plan->base_list.data, plan->base_list.len,
                             err);
    if (!rc)
        rc = ls_objstore_put(os, plan->delta_list_path, plan->delta_list.data, plan->delta_list.len,
                             err);
    if (!rc)
        rc = ls_objstore_put_if_absent(os, plan->snapshot_path, plan->snapshot_json.data,
                                       plan->snapshot_json.len, err);
    if (rc)
        return rc;
    put_hint(os, "snapshot/LATEST", plan->latest_hint);
    if (plan->write_earliest)
        put_hint(os, "snapshot/EARLIEST", plan->earliest_hint);
    return LS_OK;
}

/* A schema change writes schema-<N+1> without a snapshot: commits after it
 * write with that schema (its id in the snapshot and the new data files),
 * as Paimon's writers use SchemaManager.latest(). */
static ls_code use_newest_schema(const ls_paimon_storage *st, ls_paimon_table *table,
                                 ls_error *err)
{
    ls_paimon_schema newest;
    ls_code rc = ls_paimon_newest_schema(st, &newest, err);
    if (rc)
        return rc;
    if (newest.id > table->schema.id) {
        ls_paimon_schema_cleanup(&table->schema);
        table->schema = newest;
    } else {
        ls_paimon_schema_cleanup(&newest);
    }
    return LS_OK;
}

/* What one snapshot of a commit holds besides its files. */
typedef struct snapshot_args {
    const char *job_id, *topic;
    const json_t *request;    /* its "ranges" are fenced, its "files" added */
    const char *offsets_text; /* NULL: the fenced offsets; else recorded as is */
    const char *extra_key, *extra_value; /* one more property, or NULL */
} snapshot_args;

static ls_code snapshot_properties(const snapshot_args *a, const ls_offsets *next,
                                   ls_paimon_strmap *properties, ls_error *err)
{
    char *offsets_text = NULL;
    ls_code rc = a->offsets_text ? LS_OK : ls_offsets_format(next, &offsets_text, err);
    if (!rc)
        rc = ls_paimon_strmap_set(properties, LS_PAIMON_PROP_JOB_ID, a->job_id, err);
    if (!rc)
        rc = ls_paimon_strmap_set(properties, LS_PAIMON_PROP_OFFSETS,
                                  a->offsets_text ? a->offsets_text : offsets_text, err);
    if (!rc && a->extra_key)
        rc = ls_paimon_strmap_set(properties, a->extra_key, a->extra_value, err);
    free(offsets_text);
    return rc;
}

/* The schema the request's files were written with: its "schema_id" when
 * it names an older schema than the newest (their DataFileMeta then carries
 * that id, and their stats are of that schema's fields), else the newest.
 * *own tells whether *out was read here (the caller cleans it up). */
static ls_code files_schema_of(const ls_paimon_storage *st, const ls_paimon_table *table,
                               const json_t *request, ls_paimon_schema *out, bool *own,
                               ls_error *err)
{
    const json_t *id = json_object_get(request, "schema_id");
    *own = false;
    if (!id || json_is_null(id))
        return LS_OK;
    if (!json_is_integer(id) || json_integer_value(id) < 0 ||
        json_integer_value(id) > table->schema.id)
        return ls_error_set_field(err, LS_ERR_INVALID, "schema_id",
                                  "schema_id must be a schema of the table (0..%" PRId64 ")",
                                  table->schema.id);
    if (json_integer_value(id) == table->schema.id)
        return LS_OK;
    ls_code rc = ls_paimon_read_schema(st, json_integer_value(id), out, err);
    if (rc == LS_ERR_NOT_FOUND)
        rc = ls_error_set_field(err, LS_ERR_INVALID, "schema_id", "%s", err->message);
    *own = rc == LS_OK;
    return rc;
}

/* One attempt: read the latest snapshot, fence, check, plan and write.
 * On success *plan holds what was written. */
static ls_code attempt(ls_objstore *os, const ls_table_pointer *t, const snapshot_args *a,
                       ls_offsets *next, ls_paimon_commit_plan *plan, bool *planned,
                       ls_commit_result *result, ls_error *err)
{
    ls_paimon_storage st = ls_paimon_storage_for_objstore(os);
    ls_paimon_table *table = NULL;
    paimon_entries entries = {0};
    ls_paimon_strmap properties = {0};
    char uuid[37];
    ls_paimon_schema older;
    bool own_older = false;
    ls_code rc = ls_paimon_table_read(&st, &table, err);
    if (!rc)
        rc = use_newest_schema(&st, table, err);
    if (!rc)
        rc = files_schema_of(&st, table, a->request, &older, &own_older, err);
    if (!rc)
        rc = prepare(os, t->location, &st, table, own_older ? &older : &table->schema, a->topic,
                     a->request, &entries, next, result, err);
    if (!rc)
        rc = snapshot_properties(a, next, &properties, err);
    if (!rc)
        rc = ls_iceberg_random_uuid(uuid, err);
    if (rc)
        goto out;
    ls_paimon_commit_input in = {
        .schema = &table->schema,
        .entries = entries.items,
        .entry_count = entries.count,
        .commit_user = a->job_id,
        .time_millis = ls_catalog_wall_ms(),
        .name_uuid = uuid,
        .properties = &properties,
        .codec = LS_AVRO_CODEC_ZSTANDARD,
    };
    ls_paimon_commit_input_set_previous(&in, table);
    /* Snapshot ids grow by one per commit, so they serve as the identifier. */
    in.commit_identifier = table->has_snapshot ? table->snapshot.id + 1 : 1;
    rc = ls_paimon_commit_plan_build(&in, plan, err);
    if (rc)
        goto out;
    *planned = true;
    rc = write_plan(os, plan, err);
out:
    ls_paimon_strmap_cleanup(&properties);
    entries_cleanup(&entries);
    if (own_older)
        ls_paimon_schema_cleanup(&older);
    ls_paimon_table_free(table);
    return rc;
}

/* Commits one snapshot to ref's table and moves its catalog pointer. */
static ls_code commit_snapshot(ls_store *store, const ls_table_ref *ref, const snapshot_args *a,
                               ls_commit_result *result, ls_error *err)
{
    ls_table_pointer t;
    ls_objstore *os = NULL;
    ls_offsets next;
    ls_paimon_commit_plan plan;
    bool planned = false;
    char uri[PATH_MAX_BYTES + 64];
    ls_offsets_init(&next, a->topic);
    ls_code rc = ls_catalog_open(store, ref, "paimon", &t, &os, err);
    for (int i = 0; !rc && i < SNAPSHOT_ATTEMPTS; i++) {
        if (planned)
            ls_paimon_commit_plan_cleanup(&plan);
        planned = false;
        ls_offsets_cleanup(&next);
        rc = attempt(os, &t, a, &next, &plan, &planned, result, err);
        if (rc != LS_ERR_CONFLICT || !planned)
            break; /* done, failed, or fenced before writing */
        ls_log_warn("committer", "%s.%s: another writer created %s first; planning again",
                    ref->database, ref->table, plan.snapshot_path);
        ls_error_clear(err);
        rc = LS_OK;
        if (i + 1 == SNAPSHOT_ATTEMPTS)
            rc = ls_error_set(err, LS_ERR_UNAVAILABLE,
                              "table %s.%s: lost the snapshot race %d times", ref->database,
                              ref->table, SNAPSHOT_ATTEMPTS);
    }
    if (!rc) {
        snprintf(uri, sizeof uri, "%s/%s", t.location, plan.snapshot_path);
        rc = ls_catalog_swap(store, ref, t.metadata_location, uri, err);
    }
    if (!rc) {
        result->snapshot_id = plan.snapshot_id;
        result->sequence_number = plan.snapshot_id; /* Paimon has no sequence numbers */
        ls_offsets_cleanup(&result->offsets);
        result->offsets = next;
        ls_offsets_init(&next, a->topic);
        ls_log_info("committer", "%s.%s: Paimon snapshot %" PRId64 " with %zu files", ref->database,
                    ref->table, plan.snapshot_id,
                    plan.manifest_path ? (size_t)plan.delta_meta.num_added_files : (size_t)0);
    }
    if (planned)
        ls_paimon_commit_plan_cleanup(&plan);
    ls_offsets_cleanup(&next);
    ls_objstore_free(os);
    return rc;
}

/* ---- dead letters ------------------------------------------------------ */

/* The dead-letter table's snapshot records the job's snapshot whose
 * dead-letter files it holds; the job's snapshot names them. */
#define PROP_DEAD_LETTER_FILES "lakesync.dead-letter-files"
#define PROP_SOURCE_SNAPSHOT "lakesync.source-snapshot"

/* Reads the latest snapshot of ref's table (NULL *out when it has none). */
static ls_code read_latest(ls_store *store, const ls_table_ref *ref, ls_paimon_table **out,
                           ls_error *err)
{
    ls_table_pointer t;
    ls_objstore *os = NULL;
    *out = NULL;
    ls_code rc = ls_catalog_open(store, ref, "paimon", &t, &os, err);
    ls_paimon_storage st = ls_paimon_storage_for_objstore(os);
    if (!rc)
        rc = ls_paimon_table_read(&st, out, err);
    ls_objstore_free(os);
    return rc;
}

/* {"ranges": {}, "files": files}: a request that adds files and fences
 * nothing (the job's table did the fencing). */
static json_t *files_request(json_t *files)
{
    return json_pack("{s:{}, s:O}", "ranges", "files", files);
}

/* Checks the dead-letter files against the dead-letter table (paths,
 * sizes, statistics) without writing anything, so that a job snapshot never
 * names files its dead-letter table would refuse. */
static ls_code check_dead_letters(ls_store *store, const ls_table_ref *dead, const char *topic,
                                  json_t *files, ls_error *err)
{
    ls_table_pointer t;
    ls_objstore *os = NULL;
    ls_paimon_table *table = NULL;
    paimon_entries entries = {0};
    ls_offsets next;
    ls_commit_result scratch = {0};
    json_t *request = files_request(files);
    ls_offsets_init(&next, topic);
    ls_offsets_init(&scratch.offsets, topic);
    ls_code rc = request ? ls_catalog_load(store, dead, "paimon", &t, err)
                         : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = ls_catalog_open_storage(t.location, dead, &os, err);
    ls_paimon_storage st = ls_paimon_storage_for_objstore(os);
    if (!rc)
        rc = ls_paimon_table_read(&st, &table, err);
    if (!rc)
        rc = prepare(os, t.location, &st, table, &table->schema, topic, request, &entries, &next,
                     &scratch, err);
    if (rc == LS_ERR_INVALID && strncmp(err->field, "files", 5) == 0) {
        char field[LS_ERROR_FIELD_MAX + 16];
        snprintf(field, sizeof field, "dead_letter_%s", err->field);
        memcpy(err->field, field, sizeof err->field - 1);
        err->field[sizeof err->field - 1] = '\0';
    }
    entries_cleanup(&entries);
    ls_paimon_table_free(table);
    ls_objstore_free(os);
    ls_offsets_cleanup(&next);
    ls_offsets_cleanup(&scratch.offsets);
    json_decref(request);
    return rc;
}

/* The job snapshot id the dead-letter table's latest snapshot completed. */
static int64_t source_snapshot(const ls_paimon_table *dead)
{
    const char *text =
        dead->has_snapshot ? ls_paimon_strmap_get(&dead->snapshot.properties, PROP_SOURCE_SNAPSHOT)
                           : NULL;
    return text ? strtoll(text, NULL, 10) : 0;
}

/* Lands the dead-letter part of the job table's latest snapshot when the
 * dead-letter table does not hold it yet. Only the latest can be pending:
 * the job's table never commits while one is (ls_committer_paimon_commit
 * rolls forward first). */
static ls_code roll_forward(ls_store *store, const ls_table_ref *ref, const ls_table_ref *dead,
                            ls_error *err)
{
    ls_paimon_table *main_table = NULL, *dead_table = NULL;
    json_t *files = NULL, *request = NULL;
    ls_offsets offsets;
    ls_commit_result scratch = {0};
    char source[32];
    ls_offsets_init(&offsets, "");
    ls_offsets_init(&scratch.offsets, "");
    ls_code rc = read_latest(store, ref, &main_table, err);
    const char *pending = !rc && main_table->has_snapshot
                              ? ls_paimon_strmap_get(&main_table->snapshot.properties,
                                                     PROP_DEAD_LETTER_FILES)
                              : NULL;
    const char *offsets_text =
        pending ? ls_paimon_strmap_get(&main_table->snapshot.properties, LS_PAIMON_PROP_OFFSETS)
                : NULL;
    if (rc || !pending || !offsets_text)
        goto out;
    rc = read_latest(store, dead, &dead_table, err);
    if (rc || source_snapshot(dead_table) >= main_table->snapshot.id)
        goto out; /* failed, or landed already */
    json_error_t jerr;
    files = json_loads(pending, 0, &jerr);
    rc = ls_offsets_parse(offsets_text, &offsets, err);
    if (!rc && !json_is_array(files))
        rc = ls_error_set(err, LS_ERR_FORMAT, "snapshot %" PRId64 " of %s.%s: %s is not a list",
                          main_table->snapshot.id, ref->database, ref->table,
                          PROP_DEAD_LETTER_FILES);
    request = rc ? NULL : files_request(files);
    if (!rc && !request)
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    snprintf(source, sizeof source, "%" PRId64, main_table->snapshot.id);
    const char *job_id = ls_paimon_strmap_get(&main_table->snapshot.properties,
                                              LS_PAIMON_PROP_JOB_ID);
    snapshot_args a = {.job_id = job_id ? job_id : "", .topic = offsets.topic, .request = request,
                       .offsets_text = offsets_text, .extra_key = PROP_SOURCE_SNAPSHOT,
                       .extra_value = source};
    if (!rc)
        rc = commit_snapshot(store, dead, &a, &scratch, err);
out:
    json_decref(request);
    json_decref(files);
    ls_offsets_cleanup(&offsets);
    ls_offsets_cleanup(&scratch.offsets);
    ls_paimon_table_free(dead_table);
    ls_paimon_table_free(main_table);
    return rc;
}

ls_code ls_committer_paimon_roll_forward(ls_store *store, const ls_table_ref *ref,
                                         ls_error *err)
{
    char name[PATH_MAX_BYTES];
    ls_code rc = ls_dead_letter_table_name(ref->table, name, sizeof name, err);
    ls_table_ref dead = *ref;
    dead.table = name;
    if (rc || !ls_committer_paimon_is_table(store, &dead))
        return rc;
    return roll_forward(store, ref, &dead, err);
}

ls_code ls_committer_paimon_commit(ls_store *store, const ls_table_ref *ref, const char *job_id,
                                   const char *topic, const json_t *request,
                                   ls_commit_result *result, ls_error *err)
{
    json_t *files = json_object_get(request, "dead_letter_files");
    char *files_text = NULL, name[PATH_MAX_BYTES];
    bool dead = json_array_size(files) > 0;
    ls_table_ref dead_ref = *ref;
    dead_ref.table = name;
    ls_code rc = ls_dead_letter_table_name(ref->table, name, sizeof name, err);
    if (!rc && files && !json_is_array(files) && !json_is_null(files))
        rc = ls_error_set_field(err, LS_ERR_INVALID, "dead_letter_files", "must be an array");
    bool dead_table = !rc && ls_committer_paimon_is_table(store, &dead_ref);
    if (!rc && dead_table)
        rc = roll_forward(store, ref, &dead_ref, err); /* the previous commit's part */
    if (!rc && dead && !dead_table)
        rc = ls_error_set(err, LS_ERR_UNPROCESSABLE,
                          "the request carries dead letters but %s.%s does not exist",
                          ref->database, name);
    if (!rc && dead)
        rc = check_dead_letters(store, &dead_ref, topic, files, err);
    if (!rc && dead && !(files_text = json_dumps(files, JSON_COMPACT)))
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    snapshot_args a = {.job_id = job_id, .topic = topic, .request = request,
                       .extra_key = dead ? PROP_DEAD_LETTER_FILES : NULL,
                       .extra_value = files_text};
    if (!rc)
        rc = commit_snapshot(store, ref, &a, result, err);
    if (!rc && dead) {
        /* The job's snapshot is the truth and has landed: a failure here is
         * repaired by the next commit's roll-forward, not reported. */
        ls_error dead_err;
        ls_error_clear(&dead_err);
        if (roll_forward(store, ref, &dead_ref, &dead_err))
            ls_log_warn("committer", "%s.%s: dead letters of snapshot %" PRId64
                        " land with the next commit: %s", ref->database, name,
                        result->snapshot_id, dead_err.message);
    }
    free(files_text);
    return rc;
}

/* ---- schema evolution --------------------------------------------------- */

/* Applies proposed to next (a copy of the newest schema with the next id):
 * columns matched by id may take a promoted type, new ids become new
 * nullable fields (Paimon's ids never go back: they must pass
 * highestFieldId). *changed tells whether anything differs. */
static ls_code apply_proposed(ls_paimon_schema *next, const ls_iceberg_schema *proposed,
                              bool *changed, ls_error *err)
{
    *changed = false;
    for (size_t i = 0; i < proposed->field_count; i++) {
        const ls_iceberg_field *f = &proposed->fields[i];
        ls_paimon_field *old = NULL;
        for (size_t k = 0; k < next->field_count && !old; k++)
            if (next->fields[k].id == f->id)
                old = &next->fields[k];
        char a[48], b[48];
        if (old) {
            ls_type from = ls_paimon_type_to_ls(old->type);
            if (strcmp(old->name, f->name) != 0)
                return ls_error_set_field(err, LS_ERR_CONFLICT, f->name,
                                          "column %" PRId32 " is '%s' in the table, not '%s'",
                                          f->id, old->name, f->name);
            if (!ls_type_promotes(from, f->type))
                return ls_error_set_field(err, LS_ERR_CONFLICT, f->name,
                                          "column '%s' cannot change from %s to %s", f->name,
                                          ls_type_format(from, a, sizeof a),
                                          ls_type_format(f->type, b, sizeof b));
            if (!ls_type_equal(from, f->type)) {
                old->type = ls_paimon_type_from_ls(f->type, old->type.nullable);
                *changed = true;
            }
            continue;
        }
        if (f->id <= next->highest_field_id || f->required)
            return ls_error_set_field(err, LS_ERR_CONFLICT, f->name,
                                      "new column '%s' must be optional with an id above %" PRId32,
                                      f->name, next->highest_field_id);
        next->highest_field_id = f->id - 1; /* add_field takes the next id */
        ls_code rc =
            ls_paimon_schema_add_field(next, f->name, ls_paimon_type_from_ls(f->type, true), err);
        if (rc)
            return rc;
        *changed = true;
    }
    return LS_OK;
}

ls_code ls_committer_paimon_evolve(ls_store *store, const ls_table_ref *ref,
                                   const ls_iceberg_schema *proposed, int64_t *schema_id_out,
                                   bool *changed_out, ls_error *err)
{
    ls_table_pointer t;
    ls_objstore *os = NULL;
    ls_paimon_schema current, next;
    ls_buf json;
    bool have_current = false, have_next = false, changed = false;
    char key[64];
    ls_buf_init(&json, LS_PAIMON_MAX_JSON_BYTES);
    ls_code rc = ls_catalog_open(store, ref, "paimon", &t, &os, err);
    ls_paimon_storage st = ls_paimon_storage_for_objstore(os);
    if (!rc)
        have_current = (rc = ls_paimon_newest_schema(&st, &current, err)) == LS_OK;
    if (!rc)
        have_next = (rc = ls_paimon_schema_evolve(&current, ls_catalog_wall_ms(), &next, err)) ==
                    LS_OK;
    if (!rc)
        rc = apply_proposed(&next, proposed, &changed, err);
    if (!rc && changed)
        rc = ls_paimon_schema_to_json(&next, &json, err);
    if (!rc && changed) {
        snprintf(key, sizeof key, "schema/schema-%" PRId64, next.id);
        rc = ls_objstore_put_if_absent(os, key, json.data, json.len, err);
        if (rc == LS_ERR_CONFLICT)
            rc = ls_error_set(err, LS_ERR_CONFLICT,
                              "%s appeared meanwhile: another writer changed the schema", key);
    }
    if (!rc) {
        *schema_id_out = changed ? next.id : current.id;
        *changed_out = changed;
        if (changed)
            ls_log_info("committer", "%s.%s: Paimon schema %" PRId64 " is current",
                        ref->database, ref->table, next.id);
    }
    if (have_next)
        ls_paimon_schema_cleanup(&next);
    if (have_current)
        ls_paimon_schema_cleanup(&current);
    ls_buf_cleanup(&json);
    ls_objstore_free(os);
    return rc;
}

ls_code ls_committer_paimon_schema_id(ls_store *store, const ls_table_ref *ref, int64_t *id_out,
                                      ls_error *err)
{
    ls_table_pointer t;
    ls_objstore *os = NULL;
    ls_paimon_schema newest;
    *id_out = -1;
    ls_code rc = ls_catalog_open(store, ref, "paimon", &t, &os, err);
    ls_paimon_storage st = ls_paimon_storage_for_objstore(os);
    if (!rc)
        rc = ls_paimon_newest_schema(&st, &newest, err);
    if (!rc) {
        *id_out = newest.id;
        ls_paimon_schema_cleanup(&newest);
    }
    ls_objstore_free(os);
    return rc;
}

/* ---- compaction (table maintenance) -------------------------------------- */

/* The live file of t that e names (same partition, bucket and file name). */
static const ls_paimon_live_file *find_live(const ls_paimon_table *t,
                                            const ls_paimon_manifest_entry *e)
{
    for (size_t i = 0; i < t->file_count; i++) {
        const ls_paimon_manifest_entry *l = &t->files[i].entry;
        if (l->bucket == e->bucket && l->partition.len == e->partition.len &&
            (!l->partition.len || memcmp(l->partition.data, e->partition.data, l->partition.len) == 0) &&
            strcmp(l->file.file_name, e->file.file_name) == 0)
            return &t->files[i];
    }
    return NULL;
}

/* The COMPACT commit's entries: DELETEs of the removed files as the table
 * holds them (LS_ERR_CONFLICT when one is no longer live), then the ADDs.
 * Shallow copies: they borrow from table and added. */
static ls_code compact_entries(const ls_paimon_table *table, const ls_paimon_compaction *job,
                               ls_paimon_manifest_entry **out, ls_error *err)
{
    size_t n = job->removed_count + job->added_count;
    ls_paimon_manifest_entry *entries = calloc(n ? n : 1, sizeof *entries);
    if (!entries)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    int64_t removed_rows = 0, added_rows = 0;
    for (size_t i = 0; i < job->removed_count; i++) {
        const ls_paimon_live_file *live = find_live(table, &job->removed[i]);
        if (!live) {
            free(entries);
            return ls_error_set(err, LS_ERR_CONFLICT, "%s is no longer a live file of the table",
                                job->removed[i].file.file_name);
        }
        entries[i] = live->entry;
        entries[i].kind = LS_PAIMON_KIND_DELETE;
        removed_rows += live->entry.file.row_count;
    }
    for (size_t i = 0; i < job->added_count; i++) {
        entries[job->removed_count + i] = job->added[i];
        added_rows += job->added[i].file.row_count;
    }
    if (removed_rows != added_rows) {
        free(entries);
        return ls_error_set(err, LS_ERR_INVALID,
                            "the added files hold %" PRId64 " rows, the removed ones %" PRId64,
                            added_rows, removed_rows);
    }
    *out = entries;
    return LS_OK;
}

/* One attempt of a COMPACT snapshot on the latest one. */
static ls_code compact_attempt(ls_objstore *os, const ls_paimon_compaction *job,
                               ls_paimon_commit_plan *plan, bool *planned, ls_error *err)
{
    ls_paimon_storage st = ls_paimon_storage_for_objstore(os);
    ls_paimon_table *table = NULL;
    ls_paimon_manifest_entry *entries = NULL;
    ls_paimon_strmap properties = {0};
    char uuid[37];
    ls_code rc = ls_paimon_table_read(&st, &table, err);
    if (!rc && !table->has_snapshot)
        rc = ls_error_set(err, LS_ERR_CONFLICT, "the table has no snapshot to compact");
    if (!rc)
        rc = use_newest_schema(&st, table, err);
    if (!rc)
        rc = compact_entries(table, job, &entries, err);
    /* The progress of the snapshot it replaces files of, unchanged, and for
     * a dead-letter table the job snapshot it holds the dead letters of (so
     * roll_forward does not land them twice). Not the pending dead-letter
     * files: ls_committer_paimon_compact landed them first. */
    static const char *const carried[] = {LS_PAIMON_PROP_JOB_ID, LS_PAIMON_PROP_OFFSETS,
                                          PROP_SOURCE_SNAPSHOT};
    for (size_t i = 0; !rc && i < sizeof carried / sizeof carried[0]; i++) {
        const char *v = ls_paimon_strmap_get(&table->snapshot.properties, carried[i]);
        if (v)
            rc = ls_paimon_strmap_set(&properties, carried[i], v, err);
    }
    if (!rc)
        rc = ls_iceberg_random_uuid(uuid, err);
    if (rc)
        goto out;
    const char *user = ls_paimon_strmap_get(&properties, LS_PAIMON_PROP_JOB_ID);
    ls_paimon_commit_input in = {
        .schema = &table->schema,
        .entries = entries,
        .entry_count = job->removed_count + job->added_count,
        .commit_kind = "COMPACT",
        .commit_user = user ? user : table->snapshot.commit_user,
        .time_millis = ls_catalog_wall_ms(),
        .name_uuid = uuid,
        .properties = &properties,
        .codec = LS_AVRO_CODEC_ZSTANDARD,
    };
    ls_paimon_commit_input_set_previous(&in, table);
    in.commit_identifier = table->snapshot.id + 1;
    rc = ls_paimon_commit_plan_build(&in, plan, err);
    if (rc)
        goto out;
    *planned = true;
    rc = write_plan(os, plan, err);
out:
    free(entries);
    ls_paimon_strmap_cleanup(&properties);
    ls_paimon_table_free(table);
    return rc;
}

ls_code ls_committer_paimon_compact(ls_store *store, const ls_table_ref *ref,
                                    const ls_paimon_compaction *job, int64_t *snapshot_id_out,
                                    ls_error *err)
{
    ls_table_pointer t;
    ls_objstore *os = NULL;
    ls_paimon_commit_plan plan;
    bool planned = false;
    char uri[PATH_MAX_BYTES + 64];
    *snapshot_id_out = 0;
    /* A dead-letter part pending from the latest commit lands first: the
     * COMPACT snapshot becomes the latest and does not carry it. */
    ls_code rc = ls_committer_paimon_roll_forward(store, ref, err);
    if (!rc)
        rc = ls_catalog_open(store, ref, "paimon", &t, &os, err);
    for (int i = 0; !rc && i < SNAPSHOT_ATTEMPTS; i++) {
        if (planned)
            ls_paimon_commit_plan_cleanup(&plan);
        planned = false;
        rc = compact_attempt(os, job, &plan, &planned, err);
        if (rc != LS_ERR_CONFLICT || !planned)
            break; /* done, failed, or a removed file is gone */
        ls_error_clear(err);
        rc = i + 1 == SNAPSHOT_ATTEMPTS
                 ? ls_error_set(err, LS_ERR_UNAVAILABLE, "table %s.%s: lost the snapshot race",
                                ref->database, ref->table)
                 : LS_OK;
    }
    if (!rc) {
        snprintf(uri, sizeof uri, "%s/%s", t.location, plan.snapshot_path);
        rc = ls_catalog_swap(store, ref, t.metadata_location, uri, err);
    }
    if (!rc) {
        *snapshot_id_out = plan.snapshot_id;
        ls_log_info("committer", "%s.%s: Paimon COMPACT snapshot %" PRId64 ": %zu files -> %zu",
                    ref->database, ref->table, plan.snapshot_id, job->removed_count,
                    job->added_count);
    }
    if (planned)
        ls_paimon_commit_plan_cleanup(&plan);
    ls_objstore_free(os);
    return rc;
}
