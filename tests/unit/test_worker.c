/* The worker's pure pieces: offset ranges, the commit request's typed JSON
 * (bounds, partition values), file names, partition routing, the spec. */
#include <math.h>

#include "testing.h"
#include "worker.h"

static char *dump(const json_t *json)
{
    char *text = json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS);
    CHECK(text != NULL);
    return text;
}

#define CHECK_JSON(json, expected)                                                                 \
    do {                                                                                           \
        char *text_ = dump(json);                                                                  \
        CHECK_EQ_STR(text_, expected);                                                             \
        free(text_);                                                                               \
    } while (0)

TEST(ranges_track_half_open_ranges)
{
    ls_worker_ranges r;
    ls_error err;
    ls_error_clear(&err);
    bool ok = false;
    ls_worker_ranges_init(&r);
    CHECK_OK(ls_worker_ranges_reset(&r, 0, 100, &err), &err);
    CHECK_OK(ls_worker_ranges_reset(&r, 3, -1, &err), &err);
    CHECK(!ls_worker_ranges_pending(&r));
    CHECK_OK(ls_worker_ranges_observe(&r, 0, 100, &ok, &err), &err);
    CHECK(ok);
    CHECK_OK(ls_worker_ranges_observe(&r, 0, 104, &ok, &err), &err); /* a gap is covered */
    CHECK(ok);
    CHECK_OK(ls_worker_ranges_observe(&r, 0, 101, &ok, &err), &err); /* a replay is not */
    CHECK(!ok);
    CHECK_OK(ls_worker_ranges_observe(&r, 3, 7, &ok, &err), &err); /* never committed */
    CHECK(ok);
    CHECK(ls_worker_ranges_pending(&r));
    json_t *json = ls_worker_ranges_to_json(&r);
    CHECK_JSON(json, "{\"0\":[100,105],\"3\":[7,8]}");
    json_decref(json);

    json_t *table = json_pack("{sisi}", "0", 105, "3", 7);
    CHECK(!ls_worker_ranges_landed(&r, table));
    json_object_set_new(table, "3", json_integer(8));
    CHECK(ls_worker_ranges_landed(&r, table));
    json_decref(table);

    /* Repositioning a partition that holds messages would lose them. */
    CHECK_EQ_INT(ls_worker_ranges_reset(&r, 0, 100, &err), LS_ERR_INTERNAL);
    ls_worker_ranges_committed(&r);
    CHECK(!ls_worker_ranges_pending(&r));
    CHECK_OK(ls_worker_ranges_observe(&r, 0, 105, &ok, &err), &err);
    json = ls_worker_ranges_to_json(&r);
    CHECK_JSON(json, "{\"0\":[105,106]}");
    json_decref(json);
    ls_worker_ranges_abandon(&r);
    CHECK(!ls_worker_ranges_pending(&r));
    ls_error_clear(&err);
    CHECK_OK(ls_worker_ranges_reset(&r, 0, 105, &err), &err);
    CHECK_EQ_INT(ls_worker_ranges_observe(&r, -1, 0, &ok, &err), LS_ERR_INVALID);
    ls_worker_ranges_cleanup(&r);
}

/* A latest start is pinned: the next commit carries [start, start) even
 * when no message came, and the pin goes once committed or abandoned. */
TEST(ranges_pin_latest_starts)
{
    ls_worker_ranges r;
    ls_error err;
    ls_error_clear(&err);
    bool ok = false;
    ls_worker_ranges_init(&r);
    CHECK_OK(ls_worker_ranges_reset(&r, 0, 40, &err), &err); /* the table knows 0 */
    CHECK_OK(ls_worker_ranges_reset(&r, 1, -1, &err), &err);
    CHECK_OK(ls_worker_ranges_reset(&r, 2, -1, &err), &err);
    CHECK_OK(ls_worker_ranges_pin(&r, 0, 99, &err), &err); /* ignored: it has a position */
    CHECK_OK(ls_worker_ranges_pin(&r, 1, 7, &err), &err);
    CHECK_OK(ls_worker_ranges_pin(&r, 2, 0, &err), &err);
    CHECK(ls_worker_ranges_pending(&r));
    json_t *json = ls_worker_ranges_to_json(&r);
    CHECK_JSON(json, "{\"1\":[7,7],\"2\":[0,0]}");
    json_decref(json);
    CHECK_OK(ls_worker_ranges_observe(&r, 1, 9, &ok, &err), &err); /* covers 7..9 */
    CHECK(ok);
    CHECK_OK(ls_worker_ranges_observe(&r, 2, 3, &ok, &err), &err);
    json = ls_worker_ranges_to_json(&r);
    CHECK_JSON(json, "{\"1\":[7,10],\"2\":[0,4]}");
    json_decref(json);
    json_t *table = json_pack("{sisisi}", "0", 40, "1", 10, "2", 4);
    CHECK(ls_worker_ranges_landed(&r, table));
    json_decref(table);
    ls_worker_ranges_committed(&r);
    CHECK(!ls_worker_ranges_pending(&r));

    CHECK_OK(ls_worker_ranges_reset(&r, 3, -1, &err), &err);
    CHECK_OK(ls_worker_ranges_pin(&r, 3, 5, &err), &err);
    table = json_pack("{si}", "3", 4);
    CHECK(!ls_worker_ranges_landed(&r, table)); /* the pin is not in the table yet */
    json_decref(table);
    ls_worker_ranges_committed(&r);
    CHECK(!ls_worker_ranges_pending(&r));
    CHECK_OK(ls_worker_ranges_reset(&r, 4, -1, &err), &err);
    CHECK_OK(ls_worker_ranges_pin(&r, 4, 5, &err), &err);
    ls_worker_ranges_abandon(&r);
    CHECK(!ls_worker_ranges_pending(&r));
    CHECK_EQ_INT(ls_worker_ranges_pin(&r, -2, 5, &err), LS_ERR_INVALID);
    ls_worker_ranges_cleanup(&r);
}

TEST(int128_text)
{
    char text[48];
    ls_int128 max = (((ls_int128)1 << 126) - 1) * 2 + 1;
    CHECK_EQ_STR(ls_worker_int128_text(0, text, sizeof text), "0");
    CHECK_EQ_STR(ls_worker_int128_text(-42, text, sizeof text), "-42");
    CHECK_EQ_STR(ls_worker_int128_text(max, text, sizeof text),
                 "170141183460469231731687303715884105727");
    CHECK_EQ_STR(ls_worker_int128_text(-max - 1, text, sizeof text),
                 "-170141183460469231731687303715884105728");
}

static ls_parquet_column_stats stats_of(ls_type_kind kind)
{
    ls_parquet_column_stats s;
    memset(&s, 0, sizeof s);
    s.field_id = 3;
    s.type.kind = kind;
    s.compressed_bytes = 812;
    s.value_count = 66;
    s.null_count = 2;
    s.has_min_max = true;
    return s;
}

TEST(bounds_integers_as_decimal_strings)
{
    ls_parquet_column_stats s = stats_of(LS_TYPE_BIGINT);
    s.min_int = INT64_MIN;
    s.max_int = INT64_MAX;
    json_t *json = ls_worker_column_json(&s);
    CHECK_JSON(json, "{\"bounds_truncated\":false,\"compressed_size_bytes\":812,\"field_id\":3,"
                     "\"lower\":\"-9223372036854775808\",\"nan_count\":0,\"null_count\":2,"
                     "\"upper\":\"9223372036854775807\",\"value_count\":66}");
    json_decref(json);
    s = stats_of(LS_TYPE_DATE);
    s.min_int = 20780;
    s.max_int = 20781;
    json = ls_worker_column_json(&s);
    CHECK_EQ_STR(json_string_value(json_object_get(json, "lower")), "20780");
    json_decref(json);
    s = stats_of(LS_TYPE_DECIMAL);
    s.type.precision = 30;
    s.min_int128 = -((ls_int128)1 << 100);
    s.max_int128 = 5;
    json = ls_worker_column_json(&s);
    CHECK_EQ_STR(json_string_value(json_object_get(json, "lower")),
                 "-1267650600228229401496703205376");
    CHECK_EQ_STR(json_string_value(json_object_get(json, "upper")), "5");
    json_decref(json);
}

TEST(bounds_booleans_and_floats)
{
    ls_parquet_column_stats s = stats_of(LS_TYPE_BOOLEAN);
    s.min_int = 0;
    s.max_int = 1;
    json_t *json = ls_worker_column_json(&s);
    CHECK(json_is_false(json_object_get(json, "lower")));
    CHECK(json_is_true(json_object_get(json, "upper")));
    json_decref(json);

    s = stats_of(LS_TYPE_DOUBLE);
    s.min_double = -1.5;
    s.max_double = 0.1;
    s.nan_count = 4;
    json = ls_worker_column_json(&s);
    CHECK(json_real_value(json_object_get(json, "lower")) == -1.5);
    CHECK(json_real_value(json_object_get(json, "upper")) == 0.1);
    CHECK_EQ_INT(json_integer_value(json_object_get(json, "nan_count")), 4);
    json_decref(json);

    /* Only NaN or nulls: no bounds at all. An infinity cannot be JSON: none. */
    s = stats_of(LS_TYPE_FLOAT);
    s.has_min_max = false;
    json = ls_worker_column_json(&s);
    CHECK(json_object_get(json, "lower") == NULL && json_object_get(json, "upper") == NULL);
    json_decref(json);
    s = stats_of(LS_TYPE_FLOAT);
    s.min_double = 1;
    s.max_double = INFINITY;
    json = ls_worker_column_json(&s);
    CHECK(json_object_get(json, "lower") == NULL && json_object_get(json, "upper") == NULL);
    json_decref(json);
}

TEST(bounds_strings_cut_at_64_code_points)
{
    /* 70 code points, each 'é' two bytes: cut after 64 code points (128 bytes). */
    uint8_t long_text[140];
    for (size_t i = 0; i < 70; i++) {
        long_text[2 * i] = 0xC3;
        long_text[2 * i + 1] = 0xA9;
    }
    ls_parquet_column_stats s = stats_of(LS_TYPE_STRING);
    s.min_bytes = (uint8_t *)"a";
    s.min_bytes_len = 1;
    s.max_bytes = long_text;
    s.max_bytes_len = sizeof long_text;
    json_t *json = ls_worker_column_json(&s);
    CHECK_EQ_STR(json_string_value(json_object_get(json, "lower")), "a");
    CHECK_EQ_INT(json_string_length(json_object_get(json, "upper")), 128);
    CHECK(json_is_true(json_object_get(json, "bounds_truncated")));
    json_decref(json);

    s.max_bytes_len = 128; /* exactly 64 code points: not cut */
    json = ls_worker_column_json(&s);
    CHECK(json_is_false(json_object_get(json, "bounds_truncated")));
    json_decref(json);
}

TEST(bounds_binary_base64_cut_at_64_bytes)
{
    uint8_t bytes[70];
    memset(bytes, 0xFF, sizeof bytes);
    ls_parquet_column_stats s = stats_of(LS_TYPE_BINARY);
    s.min_bytes = (uint8_t *)"\x00\x01";
    s.min_bytes_len = 2;
    s.max_bytes = bytes;
    s.max_bytes_len = sizeof bytes;
    json_t *json = ls_worker_column_json(&s);
    CHECK_EQ_STR(json_string_value(json_object_get(json, "lower")), "AAE=");
    /* 64 bytes -> 88 base64 characters. */
    CHECK_EQ_INT(json_string_length(json_object_get(json, "upper")), 88);
    CHECK(json_is_true(json_object_get(json, "bounds_truncated")));
    json_decref(json);
}

TEST(file_names)
{
    char name[LS_WORKER_FILE_NAME_MAX];
    ls_error err;
    ls_error_clear(&err);
    const char *uuid = "0b9d1b9e-4f0c-4e59-8c6a-5d1f2f3a4b5c";
    CHECK_OK(ls_worker_file_name(false, 3, 7, uuid, 12, name, sizeof name, &err), &err);
    CHECK_EQ_STR(name, "00003-7-0b9d1b9e-4f0c-4e59-8c6a-5d1f2f3a4b5c-00012.parquet");
    CHECK_OK(ls_worker_file_name(true, 3, 7, uuid, 12, name, sizeof name, &err), &err);
    CHECK_EQ_STR(name, "data-0b9d1b9e-4f0c-4e59-8c6a-5d1f2f3a4b5c-12.parquet");
    CHECK_EQ_INT(ls_worker_file_name(false, 3, 7, uuid, 12, name, 20, &err), LS_ERR_TOO_LARGE);
    char a[40], b[40];
    CHECK_OK(ls_worker_uuid(a, sizeof a, &err), &err);
    CHECK_OK(ls_worker_uuid(b, sizeof b, &err), &err);
    CHECK_EQ_INT(strlen(a), 36);
    CHECK(a[14] == '4');
    CHECK(strcmp(a, b) != 0);
}

static const char *spec_text =
    "{\"job_id\":\"job_1\",\"run_id\":7,"
    "\"kafka\":{\"bootstrap_servers\":\"127.0.0.1:9092\",\"topic\":\"events\","
    "\"group_id\":\"g\",\"security\":{\"protocol\":\"plaintext\",\"sasl_mechanism\":null,"
    "\"username\":null,\"password\":null}},"
    "\"start\":{\"mode\":\"earliest\",\"timestamp_ms\":0},\"parse_levels\":1,"
    "\"fields\":[{\"source\":\"ts\",\"name\":\"ts\",\"type\":\"timestamptz\",\"field_id\":1},"
    "{\"source\":\"user\",\"name\":\"user\",\"type\":\"string\",\"field_id\":2},"
    "{\"source\":\"__kafka_offset__\",\"name\":\"off\",\"type\":\"bigint\",\"field_id\":3}],"
    "\"partition\":[{\"source\":\"ts\",\"transform\":\"day\",\"name\":\"ts_day\","
    "\"field_id\":1000},{\"source\":\"user\",\"transform\":\"identity\",\"name\":\"user\","
    "\"field_id\":1001}],"
    "\"format\":\"iceberg\",\"data_location\":\"file:///tmp/w/data/\","
    "\"storage\":{\"endpoint\":null},\"commit_interval_ms\":1000,"
    "\"target_file_size_bytes\":134217728,\"error_policy\":\"skip\"}";

static void parse_spec(const char *text, ls_worker_spec *spec)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    CHECK(doc != NULL);
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_worker_spec_parse(doc, spec, &err), &err);
    json_decref(doc);
}

TEST(spec_parses_and_checks)
{
    ls_worker_spec spec;
    parse_spec(spec_text, &spec);
    CHECK_EQ_STR(spec.topic, "events");
    CHECK_EQ_INT(spec.run_id, 7);
    CHECK_EQ_INT(spec.field_count, 3);
    CHECK_EQ_INT(spec.fields[0].type.kind, LS_TYPE_TIMESTAMPTZ);
    CHECK_EQ_INT(spec.partition_count, 2);
    CHECK_EQ_STR(spec.data_location, "file:///tmp/w/data");
    CHECK_EQ_INT(spec.error_policy, LS_WORKER_ERRORS_SKIP);
    CHECK(spec.sasl_username == NULL);
    ls_worker_spec_cleanup(&spec);

    json_error_t jerr;
    json_t *doc = json_loads(spec_text, 0, &jerr);
    json_object_set_new(json_object_get(doc, "start"), "mode", json_string("sometime"));
    ls_error err;
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_worker_spec_parse(doc, &spec, &err), LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "start.mode");
    json_object_set_new(json_object_get(doc, "start"), "mode", json_string("latest"));
    json_object_del(doc, "fields");
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_worker_spec_parse(doc, &spec, &err), LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "fields");
    json_decref(doc);
}

TEST(spec_dead_letter_and_error_ratio)
{
    json_error_t jerr;
    json_t *doc = json_loads(spec_text, 0, &jerr);
    CHECK(doc != NULL);
    ls_worker_spec spec;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_worker_spec_parse(doc, &spec, &err), &err); /* skip: no table needed */
    CHECK(spec.dead_letter_location == NULL);
    CHECK(spec.max_error_ratio == 1.0);
    CHECK_EQ_INT(spec.error_window, 1000);
    ls_worker_spec_cleanup(&spec);
    /* The dlq policy needs the dead-letter table. */
    json_object_set_new(doc, "error_policy", json_string("dlq"));
    CHECK_EQ_INT(ls_worker_spec_parse(doc, &spec, &err), LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "dead_letter");
    json_object_set_new(doc, "dead_letter", json_pack("{s:s, s:s}", "table", "t__dlq",
                                                      "data_location", "file:///tmp/w__dlq/data/"));
    json_object_set_new(doc, "max_error_ratio", json_real(0.25));
    json_object_set_new(doc, "error_window", json_integer(40));
    ls_error_clear(&err);
    CHECK_OK(ls_worker_spec_parse(doc, &spec, &err), &err);
    CHECK_EQ_STR(spec.dead_letter_table, "t__dlq");
    CHECK_EQ_STR(spec.dead_letter_location, "file:///tmp/w__dlq/data");
    CHECK(spec.max_error_ratio == 0.25);
    CHECK_EQ_INT(spec.error_window, 40);
    ls_worker_spec_cleanup(&spec);
    /* Out of range: named. */
    json_object_set_new(doc, "max_error_ratio", json_real(1.5));
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_worker_spec_parse(doc, &spec, &err), LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "max_error_ratio");
    json_object_set_new(doc, "max_error_ratio", json_real(0.5));
    json_object_set_new(doc, "error_window", json_integer(0));
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_worker_spec_parse(doc, &spec, &err), LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "error_window");
    json_decref(doc);
}

TEST(routing_by_day_and_identity)
{
    ls_worker_spec spec;
    parse_spec(spec_text, &spec);
    ls_worker_partitioner p;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_worker_partitioner_init(&p, &spec, &err), &err);
    ls_type types[3] = {spec.fields[0].type, spec.fields[1].type, spec.fields[2].type};
    ls_column_batch *batch = ls_column_batch_new(types, 3, 1 << 20);
    ls_column_batch *copy = ls_column_batch_new(types, 3, 1 << 20);
    /* Row 0: 2026-11-23T10:30Z, "ann", 5. Row 1: nulls but the offset. */
    ls_column_batch_row_begin(batch);
    CHECK_OK(ls_column_set_int64(&batch->columns[0], 1795429800000000LL, &err), &err);
    CHECK_OK(ls_column_set_bytes(&batch->columns[1], "ann", 3, &err), &err);
    CHECK_OK(ls_column_set_int64(&batch->columns[2], 5, &err), &err);
    CHECK_OK(ls_column_batch_row_end(batch, &err), &err);
    ls_column_batch_row_begin(batch);
    CHECK_OK(ls_column_set_int64(&batch->columns[2], 6, &err), &err);
    CHECK_OK(ls_column_batch_row_end(batch, &err), &err);

    size_t cursors[3] = {0, 0, 0};
    ls_buf path;
    ls_buf_init(&path, 1024);
    json_t *values = NULL;
    CHECK_OK(ls_worker_partition_row(&p, batch, 0, cursors, &path, &values, &err), &err);
    CHECK_EQ_STR((const char *)path.data, "ts_day=2026-11-23/user=ann");
    CHECK_JSON(values, "{\"ts_day\":\"20780\",\"user\":\"ann\"}");
    json_decref(values);
    CHECK_OK(ls_worker_copy_row(batch, 0, cursors, copy, &err), &err);
    ls_worker_advance_cursors(batch, 0, cursors);
    CHECK_EQ_INT(cursors[0], 1);
    CHECK_EQ_INT(cursors[2], 1);

    ls_buf_reset(&path);
    CHECK_OK(ls_worker_partition_row(&p, batch, 1, cursors, &path, &values, &err), &err);
    CHECK_EQ_STR((const char *)path.data, "ts_day=null/user=null");
    CHECK_JSON(values, "{\"ts_day\":null,\"user\":null}");
    json_decref(values);
    CHECK_OK(ls_worker_copy_row(batch, 1, cursors, copy, &err), &err);

    /* The copy holds the same rows. */
    CHECK_EQ_INT(copy->row_count, 2);
    ls_iceberg_value v;
    ls_worker_batch_value(&copy->columns[1], 0, &v);
    CHECK_EQ_INT(v.u.bytes.len, 3);
    CHECK_EQ_MEM(v.u.bytes.data, "ann", 3);
    CHECK(!ls_column_is_valid(&copy->columns[0], 1));
    ls_worker_batch_value(&copy->columns[2], 1, &v);
    CHECK_EQ_INT(v.u.i64, 6);

    ls_buf_cleanup(&path);
    ls_column_batch_free(batch);
    ls_column_batch_free(copy);
    ls_worker_partitioner_cleanup(&p);
    ls_worker_spec_cleanup(&spec);
}

/* The routing key: rows with the same partition have equal keys, rows of
 * different partitions different ones (by day, by user, null or not), and
 * computing it formats nothing. */
TEST(routing_keys_match_exactly_when_partitions_do)
{
    ls_worker_spec spec;
    parse_spec(spec_text, &spec);
    ls_worker_partitioner p;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_worker_partitioner_init(&p, &spec, &err), &err);
    ls_type types[3] = {spec.fields[0].type, spec.fields[1].type, spec.fields[2].type};
    ls_column_batch *batch = ls_column_batch_new(types, 3, 1 << 20);
    /* ts (micros; 0: null), user (NULL: null) */
    const int64_t day = 86400LL * 1000000;
    const struct { int64_t ts; const char *user; } rows[] = {
        {20780 * day + 5, "ann"},  {20780 * day + 9, "ann"}, {20781 * day, "ann"},
        {20780 * day, "an"},       {20780 * day, NULL},      {0, "ann"},
        {20780 * day + 7, "ann"},  {20780 * day + 1, ""},
    };
    size_t n = sizeof rows / sizeof rows[0];
    for (size_t r = 0; r < n; r++) {
        ls_column_batch_row_begin(batch);
        if (rows[r].ts)
            CHECK_OK(ls_column_set_int64(&batch->columns[0], rows[r].ts, &err), &err);
        if (rows[r].user)
            CHECK_OK(ls_column_set_bytes(&batch->columns[1], rows[r].user, strlen(rows[r].user),
                                         &err),
                     &err);
        CHECK_OK(ls_column_set_int64(&batch->columns[2], (int64_t)r, &err), &err);
        CHECK_OK(ls_column_batch_row_end(batch, &err), &err);
    }
    ls_buf keys[8], paths[8];
    size_t cursors[3] = {0, 0, 0};
    for (size_t r = 0; r < n; r++) {
        ls_buf_init(&keys[r], 1024);
        ls_buf_init(&paths[r], 1024);
        CHECK_OK(ls_worker_partition_key(&p, batch, r, cursors, &keys[r], &err), &err);
        CHECK_OK(ls_worker_partition_row(&p, batch, r, cursors, &paths[r], NULL, &err), &err);
        ls_worker_advance_cursors(batch, r, cursors);
    }
    CHECK_EQ_STR((const char *)paths[0].data, "ts_day=2026-11-23/user=ann");
    for (size_t a = 0; a < n; a++) {
        for (size_t b = 0; b < n; b++) {
            bool same_path = strcmp((const char *)paths[a].data, (const char *)paths[b].data) == 0;
            bool same_key = keys[a].len == keys[b].len &&
                            memcmp(keys[a].data, keys[b].data, keys[a].len) == 0;
            CHECK(same_path == same_key);
        }
    }
    CHECK(keys[0].len == keys[1].len && memcmp(keys[0].data, keys[1].data, keys[0].len) == 0);
    for (size_t r = 0; r < n; r++) {
        ls_buf_cleanup(&keys[r]);
        ls_buf_cleanup(&paths[r]);
    }
    ls_column_batch_free(batch);
    ls_worker_partitioner_cleanup(&p);
    ls_worker_spec_cleanup(&spec);
}

TEST(routing_rejects_unknown_source)
{
    json_error_t jerr;
    json_t *doc = json_loads(spec_text, 0, &jerr);
    json_object_set_new(json_array_get(json_object_get(doc, "partition"), 0), "source",
                        json_string("nope"));
    ls_worker_spec spec;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_worker_spec_parse(doc, &spec, &err), &err);
    ls_worker_partitioner p;
    CHECK_EQ_INT(ls_worker_partitioner_init(&p, &spec, &err), LS_ERR_INVALID);
    ls_worker_spec_cleanup(&spec);
    json_decref(doc);
}

TEST(file_json_shape)
{
    ls_parquet_column_stats column = stats_of(LS_TYPE_INT);
    column.min_int = -1;
    column.max_int = 9;
    uint64_t splits[1] = {4};
    ls_parquet_file_stats stats = {.row_count = 66,
                                   .file_size_bytes = 51234,
                                   .split_offsets = splits,
                                   .row_group_count = 1,
                                   .columns = &column,
                                   .column_count = 1};
    json_t *partition = json_pack("{ss}", "ts_day", "20780");
    json_t *file = ls_worker_file_json("file:///d/x.parquet", &stats, partition);
    CHECK_JSON(file, "{\"columns\":[{\"bounds_truncated\":false,\"compressed_size_bytes\":812,"
                     "\"field_id\":3,\"lower\":\"-1\",\"nan_count\":0,\"null_count\":2,"
                     "\"upper\":\"9\",\"value_count\":66}],\"file_size_bytes\":51234,"
                     "\"partition\":{\"ts_day\":\"20780\"},\"path\":\"file:///d/x.parquet\","
                     "\"record_count\":66,\"split_offsets\":[4]}");
    json_decref(file);
    json_decref(partition);
}

/* ---- schema evolution (worker_evolve.c) ---------------------------------- */

#include "worker_internal.h"

static const char evolving_spec_text[] =
    "{\"job_id\":\"job_1\",\"run_id\":7,"
    "\"kafka\":{\"bootstrap_servers\":\"127.0.0.1:9092\",\"topic\":\"events\",\"group_id\":\"g\"},"
    "\"start\":{\"mode\":\"earliest\",\"timestamp_ms\":0},\"parse_levels\":1,"
    "\"fields\":[{\"source\":\"id\",\"name\":\"id\",\"type\":\"bigint\",\"field_id\":1},"
    "{\"source\":\"n\",\"name\":\"n\",\"type\":\"int\",\"field_id\":2},"
    "{\"source\":\"ok\",\"name\":\"ok\",\"type\":\"boolean\",\"field_id\":3}],"
    "\"partition\":[],\"format\":\"iceberg\",\"data_location\":\"file:///tmp/w/data\","
    "\"storage\":{\"endpoint\":null},\"commit_interval_ms\":1000,"
    "\"target_file_size_bytes\":134217728,\"error_policy\":\"skip\","
    "\"schema_evolution\":\"add_and_widen\",\"schema_id\":4,\"ignored_sources\":[\"secret\"]}";

static ls_code scan_into(worker *w, const char *msg, ls_jsonscan_error *record)
{
    ls_error err;
    ls_error_clear(&err);
    memset(record, 0, sizeof *record);
    return ls_jsonscan_row(w->plan, (const uint8_t *)msg, strlen(msg), NULL, w->staging, record,
                           &err);
}

/* The worker's side of schema evolution without a server: a held message
 * becomes an additions proposal (ignored sources left out), an int overflow
 * a widening, a value nothing fits a type_conflict naming both types, and the
 * server's answer a new schema the message then scans into. */
TEST(evolution_proposals_and_answers)
{
    worker *w = calloc(1, sizeof *w);
    CHECK(w != NULL);
    ls_error err;
    ls_error_clear(&err);
    parse_spec(evolving_spec_text, &w->spec);
    CHECK_EQ_INT(w->spec.schema_id, 4);
    CHECK_EQ_INT(w->spec.ignored_count, 1);
    CHECK(worker_evolving(w));
    CHECK_OK(worker_schema_build(w, &err), &err);
    ls_jsonscan_set_hold_unmapped(w->plan, true);
    ls_jsonscan_error record;

    const char *msg = "{\"id\":1,\"n\":2,\"secret\":\"s\",\"model\":\"x1\",\"gone\":null}";
    CHECK_EQ_INT(scan_into(w, msg, &record), LS_ERR_CONFLICT);
    json_t *proposal = NULL;
    CHECK_OK(worker_additions_proposal(w, (const uint8_t *)msg, strlen(msg), &proposal, &err),
             &err);
    CHECK_JSON(proposal, "{\"add\":[{\"source\":\"model\",\"type\":\"string\"}],\"run_id\":7,"
                         "\"widen\":[],\"worker_index\":0}");
    json_decref(proposal);

    CHECK_EQ_INT(scan_into(w, "{\"id\":1,\"n\":3000000000}", &record), LS_ERR_INVALID);
    CHECK_EQ_INT(record.kind, LS_JSONSCAN_OUT_OF_RANGE);
    proposal = worker_widen_proposal(w, &record);
    CHECK_JSON(proposal, "{\"add\":[],\"run_id\":7,\"widen\":[{\"field_id\":2,"
                         "\"type\":\"bigint\"}],\"worker_index\":0}");
    json_decref(proposal);

    CHECK_EQ_INT(scan_into(w, "{\"id\":1,\"ok\":7}", &record), LS_ERR_INVALID);
    CHECK(worker_widen_proposal(w, &record) == NULL); /* a number fits no boolean */
    worker_type_conflict(w, &record);
    CHECK_EQ_STR(ls_jsonscan_error_kind_name(record.kind), "type_conflict");
    CHECK(strstr(record.message, "column ok is boolean and a JSON integer cannot become "
                                 "boolean") != NULL);

    json_t *answer = json_loads(
        "{\"changed\":true,\"schema_id\":5,\"ignored_sources\":[\"secret\",\"other\"],"
        "\"fields\":[{\"source\":\"id\",\"name\":\"id\",\"type\":\"bigint\",\"field_id\":1},"
        "{\"source\":\"n\",\"name\":\"n\",\"type\":\"int\",\"field_id\":2},"
        "{\"source\":\"ok\",\"name\":\"ok\",\"type\":\"boolean\",\"field_id\":3},"
        "{\"source\":\"model\",\"name\":\"model\",\"type\":\"string\",\"field_id\":4}]}",
        0, NULL);
    CHECK_OK(worker_apply_schema(w, answer, &err), &err);
    json_decref(answer);
    CHECK_EQ_INT(w->spec.field_count, 4);
    CHECK_EQ_INT(w->spec.schema_id, 5);
    CHECK_EQ_INT(w->spec.ignored_count, 2);
    CHECK_EQ_STR(w->spec.topic, "events");
    CHECK_EQ_INT(w->columns[3].field_id, 4);
    ls_jsonscan_set_hold_unmapped(w->plan, true);
    CHECK_EQ_INT(scan_into(w, msg, &record), LS_OK);
    CHECK_EQ_INT(w->staging->row_count, 1);
    worker_schema_free(w);
    ls_worker_spec_cleanup(&w->spec);
    free(w);
}
