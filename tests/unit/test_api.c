#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "api_dest.h"
#include "api_handlers.h"
#include "api_jobspec.h"
#include "api_json.h"
#include "api_usage_cache.h"
#include "testing.h"

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    if (!doc)
        testing_fail(__FILE__, __LINE__, "bad test JSON: %s", jerr.text);
    return doc;
}

/* Runs the job syntax check on text and returns the error (code and field). */
static ls_error check_job(const char *text)
{
    json_t *doc = parse(text);
    api_job_spec spec;
    ls_error err = {0};
    ls_code rc = api_jobspec_check(doc, &spec, &err);
    CHECK_EQ_INT(rc, err.code);
    api_jobspec_wipe(&spec);
    json_decref(doc);
    return err;
}

#define JOB_HEAD "{\"data_source_id\":\"ds_1\",\"database\":\"db\",\"table\":\"t\","
#define MANAGED "\"destination\":{\"type\":\"managed\"},"
#define FIELDS                                                                                     \
    "\"fields\":[{\"source\":\"a.b\",\"type\":\"int\"},{\"source\":\"__kafka_timestamp__\","       \
    "\"name\":\"ts\",\"type\":\"timestamptz\"}]"

static void expect_field(const char *job, const char *field)
{
    ls_error err = check_job(job);
    if (err.code != LS_ERR_INVALID || strcmp(err.field, field) != 0)
        testing_fail(__FILE__, __LINE__, "%s: got code %d field '%s' (%s), expected '%s'", job,
                     err.code, err.field, err.message, field);
}

TEST(rfc3339)
{
    CHECK(api_rfc3339_valid("2026-11-23T10:15:30Z"));
    CHECK(api_rfc3339_valid("2024-02-29T00:00:00.5+08:00"));
    CHECK(api_rfc3339_valid("2026-11-23t10:15:60z"));
    CHECK(!api_rfc3339_valid("2025-02-29T00:00:00Z"));
    CHECK(!api_rfc3339_valid("2026-11-23T10:15:30"));
    CHECK(!api_rfc3339_valid("2026-11-23T10:15:30.Z"));
    CHECK(!api_rfc3339_valid("2026-11-23T10:15Z"));
    CHECK(!api_rfc3339_valid("2026-11-23T10:15:30+8:00"));
    CHECK(!api_rfc3339_valid("2026-11-23T10:15:30Zjunk"));
    CHECK(!api_rfc3339_valid(""));
}

TEST(dest_parse_and_normalize)
{
    api_dest_uri uri;
    ls_error err = {0};
    CHECK_OK(api_dest_parse("file:///data/t", "p", &uri, &err), &err);
    CHECK_EQ_STR(uri.normalized, "file:///data/t/");
    CHECK_EQ_INT(uri.scheme, API_SCHEME_FILE);
    CHECK_OK(api_dest_parse("file://localhost/data/t/", "p", &uri, &err), &err);
    CHECK_EQ_STR(uri.normalized, "file:///data/t/");
    CHECK_OK(api_dest_parse("s3://my.bucket-1/a/b", "p", &uri, &err), &err);
    CHECK_EQ_STR(uri.normalized, "s3://my.bucket-1/a/b/");
    CHECK_OK(api_dest_parse("oss://bucket", "p", &uri, &err), &err);
    CHECK_EQ_STR(uri.normalized, "oss://bucket/");
    const char *bad[] = {"file://host/x", "file:///",         "file:///a/../b",    "file:///a//b",
                         "s3://ab/x",     "s3://Bucket/x",    "oss://my.bucket/x", "s3://-bucket/x",
                         "gs://b/x",      "s3://bucket/a/?q", "file:///a/b\\c",    ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ls_error_clear(&err);
        CHECK_EQ_INT(api_dest_parse(bad[i], "destination.path", &uri, &err), LS_ERR_INVALID);
        CHECK_EQ_STR(err.field, "destination.path");
    }
}

TEST(dest_overlap_on_segments)
{
    CHECK(!api_dest_overlap("oss://b/test/sls1/", "oss://b/test/sls1x/"));
    CHECK(api_dest_overlap("oss://b/test/a/", "oss://b/test/a/b/"));
    CHECK(api_dest_overlap("oss://b/test/a/b/", "oss://b/test/a/"));
    CHECK(api_dest_overlap("oss://b/x/", "oss://b/x/"));
    CHECK(!api_dest_overlap("s3://b/x/", "oss://b/x/"));
    CHECK(!api_dest_overlap("s3://bb/x/", "s3://b/x/"));
}

TEST(dest_local_emptiness)
{
    ls_api api;
    memset(&api, 0, sizeof api);
    char path[600];
    api_dest_uri uri;
    ls_error err = {0};
    snprintf(path, sizeof path, "file://%s/dest", testing_tmpdir());
    CHECK_OK(api_dest_parse(path, "destination.path", &uri, &err), &err);
    ls_api_store_access access = {0};
    CHECK_OK(api_dest_check_empty(&api, &uri, &access, "destination.path", &err),
             &err); /* absent */
    snprintf(path, sizeof path, "%s/dest", testing_tmpdir());
    CHECK(mkdir(path, 0700) == 0);
    CHECK_OK(api_dest_check_empty(&api, &uri, &access, "destination.path", &err), &err); /* empty */
    snprintf(path, sizeof path, "%s/dest/f", testing_tmpdir());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fclose(f);
    CHECK_EQ_INT(api_dest_check_empty(&api, &uri, &access, "destination.path", &err),
                 LS_ERR_UNPROCESSABLE);
    CHECK_EQ_STR(err.field, "destination.path");
    /* Object stores are not checked until the object-store client is wired. */
    ls_error_clear(&err);
    CHECK_OK(api_dest_parse("s3://bucket/x/", "p", &uri, &err), &err);
    CHECK_OK(api_dest_check_empty(&api, &uri, &access, "destination.path", &err), &err);
}

static ls_code always_full(void *ctx, const char *uri, const ls_api_store_access *access,
                           bool *empty, ls_error *err)
{
    (void)err;
    *(int *)ctx += 1;
    CHECK_EQ_STR(uri, "s3://bucket/x/");
    CHECK_EQ_STR(access->region, "eu-west-1");
    *empty = false;
    return LS_OK;
}

static ls_code unreachable(void *ctx, const char *uri, const ls_api_store_access *access,
                           bool *empty, ls_error *err)
{
    (void)ctx;
    (void)uri;
    (void)access;
    (void)empty;
    return ls_error_set(err, LS_ERR_UNAUTHENTICATED, "no credentials found");
}

TEST(dest_object_store_hook)
{
    int calls = 0;
    ls_api api;
    memset(&api, 0, sizeof api);
    api.prefix_empty = always_full;
    api.prefix_empty_ctx = &calls;
    api_dest_uri uri;
    ls_error err = {0};
    ls_api_store_access access = {.region = "eu-west-1"};
    CHECK_OK(api_dest_parse("s3://bucket/x", "p", &uri, &err), &err);
    CHECK_EQ_INT(api_dest_check_empty(&api, &uri, &access, "destination.path", &err),
                 LS_ERR_UNPROCESSABLE);
    CHECK_EQ_INT(calls, 1);
    /* Store failures are the destination's problem: 422, never 401. */
    ls_error_clear(&err);
    api.prefix_empty = unreachable;
    CHECK_EQ_INT(api_dest_check_empty(&api, &uri, &access, "destination.path", &err),
                 LS_ERR_UNPROCESSABLE);
    CHECK_EQ_STR(err.field, "destination.path");
    CHECK(strstr(err.message, "no credentials found") != NULL);
}

TEST(jobspec_valid_job_is_normalized)
{
    json_t *doc =
        parse(JOB_HEAD MANAGED
              "\"fields\":[{\"source\":\"a.b\",\"type\":\"DECIMAL(10, 2)\"},"
              "{\"source\":\"__kafka_timestamp__\",\"name\":\"ts\",\"type\":\"timestamptz\"}],"
              "\"partition\":[{\"source\":\"ts\",\"transform\":\"bucket[8]\"}]}");
    api_job_spec spec;
    ls_error err = {0};
    CHECK_OK(api_jobspec_check(doc, &spec, &err), &err);
    CHECK(spec.managed);
    CHECK(!spec.paimon);
    CHECK_EQ_INT(spec.acus, 2);
    json_t *f0 = json_array_get(json_object_get(doc, "fields"), 0);
    CHECK_EQ_STR(json_string_value(json_object_get(f0, "name")), "a_b");
    CHECK_EQ_STR(json_string_value(json_object_get(f0, "type")), "decimal(10,2)");
    json_t *p0 = json_array_get(json_object_get(doc, "partition"), 0);
    CHECK_EQ_STR(json_string_value(json_object_get(p0, "name")), "ts_bucket");
    CHECK_EQ_INT(json_integer_value(json_object_get(doc, "parse_levels")), 1);
    CHECK_EQ_INT(
        json_integer_value(json_object_get(json_object_get(doc, "advanced"), "commit_interval_s")),
        300);
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(doc, "advanced"),
                                                   "schema_evolution")),
                 "add_columns");
    api_jobspec_wipe(&spec);
    json_decref(doc);
}

TEST(jobspec_secret_moves_out_of_the_document)
{
    json_t *doc = parse(JOB_HEAD "\"destination\":{\"type\":\"user_path\",\"path\":\"s3://bkt/p/\","
                                 "\"secret_access_key\":\"s3cr3t\"}," FIELDS "}");
    api_job_spec spec;
    ls_error err = {0};
    CHECK_OK(api_jobspec_check(doc, &spec, &err), &err);
    CHECK(spec.secret_set);
    CHECK_EQ_STR(spec.secret, "s3cr3t");
    char *text = json_dumps(doc, 0);
    CHECK(strstr(text, "s3cr3t") == NULL);
    free(text);
    api_jobspec_wipe(&spec);
    CHECK(spec.secret[0] == 0);
    json_decref(doc);
}

TEST(jobspec_rules_name_their_field)
{
    expect_field(JOB_HEAD "\"destination\":{\"type\":\"managed\",\"format\":\"paimon\"}," FIELDS
                          "}",
                 "destination.format");
    expect_field(JOB_HEAD "\"destination\":{\"type\":\"user_path\"}," FIELDS "}",
                 "destination.path");
    expect_field(JOB_HEAD MANAGED FIELDS ",\"parse_levels\":5}", "parse_levels");
    expect_field(JOB_HEAD MANAGED FIELDS ",\"sync\":{\"acus\":1}}", "sync.acus");
    expect_field(JOB_HEAD MANAGED FIELDS ",\"sync\":{\"start\":{\"mode\":\"timestamp\"}}}",
                 "sync.start.timestamp");
    expect_field(JOB_HEAD MANAGED FIELDS ",\"advanced\":{\"commit_interval_s\":0}}",
                 "advanced.commit_interval_s");
    expect_field(JOB_HEAD MANAGED FIELDS ",\"advanced\":{\"schema_evolution\":\"drop\"}}",
                 "advanced.schema_evolution");
    expect_field(JOB_HEAD MANAGED FIELDS ",\"advanced\":{\"error_policy\":\"ignore\"}}",
                 "advanced.error_policy");
    expect_field(JOB_HEAD MANAGED FIELDS ",\"advanced\":{\"max_error_ratio\":-0.1}}",
                 "advanced.max_error_ratio");
    expect_field(JOB_HEAD MANAGED FIELDS ",\"advanced\":{\"max_error_ratio\":\"1\"}}",
                 "advanced.max_error_ratio");
    expect_field(JOB_HEAD MANAGED FIELDS ",\"advanced\":{\"error_window\":0}}",
                 "advanced.error_window");
    expect_field("{\"data_source_id\":\"ds_1\",\"database\":\"db\",\"table\":\"t__dlq\","
                 MANAGED FIELDS "}",
                 "table");
    expect_field(JOB_HEAD MANAGED FIELDS ",\"advanced\":{\"ignored_sources\":[\"a\",3]}}",
                 "advanced.ignored_sources");
    expect_field(JOB_HEAD MANAGED "\"fields\":[{\"source\":\"a\",\"type\":\"text\"}]}",
                 "fields[0].type");
    expect_field(JOB_HEAD MANAGED "\"fields\":[{\"source\":\"a\",\"type\":\"int\"},"
                                  "{\"source\":\"b\",\"name\":\"a\",\"type\":\"int\"}]}",
                 "fields[1].name");
    expect_field(JOB_HEAD MANAGED FIELDS
                 ",\"partition\":[{\"source\":\"a_b\",\"transform\":\"day\"}]}",
                 "partition[0].transform");
    expect_field(JOB_HEAD MANAGED FIELDS
                 ",\"partition\":[{\"source\":\"zz\",\"transform\":\"day\"}]}",
                 "partition[0].source");
    expect_field(JOB_HEAD "\"destination\":{\"type\":\"user_path\",\"format\":\"paimon\","
                          "\"path\":\"s3://bkt/p/\"}," FIELDS
                          ",\"partition\":[{\"source\":\"ts\",\"transform\":\"day\"}]}",
                 "partition[0].transform");
    expect_field(JOB_HEAD MANAGED FIELDS ",\"etag\":\"x\"}", "etag");
    expect_field(JOB_HEAD MANAGED FIELDS ",\"extra\":1}", "extra");
}

TEST(json_helpers)
{
    json_t *doc =
        parse("{\"s\":\"x\",\"e\":\"\",\"i\":7,\"b\":true,\"n\":null,\"c\":\"a\\u0001\"}");
    const char *s = NULL;
    int64_t i = 0;
    bool present = false, b = false;
    ls_error err = {0};
    CHECK_OK(api_json_string(doc, "", "s", true, 8, &s, &err), &err);
    CHECK_EQ_STR(s, "x");
    CHECK_OK(api_json_string(doc, "", "n", false, 8, &s, &err), &err);
    CHECK(s == NULL);
    CHECK_OK(api_json_text(doc, "", "e", 8, &s, &err), &err);
    CHECK_EQ_STR(s, "");
    CHECK_EQ_INT(api_json_string(doc, "outer", "e", true, 8, &s, &err), LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "outer.e");
    ls_error_clear(&err);
    CHECK_EQ_INT(api_json_string(doc, "", "c", true, 8, &s, &err), LS_ERR_INVALID);
    ls_error_clear(&err);
    CHECK_OK(api_json_int(doc, "", "i", true, 0, 10, &i, &present, &err), &err);
    CHECK(present && i == 7);
    CHECK_EQ_INT(api_json_int(doc, "", "i", true, 8, 10, &i, NULL, &err), LS_ERR_INVALID);
    ls_error_clear(&err);
    CHECK_EQ_INT(api_json_int(doc, "", "s", true, 0, 10, &i, NULL, &err), LS_ERR_INVALID);
    ls_error_clear(&err);
    CHECK_OK(api_json_bool(doc, "", "b", &b, &err), &err);
    CHECK(b);
    static const char *const allowed[] = {"s", "e", "i", "b", "n", NULL};
    CHECK_EQ_INT(api_json_only(doc, "x", allowed, &err), LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "x.c");
    json_decref(doc);
    CHECK(api_identifier_valid("_a1", 8));
    CHECK(!api_identifier_valid("1a", 8));
    CHECK(!api_identifier_valid("abcdefghi", 8));
    CHECK(api_lower_identifier_valid("db_1", 8));
    CHECK(!api_lower_identifier_valid("Db", 8));
}

TEST(ids_and_names)
{
    char id[64];
    ls_error err = {0};
    CHECK_OK(api_new_id("job_", id, sizeof id, &err), &err);
    CHECK_EQ_INT(strlen(id), 24);
    CHECK(api_id_valid(id));
    CHECK(!api_id_valid(""));
    CHECK(!api_id_valid(".."));
    CHECK(!api_id_valid("a/b"));
    CHECK(!api_id_valid("ABC"));
    char name[64];
    api_auto_name("kafka", 1, name, sizeof name);
    CHECK_EQ_INT(strlen(name), strlen("kafka_20261123_101530"));
    api_auto_name("kafka", 3, name, sizeof name);
    CHECK(strcmp(name + strlen(name) - 2, "_3") == 0);
}

TEST(route_table_is_well_formed)
{
    /* Every pattern is under a prefix ls_api_handle dispatches (/api/v1/ for
     * people, /internal/v1/ for workers, /iceberg/v1/ for engines, /metrics
     * for Prometheus), parameters are whole segments, and no (method,
     * pattern) pair repeats. */
    for (const ls_api_route *r = ls_api_routes; r->method; r++) {
        CHECK(strncmp(r->pattern, "/api/v1/", 8) == 0 ||
              strncmp(r->pattern, "/internal/v1/", 13) == 0 ||
              strncmp(r->pattern, "/iceberg/v1/", 12) == 0 || strcmp(r->pattern, "/metrics") == 0);
        CHECK(r->handler != NULL);
        for (const char *p = strchr(r->pattern, '{'); p; p = strchr(p + 1, '{'))
            CHECK(p[-1] == '/' && strchr(p, '}') &&
                  (strchr(p, '}')[1] == '/' || strchr(p, '}')[1] == '\0'));
        for (const ls_api_route *o = ls_api_routes; o != r; o++)
            CHECK(strcmp(o->method, r->method) != 0 || strcmp(o->pattern, r->pattern) != 0);
    }
}

/* ---- api_usage_cache ---------------------------------------------------- */

static api_table_usage usage_of(int64_t n)
{
    return (api_table_usage){.snapshot_id = n, .files = n + 1, .bytes = n * 100, .records = n * 7};
}

static bool usage_equal(api_table_usage a, api_table_usage b)
{
    return a.snapshot_id == b.snapshot_id && a.files == b.files && a.bytes == b.bytes &&
           a.records == b.records;
}

TEST(usage_cache_hit_and_pointer_change)
{
    ls_error err = {0};
    api_usage_cache *c = NULL;
    CHECK_OK(api_usage_cache_new(4, &c, &err), &err);
    api_table_usage got = usage_of(0), one = usage_of(1), two = usage_of(2);
    CHECK(!api_usage_cache_get(c, "db", "t", "s3://b/t/metadata/v1.metadata.json", &got));
    api_usage_cache_put(c, "db", "t", "s3://b/t/metadata/v1.metadata.json", &one);
    CHECK(api_usage_cache_get(c, "db", "t", "s3://b/t/metadata/v1.metadata.json", &got));
    CHECK(usage_equal(got, one));
    /* A commit moved the pointer: the old figures are not answered. */
    CHECK(!api_usage_cache_get(c, "db", "t", "s3://b/t/metadata/v2.metadata.json", &got));
    api_usage_cache_put(c, "db", "t", "s3://b/t/metadata/v2.metadata.json", &two);
    CHECK_EQ_INT(api_usage_cache_count(c), 1); /* the new pointer replaced the old */
    CHECK(!api_usage_cache_get(c, "db", "t", "s3://b/t/metadata/v1.metadata.json", &got));
    CHECK(api_usage_cache_get(c, "db", "t", "s3://b/t/metadata/v2.metadata.json", &got));
    CHECK(usage_equal(got, two));
    /* The same pointer text under another table, or split differently
     * between database and table, is another entry. */
    CHECK(!api_usage_cache_get(c, "db2", "t", "s3://b/t/metadata/v2.metadata.json", &got));
    api_usage_cache_put(c, "a.b", "c", "p", &one);
    CHECK(!api_usage_cache_get(c, "a", "b.c", "p", &got));
    CHECK(!api_usage_cache_get(c, "a.b", "c", "q", &got));
    CHECK(api_usage_cache_get(c, "a.b", "c", "p", &got) && usage_equal(got, one));
    api_usage_cache_free(c);
    CHECK(api_usage_cache_new(0, &c, &err) == LS_ERR_INVALID && !c);
}

TEST(usage_cache_bound_evicts_least_recently_used)
{
    ls_error err = {0};
    api_usage_cache *c = NULL;
    CHECK_OK(api_usage_cache_new(3, &c, &err), &err);
    api_table_usage got;
    char table[16];
    for (int i = 1; i <= 3; i++) {
        api_table_usage u = usage_of(i);
        snprintf(table, sizeof table, "t%d", i);
        api_usage_cache_put(c, "db", table, "p", &u);
    }
    CHECK(api_usage_cache_get(c, "db", "t1", "p", &got)); /* t2 is now the least recent */
    api_table_usage four = usage_of(4);
    api_usage_cache_put(c, "db", "t4", "p", &four);
    CHECK_EQ_INT(api_usage_cache_count(c), 3);
    CHECK(!api_usage_cache_get(c, "db", "t2", "p", &got));
    CHECK(api_usage_cache_get(c, "db", "t1", "p", &got) && usage_equal(got, usage_of(1)));
    CHECK(api_usage_cache_get(c, "db", "t3", "p", &got) && usage_equal(got, usage_of(3)));
    CHECK(api_usage_cache_get(c, "db", "t4", "p", &got) && usage_equal(got, usage_of(4)));
    /* Many more tables: still three entries, the last three put. */
    for (int i = 5; i <= 100; i++) {
        api_table_usage u = usage_of(i);
        snprintf(table, sizeof table, "t%d", i);
        api_usage_cache_put(c, "db", table, "p", &u);
    }
    CHECK_EQ_INT(api_usage_cache_count(c), 3);
    for (int i = 1; i <= 100; i++) {
        snprintf(table, sizeof table, "t%d", i);
        bool hit = api_usage_cache_get(c, "db", table, "p", &got);
        CHECK(hit == (i >= 98));
        CHECK(!hit || usage_equal(got, usage_of(i)));
    }
    api_usage_cache_free(c);
}

/* Threads put and get over more tables than the cache holds; a hit must
 * always be the figures put for that exact pointer. */
typedef struct usage_thread_arg {
    api_usage_cache *cache;
    int seed, wrong;
} usage_thread_arg;

static void *usage_thread(void *p)
{
    usage_thread_arg *a = p;
    char table[16], pointer[32];
    for (int i = 0; i < 20000; i++) {
        int t = (i * 7 + a->seed) % 9, v = (i / 9 + a->seed) % 3;
        snprintf(table, sizeof table, "t%d", t);
        snprintf(pointer, sizeof pointer, "v%d", v);
        api_table_usage got, want = usage_of(t * 10 + v);
        if (api_usage_cache_get(a->cache, "db", table, pointer, &got))
            a->wrong += !usage_equal(got, want);
        else
            api_usage_cache_put(a->cache, "db", table, pointer, &want);
    }
    return NULL;
}

TEST(usage_cache_threads)
{
    ls_error err = {0};
    api_usage_cache *c = NULL;
    CHECK_OK(api_usage_cache_new(5, &c, &err), &err);
    pthread_t threads[4];
    usage_thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (usage_thread_arg){.cache = c, .seed = i};
        CHECK(pthread_create(&threads[i], NULL, usage_thread, &args[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        CHECK_EQ_INT(args[i].wrong, 0);
    }
    CHECK_EQ_INT(api_usage_cache_count(c), 5);
    api_usage_cache_free(c);
}
