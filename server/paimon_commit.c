/* Planning an APPEND commit: manifest, manifest lists, snapshot, hints. */
#include "paimon_meta.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Caps of the Avro files we produce (a manifest of many files stays far below). */
#define MANIFEST_MAX_BYTES ((size_t)512 << 20)
#define SNAPSHOT_MAX_BYTES ((size_t)16 << 20)

static ls_code nomem(ls_error *err)
{
    return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
}

/* "<prefix><uuid>-<n>", malloc'd; NULL when out of memory. */
static char *name_with_uuid(const char *prefix, const char *uuid, int n)
{
    size_t size = strlen(prefix) + strlen(uuid) + 16;
    char *s = malloc(size);
    if (s)
        snprintf(s, size, "%s%s-%d", prefix, uuid, n);
    return s;
}

/* Orders two non-null values of one type as Paimon's stats collectors do
 * (strings and bytes as unsigned bytes, BinaryString.compareTo). */
static int datum_compare(const ls_paimon_type *t, const ls_paimon_datum *a,
                         const ls_paimon_datum *b)
{
    switch (t->kind) {
    case LS_PAIMON_BOOLEAN:
        return (int)a->v.b - (int)b->v.b;
    case LS_PAIMON_TINYINT:
    case LS_PAIMON_SMALLINT:
    case LS_PAIMON_INT:
    case LS_PAIMON_DATE:
        return (a->v.i32 > b->v.i32) - (a->v.i32 < b->v.i32);
    case LS_PAIMON_BIGINT:
        return (a->v.i64 > b->v.i64) - (a->v.i64 < b->v.i64);
    case LS_PAIMON_FLOAT:
        return (a->v.f32 > b->v.f32) - (a->v.f32 < b->v.f32);
    case LS_PAIMON_DOUBLE:
        return (a->v.f64 > b->v.f64) - (a->v.f64 < b->v.f64);
    case LS_PAIMON_DECIMAL:
        return (a->v.unscaled > b->v.unscaled) - (a->v.unscaled < b->v.unscaled);
    case LS_PAIMON_STRING:
    case LS_PAIMON_BYTES: {
        size_t n = a->v.bytes.len < b->v.bytes.len ? a->v.bytes.len : b->v.bytes.len;
        int c = n ? memcmp(a->v.bytes.data, b->v.bytes.data, n) : 0;
        if (c)
            return c;
        return (a->v.bytes.len > b->v.bytes.len) - (a->v.bytes.len < b->v.bytes.len);
    }
    case LS_PAIMON_TIMESTAMP:
    case LS_PAIMON_TIMESTAMP_LTZ:
        if (a->v.ts.millis != b->v.ts.millis)
            return (a->v.ts.millis > b->v.ts.millis) - (a->v.ts.millis < b->v.ts.millis);
        return (a->v.ts.nanos_of_milli > b->v.ts.nanos_of_milli) -
               (a->v.ts.nanos_of_milli < b->v.ts.nanos_of_milli);
    }
    return 0;
}

/* _PARTITION_STATS of a manifest: per partition key the min and max over the
 * entries (nulls excluded) and the null count. Datums point into entries. */
static ls_code partition_stats(const ls_paimon_schema *schema,
                               const ls_paimon_manifest_entry *entries, size_t count,
                               ls_paimon_stats *out, ls_error *err)
{
    size_t n = schema->partition_key_count;
    if (n == 0)
        return ls_paimon_stats_set_empty(out, err);
    ls_paimon_type *types = calloc(n, sizeof *types);
    ls_paimon_datum *mins = calloc(n, sizeof *mins), *maxs = calloc(n, sizeof *maxs);
    ls_paimon_datum *row = calloc(n, sizeof *row);
    int64_t *nulls = calloc(n, sizeof *nulls);
    ls_code rc = types && mins && maxs && row && nulls ? LS_OK : nomem(err);
    if (rc == LS_OK)
        rc = ls_paimon_schema_partition_types(schema, types, err);
    for (size_t i = 0; i < n; i++)
        mins[i].is_null = maxs[i].is_null = true;
    for (size_t e = 0; rc == LS_OK && e < count; e++) {
        rc = ls_paimon_binaryrow_deserialize(entries[e].partition.data, entries[e].partition.len,
                                             types, n, row, err);
        for (size_t i = 0; rc == LS_OK && i < n; i++) {
            if (row[i].is_null) {
                nulls[i]++;
                continue;
            }
            if (mins[i].is_null || datum_compare(&types[i], &row[i], &mins[i]) < 0)
                mins[i] = row[i];
            if (maxs[i].is_null || datum_compare(&types[i], &row[i], &maxs[i]) > 0)
                maxs[i] = row[i];
        }
    }
    if (rc == LS_OK)
        rc = ls_paimon_stats_set(out, types, mins, maxs, nulls, n, err);
    free(types);
    free(mins);
    free(maxs);
    free(row);
    free(nulls);
    return rc;
}

static bool is_compact(const ls_paimon_commit_input *in)
{
    return in->commit_kind && strcmp(in->commit_kind, "COMPACT") == 0;
}

static ls_code check_entries(const ls_paimon_commit_input *in, ls_error *err)
{
    const char *bucket_option = ls_paimon_strmap_get(&in->schema->options, "bucket");
    long buckets = bucket_option ? strtol(bucket_option, NULL, 10) : -1;
    if (in->commit_kind && strcmp(in->commit_kind, "APPEND") != 0 && !is_compact(in))
        return ls_error_set(err, LS_ERR_INVALID, "commit kind %s is not supported",
                            in->commit_kind);
    for (size_t i = 0; i < in->entry_count; i++) {
        const ls_paimon_manifest_entry *e = &in->entries[i];
        size_t arity = 0;
        if (e->kind != LS_PAIMON_KIND_ADD && !(is_compact(in) && e->kind == LS_PAIMON_KIND_DELETE))
            return ls_error_set(err, LS_ERR_INVALID, "commit entry %zu is not an ADD", i);
        ls_code rc = ls_paimon_binaryrow_arity(e->partition.data, e->partition.len, &arity, err);
        if (rc)
            return rc;
        if (arity != in->schema->partition_key_count)
            return ls_error_set(err, LS_ERR_INVALID,
                                "commit entry %zu has %zu partition values, the table %zu", i,
                                arity, in->schema->partition_key_count);
        if (e->total_buckets != (int32_t)buckets ||
            (buckets <= 0 ? e->bucket != 0 : e->bucket < 0 || e->bucket >= buckets))
            return ls_error_set(err, LS_ERR_INVALID,
                                "commit entry %zu: bucket %d of %d does not match bucket=%ld", i,
                                (int)e->bucket, (int)e->total_buckets, buckets);
        if (e->file.schema_id > in->schema->id || e->file.row_count < 0)
            return ls_error_set(err, LS_ERR_INVALID, "commit entry %zu: bad schema id or rows",
                                i);
    }
    return LS_OK;
}

/* Writes a manifest of entries and fills its manifest-list record. */
static ls_code write_manifest(const ls_paimon_commit_input *in,
                             const ls_paimon_manifest_entry *entries, size_t count,
                             ls_buf *bytes, ls_paimon_manifest_meta *m, ls_error *err)
{
    ls_code rc = ls_paimon_manifest_write(entries, count, in->codec, bytes, err);
    if (rc == LS_OK)
        rc = partition_stats(in->schema, entries, count, &m->partition_stats, err);
    m->file_size = (int64_t)bytes->len;
    m->schema_id = in->schema->id;
    m->min_bucket = m->max_bucket = m->min_level = m->max_level = LS_PAIMON_ABSENT;
    for (size_t i = 0; i < count; i++) {
        const ls_paimon_manifest_entry *e = &entries[i];
        m->num_added_files += e->kind == LS_PAIMON_KIND_ADD;
        m->num_deleted_files += e->kind == LS_PAIMON_KIND_DELETE;
        if (m->min_bucket == LS_PAIMON_ABSENT || e->bucket < m->min_bucket)
            m->min_bucket = e->bucket;
        if (m->max_bucket == LS_PAIMON_ABSENT || e->bucket > m->max_bucket)
            m->max_bucket = e->bucket;
        if (m->min_level == LS_PAIMON_ABSENT || e->file.level < m->min_level)
            m->min_level = e->file.level;
        if (m->max_level == LS_PAIMON_ABSENT || e->file.level > m->max_level)
            m->max_level = e->file.level;
    }
    return rc;
}

/* The new manifest and its manifest-list record. */
static ls_code plan_manifest(const ls_paimon_commit_input *in, ls_paimon_commit_plan *out,
                             ls_error *err)
{
    out->manifest_path = name_with_uuid("manifest/manifest-", in->name_uuid, 0);
    out->delta_meta.file_name = name_with_uuid("manifest-", in->name_uuid, 0);
    if (!out->manifest_path || !out->delta_meta.file_name)
        return nomem(err);
    return write_manifest(in, in->entries, in->entry_count, &out->manifest, &out->delta_meta,
                          err);
}

/* One manifest of the previous live files replaces the previous manifests. */
static ls_code plan_merged_base(const ls_paimon_commit_input *in, ls_paimon_commit_plan *out,
                                ls_error *err)
{
    int64_t rows = 0;
    for (size_t i = 0; i < in->merge_entry_count; i++) {
        if (in->merge_entries[i]->kind != LS_PAIMON_KIND_ADD)
            return ls_error_set(err, LS_ERR_INVALID, "merge entry %zu is not a live file", i);
        rows += in->merge_entries[i]->file.row_count;
    }
    if (!in->previous || rows != in->previous->total_record_count)
        return ls_error_set(err, LS_ERR_INVALID,
                            "merged live files hold %" PRId64 " rows, the previous snapshot %" PRId64,
                            rows, in->previous ? in->previous->total_record_count : 0);
    out->base_metas = calloc(1, sizeof *out->base_metas);
    if (!out->base_metas)
        return nomem(err);
    if (in->merge_entry_count == 0)
        return LS_OK;
    /* The entries are copied shallowly into one array for the writer. */
    ls_paimon_manifest_entry *flat = malloc(in->merge_entry_count * sizeof *flat);
    if (!flat)
        return nomem(err);
    for (size_t i = 0; i < in->merge_entry_count; i++)
        flat[i] = *in->merge_entries[i];
    ls_paimon_manifest_meta *m = &out->base_metas[0];
    out->merged_manifest_path = name_with_uuid("manifest/manifest-", in->name_uuid, 1);
    m->file_name = name_with_uuid("manifest-", in->name_uuid, 1);
    ls_code rc = out->merged_manifest_path && m->file_name ? LS_OK : nomem(err);
    out->base_meta_count = 1;
    if (rc == LS_OK)
        rc = write_manifest(in, flat, in->merge_entry_count, &out->merged_manifest, m, err);
    free(flat);
    return rc;
}

/* Base list = the previous base + delta records, copied unchanged. */
static ls_code plan_lists(const ls_paimon_commit_input *in, ls_paimon_commit_plan *out,
                          ls_error *err)
{
    size_t n = in->previous ? in->previous_base_count + in->previous_delta_count : 0;
    ls_code rc = LS_OK;
    if (in->merge_base) {
        rc = plan_merged_base(in, out, err);
        n = 0;
    } else if (!(out->base_metas = calloc(n ? n : 1, sizeof *out->base_metas))) {
        rc = nomem(err);
    }
    for (size_t i = 0; rc == LS_OK && i < n; i++) {
        const ls_paimon_manifest_meta *from = i < in->previous_base_count
                                                  ? &in->previous_base[i]
                                                  : &in->previous_delta[i - in->previous_base_count];
        rc = ls_paimon_manifest_meta_copy(from, &out->base_metas[i], err);
        if (rc == LS_OK)
            out->base_meta_count++;
    }
    out->base_list_path = name_with_uuid("manifest/manifest-list-", in->name_uuid, 0);
    out->delta_list_path = name_with_uuid("manifest/manifest-list-", in->name_uuid, 1);
    if (rc == LS_OK && (!out->base_list_path || !out->delta_list_path))
        rc = nomem(err);
    if (rc == LS_OK)
        rc = ls_paimon_manifest_list_write(out->base_metas, out->base_meta_count, in->codec,
                                           &out->base_list, err);
    if (rc == LS_OK)
        rc = ls_paimon_manifest_list_write(&out->delta_meta, out->manifest_path ? 1 : 0,
                                           in->codec, &out->delta_list, err);
    return rc;
}

static ls_code plan_snapshot(const ls_paimon_commit_input *in, ls_paimon_commit_plan *out,
                             ls_error *err)
{
    const ls_paimon_snapshot *prev = in->previous;
    ls_paimon_snapshot *s = &out->snapshot;
    int64_t added = 0;
    for (size_t i = 0; i < in->entry_count; i++)
        added += in->entries[i].kind == LS_PAIMON_KIND_DELETE ? -in->entries[i].file.row_count
                                                              : in->entries[i].file.row_count;
    s->version = 3;
    s->id = out->snapshot_id;
    s->schema_id = in->schema->id;
    s->base_manifest_list = strdup(out->base_list_path + strlen("manifest/"));
    s->base_manifest_list_size = (int64_t)out->base_list.len;
    s->delta_manifest_list = strdup(out->delta_list_path + strlen("manifest/"));
    s->delta_manifest_list_size = (int64_t)out->delta_list.len;
    s->changelog_manifest_list_size = LS_PAIMON_ABSENT;
    s->commit_user = strdup(in->commit_user);
    s->commit_identifier = in->commit_identifier;
    s->commit_kind = strdup(is_compact(in) ? "COMPACT" : "APPEND");
    s->time_millis = in->time_millis;
    s->total_record_count = (prev ? prev->total_record_count : 0) + added;
    s->delta_record_count = added;
    s->changelog_record_count = 0;
    s->watermark = prev ? prev->watermark : LS_PAIMON_ABSENT;
    s->next_row_id = prev && prev->next_row_id != LS_PAIMON_ABSENT ? prev->next_row_id : 0;
    if (!s->base_manifest_list || !s->delta_manifest_list || !s->commit_user || !s->commit_kind)
        return nomem(err);
    for (size_t i = 0; in->properties && i < in->properties->count; i++) {
        ls_code rc = ls_paimon_strmap_set(&s->properties, in->properties->keys[i],
                                          in->properties->values[i], err);
        if (rc)
            return rc;
    }
    char path[48];
    snprintf(path, sizeof path, "snapshot/snapshot-%" PRId64, s->id);
    if (!(out->snapshot_path = strdup(path)))
        return nomem(err);
    snprintf(out->latest_hint, sizeof out->latest_hint, "%" PRId64, s->id);
    out->write_earliest = s->id == 1;
    snprintf(out->earliest_hint, sizeof out->earliest_hint, "%" PRId64, (int64_t)1);
    return ls_paimon_snapshot_to_json(s, &out->snapshot_json, err);
}

ls_code ls_paimon_commit_plan_build(const ls_paimon_commit_input *in, ls_paimon_commit_plan *out,
                                    ls_error *err)
{
    memset(out, 0, sizeof *out);
    ls_buf_init(&out->manifest, MANIFEST_MAX_BYTES);
    ls_buf_init(&out->base_list, MANIFEST_MAX_BYTES);
    ls_buf_init(&out->delta_list, MANIFEST_MAX_BYTES);
    ls_buf_init(&out->merged_manifest, MANIFEST_MAX_BYTES);
    ls_buf_init(&out->snapshot_json, SNAPSHOT_MAX_BYTES);
    if (!in->schema || !in->commit_user || !in->name_uuid || !in->name_uuid[0])
        return ls_error_set(err, LS_ERR_INVALID,
                            "a commit needs a schema, a commit user and a name UUID");
    if (in->previous && in->previous->id >= INT64_MAX)
        return ls_error_set(err, LS_ERR_INVALID, "snapshot id overflow");
    /* A previous snapshot with rows has manifests: planning without them
     * would write a snapshot that silently drops the table's data. */
    if (in->previous && !in->merge_base && in->previous->total_record_count > 0 &&
        in->previous_base_count + in->previous_delta_count == 0)
        return ls_error_set(err, LS_ERR_INVALID,
                            "the previous snapshot's manifest lists were not given");
    out->snapshot_id = in->previous ? in->previous->id + 1 : 1;
    ls_code rc = check_entries(in, err);
    if (rc == LS_OK && in->entry_count)
        rc = plan_manifest(in, out, err);
    if (rc == LS_OK)
        rc = plan_lists(in, out, err);
    if (rc == LS_OK)
        rc = plan_snapshot(in, out, err);
    if (rc)
        ls_paimon_commit_plan_cleanup(out);
    return rc;
}

void ls_paimon_commit_plan_cleanup(ls_paimon_commit_plan *p)
{
    free(p->manifest_path);
    ls_buf_cleanup(&p->manifest);
    free(p->base_list_path);
    ls_buf_cleanup(&p->base_list);
    free(p->delta_list_path);
    ls_buf_cleanup(&p->delta_list);
    ls_paimon_manifest_metas_free(p->base_metas, p->base_meta_count);
    ls_paimon_manifest_meta_cleanup(&p->delta_meta);
    free(p->merged_manifest_path);
    ls_buf_cleanup(&p->merged_manifest);
    free(p->snapshot_path);
    ls_paimon_snapshot_cleanup(&p->snapshot);
    ls_buf_cleanup(&p->snapshot_json);
    memset(p, 0, sizeof *p);
}
