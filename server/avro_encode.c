/* Avro binary encoding of values (Avro specification, "Binary Encoding"). */
#include <string.h>

#include "avro.h"

const char *ls_avro_codec_name(ls_avro_codec codec)
{
    switch (codec) {
    case LS_AVRO_CODEC_NULL:
        return "null";
    case LS_AVRO_CODEC_DEFLATE:
        return "deflate";
    case LS_AVRO_CODEC_SNAPPY:
        return "snappy";
    case LS_AVRO_CODEC_ZSTANDARD:
        return "zstandard";
    }
    return "null";
}

ls_code ls_avro_codec_parse(const char *name, ls_avro_codec *out, ls_error *err)
{
    static const ls_avro_codec all[] = {LS_AVRO_CODEC_NULL, LS_AVRO_CODEC_DEFLATE,
                                        LS_AVRO_CODEC_SNAPPY, LS_AVRO_CODEC_ZSTANDARD};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(name, ls_avro_codec_name(all[i])) == 0) {
            *out = all[i];
            return LS_OK;
        }
    }
    return ls_error_set(err, LS_ERR_INVALID, "unknown Avro codec '%.64s'", name);
}

ls_code ls_avro_encode_long(ls_buf *out, int64_t value, ls_error *err)
{
    /* Zig-zag maps signed to unsigned so small magnitudes take few bytes; the
     * shift is done on the unsigned value to avoid signed-overflow UB. */
    uint64_t n = ((uint64_t)value << 1) ^ (uint64_t)(value >> 63);
    uint8_t bytes[10];
    size_t len = 0;
    do {
        uint8_t b = (uint8_t)(n & 0x7f);
        n >>= 7;
        bytes[len++] = (uint8_t)(b | (n ? 0x80 : 0));
    } while (n);
    return ls_buf_append(out, bytes, len, err);
}

ls_code ls_avro_encode_int(ls_buf *out, int32_t value, ls_error *err)
{
    return ls_avro_encode_long(out, value, err);
}

ls_code ls_avro_encode_union_branch(ls_buf *out, int32_t branch, ls_error *err)
{
    return ls_avro_encode_long(out, branch, err);
}

ls_code ls_avro_encode_boolean(ls_buf *out, int value, ls_error *err)
{
    return ls_buf_append_byte(out, value ? 1 : 0, err);
}

ls_code ls_avro_encode_float(ls_buf *out, float value, ls_error *err)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(bits >> (8 * i));
    return ls_buf_append(out, b, sizeof b, err);
}

ls_code ls_avro_encode_double(ls_buf *out, double value, ls_error *err)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(bits >> (8 * i));
    return ls_buf_append(out, b, sizeof b, err);
}

ls_code ls_avro_encode_bytes(ls_buf *out, const void *data, size_t len, ls_error *err)
{
    if (len > (size_t)INT64_MAX)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "Avro bytes value too long");
    ls_code rc = ls_avro_encode_long(out, (int64_t)len, err);
    if (rc)
        return rc;
    return ls_buf_append(out, data, len, err);
}

ls_code ls_avro_encode_string(ls_buf *out, const char *text, ls_error *err)
{
    return ls_avro_encode_bytes(out, text, strlen(text), err);
}

ls_code ls_avro_encode_fixed(ls_buf *out, const void *data, size_t len, ls_error *err)
{
    return ls_buf_append(out, data, len, err);
}
