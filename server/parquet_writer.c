#include "parquet_writer.h"

#include <math.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "parquet_encode.h"
#include "parquet_thrift.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the Parquet writer copies values as little-endian bytes"
#endif

__extension__ typedef unsigned __int128 u128;

#ifndef LAKESYNC_BUILD_ID
#define LAKESYNC_BUILD_ID "unknown"
#endif

/* parquet.thrift enum values used below. */
enum { PQ_BOOLEAN = 0, PQ_INT32 = 1, PQ_INT64 = 2, PQ_FLOAT = 4, PQ_DOUBLE = 5,
       PQ_BYTE_ARRAY = 6, PQ_FLBA = 7 };
enum { PQ_CT_UTF8 = 0, PQ_CT_DECIMAL = 5, PQ_CT_DATE = 6, PQ_CT_TIMESTAMP_MICROS = 10 };
enum { PQ_ENC_PLAIN = 0, PQ_ENC_RLE = 3, PQ_ENC_RLE_DICTIONARY = 8 };
enum { PQ_PAGE_DATA = 0, PQ_PAGE_DICTIONARY = 2 };

/* Page and chunk buffers stay below 2 GiB: page sizes are i32 in the format. */
#define PAGE_BUFFER_MAX ((size_t)INT32_MAX - 1024)
#define CHUNK_BUFFER_MAX ((size_t)1 << 40)
/* A page also closes at this many rows, so all-null columns stay bounded. */
#define PAGE_MAX_ROWS (1u << 20)
/* Rows appended per column before the row group size is checked. */
#define SLICE_ROWS 2048
/* Larger string bounds are left out of the footer (the file stats keep them). */
#define FOOTER_STATS_MAX_BYTES (64 * 1024)

/* Always-on check of an invariant of data we produce (STYLE rule 11). */
static void check_invariant(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "lakesync: parquet writer invariant failed: %s\n", what);
        abort();
    }
}

typedef struct value_stats {
    uint64_t null_count, nan_count, value_count;
    bool has_min_max;
    int64_t min_int, max_int;
    double min_double, max_double;
    ls_int128 min_int128, max_int128;
    ls_buf min_bytes, max_bytes;
    uint64_t min_prefix, max_prefix; /* bytes_prefix() of the bounds */
} value_stats;

typedef struct page_state {
    ls_buf levels;  /* uint8 definition level per row (optional columns) */
    ls_buf indices; /* uint32 dictionary index per value (dictionary mode) */
    ls_buf values;  /* PLAIN values (plain mode); booleans one byte each */
    uint32_t num_rows;
    uint32_t num_values;
    size_t raw_bytes; /* PLAIN size of the page's values */
} page_state;

typedef struct column {
    char *name;
    int32_t field_id;
    ls_type type;
    ls_storage storage;
    bool required;
    int physical;
    int type_length;     /* FIXED_LEN_BYTE_ARRAY only */
    size_t storage_width; /* bytes per value in the batch; 0 for bytes */
    size_t plain_width;   /* bytes per PLAIN value; 0 for bytes and booleans */
    ls_int128 decimal_limit; /* 10^P for decimals: |unscaled| must stay below */
    bool use_dict;    /* the open chunk is still dictionary encoded */
    bool dict_pages;  /* dictionary-encoded pages exist in the open chunk */
    bool plain_pages; /* PLAIN pages exist in the open chunk */
    ls_parquet_dict dict;
    page_state page;
    ls_buf chunk; /* page headers and compressed data pages of the open chunk */
    uint64_t chunk_uncompressed, chunk_compressed, chunk_values;
    value_stats chunk_stats, file_stats;
    uint64_t file_compressed;
} column;

struct ls_parquet_writer {
    column *columns;
    size_t column_count;
    ls_parquet_options options;
    char *root_name;
    ls_parquet_key_value *metadata;
    ls_sink *sink;
    uint64_t offset; /* bytes written to the sink by this writer */
    ls_buf row_groups; /* serialized RowGroup structs */
    ls_buf split_offsets; /* uint64 per row group */
    uint32_t row_group_count;
    uint64_t row_count, rows_in_group;
    ls_buf body, levels, compressed, header; /* per-page scratch */
    ZSTD_CCtx *zstd;
    z_stream gzip;
    bool gzip_ready;
    ls_code failed;
    bool closed;
};

/* ---- small helpers ---- */

int ls_parquet_decimal_bytes(int precision)
{
    u128 limit = 1;
    for (int i = 0; i < precision; i++)
        limit *= 10;
    for (int n = 1; n <= 16; n++) {
        if (((u128)1 << (8 * n - 1)) > limit)
            return n;
    }
    return 16;
}

ls_code ls_parquet_codec_parse(const char *text, ls_parquet_codec *out, ls_error *err)
{
    static const struct { const char *name; ls_parquet_codec codec; } names[] = {
        {"zstd", LS_PARQUET_CODEC_ZSTD}, {"snappy", LS_PARQUET_CODEC_SNAPPY},
        {"gzip", LS_PARQUET_CODEC_GZIP}, {"none", LS_PARQUET_CODEC_NONE},
        {"uncompressed", LS_PARQUET_CODEC_NONE},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(text, names[i].name) == 0) {
            *out = names[i].codec;
            return LS_OK;
        }
    }
    return ls_error_set(err, LS_ERR_INVALID,
                        "unknown compression '%s' (expected zstd, snappy, gzip or none)", text);
}

const char *ls_parquet_codec_name(ls_parquet_codec codec)
{
    switch (codec) {
    case LS_PARQUET_CODEC_NONE: return "none";
    case LS_PARQUET_CODEC_SNAPPY: return "snappy";
    case LS_PARQUET_CODEC_GZIP: return "gzip";
    case LS_PARQUET_CODEC_ZSTD: return "zstd";
    }
    return "unknown";
}

void ls_parquet_options_init(ls_parquet_options *options)
{
    memset(options, 0, sizeof *options);
    options->codec = LS_PARQUET_CODEC_ZSTD;
    options->row_group_bytes = (uint64_t)128 << 20;
    options->page_bytes = (size_t)1 << 20;
    options->dictionary = true;
    options->dictionary_max_bytes = (size_t)1 << 20;
    options->dictionary_max_entries = 65536;
    options->root_name = "table";
}

static char *dup_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

static void stats_init(value_stats *s)
{
    memset(s, 0, sizeof *s);
    ls_buf_init(&s->min_bytes, PAGE_BUFFER_MAX);
    ls_buf_init(&s->max_bytes, PAGE_BUFFER_MAX);
}

static void stats_cleanup(value_stats *s)
{
    ls_buf_cleanup(&s->min_bytes);
    ls_buf_cleanup(&s->max_bytes);
}

static void stats_reset(value_stats *s)
{
    ls_buf_reset(&s->min_bytes);
    ls_buf_reset(&s->max_bytes);
    s->null_count = s->nan_count = s->value_count = 0;
    s->has_min_max = false;
}

static int compare_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* Replaces the bound in buf with value. */
static ls_code set_bound(ls_buf *buf, const uint8_t *value, size_t len, ls_error *err)
{
    ls_buf_reset(buf);
    return ls_buf_append(buf, value, len, err);
}

/* Folds one non-null value (in batch storage) into s. Floats: NaN is counted
 * by the caller and never reaches here. */
static ls_code stats_add_fixed(value_stats *s, ls_storage storage, const uint8_t *value)
{
    switch (storage) {
    case LS_STORAGE_BOOL:
    case LS_STORAGE_INT32:
    case LS_STORAGE_INT64: {
        int64_t v;
        if (storage == LS_STORAGE_BOOL) {
            v = value[0];
        } else if (storage == LS_STORAGE_INT32) {
            int32_t v32;
            memcpy(&v32, value, 4);
            v = v32;
        } else {
            memcpy(&v, value, 8);
        }
        if (!s->has_min_max || v < s->min_int)
            s->min_int = v;
        if (!s->has_min_max || v > s->max_int)
            s->max_int = v;
        break;
    }
    case LS_STORAGE_FLOAT:
    case LS_STORAGE_DOUBLE: {
        double v;
        if (storage == LS_STORAGE_FLOAT) {
            float f;
            memcpy(&f, value, 4);
            v = f;
        } else {
            memcpy(&v, value, 8);
        }
        if (!s->has_min_max || v < s->min_double)
            s->min_double = v;
        if (!s->has_min_max || v > s->max_double)
            s->max_double = v;
        break;
    }
    case LS_STORAGE_INT128: {
        ls_int128 v;
        memcpy(&v, value, 16);
        if (!s->has_min_max || v < s->min_int128)
            s->min_int128 = v;
        if (!s->has_min_max || v > s->max_int128)
            s->max_int128 = v;
        break;
    }
    case LS_STORAGE_BYTES:
        break;
    }
    s->has_min_max = true;
    return LS_OK;
}

/* The first 8 bytes of a value (zero-padded) as a big-endian number. Two
 * values whose prefixes differ order as their prefixes do (a zero pad only
 * ties with a zero byte), so most comparisons need no memcmp. */
static inline uint64_t bytes_prefix(const uint8_t *value, size_t len)
{
    uint64_t k = 0;
    if (len >= 8) {
        memcpy(&k, value, 8);
    } else {
        for (size_t i = 0; i < len; i++)
            k |= (uint64_t)value[i] << (8 * i);
    }
    return __builtin_bswap64(k);
}

static ls_code stats_add_bytes(value_stats *s, const uint8_t *value, size_t len, ls_error *err)
{
    ls_code rc = LS_OK;
    uint64_t prefix = bytes_prefix(value, len);
    if (!s->has_min_max) {
        rc = set_bound(&s->min_bytes, value, len, err);
        if (rc == LS_OK)
            rc = set_bound(&s->max_bytes, value, len, err);
        s->min_prefix = s->max_prefix = prefix;
        s->has_min_max = rc == LS_OK;
        return rc;
    }
    if (prefix < s->min_prefix ||
        (prefix == s->min_prefix &&
         compare_bytes(value, len, s->min_bytes.data, s->min_bytes.len) < 0)) {
        rc = set_bound(&s->min_bytes, value, len, err);
        s->min_prefix = prefix;
    } else if (prefix > s->max_prefix ||
               (prefix == s->max_prefix &&
                compare_bytes(value, len, s->max_bytes.data, s->max_bytes.len) > 0)) {
        rc = set_bound(&s->max_bytes, value, len, err);
        s->max_prefix = prefix;
    }
    return rc;
}

/* Merges a chunk's statistics into the file's. */
static ls_code stats_merge(value_stats *into, const value_stats *from, ls_storage storage,
                           ls_error *err)
{
    into->null_count += from->null_count;
    into->nan_count += from->nan_count;
    into->value_count += from->value_count;
    if (!from->has_min_max)
        return LS_OK;
    if (storage == LS_STORAGE_BYTES) {
        ls_code rc = stats_add_bytes(into, from->min_bytes.data, from->min_bytes.len, err);
        if (rc == LS_OK)
            rc = stats_add_bytes(into, from->max_bytes.data, from->max_bytes.len, err);
        return rc;
    }
    bool had = into->has_min_max;
    if (!had || from->min_int < into->min_int)
        into->min_int = from->min_int;
    if (!had || from->max_int > into->max_int)
        into->max_int = from->max_int;
    if (!had || from->min_double < into->min_double)
        into->min_double = from->min_double;
    if (!had || from->max_double > into->max_double)
        into->max_double = from->max_double;
    if (!had || from->min_int128 < into->min_int128)
        into->min_int128 = from->min_int128;
    if (!had || from->max_int128 > into->max_int128)
        into->max_int128 = from->max_int128;
    into->has_min_max = true;
    return LS_OK;
}

/* parquet.thrift: a zero min is written as -0.0 and a zero max as +0.0, so
 * readers never prune a zero of the other sign. */
static double min_zero_fix(double v)
{
    return v == 0.0 ? -0.0 : v;
}
static double max_zero_fix(double v)
{
    return v == 0.0 ? 0.0 : v;
}

/* ---- PLAIN encoding of fixed-width values ---- */

static void plain_fixed(const column *c, const uint8_t *src, uint8_t *dst)
{
    if (c->storage == LS_STORAGE_INT128) {
        ls_int128 v;
        memcpy(&v, src, 16);
        u128 u = (u128)v;
        for (int i = 0; i < c->type_length; i++)
            dst[i] = (uint8_t)(u >> (8 * (c->type_length - 1 - i)));
    } else if (c->storage == LS_STORAGE_INT64 && c->physical == PQ_INT32) {
        int64_t v;
        memcpy(&v, src, 8);
        int32_t v32 = (int32_t)v; /* range checked when the value was added */
        memcpy(dst, &v32, 4);
    } else {
        memcpy(dst, src, c->plain_width);
    }
}

/* ---- columns ---- */

static void column_physical(column *c)
{
    c->storage_width = ls_storage_width(c->storage);
    switch (c->type.kind) {
    case LS_TYPE_BOOLEAN: c->physical = PQ_BOOLEAN; break;
    case LS_TYPE_INT:
    case LS_TYPE_DATE: c->physical = PQ_INT32; break;
    case LS_TYPE_BIGINT:
    case LS_TYPE_TIMESTAMP:
    case LS_TYPE_TIMESTAMPTZ: c->physical = PQ_INT64; break;
    case LS_TYPE_FLOAT: c->physical = PQ_FLOAT; break;
    case LS_TYPE_DOUBLE: c->physical = PQ_DOUBLE; break;
    case LS_TYPE_STRING:
    case LS_TYPE_BINARY: c->physical = PQ_BYTE_ARRAY; break;
    case LS_TYPE_DECIMAL:
        if (c->type.precision <= 9)
            c->physical = PQ_INT32;
        else if (c->type.precision <= 18)
            c->physical = PQ_INT64;
        else {
            c->physical = PQ_FLBA;
            c->type_length = ls_parquet_decimal_bytes(c->type.precision);
        }
        c->decimal_limit = 1;
        for (int i = 0; i < c->type.precision; i++)
            c->decimal_limit *= 10;
        break;
    }
    switch (c->physical) {
    case PQ_INT32:
    case PQ_FLOAT: c->plain_width = 4; break;
    case PQ_INT64:
    case PQ_DOUBLE: c->plain_width = 8; break;
    case PQ_FLBA: c->plain_width = (size_t)c->type_length; break;
    default: c->plain_width = 0; break;
    }
}

static void column_cleanup(column *c)
{
    free(c->name);
    ls_parquet_dict_cleanup(&c->dict);
    ls_buf_cleanup(&c->page.levels);
    ls_buf_cleanup(&c->page.indices);
    ls_buf_cleanup(&c->page.values);
    ls_buf_cleanup(&c->chunk);
    stats_cleanup(&c->chunk_stats);
    stats_cleanup(&c->file_stats);
}

static ls_code column_init(column *c, const ls_parquet_column_spec *spec, bool dictionary,
                           ls_error *err)
{
    memset(c, 0, sizeof *c);
    c->field_id = spec->field_id;
    c->type = spec->type;
    c->storage = ls_type_storage(spec->type);
    c->required = spec->required;
    column_physical(c);
    ls_parquet_dict_init(&c->dict, c->storage_width);
    ls_buf_init(&c->page.levels, PAGE_BUFFER_MAX);
    ls_buf_init(&c->page.indices, PAGE_BUFFER_MAX);
    ls_buf_init(&c->page.values, PAGE_BUFFER_MAX);
    ls_buf_init(&c->chunk, CHUNK_BUFFER_MAX);
    stats_init(&c->chunk_stats);
    stats_init(&c->file_stats);
    c->use_dict = dictionary && c->storage != LS_STORAGE_BOOL;
    c->name = dup_string(spec->name);
    if (!c->name)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    return LS_OK;
}

/* ---- compression ---- */

/* Compresses w->body into w->compressed (or points at body for NONE). */
static ls_code compress_body(ls_parquet_writer *w, const uint8_t **out, size_t *out_len,
                             ls_error *err)
{
    const uint8_t *src = w->body.data;
    size_t n = w->body.len;
    ls_buf *dst = &w->compressed;
    ls_buf_reset(dst);
    ls_code rc;
    switch (w->options.codec) {
    case LS_PARQUET_CODEC_NONE:
        *out = src;
        *out_len = n;
        return LS_OK;
    case LS_PARQUET_CODEC_ZSTD: {
        size_t bound = ZSTD_compressBound(n);
        if ((rc = ls_buf_reserve(dst, bound, err)))
            return rc;
        int level = w->options.compression_level ? w->options.compression_level : 3;
        size_t got = ZSTD_compressCCtx(w->zstd, dst->data, bound, src, n, level);
        if (ZSTD_isError(got))
            return ls_error_set(err, LS_ERR_INTERNAL, "zstd: %s", ZSTD_getErrorName(got));
        dst->len = got;
        break;
    }
    case LS_PARQUET_CODEC_SNAPPY: {
        size_t bound = snappy_max_compressed_length(n);
        if ((rc = ls_buf_reserve(dst, bound, err)))
            return rc;
        size_t got = bound;
        if (snappy_compress((const char *)src, n, (char *)dst->data, &got) != SNAPPY_OK)
            return ls_error_set(err, LS_ERR_INTERNAL, "snappy compression failed");
        dst->len = got;
        break;
    }
    case LS_PARQUET_CODEC_GZIP: {
        z_stream *z = &w->gzip;
        if (!w->gzip_ready) {
            memset(z, 0, sizeof *z);
            int level = w->options.compression_level ? w->options.compression_level : 6;
            /* windowBits 15 + 16: an RFC 1952 gzip member, as Compression.md asks. */
            if (deflateInit2(z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                return ls_error_set(err, LS_ERR_NOMEM, "zlib deflateInit2 failed");
            w->gzip_ready = true;
        } else if (deflateReset(z) != Z_OK) {
            return ls_error_set(err, LS_ERR_INTERNAL, "zlib deflateReset failed");
        }
        size_t bound = deflateBound(z, (uLong)n) + 32;
        if ((rc = ls_buf_reserve(dst, bound, err)))
            return rc;
        z->next_in = (Bytef *)(uintptr_t)src;
        z->avail_in = (uInt)n;
        z->next_out = dst->data;
        z->avail_out = (uInt)bound;
        if (deflate(z, Z_FINISH) != Z_STREAM_END)
            return ls_error_set(err, LS_ERR_INTERNAL, "zlib deflate did not finish");
        dst->len = bound - z->avail_out;
        break;
    }
    default:
        return ls_error_set(err, LS_ERR_INTERNAL, "unknown codec %d", (int)w->options.codec);
    }
    *out = dst->data;
    *out_len = dst->len;
    return LS_OK;
}

/* Serializes a PageHeader into w->header. */
static ls_code page_header(ls_parquet_writer *w, int page_type, size_t uncompressed,
                           size_t compressed, uint32_t num_values, int encoding, ls_error *err)
{
    ls_buf_reset(&w->header);
    ls_thrift t;
    ls_thrift_init(&t, &w->header, err);
    ls_thrift_struct_begin(&t);
    ls_thrift_field_i32(&t, 1, page_type);
    ls_thrift_field_i32(&t, 2, (int32_t)uncompressed);
    ls_thrift_field_i32(&t, 3, (int32_t)compressed);
    if (page_type == PQ_PAGE_DATA) {
        ls_thrift_field_struct_begin(&t, 5);
        ls_thrift_field_i32(&t, 1, (int32_t)num_values);
        ls_thrift_field_i32(&t, 2, encoding);
        ls_thrift_field_i32(&t, 3, PQ_ENC_RLE);
        ls_thrift_field_i32(&t, 4, PQ_ENC_RLE);
        ls_thrift_struct_end(&t);
    } else {
        ls_thrift_field_struct_begin(&t, 7);
        ls_thrift_field_i32(&t, 1, (int32_t)num_values);
        ls_thrift_field_i32(&t, 2, PQ_ENC_PLAIN);
        ls_thrift_struct_end(&t);
    }
    ls_thrift_struct_end(&t);
    return ls_thrift_finish(&t);
}

/* ---- pages ---- */

/* Re-encodes the open page's dictionary indices as PLAIN values and leaves
 * dictionary mode for the rest of the chunk. Pages already written keep their
 * dictionary encoding (the dictionary page is still written first). */
static ls_code column_fall_back_to_plain(column *c, ls_error *err)
{
    const uint32_t *idx = (const uint32_t *)(const void *)c->page.indices.data;
    size_t n = c->page.indices.len / 4;
    ls_buf *values = &c->page.values;
    ls_code rc = LS_OK;
    for (size_t i = 0; i < n && rc == LS_OK; i++) {
        if (c->storage == LS_STORAGE_BYTES) {
            size_t len;
            const uint8_t *bytes = ls_parquet_dict_bytes(&c->dict, idx[i], &len);
            uint32_t len32 = (uint32_t)len;
            rc = ls_buf_append(values, &len32, 4, err);
            if (rc == LS_OK)
                rc = ls_buf_append(values, bytes, len, err);
        } else {
            rc = ls_buf_reserve(values, c->plain_width, err);
            if (rc == LS_OK) {
                plain_fixed(c, ls_parquet_dict_key(&c->dict, idx[i]), values->data + values->len);
                values->len += c->plain_width;
            }
        }
    }
    /* The rest of the open slice stores fixed-width values without checks. */
    if (rc == LS_OK && c->storage != LS_STORAGE_BYTES)
        rc = ls_buf_reserve(values, SLICE_ROWS * (c->plain_width ? c->plain_width : 1), err);
    ls_buf_reset(&c->page.indices);
    c->use_dict = false;
    if (!c->dict_pages)
        ls_parquet_dict_reset(&c->dict);
    return rc;
}

/* Builds the page body (levels, then values) in w->body. */
static ls_code page_body(ls_parquet_writer *w, column *c, ls_error *err)
{
    page_state *p = &c->page;
    ls_buf_reset(&w->body);
    ls_code rc = LS_OK;
    if (!c->required) {
        ls_buf_reset(&w->levels);
        rc = ls_rle_hybrid_append_u8(&w->levels, p->levels.data, p->num_rows, 1, err);
        uint32_t len = (uint32_t)w->levels.len;
        if (rc == LS_OK)
            rc = ls_buf_append(&w->body, &len, 4, err);
        if (rc == LS_OK)
            rc = ls_buf_append(&w->body, w->levels.data, w->levels.len, err);
    }
    if (rc)
        return rc;
    if (c->use_dict) {
        int width = ls_bit_width(c->dict.count ? c->dict.count - 1 : 0);
        uint8_t width_byte = (uint8_t)(width ? width : 1);
        rc = ls_buf_append_byte(&w->body, width_byte, err);
        if (rc == LS_OK)
            rc = ls_rle_hybrid_append(&w->body, (const uint32_t *)(const void *)p->indices.data,
                                      p->num_values, width_byte, err);
    } else if (c->storage == LS_STORAGE_BOOL) {
        size_t bytes = (p->num_values + 7) / 8;
        rc = ls_buf_reserve(&w->body, bytes, err);
        if (rc == LS_OK) {
            uint8_t *dst = w->body.data + w->body.len;
            memset(dst, 0, bytes);
            for (uint32_t i = 0; i < p->num_values; i++)
                dst[i / 8] |= (uint8_t)((p->values.data[i] & 1) << (i % 8));
            w->body.len += bytes;
        }
    } else {
        rc = ls_buf_append(&w->body, p->values.data, p->values.len, err);
    }
    return rc;
}

static ls_code column_flush_page(ls_parquet_writer *w, column *c, ls_error *err)
{
    page_state *p = &c->page;
    if (p->num_rows == 0)
        return LS_OK;
    ls_code rc = LS_OK;
    /* The first page decides whether the dictionary pays off (as parquet-java
     * does): dictionary plus indices must be smaller than PLAIN. */
    if (c->use_dict && !c->dict_pages) {
        size_t width = (size_t)ls_bit_width(c->dict.count ? c->dict.count - 1 : 0);
        size_t encoded = ((size_t)p->num_values * (width ? width : 1) + 7) / 8;
        if (ls_parquet_dict_plain_bytes(&c->dict) + encoded >= p->raw_bytes)
            rc = column_fall_back_to_plain(c, err);
    }
    if (rc == LS_OK)
        rc = page_body(w, c, err);
    const uint8_t *data = NULL;
    size_t data_len = 0;
    if (rc == LS_OK)
        rc = compress_body(w, &data, &data_len, err);
    if (rc == LS_OK && (w->body.len > PAGE_BUFFER_MAX || data_len > PAGE_BUFFER_MAX))
        rc = ls_error_set(err, LS_ERR_TOO_LARGE, "a page of column '%s' exceeds 2 GiB", c->name);
    if (rc == LS_OK)
        rc = page_header(w, PQ_PAGE_DATA, w->body.len, data_len, p->num_rows,
                         c->use_dict ? PQ_ENC_RLE_DICTIONARY : PQ_ENC_PLAIN, err);
    if (rc == LS_OK)
        rc = ls_buf_append(&c->chunk, w->header.data, w->header.len, err);
    if (rc == LS_OK)
        rc = ls_buf_append(&c->chunk, data, data_len, err);
    if (rc)
        return rc;
    c->chunk_uncompressed += w->header.len + w->body.len;
    c->chunk_compressed += w->header.len + data_len;
    c->chunk_values += p->num_rows;
    if (c->use_dict)
        c->dict_pages = true;
    else
        c->plain_pages = true;
    ls_buf_reset(&p->levels);
    ls_buf_reset(&p->indices);
    ls_buf_reset(&p->values);
    p->num_rows = p->num_values = 0;
    p->raw_bytes = 0;
    return LS_OK;
}

/* ---- appending values ---- */

/* After this many values of a chunk's first page, a dictionary holding more
 * than half of them as distinct entries is given up at once, instead of
 * hashing a whole page of mostly unique values before the page-end check. */
#define DICT_PROBE_VALUES 4096

static ls_code dict_overflow_check(const ls_parquet_writer *w, column *c, ls_error *err)
{
    if (c->dict.count > w->options.dictionary_max_entries ||
        ls_parquet_dict_plain_bytes(&c->dict) > w->options.dictionary_max_bytes)
        return column_fall_back_to_plain(c, err);
    return LS_OK;
}

static ls_code dict_probe_check(column *c, ls_error *err)
{
    if (c->page.num_values == DICT_PROBE_VALUES && !c->dict_pages &&
        (size_t)c->dict.count * 2 > DICT_PROBE_VALUES)
        return column_fall_back_to_plain(c, err);
    return LS_OK;
}

static ls_code check_decimal(const column *c, const uint8_t *value, ls_error *err)
{
    ls_int128 v;
    if (c->storage == LS_STORAGE_INT64) {
        int64_t v64;
        memcpy(&v64, value, 8);
        v = v64;
    } else {
        memcpy(&v, value, 16);
    }
    if (v >= c->decimal_limit || v <= -c->decimal_limit)
        return ls_error_set_field(err, LS_ERR_INVALID, c->name,
                                  "decimal value has more than %d digits", c->type.precision);
    return LS_OK;
}

/* Appends a dictionary index; column_append_rows reserved the room. */
static inline void push_index(page_state *p, uint32_t index)
{
    memcpy(p->indices.data + p->indices.len, &index, 4);
    p->indices.len += 4;
}

static ls_code add_fixed(const ls_parquet_writer *w, column *c, const uint8_t *value,
                         ls_error *err)
{
    page_state *p = &c->page;
    ls_code rc;
    bool is_float = c->storage == LS_STORAGE_FLOAT || c->storage == LS_STORAGE_DOUBLE;
    bool is_nan = false;
    if (is_float) {
        double v;
        if (c->storage == LS_STORAGE_FLOAT) {
            float f;
            memcpy(&f, value, 4);
            v = f;
        } else {
            memcpy(&v, value, 8);
        }
        is_nan = isnan(v);
        c->chunk_stats.nan_count += is_nan;
    } else if (c->type.kind == LS_TYPE_DECIMAL && (rc = check_decimal(c, value, err))) {
        return rc;
    }
    p->raw_bytes += c->plain_width ? c->plain_width : 1;
    p->num_values++;
    if (c->use_dict) {
        uint32_t index;
        bool added;
        rc = ls_parquet_dict_put(&c->dict, value, c->storage_width, &index, &added, err);
        if (rc == LS_OK)
            push_index(p, index);
        if (rc == LS_OK && added) {
            if (!is_nan)
                stats_add_fixed(&c->chunk_stats, c->storage, value);
            rc = dict_overflow_check(w, c, err);
        }
        if (rc == LS_OK && c->use_dict)
            rc = dict_probe_check(c, err);
        return rc;
    }
    /* Room for the slice's values was reserved by column_append_rows. */
    if (c->storage == LS_STORAGE_BOOL) {
        p->values.data[p->values.len++] = value[0];
    } else {
        plain_fixed(c, value, p->values.data + p->values.len);
        p->values.len += c->plain_width;
    }
    if (!is_nan)
        stats_add_fixed(&c->chunk_stats, c->storage, value);
    return LS_OK;
}

static ls_code add_bytes(const ls_parquet_writer *w, column *c, const uint8_t *value, size_t len,
                         ls_error *err)
{
    page_state *p = &c->page;
    ls_code rc;
    p->raw_bytes += 4 + len;
    p->num_values++;
    if (c->use_dict) {
        uint32_t index;
        bool added;
        rc = ls_parquet_dict_put(&c->dict, value, len, &index, &added, err);
        if (rc == LS_OK)
            push_index(p, index);
        if (rc == LS_OK && added) {
            rc = stats_add_bytes(&c->chunk_stats, value, len, err);
            if (rc == LS_OK)
                rc = dict_overflow_check(w, c, err);
        }
        if (rc == LS_OK && c->use_dict)
            rc = dict_probe_check(c, err);
        return rc;
    }
    uint32_t len32 = (uint32_t)len;
    rc = ls_buf_reserve(&p->values, 4 + len, err);
    if (rc == LS_OK) {
        memcpy(p->values.data + p->values.len, &len32, 4);
        ls_buf_copy(p->values.data + p->values.len + 4, value, len);
        p->values.len += 4 + len;
        rc = stats_add_bytes(&c->chunk_stats, value, len, err);
    }
    return rc;
}

/* Appends rows [r0, r1) of a batch column; *value_index is the index of the
 * first non-null value at r0 and is advanced. */
static ls_code column_append_rows(ls_parquet_writer *w, column *c, const ls_column *src,
                                  size_t r0, size_t r1, size_t *value_index, ls_error *err)
{
    page_state *p = &c->page;
    /* Reserve the slice's levels, indices and fixed-width values once, so the
     * per-row work below stores without checks. Page flushes keep capacity. */
    size_t n = r1 - r0;
    ls_code rc = ls_buf_reserve(&p->levels, n, err);
    if (rc == LS_OK && c->use_dict)
        rc = ls_buf_reserve(&p->indices, n * 4, err);
    if (rc == LS_OK && c->storage != LS_STORAGE_BYTES)
        rc = ls_buf_reserve(&p->values, n * (c->plain_width ? c->plain_width : 1), err);
    for (size_t r = r0; r < r1 && rc == LS_OK; r++) {
        uint8_t valid = src->valid.data[r] ? 1 : 0;
        if (!c->required) {
            p->levels.data[p->levels.len++] = valid;
        } else if (!valid) {
            rc = ls_error_set_field(err, LS_ERR_INVALID, c->name,
                                    "null in required column '%s'", c->name);
            break;
        }
        if (valid) {
            size_t vi = (*value_index)++;
            if (c->storage == LS_STORAGE_BYTES) {
                size_t len;
                const uint8_t *bytes = ls_column_bytes_at(src, vi, &len);
                rc = add_bytes(w, c, bytes, len, err);
            } else {
                rc = add_fixed(w, c, src->values.data + vi * c->storage_width, err);
            }
        } else {
            c->chunk_stats.null_count++;
        }
        c->chunk_stats.value_count++;
        p->num_rows++;
        if (rc == LS_OK && (p->raw_bytes >= w->options.page_bytes || p->num_rows >= PAGE_MAX_ROWS))
            rc = column_flush_page(w, c, err);
    }
    return rc;
}

/* ---- row groups ---- */

static ls_code sink_write(ls_parquet_writer *w, const void *data, size_t len, ls_error *err)
{
    if (len == 0)
        return LS_OK;
    ls_code rc = ls_sink_write(w->sink, data, len, err);
    if (rc == LS_OK)
        w->offset += len;
    return rc;
}

/* Statistics values PLAIN-encoded as Statistics.min_value/max_value want. */
static size_t encode_bound(const column *c, const value_stats *s, bool is_max, uint8_t *out)
{
    switch (c->storage) {
    case LS_STORAGE_BOOL:
        out[0] = (uint8_t)(is_max ? s->max_int : s->min_int);
        return 1;
    case LS_STORAGE_INT32:
    case LS_STORAGE_INT64: {
        int64_t v = is_max ? s->max_int : s->min_int;
        if (c->physical == PQ_INT32) {
            int32_t v32 = (int32_t)v;
            memcpy(out, &v32, 4);
            return 4;
        }
        memcpy(out, &v, 8);
        return 8;
    }
    case LS_STORAGE_FLOAT: {
        float f = (float)(is_max ? max_zero_fix(s->max_double) : min_zero_fix(s->min_double));
        memcpy(out, &f, 4);
        return 4;
    }
    case LS_STORAGE_DOUBLE: {
        double d = is_max ? max_zero_fix(s->max_double) : min_zero_fix(s->min_double);
        memcpy(out, &d, 8);
        return 8;
    }
    case LS_STORAGE_INT128: {
        ls_int128 v = is_max ? s->max_int128 : s->min_int128;
        plain_fixed(c, (const uint8_t *)&v, out);
        return c->plain_width;
    }
    case LS_STORAGE_BYTES:
        break;
    }
    return 0;
}

static void write_statistics(ls_thrift *t, const column *c, const value_stats *s)
{
    ls_thrift_field_struct_begin(t, 12);
    ls_thrift_field_i64(t, 3, (int64_t)s->null_count);
    if (s->has_min_max) {
        if (c->storage == LS_STORAGE_BYTES) {
            if (s->max_bytes.len <= FOOTER_STATS_MAX_BYTES &&
                s->min_bytes.len <= FOOTER_STATS_MAX_BYTES) {
                ls_thrift_field_binary(t, 5, s->max_bytes.data, s->max_bytes.len);
                ls_thrift_field_binary(t, 6, s->min_bytes.data, s->min_bytes.len);
            }
        } else {
            uint8_t bound[16];
            ls_thrift_field_binary(t, 5, bound, encode_bound(c, s, true, bound));
            ls_thrift_field_binary(t, 6, bound, encode_bound(c, s, false, bound));
        }
    }
    ls_thrift_struct_end(t);
}

/* Writes the dictionary page of the open chunk to the sink. */
static ls_code write_dictionary_page(ls_parquet_writer *w, column *c, ls_error *err)
{
    ls_code rc;
    ls_buf_reset(&w->body);
    if (c->storage == LS_STORAGE_BYTES) {
        rc = ls_buf_append(&w->body, c->dict.plain.data, c->dict.plain.len, err);
    } else {
        rc = ls_buf_reserve(&w->body, (size_t)c->dict.count * c->plain_width, err);
        for (uint32_t i = 0; rc == LS_OK && i < c->dict.count; i++) {
            plain_fixed(c, ls_parquet_dict_key(&c->dict, i), w->body.data + w->body.len);
            w->body.len += c->plain_width;
        }
    }
    const uint8_t *data = NULL;
    size_t data_len = 0;
    if (rc == LS_OK)
        rc = compress_body(w, &data, &data_len, err);
    if (rc == LS_OK)
        rc = page_header(w, PQ_PAGE_DICTIONARY, w->body.len, data_len, c->dict.count, 0, err);
    if (rc == LS_OK)
        rc = sink_write(w, w->header.data, w->header.len, err);
    if (rc == LS_OK)
        rc = sink_write(w, data, data_len, err);
    if (rc == LS_OK) {
        c->chunk_uncompressed += w->header.len + w->body.len;
        c->chunk_compressed += w->header.len + data_len;
    }
    return rc;
}

/* Writes one column chunk's pages to the sink and its ColumnChunk to t. */
static ls_code write_column_chunk(ls_parquet_writer *w, column *c, ls_thrift *t, ls_error *err)
{
    uint64_t chunk_start = w->offset;
    ls_code rc = LS_OK;
    if (c->dict_pages)
        rc = write_dictionary_page(w, c, err);
    uint64_t data_start = w->offset;
    if (rc == LS_OK)
        rc = sink_write(w, c->chunk.data, c->chunk.len, err);
    if (rc)
        return rc;
    check_invariant(w->offset - chunk_start == c->chunk_compressed,
                    "column chunk bytes written equal its compressed size");
    check_invariant(c->chunk_values == w->rows_in_group, "column chunk holds every row");
    ls_thrift_struct_begin(t);
    ls_thrift_field_i64(t, 2, (int64_t)chunk_start);
    ls_thrift_field_struct_begin(t, 3);
    ls_thrift_field_i32(t, 1, c->physical);
    int encodings[3], n = 0;
    if (c->plain_pages || c->dict_pages)
        encodings[n++] = PQ_ENC_PLAIN;
    encodings[n++] = PQ_ENC_RLE;
    if (c->dict_pages)
        encodings[n++] = PQ_ENC_RLE_DICTIONARY;
    ls_thrift_field_list_begin(t, 2, LS_THRIFT_I32, (uint32_t)n);
    for (int i = 0; i < n; i++)
        ls_thrift_elem_i32(t, encodings[i]);
    ls_thrift_field_list_begin(t, 3, LS_THRIFT_BINARY, 1);
    ls_thrift_elem_binary(t, c->name, strlen(c->name));
    ls_thrift_field_i32(t, 4, (int32_t)w->options.codec);
    ls_thrift_field_i64(t, 5, (int64_t)c->chunk_values);
    ls_thrift_field_i64(t, 6, (int64_t)c->chunk_uncompressed);
    ls_thrift_field_i64(t, 7, (int64_t)c->chunk_compressed);
    ls_thrift_field_i64(t, 9, (int64_t)data_start);
    if (c->dict_pages)
        ls_thrift_field_i64(t, 11, (int64_t)chunk_start);
    write_statistics(t, c, &c->chunk_stats);
    ls_thrift_struct_end(t);
    ls_thrift_struct_end(t);
    return LS_OK;
}

/* Resets a column for the next chunk, after merging its statistics. */
static ls_code column_next_chunk(ls_parquet_writer *w, column *c, ls_error *err)
{
    ls_code rc = stats_merge(&c->file_stats, &c->chunk_stats, c->storage, err);
    c->file_compressed += c->chunk_compressed;
    stats_reset(&c->chunk_stats);
    ls_buf_reset(&c->chunk);
    ls_parquet_dict_reset(&c->dict);
    c->chunk_uncompressed = c->chunk_compressed = c->chunk_values = 0;
    c->dict_pages = c->plain_pages = false;
    c->use_dict = w->options.dictionary && c->storage != LS_STORAGE_BOOL;
    return rc;
}

static ls_code close_row_group(ls_parquet_writer *w, ls_error *err)
{
    if (w->rows_in_group == 0)
        return LS_OK;
    ls_code rc = LS_OK;
    for (size_t i = 0; i < w->column_count && rc == LS_OK; i++)
        rc = column_flush_page(w, &w->columns[i], err);
    if (rc)
        return rc;
    uint64_t group_start = w->offset, total_uncompressed = 0, total_compressed = 0;
    ls_thrift t;
    ls_thrift_init(&t, &w->row_groups, err);
    ls_thrift_struct_begin(&t);
    ls_thrift_field_list_begin(&t, 1, LS_THRIFT_STRUCT, (uint32_t)w->column_count);
    for (size_t i = 0; i < w->column_count && rc == LS_OK; i++) {
        column *c = &w->columns[i];
        rc = write_column_chunk(w, c, &t, err);
        total_uncompressed += c->chunk_uncompressed;
        total_compressed += c->chunk_compressed;
        if (rc == LS_OK)
            rc = column_next_chunk(w, c, err);
    }
    if (rc)
        return rc;
    check_invariant(w->offset - group_start == total_compressed,
                    "row group bytes written equal its compressed size");
    ls_thrift_field_i64(&t, 2, (int64_t)total_uncompressed);
    ls_thrift_field_i64(&t, 3, (int64_t)w->rows_in_group);
    ls_thrift_field_i64(&t, 5, (int64_t)group_start);
    ls_thrift_field_i64(&t, 6, (int64_t)total_compressed);
    if (w->row_group_count < INT16_MAX)
        ls_thrift_field_i16(&t, 7, (int16_t)w->row_group_count);
    ls_thrift_struct_end(&t);
    rc = ls_thrift_finish(&t);
    if (rc == LS_OK)
        rc = ls_buf_append(&w->split_offsets, &group_start, sizeof group_start, err);
    if (rc)
        return rc;
    w->row_group_count++;
    w->rows_in_group = 0;
    return LS_OK;
}

/* ---- footer ---- */

static void write_schema_element(ls_thrift *t, const column *c)
{
    ls_thrift_struct_begin(t);
    ls_thrift_field_i32(t, 1, c->physical);
    if (c->physical == PQ_FLBA)
        ls_thrift_field_i32(t, 2, c->type_length);
    ls_thrift_field_i32(t, 3, c->required ? 0 : 1);
    ls_thrift_field_string(t, 4, c->name);
    switch (c->type.kind) {
    case LS_TYPE_STRING: ls_thrift_field_i32(t, 6, PQ_CT_UTF8); break;
    case LS_TYPE_DATE: ls_thrift_field_i32(t, 6, PQ_CT_DATE); break;
    case LS_TYPE_TIMESTAMP:
    case LS_TYPE_TIMESTAMPTZ: ls_thrift_field_i32(t, 6, PQ_CT_TIMESTAMP_MICROS); break;
    case LS_TYPE_DECIMAL:
        ls_thrift_field_i32(t, 6, PQ_CT_DECIMAL);
        ls_thrift_field_i32(t, 7, c->type.scale);
        ls_thrift_field_i32(t, 8, c->type.precision);
        break;
    default: break;
    }
    ls_thrift_field_i32(t, 9, c->field_id);
    /* LogicalType is a union: one struct field whose id names the type. */
    switch (c->type.kind) {
    case LS_TYPE_STRING:
        ls_thrift_field_struct_begin(t, 10);
        ls_thrift_field_struct_begin(t, 1);
        ls_thrift_struct_end(t);
        ls_thrift_struct_end(t);
        break;
    case LS_TYPE_DATE:
        ls_thrift_field_struct_begin(t, 10);
        ls_thrift_field_struct_begin(t, 6);
        ls_thrift_struct_end(t);
        ls_thrift_struct_end(t);
        break;
    case LS_TYPE_DECIMAL:
        ls_thrift_field_struct_begin(t, 10);
        ls_thrift_field_struct_begin(t, 5);
        ls_thrift_field_i32(t, 1, c->type.scale);
        ls_thrift_field_i32(t, 2, c->type.precision);
        ls_thrift_struct_end(t);
        ls_thrift_struct_end(t);
        break;
    case LS_TYPE_TIMESTAMP:
    case LS_TYPE_TIMESTAMPTZ:
        ls_thrift_field_struct_begin(t, 10);
        ls_thrift_field_struct_begin(t, 8);
        ls_thrift_field_bool(t, 1, c->type.kind == LS_TYPE_TIMESTAMPTZ);
        ls_thrift_field_struct_begin(t, 2); /* TimeUnit */
        ls_thrift_field_struct_begin(t, 2); /* MICROS */
        ls_thrift_struct_end(t);
        ls_thrift_struct_end(t);
        ls_thrift_struct_end(t);
        ls_thrift_struct_end(t);
        break;
    default: break;
    }
    ls_thrift_struct_end(t);
}

static ls_code write_footer(ls_parquet_writer *w, ls_error *err)
{
    ls_buf footer;
    ls_buf_init(&footer, (size_t)UINT32_MAX);
    ls_thrift t;
    ls_thrift_init(&t, &footer, err);
    ls_thrift_struct_begin(&t);
    ls_thrift_field_i32(&t, 1, 1);
    ls_thrift_field_list_begin(&t, 2, LS_THRIFT_STRUCT, (uint32_t)w->column_count + 1);
    ls_thrift_struct_begin(&t);
    ls_thrift_field_string(&t, 4, w->root_name);
    ls_thrift_field_i32(&t, 5, (int32_t)w->column_count);
    ls_thrift_struct_end(&t);
    for (size_t i = 0; i < w->column_count; i++)
        write_schema_element(&t, &w->columns[i]);
    ls_thrift_field_i64(&t, 3, (int64_t)w->row_count);
    ls_thrift_field_list_begin(&t, 4, LS_THRIFT_STRUCT, w->row_group_count);
    ls_thrift_raw(&t, w->row_groups.data, w->row_groups.len);
    if (w->options.metadata_count) {
        ls_thrift_field_list_begin(&t, 5, LS_THRIFT_STRUCT, (uint32_t)w->options.metadata_count);
        for (size_t i = 0; i < w->options.metadata_count; i++) {
            ls_thrift_struct_begin(&t);
            ls_thrift_field_string(&t, 1, w->metadata[i].key);
            ls_thrift_field_string(&t, 2, w->metadata[i].value);
            ls_thrift_struct_end(&t);
        }
    }
    ls_thrift_field_string(&t, 6, "lakesync version " LAKESYNC_VERSION " (build " LAKESYNC_BUILD_ID ")");
    ls_thrift_field_list_begin(&t, 7, LS_THRIFT_STRUCT, (uint32_t)w->column_count);
    for (size_t i = 0; i < w->column_count; i++) {
        ls_thrift_struct_begin(&t);
        ls_thrift_field_struct_begin(&t, 1); /* TYPE_ORDER: TypeDefinedOrder {} */
        ls_thrift_struct_end(&t);
        ls_thrift_struct_end(&t);
    }
    ls_thrift_struct_end(&t);
    ls_code rc = ls_thrift_finish(&t);
    uint32_t footer_len = (uint32_t)footer.len;
    if (rc == LS_OK) {
        uint64_t split_total = 0;
        const uint64_t *splits = (const uint64_t *)(const void *)w->split_offsets.data;
        for (uint32_t i = 0; i < w->row_group_count; i++) {
            check_invariant(splits[i] >= 4 && splits[i] >= split_total, "row groups in order");
            split_total = splits[i];
        }
        check_invariant(footer.len > 0 && footer.len < UINT32_MAX, "footer length fits");
        rc = sink_write(w, footer.data, footer.len, err);
    }
    if (rc == LS_OK)
        rc = sink_write(w, &footer_len, 4, err);
    if (rc == LS_OK)
        rc = sink_write(w, "PAR1", 4, err);
    ls_buf_cleanup(&footer);
    return rc;
}

/* ---- public API ---- */

static ls_code copy_options(ls_parquet_writer *w, const ls_parquet_options *options,
                            ls_error *err)
{
    if (options)
        w->options = *options;
    else
        ls_parquet_options_init(&w->options);
    ls_parquet_options *o = &w->options;
    if (o->codec != LS_PARQUET_CODEC_NONE && o->codec != LS_PARQUET_CODEC_SNAPPY &&
        o->codec != LS_PARQUET_CODEC_GZIP && o->codec != LS_PARQUET_CODEC_ZSTD)
        return ls_error_set(err, LS_ERR_INVALID, "unknown parquet codec %d", (int)o->codec);
    if (o->page_bytes == 0 || o->page_bytes > ((size_t)256 << 20))
        return ls_error_set(err, LS_ERR_INVALID, "page_bytes must be between 1 and 256 MiB");
    if (o->row_group_bytes == 0)
        return ls_error_set(err, LS_ERR_INVALID, "row_group_bytes must be positive");
    w->root_name = dup_string(o->root_name ? o->root_name : "table");
    if (!w->root_name)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (o->metadata_count) {
        w->metadata = calloc(o->metadata_count, sizeof *w->metadata);
        if (!w->metadata)
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < o->metadata_count; i++) {
            w->metadata[i].key = dup_string(o->metadata[i].key);
            w->metadata[i].value = dup_string(o->metadata[i].value ? o->metadata[i].value : "");
            if (!w->metadata[i].key || !w->metadata[i].value) {
                o->metadata_count = i + 1;
                return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
            }
        }
    }
    o->metadata = NULL;
    o->root_name = NULL;
    return LS_OK;
}

ls_parquet_writer *ls_parquet_writer_new(const ls_parquet_column_spec *columns, size_t column_count,
                                         const ls_parquet_options *options, ls_sink *sink,
                                         ls_error *err)
{
    if (column_count == 0) {
        ls_error_set(err, LS_ERR_INVALID, "a parquet file needs at least one column");
        return NULL;
    }
    ls_parquet_writer *w = calloc(1, sizeof *w);
    if (!w) {
        ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    w->sink = sink;
    ls_buf_init(&w->row_groups, CHUNK_BUFFER_MAX);
    ls_buf_init(&w->split_offsets, CHUNK_BUFFER_MAX);
    ls_buf_init(&w->body, PAGE_BUFFER_MAX);
    ls_buf_init(&w->levels, PAGE_BUFFER_MAX);
    ls_buf_init(&w->compressed, (size_t)UINT32_MAX);
    ls_buf_init(&w->header, 4096);
    ls_code rc = copy_options(w, options, err);
    if (rc == LS_OK) {
        w->columns = calloc(column_count, sizeof *w->columns);
        if (!w->columns)
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; rc == LS_OK && i < column_count; i++) {
        if (!columns[i].name || !columns[i].name[0])
            rc = ls_error_set(err, LS_ERR_INVALID, "parquet column %zu has no name", i);
        else if (columns[i].type.kind > LS_TYPE_BINARY)
            rc = ls_error_set(err, LS_ERR_INVALID, "parquet column %zu has an unknown type", i);
        if (rc == LS_OK) {
            w->column_count = i + 1;
            rc = column_init(&w->columns[i], &columns[i], w->options.dictionary, err);
        }
    }
    if (rc == LS_OK && w->options.codec == LS_PARQUET_CODEC_ZSTD) {
        w->zstd = ZSTD_createCCtx();
        if (!w->zstd)
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory creating a zstd context");
    }
    if (rc == LS_OK)
        rc = sink_write(w, "PAR1", 4, err);
    if (rc) {
        ls_parquet_writer_free(w);
        return NULL;
    }
    return w;
}

static ls_code writer_failed(const ls_parquet_writer *w, ls_error *err)
{
    if (w->closed)
        return ls_error_set(err, LS_ERR_INTERNAL, "parquet writer used after close");
    return ls_error_set(err, w->failed, "parquet writer stopped after an earlier error");
}

/* Bytes the open row group would take: buffered pages, open pages and
 * dictionaries. */
static uint64_t row_group_buffered_bytes(const ls_parquet_writer *w)
{
    uint64_t total = 0;
    for (size_t i = 0; i < w->column_count; i++) {
        const column *c = &w->columns[i];
        total += c->chunk.len + c->page.raw_bytes;
        if (c->use_dict || c->dict_pages)
            total += ls_parquet_dict_plain_bytes(&c->dict);
    }
    return total;
}

ls_code ls_parquet_writer_write_batch(ls_parquet_writer *w, const ls_column_batch *batch,
                                      ls_error *err)
{
    if (w->failed || w->closed)
        return writer_failed(w, err);
    if (batch->column_count != w->column_count)
        return ls_error_set(err, LS_ERR_INVALID, "batch has %zu columns, the file %zu",
                            batch->column_count, w->column_count);
    for (size_t i = 0; i < w->column_count; i++) {
        if (!ls_type_equal(batch->columns[i].type, w->columns[i].type))
            return ls_error_set_field(err, LS_ERR_INVALID, w->columns[i].name,
                                      "batch column %zu has another type than the file", i);
    }
    size_t value_index[64];
    size_t *cursors = w->column_count <= 64 ? value_index : calloc(w->column_count, sizeof(size_t));
    if (!cursors)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    memset(cursors, 0, w->column_count * sizeof *cursors);
    ls_code rc = LS_OK;
    for (size_t r0 = 0; r0 < batch->row_count && rc == LS_OK; r0 += SLICE_ROWS) {
        size_t r1 = batch->row_count - r0 < SLICE_ROWS ? batch->row_count : r0 + SLICE_ROWS;
        for (size_t i = 0; i < w->column_count && rc == LS_OK; i++)
            rc = column_append_rows(w, &w->columns[i], &batch->columns[i], r0, r1, &cursors[i],
                                    err);
        if (rc)
            break;
        w->rows_in_group += r1 - r0;
        w->row_count += r1 - r0;
        if (row_group_buffered_bytes(w) >= w->options.row_group_bytes)
            rc = close_row_group(w, err);
    }
    if (cursors != value_index)
        free(cursors);
    if (rc)
        w->failed = rc;
    return rc;
}

static ls_code fill_file_stats(const ls_parquet_writer *w, ls_parquet_file_stats *out,
                               ls_error *err)
{
    memset(out, 0, sizeof *out);
    out->row_count = w->row_count;
    out->file_size_bytes = w->offset;
    out->row_group_count = w->row_group_count;
    out->column_count = w->column_count;
    out->split_offsets = calloc(w->row_group_count ? w->row_group_count : 1, sizeof(uint64_t));
    out->columns = calloc(w->column_count, sizeof *out->columns);
    if (!out->split_offsets || !out->columns)
        goto nomem;
    if (w->row_group_count)
        memcpy(out->split_offsets, w->split_offsets.data, w->row_group_count * sizeof(uint64_t));
    for (size_t i = 0; i < w->column_count; i++) {
        const column *c = &w->columns[i];
        const value_stats *s = &c->file_stats;
        ls_parquet_column_stats *o = &out->columns[i];
        o->field_id = c->field_id;
        o->type = c->type;
        o->compressed_bytes = c->file_compressed;
        o->value_count = s->value_count;
        o->null_count = s->null_count;
        o->nan_count = s->nan_count;
        o->has_min_max = s->has_min_max;
        if (!s->has_min_max)
            continue;
        o->min_int = s->min_int;
        o->max_int = s->max_int;
        o->min_double = min_zero_fix(s->min_double);
        o->max_double = max_zero_fix(s->max_double);
        o->min_int128 = s->min_int128;
        o->max_int128 = s->max_int128;
        if (c->storage == LS_STORAGE_BYTES) {
            o->min_bytes = malloc(s->min_bytes.len + 1);
            o->max_bytes = malloc(s->max_bytes.len + 1);
            if (!o->min_bytes || !o->max_bytes)
                goto nomem;
            memcpy(o->min_bytes, s->min_bytes.data, s->min_bytes.len);
            memcpy(o->max_bytes, s->max_bytes.data, s->max_bytes.len);
            o->min_bytes_len = s->min_bytes.len;
            o->max_bytes_len = s->max_bytes.len;
        }
    }
    return LS_OK;
nomem:
    ls_parquet_file_stats_cleanup(out);
    return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
}

ls_code ls_parquet_writer_close(ls_parquet_writer *w, ls_parquet_file_stats *stats, ls_error *err)
{
    if (stats)
        memset(stats, 0, sizeof *stats);
    if (w->failed || w->closed)
        return writer_failed(w, err);
    ls_code rc = close_row_group(w, err);
    if (rc == LS_OK)
        rc = write_footer(w, err);
    if (rc == LS_OK && stats)
        rc = fill_file_stats(w, stats, err);
    if (rc)
        w->failed = rc;
    w->closed = true;
    return rc;
}

void ls_parquet_writer_abort(ls_parquet_writer *w)
{
    if (w && !w->failed)
        w->failed = LS_ERR_CONFLICT;
}

void ls_parquet_writer_free(ls_parquet_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->column_count; i++)
        column_cleanup(&w->columns[i]);
    free(w->columns);
    free(w->root_name);
    if (w->metadata) {
        for (size_t i = 0; i < w->options.metadata_count; i++) {
            free((char *)w->metadata[i].key);
            free((char *)w->metadata[i].value);
        }
        free(w->metadata);
    }
    ls_buf_cleanup(&w->row_groups);
    ls_buf_cleanup(&w->split_offsets);
    ls_buf_cleanup(&w->body);
    ls_buf_cleanup(&w->levels);
    ls_buf_cleanup(&w->compressed);
    ls_buf_cleanup(&w->header);
    ZSTD_freeCCtx(w->zstd);
    if (w->gzip_ready)
        deflateEnd(&w->gzip);
    free(w);
}

uint64_t ls_parquet_writer_row_count(const ls_parquet_writer *w)
{
    return w->row_count;
}

uint64_t ls_parquet_writer_estimated_bytes(const ls_parquet_writer *w)
{
    return w->offset + row_group_buffered_bytes(w);
}

void ls_parquet_file_stats_cleanup(ls_parquet_file_stats *stats)
{
    if (!stats)
        return;
    if (stats->columns) {
        for (size_t i = 0; i < stats->column_count; i++) {
            free(stats->columns[i].min_bytes);
            free(stats->columns[i].max_bytes);
        }
    }
    free(stats->columns);
    free(stats->split_offsets);
    memset(stats, 0, sizeof *stats);
}
