/*
 * Iceberg v2 manifests and manifest lists (spec "Manifests", "Manifest
 * Lists"), written with the exact Avro schemas Iceberg Java 1.8.1 writes
 * (shared/reference/avro-schemas.txt) and read back by field id, so files
 * from Java, Spark and PyIceberg (v1 and v2) read too. Bytes in, bytes out.
 */
#ifndef LAKESYNC_ICEBERG_MANIFEST_H
#define LAKESYNC_ICEBERG_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "avro.h"
#include "iceberg_types.h"
#include "util/buf.h"
#include "util/error.h"

#define LS_ICEBERG_MAX_SPLIT_OFFSETS 100000
#define LS_ICEBERG_MAX_ENTRIES 10000000 /* entries in one manifest or list we read */

/* Metrics of one column of one data file. Counts are -1 when unknown (the
 * map entry is then omitted). Bounds are typed values of the column's type;
 * the writer serializes them and truncates strings/binary to 16 code points
 * (bytes), dropping an upper bound that cannot be truncated. */
typedef struct ls_iceberg_column_stats {
    int32_t field_id;
    int64_t column_size_bytes;
    int64_t value_count;
    int64_t null_value_count;
    int64_t nan_value_count; /* float/double only; -1 otherwise */
    int has_lower_bound;
    int has_upper_bound;
    ls_iceberg_value lower_bound;
    ls_iceberg_value upper_bound;
    /* The type of the bound values when it is not the schema's, e.g. int for
     * a file written before the column widened to long: bounds are then
     * serialized with this type, as Iceberg expects. has_type 0 = schema's. */
    int has_type;
    ls_type type;
} ls_iceberg_column_stats;

/* One data file to add (all pointers borrowed for the call). */
typedef struct ls_iceberg_data_file {
    const char *path;        /* fully qualified (file://..., s3://...) */
    const char *file_format; /* "PARQUET" when NULL */
    int64_t file_size_bytes;
    int64_t record_count;
    const ls_iceberg_value *partition; /* one per spec field, typed by result type */
    size_t column_count;
    const ls_iceberg_column_stats *columns;
    size_t split_offset_count;
    const int64_t *split_offsets;
} ls_iceberg_data_file;

/* Partition field summary of a manifest (manifest list r508). */
typedef struct ls_iceberg_field_summary {
    int contains_null;
    int contains_nan; /* -1 = unknown (null) */
    uint8_t *lower_bound; /* serialized; NULL when absent */
    size_t lower_bound_len;
    uint8_t *upper_bound;
    size_t upper_bound_len;
} ls_iceberg_field_summary;

/* One manifest_file record of a manifest list. Owns its strings/arrays. */
typedef struct ls_iceberg_manifest_file {
    char *manifest_path;
    int64_t manifest_length;
    int32_t partition_spec_id;
    int32_t content; /* 0 data, 1 deletes */
    int64_t sequence_number;
    int64_t min_sequence_number;
    int64_t added_snapshot_id;
    int32_t added_files_count, existing_files_count, deleted_files_count;
    int64_t added_rows_count, existing_rows_count, deleted_rows_count;
    int has_partitions; /* partitions field present (non-null) */
    size_t partition_count;
    ls_iceberg_field_summary *partitions;
    uint8_t *key_metadata; /* NULL when absent */
    size_t key_metadata_len;
} ls_iceberg_manifest_file;

void ls_iceberg_manifest_file_cleanup(ls_iceberg_manifest_file *m);
/* Deep copy. */
ls_code ls_iceberg_manifest_file_copy(const ls_iceberg_manifest_file *from,
                                      ls_iceberg_manifest_file *to, ls_error *err) LS_MUST_USE;

/* Writes a v2 data manifest of ADDED entries (status 1, snapshot_id set,
 * sequence numbers null = inherited) for files, all in spec, to out (an
 * ls_buf; manifests are small). Header keys: schema, schema-id,
 * partition-spec, partition-spec-id, format-version "2", content "data",
 * iceberg.schema. Fills *summary_out (caller cleans up) as the manifest list
 * entry: manifest_path = path, length = bytes written, sequence numbers =
 * sequence_number, added_snapshot_id = snapshot_id, counts and partition
 * summaries. LS_ERR_INVALID for files that do not fit the schema/spec. */
ls_code ls_iceberg_manifest_write(const ls_iceberg_schema *schema,
                                  const ls_iceberg_partition_spec *spec, int64_t snapshot_id,
                                  int64_t sequence_number, const ls_iceberg_data_file *files,
                                  size_t file_count, const char *path, ls_avro_codec codec,
                                  ls_buf *out, ls_iceberg_manifest_file *summary_out,
                                  ls_error *err) LS_MUST_USE;

/* An entry of an existing manifest to write again, as a rewrite does:
 * EXISTING (status 0) for a file kept, DELETED (status 2) for a file removed
 * by the new snapshot. The ids and sequence numbers must be explicit (what
 * the reader resolved from inheritance); entry is borrowed. */
typedef struct ls_iceberg_entry_write {
    int32_t status;
    int64_t snapshot_id;          /* the adding snapshot (EXISTING) or the removing one */
    int64_t sequence_number;      /* the file's data sequence number */
    int64_t file_sequence_number;
    const struct ls_iceberg_manifest_entry *entry; /* a data file as read */
} ls_iceberg_entry_write;

/* Writes a v2 data manifest of entries (data files only, partitions of
 * spec's arity; an Avro int read for a long partition field is widened) and
 * fills *summary_out as the manifest list entry of a manifest added by
 * snapshot_id at sequence_number: existing/deleted counts, min sequence
 * number of the live entries, partition summaries over all entries.
 * Read back before it returns. LS_ERR_INVALID for an entry that cannot be
 * written (a delete file, a status other than 0/2, a missing sequence
 * number). */
ls_code ls_iceberg_manifest_write_entries(const ls_iceberg_schema *schema,
                                          const ls_iceberg_partition_spec *spec,
                                          int64_t snapshot_id, int64_t sequence_number,
                                          const ls_iceberg_entry_write *entries, size_t count,
                                          const char *path, ls_avro_codec codec, ls_buf *out,
                                          ls_iceberg_manifest_file *summary_out,
                                          ls_error *err) LS_MUST_USE;

/* The exact manifest_entry Avro schema JSON for spec (its r102 partition
 * record built from the spec), malloc'd. */
ls_code ls_iceberg_manifest_schema_json(const ls_iceberg_schema *schema,
                                        const ls_iceberg_partition_spec *spec, char **out,
                                        ls_error *err) LS_MUST_USE;

/* The exact manifest_file Avro schema JSON of manifest lists (static). */
const char *ls_iceberg_manifest_list_schema_json(void);

/* Writes a v2 manifest list. parent_snapshot_id < 0 writes "null". */
ls_code ls_iceberg_manifest_list_write(int64_t snapshot_id, int64_t parent_snapshot_id,
                                       int64_t sequence_number,
                                       const ls_iceberg_manifest_file *manifests, size_t count,
                                       ls_avro_codec codec, ls_buf *out,
                                       ls_error *err) LS_MUST_USE;

/* Reads a manifest list (v1 or v2, fields matched by id). v1 lists get
 * sequence numbers 0 and content 0. *out is a malloc'd array the caller frees
 * with ls_iceberg_manifest_files_free. */
ls_code ls_iceberg_manifest_list_read(const uint8_t *data, size_t len,
                                      ls_iceberg_manifest_file **out, size_t *count_out,
                                      ls_error *err) LS_MUST_USE;
void ls_iceberg_manifest_files_free(ls_iceberg_manifest_file *files, size_t count);

/* Column metrics as read back: serialized bounds. */
typedef struct ls_iceberg_read_metrics {
    int32_t field_id;
    int64_t column_size_bytes, value_count, null_value_count, nan_value_count; /* -1 absent */
    uint8_t *lower_bound; /* NULL when absent */
    size_t lower_bound_len;
    uint8_t *upper_bound;
    size_t upper_bound_len;
} ls_iceberg_read_metrics;

/* A partition value as read from Avro: its Avro kind and the value. Strings
 * and bytes point into owned storage of the entry. */
typedef struct ls_iceberg_read_partition {
    ls_avro_kind kind; /* LS_AVRO_NULL for null */
    const char *logical_type; /* NULL or "date", "decimal", ... (static storage) */
    ls_iceberg_value value; /* int/date -> i32, long -> i64, string/bytes -> bytes,
                               fixed decimal -> unscaled, float, double, boolean */
} ls_iceberg_read_partition;

/* A partition value as read, typed as the spec's result type t (an Avro int
 * read for a long field and a float for a double are widened, as a promoted
 * column allows). Bytes point into p. */
ls_iceberg_value ls_iceberg_read_partition_value(ls_type t, const ls_iceberg_read_partition *p);

typedef struct ls_iceberg_manifest_entry {
    int32_t status;               /* 0 existing, 1 added, 2 deleted */
    int64_t snapshot_id;          /* -1 when null (inherited) */
    int64_t sequence_number;      /* -1 when null */
    int64_t file_sequence_number; /* -1 when null */
    int32_t content;              /* 0 data, 1 position deletes, 2 equality deletes */
    char *file_path;
    char *file_format;
    int64_t record_count;
    int64_t file_size_bytes;
    size_t partition_count;
    ls_iceberg_read_partition *partition;
    size_t metrics_count;
    ls_iceberg_read_metrics *metrics; /* sorted by field id */
    size_t split_offset_count;
    int64_t *split_offsets;
    int has_split_offsets;
} ls_iceberg_manifest_entry;

typedef struct ls_iceberg_manifest {
    char *schema_json;         /* header "schema" (NULL when absent) */
    char *partition_spec_json; /* header "partition-spec" */
    int32_t partition_spec_id;
    int format_version;        /* header "format-version", 1 when absent */
    char *content;             /* header "content" ("data" when absent) */
    size_t entry_count;
    ls_iceberg_manifest_entry *entries;
} ls_iceberg_manifest;

/* Reads a manifest (v1 or v2). Caller frees with ls_iceberg_manifest_free. */
ls_code ls_iceberg_manifest_read(const uint8_t *data, size_t len, ls_iceberg_manifest **out,
                                 ls_error *err) LS_MUST_USE;
void ls_iceberg_manifest_free(ls_iceberg_manifest *m);

#endif
