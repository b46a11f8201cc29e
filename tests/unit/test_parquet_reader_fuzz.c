/*
 * libFuzzer entry for the Parquet reader: any bytes as a whole file, opened
 * and read completely with small caps. Built only with -DLAKESYNC_FUZZ=ON
 * (clang); seed it with the fixtures' .parquet files and
 * tests/data/parquet_reader/. Errors are fine; crashes, leaks and sanitizer
 * reports are bugs.
 */
#include <stddef.h>
#include <stdint.h>

#include "parquet_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ls_parquet_reader_options o;
    ls_parquet_reader_options_init(&o);
    o.max_footer_bytes = (size_t)1 << 20;
    o.max_chunk_bytes = (size_t)16 << 20;
    o.max_page_bytes = (size_t)16 << 20;
    o.max_batch_bytes = (size_t)64 << 20;
    ls_error err;
    ls_error_clear(&err);
    ls_parquet_reader *r = ls_parquet_reader_open_buffer(data, size, &o, &err);
    if (!r)
        return 0;
    ls_column_batch *batch = ls_parquet_reader_batch_new(r, NULL, 0);
    for (size_t g = 0; batch && g < ls_parquet_reader_row_group_count(r); g++) {
        ls_parquet_chunk_stats stats;
        for (size_t c = 0; c < ls_parquet_reader_column_count(r); c++)
            (void)ls_parquet_reader_chunk_stats(r, g, c, &stats, &err);
        if (ls_parquet_reader_read_row_group(r, g, NULL, 0, batch, &err))
            break;
    }
    ls_column_batch_free(batch);
    ls_parquet_reader_free(r);
    return 0;
}
