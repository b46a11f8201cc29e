/*
 * Iceberg partition transforms, bucket hashing, human-readable partition
 * values and paths, single-value serialization and metric bounds.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg_types.h"

#define MICROS_PER_HOUR INT64_C(3600000000)
#define MICROS_PER_DAY INT64_C(86400000000)

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* Days since 1970-01-01 -> civil date (proleptic Gregorian; H. Hinnant's
 * days_from_civil inverse). */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

const char *ls_iceberg_transform_format(ls_iceberg_transform t, char *out, size_t out_size)
{
    switch (t.kind) {
    case LS_ICEBERG_IDENTITY: snprintf(out, out_size, "identity"); break;
    case LS_ICEBERG_YEAR: snprintf(out, out_size, "year"); break;
    case LS_ICEBERG_MONTH: snprintf(out, out_size, "month"); break;
    case LS_ICEBERG_DAY: snprintf(out, out_size, "day"); break;
    case LS_ICEBERG_HOUR: snprintf(out, out_size, "hour"); break;
    case LS_ICEBERG_BUCKET: snprintf(out, out_size, "bucket[%d]", (int)t.param); break;
    case LS_ICEBERG_TRUNCATE: snprintf(out, out_size, "truncate[%d]", (int)t.param); break;
    case LS_ICEBERG_VOID: snprintf(out, out_size, "void"); break;
    }
    return out;
}

ls_code ls_iceberg_transform_parse(const char *text, ls_iceberg_transform *out, ls_error *err)
{
    static const struct {
        const char *name;
        ls_iceberg_transform_kind kind;
    } plain[] = {{"identity", LS_ICEBERG_IDENTITY}, {"year", LS_ICEBERG_YEAR},
                 {"month", LS_ICEBERG_MONTH},       {"day", LS_ICEBERG_DAY},
                 {"hour", LS_ICEBERG_HOUR},         {"void", LS_ICEBERG_VOID}};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        if (strcmp(text, plain[i].name) == 0) {
            *out = (ls_iceberg_transform){.kind = plain[i].kind, .param = 0};
            return LS_OK;
        }
    }
    ls_iceberg_transform_kind kind;
    const char *p;
    if (strncmp(text, "bucket[", 7) == 0) {
        kind = LS_ICEBERG_BUCKET;
        p = text + 7;
    } else if (strncmp(text, "truncate[", 9) == 0) {
        kind = LS_ICEBERG_TRUNCATE;
        p = text + 9;
    } else {
        return ls_error_set(err, LS_ERR_INVALID, "unknown partition transform '%.64s'", text);
    }
    int64_t n = 0;
    const char *q = p;
    while (*q >= '0' && *q <= '9' && n <= INT32_MAX)
        n = n * 10 + (*q++ - '0');
    if (q == p || *q != ']' || q[1] != '\0' || n < 1 || n > INT32_MAX)
        return ls_error_set(err, LS_ERR_INVALID,
                            "partition transform '%.64s' needs a positive integer in brackets",
                            text);
    *out = (ls_iceberg_transform){.kind = kind, .param = (int32_t)n};
    return LS_OK;
}

ls_code ls_iceberg_transform_result_type(ls_iceberg_transform t, ls_type source, ls_type *out,
                                         ls_error *err)
{
    ls_type_kind k = source.kind;
    int temporal = k == LS_TYPE_DATE || k == LS_TYPE_TIMESTAMP || k == LS_TYPE_TIMESTAMPTZ;
    int ok = 0;
    ls_type result = source;
    switch (t.kind) {
    case LS_ICEBERG_IDENTITY:
    case LS_ICEBERG_VOID:
        ok = 1;
        break;
    case LS_ICEBERG_YEAR:
    case LS_ICEBERG_MONTH:
        ok = temporal;
        result = (ls_type){.kind = LS_TYPE_INT};
        break;
    case LS_ICEBERG_DAY:
        ok = temporal;
        result = (ls_type){.kind = LS_TYPE_DATE};
        break;
    case LS_ICEBERG_HOUR:
        ok = k == LS_TYPE_TIMESTAMP || k == LS_TYPE_TIMESTAMPTZ;
        result = (ls_type){.kind = LS_TYPE_INT};
        break;
    case LS_ICEBERG_BUCKET:
        ok = k == LS_TYPE_INT || k == LS_TYPE_BIGINT || k == LS_TYPE_DECIMAL || temporal ||
             k == LS_TYPE_STRING || k == LS_TYPE_BINARY;
        result = (ls_type){.kind = LS_TYPE_INT};
        break;
    case LS_ICEBERG_TRUNCATE:
        ok = k == LS_TYPE_INT || k == LS_TYPE_BIGINT || k == LS_TYPE_DECIMAL ||
             k == LS_TYPE_STRING || k == LS_TYPE_BINARY;
        break;
    }
    if (!ok) {
        char tn[32], ty[32];
        return ls_error_set(err, LS_ERR_INVALID, "transform %s does not apply to type %s",
                            ls_iceberg_transform_format(t, tn, sizeof tn),
                            ls_iceberg_type_name(source, ty, sizeof ty));
    }
    *out = result;
    return LS_OK;
}

int32_t ls_iceberg_murmur3_32(const void *data, size_t len)
{
    const uint8_t *p = data;
    const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
    uint32_t h = 0;
    size_t blocks = len / 4;
    for (size_t i = 0; i < blocks; i++) {
        uint32_t k = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
                     (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
        k *= c1;
        k = (k << 15) | (k >> 17);
        k *= c2;
        h ^= k;
        h = (h << 13) | (h >> 19);
        h = h * 5 + 0xe6546b64;
    }
    const uint8_t *tail = p + blocks * 4;
    uint32_t k = 0;
    switch (len & 3) {
    case 3:
        k ^= (uint32_t)tail[2] << 16;
        /* fall through */
    case 2:
        k ^= (uint32_t)tail[1] << 8;
        /* fall through */
    case 1:
        k ^= tail[0];
        k *= c1;
        k = (k << 15) | (k >> 17);
        k *= c2;
        h ^= k;
    }
    h ^= (uint32_t)len;
    h ^= h >> 16;
    h *= 0x85ebca6b;
    h ^= h >> 13;
    h *= 0xc2b2ae35;
    h ^= h >> 16;
    return (int32_t)h;
}

/* Minimal big-endian two's complement bytes of an unscaled decimal, as
 * Java's BigInteger.toByteArray. Returns the length (1..16). */
static size_t decimal_bytes(ls_int128 v, uint8_t out[16])
{
    ls_iceberg_uint128 u = (ls_iceberg_uint128)v;
    uint8_t full[16];
    for (int i = 15; i >= 0; i--) {
        full[i] = (uint8_t)(u & 0xff);
        u >>= 8;
    }
    size_t start = 0;
    while (start < 15 && ((full[start] == 0x00 && !(full[start + 1] & 0x80)) ||
                          (full[start] == 0xff && (full[start + 1] & 0x80))))
        start++;
    memcpy(out, full + start, 16 - start);
    return 16 - start;
}

static int32_t hash_long(int64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)((uint64_t)v >> (8 * i));
    return ls_iceberg_murmur3_32(b, 8);
}

ls_code ls_iceberg_hash(ls_type type, const ls_iceberg_value *v, int32_t *out, ls_error *err)
{
    uint8_t dec[16];
    switch (type.kind) {
    case LS_TYPE_INT:
    case LS_TYPE_DATE:
        *out = hash_long(v->u.i32);
        return LS_OK;
    case LS_TYPE_BIGINT:
    case LS_TYPE_TIMESTAMP:
    case LS_TYPE_TIMESTAMPTZ:
        *out = hash_long(v->u.i64);
        return LS_OK;
    case LS_TYPE_DECIMAL:
        *out = ls_iceberg_murmur3_32(dec, decimal_bytes(v->u.unscaled, dec));
        return LS_OK;
    case LS_TYPE_STRING:
    case LS_TYPE_BINARY:
        *out = ls_iceberg_murmur3_32(v->u.bytes.data, v->u.bytes.len);
        return LS_OK;
    default:
        return ls_error_set(err, LS_ERR_INVALID, "values of this type cannot be bucketed");
    }
}

/* Byte length of the first n code points of UTF-8 text (all of it when it
 * has fewer); *count_out gets how many code points that is. */
static size_t utf8_prefix(const uint8_t *s, size_t len, size_t n, size_t *count_out)
{
    size_t pos = 0, count = 0;
    while (pos < len && count < n) {
        uint8_t c = s[pos];
        size_t w = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
        if (pos + w > len)
            w = len - pos;
        pos += w;
        count++;
    }
    if (count_out)
        *count_out = count;
    return pos;
}

static int64_t temporal_micros(ls_type source, const ls_iceberg_value *in)
{
    if (source.kind == LS_TYPE_DATE)
        return (int64_t)in->u.i32 * MICROS_PER_DAY;
    return in->u.i64;
}

ls_code ls_iceberg_transform_apply(ls_iceberg_transform t, ls_type source,
                                   const ls_iceberg_value *in, ls_iceberg_value *out,
                                   ls_error *err)
{
    ls_type result;
    ls_code rc = ls_iceberg_transform_result_type(t, source, &result, err);
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    if (in->is_null || t.kind == LS_ICEBERG_VOID) {
        out->is_null = 1;
        return LS_OK;
    }
    int64_t y, days;
    int m, d;
    switch (t.kind) {
    case LS_ICEBERG_IDENTITY:
        *out = *in;
        return LS_OK;
    case LS_ICEBERG_YEAR:
    case LS_ICEBERG_MONTH:
        days = source.kind == LS_TYPE_DATE ? in->u.i32 : floor_div(in->u.i64, MICROS_PER_DAY);
        civil_from_days(days, &y, &m, &d);
        out->u.i32 = (int32_t)(t.kind == LS_ICEBERG_YEAR ? y - 1970 : (y - 1970) * 12 + (m - 1));
        return LS_OK;
    case LS_ICEBERG_DAY:
        out->u.i32 = source.kind == LS_TYPE_DATE
                         ? in->u.i32
                         : (int32_t)floor_div(temporal_micros(source, in), MICROS_PER_DAY);
        return LS_OK;
    case LS_ICEBERG_HOUR:
        out->u.i32 = (int32_t)floor_div(in->u.i64, MICROS_PER_HOUR);
        return LS_OK;
    case LS_ICEBERG_BUCKET: {
        int32_t h;
        if ((rc = ls_iceberg_hash(source, in, &h, err)))
            return rc;
        out->u.i32 = (int32_t)((h & INT32_MAX) % t.param);
        return LS_OK;
    }
    case LS_ICEBERG_TRUNCATE: {
        int64_t w = t.param;
        switch (source.kind) {
        case LS_TYPE_INT:
        case LS_TYPE_BIGINT: {
            /* In 128 bits: near the type's minimum the result can fall
             * below it, which is reported instead of wrapping. */
            ls_int128 v = source.kind == LS_TYPE_INT ? in->u.i32 : in->u.i64;
            ls_int128 r = v - (((v % w) + w) % w);
            ls_int128 min = source.kind == LS_TYPE_INT ? INT32_MIN : INT64_MIN;
            if (r < min)
                return ls_error_set(err, LS_ERR_INVALID, "truncate[%d] underflows the type",
                                    (int)w);
            if (source.kind == LS_TYPE_INT)
                out->u.i32 = (int32_t)r;
            else
                out->u.i64 = (int64_t)r;
            return LS_OK;
        }
        case LS_TYPE_DECIMAL:
            out->u.unscaled = in->u.unscaled - (((in->u.unscaled % w) + w) % w);
            return LS_OK;
        case LS_TYPE_STRING:
            out->u.bytes.data = in->u.bytes.data;
            out->u.bytes.len = utf8_prefix(in->u.bytes.data, in->u.bytes.len, (size_t)w, NULL);
            return LS_OK;
        default: /* binary */
            out->u.bytes.data = in->u.bytes.data;
            out->u.bytes.len = in->u.bytes.len < (size_t)w ? in->u.bytes.len : (size_t)w;
            return LS_OK;
        }
    }
    case LS_ICEBERG_VOID:
        break;
    }
    return ls_error_set(err, LS_ERR_INTERNAL, "unhandled transform");
}

/* ---- human-readable values ------------------------------------------------ */

static ls_code append_date(int64_t days, ls_buf *out, ls_error *err)
{
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    return ls_buf_printf(out, err, "%04lld-%02d-%02d", (long long)y, m, d);
}

/* java.time.LocalDateTime.toString: seconds only when non-zero, fraction in
 * groups of three digits. */
static ls_code append_timestamp(int64_t micros, int utc, ls_buf *out, ls_error *err)
{
    int64_t days = floor_div(micros, MICROS_PER_DAY);
    int64_t rest = micros - days * MICROS_PER_DAY;
    int hour = (int)(rest / MICROS_PER_HOUR);
    int minute = (int)(rest / 60000000 % 60);
    int second = (int)(rest / 1000000 % 60);
    int frac = (int)(rest % 1000000);
    ls_code rc = append_date(days, out, err);
    if (!rc)
        rc = ls_buf_printf(out, err, "T%02d:%02d", hour, minute);
    if (!rc && (second || frac))
        rc = ls_buf_printf(out, err, ":%02d", second);
    if (!rc && frac)
        rc = frac % 1000 == 0 ? ls_buf_printf(out, err, ".%03d", frac / 1000)
                              : ls_buf_printf(out, err, ".%06d", frac);
    if (!rc && utc)
        rc = ls_buf_append_byte(out, 'Z', err);
    return rc;
}

static ls_code append_decimal(ls_int128 v, int scale, ls_buf *out, ls_error *err)
{
    char digits[48];
    size_t n = 0;
    int neg = v < 0;
    ls_iceberg_uint128 u = neg ? -(ls_iceberg_uint128)v : (ls_iceberg_uint128)v;
    do {
        digits[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while ((int)n <= scale)
        digits[n++] = '0';
    ls_code rc = neg ? ls_buf_append_byte(out, '-', err) : LS_OK;
    for (size_t i = n; !rc && i > 0; i--) {
        if ((int)i == scale && scale > 0)
            rc = ls_buf_append_byte(out, '.', err);
        if (!rc)
            rc = ls_buf_append_byte(out, (uint8_t)digits[i - 1], err);
    }
    return rc;
}

/* Shortest decimal text that reads back to the same value, with ".0" for
 * integral values like Java's Double.toString (exponent form differs). */
static ls_code append_float(double v, int is_float, ls_buf *out, ls_error *err)
{
    if (isnan(v))
        return ls_buf_append_str(out, "NaN", err);
    if (isinf(v))
        return ls_buf_append_str(out, v > 0 ? "Infinity" : "-Infinity", err);
    char text[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(text, sizeof text, "%.*g", p, v);
        if (is_float ? strtof(text, NULL) == (float)v : strtod(text, NULL) == v)
            break;
    }
    ls_code rc = ls_buf_append_str(out, text, err);
    if (!rc && !strpbrk(text, ".e"))
        rc = ls_buf_append_str(out, ".0", err);
    return rc;
}

static ls_code append_base64(const uint8_t *p, size_t len, ls_buf *out, ls_error *err)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        char q[4] = {tab[(v >> 18) & 63], tab[(v >> 12) & 63],
                     i + 1 < len ? tab[(v >> 6) & 63] : '=', i + 2 < len ? tab[v & 63] : '='};
        rc = ls_buf_append(out, q, 4, err);
    }
    return rc;
}

static ls_code append_typed(ls_type type, const ls_iceberg_value *v, ls_buf *out, ls_error *err)
{
    switch (type.kind) {
    case LS_TYPE_BOOLEAN: return ls_buf_append_str(out, v->u.boolean ? "true" : "false", err);
    case LS_TYPE_INT: return ls_buf_printf(out, err, "%d", (int)v->u.i32);
    case LS_TYPE_BIGINT: return ls_buf_printf(out, err, "%lld", (long long)v->u.i64);
    case LS_TYPE_FLOAT: return append_float(v->u.f32, 1, out, err);
    case LS_TYPE_DOUBLE: return append_float(v->u.f64, 0, out, err);
    case LS_TYPE_DECIMAL: return append_decimal(v->u.unscaled, type.scale, out, err);
    case LS_TYPE_STRING: return ls_buf_append(out, v->u.bytes.data, v->u.bytes.len, err);
    case LS_TYPE_DATE: return append_date(v->u.i32, out, err);
    case LS_TYPE_TIMESTAMP: return append_timestamp(v->u.i64, 0, out, err);
    case LS_TYPE_TIMESTAMPTZ: return append_timestamp(v->u.i64, 1, out, err);
    case LS_TYPE_BINARY: return append_base64(v->u.bytes.data, v->u.bytes.len, out, err);
    }
    return ls_error_set(err, LS_ERR_INTERNAL, "unknown type");
}

ls_code ls_iceberg_human_value(ls_iceberg_transform t, ls_type result_type,
                               const ls_iceberg_value *v, ls_buf *out, ls_error *err)
{
    if (v->is_null)
        return ls_buf_append_str(out, "null", err);
    int64_t months;
    switch (t.kind) {
    case LS_ICEBERG_YEAR:
        return ls_buf_printf(out, err, "%04lld", (long long)v->u.i32 + 1970);
    case LS_ICEBERG_MONTH:
        months = v->u.i32;
        return ls_buf_printf(out, err, "%04lld-%02d", (long long)(1970 + floor_div(months, 12)),
                             (int)(months - floor_div(months, 12) * 12) + 1);
    case LS_ICEBERG_DAY:
        return append_date(v->u.i32, out, err);
    case LS_ICEBERG_HOUR: {
        int64_t hours = v->u.i32;
        int64_t days = floor_div(hours, 24);
        ls_code rc = append_date(days, out, err);
        return rc ? rc : ls_buf_printf(out, err, "-%02d", (int)(hours - days * 24));
    }
    default:
        return append_typed(result_type, v, out, err);
    }
}

/* java.net.URLEncoder.encode(s, UTF-8). */
static ls_code url_encode(const uint8_t *s, size_t len, ls_buf *out, ls_error *err)
{
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && i < len; i++) {
        uint8_t c = s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '-' || c == '*' || c == '_')
            rc = ls_buf_append_byte(out, c, err);
        else if (c == ' ')
            rc = ls_buf_append_byte(out, '+', err);
        else
            rc = ls_buf_printf(out, err, "%%%02X", c);
    }
    return rc;
}

ls_code ls_iceberg_partition_path(const ls_iceberg_partition_spec *spec,
                                  const ls_iceberg_schema *schema, const ls_iceberg_value *values,
                                  ls_buf *out, ls_error *err)
{
    ls_buf human;
    ls_buf_init(&human, 1 << 20);
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && i < spec->field_count; i++) {
        ls_type rt;
        const ls_iceberg_partition_field *f = &spec->fields[i];
        ls_buf_reset(&human);
        if ((rc = ls_iceberg_spec_field_type(spec, i, schema, &rt, err)) ||
            (rc = ls_iceberg_human_value(f->transform, rt, &values[i], &human, err)))
            break;
        if (i > 0 && (rc = ls_buf_append_byte(out, '/', err)))
            break;
        if ((rc = url_encode((const uint8_t *)f->name, strlen(f->name), out, err)) ||
            (rc = ls_buf_append_byte(out, '=', err)) ||
            (rc = url_encode(human.data, human.len, out, err)))
            break;
    }
    ls_buf_cleanup(&human);
    return rc;
}

/* ---- single-value serialization ------------------------------------------- */

static ls_code put_le(ls_buf *out, uint64_t v, int n, ls_error *err)
{
    uint8_t b[8];
    for (int i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return ls_buf_append(out, b, (size_t)n, err);
}

ls_code ls_iceberg_value_to_bytes(ls_type type, const ls_iceberg_value *v, ls_buf *out,
                                  ls_error *err)
{
    uint32_t f;
    uint64_t d;
    uint8_t dec[16];
    switch (type.kind) {
    case LS_TYPE_BOOLEAN: return ls_buf_append_byte(out, v->u.boolean ? 1 : 0, err);
    case LS_TYPE_INT:
    case LS_TYPE_DATE: return put_le(out, (uint32_t)v->u.i32, 4, err);
    case LS_TYPE_BIGINT:
    case LS_TYPE_TIMESTAMP:
    case LS_TYPE_TIMESTAMPTZ: return put_le(out, (uint64_t)v->u.i64, 8, err);
    case LS_TYPE_FLOAT:
        memcpy(&f, &v->u.f32, 4);
        return put_le(out, f, 4, err);
    case LS_TYPE_DOUBLE:
        memcpy(&d, &v->u.f64, 8);
        return put_le(out, d, 8, err);
    case LS_TYPE_DECIMAL: return ls_buf_append(out, dec, decimal_bytes(v->u.unscaled, dec), err);
    case LS_TYPE_STRING:
    case LS_TYPE_BINARY: return ls_buf_append(out, v->u.bytes.data, v->u.bytes.len, err);
    }
    return ls_error_set(err, LS_ERR_INTERNAL, "unknown type");
}

ls_code ls_iceberg_value_from_bytes(ls_type type, const uint8_t *data, size_t len,
                                    ls_iceberg_value *out, ls_error *err)
{
    memset(out, 0, sizeof *out);
    size_t want = 0;
    switch (type.kind) {
    case LS_TYPE_BOOLEAN: want = 1; break;
    case LS_TYPE_INT:
    case LS_TYPE_DATE:
    case LS_TYPE_FLOAT: want = 4; break;
    case LS_TYPE_BIGINT:
    case LS_TYPE_TIMESTAMP:
    case LS_TYPE_TIMESTAMPTZ:
    case LS_TYPE_DOUBLE: want = 8; break;
    case LS_TYPE_DECIMAL:
        if (len < 1 || len > 16)
            return ls_error_set(err, LS_ERR_FORMAT, "decimal bound of %zu bytes", len);
        {
            ls_iceberg_uint128 u = (data[0] & 0x80) ? ~(ls_iceberg_uint128)0 : 0;
            for (size_t i = 0; i < len; i++)
                u = (u << 8) | data[i];
            out->u.unscaled = (ls_int128)u;
        }
        return LS_OK;
    case LS_TYPE_STRING:
    case LS_TYPE_BINARY:
        out->u.bytes.data = data;
        out->u.bytes.len = len;
        return LS_OK;
    }
    if (len != want)
        return ls_error_set(err, LS_ERR_FORMAT, "serialized value of %zu bytes, expected %zu",
                            len, want);
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++)
        v |= (uint64_t)data[i] << (8 * i);
    switch (type.kind) {
    case LS_TYPE_BOOLEAN:
        if (v > 1)
            return ls_error_set(err, LS_ERR_FORMAT, "boolean bound byte %u", (unsigned)v);
        out->u.boolean = (int)v;
        break;
    case LS_TYPE_INT:
    case LS_TYPE_DATE: out->u.i32 = (int32_t)(uint32_t)v; break;
    case LS_TYPE_FLOAT: {
        uint32_t b = (uint32_t)v;
        memcpy(&out->u.f32, &b, 4);
        break;
    }
    case LS_TYPE_DOUBLE: memcpy(&out->u.f64, &v, 8); break;
    default: out->u.i64 = (int64_t)v; break;
    }
    return LS_OK;
}

void ls_iceberg_bound_lower(ls_type type, const ls_iceberg_value *in, ls_iceberg_value *out)
{
    *out = *in;
    if (in->is_null)
        return;
    if (type.kind == LS_TYPE_STRING)
        out->u.bytes.len = utf8_prefix(in->u.bytes.data, in->u.bytes.len,
                                       LS_ICEBERG_BOUND_CODEPOINTS, NULL);
    else if (type.kind == LS_TYPE_BINARY && in->u.bytes.len > LS_ICEBERG_BOUND_CODEPOINTS)
        out->u.bytes.len = LS_ICEBERG_BOUND_CODEPOINTS;
}

static uint32_t utf8_decode(const uint8_t *s, size_t len)
{
    if (len == 1)
        return s[0];
    uint32_t cp = s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++)
        cp = (cp << 6) | (s[i] & 0x3f);
    return cp;
}

static size_t utf8_encode(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xc0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xe0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (uint8_t)(0xf0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

static int string_upper(const ls_iceberg_value *in, uint8_t *scratch, size_t scratch_size,
                        ls_iceberg_value *out)
{
    size_t count;
    const uint8_t *s = in->u.bytes.data;
    size_t prefix = utf8_prefix(s, in->u.bytes.len, LS_ICEBERG_BOUND_CODEPOINTS, &count);
    if (prefix == in->u.bytes.len)
        return 1; /* short enough: the value itself is the bound */
    /* Offsets of each code point in the prefix, to walk backwards. */
    size_t starts[LS_ICEBERG_BOUND_CODEPOINTS + 1];
    size_t pos = 0;
    for (size_t i = 0; i < count; i++) {
        starts[i] = pos;
        pos += utf8_prefix(s + pos, prefix - pos, 1, NULL);
    }
    starts[count] = prefix;
    for (size_t i = count; i > 0; i--) {
        size_t at = starts[i - 1], w = starts[i] - at;
        uint32_t cp = utf8_decode(s + at, w) + 1;
        if (cp >= 0xd800 && cp <= 0xdfff)
            cp = 0xe000;
        if (cp > 0x10ffff)
            continue;
        if (at + 4 > scratch_size)
            return 0;
        memcpy(scratch, s, at);
        size_t n = at + utf8_encode(cp, scratch + at);
        out->u.bytes.data = scratch;
        out->u.bytes.len = n;
        return 1;
    }
    return 0;
}

int ls_iceberg_bound_upper(ls_type type, const ls_iceberg_value *in, uint8_t *scratch,
                           size_t scratch_size, ls_iceberg_value *out)
{
    *out = *in;
    if (in->is_null)
        return 1;
    if (type.kind == LS_TYPE_STRING)
        return string_upper(in, scratch, scratch_size, out);
    if (type.kind != LS_TYPE_BINARY || in->u.bytes.len <= LS_ICEBERG_BOUND_CODEPOINTS)
        return 1;
    for (size_t i = LS_ICEBERG_BOUND_CODEPOINTS; i > 0; i--) {
        if (in->u.bytes.data[i - 1] == 0xff)
            continue;
        if (i > scratch_size)
            return 0;
        memcpy(scratch, in->u.bytes.data, i);
        scratch[i - 1]++;
        out->u.bytes.data = scratch;
        out->u.bytes.len = i;
        return 1;
    }
    return 0;
}

static int cmp_double(double a, double b)
{
    if (a < b)
        return -1;
    if (a > b)
        return 1;
    if (a == 0 && b == 0)
        return signbit(a) == signbit(b) ? 0 : signbit(a) ? -1 : 1;
    return 0;
}

int ls_iceberg_value_compare(ls_type type, const ls_iceberg_value *a, const ls_iceberg_value *b)
{
    switch (type.kind) {
    case LS_TYPE_BOOLEAN: return (a->u.boolean > b->u.boolean) - (a->u.boolean < b->u.boolean);
    case LS_TYPE_INT:
    case LS_TYPE_DATE: return (a->u.i32 > b->u.i32) - (a->u.i32 < b->u.i32);
    case LS_TYPE_BIGINT:
    case LS_TYPE_TIMESTAMP:
    case LS_TYPE_TIMESTAMPTZ: return (a->u.i64 > b->u.i64) - (a->u.i64 < b->u.i64);
    case LS_TYPE_FLOAT: return cmp_double(a->u.f32, b->u.f32);
    case LS_TYPE_DOUBLE: return cmp_double(a->u.f64, b->u.f64);
    case LS_TYPE_DECIMAL:
        return (a->u.unscaled > b->u.unscaled) - (a->u.unscaled < b->u.unscaled);
    case LS_TYPE_STRING:
    case LS_TYPE_BINARY: {
        size_t n = a->u.bytes.len < b->u.bytes.len ? a->u.bytes.len : b->u.bytes.len;
        int c = n ? memcmp(a->u.bytes.data, b->u.bytes.data, n) : 0;
        if (c)
            return c < 0 ? -1 : 1;
        return (a->u.bytes.len > b->u.bytes.len) - (a->u.bytes.len < b->u.bytes.len);
    }
    }
    return 0;
}
