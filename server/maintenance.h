/*
 * Table maintenance for Iceberg tables written by near-real-time ingestion
 * (many small files and snapshots):
 *
 * - compaction: per partition, the live data files smaller than 3/4 of the
 *   target size are rewritten (read with the Parquet reader by field id,
 *   so files written under older schemas read correctly; written with the
 *   Parquet writer under the current schema) into files of about the target
 *   size, then committed as one Iceberg "replace" snapshot
 *   (iceberg_replace.h) on top of whatever snapshot is current by then. The
 *   rewrite runs outside the commit lock; only the commit takes it, and it
 *   fails cleanly (LS_ERR_CONFLICT, nothing committed) if a replaced file is
 *   no longer live. The snapshot carries lakesync.job-id and
 *   lakesync.offsets of the snapshot it replaces, so exactly-once fencing is
 *   unaffected. Rows are neither lost nor duplicated: the commit refuses
 *   added files whose record count differs from the removed ones'.
 * - snapshot expiration: snapshots older than max_age that are not among the
 *   newest min_keep, never the current one nor the newest ancestor carrying
 *   lakesync.offsets, leave the metadata; then every file reachable only from
 *   expired snapshots (manifest lists, manifests, data files removed by a
 *   replace) is deleted. The metadata log keeps the last 100 entries.
 * - orphan removal: files under data/ and metadata/ that no live snapshot or
 *   metadata references and that are older than orphan_age (uploads of
 *   crashed or fenced workers, compactions that never committed).
 *
 * A crash at any point leaves the table correct: files are written before
 * the pointer moves, and deleted only after it moved away from them.
 * Functions are synchronous and thread-safe for different tables; one table
 * must not be maintained by two threads at once (the scheduler ensures it).
 */
#ifndef LAKESYNC_MAINTENANCE_H
#define LAKESYNC_MAINTENANCE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "committer.h"
#include "util/error.h"

typedef struct ls_maintenance_config {
    bool enabled;                   /* default true */
    int64_t target_file_size_bytes; /* default 128 MiB */
    int64_t min_input_files;        /* default 5: fewer small files in a partition are left */
    int64_t snapshot_max_age_ms;    /* default 1 h */
    int64_t snapshot_min_keep;      /* default 10 */
    int64_t orphan_age_ms;          /* default 1 h */
    int64_t interval_ms;            /* default 5 min: the scheduler's period */
    /* Non-NULL: checked between files; once set, a run stops with
     * LS_ERR_UNAVAILABLE before its next commit (server shutdown). */
    const _Atomic bool *cancel;
} ls_maintenance_config;

/* Fills config with the defaults above. */
void ls_maintenance_config_init(ls_maintenance_config *config);

/* Reads a job's advanced.maintenance object (NULL: defaults) over the
 * defaults: {enabled, target_file_size_mb, min_input_files,
 * snapshot_retention: {max_age_s, min_keep}, orphan_age_s, interval_s}.
 * LS_ERR_INVALID naming the field ("advanced.maintenance.orphan_age_s") for
 * an unknown key, a wrong type or a value out of range. */
ls_code ls_maintenance_config_from_json(const json_t *maintenance, ls_maintenance_config *out,
                                        ls_error *err) LS_MUST_USE;

typedef struct ls_maintenance_result {
    /* compaction */
    int64_t partitions_compacted;
    int64_t files_rewritten, bytes_rewritten, records_rewritten;
    int64_t files_written, bytes_written;
    int64_t replace_snapshot_id; /* 0 when nothing was compacted */
    int64_t data_files_before, data_files_after; /* live data files */
    int64_t max_partition_files_before, max_partition_files_after;
    /* expiration */
    int64_t snapshots_expired;
    int64_t expired_files_deleted; /* manifests, lists, data files */
    /* orphans */
    int64_t orphans_deleted;
    int64_t orphan_bytes_deleted;
} ls_maintenance_result;

/* Compacts ref's table (see above). Fills the compaction part of *result.
 * LS_ERR_CONFLICT when a concurrent maintenance replaced a file first;
 * LS_ERR_UNPROCESSABLE for a Paimon table or one with delete files;
 * storage and format errors otherwise. New files of a failed commit are left
 * to orphan removal. */
ls_code ls_maintenance_compact(ls_committer *committer, const ls_table_ref *ref,
                               const ls_maintenance_config *config,
                               ls_maintenance_result *result, ls_error *err) LS_MUST_USE;

/* Compacts a Paimon append table the same way: per partition and bucket,
 * the small files rewritten (Parquet, columns by field id, the newest
 * schema) into data-<uuid>-N.parquet files beside them, committed as a
 * COMPACT snapshot with DELETE entries for the old files and ADD entries for
 * the new ones (file source COMPACT), lakesync.offsets carried over.
 * (Snapshot expiration: ls_maintenance_expire_paimon.) */
ls_code ls_maintenance_compact_paimon(ls_committer *committer, const ls_table_ref *ref,
                                      const ls_maintenance_config *config,
                                      ls_maintenance_result *result, ls_error *err) LS_MUST_USE;

/* Expires Paimon snapshots by the same rules: the snapshots before the
 * first kept one (Paimon keeps a contiguous range) lose their
 * snapshot/snapshot-N files, EARLIEST moves to the first kept, then their
 * manifest lists, the manifests no kept snapshot names and the data files
 * no kept snapshot holds are deleted. */
ls_code ls_maintenance_expire_paimon(ls_committer *committer, const ls_table_ref *ref,
                                     const ls_maintenance_config *config, int64_t now_ms,
                                     ls_maintenance_result *result, ls_error *err) LS_MUST_USE;

/* Deletes a Paimon table's manifests and data files (*.parquet in bucket
 * directories) that no snapshot names and that are older than
 * orphan_age_ms; schema and snapshot files are never touched. Dead-letter
 * tables are skipped (their job's latest snapshot may name pending files). */
ls_code ls_maintenance_remove_orphans_paimon(ls_committer *committer, const ls_table_ref *ref,
                                             const ls_maintenance_config *config, int64_t now_ms,
                                             ls_maintenance_result *result,
                                             ls_error *err) LS_MUST_USE;

/* Expires snapshots as of now_ms and deletes the files only they reached. */
ls_code ls_maintenance_expire(ls_committer *committer, const ls_table_ref *ref,
                              const ls_maintenance_config *config, int64_t now_ms,
                              ls_maintenance_result *result, ls_error *err) LS_MUST_USE;

/* Deletes files under data/ and metadata/ that nothing live references and
 * that were last modified before now_ms - orphan_age_ms. */
ls_code ls_maintenance_remove_orphans(ls_committer *committer, const ls_table_ref *ref,
                                      const ls_maintenance_config *config, int64_t now_ms,
                                      ls_maintenance_result *result, ls_error *err) LS_MUST_USE;

/* The three in order, for Iceberg and Paimon tables; the first error stops
 * the run. */
ls_code ls_maintenance_run(ls_committer *committer, const ls_table_ref *ref,
                           const ls_maintenance_config *config, int64_t now_ms,
                           ls_maintenance_result *result, ls_error *err) LS_MUST_USE;

/* The result as a JSON object (snake_case keys as in the struct). */
json_t *ls_maintenance_result_json(const ls_maintenance_result *result);

#endif
