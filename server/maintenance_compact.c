/* Compaction: small files of a partition rewritten into target-size files,
 * committed as an Iceberg replace snapshot (maintenance.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg_parquet.h"
#include "iceberg_replace.h"
#include "maintenance_internal.h"
#include "parquet_reader.h"
#include "paimon_binaryrow.h"
#include "paimon_objstore.h"
#include "paimon_read.h"
#include "paimon_stats.h"
#include "parquet_writer.h"
#include "util/log.h"

#define BATCH_MAX_BYTES ((size_t)256 << 20)
#define ROW_GROUP_MAX_BYTES ((uint64_t)32 << 20)
#define MAX_INPUT_BYTES_PER_RUN ((int64_t)8 << 30)

/* ---- planning ------------------------------------------------------------ */

/* A live data file and the partition it belongs to. */
typedef struct candidate {
    const ls_iceberg_live_file *file;
    char *partition_key; /* spec id and values, comparable with strcmp */
} candidate;

/* A printable key of f's spec and partition values. */
static char *partition_key(const ls_iceberg_live_file *f)
{
    ls_buf b;
    ls_buf_init(&b, 1 << 20);
    ls_error err = {0};
    ls_code rc = ls_buf_printf(&b, &err, "%d", (int)f->spec_id);
    for (size_t i = 0; !rc && i < f->partition_count; i++) {
        const ls_iceberg_read_partition *p = &f->partition[i];
        const ls_iceberg_value *v = &p->value;
        if (v->is_null) {
            rc = ls_buf_printf(&b, &err, "|n");
            continue;
        }
        rc = ls_buf_printf(&b, &err, "|%d:", (int)p->kind);
        if (rc)
            break;
        if (p->kind == LS_AVRO_STRING || p->kind == LS_AVRO_BYTES) {
            for (size_t k = 0; !rc && k < v->u.bytes.len; k++)
                rc = ls_buf_printf(&b, &err, "%02x", v->u.bytes.data[k]);
        } else {
            const uint8_t *raw = (const uint8_t *)&v->u;
            for (size_t k = 0; !rc && k < sizeof v->u; k++)
                rc = ls_buf_printf(&b, &err, "%02x", raw[k]);
        }
    }
    if (!rc)
        rc = ls_buf_append(&b, "", 1, &err);
    char *key = rc ? NULL : (char *)ls_buf_take(&b, NULL);
    ls_buf_cleanup(&b);
    return key;
}

static int compare_candidates(const void *a, const void *b)
{
    const candidate *x = a, *y = b;
    int c = strcmp(x->partition_key, y->partition_key);
    return c ? c : strcmp(x->file->path, y->file->path);
}

/* Every live data file with its partition key, sorted by partition then
 * path. */
static ls_code list_candidates(const ls_iceberg_scan *scan, candidate **out, size_t *count,
                               ls_error *err)
{
    *out = NULL;
    *count = 0;
    candidate *c = calloc(scan->file_count ? scan->file_count : 1, sizeof *c);
    if (!c)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < scan->file_count; i++) {
        if (scan->files[i].content != 0)
            continue;
        c[n].file = &scan->files[i];
        if (!(c[n].partition_key = partition_key(&scan->files[i]))) {
            for (size_t k = 0; k < n; k++)
                free(c[k].partition_key);
            free(c);
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        }
        n++;
    }
    qsort(c, n, sizeof *c, compare_candidates);
    *out = c;
    *count = n;
    return LS_OK;
}

static void free_candidates(candidate *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(c[i].partition_key);
    free(c);
}

/* ---- rewriting ----------------------------------------------------------- */

/* A file written by the rewrite, kept until the commit. */
typedef struct added_file {
    char uri[LS_COMMITTER_URI_MAX + 128];
    ls_parquet_file_stats stats;
    ls_iceberg_column_stats *columns;
    int64_t *split_offsets;
    ls_iceberg_value partition[LS_ICEBERG_MAX_PARTITION_FIELDS];
    ls_iceberg_data_file data_file;
    bool has_paimon_entry;
    ls_paimon_manifest_entry paimon_entry; /* Paimon: the file's ADD entry */
} added_file;

/* An input file of a group. */
typedef struct source_file {
    const char *uri;
    int64_t record_count;
    const ls_iceberg_read_partition *partition; /* Iceberg: the file's values */
} source_file;

typedef struct compaction {
    ls_maint_table *table;
    const ls_maintenance_config *config;
    ls_iceberg_schema schema;
    ls_iceberg_partition_spec spec;
    ls_parquet_column_spec *columns; /* the current schema, in order */
    ls_type *types;
    char run_uuid[37];
    /* Files removed and added by this run. */
    const char **removed;
    size_t removed_count;
    int64_t removed_bytes;
    added_file **added;
    size_t added_count;
    /* The file being written. */
    ls_objstore_upload *upload;
    ls_parquet_writer *writer;
    ls_column_batch *batch;
    added_file *current;
    int64_t snapshot_id; /* of the committed replace */
    /* Paimon tables: the schema written with (NULL for Iceberg) and the
     * entry of the group's first file (partition and bucket of the new). */
    const ls_paimon_schema *paimon_schema;
    const ls_paimon_manifest_entry *paimon_source;
} compaction;

static ls_code add_slot(compaction *c, added_file **out, ls_error *err)
{
    added_file **grown = realloc(c->added, (c->added_count + 1) * sizeof *grown);
    if (!grown)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    c->added = grown;
    if (!(grown[c->added_count] = calloc(1, sizeof **grown)))
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    *out = grown[c->added_count++];
    return LS_OK;
}

/* Starts a new output file beside the group's first input: Iceberg
 * "compact-<uuid>-N.parquet" under data/, Paimon "data-<uuid>-N.parquet" in
 * the bucket directory, as Paimon names data files. */
static ls_code open_output(compaction *c, const source_file *first, ls_error *err)
{
    added_file *a = NULL;
    ls_code rc = add_slot(c, &a, err);
    if (rc)
        return rc;
    const char *slash = strrchr(first->uri, '/');
    int dir_len = (int)(slash - first->uri);
    snprintf(a->uri, sizeof a->uri, "%.*s/%s-%s-%05zu.parquet", dir_len, first->uri,
             c->paimon_schema ? "data" : "compact", c->run_uuid, c->added_count);
    for (size_t i = 0; !c->paimon_schema && i < c->spec.field_count; i++) {
        ls_type t;
        if ((rc = ls_iceberg_spec_field_type(&c->spec, i, &c->schema, &t, err)))
            return rc;
        a->partition[i] = ls_iceberg_read_partition_value(t, &first->partition[i]);
    }
    const char *key = ls_maint_key(&c->table->reader, a->uri);
    if (!key || (!c->paimon_schema && strncmp(key, "data/", 5) != 0))
        return ls_error_set(err, LS_ERR_UNPROCESSABLE, "%s does not lie under the table's data/",
                            first->uri);
    if ((rc = ls_objstore_upload_begin(c->table->store, key, &c->upload, err)))
        return rc;
    ls_parquet_options options;
    ls_parquet_options_init(&options);
    options.row_group_bytes = (uint64_t)c->config->target_file_size_bytes < ROW_GROUP_MAX_BYTES
                                  ? (uint64_t)c->config->target_file_size_bytes
                                  : ROW_GROUP_MAX_BYTES;
    if (c->paimon_schema)
        options.root_name = "paimon_schema";
    c->writer = ls_parquet_writer_new(c->columns, c->schema.field_count, &options,
                                      ls_objstore_upload_sink(c->upload), err);
    if (!c->writer)
        return err->code ? err->code : LS_ERR_INTERNAL;
    c->current = a;
    return LS_OK;
}

static ls_code flush_batch(compaction *c, ls_error *err)
{
    if (!c->batch->row_count)
        return LS_OK;
    ls_code rc = ls_parquet_writer_write_batch(c->writer, c->batch, err);
    ls_column_batch_reset(c->batch);
    return rc;
}

/* The ADD entry of a new Paimon file: in the partition and bucket of the
 * group, value stats from its Parquet statistics, marked as written by a
 * compaction. */
static ls_code paimon_entry_of(compaction *c, added_file *a, ls_error *err)
{
    const ls_paimon_manifest_entry *src = c->paimon_source;
    ls_paimon_manifest_entry *e = &a->paimon_entry;
    memset(e, 0, sizeof *e);
    a->has_paimon_entry = true;
    e->kind = LS_PAIMON_KIND_ADD;
    e->bucket = src->bucket;
    e->total_buckets = src->total_buckets;
    e->partition.len = src->partition.len;
    if (!(e->partition.data = malloc(src->partition.len ? src->partition.len : 1)))
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (src->partition.len)
        memcpy(e->partition.data, src->partition.data, src->partition.len);
    const char *name = strrchr(a->uri, '/') + 1;
    ls_code rc = ls_paimon_data_file_init_append(
        &e->file, name, (int64_t)a->stats.file_size_bytes, (int64_t)a->stats.row_count,
        c->paimon_schema->id, ls_paimon_creation_time_millis(ls_maint_wall_ms()), err);
    if (!rc)
        rc = ls_paimon_value_stats_from_parquet(c->paimon_schema, &a->stats,
                                                &e->file.value_stats, err);
    e->file.file_source = LS_PAIMON_FILE_SOURCE_COMPACT;
    a->data_file.record_count = (int64_t)a->stats.row_count;
    a->data_file.file_size_bytes = (int64_t)a->stats.file_size_bytes;
    return rc;
}

/* Closes the output file and turns its statistics into a data file. */
static ls_code close_output(compaction *c, ls_error *err)
{
    added_file *a = c->current;
    ls_code rc = flush_batch(c, err);
    if (!rc)
        rc = ls_parquet_writer_close(c->writer, &a->stats, err);
    ls_parquet_writer_free(c->writer);
    c->writer = NULL;
    if (rc) {
        ls_objstore_upload_abort(c->upload);
        c->upload = NULL;
        return rc;
    }
    rc = ls_objstore_upload_commit(c->upload, err);
    c->upload = NULL;
    c->current = NULL;
    if (rc)
        return rc;
    if (c->paimon_schema)
        return paimon_entry_of(c, a, err);
    a->columns = calloc(a->stats.column_count + 1, sizeof *a->columns);
    a->split_offsets = calloc(a->stats.row_group_count + 1, sizeof *a->split_offsets);
    if (!a->columns || !a->split_offsets)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    return ls_iceberg_data_file_from_parquet(&a->stats, a->uri, a->partition, a->columns,
                                             a->split_offsets, &a->data_file, err);
}

/* Appends value vi of src to dst, widening as ls_type_promotes allows. */
static ls_code copy_value(const ls_column *src, size_t vi, ls_column *dst, ls_error *err)
{
    const void *values = src->values.data;
    switch (src->storage) {
    case LS_STORAGE_BOOL: return ls_column_set_bool(dst, ((const uint8_t *)values)[vi], err);
    case LS_STORAGE_INT32: {
        int32_t v = ((const int32_t *)values)[vi];
        return dst->storage == LS_STORAGE_INT32   ? ls_column_set_int32(dst, v, err)
               : dst->storage == LS_STORAGE_INT64 ? ls_column_set_int64(dst, v, err)
                                                  : ls_column_set_int128(dst, v, err);
    }
    case LS_STORAGE_INT64: {
        int64_t v = ((const int64_t *)values)[vi];
        return dst->storage == LS_STORAGE_INT64 ? ls_column_set_int64(dst, v, err)
                                                : ls_column_set_int128(dst, v, err);
    }
    case LS_STORAGE_FLOAT: {
        float v = ((const float *)values)[vi];
        return dst->storage == LS_STORAGE_FLOAT ? ls_column_set_float(dst, v, err)
                                                : ls_column_set_double(dst, v, err);
    }
    case LS_STORAGE_DOUBLE: return ls_column_set_double(dst, ((const double *)values)[vi], err);
    case LS_STORAGE_INT128: {
        ls_int128 v;
        memcpy(&v, (const uint8_t *)values + vi * sizeof v, sizeof v);
        return ls_column_set_int128(dst, v, err);
    }
    case LS_STORAGE_BYTES: {
        size_t len;
        const uint8_t *p = ls_column_bytes_at(src, vi, &len);
        return ls_column_set_bytes(dst, p, len, err);
    }
    }
    return ls_error_set(err, LS_ERR_INTERNAL, "unknown storage");
}

/* Appends the rows of one row group (read with the file's columns) to the
 * output batch: columns matched by field id, absent ones null. */
static ls_code copy_rows(compaction *c, const ls_column_batch *in, const long *source,
                         size_t *cursor, ls_error *err)
{
    size_t n = c->schema.field_count;
    memset(cursor, 0, n * sizeof *cursor);
    ls_code rc = LS_OK;
    for (size_t r = 0; !rc && r < in->row_count; r++) {
        ls_column_batch_row_begin(c->batch);
        for (size_t k = 0; !rc && k < n; k++) {
            ls_column *dst = &c->batch->columns[k];
            const ls_column *src = source[k] >= 0 ? &in->columns[source[k]] : NULL;
            if (!src || !ls_column_is_valid(src, r))
                rc = ls_column_set_null(dst, err);
            else
                rc = copy_value(src, cursor[k]++, dst, err);
        }
        if (!rc)
            rc = ls_column_batch_row_end(c->batch, err);
        else
            ls_column_batch_row_abort(c->batch);
        if (rc == LS_ERR_TOO_LARGE && c->batch->row_count) {
            /* The batch is full: write it and redo this row. */
            for (size_t k = 0; k < n; k++)
                if (source[k] >= 0 && ls_column_is_valid(&in->columns[source[k]], r))
                    cursor[k]--;
            ls_error_clear(err);
            rc = flush_batch(c, err);
            r--;
        }
    }
    return rc;
}

/* For each schema column, the index of the file's column with its field id
 * (-1 when the file predates the column). */
static ls_code map_columns(const compaction *c, const ls_parquet_reader *reader,
                           const char *path, long *source, ls_error *err)
{
    for (size_t k = 0; k < c->schema.field_count; k++) {
        const ls_iceberg_field *f = &c->schema.fields[k];
        source[k] = -1;
        for (size_t i = 0; i < ls_parquet_reader_column_count(reader); i++) {
            const ls_parquet_reader_column *col = ls_parquet_reader_column_at(reader, i);
            if (!col->has_field_id || col->field_id != f->id)
                continue;
            /* An older file may hold a type the column was promoted from. */
            if (!ls_type_promotes(col->type, f->type))
                return ls_error_set(err, LS_ERR_UNPROCESSABLE,
                                    "%s: column %s cannot be read as the table's type", path,
                                    col->name);
            source[k] = (long)i;
        }
    }
    return LS_OK;
}

/* Reads one input file into the output, rolling files at the target size;
 * new outputs open beside first. */
static ls_code rewrite_file(compaction *c, const source_file *f, const source_file *first,
                            ls_error *err)
{
    size_t n = c->schema.field_count;
    ls_buf data;
    ls_buf_init(&data, (size_t)c->config->target_file_size_bytes + ((size_t)64 << 20));
    ls_parquet_reader *reader = NULL;
    ls_column_batch *in = NULL;
    long *source = calloc(n ? n : 1, sizeof *source);
    size_t *cursor = calloc(n ? n : 1, sizeof *cursor);
    ls_code rc = source && cursor ? LS_OK : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = ls_maint_read(&c->table->reader, f->uri, &data, err);
    if (!rc && !(reader = ls_parquet_reader_open_buffer(data.data, data.len, NULL, err)))
        rc = err->code ? err->code : LS_ERR_FORMAT;
    if (!rc && ls_parquet_reader_row_count(reader) != (uint64_t)f->record_count)
        rc = ls_error_set(err, LS_ERR_FORMAT, "%s holds %" PRIu64 " rows, its manifest says %" PRId64,
                          f->uri, ls_parquet_reader_row_count(reader), f->record_count);
    if (!rc)
        rc = map_columns(c, reader, f->uri, source, err);
    if (!rc && !(in = ls_parquet_reader_batch_new(reader, NULL, 0)))
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    for (size_t g = 0; !rc && g < ls_parquet_reader_row_group_count(reader); g++) {
        if (!c->writer && (rc = open_output(c, first, err)))
            break;
        rc = ls_parquet_reader_read_row_group(reader, g, NULL, 0, in, err);
        if (!rc)
            rc = copy_rows(c, in, source, cursor, err);
        if (!rc && ls_parquet_writer_estimated_bytes(c->writer) + ls_column_batch_bytes(c->batch) >=
                       (uint64_t)c->config->target_file_size_bytes)
            rc = close_output(c, err);
    }
    if (rc)
        ls_error_name_field(err, f->uri);
    ls_column_batch_free(in);
    ls_parquet_reader_free(reader);
    ls_buf_cleanup(&data);
    free(source);
    free(cursor);
    return rc;
}

/* Rewrites the group files[0..n) of one partition. */
static ls_code rewrite_group(compaction *c, const candidate *files, size_t n, ls_error *err)
{
    ls_code rc = LS_OK;
    source_file first = {.uri = files[0].file->path, .record_count = files[0].file->record_count,
                         .partition = files[0].file->partition};
    for (size_t i = 0; !rc && i < n; i++) {
        if (ls_maintenance_cancelled(c->config, err))
            return LS_ERR_UNAVAILABLE;
        source_file f = {.uri = files[i].file->path, .record_count = files[i].file->record_count,
                         .partition = files[i].file->partition};
        rc = rewrite_file(c, &f, &first, err);
        if (!rc) {
            c->removed[c->removed_count++] = files[i].file->path;
            c->removed_bytes += files[i].file->file_size_bytes;
        }
    }
    if (!rc && c->writer)
        rc = close_output(c, err);
    return rc;
}

/* ---- committing ---------------------------------------------------------- */

/* The replace snapshot, built under the commit lock. */
static ls_code replace_update(void *ctx, const ls_committer_table *table, ls_iceberg_metadata *md,
                              int *changed, ls_error *err)
{
    compaction *c = ctx;
    ls_maint_reader reader = {.store = table->table_store, .location = table->location};
    char prefix[LS_COMMITTER_URI_MAX + 64], list_path[LS_COMMITTER_URI_MAX + 128];
    const char *job_id, *offsets;
    int64_t carrier;
    ls_iceberg_replace_result out = {0};
    ls_iceberg_data_file *added = calloc(c->added_count + 1, sizeof *added);
    ls_buf parent;
    ls_buf_init(&parent, LS_ICEBERG_MAX_MANIFEST_BYTES);
    ls_code rc = added ? LS_OK : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    const char *list = ls_iceberg_metadata_manifest_list(md, -1);
    if (!rc && !list)
        rc = ls_error_set(err, LS_ERR_CONFLICT, "the table has no current manifest list");
    if (!rc)
        rc = ls_maint_read(&reader, list, &parent, err);
    if (rc)
        goto out;
    for (size_t i = 0; i < c->added_count; i++)
        added[i] = c->added[i]->data_file;
    ls_maint_offsets_carrier(md, &job_id, &offsets, &carrier);
    ls_iceberg_property extra[2];
    size_t extra_count = 0;
    if (job_id)
        extra[extra_count++] = (ls_iceberg_property){"lakesync.job-id", job_id};
    if (offsets)
        extra[extra_count++] = (ls_iceberg_property){"lakesync.offsets", offsets};
    int64_t snapshot_id = 0;
    if ((rc = ls_iceberg_random_snapshot_id(&snapshot_id, err)))
        goto out;
    snprintf(prefix, sizeof prefix, "%s/metadata/%s", table->location, c->run_uuid);
    snprintf(list_path, sizeof list_path, "%s/metadata/snap-%" PRId64 "-1-%s.avro",
             table->location, snapshot_id, c->run_uuid);
    ls_iceberg_replace r = {
        .snapshot_id = snapshot_id, .timestamp_ms = ls_maint_wall_ms(),
        .removed_paths = c->removed, .removed_count = c->removed_count, .added = added,
        .added_count = c->added_count, .manifest_prefix = prefix, .manifest_list_path = list_path,
        .parent_manifest_list = parent.data, .parent_manifest_list_len = parent.len,
        .read = ls_maint_read, .read_ctx = &reader, .extra_summary = extra,
        .extra_summary_count = extra_count, .previous_metadata_file = table->metadata_location,
        .codec = LS_AVRO_CODEC_DEFLATE};
    if ((rc = ls_iceberg_metadata_replace(md, &r, &out, err)))
        goto out;
    for (size_t i = 0; !rc && i < out.manifest_count; i++)
        rc = ls_objstore_put(table->table_store, ls_maint_key(&reader, out.manifests[i].path),
                             out.manifests[i].bytes.data, out.manifests[i].bytes.len, err);
    if (!rc)
        rc = ls_objstore_put(table->table_store, ls_maint_key(&reader, list_path),
                             out.manifest_list.data, out.manifest_list.len, err);
    *changed = !rc;
    c->snapshot_id = rc ? 0 : out.snapshot_id;
    if (!rc)
        ls_log_info("maintenance", "replace snapshot %" PRId64 ": %zu files -> %zu files, %" PRId64
                    " rows", out.snapshot_id, c->removed_count, c->added_count, out.records);
out:
    ls_iceberg_replace_result_cleanup(&out);
    ls_buf_cleanup(&parent);
    free(added);
    return rc;
}

/* ---- the run ------------------------------------------------------------- */

static void compaction_cleanup(compaction *c)
{
    if (c->writer) {
        ls_parquet_writer_abort(c->writer);
        ls_parquet_writer_free(c->writer);
    }
    ls_objstore_upload_abort(c->upload);
    ls_column_batch_free(c->batch);
    for (size_t i = 0; i < c->added_count; i++) {
        if (c->added[i]->has_paimon_entry)
            ls_paimon_manifest_entry_cleanup(&c->added[i]->paimon_entry);
        ls_parquet_file_stats_cleanup(&c->added[i]->stats);
        free(c->added[i]->columns);
        free(c->added[i]->split_offsets);
        free(c->added[i]);
    }
    free(c->added);
    free(c->removed);
    free(c->columns);
    free(c->types);
    ls_iceberg_spec_cleanup(&c->spec);
    ls_iceberg_schema_cleanup(&c->schema);
}

/* The current schema as Parquet columns and batch types. */
static void compaction_start(compaction *c, ls_maint_table *table,
                             const ls_maintenance_config *config)
{
    memset(c, 0, sizeof *c);
    c->table = table;
    c->config = config;
    ls_iceberg_schema_init(&c->schema, 0);
    ls_iceberg_spec_init(&c->spec, 0);
}

/* The writer's columns and batch from c->schema, room for file_count
 * removed files, and the run's UUID. */
static ls_code compaction_columns(compaction *c, size_t file_count, ls_error *err)
{
    ls_code rc = ls_iceberg_random_uuid(c->run_uuid, err);
    if (rc)
        return rc;
    size_t n = c->schema.field_count;
    c->columns = calloc(n ? n : 1, sizeof *c->columns);
    c->types = calloc(n ? n : 1, sizeof *c->types);
    c->removed = calloc(file_count ? file_count : 1, sizeof *c->removed);
    if (!c->columns || !c->types || !c->removed)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        const ls_iceberg_field *f = &c->schema.fields[k];
        c->columns[k] = (ls_parquet_column_spec){.name = f->name, .field_id = f->id,
                                                 .type = f->type, .required = f->required};
        c->types[k] = f->type;
    }
    if (!(c->batch = ls_column_batch_new(c->types, n, BATCH_MAX_BYTES)))
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    return LS_OK;
}

/* The current schema and default spec of an Iceberg table. */
static ls_code compaction_init(compaction *c, ls_maint_table *table,
                               const ls_maintenance_config *config, size_t file_count,
                               ls_error *err)
{
    compaction_start(c, table, config);
    const ls_iceberg_metadata *md = table->scan->metadata;
    ls_code rc = ls_iceberg_metadata_current_schema(md, &c->schema, err);
    if (!rc)
        rc = ls_iceberg_metadata_default_spec(md, &c->spec, err);
    return rc ? rc : compaction_columns(c, file_count, err);
}

/* Picks and rewrites the groups: per partition, the files under 3/4 of the
 * target when there are at least min_input_files of them. Also fills the
 * before/after figures of result. */
static ls_code rewrite_partitions(compaction *c, const candidate *files, size_t n,
                                  ls_maintenance_result *result, ls_error *err)
{
    int64_t small_limit = c->config->target_file_size_bytes / 4 * 3;
    int64_t budget = MAX_INPUT_BYTES_PER_RUN;
    ls_code rc = LS_OK;
    size_t small_cap = n ? n : 1;
    candidate *small = calloc(small_cap, sizeof *small);
    if (!small)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    for (size_t start = 0, end; !rc && start < n; start = end) {
        size_t small_count = 0;
        int64_t small_bytes = 0;
        for (end = start; end < n && strcmp(files[end].partition_key, files[start].partition_key) == 0;
             end++) {
            if (files[end].file->file_size_bytes < small_limit &&
                small_bytes + files[end].file->file_size_bytes <= budget) {
                small[small_count++] = files[end];
                small_bytes += files[end].file->file_size_bytes;
            }
        }
        int64_t total = (int64_t)(end - start);
        if (total > result->max_partition_files_before)
            result->max_partition_files_before = total;
        size_t added_before = c->added_count;
        if (small_count >= (size_t)c->config->min_input_files && small_count >= 2) {
            rc = rewrite_group(c, small, small_count, err);
            budget -= small_bytes;
            result->partitions_compacted++;
            total += (int64_t)(c->added_count - added_before) - (int64_t)small_count;
        }
        if (total > result->max_partition_files_after)
            result->max_partition_files_after = total;
    }
    free(small);
    return rc;
}

/* Deletes the files written by a run whose commit was refused before it
 * stored anything (so nothing can reference them). */
static void delete_added(compaction *c)
{
    for (size_t i = 0; i < c->added_count; i++) {
        const char *key = ls_maint_key(&c->table->reader, c->added[i]->uri);
        ls_error ignored = {0};
        if (key && ls_objstore_delete(c->table->store, key, &ignored))
            ls_log_warn("maintenance", "%s not deleted: %s", c->added[i]->uri, ignored.message);
    }
}

ls_code ls_maintenance_compact(ls_committer *committer, const ls_table_ref *ref,
                               const ls_maintenance_config *config,
                               ls_maintenance_result *result, ls_error *err)
{
    ls_maint_table table;
    compaction c;
    candidate *files = NULL;
    size_t file_count = 0;
    int have_compaction = 0;
    ls_code rc = ls_maint_table_open(committer, ref, &table, err);
    if (!rc && table.scan->delete_file_count)
        rc = ls_error_set(err, LS_ERR_UNPROCESSABLE,
                          "%s.%s has delete files; compaction does not apply them", ref->database,
                          ref->table);
    if (!rc)
        rc = list_candidates(table.scan, &files, &file_count, err);
    if (!rc) {
        have_compaction = 1;
        rc = compaction_init(&c, &table, config, file_count, err);
    }
    result->data_files_before = (int64_t)file_count;
    result->data_files_after = (int64_t)file_count;
    if (!rc)
        rc = rewrite_partitions(&c, files, file_count, result, err);
    if (!rc && c.removed_count) {
        char uri[LS_COMMITTER_URI_MAX + 128];
        rc = ls_committer_update_iceberg(committer, ref, replace_update, &c, uri, sizeof uri, err);
        if (rc == LS_ERR_CONFLICT)
            delete_added(&c);
    }
    if (!rc && c.removed_count) {
        int64_t written = 0;
        for (size_t i = 0; i < c.added_count; i++)
            written += c.added[i]->data_file.file_size_bytes;
        result->replace_snapshot_id = c.snapshot_id;
        result->files_rewritten += (int64_t)c.removed_count;
        result->bytes_rewritten += c.removed_bytes;
        result->files_written += (int64_t)c.added_count;
        result->bytes_written += written;
        for (size_t i = 0; i < c.added_count; i++)
            result->records_rewritten += c.added[i]->data_file.record_count;
        result->data_files_after = (int64_t)file_count - (int64_t)c.removed_count +
                                   (int64_t)c.added_count;
    }
    if (rc) {
        result->max_partition_files_after = result->max_partition_files_before;
        result->data_files_after = result->data_files_before;
    }
    if (have_compaction)
        compaction_cleanup(&c);
    free_candidates(files, file_count);
    ls_maint_table_close(&table);
    return rc;
}

/* ---- Paimon ---------------------------------------------------------------- */

/* Paimon's live files ordered by partition, bucket and name. */
static int compare_paimon_files(const void *a, const void *b)
{
    const ls_paimon_live_file *x = *(const ls_paimon_live_file *const *)a;
    const ls_paimon_live_file *y = *(const ls_paimon_live_file *const *)b;
    const ls_paimon_bytes *p = &x->entry.partition, *q = &y->entry.partition;
    if (p->len != q->len)
        return p->len < q->len ? -1 : 1;
    int cmp = p->len ? memcmp(p->data, q->data, p->len) : 0;
    if (cmp)
        return cmp;
    if (x->entry.bucket != y->entry.bucket)
        return x->entry.bucket < y->entry.bucket ? -1 : 1;
    return strcmp(x->path, y->path);
}

static bool same_group(const ls_paimon_live_file *x, const ls_paimon_live_file *y)
{
    return x->entry.bucket == y->entry.bucket && x->entry.partition.len == y->entry.partition.len &&
           (!x->entry.partition.len ||
            memcmp(x->entry.partition.data, y->entry.partition.data, x->entry.partition.len) == 0);
}

/* The Paimon schema as the writer's columns (same ids and names). */
static ls_code paimon_columns(compaction *c, const ls_paimon_schema *ps, size_t file_count,
                              ls_error *err)
{
    c->paimon_schema = ps;
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && i < ps->field_count; i++)
        rc = ls_iceberg_schema_add(&c->schema, ps->fields[i].id, ps->fields[i].name,
                                   ls_paimon_type_to_ls(ps->fields[i].type),
                                   !ps->fields[i].type.nullable, err);
    return rc ? rc : compaction_columns(c, file_count, err);
}

/* Rewrites one group (same partition and bucket) of small files. */
static ls_code rewrite_paimon_group(compaction *c, const char *location,
                                    ls_paimon_live_file *const *files, size_t n,
                                    ls_paimon_manifest_entry *removed, size_t *removed_count,
                                    ls_error *err)
{
    char first_uri[LS_COMMITTER_URI_MAX + 1024], uri[LS_COMMITTER_URI_MAX + 1024];
    snprintf(first_uri, sizeof first_uri, "%s/%s", location, files[0]->path);
    source_file first = {.uri = first_uri, .record_count = files[0]->entry.file.row_count};
    c->paimon_source = &files[0]->entry;
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && i < n; i++) {
        if (ls_maintenance_cancelled(c->config, err))
            return LS_ERR_UNAVAILABLE;
        snprintf(uri, sizeof uri, "%s/%s", location, files[i]->path);
        source_file f = {.uri = uri, .record_count = files[i]->entry.file.row_count};
        rc = rewrite_file(c, &f, &first, err);
        if (!rc) {
            removed[(*removed_count)++] = files[i]->entry; /* borrowed */
            c->removed_bytes += files[i]->entry.file.file_size;
        }
    }
    if (!rc && c->writer)
        rc = close_output(c, err);
    return rc;
}

/* Picks the groups as for Iceberg and rewrites them. */
static ls_code rewrite_paimon(compaction *c, const char *location, const ls_paimon_table *t,
                              ls_paimon_manifest_entry *removed, size_t *removed_count,
                              ls_maintenance_result *result, ls_error *err)
{
    int64_t small_limit = c->config->target_file_size_bytes / 4 * 3;
    ls_paimon_live_file **sorted = calloc(t->file_count + 1, sizeof *sorted);
    ls_paimon_live_file **small = calloc(t->file_count + 1, sizeof *small);
    ls_code rc = sorted && small ? LS_OK : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !rc && i < t->file_count; i++)
        sorted[i] = &t->files[i];
    if (!rc)
        qsort(sorted, t->file_count, sizeof *sorted, compare_paimon_files);
    for (size_t start = 0, end; !rc && start < t->file_count; start = end) {
        size_t small_count = 0;
        for (end = start; end < t->file_count && same_group(sorted[start], sorted[end]); end++)
            if (sorted[end]->entry.file.file_size < small_limit)
                small[small_count++] = sorted[end];
        int64_t total = (int64_t)(end - start);
        if (total > result->max_partition_files_before)
            result->max_partition_files_before = total;
        size_t added_before = c->added_count;
        if (small_count >= (size_t)c->config->min_input_files && small_count >= 2) {
            rc = rewrite_paimon_group(c, location, small, small_count, removed, removed_count,
                                      err);
            result->partitions_compacted++;
            total += (int64_t)(c->added_count - added_before) - (int64_t)small_count;
        }
        if (total > result->max_partition_files_after)
            result->max_partition_files_after = total;
    }
    free(sorted);
    free(small);
    return rc;
}

/* Commits the rewrite as a COMPACT snapshot under the table's lock. */
static ls_code commit_paimon(compaction *c, ls_committer *committer, const ls_table_ref *ref,
                             const ls_paimon_manifest_entry *removed, size_t removed_count,
                             ls_error *err)
{
    ls_paimon_manifest_entry *added = calloc(c->added_count + 1, sizeof *added);
    if (!added)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < c->added_count; i++)
        added[i] = c->added[i]->paimon_entry; /* borrowed */
    ls_paimon_compaction job = {.removed = removed, .removed_count = removed_count,
                                .added = added, .added_count = c->added_count};
    ls_code rc = ls_committer_compact_paimon(committer, ref, &job, &c->snapshot_id, err);
    free(added);
    return rc;
}

ls_code ls_maintenance_compact_paimon(ls_committer *committer, const ls_table_ref *ref,
                                      const ls_maintenance_config *config,
                                      ls_maintenance_result *result, ls_error *err)
{
    ls_maint_table table;
    ls_paimon_table *t = NULL;
    ls_paimon_schema schema;
    bool have_schema = false;
    compaction c;
    ls_paimon_manifest_entry *removed = NULL;
    size_t removed_count = 0;
    ls_objstore_options defaults;
    ls_objstore_options_init(&defaults);
    memset(&table, 0, sizeof table);
    compaction_start(&c, &table, config);
    ls_code rc = ls_committer_table_location(committer, ref, "paimon", &table.where, err);
    if (!rc)
        rc = ls_objstore_open(table.where.location, ref->storage ? ref->storage : &defaults,
                              &table.store, err);
    table.reader = (ls_maint_reader){.store = table.store, .location = table.where.location};
    ls_paimon_storage st = ls_paimon_storage_for_objstore(table.store);
    if (!rc)
        rc = ls_paimon_table_read(&st, &t, err);
    if (!rc && (rc = ls_paimon_newest_schema(&st, &schema, err)) == LS_OK)
        have_schema = true;
    if (!rc && !(removed = calloc(t->file_count + 1, sizeof *removed)))
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = paimon_columns(&c, &schema, t->file_count, err);
    if (!rc) {
        result->data_files_before = result->data_files_after = (int64_t)t->file_count;
        rc = rewrite_paimon(&c, table.where.location, t, removed, &removed_count, result, err);
    }
    if (!rc && removed_count) {
        rc = commit_paimon(&c, committer, ref, removed, removed_count, err);
        if (rc == LS_ERR_CONFLICT)
            delete_added(&c);
    }
    if (!rc && removed_count) {
        result->replace_snapshot_id = c.snapshot_id;
        result->files_rewritten += (int64_t)removed_count;
        result->bytes_rewritten += c.removed_bytes;
        result->files_written += (int64_t)c.added_count;
        for (size_t i = 0; i < c.added_count; i++) {
            result->bytes_written += c.added[i]->data_file.file_size_bytes;
            result->records_rewritten += c.added[i]->data_file.record_count;
        }
        result->data_files_after =
            (int64_t)t->file_count - (int64_t)removed_count + (int64_t)c.added_count;
    }
    if (rc)
        result->max_partition_files_after = result->max_partition_files_before;
    compaction_cleanup(&c);
    free(removed);
    if (have_schema)
        ls_paimon_schema_cleanup(&schema);
    ls_paimon_table_free(t);
    ls_objstore_free(table.store);
    return rc;
}
