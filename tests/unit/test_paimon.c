#include "testing.h"

#include <dirent.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "paimon_binaryrow.h"
#include "util/buf.h"
#include "util/error.h"

/* Decodes a hex string into a malloc'd buffer (test helper). */
static uint8_t *hex_decode(const char *hex, size_t *len_out)
{
    size_t n = strlen(hex) / 2;
    uint8_t *out = malloc(n ? n : 1);
    CHECK(out != NULL);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        CHECK(sscanf(hex + 2 * i, "%2x", &v) == 1);
        out[i] = (uint8_t)v;
    }
    *len_out = n;
    return out;
}

static void check_bytes_hex(const ls_buf *buf, const char *hex)
{
    size_t n;
    uint8_t *want = hex_decode(hex, &n);
    if (buf->len != n || memcmp(buf->data, want, n) != 0) {
        char got[2048] = {0};
        for (size_t i = 0; i < buf->len && i * 2 + 2 < sizeof got; i++)
            snprintf(got + 2 * i, 3, "%02x", buf->data[i]);
        testing_fail(__FILE__, __LINE__, "bytes %s, expected %s", got, hex);
    }
    free(want);
}

static ls_paimon_type ptype(ls_paimon_kind kind, int precision, int scale)
{
    return (ls_paimon_type){.kind = kind, .precision = (uint8_t)precision,
                            .scale = (uint8_t)scale, .nullable = true};
}

static ls_paimon_datum d_int(int32_t v)
{
    ls_paimon_datum d = {0};
    d.v.i32 = v;
    return d;
}

static ls_paimon_datum d_null(void)
{
    return (ls_paimon_datum){.is_null = true};
}

TEST(binaryrow_empty_row)
{
    ls_error err;
    ls_error_clear(&err);
    ls_buf buf;
    ls_buf_init(&buf, 1 << 20);
    CHECK_OK(ls_paimon_binaryrow_serialize(NULL, NULL, 0, &buf, &err), &err);
    check_bytes_hex(&buf, "000000000000000000000000");
    CHECK_EQ_INT(buf.len, sizeof ls_paimon_empty_row);
    CHECK_EQ_MEM(buf.data, ls_paimon_empty_row, sizeof ls_paimon_empty_row);
    ls_buf_cleanup(&buf);
}

/* The _PARTITION values of the fixtures: f1=10 and (key0=0, key1=1). */
TEST(binaryrow_fixture_partitions)
{
    ls_error err;
    ls_error_clear(&err);
    ls_buf buf;
    ls_buf_init(&buf, 1 << 20);
    ls_paimon_type one[1] = {ptype(LS_PAIMON_INT, 0, 0)};
    ls_paimon_datum ten[1] = {d_int(10)};
    CHECK_OK(ls_paimon_binaryrow_serialize(one, ten, 1, &buf, &err), &err);
    check_bytes_hex(&buf, "0000000100000000000000000a00000000000000");

    ls_buf_reset(&buf);
    ls_paimon_type two[2] = {ptype(LS_PAIMON_INT, 0, 0), ptype(LS_PAIMON_INT, 0, 0)};
    ls_paimon_datum keys[2] = {d_int(0), d_int(1)};
    CHECK_OK(ls_paimon_binaryrow_serialize(two, keys, 2, &buf, &err), &err);
    check_bytes_hex(&buf, "00000002000000000000000000000000000000000100000000000000");

    ls_paimon_datum back[2];
    CHECK_OK(ls_paimon_binaryrow_deserialize(buf.data, buf.len, two, 2, back, &err), &err);
    CHECK(!back[0].is_null && back[0].v.i32 == 0);
    CHECK(!back[1].is_null && back[1].v.i32 == 1);
    ls_buf_cleanup(&buf);
}

/* _VALUE_STATS._MIN_VALUES of data-35f2719c...-0 in append_fixed_bucket2_partitioned:
 * f1=10, f2=1, f3=1234 (DATE), f4 TIMESTAMP(9) null (var part reserved, slot
 * 0x38 << 32), f5 DECIMAL(23,5) 12.30000 (unscaled 1230000 = 12c4b0 at offset
 * 64), f6 BYTES null. */
static const char fixture_min_values[] =
    "0000000600280000000000000a000000000000000100000000000000d2040000000000000000000038000000"
    "03000000400000000000000000000000000000000000000012c4b000000000000000000000000000";
static const char fixture_max_values[] =
    "0000000600280000000000000a000000000000000100000000000000c54d00000000000000000000380000000"
    "a0000004000000000000000000000000000000000000000029d42b6a72a9dc7070e000000000000";

static void fixture_types(ls_paimon_type t[6])
{
    t[0] = ptype(LS_PAIMON_INT, 0, 0);
    t[1] = ptype(LS_PAIMON_INT, 0, 0);
    t[2] = ptype(LS_PAIMON_DATE, 0, 0);
    t[3] = ptype(LS_PAIMON_TIMESTAMP, 9, 0);
    t[4] = ptype(LS_PAIMON_DECIMAL, 23, 5);
    t[5] = ptype(LS_PAIMON_BYTES, 0, 0);
}

TEST(binaryrow_fixture_decimal_and_null_timestamp)
{
    ls_error err;
    ls_error_clear(&err);
    ls_paimon_type t[6];
    fixture_types(t);
    ls_paimon_datum v[6] = {d_int(10), d_int(1), d_int(1234), d_null(), {0}, d_null()};
    v[4].v.unscaled = 1230000; /* 12.30000 */
    ls_buf buf;
    ls_buf_init(&buf, 1 << 20);
    CHECK_OK(ls_paimon_binaryrow_serialize(t, v, 6, &buf, &err), &err);
    check_bytes_hex(&buf, fixture_min_values);

    /* The max row holds a 10-byte unscaled decimal. */
    size_t n;
    uint8_t *max = hex_decode(fixture_max_values, &n);
    ls_paimon_datum back[6];
    CHECK_OK(ls_paimon_binaryrow_deserialize(max, n, t, 6, back, &err), &err);
    CHECK_EQ_INT(back[2].v.i32, 19909);
    CHECK(back[3].is_null);
    CHECK(back[5].is_null);
    ls_int128 want = 0;
    const uint8_t big[10] = {0x02, 0x9d, 0x42, 0xb6, 0xa7, 0x2a, 0x9d, 0xc7, 0x07, 0x0e};
    for (int i = 0; i < 10; i++)
        want = want * 256 + big[i];
    CHECK(back[4].v.unscaled == want);
    ls_buf_reset(&buf);
    CHECK_OK(ls_paimon_binaryrow_serialize(t, back, 6, &buf, &err), &err);
    check_bytes_hex(&buf, fixture_max_values);
    free(max);
    ls_buf_cleanup(&buf);
}

/* _MIN_VALUES of append_unaware_unpartitioned_timestamps: TIMESTAMP(0/3/6/9) and
 * the WITH LOCAL TIME ZONE variants; p > 3 keeps millis in the var part and
 * the nanos of millisecond in the slot. */
TEST(binaryrow_fixture_timestamps)
{
    static const char hex[] =
        "000000080088000000000000e8030000000000000100000000000000e8030000480000000000000050000000"
        "d0070000000000000200000000000000d0070000580000000000000060000000000000000000000000000000"
        "0000000000000000000000000000000000000000";
    ls_error err;
    ls_error_clear(&err);
    ls_paimon_type t[8];
    const int precisions[4] = {0, 3, 6, 9};
    for (int i = 0; i < 8; i++)
        t[i] = ptype(i < 4 ? LS_PAIMON_TIMESTAMP : LS_PAIMON_TIMESTAMP_LTZ, precisions[i % 4], 0);
    ls_paimon_datum v[8] = {{0}};
    v[0].v.ts.millis = 1000;
    v[1].v.ts.millis = 1;
    v[2].v.ts.nanos_of_milli = 1000;
    v[3].is_null = true;
    v[4].v.ts.millis = 2000;
    v[5].v.ts.millis = 2;
    v[6].v.ts.nanos_of_milli = 2000;
    v[7].is_null = true;
    ls_buf buf;
    ls_buf_init(&buf, 1 << 20);
    CHECK_OK(ls_paimon_binaryrow_serialize(t, v, 8, &buf, &err), &err);
    check_bytes_hex(&buf, hex);
    ls_paimon_datum back[8];
    CHECK_OK(ls_paimon_binaryrow_deserialize(buf.data, buf.len, t, 8, back, &err), &err);
    CHECK_EQ_INT(back[6].v.ts.nanos_of_milli, 2000);
    CHECK_EQ_INT(back[4].v.ts.millis, 2000);
    CHECK(back[7].is_null);
    ls_buf_cleanup(&buf);
}

/* Strings: up to 7 bytes inline with 0x80 | len in the top slot byte, longer
 * ones in the 8-byte aligned, zero-padded var part at (offset << 32) | len. */
TEST(binaryrow_strings_inline_and_var)
{
    ls_error err;
    ls_error_clear(&err);
    ls_paimon_type t[3] = {ptype(LS_PAIMON_STRING, 0, 0), ptype(LS_PAIMON_STRING, 0, 0),
                           ptype(LS_PAIMON_BYTES, 0, 0)};
    ls_paimon_datum v[3] = {{0}};
    v[0].v.bytes.data = (const uint8_t *)"abc";
    v[0].v.bytes.len = 3;
    v[1].v.bytes.data = (const uint8_t *)"hello paimon";
    v[1].v.bytes.len = 12;
    v[2].v.bytes.data = (const uint8_t *)"1234567";
    v[2].v.bytes.len = 7;
    ls_buf buf;
    ls_buf_init(&buf, 1 << 20);
    CHECK_OK(ls_paimon_binaryrow_encode(t, v, 3, &buf, &err), &err);
    check_bytes_hex(&buf, "0000000000000000"
                          "6162630000000083"
                          "0c00000020000000"
                          "3132333435363787"
                          "68656c6c6f207061696d6f6e00000000");
    ls_paimon_datum back[3];
    CHECK_OK(ls_paimon_binaryrow_decode(buf.data, buf.len, t, 3, back, &err), &err);
    CHECK_EQ_INT(back[0].v.bytes.len, 3);
    CHECK_EQ_MEM(back[0].v.bytes.data, "abc", 3);
    CHECK_EQ_INT(back[1].v.bytes.len, 12);
    CHECK_EQ_MEM(back[1].v.bytes.data, "hello paimon", 12);
    CHECK_EQ_MEM(back[2].v.bytes.data, "1234567", 7);
    ls_buf_cleanup(&buf);
}

TEST(binaryrow_scalars_roundtrip)
{
    ls_error err;
    ls_error_clear(&err);
    ls_paimon_type t[7] = {ptype(LS_PAIMON_BOOLEAN, 0, 0), ptype(LS_PAIMON_BIGINT, 0, 0),
                           ptype(LS_PAIMON_FLOAT, 0, 0),   ptype(LS_PAIMON_DOUBLE, 0, 0),
                           ptype(LS_PAIMON_DECIMAL, 10, 2), ptype(LS_PAIMON_DECIMAL, 38, 0),
                           ptype(LS_PAIMON_INT, 0, 0)};
    ls_paimon_datum v[7] = {{0}};
    v[0].v.b = true;
    v[1].v.i64 = -5;
    v[2].v.f32 = 1.5f;
    v[3].v.f64 = -2.25;
    v[4].v.unscaled = -12345;
    v[5].v.unscaled = -1;
    v[6].is_null = true;
    ls_buf buf;
    ls_buf_init(&buf, 1 << 20);
    CHECK_OK(ls_paimon_binaryrow_encode(t, v, 7, &buf, &err), &err);
    /* Bit set: field 6 null -> bit 14 -> byte 1, 0x40. */
    check_bytes_hex(&buf, "0040000000000000"
                          "0100000000000000"
                          "fbffffffffffffff"
                          "0000c03f00000000"
                          "00000000000002c0"
                          "c7cfffffffffffff"
                          "0100000040000000"
                          "0000000000000000"
                          "ff000000000000000000000000000000");
    ls_paimon_datum back[7];
    CHECK_OK(ls_paimon_binaryrow_decode(buf.data, buf.len, t, 7, back, &err), &err);
    CHECK(back[0].v.b);
    CHECK_EQ_INT(back[1].v.i64, -5);
    CHECK(back[2].v.f32 == 1.5f);
    CHECK(back[3].v.f64 == -2.25);
    CHECK(back[4].v.unscaled == -12345);
    CHECK(back[5].v.unscaled == -1);
    CHECK(back[6].is_null);
    ls_buf_cleanup(&buf);
}

TEST(binaryrow_rejects_bad_input)
{
    ls_error err;
    ls_error_clear(&err);
    ls_paimon_type t[1] = {ptype(LS_PAIMON_DECIMAL, 3, 0)};
    ls_paimon_datum v[1] = {{0}};
    v[0].v.unscaled = 1000; /* needs 4 digits */
    ls_buf buf;
    ls_buf_init(&buf, 1 << 20);
    CHECK_EQ_INT(ls_paimon_binaryrow_encode(t, v, 1, &buf, &err), LS_ERR_INVALID);
    CHECK_EQ_INT(buf.len, 0);

    /* A var-part reference past the end of the row is a format error. */
    ls_error_clear(&err);
    ls_paimon_type s[1] = {ptype(LS_PAIMON_STRING, 0, 0)};
    uint8_t row[16] = {0};
    row[8] = 20;  /* length 20 */
    row[12] = 16; /* offset 16 */
    ls_paimon_datum back[1];
    CHECK_EQ_INT(ls_paimon_binaryrow_decode(row, sizeof row, s, 1, back, &err), LS_ERR_FORMAT);
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_paimon_binaryrow_decode(row, 8, s, 1, back, &err), LS_ERR_FORMAT);
    ls_error_clear(&err);
    uint8_t prefix[12] = {0, 0, 0, 2};
    CHECK_EQ_INT(ls_paimon_binaryrow_deserialize(prefix, sizeof prefix, s, 1, back, &err),
                 LS_ERR_FORMAT);
    ls_buf_cleanup(&buf);
}

/* append_fixed_bucket2_partitioned: bucket-key f2, 2 buckets; rows with f2=0
 * are in bucket-1 and f2=1 in bucket-0. */
TEST(bucket_matches_fixture)
{
    ls_error err;
    ls_error_clear(&err);
    ls_paimon_type t[1] = {ptype(LS_PAIMON_INT, 0, 0)};
    ls_paimon_datum v[1] = {d_int(0)};
    int32_t bucket = -1;
    CHECK_OK(ls_paimon_bucket(t, v, 1, 2, &bucket, &err), &err);
    CHECK_EQ_INT(bucket, 1);
    v[0] = d_int(1);
    CHECK_OK(ls_paimon_bucket(t, v, 1, 2, &bucket, &err), &err);
    CHECK_EQ_INT(bucket, 0);
    CHECK_EQ_INT(ls_paimon_bucket(t, v, 1, 0, &bucket, &err), LS_ERR_INVALID);
}

/* Reference values of Murmur3-32 with seed 42 over whole words. */
TEST(hash_bytes_by_words_reference)
{
    /* Empty input: fmix(42 ^ 0). */
    uint32_t h = 42;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    CHECK_EQ_INT(ls_paimon_hash_bytes_by_words(NULL, 0), (int32_t)h);
    /* Each word changes the hash (no word is skipped). */
    const uint8_t word[8] = {'a', 'b', 'c', 'd', 0, 0, 0, 0};
    const uint8_t other[8] = {'a', 'b', 'c', 'd', 0, 0, 0, 1};
    CHECK(ls_paimon_hash_bytes_by_words(word, 8) != ls_paimon_hash_bytes_by_words(other, 8));
    CHECK(ls_paimon_hash_bytes_by_words(word, 4) != ls_paimon_hash_bytes_by_words(word, 8));
}

TEST(type_strings)
{
    ls_error err;
    ls_error_clear(&err);
    char text[64];
    static const char *const cases[] = {
        "INT", "BIGINT", "STRING", "DOUBLE", "DECIMAL(10, 2)", "DATE", "TIMESTAMP(6)",
        "TIMESTAMP(6) WITH LOCAL TIME ZONE", "BOOLEAN", "FLOAT", "BYTES", "INT NOT NULL",
        "TIMESTAMP(9) NOT NULL", "TINYINT", "SMALLINT"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ls_paimon_type t;
        CHECK_OK(ls_paimon_type_parse(cases[i], &t, &err), &err);
        CHECK_EQ_STR(ls_paimon_type_format(t, text, sizeof text), cases[i]);
    }
    ls_paimon_type t;
    CHECK_OK(ls_paimon_type_parse("VARCHAR(20)", &t, &err), &err);
    CHECK_EQ_INT(t.kind, LS_PAIMON_STRING);
    CHECK_EQ_INT(ls_paimon_type_parse("ARRAY<INT>", &t, &err), LS_ERR_UNPROCESSABLE);
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_paimon_type_parse("DECIMAL(10,", &t, &err), LS_ERR_FORMAT);

    ls_type job;
    CHECK_OK(ls_type_parse("decimal(10,2)", &job, &err), &err);
    CHECK_EQ_STR(ls_paimon_type_format(ls_paimon_type_from_ls(job, false), text, sizeof text),
                 "DECIMAL(10, 2) NOT NULL");
    CHECK_OK(ls_type_parse("timestamptz", &job, &err), &err);
    CHECK_EQ_STR(ls_paimon_type_format(ls_paimon_type_from_ls(job, true), text, sizeof text),
                 "TIMESTAMP(6) WITH LOCAL TIME ZONE");
}

/* ------------------------------------------------------------------------
 * Metadata JSON, manifests, partition paths, commit planning.
 */
#include "paimon_meta.h"

#define FIXTURES LAKESYNC_SHARED_DIR "/fixtures/paimon/"

/* Reading a fixture JSON file and writing it back gives the same bytes:
 * the fields, their order and Jackson's layout all match Paimon's. */
static void check_schema_roundtrip(const char *path)
{
    ls_error err;
    ls_error_clear(&err);
    size_t len;
    char *text = testing_read_file(path, &len);
    ls_paimon_schema schema;
    CHECK_OK(ls_paimon_schema_from_json(text, len, &schema, &err), &err);
    ls_buf out;
    ls_buf_init(&out, 1 << 20);
    CHECK_OK(ls_paimon_schema_to_json(&schema, &out, &err), &err);
    CHECK_EQ_STR((const char *)out.data, text);
    ls_buf_cleanup(&out);
    ls_paimon_schema_cleanup(&schema);
    free(text);
}

TEST(schema_json_matches_fixtures)
{
    check_schema_roundtrip(FIXTURES "append_fixed_bucket2_partitioned/schema/schema-0");
    check_schema_roundtrip(FIXTURES "append_unaware_partitioned_schema_evolution/schema/schema-0");
    check_schema_roundtrip(FIXTURES "append_unaware_partitioned_schema_evolution/schema/schema-1");
    check_schema_roundtrip(FIXTURES "append_unaware_unpartitioned_timestamps/schema/schema-0");
}

TEST(schema_built_for_a_job)
{
    ls_error err;
    ls_error_clear(&err);
    ls_paimon_schema schema;
    CHECK_OK(ls_paimon_schema_init_append(&schema, 0, 1756964328627, &err), &err);
    ls_paimon_type t = {.kind = LS_PAIMON_TIMESTAMP_LTZ, .precision = 6, .nullable = true};
    CHECK_OK(ls_paimon_schema_add_field(&schema, "ts", t, &err), &err);
    t = (ls_paimon_type){.kind = LS_PAIMON_INT, .nullable = false};
    CHECK_OK(ls_paimon_schema_add_field(&schema, "dt", t, &err), &err);
    CHECK_EQ_INT(ls_paimon_schema_add_field(&schema, "dt", t, &err), LS_ERR_CONFLICT);
    CHECK_OK(ls_paimon_schema_add_partition_key(&schema, "dt", &err), &err);
    ls_buf out;
    ls_buf_init(&out, 1 << 20);
    CHECK_OK(ls_paimon_schema_to_json(&schema, &out, &err), &err);
    CHECK_EQ_STR((const char *)out.data,
                 "{\n  \"version\" : 3,\n  \"id\" : 0,\n  \"fields\" : [ {\n    \"id\" : 0,\n"
                 "    \"name\" : \"ts\",\n    \"type\" : \"TIMESTAMP(6) WITH LOCAL TIME ZONE\"\n"
                 "  }, {\n    \"id\" : 1,\n    \"name\" : \"dt\",\n    \"type\" : \"INT NOT NULL\"\n"
                 "  } ],\n  \"highestFieldId\" : 1,\n  \"partitionKeys\" : [ \"dt\" ],\n"
                 "  \"primaryKeys\" : [ ],\n  \"options\" : {\n    \"bucket\" : \"-1\",\n"
                 "    \"manifest.format\" : \"avro\",\n    \"file.format\" : \"parquet\"\n  },\n"
                 "  \"timeMillis\" : 1756964328627\n}");
    ls_buf_cleanup(&out);
    ls_paimon_schema_cleanup(&schema);
}

/* Evolving the schema-evolution fixture's schema-0: a new id, new field ids
 * after highestFieldId, the rest unchanged. */
TEST(schema_evolve)
{
    ls_error err;
    ls_error_clear(&err);
    size_t len;
    char *text = testing_read_file(FIXTURES "append_unaware_partitioned_schema_evolution/schema/schema-0",
                                   &len);
    ls_paimon_schema s0, s1;
    CHECK_OK(ls_paimon_schema_from_json(text, len, &s0, &err), &err);
    CHECK_OK(ls_paimon_schema_evolve(&s0, 42, &s1, &err), &err);
    CHECK_OK(ls_paimon_schema_add_field(&s1, "e", ptype(LS_PAIMON_INT, 0, 0), &err), &err);
    CHECK_EQ_INT(s1.id, 1);
    CHECK_EQ_INT(s1.time_millis, 42);
    CHECK_EQ_INT(s1.highest_field_id, 7);
    CHECK_EQ_INT(s1.fields[7].id, 7);
    CHECK_EQ_INT(s1.partition_key_count, 2);
    CHECK_EQ_STR(ls_paimon_strmap_get(&s1.options, "file.format"), "parquet");
    ls_buf out;
    ls_buf_init(&out, 1 << 20);
    CHECK_OK(ls_paimon_schema_to_json(&s1, &out, &err), &err);
    CHECK(strstr((const char *)out.data, "\"id\" : 7,\n    \"name\" : \"e\",\n    \"type\" : \"INT\"") != NULL);
    ls_buf_cleanup(&out);
    ls_paimon_schema_cleanup(&s0);
    ls_paimon_schema_cleanup(&s1);
    free(text);
}

static void check_snapshot_roundtrip(const char *path)
{
    ls_error err;
    ls_error_clear(&err);
    size_t len;
    char *text = testing_read_file(path, &len);
    ls_paimon_snapshot snap;
    CHECK_OK(ls_paimon_snapshot_from_json(text, len, &snap, &err), &err);
    ls_buf out;
    ls_buf_init(&out, 1 << 20);
    CHECK_OK(ls_paimon_snapshot_to_json(&snap, &out, &err), &err);
    CHECK_EQ_STR((const char *)out.data, text);
    ls_buf_cleanup(&out);
    ls_paimon_snapshot_cleanup(&snap);
    free(text);
}

TEST(snapshot_json_matches_fixtures)
{
    static const char *const paths[] = {
        FIXTURES "append_fixed_bucket2_partitioned/snapshot/snapshot-1",
        FIXTURES "append_fixed_bucket2_partitioned/snapshot/snapshot-4",
        FIXTURES "append_unaware_partitioned_schema_evolution/snapshot/snapshot-2",
        FIXTURES "append_unaware_unpartitioned_timestamps/snapshot/snapshot-1",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        check_snapshot_roundtrip(paths[i]);
}

TEST(snapshot_properties_and_bad_json)
{
    ls_error err;
    ls_error_clear(&err);
    size_t len;
    char *text = testing_read_file(FIXTURES "append_unaware_unpartitioned_timestamps/snapshot/snapshot-1",
                                   &len);
    ls_paimon_snapshot snap;
    CHECK_OK(ls_paimon_snapshot_from_json(text, len, &snap, &err), &err);
    CHECK_EQ_INT(snap.commit_identifier, INT64_MAX);
    CHECK_EQ_INT(snap.next_row_id, 0);
    CHECK(snap.changelog_manifest_list == NULL);
    CHECK_OK(ls_paimon_strmap_set(&snap.properties, LS_PAIMON_PROP_JOB_ID, "job-1", &err), &err);
    CHECK_OK(ls_paimon_strmap_set(&snap.properties, LS_PAIMON_PROP_OFFSETS,
                                  "{\"topic\":\"t\",\"partitions\":{\"0\":12}}", &err),
             &err);
    ls_buf out;
    ls_buf_init(&out, 1 << 20);
    CHECK_OK(ls_paimon_snapshot_to_json(&snap, &out, &err), &err);
    CHECK(strstr((const char *)out.data,
                 "  \"changelogRecordCount\" : 0,\n  \"properties\" : {\n"
                 "    \"lakesync.job-id\" : \"job-1\",\n"
                 "    \"lakesync.offsets\" : \"{\\\"topic\\\":\\\"t\\\",\\\"partitions\\\":{\\\"0\\\":12}}\"\n"
                 "  },\n  \"nextRowId\" : 0\n}") != NULL);
    ls_paimon_snapshot back;
    CHECK_OK(ls_paimon_snapshot_from_json((const char *)out.data, out.len, &back, &err), &err);
    CHECK_EQ_STR(ls_paimon_strmap_get(&back.properties, LS_PAIMON_PROP_JOB_ID), "job-1");
    ls_paimon_snapshot_cleanup(&back);
    ls_paimon_snapshot_cleanup(&snap);
    ls_buf_cleanup(&out);
    free(text);
    CHECK_EQ_INT(ls_paimon_snapshot_from_json("{\"version\":3}", 13, &snap, &err), LS_ERR_FORMAT);
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_paimon_snapshot_from_json("[1", 2, &snap, &err), LS_ERR_FORMAT);
}

static void check_path(ls_paimon_type type, ls_paimon_datum value, const char *name,
                       const char *expected)
{
    ls_error err;
    ls_error_clear(&err);
    ls_buf out;
    ls_buf_init(&out, 1 << 20);
    char *names[1] = {(char *)name};
    CHECK_OK(ls_paimon_partition_path(names, &type, &value, 1, NULL, &out, &err), &err);
    CHECK_EQ_STR((const char *)out.data, expected);
    ls_buf_cleanup(&out);
}

static ls_paimon_datum d_str(const char *s)
{
    ls_paimon_datum d = {0};
    d.v.bytes.data = (const uint8_t *)s;
    d.v.bytes.len = strlen(s);
    return d;
}

TEST(partition_paths)
{
    ls_paimon_type str = ptype(LS_PAIMON_STRING, 0, 0);
    check_path(ptype(LS_PAIMON_INT, 0, 0), d_int(10), "f1", "f1=10/");
    check_path(ptype(LS_PAIMON_DATE, 0, 0), d_int(19723), "dt", "dt=19723/");
    check_path(str, d_str("a/b:c=d%e"), "k", "k=a%2Fb%3Ac%3Dd%25e/");
    check_path(str, d_str("x{y}[z]^#?*'\"\\"), "k", "k=x%7By%7D%5Bz%5D%5E%23%3F%2A%27%22%5C/");
    check_path(str, d_str("tab\there\x7f"), "k", "k=tab%09here%7F/");
    check_path(str, d_str("caf\xc3\xa9 ok"), "k", "k=caf\xc3\xa9 ok/");
    check_path(str, d_str("  \t"), "k", "k=__DEFAULT_PARTITION__/");
    check_path(str, d_str(""), "k", "k=__DEFAULT_PARTITION__/");
    check_path(str, d_null(), "we=ird", "we%3Dird=__DEFAULT_PARTITION__/");
    ls_paimon_datum dec = {0};
    dec.v.unscaled = -5;
    check_path(ptype(LS_PAIMON_DECIMAL, 10, 2), dec, "d", "d=-0.05/");
    dec.v.unscaled = 123400;
    check_path(ptype(LS_PAIMON_DECIMAL, 10, 2), dec, "d", "d=1234.00/");
    ls_paimon_datum ts = {0};
    ts.v.ts.millis = 1700000000000; /* 2023-11-14T22:13:20 */
    check_path(ptype(LS_PAIMON_TIMESTAMP, 6, 0), ts, "t", "t=2023-11-14T22%3A13%3A20/");
    ts.v.ts.millis = 1699999980000; /* seconds zero: LocalDateTime prints HH:mm */
    check_path(ptype(LS_PAIMON_TIMESTAMP, 6, 0), ts, "t", "t=2023-11-14T22%3A13/");
    ts.v.ts.millis = 1700000000123;
    ts.v.ts.nanos_of_milli = 456000;
    check_path(ptype(LS_PAIMON_TIMESTAMP, 6, 0), ts, "t", "t=2023-11-14T22%3A13%3A20.123456/");
    ts.v.ts.millis = -1;
    ts.v.ts.nanos_of_milli = 0;
    check_path(ptype(LS_PAIMON_TIMESTAMP, 3, 0), ts, "t", "t=1969-12-31T23%3A59%3A59.999/");
    ls_paimon_datum b = {0};
    b.v.b = true;
    check_path(ptype(LS_PAIMON_BOOLEAN, 0, 0), b, "b", "b=true/");

    /* Two keys in order; FLOAT keys are refused. */
    ls_error err;
    ls_error_clear(&err);
    ls_buf out;
    ls_buf_init(&out, 1 << 20);
    char *names[2] = {"key0", "key1"};
    ls_paimon_type types[2] = {ptype(LS_PAIMON_INT, 0, 0), ptype(LS_PAIMON_INT, 0, 0)};
    ls_paimon_datum values[2] = {d_int(0), d_int(1)};
    CHECK_OK(ls_paimon_partition_path(names, types, values, 2, NULL, &out, &err), &err);
    CHECK_EQ_STR((const char *)out.data, "key0=0/key1=1/");
    ls_paimon_type f = ptype(LS_PAIMON_FLOAT, 0, 0);
    CHECK_EQ_INT(ls_paimon_partition_path(names, &f, values, 1, NULL, &out, &err),
                 LS_ERR_UNPROCESSABLE);
    ls_buf_cleanup(&out);
}

/* ------------------------------------------------------------------------
 * Manifests, the reader and commit planning.
 */
#include "paimon_read.h"

static uint8_t *read_fixture(const char *path, size_t *len)
{
    return (uint8_t *)testing_read_file(path, len);
}

#define FIXED FIXTURES "append_fixed_bucket2_partitioned/"

TEST(manifest_read_fixture_compaction)
{
    ls_error err;
    ls_error_clear(&err);
    size_t len;
    uint8_t *data = read_fixture(FIXED "manifest/manifest-59f4b612-1d6a-4acb-999c-f92ae2e6129f-1", &len);
    ls_paimon_manifest_entry *entries = NULL;
    size_t n = 0;
    CHECK_OK(ls_paimon_manifest_read(data, len, &entries, &n, &err), &err);
    CHECK_EQ_INT(n, 4);
    for (size_t i = 0; i < 3; i++)
        CHECK_EQ_INT(entries[i].kind, LS_PAIMON_KIND_DELETE);
    CHECK_EQ_INT(entries[3].kind, LS_PAIMON_KIND_ADD);
    CHECK_EQ_STR(entries[3].file.file_name, "data-f8754699-0c43-4e53-be00-7e8af1754913-0.parquet");
    CHECK_EQ_INT(entries[3].file.file_source, LS_PAIMON_FILE_SOURCE_COMPACT);
    CHECK_EQ_INT(entries[3].file.row_count, 6);
    CHECK_EQ_INT(entries[3].file.max_sequence_number, 5);
    CHECK_EQ_INT(entries[3].total_buckets, 2);
    CHECK_EQ_INT(entries[3].file.first_row_id, LS_PAIMON_ABSENT); /* older layout: absent */
    CHECK_EQ_INT(entries[3].file.value_stats.null_count_count, 6);
    CHECK_EQ_INT(entries[3].file.value_stats.null_counts[2], 1);
    CHECK(entries[3].file.value_stats_cols_is_null);
    ls_paimon_type t[1] = {ptype(LS_PAIMON_INT, 0, 0)};
    ls_paimon_datum v[1];
    CHECK_OK(ls_paimon_binaryrow_deserialize(entries[3].partition.data, entries[3].partition.len,
                                             t, 1, v, &err),
             &err);
    CHECK_EQ_INT(v[0].v.i32, 10);
    ls_paimon_manifest_entries_free(entries, n);
    free(data);
}

/* Our manifests carry the newest fixture's header schema byte for byte and
 * read back field for field. */
/* Decodes serialized row bytes with types and encodes the values again: the
 * bytes must be the fixture's own. */
static void check_reencoded(const ls_paimon_bytes *row, const ls_paimon_type *types, size_t n)
{
    ls_error err;
    ls_error_clear(&err);
    ls_paimon_datum values[16];
    ls_buf buf;
    ls_buf_init(&buf, 1 << 20);
    CHECK(n <= 16);
    CHECK_OK(ls_paimon_binaryrow_deserialize(row->data, row->len, types, n, values, &err), &err);
    CHECK_OK(ls_paimon_binaryrow_serialize(types, values, n, &buf, &err), &err);
    CHECK_EQ_INT(buf.len, row->len);
    CHECK_EQ_MEM(buf.data, row->data, row->len);
    ls_buf_cleanup(&buf);
}

static void read_schema_fixture(const char *table, int64_t id, ls_paimon_schema *out)
{
    ls_error err;
    ls_error_clear(&err);
    char path[512];
    size_t len;
    snprintf(path, sizeof path, FIXTURES "%s/schema/schema-%lld", table, (long long)id);
    char *json = testing_read_file(path, &len);
    CHECK_OK(ls_paimon_schema_from_json(json, len, out, &err), &err);
    free(json);
}

/* Every _PARTITION and every value-stats row of every manifest entry of the
 * three fixtures (INT, DATE, DECIMAL(23,5), BYTES, TIMESTAMP(0..9) and with
 * local time zone, nulls): our encoder writes Paimon's bytes for the same
 * values. */
TEST(binaryrow_every_fixture_row_reencodes)
{
    static const char *const tables[] = {"append_unaware_unpartitioned_timestamps",
                                         "append_unaware_partitioned_schema_evolution",
                                         "append_fixed_bucket2_partitioned"};
    size_t rows = 0;
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++) {
        char dir[512];
        snprintf(dir, sizeof dir, FIXTURES "%s/manifest", tables[t]);
        DIR *d = opendir(dir);
        CHECK(d != NULL);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (strncmp(e->d_name, "manifest-", 9) != 0 || strncmp(e->d_name, "manifest-list-", 14) == 0)
                continue;
            char path[1024];
            size_t len, n = 0;
            ls_paimon_manifest_entry *entries = NULL;
            ls_error err;
            ls_error_clear(&err);
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            uint8_t *data = read_fixture(path, &len);
            CHECK_OK(ls_paimon_manifest_read(data, len, &entries, &n, &err), &err);
            for (size_t i = 0; i < n; i++) {
                ls_paimon_schema schema;
                ls_paimon_type types[16];
                read_schema_fixture(tables[t], entries[i].file.schema_id, &schema);
                CHECK(schema.field_count <= 16 && schema.partition_key_count <= 16);
                CHECK_OK(ls_paimon_schema_partition_types(&schema, types, &err), &err);
                check_reencoded(&entries[i].partition, types, schema.partition_key_count);
                /* Stats cover every column of the file's schema unless
                 * _VALUE_STATS_COLS names them. */
                const ls_paimon_data_file *f = &entries[i].file;
                size_t cols = f->value_stats_cols_is_null ? schema.field_count
                                                          : f->value_stats_col_count;
                for (size_t c = 0; c < cols && c < 16; c++)
                    types[c] = f->value_stats_cols_is_null
                                   ? schema.fields[c].type
                                   : ls_paimon_schema_field(&schema, f->value_stats_cols[c])->type;
                check_reencoded(&f->value_stats.min_values, types, cols);
                check_reencoded(&f->value_stats.max_values, types, cols);
                ls_paimon_schema_cleanup(&schema);
                rows += 3;
            }
            ls_paimon_manifest_entries_free(entries, n);
            free(data);
        }
        if (d)
            closedir(d);
    }
    CHECK(rows == 3 * 14); /* 14 entries in the three fixtures */
}

TEST(manifest_write_roundtrip_and_header)
{
    ls_error err;
    ls_error_clear(&err);
    size_t len;
    uint8_t *ref = read_fixture(FIXTURES "append_unaware_unpartitioned_timestamps/manifest/"
                                         "manifest-ed1bcdf9-ebcf-4853-80b8-e63189d2bfad-0",
                                &len);
    ls_avro_reader *r = NULL;
    CHECK_OK(ls_avro_reader_open(ref, len, &r, &err), &err);
    CHECK_EQ_STR(ls_avro_reader_schema_json(r), ls_paimon_manifest_schema_json);
    ls_avro_reader_free(r);
    ls_paimon_manifest_entry *entries = NULL;
    size_t n = 0;
    CHECK_OK(ls_paimon_manifest_read(ref, len, &entries, &n, &err), &err);
    CHECK_EQ_INT(n, 1);

    ls_buf out;
    ls_buf_init(&out, 1 << 24);
    CHECK_OK(ls_paimon_manifest_write(entries, n, LS_AVRO_CODEC_ZSTANDARD, &out, &err), &err);
    CHECK_OK(ls_avro_reader_open(out.data, out.len, &r, &err), &err);
    CHECK_EQ_STR(ls_avro_reader_schema_json(r), ls_paimon_manifest_schema_json);
    CHECK_EQ_INT(ls_avro_reader_codec(r), LS_AVRO_CODEC_ZSTANDARD);
    ls_avro_reader_free(r);
    ls_paimon_manifest_entry *back = NULL;
    size_t m = 0;
    CHECK_OK(ls_paimon_manifest_read(out.data, out.len, &back, &m, &err), &err);
    CHECK_EQ_INT(m, 1);
    const ls_paimon_data_file *a = &entries[0].file, *b = &back[0].file;
    CHECK_EQ_STR(b->file_name, a->file_name);
    CHECK_EQ_INT(b->file_size, 2008);
    CHECK_EQ_INT(b->row_count, 3);
    CHECK_EQ_INT(b->creation_time_millis, a->creation_time_millis);
    CHECK_EQ_INT(b->delete_row_count, 0);
    CHECK_EQ_INT(back[0].total_buckets, -1);
    CHECK_EQ_INT(b->value_stats.min_values.len, a->value_stats.min_values.len);
    CHECK_EQ_MEM(b->value_stats.min_values.data, a->value_stats.min_values.data,
                 a->value_stats.min_values.len);
    CHECK_EQ_MEM(b->value_stats.null_counts, a->value_stats.null_counts, 8 * sizeof(int64_t));
    CHECK_EQ_MEM(back[0].partition.data, ls_paimon_empty_row, sizeof ls_paimon_empty_row);
    ls_paimon_manifest_entries_free(back, m);
    ls_paimon_manifest_entries_free(entries, n);
    ls_buf_cleanup(&out);
    free(ref);
}

TEST(manifest_list_roundtrip_and_header)
{
    ls_error err;
    ls_error_clear(&err);
    size_t len;
    uint8_t *ref = read_fixture(FIXTURES "append_unaware_partitioned_schema_evolution/manifest/"
                                         "manifest-list-6f9d7e3d-2555-4d25-bdc5-d08df4f51c32-1",
                                &len);
    ls_avro_reader *r = NULL;
    CHECK_OK(ls_avro_reader_open(ref, len, &r, &err), &err);
    CHECK_EQ_STR(ls_avro_reader_schema_json(r), ls_paimon_manifest_list_schema_json);
    ls_avro_reader_free(r);
    ls_paimon_manifest_meta *metas = NULL;
    size_t n = 0;
    CHECK_OK(ls_paimon_manifest_list_read(ref, len, &metas, &n, &err), &err);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(metas[0].file_name, "manifest-77e12169-7d3d-46b5-a7e0-7eba6d011930-0");
    CHECK_EQ_INT(metas[0].file_size, 2047);
    CHECK_EQ_INT(metas[0].schema_id, 1);
    CHECK_EQ_INT(metas[0].max_level, 0);
    ls_buf out;
    ls_buf_init(&out, 1 << 20);
    CHECK_OK(ls_paimon_manifest_list_write(metas, n, LS_AVRO_CODEC_ZSTANDARD, &out, &err), &err);
    ls_paimon_manifest_meta *back = NULL;
    size_t m = 0;
    CHECK_OK(ls_paimon_manifest_list_read(out.data, out.len, &back, &m, &err), &err);
    CHECK_EQ_INT(m, 1);
    CHECK_EQ_STR(back[0].file_name, metas[0].file_name);
    CHECK_EQ_INT(back[0].num_added_files, 2);
    CHECK_EQ_INT(back[0].partition_stats.max_values.len, metas[0].partition_stats.max_values.len);
    CHECK_EQ_MEM(back[0].partition_stats.max_values.data, metas[0].partition_stats.max_values.data,
                 metas[0].partition_stats.max_values.len);
    ls_paimon_manifest_metas_free(back, m);
    ls_paimon_manifest_metas_free(metas, n);
    ls_buf_cleanup(&out);
    free(ref);

    /* Garbage is a format error, not a crash. */
    ls_error_clear(&err);
    const uint8_t junk[8] = {'O', 'b', 'j', 1, 0xff, 0xff, 0xff, 0xff};
    CHECK(ls_paimon_manifest_list_read(junk, sizeof junk, &back, &m, &err) != LS_OK);
}

TEST(table_read_fixtures)
{
    ls_error err;
    ls_error_clear(&err);
    ls_paimon_storage st = ls_paimon_storage_for_dir(FIXED);
    ls_paimon_table *t = NULL;
    CHECK_OK(ls_paimon_table_read(&st, &t, &err), &err);
    CHECK_EQ_INT(t->latest_snapshot_id, 4);
    CHECK_EQ_INT(t->earliest_snapshot_id, 1);
    CHECK_EQ_INT(t->file_count, 3);
    CHECK_EQ_INT(t->row_count, 8);
    CHECK_EQ_STR(t->snapshot.commit_kind, "COMPACT");
    ls_paimon_table_free(t);
    CHECK_OK(ls_paimon_table_read_snapshot(&st, 2, &t, &err), &err);
    CHECK_EQ_INT(t->file_count, 4);
    CHECK_EQ_INT(t->row_count, 7);
    CHECK_EQ_STR(t->files[0].path, "f1=10/bucket-0/data-35f2719c-ffae-4697-960e-af95a0b4bd51-0.parquet");
    ls_paimon_table_free(t);
    CHECK_EQ_INT(ls_paimon_table_read_snapshot(&st, 9, &t, &err), LS_ERR_NOT_FOUND);

    ls_error_clear(&err);
    st = ls_paimon_storage_for_dir(FIXTURES "append_unaware_partitioned_schema_evolution");
    CHECK_OK(ls_paimon_table_read(&st, &t, &err), &err);
    CHECK_EQ_INT(t->row_count, 10);
    CHECK_EQ_INT(t->schema.id, 1);
    CHECK_EQ_STR(t->files[0].path, "key0=0/key1=1/bucket-0/data-512651de-64b5-4a10-8068-65403aaccdb8-0.parquet");
    ls_paimon_table_free(t);

    st = ls_paimon_storage_for_dir(testing_tmpdir());
    CHECK_EQ_INT(ls_paimon_table_read(&st, &t, &err), LS_ERR_NOT_FOUND);
}

/* A storage over the fixed-bucket fixture with some objects replaced or
 * hidden, and listing optional, to exercise Paimon's hint rules. */
typedef struct override_storage {
    ls_paimon_storage dir;
    const char *latest;    /* content of snapshot/LATEST, NULL: hidden */
    const char *earliest;  /* content of snapshot/EARLIEST, NULL: hidden */
    const char *hidden;    /* one more hidden path */
} override_storage;

static ls_code override_read(void *ctx, const char *path, ls_buf *out, ls_error *err)
{
    override_storage *o = ctx;
    if (strcmp(path, "snapshot/LATEST") == 0 || strcmp(path, "snapshot/EARLIEST") == 0) {
        const char *v = strcmp(path, "snapshot/LATEST") == 0 ? o->latest : o->earliest;
        if (!v)
            return ls_error_set(err, LS_ERR_NOT_FOUND, "hidden");
        return ls_buf_append_str(out, v, err);
    }
    if (o->hidden && strcmp(path, o->hidden) == 0)
        return ls_error_set(err, LS_ERR_NOT_FOUND, "hidden");
    return o->dir.read(o->dir.ctx, path, out, err);
}

static ls_code override_list(void *ctx, const char *dir, ls_buf *names, ls_error *err)
{
    override_storage *o = ctx;
    ls_buf all;
    ls_buf_init(&all, 1 << 20);
    ls_code rc = o->dir.list(o->dir.ctx, dir, &all, err);
    for (size_t at = 0; rc == LS_OK && at < all.len;) {
        const char *name = (const char *)all.data + at;
        at += strlen(name) + 1;
        char full[256];
        snprintf(full, sizeof full, "%s/%s", dir, name);
        if (!o->hidden || strcmp(full, o->hidden) != 0)
            rc = ls_buf_append(names, name, strlen(name) + 1, err);
    }
    ls_buf_cleanup(&all);
    return rc;
}

static void check_ids(override_storage *o, bool can_list, int64_t latest, int64_t earliest)
{
    ls_error err;
    ls_error_clear(&err);
    ls_paimon_storage st = {.read = override_read, .list = can_list ? override_list : NULL,
                            .ctx = o};
    int64_t id = -1;
    CHECK_OK(ls_paimon_latest_snapshot_id(&st, &id, &err), &err);
    CHECK_EQ_INT(id, latest);
    CHECK_OK(ls_paimon_earliest_snapshot_id(&st, &id, &err), &err);
    CHECK_EQ_INT(id, earliest);
}

TEST(snapshot_hint_rules)
{
    override_storage o = {.dir = ls_paimon_storage_for_dir(FIXED), .latest = "4", .earliest = "1"};
    for (int list = 0; list < 2; list++) {
        check_ids(&o, list, 4, 1);
        o.latest = "2"; /* stale: snapshot-3 exists, so it is not trusted */
        check_ids(&o, list, 4, 1);
        o.latest = NULL;
        check_ids(&o, list, 4, 1);
        o.latest = "junk";
        check_ids(&o, list, 4, 1);
        o.latest = "4";
        o.hidden = "snapshot/snapshot-1"; /* expired: EARLIEST=1 is not trusted */
        check_ids(&o, list, 4, 2);
        o.earliest = NULL;
        check_ids(&o, list, 4, 2);
        o.earliest = "1";
        o.hidden = NULL;
    }
}

static void check_id_list(const ls_paimon_storage *st, bool snapshots, const int64_t *want,
                          size_t want_count)
{
    ls_error err;
    ls_error_clear(&err);
    int64_t *ids = NULL;
    size_t count = 99;
    CHECK_OK(snapshots ? ls_paimon_snapshot_ids(st, &ids, &count, &err)
                       : ls_paimon_schema_ids(st, &ids, &count, &err),
             &err);
    CHECK_EQ_INT(count, want_count);
    for (size_t i = 0; i < count && i < want_count; i++)
        CHECK_EQ_INT(ids[i], want[i]);
    free(ids);
}

/* Schema and snapshot ids, ascending, listed or (without listing) probed:
 * schemas from 0, snapshots from the earliest to the latest. */
TEST(schema_and_snapshot_ids)
{
    static const int64_t two_schemas[] = {0, 1}, two_snaps[] = {1, 2}, one_schema[] = {0};
    static const int64_t four_snaps[] = {1, 2, 3, 4}, expired[] = {2, 3, 4};
    ls_paimon_storage st = ls_paimon_storage_for_dir(FIXTURES "append_unaware_partitioned_schema_evolution");
    for (int list = 0; list < 2; list++) {
        ls_paimon_storage s = st;
        if (!list)
            s.list = NULL;
        check_id_list(&s, false, two_schemas, 2);
        check_id_list(&s, true, two_snaps, 2);
    }
    override_storage o = {.dir = ls_paimon_storage_for_dir(FIXED), .latest = "4", .earliest = "1"};
    for (int list = 0; list < 2; list++) {
        ls_paimon_storage s = {.read = override_read, .list = list ? override_list : NULL,
                               .ctx = &o};
        o.hidden = NULL;
        check_id_list(&s, false, one_schema, 1);
        check_id_list(&s, true, four_snaps, 4);
        o.hidden = "snapshot/snapshot-1"; /* expired */
        check_id_list(&s, true, expired, 3);
    }
    st = ls_paimon_storage_for_dir(testing_tmpdir()); /* no table: no ids */
    check_id_list(&st, false, NULL, 0);
    check_id_list(&st, true, NULL, 0);
}

/* Builds an ADD entry for partition (key0, key1) of a key0/key1 INT table. */
static void sample_entry(ls_paimon_manifest_entry *e, int key0, const char *name, int64_t rows)
{
    ls_error err;
    ls_error_clear(&err);
    memset(e, 0, sizeof *e);
    e->kind = LS_PAIMON_KIND_ADD;
    e->total_buckets = -1;
    ls_paimon_type t[2] = {ptype(LS_PAIMON_INT, 0, 0), ptype(LS_PAIMON_INT, 0, 0)};
    ls_paimon_datum v[2] = {d_int(key0), d_int(1)};
    ls_buf b;
    ls_buf_init(&b, 1 << 20);
    CHECK_OK(ls_paimon_binaryrow_serialize(t, v, 2, &b, &err), &err);
    e->partition.data = ls_buf_take(&b, &e->partition.len);
    CHECK_OK(ls_paimon_data_file_init_append(&e->file, name, 100, rows, 0, 1756142008823, &err),
             &err);
}

static void sample_schema(ls_paimon_schema *s)
{
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_paimon_schema_init_append(s, 0, 1, &err), &err);
    CHECK_OK(ls_paimon_schema_add_field(s, "key0", ptype(LS_PAIMON_INT, 0, 0), &err), &err);
    CHECK_OK(ls_paimon_schema_add_field(s, "key1", ptype(LS_PAIMON_INT, 0, 0), &err), &err);
    CHECK_OK(ls_paimon_schema_add_field(s, "v", ptype(LS_PAIMON_STRING, 0, 0), &err), &err);
    CHECK_OK(ls_paimon_schema_add_partition_key(s, "key0", &err), &err);
    CHECK_OK(ls_paimon_schema_add_partition_key(s, "key1", &err), &err);
}

TEST(commit_plan_first_and_second)
{
    ls_error err;
    ls_error_clear(&err);
    ls_paimon_schema schema;
    sample_schema(&schema);
    ls_paimon_manifest_entry e[2];
    sample_entry(&e[0], 0, "data-a-0.parquet", 3);
    sample_entry(&e[1], 1, "data-b-0.parquet", 2);
    ls_paimon_strmap props = {0};
    CHECK_OK(ls_paimon_strmap_set(&props, LS_PAIMON_PROP_JOB_ID, "j1", &err), &err);
    ls_paimon_commit_input in = {.schema = &schema, .entries = e, .entry_count = 2,
                                 .commit_user = "u", .commit_identifier = 1, .time_millis = 5,
                                 .name_uuid = "11111111-2222-3333-4444-555555555555",
                                 .properties = &props, .codec = LS_AVRO_CODEC_ZSTANDARD};
    ls_paimon_commit_plan p1;
    CHECK_OK(ls_paimon_commit_plan_build(&in, &p1, &err), &err);
    CHECK_EQ_INT(p1.snapshot_id, 1);
    CHECK_EQ_STR(p1.manifest_path, "manifest/manifest-11111111-2222-3333-4444-555555555555-0");
    CHECK_EQ_STR(p1.base_list_path, "manifest/manifest-list-11111111-2222-3333-4444-555555555555-0");
    CHECK_EQ_STR(p1.delta_list_path, "manifest/manifest-list-11111111-2222-3333-4444-555555555555-1");
    CHECK_EQ_STR(p1.snapshot_path, "snapshot/snapshot-1");
    CHECK_EQ_STR(p1.latest_hint, "1");
    CHECK(p1.write_earliest);
    CHECK_EQ_INT(p1.snapshot.total_record_count, 5);
    CHECK_EQ_INT(p1.snapshot.delta_record_count, 5);
    CHECK_EQ_INT(p1.snapshot.base_manifest_list_size, (int64_t)p1.base_list.len);
    CHECK_EQ_INT(p1.delta_meta.file_size, (int64_t)p1.manifest.len);
    CHECK_EQ_INT(p1.delta_meta.num_added_files, 2);
    /* Partition stats: min (0,1), max (1,1), as the schema-evolution fixture. */
    size_t n;
    uint8_t *want = hex_decode("00000002000000000000000001000000000000000100000000000000", &n);
    CHECK_EQ_INT(p1.delta_meta.partition_stats.max_values.len, n);
    CHECK_EQ_MEM(p1.delta_meta.partition_stats.max_values.data, want, n);
    free(want);
    ls_paimon_manifest_meta *metas = NULL;
    size_t count = 0;
    CHECK_OK(ls_paimon_manifest_list_read(p1.base_list.data, p1.base_list.len, &metas, &count,
                                          &err), &err);
    CHECK_EQ_INT(count, 0);
    ls_paimon_manifest_metas_free(metas, count);
    CHECK_OK(ls_paimon_manifest_list_read(p1.delta_list.data, p1.delta_list.len, &metas, &count,
                                          &err), &err);
    CHECK_EQ_INT(count, 1);
    CHECK_EQ_STR(metas[0].file_name, "manifest-11111111-2222-3333-4444-555555555555-0");

    /* Second commit: the base list = previous base + previous delta. */
    ls_paimon_manifest_entry e2;
    sample_entry(&e2, 0, "data-c-0.parquet", 4);
    ls_paimon_commit_input in2 = in;
    in2.previous = &p1.snapshot;
    in2.previous_delta = metas;
    in2.previous_delta_count = count;
    in2.entries = &e2;
    in2.entry_count = 1;
    in2.commit_identifier = 2;
    in2.name_uuid = "66666666-2222-3333-4444-555555555555";
    ls_paimon_commit_plan p2;
    CHECK_OK(ls_paimon_commit_plan_build(&in2, &p2, &err), &err);
    CHECK_EQ_INT(p2.snapshot_id, 2);
    CHECK(!p2.write_earliest);
    CHECK_EQ_STR(p2.latest_hint, "2");
    CHECK_EQ_INT(p2.snapshot.total_record_count, 9);
    CHECK_EQ_INT(p2.snapshot.delta_record_count, 4);
    CHECK_EQ_INT(p2.base_meta_count, 1);
    CHECK_EQ_STR(p2.base_metas[0].file_name, metas[0].file_name);
    CHECK(strstr((const char *)p2.snapshot_json.data, "\"lakesync.job-id\" : \"j1\"") != NULL);

    /* Entries that do not fit the table are refused, and so is a previous
     * snapshot with rows but without its manifest lists. */
    ls_paimon_commit_plan bad;
    in2.previous_delta_count = 0;
    CHECK_EQ_INT(ls_paimon_commit_plan_build(&in2, &bad, &err), LS_ERR_INVALID);
    in2.previous_delta_count = count;
    ls_error_clear(&err);
    e2.kind = LS_PAIMON_KIND_DELETE;
    CHECK_EQ_INT(ls_paimon_commit_plan_build(&in2, &bad, &err), LS_ERR_INVALID);
    e2.kind = LS_PAIMON_KIND_ADD;
    e2.bucket = 1;
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_paimon_commit_plan_build(&in2, &bad, &err), LS_ERR_INVALID);
    e2.bucket = 0;
    free(e2.partition.data);
    e2.partition.data = malloc(sizeof ls_paimon_empty_row);
    memcpy(e2.partition.data, ls_paimon_empty_row, sizeof ls_paimon_empty_row);
    e2.partition.len = sizeof ls_paimon_empty_row;
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_paimon_commit_plan_build(&in2, &bad, &err), LS_ERR_INVALID);

    ls_paimon_commit_plan_cleanup(&p2);
    ls_paimon_manifest_metas_free(metas, count);
    ls_paimon_commit_plan_cleanup(&p1);
    ls_paimon_manifest_entry_cleanup(&e2);
    ls_paimon_manifest_entry_cleanup(&e[0]);
    ls_paimon_manifest_entry_cleanup(&e[1]);
    ls_paimon_strmap_cleanup(&props);
    ls_paimon_schema_cleanup(&schema);
}

/* A commit with no files still records progress (offsets) in a snapshot. */
TEST(commit_plan_without_files)
{
    ls_error err;
    ls_error_clear(&err);
    ls_paimon_schema schema;
    sample_schema(&schema);
    ls_paimon_commit_input in = {.schema = &schema, .commit_user = "u", .commit_identifier = 7,
                                 .name_uuid = "u1", .codec = LS_AVRO_CODEC_NULL};
    ls_paimon_commit_plan p;
    CHECK_OK(ls_paimon_commit_plan_build(&in, &p, &err), &err);
    CHECK(p.manifest_path == NULL);
    ls_paimon_manifest_meta *metas = NULL;
    size_t count = 5;
    CHECK_OK(ls_paimon_manifest_list_read(p.delta_list.data, p.delta_list.len, &metas, &count,
                                          &err), &err);
    CHECK_EQ_INT(count, 0);
    CHECK_EQ_INT(p.snapshot.total_record_count, 0);
    ls_paimon_manifest_metas_free(metas, count);
    ls_paimon_commit_plan_cleanup(&p);
    ls_paimon_schema_cleanup(&schema);
}

/* ------------------------------------------------------------------------
 * Value stats from Parquet column stats (truncate(16)).
 */
#include "paimon_stats.h"

TEST(value_stats_from_parquet_truncate)
{
    ls_error err;
    ls_error_clear(&err);
    ls_paimon_schema schema;
    CHECK_OK(ls_paimon_schema_init_append(&schema, 0, 1, &err), &err);
    CHECK_OK(ls_paimon_schema_add_field(&schema, "s", ptype(LS_PAIMON_STRING, 0, 0), &err), &err);
    CHECK_OK(ls_paimon_schema_add_field(&schema, "ts", ptype(LS_PAIMON_TIMESTAMP, 6, 0), &err),
             &err);
    CHECK_OK(ls_paimon_schema_add_field(&schema, "x", ptype(LS_PAIMON_DOUBLE, 0, 0), &err), &err);
    CHECK_OK(ls_paimon_schema_add_field(&schema, "gone", ptype(LS_PAIMON_INT, 0, 0), &err), &err);
    static uint8_t lo[] = "aaaaaaaaaaaaaaaaaaaa";      /* 20 code points */
    static uint8_t hi[] = "zzzzzzzzzzzzzzz\xc3\xa9zzzz"; /* 15 z, e-acute, 4 z */
    ls_parquet_column_stats cols[3] = {{0}};
    cols[0].field_id = 0;
    cols[0].has_min_max = true;
    cols[0].min_bytes = lo;
    cols[0].min_bytes_len = 20;
    cols[0].max_bytes = hi;
    cols[0].max_bytes_len = sizeof hi - 1;
    cols[0].null_count = 2;
    cols[1].field_id = 1;
    cols[1].has_min_max = true;
    cols[1].min_int = -1; /* 1969-12-31T23:59:59.999999 */
    cols[1].max_int = 1700000000123456;
    cols[2].field_id = 2;
    cols[2].has_min_max = true;
    cols[2].nan_count = 1; /* NaN present: unknown bounds */
    ls_parquet_file_stats file = {.row_count = 5, .columns = cols, .column_count = 3};
    ls_paimon_stats stats = {0};
    CHECK_OK(ls_paimon_value_stats_from_parquet(&schema, &file, &stats, &err), &err);
    ls_paimon_type t[4];
    for (size_t i = 0; i < 4; i++)
        t[i] = schema.fields[i].type;
    ls_paimon_datum mins[4], maxs[4];
    CHECK_OK(ls_paimon_binaryrow_deserialize(stats.min_values.data, stats.min_values.len, t, 4,
                                             mins, &err), &err);
    CHECK_OK(ls_paimon_binaryrow_deserialize(stats.max_values.data, stats.max_values.len, t, 4,
                                             maxs, &err), &err);
    CHECK_EQ_INT(mins[0].v.bytes.len, 16);
    CHECK_EQ_MEM(mins[0].v.bytes.data, "aaaaaaaaaaaaaaaa", 16);
    /* 16 code points: 15 'z' and e-acute; the last is incremented to U+00EA. */
    CHECK_EQ_INT(maxs[0].v.bytes.len, 17);
    CHECK_EQ_MEM(maxs[0].v.bytes.data, "zzzzzzzzzzzzzzz\xc3\xaa", 17);
    CHECK_EQ_INT(mins[1].v.ts.millis, -1);
    CHECK_EQ_INT(mins[1].v.ts.nanos_of_milli, 999000);
    CHECK_EQ_INT(maxs[1].v.ts.millis, 1700000000123);
    CHECK_EQ_INT(maxs[1].v.ts.nanos_of_milli, 456000);
    CHECK(mins[2].is_null && maxs[2].is_null);
    CHECK(mins[3].is_null && maxs[3].is_null);
    CHECK_EQ_INT(stats.null_counts[0], 2);
    CHECK_EQ_INT(stats.null_counts[3], LS_PAIMON_ABSENT);
    ls_paimon_stats_cleanup(&stats);
    ls_paimon_schema_cleanup(&schema);
}

/* Cut-short and bit-flipped metadata is an error to report, never a crash
 * (run under ASan+UBSan in CI). */
TEST(corrupt_metadata_is_an_error)
{
    ls_error err;
    size_t len;
    uint8_t *data = read_fixture(FIXED "manifest/manifest-59f4b612-1d6a-4acb-999c-f92ae2e6129f-1", &len);
    for (size_t cut = 0; cut < len; cut += 7) {
        ls_error_clear(&err);
        ls_paimon_manifest_entry *entries = NULL;
        size_t n = 0;
        ls_code rc = ls_paimon_manifest_read(data, cut, &entries, &n, &err);
        CHECK(rc != LS_OK || n <= 4);
        ls_paimon_manifest_entries_free(entries, n);
    }
    free(data);

    /* Every byte of a stats row flipped: decoding either fails or stays in bounds. */
    size_t rlen;
    uint8_t *row = hex_decode(fixture_max_values, &rlen);
    ls_paimon_type t[6];
    fixture_types(t);
    for (size_t i = 0; i < rlen; i++) {
        for (int bit = 0; bit < 8; bit++) {
            row[i] ^= (uint8_t)(1u << bit);
            ls_paimon_datum v[6];
            ls_error_clear(&err);
            if (ls_paimon_binaryrow_deserialize(row, rlen, t, 6, v, &err) == LS_OK) {
                for (int f = 0; f < 6; f++)
                    if (!v[f].is_null && (t[f].kind == LS_PAIMON_BYTES))
                        CHECK(v[f].v.bytes.data >= row && v[f].v.bytes.data + v[f].v.bytes.len <= row + rlen);
            }
            row[i] ^= (uint8_t)(1u << bit);
        }
    }
    free(row);

    size_t slen;
    char *snap = testing_read_file(FIXED "snapshot/snapshot-4", &slen);
    for (size_t cut = 0; cut + 1 < slen; cut += 5) {
        ls_paimon_snapshot s;
        ls_error_clear(&err);
        CHECK(ls_paimon_snapshot_from_json(snap, cut, &s, &err) != LS_OK);
    }
    free(snap);
}

/* Writes root/rel (creating directories one level deep under root). */
static void put_file(const char *root, const char *rel, const void *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    char cmd_dir[1024];
    snprintf(cmd_dir, sizeof cmd_dir, "%s", path);
    (void)mkdir(cmd_dir, 0755);
    *slash = '/';
    FILE *f = fopen(path, "wx");
    CHECK(f != NULL);
    CHECK(fwrite(data, 1, len, f) == len);
    CHECK(fclose(f) == 0);
}

/* 32 commits through read + plan: once a snapshot has 30 manifests the base
 * becomes one merged manifest of the live files, and nothing is lost. */
TEST(commit_merges_manifests)
{
    ls_error err;
    ls_error_clear(&err);
    const char *root = testing_tmpdir();
    ls_paimon_schema schema;
    sample_schema(&schema);
    ls_buf json;
    ls_buf_init(&json, 1 << 20);
    CHECK_OK(ls_paimon_schema_to_json(&schema, &json, &err), &err);
    put_file(root, "schema/schema-0", json.data, json.len);
    ls_buf_cleanup(&json);
    ls_paimon_storage st = ls_paimon_storage_for_dir(root);
    bool merged = false;
    for (int i = 1; i <= 32; i++) {
        ls_paimon_table *t = NULL;
        CHECK_OK(ls_paimon_table_read(&st, &t, &err), &err);
        CHECK_EQ_INT(t->row_count, (i - 1) * 2);
        char file[64], uuid[64];
        snprintf(file, sizeof file, "data-%d-0.parquet", i);
        snprintf(uuid, sizeof uuid, "00000000-0000-0000-0000-%012d", i);
        ls_paimon_manifest_entry e;
        sample_entry(&e, i % 3, file, 2);
        ls_paimon_commit_input in = {.schema = &schema, .entries = &e, .entry_count = 1,
                                     .commit_user = "u", .commit_identifier = i,
                                     .time_millis = i, .name_uuid = uuid,
                                     .codec = LS_AVRO_CODEC_ZSTANDARD};
        ls_paimon_commit_input_set_previous(&in, t);
        ls_paimon_commit_plan p;
        CHECK_OK(ls_paimon_commit_plan_build(&in, &p, &err), &err);
        if (in.merge_base) {
            merged = true;
            CHECK(p.merged_manifest_path != NULL);
            CHECK_EQ_INT(p.base_meta_count, 1);
            CHECK_EQ_INT(p.base_metas[0].num_added_files, t->file_count);
            put_file(root, p.merged_manifest_path, p.merged_manifest.data, p.merged_manifest.len);
        } else {
            CHECK_EQ_INT(p.base_meta_count, t->base_meta_count + t->delta_meta_count);
        }
        put_file(root, p.manifest_path, p.manifest.data, p.manifest.len);
        put_file(root, p.base_list_path, p.base_list.data, p.base_list.len);
        put_file(root, p.delta_list_path, p.delta_list.data, p.delta_list.len);
        put_file(root, p.snapshot_path, p.snapshot_json.data, p.snapshot_json.len);
        ls_paimon_commit_plan_cleanup(&p);
        ls_paimon_manifest_entry_cleanup(&e);
        ls_paimon_table_free(t);
    }
    CHECK(merged);
    ls_paimon_table *t = NULL;
    CHECK_OK(ls_paimon_table_read(&st, &t, &err), &err);
    CHECK_EQ_INT(t->latest_snapshot_id, 32);
    CHECK_EQ_INT(t->file_count, 32);
    CHECK_EQ_INT(t->row_count, 64);
    CHECK_EQ_INT(t->snapshot.total_record_count, 64);
    CHECK(t->base_meta_count < 30);
    for (int i = 0; i < 32; i++) {
        char want[64];
        snprintf(want, sizeof want, "data-%d-0.parquet", i + 1);
        int found = 0;
        for (size_t j = 0; j < t->file_count; j++)
            found |= strcmp(t->files[j].entry.file.file_name, want) == 0;
        CHECK(found);
    }
    ls_paimon_table_free(t);
    ls_paimon_schema_cleanup(&schema);
}
