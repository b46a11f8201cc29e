/* Unit tests of the Avro container writer and reader. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro.h"
#include "testing.h"

static void check_long_encoding(int64_t value, const char *hex)
{
    ls_buf b;
    ls_error err = {0};
    ls_buf_init(&b, 64);
    CHECK_OK(ls_avro_encode_long(&b, value, &err), &err);
    char got[64] = "";
    for (size_t i = 0; i < b.len; i++)
        snprintf(got + 2 * i, 3, "%02x", b.data[i]);
    CHECK_EQ_STR(got, hex);
    ls_buf_cleanup(&b);
}

TEST(encode_golden_bytes)
{
    /* Values from the Avro specification's zig-zag table and beyond. */
    check_long_encoding(0, "00");
    check_long_encoding(-1, "01");
    check_long_encoding(1, "02");
    check_long_encoding(-2, "03");
    check_long_encoding(2, "04");
    check_long_encoding(-64, "7f");
    check_long_encoding(64, "8001");
    check_long_encoding(INT64_MAX, "feffffffffffffffff01");
    check_long_encoding(INT64_MIN, "ffffffffffffffffff01");

    ls_buf b;
    ls_error err = {0};
    ls_buf_init(&b, 256);
    CHECK_OK(ls_avro_encode_string(&b, "foo", &err), &err);
    CHECK_OK(ls_avro_encode_float(&b, 1.5f, &err), &err);
    CHECK_OK(ls_avro_encode_double(&b, -2.0, &err), &err);
    CHECK_OK(ls_avro_encode_boolean(&b, 1, &err), &err);
    CHECK_OK(ls_avro_encode_union_branch(&b, 1, &err), &err);
    CHECK_OK(ls_avro_encode_int(&b, -3, &err), &err);
    static const uint8_t want[] = {0x06, 'f', 'o', 'o', 0x00, 0x00, 0xc0, 0x3f,
                                   0,    0,   0,   0,   0,    0,    0,    0xc0,
                                   0x01, 0x02, 0x05};
    CHECK_EQ_INT(b.len, sizeof want);
    CHECK_EQ_MEM(b.data, want, sizeof want);
    ls_buf_cleanup(&b);
}

TEST(container_golden_bytes)
{
    /* A null-codec file with a fixed sync marker: every byte is known. */
    uint8_t sync[16];
    for (int i = 0; i < 16; i++)
        sync[i] = (uint8_t)(0xa0 + i);
    ls_buf out;
    ls_buf_init(&out, 1 << 20);
    ls_sink sink = ls_sink_for_buf(&out);
    ls_error err = {0};
    ls_avro_writer *w;
    ls_avro_writer_options opt = {.codec = LS_AVRO_CODEC_NULL, .sync_marker = sync};
    CHECK_OK(ls_avro_writer_new(&sink, "\"long\"", &opt, &w, &err), &err);
    CHECK_OK(ls_avro_writer_set_meta_str(w, "k", "v", &err), &err);
    CHECK(ls_avro_writer_set_meta_str(w, "avro.codec", "x", &err) == LS_ERR_INVALID);
    ls_error_clear(&err);
    CHECK(ls_avro_writer_set_meta_str(w, "k", "again", &err) == LS_ERR_INVALID);
    ls_error_clear(&err);
    CHECK_OK(ls_avro_encode_long(ls_avro_writer_begin_record(w), 1, &err), &err);
    CHECK_OK(ls_avro_writer_end_record(w, &err), &err);
    CHECK_OK(ls_avro_encode_long(ls_avro_writer_begin_record(w), -1, &err), &err);
    CHECK_OK(ls_avro_writer_end_record(w, &err), &err);
    CHECK_OK(ls_avro_writer_finish(w, &err), &err);
    CHECK(ls_avro_writer_set_meta_str(w, "late", "x", &err) == LS_ERR_INTERNAL);
    ls_avro_writer_free(w);

    ls_buf want;
    ls_buf_init(&want, 4096);
    CHECK_OK(ls_buf_append(&want, "Obj\x01", 4, &err), &err);
    CHECK_OK(ls_buf_append(&want, "\x06", 1, &err), &err); /* 3 entries */
    CHECK_OK(ls_buf_append(&want, "\x16" "avro.schema" "\x0c" "\"long\"", 1 + 11 + 1 + 6, &err),
             &err);
    CHECK_OK(ls_buf_append(&want, "\x14" "avro.codec" "\x08" "null", 1 + 10 + 1 + 4, &err), &err);
    CHECK_OK(ls_buf_append(&want, "\x02k\x02v", 4, &err), &err);
    CHECK_OK(ls_buf_append(&want, "\x00", 1, &err), &err);
    CHECK_OK(ls_buf_append(&want, sync, 16, &err), &err);
    CHECK_OK(ls_buf_append(&want, "\x04\x04\x02\x01", 4, &err), &err); /* 2 records, 2 bytes */
    CHECK_OK(ls_buf_append(&want, sync, 16, &err), &err);
    CHECK_EQ_INT(out.len, want.len);
    CHECK_EQ_MEM(out.data, want.data, want.len);
    ls_buf_cleanup(&want);
    ls_buf_cleanup(&out);
}

/* A schema with every kind, Iceberg attributes and a named-type reference. */
static const char *kitchen_schema =
    "{\"type\":\"record\",\"name\":\"kitchen\",\"namespace\":\"t.ns\",\"fields\":["
    "{\"name\":\"i\",\"type\":\"int\",\"field-id\":1},"
    "{\"name\":\"l\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":2},"
    "{\"name\":\"s\",\"type\":\"string\",\"doc\":\"caf\\u00e9 \\\"q\\\"\",\"field-id\":3},"
    "{\"name\":\"d\",\"type\":\"double\"},{\"name\":\"f\",\"type\":\"float\"},"
    "{\"name\":\"b\",\"type\":\"boolean\"},{\"name\":\"by\",\"type\":\"bytes\"},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"color\",\"symbols\":[\"R\",\"G\"]}},"
    "{\"name\":\"x\",\"type\":{\"type\":\"fixed\",\"name\":\"f4\",\"size\":4}},"
    "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"long\",\"element-id\":9}},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"int\"}},"
    "{\"name\":\"x2\",\"type\":[\"null\",\"f4\"]},"
    "{\"name\":\"dt\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}}]}";

static void encode_kitchen(ls_buf *r, int64_t k, ls_error *err)
{
    char text[64];
    snprintf(text, sizeof text, "row-%lld-%s", (long long)k, k % 3 ? "abc" : "");
    CHECK_OK(ls_avro_encode_int(r, (int32_t)k, err), err);
    if (k % 2) {
        CHECK_OK(ls_avro_encode_union_branch(r, 0, err), err);
    } else {
        CHECK_OK(ls_avro_encode_union_branch(r, 1, err), err);
        CHECK_OK(ls_avro_encode_long(r, k * 1000000007LL, err), err);
    }
    CHECK_OK(ls_avro_encode_string(r, text, err), err);
    CHECK_OK(ls_avro_encode_double(r, (double)k / 4, err), err);
    CHECK_OK(ls_avro_encode_float(r, (float)k * 2, err), err);
    CHECK_OK(ls_avro_encode_boolean(r, (int)(k & 1), err), err);
    CHECK_OK(ls_avro_encode_bytes(r, "\x00\x01\x02", (size_t)(k % 4), err), err);
    CHECK_OK(ls_avro_encode_int(r, (int32_t)(k % 2), err), err);
    CHECK_OK(ls_avro_encode_fixed(r, "WXYZ", 4, err), err);
    CHECK_OK(ls_avro_encode_long(r, k % 3, err), err);
    for (int64_t i = 0; i < k % 3; i++)
        CHECK_OK(ls_avro_encode_long(r, -i, err), err);
    if (k % 3)
        CHECK_OK(ls_avro_encode_long(r, 0, err), err);
    CHECK_OK(ls_avro_encode_long(r, 1, err), err);
    CHECK_OK(ls_avro_encode_string(r, "key", err), err);
    CHECK_OK(ls_avro_encode_int(r, (int32_t)-k, err), err);
    CHECK_OK(ls_avro_encode_long(r, 0, err), err);
    CHECK_OK(ls_avro_encode_union_branch(r, 1, err), err);
    CHECK_OK(ls_avro_encode_fixed(r, "abcd", 4, err), err);
    CHECK_OK(ls_avro_encode_int(r, 20454, err), err);
}

static void check_kitchen(const ls_avro_value *v, int64_t k)
{
    char text[64];
    snprintf(text, sizeof text, "row-%lld-%s", (long long)k, k % 3 ? "abc" : "");
    CHECK_EQ_INT(v->kind, LS_AVRO_RECORD);
    CHECK_EQ_INT(ls_avro_value_integer(ls_avro_value_field(v, "i")), k);
    const ls_avro_value *l = ls_avro_value_field_by_id(v, 2);
    if (k % 2) {
        CHECK(ls_avro_value_is_null(l));
        CHECK_EQ_INT(l->branch, 0);
    } else {
        CHECK_EQ_INT(l->kind, LS_AVRO_LONG);
        CHECK_EQ_INT(l->branch, 1);
        CHECK_EQ_INT(l->u.i64, k * 1000000007LL);
    }
    CHECK(ls_avro_value_string_equals(ls_avro_value_field(v, "s"), text));
    CHECK(ls_avro_value_field(v, "d")->u.f64 == (double)k / 4);
    CHECK(ls_avro_value_field(v, "f")->u.f32 == (float)k * 2);
    CHECK_EQ_INT(ls_avro_value_field(v, "b")->u.boolean, k & 1);
    CHECK_EQ_INT(ls_avro_value_field(v, "by")->u.bytes.len, k % 4);
    const ls_avro_value *e = ls_avro_value_field(v, "e");
    CHECK_EQ_STR(e->schema->symbols[e->u.i32], k % 2 ? "G" : "R");
    CHECK_EQ_MEM(ls_avro_value_field(v, "x")->u.bytes.data, "WXYZ", 4);
    const ls_avro_value *a = ls_avro_value_field(v, "a");
    CHECK_EQ_INT(a->u.list.count, k % 3);
    for (size_t i = 0; i < a->u.list.count; i++)
        CHECK_EQ_INT(a->u.list.items[i].u.i64, -(int64_t)i);
    const ls_avro_value *m = ls_avro_value_field(v, "m");
    CHECK_EQ_INT(m->u.list.count, 1);
    CHECK(ls_avro_value_string_equals(&m->u.list.keys[0], "key"));
    CHECK_EQ_INT(m->u.list.items[0].u.i32, -k);
    const ls_avro_value *x2 = ls_avro_value_field(v, "x2");
    CHECK_EQ_INT(x2->kind, LS_AVRO_FIXED);
    CHECK_EQ_STR(x2->schema->name, "t.ns.f4");
    const ls_avro_value *dt = ls_avro_value_field(v, "dt");
    CHECK_EQ_STR(dt->schema->logical_type, "date");
    CHECK_EQ_INT(dt->u.i32, 20454);
}

static void round_trip(ls_avro_codec codec, size_t block_bytes, int records)
{
    ls_buf out;
    ls_buf_init(&out, 64 << 20);
    ls_sink sink = ls_sink_for_buf(&out);
    ls_error err = {0};
    ls_avro_writer *w;
    ls_avro_writer_options opt = {.codec = codec, .block_target_bytes = block_bytes};
    CHECK_OK(ls_avro_writer_new(&sink, kitchen_schema, &opt, &w, &err), &err);
    CHECK_OK(ls_avro_writer_set_meta_str(w, "format-version", "2", &err), &err);
    for (int k = 0; k < records; k++) {
        encode_kitchen(ls_avro_writer_begin_record(w), k, &err);
        CHECK_OK(ls_avro_writer_end_record(w, &err), &err);
    }
    CHECK_OK(ls_avro_writer_finish(w, &err), &err);
    CHECK_EQ_INT(ls_avro_writer_record_count(w), records);
    ls_avro_writer_free(w);

    ls_avro_reader *r;
    CHECK_OK(ls_avro_reader_open(out.data, out.len, &r, &err), &err);
    CHECK_EQ_INT(ls_avro_reader_codec(r), codec);
    CHECK_EQ_STR(ls_avro_reader_meta(r, "avro.codec", NULL), ls_avro_codec_name(codec));
    CHECK_EQ_STR(ls_avro_reader_meta(r, "format-version", NULL), "2");
    /* The schema JSON is stored byte for byte, attributes included. */
    CHECK_EQ_STR(ls_avro_reader_schema_json(r), kitchen_schema);
    const ls_avro_schema *root = ls_avro_reader_schema(r);
    CHECK_EQ_STR(root->name, "t.ns.kitchen");
    CHECK_EQ_INT(root->fields[2].field_id, 3);
    CHECK_EQ_INT(root->fields[3].field_id, LS_AVRO_NO_ID);
    CHECK_EQ_INT(root->fields[9].type->element_id, 9);
    int k = 0;
    for (;;) {
        const ls_avro_value *v;
        CHECK_OK(ls_avro_reader_next(r, &v, &err), &err);
        if (!v)
            break;
        check_kitchen(v, k++);
    }
    CHECK_EQ_INT(k, records);
    ls_avro_reader_free(r);
    ls_buf_cleanup(&out);
}

TEST(round_trip_null)
{
    round_trip(LS_AVRO_CODEC_NULL, 0, 100);
    round_trip(LS_AVRO_CODEC_NULL, 1, 10); /* one record per block */
    round_trip(LS_AVRO_CODEC_NULL, 0, 0);  /* header only */
}

TEST(round_trip_deflate)
{
    round_trip(LS_AVRO_CODEC_DEFLATE, 0, 2000);
    round_trip(LS_AVRO_CODEC_DEFLATE, 300, 200);
}

TEST(round_trip_snappy)
{
    round_trip(LS_AVRO_CODEC_SNAPPY, 0, 2000);
    round_trip(LS_AVRO_CODEC_SNAPPY, 300, 200);
}

TEST(round_trip_zstandard)
{
    round_trip(LS_AVRO_CODEC_ZSTANDARD, 0, 2000);
    round_trip(LS_AVRO_CODEC_ZSTANDARD, 300, 200);
}

/* Reads every fixture file; record counts and codecs were taken with avsc
 * (an independent reader) into tests/data/avro/fixture_record_counts.txt. */
TEST(read_every_fixture)
{
    FILE *list = fopen(LAKESYNC_SOURCE_DIR "/tests/data/avro/fixture_record_counts.txt", "r");
    CHECK(list != NULL);
    char rel[512], codec[32];
    long want;
    int files = 0, paimon = 0;
    while (fscanf(list, "%511s %31s %ld", rel, codec, &want) == 3) {
        char path[1024];
        snprintf(path, sizeof path, "%s/fixtures/%s", LAKESYNC_SHARED_DIR, rel);
        size_t len;
        char *data = testing_read_file(path, &len);
        ls_error err = {0};
        ls_avro_reader *r;
        CHECK_OK(ls_avro_reader_open((const uint8_t *)data, len, &r, &err), &err);
        CHECK_EQ_STR(ls_avro_codec_name(ls_avro_reader_codec(r)), codec);
        long n = 0;
        for (;;) {
            const ls_avro_value *v;
            CHECK_OK(ls_avro_reader_next(r, &v, &err), &err);
            if (!v)
                break;
            CHECK_EQ_INT(v->kind, LS_AVRO_RECORD);
            n++;
        }
        if (n != want)
            testing_fail(__FILE__, __LINE__, "%s: %ld records, expected %ld", rel, n, want);
        paimon += strncmp(rel, "paimon/", 7) == 0;
        ls_avro_reader_free(r);
        free(data);
        files++;
    }
    fclose(list);
    CHECK_EQ_INT(files, 48);
    CHECK_EQ_INT(paimon, 21);
}

TEST(read_fixture_values)
{
    /* The Java identity-partitioned manifest of the first append: four ADDED
     * data files, one per partition a..d, each with one record. */
    const char *path = LAKESYNC_SHARED_DIR "/fixtures/iceberg/java_v2_identity_partitioned/metadata/"
                       "2b5d4ce3-154e-4498-a648-89be96ebd74a-m0.avro";
    size_t len;
    char *data = testing_read_file(path, &len);
    ls_error err = {0};
    ls_avro_reader *r;
    CHECK_OK(ls_avro_reader_open((const uint8_t *)data, len, &r, &err), &err);
    CHECK_EQ_STR(ls_avro_reader_meta(r, "partition-spec", NULL),
                 "[{\"name\":\"name\",\"transform\":\"identity\",\"source-id\":2,\"field-id\":1000}]");
    CHECK_EQ_STR(ls_avro_reader_meta(r, "content", NULL), "data");
    int seen = 0;
    for (;;) {
        const ls_avro_value *v;
        CHECK_OK(ls_avro_reader_next(r, &v, &err), &err);
        if (!v)
            break;
        CHECK_EQ_INT(ls_avro_value_integer(ls_avro_value_field_by_id(v, 0)), 1);
        const ls_avro_value *df = ls_avro_value_field_by_id(v, 2);
        const ls_avro_value *part = ls_avro_value_field_by_id(df, 102);
        const ls_avro_value *name = ls_avro_value_field_by_id(part, 1000);
        CHECK_EQ_INT(name->kind, LS_AVRO_STRING);
        CHECK_EQ_INT(name->u.bytes.len, 1);
        seen |= 1 << (name->u.bytes.data[0] - 'a');
        CHECK(ls_avro_value_integer(ls_avro_value_field_by_id(df, 103)) >= 1);
        char *file = ls_avro_value_strdup(ls_avro_value_field_by_id(df, 100));
        CHECK(strstr(file, ".parquet") != NULL);
        free(file);
    }
    CHECK_EQ_INT(seen, 0xf);
    ls_avro_reader_free(r);
    free(data);
}

static ls_code open_bytes(const void *data, size_t len, ls_error *err)
{
    ls_avro_reader *r = NULL;
    ls_code rc = ls_avro_reader_open(data, len, &r, err);
    while (rc == LS_OK) {
        const ls_avro_value *v;
        rc = ls_avro_reader_next(r, &v, err);
        if (!v)
            break;
    }
    ls_avro_reader_free(r);
    return rc;
}

TEST(rejects_malformed_files)
{
    ls_error err = {0};
    CHECK(open_bytes("Obj\x02", 4, &err) == LS_ERR_FORMAT);

    /* Truncations of a valid file fail cleanly at every length. */
    ls_buf out;
    ls_buf_init(&out, 1 << 20);
    ls_sink sink = ls_sink_for_buf(&out);
    ls_avro_writer *w;
    static const uint8_t sync[16] = "0123456789abcdef";
    ls_avro_writer_options opt = {.codec = LS_AVRO_CODEC_DEFLATE, .sync_marker = sync};
    CHECK_OK(ls_avro_writer_new(&sink, kitchen_schema, &opt, &w, &err), &err);
    for (int k = 0; k < 5; k++) {
        encode_kitchen(ls_avro_writer_begin_record(w), k, &err);
        CHECK_OK(ls_avro_writer_end_record(w, &err), &err);
    }
    CHECK_OK(ls_avro_writer_finish(w, &err), &err);
    ls_avro_writer_free(w);
    CHECK_OK(open_bytes(out.data, out.len, &err), &err);
    /* Cutting right after the header leaves a valid file with no blocks. */
    const uint8_t *header_sync = memmem(out.data, out.len, sync, 16);
    CHECK(header_sync != NULL);
    size_t header_len = (size_t)(header_sync - out.data) + 16;
    for (size_t cut = 0; cut + 1 < out.len; cut++) {
        ls_error_clear(&err);
        if (cut == header_len)
            continue;
        uint8_t *copy = malloc(cut + 1);
        memcpy(copy, out.data, cut);
        CHECK(open_bytes(copy, cut, &err) != LS_OK);
        free(copy);
    }
    /* A corrupted sync marker after the block is detected. */
    out.data[out.len - 1] ^= 0xff;
    ls_error_clear(&err);
    CHECK(open_bytes(out.data, out.len, &err) == LS_ERR_FORMAT);
    CHECK(strstr(err.message, "sync") != NULL);
    ls_buf_cleanup(&out);
}

TEST(schema_depth_limit)
{
    /* 200 nested arrays exceed the depth cap: an error, not a crash. */
    ls_buf s;
    ls_error err = {0};
    ls_buf_init(&s, 1 << 20);
    for (int i = 0; i < 200; i++)
        CHECK_OK(ls_buf_append_str(&s, "{\"type\":\"array\",\"items\":", &err), &err);
    CHECK_OK(ls_buf_append_str(&s, "\"int\"", &err), &err);
    for (int i = 0; i < 200; i++)
        CHECK_OK(ls_buf_append_str(&s, "}", &err), &err);
    ls_avro_schema_tree *tree = NULL;
    CHECK(ls_avro_schema_parse((const char *)s.data, s.len, &tree, &err) == LS_ERR_TOO_LARGE);
    CHECK(tree == NULL);
    ls_error_clear(&err);
    CHECK(ls_avro_schema_parse("{\"type\":\"nope\"}", 15, &tree, &err) == LS_ERR_FORMAT);
    ls_error_clear(&err);
    CHECK(ls_avro_schema_parse("[\"null\", \"int\"", 14, &tree, &err) == LS_ERR_FORMAT);
    ls_buf_cleanup(&s);
}

TEST(bit_flips_do_not_crash)
{
    /* Every single-byte corruption of a small file is either read or
     * reported; under the sanitizer build this also proves memory safety. */
    ls_buf out;
    ls_error err = {0};
    ls_buf_init(&out, 1 << 20);
    ls_sink sink = ls_sink_for_buf(&out);
    ls_avro_writer *w;
    ls_avro_writer_options opt = {.codec = LS_AVRO_CODEC_NULL};
    CHECK_OK(ls_avro_writer_new(&sink, kitchen_schema, &opt, &w, &err), &err);
    for (int k = 0; k < 3; k++) {
        encode_kitchen(ls_avro_writer_begin_record(w), k, &err);
        CHECK_OK(ls_avro_writer_end_record(w, &err), &err);
    }
    CHECK_OK(ls_avro_writer_finish(w, &err), &err);
    ls_avro_writer_free(w);
    int failures = 0;
    for (size_t i = 0; i < out.len; i++) {
        for (int mask = 1; mask < 256; mask <<= 3) {
            uint8_t *copy = malloc(out.len);
            memcpy(copy, out.data, out.len);
            copy[i] ^= (uint8_t)mask;
            ls_error_clear(&err);
            failures += open_bytes(copy, out.len, &err) != LS_OK;
            free(copy);
        }
    }
    CHECK(failures > 0);
    ls_buf_cleanup(&out);
}

static ls_code nested_file(int levels, ls_buf *out)
{
    /* A recursive record type: each level is one more nested record. */
    ls_error err = {0};
    ls_sink sink = ls_sink_for_buf(out);
    ls_avro_writer *w;
    CHECK_OK(ls_avro_writer_new(&sink,
                                "{\"type\":\"record\",\"name\":\"node\",\"fields\":["
                                "{\"name\":\"next\",\"type\":[\"null\",\"node\"]}]}",
                                NULL, &w, &err),
             &err);
    ls_buf *r = ls_avro_writer_begin_record(w);
    for (int i = 0; i < levels; i++)
        CHECK_OK(ls_avro_encode_union_branch(r, 1, &err), &err);
    CHECK_OK(ls_avro_encode_union_branch(r, 0, &err), &err);
    CHECK_OK(ls_avro_writer_end_record(w, &err), &err);
    CHECK_OK(ls_avro_writer_finish(w, &err), &err);
    ls_avro_writer_free(w);
    ls_error_clear(&err);
    return open_bytes(out->data, out->len, &err);
}

TEST(value_depth_limit)
{
    ls_buf a, b;
    ls_buf_init(&a, 1 << 20);
    ls_buf_init(&b, 1 << 20);
    /* The root record plus 63 nested ones is the limit; one more is refused. */
    CHECK_EQ_INT(nested_file(LS_AVRO_MAX_DEPTH - 1, &a), LS_OK);
    CHECK_EQ_INT(nested_file(LS_AVRO_MAX_DEPTH, &b), LS_ERR_TOO_LARGE);
    ls_buf_cleanup(&a);
    ls_buf_cleanup(&b);
}
