/*
 * A byte sink: where streamed output goes. The Parquet writer writes into one;
 * a local file, a memory buffer and an object-store multipart upload each
 * provide one. A sink never sees the whole object at once.
 *
 * write is called with consecutive chunks; it returns LS_OK or an error (and
 * fills err). After an error the producer stops writing and the owner of the
 * sink aborts it (removing any partial object), so a cut-short file is never
 * left looking complete.
 */
#ifndef LAKESYNC_UTIL_SINK_H
#define LAKESYNC_UTIL_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"

typedef struct ls_sink {
    ls_code (*write)(void *ctx, const void *data, size_t len, ls_error *err);
    void *ctx;
    uint64_t bytes_written; /* maintained by ls_sink_write */
} ls_sink;

/* Writes len bytes to the sink and counts them. */
static inline ls_code ls_sink_write(ls_sink *sink, const void *data, size_t len, ls_error *err)
{
    ls_code rc = sink->write(sink->ctx, data, len, err);
    if (rc == LS_OK)
        sink->bytes_written += len;
    return rc;
}

/* A sink appending to an ls_buf (for tests and small objects such as
 * manifests). The buffer's cap applies. */
ls_sink ls_sink_for_buf(ls_buf *buf);

#endif
