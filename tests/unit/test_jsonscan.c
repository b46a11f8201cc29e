#include "testing.h"

#include <math.h>

#include "jsonscan.h"

/* A plan plus a batch with one column per field, built from text specs. */
typedef struct fixture {
    ls_jsonscan_plan *plan;
    ls_column_batch *batch;
    ls_jsonscan_error record;
    ls_error err;
} fixture;

static ls_type type_of(const char *text)
{
    ls_type t;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_type_parse(text, &t, &err), &err);
    return t;
}

/* specs: {"source", "type"} pairs; column i gets field i. */
static void fixture_init(fixture *fx, int level, const char *const (*specs)[2], size_t n,
                         bool required_first)
{
    ls_jsonscan_field fields[32];
    ls_type types[32];
    CHECK(n <= 32);
    for (size_t i = 0; i < n; i++) {
        types[i] = type_of(specs[i][1]);
        fields[i] = (ls_jsonscan_field){.source = specs[i][0],
                                        .column = i,
                                        .type = types[i],
                                        .required = required_first && i == 0};
    }
    ls_error_clear(&fx->err);
    ls_jsonscan_options options = {.parse_level = level, .collect_unmapped = true};
    CHECK_OK(ls_jsonscan_plan_new(&options, fields, n, &fx->plan, &fx->err), &fx->err);
    fx->batch = ls_column_batch_new(types, n, 1 << 30);
    CHECK(fx->batch);
}

static void fixture_cleanup(fixture *fx)
{
    ls_jsonscan_plan_free(fx->plan);
    ls_column_batch_free(fx->batch);
}

static ls_code scan(fixture *fx, const char *json)
{
    ls_error_clear(&fx->err);
    return ls_jsonscan_row(fx->plan, (const uint8_t *)json, strlen(json), NULL, fx->batch,
                           &fx->record, &fx->err);
}

static void scan_ok(fixture *fx, const char *json)
{
    ls_code rc = scan(fx, json);
    if (rc)
        testing_fail(__FILE__, __LINE__, "scan of %s failed: %s %s at %zu: %s", json,
                     ls_jsonscan_error_kind_name(fx->record.kind), fx->record.field,
                     fx->record.offset, fx->record.message);
}

static void scan_fails(fixture *fx, const char *json, ls_jsonscan_error_kind kind)
{
    size_t rows = fx->batch->row_count;
    ls_code rc = scan(fx, json);
    if (rc != LS_ERR_INVALID || fx->record.kind != kind)
        testing_fail(__FILE__, __LINE__, "scan of %s: rc %d kind %s, expected %s", json, rc,
                     ls_jsonscan_error_kind_name(fx->record.kind),
                     ls_jsonscan_error_kind_name(kind));
    CHECK_EQ_INT(fx->batch->row_count, rows);
}

/* The text in column c of the last row, "(null)" when null. */
static const char *last_text(fixture *fx, size_t c)
{
    static char out[4096];
    const ls_column *col = &fx->batch->columns[c];
    size_t row = fx->batch->row_count - 1;
    if (!ls_column_is_valid(col, row))
        return "(null)";
    size_t len;
    const uint8_t *b = ls_column_bytes_at(col, col->value_count - 1, &len);
    CHECK(len < sizeof out);
    memcpy(out, b, len);
    out[len] = '\0';
    return out;
}

static bool last_valid(fixture *fx, size_t c)
{
    return ls_column_is_valid(&fx->batch->columns[c], fx->batch->row_count - 1);
}

static int64_t last_i64(fixture *fx, size_t c)
{
    const ls_column *col = &fx->batch->columns[c];
    CHECK(last_valid(fx, c));
    int64_t v;
    memcpy(&v, col->values.data + (col->value_count - 1) * 8, 8);
    return v;
}

static int32_t last_i32(fixture *fx, size_t c)
{
    const ls_column *col = &fx->batch->columns[c];
    CHECK(last_valid(fx, c));
    int32_t v;
    memcpy(&v, col->values.data + (col->value_count - 1) * 4, 4);
    return v;
}

static double last_double(fixture *fx, size_t c)
{
    const ls_column *col = &fx->batch->columns[c];
    CHECK(last_valid(fx, c));
    double v;
    memcpy(&v, col->values.data + (col->value_count - 1) * 8, 8);
    return v;
}

static ls_int128 last_i128(fixture *fx, size_t c)
{
    const ls_column *col = &fx->batch->columns[c];
    CHECK(last_valid(fx, c));
    ls_int128 v;
    memcpy(&v, col->values.data + (col->value_count - 1) * 16, 16);
    return v;
}

static const char *const seed_quoted =
    "{\n  \"name\" : \"zhangle\",\n  \"age\" : 18,\n  \"device\" : {\n    \"os\" : {\n"
    "      \"test\":\"lag\",\n      \"member\":{\n        \"fa\":\"zhangsan\",\n"
    "        \"mo\":\"limei\"\n      }\n    },\n    \"brand\" : \"none\",\n"
    "    \"version\" : \"11.4.2\"\n  }\n}";

TEST(seed_level_2_maps_fields)
{
    const char *const specs[][2] = {{"name", "string"},           {"age", "bigint"},
                                    {"device.os", "string"},      {"device.brand", "string"},
                                    {"device.version", "string"}, {"__value__", "string"}};
    fixture fx;
    fixture_init(&fx, 2, specs, 6, false);
    scan_ok(&fx, seed_quoted);
    CHECK_EQ_STR(last_text(&fx, 0), "zhangle");
    CHECK_EQ_INT(last_i64(&fx, 1), 18);
    CHECK_EQ_STR(last_text(&fx, 2),
                 "{\"test\":\"lag\",\"member\":{\"fa\":\"zhangsan\",\"mo\":\"limei\"}}");
    CHECK_EQ_STR(last_text(&fx, 3), "none");
    CHECK_EQ_STR(last_text(&fx, 4), "11.4.2");
    CHECK_EQ_STR(
        last_text(&fx, 5),
        "{\"name\":\"zhangle\",\"age\":18,\"device\":{\"os\":{\"test\":\"lag\",\"member\":"
        "{\"fa\":\"zhangsan\",\"mo\":\"limei\"}},\"brand\":\"none\",\"version\":\"11.4.2\"}}");
    CHECK_EQ_INT(ls_jsonscan_unmapped_count(fx.plan), 0);
    fixture_cleanup(&fx);
}

TEST(seed_unquoted_is_invalid_json)
{
    const char *const specs[][2] = {{"name", "string"}};
    fixture fx;
    fixture_init(&fx, 1, specs, 1, false);
    scan_fails(&fx, "{\"name\":\"x\",\"device\":{\"os\":{\"test\":lag}}}",
               LS_JSONSCAN_INVALID_JSON);
    CHECK_EQ_INT(fx.record.offset, 35); /* the "l" of lag */
    fixture_cleanup(&fx);
}

TEST(missing_and_null_fields_are_null)
{
    const char *const specs[][2] = {{"a", "bigint"}, {"b", "string"}, {"c.d", "double"}};
    fixture fx;
    fixture_init(&fx, 2, specs, 3, false);
    scan_ok(&fx, "{\"a\":null,\"c\":{\"e\":1}}");
    CHECK(!last_valid(&fx, 0));
    CHECK(!last_valid(&fx, 1));
    CHECK(!last_valid(&fx, 2));
    scan_ok(&fx, "{\"c\":5}"); /* not an object at c: c.d is simply absent */
    CHECK(!last_valid(&fx, 2));
    CHECK_EQ_INT(fx.batch->row_count, 2);
    fixture_cleanup(&fx);
}

TEST(required_field)
{
    const char *const specs[][2] = {{"id", "bigint"}, {"x", "string"}};
    fixture fx;
    fixture_init(&fx, 1, specs, 2, true);
    scan_ok(&fx, "{\"id\":1}");
    scan_fails(&fx, "{\"x\":\"a\"}", LS_JSONSCAN_REQUIRED_NULL);
    CHECK_EQ_STR(fx.record.field, "id");
    scan_fails(&fx, "{\"id\":null}", LS_JSONSCAN_REQUIRED_NULL);
    fixture_cleanup(&fx);
}

TEST(duplicate_keys_last_wins)
{
    const char *const specs[][2] = {{"a", "bigint"}, {"o.x", "string"}, {"o.y", "string"}};
    fixture fx;
    fixture_init(&fx, 2, specs, 3, false);
    scan_ok(&fx, "{\"a\":1,\"a\":2,\"o\":{\"x\":\"1\",\"y\":\"k\"},\"o\":{\"x\":\"2\"},\"a\":3}");
    CHECK_EQ_INT(last_i64(&fx, 0), 3);
    CHECK_EQ_STR(last_text(&fx, 1), "2");
    CHECK_EQ_STR(last_text(&fx, 2), "k");
    scan_ok(&fx, "{\"a\":1,\"a\":null}");
    CHECK(!last_valid(&fx, 0));
    fixture_cleanup(&fx);
}

TEST(integer_coercions)
{
    const char *const specs[][2] = {{"v", "bigint"}, {"w", "int"}};
    fixture fx;
    fixture_init(&fx, 1, specs, 2, false);
    const struct {
        const char *json;
        int64_t v;
    } ok[] = {
        {"18", 18},
        {"-3", -3},
        {"1.0", 1},
        {"1e3", 1000},
        {"1.50e2", 150},
        {"\"18\"", 18},
        {"-0", 0},
        {"\"-7e0\"", -7},
        {"9223372036854775807", INT64_MAX},
        {"-9223372036854775808", INT64_MIN},
        {"0.000e5", 0},
        {"1234567890000000000000e-12", 1234567890},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"v\":%s}", ok[i].json);
        scan_ok(&fx, json);
        CHECK_EQ_INT(last_i64(&fx, 0), ok[i].v);
    }
    scan_fails(&fx, "{\"v\":1.5}", LS_JSONSCAN_TYPE_MISMATCH);
    scan_fails(&fx, "{\"v\":\"18 \"}", LS_JSONSCAN_TYPE_MISMATCH);
    scan_fails(&fx, "{\"v\":\"abc\"}", LS_JSONSCAN_TYPE_MISMATCH);
    scan_fails(&fx, "{\"v\":true}", LS_JSONSCAN_TYPE_MISMATCH);
    scan_fails(&fx, "{\"v\":{}}", LS_JSONSCAN_TYPE_MISMATCH);
    scan_fails(&fx, "{\"v\":[1]}", LS_JSONSCAN_TYPE_MISMATCH);
    scan_fails(&fx, "{\"v\":9223372036854775808}", LS_JSONSCAN_OUT_OF_RANGE);
    scan_fails(&fx, "{\"v\":-9223372036854775809}", LS_JSONSCAN_OUT_OF_RANGE);
    scan_fails(&fx, "{\"v\":1e400}", LS_JSONSCAN_OUT_OF_RANGE);
    scan_fails(&fx, "{\"v\":123456789012345678901234567890123456789012345}",
               LS_JSONSCAN_OUT_OF_RANGE);
    scan_fails(&fx, "{\"v\":1.0000000000000000000000000000000000000000001}",
               LS_JSONSCAN_TYPE_MISMATCH);
    CHECK_EQ_STR(fx.record.field, "v");
    CHECK_EQ_INT(fx.record.offset, 5);
    scan_ok(&fx, "{\"w\":2147483647}");
    CHECK_EQ_INT(last_i32(&fx, 1), INT32_MAX);
    scan_fails(&fx, "{\"w\":2147483648}", LS_JSONSCAN_OUT_OF_RANGE);
    fixture_cleanup(&fx);
}

TEST(floating_coercions)
{
    const char *const specs[][2] = {{"d", "double"}, {"f", "float"}};
    fixture fx;
    fixture_init(&fx, 1, specs, 2, false);
    const char *nums[] = {"0.1",
                          "1e-300",
                          "-2.5E+10",
                          "123456789012345678901234567890",
                          "3.141592653589793238462643383279",
                          "\"18.5\"",
                          "5e-324",
                          "1e-400",
                          "17976931348623157e292",
                          "-0"};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"d\":%s}", nums[i]);
        scan_ok(&fx, json);
        const char *text = nums[i][0] == '"' ? "18.5" : nums[i];
        double expect = strtod(text, NULL);
        double got = last_double(&fx, 0);
        CHECK(memcmp(&got, &expect, sizeof got) == 0);
    }
    /* A numeric string with escapes and more digits than the fast path takes. */
    scan_ok(&fx, "{\"d\":\"\\u00312345678901234567890.5e-3\"}");
    double got = last_double(&fx, 0), expect = strtod("12345678901234567890.5e-3", NULL);
    CHECK(memcmp(&got, &expect, sizeof got) == 0);
    scan_fails(&fx, "{\"d\":1e400}", LS_JSONSCAN_OUT_OF_RANGE);
    scan_fails(&fx, "{\"d\":\"NaN\"}", LS_JSONSCAN_TYPE_MISMATCH);
    scan_fails(&fx, "{\"d\":\"Infinity\"}", LS_JSONSCAN_TYPE_MISMATCH);
    scan_fails(&fx, "{\"f\":1e39}", LS_JSONSCAN_OUT_OF_RANGE);
    scan_ok(&fx, "{\"f\":1.5}");
    const ls_column *col = &fx.batch->columns[1];
    float fv;
    memcpy(&fv, col->values.data + (col->value_count - 1) * 4, 4);
    CHECK(fv == 1.5f);
    fixture_cleanup(&fx);
}

TEST(decimal_coercions)
{
    const char *const specs[][2] = {{"a", "decimal(10,2)"}, {"b", "decimal(38,10)"}};
    fixture fx;
    fixture_init(&fx, 1, specs, 2, false);
    const struct {
        const char *json;
        int64_t v;
    } ok[] = {{"12.34", 1234},  {"-12.345", -1235},          {"12.344", 1234}, {"1e2", 10000},
              {"\"0.005\"", 1}, {"99999999.99", 9999999999}, {"0.004", 0},     {"7", 700}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"a\":%s}", ok[i].json);
        scan_ok(&fx, json);
        CHECK_EQ_INT(last_i64(&fx, 0), ok[i].v);
    }
    scan_fails(&fx, "{\"a\":100000000}", LS_JSONSCAN_OUT_OF_RANGE);
    scan_fails(&fx, "{\"a\":99999999.995}", LS_JSONSCAN_OUT_OF_RANGE);
    scan_fails(&fx, "{\"a\":\"x\"}", LS_JSONSCAN_TYPE_MISMATCH);
    scan_ok(&fx, "{\"b\":1234567890123456789012345678.0123456789}");
    ls_int128 expect = (ls_int128)1234567890123456789ll * 1000000000 + 12345678;
    expect = expect * 100000000000LL + 1234567890LL / 1; /* built below exactly */
    (void)expect;
    ls_int128 want = 0;
    const char *digits = "12345678901234567890123456780123456789";
    for (const char *c = digits; *c; c++)
        want = want * 10 + (*c - '0');
    CHECK(last_i128(&fx, 1) == want);
    scan_fails(&fx, "{\"b\":1e28}", LS_JSONSCAN_OUT_OF_RANGE);
    fixture_cleanup(&fx);
}

TEST(string_and_text_coercions)
{
    const char *const specs[][2] = {{"s", "string"}, {"b", "binary"}};
    fixture fx;
    fixture_init(&fx, 1, specs, 2, false);
    scan_ok(&fx, "{\"s\":\"a\\n\\u00e9\\ud83d\\ude00\\\"\\\\\\/\",\"b\":\"x\\u0000y\"}");
    CHECK_EQ_STR(last_text(&fx, 0), "a\n\xc3\xa9\xf0\x9f\x98\x80\"\\/");
    size_t len;
    const ls_column *b = &fx.batch->columns[1];
    const uint8_t *bytes = ls_column_bytes_at(b, b->value_count - 1, &len);
    CHECK_EQ_INT(len, 3);
    CHECK_EQ_MEM(bytes, "x\0y", 3);
    scan_ok(&fx, "{\"s\":1.50e2}");
    CHECK_EQ_STR(last_text(&fx, 0), "1.50e2");
    scan_ok(&fx, "{\"s\":true}");
    CHECK_EQ_STR(last_text(&fx, 0), "true");
    scan_ok(&fx, "{\"s\" : [ 1 , {\"k\\u0041\" : \"v w\" } , [ ] , { } ] }");
    CHECK_EQ_STR(last_text(&fx, 0), "[1,{\"k\\u0041\":\"v w\"},[],{}]");
    fixture_cleanup(&fx);
}

TEST(boolean_coercions)
{
    const char *const specs[][2] = {{"v", "boolean"}};
    fixture fx;
    fixture_init(&fx, 1, specs, 1, false);
    scan_ok(&fx, "{\"v\":true}");
    CHECK_EQ_INT(fx.batch->columns[0].values.data[0], 1);
    scan_ok(&fx, "{\"v\":\"false\"}");
    CHECK_EQ_INT(fx.batch->columns[0].values.data[1], 0);
    scan_fails(&fx, "{\"v\":1}", LS_JSONSCAN_TYPE_MISMATCH);
    scan_fails(&fx, "{\"v\":\"TRUE\"}", LS_JSONSCAN_TYPE_MISMATCH);
    fixture_cleanup(&fx);
}

TEST(time_coercions)
{
    const char *const specs[][2] = {{"t", "timestamptz"}, {"d", "date"}, {"l", "timestamp"}};
    fixture fx;
    fixture_init(&fx, 1, specs, 3, false);
    const struct {
        const char *json;
        int64_t micros;
    } ts[] = {
        {"\"1970-01-01T00:00:00Z\"", 0},
        {"\"2024-02-29T12:34:56.789Z\"", 1709210096789000},
        {"\"2024-02-29t12:34:56.7891239z\"", 1709210096789123},
        {"\"2024-02-29 14:34:56+02:00\"", 1709210096000000},
        {"\"2024-02-29T12:34:56\"", 1709210096000000},
        {"\"1969-12-31T23:59:59-00:30\"", 1799000000},
        {"1709210096789", 1709210096789000},
        {"1.5", 1500},
        {"\"1709210096789\"", 1709210096789000},
    };
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"t\":%s,\"l\":%s}", ts[i].json, ts[i].json);
        scan_ok(&fx, json);
        CHECK_EQ_INT(last_i64(&fx, 0), ts[i].micros);
        CHECK_EQ_INT(last_i64(&fx, 2), ts[i].micros);
    }
    const char *bad[] = {"\"2024-02-30T00:00:00Z\"",
                         "\"2023-02-29T00:00:00Z\"",
                         "\"2024-01-01T24:00:00Z\"",
                         "\"2024-01-01T00:00:00+0100\"",
                         "\"2024-01-01\"",
                         "\"yesterday\"",
                         "true"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"t\":%s}", bad[i]);
        scan_fails(&fx, json, LS_JSONSCAN_TYPE_MISMATCH);
    }
    scan_ok(&fx, "{\"d\":\"2024-02-29\"}");
    CHECK_EQ_INT(last_i32(&fx, 1), 19782);
    scan_ok(&fx, "{\"d\":\"0001-01-01\"}");
    CHECK_EQ_INT(last_i32(&fx, 1), -719162);
    scan_ok(&fx, "{\"d\":-5}");
    CHECK_EQ_INT(last_i32(&fx, 1), -5);
    scan_fails(&fx, "{\"d\":\"2024-2-29\"}", LS_JSONSCAN_TYPE_MISMATCH);
    scan_fails(&fx, "{\"d\":\"2024-02-29T00:00:00Z\"}", LS_JSONSCAN_TYPE_MISMATCH);
    fixture_cleanup(&fx);
}

TEST(kafka_metadata)
{
    const char *const specs[][2] = {
        {"__kafka_partition__", "int"},         {"__kafka_offset__", "bigint"},
        {"__kafka_timestamp__", "timestamptz"}, {"__kafka_key__", "string"},
        {"__kafka_offset__", "string"},         {"__kafka_key__", "binary"}};
    fixture fx;
    fixture_init(&fx, 1, specs, 6, false);
    ls_kafka_meta meta = {.partition = 3,
                          .offset = 1234567890123,
                          .timestamp_ms = 1700000000123,
                          .key = (const uint8_t *)"k1",
                          .key_len = 2};
    ls_error_clear(&fx.err);
    CHECK_OK(
        ls_jsonscan_row(fx.plan, (const uint8_t *)"{}", 2, &meta, fx.batch, &fx.record, &fx.err),
        &fx.err);
    CHECK_EQ_INT(last_i32(&fx, 0), 3);
    CHECK_EQ_INT(last_i64(&fx, 1), 1234567890123);
    CHECK_EQ_INT(last_i64(&fx, 2), 1700000000123000);
    CHECK_EQ_STR(last_text(&fx, 3), "k1");
    CHECK_EQ_STR(last_text(&fx, 4), "1234567890123");
    meta.key = (const uint8_t *)"\xff";
    meta.key_len = 1;
    CHECK(ls_jsonscan_row(fx.plan, (const uint8_t *)"{}", 2, &meta, fx.batch, &fx.record,
                          &fx.err) == LS_ERR_INVALID);
    CHECK_EQ_INT(fx.record.kind, LS_JSONSCAN_INVALID_UTF8);
    meta.key = NULL;
    CHECK_OK(
        ls_jsonscan_row(fx.plan, (const uint8_t *)"{}", 2, &meta, fx.batch, &fx.record, &fx.err),
        &fx.err);
    CHECK(!last_valid(&fx, 3));
    CHECK(!last_valid(&fx, 5));
    scan_ok(&fx, "{}"); /* no metadata at all */
    CHECK(!last_valid(&fx, 0));
    fixture_cleanup(&fx);
}

static ls_jsonscan_error_kind validate(const char *json, size_t len)
{
    ls_jsonscan_error record;
    ls_code rc = ls_json_validate((const uint8_t *)json, len, 0, &record);
    CHECK((rc == LS_OK) == (record.kind == LS_JSONSCAN_OK));
    return record.kind;
}

#define VALID(s) CHECK_EQ_INT(validate(s, sizeof(s) - 1), LS_JSONSCAN_OK)
#define INVALID(s, k) CHECK_EQ_INT(validate(s, sizeof(s) - 1), k)

TEST(validation_accepts)
{
    VALID("{}");
    VALID(" \t\r\n[ ] \n");
    VALID("0");
    VALID("-0.0e-0");
    VALID("\"\"");
    VALID("null");
    VALID("[true,false,null,1,-1,1.5,1E5,\"x\",{\"a\":[{}]}]");
    VALID("\"\\u0000\"");
    VALID("\"\\ud83d\\ude00\"");
    VALID("\"\xf4\x8f\xbf\xbf\"");
    VALID("\"\xe0\xa0\x80\xed\x9f\xbf\xef\xbf\xbf\"");
    VALID("12345678901234567890123456789012345678901234567890");
    VALID("1e99999999999999");
}

TEST(validation_rejects)
{
    INVALID("", LS_JSONSCAN_INVALID_JSON);
    INVALID("   ", LS_JSONSCAN_INVALID_JSON);
    INVALID("\xef\xbb\xbf{}", LS_JSONSCAN_INVALID_JSON);
    INVALID("{} x", LS_JSONSCAN_INVALID_JSON);
    INVALID("{}{}", LS_JSONSCAN_INVALID_JSON);
    INVALID("{\"a\":1,}", LS_JSONSCAN_INVALID_JSON);
    INVALID("[1,]", LS_JSONSCAN_INVALID_JSON);
    INVALID("[1 2]", LS_JSONSCAN_INVALID_JSON);
    INVALID("{\"a\" 1}", LS_JSONSCAN_INVALID_JSON);
    INVALID("{a:1}", LS_JSONSCAN_INVALID_JSON);
    INVALID("{'a':1}", LS_JSONSCAN_INVALID_JSON);
    INVALID("NaN", LS_JSONSCAN_INVALID_JSON);
    INVALID("Infinity", LS_JSONSCAN_INVALID_JSON);
    INVALID("-Infinity", LS_JSONSCAN_INVALID_JSON);
    INVALID("[nan]", LS_JSONSCAN_INVALID_JSON);
    INVALID("01", LS_JSONSCAN_INVALID_JSON);
    INVALID("+1", LS_JSONSCAN_INVALID_JSON);
    INVALID(".5", LS_JSONSCAN_INVALID_JSON);
    INVALID("1.", LS_JSONSCAN_INVALID_JSON);
    INVALID("1e", LS_JSONSCAN_INVALID_JSON);
    INVALID("-", LS_JSONSCAN_INVALID_JSON);
    INVALID("tru", LS_JSONSCAN_INVALID_JSON);
    INVALID("nulll", LS_JSONSCAN_INVALID_JSON);
    INVALID("\"abc", LS_JSONSCAN_INVALID_JSON);
    INVALID("\"a\tb\"", LS_JSONSCAN_INVALID_JSON);
    INVALID("\"\\x\"", LS_JSONSCAN_INVALID_JSON);
    INVALID("\"\\u12g4\"", LS_JSONSCAN_INVALID_JSON);
    INVALID("[", LS_JSONSCAN_INVALID_JSON);
    INVALID("{\"a\":", LS_JSONSCAN_INVALID_JSON);
    INVALID("/* c */ {}", LS_JSONSCAN_INVALID_JSON);
    INVALID("{\"a\":1]", LS_JSONSCAN_INVALID_JSON);
    INVALID("\"\\ud800\"", LS_JSONSCAN_INVALID_UTF8);
    INVALID("\"\\udc00\"", LS_JSONSCAN_INVALID_UTF8);
    INVALID("\"\\ud800\\u0041\"", LS_JSONSCAN_INVALID_UTF8);
    INVALID("\"\xff\"", LS_JSONSCAN_INVALID_UTF8);
    INVALID("\"\xc0\xaf\"", LS_JSONSCAN_INVALID_UTF8);
    INVALID("\"\xe0\x80\xaf\"", LS_JSONSCAN_INVALID_UTF8);
    INVALID("\"\xed\xa0\x80\"", LS_JSONSCAN_INVALID_UTF8);
    INVALID("\"\xf4\x90\x80\x80\"", LS_JSONSCAN_INVALID_UTF8);
    INVALID("\"\xe2\x82\"", LS_JSONSCAN_INVALID_UTF8);
    INVALID("\"abcdefgh\x80\"", LS_JSONSCAN_INVALID_UTF8);
    INVALID("\x01", LS_JSONSCAN_INVALID_JSON);
    CHECK_EQ_INT(validate("[1]\0", 4), LS_JSONSCAN_INVALID_JSON);
}

TEST(depth_limit)
{
    char deep[200];
    for (int i = 0; i < 64; i++)
        deep[i] = '[';
    for (int i = 0; i < 64; i++)
        deep[64 + i] = ']';
    CHECK_EQ_INT(validate(deep, 128), LS_JSONSCAN_OK);
    char deeper[200];
    for (int i = 0; i < 65; i++)
        deeper[i] = '[';
    for (int i = 0; i < 65; i++)
        deeper[65 + i] = ']';
    CHECK_EQ_INT(validate(deeper, 130), LS_JSONSCAN_TOO_DEEP);
    /* A huge unclosed nest fails at the limit without recursion. */
    size_t n = 10 << 20;
    char *huge = malloc(n);
    CHECK(huge);
    memset(huge, '[', n);
    CHECK_EQ_INT(validate(huge, n), LS_JSONSCAN_TOO_DEEP);
    free(huge);
}

TEST(level_rules_and_not_object)
{
    const char *const specs[][2] = {{"a", "string"}};
    fixture fx;
    fixture_init(&fx, 1, specs, 1, false);
    scan_fails(&fx, "[1]", LS_JSONSCAN_NOT_OBJECT);
    scan_fails(&fx, "\"x\"", LS_JSONSCAN_NOT_OBJECT);
    scan_fails(&fx, "[1", LS_JSONSCAN_INVALID_JSON);
    fixture_cleanup(&fx);

    ls_jsonscan_plan *plan = NULL;
    ls_error err;
    ls_error_clear(&err);
    ls_jsonscan_field deep = {.source = "a.b", .type = {.kind = LS_TYPE_STRING}};
    ls_jsonscan_options options = {.parse_level = 1};
    CHECK(ls_jsonscan_plan_new(&options, &deep, 1, &plan, &err) == LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "a.b");
    ls_error_clear(&err);
    options.parse_level = 5;
    CHECK(ls_jsonscan_plan_new(&options, NULL, 0, &plan, &err) == LS_ERR_INVALID);
    ls_error_clear(&err);
    options.parse_level = 2;
    ls_jsonscan_field empty = {.source = "a..b", .type = {.kind = LS_TYPE_STRING}};
    CHECK(ls_jsonscan_plan_new(&options, &empty, 1, &plan, &err) == LS_ERR_INVALID);
    CHECK(plan == NULL);
}

TEST(escaped_dots_in_source_paths)
{
    const char *const specs[][2] = {
        {"a\\.b", "string"}, {"a.b", "string"}, {"k\\\\", "string"}, {"u", "string"}};
    fixture fx;
    fixture_init(&fx, 2, specs, 4, false);
    scan_ok(&fx, "{\"a.b\":\"top\",\"a\":{\"b\":\"nested\"},\"k\\\\\":\"bs\",\"\\u0075\":\"esc\"}");
    CHECK_EQ_STR(last_text(&fx, 0), "top");
    CHECK_EQ_STR(last_text(&fx, 1), "nested");
    CHECK_EQ_STR(last_text(&fx, 2), "bs");
    CHECK_EQ_STR(last_text(&fx, 3), "esc");
    fixture_cleanup(&fx);
}

TEST(unmapped_fields_are_collected)
{
    const char *const specs[][2] = {{"name", "string"}, {"device.brand", "string"}};
    fixture fx;
    fixture_init(&fx, 2, specs, 2, false);
    scan_ok(&fx, seed_quoted);
    scan_ok(&fx, "{\"age\":\"x\",\"new.key\":[1],\"device\":{\"os\":null}}");
    const char *expect[] = {"age", "device.os", "device.version", "new\\.key"};
    unsigned expect_kinds[] = {(1u << LS_JSON_INTEGER) | (1u << LS_JSON_STRING),
                               (1u << LS_JSON_OBJECT) | (1u << LS_JSON_NULL), 1u << LS_JSON_STRING,
                               1u << LS_JSON_ARRAY};
    CHECK_EQ_INT(ls_jsonscan_unmapped_count(fx.plan), 4);
    for (size_t i = 0; i < 4; i++) {
        unsigned kinds;
        CHECK_EQ_STR(ls_jsonscan_unmapped_path(fx.plan, i, &kinds), expect[i]);
        CHECK_EQ_INT(kinds, expect_kinds[i]);
    }
    ls_jsonscan_unmapped_reset(fx.plan);
    CHECK_EQ_INT(ls_jsonscan_unmapped_count(fx.plan), 0);
    fixture_cleanup(&fx);
}

/* Scans json from an exact-size heap copy, so a read past its end is an
 * ASan error rather than a look at the string literal's NUL. */
static ls_code scan_exact(fixture *fx, const char *json, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    CHECK(copy);
    memcpy(copy, json, len);
    ls_error_clear(&fx->err);
    ls_code rc =
        ls_jsonscan_row(fx->plan, copy, len, NULL, fx->batch, &fx->record, &fx->err);
    free(copy);
    return rc;
}

/* The string scanner takes 16 (SSE2) or 8 bytes at a time: every special
 * byte is tried at every offset across two blocks, and strings ending at,
 * just before and just after a block boundary. */
TEST(string_specials_at_every_offset)
{
    static const struct {
        const char *raw;  /* what follows the plain run inside the quotes */
        const char *text; /* the unescaped value, NULL when the record is invalid */
        ls_jsonscan_error_kind kind;
    } cases[] = {
        {"", "", LS_JSONSCAN_OK},
        {"\\\"", "\"", LS_JSONSCAN_OK},
        {"\\\\", "\\", LS_JSONSCAN_OK},
        {"\\n\\/", "\n/", LS_JSONSCAN_OK},
        {"\\u00e9", "\xc3\xa9", LS_JSONSCAN_OK},
        {"\\ud83d\\ude00", "\xf0\x9f\x98\x80", LS_JSONSCAN_OK},
        {"\xc3\xa9", "\xc3\xa9", LS_JSONSCAN_OK},
        {"\xf0\x9f\x98\x80z", "\xf0\x9f\x98\x80z", LS_JSONSCAN_OK},
        {"\x7f", "\x7f", LS_JSONSCAN_OK},
        {"\x01", NULL, LS_JSONSCAN_INVALID_JSON},
        {"\x1f", NULL, LS_JSONSCAN_INVALID_JSON},
        {"\xff", NULL, LS_JSONSCAN_INVALID_UTF8},
        {"\xc3", NULL, LS_JSONSCAN_INVALID_UTF8},
        {"\xed\xa0\x80", NULL, LS_JSONSCAN_INVALID_UTF8},
        {"\\x", NULL, LS_JSONSCAN_INVALID_JSON},
    };
    const char *const specs[][2] = {{"s", "string"}};
    fixture fx;
    fixture_init(&fx, 1, specs, 1, false);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (size_t run = 0; run <= 40; run++) {
            char json[128], expect[128];
            memset(expect, 'a', run);
            int n = snprintf(json, sizeof json, "{\"s\":\"%.*s%sb\"}", (int)run, expect,
                             cases[c].raw);
            CHECK(n > 0 && (size_t)n < sizeof json);
            ls_code rc = scan_exact(&fx, json, (size_t)n);
            if (!cases[c].text) {
                if (rc != LS_ERR_INVALID || fx.record.kind != cases[c].kind)
                    testing_fail(__FILE__, __LINE__, "case %zu run %zu: rc %d kind %s", c, run,
                                 rc, ls_jsonscan_error_kind_name(fx.record.kind));
                /* The error points at the bad byte, after the plain run. */
                CHECK_EQ_INT(fx.record.offset, 6 + run);
                continue;
            }
            if (rc)
                testing_fail(__FILE__, __LINE__, "case %zu run %zu failed: %s", c, run,
                             fx.record.message);
            snprintf(expect + run, sizeof expect - run, "%sb", cases[c].text);
            CHECK_EQ_STR(last_text(&fx, 0), expect);
        }
    }
    /* Unterminated strings of every length: the scanner must stop at the
     * end of the message, not at a quote beyond it. */
    for (size_t run = 0; run <= 40; run++) {
        char json[64] = "{\"s\":\"";
        memset(json + 6, 'a', run);
        json[6 + run] = '"'; /* outside the length passed */
        scan_exact(&fx, json, 6 + run);
        CHECK_EQ_INT(fx.record.kind, LS_JSONSCAN_INVALID_JSON);
    }
    fixture_cleanup(&fx);
}

/* Keys are first matched against the key that came at the same place in the
 * previous message; a wrong guess must fall back to the lookup and a right
 * one must not skip validation. */
TEST(key_prediction_follows_changing_orders)
{
    const char *const specs[][2] = {
        {"alpha", "bigint"}, {"b", "bigint"}, {"c.long_key_name_x", "bigint"}};
    fixture fx;
    fixture_init(&fx, 2, specs, 3, false);
    scan_ok(&fx, "{\"alpha\":1,\"b\":2,\"c\":{\"long_key_name_x\":3}}");
    CHECK_EQ_INT(last_i64(&fx, 0), 1);
    CHECK_EQ_INT(last_i64(&fx, 2), 3);
    scan_ok(&fx, "{\"alpha\":4,\"b\":5,\"c\":{\"long_key_name_x\":6}}");
    CHECK_EQ_INT(last_i64(&fx, 0), 4);
    CHECK_EQ_INT(last_i64(&fx, 1), 5);
    CHECK_EQ_INT(last_i64(&fx, 2), 6);
    /* Another order, an unknown key in between, then the first order again. */
    scan_ok(&fx, "{\"b\":7,\"zz\":0,\"alpha\":8}");
    CHECK_EQ_INT(last_i64(&fx, 0), 8);
    CHECK_EQ_INT(last_i64(&fx, 1), 7);
    CHECK(!last_valid(&fx, 2));
    scan_ok(&fx, "{\"alpha\":9,\"b\":10,\"c\":{\"long_key_name_x\":11}}");
    CHECK_EQ_INT(last_i64(&fx, 0), 9);
    CHECK_EQ_INT(last_i64(&fx, 2), 11);
    /* Keys that share the guess's prefix or length are other keys. */
    scan_ok(&fx, "{\"alphab\":1,\"alphb\":2,\"alph\":3,\"b\":12}");
    CHECK(!last_valid(&fx, 0));
    CHECK_EQ_INT(last_i64(&fx, 1), 12);
    scan_ok(&fx, "{\"alpha\":13,\"c\":{\"long_key_name_y\":1,\"long_key_name_x\":14}}");
    CHECK_EQ_INT(last_i64(&fx, 2), 14);
    /* The guessed key spelled with escapes is the same key. */
    scan_ok(&fx, "{\"\\u0061lpha\":15,\"alpha\\\"\":16}");
    CHECK_EQ_INT(last_i64(&fx, 0), 15);
    /* Whitespace around the guessed key, or no ':' after it. */
    scan_ok(&fx, "{\"alpha\":17,\"b\":18}");
    scan_ok(&fx, "{ \"alpha\" :19,\n\"b\"\t: 20}");
    CHECK_EQ_INT(last_i64(&fx, 0), 19);
    CHECK_EQ_INT(last_i64(&fx, 1), 20);
    scan_fails(&fx, "{\"alpha\"1,\"b\":2}", LS_JSONSCAN_INVALID_JSON);
    scan_fails(&fx, "{\"alpha\":1,\"b\",2}", LS_JSONSCAN_INVALID_JSON);
    /* A message that ends inside the guessed key, or right after it. */
    scan_fails(&fx, "{\"alpha", LS_JSONSCAN_INVALID_JSON);
    scan_fails(&fx, "{\"alpha\"", LS_JSONSCAN_INVALID_JSON);
    scan_fails(&fx, "{\"alpha\":1,\"b", LS_JSONSCAN_INVALID_JSON);
    CHECK(scan_exact(&fx, "{\"alpha\":1,\"b\":2}", 14) == LS_ERR_INVALID);
    CHECK_EQ_INT(fx.record.kind, LS_JSONSCAN_INVALID_JSON);
    fixture_cleanup(&fx);
}

/* A predicted key of up to 14 bytes is matched with its closing quote and ':'
 * as one 16-byte pattern when 17 bytes of message follow the opening quote,
 * by its own length closer to the end; spelled otherwise, the key takes the
 * general path. All must give the same values and errors. */
TEST(key_pattern_boundaries)
{
    const char *const specs[][2] = {{"k234567890123d", "bigint"}, {"k2345678901234e", "bigint"},
                                    {"z", "bigint"}};
    fixture fx;
    fixture_init(&fx, 1, specs, 3, false);
    const char *learn = "{\"k234567890123d\":1,\"k2345678901234e\":2,\"z\":3}";
    scan_ok(&fx, learn);
    scan_ok(&fx, learn);
    CHECK_EQ_INT(last_i64(&fx, 0), 1);
    CHECK_EQ_INT(last_i64(&fx, 1), 2);
    CHECK_EQ_INT(last_i64(&fx, 2), 3);
    /* "z":4} is 6 bytes from the quote: the short compare. */
    scan_ok(&fx, "{\"k234567890123d\":5,\"k2345678901234e\":6,\"z\":4}");
    CHECK_EQ_INT(last_i64(&fx, 2), 4);
    /* The message ends right after the ':', exactly the 17 bytes the
     * pattern needs from the quote: the key matches, the value is missing. */
    scan_fails(&fx, "{\"k234567890123d\":", LS_JSONSCAN_INVALID_JSON);
    scan_ok(&fx, "{\"k234567890123d\":7}");
    CHECK_EQ_INT(last_i64(&fx, 0), 7);
    scan_ok(&fx, "{\"k234567890123d\":7,\"k2345678901234e\":8,\"z\":9}");
    /* The pattern's last byte (the ':') differs: whitespace, then an error. */
    scan_ok(&fx, "{\"k234567890123d\" :10,\"k2345678901234e\":11,\"z\":12}");
    CHECK_EQ_INT(last_i64(&fx, 0), 10);
    scan_fails(&fx, "{\"k234567890123d\",10,\"k2345678901234e\":11}", LS_JSONSCAN_INVALID_JSON);
    /* A longer key sharing the 14 bytes is another key. */
    scan_ok(&fx, "{\"k234567890123dd\":13,\"z\":14}");
    /* The message ends inside the predicted last key, or right after it. */
    scan_fails(&fx, "{\"k234567890123d\":1,\"k2345678901234e\":2,\"z", LS_JSONSCAN_INVALID_JSON);
    scan_fails(&fx, "{\"k234567890123d\":1,\"k2345678901234e\":2,\"z\"", LS_JSONSCAN_INVALID_JSON);
    scan_fails(&fx, "{\"k234567890123d\":1,\"k2345678901234e\":2,\"z\":", LS_JSONSCAN_INVALID_JSON);
    CHECK(!last_valid(&fx, 0));
    CHECK_EQ_INT(last_i64(&fx, 2), 14);
    fixture_cleanup(&fx);
}

/* Keys holding a quote, a backslash or a control character are learned from
 * escaped spellings but never matched in place: the same bytes unescaped in
 * a message are invalid JSON. */
TEST(key_prediction_keeps_validation)
{
    const char *const specs[][2] = {{"q\"", "bigint"}, {"x\x01", "bigint"}, {"b\\\\", "bigint"},
                                    {"\xc3\xa9t\xc3\xa9", "bigint"}};
    fixture fx;
    fixture_init(&fx, 1, specs, 4, false);
    scan_ok(&fx, "{\"q\\\"\":1}");
    CHECK_EQ_INT(last_i64(&fx, 0), 1);
    scan_fails(&fx, "{\"q\"\":1}", LS_JSONSCAN_INVALID_JSON);
    scan_ok(&fx, "{\"x\\u0001\":2}");
    CHECK_EQ_INT(last_i64(&fx, 1), 2);
    scan_fails(&fx, "{\"x\x01\":2}", LS_JSONSCAN_INVALID_JSON);
    scan_ok(&fx, "{\"b\\\\\":3}");
    CHECK_EQ_INT(last_i64(&fx, 2), 3);
    scan_fails(&fx, "{\"b\\\":3}", LS_JSONSCAN_INVALID_JSON);
    scan_ok(&fx, "{\"\xc3\xa9t\xc3\xa9\":4}");
    scan_ok(&fx, "{\"\xc3\xa9t\xc3\xa9\":5}");
    CHECK_EQ_INT(last_i64(&fx, 3), 5);
    fixture_cleanup(&fx);
}

/* Doubles take an exact fast path (at most 15 significant digits, powers of
 * ten up to 22) or strtod: either way the bits must be strtod's. The cases
 * sit on both sides of each limit. */
TEST(doubles_match_strtod_bit_for_bit)
{
    static const char *const numbers[] = {
        "0", "-0", "-0.0", "0.000", "0e5", "-0e-400", "1", "-1", "1.5", "671.0520", "0.1", "0.3",
        "123456789012345", "1234567890123456", "12345678901234567890", "9007199254740993",
        "999999999999999", "0.999999999999999", "9.99999999999999e22", "1e22", "1e23", "1e-22",
        "1e-23", "1.5e22", "15e21", "0.00000000000000000000001", "100000000000000000000000",
        "1E+2", "1e-0", "1e+000000000000000000022", "12345678901234.5e-5", "4.9e-324",
        "5e-324", "2.2250738585072011e-308", "2.2250738585072014e-308", "1.7976931348623157e308",
        "-9223372036854775808", "9223372036854775807", "18446744073709551616",
        "0.000000000000000000000000000000001", "123.456e-300", "7.0e-10", "-671.05200000",
        /* 16 and 17 digits, where one rounding step more would be wrong. */
        "64708321257442331e-9", "10303515748823385e22", "66688231833028549e15",
        "3493299667793553.5e1", "0.64708321257442331"};
    const char *const specs[][2] = {{"d", "double"}, {"s", "double"}};
    fixture fx;
    fixture_init(&fx, 1, specs, 2, false);
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        char json[160];
        snprintf(json, sizeof json, "{\"d\":%s,\"s\":\"%s\"}", numbers[i], numbers[i]);
        scan_ok(&fx, json);
        double want = strtod(numbers[i], NULL);
        double got = last_double(&fx, 0);
        const ls_column *col = &fx.batch->columns[1];
        double from_string;
        memcpy(&from_string, col->values.data + (col->value_count - 1) * 8, 8);
        if (memcmp(&got, &want, sizeof got) != 0 || memcmp(&from_string, &want, sizeof got) != 0)
            testing_fail(__FILE__, __LINE__, "%s: got %a and %a, strtod gives %a", numbers[i],
                         got, from_string, want);
    }
    /* Past the largest double: out of range, not infinity. */
    scan_fails(&fx, "{\"d\":1e309}", LS_JSONSCAN_OUT_OF_RANGE);
    scan_fails(&fx, "{\"d\":1797693134862315800000000000000000000000000000000000000000000000000"
                    "00000000000000000000000000000000000000000000000000000000000000000000000000"
                    "00000000000000000000000000000000000000000000000000000000000000000000000000"
                    "00000000000000000000000000000000000000000000000000000000000000000000000000"
                    "0000000000000000000000000000000000000000000000000000000000000000}",
               LS_JSONSCAN_OUT_OF_RANGE);
    fixture_cleanup(&fx);
}

/* Schema evolution's hold: a message with a value at an unmapped path is not
 * added (LS_ERR_CONFLICT, row aborted) until the hold is lifted; nulls at
 * unmapped paths and invalid messages are what they always were. */
TEST(held_messages_with_new_fields_are_not_added)
{
    const char *const specs[][2] = {{"name", "string"}};
    fixture fx;
    fixture_init(&fx, 1, specs, 1, false);
    ls_jsonscan_set_hold_unmapped(fx.plan, true);
    scan_ok(&fx, "{\"name\":\"a\",\"gone\":null}");
    CHECK_EQ_INT(fx.batch->row_count, 1);
    CHECK(scan(&fx, "{\"name\":\"b\",\"model\":\"x\"}") == LS_ERR_CONFLICT);
    CHECK_EQ_INT(fx.batch->row_count, 1);
    CHECK_EQ_INT(ls_jsonscan_unmapped_count(fx.plan), 2);
    CHECK_EQ_STR(ls_jsonscan_unmapped_path(fx.plan, 1, NULL), "model");
    scan_fails(&fx, "{\"name\":\"b\",\"model\":\"x\"", LS_JSONSCAN_INVALID_JSON);
    ls_jsonscan_set_hold_unmapped(fx.plan, false);
    scan_ok(&fx, "{\"name\":\"b\",\"model\":\"x\"}");
    CHECK_EQ_INT(fx.batch->row_count, 2);
    CHECK_EQ_STR(last_text(&fx, 0), "b");
    CHECK_EQ_STR(ls_jsonscan_error_kind_name(LS_JSONSCAN_TYPE_CONFLICT), "type_conflict");
    /* Paths of escaped keys and of keys after a long string value. */
    ls_jsonscan_set_hold_unmapped(fx.plan, true);
    ls_jsonscan_unmapped_reset(fx.plan);
    CHECK(scan(&fx, "{\"n\\u0061me\":\"a\\u0062c\",\"m\\u006fdel\":{\"x\":1},\"k.e\\\\y\":2}") ==
          LS_ERR_CONFLICT);
    CHECK_EQ_INT(ls_jsonscan_unmapped_count(fx.plan), 2);
    CHECK_EQ_STR(ls_jsonscan_unmapped_path(fx.plan, 0, NULL), "model");
    CHECK_EQ_STR(ls_jsonscan_unmapped_path(fx.plan, 1, NULL), "k\\.e\\\\y");
    fixture_cleanup(&fx);
}

/* Paths a job leaves out on purpose neither hold a message nor are collected. */
TEST(ignored_paths_are_not_new_fields)
{
    ls_jsonscan_field f = {.source = "name", .column = 0, .type = {.kind = LS_TYPE_STRING}};
    const char *ignored[] = {"secret", "device.id", "secret"};
    ls_jsonscan_options options = {
        .parse_level = 2, .collect_unmapped = true, .ignored_paths = ignored, .ignored_count = 3};
    ls_jsonscan_plan *plan;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_jsonscan_plan_new(&options, &f, 1, &plan, &err), &err);
    ls_jsonscan_set_hold_unmapped(plan, true);
    ls_type types[1] = {{.kind = LS_TYPE_STRING}};
    ls_column_batch *batch = ls_column_batch_new(types, 1, 1 << 20);
    ls_jsonscan_error record;
    const char *msg = "{\"name\":\"a\",\"secret\":\"x\",\"device\":{\"id\":7}}";
    CHECK_OK(ls_jsonscan_row(plan, (const uint8_t *)msg, strlen(msg), NULL, batch, &record, &err),
             &err);
    CHECK_EQ_INT(ls_jsonscan_unmapped_count(plan), 0);
    msg = "{\"name\":\"a\",\"secret\":\"x\",\"device\":{\"model\":7}}";
    CHECK(ls_jsonscan_row(plan, (const uint8_t *)msg, strlen(msg), NULL, batch, &record, &err) ==
          LS_ERR_CONFLICT);
    CHECK_EQ_INT(ls_jsonscan_unmapped_count(plan), 1);
    CHECK_EQ_STR(ls_jsonscan_unmapped_path(plan, 0, NULL), "device.model");
    CHECK_EQ_INT(batch->row_count, 1);
    ls_column_batch_free(batch);
    ls_jsonscan_plan_free(plan);
}

TEST(batch_mismatch_is_internal_error)
{
    ls_type types[1] = {{.kind = LS_TYPE_BIGINT}};
    ls_jsonscan_field f = {.source = "a", .column = 0, .type = {.kind = LS_TYPE_STRING}};
    ls_jsonscan_options options = {.parse_level = 1};
    ls_jsonscan_plan *plan;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_jsonscan_plan_new(&options, &f, 1, &plan, &err), &err);
    ls_column_batch *batch = ls_column_batch_new(types, 1, 1 << 20);
    ls_jsonscan_error record;
    CHECK(ls_jsonscan_row(plan, (const uint8_t *)"{}", 2, NULL, batch, &record, &err) ==
          LS_ERR_INTERNAL);
    ls_column_batch_free(batch);
    ls_jsonscan_plan_free(plan);
}

/* The check is remembered per batch, not per plan: a plan that filled a
 * matching batch still refuses the next, mismatched one, and a freed batch's
 * successor (possibly at the same address) is checked afresh. */
TEST(batch_check_is_per_batch)
{
    ls_type good[1] = {{.kind = LS_TYPE_STRING}}, bad[1] = {{.kind = LS_TYPE_BIGINT}};
    ls_jsonscan_field f = {.source = "a", .column = 0, .type = {.kind = LS_TYPE_STRING}};
    ls_jsonscan_options options = {.parse_level = 1};
    ls_jsonscan_plan *plan;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_jsonscan_plan_new(&options, &f, 1, &plan, &err), &err);
    ls_jsonscan_error record;
    ls_column_batch *batch = ls_column_batch_new(good, 1, 1 << 20);
    for (int i = 0; i < 2; i++)
        CHECK_OK(ls_jsonscan_row(plan, (const uint8_t *)"{\"a\":\"x\"}", 9, NULL, batch, &record,
                                 &err),
                 &err);
    ls_column_batch_free(batch);
    batch = ls_column_batch_new(bad, 1, 1 << 20);
    CHECK(ls_jsonscan_row(plan, (const uint8_t *)"{}", 2, NULL, batch, &record, &err) ==
          LS_ERR_INTERNAL);
    ls_column_batch_free(batch);
    ls_jsonscan_plan_free(plan);
}

TEST(batch_full_asks_for_flush)
{
    ls_type types[1] = {{.kind = LS_TYPE_STRING}};
    ls_jsonscan_field f = {.source = "a", .column = 0, .type = {.kind = LS_TYPE_STRING}};
    ls_jsonscan_options options = {.parse_level = 1};
    ls_jsonscan_plan *plan;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_jsonscan_plan_new(&options, &f, 1, &plan, &err), &err);
    ls_column_batch *batch = ls_column_batch_new(types, 1, 64);
    ls_jsonscan_error record;
    const char *msg = "{\"a\":\"0123456789012345678901234567890123456789\"}";
    CHECK_OK(ls_jsonscan_row(plan, (const uint8_t *)msg, strlen(msg), NULL, batch, &record, &err),
             &err);
    CHECK(ls_jsonscan_row(plan, (const uint8_t *)msg, strlen(msg), NULL, batch, &record, &err) ==
          LS_ERR_TOO_LARGE);
    CHECK_EQ_INT(batch->row_count, 1);
    ls_column_batch_free(batch);
    ls_jsonscan_plan_free(plan);
}

TEST(ten_megabyte_message)
{
    size_t n = 10u << 20;
    char *msg = malloc(n + 64);
    CHECK(msg);
    size_t len = 0;
    len += (size_t)snprintf(msg, 64, "{\"big\":\"");
    for (size_t i = 0; i < n; i++)
        msg[len++] = (char)('a' + i % 26);
    memcpy(msg + len, "\",\"n\":7}", 8);
    len += 8;
    const char *const specs[][2] = {{"big", "string"}, {"n", "bigint"}};
    fixture fx;
    fixture_init(&fx, 1, specs, 2, false);
    ls_error_clear(&fx.err);
    CHECK_OK(
        ls_jsonscan_row(fx.plan, (const uint8_t *)msg, len, NULL, fx.batch, &fx.record, &fx.err),
        &fx.err);
    size_t got;
    ls_column_bytes_at(&fx.batch->columns[0], 0, &got);
    CHECK_EQ_INT(got, n);
    CHECK_EQ_INT(last_i64(&fx, 1), 7);
    fixture_cleanup(&fx);
    /* Over the default 16 MiB cap. */
    size_t big = (17u << 20);
    char *huge = malloc(big);
    CHECK(huge);
    memset(huge, ' ', big);
    huge[0] = '1';
    CHECK_EQ_INT(validate(huge, big), LS_JSONSCAN_TOO_LARGE);
    free(huge);
    free(msg);
}

/* Collects leaves as "path=kind:value" lines. */
static ls_code collect_leaf(void *ctx, const ls_json_leaf *leaf, ls_error *err)
{
    (void)err;
    char *out = ctx;
    size_t used = strlen(out);
    snprintf(out + used, 4096 - used, "%s=%s:%.*s\n", leaf->path, ls_json_kind_name(leaf->kind),
             (int)leaf->value_len, leaf->value ? (const char *)leaf->value : "");
    return LS_OK;
}

TEST(walk_reports_leaves)
{
    char out[4096] = "";
    ls_jsonscan_error record;
    ls_error err;
    ls_error_clear(&err);
    const char *msg = "{\"a\":{\"b\":[1, 2],\"c\":{}, \"d\":{\"e\":null}},\"x.y\":1.5}";
    CHECK_OK(
        ls_json_walk((const uint8_t *)msg, strlen(msg), 2, 0, collect_leaf, out, &record, &err),
        &err);
    CHECK_EQ_STR(out, "a.b=array:[1,2]\na.c=object:{}\na.d=object:{\"e\":null}\nx\\.y=real:1.5\n");
    /* Above the level an empty object yields no field. */
    out[0] = '\0';
    CHECK_OK(
        ls_json_walk((const uint8_t *)msg, strlen(msg), 3, 0, collect_leaf, out, &record, &err),
        &err);
    CHECK_EQ_STR(out, "a.b=array:[1,2]\na.d.e=null:\nx\\.y=real:1.5\n");
    out[0] = '\0';
    CHECK_OK(
        ls_json_walk((const uint8_t *)msg, strlen(msg), 0, 0, collect_leaf, out, &record, &err),
        &err);
    CHECK_EQ_STR(
        out, "__value__=object:{\"a\":{\"b\":[1,2],\"c\":{},\"d\":{\"e\":null}},\"x.y\":1.5}\n");
}

TEST(duplicate_keys_conversion_errors_follow_last_wins)
{
    const char *const specs[][2] = {{"a", "boolean"}, {"b", "bigint"}};
    fixture fx;
    fixture_init(&fx, 1, specs, 2, false);
    /* An earlier bad value does not fail the record when a later one is good. */
    scan_ok(&fx, "{\"a\":{\"x\":1},\"b\":\"no\",\"a\":true,\"b\":5}");
    CHECK_EQ_INT(fx.batch->columns[0].values.data[0], 1);
    CHECK_EQ_INT(last_i64(&fx, 1), 5);
    /* A bad last value fails it, naming that field and offset. */
    scan_fails(&fx, "{\"a\":true,\"b\":1,\"a\":3}", LS_JSONSCAN_TYPE_MISMATCH);
    CHECK_EQ_STR(fx.record.field, "a");
    CHECK_EQ_INT(fx.record.offset, 20);
    /* Alternating many times stays within the pending list. */
    char msg[4096];
    size_t n = (size_t)snprintf(msg, sizeof msg, "{");
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(msg + n, sizeof msg - n, "\"b\":%s,", i % 2 ? "1" : "\"x\"");
    snprintf(msg + n, sizeof msg - n, "\"b\":\"x\"}");
    scan_fails(&fx, msg, LS_JSONSCAN_TYPE_MISMATCH);
    scan_ok(&fx, "{\"b\":2}"); /* nothing held over from the failed row */
    CHECK_EQ_INT(last_i64(&fx, 1), 2);
    fixture_cleanup(&fx);
}

/* The bad-data edge cases of issue 8, each through a mapped row as a worker
 * scans it: a valid row, or a record error of the kind the dead-letter table
 * records, with the field and byte offset it names. */
TEST(bad_data_edge_cases_as_rows)
{
    const char *const specs[][2] = {{"id", "bigint"}, {"name", "string"}, {"amount", "double"},
                                    {"a.b", "string"}};
    fixture fx;
    fixture_init(&fx, 2, specs, 4, true);
    scan_fails(&fx, "", LS_JSONSCAN_INVALID_JSON); /* empty message */
    CHECK_EQ_INT(fx.record.offset, 0);
    scan_fails(&fx, " \t\r\n ", LS_JSONSCAN_INVALID_JSON); /* whitespace only */
    CHECK_EQ_INT(fx.record.offset, 5);
    scan_fails(&fx, "\xef\xbb\xbf{\"id\":1}", LS_JSONSCAN_INVALID_JSON); /* a BOM */
    CHECK_EQ_INT(fx.record.offset, 0);
    scan_fails(&fx, "{\"id\":1} x", LS_JSONSCAN_INVALID_JSON); /* trailing garbage */
    CHECK_EQ_INT(fx.record.offset, 9);
    scan_fails(&fx, "{\"id\":1}{}", LS_JSONSCAN_INVALID_JSON);
    scan_ok(&fx, " {\"id\":1} \n"); /* surrounding whitespace is fine */
    /* Duplicate keys: valid, the last wins, and they are counted. */
    scan_ok(&fx, "{\"id\":1,\"name\":\"a\",\"id\":2}");
    CHECK_EQ_INT(last_i64(&fx, 0), 2);
    CHECK_EQ_INT(ls_jsonscan_duplicate_keys(fx.plan), 1);
    scan_ok(&fx, "{\"id\":\"x\",\"id\":3,\"id\":4,\"unmapped\":1,\"unmapped\":2}");
    CHECK_EQ_INT(last_i64(&fx, 0), 4);
    CHECK_EQ_INT(ls_jsonscan_duplicate_keys(fx.plan), 2); /* mapped ones only */
    scan_ok(&fx, "{\"id\":5}");
    CHECK_EQ_INT(ls_jsonscan_duplicate_keys(fx.plan), 0);
    /* Nesting past the limit, mapped or not. */
    char deep[300];
    int n = snprintf(deep, sizeof deep, "{\"id\":1,\"x\":");
    for (int i = 0; i < 70; i++)
        deep[n++] = '[';
    for (int i = 0; i < 70; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    scan_fails(&fx, deep, LS_JSONSCAN_TOO_DEEP);
    /* Numbers beyond int64 and double. */
    scan_fails(&fx, "{\"id\":9223372036854775808}", LS_JSONSCAN_OUT_OF_RANGE);
    CHECK_EQ_STR(fx.record.field, "id");
    CHECK_EQ_INT(fx.record.offset, 6);
    scan_ok(&fx, "{\"id\":-9223372036854775808}");
    scan_fails(&fx, "{\"id\":1,\"amount\":1e309}", LS_JSONSCAN_OUT_OF_RANGE);
    CHECK_EQ_STR(fx.record.field, "amount");
    scan_ok(&fx, "{\"id\":1,\"amount\":123456789012345678901234567890}"); /* rounds */
    /* NaN and Infinity are not JSON. */
    scan_fails(&fx, "{\"id\":1,\"amount\":NaN}", LS_JSONSCAN_INVALID_JSON);
    scan_fails(&fx, "{\"id\":1,\"amount\":Infinity}", LS_JSONSCAN_INVALID_JSON);
    scan_fails(&fx, "{\"id\":1,\"amount\":-Infinity}", LS_JSONSCAN_INVALID_JSON);
    /* Invalid UTF-8 and lone surrogates, also in keys and unmapped values. */
    scan_fails(&fx, "{\"id\":1,\"name\":\"\xff\"}", LS_JSONSCAN_INVALID_UTF8);
    scan_fails(&fx, "{\"id\":1,\"other\":\"\xc0\xaf\"}", LS_JSONSCAN_INVALID_UTF8);
    scan_fails(&fx, "{\"id\":1,\"\xed\xa0\x80\":2}", LS_JSONSCAN_INVALID_UTF8);
    scan_fails(&fx, "{\"id\":1,\"name\":\"\\ud800\"}", LS_JSONSCAN_INVALID_UTF8);
    scan_fails(&fx, "{\"id\":1,\"name\":\"\\udc00\\ud800\"}", LS_JSONSCAN_INVALID_UTF8);
    /* Keys that would collide once flattened ("a.b" and a -> b): the source
     * path tells them apart, the nested one is a.b. */
    scan_ok(&fx, "{\"id\":1,\"a.b\":\"flat\",\"a\":{\"b\":\"nested\"}}");
    CHECK_EQ_STR(last_text(&fx, 3), "nested");
    /* null where a column is required. */
    scan_fails(&fx, "{\"id\":null}", LS_JSONSCAN_REQUIRED_NULL);
    scan_fails(&fx, "{\"name\":\"no id\"}", LS_JSONSCAN_REQUIRED_NULL);
    fixture_cleanup(&fx);
}

/* ---- key prediction against a plan that never predicts ----
 * A plan learns the order of keys and then matches the predicted key in
 * place (16-byte patterns for keys of up to 14 bytes, a compare of its length
 * near the end of a message or for longer keys). A fresh plan has nothing
 * learned and takes the general path for every key. Both must give the same
 * row or the same error for every message, including every prefix of one:
 * each is scanned from an exact-size heap copy, so ASan sees any read past
 * its end. */

#define PREDICT_FIELDS 20

typedef struct predict_case {
    ls_jsonscan_field fields[PREDICT_FIELDS];
    ls_type types[PREDICT_FIELDS];
    char sources[PREDICT_FIELDS][32];
    size_t count;
    bool collect_unmapped;
} predict_case;

static ls_jsonscan_plan *predict_plan(const predict_case *pc)
{
    ls_jsonscan_options options = {.parse_level = 1, .collect_unmapped = pc->collect_unmapped};
    ls_jsonscan_plan *plan = NULL;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_jsonscan_plan_new(&options, pc->fields, pc->count, &plan, &err), &err);
    return plan;
}

/* Scans len bytes of text from an exact-size heap copy into a new batch.
 * Returns the batch (with the row when rc is LS_OK). */
static ls_column_batch *predict_scan(const predict_case *pc, ls_jsonscan_plan *plan,
                                     const char *text, size_t len, ls_code *rc,
                                     ls_jsonscan_error *record)
{
    ls_column_batch *batch = ls_column_batch_new(pc->types, pc->count, 1 << 20);
    CHECK(batch);
    uint8_t *copy = malloc(len ? len : 1);
    CHECK(copy);
    memcpy(copy, text, len);
    ls_error err;
    ls_error_clear(&err);
    memset(record, 0, sizeof *record);
    *rc = ls_jsonscan_row(plan, copy, len, NULL, batch, record, &err);
    free(copy);
    return batch;
}

/* The learned plan and a fresh one agree on len bytes of text. */
static void predict_agrees(const predict_case *pc, ls_jsonscan_plan *learned, const char *text,
                           size_t len)
{
    ls_jsonscan_plan *fresh = predict_plan(pc);
    ls_code rc_l, rc_f;
    ls_jsonscan_error rec_l, rec_f;
    ls_column_batch *bl = predict_scan(pc, learned, text, len, &rc_l, &rec_l);
    ls_column_batch *bf = predict_scan(pc, fresh, text, len, &rc_f, &rec_f);
    if (rc_l != rc_f || rec_l.kind != rec_f.kind || rec_l.offset != rec_f.offset ||
        strcmp(rec_l.field, rec_f.field) != 0 || strcmp(rec_l.message, rec_f.message) != 0)
        testing_fail(__FILE__, __LINE__,
                     "%.*s: learned plan rc %d %s at %zu (%s), fresh plan rc %d %s at %zu (%s)",
                     (int)len, text, rc_l, ls_jsonscan_error_kind_name(rec_l.kind), rec_l.offset,
                     rec_l.message, rc_f, ls_jsonscan_error_kind_name(rec_f.kind), rec_f.offset,
                     rec_f.message);
    CHECK_EQ_INT(bl->row_count, bf->row_count);
    for (size_t c = 0; bl->row_count && c < pc->count; c++) {
        const ls_column *a = &bl->columns[c], *b = &bf->columns[c];
        CHECK_EQ_INT(ls_column_is_valid(a, 0), ls_column_is_valid(b, 0));
        CHECK_EQ_INT(a->values.len, b->values.len);
        if (a->values.len)
            CHECK_EQ_MEM(a->values.data, b->values.data, a->values.len);
    }
    ls_column_batch_free(bl);
    ls_column_batch_free(bf);
    ls_jsonscan_plan_free(fresh);
}

/* Fields k1 .. k17 (keys of 1 to 17 bytes, around the 14-byte pattern
 * limit), a non-ASCII key and one that names a bigint given a string
 * (a conversion error). */
static void predict_case_init(predict_case *pc, bool collect_unmapped)
{
    memset(pc, 0, sizeof *pc);
    pc->collect_unmapped = collect_unmapped;
    for (size_t i = 0; i < 17; i++) {
        char *s = pc->sources[i];
        for (size_t k = 0; k <= i; k++)
            s[k] = (char)('a' + (i + k) % 26);
        s[i + 1] = '\0';
    }
    snprintf(pc->sources[17], sizeof pc->sources[17], "%s", "\xc3\xa9t\xc3\xa9_\xe2\x82\xac");
    snprintf(pc->sources[18], sizeof pc->sources[18], "%s", "num");
    pc->count = 19;
    for (size_t i = 0; i < pc->count; i++) {
        pc->types[i] = type_of(i % 2 ? "string" : "bigint");
        pc->fields[i] = (ls_jsonscan_field){.source = pc->sources[i], .column = i,
                                            .type = pc->types[i]};
    }
}

/* The whole message with every field in order, values by the column type. */
static size_t predict_message(const predict_case *pc, char *out, size_t cap, int seed)
{
    size_t n = (size_t)snprintf(out, cap, "{");
    for (size_t i = 0; i < pc->count; i++) {
        const char *sep = i ? "," : "";
        if (i == 18)
            n += (size_t)snprintf(out + n, cap - n, "%s\"%s\":%d", sep, pc->sources[i], seed);
        else if (i % 2)
            n += (size_t)snprintf(out + n, cap - n, "%s\"%s\":\"v%d\"", sep, pc->sources[i],
                                  seed);
        else
            n += (size_t)snprintf(out + n, cap - n, "%s\"%s\":%d", sep, pc->sources[i], seed);
        CHECK(n < cap);
    }
    n += (size_t)snprintf(out + n, cap - n, "}");
    CHECK(n < cap);
    return n;
}

TEST(key_prediction_agrees_with_a_fresh_plan_at_every_cut)
{
    for (int collect = 0; collect < 2; collect++) {
        predict_case pc;
        predict_case_init(&pc, collect == 1);
        ls_jsonscan_plan *learned = predict_plan(&pc);
        char text[2048];
        size_t len = predict_message(&pc, text, sizeof text, 7);
        /* Learn the order, then every prefix of the message. */
        predict_agrees(&pc, learned, text, len);
        predict_agrees(&pc, learned, text, len);
        for (size_t n = 0; n <= len; n++)
            predict_agrees(&pc, learned, text, n);
        /* Each member alone as the whole message: the predicted key is
         * the last one, n bytes from the end. */
        predict_agrees(&pc, learned, text, len);
        for (size_t i = 0; i < pc.count; i++) {
            char one[128];
            int m = snprintf(one, sizeof one, "{\"%s\":1}", pc.sources[i]);
            predict_agrees(&pc, learned, one, (size_t)m);
        }
        /* The learned order broken at each member in turn: the key is
         * replaced by a longer one sharing its bytes, then by a shorter one,
         * then spaced out from its ':'; the conversion error of "num". */
        for (size_t i = 0; i < pc.count; i++) {
            predict_agrees(&pc, learned, text, len);
            char edited[2048], key[40];
            snprintf(key, sizeof key, "\"%s\"", pc.sources[i]);
            const char *at = strstr(text, key);
            CHECK(at);
            size_t pre = (size_t)(at - text), klen = strlen(key);
            const char *edits[] = {"x\"", "\"", "\" "};
            for (size_t e = 0; e < 3; e++) {
                size_t cut = e == 1 ? klen - 2 : klen - 1;
                int m = snprintf(edited, sizeof edited, "%.*s%s%s", (int)(pre + cut), text,
                                 edits[e], text + pre + klen);
                predict_agrees(&pc, learned, edited, (size_t)m);
                predict_agrees(&pc, learned, text, len);
                for (size_t n = pre; n <= pre + klen + 2 && n <= (size_t)m; n++)
                    predict_agrees(&pc, learned, edited, n);
            }
        }
        /* "num":"x8": a string where a bigint goes, a conversion error. */
        char bad[2048];
        size_t bad_len = predict_message(&pc, text, sizeof text, 8);
        const char *num = strstr(text, "\"num\":8");
        CHECK(num);
        bad_len = (size_t)snprintf(bad, sizeof bad, "%.*s\"num\":\"x8\"}", (int)(num - text),
                                   text);
        predict_agrees(&pc, learned, bad, bad_len);
        ls_code rc;
        ls_jsonscan_error record;
        ls_column_batch_free(predict_scan(&pc, learned, bad, bad_len, &rc, &record));
        CHECK_EQ_INT(rc, LS_ERR_INVALID);
        CHECK_EQ_STR(record.field, "num");
        ls_jsonscan_plan_free(learned);
    }
}
