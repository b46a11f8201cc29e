/* The "replace" snapshot of compaction: see iceberg_replace.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg_replace.h"

/* The removed paths, sorted for lookup, each with a found mark. */
typedef struct removed_set {
    const char **paths;
    unsigned char *found;
    size_t count;
    int64_t records, bytes;
} removed_set;

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static ls_code removed_set_init(removed_set *s, const ls_iceberg_replace *r, ls_error *err)
{
    memset(s, 0, sizeof *s);
    if (r->removed_count == 0)
        return ls_error_set(err, LS_ERR_INVALID, "a replace must remove at least one file");
    s->paths = malloc(r->removed_count * sizeof *s->paths);
    s->found = calloc(r->removed_count, 1);
    if (!s->paths || !s->found)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    s->count = r->removed_count;
    memcpy(s->paths, r->removed_paths, s->count * sizeof *s->paths);
    qsort(s->paths, s->count, sizeof *s->paths, compare_paths);
    for (size_t i = 1; i < s->count; i++)
        if (strcmp(s->paths[i - 1], s->paths[i]) == 0)
            return ls_error_set(err, LS_ERR_INVALID, "%s is removed twice", s->paths[i]);
    return LS_OK;
}

static void removed_set_cleanup(removed_set *s)
{
    free(s->paths);
    free(s->found);
}

/* The index of path in the set, or -1. */
static long removed_find(const removed_set *s, const char *path)
{
    const char **hit = bsearch(&path, s->paths, s->count, sizeof *s->paths, compare_paths);
    return hit ? (long)(hit - s->paths) : -1;
}

void ls_iceberg_replace_result_cleanup(ls_iceberg_replace_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->manifest_count; i++) {
        free(r->manifests[i].path);
        ls_buf_cleanup(&r->manifests[i].bytes);
    }
    free(r->manifests);
    r->manifests = NULL;
    r->manifest_count = 0;
    ls_buf_cleanup(&r->manifest_list);
}

/* Adds an empty written file named <prefix>-m<N>.avro to out. */
static ls_iceberg_written_file *new_manifest(ls_iceberg_replace_result *out, const char *prefix,
                                             ls_error *err)
{
    ls_iceberg_written_file *grown =
        realloc(out->manifests, (out->manifest_count + 1) * sizeof *grown);
    if (!grown) {
        ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    out->manifests = grown;
    ls_iceberg_written_file *f = &grown[out->manifest_count];
    size_t n = strlen(prefix) + 32;
    if (!(f->path = malloc(n))) {
        ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    snprintf(f->path, n, "%s-m%zu.avro", prefix, out->manifest_count);
    ls_buf_init(&f->bytes, LS_ICEBERG_MAX_MANIFEST_BYTES);
    out->manifest_count++;
    return f;
}

/* The parent manifests that hold removed files are merged into one
 * rewritten manifest: their entries are collected here (the manifests stay
 * read until it is written, as the writes point into them). */
typedef struct replace_ctx {
    const ls_iceberg_replace *r;
    const ls_iceberg_schema *schema;
    const ls_iceberg_partition_spec *spec;
    int64_t snapshot_id, sequence_number;
    removed_set removed;
    ls_iceberg_replace_result *out;
    ls_iceberg_manifest **merged; /* read manifests the writes point into */
    size_t merged_count;
    ls_iceberg_entry_write *writes;
    size_t write_count, write_cap;
} replace_ctx;

static ls_code add_write(replace_ctx *c, ls_iceberg_entry_write w, ls_error *err)
{
    if (c->write_count == c->write_cap) {
        size_t cap = c->write_cap ? c->write_cap * 2 : 256;
        ls_iceberg_entry_write *grown = realloc(c->writes, cap * sizeof *grown);
        if (!grown)
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        c->writes = grown;
        c->write_cap = cap;
    }
    c->writes[c->write_count++] = w;
    return LS_OK;
}

/* Collects the live entries of a parent manifest that holds removed files:
 * those removed become DELETED, the others EXISTING. */
static ls_code collect_entries(replace_ctx *c, const ls_iceberg_manifest_file *parent,
                               const ls_iceberg_manifest *m, ls_error *err)
{
    if (parent->partition_spec_id != c->spec->spec_id)
        return ls_error_set(err, LS_ERR_UNPROCESSABLE,
                            "%s has partition spec %d, not the default %d", parent->manifest_path,
                            (int)parent->partition_spec_id, (int)c->spec->spec_id);
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && i < m->entry_count; i++) {
        const ls_iceberg_manifest_entry *e = &m->entries[i];
        if (e->status == 2)
            continue; /* deleted by an older snapshot: not carried forward */
        long k = removed_find(&c->removed, e->file_path);
        /* Inherited (null) values resolve to the parent manifest's. */
        int64_t seq = e->sequence_number >= 0 ? e->sequence_number : parent->sequence_number;
        int64_t file_seq =
            e->file_sequence_number >= 0 ? e->file_sequence_number : parent->sequence_number;
        int64_t added_by = e->snapshot_id >= 0 ? e->snapshot_id : parent->added_snapshot_id;
        rc = add_write(c, (ls_iceberg_entry_write){.status = k >= 0 ? 2 : 0,
                                                   .snapshot_id = k >= 0 ? c->snapshot_id
                                                                         : added_by,
                                                   .sequence_number = seq,
                                                   .file_sequence_number = file_seq,
                                                   .entry = e},
                       err);
        if (!rc && k >= 0) {
            if (c->removed.found[k])
                return ls_error_set(err, LS_ERR_FORMAT, "%s is live twice", e->file_path);
            c->removed.found[k] = 1;
            c->removed.records += e->record_count;
            c->removed.bytes += e->file_size_bytes;
        }
    }
    return rc;
}

/* Reads one parent manifest: one without removed files is carried over as
 * list[*count]; one with them has its entries collected for the merge. */
static ls_code carry_manifest(replace_ctx *c, ls_iceberg_manifest_file *parent,
                              ls_iceberg_manifest_file *list, size_t *count, ls_error *err)
{
    if (parent->content != 0)
        return ls_error_set(err, LS_ERR_UNPROCESSABLE,
                            "the table has delete files; compaction does not apply them");
    ls_buf b;
    ls_buf_init(&b, LS_ICEBERG_MAX_MANIFEST_BYTES);
    ls_iceberg_manifest *m = NULL;
    ls_code rc = c->r->read(c->r->read_ctx, parent->manifest_path, &b, err);
    if (!rc)
        rc = ls_iceberg_manifest_read(b.data, b.len, &m, err);
    ls_buf_cleanup(&b);
    if (rc) {
        ls_error_name_field(err, parent->manifest_path);
        return rc;
    }
    size_t hits = 0;
    for (size_t i = 0; i < m->entry_count; i++)
        hits += m->entries[i].status != 2 && removed_find(&c->removed, m->entries[i].file_path) >= 0;
    if (hits == 0) {
        ls_iceberg_manifest_free(m);
        list[(*count)++] = *parent; /* moved: the parent's copy is zeroed */
        memset(parent, 0, sizeof *parent);
        return LS_OK;
    }
    ls_iceberg_manifest **grown = realloc(c->merged, (c->merged_count + 1) * sizeof *grown);
    if (!grown) {
        ls_iceberg_manifest_free(m);
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    }
    c->merged = grown;
    c->merged[c->merged_count++] = m;
    return collect_entries(c, parent, m, err);
}

/* Writes the merged manifest of the collected entries as list[*count]. */
static ls_code write_merged(replace_ctx *c, ls_iceberg_manifest_file *list, size_t *count,
                            ls_error *err)
{
    if (!c->write_count)
        return LS_OK;
    ls_iceberg_written_file *f = new_manifest(c->out, c->r->manifest_prefix, err);
    if (!f)
        return LS_ERR_NOMEM;
    ls_code rc = ls_iceberg_manifest_write_entries(c->schema, c->spec, c->snapshot_id,
                                                   c->sequence_number, c->writes, c->write_count,
                                                   f->path, c->r->codec, &f->bytes, &list[*count],
                                                   err);
    if (!rc)
        (*count)++;
    return rc;
}

/* Every removed path must have been found live, and the rows must match. */
static ls_code check_removed(const replace_ctx *c, int64_t added_records, ls_error *err)
{
    for (size_t i = 0; i < c->removed.count; i++)
        if (!c->removed.found[i])
            return ls_error_set(err, LS_ERR_CONFLICT,
                                "%s is no longer a live data file of the table",
                                c->removed.paths[i]);
    if (added_records != c->removed.records)
        return ls_error_set(err, LS_ERR_INVALID,
                            "the added files hold %lld records, the removed ones %lld",
                            (long long)added_records, (long long)c->removed.records);
    return LS_OK;
}

static int64_t summary_int(const ls_iceberg_metadata *md, const char *key)
{
    const char *v = ls_iceberg_metadata_summary(md, -1, key);
    return v ? strtoll(v, NULL, 10) : 0;
}

/* Number of distinct partition tuples among the added files. */
static ls_code changed_partitions(const replace_ctx *c, int64_t *out, ls_error *err)
{
    *out = 0;
    ls_buf a, b;
    ls_buf_init(&a, 1 << 20);
    ls_buf_init(&b, 1 << 20);
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && i < c->r->added_count; i++) {
        int seen = 0;
        ls_buf_reset(&a);
        rc = ls_iceberg_partition_path(c->spec, c->schema, c->r->added[i].partition, &a, err);
        for (size_t k = 0; !rc && !seen && k < i; k++) {
            ls_buf_reset(&b);
            rc = ls_iceberg_partition_path(c->spec, c->schema, c->r->added[k].partition, &b, err);
            seen = !rc && a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
        }
        if (!rc && !seen)
            (*out)++;
    }
    ls_buf_cleanup(&a);
    ls_buf_cleanup(&b);
    return rc;
}

/* Adds the snapshot to md with the replace summary. */
static ls_code add_replace_snapshot(ls_iceberg_metadata *md, const replace_ctx *c,
                                    int64_t added_bytes, ls_error *err)
{
    const ls_iceberg_replace *r = c->r;
    int64_t changed = 0;
    ls_code rc = changed_partitions(c, &changed, err);
    if (rc)
        return rc;
    int64_t values[] = {
        (int64_t)r->added_count, (int64_t)c->removed.count, c->removed.records,
        c->removed.records, added_bytes, c->removed.bytes, changed,
        summary_int(md, "total-records"),
        summary_int(md, "total-files-size") + added_bytes - c->removed.bytes,
        summary_int(md, "total-data-files") + (int64_t)r->added_count - (int64_t)c->removed.count,
        summary_int(md, "total-delete-files"), summary_int(md, "total-position-deletes"),
        summary_int(md, "total-equality-deletes")};
    static const char *keys[] = {
        "added-data-files", "deleted-data-files", "added-records", "deleted-records",
        "added-files-size", "removed-files-size", "changed-partition-count", "total-records",
        "total-files-size", "total-data-files", "total-delete-files", "total-position-deletes",
        "total-equality-deletes"};
    enum { N = sizeof keys / sizeof keys[0] };
    char text[N][24];
    size_t count = 1 + N + r->extra_summary_count;
    ls_iceberg_property *summary = calloc(count, sizeof *summary);
    if (!summary)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    summary[0] = (ls_iceberg_property){"operation", "replace"};
    for (size_t i = 0; i < N; i++) {
        snprintf(text[i], sizeof text[i], "%lld", (long long)values[i]);
        summary[1 + i] = (ls_iceberg_property){keys[i], text[i]};
    }
    for (size_t i = 0; i < r->extra_summary_count; i++)
        summary[1 + N + i] = r->extra_summary[i];
    ls_iceberg_snapshot snap = {.snapshot_id = c->snapshot_id,
                                .timestamp_ms = r->timestamp_ms,
                                .manifest_list = r->manifest_list_path,
                                .summary = summary,
                                .summary_count = count};
    rc = ls_iceberg_metadata_add_snapshot(md, &snap, r->previous_metadata_file, err);
    free(summary);
    return rc;
}

/* Writes the manifest of the added files as list[0]. */
static ls_code write_added(replace_ctx *c, ls_iceberg_manifest_file *list, int64_t *bytes,
                           int64_t *records, ls_error *err)
{
    const ls_iceberg_replace *r = c->r;
    *bytes = *records = 0;
    for (size_t i = 0; i < r->added_count; i++) {
        if (!r->added[i].path || !strstr(r->added[i].path, "://"))
            return ls_error_set(err, LS_ERR_INVALID, "added file %zu has no fully qualified path",
                                i);
        *bytes += r->added[i].file_size_bytes;
        *records += r->added[i].record_count;
    }
    if (r->added_count == 0)
        return LS_OK; /* every removed file was empty */
    ls_iceberg_written_file *f = new_manifest(c->out, r->manifest_prefix, err);
    if (!f)
        return LS_ERR_NOMEM;
    return ls_iceberg_manifest_write(c->schema, c->spec, c->snapshot_id, c->sequence_number,
                                     r->added, r->added_count, f->path, r->codec, &f->bytes,
                                     &list[0], err);
}

ls_code ls_iceberg_metadata_replace(ls_iceberg_metadata *md, const ls_iceberg_replace *r,
                                    ls_iceberg_replace_result *out, ls_error *err)
{
    memset(out, 0, sizeof *out);
    ls_buf_init(&out->manifest_list, LS_ICEBERG_MAX_MANIFEST_BYTES);
    ls_iceberg_schema schema;
    ls_iceberg_partition_spec spec;
    ls_iceberg_schema_init(&schema, 0);
    ls_iceberg_spec_init(&spec, 0);
    ls_iceberg_manifest_file *parent = NULL, *list = NULL;
    size_t parent_count = 0, list_count = 0;
    replace_ctx c = {.r = r, .schema = &schema, .spec = &spec, .out = out,
                     .snapshot_id = r->snapshot_id,
                     .sequence_number = ls_iceberg_metadata_last_sequence_number(md) + 1};
    int64_t current = ls_iceberg_metadata_current_snapshot_id(md);
    int64_t added_bytes = 0, added_records = 0;
    ls_code rc = removed_set_init(&c.removed, r, err);
    if (!rc && (current < 0 || !r->parent_manifest_list))
        rc = ls_error_set(err, LS_ERR_CONFLICT, "the table has no snapshot to replace files in");
    if (!rc && c.snapshot_id == 0)
        rc = ls_iceberg_random_snapshot_id(&c.snapshot_id, err);
    if (!rc)
        rc = ls_iceberg_metadata_current_schema(md, &schema, err);
    if (!rc)
        rc = ls_iceberg_metadata_default_spec(md, &spec, err);
    if (!rc)
        rc = ls_iceberg_manifest_list_read(r->parent_manifest_list, r->parent_manifest_list_len,
                                           &parent, &parent_count, err);
    if (!rc && !(list = calloc(parent_count + 1, sizeof *list)))
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = write_added(&c, list, &added_bytes, &added_records, err);
    if (!rc)
        list_count = r->added_count ? 1 : 0;
    for (size_t i = 0; !rc && i < parent_count; i++)
        rc = carry_manifest(&c, &parent[i], list, &list_count, err);
    if (!rc)
        rc = check_removed(&c, added_records, err);
    if (!rc)
        rc = write_merged(&c, list, &list_count, err);
    if (!rc)
        rc = ls_iceberg_manifest_list_write(c.snapshot_id, current, c.sequence_number, list,
                                            list_count, r->codec, &out->manifest_list, err);
    if (!rc)
        rc = add_replace_snapshot(md, &c, added_bytes, err);
    if (!rc) {
        out->snapshot_id = c.snapshot_id;
        out->sequence_number = c.sequence_number;
        out->records = added_records;
        out->added_bytes = added_bytes;
        out->removed_bytes = c.removed.bytes;
    }
    ls_iceberg_manifest_files_free(list, list_count);
    ls_iceberg_manifest_files_free(parent, parent_count);
    removed_set_cleanup(&c.removed);
    for (size_t i = 0; i < c.merged_count; i++)
        ls_iceberg_manifest_free(c.merged[i]);
    free(c.merged);
    free(c.writes);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&schema);
    return rc;
}
