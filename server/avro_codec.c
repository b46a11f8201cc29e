/* Avro block codecs: null, deflate (raw RFC 1951), snappy (+ CRC32), zstandard. */
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "avro_internal.h"

static ls_code deflate_block(const uint8_t *in, size_t len, ls_buf *out, ls_error *err)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* windowBits -15: raw deflate without the zlib header and Adler-32, as
     * the Avro specification requires. */
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return ls_error_set(err, LS_ERR_NOMEM, "cannot initialize deflate");
    uLong bound = deflateBound(&zs, (uLong)len);
    ls_code rc = ls_buf_reserve(out, bound, err);
    if (rc) {
        deflateEnd(&zs);
        return rc;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = out->data + out->len;
    zs.avail_out = (uInt)bound;
    int zr = deflate(&zs, Z_FINISH);
    if (zr != Z_STREAM_END) {
        deflateEnd(&zs);
        return ls_error_set(err, LS_ERR_INTERNAL, "deflate did not finish (%d)", zr);
    }
    out->len += zs.total_out;
    out->data[out->len] = '\0';
    deflateEnd(&zs);
    return LS_OK;
}

static ls_code inflate_block(const uint8_t *in, size_t len, ls_buf *out, size_t max_bytes,
                             ls_error *err)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, -15) != Z_OK)
        return ls_error_set(err, LS_ERR_NOMEM, "cannot initialize inflate");
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    size_t start = out->len;
    ls_code rc = LS_OK;
    for (;;) {
        size_t produced = out->len - start;
        if (produced >= max_bytes) {
            rc = ls_error_set(err, LS_ERR_TOO_LARGE, "Avro block inflates past %zu bytes",
                              max_bytes);
            break;
        }
        size_t chunk = len * 4 + 4096;
        if (chunk > max_bytes - produced)
            chunk = max_bytes - produced;
        if ((rc = ls_buf_reserve(out, chunk, err)))
            break;
        zs.next_out = out->data + out->len;
        zs.avail_out = (uInt)chunk;
        int zr = inflate(&zs, Z_NO_FLUSH);
        out->len += chunk - zs.avail_out;
        if (zr == Z_STREAM_END)
            break;
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            rc = ls_error_set(err, LS_ERR_FORMAT, "corrupt deflate block (%d)", zr);
            break;
        }
        if (zr == Z_BUF_ERROR && zs.avail_in == 0) {
            /* Java's Deflater output sometimes ends without a final block
             * marker being consumed; all input used means we are done. */
            break;
        }
    }
    if (out->data)
        out->data[out->len] = '\0';
    inflateEnd(&zs);
    return rc;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static ls_code snappy_block(const uint8_t *in, size_t len, ls_buf *out, ls_error *err)
{
    size_t bound = snappy_max_compressed_length(len);
    ls_code rc = ls_buf_reserve(out, bound + 4, err);
    if (rc)
        return rc;
    size_t n = bound;
    if (snappy_compress((const char *)in, len, (char *)out->data + out->len, &n) != SNAPPY_OK)
        return ls_error_set(err, LS_ERR_INTERNAL, "snappy compression failed");
    out->len += n;
    put_be32(out->data + out->len, (uint32_t)crc32(0L, in, (uInt)len));
    out->len += 4;
    out->data[out->len] = '\0';
    return LS_OK;
}

static ls_code unsnappy_block(const uint8_t *in, size_t len, ls_buf *out, size_t max_bytes,
                              ls_error *err)
{
    if (len < 4)
        return ls_error_set(err, LS_ERR_FORMAT, "snappy block shorter than its CRC");
    size_t n;
    if (snappy_uncompressed_length((const char *)in, len - 4, &n) != SNAPPY_OK)
        return ls_error_set(err, LS_ERR_FORMAT, "corrupt snappy block header");
    if (n > max_bytes)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "snappy block expands past %zu bytes",
                            max_bytes);
    ls_code rc = ls_buf_reserve(out, n, err);
    if (rc)
        return rc;
    uint8_t *dst = out->data + out->len;
    if (snappy_uncompress((const char *)in, len - 4, (char *)dst, &n) != SNAPPY_OK)
        return ls_error_set(err, LS_ERR_FORMAT, "corrupt snappy block");
    const uint8_t *c = in + len - 4;
    uint32_t want = (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3];
    if ((uint32_t)crc32(0L, dst, (uInt)n) != want)
        return ls_error_set(err, LS_ERR_FORMAT, "snappy block CRC32 mismatch");
    out->len += n;
    out->data[out->len] = '\0';
    return LS_OK;
}

static ls_code zstd_block(const uint8_t *in, size_t len, ls_buf *out, ls_error *err)
{
    size_t bound = ZSTD_compressBound(len);
    ls_code rc = ls_buf_reserve(out, bound, err);
    if (rc)
        return rc;
    size_t n = ZSTD_compress(out->data + out->len, bound, in, len, 3);
    if (ZSTD_isError(n))
        return ls_error_set(err, LS_ERR_INTERNAL, "zstd compression failed: %s",
                            ZSTD_getErrorName(n));
    out->len += n;
    out->data[out->len] = '\0';
    return LS_OK;
}

/* Streaming decompression: Java's zstd writer does not always record the
 * content size in the frame header, so the output size is discovered. */
static ls_code unzstd_block(const uint8_t *in, size_t len, ls_buf *out, size_t max_bytes,
                            ls_error *err)
{
    ZSTD_DStream *ds = ZSTD_createDStream();
    if (!ds)
        return ls_error_set(err, LS_ERR_NOMEM, "cannot create a zstd stream");
    ZSTD_initDStream(ds);
    ZSTD_inBuffer ib = {in, len, 0};
    size_t start = out->len;
    ls_code rc = LS_OK;
    for (;;) {
        size_t produced = out->len - start;
        if (ib.pos == ib.size)
            break;
        if (produced >= max_bytes) {
            rc = ls_error_set(err, LS_ERR_TOO_LARGE, "zstd block expands past %zu bytes",
                              max_bytes);
            break;
        }
        size_t chunk = ZSTD_DStreamOutSize();
        if (chunk > max_bytes - produced)
            chunk = max_bytes - produced;
        if ((rc = ls_buf_reserve(out, chunk, err)))
            break;
        ZSTD_outBuffer ob = {out->data + out->len, chunk, 0};
        size_t zr = ZSTD_decompressStream(ds, &ob, &ib);
        out->len += ob.pos;
        if (ZSTD_isError(zr)) {
            rc = ls_error_set(err, LS_ERR_FORMAT, "corrupt zstd block: %s", ZSTD_getErrorName(zr));
            break;
        }
        if (zr == 0 && ib.pos == ib.size)
            break;
        if (ob.pos == 0 && ib.pos == ib.size) {
            rc = ls_error_set(err, LS_ERR_FORMAT, "truncated zstd block");
            break;
        }
    }
    if (out->data)
        out->data[out->len] = '\0';
    ZSTD_freeDStream(ds);
    return rc;
}

ls_code avro_codec_compress(ls_avro_codec codec, const uint8_t *in, size_t len, ls_buf *out,
                            ls_error *err)
{
    if (len > UINT32_MAX)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "Avro block too large to compress");
    switch (codec) {
    case LS_AVRO_CODEC_NULL:
        return ls_buf_append(out, in, len, err);
    case LS_AVRO_CODEC_DEFLATE:
        return deflate_block(in, len, out, err);
    case LS_AVRO_CODEC_SNAPPY:
        return snappy_block(in, len, out, err);
    case LS_AVRO_CODEC_ZSTANDARD:
        return zstd_block(in, len, out, err);
    }
    return ls_error_set(err, LS_ERR_INTERNAL, "unknown codec %d", (int)codec);
}

ls_code avro_codec_decompress(ls_avro_codec codec, const uint8_t *in, size_t len, ls_buf *out,
                              size_t max_bytes, ls_error *err)
{
    if (len > UINT32_MAX)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "Avro block too large to decompress");
    switch (codec) {
    case LS_AVRO_CODEC_NULL:
        if (len > max_bytes)
            return ls_error_set(err, LS_ERR_TOO_LARGE, "Avro block over %zu bytes", max_bytes);
        return ls_buf_append(out, in, len, err);
    case LS_AVRO_CODEC_DEFLATE:
        return inflate_block(in, len, out, max_bytes, err);
    case LS_AVRO_CODEC_SNAPPY:
        return unsnappy_block(in, len, out, max_bytes, err);
    case LS_AVRO_CODEC_ZSTANDARD:
        return unzstd_block(in, len, out, max_bytes, err);
    }
    return ls_error_set(err, LS_ERR_INTERNAL, "unknown codec %d", (int)codec);
}
