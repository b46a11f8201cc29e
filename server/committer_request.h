/*
 * Decoding a commit request (docs/worker-protocol.md) against a table's schema
 * and partition spec into the Iceberg module's data-file structs. Internal to
 * the committer; separate so it can be tested without storage.
 */
#ifndef LAKESYNC_COMMITTER_REQUEST_H
#define LAKESYNC_COMMITTER_REQUEST_H

#include <jansson.h>

#include "iceberg_manifest.h"
#include "iceberg_types.h"
#include "offsets.h"
#include "util/error.h"

/* A decoded request. Strings and bytes point into the request JSON (which
 * must outlive it) or into allocations the request owns. */
typedef struct ls_commit_files {
    ls_offset_range *ranges;
    size_t range_count;
    ls_iceberg_data_file *files;
    size_t file_count;
    /* storage behind files[] */
    ls_iceberg_value *partition_values;
    ls_iceberg_column_stats *stats;
    int64_t *split_offsets;
    void **allocations; /* decoded base64 and 128-bit strings */
    size_t allocation_count, allocation_cap;
} ls_commit_files;

/* Decodes request's "ranges" and "files". Errors are LS_ERR_INVALID with
 * err->field naming the offending member ("files[2].columns[0].lower"). */
ls_code ls_commit_files_decode(const json_t *request, const ls_iceberg_schema *schema,
                               const ls_iceberg_partition_spec *spec, ls_commit_files *out,
                               ls_error *err) LS_MUST_USE;

void ls_commit_files_cleanup(ls_commit_files *files);

#endif
