#include "util/sink.h"

static ls_code buf_sink_write(void *ctx, const void *data, size_t len, ls_error *err)
{
    return ls_buf_append((ls_buf *)ctx, data, len, err);
}

ls_sink ls_sink_for_buf(ls_buf *buf)
{
    return (ls_sink){.write = buf_sink_write, .ctx = buf, .bytes_written = 0};
}
