#include "paimon_binaryrow.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const uint8_t ls_paimon_empty_row[12] = {0};

/* Paimon's BinaryRow.HEADER_SIZE_IN_BITS: the RowKind byte precedes the null bits. */
#define HEADER_BITS 8

__extension__ typedef unsigned __int128 ls_uint128;

size_t ls_paimon_binaryrow_bitset_bytes(size_t arity)
{
    return ((arity + 63 + HEADER_BITS) / 64) * 8;
}

bool ls_paimon_decimal_is_compact(int precision)
{
    return precision <= 18;
}

bool ls_paimon_timestamp_is_compact(int precision)
{
    return precision <= 3;
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static ls_int128 pow10_128(int n)
{
    ls_int128 r = 1;
    for (int i = 0; i < n; i++)
        r *= 10;
    return r;
}

/* BigInteger.toByteArray(): the minimal big-endian two's complement bytes
 * (at least one). Returns the byte count written to out[16]. */
static size_t int128_to_min_bytes(ls_int128 value, uint8_t out[16])
{
    uint8_t full[16];
    ls_uint128 u = (ls_uint128)value;
    for (int i = 15; i >= 0; i--) {
        full[i] = (uint8_t)u;
        u >>= 8;
    }
    size_t start = 0;
    /* Drop a leading byte while it only repeats the sign of the next one. */
    while (start < 15 && ((full[start] == 0x00 && !(full[start + 1] & 0x80)) ||
                          (full[start] == 0xff && (full[start + 1] & 0x80))))
        start++;
    memcpy(out, full + start, 16 - start);
    return 16 - start;
}

/* The var part grows in whole 8-byte words, zero-padded (BinaryRowWriter). */
static ls_code var_append(ls_buf *row, size_t row_start, const void *data, size_t len,
                          size_t reserve, uint64_t *offset_out, ls_error *err)
{
    size_t words = (reserve + 7) / 8 * 8;
    size_t offset = row->len - row_start;
    if (offset > UINT32_MAX)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "BinaryRow is over 4 GiB");
    ls_code rc = ls_buf_reserve(row, words, err);
    if (rc)
        return rc;
    memset(row->data + row->len, 0, words);
    if (len)
        memcpy(row->data + row->len, data, len);
    row->len += words;
    *offset_out = offset;
    return LS_OK;
}

static ls_code check_decimal_range(const ls_paimon_type *t, ls_int128 v, size_t pos,
                                   ls_error *err)
{
    ls_int128 limit = pow10_128(t->precision);
    if (v >= limit || v <= -limit)
        return ls_error_set(err, LS_ERR_INVALID,
                            "BinaryRow field %zu: unscaled decimal does not fit DECIMAL(%d, %d)",
                            pos, t->precision, t->scale);
    return LS_OK;
}

/* Writes field pos (slot at row_start + slot_off) of a row being built in out. */
static ls_code encode_field(const ls_paimon_type *t, const ls_paimon_datum *d, size_t pos,
                            ls_buf *out, size_t row_start, size_t slot_off, ls_error *err)
{
    uint64_t slot = 0, offset = 0;
    ls_code rc = LS_OK;
    if (d->is_null) {
        out->data[row_start + 1 + pos / 8] |= (uint8_t)(1u << (pos % 8));
        /* Non-compact decimals and timestamps keep their var-part room even
         * when null, with the offset in the slot (AbstractBinaryWriter). */
        size_t reserve = 0;
        if (t->kind == LS_PAIMON_DECIMAL && !ls_paimon_decimal_is_compact(t->precision))
            reserve = 16;
        else if ((t->kind == LS_PAIMON_TIMESTAMP || t->kind == LS_PAIMON_TIMESTAMP_LTZ) &&
                 !ls_paimon_timestamp_is_compact(t->precision))
            reserve = 8;
        if (reserve) {
            rc = var_append(out, row_start, NULL, 0, reserve, &offset, err);
            if (rc)
                return rc;
            slot = offset << 32;
        }
        put_le64(out->data + row_start + slot_off, slot);
        return LS_OK;
    }
    switch (t->kind) {
    case LS_PAIMON_BOOLEAN:
        slot = d->v.b ? 1 : 0;
        break;
    case LS_PAIMON_TINYINT:
        slot = (uint8_t)d->v.i32;
        break;
    case LS_PAIMON_SMALLINT:
        slot = (uint16_t)d->v.i32;
        break;
    case LS_PAIMON_INT:
    case LS_PAIMON_DATE:
        slot = (uint32_t)d->v.i32;
        break;
    case LS_PAIMON_BIGINT:
        slot = (uint64_t)d->v.i64;
        break;
    case LS_PAIMON_FLOAT: {
        uint32_t bits;
        memcpy(&bits, &d->v.f32, 4);
        slot = bits;
        break;
    }
    case LS_PAIMON_DOUBLE:
        memcpy(&slot, &d->v.f64, 8);
        break;
    case LS_PAIMON_DECIMAL:
        rc = check_decimal_range(t, d->v.unscaled, pos, err);
        if (rc)
            return rc;
        if (ls_paimon_decimal_is_compact(t->precision)) {
            slot = (uint64_t)(int64_t)d->v.unscaled;
        } else {
            uint8_t bytes[16];
            size_t n = int128_to_min_bytes(d->v.unscaled, bytes);
            rc = var_append(out, row_start, bytes, n, 16, &offset, err);
            slot = (offset << 32) | n;
        }
        break;
    case LS_PAIMON_STRING:
    case LS_PAIMON_BYTES:
        if (d->v.bytes.len <= 7) {
            /* Inline: bytes in the low slot bytes, 0x80 | length in the top one. */
            for (size_t i = 0; i < d->v.bytes.len; i++)
                slot |= (uint64_t)d->v.bytes.data[i] << (8 * i);
            slot |= (uint64_t)(0x80 | d->v.bytes.len) << 56;
        } else {
            if (d->v.bytes.len > UINT32_MAX)
                return ls_error_set(err, LS_ERR_TOO_LARGE, "BinaryRow field %zu is over 4 GiB",
                                    pos);
            rc = var_append(out, row_start, d->v.bytes.data, d->v.bytes.len, d->v.bytes.len,
                            &offset, err);
            slot = (offset << 32) | d->v.bytes.len;
        }
        break;
    case LS_PAIMON_TIMESTAMP:
    case LS_PAIMON_TIMESTAMP_LTZ:
        if (d->v.ts.nanos_of_milli < 0 || d->v.ts.nanos_of_milli > 999999)
            return ls_error_set(err, LS_ERR_INVALID,
                                "BinaryRow field %zu: nanos of millisecond %d out of range", pos,
                                (int)d->v.ts.nanos_of_milli);
        if (ls_paimon_timestamp_is_compact(t->precision)) {
            slot = (uint64_t)d->v.ts.millis;
        } else {
            uint8_t millis[8];
            put_le64(millis, (uint64_t)d->v.ts.millis);
            rc = var_append(out, row_start, millis, 8, 8, &offset, err);
            slot = (offset << 32) | (uint32_t)d->v.ts.nanos_of_milli;
        }
        break;
    }
    if (rc)
        return rc;
    put_le64(out->data + row_start + slot_off, slot);
    return LS_OK;
}

ls_code ls_paimon_binaryrow_encode(const ls_paimon_type *types, const ls_paimon_datum *values,
                                   size_t arity, ls_buf *out, ls_error *err)
{
    if (arity > LS_PAIMON_MAX_ARITY)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "BinaryRow arity %zu is over %d", arity,
                            LS_PAIMON_MAX_ARITY);
    size_t bitset = ls_paimon_binaryrow_bitset_bytes(arity);
    size_t fixed = bitset + 8 * arity;
    size_t row_start = out->len;
    ls_code rc = ls_buf_reserve(out, fixed, err);
    if (rc)
        return rc;
    memset(out->data + row_start, 0, fixed);
    out->len += fixed;
    for (size_t i = 0; i < arity; i++) {
        rc = encode_field(&types[i], &values[i], i, out, row_start, bitset + 8 * i, err);
        if (rc) {
            out->len = row_start;
            return rc;
        }
    }
    return LS_OK;
}

ls_code ls_paimon_binaryrow_serialize(const ls_paimon_type *types, const ls_paimon_datum *values,
                                      size_t arity, ls_buf *out, ls_error *err)
{
    size_t start = out->len;
    uint8_t prefix[4];
    put_be32(prefix, (uint32_t)arity);
    ls_code rc = ls_buf_append(out, prefix, 4, err);
    if (rc == LS_OK)
        rc = ls_paimon_binaryrow_encode(types, values, arity, out, err);
    if (rc)
        out->len = start;
    return rc;
}

/* Reads a var-part reference (offset << 32 | size) and checks it lies in the row. */
static ls_code var_ref(uint64_t slot, size_t row_len, size_t need, size_t pos,
                       size_t *offset_out, ls_error *err)
{
    size_t offset = (size_t)(slot >> 32);
    if (offset > row_len || need > row_len - offset)
        return ls_error_set(err, LS_ERR_FORMAT,
                            "BinaryRow field %zu points outside the row (%zu + %zu > %zu)", pos,
                            offset, need, row_len);
    *offset_out = offset;
    return LS_OK;
}

static ls_code decode_field(const uint8_t *row, size_t row_len, const ls_paimon_type *t,
                            uint64_t slot, size_t pos, ls_paimon_datum *d, ls_error *err)
{
    size_t offset = 0;
    ls_code rc = LS_OK;
    switch (t->kind) {
    case LS_PAIMON_BOOLEAN:
        d->v.b = (slot & 0xff) != 0;
        break;
    case LS_PAIMON_TINYINT:
        d->v.i32 = (int8_t)(uint8_t)slot;
        break;
    case LS_PAIMON_SMALLINT:
        d->v.i32 = (int16_t)(uint16_t)slot;
        break;
    case LS_PAIMON_INT:
    case LS_PAIMON_DATE:
        d->v.i32 = (int32_t)(uint32_t)slot;
        break;
    case LS_PAIMON_BIGINT:
        d->v.i64 = (int64_t)slot;
        break;
    case LS_PAIMON_FLOAT: {
        uint32_t bits = (uint32_t)slot;
        memcpy(&d->v.f32, &bits, 4);
        break;
    }
    case LS_PAIMON_DOUBLE:
        memcpy(&d->v.f64, &slot, 8);
        break;
    case LS_PAIMON_DECIMAL:
        if (ls_paimon_decimal_is_compact(t->precision)) {
            d->v.unscaled = (int64_t)slot;
            break;
        }
        size_t n = (size_t)(slot & 0xffffffffu);
        if (n == 0 || n > 16)
            return ls_error_set(err, LS_ERR_FORMAT, "BinaryRow field %zu: decimal of %zu bytes",
                                pos, n);
        rc = var_ref(slot, row_len, n, pos, &offset, err);
        if (rc)
            return rc;
        ls_uint128 u = (row[offset] & 0x80) ? ~(ls_uint128)0 : 0;
        for (size_t i = 0; i < n; i++)
            u = (u << 8) | row[offset + i];
        d->v.unscaled = (ls_int128)u;
        break;
    case LS_PAIMON_STRING:
    case LS_PAIMON_BYTES:
        if (slot >> 63) {
            /* Inline: the bytes live in the slot itself. */
            size_t len = (size_t)((slot >> 56) & 0x7f);
            if (len > 7)
                return ls_error_set(err, LS_ERR_FORMAT,
                                    "BinaryRow field %zu: inline length %zu", pos, len);
            d->v.bytes.len = len;
            d->v.bytes.data = NULL; /* set by the caller: it knows the slot address */
        } else {
            size_t len = (size_t)(slot & 0xffffffffu);
            rc = var_ref(slot, row_len, len, pos, &offset, err);
            if (rc)
                return rc;
            d->v.bytes.data = row + offset;
            d->v.bytes.len = len;
        }
        break;
    case LS_PAIMON_TIMESTAMP:
    case LS_PAIMON_TIMESTAMP_LTZ:
        if (ls_paimon_timestamp_is_compact(t->precision)) {
            d->v.ts.millis = (int64_t)slot;
            d->v.ts.nanos_of_milli = 0;
            break;
        }
        rc = var_ref(slot, row_len, 8, pos, &offset, err);
        if (rc)
            return rc;
        d->v.ts.millis = (int64_t)get_le64(row + offset);
        d->v.ts.nanos_of_milli = (int32_t)(slot & 0xffffffffu);
        if (d->v.ts.nanos_of_milli < 0 || d->v.ts.nanos_of_milli > 999999)
            return ls_error_set(err, LS_ERR_FORMAT,
                                "BinaryRow field %zu: nanos of millisecond out of range", pos);
        break;
    }
    return LS_OK;
}

ls_code ls_paimon_binaryrow_decode(const uint8_t *row, size_t row_len,
                                   const ls_paimon_type *types, size_t arity,
                                   ls_paimon_datum *out, ls_error *err)
{
    if (arity > LS_PAIMON_MAX_ARITY)
        return ls_error_set(err, LS_ERR_FORMAT, "BinaryRow arity %zu is over %d", arity,
                            LS_PAIMON_MAX_ARITY);
    size_t bitset = ls_paimon_binaryrow_bitset_bytes(arity);
    if (row_len < bitset + 8 * arity)
        return ls_error_set(err, LS_ERR_FORMAT,
                            "BinaryRow of %zu bytes is shorter than its %zu fixed bytes", row_len,
                            bitset + 8 * arity);
    for (size_t i = 0; i < arity; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].is_null = (row[1 + i / 8] >> (i % 8)) & 1;
        if (out[i].is_null)
            continue;
        const uint8_t *slot_at = row + bitset + 8 * i;
        ls_code rc = decode_field(row, row_len, &types[i], get_le64(slot_at), i, &out[i], err);
        if (rc)
            return rc;
        if ((types[i].kind == LS_PAIMON_STRING || types[i].kind == LS_PAIMON_BYTES) &&
            out[i].v.bytes.data == NULL)
            out[i].v.bytes.data = slot_at;
    }
    return LS_OK;
}

ls_code ls_paimon_binaryrow_arity(const uint8_t *bytes, size_t len, size_t *arity_out,
                                  ls_error *err)
{
    if (len < 4)
        return ls_error_set(err, LS_ERR_FORMAT, "serialized BinaryRow of %zu bytes", len);
    uint32_t arity = ((uint32_t)bytes[0] << 24) | ((uint32_t)bytes[1] << 16) |
                     ((uint32_t)bytes[2] << 8) | bytes[3];
    if (arity > LS_PAIMON_MAX_ARITY)
        return ls_error_set(err, LS_ERR_FORMAT, "serialized BinaryRow arity %u is over %d",
                            (unsigned)arity, LS_PAIMON_MAX_ARITY);
    *arity_out = arity;
    return LS_OK;
}

ls_code ls_paimon_binaryrow_deserialize(const uint8_t *bytes, size_t len,
                                        const ls_paimon_type *types, size_t arity,
                                        ls_paimon_datum *out, ls_error *err)
{
    size_t stored = 0;
    ls_code rc = ls_paimon_binaryrow_arity(bytes, len, &stored, err);
    if (rc)
        return rc;
    if (stored != arity)
        return ls_error_set(err, LS_ERR_FORMAT, "serialized BinaryRow has %zu fields, expected %zu",
                            stored, arity);
    return ls_paimon_binaryrow_decode(bytes + 4, len - 4, types, arity, out, err);
}

static uint32_t rotl32(uint32_t x, int r)
{
    return (x << r) | (x >> (32 - r));
}

int32_t ls_paimon_hash_bytes_by_words(const uint8_t *data, size_t len)
{
    uint32_t h1 = 42;
    for (size_t i = 0; i + 4 <= len; i += 4) {
        uint32_t k1 = (uint32_t)data[i] | ((uint32_t)data[i + 1] << 8) |
                      ((uint32_t)data[i + 2] << 16) | ((uint32_t)data[i + 3] << 24);
        k1 *= 0xcc9e2d51u;
        k1 = rotl32(k1, 15);
        k1 *= 0x1b873593u;
        h1 ^= k1;
        h1 = rotl32(h1, 13);
        h1 = h1 * 5 + 0xe6546b64u;
    }
    h1 ^= (uint32_t)len;
    h1 ^= h1 >> 16;
    h1 *= 0x85ebca6bu;
    h1 ^= h1 >> 13;
    h1 *= 0xc2b2ae35u;
    h1 ^= h1 >> 16;
    return (int32_t)h1;
}

ls_code ls_paimon_bucket(const ls_paimon_type *types, const ls_paimon_datum *values,
                         size_t arity, int32_t num_buckets, int32_t *bucket_out, ls_error *err)
{
    if (num_buckets <= 0)
        return ls_error_set(err, LS_ERR_INVALID, "bucket count %d must be positive",
                            (int)num_buckets);
    ls_buf row;
    ls_buf_init(&row, (size_t)64 << 20);
    ls_code rc = ls_paimon_binaryrow_encode(types, values, arity, &row, err);
    if (rc == LS_OK) {
        int32_t hash = ls_paimon_hash_bytes_by_words(row.data, row.len);
        int32_t r = hash % num_buckets; /* Java's %: the sign follows the dividend */
        *bucket_out = r < 0 ? -r : r;
    }
    ls_buf_cleanup(&row);
    return rc;
}

ls_paimon_type ls_paimon_type_from_ls(ls_type type, bool nullable)
{
    ls_paimon_type t = {.kind = LS_PAIMON_STRING, .nullable = nullable};
    switch (type.kind) {
    case LS_TYPE_BOOLEAN: t.kind = LS_PAIMON_BOOLEAN; break;
    case LS_TYPE_INT: t.kind = LS_PAIMON_INT; break;
    case LS_TYPE_BIGINT: t.kind = LS_PAIMON_BIGINT; break;
    case LS_TYPE_FLOAT: t.kind = LS_PAIMON_FLOAT; break;
    case LS_TYPE_DOUBLE: t.kind = LS_PAIMON_DOUBLE; break;
    case LS_TYPE_DECIMAL:
        t.kind = LS_PAIMON_DECIMAL;
        t.precision = type.precision;
        t.scale = type.scale;
        break;
    case LS_TYPE_STRING: t.kind = LS_PAIMON_STRING; break;
    case LS_TYPE_DATE: t.kind = LS_PAIMON_DATE; break;
    case LS_TYPE_TIMESTAMP: t.kind = LS_PAIMON_TIMESTAMP; t.precision = 6; break;
    case LS_TYPE_TIMESTAMPTZ: t.kind = LS_PAIMON_TIMESTAMP_LTZ; t.precision = 6; break;
    case LS_TYPE_BINARY: t.kind = LS_PAIMON_BYTES; break;
    }
    return t;
}

ls_type ls_paimon_type_to_ls(ls_paimon_type t)
{
    static const ls_type_kind kinds[] = {
        [LS_PAIMON_BOOLEAN] = LS_TYPE_BOOLEAN,
        [LS_PAIMON_TINYINT] = LS_TYPE_INT,
        [LS_PAIMON_SMALLINT] = LS_TYPE_INT,
        [LS_PAIMON_INT] = LS_TYPE_INT,
        [LS_PAIMON_BIGINT] = LS_TYPE_BIGINT,
        [LS_PAIMON_FLOAT] = LS_TYPE_FLOAT,
        [LS_PAIMON_DOUBLE] = LS_TYPE_DOUBLE,
        [LS_PAIMON_DATE] = LS_TYPE_DATE,
        [LS_PAIMON_DECIMAL] = LS_TYPE_DECIMAL,
        [LS_PAIMON_STRING] = LS_TYPE_STRING,
        [LS_PAIMON_BYTES] = LS_TYPE_BINARY,
        [LS_PAIMON_TIMESTAMP] = LS_TYPE_TIMESTAMP,
        [LS_PAIMON_TIMESTAMP_LTZ] = LS_TYPE_TIMESTAMPTZ,
    };
    return (ls_type){.kind = kinds[t.kind], .precision = t.precision, .scale = t.scale};
}

static const struct {
    const char *name;
    ls_paimon_kind kind;
} simple_names[] = {
    {"BOOLEAN", LS_PAIMON_BOOLEAN}, {"TINYINT", LS_PAIMON_TINYINT},
    {"SMALLINT", LS_PAIMON_SMALLINT}, {"INT", LS_PAIMON_INT},
    {"INTEGER", LS_PAIMON_INT},     {"BIGINT", LS_PAIMON_BIGINT},
    {"FLOAT", LS_PAIMON_FLOAT},     {"DOUBLE", LS_PAIMON_DOUBLE},
    {"DATE", LS_PAIMON_DATE},       {"STRING", LS_PAIMON_STRING},
    {"BYTES", LS_PAIMON_BYTES},
};

const char *ls_paimon_type_format(ls_paimon_type type, char *out, size_t out_size)
{
    const char *suffix = type.nullable ? "" : " NOT NULL";
    switch (type.kind) {
    case LS_PAIMON_DECIMAL:
        snprintf(out, out_size, "DECIMAL(%d, %d)%s", type.precision, type.scale, suffix);
        return out;
    case LS_PAIMON_TIMESTAMP:
        snprintf(out, out_size, "TIMESTAMP(%d)%s", type.precision, suffix);
        return out;
    case LS_PAIMON_TIMESTAMP_LTZ:
        snprintf(out, out_size, "TIMESTAMP(%d) WITH LOCAL TIME ZONE%s", type.precision, suffix);
        return out;
    default:
        break;
    }
    for (size_t i = 0; i < sizeof simple_names / sizeof simple_names[0]; i++) {
        if (simple_names[i].kind == type.kind && strcmp(simple_names[i].name, "INTEGER") != 0) {
            snprintf(out, out_size, "%s%s", simple_names[i].name, suffix);
            return out;
        }
    }
    snprintf(out, out_size, "?");
    return out;
}

/* Parses "(N)" or "(N, M)" at *p; m_out NULL means one number is expected. */
static int parse_type_args(const char **p, int *n_out, int *m_out)
{
    const char *s = *p;
    char *end;
    if (*s != '(')
        return -1;
    long n = strtol(s + 1, &end, 10);
    if (end == s + 1 || n < 0 || n > 2147483647L)
        return -1;
    s = end;
    long m = 0;
    if (m_out) {
        if (*s != ',')
            return -1;
        s++;
        while (*s == ' ')
            s++;
        m = strtol(s, &end, 10);
        if (end == s || m < 0 || m > 38)
            return -1;
        s = end;
    }
    if (*s != ')')
        return -1;
    *p = s + 1;
    *n_out = (int)n;
    if (m_out)
        *m_out = (int)m;
    return 0;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static ls_code parse_parameterized(const char *text, const char *p, ls_paimon_type *out,
                                   ls_error *err)
{
    int n = 0, m = 0;
    if (starts_with(p, "DECIMAL")) {
        p += 7;
        if (parse_type_args(&p, &n, &m) || n < 1 || n > 38 || m > n)
            goto bad;
        out->kind = LS_PAIMON_DECIMAL;
        out->precision = (uint8_t)n;
        out->scale = (uint8_t)m;
    } else if (starts_with(p, "TIMESTAMP")) {
        p += 9;
        if (parse_type_args(&p, &n, NULL) || n > 9)
            goto bad;
        out->kind = LS_PAIMON_TIMESTAMP;
        out->precision = (uint8_t)n;
        if (starts_with(p, " WITH LOCAL TIME ZONE")) {
            out->kind = LS_PAIMON_TIMESTAMP_LTZ;
            p += strlen(" WITH LOCAL TIME ZONE");
        }
    } else if (starts_with(p, "VARCHAR") || starts_with(p, "CHAR")) {
        p += starts_with(p, "VARCHAR") ? 7 : 4;
        if (parse_type_args(&p, &n, NULL))
            goto bad;
        out->kind = LS_PAIMON_STRING;
    } else if (starts_with(p, "VARBINARY") || starts_with(p, "BINARY")) {
        p += starts_with(p, "VARBINARY") ? 9 : 6;
        if (parse_type_args(&p, &n, NULL))
            goto bad;
        out->kind = LS_PAIMON_BYTES;
    } else {
        return ls_error_set(err, LS_ERR_UNPROCESSABLE, "Paimon type '%.80s' is not supported",
                            text);
    }
    if (*p != '\0')
        goto bad;
    return LS_OK;
bad:
    return ls_error_set(err, LS_ERR_FORMAT, "malformed Paimon type '%.80s'", text);
}

ls_code ls_paimon_type_parse(const char *text, ls_paimon_type *out, ls_error *err)
{
    char upper[96];
    size_t n = strlen(text);
    if (n == 0 || n >= sizeof upper)
        return ls_error_set(err, LS_ERR_FORMAT, "malformed Paimon type '%.80s'", text);
    for (size_t i = 0; i <= n; i++)
        upper[i] = (char)toupper((unsigned char)text[i]);
    *out = (ls_paimon_type){.nullable = true};
    const char *not_null = " NOT NULL";
    if (n > strlen(not_null) && strcmp(upper + n - strlen(not_null), not_null) == 0) {
        out->nullable = false;
        upper[n - strlen(not_null)] = '\0';
    }
    for (size_t i = 0; i < sizeof simple_names / sizeof simple_names[0]; i++) {
        if (strcmp(upper, simple_names[i].name) == 0) {
            out->kind = simple_names[i].kind;
            return LS_OK;
        }
    }
    return parse_parameterized(text, upper, out, err);
}
