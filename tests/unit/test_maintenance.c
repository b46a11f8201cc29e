/* Table maintenance on real file:// Iceberg tables committed by the real
 * committer: compaction keeps exactly the same rows and the offsets, races
 * with appends, survives a failed commit; expiration deletes what only
 * expired snapshots reached; orphan removal spares referenced and young
 * files; settings name the bad field. */
#include "testing.h"
#include "catalog_fixture.h"

#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "committer.h"
#include "iceberg_table.h"
#include "maintenance.h"
#include "paimon_read.h"
#include "parquet_reader.h"
#include "parquet_writer.h"

typedef struct fixture {
    ls_store *store;
    ls_committer *committer;
    char location[1100];
    char dir[1024]; /* the table's directory */
    ls_table_ref ref;
    int64_t next_offset;
    int file_seq;
} fixture;

/* The catalog with database db of catalog kind, a committer, and the
 * table "events" at <tmp>/<subdir>/<db>.db/events (not created yet). */
static void catalog_open(fixture *fx, const char *db, const char *kind, const char *subdir)
{
    memset(fx, 0, sizeof *fx);
    catalog_fixture_open(db, kind, &fx->store, &fx->committer);
    snprintf(fx->dir, sizeof fx->dir, "%s/%s/%s.db/events", testing_tmpdir(), subdir, db);
    snprintf(fx->location, sizeof fx->location, "file://%s", fx->dir);
    fx->ref = (ls_table_ref){.database = db, .table = "events"};
}

static void fixture_open(fixture *fx, const char *partition_field)
{
    ls_error err;
    ls_error_clear(&err);
    catalog_open(fx, "db", "iceberg", "warehouse");
    ls_iceberg_schema schema;
    ls_iceberg_partition_spec spec;
    ls_iceberg_schema_init(&schema, 0);
    ls_iceberg_spec_init(&spec, 0);
    CHECK_OK(ls_iceberg_schema_add(&schema, 1, "id", (ls_type){.kind = LS_TYPE_BIGINT}, 0, &err),
             &err);
    CHECK_OK(ls_iceberg_schema_add(&schema, 2, "name", (ls_type){.kind = LS_TYPE_STRING}, 0,
                                   &err),
             &err);
    if (partition_field)
        CHECK_OK(ls_iceberg_spec_add(&spec, &schema, partition_field, "identity", NULL, 0, &err),
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

/* Writes rows with ids [first, first+count) as a Parquet file under
 * data/<subdir>; with_name 0 writes a file of an older schema without the
 * name column. Names are "n<id>", or the partition value when given. */
static int64_t write_rows(fixture *fx, const char *subdir, int64_t first, int64_t count,
                          int with_name, const char *name_value, char *uri, size_t uri_size)
{
    ls_error err;
    ls_error_clear(&err);
    ls_parquet_column_spec cols[2] = {
        {.name = "id", .field_id = 1, .type = {.kind = LS_TYPE_BIGINT}},
        {.name = "name", .field_id = 2, .type = {.kind = LS_TYPE_STRING}}};
    ls_type types[2] = {cols[0].type, cols[1].type};
    size_t ncols = with_name ? 2 : 1;
    ls_buf out;
    ls_buf_init(&out, 1 << 26);
    ls_sink sink = ls_sink_for_buf(&out);
    ls_parquet_writer *w = ls_parquet_writer_new(cols, ncols, NULL, &sink, &err);
    CHECK(w != NULL);
    ls_column_batch *b = ls_column_batch_new(types, ncols, 1 << 26);
    for (int64_t id = first; id < first + count; id++) {
        char name[32];
        snprintf(name, sizeof name, "n%lld", (long long)id);
        const char *text = name_value ? name_value : name;
        ls_column_batch_row_begin(b);
        CHECK_OK(ls_column_set_int64(&b->columns[0], id, &err), &err);
        if (with_name)
            CHECK_OK(ls_column_set_bytes(&b->columns[1], text, strlen(text), &err), &err);
        CHECK_OK(ls_column_batch_row_end(b, &err), &err);
    }
    CHECK_OK(ls_parquet_writer_write_batch(w, b, &err), &err);
    CHECK_OK(ls_parquet_writer_close(w, NULL, &err), &err);
    ls_parquet_writer_free(w);
    ls_column_batch_free(b);
    char dir[1400], path[1600];
    snprintf(dir, sizeof dir, "%s/data", fx->dir);
    mkdir(dir, 0755);
    snprintf(dir, sizeof dir, "%s/data/%s", fx->dir, subdir);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/f%05d.parquet", dir, fx->file_seq++);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(out.data, 1, out.len, f) == out.len);
    fclose(f);
    snprintf(uri, uri_size, "file://%s", path);
    int64_t size = (int64_t)out.len;
    ls_buf_cleanup(&out);
    return size;
}

/* Commits count new rows as one file, as a worker would. */
static void ingest(fixture *fx, int64_t count, int with_name, const char *partition_value)
{
    char uri[1700], subdir[64] = "unpartitioned";
    if (partition_value)
        snprintf(subdir, sizeof subdir, "name=%s", partition_value);
    int64_t size = write_rows(fx, subdir, fx->next_offset, count, with_name, partition_value, uri,
                              sizeof uri);
    json_t *partition = partition_value ? json_pack("{s:s}", "name", partition_value)
                                        : json_object();
    json_t *req = json_pack("{s:i, s:i, s:{s:[I,I]}, s:[{s:s, s:I, s:I, s:o, s:[], s:[]}]}",
                            "run_id", 1, "worker_index", 0, "ranges", "0",
                            (json_int_t)fx->next_offset, (json_int_t)(fx->next_offset + count),
                            "files", "path", uri, "file_size_bytes", (json_int_t)size,
                            "record_count", (json_int_t)count, "partition", partition,
                            "split_offsets", "columns");
    CHECK(req != NULL);
    ls_commit_result result;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_committer_commit_json(fx->committer, &fx->ref, "job1", "events", req, &result,
                                      &err),
             &err);
    json_decref(req);
    ls_offsets_cleanup(&result.offsets);
    fx->next_offset += count;
}

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

static int compare_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Reads every live row; checks the ids are exactly 0..expected-1, each
 * once, and that each name is "n<id>" or, for ids in [null_from, null_to),
 * null (rows written under the older schema). */
static void check_rows(const fixture *fx, int64_t expected, int64_t null_from, int64_t null_to)
{
    ls_iceberg_scan *s = scan(fx);
    int64_t *ids = calloc((size_t)expected + 1, sizeof *ids);
    size_t n = 0;
    for (size_t i = 0; i < s->file_count; i++) {
        ls_error err;
        ls_error_clear(&err);
        ls_parquet_reader *r = ls_parquet_reader_open_path(s->files[i].path + 7, NULL, &err);
        CHECK(r != NULL);
        long id_col = ls_parquet_reader_column_find(r, "id");
        long name_col = ls_parquet_reader_column_find(r, "name");
        CHECK(id_col >= 0);
        ls_column_batch *b = ls_parquet_reader_batch_new(r, NULL, 0);
        for (size_t g = 0; g < ls_parquet_reader_row_group_count(r); g++) {
            CHECK_OK(ls_parquet_reader_read_row_group(r, g, NULL, 0, b, &err), &err);
            const ls_column *idc = &b->columns[id_col];
            const ls_column *namec = name_col >= 0 ? &b->columns[name_col] : NULL;
            size_t name_value = 0;
            for (size_t row = 0; row < b->row_count; row++) {
                int64_t id = ((const int64_t *)(const void *)idc->values.data)[row];
                CHECK((int64_t)n < expected);
                ids[n++] = id;
                int want_null = id >= null_from && id < null_to;
                int is_null = !namec || !ls_column_is_valid(namec, row);
                CHECK_EQ_INT(is_null, want_null);
                if (!is_null) {
                    size_t len;
                    const uint8_t *p = ls_column_bytes_at(namec, name_value++, &len);
                    char want[32];
                    snprintf(want, sizeof want, "n%lld", (long long)id);
                    if (len != 1 || p[0] != 'p') /* partitioned tests use one name */
                        CHECK(len == strlen(want) && memcmp(p, want, len) == 0);
                }
            }
        }
        ls_column_batch_free(b);
        ls_parquet_reader_free(r);
    }
    CHECK_EQ_INT((int64_t)n, expected);
    qsort(ids, n, sizeof *ids, compare_ids);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(ids[i], (int64_t)i);
    free(ids);
    ls_iceberg_scan_free(s);
}

static int64_t table_offset(fixture *fx)
{
    ls_offsets offsets;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_committer_offsets(fx->committer, &fx->ref, &offsets, &err), &err);
    int64_t next = ls_offsets_get(&offsets, 0);
    ls_offsets_cleanup(&offsets);
    return next;
}

static int64_t wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Files in the table's dir/sub (recursively). */
static int count_files(const fixture *fx, const char *sub)
{
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", fx->dir, sub);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char child[1700];
        snprintf(child, sizeof child, "%s/%s", sub, e->d_name);
        char full[2800];
        snprintf(full, sizeof full, "%s/%s", fx->dir, child);
        struct stat st;
        if (stat(full, &st) == 0 && S_ISDIR(st.st_mode))
            n += count_files(fx, child);
        else
            n++;
    }
    closedir(d);
    return n;
}

static ls_maintenance_config small_config(void)
{
    ls_maintenance_config config;
    ls_maintenance_config_init(&config);
    config.min_input_files = 3;
    return config;
}

TEST(compaction_keeps_rows_offsets_and_merges_manifests)
{
    fixture fx;
    fixture_open(&fx, NULL);
    for (int i = 0; i < 8; i++)
        ingest(&fx, 10 + i, 1, NULL);
    int64_t rows = fx.next_offset;
    ls_iceberg_scan *before = scan(&fx);
    CHECK_EQ_INT(before->data_file_count, 8);
    CHECK_EQ_INT(before->manifest_count, 8);
    ls_iceberg_scan_free(before);

    ls_maintenance_config config = small_config();
    ls_maintenance_result result = {0};
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_maintenance_compact(fx.committer, &fx.ref, &config, &result, &err), &err);
    CHECK_EQ_INT(result.files_rewritten, 8);
    CHECK_EQ_INT(result.files_written, 1);
    CHECK_EQ_INT(result.records_rewritten, rows);
    CHECK_EQ_INT(result.max_partition_files_before, 8);
    CHECK_EQ_INT(result.max_partition_files_after, 1);
    CHECK(result.replace_snapshot_id > 0);

    ls_iceberg_scan *s = scan(&fx);
    CHECK_EQ_INT(s->data_file_count, 1);
    CHECK_EQ_INT(s->data_record_count, rows);
    CHECK_EQ_INT(s->manifest_count, 2); /* the added files and one merged manifest */
    CHECK_EQ_STR(ls_iceberg_metadata_summary(s->metadata, -1, "operation"), "replace");
    CHECK_EQ_STR(ls_iceberg_metadata_summary(s->metadata, -1, "deleted-data-files"), "8");
    CHECK_EQ_STR(ls_iceberg_metadata_summary(s->metadata, -1, "total-data-files"), "1");
    CHECK_EQ_STR(ls_iceberg_metadata_summary(s->metadata, -1, "lakesync.job-id"), "job1");
    CHECK(strstr(ls_iceberg_metadata_summary(s->metadata, -1, "lakesync.offsets"), "\"0\":108"));
    ls_iceberg_scan_free(s);
    check_rows(&fx, rows, 0, 0);
    CHECK_EQ_INT(table_offset(&fx), rows);

    /* Ingestion goes on from the same offsets; a second run finds too few
     * small files and changes nothing. */
    ingest(&fx, 5, 1, NULL);
    memset(&result, 0, sizeof result);
    CHECK_OK(ls_maintenance_compact(fx.committer, &fx.ref, &config, &result, &err), &err);
    CHECK_EQ_INT(result.files_rewritten, 0);
    CHECK_EQ_INT(result.replace_snapshot_id, 0);
    check_rows(&fx, fx.next_offset, 0, 0);
    fixture_close(&fx);
}

TEST(compaction_reads_files_of_older_schemas_by_field_id)
{
    fixture fx;
    fixture_open(&fx, NULL);
    ingest(&fx, 7, 0, NULL); /* ids 0..6 written before the name column existed */
    ingest(&fx, 5, 0, NULL); /* ids 7..11 likewise */
    for (int i = 0; i < 3; i++)
        ingest(&fx, 4, 1, NULL);
    ls_maintenance_config config = small_config();
    ls_maintenance_result result = {0};
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_maintenance_compact(fx.committer, &fx.ref, &config, &result, &err), &err);
    CHECK_EQ_INT(result.files_written, 1);
    check_rows(&fx, fx.next_offset, 0, 12);
    fixture_close(&fx);
}

TEST(compaction_works_per_partition)
{
    fixture fx;
    fixture_open(&fx, "name");
    for (int i = 0; i < 4; i++)
        ingest(&fx, 3, 1, "p");
    ingest(&fx, 3, 1, "q"); /* alone in its partition: left as it is */
    ls_maintenance_config config = small_config();
    ls_maintenance_result result = {0};
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_maintenance_compact(fx.committer, &fx.ref, &config, &result, &err), &err);
    CHECK_EQ_INT(result.partitions_compacted, 1);
    CHECK_EQ_INT(result.files_rewritten, 4);
    ls_iceberg_scan *s = scan(&fx);
    CHECK_EQ_INT(s->data_file_count, 2);
    int compacted = 0;
    for (size_t i = 0; i < s->file_count; i++) {
        CHECK_EQ_INT(s->files[i].partition_count, 1);
        if (strstr(s->files[i].path, "/data/name=p/compact-")) {
            compacted = 1;
            CHECK_EQ_INT(s->files[i].record_count, 12);
            CHECK_EQ_INT((int64_t)s->files[i].partition[0].value.u.bytes.len, 1);
            CHECK(s->files[i].partition[0].value.u.bytes.data[0] == 'p');
        }
    }
    CHECK(compacted);
    ls_iceberg_scan_free(s);
    fixture_close(&fx);
}

typedef struct race {
    fixture *fx;
    ls_code rc;
    ls_maintenance_result result;
} race;

static void *compact_thread(void *arg)
{
    race *r = arg;
    ls_maintenance_config config = small_config();
    ls_error err;
    ls_error_clear(&err);
    r->rc = ls_maintenance_compact(r->fx->committer, &r->fx->ref, &config, &r->result, &err);
    return NULL;
}

TEST(compaction_racing_appends_loses_and_duplicates_nothing)
{
    fixture fx;
    fixture_open(&fx, NULL);
    for (int i = 0; i < 40; i++)
        ingest(&fx, 50, 1, NULL);
    race r = {.fx = &fx};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, compact_thread, &r) == 0);
    for (int i = 0; i < 20; i++)
        ingest(&fx, 3, 1, NULL);
    pthread_join(t, NULL);
    CHECK_OK(r.rc, &(ls_error){0});
    CHECK_EQ_INT(r.result.files_rewritten >= 40, 1);
    check_rows(&fx, fx.next_offset, 0, 0);
    CHECK_EQ_INT(table_offset(&fx), fx.next_offset);
    ls_iceberg_scan *s = scan(&fx);
    CHECK_EQ_INT((int64_t)s->data_file_count, 61 - r.result.files_rewritten);
    ls_iceberg_scan_free(s);
    fixture_close(&fx);
}

/* Takes the names of the next metadata versions (more than the committer
 * skips), so the compaction's commit fails after its data and manifest
 * files were written (what a crash before the pointer swap leaves). */
#define BLOCKED_VERSIONS 16
static void block_next_metadata(const fixture *fx, int version, int block)
{
    for (int v = version; v < version + BLOCKED_VERSIONS; v++) {
        char path[1400];
        snprintf(path, sizeof path, "%s/metadata/v%d.metadata.json", fx->dir, v);
        if (!block) {
            CHECK(unlink(path) == 0);
            continue;
        }
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        fputs("{}", f);
        fclose(f);
    }
}

TEST(failed_compaction_commit_leaves_the_table_correct)
{
    fixture fx;
    fixture_open(&fx, NULL);
    for (int i = 0; i < 5; i++)
        ingest(&fx, 10, 1, NULL);
    /* v1 was the creation, then 5 commits: the compaction would write v7. */
    block_next_metadata(&fx, 7, 1);
    ls_maintenance_config config = small_config();
    ls_maintenance_result result = {0};
    ls_error err;
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_maintenance_compact(fx.committer, &fx.ref, &config, &result, &err),
                 LS_ERR_CONFLICT);
    /* The refused run deleted its data file at once; its manifests and
     * list stay behind, unreferenced, as a crash would leave them. */
    CHECK_EQ_INT(count_files(&fx, "data"), 5);
    int metadata_files = count_files(&fx, "metadata");
    ls_iceberg_scan *s = scan(&fx);
    CHECK_EQ_INT(s->data_file_count, 5);
    CHECK_EQ_STR(ls_iceberg_metadata_summary(s->metadata, -1, "operation"), "append");
    ls_iceberg_scan_free(s);
    check_rows(&fx, 50, 0, 0);

    /* Orphan removal deletes the failed run's files once old enough; then
     * compaction succeeds. */
    block_next_metadata(&fx, 7, 0);
    memset(&result, 0, sizeof result);
    CHECK_OK(ls_maintenance_remove_orphans(fx.committer, &fx.ref, &config, wall_ms(), &result,
                                           &err),
             &err);
    CHECK_EQ_INT(result.orphans_deleted, 0); /* younger than the safety window */
    CHECK_OK(ls_maintenance_remove_orphans(fx.committer, &fx.ref, &config,
                                           wall_ms() + 2 * config.orphan_age_ms, &result, &err),
             &err);
    CHECK_EQ_INT(result.orphans_deleted, 3); /* two manifests and the list */
    CHECK_EQ_INT(count_files(&fx, "metadata"), metadata_files - 3 - BLOCKED_VERSIONS);
    CHECK_EQ_INT(count_files(&fx, "data"), 5);
    check_rows(&fx, 50, 0, 0);
    memset(&result, 0, sizeof result);
    CHECK_OK(ls_maintenance_compact(fx.committer, &fx.ref, &config, &result, &err), &err);
    CHECK_EQ_INT(result.files_written, 1);
    check_rows(&fx, 50, 0, 0);
    fixture_close(&fx);
}

typedef ls_code (*compact_fn)(ls_committer *, const ls_table_ref *, const ls_maintenance_config *,
                              ls_maintenance_result *, ls_error *);

/* Runs compact (the Iceberg or the Paimon compaction) in a child process
 * with its own store and committer (as a second server would) and kills it
 * after delay_us. True when the child finished before. */
static bool compact_and_kill(const fixture *fx, compact_fn compact, useconds_t delay_us)
{
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        ls_store *store = NULL;
        ls_committer *committer = NULL;
        ls_error err;
        ls_error_clear(&err);
        char path[1100];
        snprintf(path, sizeof path, "%s/lakesync.db", testing_tmpdir());
        if (ls_store_open(path, &store, &err) || ls_committer_new(store, &committer, &err))
            _exit(2);
        ls_maintenance_config config = small_config();
        ls_maintenance_result result = {0};
        ls_code rc = compact(committer, &fx->ref, &config, &result, &err);
        _exit(rc ? 1 : 0);
    }
    usleep(delay_us);
    kill(pid, SIGKILL);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    return !WIFSIGNALED(status);
}

TEST(a_crash_at_any_point_of_compaction_leaves_the_table_correct)
{
    fixture fx;
    fixture_open(&fx, NULL);
    for (int i = 0; i < 30; i++)
        ingest(&fx, 200, 1, NULL);
    /* Kill points from the start, ever later, until a run gets to finish:
     * each killed run leaves the table as it was, so the next one does the
     * same work and is killed a little later, sweeping the whole run. */
    bool finished = false;
    int runs = 0;
    for (useconds_t delay_us = 0; !finished && runs < 400; delay_us += 1000 + delay_us / 8, runs++) {
        finished = compact_and_kill(&fx, ls_maintenance_compact, delay_us);
        check_rows(&fx, fx.next_offset, 0, 0);
        CHECK_EQ_INT(table_offset(&fx), fx.next_offset);
    }
    CHECK(finished);
    CHECK(runs > 3);
    ingest(&fx, 7, 1, NULL); /* the committer carries on after the crashes */
    check_rows(&fx, fx.next_offset, 0, 0);
    /* What the crashed runs left is orphaned; once old enough it goes, and
     * the data files on disk are then exactly the live ones. */
    ls_maintenance_config config = small_config();
    ls_maintenance_result result = {0};
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_maintenance_compact(fx.committer, &fx.ref, &config, &result, &err), &err);
    config.snapshot_max_age_ms = 0;
    config.snapshot_min_keep = 1;
    CHECK_OK(ls_maintenance_run(fx.committer, &fx.ref, &config,
                                wall_ms() + 2 * config.orphan_age_ms, &result, &err),
             &err);
    check_rows(&fx, fx.next_offset, 0, 0);
    ls_iceberg_scan *s = scan(&fx);
    CHECK_EQ_INT(count_files(&fx, "data"), (int)s->data_file_count);
    ls_iceberg_scan_free(s);
    fixture_close(&fx);
}

TEST(expiration_deletes_what_only_expired_snapshots_reach)
{
    fixture fx;
    fixture_open(&fx, NULL);
    for (int i = 0; i < 6; i++)
        ingest(&fx, 10, 1, NULL);
    ls_maintenance_config config = small_config();
    ls_maintenance_result result = {0};
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_maintenance_compact(fx.committer, &fx.ref, &config, &result, &err), &err);
    ingest(&fx, 10, 1, NULL);
    CHECK_EQ_INT(count_files(&fx, "data"), 8);

    /* Everything but the newest two may go. */
    config.snapshot_max_age_ms = 0;
    config.snapshot_min_keep = 2;
    memset(&result, 0, sizeof result);
    CHECK_OK(ls_maintenance_expire(fx.committer, &fx.ref, &config, wall_ms() + 1000, &result,
                                   &err),
             &err);
    CHECK_EQ_INT(result.snapshots_expired, 6);
    /* The replace snapshot is kept, so the files it removed are gone only
     * because no kept snapshot holds them live. */
    CHECK_EQ_INT(count_files(&fx, "data"), 2);
    ls_iceberg_scan *s = scan(&fx);
    CHECK_EQ_INT(json_array_size(json_object_get(ls_iceberg_metadata_json(s->metadata),
                                                 "snapshots")),
                 2);
    ls_iceberg_scan_free(s);
    check_rows(&fx, 70, 0, 0);
    CHECK_EQ_INT(table_offset(&fx), 70);
    /* Orphan removal then finds nothing more to delete among data files. */
    memset(&result, 0, sizeof result);
    CHECK_OK(ls_maintenance_remove_orphans(fx.committer, &fx.ref, &config,
                                           wall_ms() + 2 * config.orphan_age_ms, &result, &err),
             &err);
    CHECK_EQ_INT(count_files(&fx, "data"), 2);
    check_rows(&fx, 70, 0, 0);
    /* Ingestion continues on the expired table. */
    ingest(&fx, 3, 1, NULL);
    check_rows(&fx, 73, 0, 0);
    fixture_close(&fx);
}

TEST(expiration_keeps_the_current_and_recent_snapshots)
{
    fixture fx;
    fixture_open(&fx, NULL);
    for (int i = 0; i < 4; i++)
        ingest(&fx, 2, 1, NULL);
    ls_maintenance_config config = small_config();
    config.snapshot_min_keep = 1;
    ls_maintenance_result result = {0};
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_maintenance_expire(fx.committer, &fx.ref, &config, wall_ms(), &result, &err),
             &err);
    CHECK_EQ_INT(result.snapshots_expired, 0); /* all younger than an hour */
    config.snapshot_max_age_ms = 0;
    CHECK_OK(ls_maintenance_expire(fx.committer, &fx.ref, &config, wall_ms() + 1000, &result,
                                   &err),
             &err);
    CHECK_EQ_INT(result.snapshots_expired, 3);
    check_rows(&fx, 8, 0, 0);
    CHECK_EQ_INT(table_offset(&fx), 8);
    fixture_close(&fx);
}

TEST(orphans_spare_referenced_and_young_files)
{
    fixture fx;
    fixture_open(&fx, NULL);
    ingest(&fx, 4, 1, NULL);
    char stray[1400];
    snprintf(stray, sizeof stray, "%s/data/stray.parquet", fx.dir);
    FILE *f = fopen(stray, "w");
    CHECK(f != NULL);
    fputs("uncommitted", f);
    fclose(f);
    ls_maintenance_config config = small_config();
    ls_maintenance_result result = {0};
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_maintenance_remove_orphans(fx.committer, &fx.ref, &config, wall_ms(), &result,
                                           &err),
             &err);
    CHECK_EQ_INT(result.orphans_deleted, 0);
    CHECK_OK(ls_maintenance_remove_orphans(fx.committer, &fx.ref, &config,
                                           wall_ms() + 2 * config.orphan_age_ms, &result, &err),
             &err);
    CHECK_EQ_INT(result.orphans_deleted, 1);
    CHECK(access(stray, F_OK) != 0);
    check_rows(&fx, 4, 0, 0);
    fixture_close(&fx);
}

TEST(settings_name_the_bad_field)
{
    ls_maintenance_config c;
    ls_error err;
    json_error_t jerr;
    ls_error_clear(&err);
    json_t *j = json_loads("{\"target_file_size_mb\":64,\"min_input_files\":4,"
                           "\"snapshot_retention\":{\"max_age_s\":600,\"min_keep\":3},"
                           "\"orphan_age_s\":7200,\"interval_s\":30,\"enabled\":false}",
                           0, &jerr);
    CHECK_OK(ls_maintenance_config_from_json(j, &c, &err), &err);
    CHECK(!c.enabled);
    CHECK_EQ_INT(c.target_file_size_bytes, 64 << 20);
    CHECK_EQ_INT(c.snapshot_max_age_ms, 600000);
    CHECK_EQ_INT(c.snapshot_min_keep, 3);
    CHECK_EQ_INT(c.orphan_age_ms, 7200000);
    CHECK_EQ_INT(c.interval_ms, 30000);
    json_decref(j);
    static const char *bad[][2] = {
        {"{\"orphan_age_s\":5}", "advanced.maintenance.orphan_age_s"},
        {"{\"snapshot_retention\":{\"min_keep\":0}}",
         "advanced.maintenance.snapshot_retention.min_keep"},
        {"{\"snapshot_retention\":{\"max_age\":1}}",
         "advanced.maintenance.snapshot_retention.max_age"},
        {"{\"enabled\":1}", "advanced.maintenance.enabled"},
        {"{\"target_file_size\":1}", "advanced.maintenance.target_file_size"},
        {"[]", "advanced.maintenance"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = json_loads(bad[i][0], 0, &jerr);
        ls_error_clear(&err);
        CHECK_EQ_INT(ls_maintenance_config_from_json(j, &c, &err), LS_ERR_INVALID);
        CHECK_EQ_STR(err.field, bad[i][1]);
        json_decref(j);
    }
}

/* ---- Paimon ------------------------------------------------------------- */

/* A Paimon append table (id bigint, name string, region string)
 * partitioned by region, in the same catalog. */
static void paimon_open(fixture *fx)
{
    ls_error err;
    ls_error_clear(&err);
    catalog_open(fx, "pdb", "paimon", "wh");
    ls_iceberg_schema schema;
    ls_iceberg_partition_spec spec;
    ls_iceberg_schema_init(&schema, 0);
    ls_iceberg_spec_init(&spec, 0);
    CHECK_OK(ls_iceberg_schema_add(&schema, 1, "id", (ls_type){.kind = LS_TYPE_BIGINT}, 0, &err),
             &err);
    CHECK_OK(ls_iceberg_schema_add(&schema, 2, "name", (ls_type){.kind = LS_TYPE_STRING}, 0,
                                   &err),
             &err);
    CHECK_OK(ls_iceberg_schema_add(&schema, 3, "region", (ls_type){.kind = LS_TYPE_STRING}, 0,
                                   &err),
             &err);
    CHECK_OK(ls_iceberg_spec_add(&spec, &schema, "region", "identity", "region", 0, &err), &err);
    CHECK_OK(ls_committer_create_paimon(fx->committer, &fx->ref, fx->location, &schema, &spec,
                                        &err),
             &err);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&schema);
}

/* Commits count rows of region as one Paimon file, as a worker would. */
static void paimon_ingest(fixture *fx, int64_t count, const char *region)
{
    ls_error err;
    ls_error_clear(&err);
    ls_parquet_column_spec cols[3] = {
        {.name = "id", .field_id = 1, .type = {.kind = LS_TYPE_BIGINT}},
        {.name = "name", .field_id = 2, .type = {.kind = LS_TYPE_STRING}},
        {.name = "region", .field_id = 3, .type = {.kind = LS_TYPE_STRING}}};
    ls_type types[3] = {cols[0].type, cols[1].type, cols[2].type};
    ls_buf out;
    ls_buf_init(&out, 1 << 26);
    ls_sink sink = ls_sink_for_buf(&out);
    ls_parquet_options options;
    ls_parquet_options_init(&options);
    options.root_name = "paimon_schema";
    ls_parquet_writer *w = ls_parquet_writer_new(cols, 3, &options, &sink, &err);
    CHECK(w != NULL);
    ls_column_batch *b = ls_column_batch_new(types, 3, 1 << 26);
    for (int64_t id = fx->next_offset; id < fx->next_offset + count; id++) {
        char name[32];
        snprintf(name, sizeof name, "n%lld", (long long)id);
        ls_column_batch_row_begin(b);
        CHECK_OK(ls_column_set_int64(&b->columns[0], id, &err), &err);
        CHECK_OK(ls_column_set_bytes(&b->columns[1], name, strlen(name), &err), &err);
        CHECK_OK(ls_column_set_bytes(&b->columns[2], region, strlen(region), &err), &err);
        CHECK_OK(ls_column_batch_row_end(b, &err), &err);
    }
    ls_parquet_file_stats stats;
    CHECK_OK(ls_parquet_writer_write_batch(w, b, &err), &err);
    CHECK_OK(ls_parquet_writer_close(w, &stats, &err), &err);
    ls_parquet_writer_free(w);
    ls_column_batch_free(b);
    char path[1600];
    snprintf(path, sizeof path, "%s/region=%s", fx->dir, region);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/region=%s/bucket-0", fx->dir, region);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/region=%s/bucket-0/data-t-%05d.parquet", fx->dir, region,
             fx->file_seq++);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(out.data, 1, out.len, f) == out.len);
    fclose(f);
    char uri[1700];
    snprintf(uri, sizeof uri, "file://%s", path);
    json_t *req = json_pack(
        "{s:i, s:i, s:{s:[I,I]}, s:[{s:s, s:I, s:I, s:{s:s}, s:[], s:[{s:i, s:I, s:I, s:I, "
        "s:s, s:s}]}]}",
        "run_id", 1, "worker_index", 0, "ranges", "0", (json_int_t)fx->next_offset,
        (json_int_t)(fx->next_offset + count), "files", "path", uri, "file_size_bytes",
        (json_int_t)out.len, "record_count", (json_int_t)count, "partition", "region", region,
        "split_offsets", "columns", "field_id", 1, "compressed_size_bytes", (json_int_t)10,
        "value_count", (json_int_t)count, "null_count", (json_int_t)0, "lower", "0", "upper",
        "999999");
    CHECK(req != NULL);
    ls_commit_result result;
    CHECK_OK(ls_committer_commit_json(fx->committer, &fx->ref, "job1", "events", req, &result,
                                      &err),
             &err);
    json_decref(req);
    ls_offsets_cleanup(&result.offsets);
    ls_parquet_file_stats_cleanup(&stats);
    ls_buf_cleanup(&out);
    fx->next_offset += count;
}

/* Reads the Paimon table from its directory: checks the ids are exactly
 * 0..expected-1 and each row's region is its file's partition. */
static ls_paimon_table *paimon_check_rows(const fixture *fx, int64_t expected)
{
    ls_error err;
    ls_error_clear(&err);
    ls_paimon_storage st = ls_paimon_storage_for_dir(fx->dir);
    ls_paimon_table *t = NULL;
    CHECK_OK(ls_paimon_table_read(&st, &t, &err), &err);
    int64_t *ids = calloc((size_t)expected + 1, sizeof *ids);
    size_t n = 0;
    for (size_t i = 0; i < t->file_count; i++) {
        char path[1700];
        snprintf(path, sizeof path, "%s/%s", fx->dir, t->files[i].path);
        ls_parquet_reader *r = ls_parquet_reader_open_path(path, NULL, &err);
        CHECK(r != NULL);
        ls_column_batch *b = ls_parquet_reader_batch_new(r, NULL, 0);
        long region_col = ls_parquet_reader_column_find(r, "region");
        for (size_t g = 0; g < ls_parquet_reader_row_group_count(r); g++) {
            CHECK_OK(ls_parquet_reader_read_row_group(r, g, NULL, 0, b, &err), &err);
            for (size_t row = 0; row < b->row_count; row++) {
                CHECK((int64_t)n < expected);
                ids[n++] = ((const int64_t *)(const void *)b->columns[0].values.data)[row];
                size_t len;
                const uint8_t *p = ls_column_bytes_at(&b->columns[region_col], row, &len);
                CHECK(strstr(t->files[i].path, "region=") != NULL);
                CHECK(strncmp(t->files[i].path + 7, (const char *)p, len) == 0);
            }
        }
        ls_column_batch_free(b);
        ls_parquet_reader_free(r);
    }
    CHECK_EQ_INT((int64_t)n, expected);
    CHECK_EQ_INT(t->row_count, expected);
    qsort(ids, n, sizeof *ids, compare_ids);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(ids[i], (int64_t)i);
    free(ids);
    return t;
}

TEST(paimon_compaction_commits_a_compact_snapshot_with_the_same_rows)
{
    fixture fx;
    paimon_open(&fx);
    for (int i = 0; i < 6; i++)
        paimon_ingest(&fx, 10 + i, i % 3 ? "eu" : "us");
    paimon_ingest(&fx, 5, "us");
    ls_paimon_table *t = paimon_check_rows(&fx, fx.next_offset);
    CHECK_EQ_INT(t->file_count, 7);
    int64_t before_snapshot = t->snapshot.id;
    ls_paimon_table_free(t);

    ls_maintenance_config config = small_config();
    ls_maintenance_result result = {0};
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_maintenance_run(fx.committer, &fx.ref, &config, wall_ms(), &result, &err), &err);
    CHECK_EQ_INT(result.partitions_compacted, 2);
    CHECK_EQ_INT(result.files_rewritten, 7);
    CHECK_EQ_INT(result.files_written, 2);
    CHECK_EQ_INT(result.records_rewritten, fx.next_offset);
    CHECK_EQ_INT(result.max_partition_files_after, 1);

    t = paimon_check_rows(&fx, fx.next_offset);
    CHECK_EQ_INT(t->file_count, 2);
    CHECK_EQ_INT(t->snapshot.id, before_snapshot + 1);
    CHECK_EQ_STR(t->snapshot.commit_kind, "COMPACT");
    CHECK_EQ_INT(t->snapshot.total_record_count, fx.next_offset);
    CHECK_EQ_INT(t->snapshot.delta_record_count, 0);
    CHECK_EQ_STR(ls_paimon_strmap_get(&t->snapshot.properties, "lakesync.job-id"), "job1");
    CHECK(strstr(ls_paimon_strmap_get(&t->snapshot.properties, "lakesync.offsets"), "\"0\":80"));
    for (size_t i = 0; i < t->file_count; i++) {
        CHECK_EQ_INT(t->files[i].entry.file.file_source, LS_PAIMON_FILE_SOURCE_COMPACT);
        CHECK(strstr(t->files[i].path, "/bucket-0/data-") != NULL);
    }
    ls_paimon_table_free(t);
    CHECK_EQ_INT(table_offset(&fx), fx.next_offset);

    /* Ingestion goes on from the same offsets. */
    paimon_ingest(&fx, 4, "eu");
    t = paimon_check_rows(&fx, fx.next_offset);
    CHECK_EQ_STR(t->snapshot.commit_kind, "APPEND");
    ls_paimon_table_free(t);
    fixture_close(&fx);
}

TEST(paimon_expiration_keeps_the_latest_range_and_its_files_only)
{
    fixture fx;
    paimon_open(&fx);
    for (int i = 0; i < 5; i++)
        paimon_ingest(&fx, 10, "eu");
    ls_maintenance_config config = small_config();
    ls_maintenance_result result = {0};
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_maintenance_run(fx.committer, &fx.ref, &config, wall_ms(), &result, &err), &err);
    CHECK_EQ_INT(result.files_rewritten, 5);
    CHECK_EQ_INT(result.snapshots_expired, 0); /* all younger than an hour */
    paimon_ingest(&fx, 3, "us");
    CHECK_EQ_INT(count_files(&fx, "region=eu"), 6); /* 5 replaced + 1 new, all referenced */

    config.snapshot_max_age_ms = 0;
    config.snapshot_min_keep = 2;
    memset(&result, 0, sizeof result);
    CHECK_OK(ls_maintenance_expire_paimon(fx.committer, &fx.ref, &config, wall_ms() + 1000,
                                          &result, &err),
             &err);
    CHECK_EQ_INT(result.snapshots_expired, 5); /* 7 snapshots, the newest 2 stay */
    CHECK(result.expired_files_deleted >= 5);
    /* The compacted files went with the snapshots that held them. */
    CHECK_EQ_INT(count_files(&fx, "region=eu"), 1);
    CHECK_EQ_INT(count_files(&fx, "region=us"), 1);
    CHECK_EQ_INT(count_files(&fx, "snapshot"), 2 + 2); /* and EARLIEST, LATEST */
    char hint[1400];
    snprintf(hint, sizeof hint, "%s/snapshot/EARLIEST", fx.dir);
    char *earliest = testing_read_file(hint, NULL);
    CHECK_EQ_STR(earliest, "6");
    free(earliest);
    ls_paimon_table *t = paimon_check_rows(&fx, fx.next_offset);
    CHECK_EQ_INT(t->earliest_snapshot_id, 6);
    ls_paimon_table_free(t);
    CHECK_EQ_INT(table_offset(&fx), fx.next_offset);
    /* Every manifest left is named by a kept snapshot: a second run finds
     * nothing, and ingestion goes on. */
    memset(&result, 0, sizeof result);
    CHECK_OK(ls_maintenance_expire_paimon(fx.committer, &fx.ref, &config, wall_ms() + 1000,
                                          &result, &err),
             &err);
    CHECK_EQ_INT(result.snapshots_expired, 0);
    paimon_ingest(&fx, 2, "eu");
    ls_paimon_table_free(paimon_check_rows(&fx, fx.next_offset));
    fixture_close(&fx);
}

/* The Paimon twin of a_crash_at_any_point_of_compaction_leaves_the_table_
 * correct: a COMPACT snapshot lands whole or not at all. */
TEST(paimon_a_crash_at_any_point_of_compaction_leaves_the_table_correct)
{
    fixture fx;
    paimon_open(&fx);
    for (int i = 0; i < 30; i++)
        paimon_ingest(&fx, 200, i % 2 ? "eu" : "us");
    bool finished = false;
    int runs = 0;
    for (useconds_t delay_us = 0; !finished && runs < 400; delay_us += 1000 + delay_us / 8, runs++) {
        finished = compact_and_kill(&fx, ls_maintenance_compact_paimon, delay_us);
        /* Either nothing moved, or the COMPACT snapshot landed whole (the
         * kill may come after it, before the child exits). */
        ls_paimon_table *t = paimon_check_rows(&fx, fx.next_offset);
        bool compacted = strcmp(t->snapshot.commit_kind, "COMPACT") == 0;
        CHECK_EQ_INT(t->snapshot.id, compacted ? 31 : 30);
        CHECK_EQ_INT(t->file_count, compacted ? 2 : 30);
        ls_paimon_table_free(t);
        CHECK_EQ_INT(table_offset(&fx), fx.next_offset);
    }
    CHECK(finished);
    CHECK(runs > 3);
    ls_paimon_table *t = paimon_check_rows(&fx, fx.next_offset);
    CHECK_EQ_STR(t->snapshot.commit_kind, "COMPACT");
    CHECK_EQ_INT(t->file_count, 2);
    ls_paimon_table_free(t);
    paimon_ingest(&fx, 7, "eu"); /* the committer carries on after the crashes */
    /* What the crashed runs left is orphaned; once old enough it goes, and
     * the data files on disk are then exactly the live ones. */
    ls_maintenance_config config = small_config();
    config.min_input_files = 100; /* no compaction here */
    config.snapshot_max_age_ms = 0;  /* the replaced files go with their snapshots */
    config.snapshot_min_keep = 1;
    ls_maintenance_result result = {0};
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_maintenance_run(fx.committer, &fx.ref, &config,
                                wall_ms() + 2 * config.orphan_age_ms, &result, &err),
             &err);
    CHECK(result.orphans_deleted > 0);
    t = paimon_check_rows(&fx, fx.next_offset);
    CHECK_EQ_INT(count_files(&fx, "region=eu") + count_files(&fx, "region=us"),
                 (int)t->file_count);
    ls_paimon_table_free(t);
    fixture_close(&fx);
}

TEST(paimon_orphans_spare_referenced_young_and_foreign_files)
{
    fixture fx;
    paimon_open(&fx);
    for (int i = 0; i < 3; i++)
        paimon_ingest(&fx, 5, "eu");
    static const char *const stray[] = {"region=eu/bucket-0/data-stray.parquet",
                                        "manifest/manifest-stray-0", "notes.txt"};
    for (size_t i = 0; i < 3; i++) {
        char path[1500];
        snprintf(path, sizeof path, "%s/%s", fx.dir, stray[i]);
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        fputs("uncommitted", f);
        fclose(f);
    }
    ls_maintenance_config config = small_config();
    config.min_input_files = 100; /* no compaction here */
    ls_maintenance_result result = {0};
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_maintenance_run(fx.committer, &fx.ref, &config, wall_ms(), &result, &err), &err);
    CHECK_EQ_INT(result.orphans_deleted, 0); /* younger than the window */
    CHECK_OK(ls_maintenance_run(fx.committer, &fx.ref, &config,
                                wall_ms() + 2 * config.orphan_age_ms, &result, &err),
             &err);
    CHECK_EQ_INT(result.orphans_deleted, 2);
    char path[1500];
    snprintf(path, sizeof path, "%s/%s", fx.dir, stray[2]);
    CHECK(access(path, F_OK) == 0); /* not a file lakesync writes: left alone */
    CHECK_EQ_INT(count_files(&fx, "region=eu"), 3);
    ls_paimon_table_free(paimon_check_rows(&fx, fx.next_offset));
    paimon_ingest(&fx, 2, "eu");
    ls_paimon_table_free(paimon_check_rows(&fx, fx.next_offset));
    fixture_close(&fx);
}
