/*
 * A batch of rows stored column by column: what the JSON scanner produces and
 * the Parquet writer consumes. Pure data structure, no I/O.
 *
 * Layout of one column (all dense, in row order):
 *   valid[r]       1 when row r has a value, 0 when it is null (row_count bytes)
 *   values         non-null fixed-width values only (value_count of them), as
 *                  ls_type_storage() says; nulls take no space
 *   offsets        for LS_STORAGE_BYTES: value_count + 1 uint32 byte offsets
 *                  into bytes (offsets[0] == 0)
 *   bytes          concatenated variable-length values
 *
 * Rows are built between ls_column_batch_row_begin and _row_end or _row_abort.
 * Within a row each column receives at most one value; setting a column again
 * in the same row replaces its value (JSON duplicate keys: last wins). Columns
 * not set by _row_end become null. _row_abort removes everything the row added,
 * so a message that fails half-way leaves no trace in the batch.
 *
 * Caps: the batch refuses a row (LS_ERR_TOO_LARGE) once its total memory
 * would pass max_bytes; the caller flushes and retries the row in a fresh
 * batch. A single value larger than the cap is an error for that row.
 */
#ifndef LAKESYNC_COLUMN_BATCH_H
#define LAKESYNC_COLUMN_BATCH_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "schema_type.h"
#include "util/buf.h"
#include "util/error.h"

typedef struct ls_column {
    ls_type type;
    ls_storage storage;
    ls_buf valid;   /* uint8_t per row */
    ls_buf values;  /* fixed-width non-null values */
    ls_buf offsets; /* uint32_t per non-null value + 1, LS_STORAGE_BYTES only */
    ls_buf bytes;   /* LS_STORAGE_BYTES only */
    size_t value_count;
    bool set_in_row; /* a value or an explicit null was given in the open row */
} ls_column;

typedef struct ls_column_batch {
    ls_column *columns;
    size_t column_count;
    size_t row_count;  /* completed rows */
    size_t max_bytes;  /* cap on the sum of all column buffers */
    bool in_row;
    /* Unique among the batches this process created (never 0): a consumer
     * that checked the column types of a batch can remember it by id
     * instead of checking again for every row. */
    uint64_t id;
} ls_column_batch;

/* Creates a batch with one column per type. Caller frees with
 * ls_column_batch_free. NULL on allocation failure. */
ls_column_batch *ls_column_batch_new(const ls_type *types, size_t column_count, size_t max_bytes);

/* Frees the batch and its buffers. NULL-safe. */
void ls_column_batch_free(ls_column_batch *batch);

/* Empties the batch (row_count 0), keeping allocations for reuse. */
void ls_column_batch_reset(ls_column_batch *batch);

/* Bytes held by all column buffers (used, not allocated). */
size_t ls_column_batch_bytes(const ls_column_batch *batch);

/* Opens a row. Must not be called while a row is open. */
void ls_column_batch_row_begin(ls_column_batch *batch);

/* Closes the row: unset columns become null. LS_ERR_TOO_LARGE when the batch
 * passed max_bytes with this row; the row is then removed (as by _row_abort)
 * and the caller should flush and retry it. */
ls_code ls_column_batch_row_end(ls_column_batch *batch, ls_error *err) LS_MUST_USE;

/* Removes everything the open row added and closes it. */
void ls_column_batch_row_abort(ls_column_batch *batch);

/* Setters for the open row. The setter must match the column's storage
 * (asserted: a mismatch is a bug in the caller, not bad input). They fail only
 * on allocation failure or a cap. */
ls_code ls_column_set_null(ls_column *col, ls_error *err) LS_MUST_USE;
static inline ls_code ls_column_set_bool(ls_column *col, bool value,
                                        ls_error *err) LS_MUST_USE;
ls_code ls_column_set_int32(ls_column *col, int32_t value, ls_error *err) LS_MUST_USE;
static inline ls_code ls_column_set_int64(ls_column *col, int64_t value,
                                          ls_error *err) LS_MUST_USE;
ls_code ls_column_set_float(ls_column *col, float value, ls_error *err) LS_MUST_USE;
static inline ls_code ls_column_set_double(ls_column *col, double value,
                                           ls_error *err) LS_MUST_USE;
ls_code ls_column_set_int128(ls_column *col, ls_int128 value, ls_error *err) LS_MUST_USE;
static inline ls_code ls_column_set_bytes(ls_column *col, const void *data, size_t len,
                                          ls_error *err) LS_MUST_USE;

/* The out-of-line setters behind the inline ones below (any state). */
ls_code ls_column_set_fixed_slow(ls_column *col, const void *value, size_t width,
                                 ls_error *err) LS_MUST_USE;
ls_code ls_column_set_bytes_slow(ls_column *col, const void *data, size_t len,
                                 ls_error *err) LS_MUST_USE;

/* The scanner sets a value per cell, so the common case (the column's first
 * value in the row, room in its buffers) is inline: a call and three buffer
 * checks cost about as much as the store. Anything else takes the slow path. */
static inline bool ls_column_has_room(const ls_buf *b, size_t extra)
{
    return b->data && extra <= b->cap - b->len;
}

static inline ls_code ls_column_set_fixed_inline(ls_column *col, const void *value, size_t width,
                                                 ls_error *err)
{
    if (col->set_in_row || !ls_column_has_room(&col->valid, 1) ||
        !ls_column_has_room(&col->values, width))
        return ls_column_set_fixed_slow(col, value, width, err);
    memcpy(col->values.data + col->values.len, value, width);
    col->values.len += width;
    col->values.data[col->values.len] = '\0';
    col->valid.data[col->valid.len++] = 1;
    col->value_count++;
    col->set_in_row = true;
    return LS_OK;
}

static inline ls_code ls_column_set_bool(ls_column *col, bool value, ls_error *err)
{
    assert(col->storage == LS_STORAGE_BOOL);
    uint8_t byte = value ? 1 : 0;
    return ls_column_set_fixed_inline(col, &byte, 1, err);
}

static inline ls_code ls_column_set_int64(ls_column *col, int64_t value, ls_error *err)
{
    assert(col->storage == LS_STORAGE_INT64);
    return ls_column_set_fixed_inline(col, &value, sizeof value, err);
}

static inline ls_code ls_column_set_double(ls_column *col, double value, ls_error *err)
{
    assert(col->storage == LS_STORAGE_DOUBLE);
    return ls_column_set_fixed_inline(col, &value, sizeof value, err);
}

/* Records the value whose bytes were just appended to col->bytes: its end
 * offset, its valid byte, the counts. Room for the offset and the valid
 * byte is the caller's to make. Shared by both paths of ls_column_set_bytes. */
static inline void ls_column_bytes_appended(ls_column *col)
{
    uint32_t end = (uint32_t)col->bytes.len;
    memcpy(col->offsets.data + col->offsets.len, &end, sizeof end);
    col->offsets.len += sizeof end;
    col->valid.data[col->valid.len++] = 1;
    col->value_count++;
    col->set_in_row = true;
}

static inline ls_code ls_column_set_bytes(ls_column *col, const void *data, size_t len,
                                          ls_error *err)
{
    assert(col->storage == LS_STORAGE_BYTES);
    if (col->set_in_row || !ls_column_has_room(&col->valid, 1) ||
        !ls_column_has_room(&col->offsets, sizeof(uint32_t)) ||
        !ls_column_has_room(&col->bytes, len))
        return ls_column_set_bytes_slow(col, data, len, err);
    ls_buf_copy(col->bytes.data + col->bytes.len, data, len);
    col->bytes.len += len;
    col->bytes.data[col->bytes.len] = '\0';
    ls_column_bytes_appended(col);
    return LS_OK;
}

/* Bytes per fixed-width value of a storage; 0 for LS_STORAGE_BYTES. */
size_t ls_storage_width(ls_storage storage);

/* Readers for consumers. Row and value indexes are not checked beyond asserts. */
static inline bool ls_column_is_valid(const ls_column *col, size_t row)
{
    return col->valid.data[row] != 0;
}
static inline const uint8_t *ls_column_bytes_at(const ls_column *col, size_t value_index,
                                                size_t *len_out)
{
    const uint32_t *offsets = (const uint32_t *)(const void *)col->offsets.data;
    *len_out = offsets[value_index + 1] - offsets[value_index];
    return col->bytes.data + offsets[value_index];
}

#endif
