/*
 * Value decoding for the Parquet reader (Encodings.md): the RLE/bit-packed
 * hybrid, PLAIN, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
 * DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT, and the conversion of each physical
 * value to the batch's storage. Every count and length comes from the file,
 * so each is checked against the bytes actually present before it is used.
 */
#include <string.h>

#include "parquet_reader_values.h"

static ls_code corrupt(ls_error *err, const pq_column_desc *d, const char *what)
{
    return ls_error_set(err, LS_ERR_FORMAT, "parquet column '%s': %s", d ? d->name : "?", what);
}

static uint64_t load_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void store_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

/* Reads width (0..64) bits at bit_pos, LSB first. The caller guarantees the
 * bits are inside the buffer. */
static uint64_t unpack_bits(const uint8_t *p, uint64_t bit_pos, int width)
{
    uint64_t value = 0;
    int got = 0;
    while (got < width) {
        uint64_t byte = p[bit_pos >> 3];
        int shift = (int)(bit_pos & 7);
        int take = 8 - shift;
        if (take > width - got)
            take = width - got;
        value |= ((byte >> shift) & ((1u << take) - 1)) << got;
        got += take;
        bit_pos += (uint64_t)take;
    }
    return value;
}

bool pq_read_uleb(const uint8_t **pos, const uint8_t *end, uint64_t *out)
{
    uint64_t value = 0;
    const uint8_t *p = *pos;
    for (int shift = 0; shift < 64; shift += 7) {
        if (p >= end)
            return false;
        uint8_t byte = *p++;
        value |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *pos = p;
            *out = value;
            return true;
        }
    }
    return false;
}

void pq_rle_init(pq_rle *d, const uint8_t *data, size_t len, int bit_width)
{
    memset(d, 0, sizeof *d);
    d->pos = data;
    d->end = data + len;
    d->bit_width = bit_width;
}

/* Starts the next run. Bit-packed runs cut short by the end of the data are
 * accepted with the values that fit: some writers do not pad the last run. */
static bool rle_next_run(pq_rle *d)
{
    uint64_t header;
    if (!pq_read_uleb(&d->pos, d->end, &header))
        return false;
    if (header & 1) {
        uint64_t groups = header >> 1;
        uint64_t avail = (uint64_t)(d->end - d->pos);
        uint64_t bytes = groups * (uint64_t)d->bit_width;
        if (groups > (UINT64_MAX >> 8))
            return false;
        uint64_t values = groups * 8;
        if (bytes > avail) {
            bytes = avail;
            values = d->bit_width ? bytes * 8 / (uint64_t)d->bit_width : values;
        }
        if (values == 0)
            return false;
        d->packed = d->pos;
        d->bit_pos = 0;
        d->pos += bytes;
        d->left = values;
        d->is_packed = true;
        return true;
    }
    uint64_t count = header >> 1;
    int value_bytes = (d->bit_width + 7) / 8;
    if (count == 0 || (size_t)(d->end - d->pos) < (size_t)value_bytes)
        return false;
    d->value = (uint32_t)load_le(d->pos, value_bytes);
    d->pos += value_bytes;
    if (d->bit_width < 32 && d->value >> d->bit_width)
        return false;
    d->left = count;
    d->is_packed = false;
    return true;
}

bool pq_rle_get(pq_rle *d, uint32_t *out, size_t n)
{
    while (n > 0) {
        if (d->left == 0 && !rle_next_run(d))
            return false;
        size_t take = d->left < n ? (size_t)d->left : n;
        if (d->is_packed) {
            for (size_t i = 0; i < take; i++) {
                out[i] = (uint32_t)unpack_bits(d->packed, d->bit_pos, d->bit_width);
                d->bit_pos += (uint64_t)d->bit_width;
            }
        } else {
            for (size_t i = 0; i < take; i++)
                out[i] = d->value;
        }
        d->left -= take;
        out += take;
        n -= take;
    }
    return true;
}

/* Stores one physical value as the column's storage. Fixed-width physical
 * values arrive as their PLAIN bytes; byte arrays as (p, len). */
static ls_code convert_fixed(const pq_column_desc *d, const uint8_t *p, size_t len, uint8_t *dst,
                             ls_error *err)
{
    int64_t v;
    switch (d->conversion) {
    case PQ_CONV_BOOL:
        dst[0] = p[0] ? 1 : 0;
        return LS_OK;
    case PQ_CONV_INT32:
    case PQ_CONV_FLOAT:
        memcpy(dst, p, 4);
        return LS_OK;
    case PQ_CONV_INT64:
    case PQ_CONV_DOUBLE:
        memcpy(dst, p, 8);
        return LS_OK;
    case PQ_CONV_INT32_I64:
        v = (int32_t)(uint32_t)load_le(p, 4);
        break;
    case PQ_CONV_UINT32_I64:
        v = (int64_t)load_le(p, 4);
        break;
    case PQ_CONV_INT64_I128: {
        ls_int128 w = (int64_t)load_le(p, 8);
        memcpy(dst, &w, 16);
        return LS_OK;
    }
    case PQ_CONV_UINT64_I128: {
        ls_int128 w = (ls_int128)load_le(p, 8);
        memcpy(dst, &w, 16);
        return LS_OK;
    }
    case PQ_CONV_MILLIS:
        v = (int64_t)load_le(p, 8);
        if (v > INT64_MAX / 1000 || v < INT64_MIN / 1000)
            return corrupt(err, d, "millisecond timestamp out of the microsecond range");
        v *= 1000;
        break;
    case PQ_CONV_NANOS:
        v = (int64_t)load_le(p, 8);
        v = v / 1000 - (v % 1000 < 0); /* floor toward -infinity */
        break;
    case PQ_CONV_INT96: {
        /* Nanoseconds within the day, then the Julian day number. Some
         * writers (Paimon via Flink) store nanoseconds outside 0..1 day, so
         * the two are simply added, as DuckDB and Spark do. Nanoseconds are
         * cut to microseconds toward -infinity, like NANOS columns above, so
         * an instant before 1970 keeps its printed microseconds (Paimon's
         * 1899-01-01T00:59:20.001001001 reads .001001; DuckDB and Spark,
         * truncating the negative total toward zero, show .001002). */
        int64_t nanos = (int64_t)load_le(p, 8);
        int64_t day = (int32_t)(uint32_t)load_le(p + 8, 4) - INT64_C(2440588);
        /* Days beyond +-106751991 do not fit int64 microseconds. */
        if (day > INT64_C(106751991) || day < INT64_C(-106751991))
            return corrupt(err, d, "INT96 timestamp out of the microsecond range");
        int64_t day_micros = day * INT64_C(86400000000);
        int64_t micros = nanos / 1000 - (nanos % 1000 < 0);
        if ((micros > 0 && day_micros > INT64_MAX - micros) ||
            (micros < 0 && day_micros < INT64_MIN - micros))
            return corrupt(err, d, "INT96 timestamp out of the microsecond range");
        v = day_micros + micros;
        break;
    }
    case PQ_CONV_DECIMAL_BE: {
        if (len == 0 || len > 16)
            return corrupt(err, d, "decimal of 0 or more than 16 bytes");
        ls_int128 w = (p[0] & 0x80) ? -1 : 0;
        for (size_t i = 0; i < len; i++)
            w = (ls_int128)(((pq_uint128)w << 8) | p[i]);
        if (d->storage == LS_STORAGE_INT128) {
            memcpy(dst, &w, 16);
            return LS_OK;
        }
        if (w > INT64_MAX || w < INT64_MIN)
            return corrupt(err, d, "decimal wider than its precision");
        v = (int64_t)w;
        break;
    }
    case PQ_CONV_BYTES:
    default:
        return ls_error_set(err, LS_ERR_INTERNAL, "fixed conversion of a byte column");
    }
    memcpy(dst, &v, 8);
    return LS_OK;
}

ls_code pq_values_reserve(const pq_column_desc *d, pq_values *out, size_t n, ls_error *err)
{
    if (d->storage == LS_STORAGE_BYTES)
        return ls_buf_reserve(out->offsets, n * 4, err);
    return ls_buf_reserve(out->values, n * ls_storage_width(d->storage), err);
}

ls_code pq_values_put(const pq_column_desc *d, pq_values *out, const uint8_t *p, size_t len,
                      ls_error *err)
{
    ls_code rc;
    if (d->storage == LS_STORAGE_BYTES) {
        if ((rc = ls_buf_append(out->bytes, p, len, err)))
            return rc;
        uint32_t end = (uint32_t)out->bytes->len;
        if ((rc = ls_buf_append(out->offsets, &end, 4, err)))
            return rc;
    } else {
        size_t width = ls_storage_width(d->storage);
        if ((rc = ls_buf_reserve(out->values, width, err)))
            return rc;
        if ((rc = convert_fixed(d, p, len, out->values->data + out->values->len, err)))
            return rc;
        out->values->len += width;
    }
    out->count++;
    return LS_OK;
}

/* The PLAIN width of a fixed-width physical type; 0 for BYTE_ARRAY and
 * BOOLEAN (bit-packed). */
static size_t plain_width(const pq_column_desc *d)
{
    switch (d->physical) {
    case LS_PARQUET_INT32:
    case LS_PARQUET_FLOAT:
        return 4;
    case LS_PARQUET_INT64:
    case LS_PARQUET_DOUBLE:
        return 8;
    case LS_PARQUET_INT96:
        return 12;
    case LS_PARQUET_FIXED_LEN_BYTE_ARRAY:
        return (size_t)d->type_length;
    default:
        return 0;
    }
}

static ls_code decode_plain(const pq_column_desc *d, const uint8_t *p, size_t len, size_t n,
                            pq_values *out, ls_error *err)
{
    /* Reserve only once the page is known to hold n values, so a count
     * read from a corrupt header cannot ask for memory. */
    ls_code rc;
    size_t width = plain_width(d);
    if ((d->physical == LS_PARQUET_BOOLEAN && n / 8 > len) ||
        (d->physical == LS_PARQUET_BYTE_ARRAY && n > len / 4) ||
        (d->physical != LS_PARQUET_BOOLEAN && d->physical != LS_PARQUET_BYTE_ARRAY &&
         (width == 0 || n > len / width)))
        return corrupt(err, d, "PLAIN values past the end of the page");
    if ((rc = pq_values_reserve(d, out, n, err)))
        return rc;
    if (d->physical == LS_PARQUET_BOOLEAN) {
        if (n > len * 8)
            return corrupt(err, d, "PLAIN booleans past the end of the page");
        for (size_t i = 0; i < n; i++) {
            uint8_t bit = (p[i >> 3] >> (i & 7)) & 1;
            if ((rc = pq_values_put(d, out, &bit, 1, err)))
                return rc;
        }
        return LS_OK;
    }
    if (d->physical == LS_PARQUET_BYTE_ARRAY) {
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            if (len - at < 4)
                return corrupt(err, d, "PLAIN byte array length past the end of the page");
            uint64_t vlen = load_le(p + at, 4);
            at += 4;
            if (vlen > len - at)
                return corrupt(err, d, "PLAIN byte array past the end of the page");
            if ((rc = pq_values_put(d, out, p + at, (size_t)vlen, err)))
                return rc;
            at += (size_t)vlen;
        }
        return LS_OK;
    }
    for (size_t i = 0; i < n; i++)
        if ((rc = pq_values_put(d, out, p + i * width, width, err)))
            return rc;
    return LS_OK;
}

/* RLE booleans (data pages v2): a 4-byte length, then the hybrid with bit
 * width 1. */
static ls_code decode_rle_bool(const pq_column_desc *d, const uint8_t *p, size_t len, size_t n,
                               pq_values *out, ls_error *err)
{
    if (len < 4 || load_le(p, 4) > len - 4)
        return corrupt(err, d, "RLE boolean length past the end of the page");
    pq_rle rle;
    pq_rle_init(&rle, p + 4, (size_t)load_le(p, 4), 1);
    ls_code rc = LS_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        uint32_t v;
        if (!pq_rle_get(&rle, &v, 1))
            return corrupt(err, d, "RLE booleans cut short");
        uint8_t bit = (uint8_t)v;
        rc = pq_values_put(d, out, &bit, 1, err);
    }
    return rc;
}

/*
 * DELTA_BINARY_PACKED: a header (block size, miniblocks per block, total
 * count, first value), then blocks of (min delta, bit widths, miniblocks).
 * The total count must be n (the page's non-null values), which bounds the
 * work a hostile header can ask for: a zero bit width costs no bytes.
 * Decodes the n values into out (uint64 two's
 * complement, wrapping as the spec's arithmetic does) and returns in *used
 * the bytes the whole stream takes, so a stream that follows can be found.
 */
static ls_code delta_decode(const pq_column_desc *d, const uint8_t *p, size_t len, size_t n,
                            uint64_t *vals, size_t *used, ls_error *err)
{
    const uint8_t *pos = p, *end = p + len;
    uint64_t block_size, mini_count, total, first;
    if (!pq_read_uleb(&pos, end, &block_size) || !pq_read_uleb(&pos, end, &mini_count) ||
        !pq_read_uleb(&pos, end, &total) || !pq_read_uleb(&pos, end, &first))
        return corrupt(err, d, "DELTA_BINARY_PACKED header cut short");
    if (block_size == 0 || block_size % 128 || block_size > 65536 || mini_count == 0 ||
        block_size % mini_count || (block_size / mini_count) % 32 || total != n)
        return corrupt(err, d, "DELTA_BINARY_PACKED header is invalid");
    uint64_t per_mini = block_size / mini_count;
    uint64_t last = (first >> 1) ^ (0 - (first & 1));
    if (n > 0)
        vals[0] = last;
    uint64_t done = total > 0 ? 1 : 0; /* values of the stream walked so far */
    while (done < total) {
        uint64_t min_raw;
        if (!pq_read_uleb(&pos, end, &min_raw) || (uint64_t)(end - pos) < mini_count)
            return corrupt(err, d, "DELTA_BINARY_PACKED block header cut short");
        uint64_t min_delta = (min_raw >> 1) ^ (0 - (min_raw & 1));
        const uint8_t *widths = pos;
        pos += mini_count;
        for (uint64_t m = 0; m < mini_count && done < total; m++) {
            int width = widths[m];
            if (width > 64)
                return corrupt(err, d, "DELTA_BINARY_PACKED bit width over 64");
            uint64_t bytes = per_mini * (uint64_t)width / 8;
            uint64_t take = total - done < per_mini ? total - done : per_mini;
            /* The last miniblock may be cut short after its last value. */
            if ((uint64_t)(end - pos) < (take * (uint64_t)width + 7) / 8)
                return corrupt(err, d, "DELTA_BINARY_PACKED miniblock cut short");
            for (uint64_t i = 0; i < take; i++, done++) {
                last += min_delta + unpack_bits(pos, i * (uint64_t)width, width);
                if (done < n)
                    vals[done] = last;
            }
            pos += bytes < (uint64_t)(end - pos) ? bytes : (uint64_t)(end - pos);
        }
    }
    *used = (size_t)(pos - p);
    return LS_OK;
}

/* A DELTA_BINARY_PACKED stream's total count, read from its header. */
static bool delta_count(const uint8_t *p, size_t len, uint64_t *count)
{
    const uint8_t *pos = p, *end = p + len;
    uint64_t skip;
    return pq_read_uleb(&pos, end, &skip) && pq_read_uleb(&pos, end, &skip) &&
           pq_read_uleb(&pos, end, count);
}

static ls_code decode_delta_ints(const pq_column_desc *d, const uint8_t *p, size_t len, size_t n,
                                 pq_values *out, pq_scratch *s, ls_error *err)
{
    if (d->physical != LS_PARQUET_INT32 && d->physical != LS_PARQUET_INT64)
        return corrupt(err, d, "DELTA_BINARY_PACKED on a non-integer column");
    ls_code rc;
    size_t used;
    ls_buf_reset(&s->indices);
    if ((rc = ls_buf_reserve(&s->indices, n * 8, err)))
        return rc;
    uint64_t *vals = (uint64_t *)(void *)s->indices.data;
    if ((rc = delta_decode(d, p, len, n, vals, &used, err)))
        return rc;
    if ((rc = pq_values_reserve(d, out, n, err)))
        return rc;
    int width = d->physical == LS_PARQUET_INT32 ? 4 : 8;
    for (size_t i = 0; i < n && !rc; i++) {
        uint8_t tmp[8];
        store_le(tmp, vals[i], width);
        rc = pq_values_put(d, out, tmp, (size_t)width, err);
    }
    return rc;
}

/* Decodes a lengths stream (DELTA_BINARY_PACKED of exactly n non-negative
 * values) into scratch; *used gets its size. */
static ls_code decode_lengths(const pq_column_desc *d, const uint8_t *p, size_t len, size_t n,
                              ls_buf *into, size_t *used, ls_error *err)
{
    uint64_t total;
    if (!delta_count(p, len, &total) || total != n)
        return corrupt(err, d, "delta lengths do not match the value count");
    ls_buf_reset(into);
    ls_code rc = ls_buf_reserve(into, n * 8 + 8, err);
    if (rc)
        return rc;
    uint64_t *vals = (uint64_t *)(void *)into->data;
    if ((rc = delta_decode(d, p, len, n, vals, used, err)))
        return rc;
    for (size_t i = 0; i < n; i++)
        if ((int64_t)vals[i] < 0 || vals[i] > len)
            return corrupt(err, d, "delta length out of range");
    return LS_OK;
}

static ls_code decode_delta_length(const pq_column_desc *d, const uint8_t *p, size_t len, size_t n,
                                   pq_values *out, pq_scratch *s, ls_error *err)
{
    if (d->physical != LS_PARQUET_BYTE_ARRAY)
        return corrupt(err, d, "DELTA_LENGTH_BYTE_ARRAY on a non-byte-array column");
    size_t used;
    ls_code rc = decode_lengths(d, p, len, n, &s->indices, &used, err);
    if (rc)
        return rc;
    const uint64_t *lens = (const uint64_t *)(const void *)s->indices.data;
    size_t at = used;
    if ((rc = pq_values_reserve(d, out, n, err)))
        return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        if (lens[i] > len - at)
            return corrupt(err, d, "DELTA_LENGTH_BYTE_ARRAY data cut short");
        rc = pq_values_put(d, out, p + at, (size_t)lens[i], err);
        at += (size_t)lens[i];
    }
    return rc;
}

/* DELTA_BYTE_ARRAY: prefix lengths, suffix lengths, then the suffixes; each
 * value is the previous value's prefix plus its suffix. */
static ls_code decode_delta_byte_array(const pq_column_desc *d, const uint8_t *p, size_t len,
                                       size_t n, pq_values *out, pq_scratch *s, ls_error *err)
{
    size_t used_prefix, used_suffix;
    ls_code rc = decode_lengths(d, p, len, n, &s->delta_prefix, &used_prefix, err);
    if (rc)
        return rc;
    rc = decode_lengths(d, p + used_prefix, len - used_prefix, n, &s->indices, &used_suffix, err);
    if (rc)
        return rc;
    const uint64_t *prefix = (const uint64_t *)(const void *)s->delta_prefix.data;
    const uint64_t *suffix = (const uint64_t *)(const void *)s->indices.data;
    size_t at = used_prefix + used_suffix;
    ls_buf *value = &s->delta_bytes;
    ls_buf_reset(value);
    if ((rc = pq_values_reserve(d, out, n, err)))
        return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        if (prefix[i] > value->len || suffix[i] > len - at)
            return corrupt(err, d, "DELTA_BYTE_ARRAY prefix or suffix out of range");
        value->len = (size_t)prefix[i];
        if ((rc = ls_buf_append(value, p + at, (size_t)suffix[i], err)))
            return rc;
        at += (size_t)suffix[i];
        if (d->physical == LS_PARQUET_FIXED_LEN_BYTE_ARRAY && value->len != (size_t)d->type_length)
            return corrupt(err, d, "DELTA_BYTE_ARRAY value of the wrong fixed length");
        rc =
            pq_values_put(d, out, value->data ? value->data : (const uint8_t *)"", value->len, err);
    }
    return rc;
}

/* BYTE_STREAM_SPLIT: byte k of value i is at k * n + i. */
static ls_code decode_stream_split(const pq_column_desc *d, const uint8_t *p, size_t len, size_t n,
                                   pq_values *out, ls_error *err)
{
    size_t width = plain_width(d);
    if (width == 0 || width > 16 || d->physical == LS_PARQUET_INT96 || n > len / width)
        return corrupt(err, d, "BYTE_STREAM_SPLIT on an unsupported type or cut short");
    ls_code rc = pq_values_reserve(d, out, n, err);
    for (size_t i = 0; i < n && !rc; i++) {
        uint8_t tmp[16];
        for (size_t k = 0; k < width; k++)
            tmp[k] = p[k * n + i];
        rc = pq_values_put(d, out, tmp, width, err);
    }
    return rc;
}

ls_code pq_decode_values(const pq_column_desc *d, int encoding, const uint8_t *p, size_t len,
                         size_t n, pq_values *out, pq_scratch *s, ls_error *err)
{
    switch (encoding) {
    case PQ_ENC_PLAIN:
        return decode_plain(d, p, len, n, out, err);
    case PQ_ENC_RLE:
        if (d->physical != LS_PARQUET_BOOLEAN)
            return corrupt(err, d, "RLE values on a non-boolean column");
        return decode_rle_bool(d, p, len, n, out, err);
    case PQ_ENC_DELTA_BINARY_PACKED:
        return decode_delta_ints(d, p, len, n, out, s, err);
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
        return decode_delta_length(d, p, len, n, out, s, err);
    case PQ_ENC_DELTA_BYTE_ARRAY:
        if (d->physical != LS_PARQUET_BYTE_ARRAY && d->physical != LS_PARQUET_FIXED_LEN_BYTE_ARRAY)
            return corrupt(err, d, "DELTA_BYTE_ARRAY on a non-byte-array column");
        return decode_delta_byte_array(d, p, len, n, out, s, err);
    case PQ_ENC_BYTE_STREAM_SPLIT:
        return decode_stream_split(d, p, len, n, out, err);
    default:
        return ls_error_set(err, LS_ERR_FORMAT, "parquet column '%s': unsupported encoding %d",
                            d->name, encoding);
    }
}
