/* Unit tests of the Iceberg format module. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg_manifest.h"
#include "iceberg_metadata.h"
#include "iceberg_table.h"
#include "iceberg_types.h"
#include "testing.h"

static ls_type T(ls_type_kind k)
{
    return (ls_type){.kind = k};
}

static ls_iceberg_value I32(int32_t v)
{
    ls_iceberg_value x = {0};
    x.u.i32 = v;
    return x;
}

static ls_iceberg_value I64(int64_t v)
{
    ls_iceberg_value x = {0};
    x.u.i64 = v;
    return x;
}

static ls_iceberg_value STR(const char *s)
{
    ls_iceberg_value x = {0};
    x.u.bytes.data = (const uint8_t *)s;
    x.u.bytes.len = strlen(s);
    return x;
}

static ls_iceberg_value DEC(ls_int128 unscaled)
{
    ls_iceberg_value x = {0};
    x.u.unscaled = unscaled;
    return x;
}

static int32_t hash_of(ls_type t, ls_iceberg_value v)
{
    int32_t h;
    ls_error err = {0};
    CHECK_OK(ls_iceberg_hash(t, &v, &h, &err), &err);
    return h;
}

TEST(murmur3_spec_vectors)
{
    /* Iceberg spec Appendix B. */
    CHECK_EQ_INT(hash_of(T(LS_TYPE_INT), I32(34)), 2017239379);
    CHECK_EQ_INT(hash_of(T(LS_TYPE_INT), I32(1)), 1392991556);
    CHECK_EQ_INT(hash_of(T(LS_TYPE_BIGINT), I64(34)), 2017239379);
    ls_type dec = {.kind = LS_TYPE_DECIMAL, .precision = 9, .scale = 2};
    CHECK_EQ_INT(hash_of(dec, DEC(1420)), -500754589);
    CHECK_EQ_INT(hash_of(T(LS_TYPE_DATE), I32(17486)), -653330422);
    CHECK_EQ_INT(hash_of(T(LS_TYPE_TIMESTAMP), I64(1510871468000000LL)), -2047944441);
    CHECK_EQ_INT(hash_of(T(LS_TYPE_TIMESTAMPTZ), I64(1510871468000000LL)), -2047944441);
    CHECK_EQ_INT(hash_of(T(LS_TYPE_STRING), STR("iceberg")), 1210000089);
    ls_iceberg_value bin = {0};
    bin.u.bytes.data = (const uint8_t *)"\x00\x01\x02\x03";
    bin.u.bytes.len = 4;
    CHECK_EQ_INT(hash_of(T(LS_TYPE_BINARY), bin), -188683207);
    /* time 22:31:08 hashes as a long of micros. */
    int64_t micros = 81068000000LL;
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)((uint64_t)micros >> (8 * i));
    CHECK_EQ_INT(ls_iceberg_murmur3_32(le, 8), -662762989);
    ls_error err = {0};
    int32_t h;
    ls_iceberg_value d = {0};
    CHECK(ls_iceberg_hash(T(LS_TYPE_DOUBLE), &d, &h, &err) == LS_ERR_INVALID);
}

static ls_iceberg_value apply(const char *transform, ls_type t, ls_iceberg_value in)
{
    ls_iceberg_transform tr;
    ls_iceberg_value out;
    ls_error err = {0};
    CHECK_OK(ls_iceberg_transform_parse(transform, &tr, &err), &err);
    CHECK_OK(ls_iceberg_transform_apply(tr, t, &in, &out, &err), &err);
    return out;
}

TEST(transforms)
{
    /* bucket[16] of int 34 = (2017239379 & MAX) % 16 = 3. */
    CHECK_EQ_INT(apply("bucket[16]", T(LS_TYPE_INT), I32(34)).u.i32, 3);
    CHECK_EQ_INT(apply("bucket[100]", T(LS_TYPE_BIGINT), I64(34)).u.i32, 79);
    /* ("iceberg" hash 1210000089 & MAX) % 16. */
    CHECK_EQ_INT(apply("bucket[16]", T(LS_TYPE_STRING), STR("iceberg")).u.i32, 9);
    CHECK_EQ_INT(apply("truncate[10]", T(LS_TYPE_INT), I32(11)).u.i32, 10);
    CHECK_EQ_INT(apply("truncate[10]", T(LS_TYPE_INT), I32(-11)).u.i32, -20);
    CHECK_EQ_INT(apply("truncate[7]", T(LS_TYPE_INT), I32(22)).u.i32, 21);
    CHECK_EQ_INT(apply("truncate[10]", T(LS_TYPE_BIGINT), I64(-1)).u.i64, -10);
    ls_type dec = {.kind = LS_TYPE_DECIMAL, .precision = 9, .scale = 2};
    /* Spec: truncate(10) of 10.65 (unscaled 1065) is 10.60. */
    CHECK(apply("truncate[10]", dec, DEC(1065)).u.unscaled == 1060);
    CHECK(apply("truncate[10]", dec, DEC(-1065)).u.unscaled == -1070);
    ls_iceberg_value s = apply("truncate[3]", T(LS_TYPE_STRING), STR("iceberg"));
    CHECK_EQ_INT(s.u.bytes.len, 3);
    /* Code points, not bytes: two CJK characters are six bytes. */
    s = apply("truncate[1]", T(LS_TYPE_STRING), STR("\xe6\xb5\x8b\xe8\xaf\x95"));
    CHECK_EQ_INT(s.u.bytes.len, 3);
    ls_iceberg_value bin = STR("abcdef");
    CHECK_EQ_INT(apply("truncate[4]", T(LS_TYPE_BINARY), bin).u.bytes.len, 4);

    /* 2017-11-16T22:31:08 = 1510871468000000 micros, day 17486. */
    int64_t ts = 1510871468000000LL;
    CHECK_EQ_INT(apply("day", T(LS_TYPE_TIMESTAMP), I64(ts)).u.i32, 17486);
    CHECK_EQ_INT(apply("hour", T(LS_TYPE_TIMESTAMPTZ), I64(ts)).u.i32, 17486 * 24 + 22);
    CHECK_EQ_INT(apply("month", T(LS_TYPE_TIMESTAMP), I64(ts)).u.i32, (2017 - 1970) * 12 + 10);
    CHECK_EQ_INT(apply("year", T(LS_TYPE_TIMESTAMP), I64(ts)).u.i32, 47);
    CHECK_EQ_INT(apply("year", T(LS_TYPE_DATE), I32(17486)).u.i32, 47);
    CHECK_EQ_INT(apply("month", T(LS_TYPE_DATE), I32(17486)).u.i32, 574);
    /* Before the epoch: floor, not truncation toward zero. */
    CHECK_EQ_INT(apply("day", T(LS_TYPE_TIMESTAMP), I64(-1)).u.i32, -1);
    CHECK_EQ_INT(apply("hour", T(LS_TYPE_TIMESTAMP), I64(-1)).u.i32, -1);
    CHECK_EQ_INT(apply("month", T(LS_TYPE_DATE), I32(-1)).u.i32, -1);
    CHECK_EQ_INT(apply("year", T(LS_TYPE_DATE), I32(-1)).u.i32, -1);
    ls_iceberg_value null = {.is_null = 1};
    CHECK(apply("bucket[4]", T(LS_TYPE_INT), null).is_null);
    CHECK_EQ_INT(apply("truncate[10]", T(LS_TYPE_INT), I32(INT32_MIN + 8)).u.i32, INT32_MIN + 8);
    {
        ls_iceberg_transform t10 = {.kind = LS_ICEBERG_TRUNCATE, .param = 10};
        ls_iceberg_value in = I64(INT64_MIN), o;
        ls_error e = {0};
        CHECK(ls_iceberg_transform_apply(t10, T(LS_TYPE_BIGINT), &in, &o, &e) == LS_ERR_INVALID);
    }

    ls_iceberg_transform tr;
    ls_type rt;
    ls_error err = {0};
    CHECK(ls_iceberg_transform_parse("bucket[0]", &tr, &err) == LS_ERR_INVALID);
    ls_error_clear(&err);
    CHECK(ls_iceberg_transform_parse("truncate[x]", &tr, &err) == LS_ERR_INVALID);
    ls_error_clear(&err);
    CHECK_OK(ls_iceberg_transform_parse("day", &tr, &err), &err);
    CHECK(ls_iceberg_transform_result_type(tr, T(LS_TYPE_STRING), &rt, &err) == LS_ERR_INVALID);
    ls_error_clear(&err);
    CHECK_OK(ls_iceberg_transform_result_type(tr, T(LS_TYPE_TIMESTAMP), &rt, &err), &err);
    CHECK_EQ_INT(rt.kind, LS_TYPE_DATE);
    char text[32];
    CHECK_OK(ls_iceberg_transform_parse("truncate[16]", &tr, &err), &err);
    CHECK_EQ_STR(ls_iceberg_transform_format(tr, text, sizeof text), "truncate[16]");
}

static void check_bytes(ls_type t, ls_iceberg_value v, const char *hex)
{
    ls_buf b;
    ls_error err = {0};
    ls_buf_init(&b, 256);
    CHECK_OK(ls_iceberg_value_to_bytes(t, &v, &b, &err), &err);
    char got[256] = "";
    for (size_t i = 0; i < b.len; i++)
        snprintf(got + 2 * i, 3, "%02x", b.data[i]);
    CHECK_EQ_STR(got, hex);
    /* And back. */
    ls_iceberg_value back;
    CHECK_OK(ls_iceberg_value_from_bytes(t, b.data, b.len, &back, &err), &err);
    CHECK_EQ_INT(ls_iceberg_value_compare(t, &back, &v), 0);
    ls_buf_cleanup(&b);
}

TEST(single_value_serialization)
{
    ls_type dec = {.kind = LS_TYPE_DECIMAL, .precision = 15, .scale = 2};
    /* FORMAT-DIGEST 1.6, verified against the fixtures. */
    check_bytes(dec, DEC(100), "64");
    check_bytes(dec, DEC(5000), "1388");
    check_bytes(dec, DEC(0), "00");
    check_bytes(dec, DEC(9494950), "0090e1a6");
    check_bytes(dec, DEC(-1), "ff");
    check_bytes(dec, DEC(-129), "ff7f");
    check_bytes(dec, DEC(128), "0080");
    check_bytes(T(LS_TYPE_INT), I32(1), "01000000");
    check_bytes(T(LS_TYPE_DATE), I32(20092), "7c4e0000");
    check_bytes(T(LS_TYPE_BIGINT), I64(-2), "feffffffffffffff");
    /* The v1 fixture's lower bound of ts in partition ts_day=2023-03-01. */
    check_bytes(T(LS_TYPE_TIMESTAMP), I64(1677694500000000LL), "00d1b6b0daf50500");
    ls_iceberg_value f = {0};
    f.u.f32 = 1.0f;
    check_bytes(T(LS_TYPE_FLOAT), f, "0000803f");
    f.u.f64 = -2.5;
    check_bytes(T(LS_TYPE_DOUBLE), f, "00000000000004c0");
    ls_iceberg_value b = {0};
    b.u.boolean = 1;
    check_bytes(T(LS_TYPE_BOOLEAN), b, "01");
    check_bytes(T(LS_TYPE_STRING), STR("ab"), "6162");
    ls_iceberg_value out;
    ls_error err = {0};
    CHECK(ls_iceberg_value_from_bytes(T(LS_TYPE_INT), (const uint8_t *)"abc", 3, &out, &err) ==
          LS_ERR_FORMAT);
}

static void check_upper(const char *in, const char *want)
{
    ls_iceberg_value v = STR(in), out;
    uint8_t scratch[64];
    int ok = ls_iceberg_bound_upper(T(LS_TYPE_STRING), &v, scratch, sizeof scratch, &out);
    if (!want) {
        CHECK(!ok);
        return;
    }
    CHECK(ok);
    CHECK_EQ_INT(out.u.bytes.len, strlen(want));
    CHECK_EQ_MEM(out.u.bytes.data, want, strlen(want));
}

TEST(bound_truncation)
{
    ls_iceberg_value v = STR("zzle special requests"), lo;
    ls_iceberg_bound_lower(T(LS_TYPE_STRING), &v, &lo);
    CHECK_EQ_INT(lo.u.bytes.len, 16);
    CHECK_EQ_MEM(lo.u.bytes.data, "zzle special req", 16);
    /* Verified in the lineitem fixture: the upper bound's last code point is
     * incremented. */
    check_upper("zzle special requests", "zzle special rer");
    check_upper("short", "short");
    check_upper("exactly16chars!!", "exactly16chars!!");
    /* 17 code points of 2 bytes each: the 16th (U+00E9) becomes U+00EA. */
    check_upper("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
                "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xaa");
    /* U+10FFFF cannot be incremented: the previous code point is. */
    check_upper("aaaaaaaaaaaaaaa\xf4\x8f\xbf\xbfzz", "aaaaaaaaaaaaaab");
    /* U+D7FF + 1 skips the surrogates to U+E000. */
    check_upper("aaaaaaaaaaaaaaa\xed\x9f\xbfz", "aaaaaaaaaaaaaaa\xee\x80\x80");
    /* Nothing can be incremented: no upper bound. */
    check_upper("\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf"
                "\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf"
                "\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf"
                "\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbfx",
                NULL);
    /* Binary: 16 bytes, last non-0xff byte incremented. */
    uint8_t raw[20], scratch[64];
    memset(raw, 0x11, sizeof raw);
    raw[15] = 0xff;
    ls_iceberg_value b = {0}, out;
    b.u.bytes.data = raw;
    b.u.bytes.len = sizeof raw;
    CHECK(ls_iceberg_bound_upper(T(LS_TYPE_BINARY), &b, scratch, sizeof scratch, &out));
    CHECK_EQ_INT(out.u.bytes.len, 15);
    CHECK_EQ_INT(out.u.bytes.data[14], 0x12);
    /* Other types are unchanged. */
    ls_iceberg_value n = I64(5);
    CHECK(ls_iceberg_bound_upper(T(LS_TYPE_BIGINT), &n, scratch, sizeof scratch, &out));
    CHECK_EQ_INT(out.u.i64, 5);
}

static void make_schema(ls_iceberg_schema *s)
{
    ls_error err = {0};
    ls_iceberg_schema_init(s, 0);
    CHECK_OK(ls_iceberg_schema_add(s, 1, "id", T(LS_TYPE_BIGINT), 1, &err), &err);
    CHECK_OK(ls_iceberg_schema_add(s, 2, "name", T(LS_TYPE_STRING), 0, &err), &err);
    CHECK_OK(ls_iceberg_schema_add(s, 3, "ts", T(LS_TYPE_TIMESTAMPTZ), 0, &err), &err);
    ls_type dec = {.kind = LS_TYPE_DECIMAL, .precision = 10, .scale = 2};
    CHECK_OK(ls_iceberg_schema_add(s, 4, "price", dec, 0, &err), &err);
    CHECK_OK(ls_iceberg_schema_add(s, 5, "score", T(LS_TYPE_DOUBLE), 0, &err), &err);
}

TEST(schema_and_spec_json)
{
    ls_iceberg_schema s;
    make_schema(&s);
    ls_error err = {0};
    CHECK(ls_iceberg_schema_add(&s, 2, "other", T(LS_TYPE_INT), 0, &err) == LS_ERR_INVALID);
    ls_error_clear(&err);
    json_t *j = ls_iceberg_schema_to_json(&s);
    char *text = json_dumps(j, JSON_COMPACT);
    CHECK_EQ_STR(text, "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                       "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
                       "{\"id\":2,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
                       "{\"id\":3,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
                       "{\"id\":4,\"name\":\"price\",\"required\":false,\"type\":\"decimal(10, 2)\"},"
                       "{\"id\":5,\"name\":\"score\",\"required\":false,\"type\":\"double\"}]}");
    ls_iceberg_schema back;
    CHECK_OK(ls_iceberg_schema_from_json(j, &back, &err), &err);
    CHECK_EQ_INT(back.field_count, 5);
    CHECK_EQ_INT(back.fields[3].type.precision, 10);
    CHECK_EQ_INT(back.fields[0].required, 1);
    free(text);
    json_decref(j);

    ls_iceberg_partition_spec spec;
    ls_iceberg_spec_init(&spec, 0);
    CHECK_EQ_INT(ls_iceberg_spec_last_field_id(&spec), 999);
    CHECK_OK(ls_iceberg_spec_add(&spec, &s, "ts", "day", NULL, 0, &err), &err);
    CHECK_OK(ls_iceberg_spec_add(&spec, &s, "id", "bucket[16]", NULL, 0, &err), &err);
    CHECK_OK(ls_iceberg_spec_add(&spec, &s, "name", "truncate[4]", NULL, 0, &err), &err);
    CHECK_OK(ls_iceberg_spec_add(&spec, &s, "name", "identity", NULL, 0, &err), &err);
    CHECK(ls_iceberg_spec_add(&spec, &s, "score", "bucket[2]", NULL, 0, &err) == LS_ERR_INVALID);
    ls_error_clear(&err);
    CHECK(ls_iceberg_spec_add(&spec, &s, "nope", "identity", NULL, 0, &err) == LS_ERR_INVALID);
    ls_error_clear(&err);
    j = ls_iceberg_spec_to_json(&spec);
    text = json_dumps(j, JSON_COMPACT);
    CHECK_EQ_STR(text, "{\"spec-id\":0,\"fields\":["
                       "{\"name\":\"ts_day\",\"transform\":\"day\",\"source-id\":3,\"field-id\":1000},"
                       "{\"name\":\"id_bucket_16\",\"transform\":\"bucket[16]\",\"source-id\":1,\"field-id\":1001},"
                       "{\"name\":\"name_trunc_4\",\"transform\":\"truncate[4]\",\"source-id\":2,\"field-id\":1002},"
                       "{\"name\":\"name\",\"transform\":\"identity\",\"source-id\":2,\"field-id\":1003}]}");
    ls_iceberg_partition_spec sback;
    CHECK_OK(ls_iceberg_spec_from_json(j, &sback, &err), &err);
    CHECK_EQ_INT(sback.field_count, 4);
    CHECK_EQ_INT(sback.fields[1].transform.param, 16);
    CHECK_EQ_INT(ls_iceberg_spec_last_field_id(&sback), 1003);
    free(text);
    json_decref(j);
    ls_iceberg_spec_cleanup(&sback);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&back);
    ls_iceberg_schema_cleanup(&s);
}

static void check_path(const char *col, ls_type type, const char *transform, ls_iceberg_value in,
                       const char *want)
{
    ls_iceberg_schema s;
    ls_iceberg_partition_spec spec;
    ls_error err = {0};
    ls_iceberg_schema_init(&s, 0);
    CHECK_OK(ls_iceberg_schema_add(&s, 1, col, type, 0, &err), &err);
    ls_iceberg_spec_init(&spec, 0);
    CHECK_OK(ls_iceberg_spec_add(&spec, &s, col, transform, NULL, 0, &err), &err);
    ls_iceberg_value pv;
    CHECK_OK(ls_iceberg_transform_apply(spec.fields[0].transform, type, &in, &pv, &err), &err);
    ls_buf b;
    ls_buf_init(&b, 4096);
    CHECK_OK(ls_iceberg_partition_path(&spec, &s, &pv, &b, &err), &err);
    CHECK_EQ_STR((const char *)b.data, want);
    ls_buf_cleanup(&b);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&s);
}

TEST(partition_paths)
{
    /* 2026-01-01T10:30:00Z = 1767263400 s. */
    int64_t ts = 1767263400000000LL;
    check_path("ts", T(LS_TYPE_TIMESTAMPTZ), "day", I64(ts), "ts_day=2026-01-01");
    check_path("ts", T(LS_TYPE_TIMESTAMPTZ), "hour", I64(ts), "ts_hour=2026-01-01-10");
    check_path("ts", T(LS_TYPE_TIMESTAMP), "month", I64(ts), "ts_month=2026-01");
    check_path("ts", T(LS_TYPE_TIMESTAMP), "year", I64(ts), "ts_year=2026");
    /* The v1 fixture's directory for day 19417. */
    check_path("ts", T(LS_TYPE_DATE), "day", I32(19417), "ts_day=2023-03-01");
    check_path("id", T(LS_TYPE_INT), "bucket[16]", I32(34), "id_bucket_16=3");
    check_path("name", T(LS_TYPE_STRING), "identity", STR("a b/c=d%"), "name=a+b%2Fc%3Dd%25");
    check_path("name", T(LS_TYPE_STRING), "truncate[2]", STR("hello"), "name_trunc_2=he");
    ls_iceberg_value null = {.is_null = 1};
    check_path("name", T(LS_TYPE_STRING), "identity", null, "name=null");
    check_path("ts", T(LS_TYPE_TIMESTAMP), "identity", I64(ts), "ts=2026-01-01T10%3A30");
    check_path("ts", T(LS_TYPE_TIMESTAMPTZ), "identity", I64(ts + 1500),
               "ts=2026-01-01T10%3A30%3A00.001500Z");
    ls_type dec = {.kind = LS_TYPE_DECIMAL, .precision = 9, .scale = 2};
    check_path("p", dec, "identity", DEC(-5), "p=-0.05");
    check_path("p", dec, "truncate[10]", DEC(1065), "p_trunc_10=10.60");
}

static ls_iceberg_partition_spec identity_spec(const ls_iceberg_schema *s)
{
    ls_iceberg_partition_spec spec;
    ls_error err = {0};
    ls_iceberg_spec_init(&spec, 0);
    CHECK_OK(ls_iceberg_spec_add(&spec, s, "name", "identity", NULL, 0, &err), &err);
    CHECK_OK(ls_iceberg_spec_add(&spec, s, "ts", "day", NULL, 0, &err), &err);
    CHECK_OK(ls_iceberg_spec_add(&spec, s, "price", "identity", "p", 0, &err), &err);
    return spec;
}

TEST(manifest_round_trip)
{
    ls_iceberg_schema s;
    make_schema(&s);
    ls_iceberg_partition_spec spec = identity_spec(&s);
    ls_error err = {0};
    static const char *long_name = "a value much longer than sixteen code points";
    ls_iceberg_value parts[2][3] = {{STR("x"), I32(20454), DEC(12345)},
                                    {{.is_null = 1}, I32(20455), DEC(-7)}};
    ls_iceberg_column_stats cols[2][3];
    memset(cols, 0, sizeof cols);
    for (int f = 0; f < 2; f++) {
        cols[f][0] = (ls_iceberg_column_stats){.field_id = 1, .column_size_bytes = 40 + f,
                                               .value_count = 3, .null_value_count = 0,
                                               .nan_value_count = -1, .has_lower_bound = 1,
                                               .has_upper_bound = 1, .lower_bound = I64(-5),
                                               .upper_bound = I64(99)};
        cols[f][1] = (ls_iceberg_column_stats){.field_id = 2, .column_size_bytes = -1,
                                               .value_count = 3, .null_value_count = 1,
                                               .nan_value_count = -1, .has_lower_bound = 1,
                                               .has_upper_bound = 1, .lower_bound = STR("abc"),
                                               .upper_bound = STR(long_name)};
        ls_iceberg_value nan = {0};
        nan.u.f64 = 0.5;
        cols[f][2] = (ls_iceberg_column_stats){.field_id = 5, .column_size_bytes = 10,
                                               .value_count = 3, .null_value_count = 0,
                                               .nan_value_count = 1, .has_lower_bound = 1,
                                               .lower_bound = nan};
    }
    int64_t offsets[] = {4, 1000};
    ls_iceberg_data_file files[2] = {
        {.path = "file:///w/t/data/name=x/a.parquet", .file_size_bytes = 1234, .record_count = 3,
         .partition = parts[0], .column_count = 3, .columns = cols[0], .split_offset_count = 2,
         .split_offsets = offsets},
        {.path = "file:///w/t/data/name=null/b.parquet", .file_size_bytes = 999,
         .record_count = 7, .partition = parts[1], .column_count = 3, .columns = cols[1]},
    };
    ls_buf out;
    ls_buf_init(&out, 1 << 20);
    ls_iceberg_manifest_file mf;
    CHECK_OK(ls_iceberg_manifest_write(&s, &spec, 77, 5, files, 2, "file:///w/t/metadata/m0.avro",
                                       LS_AVRO_CODEC_DEFLATE, &out, &mf, &err),
             &err);
    CHECK_EQ_INT(mf.manifest_length, out.len);
    CHECK_EQ_INT(mf.added_files_count, 2);
    CHECK_EQ_INT(mf.added_rows_count, 10);
    CHECK_EQ_INT(mf.sequence_number, 5);
    CHECK_EQ_INT(mf.added_snapshot_id, 77);
    CHECK_EQ_INT(mf.partition_count, 3);
    CHECK(mf.partitions[0].contains_null);
    CHECK_EQ_INT(mf.partitions[0].lower_bound_len, 1);
    CHECK_EQ_INT(mf.partitions[1].contains_null, 0);
    CHECK_EQ_MEM(mf.partitions[1].lower_bound, "\xe6\x4f\x00\x00", 4);
    CHECK_EQ_MEM(mf.partitions[1].upper_bound, "\xe7\x4f\x00\x00", 4);
    CHECK_EQ_MEM(mf.partitions[2].lower_bound, "\xf9", 1);
    CHECK_EQ_MEM(mf.partitions[2].upper_bound, "\x30\x39", 2);

    ls_iceberg_manifest *m;
    CHECK_OK(ls_iceberg_manifest_read(out.data, out.len, &m, &err), &err);
    CHECK_EQ_INT(m->format_version, 2);
    CHECK_EQ_STR(m->content, "data");
    CHECK_EQ_STR(m->partition_spec_json,
                 "[{\"name\":\"name\",\"transform\":\"identity\",\"source-id\":2,\"field-id\":1000},"
                 "{\"name\":\"ts_day\",\"transform\":\"day\",\"source-id\":3,\"field-id\":1001},"
                 "{\"name\":\"p\",\"transform\":\"identity\",\"source-id\":4,\"field-id\":1002}]");
    CHECK_EQ_INT(m->entry_count, 2);
    for (int f = 0; f < 2; f++) {
        const ls_iceberg_manifest_entry *e = &m->entries[f];
        CHECK_EQ_INT(e->status, 1);
        CHECK_EQ_INT(e->snapshot_id, 77);
        CHECK_EQ_INT(e->sequence_number, -1);
        CHECK_EQ_INT(e->file_sequence_number, -1);
        CHECK_EQ_STR(e->file_path, files[f].path);
        CHECK_EQ_STR(e->file_format, "PARQUET");
        CHECK_EQ_INT(e->record_count, files[f].record_count);
        CHECK_EQ_INT(e->file_size_bytes, files[f].file_size_bytes);
        CHECK_EQ_INT(e->partition_count, 3);
        CHECK_EQ_INT(e->partition[1].kind, LS_AVRO_INT);
        CHECK_EQ_STR(e->partition[1].logical_type, "date");
        CHECK_EQ_INT(e->partition[1].value.u.i32, parts[f][1].u.i32);
        CHECK_EQ_INT(e->partition[2].kind, LS_AVRO_FIXED);
        CHECK(e->partition[2].value.u.unscaled == parts[f][2].u.unscaled);
        CHECK_EQ_INT(e->metrics_count, 3);
        CHECK_EQ_INT(e->metrics[0].field_id, 1);
        CHECK_EQ_INT(e->metrics[0].column_size_bytes, 40 + f);
        CHECK_EQ_INT(e->metrics[0].lower_bound_len, 8);
        CHECK_EQ_MEM(e->metrics[0].lower_bound, "\xfb\xff\xff\xff\xff\xff\xff\xff", 8);
        CHECK_EQ_MEM(e->metrics[0].upper_bound, "\x63\0\0\0\0\0\0\0", 8);
        /* Strings are truncated to 16 code points, the upper one incremented. */
        CHECK_EQ_INT(e->metrics[1].column_size_bytes, -1);
        CHECK_EQ_INT(e->metrics[1].null_value_count, 1);
        CHECK_EQ_INT(e->metrics[1].lower_bound_len, 3);
        CHECK_EQ_INT(e->metrics[1].upper_bound_len, 16);
        CHECK_EQ_MEM(e->metrics[1].upper_bound, "a value much loo", 16);
        CHECK_EQ_INT(e->metrics[2].nan_value_count, 1);
        CHECK(e->metrics[2].upper_bound == NULL);
    }
    CHECK_EQ_INT(m->entries[0].partition[0].value.u.bytes.len, 1);
    CHECK_EQ_INT(m->entries[0].partition[0].value.u.bytes.data[0], 'x');
    CHECK_EQ_INT(m->entries[1].partition[0].kind, LS_AVRO_NULL);
    CHECK_EQ_INT(m->entries[0].split_offset_count, 2);
    CHECK_EQ_INT(m->entries[0].split_offsets[1], 1000);
    CHECK_EQ_INT(m->entries[1].has_split_offsets, 0);
    ls_iceberg_manifest_free(m);

    /* The manifest list carrying it and a copy, read back. */
    ls_iceberg_manifest_file two[2];
    CHECK_OK(ls_iceberg_manifest_file_copy(&mf, &two[0], &err), &err);
    CHECK_OK(ls_iceberg_manifest_file_copy(&mf, &two[1], &err), &err);
    two[1].sequence_number = two[1].min_sequence_number = 3;
    two[1].added_snapshot_id = 55;
    two[1].partitions[0].contains_nan = -1;
    ls_buf list;
    ls_buf_init(&list, 1 << 20);
    CHECK_OK(ls_iceberg_manifest_list_write(77, 55, 5, two, 2, LS_AVRO_CODEC_NULL, &list, &err),
             &err);
    ls_iceberg_manifest_file *back;
    size_t n;
    CHECK_OK(ls_iceberg_manifest_list_read(list.data, list.len, &back, &n, &err), &err);
    CHECK_EQ_INT(n, 2);
    for (size_t i = 0; i < 2; i++) {
        CHECK_EQ_STR(back[i].manifest_path, two[i].manifest_path);
        CHECK_EQ_INT(back[i].manifest_length, two[i].manifest_length);
        CHECK_EQ_INT(back[i].sequence_number, two[i].sequence_number);
        CHECK_EQ_INT(back[i].min_sequence_number, two[i].min_sequence_number);
        CHECK_EQ_INT(back[i].added_snapshot_id, two[i].added_snapshot_id);
        CHECK_EQ_INT(back[i].added_files_count, 2);
        CHECK_EQ_INT(back[i].added_rows_count, 10);
        CHECK_EQ_INT(back[i].partition_count, 3);
        CHECK_EQ_INT(back[i].partitions[0].contains_nan, two[i].partitions[0].contains_nan);
        CHECK_EQ_INT(back[i].partitions[2].upper_bound_len, 2);
        CHECK(back[i].key_metadata == NULL);
    }
    ls_iceberg_manifest_files_free(back, n);
    ls_iceberg_manifest_file_cleanup(&two[0]);
    ls_iceberg_manifest_file_cleanup(&two[1]);
    ls_iceberg_manifest_file_cleanup(&mf);
    ls_buf_cleanup(&list);
    ls_buf_cleanup(&out);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&s);
}

TEST(manifest_schema_matches_reference)
{
    /* For identity(name string) the schema is byte for byte Java's. */
    ls_iceberg_schema s;
    ls_iceberg_partition_spec spec;
    ls_error err = {0};
    ls_iceberg_schema_init(&s, 0);
    CHECK_OK(ls_iceberg_schema_add(&s, 1, "id", T(LS_TYPE_INT), 1, &err), &err);
    CHECK_OK(ls_iceberg_schema_add(&s, 2, "name", T(LS_TYPE_STRING), 0, &err), &err);
    ls_iceberg_spec_init(&spec, 0);
    CHECK_OK(ls_iceberg_spec_add(&spec, &s, "name", "identity", NULL, 0, &err), &err);
    char *json;
    CHECK_OK(ls_iceberg_manifest_schema_json(&s, &spec, &json, &err), &err);
    char *ref = testing_read_file(LAKESYNC_SHARED_DIR "/reference/avro-schemas.txt", NULL);
    char *line = strstr(ref, "## Iceberg Java 1.8.1 manifest (identity");
    CHECK(line);
    line = strchr(line, '\n') + 1;
    *strchr(line, '\n') = '\0';
    CHECK_EQ_STR(json, line);
    char *list = strstr(line + strlen(line) + 1, "## Iceberg Java 1.8.1 manifest list");
    CHECK(list);
    list = strchr(list, '\n') + 1;
    *strchr(list, '\n') = '\0';
    CHECK_EQ_STR(ls_iceberg_manifest_list_schema_json(), list);
    free(ref);
    free(json);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&s);
}

/* Fixture tables carry paths from the machines that wrote them; map every
 * path to the fixture's own metadata directory by what follows
 * "/metadata/" (paths under the fixture directory are read as they are). */
static ls_code fixture_read(void *ctx, const char *path, ls_buf *out, ls_error *err)
{
    const char *dir = ctx;
    if (strncmp(path, dir, strlen(dir)) == 0)
        return ls_iceberg_read_local_file(NULL, path, out, err);
    const char *m = strstr(path, "metadata/");
    if (!m)
        return ls_error_set(err, LS_ERR_NOT_FOUND, "no mapping for %s", path);
    char mapped[2048];
    snprintf(mapped, sizeof mapped, "%s/metadata/%s", dir, m + 9);
    return ls_iceberg_read_local_file(NULL, mapped, out, err);
}

static ls_iceberg_scan *scan_fixture(const char *name, const char *metadata_file)
{
    static char dir[1024];
    snprintf(dir, sizeof dir, "%s/fixtures/iceberg/%s", LAKESYNC_SHARED_DIR, name);
    ls_error err = {0};
    char *path = NULL;
    if (metadata_file) {
        char full[2048];
        snprintf(full, sizeof full, "%s/metadata/%s", dir, metadata_file);
        path = strdup(full);
    } else {
        CHECK_OK(ls_iceberg_find_metadata(dir, fixture_read, dir, &path, &err), &err);
    }
    ls_iceberg_scan *scan;
    CHECK_OK(ls_iceberg_scan_table(path, fixture_read, dir, &scan, &err), &err);
    free(path);
    return scan;
}

TEST(fixture_row_counts)
{
    /* Expected values: shared/fixtures/README.md. */
    ls_iceberg_scan *s = scan_fixture("spark_v2_unpartitioned_lineitem", NULL);
    CHECK_EQ_INT(s->data_record_count, 51793);
    CHECK_EQ_INT(s->snapshot_id, 2354745328521181395LL);
    CHECK_EQ_INT(s->delete_file_count, 0);
    ls_iceberg_scan_free(s);

    s = scan_fixture("java_v2_unpartitioned_appends", NULL); /* hint is a file stem */
    CHECK_EQ_INT(s->data_record_count, 8);
    CHECK_EQ_INT(s->data_file_count, 3);
    CHECK_EQ_INT(s->manifest_count, 3);
    ls_iceberg_scan_free(s);

    s = scan_fixture("java_v2_identity_partitioned", NULL); /* hint "6" */
    CHECK_EQ_INT(s->data_record_count, 6);
    CHECK_EQ_INT(s->delete_file_count, 3);
    int names = 0;
    for (size_t i = 0; i < s->file_count; i++) {
        if (s->files[i].content != 0)
            continue;
        CHECK_EQ_INT(s->files[i].partition_count, 1);
        CHECK_EQ_INT(s->files[i].partition[0].kind, LS_AVRO_STRING);
        names |= 1 << (s->files[i].partition[0].value.u.bytes.data[0] - 'a');
        CHECK(strstr(s->files[i].path, "/data/name=") != NULL);
    }
    CHECK_EQ_INT(names, 0x3f);
    ls_iceberg_scan_free(s);

    /* Catalog-managed: no hint, the current metadata file is named. */
    s = scan_fixture("pyiceberg_v2_day_partitioned",
                     "00002-0e059d4b-e5e8-41af-a763-76cbf3a3d0bc.metadata.json");
    CHECK_EQ_INT(s->data_record_count, 2);
    int days = 0;
    for (size_t i = 0; i < s->file_count; i++) {
        CHECK_EQ_STR(s->files[i].partition[0].logical_type, "date");
        days += s->files[i].partition[0].value.u.i32 - 20454;
    }
    CHECK_EQ_INT(days, 1);
    ls_iceberg_scan_free(s);

    /* v1, no hint, v1.metadata.json absent: probing finds v2. */
    s = scan_fixture("spark_v1_day_partitioned", NULL);
    CHECK_EQ_INT(ls_iceberg_metadata_format_version(s->metadata), 1);
    CHECK_EQ_INT(s->data_record_count, 3);
    CHECK_EQ_INT(s->data_file_count, 2);
    ls_iceberg_scan_free(s);
}

TEST(fixture_metadata_models)
{
    ls_iceberg_scan *s = scan_fixture("java_v2_identity_partitioned", NULL);
    ls_iceberg_schema schema;
    ls_iceberg_partition_spec spec;
    ls_error err = {0};
    CHECK_OK(ls_iceberg_metadata_current_schema(s->metadata, &schema, &err), &err);
    CHECK_EQ_INT(schema.field_count, 3);
    CHECK_EQ_STR(schema.fields[2].name, "bir");
    CHECK_EQ_INT(schema.fields[2].type.kind, LS_TYPE_DATE);
    CHECK_OK(ls_iceberg_metadata_default_spec(s->metadata, &spec, &err), &err);
    CHECK_EQ_INT(spec.field_count, 1);
    CHECK_EQ_INT(spec.fields[0].field_id, 1000);
    CHECK_EQ_INT(spec.fields[0].transform.kind, LS_ICEBERG_IDENTITY);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&schema);
    ls_iceberg_scan_free(s);

    /* The pyiceberg table has a map column: not modelled, reported. */
    s = scan_fixture("pyiceberg_v2_day_partitioned",
                     "00002-0e059d4b-e5e8-41af-a763-76cbf3a3d0bc.metadata.json");
    CHECK(ls_iceberg_metadata_current_schema(s->metadata, &schema, &err) == LS_ERR_UNPROCESSABLE);
    ls_iceberg_scan_free(s);
}

static const char *required_v2_fields[] = {
    "format-version", "table-uuid", "location", "last-sequence-number", "last-updated-ms",
    "last-column-id", "schemas", "current-schema-id", "partition-specs", "default-spec-id",
    "last-partition-id", "sort-orders", "default-sort-order-id",
};

static ls_iceberg_metadata *round_trip_metadata(ls_iceberg_metadata *md)
{
    char *text;
    ls_error err = {0};
    CHECK_OK(ls_iceberg_metadata_to_json(md, &text, &err), &err);
    ls_iceberg_metadata *back;
    CHECK_OK(ls_iceberg_metadata_parse(text, strlen(text), &back, &err), &err);
    CHECK(json_equal((json_t *)ls_iceberg_metadata_json(md), (json_t *)ls_iceberg_metadata_json(back)));
    free(text);
    ls_iceberg_metadata_free(md);
    return back;
}

TEST(metadata_new_table)
{
    ls_iceberg_schema s;
    make_schema(&s);
    ls_iceberg_partition_spec spec;
    ls_iceberg_spec_init(&spec, 0);
    ls_error err = {0};
    ls_iceberg_property props[] = {{"write.format.default", "parquet"}};
    ls_iceberg_metadata *md;
    CHECK(ls_iceberg_metadata_new_table("/relative/path", NULL, &s, &spec, NULL, 0, 1, &md,
                                        &err) == LS_ERR_INVALID);
    ls_error_clear(&err);
    ls_iceberg_property bad[] = {{"format-version", "1"}};
    CHECK(ls_iceberg_metadata_new_table("file:///w/t", NULL, &s, &spec, bad, 1, 1, &md, &err) ==
          LS_ERR_INVALID);
    ls_error_clear(&err);
    CHECK_OK(ls_iceberg_metadata_new_table("file:///w/t", NULL, &s, &spec, props, 1,
                                           1767225600000LL, &md, &err),
             &err);
    md = round_trip_metadata(md);
    const json_t *j = ls_iceberg_metadata_json(md);
    for (size_t i = 0; i < sizeof required_v2_fields / sizeof required_v2_fields[0]; i++)
        CHECK(json_object_get(j, required_v2_fields[i]) != NULL);
    CHECK_EQ_INT(ls_iceberg_metadata_format_version(md), 2);
    CHECK_EQ_INT(json_integer_value(json_object_get(j, "last-partition-id")), 999);
    CHECK_EQ_INT(json_integer_value(json_object_get(j, "last-column-id")), 5);
    CHECK_EQ_INT(json_integer_value(json_object_get(j, "current-snapshot-id")), -1);
    CHECK_EQ_INT(ls_iceberg_metadata_current_snapshot_id(md), -1);
    CHECK_EQ_INT(ls_iceberg_metadata_last_sequence_number(md), 0);
    CHECK_EQ_INT(strlen(ls_iceberg_metadata_table_uuid(md)), 36);
    CHECK(json_object_size(json_object_get(j, "refs")) == 0);
    CHECK(json_array_size(json_object_get(j, "statistics")) == 0);
    /* v2 must not carry the v1-only fields. */
    CHECK(json_object_get(j, "schema") == NULL);
    CHECK(json_object_get(j, "partition-spec") == NULL);
    char *sorts = json_dumps(json_object_get(j, "sort-orders"), JSON_COMPACT);
    CHECK_EQ_STR(sorts, "[{\"order-id\":0,\"fields\":[]}]");
    free(sorts);
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(j, "properties"),
                                                   "write.format.default")),
                 "parquet");
    ls_iceberg_metadata_free(md);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&s);
}

TEST(metadata_schema_evolution)
{
    ls_iceberg_schema s, next;
    ls_iceberg_partition_spec spec;
    ls_error err = {0};
    ls_iceberg_schema_init(&s, 0);
    CHECK_OK(ls_iceberg_schema_add(&s, 1, "a", T(LS_TYPE_INT), 1, &err), &err);
    CHECK_OK(ls_iceberg_schema_add(&s, 2, "b", T(LS_TYPE_FLOAT), 0, &err), &err);
    ls_iceberg_spec_init(&spec, 0);
    ls_iceberg_metadata *md;
    CHECK_OK(ls_iceberg_metadata_new_table("s3://b/t", "00000000-0000-4000-8000-000000000000", &s,
                                           &spec, NULL, 0, 1000, &md, &err),
             &err);
    int changed;
    CHECK_OK(ls_iceberg_metadata_evolve_schema(md, &s, 2000, &changed, &err), &err);
    CHECK_EQ_INT(changed, 0);

    /* Widen both, add an optional column. */
    ls_iceberg_schema_init(&next, 0);
    CHECK_OK(ls_iceberg_schema_add(&next, 1, "a", T(LS_TYPE_BIGINT), 1, &err), &err);
    CHECK_OK(ls_iceberg_schema_add(&next, 2, "b", T(LS_TYPE_DOUBLE), 0, &err), &err);
    CHECK_OK(ls_iceberg_schema_add(&next, 3, "c", T(LS_TYPE_STRING), 0, &err), &err);
    CHECK_OK(ls_iceberg_metadata_evolve_schema(md, &next, 3000, &changed, &err), &err);
    CHECK_EQ_INT(changed, 1);
    md = round_trip_metadata(md);
    const json_t *j = ls_iceberg_metadata_json(md);
    CHECK_EQ_INT(json_integer_value(json_object_get(j, "current-schema-id")), 1);
    CHECK_EQ_INT(json_integer_value(json_object_get(j, "last-column-id")), 3);
    CHECK_EQ_INT(json_array_size(json_object_get(j, "schemas")), 2);
    ls_iceberg_schema cur;
    CHECK_OK(ls_iceberg_metadata_current_schema(md, &cur, &err), &err);
    CHECK_EQ_INT(cur.schema_id, 1);
    CHECK_EQ_INT(cur.fields[0].type.kind, LS_TYPE_BIGINT);
    ls_iceberg_schema_cleanup(&cur);

    /* Unsafe changes are refused and change nothing. */
    ls_iceberg_schema bad;
    ls_iceberg_schema_init(&bad, 0);
    CHECK_OK(ls_iceberg_schema_add(&bad, 1, "a", T(LS_TYPE_INT), 1, &err), &err);
    CHECK(ls_iceberg_metadata_evolve_schema(md, &bad, 4000, &changed, &err) == LS_ERR_CONFLICT);
    ls_error_clear(&err);
    ls_iceberg_schema_cleanup(&bad);
    ls_iceberg_schema_init(&bad, 0);
    CHECK_OK(ls_iceberg_schema_add(&bad, 1, "a", T(LS_TYPE_BIGINT), 1, &err), &err);
    CHECK_OK(ls_iceberg_schema_add(&bad, 4, "d", T(LS_TYPE_INT), 1, &err), &err);
    CHECK(ls_iceberg_metadata_evolve_schema(md, &bad, 4000, &changed, &err) == LS_ERR_CONFLICT);
    ls_error_clear(&err);
    ls_iceberg_schema_cleanup(&bad);
    ls_iceberg_schema_init(&bad, 0);
    CHECK_OK(ls_iceberg_schema_add(&bad, 2, "x", T(LS_TYPE_INT), 0, &err), &err);
    CHECK(ls_iceberg_metadata_evolve_schema(md, &bad, 4000, &changed, &err) == LS_ERR_CONFLICT);
    ls_iceberg_schema_cleanup(&bad);
    CHECK_EQ_INT(json_array_size(json_object_get(ls_iceberg_metadata_json(md), "schemas")), 2);
    ls_iceberg_metadata_free(md);
    ls_iceberg_schema_cleanup(&next);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&s);
}

static ls_code mem_read(void *ctx, const char *path, ls_buf *out, ls_error *err);

/* A tiny in-memory object store for the append test. */
typedef struct mem_store {
    char *paths[16];
    ls_buf data[16];
    size_t n;
} mem_store;

static void mem_put(mem_store *st, const char *path, const ls_buf *b)
{
    ls_error err = {0};
    CHECK(st->n < 16);
    st->paths[st->n] = strdup(path);
    ls_buf_init(&st->data[st->n], 1 << 24);
    CHECK_OK(ls_buf_append(&st->data[st->n], b->data, b->len, &err), &err);
    st->n++;
}

static ls_code mem_read(void *ctx, const char *path, ls_buf *out, ls_error *err)
{
    mem_store *st = ctx;
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->paths[i], path) == 0)
            return ls_buf_append(out, st->data[i].data, st->data[i].len, err);
    return ls_error_set(err, LS_ERR_NOT_FOUND, "%s not found", path);
}

TEST(metadata_append_and_scan)
{
    ls_iceberg_schema s;
    make_schema(&s);
    ls_iceberg_partition_spec spec;
    ls_error err = {0};
    ls_iceberg_spec_init(&spec, 0);
    CHECK_OK(ls_iceberg_spec_add(&spec, &s, "name", "identity", NULL, 0, &err), &err);
    ls_iceberg_metadata *md;
    CHECK_OK(ls_iceberg_metadata_new_table("mem://t", NULL, &s, &spec, NULL, 0, 1000, &md, &err),
             &err);
    mem_store st = {0};
    ls_buf text;
    ls_buf_init(&text, 1 << 24);
    ls_iceberg_value pa[1] = {STR("a")}, pb[1] = {STR("b")};
    ls_iceberg_data_file first[2] = {
        {.path = "mem://t/data/name=a/1.parquet", .file_size_bytes = 100, .record_count = 3,
         .partition = pa},
        {.path = "mem://t/data/name=b/2.parquet", .file_size_bytes = 200, .record_count = 4,
         .partition = pb},
    };
    ls_iceberg_property extra[] = {{"lakesync.job-id", "job-1"},
                                   {"lakesync.offsets", "{\"topic\":\"t\",\"partitions\":{\"0\":7}}"}};
    ls_iceberg_append a = {.snapshot_id = 11, .timestamp_ms = 2000,
                           .manifest_path = "mem://t/metadata/m1.avro",
                           .manifest_list_path = "mem://t/metadata/snap-11.avro",
                           .files = first, .file_count = 2,
                           .extra_summary = extra, .extra_summary_count = 2,
                           .codec = LS_AVRO_CODEC_DEFLATE};
    ls_iceberg_append_result r;
    CHECK_OK(ls_iceberg_metadata_append(md, &a, &r, &err), &err);
    CHECK_EQ_INT(r.sequence_number, 1);
    mem_put(&st, a.manifest_path, &r.manifest);
    mem_put(&st, a.manifest_list_path, &r.manifest_list);
    ls_iceberg_append_result_cleanup(&r);
    CHECK_EQ_STR(ls_iceberg_metadata_summary(md, -1, "added-records"), "7");
    CHECK_EQ_STR(ls_iceberg_metadata_summary(md, -1, "changed-partition-count"), "2");
    CHECK_EQ_STR(ls_iceberg_metadata_summary(md, -1, "lakesync.job-id"), "job-1");

    /* Second append: one file, carries the first manifest over. */
    ls_buf parent;
    ls_buf_init(&parent, 1 << 24);
    CHECK_OK(mem_read(&st, ls_iceberg_metadata_manifest_list(md, -1), &parent, &err), &err);
    ls_iceberg_data_file second[1] = {{.path = "mem://t/data/name=a/3.parquet",
                                        .file_size_bytes = 50, .record_count = 5,
                                        .partition = pa}};
    ls_iceberg_append b = {.timestamp_ms = 3000,
                           .manifest_path = "mem://t/metadata/m2.avro",
                           .manifest_list_path = "mem://t/metadata/snap-2.avro",
                           .files = second, .file_count = 1,
                           .parent_manifest_list = parent.data,
                           .parent_manifest_list_len = parent.len,
                           .previous_metadata_file = "mem://t/metadata/v1.metadata.json",
                           .codec = LS_AVRO_CODEC_SNAPPY};
    CHECK_OK(ls_iceberg_metadata_append(md, &b, &r, &err), &err);
    CHECK_EQ_INT(r.sequence_number, 2);
    CHECK(r.snapshot_id > 0);
    mem_put(&st, b.manifest_path, &r.manifest);
    mem_put(&st, b.manifest_list_path, &r.manifest_list);
    ls_iceberg_append_result_cleanup(&r);
    ls_buf_cleanup(&parent);
    CHECK_EQ_STR(ls_iceberg_metadata_summary(md, -1, "total-records"), "12");
    CHECK_EQ_STR(ls_iceberg_metadata_summary(md, -1, "total-data-files"), "3");
    CHECK_EQ_STR(ls_iceberg_metadata_summary(md, -1, "total-files-size"), "350");
    CHECK(ls_iceberg_metadata_summary(md, -1, "lakesync.job-id") == NULL);
    md = round_trip_metadata(md);
    const json_t *j = ls_iceberg_metadata_json(md);
    CHECK_EQ_INT(ls_iceberg_metadata_last_sequence_number(md), 2);
    const json_t *snap = ls_iceberg_metadata_snapshot(md, -1);
    CHECK_EQ_INT(json_integer_value(json_object_get(snap, "parent-snapshot-id")), 11);
    CHECK_EQ_INT(json_integer_value(json_object_get(snap, "sequence-number")), 2);
    CHECK(json_object_get(ls_iceberg_metadata_snapshot(md, 11), "parent-snapshot-id") == NULL);
    CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(json_object_get(j, "refs"), "main"),
                                                    "snapshot-id")),
                 ls_iceberg_metadata_current_snapshot_id(md));
    CHECK_EQ_INT(json_array_size(json_object_get(j, "snapshot-log")), 2);
    CHECK_EQ_INT(json_array_size(json_object_get(j, "metadata-log")), 1);

    /* The table reads back through the same reader used for fixtures. */
    char *text_md;
    CHECK_OK(ls_iceberg_metadata_to_json(md, &text_md, &err), &err);
    ls_buf mdbuf;
    ls_buf_init(&mdbuf, 1 << 24);
    CHECK_OK(ls_buf_append_str(&mdbuf, text_md, &err), &err);
    mem_put(&st, "mem://t/metadata/v3.metadata.json", &mdbuf);
    ls_iceberg_scan *scan;
    CHECK_OK(ls_iceberg_scan_table("mem://t/metadata/v3.metadata.json", mem_read, &st, &scan, &err),
             &err);
    CHECK_EQ_INT(scan->data_record_count, 12);
    CHECK_EQ_INT(scan->data_file_count, 3);
    CHECK_EQ_INT(scan->manifest_count, 2);
    /* New manifest first; the carried-over one keeps sequence number 1. */
    CHECK_EQ_STR(scan->files[0].path, "mem://t/data/name=a/3.parquet");
    CHECK_EQ_INT(scan->files[0].sequence_number, 2);
    CHECK_EQ_INT(scan->files[1].sequence_number, 1);
    ls_iceberg_scan_free(scan);
    free(text_md);
    ls_buf_cleanup(&mdbuf);
    for (size_t i = 0; i < st.n; i++) {
        free(st.paths[i]);
        ls_buf_cleanup(&st.data[i]);
    }
    ls_buf_cleanup(&text);
    ls_iceberg_metadata_free(md);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&s);
}

TEST(manifest_bit_flips_do_not_crash)
{
    /* The PyIceberg manifest is uncompressed, so flips hit the records. */
    size_t len;
    char *data = testing_read_file(LAKESYNC_SHARED_DIR "/fixtures/iceberg/pyiceberg_v2_day_partitioned/"
                                                       "metadata/8574bca8-244f-4667-965a-03a41a3e4e0e-m0.avro",
                                   &len);
    ls_iceberg_manifest *m;
    ls_error err = {0};
    CHECK_OK(ls_iceberg_manifest_read((const uint8_t *)data, len, &m, &err), &err);
    CHECK_EQ_INT(m->entry_count, 1);
    ls_iceberg_manifest_free(m);
    int failures = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t *copy = malloc(len);
        memcpy(copy, data, len);
        copy[i] ^= 0x41;
        ls_error_clear(&err);
        m = NULL;
        if (ls_iceberg_manifest_read(copy, len, &m, &err) != LS_OK)
            failures++;
        ls_iceberg_manifest_free(m);
        free(copy);
    }
    CHECK(failures > 0);
    free(data);
}

TEST(bounds_of_files_written_before_widening)
{
    /* The column is long now; the file was written when it was int: its
     * bounds stay 4-byte ints. A type that is no promotion is refused. */
    ls_iceberg_schema s;
    ls_iceberg_partition_spec spec;
    ls_error err = {0};
    ls_iceberg_schema_init(&s, 1);
    CHECK_OK(ls_iceberg_schema_add(&s, 1, "a", T(LS_TYPE_BIGINT), 0, &err), &err);
    ls_iceberg_spec_init(&spec, 0);
    ls_iceberg_column_stats c = {.field_id = 1, .column_size_bytes = -1, .value_count = 1,
                                 .null_value_count = 0, .nan_value_count = -1,
                                 .has_lower_bound = 1, .has_upper_bound = 1,
                                 .lower_bound = I32(-2), .upper_bound = I32(7), .has_type = 1,
                                 .type = T(LS_TYPE_INT)};
    ls_iceberg_data_file f = {.path = "file:///t/a.parquet", .file_size_bytes = 1,
                              .record_count = 1, .column_count = 1, .columns = &c};
    ls_buf out;
    ls_buf_init(&out, 1 << 20);
    ls_iceberg_manifest_file mf;
    CHECK_OK(ls_iceberg_manifest_write(&s, &spec, 1, 1, &f, 1, "file:///t/m.avro",
                                       LS_AVRO_CODEC_NULL, &out, &mf, &err),
             &err);
    ls_iceberg_manifest *m;
    CHECK_OK(ls_iceberg_manifest_read(out.data, out.len, &m, &err), &err);
    CHECK_EQ_INT(m->entries[0].metrics[0].lower_bound_len, 4);
    CHECK_EQ_MEM(m->entries[0].metrics[0].lower_bound, "\xfe\xff\xff\xff", 4);
    CHECK_EQ_MEM(m->entries[0].metrics[0].upper_bound, "\x07\0\0\0", 4);
    ls_iceberg_manifest_free(m);
    ls_iceberg_manifest_file_cleanup(&mf);
    c.type = T(LS_TYPE_STRING);
    ls_buf_reset(&out);
    CHECK(ls_iceberg_manifest_write(&s, &spec, 1, 1, &f, 1, "file:///t/m.avro", LS_AVRO_CODEC_NULL,
                                    &out, &mf, &err) == LS_ERR_INVALID);
    ls_buf_cleanup(&out);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&s);
}

TEST(append_requires_qualified_paths)
{
    ls_iceberg_schema s;
    make_schema(&s);
    ls_iceberg_partition_spec spec;
    ls_iceberg_spec_init(&spec, 0);
    ls_error err = {0};
    ls_iceberg_metadata *md;
    CHECK_OK(ls_iceberg_metadata_new_table("file:///w/t", NULL, &s, &spec, NULL, 0, 1, &md, &err),
             &err);
    ls_iceberg_data_file f = {.path = "data/relative.parquet", .file_size_bytes = 1,
                              .record_count = 1};
    ls_iceberg_append a = {.timestamp_ms = 2, .manifest_path = "file:///w/t/metadata/m.avro",
                           .manifest_list_path = "file:///w/t/metadata/l.avro", .files = &f,
                           .file_count = 1};
    ls_iceberg_append_result r;
    CHECK(ls_iceberg_metadata_append(md, &a, &r, &err) == LS_ERR_INVALID);
    ls_iceberg_append_result_cleanup(&r);
    CHECK_EQ_INT(ls_iceberg_metadata_current_snapshot_id(md), -1);
    ls_iceberg_metadata_free(md);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&s);
}
