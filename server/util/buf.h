/*
 * A growable byte buffer with a hard cap (STYLE.md rule 9; after curl's dynbuf).
 *
 * ls_buf is caller-provided storage: ls_buf_init / ls_buf_cleanup. Appending
 * past max_bytes fails with LS_ERR_TOO_LARGE and leaves the buffer unchanged,
 * so a caller can report the cap instead of crashing. data is always
 * NUL-terminated past len (the NUL is not counted), so text can be used as a
 * C string.
 */
#ifndef LAKESYNC_UTIL_BUF_H
#define LAKESYNC_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/error.h"

typedef struct ls_buf {
    uint8_t *data;    /* NULL until the first append */
    size_t len;       /* bytes used */
    size_t cap;       /* bytes allocated, excluding the NUL slot */
    size_t max_bytes; /* the hard cap on len */
} ls_buf;

/* Prepares an empty buffer that may hold up to max_bytes. Allocates nothing. */
void ls_buf_init(ls_buf *b, size_t max_bytes);

/* Frees the storage; the buffer is empty and reusable afterwards. NULL-safe. */
void ls_buf_cleanup(ls_buf *b);

/* Sets len to 0, keeping the allocation. */
void ls_buf_reset(ls_buf *b);

/* ls_buf_reserve's slow path: checks the cap and grows the allocation. */
ls_code ls_buf_grow(ls_buf *b, size_t extra, ls_error *err) LS_MUST_USE;

/* Makes room for extra more bytes. LS_ERR_TOO_LARGE past max_bytes,
 * LS_ERR_NOMEM when allocation fails. Inline because the column batch and
 * the Parquet encoders call it per value: room that is already there (cap
 * never exceeds max_bytes) needs no call. */
LS_MUST_USE static inline ls_code ls_buf_reserve(ls_buf *b, size_t extra, ls_error *err)
{
    if (b->data && extra <= b->cap - b->len)
        return LS_OK;
    return ls_buf_grow(b, extra, err);
}

/* memcpy for the short values of the hot paths (column values, dictionary
 * entries): 4 to 16 bytes move as two overlapping words, all loads before
 * the stores, without a library call; others use memcpy. */
static inline void ls_buf_copy(uint8_t *dst, const uint8_t *src, size_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t head, tail;
        memcpy(&head, src, 8);
        memcpy(&tail, src + n - 8, 8);
        memcpy(dst, &head, 8);
        memcpy(dst + n - 8, &tail, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t head, tail;
        memcpy(&head, src, 4);
        memcpy(&tail, src + n - 4, 4);
        memcpy(dst, &head, 4);
        memcpy(dst + n - 4, &tail, 4);
    } else if (n) {
        memcpy(dst, src, n);
    }
}

/* Appends n bytes. */
LS_MUST_USE static inline ls_code ls_buf_append(ls_buf *b, const void *data, size_t n,
                                                ls_error *err)
{
    ls_code rc = ls_buf_reserve(b, n, err);
    if (rc)
        return rc;
    ls_buf_copy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return LS_OK;
}

/* Appends a NUL-terminated string (without its NUL). */
ls_code ls_buf_append_str(ls_buf *b, const char *s, ls_error *err) LS_MUST_USE;

/* Appends formatted text. */
ls_code ls_buf_printf(ls_buf *b, ls_error *err, const char *fmt, ...) LS_PRINTF(3, 4) LS_MUST_USE;

/* Appends one byte. */
LS_MUST_USE static inline ls_code ls_buf_append_byte(ls_buf *b, uint8_t byte, ls_error *err)
{
    return ls_buf_append(b, &byte, 1, err);
}

/* Moves the storage out: returns data (caller frees with free(); never NULL for
 * an empty buffer: an empty string is allocated) and stores the length in
 * *len_out when non-NULL. The buffer is empty afterwards. NULL on allocation
 * failure. */
uint8_t *ls_buf_take(ls_buf *b, size_t *len_out);

#endif
