/*
 * Paimon append-table metadata (FORMAT-DIGEST.md section 2): schema-N and
 * snapshot-N JSON, manifests and manifest lists (Avro, the Java writer's
 * schemas verbatim), data-file metadata, partition directory names, and the
 * planning of one APPEND commit. Pure format code: bytes in, bytes out; the
 * caller stores the results (see ls_paimon_commit_plan for the order).
 *
 * Table layout (paths relative to the table root <warehouse>/<db>.db/<table>/):
 *   schema/schema-<id>                  JSON
 *   snapshot/snapshot-<id>, LATEST, EARLIEST
 *   manifest/manifest-list-<uuid>-<n>   Avro (no extension)
 *   manifest/manifest-<uuid>-<n>        Avro
 *   <k1>=<v1>/.../bucket-<b>/data-<uuid>-<n>.parquet
 *
 * Parquet data files for Paimon (for the Parquet writer's integrator;
 * ParquetSchemaConverter): root message "paimon_schema"; every column carries
 * field_id = the Paimon field id; NOT NULL -> REQUIRED, else OPTIONAL. STRING
 * -> BYTE_ARRAY + STRING; BYTES -> BYTE_ARRAY; INT -> INT32; BIGINT -> INT64;
 * BOOLEAN; FLOAT; DOUBLE; DATE -> INT32 DATE; DECIMAL p <= 9 INT32, p <= 18
 * INT64, else FIXED_LEN_BYTE_ARRAY(minBytes(p)), all with DECIMAL(p, s);
 * TIMESTAMP(6) -> INT64 TIMESTAMP(MICROS, isAdjustedToUTC=false) and
 * TIMESTAMP(6) WITH LOCAL TIME ZONE -> INT64 TIMESTAMP(MICROS, true) (legacy
 * converted type TIMESTAMP_MICROS in both). Paimon reads columns by name as
 * named in the file's schema (_SCHEMA_ID).
 *
 * Every struct here owns its strings and buffers (malloc'd); _cleanup frees
 * them and leaves the struct zeroed. Optional 64-bit numbers use
 * LS_PAIMON_ABSENT for "null / not written".
 */
#ifndef LAKESYNC_PAIMON_META_H
#define LAKESYNC_PAIMON_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avro.h"
#include "paimon_binaryrow.h"
#include "util/buf.h"
#include "util/error.h"

#define LS_PAIMON_ABSENT INT64_MIN
#define LS_PAIMON_DEFAULT_PARTITION_NAME "__DEFAULT_PARTITION__"

/* Caps for metadata we read (LS_ERR_TOO_LARGE past them). */
#define LS_PAIMON_MAX_FIELDS 4096
#define LS_PAIMON_MAX_JSON_BYTES (16u << 20)
#define LS_PAIMON_MAX_MANIFEST_ENTRIES 10000000u

/* An owned byte string. */
typedef struct ls_paimon_bytes {
    uint8_t *data;
    size_t len;
} ls_paimon_bytes;

/* Ordered string pairs (schema options, snapshot properties). */
typedef struct ls_paimon_strmap {
    char **keys;
    char **values;
    size_t count;
} ls_paimon_strmap;

/* Sets key to value (both copied), replacing an existing value in place. */
ls_code ls_paimon_strmap_set(ls_paimon_strmap *map, const char *key, const char *value,
                             ls_error *err) LS_MUST_USE;
/* The value of key, or NULL. */
const char *ls_paimon_strmap_get(const ls_paimon_strmap *map, const char *key);
void ls_paimon_strmap_cleanup(ls_paimon_strmap *map);

/* ---------------------------------------------------------------------------
 * schema/schema-<id> (SchemaSerializer).
 */
typedef struct ls_paimon_field {
    int32_t id;
    char *name;
    ls_paimon_type type;
    char *description; /* NULL when absent */
} ls_paimon_field;

typedef struct ls_paimon_schema {
    int32_t version; /* 3 */
    int64_t id;
    ls_paimon_field *fields;
    size_t field_count;
    int32_t highest_field_id; /* -1 before the first field */
    char **partition_keys;
    size_t partition_key_count;
    char **primary_keys; /* always empty for append tables */
    size_t primary_key_count;
    ls_paimon_strmap options;
    char *comment; /* NULL when absent */
    int64_t time_millis;
} ls_paimon_schema;

/* An empty schema with version 3, the given id and time, highest_field_id -1
 * and the options of a bucket-unaware Parquet append table, in the fixtures'
 * order: bucket=-1, manifest.format=avro, file.format=parquet. */
ls_code ls_paimon_schema_init_append(ls_paimon_schema *schema, int64_t id, int64_t time_millis,
                                     ls_error *err) LS_MUST_USE;
void ls_paimon_schema_cleanup(ls_paimon_schema *schema);

/* Appends a field with id highest_field_id + 1 (Paimon never reuses ids).
 * LS_ERR_CONFLICT when the name exists. */
ls_code ls_paimon_schema_add_field(ls_paimon_schema *schema, const char *name,
                                   ls_paimon_type type, ls_error *err) LS_MUST_USE;

/* Appends a partition key; the field must exist (LS_ERR_NOT_FOUND). */
ls_code ls_paimon_schema_add_partition_key(ls_paimon_schema *schema, const char *name,
                                           ls_error *err) LS_MUST_USE;

/* The field named name, or NULL. */
const ls_paimon_field *ls_paimon_schema_field(const ls_paimon_schema *schema, const char *name);

/* Fills types[0..partition_key_count) with the partition keys' types.
 * LS_ERR_FORMAT when a key names no field. */
ls_code ls_paimon_schema_partition_types(const ls_paimon_schema *schema, ls_paimon_type *types,
                                         ls_error *err) LS_MUST_USE;

/* Schema evolution as Paimon does it: next (uninitialized) is a copy of
 * current with id + 1 and time_millis; the caller then adds fields (new ids
 * continue from highestFieldId) and stores it as schema/schema-<id> created
 * only if absent. Snapshots after that carry the new schemaId; older data
 * files keep theirs and are read by column name. */
ls_code ls_paimon_schema_evolve(const ls_paimon_schema *current, int64_t time_millis,
                                ls_paimon_schema *next, ls_error *err) LS_MUST_USE;

/* Deep copy into out (uninitialized storage). */
ls_code ls_paimon_schema_copy(const ls_paimon_schema *schema, ls_paimon_schema *out,
                              ls_error *err) LS_MUST_USE;

/* Appends the schema JSON in Jackson's pretty layout, as Paimon writes it. */
ls_code ls_paimon_schema_to_json(const ls_paimon_schema *schema, ls_buf *out,
                                 ls_error *err) LS_MUST_USE;

/* Parses schema JSON into out (uninitialized storage; cleaned up on failure).
 * LS_ERR_FORMAT for malformed JSON or missing fields, LS_ERR_UNPROCESSABLE for
 * field types lakesync does not handle. */
ls_code ls_paimon_schema_from_json(const char *json, size_t len, ls_paimon_schema *out,
                                   ls_error *err) LS_MUST_USE;

/* ---------------------------------------------------------------------------
 * snapshot/snapshot-<id> (Snapshot.java), written with the fields and order of
 * the newest fixture: version, id, schemaId, baseManifestList(+Size),
 * deltaManifestList(+Size), changelogManifestList (null), commitUser,
 * commitIdentifier, commitKind, timeMillis, logOffsets {}, totalRecordCount,
 * deltaRecordCount, changelogRecordCount, then when set watermark, statistics,
 * properties, nextRowId.
 */
typedef struct ls_paimon_snapshot {
    int32_t version; /* 3 */
    int64_t id;
    int64_t schema_id;
    char *base_manifest_list;
    int64_t base_manifest_list_size; /* or LS_PAIMON_ABSENT (Paimon <= 1.0) */
    char *delta_manifest_list;
    int64_t delta_manifest_list_size;
    char *changelog_manifest_list; /* NULL: written as null */
    int64_t changelog_manifest_list_size;
    char *index_manifest; /* NULL: omitted */
    char *commit_user;
    int64_t commit_identifier;
    char *commit_kind; /* "APPEND", "COMPACT", "OVERWRITE", "ANALYZE" */
    int64_t time_millis;
    int64_t total_record_count;
    int64_t delta_record_count;
    int64_t changelog_record_count; /* LS_PAIMON_ABSENT: omitted */
    int64_t watermark;              /* LS_PAIMON_ABSENT: omitted */
    char *statistics;               /* NULL: omitted */
    ls_paimon_strmap properties;    /* empty: omitted (Paimon writes null as absent) */
    int64_t next_row_id;            /* LS_PAIMON_ABSENT: omitted */
} ls_paimon_snapshot;

/* The snapshot property keys holding lakesync's exactly-once progress
 * (DESIGN.md): the job id and {"topic":..,"partitions":{"0":next,...}}. */
#define LS_PAIMON_PROP_JOB_ID "lakesync.job-id"
#define LS_PAIMON_PROP_OFFSETS "lakesync.offsets"

void ls_paimon_snapshot_cleanup(ls_paimon_snapshot *snapshot);
ls_code ls_paimon_snapshot_copy(const ls_paimon_snapshot *snapshot, ls_paimon_snapshot *out,
                                ls_error *err) LS_MUST_USE;
ls_code ls_paimon_snapshot_to_json(const ls_paimon_snapshot *snapshot, ls_buf *out,
                                   ls_error *err) LS_MUST_USE;
/* Parses snapshot JSON into out (uninitialized; cleaned up on failure).
 * Unknown fields are ignored, as Paimon does. LS_ERR_FORMAT when a required
 * field is missing or mistyped. */
ls_code ls_paimon_snapshot_from_json(const char *json, size_t len, ls_paimon_snapshot *out,
                                     ls_error *err) LS_MUST_USE;

/* ---------------------------------------------------------------------------
 * Manifest contents (ManifestEntry, DataFileMeta, ManifestFileMeta).
 */
typedef struct ls_paimon_stats { /* SimpleStats */
    ls_paimon_bytes min_values;  /* serialized BinaryRow (with arity prefix) */
    ls_paimon_bytes max_values;
    int64_t *null_counts; /* LS_PAIMON_ABSENT entries are null */
    size_t null_count_count;
    bool null_counts_is_null; /* the whole array is null */
} ls_paimon_stats;

/* Stats of no columns: empty rows and [] (append-table keys, unpartitioned
 * partition stats). */
ls_code ls_paimon_stats_set_empty(ls_paimon_stats *stats, ls_error *err) LS_MUST_USE;

/* Stats of n columns: min/max rows from the datums (a null datum = unknown)
 * and the null counts (LS_PAIMON_ABSENT = unknown). null_counts may be NULL
 * for all unknown. Readers prune with these, so they must be true bounds. */
ls_code ls_paimon_stats_set(ls_paimon_stats *stats, const ls_paimon_type *types,
                            const ls_paimon_datum *mins, const ls_paimon_datum *maxs,
                            const int64_t *null_counts, size_t n, ls_error *err) LS_MUST_USE;
void ls_paimon_stats_cleanup(ls_paimon_stats *stats);

#define LS_PAIMON_FILE_SOURCE_APPEND 0
#define LS_PAIMON_FILE_SOURCE_COMPACT 1

typedef struct ls_paimon_data_file {
    char *file_name;
    int64_t file_size;
    int64_t row_count;
    ls_paimon_bytes min_key; /* serialized rows; empty row for append tables */
    ls_paimon_bytes max_key;
    ls_paimon_stats key_stats;
    ls_paimon_stats value_stats;
    int64_t min_sequence_number;
    int64_t max_sequence_number;
    int64_t schema_id;
    int32_t level;
    char **extra_files;
    size_t extra_file_count;
    int64_t creation_time_millis; /* local wall clock as if UTC; or ABSENT */
    int64_t delete_row_count;     /* or ABSENT */
    ls_paimon_bytes embedded_file_index; /* data NULL: null */
    int32_t file_source;          /* 0 APPEND, 1 COMPACT, -1 null */
    char **value_stats_cols;      /* NULL with value_stats_cols_is_null: all columns */
    size_t value_stats_col_count;
    bool value_stats_cols_is_null;
    char *external_path;          /* NULL: inside the table */
    int64_t first_row_id;         /* or ABSENT */
} ls_paimon_data_file;

/* A new APPEND data file of level 0: empty keys and key stats, value stats of
 * all-unknown columns until set, sequence numbers 0..row_count-1 (unaware-
 * bucket files each start at 0), delete row count 0, file source APPEND, no
 * extra files. value_stats must be set by the caller (ls_paimon_stats_set). */
ls_code ls_paimon_data_file_init_append(ls_paimon_data_file *file, const char *file_name,
                                        int64_t file_size, int64_t row_count, int64_t schema_id,
                                        int64_t creation_time_millis,
                                        ls_error *err) LS_MUST_USE;
void ls_paimon_data_file_cleanup(ls_paimon_data_file *file);

#define LS_PAIMON_KIND_ADD 0
#define LS_PAIMON_KIND_DELETE 1

typedef struct ls_paimon_manifest_entry {
    int32_t kind;
    ls_paimon_bytes partition; /* serialized BinaryRow of the partition keys */
    int32_t bucket;            /* 0 for bucket-unaware tables */
    int32_t total_buckets;     /* -1 for bucket-unaware tables */
    ls_paimon_data_file file;
} ls_paimon_manifest_entry;

void ls_paimon_manifest_entry_cleanup(ls_paimon_manifest_entry *entry);
void ls_paimon_manifest_entries_free(ls_paimon_manifest_entry *entries, size_t count);

typedef struct ls_paimon_manifest_meta { /* one manifest-list record */
    char *file_name;
    int64_t file_size;
    int64_t num_added_files;
    int64_t num_deleted_files;
    ls_paimon_stats partition_stats;
    int64_t schema_id;
    int64_t min_bucket, max_bucket, min_level, max_level; /* or ABSENT */
} ls_paimon_manifest_meta;

void ls_paimon_manifest_meta_cleanup(ls_paimon_manifest_meta *meta);
void ls_paimon_manifest_metas_free(ls_paimon_manifest_meta *metas, size_t count);
ls_code ls_paimon_manifest_meta_copy(const ls_paimon_manifest_meta *meta,
                                     ls_paimon_manifest_meta *out, ls_error *err) LS_MUST_USE;

/* The Avro schema JSON of manifests: the _FILE layout with _FIRST_ROW_ID, the
 * newest layout in the fixtures (append_unaware_unpartitioned_timestamps),
 * byte for byte. */
extern const char ls_paimon_manifest_schema_json[];
/* The Avro schema JSON of manifest lists, byte for byte as the fixtures. */
extern const char ls_paimon_manifest_list_schema_json[];

/* Appends an Avro container (codec as given; Paimon writes zstandard) holding
 * the entries with ls_paimon_manifest_schema_json. */
ls_code ls_paimon_manifest_write(const ls_paimon_manifest_entry *entries, size_t count,
                                 ls_avro_codec codec, ls_buf *out, ls_error *err) LS_MUST_USE;

/* Reads a manifest of any _FILE layout (fields matched by name; missing
 * nullable fields read as null). *entries_out is malloc'd (free with
 * ls_paimon_manifest_entries_free). LS_ERR_FORMAT when required fields are
 * missing or _VERSION is not 2. */
ls_code ls_paimon_manifest_read(const uint8_t *data, size_t len,
                                ls_paimon_manifest_entry **entries_out, size_t *count_out,
                                ls_error *err) LS_MUST_USE;

/* Appends a manifest-list Avro container. */
ls_code ls_paimon_manifest_list_write(const ls_paimon_manifest_meta *metas, size_t count,
                                      ls_avro_codec codec, ls_buf *out, ls_error *err) LS_MUST_USE;

/* Reads a manifest list; *metas_out as for ls_paimon_manifest_read. */
ls_code ls_paimon_manifest_list_read(const uint8_t *data, size_t len,
                                     ls_paimon_manifest_meta **metas_out, size_t *count_out,
                                     ls_error *err) LS_MUST_USE;

/* ---------------------------------------------------------------------------
 * Partition directories (InternalRowPartitionComputer with the default
 * partition.legacy-name=true, PartitionPathUtils).
 */

/* Appends "<k1>=<v1>/<k2>=<v2>/" (nothing for no keys). A value is the Java
 * toString of Paimon's internal value: integers and DATE (the day count) in
 * decimal, BOOLEAN true/false, STRING as is, DECIMAL as a plain number,
 * TIMESTAMP as LocalDateTime.toString(); null, empty and whitespace-only
 * values become default_name (NULL: __DEFAULT_PARTITION__). Names and values
 * escape control characters, "#%'*\/:=?\\{}[]^ and DEL as %XX.
 * LS_ERR_UNPROCESSABLE for FLOAT, DOUBLE and BYTES keys (their Java strings
 * are not stable directory names). */
ls_code ls_paimon_partition_path(char *const *names, const ls_paimon_type *types,
                                 const ls_paimon_datum *values, size_t count,
                                 const char *default_name, ls_buf *out, ls_error *err) LS_MUST_USE;

/* Appends the data file's path relative to the table root:
 * "<partition path>bucket-<bucket>/<file_name>". partition is the serialized
 * row, decoded with the schema's partition types. */
ls_code ls_paimon_data_file_path(const ls_paimon_schema *schema, const uint8_t *partition,
                                 size_t partition_len, int32_t bucket, const char *file_name,
                                 ls_buf *out, ls_error *err) LS_MUST_USE;

/* ---------------------------------------------------------------------------
 * Planning one APPEND commit (FileStoreCommit for a fast append): the new
 * manifest, the delta manifest list (that manifest), the base manifest list
 * (the previous snapshot's base + delta manifests, or one merged manifest of
 * the previous live files when asked), the next snapshot and the hints. The
 * caller stores, in this order: the manifest and the merged manifest (those
 * present), both manifest lists, then snapshot/snapshot-<id> created only if
 * absent (a conflict means another commit won: re-read and re-plan), then
 * snapshot/LATEST, and snapshot/EARLIEST when write_earliest.
 */
typedef struct ls_paimon_commit_input {
    const ls_paimon_schema *schema;     /* the current schema; its id goes in the snapshot */
    const ls_paimon_snapshot *previous; /* the latest snapshot; NULL for the first commit */
    const ls_paimon_manifest_meta *previous_base; /* records of previous->baseManifestList */
    size_t previous_base_count;
    const ls_paimon_manifest_meta *previous_delta; /* records of previous->deltaManifestList */
    size_t previous_delta_count;
    /* Manifest compaction (Paimon merges once a snapshot has
     * manifest.merge-min-count = 30 manifests): when merge_base is set, the
     * base list is one new manifest holding merge_entries, the previous
     * snapshot's live files as ls_paimon_table_read lists them (their rows
     * must add up to previous->totalRecordCount), instead of the previous
     * base + delta manifests. */
    bool merge_base;
    const ls_paimon_manifest_entry *const *merge_entries;
    size_t merge_entry_count;
    const ls_paimon_manifest_entry *entries; /* the new files: kind ADD */
    size_t entry_count;
    /* NULL or "APPEND": entries must be ADDs. "COMPACT" (table maintenance
     * rewriting files): DELETE entries of live files and ADD entries of
     * their replacement; the snapshot's deltaRecordCount is added minus
     * deleted rows, as Paimon's FileStoreCommit counts it. */
    const char *commit_kind;
    const char *commit_user;    /* stable per job (a UUID) */
    int64_t commit_identifier;  /* strictly increasing per commit_user */
    int64_t time_millis;
    const char *name_uuid;      /* a fresh random UUID naming this commit's manifest files */
    const ls_paimon_strmap *properties; /* snapshot properties (job id, offsets); NULL: none */
    ls_avro_codec codec;        /* LS_AVRO_CODEC_ZSTANDARD as Paimon */
} ls_paimon_commit_input;

typedef struct ls_paimon_commit_plan {
    int64_t snapshot_id;
    char *manifest_path; /* "manifest/manifest-<uuid>-0"; NULL when no entries */
    ls_buf manifest;
    char *base_list_path; /* "manifest/manifest-list-<uuid>-0" */
    ls_buf base_list;
    char *delta_list_path; /* "manifest/manifest-list-<uuid>-1" */
    ls_buf delta_list;
    ls_paimon_manifest_meta *base_metas; /* records of the base list (owned) */
    size_t base_meta_count;
    ls_paimon_manifest_meta delta_meta; /* the new manifest's record (when manifest_path) */
    char *merged_manifest_path; /* "manifest/manifest-<uuid>-1" when merging live files */
    ls_buf merged_manifest;
    char *snapshot_path; /* "snapshot/snapshot-<id>" */
    ls_paimon_snapshot snapshot;
    ls_buf snapshot_json;
    char latest_hint[24];   /* the content of snapshot/LATEST: the decimal id, no newline */
    bool write_earliest;    /* true for snapshot 1: snapshot/EARLIEST = "1" */
    char earliest_hint[24];
} ls_paimon_commit_plan;

/* Builds the plan into out (uninitialized storage; cleaned up on failure).
 * LS_ERR_INVALID for entries that are not ADD, whose partition arity differs
 * from the schema's partition keys, or whose buckets do not match the table's
 * bucket option. */
ls_code ls_paimon_commit_plan_build(const ls_paimon_commit_input *in, ls_paimon_commit_plan *out,
                                    ls_error *err) LS_MUST_USE;
void ls_paimon_commit_plan_cleanup(ls_paimon_commit_plan *plan);

#endif
