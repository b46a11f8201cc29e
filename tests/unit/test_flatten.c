#include "testing.h"

#include "flatten.h"

#define SEED_DIR LAKESYNC_SOURCE_DIR "/tests/data/jsonscan_seed/"

static void flatten_ok(const char *json, size_t len, int level, ls_flat_result *out)
{
    ls_jsonscan_error record;
    ls_error err;
    ls_error_clear(&err);
    ls_code rc = ls_flatten((const uint8_t *)json, len, level, out, &record, &err);
    if (rc)
        testing_fail(__FILE__, __LINE__, "flatten failed: %s / %s", record.message, err.message);
}

/* Compares a result with a golden TSV: source, name, value per line. */
static void check_golden(const ls_flat_result *r, const char *tsv_path)
{
    size_t len;
    char *tsv = testing_read_file(tsv_path, &len);
    size_t line_no = 0;
    char *cursor = tsv;
    while (*cursor) {
        char *end = strchr(cursor, '\n');
        CHECK(end);
        *end = '\0';
        char *tab1 = strchr(cursor, '\t');
        CHECK(tab1);
        char *tab2 = strchr(tab1 + 1, '\t');
        CHECK(tab2);
        *tab1 = *tab2 = '\0';
        CHECK(line_no < r->count);
        const ls_flat_field *f = &r->fields[line_no];
        CHECK_EQ_STR(f->source, cursor);
        CHECK_EQ_STR(f->name, tab1 + 1);
        CHECK_EQ_STR(f->value, tab2 + 1);
        line_no++;
        cursor = end + 1;
    }
    CHECK_EQ_INT(r->count, line_no);
    CHECK_EQ_INT(r->collision_count, 0);
    free(tsv);
}

TEST(seed_tables_levels_0_to_4)
{
    size_t len;
    char *json = testing_read_file(SEED_DIR "seed_quoted.json", &len);
    for (int level = 0; level <= 4; level++) {
        ls_flat_result r;
        flatten_ok(json, len, level, &r);
        char path[256];
        snprintf(path, sizeof path, SEED_DIR "level%d.tsv", level);
        check_golden(&r, path);
        ls_flat_result_cleanup(&r);
    }
    free(json);
}

TEST(seed_kinds)
{
    size_t len;
    char *json = testing_read_file(SEED_DIR "seed_quoted.json", &len);
    ls_flat_result r;
    flatten_ok(json, len, 2, &r);
    CHECK_EQ_INT(r.fields[0].kind, LS_JSON_STRING);
    CHECK_EQ_INT(r.fields[1].kind, LS_JSON_INTEGER);
    CHECK_EQ_INT(r.fields[2].kind, LS_JSON_OBJECT);
    ls_flat_result_cleanup(&r);
    free(json);
}

TEST(seed_unquoted_is_rejected)
{
    size_t len;
    char *json = testing_read_file(SEED_DIR "seed_unquoted.json", &len);
    for (int level = 0; level <= 4; level++) {
        ls_flat_result r;
        ls_jsonscan_error record;
        ls_error err;
        ls_error_clear(&err);
        CHECK(ls_flatten((const uint8_t *)json, len, level, &r, &record, &err) == LS_ERR_INVALID);
        CHECK_EQ_INT(record.kind, LS_JSONSCAN_INVALID_JSON);
        CHECK_EQ_INT(record.offset, (size_t)(strstr(json, "lag") - json));
        CHECK_EQ_INT(r.count, 0);
    }
    free(json);
}

TEST(collisions_are_resolved_and_reported)
{
    const char *json = "{\"a.b\":1,\"a\":{\"b\":2},\"a_b\":3,\"A_B\":4,\"a_b_2\":5,\"x\":{}}";
    ls_flat_result r;
    flatten_ok(json, strlen(json), 2, &r);
    const char *sources[] = {"a\\.b", "a.b", "a_b", "A_B", "a_b_2"};
    const char *names[] = {"a_b", "a_b_3", "a_b_4", "A_B_5", "a_b_2"};
    CHECK_EQ_INT(r.count, 5); /* "x":{} above the level yields no field */
    for (size_t i = 0; i < 5; i++) {
        CHECK_EQ_STR(r.fields[i].source, sources[i]);
        CHECK_EQ_STR(r.fields[i].name, names[i]);
    }
    CHECK_EQ_INT(r.collision_count, 3);
    CHECK_EQ_STR(r.collisions[0].source, "a.b");
    CHECK_EQ_STR(r.collisions[0].wanted, "a_b");
    CHECK_EQ_STR(r.collisions[0].assigned, "a_b_3");
    CHECK_EQ_STR(r.collisions[2].wanted, "A_B");
    CHECK_EQ_STR(r.collisions[2].assigned, "A_B_5");
    ls_flat_result_cleanup(&r);
}

TEST(duplicate_keys_keep_position_take_last_value)
{
    const char *json = "{\"a\":1,\"b\":2,\"a\":\"x\"}";
    ls_flat_result r;
    flatten_ok(json, strlen(json), 1, &r);
    CHECK_EQ_INT(r.count, 2);
    CHECK_EQ_STR(r.fields[0].source, "a");
    CHECK_EQ_STR(r.fields[0].value, "x");
    CHECK_EQ_INT(r.fields[0].kind, LS_JSON_STRING);
    ls_flat_result_cleanup(&r);
}

TEST(values_by_kind)
{
    const char *json = "{ \"n\" : null , \"t\":true, \"r\":-1.5e3, \"s\":\"a\\u0000b\\n\","
                       " \"arr\":[ 1, {\"a\" : [ ] } ], \"o\":{\"k\":{\"deep\":1}}}";
    ls_flat_result r;
    flatten_ok(json, strlen(json), 2, &r);
    CHECK_EQ_INT(r.count, 6);
    CHECK(r.fields[0].value == NULL);
    CHECK_EQ_INT(r.fields[0].kind, LS_JSON_NULL);
    CHECK_EQ_STR(r.fields[1].value, "true");
    CHECK_EQ_STR(r.fields[2].value, "-1.5e3");
    CHECK_EQ_INT(r.fields[2].kind, LS_JSON_REAL);
    CHECK_EQ_INT(r.fields[3].value_len, 4);
    CHECK_EQ_MEM(r.fields[3].value, "a\0b\n", 4);
    CHECK_EQ_STR(r.fields[4].value, "[1,{\"a\":[]}]");
    CHECK_EQ_STR(r.fields[5].source, "o.k");
    CHECK_EQ_STR(r.fields[5].value, "{\"deep\":1}");
    ls_flat_result_cleanup(&r);
}

TEST(not_an_object_above_level_0)
{
    ls_flat_result r;
    ls_jsonscan_error record;
    ls_error err;
    ls_error_clear(&err);
    CHECK(ls_flatten((const uint8_t *)"[1,2]", 5, 1, &r, &record, &err) == LS_ERR_INVALID);
    CHECK_EQ_INT(record.kind, LS_JSONSCAN_NOT_OBJECT);
    flatten_ok("[1,2]", 5, 0, &r);
    CHECK_EQ_INT(r.count, 1);
    CHECK_EQ_STR(r.fields[0].value, "[1,2]");
    CHECK_EQ_INT(r.fields[0].kind, LS_JSON_ARRAY);
    ls_flat_result_cleanup(&r);
    flatten_ok(" \"s\\n\" ", 7, 0, &r); /* level 0 is JSON text: quotes and escapes kept */
    CHECK_EQ_STR(r.fields[0].value, "\"s\\n\"");
    ls_flat_result_cleanup(&r);
}

TEST(too_many_fields)
{
    size_t cap = (LS_FLATTEN_MAX_FIELDS + 2) * 16;
    char *json = malloc(cap);
    CHECK(json);
    size_t n = 0;
    json[n++] = '{';
    for (int i = 0; i <= LS_FLATTEN_MAX_FIELDS; i++)
        n += (size_t)snprintf(json + n, cap - n, "%s\"f%d\":1", i ? "," : "", i);
    json[n++] = '}';
    ls_flat_result r;
    ls_jsonscan_error record;
    ls_error err;
    ls_error_clear(&err);
    CHECK(ls_flatten((const uint8_t *)json, n, 1, &r, &record, &err) == LS_ERR_TOO_LARGE);
    CHECK_EQ_INT(r.count, 0);
    free(json);
}

TEST(flatten_name)
{
    char out[16];
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_flatten_name("a\\.b.c\\\\", out, sizeof out, &err), &err);
    CHECK_EQ_STR(out, "a_b_c_");
    CHECK_OK(ls_flatten_name("9x-y \xc3\xa9z", out, sizeof out, &err), &err);
    CHECK_EQ_STR(out, "_9x_y__z");
    CHECK_OK(ls_flatten_name("", out, sizeof out, &err), &err);
    CHECK_EQ_STR(out, "_");
    CHECK(ls_flatten_name("0123456789abcdefgh", out, sizeof out, &err) == LS_ERR_TOO_LARGE);
}
