/*
 * The Parquet reader against files from lakesync's writer: every type, nulls,
 * every codec, dictionary and PLAIN (with fallback), several row groups and
 * pages, extremes; projections, statistics, range reads; and corrupted or
 * truncated files, which must give errors and never crash (run under
 * ASan+UBSan in CI).
 */
#include <math.h>
#include <stdio.h>

#include "testing.h"

#include "column_batch.h"
#include "parquet_reader.h"
#include "parquet_thrift.h"
#include "parquet_writer.h"
#include "util/sink.h"

#define ROW_COUNT 3000

__extension__ typedef unsigned __int128 u128;

typedef struct col_def {
    const char *name;
    const char *type;
    bool required;
} col_def;

static const col_def ALL_TYPES[] = {
    {"b", "boolean", false},
    {"i", "int", true},
    {"l", "bigint", false},
    {"f", "float", false},
    {"d", "double", true},
    {"dec9", "decimal(9,2)", false},
    {"dec18", "decimal(18,4)", false},
    {"dec38", "decimal(38,10)", false},
    {"s", "string", false},
    {"s_req", "string", true},
    {"bin", "binary", false},
    {"day", "date", false},
    {"ts", "timestamp", false},
    {"tstz", "timestamptz", true},
};
#define ALL_TYPES_COUNT (sizeof ALL_TYPES / sizeof ALL_TYPES[0])

/* xorshift64*: deterministic values, so a failure reproduces. */
static uint64_t next_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * UINT64_C(2685821657736338717);
}

/* A value for row r of a column: extremes first, then low-cardinality runs
 * (the dictionary) or random values (its fallback). */
static void set_value(ls_column *col, size_t row, uint64_t *rng, bool low_card, ls_error *err)
{
    uint64_t x = low_card ? next_rand(rng) % 7 : next_rand(rng);
    ls_code rc = LS_OK;
    size_t pick = row % 97;
    switch (col->type.kind) {
    case LS_TYPE_BOOLEAN:
        rc = ls_column_set_bool(col, x & 1, err);
        break;
    case LS_TYPE_INT:
    case LS_TYPE_DATE: {
        int32_t v = pick == 0 ? INT32_MIN : pick == 1 ? INT32_MAX : (int32_t)(uint32_t)x;
        if (col->type.kind == LS_TYPE_DATE)
            v = (int32_t)(x % 200000) - 100000;
        rc = ls_column_set_int32(col, v, err);
        break;
    }
    case LS_TYPE_BIGINT:
    case LS_TYPE_TIMESTAMP:
    case LS_TYPE_TIMESTAMPTZ: {
        int64_t v = pick == 0 ? INT64_MIN : pick == 1 ? INT64_MAX : (int64_t)x;
        rc = ls_column_set_int64(col, v, err);
        break;
    }
    case LS_TYPE_FLOAT: {
        float v = pick == 0   ? NAN
                  : pick == 1 ? INFINITY
                  : pick == 2 ? -0.0f
                              : (float)(int64_t)x / 7.0f;
        rc = ls_column_set_float(col, v, err);
        break;
    }
    case LS_TYPE_DOUBLE: {
        double v = pick == 0   ? -INFINITY
                   : pick == 1 ? NAN
                   : pick == 2 ? 4.9e-324
                               : (double)(int64_t)x / 3.0;
        rc = ls_column_set_double(col, v, err);
        break;
    }
    case LS_TYPE_DECIMAL: {
        ls_int128 limit = 1;
        for (int i = 0; i < col->type.precision; i++)
            limit *= 10;
        ls_int128 v = (ls_int128)(((u128)x << 64) | next_rand(rng)) % limit;
        if (pick == 0)
            v = limit - 1;
        else if (pick == 1)
            v = -(limit - 1);
        if (col->storage == LS_STORAGE_INT128)
            rc = ls_column_set_int128(col, v, err);
        else
            rc = ls_column_set_int64(col, (int64_t)v, err);
        break;
    }
    case LS_TYPE_STRING:
    case LS_TYPE_BINARY: {
        char text[300];
        size_t len = pick == 0 ? 0 : (size_t)(x % 40);
        if (pick == 1)
            len = sizeof text;
        for (size_t i = 0; i < len; i++)
            text[i] = col->type.kind == LS_TYPE_STRING ? (char)('a' + (x + i) % 26)
                                                       : (char)(x >> (i % 8));
        rc = ls_column_set_bytes(col, text, len, err);
        break;
    }
    }
    CHECK_OK(rc, err);
}

/* Builds a batch of rows for cols: optional columns get about 1 null in 5
 * (all null in column "all_null" if present). */
static ls_column_batch *make_batch(const col_def *cols, size_t ncols, size_t rows, uint64_t seed,
                                   bool low_card)
{
    ls_type types[32];
    ls_error err;
    ls_error_clear(&err);
    for (size_t i = 0; i < ncols; i++)
        CHECK_OK(ls_type_parse(cols[i].type, &types[i], &err), &err);
    ls_column_batch *batch = ls_column_batch_new(types, ncols, (size_t)1 << 30);
    CHECK(batch);
    uint64_t rng = seed | 1;
    for (size_t r = 0; r < rows; r++) {
        ls_column_batch_row_begin(batch);
        for (size_t c = 0; c < ncols; c++) {
            bool null = !cols[c].required && next_rand(&rng) % 5 == 0;
            if (null)
                CHECK_OK(ls_column_set_null(&batch->columns[c], &err), &err);
            else
                set_value(&batch->columns[c], r, &rng, low_card && (r / 500) % 2 == 0, &err);
        }
        CHECK_OK(ls_column_batch_row_end(batch, &err), &err);
    }
    return batch;
}

/* Writes batch with the writer; the file's bytes go into out. */
static void write_file(const col_def *cols, size_t ncols, const ls_column_batch *batch,
                       ls_parquet_options *options, ls_buf *out)
{
    ls_error err;
    ls_error_clear(&err);
    ls_parquet_column_spec specs[32];
    for (size_t i = 0; i < ncols; i++) {
        specs[i].name = cols[i].name;
        specs[i].field_id = (int32_t)(i + 1);
        specs[i].type = batch->columns[i].type;
        specs[i].required = cols[i].required;
    }
    ls_buf_init(out, (size_t)1 << 30);
    ls_sink sink = ls_sink_for_buf(out);
    ls_parquet_writer *w = ls_parquet_writer_new(specs, ncols, options, &sink, &err);
    CHECK(w);
    CHECK_OK(ls_parquet_writer_write_batch(w, batch, &err), &err);
    CHECK_OK(ls_parquet_writer_close(w, NULL, &err), &err);
    ls_parquet_writer_free(w);
}

/* Compares column src (all rows) from row offset first with the read column. */
static void check_column(const ls_column *src, size_t *src_vi, const ls_column *got, size_t rows,
                         size_t first)
{
    CHECK(ls_type_equal(src->type, got->type));
    size_t width = ls_storage_width(src->storage), got_vi = 0;
    for (size_t r = 0; r < rows; r++) {
        bool valid = ls_column_is_valid(src, first + r);
        if (valid != ls_column_is_valid(got, r))
            testing_fail(__FILE__, __LINE__, "row %zu validity differs", first + r);
        if (!valid)
            continue;
        if (width) {
            CHECK_EQ_MEM(got->values.data + got_vi * width, src->values.data + *src_vi * width,
                         width);
        } else {
            size_t a_len, b_len;
            const uint8_t *a = ls_column_bytes_at(src, *src_vi, &a_len);
            const uint8_t *b = ls_column_bytes_at(got, got_vi, &b_len);
            CHECK_EQ_INT(b_len, a_len);
            if (a_len)
                CHECK_EQ_MEM(b, a, a_len);
        }
        (*src_vi)++;
        got_vi++;
    }
    CHECK_EQ_INT(got->value_count, got_vi);
}

/* Reads every row group of the file and compares with batch. Returns the
 * number of row groups. */
static size_t check_round_trip(const col_def *cols, size_t ncols, const ls_column_batch *batch,
                               const ls_buf *file)
{
    ls_error err;
    ls_error_clear(&err);
    ls_parquet_reader *r = ls_parquet_reader_open_buffer(file->data, file->len, NULL, &err);
    if (!r)
        testing_fail(__FILE__, __LINE__, "open: %s", err.message);
    CHECK_EQ_INT(ls_parquet_reader_column_count(r), ncols);
    CHECK_EQ_INT(ls_parquet_reader_row_count(r), batch->row_count);
    for (size_t c = 0; c < ncols; c++) {
        const ls_parquet_reader_column *rc = ls_parquet_reader_column_at(r, c);
        CHECK_EQ_STR(rc->name, cols[c].name);
        CHECK(rc->has_field_id);
        CHECK_EQ_INT(rc->field_id, c + 1);
        CHECK_EQ_INT(rc->required, cols[c].required);
        CHECK(ls_type_equal(rc->type, batch->columns[c].type));
    }
    ls_column_batch *got = ls_parquet_reader_batch_new(r, NULL, 0);
    CHECK(got);
    size_t src_vi[32] = {0}, first = 0;
    size_t groups = ls_parquet_reader_row_group_count(r);
    for (size_t g = 0; g < groups; g++) {
        CHECK_OK(ls_parquet_reader_read_row_group(r, g, NULL, 0, got, &err), &err);
        CHECK_EQ_INT(got->row_count, ls_parquet_reader_row_group_rows(r, g));
        for (size_t c = 0; c < ncols; c++)
            check_column(&batch->columns[c], &src_vi[c], &got->columns[c], got->row_count, first);
        first += got->row_count;
    }
    CHECK_EQ_INT(first, batch->row_count);
    ls_column_batch_free(got);
    ls_parquet_reader_free(r);
    return groups;
}

static void round_trip_with(ls_parquet_codec codec, bool dictionary)
{
    ls_column_batch *batch = make_batch(ALL_TYPES, ALL_TYPES_COUNT, ROW_COUNT, 42 + codec, true);
    ls_parquet_options options;
    ls_parquet_options_init(&options);
    options.codec = codec;
    options.dictionary = dictionary;
    options.page_bytes = 4096;
    options.row_group_bytes = 96 * 1024;
    options.dictionary_max_entries = 64; /* random runs overflow it: PLAIN fallback */
    ls_buf file;
    write_file(ALL_TYPES, ALL_TYPES_COUNT, batch, &options, &file);
    size_t groups = check_round_trip(ALL_TYPES, ALL_TYPES_COUNT, batch, &file);
    CHECK(groups >= 2);
    ls_buf_cleanup(&file);
    ls_column_batch_free(batch);
}

TEST(round_trip_uncompressed_dictionary)
{
    round_trip_with(LS_PARQUET_CODEC_NONE, true);
}

TEST(round_trip_uncompressed_plain)
{
    round_trip_with(LS_PARQUET_CODEC_NONE, false);
}

TEST(round_trip_snappy)
{
    round_trip_with(LS_PARQUET_CODEC_SNAPPY, true);
    round_trip_with(LS_PARQUET_CODEC_SNAPPY, false);
}

TEST(round_trip_gzip)
{
    round_trip_with(LS_PARQUET_CODEC_GZIP, true);
    round_trip_with(LS_PARQUET_CODEC_GZIP, false);
}

TEST(round_trip_zstd)
{
    round_trip_with(LS_PARQUET_CODEC_ZSTD, true);
    round_trip_with(LS_PARQUET_CODEC_ZSTD, false);
}

TEST(round_trip_all_nulls_and_empty_file)
{
    static const col_def cols[] = {{"a", "string", false}, {"b", "decimal(38,0)", false}};
    ls_error err;
    ls_error_clear(&err);
    ls_type types[2];
    CHECK_OK(ls_type_parse("string", &types[0], &err), &err);
    CHECK_OK(ls_type_parse("decimal(38,0)", &types[1], &err), &err);
    ls_column_batch *batch = ls_column_batch_new(types, 2, 1 << 20);
    for (int r = 0; r < 100; r++) {
        ls_column_batch_row_begin(batch);
        CHECK_OK(ls_column_batch_row_end(batch, &err), &err);
    }
    ls_buf file;
    write_file(cols, 2, batch, NULL, &file);
    CHECK_EQ_INT(check_round_trip(cols, 2, batch, &file), 1);
    ls_buf_cleanup(&file);
    ls_column_batch_reset(batch);
    write_file(cols, 2, batch, NULL, &file);
    CHECK_EQ_INT(check_round_trip(cols, 2, batch, &file), 0);
    ls_buf_cleanup(&file);
    ls_column_batch_free(batch);
}

TEST(projection_reads_only_the_chosen_chunks)
{
    ls_column_batch *batch = make_batch(ALL_TYPES, ALL_TYPES_COUNT, 500, 7, false);
    ls_buf file;
    write_file(ALL_TYPES, ALL_TYPES_COUNT, batch, NULL, &file);
    ls_error err;
    ls_error_clear(&err);
    ls_parquet_reader *r = ls_parquet_reader_open_buffer(file.data, file.len, NULL, &err);
    CHECK(r);
    long s = ls_parquet_reader_column_find(r, "s"), i = ls_parquet_reader_column_find(r, "i");
    CHECK(s >= 0 && i >= 0);
    CHECK_EQ_INT(ls_parquet_reader_column_find(r, "nope"), -1);
    size_t proj[2] = {(size_t)s, (size_t)i};
    ls_column_batch *got = ls_parquet_reader_batch_new(r, proj, 2);
    CHECK_OK(ls_parquet_reader_read_row_group(r, 0, proj, 2, got, &err), &err);
    size_t vi_s = 0, vi_i = 0;
    check_column(&batch->columns[s], &vi_s, &got->columns[0], got->row_count, 0);
    check_column(&batch->columns[i], &vi_i, &got->columns[1], got->row_count, 0);
    /* A batch of another projection is refused. */
    ls_column_batch *all = ls_parquet_reader_batch_new(r, NULL, 0);
    CHECK_EQ_INT(ls_parquet_reader_read_row_group(r, 0, proj, 2, all, &err), LS_ERR_INVALID);
    size_t bad = 999;
    CHECK(!ls_parquet_reader_batch_new(r, &bad, 1));
    ls_column_batch_free(all);
    ls_column_batch_free(got);
    ls_parquet_reader_free(r);
    ls_buf_cleanup(&file);
    ls_column_batch_free(batch);
}

/* A source that serves ranges from a buffer and counts what it served. */
typedef struct counting_source {
    const ls_buf *file;
    uint64_t bytes_read;
    int calls;
} counting_source;

static ls_code counting_read_at(void *ctx, uint64_t offset, void *out, size_t len, ls_error *err)
{
    counting_source *s = ctx;
    if (offset > s->file->len || len > s->file->len - offset)
        return ls_error_set(err, LS_ERR_INTERNAL, "read past the end");
    memcpy(out, s->file->data + offset, len);
    s->bytes_read += len;
    s->calls++;
    return LS_OK;
}

TEST(range_reads_fetch_footer_and_projected_chunks_only)
{
    ls_column_batch *batch = make_batch(ALL_TYPES, ALL_TYPES_COUNT, 2000, 9, false);
    ls_parquet_options options;
    ls_parquet_options_init(&options);
    options.codec = LS_PARQUET_CODEC_NONE;
    ls_buf file;
    write_file(ALL_TYPES, ALL_TYPES_COUNT, batch, &options, &file);
    counting_source cs = {&file, 0, 0};
    ls_parquet_source src = {counting_read_at, &cs, file.len};
    ls_error err;
    ls_error_clear(&err);
    ls_parquet_reader *r = ls_parquet_reader_open(&src, NULL, &err);
    CHECK(r);
    uint64_t footer_bytes = cs.bytes_read;
    CHECK(footer_bytes < file.len / 10);
    size_t proj = (size_t)ls_parquet_reader_column_find(r, "b");
    ls_column_batch *got = ls_parquet_reader_batch_new(r, &proj, 1);
    CHECK_OK(ls_parquet_reader_read_row_group(r, 0, &proj, 1, got, &err), &err);
    ls_parquet_chunk_stats st;
    CHECK_OK(ls_parquet_reader_chunk_stats(r, 0, proj, &st, &err), &err);
    CHECK_EQ_INT(cs.bytes_read - footer_bytes, st.total_compressed_bytes);
    ls_column_batch_free(got);
    ls_parquet_reader_free(r);
    ls_buf_cleanup(&file);
    ls_column_batch_free(batch);
}

TEST(statistics_and_footer_metadata)
{
    static const col_def cols[] = {{"n", "bigint", false}, {"s", "string", false}};
    ls_error err;
    ls_error_clear(&err);
    ls_type types[2];
    CHECK_OK(ls_type_parse("bigint", &types[0], &err), &err);
    CHECK_OK(ls_type_parse("string", &types[1], &err), &err);
    ls_column_batch *batch = ls_column_batch_new(types, 2, 1 << 20);
    for (int r = 0; r < 10; r++) {
        ls_column_batch_row_begin(batch);
        if (r != 3)
            CHECK_OK(ls_column_set_int64(&batch->columns[0], r * 10 - 40, &err), &err);
        CHECK_OK(
            ls_column_set_bytes(&batch->columns[1], r % 2 ? "pear" : "apple", r % 2 ? 4 : 5, &err),
            &err);
        CHECK_OK(ls_column_batch_row_end(batch, &err), &err);
    }
    ls_parquet_key_value kv[] = {{"iceberg.schema", "{\"x\":1}"}, {"empty", ""}};
    ls_parquet_options options;
    ls_parquet_options_init(&options);
    options.metadata = kv;
    options.metadata_count = 2;
    ls_buf file;
    write_file(cols, 2, batch, &options, &file);
    ls_parquet_reader *r = ls_parquet_reader_open_buffer(file.data, file.len, NULL, &err);
    CHECK(r);
    CHECK(strncmp(ls_parquet_reader_created_by(r), "lakesync", 8) == 0);
    CHECK_EQ_INT(ls_parquet_reader_metadata_count(r), 2);
    const char *key, *value;
    size_t value_len;
    ls_parquet_reader_metadata_at(r, 0, &key, &value, &value_len);
    CHECK_EQ_STR(key, "iceberg.schema");
    CHECK_EQ_STR(value, "{\"x\":1}");
    CHECK_EQ_INT(value_len, 7);
    ls_parquet_chunk_stats st;
    CHECK_OK(ls_parquet_reader_chunk_stats(r, 0, 0, &st, &err), &err);
    CHECK(st.has_null_count);
    CHECK_EQ_INT(st.null_count, 1);
    CHECK_EQ_INT(st.num_values, 10);
    CHECK(st.min_value && st.min_value_len == 8 && st.max_value && st.max_value_len == 8);
    int64_t lo, hi;
    memcpy(&lo, st.min_value, 8);
    memcpy(&hi, st.max_value, 8);
    CHECK_EQ_INT(lo, -40);
    CHECK_EQ_INT(hi, 50);
    CHECK_OK(ls_parquet_reader_chunk_stats(r, 0, 1, &st, &err), &err);
    CHECK(st.min_value_len == 5 && memcmp(st.min_value, "apple", 5) == 0);
    CHECK(st.max_value_len == 4 && memcmp(st.max_value, "pear", 4) == 0);
    CHECK_EQ_INT(ls_parquet_reader_chunk_stats(r, 1, 0, &st, &err), LS_ERR_INVALID);
    ls_parquet_reader_free(r);
    ls_buf_cleanup(&file);
    ls_column_batch_free(batch);
}

TEST(open_path_reads_a_local_file)
{
    static const col_def cols[] = {{"k", "int", true}};
    ls_column_batch *batch = make_batch(cols, 1, 100, 3, false);
    ls_buf file;
    write_file(cols, 1, batch, NULL, &file);
    char path[1024];
    snprintf(path, sizeof path, "%s/t.parquet", testing_tmpdir());
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(file.data, 1, file.len, f) == file.len && fclose(f) == 0);
    ls_error err;
    ls_error_clear(&err);
    ls_parquet_reader *r = ls_parquet_reader_open_path(path, NULL, &err);
    CHECK(r);
    ls_column_batch *got = ls_parquet_reader_batch_new(r, NULL, 0);
    CHECK_OK(ls_parquet_reader_read_row_group(r, 0, NULL, 0, got, &err), &err);
    size_t vi = 0;
    check_column(&batch->columns[0], &vi, &got->columns[0], 100, 0);
    ls_column_batch_free(got);
    ls_parquet_reader_free(r);
    snprintf(path, sizeof path, "%s/missing.parquet", testing_tmpdir());
    ls_error_clear(&err);
    CHECK(!ls_parquet_reader_open_path(path, NULL, &err));
    CHECK_EQ_INT(err.code, LS_ERR_NOT_FOUND);
    ls_buf_cleanup(&file);
    ls_column_batch_free(batch);
}

/* ---- hostile input ---- */

/* Opens and reads everything; returns LS_OK or the first error. Caps are
 * small so a corrupt size cannot make a test allocate gigabytes. */
static ls_code read_all(const uint8_t *data, size_t len, ls_error *err)
{
    ls_parquet_reader_options o;
    ls_parquet_reader_options_init(&o);
    o.max_batch_bytes = (size_t)64 << 20;
    o.max_page_bytes = (size_t)16 << 20;
    o.max_chunk_bytes = (size_t)16 << 20;
    ls_parquet_reader *r = ls_parquet_reader_open_buffer(data, len, &o, err);
    if (!r)
        return err->code;
    ls_column_batch *batch = ls_parquet_reader_batch_new(r, NULL, 0);
    CHECK(batch);
    ls_code rc = LS_OK;
    for (size_t g = 0; g < ls_parquet_reader_row_group_count(r) && !rc; g++)
        rc = ls_parquet_reader_read_row_group(r, g, NULL, 0, batch, err);
    if (rc == LS_OK) {
        /* A file that still reads must still be self-consistent. */
        for (size_t c = 0; c < batch->column_count; c++)
            CHECK_EQ_INT(batch->columns[c].valid.len, batch->row_count);
    }
    ls_column_batch_free(batch);
    ls_parquet_reader_free(r);
    return rc;
}

static void expect_error_or_ok(const uint8_t *data, size_t len, int *errors)
{
    ls_error err;
    ls_error_clear(&err);
    ls_code rc = read_all(data, len, &err);
    /* PARQUET_READER_FUZZ_VERBOSE=1 shows where corruption was caught. */
    if (getenv("PARQUET_READER_FUZZ_VERBOSE"))
        fprintf(stderr, "%s\n", rc ? err.message : "read OK");
    if (rc) {
        CHECK(err.code == rc);
        CHECK(err.message[0] != '\0');
        CHECK(rc == LS_ERR_FORMAT || rc == LS_ERR_TOO_LARGE);
        (*errors)++;
    }
}

/* A small file using every type, with nulls, dictionary and plain pages. */
static void fuzz_seed_file(ls_parquet_codec codec, ls_buf *file)
{
    ls_column_batch *batch = make_batch(ALL_TYPES, ALL_TYPES_COUNT, 300, 5, true);
    ls_parquet_options options;
    ls_parquet_options_init(&options);
    options.codec = codec;
    options.page_bytes = 512;
    options.row_group_bytes = 8 * 1024;
    options.dictionary_max_entries = 16;
    write_file(ALL_TYPES, ALL_TYPES_COUNT, batch, &options, file);
    ls_column_batch_free(batch);
}

static void flip_bytes(ls_parquet_codec codec, int cases, bool footer_only)
{
    ls_buf file;
    fuzz_seed_file(codec, &file);
    int errors = 0;
    CHECK_OK(read_all(file.data, file.len, &(ls_error){0}), &(ls_error){0});
    uint32_t footer_len;
    memcpy(&footer_len, file.data + file.len - 8, 4);
    size_t footer_start = file.len - 8 - footer_len;
    uint64_t rng = 0x9e3779b97f4a7c15u + (uint64_t)codec;
    uint8_t *copy = malloc(file.len);
    for (int i = 0; i < cases; i++) {
        memcpy(copy, file.data, file.len);
        int flips = 1 + (int)(next_rand(&rng) % 3);
        for (int k = 0; k < flips; k++) {
            size_t span = footer_only ? file.len - footer_start : file.len;
            size_t at = (footer_only ? footer_start : 0) + next_rand(&rng) % span;
            copy[at] ^= (uint8_t)(1 + next_rand(&rng) % 255);
        }
        expect_error_or_ok(copy, file.len, &errors);
    }
    /* Most flips land somewhere that matters; an error count of zero would
     * mean the corruption never reached the reader. */
    CHECK(errors > cases / 10);
    free(copy);
    ls_buf_cleanup(&file);
}

TEST(corrupt_footer_bytes_are_errors)
{
    flip_bytes(LS_PARQUET_CODEC_NONE, 400, true);
}

TEST(corrupt_bytes_anywhere_uncompressed)
{
    flip_bytes(LS_PARQUET_CODEC_NONE, 300, false);
}

TEST(corrupt_bytes_anywhere_compressed)
{
    flip_bytes(LS_PARQUET_CODEC_ZSTD, 150, false);
    flip_bytes(LS_PARQUET_CODEC_SNAPPY, 150, false);
    flip_bytes(LS_PARQUET_CODEC_GZIP, 150, false);
}

TEST(truncated_files_are_errors)
{
    ls_buf file;
    fuzz_seed_file(LS_PARQUET_CODEC_SNAPPY, &file);
    int errors = 0;
    for (size_t len = 0; len < file.len; len += 1 + len / 16)
        expect_error_or_ok(file.data, len, &errors);
    /* Truncated, then given back a valid-looking tail: the footer length
     * now points at column data. */
    uint8_t *copy = malloc(file.len);
    for (size_t cut = 8; cut < file.len; cut += 1 + cut / 8) {
        memcpy(copy, file.data, cut);
        memcpy(copy + cut - 8, file.data + file.len - 8, 8);
        int before = errors;
        expect_error_or_ok(copy, cut, &errors);
        CHECK_EQ_INT(errors, before + 1);
    }
    free(copy);
    ls_buf_cleanup(&file);
}

/* Wraps metadata bytes in a file: PAR1 + metadata + length + PAR1. */
static size_t wrap_footer(const uint8_t *meta, size_t len, uint8_t *out)
{
    memcpy(out, "PAR1", 4);
    memcpy(out + 4, meta, len);
    uint32_t l = (uint32_t)len;
    memcpy(out + 4 + len, &l, 4);
    memcpy(out + 8 + len, "PAR1", 4);
    return len + 12;
}

TEST(hostile_metadata_nesting_and_counts)
{
    static uint8_t meta[200000], file[200100];
    ls_error err;
    /* An unknown field (id 15) holding structs nested 50000 deep. */
    size_t n = 0;
    meta[n++] = 0xfc; /* delta 15, struct */
    for (int i = 0; i < 50000; i++)
        meta[n++] = 0x1c; /* field 1 struct */
    memset(meta + n, 0, 50001);
    n += 50001;
    ls_error_clear(&err);
    CHECK_EQ_INT(read_all(file, wrap_footer(meta, n, file), &err), LS_ERR_FORMAT);
    /* A schema list claiming 2^31 elements. */
    n = 0;
    meta[n++] = 0x15; /* field 1 i32 version */
    meta[n++] = 0x02;
    meta[n++] = 0x19; /* field 2 list */
    meta[n++] = 0xfc; /* size 15+ of structs */
    meta[n++] = 0x80, meta[n++] = 0x80, meta[n++] = 0x80, meta[n++] = 0x80, meta[n++] = 0x08;
    ls_error_clear(&err);
    CHECK_EQ_INT(read_all(file, wrap_footer(meta, n, file), &err), LS_ERR_FORMAT);
    /* A binary claiming more bytes than there are. */
    n = 0;
    meta[n++] = 0x68; /* field 6 binary created_by */
    meta[n++] = 0xff, meta[n++] = 0xff, meta[n++] = 0x03;
    ls_error_clear(&err);
    CHECK_EQ_INT(read_all(file, wrap_footer(meta, n, file), &err), LS_ERR_FORMAT);
    /* An over-long varint. */
    n = 0;
    meta[n++] = 0x16; /* field 1 i64 */
    memset(meta + n, 0xff, 12);
    n += 12;
    ls_error_clear(&err);
    CHECK_EQ_INT(read_all(file, wrap_footer(meta, n, file), &err), LS_ERR_FORMAT);
    /* A footer length larger than the file. */
    uint8_t tiny[16] = {'P', 'A', 'R', '1', 0, 0, 0, 0, 0xff, 0xff, 0, 0, 'P', 'A', 'R', '1'};
    ls_error_clear(&err);
    CHECK_EQ_INT(read_all(tiny, sizeof tiny, &err), LS_ERR_FORMAT);
}

/* ---- a file from another writer: DuckDB, PARQUET_VERSION V2 ---- */

#define DUCKDB_V2_FILE LAKESYNC_SOURCE_DIR "/tests/data/parquet_reader/duckdb_v2_delta.parquet"

/* tests/data/parquet_reader/duckdb_v2_delta.parquet was written by DuckDB
 * 1.5 with COPY (SELECT i::INTEGER AS i32, CASE WHEN i % 7 = 0 THEN NULL ELSE
 * i * -1000003 END::BIGINT AS i64, i % 3 = 0 AS b, (i / 4)::FLOAT AS f, 'v' ||
 * (i % 40) AS s_dict, CASE WHEN i % 5 = 0 THEN NULL ELSE 'row' || i END AS
 * s_unique FROM range(0, 1000) t(i)) TO ... (FORMAT parquet, PARQUET_VERSION
 * V2, COMPRESSION snappy): data pages v2 with DELTA_BINARY_PACKED,
 * BYTE_STREAM_SPLIT, RLE_DICTIONARY and DELTA_LENGTH_BYTE_ARRAY. */
TEST(duckdb_v2_pages_and_delta_encodings)
{
    size_t len;
    char *data = testing_read_file(DUCKDB_V2_FILE, &len);
    ls_error err;
    ls_error_clear(&err);
    ls_parquet_reader *r = ls_parquet_reader_open_buffer(data, len, NULL, &err);
    if (!r)
        testing_fail(__FILE__, __LINE__, "open: %s", err.message);
    CHECK_EQ_INT(ls_parquet_reader_row_count(r), 1000);
    CHECK_EQ_INT(ls_parquet_reader_column_count(r), 6);
    ls_column_batch *batch = ls_parquet_reader_batch_new(r, NULL, 0);
    size_t vi[6] = {0}, row = 0;
    for (size_t g = 0; g < ls_parquet_reader_row_group_count(r); g++) {
        CHECK_OK(ls_parquet_reader_read_row_group(r, g, NULL, 0, batch, &err), &err);
        for (size_t k = 0; k < batch->row_count; k++, row++) {
            const ls_column *c = batch->columns;
            int64_t i = (int64_t)row;
            int32_t i32;
            memcpy(&i32, c[0].values.data + 4 * vi[0]++, 4);
            CHECK_EQ_INT(i32, i);
            CHECK_EQ_INT(ls_column_is_valid(&c[1], k), i % 7 != 0);
            if (i % 7) {
                int64_t i64;
                memcpy(&i64, c[1].values.data + 8 * vi[1]++, 8);
                CHECK_EQ_INT(i64, i * -1000003);
            }
            CHECK_EQ_INT(c[2].values.data[vi[2]++], i % 3 == 0);
            float f;
            memcpy(&f, c[3].values.data + 4 * vi[3]++, 4);
            CHECK(f == (float)((double)i / 4.0));
            char want[32];
            size_t got_len;
            const uint8_t *got = ls_column_bytes_at(&c[4], vi[4]++, &got_len);
            snprintf(want, sizeof want, "v%d", (int)(i % 40));
            CHECK(got_len == strlen(want) && memcmp(got, want, got_len) == 0);
            CHECK_EQ_INT(ls_column_is_valid(&c[5], k), i % 5 != 0);
            if (i % 5) {
                got = ls_column_bytes_at(&c[5], vi[5]++, &got_len);
                snprintf(want, sizeof want, "row%d", (int)i);
                CHECK(got_len == strlen(want) && memcmp(got, want, got_len) == 0);
            }
        }
    }
    CHECK_EQ_INT(row, 1000);
    ls_column_batch_free(batch);
    ls_parquet_reader_free(r);
    free(data);
}

TEST(corrupt_duckdb_v2_file_is_an_error)
{
    size_t len;
    uint8_t *data = (uint8_t *)testing_read_file(DUCKDB_V2_FILE, &len);
    uint8_t *copy = malloc(len);
    uint64_t rng = 12345;
    int errors = 0;
    for (int i = 0; i < 400; i++) {
        memcpy(copy, data, len);
        for (int k = 0; k < 1 + (int)(next_rand(&rng) % 3); k++)
            copy[next_rand(&rng) % len] ^= (uint8_t)(1 + next_rand(&rng) % 255);
        expect_error_or_ok(copy, len, &errors);
    }
    CHECK(errors > 40);
    free(copy);
    free(data);
}

/* DELTA_BYTE_ARRAY (no writer here produces it): Encodings.md's example
 * "axis", "axle", "babble", "babyhood" as prefix lengths 0 2 0 3 and
 * suffixes "axis" "le" "babble" "yhood", built by hand. Each length stream is
 * DELTA_BINARY_PACKED: block 128, 4 miniblocks, 4 values, first value, min
 * delta, bit widths 3 0 0 0, one 12-byte miniblock. */
#include "parquet_reader_values.h"

TEST(delta_byte_array_by_hand)
{
    static const uint8_t page[] = {
        0x80, 0x01, 0x04, 0x04, 0x00, 0x03, 0x03, 0x00, 0x00, 0x00, /* prefixes 0 2 0 3 */
        0x44, 0x01, 0,    0,    0,    0,    0,    0,    0,    0,    0,   0,   0x80, 0x01, 0x04,
        0x04, 0x08, 0x03, 0x03, 0x00, 0x00, 0x00, /* suffix lengths 4 2 6 5 */
        0x70, 0x00, 0,    0,    0,    0,    0,    0,    0,    0,    0,   0,   'a',  'x',  'i',
        's',  'l',  'e',  'b',  'a',  'b',  'b',  'l',  'e',  'y',  'h', 'o', 'o',  'd'};
    static const char *want[] = {"axis", "axle", "babble", "babyhood"};
    ls_error err;
    ls_error_clear(&err);
    ls_buf values, offsets, bytes;
    ls_buf_init(&values, 1 << 20);
    ls_buf_init(&offsets, 1 << 20);
    ls_buf_init(&bytes, 1 << 20);
    uint32_t zero = 0;
    CHECK_OK(ls_buf_append(&offsets, &zero, 4, &err), &err);
    pq_scratch scratch;
    pq_scratch_init(&scratch, 1 << 20);
    pq_column_desc d = {LS_PARQUET_BYTE_ARRAY, 0, false, PQ_CONV_BYTES, LS_STORAGE_BYTES, "t"};
    pq_values out = {&values, &offsets, &bytes, 0};
    CHECK_OK(
        pq_decode_values(&d, PQ_ENC_DELTA_BYTE_ARRAY, page, sizeof page, 4, &out, &scratch, &err),
        &err);
    CHECK_EQ_INT(out.count, 4);
    const uint32_t *off = (const uint32_t *)(const void *)offsets.data;
    for (int i = 0; i < 4; i++) {
        CHECK_EQ_INT(off[i + 1] - off[i], strlen(want[i]));
        CHECK_EQ_MEM(bytes.data + off[i], want[i], strlen(want[i]));
    }
    /* Every shorter prefix of the page is an error, never a crash. */
    for (size_t cut = 0; cut < sizeof page; cut++) {
        ls_buf_reset(&bytes);
        offsets.len = 4;
        out.count = 0;
        ls_error_clear(&err);
        CHECK_EQ_INT(
            pq_decode_values(&d, PQ_ENC_DELTA_BYTE_ARRAY, page, cut, 4, &out, &scratch, &err),
            LS_ERR_FORMAT);
    }
    pq_scratch_cleanup(&scratch);
    ls_buf_cleanup(&values);
    ls_buf_cleanup(&offsets);
    ls_buf_cleanup(&bytes);
}

TEST(caps_are_too_large_errors)
{
    ls_column_batch *batch = make_batch(ALL_TYPES, ALL_TYPES_COUNT, ROW_COUNT, 11, false);
    ls_buf file;
    write_file(ALL_TYPES, ALL_TYPES_COUNT, batch, NULL, &file);
    for (int which = 0; which < 5; which++) {
        ls_parquet_reader_options o;
        ls_parquet_reader_options_init(&o);
        if (which == 0)
            o.max_footer_bytes = 64;
        else if (which == 1)
            o.max_column_chunks = 3;
        else if (which == 2)
            o.max_chunk_bytes = 256;
        else if (which == 3)
            o.max_page_bytes = 256;
        else
            o.max_batch_bytes = 10000;
        ls_error err;
        ls_error_clear(&err);
        ls_parquet_reader *r = ls_parquet_reader_open_buffer(file.data, file.len, &o, &err);
        if (r) {
            ls_column_batch *got = ls_parquet_reader_batch_new(r, NULL, 0);
            CHECK_EQ_INT(ls_parquet_reader_read_row_group(r, 0, NULL, 0, got, &err),
                         LS_ERR_TOO_LARGE);
            ls_column_batch_free(got);
            ls_parquet_reader_free(r);
        }
        if (err.code != LS_ERR_TOO_LARGE)
            testing_fail(__FILE__, __LINE__, "cap %d: %s", which, err.message);
    }
    ls_buf_cleanup(&file);
    ls_column_batch_free(batch);
}

/* ---- hand-built files: what no honest writer produces ---- */

static void page_header(ls_buf *out, int type, int32_t size, int32_t num_values, int32_t encoding)
{
    ls_thrift t;
    ls_thrift_init(&t, out, NULL);
    ls_thrift_struct_begin(&t);
    ls_thrift_field_i32(&t, 1, type);
    ls_thrift_field_i32(&t, 2, size);
    ls_thrift_field_i32(&t, 3, size);
    ls_thrift_field_struct_begin(&t, type == 2 ? 7 : 5);
    ls_thrift_field_i32(&t, 1, num_values);
    ls_thrift_field_i32(&t, 2, encoding);
    if (type == 0) {
        ls_thrift_field_i32(&t, 3, 3);
        ls_thrift_field_i32(&t, 4, 3);
    }
    ls_thrift_struct_end(&t);
    ls_thrift_struct_end(&t);
    CHECK(ls_thrift_finish(&t) == LS_OK);
}

/* A file with one REQUIRED BYTE_ARRAY column "s" whose single chunk is
 * chunk (starting with a dictionary page of dict_len bytes). */
static void wrap_chunk(const ls_buf *chunk, size_t dict_len, int64_t rows, ls_buf *file)
{
    ls_error err;
    ls_buf_init(file, 1 << 24);
    CHECK_OK(ls_buf_append(file, "PAR1", 4, &err), &err);
    CHECK_OK(ls_buf_append(file, chunk->data, chunk->len, &err), &err);
    size_t footer_start = file->len;
    ls_thrift t;
    ls_thrift_init(&t, file, NULL);
    ls_thrift_struct_begin(&t);
    ls_thrift_field_i32(&t, 1, 1);
    ls_thrift_field_list_begin(&t, 2, LS_THRIFT_STRUCT, 2);
    ls_thrift_struct_begin(&t);
    ls_thrift_field_string(&t, 4, "t");
    ls_thrift_field_i32(&t, 5, 1);
    ls_thrift_struct_end(&t);
    ls_thrift_struct_begin(&t);
    ls_thrift_field_i32(&t, 1, 6);
    ls_thrift_field_i32(&t, 3, 0);
    ls_thrift_field_string(&t, 4, "s");
    ls_thrift_struct_end(&t);
    ls_thrift_field_i64(&t, 3, rows);
    ls_thrift_field_list_begin(&t, 4, LS_THRIFT_STRUCT, 1);
    ls_thrift_struct_begin(&t);
    ls_thrift_field_list_begin(&t, 1, LS_THRIFT_STRUCT, 1);
    ls_thrift_struct_begin(&t);
    ls_thrift_field_i64(&t, 2, 4);
    ls_thrift_field_struct_begin(&t, 3);
    ls_thrift_field_i32(&t, 1, 6);
    ls_thrift_field_list_begin(&t, 2, LS_THRIFT_I32, 1);
    ls_thrift_elem_i32(&t, 0);
    ls_thrift_field_list_begin(&t, 3, LS_THRIFT_BINARY, 1);
    ls_thrift_elem_binary(&t, "s", 1);
    ls_thrift_field_i32(&t, 4, 0);
    ls_thrift_field_i64(&t, 5, rows);
    ls_thrift_field_i64(&t, 6, (int64_t)chunk->len);
    ls_thrift_field_i64(&t, 7, (int64_t)chunk->len);
    ls_thrift_field_i64(&t, 9, 4 + (int64_t)dict_len);
    ls_thrift_field_i64(&t, 11, 4);
    ls_thrift_struct_end(&t);
    ls_thrift_struct_end(&t);
    ls_thrift_field_i64(&t, 2, (int64_t)chunk->len);
    ls_thrift_field_i64(&t, 3, rows);
    ls_thrift_struct_end(&t);
    ls_thrift_struct_end(&t);
    CHECK(ls_thrift_finish(&t) == LS_OK);
    uint32_t footer_len = (uint32_t)(file->len - footer_start);
    CHECK_OK(ls_buf_append(file, &footer_len, 4, &err), &err);
    CHECK_OK(ls_buf_append(file, "PAR1", 4, &err), &err);
}

/* A dictionary of one 1000-byte string and an RLE run repeating it for
 * millions of rows: a few bytes of file that would expand to gigabytes. The
 * batch cap stops it; the same file with few rows reads. */
TEST(dictionary_bomb_stops_at_the_batch_cap)
{
    for (int rows_case = 0; rows_case < 2; rows_case++) {
        int32_t rows = rows_case == 0 ? 3 : 4000000;
        ls_error err;
        ls_error_clear(&err);
        ls_buf chunk, body;
        ls_buf_init(&chunk, 1 << 20);
        ls_buf_init(&body, 1 << 20);
        uint8_t entry[1004] = {0xe8, 0x03, 0, 0}; /* length 1000, then zero bytes */
        memset(entry + 4, 'x', 1000);
        page_header(&chunk, 2, (int32_t)sizeof entry, 1, 0);
        CHECK_OK(ls_buf_append(&chunk, entry, sizeof entry, &err), &err);
        size_t dict_len = chunk.len;
        uint8_t run[8] = {0}; /* bit width 0, then an RLE run header of rows */
        size_t n = 1 + ls_varint_encode((uint64_t)rows << 1, run + 1);
        page_header(&chunk, 0, (int32_t)n, rows, 8);
        CHECK_OK(ls_buf_append(&chunk, run, n, &err), &err);
        ls_buf file;
        wrap_chunk(&chunk, dict_len, rows, &file);
        ls_parquet_reader_options o;
        ls_parquet_reader_options_init(&o);
        o.max_batch_bytes = (size_t)16 << 20;
        ls_parquet_reader *r = ls_parquet_reader_open_buffer(file.data, file.len, &o, &err);
        CHECK(r);
        ls_column_batch *got = ls_parquet_reader_batch_new(r, NULL, 0);
        ls_code rc = ls_parquet_reader_read_row_group(r, 0, NULL, 0, got, &err);
        if (rows_case == 0) {
            CHECK_OK(rc, &err);
            size_t len;
            CHECK(ls_column_bytes_at(&got->columns[0], 2, &len) && len == 1000);
        } else {
            CHECK_EQ_INT(rc, LS_ERR_TOO_LARGE);
            CHECK(ls_column_batch_bytes(got) < ((size_t)40 << 20));
        }
        ls_column_batch_free(got);
        ls_parquet_reader_free(r);
        ls_buf_cleanup(&file);
        ls_buf_cleanup(&chunk);
        ls_buf_cleanup(&body);
    }
}

/* Inputs libFuzzer (tests/unit/test_parquet_reader_fuzz.c) found crashing,
 * kept as regressions: each must now be a clean format error. */
TEST(fuzz_regressions_are_format_errors)
{
    static const char *files[] = {
        /* An INT96 Julian day whose microseconds overflow int64 (UBSan). */
        "fuzz_int96_day_overflow.parquet",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/tests/data/parquet_reader/%s", LAKESYNC_SOURCE_DIR,
                 files[i]);
        size_t len;
        char *data = testing_read_file(path, &len);
        ls_error err;
        ls_error_clear(&err);
        CHECK_EQ_INT(read_all((const uint8_t *)data, len, &err), LS_ERR_FORMAT);
        free(data);
    }
}

/* RLE booleans (data pages v2 from parquet-mr; DuckDB writes PLAIN): a
 * 4-byte length, a bit-packed group of 8 (1 1 1 0 0 1 0 1, LSB first) and an
 * RLE run of five 1s. */
TEST(rle_booleans_by_hand)
{
    static const uint8_t page[] = {4, 0, 0, 0, 0x03, 0xa7, 0x0a, 0x01};
    static const uint8_t want[] = {1, 1, 1, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1};
    ls_error err;
    ls_error_clear(&err);
    ls_buf values;
    ls_buf_init(&values, 1 << 20);
    pq_scratch scratch;
    pq_scratch_init(&scratch, 1 << 20);
    pq_column_desc d = {LS_PARQUET_BOOLEAN, 0, true, PQ_CONV_BOOL, LS_STORAGE_BOOL, "b"};
    pq_values out = {&values, NULL, NULL, 0};
    CHECK_OK(pq_decode_values(&d, PQ_ENC_RLE, page, sizeof page, sizeof want, &out, &scratch, &err),
             &err);
    CHECK_EQ_INT(out.count, sizeof want);
    CHECK_EQ_MEM(values.data, want, sizeof want);
    /* One value more than encoded, or a cut page, is an error. */
    ls_buf_reset(&values);
    out.count = 0;
    CHECK_EQ_INT(
        pq_decode_values(&d, PQ_ENC_RLE, page, sizeof page, sizeof want + 1, &out, &scratch, &err),
        LS_ERR_FORMAT);
    for (size_t cut = 0; cut < sizeof page; cut++) {
        ls_buf_reset(&values);
        out.count = 0;
        ls_error_clear(&err);
        CHECK_EQ_INT(pq_decode_values(&d, PQ_ENC_RLE, page, cut, sizeof want, &out, &scratch, &err),
                     LS_ERR_FORMAT);
    }
    pq_scratch_cleanup(&scratch);
    ls_buf_cleanup(&values);
}
