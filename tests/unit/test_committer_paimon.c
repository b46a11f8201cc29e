/* The committer's Paimon side against a real SQLite catalog and a real
 * file:// table: the table it creates and the snapshots it commits read back
 * through our Paimon reader; fenced or dishonest commits are refused and
 * write nothing; concurrent commits to one table serialize without loss. */
#include "testing.h"
#include "catalog_fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "committer.h"
#include "paimon_read.h"

typedef struct fixture {
    ls_store *store;
    ls_committer *committer;
    char root[1024];     /* the table directory */
    char location[1100]; /* its file:// URI */
    ls_table_ref ref;
} fixture;

/* A table (id bigint, name string, region string) partitioned by region
 * when partitioned. */
static void fixture_open(fixture *fx, bool partitioned)
{
    ls_error err;
    ls_error_clear(&err);
    catalog_fixture_open("pdb", "paimon", &fx->store, &fx->committer);
    snprintf(fx->root, sizeof fx->root, "%s/wh/pdb.db/events", testing_tmpdir());
    snprintf(fx->location, sizeof fx->location, "file://%s", fx->root);
    fx->ref = (ls_table_ref){.database = "pdb", .table = "events"};

    ls_iceberg_schema schema;
    ls_iceberg_partition_spec spec;
    ls_iceberg_schema_init(&schema, 0);
    ls_iceberg_spec_init(&spec, 0);
    ls_type bigint = {.kind = LS_TYPE_BIGINT}, string = {.kind = LS_TYPE_STRING};
    CHECK_OK(ls_iceberg_schema_add(&schema, 1, "id", bigint, 0, &err), &err);
    CHECK_OK(ls_iceberg_schema_add(&schema, 2, "name", string, 0, &err), &err);
    CHECK_OK(ls_iceberg_schema_add(&schema, 3, "region", string, 0, &err), &err);
    if (partitioned)
        CHECK_OK(ls_iceberg_spec_add(&spec, &schema, "region", "identity", "region", 0, &err),
                 &err);
    CHECK_OK(
        ls_committer_create_paimon(fx->committer, &fx->ref, fx->location, &schema, &spec, &err),
        &err);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&schema);
}

static void fixture_close(fixture *fx)
{
    ls_committer_free(fx->committer);
    ls_store_free(fx->store);
}

/* Creates <root>/<dir>bucket-0/<name> with size bytes; its URI into uri. */
static void data_file(const fixture *fx, const char *dir, const char *name, size_t size, char *uri,
                      size_t uri_size)
{
    char path[1500];
    snprintf(path, sizeof path, "%s/%s", fx->root, dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%sbucket-0", fx->root, dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%sbucket-0/%s", fx->root, dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    char block[256] = {0};
    for (size_t left = size; left > 0;) {
        size_t n = left < sizeof block ? left : sizeof block;
        CHECK((size_t)write(fd, block, n) == n);
        left -= n;
    }
    close(fd);
    snprintf(uri, uri_size, "%s/%sbucket-0/%s", fx->location, dir, name);
}

/* A commit request of one file (or none when path is NULL). region NULL:
 * unpartitioned. */
static json_t *request(const char *ranges_json, const char *path, int64_t size, int64_t records,
                       const char *region)
{
    json_error_t jerr;
    json_t *ranges = json_loads(ranges_json, 0, &jerr);
    CHECK(ranges != NULL);
    json_t *files = json_array();
    if (path) {
        json_t *partition = region ? json_pack("{s:s}", "region", region) : json_object();
        json_t *file = json_pack(
            "{s:s, s:I, s:I, s:o, s:[i], s:[{s:i, s:I, s:I, s:I, s:s, s:s}, {s:i, s:I, s:I, s:I, "
            "s:s, s:s, s:b}]}",
            "path", path, "file_size_bytes", (json_int_t)size, "record_count", (json_int_t)records,
            "partition", partition, "split_offsets", 4, "columns", "field_id", 1,
            "compressed_size_bytes", (json_int_t)10, "value_count", (json_int_t)records,
            "null_count", (json_int_t)0, "lower", "1", "upper", "99", "field_id", 2,
            "compressed_size_bytes", (json_int_t)20, "value_count", (json_int_t)records,
            "null_count", (json_int_t)1, "lower", "alpha", "upper",
            "zulu-and-a-very-long-tail-past-sixteen", "bounds_truncated", 0);
        CHECK(file != NULL);
        json_array_append_new(files, file);
    }
    return json_pack("{s:i, s:i, s:o, s:o}", "run_id", 1, "worker_index", 0, "ranges", ranges,
                     "files", files);
}

static ls_code commit(fixture *fx, json_t *req, ls_commit_result *result, ls_error *err)
{
    ls_error_clear(err);
    ls_code rc =
        ls_committer_commit_json(fx->committer, &fx->ref, "job1", "events", req, result, err);
    json_decref(req);
    return rc;
}

/* Reads the table from its directory, as an independent reader would. */
static ls_paimon_table *read_table(const fixture *fx)
{
    ls_error err;
    ls_error_clear(&err);
    ls_paimon_storage st = ls_paimon_storage_for_dir(fx->root);
    ls_paimon_table *t = NULL;
    CHECK_OK(ls_paimon_table_read(&st, &t, &err), &err);
    return t;
}

static const char *pointer(fixture *fx, char *out, size_t size)
{
    ls_error err;
    ls_error_clear(&err);
    ls_stmt *stmt = NULL;
    bool row = false;
    CHECK_OK(ls_store_begin(fx->store, &err), &err);
    CHECK_OK(ls_stmt_prepare(fx->store,
                             "SELECT format, metadata_location FROM tables WHERE name = 'events'",
                             &stmt, &err),
             &err);
    CHECK_OK(ls_stmt_step(stmt, &row, &err), &err);
    CHECK(row);
    CHECK_EQ_STR(ls_stmt_text(stmt, 0), "paimon");
    snprintf(out, size, "%s", ls_stmt_text(stmt, 1));
    ls_stmt_free(stmt);
    ls_store_rollback(fx->store);
    return out;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

TEST(create_writes_schema_zero_and_the_pointer)
{
    fixture fx;
    fixture_open(&fx, true);
    char path[1200], want[1200];
    snprintf(want, sizeof want, "%s/schema/schema-0", fx.location);
    CHECK_EQ_STR(pointer(&fx, path, sizeof path), want);
    ls_paimon_table *t = read_table(&fx);
    CHECK(!t->has_snapshot);
    CHECK_EQ_INT(t->schema.field_count, 3);
    CHECK_EQ_INT(t->schema.fields[0].id, 1);
    CHECK_EQ_INT(t->schema.fields[2].id, 3);
    CHECK_EQ_STR(t->schema.fields[1].name, "name");
    CHECK_EQ_INT(t->schema.partition_key_count, 1);
    CHECK_EQ_STR(t->schema.partition_keys[0], "region");
    CHECK_EQ_STR(ls_paimon_strmap_get(&t->schema.options, "bucket"), "-1");
    CHECK_EQ_STR(ls_paimon_strmap_get(&t->schema.options, "file.format"), "parquet");
    CHECK_EQ_STR(ls_paimon_strmap_get(&t->schema.options, "manifest.format"), "avro");
    ls_paimon_table_free(t);

    ls_offsets offsets;
    ls_error err;
    CHECK_OK(ls_committer_offsets(fx.committer, &fx.ref, &offsets, &err), &err);
    CHECK_EQ_INT(offsets.count, 0);
    ls_offsets_cleanup(&offsets);

    /* A second create conflicts and leaves the first alone. */
    ls_iceberg_schema schema;
    ls_iceberg_partition_spec spec;
    ls_iceberg_schema_init(&schema, 0);
    ls_iceberg_spec_init(&spec, 0);
    CHECK_OK(ls_iceberg_schema_add(&schema, 1, "x", (ls_type){.kind = LS_TYPE_INT}, 0, &err), &err);
    ls_error_clear(&err);
    CHECK_EQ_INT(
        ls_committer_create_paimon(fx.committer, &fx.ref, fx.location, &schema, &spec, &err),
        LS_ERR_CONFLICT);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&schema);
    fixture_close(&fx);
}

TEST(commits_land_as_snapshots_with_offsets)
{
    fixture fx;
    fixture_open(&fx, true);
    char uri[1500], uri2[1500], path[1200], want[1200];
    data_file(&fx, "region=eu/", "data-a-1.parquet", 1000, uri, sizeof uri);
    ls_commit_result result;
    ls_error err;
    CHECK_OK(commit(&fx, request("{\"0\":[0,10],\"1\":[5,7]}", uri, 1000, 12, "eu"), &result, &err),
             &err);
    CHECK_EQ_INT(result.snapshot_id, 1);
    CHECK_EQ_INT(ls_offsets_get(&result.offsets, 0), 10);
    CHECK_EQ_INT(ls_offsets_get(&result.offsets, 1), 7);
    ls_offsets_cleanup(&result.offsets);
    snprintf(want, sizeof want, "%s/snapshot/snapshot-1", fx.location);
    CHECK_EQ_STR(pointer(&fx, path, sizeof path), want);

    data_file(&fx, "region=us/", "data-b-1.parquet", 500, uri2, sizeof uri2);
    CHECK_OK(commit(&fx, request("{\"0\":[10,20]}", uri2, 500, 3, "us"), &result, &err), &err);
    CHECK_EQ_INT(result.snapshot_id, 2);
    ls_offsets_cleanup(&result.offsets);
    /* Offsets only: a snapshot without files. */
    CHECK_OK(commit(&fx, request("{\"1\":[7,9]}", NULL, 0, 0, NULL), &result, &err), &err);
    CHECK_EQ_INT(result.snapshot_id, 3);
    ls_offsets_cleanup(&result.offsets);

    ls_paimon_table *t = read_table(&fx);
    CHECK(t->has_snapshot);
    CHECK_EQ_INT(t->latest_snapshot_id, 3);
    CHECK_EQ_INT(t->earliest_snapshot_id, 1);
    CHECK_EQ_INT(t->file_count, 2);
    CHECK_EQ_INT(t->row_count, 15);
    CHECK_EQ_STR(t->files[0].path, "region=eu/bucket-0/data-a-1.parquet");
    CHECK_EQ_STR(t->files[1].path, "region=us/bucket-0/data-b-1.parquet");
    CHECK_EQ_INT(t->files[0].entry.file.file_size, 1000);
    CHECK_EQ_STR(ls_paimon_strmap_get(&t->snapshot.properties, "lakesync.job-id"), "job1");
    CHECK_EQ_STR(ls_paimon_strmap_get(&t->snapshot.properties, "lakesync.offsets"),
                 "{\"topic\":\"events\",\"partitions\":{\"0\":20,\"1\":9}}");
    ls_paimon_table_free(t);

    ls_offsets offsets;
    CHECK_OK(ls_committer_offsets(fx.committer, &fx.ref, &offsets, &err), &err);
    CHECK_EQ_INT(ls_offsets_get(&offsets, 0), 20);
    CHECK_EQ_INT(ls_offsets_get(&offsets, 1), 9);
    ls_offsets_cleanup(&offsets);
    fixture_close(&fx);
}

TEST(fenced_commits_write_nothing)
{
    fixture fx;
    fixture_open(&fx, false);
    char uri[1500], manifest_dir[1200];
    data_file(&fx, "", "data-a-1.parquet", 100, uri, sizeof uri);
    ls_commit_result result;
    ls_error err;
    CHECK_OK(commit(&fx, request("{\"0\":[0,10]}", uri, 100, 1, NULL), &result, &err), &err);
    ls_offsets_cleanup(&result.offsets);
    snprintf(manifest_dir, sizeof manifest_dir, "%s/manifest", fx.root);
    int manifests = count_entries(manifest_dir);

    static const char *const fenced[] = {"{\"0\":[11,20]}", "{\"0\":[5,20]}", "{\"0\":[0,10]}"};
    for (size_t i = 0; i < 3; i++) {
        CHECK_EQ_INT(commit(&fx, request(fenced[i], uri, 100, 1, NULL), &result, &err),
                     LS_ERR_CONFLICT);
        CHECK_EQ_INT(result.snapshot_id, 0);
        CHECK_EQ_INT(ls_offsets_get(&result.offsets, 0), 10); /* the table's */
        ls_offsets_cleanup(&result.offsets);
    }
    CHECK_EQ_INT(count_entries(manifest_dir), manifests);
    ls_paimon_table *t = read_table(&fx);
    CHECK_EQ_INT(t->latest_snapshot_id, 1);
    CHECK_EQ_INT(t->file_count, 1);
    ls_paimon_table_free(t);
    fixture_close(&fx);
}

TEST(dishonest_files_are_refused)
{
    fixture fx;
    fixture_open(&fx, true);
    char uri[1500], manifest_dir[1200];
    data_file(&fx, "region=eu/", "data-a-1.parquet", 100, uri, sizeof uri);
    ls_commit_result result;
    ls_error err;
    /* Wrong size. */
    CHECK_EQ_INT(commit(&fx, request("{\"0\":[0,10]}", uri, 99, 1, "eu"), &result, &err),
                 LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "files[0].path");
    ls_offsets_cleanup(&result.offsets);
    /* Missing file. */
    char missing[1600];
    snprintf(missing, sizeof missing, "%s/region=eu/bucket-0/data-none-1.parquet", fx.location);
    CHECK_EQ_INT(commit(&fx, request("{\"0\":[0,10]}", missing, 100, 1, "eu"), &result, &err),
                 LS_ERR_INVALID);
    ls_offsets_cleanup(&result.offsets);
    /* In another partition's directory than its values say. */
    CHECK_EQ_INT(commit(&fx, request("{\"0\":[0,10]}", uri, 100, 1, "us"), &result, &err),
                 LS_ERR_INVALID);
    ls_offsets_cleanup(&result.offsets);
    /* Outside the table. */
    CHECK_EQ_INT(
        commit(&fx, request("{\"0\":[0,10]}", "file:///etc/passwd", 100, 1, "eu"), &result, &err),
        LS_ERR_INVALID);
    ls_offsets_cleanup(&result.offsets);
    snprintf(manifest_dir, sizeof manifest_dir, "%s/manifest", fx.root);
    CHECK_EQ_INT(count_entries(manifest_dir), 0);
    ls_paimon_table *t = read_table(&fx);
    CHECK(!t->has_snapshot);
    ls_paimon_table_free(t);
    fixture_close(&fx);
}

enum { THREADS = 4, COMMITS_PER_THREAD = 6 };

typedef struct committer_thread {
    fixture *fx;
    int partition;
} committer_thread;

/* Commits consecutive ranges of its own partition, one file each. */
static void *commit_thread(void *arg)
{
    committer_thread *t = arg;
    for (int i = 0; i < COMMITS_PER_THREAD; i++) {
        char name[64], uri[1500], ranges[64];
        snprintf(name, sizeof name, "data-t%d-%d.parquet", t->partition, i);
        data_file(t->fx, "", name, 64, uri, sizeof uri);
        snprintf(ranges, sizeof ranges, "{\"%d\":[%d,%d]}", t->partition, i * 10, i * 10 + 10);
        ls_commit_result result;
        ls_error err;
        CHECK_OK(commit(t->fx, request(ranges, uri, 64, 10, NULL), &result, &err), &err);
        ls_offsets_cleanup(&result.offsets);
    }
    return NULL;
}

TEST(concurrent_commits_serialize_without_loss)
{
    fixture fx;
    fixture_open(&fx, false);
    pthread_t threads[THREADS];
    committer_thread args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (committer_thread){.fx = &fx, .partition = i};
        CHECK(pthread_create(&threads[i], NULL, commit_thread, &args[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    ls_paimon_table *t = read_table(&fx);
    CHECK_EQ_INT(t->latest_snapshot_id, THREADS * COMMITS_PER_THREAD);
    CHECK_EQ_INT(t->file_count, THREADS * COMMITS_PER_THREAD);
    CHECK_EQ_INT(t->row_count, THREADS * COMMITS_PER_THREAD * 10);
    ls_paimon_table_free(t);
    ls_offsets offsets;
    ls_error err;
    CHECK_OK(ls_committer_offsets(fx.committer, &fx.ref, &offsets, &err), &err);
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ_INT(ls_offsets_get(&offsets, i), COMMITS_PER_THREAD * 10);
    ls_offsets_cleanup(&offsets);
    fixture_close(&fx);
}

static void evolve_to(fixture *fx, ls_type id_type, int64_t *schema_id, bool *changed,
                      ls_code want)
{
    ls_error err;
    ls_error_clear(&err);
    ls_iceberg_schema s;
    ls_iceberg_schema_init(&s, 0);
    CHECK_OK(ls_iceberg_schema_add(&s, 1, "id", id_type, 0, &err), &err);
    CHECK_OK(ls_iceberg_schema_add(&s, 2, "name", (ls_type){.kind = LS_TYPE_STRING}, 0, &err),
             &err);
    CHECK_OK(ls_iceberg_schema_add(&s, 3, "region", (ls_type){.kind = LS_TYPE_STRING}, 0, &err),
             &err);
    CHECK_OK(ls_iceberg_schema_add(&s, 4, "model", (ls_type){.kind = LS_TYPE_STRING}, 0, &err),
             &err);
    CHECK_EQ_INT(ls_committer_evolve_schema(fx->committer, &fx->ref, &s, schema_id, changed, &err),
                 want);
    ls_iceberg_schema_cleanup(&s);
}

/* A new column between two commits: schema/schema-1 as Paimon writes it (the
 * fixture's layout: new id after highestFieldId, the rest as schema-0), the
 * next snapshot and its file on schema 1, the older file still on 0. */
TEST(schema_evolution_writes_the_next_schema_file)
{
    fixture fx;
    fixture_open(&fx, true);
    char uri[1500], uri2[1500], path[1500];
    ls_commit_result result;
    ls_error err;
    data_file(&fx, "region=eu/", "data-a-1.parquet", 100, uri, sizeof uri);
    CHECK_OK(commit(&fx, request("{\"0\":[0,10]}", uri, 100, 10, "eu"), &result, &err), &err);
    ls_offsets_cleanup(&result.offsets);

    int64_t schema_id = -1;
    bool changed = false;
    evolve_to(&fx, (ls_type){.kind = LS_TYPE_BIGINT}, &schema_id, &changed, LS_OK);
    CHECK(changed);
    CHECK_EQ_INT(schema_id, 1);
    evolve_to(&fx, (ls_type){.kind = LS_TYPE_BIGINT}, &schema_id, &changed, LS_OK);
    CHECK(!changed);
    CHECK_EQ_INT(schema_id, 1);
    evolve_to(&fx, (ls_type){.kind = LS_TYPE_INT}, &schema_id, &changed, LS_ERR_CONFLICT);

    snprintf(path, sizeof path, "%s/schema/schema-1", fx.root);
    char *text = testing_read_file(path, NULL);
    CHECK(strstr(text, "\"id\" : 1,\n  \"fields\" : [ {\n    \"id\" : 1,\n    \"name\" : \"id\",\n"
                       "    \"type\" : \"BIGINT\"\n  }") != NULL);
    CHECK(strstr(text, "}, {\n    \"id\" : 4,\n    \"name\" : \"model\",\n    \"type\" : "
                       "\"STRING\"\n  } ],\n  \"highestFieldId\" : 4,\n  \"partitionKeys\" : [ "
                       "\"region\" ]") != NULL);
    free(text);
    snprintf(path, sizeof path, "%s/schema/schema-2", fx.root);
    CHECK(access(path, F_OK) != 0);

    data_file(&fx, "region=us/", "data-b-1.parquet", 100, uri2, sizeof uri2);
    CHECK_OK(commit(&fx, request("{\"0\":[10,20]}", uri2, 100, 10, "us"), &result, &err), &err);
    ls_offsets_cleanup(&result.offsets);
    /* Another worker's file written before the change says so. */
    data_file(&fx, "region=us/", "data-c-1.parquet", 100, uri2, sizeof uri2);
    json_t *req = request("{\"0\":[20,30]}", uri2, 100, 10, "us");
    json_object_set_new(req, "schema_id", json_integer(0));
    CHECK_OK(commit(&fx, req, &result, &err), &err);
    ls_offsets_cleanup(&result.offsets);
    req = request("{\"0\":[30,40]}", NULL, 0, 0, NULL);
    json_object_set_new(req, "schema_id", json_integer(2));
    CHECK_EQ_INT(commit(&fx, req, &result, &err), LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "schema_id");
    ls_offsets_cleanup(&result.offsets);
    ls_paimon_table *t = read_table(&fx);
    CHECK_EQ_INT(t->snapshot.schema_id, 1);
    CHECK_EQ_INT(t->schema.field_count, 4);
    CHECK_EQ_INT(t->file_count, 3);
    CHECK_EQ_INT(t->files[0].entry.file.schema_id, 0);
    CHECK_EQ_INT(t->files[1].entry.file.schema_id, 1);
    CHECK_EQ_INT(t->files[2].entry.file.schema_id, 0);
    ls_paimon_table_free(t);
    fixture_close(&fx);
}

/* ---- the dead-letter table ------------------------------------------------ */

/* The fixture's dead-letter table, created next to it. */
static void open_with_dead_letters(fixture *fx, fixture *dead)
{
    fixture_open(fx, false);
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_committer_ensure_dead_letter(fx->committer, &fx->ref, true, fx->location, &err),
             &err);
    *dead = *fx;
    snprintf(dead->root, sizeof dead->root, "%s/wh/pdb.db/events__dlq", testing_tmpdir());
    snprintf(dead->location, sizeof dead->location, "file://%s", dead->root);
    dead->ref.table = "events__dlq";
}

static json_t *request_with_dead_letters(const char *ranges, const char *uri, int64_t rows,
                                         const char *dead_uri, int64_t dead_rows)
{
    json_t *req = request(ranges, uri, 100, rows, NULL);
    json_t *dead = request(ranges, dead_uri, 80, dead_rows, NULL);
    json_object_set(req, "dead_letter_files", json_object_get(dead, "files"));
    json_decref(dead);
    return req;
}

static int64_t rows_of(const fixture *fx, int64_t *snapshot_id)
{
    ls_paimon_table *t = read_table(fx);
    int64_t rows = t->has_snapshot ? t->row_count : 0;
    if (snapshot_id)
        *snapshot_id = t->has_snapshot ? t->snapshot.id : 0;
    ls_paimon_table_free(t);
    return rows;
}

TEST(dead_letters_land_with_their_commit)
{
    fixture fx, dead;
    open_with_dead_letters(&fx, &dead);
    char uri[1500], dead_uri[1500];
    data_file(&fx, "", "data-a-1.parquet", 100, uri, sizeof uri);
    data_file(&dead, "", "data-d-1.parquet", 80, dead_uri, sizeof dead_uri);
    ls_commit_result result;
    ls_error err;
    CHECK_OK(commit(&fx, request_with_dead_letters("{\"0\":[0,10]}", uri, 7, dead_uri, 3), &result,
                    &err),
             &err);
    ls_offsets_cleanup(&result.offsets);
    CHECK_EQ_INT(rows_of(&fx, NULL), 7);
    CHECK_EQ_INT(rows_of(&dead, NULL), 3);
    ls_paimon_table *t = read_table(&dead);
    CHECK_EQ_STR(ls_paimon_strmap_get(&t->snapshot.properties, "lakesync.offsets"),
                 "{\"topic\":\"events\",\"partitions\":{\"0\":10}}");
    CHECK_EQ_STR(ls_paimon_strmap_get(&t->snapshot.properties, "lakesync.source-snapshot"), "1");
    ls_paimon_table_free(t);
    /* A dead-letter file the dead-letter table would refuse is refused
     * before the job's table moves. */
    CHECK_EQ_INT(commit(&fx, request_with_dead_letters("{\"0\":[10,11]}", uri, 1, uri, 1), &result,
                        &err),
                 LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "dead_letter_files[0].path");
    ls_offsets_cleanup(&result.offsets);
    int64_t id = 0;
    CHECK_EQ_INT(rows_of(&fx, &id), 7);
    CHECK_EQ_INT(id, 1);
    fixture_close(&fx);
}

/* The dead-letter part fails after the job's snapshot landed (the
 * dead-letter table cannot store its manifests): the commit still answers
 * success, since the job's snapshot is the truth, and the next commit lands
 * the pending dead letters before its own. A replay is fenced. No dead
 * letter is lost and none is doubled. */
TEST(a_pending_dead_letter_part_rolls_forward_once)
{
    fixture fx, dead;
    open_with_dead_letters(&fx, &dead);
    char uri[1500], uri2[1500], dead_uri[1500], dead_uri2[1500], blocker[1200];
    data_file(&fx, "", "data-a-1.parquet", 100, uri, sizeof uri);
    data_file(&fx, "", "data-b-1.parquet", 100, uri2, sizeof uri2);
    data_file(&dead, "", "data-d-1.parquet", 80, dead_uri, sizeof dead_uri);
    data_file(&dead, "", "data-e-1.parquet", 80, dead_uri2, sizeof dead_uri2);
    snprintf(blocker, sizeof blocker, "%s/manifest", dead.root);
    int fd = open(blocker, O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK(fd >= 0);
    close(fd);
    ls_commit_result result;
    ls_error err;
    CHECK_OK(commit(&fx, request_with_dead_letters("{\"0\":[0,10]}", uri, 7, dead_uri, 3), &result,
                    &err),
             &err);
    ls_offsets_cleanup(&result.offsets);
    CHECK_EQ_INT(rows_of(&fx, NULL), 7);
    CHECK_EQ_INT(rows_of(&dead, NULL), 0);
    /* While the dead-letter table is still broken, the next commit refuses
     * to move the job's table past the pending part. */
    CHECK(commit(&fx, request_with_dead_letters("{\"0\":[10,20]}", uri2, 5, dead_uri2, 2), &result,
                 &err) != LS_OK);
    ls_offsets_cleanup(&result.offsets);
    int64_t id = 0;
    CHECK_EQ_INT(rows_of(&fx, &id), 7);
    CHECK_EQ_INT(id, 1);

    CHECK(unlink(blocker) == 0);
    CHECK_OK(commit(&fx, request_with_dead_letters("{\"0\":[10,20]}", uri2, 5, dead_uri2, 2),
                    &result, &err),
             &err);
    ls_offsets_cleanup(&result.offsets);
    CHECK_EQ_INT(rows_of(&fx, NULL), 12);
    CHECK_EQ_INT(rows_of(&dead, &id), 5);
    CHECK_EQ_INT(id, 2); /* one snapshot per job snapshot */
    /* Reading offsets (a worker starting) finds nothing pending; a replay
     * of either request is fenced and adds nothing. */
    ls_offsets offsets;
    CHECK_OK(ls_committer_offsets(fx.committer, &fx.ref, &offsets, &err), &err);
    CHECK_EQ_INT(ls_offsets_get(&offsets, 0), 20);
    ls_offsets_cleanup(&offsets);
    CHECK_EQ_INT(commit(&fx, request_with_dead_letters("{\"0\":[10,20]}", uri2, 5, dead_uri2, 2),
                        &result, &err),
                 LS_ERR_CONFLICT);
    ls_offsets_cleanup(&result.offsets);
    CHECK_EQ_INT(rows_of(&dead, &id), 5);
    CHECK_EQ_INT(id, 2);
    fixture_close(&fx);
}

/* A worker starting reads the offsets: a pending part lands then too. */
TEST(reading_offsets_lands_a_pending_dead_letter_part)
{
    fixture fx, dead;
    open_with_dead_letters(&fx, &dead);
    char uri[1500], dead_uri[1500], blocker[1200];
    data_file(&fx, "", "data-a-1.parquet", 100, uri, sizeof uri);
    data_file(&dead, "", "data-d-1.parquet", 80, dead_uri, sizeof dead_uri);
    snprintf(blocker, sizeof blocker, "%s/manifest", dead.root);
    int fd = open(blocker, O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK(fd >= 0);
    close(fd);
    ls_commit_result result;
    ls_error err;
    CHECK_OK(commit(&fx, request_with_dead_letters("{\"0\":[0,10]}", uri, 7, dead_uri, 3), &result,
                    &err),
             &err);
    ls_offsets_cleanup(&result.offsets);
    CHECK(unlink(blocker) == 0);
    ls_offsets offsets;
    for (int i = 0; i < 2; i++) { /* the second read finds it landed */
        CHECK_OK(ls_committer_offsets(fx.committer, &fx.ref, &offsets, &err), &err);
        ls_offsets_cleanup(&offsets);
        int64_t id = 0;
        CHECK_EQ_INT(rows_of(&dead, &id), 3);
        CHECK_EQ_INT(id, 1);
    }
    fixture_close(&fx);
}
