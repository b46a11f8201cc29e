#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ls_buf_init(ls_buf *b, size_t max_bytes)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max_bytes = max_bytes;
}

void ls_buf_cleanup(ls_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void ls_buf_reset(ls_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

ls_code ls_buf_grow(ls_buf *b, size_t extra, ls_error *err)
{
    if (extra > b->max_bytes || b->len > b->max_bytes - extra)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "buffer would exceed its cap of %zu bytes",
                            b->max_bytes);
    size_t need = b->len + extra;
    if (need <= b->cap && b->data)
        return LS_OK;
    /* Grow geometrically so appends are amortized O(1), but never past the cap. */
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max_bytes)
        cap = b->max_bytes;
    uint8_t *data = realloc(b->data, cap + 1);
    if (!data)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory growing a buffer to %zu bytes", cap);
    b->data = data;
    b->cap = cap;
    return LS_OK;
}

ls_code ls_buf_append_str(ls_buf *b, const char *s, ls_error *err)
{
    return ls_buf_append(b, s, strlen(s), err);
}

ls_code ls_buf_printf(ls_buf *b, ls_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return ls_error_set(err, LS_ERR_INTERNAL, "bad format string");
    ls_code rc = ls_buf_reserve(b, (size_t)n, err);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return LS_OK;
}

uint8_t *ls_buf_take(ls_buf *b, size_t *len_out)
{
    uint8_t *data = b->data;
    size_t len = b->len;
    if (!data) {
        data = calloc(1, 1);
        if (!data)
            return NULL;
        len = 0;
    }
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    if (len_out)
        *len_out = len;
    return data;
}
