/*
 * From a Parquet data file written by ls_parquet to its Paimon manifest entry:
 * value stats in Paimon's default metadata.stats-mode truncate(16), the
 * partition row, and the DataFileMeta of a new APPEND file (for the worker
 * and the committer).
 */
#ifndef LAKESYNC_PAIMON_STATS_H
#define LAKESYNC_PAIMON_STATS_H

#include <stdint.h>

#include "paimon_meta.h"
#include "parquet_writer.h"
#include "util/error.h"

/* Paimon's default stats truncation length (truncate(16)). */
#define LS_PAIMON_STATS_TRUNCATE_LENGTH 16

/* Value stats (one column per schema field, schema order) from the Parquet
 * writer's column stats, matched by field id. Strings keep their first 16
 * code points for min, and for max the first 16 with the last one incremented
 * (unknown when it cannot be); BYTES, FLOAT/DOUBLE with NaN, columns missing
 * from the file and columns without min/max are unknown (null) — always true
 * bounds, which readers prune with. Null counts come from the file. */
ls_code ls_paimon_value_stats_from_parquet(const ls_paimon_schema *schema,
                                           const ls_parquet_file_stats *file,
                                           ls_paimon_stats *out, ls_error *err) LS_MUST_USE;

/* Fills entry (uninitialized) with an ADD of a new file in a bucket-unaware
 * table: bucket 0, total buckets -1, partition = the serialized row of
 * partition_values (schema partition-key order, NULL when unpartitioned),
 * DataFileMeta from ls_paimon_data_file_init_append with the file's size and
 * rows, schema->id, and value stats from the Parquet stats. */
ls_code ls_paimon_entry_for_parquet_file(const ls_paimon_schema *schema,
                                         const ls_paimon_datum *partition_values,
                                         const char *file_name,
                                         const ls_parquet_file_stats *file,
                                         int64_t creation_time_millis,
                                         ls_paimon_manifest_entry *entry,
                                         ls_error *err) LS_MUST_USE;

/* _CREATION_TIME as Paimon writes it: the local wall-clock time of utc_millis
 * encoded as if it were UTC (Timestamp.fromLocalDateTime(LocalDateTime.now())). */
int64_t ls_paimon_creation_time_millis(int64_t utc_millis);

#endif
