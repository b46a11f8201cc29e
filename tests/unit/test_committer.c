/* The committer against a real SQLite catalog and a real file:// table:
 * commits land as snapshots an independent scan reads back; fenced, malformed
 * or dishonest commits are refused and leave the table untouched; concurrent
 * commits to one table serialize without loss. */
#include "testing.h"
#include "catalog_fixture.h"

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "committer.h"
#include "committer_catalog.h"
#include "iceberg_table.h"

typedef struct fixture {
    ls_store *store;
    ls_committer *committer;
    char location[1024];
    ls_table_ref ref;
} fixture;

static void fixture_open(fixture *fx, const char *partition_transform)
{
    ls_error err;
    ls_error_clear(&err);
    catalog_fixture_open("db", "iceberg", &fx->store, &fx->committer);
    snprintf(fx->location, sizeof fx->location, "file://%s/warehouse/db.db/events",
             testing_tmpdir());
    fx->ref = (ls_table_ref){.database = "db", .table = "events"};

    ls_iceberg_schema schema;
    ls_iceberg_partition_spec spec;
    ls_iceberg_schema_init(&schema, 0);
    ls_iceberg_spec_init(&spec, 0);
    ls_type bigint = {.kind = LS_TYPE_BIGINT}, string = {.kind = LS_TYPE_STRING};
    ls_type tstz = {.kind = LS_TYPE_TIMESTAMPTZ};
    CHECK_OK(ls_iceberg_schema_add(&schema, 1, "id", bigint, 0, &err), &err);
    CHECK_OK(ls_iceberg_schema_add(&schema, 2, "name", string, 0, &err), &err);
    CHECK_OK(ls_iceberg_schema_add(&schema, 3, "ts", tstz, 0, &err), &err);
    if (partition_transform)
        CHECK_OK(ls_iceberg_spec_add(&spec, &schema, "ts", partition_transform, NULL, 0, &err),
                 &err);
    CHECK_OK(ls_committer_create_iceberg(fx->committer, &fx->ref, fx->location, &schema, &spec,
                                         &err),
             &err);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&schema);
}

static void fixture_close(fixture *fx)
{
    ls_committer_free(fx->committer);
    ls_store_free(fx->store);
}

/* Creates <warehouse>/db.db/<table>/data/<name> with size bytes and returns
 * its URI. */
static void table_file(const char *table, const char *name, size_t size, char *uri,
                       size_t uri_size)
{
    char dir[1200], path[1400];
    snprintf(dir, sizeof dir, "%s/warehouse/db.db/%s", testing_tmpdir(), table);
    mkdir(dir, 0755);
    snprintf(dir, sizeof dir, "%s/warehouse/db.db/%s/data", testing_tmpdir(), table);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    char block[256] = {0};
    for (size_t left = size; left > 0;) {
        size_t n = left < sizeof block ? left : sizeof block;
        CHECK((size_t)write(fd, block, n) == n);
        left -= n;
    }
    close(fd);
    snprintf(uri, uri_size, "file://%s/warehouse/db.db/%s/data/%s", testing_tmpdir(), table, name);
}

/* Creates <location>/data/<name> with size bytes and returns its URI. */
static void data_file(const fixture *fx, const char *name, size_t size, char *uri, size_t uri_size)
{
    (void)fx;
    table_file("events", name, size, uri, uri_size);
}

static json_t *request(const char *ranges_json, const char *path, int64_t size, int64_t records)
{
    json_error_t jerr;
    json_t *ranges = json_loads(ranges_json, 0, &jerr);
    CHECK(ranges != NULL);
    json_t *files = json_array();
    if (path) {
        json_t *file = json_pack(
            "{s:s, s:I, s:I, s:{}, s:[i], s:[{s:i, s:I, s:I, s:I, s:s, s:s}, {s:i, s:I, s:I, s:I, s:s, s:s}]}",
            "path", path, "file_size_bytes", (json_int_t)size, "record_count", (json_int_t)records,
            "partition", "split_offsets", 4, "columns", "field_id", 1, "compressed_size_bytes",
            (json_int_t)10, "value_count", (json_int_t)records, "null_count", (json_int_t)0,
            "lower", "1", "upper", "99", "field_id", 2, "compressed_size_bytes", (json_int_t)20,
            "value_count", (json_int_t)records, "null_count", (json_int_t)1, "lower", "alpha",
            "upper", "zulu");
        CHECK(file != NULL);
        json_array_append_new(files, file);
    }
    return json_pack("{s:i, s:i, s:o, s:o}", "run_id", 1, "worker_index", 0, "ranges", ranges,
                     "files", files);
}

static ls_code commit(fixture *fx, json_t *req, ls_commit_result *result, ls_error *err)
{
    ls_error_clear(err);
    ls_code rc = ls_committer_commit_json(fx->committer, &fx->ref, "job1", "events", req, result,
                                          err);
    json_decref(req);
    return rc;
}

/* Scans the table from its path, as an independent reader would. */
static ls_iceberg_scan *scan(const fixture *fx)
{
    ls_error err;
    ls_error_clear(&err);
    char *metadata = NULL;
    ls_iceberg_scan *s = NULL;
    CHECK_OK(ls_iceberg_find_metadata(fx->location, ls_iceberg_read_local_file, NULL, &metadata,
                                      &err),
             &err);
    CHECK_OK(ls_iceberg_scan_table(metadata, ls_iceberg_read_local_file, NULL, &s, &err), &err);
    free(metadata);
    return s;
}

TEST(commit_lands_a_snapshot_with_offsets)
{
    fixture fx;
    fixture_open(&fx, NULL);
    char uri[1500];
    data_file(&fx, "a.parquet", 1000, uri, sizeof uri);
    ls_commit_result result;
    ls_error err;
    CHECK_OK(commit(&fx, request("{\"0\":[0,10],\"1\":[5,7]}", uri, 1000, 12), &result, &err),
             &err);
    CHECK(result.snapshot_id > 0);
    CHECK_EQ_INT(result.sequence_number, 1);
    CHECK_EQ_INT(ls_offsets_get(&result.offsets, 0), 10);
    CHECK_EQ_INT(ls_offsets_get(&result.offsets, 1), 7);
    ls_offsets_cleanup(&result.offsets);

    ls_offsets offsets;
    ls_error_clear(&err);
    CHECK_OK(ls_committer_offsets(fx.committer, &fx.ref, &offsets, &err), &err);
    CHECK_EQ_STR(offsets.topic, "events");
    CHECK_EQ_INT(ls_offsets_get(&offsets, 0), 10);
    ls_offsets_cleanup(&offsets);

    ls_iceberg_scan *s = scan(&fx);
    CHECK_EQ_INT(s->data_file_count, 1);
    CHECK_EQ_INT(s->data_record_count, 12);
    CHECK_EQ_STR(s->files[0].path, uri);
    const char *summary = ls_iceberg_metadata_summary(s->metadata, -1, "lakesync.job-id");
    CHECK_EQ_STR(summary, "job1");
    ls_iceberg_scan_free(s);
    char hint_path[1200];
    snprintf(hint_path, sizeof hint_path, "%s/warehouse/db.db/events/metadata/version-hint.text",
             testing_tmpdir());
    char *hint = testing_read_file(hint_path, NULL);
    CHECK_EQ_STR(hint, "2");
    free(hint);
    fixture_close(&fx);
}

TEST(fenced_commits_change_nothing)
{
    fixture fx;
    fixture_open(&fx, NULL);
    char uri[1500];
    data_file(&fx, "a.parquet", 100, uri, sizeof uri);
    ls_commit_result result;
    ls_error err;
    CHECK_OK(commit(&fx, request("{\"0\":[0,10]}", uri, 100, 10), &result, &err), &err);
    ls_offsets_cleanup(&result.offsets);

    const char *fenced[] = {"{\"0\":[5,12]}", "{\"0\":[11,12]}", "{\"0\":[0,10]}"};
    for (size_t i = 0; i < 3; i++) {
        data_file(&fx, "b.parquet", 100, uri, sizeof uri);
        CHECK_EQ_INT(commit(&fx, request(fenced[i], uri, 100, 2), &result, &err), LS_ERR_CONFLICT);
        CHECK_EQ_INT(result.snapshot_id, 0);
        CHECK_EQ_INT(ls_offsets_get(&result.offsets, 0), 10); /* the table's, for the worker */
        ls_offsets_cleanup(&result.offsets);
    }
    ls_iceberg_scan *s = scan(&fx);
    CHECK_EQ_INT(s->data_file_count, 1);
    CHECK_EQ_INT(s->data_record_count, 10);
    ls_iceberg_scan_free(s);
    fixture_close(&fx);
}

TEST(dishonest_files_are_refused)
{
    fixture fx;
    fixture_open(&fx, NULL);
    char uri[1500];
    data_file(&fx, "short.parquet", 100, uri, sizeof uri);
    ls_commit_result result;
    ls_error err;
    CHECK_EQ_INT(commit(&fx, request("{\"0\":[0,1]}", uri, 101, 1), &result, &err), LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "files[0].path");
    CHECK(strstr(err.message, "100 bytes") != NULL);
    ls_offsets_cleanup(&result.offsets);

    char outside[1600];
    snprintf(outside, sizeof outside, "%s/metadata/v1.metadata.json", fx.location);
    CHECK_EQ_INT(commit(&fx, request("{\"0\":[0,1]}", outside, 100, 1), &result, &err),
                 LS_ERR_INVALID);
    ls_offsets_cleanup(&result.offsets);
    snprintf(outside, sizeof outside, "%s/data/../metadata/v1.metadata.json", fx.location);
    CHECK_EQ_INT(commit(&fx, request("{\"0\":[0,1]}", outside, 100, 1), &result, &err),
                 LS_ERR_INVALID);
    ls_offsets_cleanup(&result.offsets);
    CHECK_EQ_INT(commit(&fx, request("{\"0\":[0,1]}", "file:///etc/passwd", 100, 1), &result,
                        &err),
                 LS_ERR_INVALID);
    ls_offsets_cleanup(&result.offsets);
    CHECK_EQ_INT(commit(&fx, request("{\"x\":[0,1]}", NULL, 0, 0), &result, &err), LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "ranges.x");
    ls_offsets_cleanup(&result.offsets);

    ls_iceberg_scan *s = scan(&fx);
    CHECK_EQ_INT(s->snapshot_id, -1);
    ls_iceberg_scan_free(s);
    fixture_close(&fx);
}

TEST(partitioned_commit_records_partition_values)
{
    fixture fx;
    fixture_open(&fx, "day");
    char uri[1500];
    data_file(&fx, "p.parquet", 64, uri, sizeof uri);
    json_t *req = request("{\"0\":[0,3]}", uri, 64, 3);
    json_t *file = json_array_get(json_object_get(req, "files"), 0);
    json_object_set_new(file, "partition", json_pack("{s:s}", "ts_day", "20415"));
    ls_commit_result result;
    ls_error err;
    CHECK_OK(commit(&fx, req, &result, &err), &err);
    ls_offsets_cleanup(&result.offsets);
    ls_iceberg_scan *s = scan(&fx);
    CHECK_EQ_INT(s->data_file_count, 1);
    CHECK_EQ_INT(s->files[0].partition_count, 1);
    CHECK_EQ_INT(s->files[0].partition[0].value.u.i32, 20415);
    ls_iceberg_scan_free(s);
    /* A missing partition value is refused with its field named. */
    CHECK_EQ_INT(commit(&fx, request("{\"0\":[3,4]}", uri, 64, 1), &result, &err), LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "files[0].partition");
    ls_offsets_cleanup(&result.offsets);
    fixture_close(&fx);
}

#define THREADS 8

typedef struct committer_thread {
    fixture *fx;
    int partition;
    ls_code rc;
} committer_thread;

static void *commit_thread(void *arg)
{
    committer_thread *t = arg;
    char name[32], uri[1500], ranges[64];
    snprintf(name, sizeof name, "t%d.parquet", t->partition);
    data_file(t->fx, name, 50 + (size_t)t->partition, uri, sizeof uri);
    snprintf(ranges, sizeof ranges, "{\"%d\":[0,5]}", t->partition);
    ls_commit_result result;
    ls_error err;
    t->rc = commit(t->fx, request(ranges, uri, 50 + t->partition, 5), &result, &err);
    ls_offsets_cleanup(&result.offsets);
    return NULL;
}

TEST(concurrent_commits_serialize_without_loss)
{
    fixture fx;
    fixture_open(&fx, NULL);
    pthread_t threads[THREADS];
    committer_thread args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (committer_thread){.fx = &fx, .partition = i};
        CHECK(pthread_create(&threads[i], NULL, commit_thread, &args[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        CHECK_EQ_INT(args[i].rc, LS_OK);
    }
    ls_iceberg_scan *s = scan(&fx);
    CHECK_EQ_INT(s->data_file_count, THREADS);
    CHECK_EQ_INT(s->data_record_count, THREADS * 5);
    CHECK_EQ_INT(ls_iceberg_metadata_last_sequence_number(s->metadata), THREADS);
    ls_iceberg_scan_free(s);
    ls_offsets offsets;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_committer_offsets(fx.committer, &fx.ref, &offsets, &err), &err);
    CHECK_EQ_INT(offsets.count, THREADS);
    ls_offsets_cleanup(&offsets);
    fixture_close(&fx);
}

TEST(creating_an_existing_table_conflicts)
{
    fixture fx;
    fixture_open(&fx, NULL);
    ls_iceberg_schema schema;
    ls_iceberg_partition_spec spec;
    ls_iceberg_schema_init(&schema, 0);
    ls_iceberg_spec_init(&spec, 0);
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_iceberg_schema_add(&schema, 1, "id", (ls_type){.kind = LS_TYPE_BIGINT}, 0, &err),
             &err);
    CHECK_EQ_INT(ls_committer_create_iceberg(fx.committer, &fx.ref, fx.location, &schema, &spec,
                                             &err),
                 LS_ERR_CONFLICT);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&schema);
    fixture_close(&fx);
}

/* The fixture's columns with "id" of id_type, plus an optional string
 * column 4 when with_new: what a job proposes after a new field appeared. */
static void proposed_schema(ls_iceberg_schema *s, bool with_new, ls_type id_type)
{
    ls_error err;
    ls_error_clear(&err);
    ls_iceberg_schema_init(s, 0);
    CHECK_OK(ls_iceberg_schema_add(s, 1, "id", id_type, 0, &err), &err);
    CHECK_OK(ls_iceberg_schema_add(s, 2, "name", (ls_type){.kind = LS_TYPE_STRING}, 0, &err),
             &err);
    CHECK_OK(ls_iceberg_schema_add(s, 3, "ts", (ls_type){.kind = LS_TYPE_TIMESTAMPTZ}, 0, &err),
             &err);
    if (with_new)
        CHECK_OK(ls_iceberg_schema_add(s, 4, "model", (ls_type){.kind = LS_TYPE_STRING}, 0, &err),
                 &err);
}

/* A schema change between two commits: a new metadata file with schema 1
 * current, last-column-id 4 and the previous file in metadata-log; the
 * commit after it lands on the new schema and both files stay readable; a
 * repeated proposal changes nothing; an unsafe one is refused. */
TEST(schema_evolution_between_commits)
{
    fixture fx;
    fixture_open(&fx, NULL);
    char uri[1500];
    ls_commit_result result;
    ls_error err;
    data_file(&fx, "a.parquet", 100, uri, sizeof uri);
    CHECK_OK(commit(&fx, request("{\"0\":[0,10]}", uri, 100, 10), &result, &err), &err);
    ls_offsets_cleanup(&result.offsets);

    ls_iceberg_schema s;
    int64_t schema_id = -1;
    bool changed = false;
    proposed_schema(&s, true, (ls_type){.kind = LS_TYPE_BIGINT});
    ls_error_clear(&err);
    CHECK_OK(ls_committer_evolve_schema(fx.committer, &fx.ref, &s, &schema_id, &changed, &err),
             &err);
    CHECK(changed);
    CHECK_EQ_INT(schema_id, 1);
    /* Asked again (another worker): nothing changes. */
    CHECK_OK(ls_committer_evolve_schema(fx.committer, &fx.ref, &s, &schema_id, &changed, &err),
             &err);
    CHECK(!changed);
    CHECK_EQ_INT(schema_id, 1);
    ls_iceberg_schema_cleanup(&s);
    /* Narrowing bigint to int is refused. */
    proposed_schema(&s, true, (ls_type){.kind = LS_TYPE_INT});
    CHECK(ls_committer_evolve_schema(fx.committer, &fx.ref, &s, &schema_id, &changed, &err) ==
          LS_ERR_CONFLICT);
    CHECK(strstr(err.message, "id") != NULL);
    ls_iceberg_schema_cleanup(&s);

    data_file(&fx, "b.parquet", 100, uri, sizeof uri);
    CHECK_OK(commit(&fx, request("{\"0\":[10,20]}", uri, 100, 10), &result, &err), &err);
    ls_offsets_cleanup(&result.offsets);

    ls_iceberg_scan *sc = scan(&fx);
    CHECK_EQ_INT(sc->data_file_count, 2);
    const json_t *md = ls_iceberg_metadata_json(sc->metadata);
    CHECK_EQ_INT(json_integer_value(json_object_get(md, "current-schema-id")), 1);
    CHECK_EQ_INT(json_integer_value(json_object_get(md, "last-column-id")), 4);
    CHECK_EQ_INT(json_array_size(json_object_get(md, "schemas")), 2);
    CHECK_EQ_INT(json_integer_value(
                     json_object_get(ls_iceberg_metadata_snapshot(sc->metadata, -1), "schema-id")),
                 1);
    /* v1 (create), v2 (commit), v3 (schema), v4 (commit): three logged. */
    const json_t *log = json_object_get(md, "metadata-log");
    CHECK_EQ_INT(json_array_size(log), 3);
    CHECK(strstr(json_string_value(json_object_get(json_array_get(log, 2), "metadata-file")),
                 "v3.metadata.json") != NULL);
    ls_iceberg_scan_free(sc);
    fixture_close(&fx);
}

/* ---- the dead-letter table ------------------------------------------------ */

static void open_with_dead_letters(fixture *fx)
{
    fixture_open(fx, NULL);
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_committer_ensure_dead_letter(fx->committer, &fx->ref, false, fx->location, &err),
             &err);
    /* A second call finds it and changes nothing. */
    CHECK_OK(ls_committer_ensure_dead_letter(fx->committer, &fx->ref, false, fx->location, &err),
             &err);
}

/* A request with one data file and one dead-letter file. */
static json_t *request_with_dead_letters(const char *ranges, const char *data_uri, int64_t rows,
                                         const char *dead_uri, int64_t dead_rows)
{
    json_t *req = request(ranges, data_uri, 100, rows);
    json_t *dead = request(ranges, dead_uri, 80, dead_rows);
    json_object_set(req, "dead_letter_files", json_object_get(dead, "files"));
    json_decref(dead);
    return req;
}

static ls_iceberg_scan *scan_dead_letters(const fixture *fx)
{
    fixture dead = *fx;
    snprintf(dead.location, sizeof dead.location, "file://%s/warehouse/db.db/events__dlq",
             testing_tmpdir());
    return scan(&dead);
}

TEST(dead_letters_commit_with_the_table)
{
    fixture fx;
    open_with_dead_letters(&fx);
    char uri[1500], dead_uri[1500];
    data_file(&fx, "a.parquet", 100, uri, sizeof uri);
    table_file("events__dlq", "d.parquet", 80, dead_uri, sizeof dead_uri);
    ls_commit_result result;
    ls_error err;
    CHECK_OK(commit(&fx, request_with_dead_letters("{\"0\":[0,10]}", uri, 7, dead_uri, 3), &result,
                    &err),
             &err);
    ls_offsets_cleanup(&result.offsets);
    ls_iceberg_scan *s = scan(&fx), *d = scan_dead_letters(&fx);
    CHECK_EQ_INT(s->data_record_count, 7);
    CHECK_EQ_INT(d->data_record_count, 3);
    CHECK_EQ_STR(ls_iceberg_metadata_summary(d->metadata, -1, "lakesync.offsets"),
                 ls_iceberg_metadata_summary(s->metadata, -1, "lakesync.offsets"));
    ls_iceberg_scan_free(s);
    ls_iceberg_scan_free(d);
    /* Dead-letter files must lie in the dead-letter table. */
    CHECK_EQ_INT(commit(&fx, request_with_dead_letters("{\"0\":[10,11]}", uri, 1, uri, 1), &result,
                        &err),
                 LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "dead_letter_files[0].path");
    ls_offsets_cleanup(&result.offsets);
    fixture_close(&fx);
}

/* A failure after the table's new metadata is written but before the
 * dead-letter table's is (every name it may take is taken): neither table
 * moves, and the table's orphaned metadata does not block the retry. The worker's retry of the same request then lands both once, and a
 * replay is fenced: no dead letter lost, none doubled. */
TEST(a_failure_between_the_two_tables_lands_neither)
{
    fixture fx;
    open_with_dead_letters(&fx);
    char uri[1500], dead_uri[1500], blocker[1400];
    data_file(&fx, "a.parquet", 100, uri, sizeof uri);
    table_file("events__dlq", "d.parquet", 80, dead_uri, sizeof dead_uri);
    /* Every name the dead-letter table's next metadata may take is taken. */
    for (int v = 2; v < 2 + 16; v++) {
        snprintf(blocker, sizeof blocker,
                 "%s/warehouse/db.db/events__dlq/metadata/v%d.metadata.json", testing_tmpdir(), v);
        int fd = open(blocker, O_WRONLY | O_CREAT | O_EXCL, 0644);
        CHECK(fd >= 0);
        close(fd);
    }
    ls_commit_result result;
    ls_error err;
    CHECK(commit(&fx, request_with_dead_letters("{\"0\":[0,10]}", uri, 7, dead_uri, 3), &result,
                 &err) != LS_OK);
    CHECK_EQ_INT(result.snapshot_id, 0);
    ls_offsets_cleanup(&result.offsets);
    ls_iceberg_scan *s = scan(&fx), *d = scan_dead_letters(&fx);
    CHECK_EQ_INT(s->snapshot_id, -1);
    CHECK_EQ_INT(d->snapshot_id, -1);
    ls_iceberg_scan_free(s);
    ls_iceberg_scan_free(d);
    ls_offsets offsets;
    CHECK_OK(ls_committer_offsets(fx.committer, &fx.ref, &offsets, &err), &err);
    CHECK_EQ_INT(ls_offsets_get(&offsets, 0), -1);
    ls_offsets_cleanup(&offsets);

    for (int v = 2; v < 2 + 16; v++) {
        snprintf(blocker, sizeof blocker,
                 "%s/warehouse/db.db/events__dlq/metadata/v%d.metadata.json", testing_tmpdir(), v);
        CHECK(unlink(blocker) == 0);
    }
    CHECK_OK(commit(&fx, request_with_dead_letters("{\"0\":[0,10]}", uri, 7, dead_uri, 3), &result,
                    &err),
             &err);
    ls_offsets_cleanup(&result.offsets);
    CHECK_EQ_INT(commit(&fx, request_with_dead_letters("{\"0\":[0,10]}", uri, 7, dead_uri, 3),
                        &result, &err),
                 LS_ERR_CONFLICT);
    ls_offsets_cleanup(&result.offsets);
    s = scan(&fx);
    d = scan_dead_letters(&fx);
    CHECK_EQ_INT(s->data_record_count, 7);
    CHECK_EQ_INT(d->data_record_count, 3);
    CHECK_EQ_INT(d->data_file_count, 1);
    ls_iceberg_scan_free(s);
    ls_iceberg_scan_free(d);
    fixture_close(&fx);
}

/* The catalog moves both pointers or neither: the second move's stale
 * expectation undoes the first. */
TEST(pointer_moves_are_all_or_nothing)
{
    fixture fx;
    open_with_dead_letters(&fx);
    ls_table_ref dead = {.database = "db", .table = "events__dlq"};
    ls_table_pointer before, dead_before, after;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_catalog_load(fx.store, &fx.ref, "iceberg", &before, &err), &err);
    CHECK_OK(ls_catalog_load(fx.store, &dead, "iceberg", &dead_before, &err), &err);
    ls_catalog_move moves[2] = {{&fx.ref, before.metadata_location, "file:///x/v9.metadata.json"},
                                {&dead, "file:///stale", "file:///y/v9.metadata.json"}};
    CHECK_EQ_INT(ls_catalog_swap_all(fx.store, moves, 2, &err), LS_ERR_CONFLICT);
    CHECK(strstr(err.message, "events__dlq") != NULL);
    CHECK_OK(ls_catalog_load(fx.store, &fx.ref, "iceberg", &after, &err), &err);
    CHECK_EQ_STR(after.metadata_location, before.metadata_location);
    moves[1].expected = dead_before.metadata_location;
    ls_error_clear(&err);
    CHECK_OK(ls_catalog_swap_all(fx.store, moves, 2, &err), &err);
    CHECK_OK(ls_catalog_load(fx.store, &dead, "iceberg", &after, &err), &err);
    CHECK_EQ_STR(after.metadata_location, "file:///y/v9.metadata.json");
    fixture_close(&fx);
}

TEST(dead_letters_without_their_table_are_refused)
{
    fixture fx;
    fixture_open(&fx, NULL);
    char uri[1500], dead_uri[1500];
    data_file(&fx, "a.parquet", 100, uri, sizeof uri);
    table_file("events__dlq", "d.parquet", 80, dead_uri, sizeof dead_uri);
    ls_commit_result result;
    ls_error err;
    CHECK_EQ_INT(commit(&fx, request_with_dead_letters("{\"0\":[0,10]}", uri, 7, dead_uri, 3),
                        &result, &err),
                 LS_ERR_UNPROCESSABLE);
    ls_offsets_cleanup(&result.offsets);
    ls_iceberg_scan *s = scan(&fx);
    CHECK_EQ_INT(s->snapshot_id, -1);
    ls_iceberg_scan_free(s);
    fixture_close(&fx);
}
