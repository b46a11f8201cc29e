/*
 * Page decoding for the Parquet reader: page headers, decompression,
 * definition levels, dictionaries and data pages v1/v2 of one column chunk.
 */
#include <stdlib.h>
#include <string.h>

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "parquet_reader_internal.h"
#include "parquet_reader_values.h"
#include "parquet_thrift_read.h"

void pq_scratch_init(pq_scratch *s, size_t max_page_bytes)
{
    memset(s, 0, sizeof *s);
    ls_buf_init(&s->page, max_page_bytes);
    /* Delta-decoded integers and lengths (8 bytes each) of one page stay
     * under the page cap; a dictionary decoded from one page grows at most
     * 16-fold (a BOOLEAN bit to a byte is 8, an INT32 date to int64 2). */
    ls_buf_init(&s->indices, max_page_bytes);
    ls_buf_init(&s->delta_prefix, max_page_bytes);
    ls_buf_init(&s->delta_bytes, max_page_bytes);
    size_t dict_max = max_page_bytes > SIZE_MAX / 16 ? SIZE_MAX : max_page_bytes * 16;
    ls_buf_init(&s->dict_values, dict_max);
    ls_buf_init(&s->dict_offsets, dict_max);
    ls_buf_init(&s->dict_bytes, max_page_bytes < UINT32_MAX - 1 ? max_page_bytes : UINT32_MAX - 1);
}

void pq_scratch_cleanup(pq_scratch *s)
{
    ls_buf_cleanup(&s->page);
    ls_buf_cleanup(&s->indices);
    ls_buf_cleanup(&s->dict_values);
    ls_buf_cleanup(&s->dict_offsets);
    ls_buf_cleanup(&s->dict_bytes);
    ls_buf_cleanup(&s->delta_prefix);
    ls_buf_cleanup(&s->delta_bytes);
    ZSTD_freeDCtx(s->zstd);
    s->zstd = NULL;
}

static ls_code corrupt(ls_error *err, const pq_column_desc *d, const char *what)
{
    return ls_error_set(err, LS_ERR_FORMAT, "parquet column '%s': %s", d->name, what);
}

/* The parts of a PageHeader the reader uses. */
typedef struct page_header {
    int32_t type;
    int32_t uncompressed;
    int32_t compressed;
    int32_t num_values;
    int32_t encoding;
    int32_t def_encoding;
    int32_t def_bytes;  /* v2 */
    int32_t rep_bytes;  /* v2 */
    bool is_compressed; /* v2, default true */
} page_header;

/* DataPageHeader (1), DictionaryPageHeader (2) or DataPageHeaderV2 (3). */
static void read_sub_header(ls_thrift_reader *r, page_header *h, int kind)
{
    int16_t last = 0;
    ls_thrift_field f;
    ls_thrift_struct_enter(r);
    while (ls_thrift_read_field(r, &last, &f)) {
        if (f.id == 1)
            h->num_values = ls_thrift_read_i32(r, &f);
        else if ((kind != 3 && f.id == 2) || (kind == 3 && f.id == 4))
            h->encoding = ls_thrift_read_i32(r, &f);
        else if (kind == 1 && f.id == 3)
            h->def_encoding = ls_thrift_read_i32(r, &f);
        else if (kind == 3 && f.id == 5)
            h->def_bytes = ls_thrift_read_i32(r, &f);
        else if (kind == 3 && f.id == 6)
            h->rep_bytes = ls_thrift_read_i32(r, &f);
        else if (kind == 3 && f.id == 7)
            h->is_compressed = ls_thrift_read_bool(r, &f);
        else
            ls_thrift_skip(r, f.type);
    }
    ls_thrift_struct_leave(r);
}

/* Parses a PageHeader at p; *header_len gets its encoded size. */
static ls_code read_page_header(const pq_column_desc *d, const uint8_t *p, size_t len,
                                page_header *h, size_t *header_len, ls_error *err)
{
    ls_thrift_reader r;
    ls_thrift_reader_init(&r, p, len, 1024, err);
    memset(h, 0, sizeof *h);
    h->type = -1;
    h->is_compressed = true;
    h->def_encoding = PQ_ENC_RLE;
    int16_t last = 0;
    ls_thrift_field f;
    ls_thrift_struct_enter(&r);
    while (ls_thrift_read_field(&r, &last, &f)) {
        switch (f.id) {
        case 1:
            h->type = ls_thrift_read_i32(&r, &f);
            break;
        case 2:
            h->uncompressed = ls_thrift_read_i32(&r, &f);
            break;
        case 3:
            h->compressed = ls_thrift_read_i32(&r, &f);
            break;
        case 5:
        case 7:
        case 8:
            if (ls_thrift_expect_struct(&r, &f))
                read_sub_header(&r, h, f.id == 5 ? 1 : f.id == 7 ? 2 : 3);
            break;
        default:
            ls_thrift_skip(&r, f.type);
            break;
        }
    }
    ls_thrift_struct_leave(&r);
    if (r.rc)
        return r.rc;
    if (h->type < 0 || h->compressed < 0 || h->uncompressed < 0 || h->num_values < 0 ||
        h->def_bytes < 0 || h->rep_bytes < 0)
        return corrupt(err, d, "page header with missing or negative fields");
    *header_len = ls_thrift_reader_offset(&r, p);
    return LS_OK;
}

static ls_code inflate_gzip(const pq_column_desc *d, const uint8_t *src, size_t n, uint8_t *dst,
                            size_t expected, ls_error *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    /* 15 + 32: accept gzip or zlib headers, as parquet-mr and Arrow do. */
    if (inflateInit2(&z, 15 + 32) != Z_OK)
        return ls_error_set(err, LS_ERR_NOMEM, "zlib inflateInit2 failed");
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)n;
    z.next_out = dst;
    z.avail_out = (uInt)expected;
    int zrc;
    for (;;) {
        zrc = inflate(&z, Z_FINISH);
        /* Concatenated gzip members are one stream (RFC 1952). */
        if (zrc == Z_STREAM_END && z.avail_in > 0 && z.avail_out > 0 && inflateReset(&z) == Z_OK)
            continue;
        break;
    }
    size_t got = expected - z.avail_out;
    inflateEnd(&z);
    if (zrc != Z_STREAM_END || got != expected)
        return corrupt(err, d, "GZIP page does not decompress to its stated size");
    return LS_OK;
}

/* Decompresses n bytes at src into scratch->page, which must come out at
 * exactly expected bytes. */
static ls_code decompress(const pq_column_desc *d, int32_t codec, const uint8_t *src, size_t n,
                          size_t expected, pq_scratch *s, const uint8_t **out, ls_error *err)
{
    ls_buf_reset(&s->page);
    if (codec == PQ_CODEC_UNCOMPRESSED) {
        if (n != expected)
            return corrupt(err, d, "uncompressed page sizes disagree");
        *out = src;
        return LS_OK;
    }
    ls_code rc = ls_buf_reserve(&s->page, expected + 1, err);
    if (rc)
        return rc;
    uint8_t *dst = s->page.data;
    if (codec == PQ_CODEC_SNAPPY) {
        size_t ulen;
        if (snappy_uncompressed_length((const char *)src, n, &ulen) != SNAPPY_OK ||
            ulen != expected ||
            snappy_uncompress((const char *)src, n, (char *)dst, &ulen) != SNAPPY_OK ||
            ulen != expected)
            return corrupt(err, d, "SNAPPY page does not decompress to its stated size");
    } else if (codec == PQ_CODEC_GZIP) {
        if ((rc = inflate_gzip(d, src, n, dst, expected, err)))
            return rc;
    } else if (codec == PQ_CODEC_ZSTD) {
        if (!s->zstd && !(s->zstd = ZSTD_createDCtx()))
            return ls_error_set(err, LS_ERR_NOMEM, "zstd: cannot create a context");
        size_t got = ZSTD_decompressDCtx(s->zstd, dst, expected, src, n);
        if (ZSTD_isError(got) || got != expected)
            return corrupt(err, d, "ZSTD page does not decompress to its stated size");
    } else {
        return ls_error_set(err, LS_ERR_FORMAT, "parquet column '%s': unsupported codec %d",
                            d->name, codec);
    }
    s->page.len = expected;
    *out = dst;
    return LS_OK;
}

/* Values decoded per step from an RLE run: levels and dictionary indices go
 * through a fixed stack array, so a page claiming millions of values costs
 * no scratch memory beyond what its real values take. */
#define DECODE_STEP 1024

/* Appends n definition levels (max level 1) to the column's valid bytes and
 * counts the defined values. */
static ls_code read_levels(const pq_column_desc *d, const uint8_t *p, size_t len, size_t n,
                           ls_column *col, size_t *defined, ls_error *err)
{
    ls_code rc = ls_buf_reserve(&col->valid, n, err);
    if (rc)
        return rc;
    pq_rle rle;
    pq_rle_init(&rle, p, len, 1);
    size_t count = 0;
    for (size_t done = 0; done < n;) {
        uint32_t levels[DECODE_STEP];
        size_t step = n - done < DECODE_STEP ? n - done : DECODE_STEP;
        if (!pq_rle_get(&rle, levels, step))
            return corrupt(err, d, "definition levels cut short or malformed");
        uint8_t *valid = col->valid.data + col->valid.len;
        for (size_t i = 0; i < step; i++) {
            valid[i] = (uint8_t)levels[i]; /* bit width 1: each level is 0 or 1 */
            count += levels[i];
        }
        col->valid.len += step;
        done += step;
    }
    *defined = count;
    return LS_OK;
}

/* Copies the dictionary entries of n indices into the column's values,
 * stopping at the batch budget: a few bytes of RLE can repeat a long entry
 * millions of times. */
static ls_code read_dictionary_indices(const pq_column_desc *d, const uint8_t *p, size_t len,
                                       size_t n, pq_scratch *s, size_t dict_count, pq_values *out,
                                       size_t budget, ls_error *err)
{
    if (n == 0)
        return LS_OK;
    if (len < 1 || p[0] > 32)
        return corrupt(err, d, "dictionary index bit width missing or over 32");
    pq_rle rle;
    pq_rle_init(&rle, p + 1, len - 1, p[0]);
    size_t width = ls_storage_width(d->storage), added = 0;
    const uint32_t *offs = (const uint32_t *)(const void *)s->dict_offsets.data;
    ls_code rc = LS_OK;
    for (size_t done = 0; done < n && !rc;) {
        uint32_t idx[DECODE_STEP];
        size_t step = n - done < DECODE_STEP ? n - done : DECODE_STEP;
        if (!pq_rle_get(&rle, idx, step))
            return corrupt(err, d, "dictionary indices cut short or malformed");
        for (size_t i = 0; i < step && !rc; i++) {
            if (idx[i] >= dict_count)
                return corrupt(err, d, "dictionary index out of range");
            if (width) {
                rc = ls_buf_append(out->values, s->dict_values.data + (size_t)idx[i] * width, width,
                                   err);
                added += width;
            } else {
                uint32_t start = offs[idx[i]], end = offs[idx[i] + 1];
                rc = ls_buf_append(out->bytes, s->dict_bytes.data + start, end - start, err);
                uint32_t at = (uint32_t)out->bytes->len;
                if (!rc)
                    rc = ls_buf_append(out->offsets, &at, 4, err);
                added += end - start + 4;
            }
            out->count++;
        }
        if (!rc && added > budget)
            rc = ls_error_set(err, LS_ERR_TOO_LARGE,
                              "parquet column '%s': row group over the batch cap", d->name);
        done += step;
    }
    return rc;
}

static ls_code read_dictionary_page(const pq_column_desc *d, const page_header *h,
                                    const uint8_t *body, size_t len, pq_scratch *s,
                                    size_t *dict_count, ls_error *err)
{
    if (h->encoding != PQ_ENC_PLAIN && h->encoding != PQ_ENC_PLAIN_DICTIONARY)
        return corrupt(err, d, "dictionary page not PLAIN encoded");
    ls_buf_reset(&s->dict_values);
    ls_buf_reset(&s->dict_offsets);
    ls_buf_reset(&s->dict_bytes);
    uint32_t zero = 0;
    ls_code rc = ls_buf_append(&s->dict_offsets, &zero, 4, err);
    if (rc)
        return rc;
    pq_values dict = {&s->dict_values, &s->dict_offsets, &s->dict_bytes, 0};
    if ((rc = pq_decode_values(d, PQ_ENC_PLAIN, body, len, (size_t)h->num_values, &dict, s, err)))
        return rc;
    *dict_count = dict.count;
    return LS_OK;
}

/* State of one chunk's decoding. */
typedef struct chunk_state {
    const pq_column_desc *d;
    int32_t codec;
    pq_scratch *s;
    ls_column *col;
    pq_values out;
    bool have_dict;
    size_t dict_count;
    int64_t rows_done;
    size_t budget; /* bytes the column may still add to the batch */
} chunk_state;

/* Decodes the levels and values of one data page (v1 or v2) whose body is
 * already split: levels (v2: raw) and the decompressed value section. */
static ls_code read_data_values(chunk_state *c, const page_header *h, const uint8_t *levels,
                                size_t levels_len, const uint8_t *values, size_t values_len,
                                ls_error *err)
{
    const pq_column_desc *d = c->d;
    size_t n = (size_t)h->num_values, defined = n;
    ls_code rc;
    if (!d->required) {
        if ((rc = read_levels(d, levels, levels_len, n, c->col, &defined, err)))
            return rc;
    } else {
        if ((rc = ls_buf_reserve(&c->col->valid, n, err)))
            return rc;
        memset(c->col->valid.data + c->col->valid.len, 1, n);
        c->col->valid.len += n;
    }
    if (h->encoding == PQ_ENC_PLAIN_DICTIONARY || h->encoding == PQ_ENC_RLE_DICTIONARY) {
        if (!c->have_dict)
            return corrupt(err, d, "dictionary-encoded page without a dictionary page");
        return read_dictionary_indices(d, values, values_len, defined, c->s, c->dict_count, &c->out,
                                       c->budget, err);
    }
    return pq_decode_values(d, h->encoding, values, values_len, defined, &c->out, c->s, err);
}

static ls_code read_page_v1(chunk_state *c, const page_header *h, const uint8_t *body, size_t len,
                            ls_error *err)
{
    const uint8_t *page;
    ls_code rc = decompress(c->d, c->codec, body, len, (size_t)h->uncompressed, c->s, &page, err);
    if (rc)
        return rc;
    size_t page_len = (size_t)h->uncompressed, levels_len = 0;
    const uint8_t *levels = page;
    if (!c->d->required) {
        /* Levels of a v1 page: a 4-byte length, then the RLE hybrid. The
         * deprecated BIT_PACKED level encoding is not supported. */
        if (h->def_encoding != PQ_ENC_RLE)
            return corrupt(err, c->d, "definition levels not RLE encoded");
        if (page_len < 4)
            return corrupt(err, c->d, "page too short for its definition levels");
        levels_len =
            (size_t)page[0] | (size_t)page[1] << 8 | (size_t)page[2] << 16 | (size_t)page[3] << 24;
        if (levels_len > page_len - 4)
            return corrupt(err, c->d, "definition levels past the end of the page");
        levels = page + 4;
        page += 4 + levels_len;
        page_len -= 4 + levels_len;
    }
    return read_data_values(c, h, levels, levels_len, page, page_len, err);
}

static ls_code read_page_v2(chunk_state *c, const page_header *h, const uint8_t *body, size_t len,
                            ls_error *err)
{
    size_t level_bytes = (size_t)h->def_bytes + (size_t)h->rep_bytes;
    if (level_bytes > len || level_bytes > (size_t)h->uncompressed)
        return corrupt(err, c->d, "v2 page levels longer than the page");
    /* Repetition levels of a flat column are all zero: skipped. */
    const uint8_t *levels = body + h->rep_bytes;
    const uint8_t *values = body + level_bytes;
    size_t values_len = len - level_bytes;
    size_t expected = (size_t)h->uncompressed - level_bytes;
    int32_t codec = h->is_compressed ? c->codec : PQ_CODEC_UNCOMPRESSED;
    const uint8_t *plain;
    ls_code rc = decompress(c->d, codec, values, values_len, expected, c->s, &plain, err);
    if (rc)
        return rc;
    return read_data_values(c, h, levels, (size_t)h->def_bytes, plain, expected, err);
}

/* Reads one page at chunk + *pos and advances *pos past it. */
static ls_code read_page(chunk_state *c, const uint8_t *chunk, size_t len, size_t *pos,
                         int64_t expected_rows, size_t budget, ls_error *err)
{
    page_header h;
    size_t header_len = 0;
    ls_code rc = read_page_header(c->d, chunk + *pos, len - *pos, &h, &header_len, err);
    if (rc)
        return rc;
    *pos += header_len;
    if ((size_t)h.compressed > len - *pos)
        return corrupt(err, c->d, "page extends past its column chunk");
    if ((size_t)h.uncompressed > c->s->page.max_bytes)
        return ls_error_set(err, LS_ERR_TOO_LARGE,
                            "parquet column '%s': page of %d bytes over the cap", c->d->name,
                            h.uncompressed);
    const uint8_t *body = chunk + *pos;
    *pos += (size_t)h.compressed;
    if (h.type == PQ_PAGE_DICTIONARY) {
        if (c->have_dict || c->rows_done > 0)
            return corrupt(err, c->d, "dictionary page after data or repeated");
        const uint8_t *page;
        if ((rc = decompress(c->d, c->codec, body, (size_t)h.compressed, (size_t)h.uncompressed,
                             c->s, &page, err)))
            return rc;
        c->have_dict = true;
        return read_dictionary_page(c->d, &h, page, (size_t)h.uncompressed, c->s, &c->dict_count,
                                    err);
    }
    if (h.type != PQ_PAGE_DATA && h.type != PQ_PAGE_DATA_V2)
        return LS_OK; /* index pages and unknown page types are skipped, as the spec says */
    if (h.num_values > expected_rows - c->rows_done)
        return corrupt(err, c->d, "pages hold more values than the row group's rows");
    /* Each value costs at least its valid byte: refuse before allocating. */
    if ((size_t)h.num_values > budget)
        return ls_error_set(err, LS_ERR_TOO_LARGE,
                            "parquet column '%s': row group over the batch cap", c->d->name);
    c->budget = budget;
    if (h.type == PQ_PAGE_DATA)
        rc = read_page_v1(c, &h, body, (size_t)h.compressed, err);
    else
        rc = read_page_v2(c, &h, body, (size_t)h.compressed, err);
    c->rows_done += h.num_values;
    return rc;
}

static size_t column_bytes(const ls_column *col)
{
    return col->valid.len + col->values.len + col->offsets.len + col->bytes.len;
}

ls_code pq_chunk_decode(const pq_column_desc *d, int32_t codec, const uint8_t *chunk, size_t len,
                        int64_t expected_rows, pq_scratch *scratch, ls_column *col,
                        size_t max_batch_bytes, ls_error *err)
{
    chunk_state c = {.d = d, .codec = codec, .s = scratch, .col = col};
    c.out = (pq_values){&col->values, &col->offsets, &col->bytes, col->value_count};
    size_t start_bytes = column_bytes(col);
    size_t pos = 0;
    ls_code rc = LS_OK;
    while (c.rows_done < expected_rows) {
        if (pos >= len)
            return corrupt(err, d, "column chunk ends before the row group's last row");
        size_t used = column_bytes(col) - start_bytes;
        if (used > max_batch_bytes)
            return ls_error_set(err, LS_ERR_TOO_LARGE,
                                "parquet column '%s': row group over the batch cap", d->name);
        if ((rc = read_page(&c, chunk, len, &pos, expected_rows, max_batch_bytes - used, err)))
            break;
        col->value_count = c.out.count;
    }
    col->value_count = c.out.count;
    if (rc == LS_OK && column_bytes(col) - start_bytes > max_batch_bytes)
        rc = ls_error_set(err, LS_ERR_TOO_LARGE,
                          "parquet column '%s': row group over the batch cap", d->name);
    return rc;
}
