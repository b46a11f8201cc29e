/*
 * paimon_sample OUT_DIR
 *
 * Writes two Paimon append tables with lakesync's own code, as the committer
 * will: OUT_DIR/db.db/partitioned (partition keys key0, key1 INT, like the
 * append_unaware_partitioned_schema_evolution fixture; two APPEND commits,
 * then schema-1 adding a column and a third commit)
 * and OUT_DIR/db.db/unpartitioned (one commit). Data files are real Parquet
 * from ls_parquet (root "paimon_schema", field ids = Paimon ids), value stats
 * come from the writer's column stats (ls_paimon_entry_for_parquet_file), and each commit goes through
 * ls_paimon_table_read + ls_paimon_commit_plan_build, with the snapshot
 * created only if absent (O_EXCL). tests/e2e/paimon_written.test.mjs checks
 * the result with independent readers.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "column_batch.h"
#include "paimon_meta.h"
#include "paimon_read.h"
#include "paimon_stats.h"
#include "parquet_writer.h"

#define CHECK_RC(expr)                                                                             \
    do {                                                                                           \
        if ((expr) != LS_OK) {                                                                     \
            fprintf(stderr, "paimon_sample: %s: %s (%s)\n", #expr, err.message, err.field);        \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static ls_error err;

static void make_dirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
            perror(tmp);
            exit(1);
        }
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
        perror(tmp);
        exit(1);
    }
}

/* Writes root/rel; exclusive means create-only (the snapshot's atomic create). */
static int write_file(const char *root, const char *rel, const void *data, size_t len,
                      int exclusive)
{
    char path[4096], dir[4096];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    make_dirs(dir);
    int fd = open(path, O_WRONLY | O_CREAT | (exclusive ? O_EXCL : O_TRUNC), 0644);
    if (fd < 0)
        return -1;
    if (write(fd, data, len) != (ssize_t)len || fsync(fd) != 0 || close(fd) != 0) {
        perror(path);
        exit(1);
    }
    return 0;
}

static void uuid(char out[37])
{
    uint8_t b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        exit(1);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

/* Writes one Parquet data file of the batch and returns its manifest entry. */
static void write_data_file(const char *root, const ls_paimon_schema *schema,
                            const ls_column_batch *batch, ls_paimon_manifest_entry *entry)
{
    size_t n = schema->field_count;
    ls_parquet_column_spec *specs = calloc(n, sizeof *specs);
    for (size_t i = 0; i < n; i++) {
        specs[i].name = schema->fields[i].name;
        specs[i].field_id = schema->fields[i].id;
        specs[i].type = batch->columns[i].type;
        specs[i].required = !schema->fields[i].type.nullable;
    }
    ls_parquet_options options;
    ls_parquet_options_init(&options);
    options.root_name = "paimon_schema";
    ls_buf file;
    ls_buf_init(&file, (size_t)64 << 20);
    ls_sink sink = ls_sink_for_buf(&file);
    ls_parquet_writer *w = ls_parquet_writer_new(specs, n, &options, &sink, &err);
    if (!w)
        CHECK_RC(err.code);
    ls_parquet_file_stats stats;
    CHECK_RC(ls_parquet_writer_write_batch(w, batch, &err));
    CHECK_RC(ls_parquet_writer_close(w, &stats, &err));
    ls_parquet_writer_free(w);

    /* Partition values: the first row's partition columns (one partition per batch). */
    size_t pk = schema->partition_key_count;
    ls_paimon_datum pvalues[4];
    for (size_t k = 0; k < pk; k++) {
        const ls_paimon_field *f = ls_paimon_schema_field(schema, schema->partition_keys[k]);
        const ls_column *col = &batch->columns[f - schema->fields];
        memset(&pvalues[k], 0, sizeof pvalues[k]);
        memcpy(&pvalues[k].v.i32, col->values.data, sizeof(int32_t));
    }
    char id[37], name[64];
    uuid(id);
    snprintf(name, sizeof name, "data-%s-0.parquet", id);
    CHECK_RC(ls_paimon_entry_for_parquet_file(schema, pvalues, name, &stats,
                                              ls_paimon_creation_time_millis(1756964329609),
                                              entry, &err));

    ls_buf path;
    ls_buf_init(&path, 1 << 20);
    CHECK_RC(ls_paimon_data_file_path(schema, entry->partition.data, entry->partition.len, 0, name,
                                      &path, &err));
    if (write_file(root, (const char *)path.data, file.data, file.len, 1) != 0) {
        perror("data file");
        exit(1);
    }
    ls_buf_cleanup(&path);
    ls_buf_cleanup(&file);
    ls_parquet_file_stats_cleanup(&stats);
    free(specs);
}

/* One APPEND commit of the given entries, as the committer does it. */
static void commit(const char *root, const ls_paimon_schema *schema,
                   const ls_paimon_manifest_entry *entries, size_t count, int64_t identifier,
                   const char *offsets)
{
    ls_paimon_storage storage = ls_paimon_storage_for_dir(root);
    ls_paimon_table *table = NULL;
    CHECK_RC(ls_paimon_table_read(&storage, &table, &err));
    ls_paimon_strmap props = {0};
    CHECK_RC(ls_paimon_strmap_set(&props, LS_PAIMON_PROP_JOB_ID, "sample-job", &err));
    CHECK_RC(ls_paimon_strmap_set(&props, LS_PAIMON_PROP_OFFSETS, offsets, &err));
    char name_uuid[37];
    uuid(name_uuid);
    ls_paimon_commit_input in = {
        .schema = schema,
        .entries = entries,
        .entry_count = count,
        .commit_user = "7f9c1b52-7d1e-4a8f-9d55-3c2f1e0b6a11",
        .commit_identifier = identifier,
        .time_millis = 1756964329884 + identifier,
        .name_uuid = name_uuid,
        .properties = &props,
        .codec = LS_AVRO_CODEC_ZSTANDARD,
    };
    ls_paimon_commit_input_set_previous(&in, table);
    ls_paimon_commit_plan plan;
    CHECK_RC(ls_paimon_commit_plan_build(&in, &plan, &err));
    if ((plan.manifest_path &&
         write_file(root, plan.manifest_path, plan.manifest.data, plan.manifest.len, 1)) ||
        (plan.merged_manifest_path && write_file(root, plan.merged_manifest_path,
                                                 plan.merged_manifest.data,
                                                 plan.merged_manifest.len, 1)) ||
        write_file(root, plan.base_list_path, plan.base_list.data, plan.base_list.len, 1) ||
        write_file(root, plan.delta_list_path, plan.delta_list.data, plan.delta_list.len, 1) ||
        write_file(root, plan.snapshot_path, plan.snapshot_json.data, plan.snapshot_json.len, 1) ||
        write_file(root, "snapshot/LATEST", plan.latest_hint, strlen(plan.latest_hint), 0) ||
        (plan.write_earliest && write_file(root, "snapshot/EARLIEST", plan.earliest_hint,
                                           strlen(plan.earliest_hint), 0))) {
        perror("commit");
        exit(1);
    }
    ls_paimon_commit_plan_cleanup(&plan);
    ls_paimon_strmap_cleanup(&props);
    ls_paimon_table_free(table);
}

static void set_str(ls_column *c, const char *s)
{
    CHECK_RC(s ? ls_column_set_bytes(c, s, strlen(s), &err) : ls_column_set_null(c, &err));
}

/* partitioned: key0 INT, key1 INT, id BIGINT NOT NULL, name STRING,
 * amount DECIMAL(10, 2), ts TIMESTAMP(6). */
static void partitioned_row(ls_column_batch *b, int key0, int64_t id, const char *name,
                            int64_t cents, int64_t micros)
{
    ls_column_batch_row_begin(b);
    CHECK_RC(ls_column_set_int32(&b->columns[0], key0, &err));
    CHECK_RC(ls_column_set_int32(&b->columns[1], 1, &err));
    CHECK_RC(ls_column_set_int64(&b->columns[2], id, &err));
    set_str(&b->columns[3], name);
    CHECK_RC(cents == INT64_MIN ? ls_column_set_null(&b->columns[4], &err)
                                : ls_column_set_int64(&b->columns[4], cents, &err));
    CHECK_RC(ls_column_set_int64(&b->columns[5], micros, &err));
    CHECK_RC(ls_column_batch_row_end(b, &err));
}

static void write_partitioned(const char *root)
{
    ls_paimon_schema schema;
    CHECK_RC(ls_paimon_schema_init_append(&schema, 0, 1756092921896, &err));
    static const char *const names[] = {"key0", "key1", "id", "name", "amount", "ts"};
    static const char *const types[] = {"int", "int", "bigint", "string", "decimal(10,2)",
                                        "timestamp"};
    ls_type jt[6];
    for (size_t i = 0; i < 6; i++) {
        CHECK_RC(ls_type_parse(types[i], &jt[i], &err));
        CHECK_RC(ls_paimon_schema_add_field(&schema, names[i], ls_paimon_type_from_ls(jt[i], i != 2),
                                            &err));
    }
    CHECK_RC(ls_paimon_schema_add_partition_key(&schema, "key0", &err));
    CHECK_RC(ls_paimon_schema_add_partition_key(&schema, "key1", &err));
    ls_buf json;
    ls_buf_init(&json, 1 << 20);
    CHECK_RC(ls_paimon_schema_to_json(&schema, &json, &err));
    if (write_file(root, "schema/schema-0", json.data, json.len, 1)) {
        perror("schema");
        exit(1);
    }
    ls_buf_cleanup(&json);

    ls_column_batch *b = ls_column_batch_new(jt, 6, (size_t)16 << 20);
    ls_paimon_manifest_entry e[2];
    partitioned_row(b, 0, 1, "alpha", 1050, 1700000000000000);
    partitioned_row(b, 0, 2, "a longer name than seven", -250, 1700000000123456);
    write_data_file(root, &schema, b, &e[0]);
    ls_column_batch_reset(b);
    partitioned_row(b, 1, 3, "gamma", 99999, 1600000000000000);
    write_data_file(root, &schema, b, &e[1]);
    commit(root, &schema, e, 2, 1, "{\"topic\":\"events\",\"partitions\":{\"0\":3}}");
    ls_paimon_manifest_entry_cleanup(&e[0]);
    ls_paimon_manifest_entry_cleanup(&e[1]);

    ls_column_batch_reset(b);
    partitioned_row(b, 0, 4, NULL, INT64_MIN, 1800000000000000);
    write_data_file(root, &schema, b, &e[0]);
    commit(root, &schema, e, 1, 2, "{\"topic\":\"events\",\"partitions\":{\"0\":4}}");
    ls_paimon_manifest_entry_cleanup(&e[0]);
    ls_column_batch_free(b);

    /* Schema evolution: schema-1 adds "note" (field id 6); commit 3 uses it. */
    ls_paimon_schema next;
    CHECK_RC(ls_paimon_schema_evolve(&schema, 1756098439075, &next, &err));
    ls_type note_type = {.kind = LS_TYPE_STRING};
    CHECK_RC(ls_paimon_schema_add_field(&next, "note", ls_paimon_type_from_ls(note_type, true),
                                        &err));
    ls_buf_init(&json, 1 << 20);
    CHECK_RC(ls_paimon_schema_to_json(&next, &json, &err));
    if (write_file(root, "schema/schema-1", json.data, json.len, 1)) {
        perror("schema");
        exit(1);
    }
    ls_buf_cleanup(&json);
    ls_type jt7[7];
    memcpy(jt7, jt, sizeof jt);
    jt7[6] = note_type;
    b = ls_column_batch_new(jt7, 7, (size_t)16 << 20);
    ls_column_batch_row_begin(b);
    CHECK_RC(ls_column_set_int32(&b->columns[0], 1, &err));
    CHECK_RC(ls_column_set_int32(&b->columns[1], 1, &err));
    CHECK_RC(ls_column_set_int64(&b->columns[2], 5, &err));
    set_str(&b->columns[3], "epsilon");
    CHECK_RC(ls_column_set_int64(&b->columns[4], 1, &err));
    CHECK_RC(ls_column_set_int64(&b->columns[5], 0, &err));
    set_str(&b->columns[6], "added later");
    CHECK_RC(ls_column_batch_row_end(b, &err));
    write_data_file(root, &next, b, &e[0]);
    commit(root, &next, e, 1, 3, "{\"topic\":\"events\",\"partitions\":{\"0\":5}}");
    ls_paimon_manifest_entry_cleanup(&e[0]);
    ls_column_batch_free(b);
    ls_paimon_schema_cleanup(&next);
    ls_paimon_schema_cleanup(&schema);
}

/* unpartitioned: id BIGINT NOT NULL, name STRING, ts TIMESTAMP(6) WITH LOCAL
 * TIME ZONE, d DATE, flag BOOLEAN, score DOUBLE. */
static void write_unpartitioned(const char *root)
{
    ls_paimon_schema schema;
    CHECK_RC(ls_paimon_schema_init_append(&schema, 0, 1756964328627, &err));
    static const char *const names[] = {"id", "name", "ts", "d", "flag", "score"};
    static const char *const types[] = {"bigint", "string", "timestamptz", "date", "boolean",
                                        "double"};
    ls_type jt[6];
    for (size_t i = 0; i < 6; i++) {
        CHECK_RC(ls_type_parse(types[i], &jt[i], &err));
        CHECK_RC(ls_paimon_schema_add_field(&schema, names[i], ls_paimon_type_from_ls(jt[i], i != 0),
                                            &err));
    }
    ls_buf json;
    ls_buf_init(&json, 1 << 20);
    CHECK_RC(ls_paimon_schema_to_json(&schema, &json, &err));
    if (write_file(root, "schema/schema-0", json.data, json.len, 1)) {
        perror("schema");
        exit(1);
    }
    ls_buf_cleanup(&json);
    ls_column_batch *b = ls_column_batch_new(jt, 6, (size_t)16 << 20);
    for (int i = 0; i < 3; i++) {
        ls_column_batch_row_begin(b);
        CHECK_RC(ls_column_set_int64(&b->columns[0], 100 + i, &err));
        set_str(&b->columns[1], i == 1 ? NULL : (i ? "third" : "first"));
        CHECK_RC(ls_column_set_int64(&b->columns[2], 1700000000000000 + i * 1000001, &err));
        CHECK_RC(ls_column_set_int32(&b->columns[3], 19723 + i, &err));
        CHECK_RC(ls_column_set_bool(&b->columns[4], i % 2, &err));
        CHECK_RC(ls_column_set_double(&b->columns[5], 0.5 * i, &err));
        CHECK_RC(ls_column_batch_row_end(b, &err));
    }
    ls_paimon_manifest_entry e;
    write_data_file(root, &schema, b, &e);
    commit(root, &schema, &e, 1, 1, "{\"topic\":\"t\",\"partitions\":{\"0\":3,\"1\":0}}");
    ls_paimon_manifest_entry_cleanup(&e);
    ls_column_batch_free(b);
    ls_paimon_schema_cleanup(&schema);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: paimon_sample OUT_DIR\n");
        return 2;
    }
    ls_error_clear(&err);
    char root[4096];
    snprintf(root, sizeof root, "%s/db.db/partitioned", argv[1]);
    make_dirs(root);
    write_partitioned(root);
    snprintf(root, sizeof root, "%s/db.db/unpartitioned", argv[1]);
    make_dirs(root);
    write_unpartitioned(root);
    return 0;
}
