/*
 * An Iceberg "replace" snapshot (what Java's RewriteFiles commits): some live
 * data files of the current snapshot are removed and new files holding the
 * same rows are added, e.g. by compaction. Pure format code: manifests are
 * read through a callback and everything written is returned as bytes; the
 * caller stores the manifests and the list, then the metadata, then moves
 * the table pointer (committer_replace.h).
 *
 * The new snapshot's manifest list holds, in order: one new manifest of the
 * added files (ADDED), every other parent manifest without removed files
 * unchanged, and last one manifest merging the parent manifests that held a
 * removed file (the removed files DELETED, status 2, with the new snapshot
 * id; their other live files EXISTING with their ids and sequence numbers;
 * older DELETED entries dropped). Merging keeps the manifest count of a
 * table written every second from growing with each compaction.
 */
#ifndef LAKESYNC_ICEBERG_REPLACE_H
#define LAKESYNC_ICEBERG_REPLACE_H

#include <stddef.h>
#include <stdint.h>

#include "iceberg_metadata.h"
#include "iceberg_table.h"

typedef struct ls_iceberg_replace {
    int64_t snapshot_id; /* 0: random */
    int64_t timestamp_ms;
    const char *const *removed_paths; /* live data files to remove (distinct) */
    size_t removed_count;
    const ls_iceberg_data_file *added; /* their replacement, same rows in total */
    size_t added_count;
    /* New manifests are written at "<manifest_prefix>-m<N>.avro" and the list
     * at manifest_list_path (both fully qualified). */
    const char *manifest_prefix;
    const char *manifest_list_path;
    const uint8_t *parent_manifest_list; /* the current snapshot's list */
    size_t parent_manifest_list_len;
    ls_iceberg_read_fn read; /* reads the parent's manifests by path */
    void *read_ctx;
    const ls_iceberg_property *extra_summary; /* e.g. lakesync.offsets carried over */
    size_t extra_summary_count;
    const char *previous_metadata_file; /* for metadata-log; NULL to skip */
    ls_avro_codec codec;
} ls_iceberg_replace;

/* A file to store: its fully qualified path and bytes. */
typedef struct ls_iceberg_written_file {
    char *path;
    ls_buf bytes;
} ls_iceberg_written_file;

typedef struct ls_iceberg_replace_result {
    ls_iceberg_written_file *manifests; /* new and rewritten manifests */
    size_t manifest_count;
    ls_buf manifest_list;
    int64_t snapshot_id;
    int64_t sequence_number;
    int64_t records;     /* rows moved (removed = added) */
    int64_t removed_bytes, added_bytes;
} ls_iceberg_replace_result;

/* Builds the replace snapshot on md's current snapshot and adds it to md
 * (operation "replace"; summary added/deleted-data-files, added/deleted-
 * records, added-files-size, removed-files-size, changed-partition-count and
 * the totals, plus extra_summary). Errors, md unchanged: LS_ERR_CONFLICT
 * naming a removed path that is not a live data file of the current
 * snapshot (another commit replaced it); LS_ERR_INVALID when nothing is
 * removed or the added files do not hold exactly the removed files' record
 * count; LS_ERR_UNPROCESSABLE when the table has delete files or a removed
 * file's manifest has another spec than the default; the callback's errors.
 * Clean up out with ls_iceberg_replace_result_cleanup whatever it returns. */
ls_code ls_iceberg_metadata_replace(ls_iceberg_metadata *md, const ls_iceberg_replace *replace,
                                    ls_iceberg_replace_result *out, ls_error *err) LS_MUST_USE;
void ls_iceberg_replace_result_cleanup(ls_iceberg_replace_result *r);

#endif
