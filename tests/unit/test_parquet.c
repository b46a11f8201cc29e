#include <math.h>

#include "testing.h"

#include "column_batch.h"
#include "parquet_encode.h"
#include "parquet_thrift.h"
#include "parquet_writer.h"
#include "util/sink.h"

/* ---- a small Thrift compact decoder, to read back what the writer wrote ---- */

typedef struct tnode {
    int type;      /* compact type code; LS_THRIFT_STRUCT or LS_THRIFT_LIST for containers */
    int16_t id;    /* field id within the parent struct (0 for list elements) */
    int64_t i;     /* integers and booleans */
    const uint8_t *bin;
    size_t bin_len;
    struct tnode *kids;
    size_t nkids;
} tnode;

typedef struct treader {
    const uint8_t *p, *end;
} treader;

static uint64_t rd_varint(treader *r)
{
    uint64_t v = 0;
    int shift = 0;
    for (;;) {
        CHECK(r->p < r->end);
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80))
            return v;
        shift += 7;
    }
}

static int64_t rd_zigzag(treader *r)
{
    uint64_t v = rd_varint(r);
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static void rd_value(treader *r, int type, tnode *out);

static void rd_struct(treader *r, tnode *out)
{
    out->type = LS_THRIFT_STRUCT;
    int16_t last = 0;
    for (;;) {
        CHECK(r->p < r->end);
        uint8_t h = *r->p++;
        if (h == 0)
            return;
        int type = h & 0x0F;
        int16_t id = (h >> 4) ? (int16_t)(last + (h >> 4)) : (int16_t)rd_zigzag(r);
        last = id;
        out->kids = realloc(out->kids, (out->nkids + 1) * sizeof *out->kids);
        tnode *kid = &out->kids[out->nkids++];
        memset(kid, 0, sizeof *kid);
        if (type == LS_THRIFT_BOOL_TRUE || type == LS_THRIFT_BOOL_FALSE) {
            kid->type = LS_THRIFT_BOOL_TRUE;
            kid->i = type == LS_THRIFT_BOOL_TRUE;
        } else {
            rd_value(r, type, kid);
        }
        kid->id = id;
    }
}

static void rd_value(treader *r, int type, tnode *out)
{
    out->type = type;
    switch (type) {
    case LS_THRIFT_I8: out->i = (int8_t)*r->p++; break;
    case LS_THRIFT_I16:
    case LS_THRIFT_I32:
    case LS_THRIFT_I64: out->i = rd_zigzag(r); break;
    case LS_THRIFT_BINARY:
        out->bin_len = rd_varint(r);
        CHECK((size_t)(r->end - r->p) >= out->bin_len);
        out->bin = r->p;
        r->p += out->bin_len;
        break;
    case LS_THRIFT_STRUCT: rd_struct(r, out); break;
    case LS_THRIFT_LIST: {
        uint8_t h = *r->p++;
        size_t n = h >> 4;
        if (n == 15)
            n = rd_varint(r);
        int elem = h & 0x0F;
        out->kids = calloc(n ? n : 1, sizeof *out->kids);
        out->nkids = n;
        for (size_t k = 0; k < n; k++) {
            if (elem == LS_THRIFT_BOOL_TRUE || elem == LS_THRIFT_BOOL_FALSE) {
                out->kids[k].type = LS_THRIFT_BOOL_TRUE;
                out->kids[k].i = *r->p++ == 1;
            } else {
                rd_value(r, elem, &out->kids[k]);
            }
        }
        break;
    }
    default: testing_fail(__FILE__, __LINE__, "unexpected thrift type %d", type);
    }
}

static void tnode_free(tnode *n)
{
    for (size_t k = 0; k < n->nkids; k++)
        tnode_free(&n->kids[k]);
    free(n->kids);
}

/* The field with this id of a struct node, or NULL. */
static const tnode *field(const tnode *s, int16_t id)
{
    for (size_t k = 0; k < s->nkids; k++)
        if (s->kids[k].id == id)
            return &s->kids[k];
    return NULL;
}

/* Decodes a whole file's footer after checking the magic bytes. */
static void read_footer(const ls_buf *file, tnode *meta)
{
    CHECK(file->len >= 12);
    CHECK_EQ_MEM(file->data, "PAR1", 4);
    CHECK_EQ_MEM(file->data + file->len - 4, "PAR1", 4);
    uint32_t len;
    memcpy(&len, file->data + file->len - 8, 4);
    CHECK(len < file->len - 12 + 1);
    treader r = {file->data + file->len - 8 - len, file->data + file->len - 8};
    memset(meta, 0, sizeof *meta);
    rd_struct(&r, meta);
    CHECK(r.p == r.end);
}

/* ---- Thrift compact encoding ---- */

TEST(thrift_compact_golden_bytes)
{
    ls_buf b;
    ls_buf_init(&b, 1024);
    ls_error err;
    ls_error_clear(&err);
    ls_thrift t;
    ls_thrift_init(&t, &b, &err);
    ls_thrift_struct_begin(&t);
    ls_thrift_field_i32(&t, 1, 1);
    ls_thrift_field_string(&t, 4, "ab");
    ls_thrift_field_i64(&t, 20, -1);
    ls_thrift_field_bool(&t, 21, true);
    ls_thrift_field_list_begin(&t, 22, LS_THRIFT_I32, 3);
    ls_thrift_elem_i32(&t, 1);
    ls_thrift_elem_i32(&t, 2);
    ls_thrift_elem_i32(&t, 3);
    ls_thrift_field_struct_begin(&t, 23);
    ls_thrift_field_i32(&t, 1, -2);
    ls_thrift_struct_end(&t);
    ls_thrift_field_i16(&t, 24, 300);
    ls_thrift_field_bool(&t, 25, false);
    ls_thrift_field_list_begin(&t, 26, LS_THRIFT_I32, 15);
    for (int i = 0; i < 15; i++)
        ls_thrift_elem_i32(&t, 0);
    ls_thrift_struct_end(&t);
    CHECK_OK(ls_thrift_finish(&t), &err);
    static const uint8_t expected[] = {
        0x15, 0x02,                   /* 1: i32 1 */
        0x38, 0x02, 'a', 'b',         /* 4: binary "ab" (delta 3) */
        0x06, 0x28, 0x01,             /* 20: i64 -1, long form (delta 16) */
        0x11,                         /* 21: true */
        0x19, 0x35, 0x02, 0x04, 0x06, /* 22: list<i32> [1,2,3] */
        0x1C, 0x15, 0x03, 0x00,       /* 23: struct {1: -2} */
        0x14, 0xD8, 0x04,             /* 24: i16 300 */
        0x12,                         /* 25: false */
        0x19, 0xF5, 0x0F, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 26: 15 zeros */
        0x00,
    };
    CHECK_EQ_INT(b.len, sizeof expected);
    CHECK_EQ_MEM(b.data, expected, sizeof expected);
    ls_buf_cleanup(&b);
}

TEST(thrift_unbalanced_struct_is_internal_error)
{
    ls_buf b;
    ls_buf_init(&b, 64);
    ls_thrift t;
    ls_thrift_init(&t, &b, NULL);
    ls_thrift_struct_begin(&t);
    CHECK_EQ_INT(ls_thrift_finish(&t), LS_ERR_INTERNAL);
    ls_buf_cleanup(&b);
}

TEST(varint_and_zigzag)
{
    uint8_t out[10];
    CHECK_EQ_INT(ls_varint_encode(300, out), 2);
    CHECK_EQ_INT(out[0], 0xAC);
    CHECK_EQ_INT(out[1], 0x02);
    CHECK_EQ_INT(ls_varint_encode(UINT64_MAX, out), 10);
    CHECK_EQ_INT(ls_zigzag64(0), 0);
    CHECK_EQ_INT(ls_zigzag64(-1), 1);
    CHECK_EQ_INT(ls_zigzag64(1), 2);
    CHECK_EQ_INT(ls_zigzag64(-64), 127);
    CHECK(ls_zigzag64(INT64_MIN) == UINT64_MAX);
}

/* ---- RLE / bit-packing hybrid ---- */

/* Decodes count values of the hybrid encoding (reference decoder from
 * Encodings.md). Returns the number of bytes consumed. */
static size_t rle_decode(const uint8_t *data, size_t len, int bit_width, uint32_t *out,
                         size_t count)
{
    treader r = {data, data + len};
    size_t n = 0;
    while (n < count) {
        uint64_t header = rd_varint(&r);
        if (header & 1) {
            size_t values = (size_t)(header >> 1) * 8;
            uint64_t acc = 0;
            int bits = 0;
            for (size_t k = 0; k < values; k++) {
                while (bits < bit_width) {
                    CHECK(r.p < r.end);
                    acc |= (uint64_t)*r.p++ << bits;
                    bits += 8;
                }
                uint32_t v = (uint32_t)(acc & (((uint64_t)1 << bit_width) - 1));
                acc >>= bit_width;
                bits -= bit_width;
                if (n < count)
                    out[n++] = v;
            }
        } else {
            size_t run = (size_t)(header >> 1);
            CHECK(run > 0);
            uint32_t v = 0;
            for (int b = 0; b < (bit_width + 7) / 8; b++)
                v |= (uint32_t)*r.p++ << (8 * b);
            for (size_t k = 0; k < run && n < count; k++)
                out[n++] = v;
        }
    }
    return (size_t)(r.p - data);
}

TEST(rle_hybrid_golden_bytes)
{
    ls_error err;
    ls_error_clear(&err);
    ls_buf b;
    ls_buf_init(&b, 1 << 20);
    /* Encodings.md's example: 0..7 with bit width 3 is one bit-packed group. */
    uint32_t seq[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    CHECK_OK(ls_rle_hybrid_append(&b, seq, 8, 3, &err), &err);
    static const uint8_t packed[] = {0x03, 0x88, 0xC6, 0xFA};
    CHECK_EQ_INT(b.len, sizeof packed);
    CHECK_EQ_MEM(b.data, packed, sizeof packed);
    /* 100 equal values: one RLE run, value in one byte. */
    ls_buf_reset(&b);
    uint32_t same[100];
    for (int i = 0; i < 100; i++)
        same[i] = 5;
    CHECK_OK(ls_rle_hybrid_append(&b, same, 100, 3, &err), &err);
    static const uint8_t rle[] = {0xC8, 0x01, 0x05};
    CHECK_EQ_INT(b.len, sizeof rle);
    CHECK_EQ_MEM(b.data, rle, sizeof rle);
    /* Definition levels, all set: one run. */
    ls_buf_reset(&b);
    uint8_t levels[20];
    memset(levels, 1, sizeof levels);
    CHECK_OK(ls_rle_hybrid_append_u8(&b, levels, 20, 1, &err), &err);
    static const uint8_t lv[] = {0x28, 0x01};
    CHECK_EQ_INT(b.len, sizeof lv);
    CHECK_EQ_MEM(b.data, lv, sizeof lv);
    /* 3 literals then a long run: 5 values of the run pad the literals to a
     * group of 8, the rest is an RLE run. */
    ls_buf_reset(&b);
    uint32_t mixed[23] = {1, 2, 3};
    for (int i = 3; i < 23; i++)
        mixed[i] = 7;
    CHECK_OK(ls_rle_hybrid_append(&b, mixed, 23, 3, &err), &err);
    static const uint8_t mx[] = {0x03, 0xD1, 0xFE, 0xFF, 0x1E, 0x07};
    CHECK_EQ_INT(b.len, sizeof mx);
    CHECK_EQ_MEM(b.data, mx, sizeof mx);
    ls_buf_cleanup(&b);
}

TEST(rle_hybrid_round_trips_random_data)
{
    ls_error err;
    ls_error_clear(&err);
    ls_buf b;
    ls_buf_init(&b, 1 << 24);
    uint32_t seed = 12345;
    uint32_t *values = malloc(5000 * sizeof *values);
    uint32_t *back = malloc(5000 * sizeof *back);
    for (int width = 1; width <= 32; width++) {
        for (int trial = 0; trial < 20; trial++) {
            size_t count = (size_t)(trial * 251) % 5000 + 1;
            uint32_t v = 0;
            for (size_t i = 0; i < count; i++) {
                seed = seed * 1103515245u + 12345u;
                /* Mix runs of many lengths with random literals. */
                if ((seed >> 16) % 4 == 0)
                    v = (seed ^ (seed >> 7)) & (width == 32 ? 0xFFFFFFFFu : ((1u << width) - 1));
                values[i] = v;
            }
            ls_buf_reset(&b);
            CHECK_OK(ls_rle_hybrid_append(&b, values, count, width, &err), &err);
            size_t used = rle_decode(b.data, b.len, width, back, count);
            CHECK_EQ_INT(used, b.len);
            CHECK_EQ_MEM(back, values, count * sizeof *values);
        }
    }
    free(values);
    free(back);
    ls_buf_cleanup(&b);
}

/* Literal runs pack 32-bit values in place, whole groups of 8 only; the last
 * partial group goes through a zero-padded buffer. Every bit width 0..32 and
 * every count 0..70 (each tail length, and literals cut short by a run), from
 * exact-size heap arrays so ASan sees a read past the last value; both
 * element sizes agree where the values fit a byte. */
TEST(rle_hybrid_every_width_and_group_tail)
{
    ls_error err;
    ls_error_clear(&err);
    ls_buf b, b8;
    ls_buf_init(&b, 1 << 20);
    ls_buf_init(&b8, 1 << 20);
    uint32_t seed = 777;
    for (int width = 0; width <= 32; width++) {
        uint32_t mask = width == 32 ? 0xFFFFFFFFu : (uint32_t)(((uint64_t)1 << width) - 1);
        for (size_t count = 0; count <= 70; count++) {
            for (int shape = 0; shape < 2; shape++) {
                uint32_t *values = malloc((count ? count : 1) * sizeof *values);
                uint8_t *bytes = malloc(count ? count : 1);
                uint32_t *back = malloc((count ? count : 1) * sizeof *back);
                CHECK(values && bytes && back);
                for (size_t i = 0; i < count; i++) {
                    seed = seed * 1103515245u + 12345u;
                    /* shape 0: all literals (a counter, never 8 equal in a
                     * row); shape 1: literals, then a run of the last 12. */
                    uint32_t v = (shape == 1 && i + 12 >= count) ? mask
                                                                 : ((uint32_t)i ^ (seed >> 8));
                    values[i] = v & mask;
                    bytes[i] = (uint8_t)values[i];
                }
                ls_buf_reset(&b);
                CHECK_OK(ls_rle_hybrid_append(&b, values, count, width, &err), &err);
                size_t used = rle_decode(b.data, b.len, width, back, count);
                CHECK_EQ_INT(used, b.len);
                if (count)
                    CHECK_EQ_MEM(back, values, count * sizeof *values);
                if (width <= 8) {
                    ls_buf_reset(&b8);
                    CHECK_OK(ls_rle_hybrid_append_u8(&b8, bytes, count, width, &err), &err);
                    CHECK_EQ_INT(b8.len, b.len);
                    if (b.len)
                        CHECK_EQ_MEM(b8.data, b.data, b.len);
                }
                free(values);
                free(bytes);
                free(back);
            }
        }
    }
    ls_buf_cleanup(&b);
    ls_buf_cleanup(&b8);
}

/* Dictionary values of up to 16 bytes hash from two overlapping words and
 * the length, and the slot table grows by moving the stored hashes. Values
 * that differ in one byte at every position of every length 0..24, and
 * values that are prefixes of each other, must each get their own entry and
 * be found again after the table has grown several times. */
TEST(dictionary_short_values_and_growth)
{
    ls_error err;
    ls_error_clear(&err);
    ls_parquet_dict d;
    ls_parquet_dict_init(&d, 0);
    uint32_t expected = 0;
    for (int round = 0; round < 2; round++) {
        expected = 0;
        for (size_t len = 0; len <= 24; len++) {
            for (size_t pos = 0; pos < (len ? len : 1); pos++) {
                for (int v = 0; v < (len ? 120 : 1); v++) {
                    uint8_t *value = malloc(len ? len : 1); /* exact size for ASan */
                    CHECK(value);
                    memset(value, 'a', len);
                    if (len)
                        value[pos] = (uint8_t)(v == 0 ? 'a' : v + 128);
                    /* v == 0 is the all-'a' value, the same at every pos. */
                    if (v == 0 && pos > 0) {
                        free(value);
                        continue;
                    }
                    uint32_t index;
                    bool added;
                    CHECK_OK(ls_parquet_dict_put(&d, value, len, &index, &added, &err), &err);
                    CHECK_EQ_INT(added, round == 0);
                    CHECK_EQ_INT(index, expected);
                    expected++;
                    free(value);
                }
            }
        }
    }
    CHECK_EQ_INT(d.count, expected);
    CHECK(d.slot_mask + 1 > 2 * (size_t)d.count); /* at most half full */
    ls_parquet_dict_cleanup(&d);

    /* Fixed width 4 (int32): 100000 values, growing to 256K slots. */
    ls_parquet_dict_init(&d, 4);
    for (int round = 0; round < 2; round++) {
        for (uint32_t i = 0; i < 100000; i++) {
            uint32_t v = i * 2654435761u, index;
            bool added;
            CHECK_OK(ls_parquet_dict_put(&d, &v, 4, &index, &added, &err), &err);
            CHECK_EQ_INT(added, round == 0);
            CHECK_EQ_INT(index, i);
        }
    }
    ls_parquet_dict_cleanup(&d);
}

TEST(bit_width)
{
    CHECK_EQ_INT(ls_bit_width(0), 0);
    CHECK_EQ_INT(ls_bit_width(1), 1);
    CHECK_EQ_INT(ls_bit_width(255), 8);
    CHECK_EQ_INT(ls_bit_width(256), 9);
    CHECK_EQ_INT(ls_bit_width(UINT32_MAX), 32);
}

TEST(dictionary_finds_and_adds)
{
    ls_error err;
    ls_error_clear(&err);
    ls_parquet_dict d;
    ls_parquet_dict_init(&d, 0);
    char key[32];
    for (int round = 0; round < 2; round++) {
        for (uint32_t i = 0; i < 5000; i++) {
            int n = snprintf(key, sizeof key, "value-%u", i);
            uint32_t index;
            bool added;
            CHECK_OK(ls_parquet_dict_put(&d, key, (size_t)n, &index, &added, &err), &err);
            CHECK_EQ_INT(index, i);
            CHECK_EQ_INT(added, round == 0);
        }
    }
    uint32_t index;
    bool added;
    CHECK_OK(ls_parquet_dict_put(&d, "", 0, &index, &added, &err), &err);
    CHECK(added);
    CHECK_EQ_INT(index, 5000);
    size_t len;
    const uint8_t *bytes = ls_parquet_dict_bytes(&d, 42, &len);
    CHECK_EQ_INT(len, 8);
    CHECK_EQ_MEM(bytes, "value-42", 8);
    /* PLAIN: 4-byte length + bytes per entry. */
    CHECK_EQ_INT(ls_parquet_dict_plain_bytes(&d), d.plain.len);
    ls_parquet_dict_reset(&d);
    CHECK_OK(ls_parquet_dict_put(&d, "value-7", 7, &index, &added, &err), &err);
    CHECK(added);
    CHECK_EQ_INT(index, 0);
    ls_parquet_dict_cleanup(&d);

    ls_parquet_dict_init(&d, 8);
    for (int64_t v = -100; v < 100; v++) {
        CHECK_OK(ls_parquet_dict_put(&d, &v, 8, &index, &added, &err), &err);
        CHECK(added);
    }
    int64_t probe = 5;
    CHECK_OK(ls_parquet_dict_put(&d, &probe, 8, &index, &added, &err), &err);
    CHECK(!added);
    CHECK_EQ_INT(index, 105);
    ls_parquet_dict_cleanup(&d);
}

TEST(decimal_bytes_by_precision)
{
    static const int expected[39] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 7, 7, 8, 8, 9,
                                     9, 9, 10, 10, 11, 11, 11, 12, 12, 13, 13, 13, 14, 14, 15,
                                     15, 16, 16, 16};
    for (int p = 1; p <= 38; p++)
        CHECK_EQ_INT(ls_parquet_decimal_bytes(p), expected[p]);
}

/* ---- the writer ---- */

/* Writes rows produced by fill(batch, row) for each row, in batches of
 * batch_rows, and closes. */
typedef void (*fill_fn)(ls_column_batch *batch, size_t row);

static void write_file(const ls_parquet_column_spec *cols, size_t n,
                       const ls_parquet_options *options, size_t rows, size_t batch_rows,
                       fill_fn fill, ls_buf *out, ls_parquet_file_stats *stats)
{
    ls_error err;
    ls_error_clear(&err);
    ls_buf_init(out, (size_t)1 << 30);
    ls_sink sink = ls_sink_for_buf(out);
    ls_parquet_writer *w = ls_parquet_writer_new(cols, n, options, &sink, &err);
    CHECK(w != NULL);
    ls_type types[32];
    for (size_t i = 0; i < n; i++)
        types[i] = cols[i].type;
    ls_column_batch *batch = ls_column_batch_new(types, n, (size_t)1 << 30);
    for (size_t r = 0; r < rows; r++) {
        ls_column_batch_row_begin(batch);
        fill(batch, r);
        CHECK_OK(ls_column_batch_row_end(batch, &err), &err);
        if (batch->row_count == batch_rows || r + 1 == rows) {
            CHECK_OK(ls_parquet_writer_write_batch(w, batch, &err), &err);
            ls_column_batch_reset(batch);
        }
    }
    CHECK_OK(ls_parquet_writer_close(w, stats, &err), &err);
    CHECK_EQ_INT(stats->file_size_bytes, out->len);
    CHECK_EQ_INT(stats->row_count, rows);
    ls_parquet_writer_free(w);
    ls_column_batch_free(batch);
}

static ls_type type_of(const char *text)
{
    ls_type t;
    ls_error err;
    CHECK_OK(ls_type_parse(text, &t, &err), &err);
    return t;
}

static void must(ls_code rc)
{
    CHECK_EQ_INT(rc, LS_OK);
}

static void fill_all_types(ls_column_batch *b, size_t r)
{
    ls_column *c = b->columns;
    char text[32];
    int n = snprintf(text, sizeof text, "s%zu", r % 7);
    must(r % 3 == 0 ? ls_column_set_null(&c[0], NULL) : ls_column_set_bool(&c[0], r % 2, NULL));
    must(ls_column_set_int32(&c[1], (int32_t)r, NULL));
    must(ls_column_set_int64(&c[2], (int64_t)r * 1000000007, NULL));
    must(ls_column_set_float(&c[3], (float)r / 4, NULL));
    must(ls_column_set_double(&c[4], (double)r / 8, NULL));
    must(ls_column_set_int64(&c[5], (int64_t)r - 50, NULL));
    must(ls_column_set_int64(&c[6], (int64_t)r * 1000, NULL));
    must(ls_column_set_int128(&c[7], (ls_int128)r - 20, NULL));
    must(ls_column_set_bytes(&c[8], text, (size_t)n, NULL));
    must(ls_column_set_bytes(&c[9], "\x00\x01", 2, NULL));
    must(ls_column_set_int32(&c[10], (int32_t)r, NULL));
    must(ls_column_set_int64(&c[11], (int64_t)r, NULL));
    must(ls_column_set_int64(&c[12], (int64_t)r, NULL));
}

static const ls_parquet_column_spec *all_type_columns(void)
{
    static ls_parquet_column_spec cols[13];
    static const char *names[13] = {"b", "i", "l", "f", "d", "d9", "d18", "d38",
                                    "s", "bin", "dt", "ts", "tz"};
    static const char *types[13] = {"boolean", "int", "bigint", "float", "double",
                                    "decimal(9,2)", "decimal(18,3)", "decimal(38,4)", "string",
                                    "binary", "date", "timestamp", "timestamptz"};
    for (int i = 0; i < 13; i++)
        cols[i] = (ls_parquet_column_spec){names[i], 100 + i, type_of(types[i]), i == 1};
    return cols;
}

TEST(footer_has_schema_field_ids_types_and_metadata)
{
    ls_parquet_options o;
    ls_parquet_options_init(&o);
    o.root_name = "paimon_schema";
    ls_parquet_key_value kv[] = {{"k1", "v1"}, {"iceberg.schema", "{}"}};
    o.metadata = kv;
    o.metadata_count = 2;
    ls_buf file;
    ls_parquet_file_stats stats;
    write_file(all_type_columns(), 13, &o, 100, 30, fill_all_types, &file, &stats);
    tnode meta;
    read_footer(&file, &meta);
    CHECK_EQ_INT(field(&meta, 3)->i, 100);
    const tnode *schema = field(&meta, 2);
    CHECK_EQ_INT(schema->nkids, 14);
    CHECK_EQ_INT(field(&schema->kids[0], 5)->i, 13);
    CHECK(field(&schema->kids[0], 4)->bin_len == 13 &&
          memcmp(field(&schema->kids[0], 4)->bin, "paimon_schema", 13) == 0);
    static const int physical[13] = {0, 1, 2, 4, 5, 1, 2, 7, 6, 6, 1, 2, 2};
    for (int i = 0; i < 13; i++) {
        const tnode *el = &schema->kids[i + 1];
        CHECK_EQ_INT(field(el, 1)->i, physical[i]);
        CHECK_EQ_INT(field(el, 3)->i, i == 1 ? 0 : 1);
        CHECK_EQ_INT(field(el, 9)->i, 100 + i);
    }
    /* decimal(38,4): FLBA of 16 bytes, DECIMAL converted and logical types. */
    const tnode *d38 = &schema->kids[8];
    CHECK_EQ_INT(field(d38, 2)->i, 16);
    CHECK_EQ_INT(field(d38, 6)->i, 5);
    CHECK_EQ_INT(field(d38, 7)->i, 4);
    CHECK_EQ_INT(field(d38, 8)->i, 38);
    const tnode *dec = field(field(d38, 10), 5);
    CHECK(dec && field(dec, 1)->i == 4 && field(dec, 2)->i == 38);
    /* string: UTF8 + STRING; timestamptz: TIMESTAMP(isAdjustedToUTC=true, MICROS). */
    CHECK_EQ_INT(field(&schema->kids[9], 6)->i, 0);
    CHECK(field(field(&schema->kids[9], 10), 1) != NULL);
    const tnode *tz = field(field(&schema->kids[13], 10), 8);
    CHECK(tz && field(tz, 1)->i == 1 && field(field(tz, 2), 2) != NULL);
    const tnode *ts = field(field(&schema->kids[12], 10), 8);
    CHECK(ts && field(ts, 1)->i == 0);
    CHECK_EQ_INT(field(&schema->kids[12], 6)->i, 10);
    /* key-value metadata, created_by, one TypeDefinedOrder per column. */
    const tnode *kvs = field(&meta, 5);
    CHECK_EQ_INT(kvs->nkids, 2);
    CHECK(memcmp(field(&kvs->kids[1], 1)->bin, "iceberg.schema", 14) == 0);
    const tnode *created = field(&meta, 6);
    CHECK(created->bin_len > 17 && memcmp(created->bin, "lakesync version ", 17) == 0);
    CHECK(memmem(created->bin, created->bin_len, " (build ", 8) != NULL);
    const tnode *orders = field(&meta, 7);
    CHECK_EQ_INT(orders->nkids, 13);
    CHECK(field(&orders->kids[0], 1) != NULL);
    /* Row group and chunk metadata agree with the file stats. */
    const tnode *groups = field(&meta, 4);
    CHECK_EQ_INT(groups->nkids, 1);
    CHECK_EQ_INT(stats.row_group_count, 1);
    CHECK_EQ_INT(stats.split_offsets[0], 4);
    CHECK_EQ_INT(field(&groups->kids[0], 5)->i, 4);
    const tnode *chunks = field(&groups->kids[0], 1);
    for (int i = 0; i < 13; i++) {
        const tnode *md = field(&chunks->kids[i], 3);
        CHECK_EQ_INT(field(md, 5)->i, 100);
        CHECK_EQ_INT(field(md, 7)->i, stats.columns[i].compressed_bytes);
        CHECK_EQ_INT(stats.columns[i].value_count, 100);
        CHECK_EQ_INT(stats.columns[i].field_id, 100 + i);
    }
    CHECK_EQ_INT(stats.columns[0].null_count, 34);
    tnode_free(&meta);
    ls_parquet_file_stats_cleanup(&stats);
    ls_buf_cleanup(&file);
}

typedef struct chunk_pages {
    int dictionary_pages, dict_data_pages, plain_data_pages;
    int64_t data_values;
    const uint8_t *first_data_page_body;
} chunk_pages;

/* Walks a column chunk's pages by their headers. */
static chunk_pages walk_chunk(const ls_buf *file, const tnode *md)
{
    chunk_pages out = {0};
    const tnode *dict = field(md, 11);
    int64_t start = dict ? dict->i : field(md, 9)->i;
    int64_t end = start + field(md, 7)->i;
    CHECK(end <= (int64_t)file->len);
    treader r = {file->data + start, file->data + end};
    while (r.p < r.end) {
        tnode h;
        memset(&h, 0, sizeof h);
        rd_struct(&r, &h);
        int64_t type = field(&h, 1)->i;
        int64_t compressed = field(&h, 3)->i;
        if (type == 2) {
            CHECK_EQ_INT(out.dictionary_pages + out.dict_data_pages + out.plain_data_pages, 0);
            out.dictionary_pages++;
        } else {
            CHECK_EQ_INT(type, 0);
            const tnode *dp = field(&h, 5);
            out.data_values += field(dp, 1)->i;
            if (field(dp, 2)->i == 8)
                out.dict_data_pages++;
            else
                out.plain_data_pages++;
            if (!out.first_data_page_body)
                out.first_data_page_body = r.p;
        }
        r.p += compressed;
        tnode_free(&h);
    }
    CHECK(r.p == r.end);
    return out;
}

static bool has_encoding(const tnode *md, int encoding)
{
    const tnode *list = field(md, 2);
    for (size_t k = 0; k < list->nkids; k++)
        if (list->kids[k].i == encoding)
            return true;
    return false;
}

static void fill_dictionary_mix(ls_column_batch *b, size_t r)
{
    char text[48];
    int n = snprintf(text, sizeof text, "low-%zu", r % 10);
    must(ls_column_set_bytes(&b->columns[0], text, (size_t)n, NULL));
    n = snprintf(text, sizeof text, "high-cardinality-value-%zu", r);
    must(ls_column_set_bytes(&b->columns[1], text, (size_t)n, NULL));
    /* Few values first, then a new value per row. */
    n = snprintf(text, sizeof text, "mixed-%zu", r < 2000 ? r % 3 : r);
    must(ls_column_set_bytes(&b->columns[2], text, (size_t)n, NULL));
    must(ls_column_set_int64(&b->columns[3], (int64_t)(r % 5), NULL));
}

TEST(dictionary_per_chunk_with_fallback_to_plain)
{
    ls_parquet_column_spec cols[] = {
        {"low", 1, type_of("string"), false},
        {"high", 2, type_of("string"), false},
        {"mixed", 3, type_of("string"), true},
        {"small_ints", 4, type_of("bigint"), false},
    };
    ls_parquet_options o;
    ls_parquet_options_init(&o);
    o.page_bytes = 8192;
    o.dictionary_max_entries = 500;
    ls_buf file;
    ls_parquet_file_stats stats;
    write_file(cols, 4, &o, 6000, 1000, fill_dictionary_mix, &file, &stats);
    tnode meta;
    read_footer(&file, &meta);
    const tnode *chunks = field(&field(&meta, 4)->kids[0], 1);
    const tnode *md[4];
    chunk_pages pages[4];
    for (int i = 0; i < 4; i++) {
        md[i] = field(&chunks->kids[i], 3);
        pages[i] = walk_chunk(&file, md[i]);
        CHECK_EQ_INT(pages[i].data_values, 6000);
        CHECK_EQ_INT(field(md[i], 5)->i, 6000);
    }
    /* Low cardinality: dictionary all the way. */
    CHECK_EQ_INT(pages[0].dictionary_pages, 1);
    CHECK(pages[0].dict_data_pages >= 1);
    CHECK_EQ_INT(pages[0].plain_data_pages, 0);
    CHECK(has_encoding(md[0], 8) && field(md[0], 11) != NULL);
    /* All distinct: the dictionary never pays off, no dictionary page. */
    CHECK_EQ_INT(pages[1].dictionary_pages, 0);
    CHECK_EQ_INT(pages[1].dict_data_pages, 0);
    CHECK(pages[1].plain_data_pages > 1);
    CHECK(!has_encoding(md[1], 8) && field(md[1], 11) == NULL);
    /* Dictionary pages first, then PLAIN once the dictionary passed 500 entries. */
    CHECK_EQ_INT(pages[2].dictionary_pages, 1);
    CHECK(pages[2].dict_data_pages >= 1);
    CHECK(pages[2].plain_data_pages >= 1);
    CHECK(has_encoding(md[2], 8) && has_encoding(md[2], 0));
    CHECK_EQ_INT(pages[3].dictionary_pages, 1);
    /* Required column: dictionary data page starts with the bit width (no
     * level block); 3 entries at first -> 2 bits. */
    CHECK_EQ_INT(cols[2].required, 1);
    tnode_free(&meta);
    ls_parquet_file_stats_cleanup(&stats);
    ls_buf_cleanup(&file);
}

static void fill_stats_values(ls_column_batch *b, size_t r)
{
    static const double doubles[] = {NAN, 0.0, -0.0, 2.5, NAN};
    static const char *strings[] = {"a", "\xff", "", "ab", "\xc3\xa9"};
    must(ls_column_set_double(&b->columns[0], doubles[r % 5], NULL));
    must(ls_column_set_float(&b->columns[1], r % 5 == 1 ? -0.0f : NAN, NULL));
    must(ls_column_set_bytes(&b->columns[2], strings[r % 5], strlen(strings[r % 5]), NULL));
    ls_int128 big = (ls_int128)1000000000000000000ll * 1000000000000000000ll;
    must(ls_column_set_int128(&b->columns[3], r % 2 ? -big : big - 1, NULL));
    must(r == 0 ? ls_column_set_int64(&b->columns[4], -12345, NULL)
                : ls_column_set_null(&b->columns[4], NULL));
    must(ls_column_set_null(&b->columns[5], NULL));
}

TEST(statistics_orders_nan_zero_and_nulls)
{
    ls_parquet_column_spec cols[] = {
        {"d", 1, type_of("double"), false},      {"f", 2, type_of("float"), false},
        {"s", 3, type_of("string"), false},      {"dec", 4, type_of("decimal(38,0)"), false},
        {"d9", 5, type_of("decimal(9,2)"), false}, {"nothing", 6, type_of("string"), false},
    };
    for (int dictionary = 0; dictionary < 2; dictionary++) {
        ls_parquet_options o;
        ls_parquet_options_init(&o);
        o.dictionary = dictionary;
        ls_buf file;
        ls_parquet_file_stats stats;
        write_file(cols, 6, &o, 50, 7, fill_stats_values, &file, &stats);
        /* double: NaN left out of the bounds, counted; zero bounds signed as the spec asks. */
        CHECK_EQ_INT(stats.columns[0].nan_count, 20);
        CHECK(stats.columns[0].has_min_max);
        CHECK(stats.columns[0].min_double == 0.0 && signbit(stats.columns[0].min_double));
        CHECK(stats.columns[0].max_double == 2.5);
        /* float: only -0.0 and NaN: min -0.0, max +0.0. */
        CHECK_EQ_INT(stats.columns[1].nan_count, 40);
        CHECK(signbit(stats.columns[1].min_double) && !signbit(stats.columns[1].max_double));
        /* strings: unsigned byte order, "" smallest, "\xff" largest. */
        CHECK_EQ_INT(stats.columns[2].min_bytes_len, 0);
        CHECK_EQ_INT(stats.columns[2].max_bytes_len, 1);
        CHECK_EQ_INT(stats.columns[2].max_bytes[0], 0xff);
        /* decimals: signed. */
        ls_int128 big = (ls_int128)1000000000000000000ll * 1000000000000000000ll;
        CHECK(stats.columns[3].min_int128 == -big);
        CHECK(stats.columns[3].max_int128 == big - 1);
        CHECK_EQ_INT(stats.columns[4].min_int, -12345);
        CHECK_EQ_INT(stats.columns[4].null_count, 49);
        CHECK(!stats.columns[5].has_min_max);
        CHECK_EQ_INT(stats.columns[5].null_count, 50);

        tnode meta;
        read_footer(&file, &meta);
        const tnode *chunks = field(&field(&meta, 4)->kids[0], 1);
        const tnode *st = field(field(&chunks->kids[0], 3), 12);
        double d;
        CHECK_EQ_INT(field(st, 6)->bin_len, 8);
        memcpy(&d, field(st, 6)->bin, 8);
        CHECK(d == 0.0 && signbit(d));
        memcpy(&d, field(st, 5)->bin, 8);
        CHECK(d == 2.5);
        CHECK_EQ_INT(field(st, 3)->i, 0);
        /* FLBA decimal bounds: 16 big-endian two's-complement bytes. */
        st = field(field(&chunks->kids[3], 3), 12);
        CHECK_EQ_INT(field(st, 6)->bin_len, 16);
        static const uint8_t min_be[16] = {0xFF, 0x3F, 0x68, 0x31, 0x84, 0x36, 0xF8, 0xEA,
                                           0x4C, 0xB4, 0x60, 0xF0, 0x00, 0x00, 0x00, 0x00};
        static const uint8_t max_be[16] = {0x00, 0xC0, 0x97, 0xCE, 0x7B, 0xC9, 0x07, 0x15,
                                           0xB3, 0x4B, 0x9F, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF};
        CHECK_EQ_MEM(field(st, 6)->bin, min_be, 16);
        CHECK_EQ_INT(field(st, 5)->bin_len, 16);
        CHECK_EQ_MEM(field(st, 5)->bin, max_be, 16);
        /* decimal(9,2) is INT32: 4-byte bounds. */
        st = field(field(&chunks->kids[4], 3), 12);
        CHECK_EQ_INT(field(st, 6)->bin_len, 4);
        int32_t v32;
        memcpy(&v32, field(st, 6)->bin, 4);
        CHECK_EQ_INT(v32, -12345);
        CHECK_EQ_INT(field(st, 3)->i, 49);
        /* All-null column: a null count and no bounds. */
        st = field(field(&chunks->kids[5], 3), 12);
        CHECK(field(st, 5) == NULL && field(st, 6) == NULL);
        CHECK_EQ_INT(field(st, 3)->i, 50);
        tnode_free(&meta);
        ls_parquet_file_stats_cleanup(&stats);
        ls_buf_cleanup(&file);
    }
}

/* A sink that fails once more than limit bytes would have been written. */
typedef struct failing_sink {
    ls_buf buf;
    size_t limit;
} failing_sink;

static ls_code failing_write(void *ctx, const void *data, size_t len, ls_error *err)
{
    failing_sink *s = ctx;
    if (s->buf.len + len > s->limit)
        return ls_error_set(err, LS_ERR_IO, "disk full (test)");
    return ls_buf_append(&s->buf, data, len, err);
}

static void fill_many(ls_column_batch *b, size_t r)
{
    char text[32];
    int n = snprintf(text, sizeof text, "row-%zu", r % 1000);
    must(ls_column_set_int64(&b->columns[0], (int64_t)r, NULL));
    must(r % 4 ? ls_column_set_bytes(&b->columns[1], text, (size_t)n, NULL)
               : ls_column_set_null(&b->columns[1], NULL));
}

TEST(failing_sink_never_yields_a_complete_file)
{
    ls_parquet_column_spec cols[] = {
        {"id", 1, type_of("bigint"), true},
        {"name", 2, type_of("string"), false},
    };
    ls_parquet_options o;
    ls_parquet_options_init(&o);
    o.row_group_bytes = 8 * 1024;
    o.page_bytes = 2048;
    ls_buf full;
    ls_parquet_file_stats stats;
    write_file(cols, 2, &o, 20000, 3000, fill_many, &full, &stats);
    CHECK(stats.row_group_count > 2);
    size_t size = full.len;
    ls_parquet_file_stats_cleanup(&stats);
    ls_buf_cleanup(&full);
    ls_type types[2] = {cols[0].type, cols[1].type};
    for (size_t limit = 0; limit < size; limit += limit < 64 ? 1 : 997) {
        failing_sink fs;
        ls_buf_init(&fs.buf, (size_t)1 << 30);
        fs.limit = limit;
        ls_sink sink = {.write = failing_write, .ctx = &fs};
        ls_error err;
        ls_error_clear(&err);
        ls_parquet_writer *w = ls_parquet_writer_new(cols, 2, &o, &sink, &err);
        ls_code rc = w ? LS_OK : err.code;
        ls_column_batch *batch = ls_column_batch_new(types, 2, (size_t)1 << 30);
        for (size_t r = 0; w && r < 20000 && rc == LS_OK; r++) {
            ls_column_batch_row_begin(batch);
            fill_many(batch, r);
            CHECK_OK(ls_column_batch_row_end(batch, &err), &err);
            if (batch->row_count == 3000 || r + 1 == 20000) {
                rc = ls_parquet_writer_write_batch(w, batch, &err);
                ls_column_batch_reset(batch);
            }
        }
        memset(&stats, 0xAB, sizeof stats);
        if (w) {
            ls_code close_rc = ls_parquet_writer_close(w, &stats, &err);
            CHECK(close_rc != LS_OK);
            if (rc == LS_OK)
                rc = close_rc;
            /* Nothing is claimed: the stats are empty. */
            CHECK_EQ_INT(stats.row_count, 0);
            CHECK(stats.columns == NULL);
            /* Later calls keep failing. */
            CHECK(ls_parquet_writer_close(w, &stats, NULL) != LS_OK);
        }
        CHECK_EQ_INT(rc, LS_ERR_IO);
        CHECK_EQ_STR(err.message, "disk full (test)");
        CHECK(fs.buf.len <= limit);
        /* The bytes that did reach the sink never end with a footer. */
        CHECK(fs.buf.len < 8 || memcmp(fs.buf.data + fs.buf.len - 4, "PAR1", 4) != 0 ||
              fs.buf.len == 4);
        ls_parquet_writer_free(w);
        ls_column_batch_free(batch);
        ls_buf_cleanup(&fs.buf);
    }
}

TEST(row_groups_roll_at_the_size_and_match_split_offsets)
{
    ls_parquet_column_spec cols[] = {
        {"id", 1, type_of("bigint"), true},
        {"name", 2, type_of("string"), false},
    };
    ls_parquet_options o;
    ls_parquet_options_init(&o);
    o.row_group_bytes = 64 * 1024;
    ls_buf file;
    ls_parquet_file_stats stats;
    write_file(cols, 2, &o, 100000, 7000, fill_many, &file, &stats);
    CHECK(stats.row_group_count >= 4);
    tnode meta;
    read_footer(&file, &meta);
    const tnode *groups = field(&meta, 4);
    CHECK_EQ_INT(groups->nkids, stats.row_group_count);
    int64_t rows = 0;
    uint64_t sizes[2] = {0, 0};
    for (size_t g = 0; g < groups->nkids; g++) {
        const tnode *rg = &groups->kids[g];
        rows += field(rg, 3)->i;
        CHECK_EQ_INT(field(rg, 5)->i, stats.split_offsets[g]);
        CHECK_EQ_INT(field(rg, 7)->i, g);
        const tnode *chunks = field(rg, 1);
        int64_t first = field(&chunks->kids[0], 2)->i;
        CHECK_EQ_INT(first, stats.split_offsets[g]);
        for (int c = 0; c < 2; c++) {
            const tnode *md = field(&chunks->kids[c], 3);
            chunk_pages p = walk_chunk(&file, md);
            CHECK_EQ_INT(p.data_values, field(rg, 3)->i);
            sizes[c] += (uint64_t)field(md, 7)->i;
        }
        /* A row group closes near its target, not far past it. */
        CHECK(field(rg, 6)->i < 2 * 64 * 1024);
    }
    CHECK_EQ_INT(rows, 100000);
    CHECK_EQ_INT(sizes[0], stats.columns[0].compressed_bytes);
    CHECK_EQ_INT(sizes[1], stats.columns[1].compressed_bytes);
    CHECK_EQ_INT(stats.columns[1].null_count, 25000);
    CHECK_EQ_INT(stats.columns[1].value_count, 100000);
    CHECK_EQ_INT(stats.columns[0].min_int, 0);
    CHECK_EQ_INT(stats.columns[0].max_int, 99999);
    tnode_free(&meta);
    ls_parquet_file_stats_cleanup(&stats);
    ls_buf_cleanup(&file);
}

static void fill_text(ls_column_batch *b, size_t r)
{
    char text[64];
    int n = snprintf(text, sizeof text, "compressible text %zu compressible text", r % 50);
    must(ls_column_set_bytes(&b->columns[0], text, (size_t)n, NULL));
}

TEST(codecs_frame_pages_as_the_spec_says)
{
    ls_parquet_column_spec cols[] = {{"t", 1, type_of("string"), true}};
    static const struct {
        ls_parquet_codec codec;
        const char *magic;
        size_t magic_len;
    } cases[] = {
        {LS_PARQUET_CODEC_GZIP, "\x1f\x8b", 2},
        {LS_PARQUET_CODEC_ZSTD, "\x28\xb5\x2f\xfd", 4},
        {LS_PARQUET_CODEC_NONE, "\x25\x00\x00\x00" "compressible text 0 ", 24},
        {LS_PARQUET_CODEC_SNAPPY, NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ls_parquet_options o;
        ls_parquet_options_init(&o);
        o.codec = cases[i].codec;
        o.dictionary = false;
        ls_buf file;
        ls_parquet_file_stats stats;
        write_file(cols, 1, &o, 1000, 1000, fill_text, &file, &stats);
        tnode meta;
        read_footer(&file, &meta);
        const tnode *md = field(&field(&field(&meta, 4)->kids[0], 1)->kids[0], 3);
        CHECK_EQ_INT(field(md, 4)->i, (int)cases[i].codec);
        chunk_pages p = walk_chunk(&file, md);
        if (cases[i].magic) {
            /* gzip and zstd frames; NONE: PLAIN 4-byte length 37 and the text. */
            CHECK_EQ_MEM(p.first_data_page_body, cases[i].magic, cases[i].magic_len);
        }
        if (cases[i].codec != LS_PARQUET_CODEC_NONE)
            CHECK(field(md, 7)->i * 3 < field(md, 6)->i);
        else
            CHECK_EQ_INT(field(md, 7)->i, field(md, 6)->i);
        tnode_free(&meta);
        ls_parquet_file_stats_cleanup(&stats);
        ls_buf_cleanup(&file);
    }
}

TEST(bad_input_is_an_error_not_a_crash)
{
    ls_parquet_column_spec cols[] = {
        {"id", 1, type_of("bigint"), true},
        {"d", 2, type_of("decimal(4,2)"), false},
    };
    ls_buf out;
    ls_buf_init(&out, 1 << 20);
    ls_sink sink = ls_sink_for_buf(&out);
    ls_error err;
    ls_error_clear(&err);
    CHECK(ls_parquet_writer_new(cols, 0, NULL, &sink, &err) == NULL);
    CHECK_EQ_INT(err.code, LS_ERR_INVALID);

    ls_type types[2] = {cols[0].type, cols[1].type};
    ls_column_batch *batch = ls_column_batch_new(types, 2, 1 << 20);
    /* A null in a required column. */
    ls_error_clear(&err);
    ls_parquet_writer *w = ls_parquet_writer_new(cols, 2, NULL, &sink, &err);
    CHECK(w != NULL);
    ls_column_batch_row_begin(batch);
    CHECK_OK(ls_column_batch_row_end(batch, &err), &err);
    CHECK_EQ_INT(ls_parquet_writer_write_batch(w, batch, &err), LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "id");
    CHECK(ls_parquet_writer_close(w, NULL, NULL) != LS_OK);
    ls_parquet_writer_free(w);
    /* A decimal with more digits than its precision. */
    ls_column_batch_reset(batch);
    ls_error_clear(&err);
    w = ls_parquet_writer_new(cols, 2, NULL, &sink, &err);
    ls_column_batch_row_begin(batch);
    must(ls_column_set_int64(&batch->columns[0], 1, NULL));
    must(ls_column_set_int64(&batch->columns[1], 10000, NULL));
    CHECK_OK(ls_column_batch_row_end(batch, &err), &err);
    CHECK_EQ_INT(ls_parquet_writer_write_batch(w, batch, &err), LS_ERR_INVALID);
    ls_parquet_writer_free(w);
    /* A batch of other types. */
    ls_error_clear(&err);
    w = ls_parquet_writer_new(cols, 1, NULL, &sink, &err);
    CHECK_EQ_INT(ls_parquet_writer_write_batch(w, batch, &err), LS_ERR_INVALID);
    ls_parquet_writer_abort(w);
    CHECK(ls_parquet_writer_close(w, NULL, NULL) != LS_OK);
    ls_parquet_writer_free(w);
    ls_column_batch_free(batch);
    ls_buf_cleanup(&out);
}

TEST(codec_names)
{
    ls_parquet_codec c;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_parquet_codec_parse("snappy", &c, &err), &err);
    CHECK_EQ_INT(c, LS_PARQUET_CODEC_SNAPPY);
    CHECK_EQ_STR(ls_parquet_codec_name(LS_PARQUET_CODEC_GZIP), "gzip");
    CHECK_EQ_INT(ls_parquet_codec_parse("lz4", &c, &err), LS_ERR_INVALID);
}

TEST(dictionary_given_up_early_for_mostly_distinct_values)
{
    ls_parquet_column_spec cols[] = {
        {"low", 1, type_of("string"), false},
        {"high", 2, type_of("string"), false},
        {"mixed", 3, type_of("string"), true},
        {"small_ints", 4, type_of("bigint"), false},
    };
    /* Default 1 MiB pages: the first page is still open when the probe after
     * 4096 values looks at the dictionaries. */
    ls_buf file;
    ls_parquet_file_stats stats;
    write_file(cols, 4, NULL, 10000, 2500, fill_dictionary_mix, &file, &stats);
    tnode meta;
    read_footer(&file, &meta);
    const tnode *chunks = field(&field(&meta, 4)->kids[0], 1);
    static const int dictionary_expected[4] = {1, 0, 0, 1};
    for (int i = 0; i < 4; i++) {
        const tnode *md = field(&chunks->kids[i], 3);
        chunk_pages p = walk_chunk(&file, md);
        CHECK_EQ_INT(p.data_values, 10000);
        CHECK_EQ_INT(p.dictionary_pages, dictionary_expected[i]);
        CHECK_EQ_INT(p.dict_data_pages > 0, dictionary_expected[i]);
        CHECK_EQ_INT(p.plain_data_pages > 0, !dictionary_expected[i]);
    }
    /* The statistics still cover the values seen while the dictionary lasted. */
    CHECK_EQ_INT(stats.columns[2].min_bytes_len, 7);
    CHECK_EQ_MEM(stats.columns[2].min_bytes, "mixed-0", 7);
    tnode_free(&meta);
    ls_parquet_file_stats_cleanup(&stats);
    ls_buf_cleanup(&file);
}

/* Short strings over {0x00, 'a', 0xff} of 0..11 bytes: ties in the first 8
 * bytes, zero bytes against the zero padding of shorter values, and prefixes
 * of one another, for the statistics' prefix shortcut. */
static void tricky_string(size_t r, uint8_t *out, size_t *len)
{
    static const uint8_t alphabet[3] = {0x00, 'a', 0xff};
    uint64_t x = (uint64_t)r * 0x9E3779B97F4A7C15ull + 12345;
    *len = (size_t)(x >> 60) % 12;
    for (size_t i = 0; i < *len; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        out[i] = alphabet[(x >> 33) % 3];
    }
}

static void fill_tricky_strings(ls_column_batch *b, size_t r)
{
    uint8_t text[16];
    size_t len;
    tricky_string(r, text, &len);
    must(ls_column_set_bytes(&b->columns[0], text, len, NULL));
}

static int lexicographic(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    for (size_t i = 0; i < alen && i < blen; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}

TEST(string_statistics_order_bytes_with_zeros_and_prefixes)
{
    ls_parquet_column_spec cols[] = {{"s", 1, type_of("string"), true}};
    uint8_t min[16], max[16], v[16];
    size_t min_len = 0, max_len = 0, len;
    const size_t rows = 5000;
    for (size_t r = 0; r < rows; r++) {
        tricky_string(r, v, &len);
        if (r == 0 || lexicographic(v, len, min, min_len) < 0)
            memcpy(min, v, min_len = len);
        if (r == 0 || lexicographic(v, len, max, max_len) > 0)
            memcpy(max, v, max_len = len);
    }
    for (int dictionary = 0; dictionary <= 1; dictionary++) {
        ls_parquet_options options;
        ls_parquet_options_init(&options);
        options.dictionary = dictionary;
        ls_buf file;
        ls_parquet_file_stats stats;
        write_file(cols, 1, &options, rows, 700, fill_tricky_strings, &file, &stats);
        CHECK_EQ_INT(stats.columns[0].min_bytes_len, min_len);
        CHECK_EQ_INT(stats.columns[0].max_bytes_len, max_len);
        CHECK(memcmp(stats.columns[0].min_bytes, min, min_len) == 0);
        CHECK(memcmp(stats.columns[0].max_bytes, max, max_len) == 0);
        ls_parquet_file_stats_cleanup(&stats);
        ls_buf_cleanup(&file);
    }
}

TEST(row_groups_stream_to_the_sink_with_bounded_buffering)
{
    ls_parquet_column_spec cols[] = {
        {"id", 1, type_of("bigint"), true},
        {"name", 2, type_of("string"), false},
    };
    ls_parquet_options o;
    ls_parquet_options_init(&o);
    o.row_group_bytes = 256 * 1024;
    ls_buf out;
    ls_buf_init(&out, (size_t)1 << 30);
    ls_sink sink = ls_sink_for_buf(&out);
    ls_error err;
    ls_error_clear(&err);
    ls_parquet_writer *w = ls_parquet_writer_new(cols, 2, &o, &sink, &err);
    CHECK(w != NULL);
    ls_type types[2] = {cols[0].type, cols[1].type};
    ls_column_batch *batch = ls_column_batch_new(types, 2, (size_t)1 << 30);
    size_t max_buffered = 0;
    for (size_t r = 0; r < 400000; r++) {
        ls_column_batch_row_begin(batch);
        fill_many(batch, r * 7919);
        CHECK_OK(ls_column_batch_row_end(batch, &err), &err);
        if (batch->row_count == 5000) {
            CHECK_OK(ls_parquet_writer_write_batch(w, batch, &err), &err);
            ls_column_batch_reset(batch);
            uint64_t buffered = ls_parquet_writer_estimated_bytes(w) - out.len;
            if (buffered > max_buffered)
                max_buffered = buffered;
        }
    }
    /* Row groups reached the sink while rows were still coming... */
    CHECK(out.len > 4 * o.row_group_bytes / 2);
    /* ...and the writer never held much more than one row group. */
    CHECK(max_buffered < 2 * o.row_group_bytes);
    CHECK_EQ_INT(ls_parquet_writer_row_count(w), 400000);
    ls_parquet_file_stats stats;
    CHECK_OK(ls_parquet_writer_close(w, &stats, &err), &err);
    CHECK_EQ_INT(stats.file_size_bytes, out.len);
    CHECK(stats.row_group_count > 4);
    ls_parquet_file_stats_cleanup(&stats);
    ls_parquet_writer_free(w);
    ls_column_batch_free(batch);
    ls_buf_cleanup(&out);
}
