/*
 * From the Parquet writer's file statistics (parquet_writer.h) to an Iceberg
 * data file entry (iceberg_manifest.h). A separate module (ls_iceberg_parquet)
 * so ls_iceberg does not depend on the Parquet writer.
 */
#ifndef LAKESYNC_ICEBERG_PARQUET_H
#define LAKESYNC_ICEBERG_PARQUET_H

#include <stddef.h>
#include <stdint.h>

#include "iceberg_manifest.h"
#include "parquet_writer.h"
#include "util/error.h"

/* Fills *out for the Parquet file at path: size, record count, split offsets
 * (row-group starts) and per-column metrics: column_sizes = compressed
 * bytes, value_counts, null_value_counts, nan_value_counts (float/double
 * only) and untruncated typed bounds (ls_iceberg_manifest_write truncates).
 * columns_out must have room for stats->column_count entries and
 * split_offsets_out for stats->row_group_count; out borrows them, path,
 * partition (one value per spec field) and the stats' bound bytes, which
 * must all outlive its use. LS_ERR_INVALID for a column without a field id
 * or counts that do not fit an int64. */
ls_code ls_iceberg_data_file_from_parquet(const ls_parquet_file_stats *stats, const char *path,
                                          const ls_iceberg_value *partition,
                                          ls_iceberg_column_stats *columns_out,
                                          int64_t *split_offsets_out, ls_iceberg_data_file *out,
                                          ls_error *err) LS_MUST_USE;

#endif
