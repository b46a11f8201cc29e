#include "testing.h"

#include "schema_infer.h"

/* Infers over NUL-terminated samples and returns the result. */
static void infer_over(int level, const char *const *samples, size_t n, ls_infer_result *out)
{
    ls_schema_infer *infer;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_schema_infer_new(level, 0, &infer, &err), &err);
    for (size_t i = 0; i < n; i++)
        CHECK_OK(ls_schema_infer_add(infer, (const uint8_t *)samples[i], strlen(samples[i]), &err),
                 &err);
    CHECK_OK(ls_schema_infer_result(infer, out, &err), &err);
    ls_schema_infer_free(infer);
}

static const char *type_text(const ls_infer_result *r, const char *source)
{
    static char out[32];
    for (size_t i = 0; i < r->count; i++) {
        if (strcmp(r->fields[i].source, source) == 0)
            return ls_type_format(r->fields[i].type, out, sizeof out);
    }
    return "(missing)";
}

TEST(unification_table)
{
    const char *samples[] = {
        "{\"i\":1,\"n\":1,\"m\":1,\"b\":true,\"z\":null,\"t\":\"2024-01-01T00:00:00Z\","
        "\"tl\":\"2024-01-01T00:00:00\",\"d\":\"2024-01-01\",\"o\":{\"a\":1},\"a\":[1],"
        "\"big\":9223372036854775808,\"huge\":1234567890123456789012345678901234567890,"
        "\"s\":\"x\",\"ts_mixed\":\"2024-01-01T00:00:00+08:00\",\"r\":1.5}",
        "{\"i\":-9223372036854775808,\"n\":2.5,\"m\":\"x\",\"b\":false,\"z\":null,"
        "\"t\":\"2024-06-30T23:59:59.123456+08:00\",\"tl\":\"2024-01-01T00:00:00Z\","
        "\"d\":\"2024-02-29\",\"o\":{},\"a\":[],\"big\":1,\"huge\":1,\"s\":\"y\","
        "\"ts_mixed\":\"not a time\",\"r\":1e3}",
        "{\"i\":null,\"late\":true}",
    };
    ls_infer_result r;
    infer_over(1, samples, 3, &r);
    CHECK_EQ_STR(type_text(&r, "i"), "bigint");
    CHECK_EQ_STR(type_text(&r, "n"), "double");
    CHECK_EQ_STR(type_text(&r, "m"), "string");
    CHECK_EQ_STR(type_text(&r, "b"), "boolean");
    CHECK_EQ_STR(type_text(&r, "z"), "string");
    CHECK_EQ_STR(type_text(&r, "t"), "timestamptz");
    CHECK_EQ_STR(type_text(&r, "tl"), "timestamp");
    CHECK_EQ_STR(type_text(&r, "d"), "date");
    CHECK_EQ_STR(type_text(&r, "o"), "string");
    CHECK_EQ_STR(type_text(&r, "a"), "string");
    CHECK_EQ_STR(type_text(&r, "big"), "decimal(38,0)");
    CHECK_EQ_STR(type_text(&r, "huge"), "string");
    CHECK_EQ_STR(type_text(&r, "s"), "string");
    CHECK_EQ_STR(type_text(&r, "ts_mixed"), "string");
    CHECK_EQ_STR(type_text(&r, "r"), "double");
    CHECK_EQ_STR(type_text(&r, "late"), "boolean");
    /* First-seen order, counts and examples. */
    CHECK_EQ_STR(r.fields[0].source, "i");
    CHECK_EQ_INT(r.fields[0].present, 3);
    CHECK_EQ_INT(r.fields[0].nulls, 1);
    CHECK_EQ_STR(r.fields[0].example, "1");
    CHECK_EQ_STR(r.fields[r.count - 1].source, "late");
    CHECK_EQ_INT(r.fields[r.count - 1].present, 1);
    CHECK(r.fields[4].example == NULL); /* z: only nulls */
    CHECK_EQ_INT(r.samples, 3);
    CHECK_EQ_INT(r.invalid_samples, 0);
    ls_infer_result_cleanup(&r);
}

TEST(seed_message_at_each_level)
{
    size_t len;
    char *json =
        testing_read_file(LAKESYNC_SOURCE_DIR "/tests/data/jsonscan_seed/seed_quoted.json", &len);
    const char *samples[] = {json};
    const char *expect[5] = {
        "__value__:__value__:string",
        "name:name:string age:age:bigint device:device:string",
        "name:name:string age:age:bigint device.os:device_os:string "
        "device.brand:device_brand:string device.version:device_version:string",
        "name:name:string age:age:bigint device.os.test:device_os_test:string "
        "device.os.member:device_os_member:string device.brand:device_brand:string "
        "device.version:device_version:string",
        "name:name:string age:age:bigint device.os.test:device_os_test:string "
        "device.os.member.fa:device_os_member_fa:string "
        "device.os.member.mo:device_os_member_mo:string device.brand:device_brand:string "
        "device.version:device_version:string",
    };
    for (int level = 0; level <= 4; level++) {
        ls_infer_result r;
        infer_over(level, samples, 1, &r);
        char got[1024] = "";
        for (size_t i = 0; i < r.count; i++) {
            char type[32];
            size_t used = strlen(got);
            snprintf(got + used, sizeof got - used, "%s%s:%s:%s", i ? " " : "", r.fields[i].source,
                     r.fields[i].name, ls_type_format(r.fields[i].type, type, sizeof type));
        }
        CHECK_EQ_STR(got, expect[level]);
        ls_infer_result_cleanup(&r);
    }
    free(json);
}

TEST(invalid_samples_are_counted_and_skipped)
{
    const char *samples[] = {"{\"a\":1}", "{\"a\":lag}", "[1]", "\xff", "{\"a\":2.5}"};
    ls_infer_result r;
    infer_over(1, samples, 5, &r);
    CHECK_EQ_INT(r.samples, 5);
    CHECK_EQ_INT(r.invalid_samples, 3);
    CHECK_EQ_INT(r.first_invalid_index, 1);
    CHECK_EQ_INT(r.first_invalid.kind, LS_JSONSCAN_INVALID_JSON);
    CHECK_EQ_INT(r.first_invalid.offset, 5);
    CHECK_EQ_INT(r.count, 1);
    CHECK_EQ_STR(type_text(&r, "a"), "double");
    ls_infer_result_cleanup(&r);
}

TEST(collisions_across_samples)
{
    const char *samples[] = {"{\"a\":{\"b\":1}}", "{\"a.b\":\"x\",\"A_b\":true}"};
    ls_infer_result r;
    infer_over(2, samples, 2, &r);
    CHECK_EQ_INT(r.count, 3);
    CHECK_EQ_STR(r.fields[0].name, "a_b");
    CHECK_EQ_STR(r.fields[1].source, "a\\.b");
    CHECK_EQ_STR(r.fields[1].name, "a_b_2");
    CHECK_EQ_STR(r.fields[2].name, "A_b_3");
    CHECK_EQ_INT(r.collision_count, 2);
    ls_infer_result_cleanup(&r);
}

TEST(field_cap_and_bad_level)
{
    ls_schema_infer *infer;
    ls_error err;
    ls_error_clear(&err);
    CHECK(ls_schema_infer_new(5, 0, &infer, &err) == LS_ERR_INVALID);
    ls_error_clear(&err);
    CHECK_OK(ls_schema_infer_new(1, 2, &infer, &err), &err);
    const char *msg = "{\"a\":1,\"b\":2,\"c\":3}";
    CHECK(ls_schema_infer_add(infer, (const uint8_t *)msg, strlen(msg), &err) == LS_ERR_TOO_LARGE);
    ls_schema_infer_free(infer);
}

TEST(example_cut_on_utf8_boundary)
{
    char msg[600];
    size_t n = (size_t)snprintf(msg, sizeof msg, "{\"s\":\"a");
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(msg + n, sizeof msg - n, "\xc3\xa9");
    snprintf(msg + n, sizeof msg - n, "\"}");
    const char *samples[] = {msg};
    ls_infer_result r;
    infer_over(1, samples, 1, &r);
    CHECK_EQ_INT(strlen(r.fields[0].example), 255); /* 'a' + 127 two-byte characters */
    ls_infer_result_cleanup(&r);
}
