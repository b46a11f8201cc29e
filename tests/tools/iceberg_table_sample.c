/*
 * iceberg_table_sample OUT_DIR: writes a complete Iceberg table with real
 * Parquet data files (parquet writer -> iceberg_parquet stats -> manifests ->
 * metadata) at OUT_DIR/table: identity(name) partitioning, three appends and
 * a schema change (a new optional column) before the third. For
 * tests/e2e/iceberg_icebird.test.mjs, which reads it with icebird; the rows
 * written are in OUT_DIR/rows.json.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "iceberg_metadata.h"
#include "iceberg_parquet.h"
#include "iceberg_table.h"

static void check(ls_code rc, const char *what, const ls_error *err)
{
    if (rc) {
        fprintf(stderr, "iceberg_table_sample: %s: %s\n", what, err->message);
        exit(1);
    }
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
        fprintf(stderr, "iceberg_table_sample: %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static void mkdir_or_die(const char *path)
{
    if (mkdir(path, 0755) && errno != EEXIST) {
        fprintf(stderr, "iceberg_table_sample: mkdir %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

typedef struct row {
    int64_t id;
    const char *name;
    int64_t ts;
    double score;
    const char *extra; /* NULL = null; only after the schema change */
} row;

/* Writes one Parquet file of rows (all with the same name) under the
 * partition directory, and fills *df for it. */
static void write_parquet(const char *dir, const char *loc, const ls_iceberg_schema *schema,
                          const ls_iceberg_partition_spec *spec, const row *rows, size_t n,
                          const char *file_name, ls_iceberg_data_file *df,
                          ls_parquet_file_stats *stats, ls_iceberg_column_stats *cols,
                          int64_t *offsets, ls_iceberg_value *partition, char *path_out,
                          size_t path_size)
{
    ls_error err = {0};
    ls_parquet_column_spec specs[8];
    ls_type types[8];
    for (size_t i = 0; i < schema->field_count; i++) {
        specs[i] = (ls_parquet_column_spec){schema->fields[i].name, schema->fields[i].id,
                                            schema->fields[i].type, schema->fields[i].required};
        types[i] = schema->fields[i].type;
    }
    ls_buf file;
    ls_buf_init(&file, 1 << 26);
    ls_sink sink = ls_sink_for_buf(&file);
    ls_parquet_writer *w = ls_parquet_writer_new(specs, schema->field_count, NULL, &sink, &err);
    if (!w)
        check(err.code ? err.code : LS_ERR_INTERNAL, "parquet writer", &err);
    ls_column_batch *batch = ls_column_batch_new(types, schema->field_count, 1 << 24);
    for (size_t r = 0; r < n; r++) {
        ls_column_batch_row_begin(batch);
        check(ls_column_set_int64(&batch->columns[0], rows[r].id, &err), "id", &err);
        check(ls_column_set_bytes(&batch->columns[1], rows[r].name, strlen(rows[r].name), &err),
              "name", &err);
        check(ls_column_set_int64(&batch->columns[2], rows[r].ts, &err), "ts", &err);
        check(ls_column_set_double(&batch->columns[3], rows[r].score, &err), "score", &err);
        if (schema->field_count > 4)
            check(rows[r].extra ? ls_column_set_bytes(&batch->columns[4], rows[r].extra,
                                                      strlen(rows[r].extra), &err)
                                : ls_column_set_null(&batch->columns[4], &err),
                  "extra", &err);
        check(ls_column_batch_row_end(batch, &err), "row", &err);
    }
    check(ls_parquet_writer_write_batch(w, batch, &err), "write batch", &err);
    check(ls_parquet_writer_close(w, stats, &err), "close", &err);
    ls_parquet_writer_free(w);
    ls_column_batch_free(batch);

    /* The partition tuple from the first row, and the Hive-style directory. */
    ls_iceberg_value name = {0};
    name.u.bytes.data = (const uint8_t *)rows[0].name;
    name.u.bytes.len = strlen(rows[0].name);
    check(ls_iceberg_transform_apply(spec->fields[0].transform, schema->fields[1].type, &name,
                                     partition, &err),
          "transform", &err);
    ls_buf part;
    ls_buf_init(&part, 4096);
    check(ls_iceberg_partition_path(spec, schema, partition, &part, &err), "partition path", &err);
    char local[4096];
    snprintf(local, sizeof local, "%s/data/%s", dir, (char *)part.data);
    mkdir_or_die(local);
    snprintf(local, sizeof local, "%s/data/%s/%s", dir, (char *)part.data, file_name);
    write_file(local, file.data, file.len);
    snprintf(path_out, path_size, "%s/data/%s/%s", loc, (char *)part.data, file_name);
    ls_buf_cleanup(&part);
    ls_buf_cleanup(&file);
    check(ls_iceberg_data_file_from_parquet(stats, path_out, partition, cols, offsets, df, &err),
          "stats", &err);
}

static void commit(ls_iceberg_metadata *md, const char *dir, const char *loc, int version,
                   int64_t snapshot_id, const ls_iceberg_data_file *files, size_t n)
{
    ls_error err = {0};
    char manifest[4096], list[4096], prev[4096], local[4096];
    snprintf(manifest, sizeof manifest, "%s/metadata/%lld-m0.avro", loc, (long long)snapshot_id);
    snprintf(list, sizeof list, "%s/metadata/snap-%lld-1.avro", loc, (long long)snapshot_id);
    snprintf(prev, sizeof prev, "%s/metadata/v%d.metadata.json", loc, version - 1);
    ls_buf parent;
    ls_buf_init(&parent, 1 << 26);
    const char *parent_path = ls_iceberg_metadata_manifest_list(md, -1);
    if (parent_path)
        check(ls_iceberg_read_local_file(NULL, parent_path, &parent, &err), "parent", &err);
    ls_iceberg_append a = {.snapshot_id = snapshot_id,
                           .timestamp_ms = 1767225600000LL + version * 1000,
                           .manifest_path = manifest,
                           .manifest_list_path = list,
                           .files = files,
                           .file_count = n,
                           .parent_manifest_list = parent_path ? parent.data : NULL,
                           .parent_manifest_list_len = parent.len,
                           .previous_metadata_file = prev,
                           .codec = LS_AVRO_CODEC_DEFLATE};
    ls_iceberg_append_result r;
    check(ls_iceberg_metadata_append(md, &a, &r, &err), "append", &err);
    snprintf(local, sizeof local, "%s/metadata/%lld-m0.avro", dir, (long long)snapshot_id);
    write_file(local, r.manifest.data, r.manifest.len);
    snprintf(local, sizeof local, "%s/metadata/snap-%lld-1.avro", dir, (long long)snapshot_id);
    write_file(local, r.manifest_list.data, r.manifest_list.len);
    ls_iceberg_append_result_cleanup(&r);
    ls_buf_cleanup(&parent);
    char *text;
    check(ls_iceberg_metadata_to_json(md, &text, &err), "json", &err);
    snprintf(local, sizeof local, "%s/metadata/v%d.metadata.json", dir, version);
    write_file(local, text, strlen(text));
    free(text);
    char hint[16];
    snprintf(hint, sizeof hint, "%d", version);
    snprintf(local, sizeof local, "%s/metadata/version-hint.text", dir);
    write_file(local, hint, strlen(hint));
}

/* One append of groups of rows, one Parquet file per group. */
static void append_groups(ls_iceberg_metadata *md, const char *dir, const char *loc, int version,
                          int64_t snapshot_id, const row *const *groups, const size_t *sizes,
                          size_t group_count)
{
    ls_error err = {0};
    ls_iceberg_schema schema;
    ls_iceberg_partition_spec spec;
    check(ls_iceberg_metadata_current_schema(md, &schema, &err), "schema", &err);
    check(ls_iceberg_metadata_default_spec(md, &spec, &err), "spec", &err);
    ls_iceberg_data_file files[4];
    ls_parquet_file_stats stats[4];
    ls_iceberg_column_stats cols[4][8];
    int64_t offsets[4][8];
    ls_iceberg_value partition[4][1];
    char paths[4][4096];
    for (size_t g = 0; g < group_count; g++) {
        char name[64];
        snprintf(name, sizeof name, "%05d-%zu-sample.parquet", version, g);
        write_parquet(dir, loc, &schema, &spec, groups[g], sizes[g], name, &files[g], &stats[g],
                      cols[g], offsets[g], partition[g], paths[g], sizeof paths[g]);
    }
    commit(md, dir, loc, version, snapshot_id, files, group_count);
    for (size_t g = 0; g < group_count; g++)
        ls_parquet_file_stats_cleanup(&stats[g]);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&schema);
}

static void print_rows(FILE *f, const row *rows, size_t n, int *first)
{
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s{\"id\":%lld,\"name\":\"%s\",\"ts\":%lld,\"score\":%.17g,\"extra\":", *first ? "" : ",",
                (long long)rows[i].id, rows[i].name, (long long)rows[i].ts, rows[i].score);
        if (rows[i].extra)
            fprintf(f, "\"%s\"}", rows[i].extra);
        else
            fputs("null}", f);
        *first = 0;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2 || strlen(argv[1]) > 1000) {
        fprintf(stderr, "usage: iceberg_table_sample OUT_DIR (at most 1000 bytes)\n");
        return 2;
    }
    char dir[1100], loc[1200], sub[1300];
    snprintf(dir, sizeof dir, "%s/table", argv[1]);
    snprintf(loc, sizeof loc, "file://%s", dir);
    mkdir_or_die(argv[1]);
    mkdir_or_die(dir);
    snprintf(sub, sizeof sub, "%s/metadata", dir);
    mkdir_or_die(sub);
    snprintf(sub, sizeof sub, "%s/data", dir);
    mkdir_or_die(sub);

    ls_error err = {0};
    ls_iceberg_schema s;
    ls_iceberg_partition_spec spec;
    ls_iceberg_schema_init(&s, 0);
    check(ls_iceberg_schema_add(&s, 1, "id", (ls_type){.kind = LS_TYPE_BIGINT}, 1, &err), "s",
          &err);
    check(ls_iceberg_schema_add(&s, 2, "name", (ls_type){.kind = LS_TYPE_STRING}, 0, &err), "s",
          &err);
    check(ls_iceberg_schema_add(&s, 3, "ts", (ls_type){.kind = LS_TYPE_TIMESTAMPTZ}, 0, &err), "s",
          &err);
    check(ls_iceberg_schema_add(&s, 4, "score", (ls_type){.kind = LS_TYPE_DOUBLE}, 0, &err), "s",
          &err);
    ls_iceberg_spec_init(&spec, 0);
    check(ls_iceberg_spec_add(&spec, &s, "name", "identity", NULL, 0, &err), "spec", &err);
    ls_iceberg_metadata *md;
    check(ls_iceberg_metadata_new_table(loc, NULL, &s, &spec, NULL, 0, 1767225600000LL, &md, &err),
          "new table", &err);
    char *text;
    check(ls_iceberg_metadata_to_json(md, &text, &err), "json", &err);
    snprintf(sub, sizeof sub, "%s/metadata/v1.metadata.json", dir);
    write_file(sub, text, strlen(text));
    free(text);

    static const row a[] = {{1, "alpha", 1767225600000000LL, 1.5, NULL},
                            {2, "alpha", 1767225601000000LL, -2.25, NULL}};
    static const row b[] = {{3, "beta gamma/δ", 1767225602000000LL, 3.0, NULL}};
    static const row c[] = {{4, "alpha", 1767312000000000LL, 4.5, NULL},
                            {5, "alpha", 1767312001000000LL, 5.5, NULL},
                            {6, "alpha", 1767312002000000LL, 6.5, NULL}};
    static const row d[] = {{7, "delta", 1767398400000000LL, 7.0, "x"},
                            {8, "delta", 1767398401000000LL, 8.0, NULL}};
    const row *g1[] = {a, b};
    size_t n1[] = {2, 1};
    append_groups(md, dir, loc, 2, 101, g1, n1, 2);
    const row *g2[] = {c};
    size_t n2[] = {3};
    append_groups(md, dir, loc, 3, 102, g2, n2, 1);
    /* Schema change: a new optional column, then an append that uses it. */
    ls_iceberg_schema next;
    check(ls_iceberg_schema_copy(&s, &next, &err), "copy", &err);
    check(ls_iceberg_schema_add(&next, 5, "extra", (ls_type){.kind = LS_TYPE_STRING}, 0, &err),
          "add column", &err);
    int changed;
    check(ls_iceberg_metadata_evolve_schema(md, &next, 1767225603500LL, &changed, &err), "evolve",
          &err);
    const row *g3[] = {d};
    size_t n3[] = {2};
    append_groups(md, dir, loc, 4, 103, g3, n3, 1);

    snprintf(sub, sizeof sub, "%s/rows.json", argv[1]);
    FILE *f = fopen(sub, "w");
    if (!f)
        return 1;
    int first = 1;
    fputs("[", f);
    print_rows(f, a, 2, &first);
    print_rows(f, b, 1, &first);
    print_rows(f, c, 3, &first);
    print_rows(f, d, 2, &first);
    fputs("]\n", f);
    fclose(f);
    ls_iceberg_schema_cleanup(&next);
    ls_iceberg_metadata_free(md);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&s);
    return 0;
}
