/*
 * Reading an Iceberg table through an abstract "read file by path" callback,
 * so the same code works on a local directory and on object storage:
 * metadata.json -> current snapshot -> manifest list -> manifests -> the
 * live files with their partition values and record counts.
 */
#ifndef LAKESYNC_ICEBERG_TABLE_H
#define LAKESYNC_ICEBERG_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "iceberg_manifest.h"
#include "iceberg_metadata.h"
#include "util/buf.h"
#include "util/error.h"

#define LS_ICEBERG_MAX_MANIFEST_BYTES (256u << 20)
#define LS_ICEBERG_MAX_LIVE_FILES 10000000

/* Reads the whole object at path (as written in metadata or built from a
 * table location) into out (an empty ls_buf whose cap the reader set).
 * Returns LS_ERR_NOT_FOUND when it does not exist. */
typedef ls_code (*ls_iceberg_read_fn)(void *ctx, const char *path, ls_buf *out, ls_error *err);

/* Finds the current metadata file of a file-system table at location:
 * <location>/metadata/version-hint.text holding an integer N
 * (-> v<N>.metadata.json) or a file stem (-> <stem>.metadata.json; the
 * DuckDB convention). Without a usable hint it probes v1.metadata.json,
 * v2... and takes the highest that exists (up to 10 misses before the first
 * hit). *path_out is malloc'd. LS_ERR_NOT_FOUND when there is none. */
ls_code ls_iceberg_find_metadata(const char *location, ls_iceberg_read_fn read, void *ctx,
                                 char **path_out, ls_error *err) LS_MUST_USE;

typedef struct ls_iceberg_live_file {
    char *path;
    int32_t content; /* 0 data, 1 position deletes, 2 equality deletes */
    int64_t record_count;
    int64_t file_size_bytes;
    int32_t spec_id;
    int64_t sequence_number; /* data sequence number (inherited when null) */
    int64_t added_snapshot_id; /* the snapshot that added it (inherited when null) */
    size_t partition_count;
    ls_iceberg_read_partition *partition; /* owned */
} ls_iceberg_live_file;

typedef struct ls_iceberg_scan {
    ls_iceberg_metadata *metadata;
    int64_t snapshot_id; /* -1 when the table has no snapshot */
    size_t file_count;
    ls_iceberg_live_file *files; /* in manifest-list and manifest order */
    size_t data_file_count;
    size_t delete_file_count;
    int64_t data_record_count;   /* rows in live data files (before deletes) */
    size_t manifest_count;
} ls_iceberg_scan;

/* Loads the metadata file at metadata_path and lists the live files of its
 * current snapshot (entries not DELETED in the snapshot's manifests). */
ls_code ls_iceberg_scan_table(const char *metadata_path, ls_iceberg_read_fn read, void *ctx,
                              ls_iceberg_scan **out, ls_error *err) LS_MUST_USE;
void ls_iceberg_scan_free(ls_iceberg_scan *scan);

/* A read callback for local paths: accepts plain paths and file:// URIs. */
ls_code ls_iceberg_read_local_file(void *ctx, const char *path, ls_buf *out,
                                   ls_error *err) LS_MUST_USE;

#endif
