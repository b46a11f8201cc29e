/*
 * Iceberg table metadata JSON (spec "Table Metadata", Appendix C; FORMAT-DIGEST
 * section 1.2/1.3): create a v2 table, parse any v1/v2 metadata file, append
 * snapshots, evolve the schema, and serialize. The document is kept as a
 * JSON tree, so fields we do not model survive a parse/serialize round trip.
 *
 * ls_iceberg_metadata_append is the committer's one call for an append: from
 * the current metadata, the bytes of the current snapshot's manifest list and
 * the new data files, it produces the new manifest, the new manifest list and
 * updates the metadata in place; the caller stores the two files, then the
 * metadata JSON, then moves the table pointer. Nothing here does I/O.
 */
#ifndef LAKESYNC_ICEBERG_METADATA_H
#define LAKESYNC_ICEBERG_METADATA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "avro.h"
#include "iceberg_manifest.h"
#include "iceberg_types.h"
#include "util/buf.h"
#include "util/error.h"

#define LS_ICEBERG_MAX_METADATA_BYTES (256u << 20)

typedef struct ls_iceberg_metadata ls_iceberg_metadata;

typedef struct ls_iceberg_property {
    const char *key;
    const char *value;
} ls_iceberg_property;

/* A new v2 table: format-version 2, the given (or a random) table-uuid,
 * location (fully qualified, no trailing slash), last-sequence-number 0,
 * schema (its schema_id is used) and spec as the only ones, last-column-id,
 * last-partition-id (999 when unpartitioned), unsorted sort order 0,
 * properties, current-snapshot-id -1, empty refs/snapshots/logs/statistics.
 * LS_ERR_INVALID for an unusable location, schema or spec. */
ls_code ls_iceberg_metadata_new_table(const char *location, const char *table_uuid,
                                      const ls_iceberg_schema *schema,
                                      const ls_iceberg_partition_spec *spec,
                                      const ls_iceberg_property *properties,
                                      size_t property_count, int64_t now_ms,
                                      ls_iceberg_metadata **out, ls_error *err) LS_MUST_USE;

/* Parses a metadata file (v1 or v2). LS_ERR_FORMAT when it is not JSON or
 * lacks format-version, location or (v2) table-uuid. */
ls_code ls_iceberg_metadata_parse(const char *json, size_t len, ls_iceberg_metadata **out,
                                  ls_error *err) LS_MUST_USE;

/* Serializes (indented like Java's, key order kept) into a malloc'd string. */
ls_code ls_iceberg_metadata_to_json(const ls_iceberg_metadata *md, char **out,
                                    ls_error *err) LS_MUST_USE;

void ls_iceberg_metadata_free(ls_iceberg_metadata *md);

/* The whole document, read-only (for the REST catalog's LoadTableResult). */
const json_t *ls_iceberg_metadata_json(const ls_iceberg_metadata *md);

int ls_iceberg_metadata_format_version(const ls_iceberg_metadata *md);
const char *ls_iceberg_metadata_location(const ls_iceberg_metadata *md);
const char *ls_iceberg_metadata_table_uuid(const ls_iceberg_metadata *md); /* NULL in some v1 */
int64_t ls_iceberg_metadata_current_snapshot_id(const ls_iceberg_metadata *md); /* -1 none */
int64_t ls_iceberg_metadata_last_sequence_number(const ls_iceberg_metadata *md);
int64_t ls_iceberg_metadata_last_updated_ms(const ls_iceberg_metadata *md);

/* The snapshot object with this id (-1: the current one), or NULL. */
const json_t *ls_iceberg_metadata_snapshot(const ls_iceberg_metadata *md, int64_t snapshot_id);
/* Its manifest-list path (NULL when none, e.g. v1 snapshots with an inline
 * "manifests" list) and a summary value (NULL when absent). */
const char *ls_iceberg_metadata_manifest_list(const ls_iceberg_metadata *md, int64_t snapshot_id);
const char *ls_iceberg_metadata_summary(const ls_iceberg_metadata *md, int64_t snapshot_id,
                                        const char *key);

/* The current schema and default partition spec as models (caller cleans
 * up). LS_ERR_UNPROCESSABLE when the schema has nested types. */
ls_code ls_iceberg_metadata_current_schema(const ls_iceberg_metadata *md,
                                           ls_iceberg_schema *out, ls_error *err) LS_MUST_USE;
ls_code ls_iceberg_metadata_default_spec(const ls_iceberg_metadata *md,
                                         ls_iceberg_partition_spec *out,
                                         ls_error *err) LS_MUST_USE;
int32_t ls_iceberg_metadata_last_column_id(const ls_iceberg_metadata *md);

/* Makes proposed the current schema when it differs from the current one,
 * allowing only Iceberg-safe changes: existing ids keep their type or widen
 * int->long, float->double, decimal(P,S)->decimal(P',S) with P' > P;
 * required may become optional; renames keep ids; new fields must be
 * optional with ids above last-column-id. The new schema gets id max+1.
 * *changed_out is 1 when a schema was added, 0 when proposed equals the
 * current one. LS_ERR_CONFLICT for an unsafe change (nothing modified). */
ls_code ls_iceberg_metadata_evolve_schema(ls_iceberg_metadata *md,
                                          const ls_iceberg_schema *proposed, int64_t now_ms,
                                          int *changed_out, ls_error *err) LS_MUST_USE;

/* Appends previous_metadata_file to metadata-log with the current
 * last-updated-ms: call it before a change that is written as a new metadata
 * file without a snapshot (a schema change), as Java's TableMetadata does. */
ls_code ls_iceberg_metadata_log_previous(ls_iceberg_metadata *md, const char *previous_metadata_file,
                                         ls_error *err) LS_MUST_USE;

/* A snapshot to record. summary must contain "operation". */
typedef struct ls_iceberg_snapshot {
    int64_t snapshot_id;     /* positive */
    int64_t timestamp_ms;
    const char *manifest_list;
    const ls_iceberg_property *summary;
    size_t summary_count;
} ls_iceberg_snapshot;

/* Appends snapshot as the new current one: parent = current snapshot,
 * sequence-number = last-sequence-number + 1 (which it also becomes),
 * schema-id = current schema, refs.main, snapshot-log, last-updated-ms.
 * When previous_metadata_file is non-NULL it is appended to metadata-log
 * with the previous last-updated-ms. LS_ERR_INVALID for a duplicate id. */
ls_code ls_iceberg_metadata_add_snapshot(ls_iceberg_metadata *md, const ls_iceberg_snapshot *snap,
                                         const char *previous_metadata_file,
                                         ls_error *err) LS_MUST_USE;

/* A fast append (what Java's AppendFiles does). */
typedef struct ls_iceberg_append {
    int64_t snapshot_id; /* 0 = random positive id */
    int64_t timestamp_ms;
    const char *manifest_path;      /* where the caller will store the new manifest */
    const char *manifest_list_path; /* ... and the new manifest list */
    const ls_iceberg_data_file *files;
    size_t file_count;
    /* The current snapshot's manifest list bytes (NULL/0 when there is no
     * current snapshot); its manifests are carried over unchanged. */
    const uint8_t *parent_manifest_list;
    size_t parent_manifest_list_len;
    const ls_iceberg_property *extra_summary; /* e.g. lakesync.job-id, lakesync.offsets */
    size_t extra_summary_count;
    const char *previous_metadata_file; /* for metadata-log; NULL to skip */
    ls_avro_codec codec;
} ls_iceberg_append;

typedef struct ls_iceberg_append_result {
    ls_buf manifest;      /* empty when file_count == 0 (no manifest written) */
    ls_buf manifest_list;
    int64_t snapshot_id;
    int64_t sequence_number;
} ls_iceberg_append_result;

/* Writes the new manifest (ADDED entries, current schema and default spec),
 * the manifest list (new manifest first, then the parent's manifests
 * unchanged), and adds the snapshot with the standard append summary
 * (operation, added-data-files, added-records, added-files-size,
 * changed-partition-count, total-records, total-files-size,
 * total-data-files, total-delete-files, total-position-deletes,
 * total-equality-deletes) plus extra_summary. On error md is unchanged. */
ls_code ls_iceberg_metadata_append(ls_iceberg_metadata *md, const ls_iceberg_append *append,
                                   ls_iceberg_append_result *out, ls_error *err) LS_MUST_USE;
void ls_iceberg_append_result_cleanup(ls_iceberg_append_result *r);

/* Removes the listed snapshots (never the current one: LS_ERR_INVALID, as
 * for an unknown id), their snapshot-log entries and refs; appends
 * previous_metadata_file (non-NULL) to metadata-log and keeps its last
 * metadata_log_max entries; sets last-updated-ms. Files are not touched. */
ls_code ls_iceberg_metadata_remove_snapshots(ls_iceberg_metadata *md, const int64_t *ids,
                                             size_t count, const char *previous_metadata_file,
                                             int64_t now_ms, size_t metadata_log_max,
                                             ls_error *err) LS_MUST_USE;

/* A random positive snapshot id and a random UUID string (37 bytes). */
ls_code ls_iceberg_random_snapshot_id(int64_t *out, ls_error *err) LS_MUST_USE;
ls_code ls_iceberg_random_uuid(char out[37], ls_error *err) LS_MUST_USE;

#endif
