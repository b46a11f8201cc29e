/*
 * Parquet value encodings (apache/parquet-format Encodings.md): the RLE /
 * bit-packing hybrid used for definition levels and dictionary indices, and
 * the dictionary that maps values to indices.
 *
 * Pure functions over caller-owned buffers; nothing here does I/O.
 */
#ifndef LAKESYNC_PARQUET_ENCODE_H
#define LAKESYNC_PARQUET_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/buf.h"
#include "util/text.h"
#include "util/error.h"

/* Bits needed to store values 0..max_value (0 for max_value 0). */
int ls_bit_width(uint32_t max_value);

/* Appends count values of bit_width bits (0..32) packed LSB-first, padded with
 * zero bits to a whole byte. */
ls_code ls_bitpack_append(ls_buf *out, const uint32_t *values, size_t count, int bit_width,
                          ls_error *err) LS_MUST_USE;

/* Appends the RLE/bit-packed hybrid encoding of count values (each below
 * 2^bit_width) without a length prefix. Runs of 8 or more equal values become
 * RLE runs; the rest is bit-packed in groups of 8, the last group padded with
 * zeros (readers stop at the count they expect). */
ls_code ls_rle_hybrid_append(ls_buf *out, const uint32_t *values, size_t count, int bit_width,
                             ls_error *err) LS_MUST_USE;

/* The same for byte-sized values (definition levels). */
ls_code ls_rle_hybrid_append_u8(ls_buf *out, const uint8_t *values, size_t count, int bit_width,
                                ls_error *err) LS_MUST_USE;

/*
 * A dictionary of distinct values, in insertion order. Keys are either fixed
 * width (value_width bytes, compared bytewise) or variable length
 * (value_width 0). The dictionary keeps each entry's PLAIN encoding for
 * variable-length keys (4-byte length + bytes) in plain, so the dictionary
 * page body of a BYTE_ARRAY column is plain itself; fixed-width keys are kept
 * as given in keys.
 *
 * ls_parquet_dict_init / _cleanup for caller-provided storage; _reset empties
 * it keeping allocations.
 */
typedef struct ls_parquet_dict {
    size_t value_width;  /* bytes per fixed-width key; 0 = variable length */
    uint32_t count;      /* entries */
    ls_buf keys;         /* fixed width: count * value_width bytes */
    ls_buf plain;        /* variable length: PLAIN encoding of all entries */
    ls_buf offsets;      /* variable length: uint32 start of each entry in plain */
    /* Open addressing, linear probing. A slot holds an entry's 32-bit hash
     * (high half) and its index + 1 (low half), 0 when empty: a probe rejects
     * most other entries without touching them. */
    uint64_t *slots;
    uint32_t slot_mask;  /* slot count - 1 (a power of two), 0 before the first insert */
    uint32_t last_index; /* the entry found or added last (valid when count > 0) */
} ls_parquet_dict;

void ls_parquet_dict_init(ls_parquet_dict *dict, size_t value_width);
void ls_parquet_dict_cleanup(ls_parquet_dict *dict);
void ls_parquet_dict_reset(ls_parquet_dict *dict);

/* ls_parquet_dict_put past its inline check of the last entry. */
ls_code ls_parquet_dict_put_hashed(ls_parquet_dict *dict, const void *value, size_t len,
                                   uint32_t *index, bool *added, ls_error *err) LS_MUST_USE;

/* The fixed-width key of entry index. */
static inline const uint8_t *ls_parquet_dict_key(const ls_parquet_dict *dict, uint32_t index)
{
    return dict->keys.data + (size_t)index * dict->value_width;
}

/* The bytes of variable-length entry index (without the length prefix). */
static inline const uint8_t *ls_parquet_dict_bytes(const ls_parquet_dict *dict, uint32_t index,
                                                   size_t *len_out)
{
    const uint32_t *offsets = (const uint32_t *)(const void *)dict->offsets.data;
    uint32_t start = offsets[index];
    uint32_t len;
    memcpy(&len, dict->plain.data + start, 4);
    *len_out = len;
    return dict->plain.data + start + 4;
}

/* Whether entry e holds value (len bytes). */
static inline bool ls_parquet_dict_entry_equals(const ls_parquet_dict *dict, uint32_t e,
                                                const void *value, size_t len)
{
    /* len == 8 always holds here; saying so lets GCC's bounds check see that
     * a short value given to a variable-length dictionary never gets here. */
    if (dict->value_width == 8 && len == 8) {
        uint64_t a, b;
        memcpy(&a, ls_parquet_dict_key(dict, e), 8);
        memcpy(&b, value, 8);
        return a == b;
    }
    if (dict->value_width)
        return ls_bytes_equal(ls_parquet_dict_key(dict, e), value, len);
    size_t entry_len;
    const uint8_t *bytes = ls_parquet_dict_bytes(dict, e, &entry_len);
    return entry_len == len && ls_bytes_equal(bytes, value, len);
}

/* Finds the value or adds it. Stores its index in *index and sets *added when
 * it is new. len must equal value_width for fixed-width dictionaries.
 * Consecutive equal values are common (constant or sorted columns), so the
 * entry found or added last is checked first, inline, before any hashing. */
static inline ls_code ls_parquet_dict_put(ls_parquet_dict *dict, const void *value, size_t len,
                                          uint32_t *index, bool *added, ls_error *err)
{
    if (dict->count && ls_parquet_dict_entry_equals(dict, dict->last_index, value, len)) {
        *index = dict->last_index;
        *added = false;
        return LS_OK;
    }
    return ls_parquet_dict_put_hashed(dict, value, len, index, added, err);
}

/* Bytes the dictionary's entries take PLAIN-encoded (variable length:
 * including the 4-byte length prefixes; fixed width: count * value_width). */
size_t ls_parquet_dict_plain_bytes(const ls_parquet_dict *dict);

/* A fast 32-bit hash of bytes (not cryptographic). */
uint32_t ls_parquet_hash_bytes(const void *data, size_t len);

#endif
