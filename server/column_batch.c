#include "column_batch.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Hard per-buffer ceilings: offsets are uint32, so one column's bytes stay
 * under 4 GiB; the batch cap (max_bytes) is normally far lower. */
#define COLUMN_BUFFER_MAX ((size_t)UINT32_MAX - 1)

size_t ls_storage_width(ls_storage storage)
{
    switch (storage) {
    case LS_STORAGE_BOOL: return 1;
    case LS_STORAGE_INT32: return 4;
    case LS_STORAGE_INT64: return 8;
    case LS_STORAGE_FLOAT: return 4;
    case LS_STORAGE_DOUBLE: return 8;
    case LS_STORAGE_INT128: return 16;
    case LS_STORAGE_BYTES: return 0;
    }
    return 0;
}

static void column_cleanup(ls_column *col)
{
    ls_buf_cleanup(&col->valid);
    ls_buf_cleanup(&col->values);
    ls_buf_cleanup(&col->offsets);
    ls_buf_cleanup(&col->bytes);
}

static int column_init(ls_column *col, ls_type type)
{
    memset(col, 0, sizeof *col);
    col->type = type;
    col->storage = ls_type_storage(type);
    ls_buf_init(&col->valid, COLUMN_BUFFER_MAX);
    ls_buf_init(&col->values, COLUMN_BUFFER_MAX);
    ls_buf_init(&col->offsets, COLUMN_BUFFER_MAX);
    ls_buf_init(&col->bytes, COLUMN_BUFFER_MAX);
    if (col->storage == LS_STORAGE_BYTES) {
        uint32_t zero = 0;
        if (ls_buf_append(&col->offsets, &zero, sizeof zero, NULL))
            return -1;
    }
    return 0;
}

ls_column_batch *ls_column_batch_new(const ls_type *types, size_t column_count, size_t max_bytes)
{
    ls_column_batch *batch = calloc(1, sizeof *batch);
    if (!batch)
        return NULL;
    batch->columns = calloc(column_count ? column_count : 1, sizeof *batch->columns);
    if (!batch->columns) {
        free(batch);
        return NULL;
    }
    static _Atomic uint64_t last_id;
    batch->id = ++last_id;
    batch->max_bytes = max_bytes;
    for (size_t i = 0; i < column_count; i++) {
        batch->column_count = i + 1;
        if (column_init(&batch->columns[i], types[i])) {
            ls_column_batch_free(batch);
            return NULL;
        }
    }
    batch->column_count = column_count;
    return batch;
}

void ls_column_batch_free(ls_column_batch *batch)
{
    if (!batch)
        return;
    for (size_t i = 0; i < batch->column_count; i++)
        column_cleanup(&batch->columns[i]);
    free(batch->columns);
    free(batch);
}

void ls_column_batch_reset(ls_column_batch *batch)
{
    for (size_t i = 0; i < batch->column_count; i++) {
        ls_column *col = &batch->columns[i];
        ls_buf_reset(&col->valid);
        ls_buf_reset(&col->values);
        ls_buf_reset(&col->bytes);
        if (col->storage == LS_STORAGE_BYTES)
            col->offsets.len = sizeof(uint32_t); /* keep the leading 0 */
        col->value_count = 0;
        col->set_in_row = false;
    }
    batch->row_count = 0;
    batch->in_row = false;
}

size_t ls_column_batch_bytes(const ls_column_batch *batch)
{
    size_t total = 0;
    for (size_t i = 0; i < batch->column_count; i++) {
        const ls_column *col = &batch->columns[i];
        total += col->valid.len + col->values.len + col->offsets.len + col->bytes.len;
    }
    return total;
}

/* Between rows every column has set_in_row false (row_end, row_abort and
 * reset clear it), so opening a row touches no column. */
void ls_column_batch_row_begin(ls_column_batch *batch)
{
    assert(!batch->in_row);
    batch->in_row = true;
}

/* Drops the value the open row gave col, if any, so it can be set again. The
 * row's entry is always the column's last one: a null is one valid byte; a
 * value also the last fixed-width value, or the last offset and its bytes. */
static void column_undo_row(ls_column *col)
{
    if (!col->set_in_row)
        return;
    col->set_in_row = false;
    if (col->valid.data[--col->valid.len] == 0)
        return;
    col->value_count--;
    if (col->storage == LS_STORAGE_BYTES) {
        uint32_t end;
        col->offsets.len -= sizeof end;
        memcpy(&end, col->offsets.data + col->offsets.len - sizeof end, sizeof end);
        col->bytes.len = end;
    } else {
        col->values.len -= ls_storage_width(col->storage);
    }
}

void ls_column_batch_row_abort(ls_column_batch *batch)
{
    assert(batch->in_row);
    for (size_t i = 0; i < batch->column_count; i++)
        column_undo_row(&batch->columns[i]);
    batch->in_row = false;
}

/* Aborts the row from inside row_end, where columns [0, closed) already had
 * set_in_row cleared although they hold an entry of this row. */
static void row_end_abort(ls_column_batch *batch, size_t closed)
{
    for (size_t i = 0; i < closed; i++)
        batch->columns[i].set_in_row = true;
    ls_column_batch_row_abort(batch);
}

ls_code ls_column_batch_row_end(ls_column_batch *batch, ls_error *err)
{
    assert(batch->in_row);
    size_t total = 0; /* ls_column_batch_bytes, summed in the same pass */
    for (size_t i = 0; i < batch->column_count; i++) {
        ls_column *col = &batch->columns[i];
        if (!col->set_in_row) {
            ls_code rc = ls_column_set_null(col, err);
            if (rc) {
                row_end_abort(batch, i);
                return rc;
            }
        }
        /* Cleared for the next row; every column now ends with this row's entry. */
        col->set_in_row = false;
        total += col->valid.len + col->values.len + col->offsets.len + col->bytes.len;
    }
    if (batch->row_count > 0 && total > batch->max_bytes) {
        row_end_abort(batch, batch->column_count);
        return ls_error_set(err, LS_ERR_TOO_LARGE,
                            "column batch is full (%zu bytes cap)", batch->max_bytes);
    }
    batch->in_row = false;
    batch->row_count++;
    return LS_OK;
}

ls_code ls_column_set_null(ls_column *col, ls_error *err)
{
    column_undo_row(col);
    ls_code rc = ls_buf_append_byte(&col->valid, 0, err);
    if (rc)
        return rc;
    col->set_in_row = true;
    return LS_OK;
}

ls_code ls_column_set_fixed_slow(ls_column *col, const void *value, size_t width, ls_error *err)
{
    column_undo_row(col);
    ls_code rc = ls_buf_reserve(&col->valid, 1, err);
    if (!rc)
        rc = ls_buf_append(&col->values, value, width, err);
    if (rc)
        return rc;
    col->valid.data[col->valid.len++] = 1;
    col->value_count++;
    col->set_in_row = true;
    return LS_OK;
}

ls_code ls_column_set_int32(ls_column *col, int32_t value, ls_error *err)
{
    assert(col->storage == LS_STORAGE_INT32);
    return ls_column_set_fixed_slow(col, &value, sizeof value, err);
}

ls_code ls_column_set_float(ls_column *col, float value, ls_error *err)
{
    assert(col->storage == LS_STORAGE_FLOAT);
    return ls_column_set_fixed_slow(col, &value, sizeof value, err);
}

ls_code ls_column_set_int128(ls_column *col, ls_int128 value, ls_error *err)
{
    assert(col->storage == LS_STORAGE_INT128);
    return ls_column_set_fixed_slow(col, &value, sizeof value, err);
}

ls_code ls_column_set_bytes_slow(ls_column *col, const void *data, size_t len, ls_error *err)
{
    assert(col->storage == LS_STORAGE_BYTES);
    column_undo_row(col);
    ls_code rc = ls_buf_reserve(&col->valid, 1, err);
    if (!rc)
        rc = ls_buf_reserve(&col->offsets, sizeof(uint32_t), err);
    if (!rc)
        rc = ls_buf_append(&col->bytes, data, len, err);
    if (rc)
        return rc;
    ls_column_bytes_appended(col);
    return LS_OK;
}
