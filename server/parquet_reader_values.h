/*
 * Value decoding for the Parquet reader (Encodings.md). Internal; see
 * parquet_reader_values.c.
 */
#ifndef LAKESYNC_PARQUET_READER_VALUES_H
#define LAKESYNC_PARQUET_READER_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parquet_reader_internal.h"

/* Reads a ULEB128 of at most 64 bits; false when cut short or too long. */
bool pq_read_uleb(const uint8_t **pos, const uint8_t *end, uint64_t *out);

/* An RLE / bit-packed hybrid decoder over a byte range (no length prefix). */
typedef struct pq_rle {
    const uint8_t *pos, *end;
    int bit_width; /* 0..32 */
    uint64_t left; /* values left in the current run */
    bool is_packed;
    uint32_t value; /* RLE run value */
    const uint8_t *packed;
    uint64_t bit_pos; /* within the bit-packed run */
} pq_rle;

void pq_rle_init(pq_rle *d, const uint8_t *data, size_t len, int bit_width);

/* Decodes the next n values. False when the data ends first or a run is
 * malformed (a zero-length run, a value wider than the bit width). */
bool pq_rle_get(pq_rle *d, uint32_t *out, size_t n);

/* Makes room for n more values. */
ls_code pq_values_reserve(const pq_column_desc *d, pq_values *out, size_t n,
                          ls_error *err) LS_MUST_USE;

/* Appends one physical value (PLAIN bytes of a fixed-width type, or a byte
 * array's bytes), converted to the column's storage. */
ls_code pq_values_put(const pq_column_desc *d, pq_values *out, const uint8_t *p, size_t len,
                      ls_error *err) LS_MUST_USE;

/* Decodes n values of the given encoding (not the dictionary ones) from the
 * page's value section p..p+len into out. */
ls_code pq_decode_values(const pq_column_desc *d, int encoding, const uint8_t *p, size_t len,
                         size_t n, pq_values *out, pq_scratch *s, ls_error *err) LS_MUST_USE;

#endif
