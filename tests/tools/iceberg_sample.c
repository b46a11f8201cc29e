/*
 * iceberg_sample OUT_DIR: writes two small Iceberg tables' metadata (metadata
 * JSON, manifests, manifest lists, version-hint.text) with the iceberg
 * module, for tests/e2e/iceberg_avro.test.mjs to read with avsc. Data files
 * are not written: entries point at dummy paths. OUT_DIR/expected.json lists
 * the inputs (plain values) the test compares the decoded files against.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "iceberg_metadata.h"
#include "iceberg_table.h"

static void die(const char *what, const ls_error *err)
{
    fprintf(stderr, "iceberg_sample: %s: %s\n", what, err ? err->message : strerror(errno));
    exit(1);
}

static void check(ls_code rc, const char *what, const ls_error *err)
{
    if (rc)
        die(what, err);
}

static void mkdirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0755);
            *p = '/';
        }
    }
    if (mkdir(tmp, 0755) && errno != EEXIST)
        die(path, NULL);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f))
        die(path, NULL);
}

static void write_metadata(ls_iceberg_metadata *md, const char *dir, int version)
{
    char *text, path[4096];
    ls_error err = {0};
    check(ls_iceberg_metadata_to_json(md, &text, &err), "metadata json", &err);
    snprintf(path, sizeof path, "%s/metadata/v%d.metadata.json", dir, version);
    write_file(path, text, strlen(text));
    free(text);
    char hint[16];
    snprintf(hint, sizeof hint, "%d", version);
    snprintf(path, sizeof path, "%s/metadata/version-hint.text", dir);
    write_file(path, hint, strlen(hint));
}

static ls_iceberg_value str(const char *s)
{
    ls_iceberg_value v = {0};
    v.u.bytes.data = (const uint8_t *)s;
    v.u.bytes.len = strlen(s);
    return v;
}

static ls_iceberg_value i32(int32_t x)
{
    ls_iceberg_value v = {0};
    v.u.i32 = x;
    return v;
}

static ls_iceberg_value i64(int64_t x)
{
    ls_iceberg_value v = {0};
    v.u.i64 = x;
    return v;
}

/* Appends files to the table at dir and stores manifest, list and metadata. */
static void append(ls_iceberg_metadata *md, const char *dir, int64_t snapshot_id,
                   const ls_iceberg_data_file *files, size_t n, int version, ls_avro_codec codec)
{
    ls_error err = {0};
    char manifest[4096], list[4096], prev[4096];
    snprintf(manifest, sizeof manifest, "file://%s/metadata/manifest-%lld-m0.avro", dir,
             (long long)snapshot_id);
    snprintf(list, sizeof list, "file://%s/metadata/snap-%lld-1-list.avro", dir,
             (long long)snapshot_id);
    snprintf(prev, sizeof prev, "file://%s/metadata/v%d.metadata.json", dir, version - 1);
    ls_buf parent;
    ls_buf_init(&parent, 1 << 26);
    const char *parent_path = ls_iceberg_metadata_manifest_list(md, -1);
    if (parent_path)
        check(ls_iceberg_read_local_file(NULL, parent_path, &parent, &err), "parent list", &err);
    ls_iceberg_property extra[] = {
        {"lakesync.job-id", "sample-job"},
        {"lakesync.offsets", "{\"topic\":\"t\",\"partitions\":{\"0\":10}}"},
    };
    ls_iceberg_append a = {.snapshot_id = snapshot_id,
                           .timestamp_ms = 1767225600000LL + version,
                           .manifest_path = manifest,
                           .manifest_list_path = list,
                           .files = files,
                           .file_count = n,
                           .parent_manifest_list = parent_path ? parent.data : NULL,
                           .parent_manifest_list_len = parent.len,
                           .extra_summary = extra,
                           .extra_summary_count = 2,
                           .previous_metadata_file = prev,
                           .codec = codec};
    ls_iceberg_append_result r;
    check(ls_iceberg_metadata_append(md, &a, &r, &err), "append", &err);
    write_file(manifest + 7, r.manifest.data, r.manifest.len);
    write_file(list + 7, r.manifest_list.data, r.manifest_list.len);
    ls_iceberg_append_result_cleanup(&r);
    ls_buf_cleanup(&parent);
    write_metadata(md, dir, version);
}

static ls_iceberg_column_stats col_stat(int32_t id, int64_t values, int64_t nulls, ls_iceberg_value lo,
                                    ls_iceberg_value hi)
{
    return (ls_iceberg_column_stats){.field_id = id, .column_size_bytes = 10 * id,
                                     .value_count = values, .null_value_count = nulls,
                                     .nan_value_count = -1, .has_lower_bound = 1,
                                     .has_upper_bound = 1, .lower_bound = lo, .upper_bound = hi};
}

static void identity_table(const char *out, FILE *expected)
{
    char dir[1200], loc[1300], meta[1300];
    snprintf(dir, sizeof dir, "%s/identity", out);
    snprintf(meta, sizeof meta, "%s/metadata", dir);
    snprintf(loc, sizeof loc, "file://%s", dir);
    mkdirs(meta);
    ls_error err = {0};
    ls_iceberg_schema s;
    ls_iceberg_partition_spec spec;
    ls_iceberg_schema_init(&s, 0);
    check(ls_iceberg_schema_add(&s, 1, "id", (ls_type){.kind = LS_TYPE_INT}, 1, &err), "s", &err);
    check(ls_iceberg_schema_add(&s, 2, "name", (ls_type){.kind = LS_TYPE_STRING}, 0, &err), "s",
          &err);
    check(ls_iceberg_schema_add(&s, 3, "bir", (ls_type){.kind = LS_TYPE_DATE}, 0, &err), "s", &err);
    ls_iceberg_spec_init(&spec, 0);
    check(ls_iceberg_spec_add(&spec, &s, "name", "identity", NULL, 0, &err), "spec", &err);
    ls_iceberg_metadata *md;
    check(ls_iceberg_metadata_new_table(loc, "9a9a9a9a-0000-4000-8000-000000000001", &s, &spec,
                                        NULL, 0, 1767225600000LL, &md, &err),
          "new table", &err);
    write_metadata(md, dir, 1);

    ls_iceberg_value pa[1] = {str("a")}, pb[1] = {str("b")}, pn[1] = {{.is_null = 1}};
    ls_iceberg_column_stats sa[3] = {col_stat(1, 2, 0, i32(1), i32(2)), col_stat(2, 2, 0, str("a"), str("a")),
                                     col_stat(3, 2, 1, i32(19000), i32(19001))};
    ls_iceberg_column_stats sb[2] = {col_stat(1, 1, 0, i32(-5), i32(-5)),
                                     col_stat(2, 1, 0, str("b"), str("b"))};
    ls_iceberg_column_stats sn[2] = {col_stat(1, 3, 0, i32(7), i32(9)),
                                     col_stat(2, 3, 3, str("a string longer than sixteen"),
                                          str("zzle special requests"))};
    char pathA[4096], pathB[4096], pathN[4096];
    snprintf(pathA, sizeof pathA, "%s/data/name=a/00000-0-sample-00001.parquet", loc);
    snprintf(pathB, sizeof pathB, "%s/data/name=b/00000-0-sample-00002.parquet", loc);
    snprintf(pathN, sizeof pathN, "%s/data/name=null/00000-1-sample-00001.parquet", loc);
    int64_t split[1] = {4};
    ls_iceberg_data_file first[2] = {
        {.path = pathA, .file_size_bytes = 1001, .record_count = 2, .partition = pa,
         .column_count = 3, .columns = sa, .split_offset_count = 1, .split_offsets = split},
        {.path = pathB, .file_size_bytes = 1002, .record_count = 1, .partition = pb,
         .column_count = 2, .columns = sb},
    };
    append(md, dir, 1001, first, 2, 2, LS_AVRO_CODEC_DEFLATE);
    ls_iceberg_data_file second[1] = {{.path = pathN, .file_size_bytes = 1003, .record_count = 3,
                                        .partition = pn, .column_count = 2, .columns = sn}};
    append(md, dir, 1002, second, 1, 3, LS_AVRO_CODEC_SNAPPY);
    fprintf(expected,
            "\"identity\":{\"dir\":\"%s\",\"snapshots\":[1001,1002],\"files\":["
            "{\"path\":\"%s\",\"size\":1001,\"rows\":2,\"partition\":{\"name\":\"a\"},\"snapshot\":1001,"
            "\"bounds\":{\"1\":[\"int\",1,2],\"2\":[\"string\",\"a\",\"a\"],\"3\":[\"int\",19000,19001]},"
            "\"counts\":{\"1\":[2,0],\"2\":[2,0],\"3\":[2,1]},\"split_offsets\":[4]},"
            "{\"path\":\"%s\",\"size\":1002,\"rows\":1,\"partition\":{\"name\":\"b\"},\"snapshot\":1001,"
            "\"bounds\":{\"1\":[\"int\",-5,-5],\"2\":[\"string\",\"b\",\"b\"]},"
            "\"counts\":{\"1\":[1,0],\"2\":[1,0]},\"split_offsets\":null},"
            "{\"path\":\"%s\",\"size\":1003,\"rows\":3,\"partition\":{\"name\":null},\"snapshot\":1002,"
            "\"bounds\":{\"1\":[\"int\",7,9],\"2\":[\"string\",\"a string longer \",\"zzle special rer\"]},"
            "\"counts\":{\"1\":[3,0],\"2\":[3,3]},\"split_offsets\":null}]}",
            dir, pathA, pathB, pathN);
    ls_iceberg_metadata_free(md);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&s);
}

static void multi_table(const char *out, FILE *expected)
{
    char dir[1200], loc[1300], meta[1300];
    snprintf(dir, sizeof dir, "%s/multi", out);
    snprintf(meta, sizeof meta, "%s/metadata", dir);
    snprintf(loc, sizeof loc, "file://%s", dir);
    mkdirs(meta);
    ls_error err = {0};
    ls_iceberg_schema s;
    ls_iceberg_partition_spec spec;
    ls_iceberg_schema_init(&s, 0);
    check(ls_iceberg_schema_add(&s, 1, "id", (ls_type){.kind = LS_TYPE_BIGINT}, 1, &err), "s",
          &err);
    check(ls_iceberg_schema_add(&s, 2, "ts", (ls_type){.kind = LS_TYPE_TIMESTAMPTZ}, 0, &err), "s",
          &err);
    check(ls_iceberg_schema_add(&s, 3, "name", (ls_type){.kind = LS_TYPE_STRING}, 0, &err), "s",
          &err);
    ls_iceberg_spec_init(&spec, 0);
    check(ls_iceberg_spec_add(&spec, &s, "ts", "day", NULL, 0, &err), "spec", &err);
    check(ls_iceberg_spec_add(&spec, &s, "id", "bucket[16]", NULL, 0, &err), "spec", &err);
    check(ls_iceberg_spec_add(&spec, &s, "name", "truncate[3]", NULL, 0, &err), "spec", &err);
    check(ls_iceberg_spec_add(&spec, &s, "ts", "hour", NULL, 0, &err), "spec", &err);
    ls_iceberg_metadata *md;
    check(ls_iceberg_metadata_new_table(loc, NULL, &s, &spec, NULL, 0, 1767225600000LL, &md, &err),
          "new table", &err);
    write_metadata(md, dir, 1);
    /* Partition values computed by the transforms from one row each. */
    int64_t ts = 1767263400000000LL; /* 2026-01-01T10:30:00Z */
    ls_iceberg_value row_ts = i64(ts), row_id = i64(34), row_name = str("iceberg");
    ls_iceberg_value part[4];
    const ls_type types[4] = {{.kind = LS_TYPE_TIMESTAMPTZ}, {.kind = LS_TYPE_BIGINT},
                              {.kind = LS_TYPE_STRING}, {.kind = LS_TYPE_TIMESTAMPTZ}};
    const ls_iceberg_value *inputs[4] = {&row_ts, &row_id, &row_name, &row_ts};
    for (int i = 0; i < 4; i++)
        check(ls_iceberg_transform_apply(spec.fields[i].transform, types[i], inputs[i], &part[i],
                                         &err),
              "transform", &err);
    ls_buf p;
    ls_buf_init(&p, 4096);
    check(ls_iceberg_partition_path(&spec, &s, part, &p, &err), "path", &err);
    char path[4096];
    snprintf(path, sizeof path, "%s/data/%s/00000-0-multi-00001.parquet", loc, (char *)p.data);
    ls_iceberg_data_file f[1] = {{.path = path, .file_size_bytes = 5000, .record_count = 1,
                                  .partition = part}};
    append(md, dir, 2001, f, 1, 2, LS_AVRO_CODEC_ZSTANDARD);
    fprintf(expected,
            ",\"multi\":{\"dir\":\"%s\",\"partition_path\":\"%s\",\"files\":["
            "{\"path\":\"%s\",\"size\":5000,\"rows\":1,\"snapshot\":2001,"
            "\"partition\":{\"ts_day\":20454,\"id_bucket_16\":3,\"name_trunc_3\":\"ice\","
            "\"ts_hour\":%d}}]}",
            dir, (char *)p.data, path, 20454 * 24 + 10);
    ls_buf_cleanup(&p);
    ls_iceberg_metadata_free(md);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: iceberg_sample OUT_DIR\n");
        return 2;
    }
    if (strlen(argv[1]) > 1000) {
        fprintf(stderr, "iceberg_sample: OUT_DIR is too long\n");
        return 2;
    }
    mkdirs(argv[1]);
    char path[4096];
    snprintf(path, sizeof path, "%s/expected.json", argv[1]);
    FILE *expected = fopen(path, "w");
    if (!expected)
        die(path, NULL);
    fputc('{', expected);
    identity_table(argv[1], expected);
    multi_table(argv[1], expected);
    fputs("}\n", expected);
    if (fclose(expected))
        die(path, NULL);
    return 0;
}
