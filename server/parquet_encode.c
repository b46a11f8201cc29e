#include "parquet_encode.h"

#include <stdlib.h>

#include "parquet_thrift.h"
#include "util/text.h"

int ls_bit_width(uint32_t max_value)
{
    int width = 0;
    while (max_value) {
        width++;
        max_value >>= 1;
    }
    return width;
}

ls_code ls_bitpack_append(ls_buf *out, const uint32_t *values, size_t count, int bit_width,
                          ls_error *err)
{
    size_t bytes = (count * (size_t)bit_width + 7) / 8;
    ls_code rc = ls_buf_reserve(out, bytes, err);
    if (rc)
        return rc;
    uint8_t *dst = out->data + out->len;
    uint64_t acc = 0;
    int bits = 0;
    uint64_t mask = bit_width == 32 ? 0xFFFFFFFFu : ((uint64_t)1 << bit_width) - 1;
    size_t i = 0;
    /* Dictionary indices and levels are mostly narrow: eight values of up to
     * 8 bits fill exactly bit_width bytes, assembled in one word. */
    if (bit_width <= 8) {
        for (; i + 8 <= count; i += 8) {
            uint64_t group = 0;
            for (int k = 0; k < 8; k++)
                group |= ((uint64_t)values[i + k] & mask) << (k * bit_width);
            for (int b = 0; b < bit_width; b++)
                *dst++ = (uint8_t)(group >> (8 * b));
        }
    }
    for (; i < count; i++) {
        acc |= ((uint64_t)values[i] & mask) << bits;
        bits += bit_width;
        while (bits >= 8) {
            *dst++ = (uint8_t)acc;
            acc >>= 8;
            bits -= 8;
        }
    }
    if (bits > 0)
        *dst++ = (uint8_t)acc;
    out->len += bytes;
    out->data[out->len] = '\0';
    return LS_OK;
}

/* The hybrid encoder, written once for both element sizes; the compiler
 * specializes it because is_u8 is a constant at each call site. */
static inline uint32_t value_at(const void *values, bool is_u8, size_t i)
{
    return is_u8 ? ((const uint8_t *)values)[i] : ((const uint32_t *)values)[i];
}

static ls_code flush_literals(ls_buf *out, const void *values, bool is_u8, size_t start,
                              size_t count, int bit_width, ls_error *err)
{
    if (count == 0)
        return LS_OK;
    size_t groups = (count + 7) / 8;
    uint8_t header[10];
    ls_code rc = ls_buf_append(out, header, ls_varint_encode(((uint64_t)groups << 1) | 1, header),
                               err);
    size_t done = 0;
    /* 32-bit values pack in place, all but a last partial group (its
     * padding zeros are not in the array). */
    if (!is_u8 && rc == LS_OK) {
        done = count / 8 * 8;
        rc = ls_bitpack_append(out, (const uint32_t *)values + start, done, bit_width, err);
    }
    /* The rest through a small stack buffer, so both element sizes share one
     * path. */
    uint32_t chunk[256];
    for (; rc == LS_OK && done < groups * 8; done += 256) {
        size_t n = groups * 8 - done < 256 ? groups * 8 - done : 256;
        for (size_t k = 0; k < n; k++)
            chunk[k] = done + k < count ? value_at(values, is_u8, start + done + k) : 0;
        rc = ls_bitpack_append(out, chunk, n, bit_width, err);
    }
    return rc;
}

static ls_code emit_rle(ls_buf *out, uint32_t value, size_t run, int bit_width, ls_error *err)
{
    uint8_t tmp[16];
    size_t n = ls_varint_encode((uint64_t)run << 1, tmp);
    for (int b = 0; b < (bit_width + 7) / 8; b++)
        tmp[n++] = (uint8_t)(value >> (8 * b));
    return ls_buf_append(out, tmp, n, err);
}

static inline ls_code rle_hybrid(ls_buf *out, const void *values, bool is_u8, size_t count,
                                 int bit_width, ls_error *err)
{
    /* Literals are always values[lit_start, lit_start + lit_count) and end at i. */
    size_t i = 0, lit_start = 0, lit_count = 0;
    ls_code rc = LS_OK;
    while (i < count && rc == LS_OK) {
        uint32_t v = value_at(values, is_u8, i);
        size_t j = i + 1;
        while (j < count && value_at(values, is_u8, j) == v)
            j++;
        size_t run = j - i;
        /* A bit-packed run holds a multiple of 8 values unless it ends the data,
         * so borrow from the run to align the literals before an RLE run. */
        size_t pad = lit_count % 8 ? 8 - lit_count % 8 : 0;
        if (run >= 8 + pad) {
            rc = flush_literals(out, values, is_u8, lit_start, lit_count + pad, bit_width, err);
            if (rc == LS_OK)
                rc = emit_rle(out, v, run - pad, bit_width, err);
            i = j;
            lit_start = j;
            lit_count = 0;
            continue;
        }
        lit_count += run;
        i = j;
    }
    if (rc == LS_OK)
        rc = flush_literals(out, values, is_u8, lit_start, lit_count, bit_width, err);
    return rc;
}

ls_code ls_rle_hybrid_append(ls_buf *out, const uint32_t *values, size_t count, int bit_width,
                             ls_error *err)
{
    return rle_hybrid(out, values, false, count, bit_width, err);
}

ls_code ls_rle_hybrid_append_u8(ls_buf *out, const uint8_t *values, size_t count, int bit_width,
                                ls_error *err)
{
    return rle_hybrid(out, values, true, count, bit_width, err);
}

/* ---- dictionary ---- */

/* Loads the last n (1..7) bytes little-endian; a fixed-size loop, since a
 * variable-length memcpy is a library call on this hot path. */
static inline uint64_t load64_tail(const uint8_t *p, size_t n)
{
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++)
        k |= (uint64_t)p[i] << (8 * i);
    return k;
}

static inline uint64_t load64_at(const uint8_t *p)
{
    uint64_t k;
    memcpy(&k, p, 8);
    return k;
}

/* The hash of a value of at most 16 bytes, the common dictionary entry: the
 * value in two words (overlapping when shorter than 16 bytes, which with
 * the length still tells values apart) mixed by multiplications, the high
 * half taken: about a third of the general loop's work. */
static inline uint32_t hash_short(const uint8_t *p, size_t len)
{
    uint64_t a, b;
    if (len >= 8) {
        a = load64_at(p);
        b = load64_at(p + len - 8);
    } else if (len >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + len - 4, 4);
        a = lo;
        b = hi;
    } else {
        a = load64_tail(p, len);
        b = 0;
    }
    uint64_t x = (a ^ len) * 0x9E3779B97F4A7C15ull ^ b * 0xC2B2AE3D27D4EB4Full;
    x ^= x >> 29;
    return (uint32_t)((x * 0xBF58476D1CE4E5B9ull) >> 32);
}

uint32_t ls_parquet_hash_bytes(const void *data, size_t len)
{
    const uint8_t *p = data;
    if (len <= 16)
        return hash_short(p, len);
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (len * 0xC2B2AE3D27D4EB4Full);
    while (len >= 8) {
        uint64_t k;
        memcpy(&k, p, 8);
        k *= 0x87C37B91114253D5ull;
        k = (k << 31) | (k >> 33);
        h = (h ^ (k * 0x4CF5AD432745937Full)) * 0x9E3779B97F4A7C15ull;
        h = (h << 27) | (h >> 37);
        p += 8;
        len -= 8;
    }
    if (len) {
        /* The tail in one or two loads instead of a byte loop: past the first
         * word, the value's last 8 bytes (overlapping bytes already mixed
         * in); a short value of 4 to 7 bytes, two overlapping half-words. */
        uint64_t k;
        if ((const uint8_t *)data + 8 <= p) {
            k = load64_at(p + len - 8);
        } else if (len >= 4) {
            uint32_t lo, hi;
            memcpy(&lo, p, 4);
            memcpy(&hi, p + len - 4, 4);
            k = (uint64_t)hi << 32 | lo;
        } else {
            k = load64_tail(p, len);
        }
        k *= 0x87C37B91114253D5ull;
        h ^= (k << 31) | (k >> 33);
    }
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    return (uint32_t)h;
}

/* Dictionary buffers never pass 2 GiB: offsets and page sizes are 32-bit. */
#define DICT_BUFFER_MAX ((size_t)INT32_MAX)

void ls_parquet_dict_init(ls_parquet_dict *dict, size_t value_width)
{
    memset(dict, 0, sizeof *dict);
    dict->value_width = value_width;
    ls_buf_init(&dict->keys, DICT_BUFFER_MAX);
    ls_buf_init(&dict->plain, DICT_BUFFER_MAX);
    ls_buf_init(&dict->offsets, DICT_BUFFER_MAX);
}

void ls_parquet_dict_cleanup(ls_parquet_dict *dict)
{
    if (!dict)
        return;
    ls_buf_cleanup(&dict->keys);
    ls_buf_cleanup(&dict->plain);
    ls_buf_cleanup(&dict->offsets);
    free(dict->slots);
    dict->slots = NULL;
    dict->slot_mask = 0;
    dict->count = 0;
}

void ls_parquet_dict_reset(ls_parquet_dict *dict)
{
    ls_buf_reset(&dict->keys);
    ls_buf_reset(&dict->plain);
    ls_buf_reset(&dict->offsets);
    if (dict->slots)
        memset(dict->slots, 0, ((size_t)dict->slot_mask + 1) * sizeof *dict->slots);
    dict->count = 0;
}

size_t ls_parquet_dict_plain_bytes(const ls_parquet_dict *dict)
{
    return dict->value_width ? dict->keys.len : dict->plain.len;
}

static inline uint64_t slot_make(uint32_t hash, uint32_t entry)
{
    return (uint64_t)hash << 32 | (entry + 1);
}

/* Doubles the slot array (or creates it) and moves every slot over. */
static ls_code dict_grow(ls_parquet_dict *dict, ls_error *err)
{
    size_t old_count = dict->slots ? (size_t)dict->slot_mask + 1 : 0;
    size_t slot_count = old_count ? old_count * 2 : 1024;
    if (slot_count > ((size_t)1 << 31))
        return ls_error_set(err, LS_ERR_TOO_LARGE, "dictionary has too many entries");
    uint64_t *slots = calloc(slot_count, sizeof *slots);
    if (!slots)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory growing a dictionary");
    uint32_t mask = (uint32_t)(slot_count - 1);
    for (size_t i = 0; i < old_count; i++) {
        uint64_t slot = dict->slots[i];
        if (!slot)
            continue;
        uint32_t s = (uint32_t)(slot >> 32) & mask;
        while (slots[s])
            s = (s + 1) & mask;
        slots[s] = slot;
    }
    free(dict->slots);
    dict->slots = slots;
    dict->slot_mask = mask;
    return LS_OK;
}

static ls_code dict_append_entry(ls_parquet_dict *dict, const void *value, size_t len,
                                 ls_error *err)
{
    if (dict->value_width)
        return ls_buf_append(&dict->keys, value, len, err);
    if (len > DICT_BUFFER_MAX)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "dictionary value too large");
    uint32_t start = (uint32_t)dict->plain.len, len32 = (uint32_t)len;
    ls_code rc = ls_buf_reserve(&dict->plain, 4 + len, err);
    if (rc == LS_OK)
        rc = ls_buf_append(&dict->offsets, &start, 4, err);
    if (rc)
        return rc;
    memcpy(dict->plain.data + dict->plain.len, &len32, 4);
    if (len)
        memcpy(dict->plain.data + dict->plain.len + 4, value, len);
    dict->plain.len += 4 + len;
    dict->plain.data[dict->plain.len] = '\0';
    return LS_OK;
}

ls_code ls_parquet_dict_put_hashed(ls_parquet_dict *dict, const void *value, size_t len,
                                   uint32_t *index, bool *added, ls_error *err)
{
    ls_code rc;
    /* The table is kept at most half full (see below), so a probe always
     * meets an empty slot; it only has to exist. */
    if (!dict->slots && (rc = dict_grow(dict, err)))
        return rc;
    uint32_t hash = ls_parquet_hash_bytes(value, len);
    uint32_t s = hash & dict->slot_mask;
    for (uint64_t slot; (slot = dict->slots[s]) != 0; s = (s + 1) & dict->slot_mask) {
        uint32_t e = (uint32_t)slot - 1;
        if ((uint32_t)(slot >> 32) == hash && ls_parquet_dict_entry_equals(dict, e, value, len)) {
            dict->last_index = e;
            *index = e;
            *added = false;
            return LS_OK;
        }
    }
    rc = dict_append_entry(dict, value, len, err);
    if (rc)
        return rc;
    dict->slots[s] = slot_make(hash, dict->count);
    dict->last_index = dict->count;
    *index = dict->count++;
    *added = true;
    if ((size_t)dict->count * 2 >= (size_t)dict->slot_mask + 1)
        return dict_grow(dict, err); /* on failure the table is still usable */
    return LS_OK;
}
