/* Schema evolution's pure pieces: the policies, the widenings, the worker's
 * new fields of a message and the server's application of a proposal to a
 * job's fields (names, types, policy, idempotence). */
#include "testing.h"

#include <jansson.h>

#include "schema_evolve.h"

static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    CHECK(v != NULL);
    return v;
}

static char *dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

TEST(policies_parse_with_add_columns_the_default)
{
    ls_schema_evolution p;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_schema_evolution_parse(NULL, &p, &err), &err);
    CHECK_EQ_INT(p, LS_EVOLUTION_ADD_COLUMNS);
    CHECK_OK(ls_schema_evolution_parse("add_and_widen", &p, &err), &err);
    CHECK_EQ_INT(p, LS_EVOLUTION_ADD_AND_WIDEN);
    CHECK_OK(ls_schema_evolution_parse("none", &p, &err), &err);
    CHECK_EQ_STR(ls_schema_evolution_name(p), "none");
    CHECK(ls_schema_evolution_parse("drop", &p, &err) == LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "schema_evolution");
}

TEST(widenings_are_the_iceberg_promotions)
{
    ls_type to;
    CHECK(ls_schema_evolve_widened((ls_type){.kind = LS_TYPE_INT}, &to));
    CHECK_EQ_INT(to.kind, LS_TYPE_BIGINT);
    CHECK(ls_schema_evolve_widened((ls_type){.kind = LS_TYPE_FLOAT}, &to));
    CHECK_EQ_INT(to.kind, LS_TYPE_DOUBLE);
    CHECK(ls_schema_evolve_widened((ls_type){.kind = LS_TYPE_DECIMAL, .precision = 10, .scale = 2},
                                   &to));
    CHECK_EQ_INT(to.precision, 38);
    CHECK_EQ_INT(to.scale, 2);
    CHECK(ls_type_promotes((ls_type){.kind = LS_TYPE_DECIMAL, .precision = 10, .scale = 2}, to));
    CHECK(!ls_schema_evolve_widened((ls_type){.kind = LS_TYPE_BIGINT}, &to));
    CHECK(!ls_schema_evolve_widened((ls_type){.kind = LS_TYPE_STRING}, &to));
    CHECK(!ls_schema_evolve_widened((ls_type){.kind = LS_TYPE_DECIMAL, .precision = 38}, &to));
    CHECK(!ls_type_promotes((ls_type){.kind = LS_TYPE_INT}, (ls_type){.kind = LS_TYPE_DOUBLE}));
}

TEST(additions_are_typed_as_inference_types_one_value)
{
    const char *msg = "{\"id\":1,\"device\":{\"model\":\"x1\",\"seen\":\"2026-01-02T03:04:05Z\","
                      "\"n\":7,\"gone\":null},\"tags\":[1,2],\"r\":1.5}";
    const char *sources[] = {"device.model", "device.seen", "device.n", "device.gone", "tags", "r"};
    json_t *add = NULL;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_schema_evolve_additions((const uint8_t *)msg, strlen(msg), 2, sources, 6, &add,
                                        &err),
             &err);
    char *text = dump(add);
    /* "gone" is only null here: left for a message that gives it a value. */
    CHECK_EQ_STR(text, "[{\"source\":\"device.model\",\"type\":\"string\"},"
                       "{\"source\":\"device.seen\",\"type\":\"timestamptz\"},"
                       "{\"source\":\"device.n\",\"type\":\"bigint\"},"
                       "{\"source\":\"tags\",\"type\":\"string\"},"
                       "{\"source\":\"r\",\"type\":\"double\"}]");
    free(text);
    json_decref(add);
    CHECK(ls_schema_evolve_additions((const uint8_t *)"[1]", 3, 1, sources, 6, &add, &err) ==
          LS_ERR_INVALID);
}

#define FIELDS                                                                                    \
    "[{\"source\":\"id\",\"name\":\"id\",\"type\":\"int\"},"                                      \
    "{\"source\":\"device.os\",\"name\":\"device_os\",\"type\":\"string\"}]"

TEST(apply_adds_named_columns_and_skips_known_sources)
{
    json_t *fields = load(FIELDS);
    json_t *proposal = load("{\"add\":[{\"source\":\"device.model\",\"type\":\"string\"},"
                            "{\"source\":\"device\\\\.os\",\"type\":\"bigint\"},"
                            "{\"source\":\"device.os\",\"type\":\"bigint\"}]}");
    json_t *out = NULL;
    char summary[LS_EVOLUTION_SUMMARY_MAX];
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_schema_evolve_apply(fields, NULL, 2, LS_EVOLUTION_ADD_COLUMNS, proposal, 4096, &out,
                                    summary, sizeof summary, &err),
             &err);
    char *text = dump(out);
    /* The key "device.os" wants device_os too, which is taken: device_os_2. */
    CHECK_EQ_STR(text, "[{\"source\":\"id\",\"name\":\"id\",\"type\":\"int\"},"
                       "{\"source\":\"device.os\",\"name\":\"device_os\",\"type\":\"string\"},"
                       "{\"source\":\"device.model\",\"name\":\"device_model\",\"type\":\"string\"},"
                       "{\"source\":\"device\\\\.os\",\"name\":\"device_os_2\",\"type\":\"bigint\"}]");
    CHECK_EQ_STR(summary, "added column device_model (string) for 'device.model'; added column "
                          "device_os_2 (bigint) for 'device\\.os'");
    free(text);
    /* Applying it again (a second worker) changes nothing. */
    json_t *again = NULL;
    CHECK_OK(ls_schema_evolve_apply(out, NULL, 2, LS_EVOLUTION_ADD_COLUMNS, proposal, 4096, &again,
                                    summary, sizeof summary, &err),
             &err);
    CHECK(json_equal(out, again));
    CHECK_EQ_STR(summary, "");
    json_decref(again);
    /* A source the job leaves out on purpose is never added. */
    json_t *ignored = load("[\"device.model\"]");
    CHECK_OK(ls_schema_evolve_apply(fields, ignored, 2, LS_EVOLUTION_ADD_COLUMNS, proposal, 4096,
                                    &again, summary, sizeof summary, &err),
             &err);
    CHECK_EQ_INT(json_array_size(again), 3);
    CHECK_EQ_STR(summary, "added column device_os_2 (bigint) for 'device\\.os'");
    json_decref(again);
    json_decref(ignored);
    json_decref(out);
    json_decref(proposal);
    json_decref(fields);
}

TEST(apply_enforces_policy_levels_and_promotions)
{
    json_t *fields = load(FIELDS);
    json_t *out = NULL;
    char summary[LS_EVOLUTION_SUMMARY_MAX];
    ls_error err;
    ls_error_clear(&err);
    json_t *widen = load("{\"widen\":[{\"field_id\":1,\"type\":\"bigint\"}]}");
    CHECK(ls_schema_evolve_apply(fields, NULL, 2, LS_EVOLUTION_ADD_COLUMNS, widen, 4096, &out, summary,
                                 sizeof summary, &err) == LS_ERR_CONFLICT);
    CHECK(strstr(err.message, "does not widen") != NULL);
    ls_error_clear(&err);
    CHECK_OK(ls_schema_evolve_apply(fields, NULL, 2, LS_EVOLUTION_ADD_AND_WIDEN, widen, 4096, &out,
                                    summary, sizeof summary, &err),
             &err);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(out, 0), "type")), "bigint");
    CHECK_EQ_STR(summary, "widened column id from int to bigint");
    json_decref(out);
    json_t *narrow = load("{\"widen\":[{\"field_id\":2,\"type\":\"int\"}]}");
    CHECK(ls_schema_evolve_apply(fields, NULL, 2, LS_EVOLUTION_ADD_AND_WIDEN, narrow, 4096, &out,
                                 summary, sizeof summary, &err) == LS_ERR_CONFLICT);
    CHECK(strstr(err.message, "cannot widen from string to int") != NULL);
    ls_error_clear(&err);
    json_t *add = load("{\"add\":[{\"source\":\"a.b.c\",\"type\":\"string\"}]}");
    CHECK(ls_schema_evolve_apply(fields, NULL, 2, LS_EVOLUTION_ADD_COLUMNS, add, 4096, &out, summary,
                                 sizeof summary, &err) == LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "add[0]");
    ls_error_clear(&err);
    CHECK(ls_schema_evolve_apply(fields, NULL, 3, LS_EVOLUTION_NONE, add, 4096, &out, summary,
                                 sizeof summary, &err) == LS_ERR_CONFLICT);
    ls_error_clear(&err);
    CHECK(ls_schema_evolve_apply(fields, NULL, 3, LS_EVOLUTION_ADD_COLUMNS, add, 2, &out, summary,
                                 sizeof summary, &err) == LS_ERR_CONFLICT);
    ls_error_clear(&err);
    json_t *bad = load("{\"add\":[{\"source\":\"x\",\"type\":\"text\"}]}");
    CHECK(ls_schema_evolve_apply(fields, NULL, 3, LS_EVOLUTION_ADD_COLUMNS, bad, 4096, &out, summary,
                                 sizeof summary, &err) == LS_ERR_INVALID);
    json_decref(bad);
    json_decref(add);
    json_decref(narrow);
    json_decref(widen);
    json_decref(fields);
}

TEST(long_sources_get_names_the_api_accepts)
{
    char source[301], proposal_text[400];
    memset(source, 'a', 300);
    source[300] = '\0';
    snprintf(proposal_text, sizeof proposal_text, "{\"add\":[{\"source\":\"%s\",\"type\":\"int\"}]}",
             source);
    json_t *fields = load(FIELDS), *proposal = load(proposal_text), *out = NULL, *again = NULL;
    char summary[LS_EVOLUTION_SUMMARY_MAX];
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_schema_evolve_apply(fields, NULL, 1, LS_EVOLUTION_ADD_COLUMNS, proposal, 4096, &out,
                                    summary, sizeof summary, &err),
             &err);
    const char *name = json_string_value(json_object_get(json_array_get(out, 2), "name"));
    CHECK_EQ_INT(strlen(name), LS_EVOLUTION_NAME_MAX - 8);
    /* Another long source with the same prefix: a suffix, still short enough. */
    source[299] = 'b';
    snprintf(proposal_text, sizeof proposal_text, "{\"add\":[{\"source\":\"%s\",\"type\":\"int\"}]}",
             source);
    json_decref(proposal);
    proposal = load(proposal_text);
    CHECK_OK(ls_schema_evolve_apply(out, NULL, 1, LS_EVOLUTION_ADD_COLUMNS, proposal, 4096, &again,
                                    summary, sizeof summary, &err),
             &err);
    name = json_string_value(json_object_get(json_array_get(again, 3), "name"));
    CHECK(strlen(name) <= LS_EVOLUTION_NAME_MAX);
    CHECK_EQ_STR(name + LS_EVOLUTION_NAME_MAX - 8, "_2");
    json_decref(again);
    json_decref(out);
    json_decref(proposal);
    json_decref(fields);
}
