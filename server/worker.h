/*
 * The worker (`lakesync worker`): consumes one job's Kafka topic as a member
 * of its consumer group, converts messages with the JSON scanner, streams
 * Parquet files to the job's data location and asks the server to commit
 * them with the Kafka offset ranges they cover (docs/worker-protocol.md,
 * DESIGN.md "Data path (worker)" and "Exactly-once contract").
 *
 * This header is the contract of the worker's pure pieces, which the unit
 * tests drive without a broker or a server: the job spec, per-partition
 * offset ranges, the commit request's JSON (column bounds, partition values),
 * partition routing and file naming. cmd_worker itself is declared in cli.h.
 */
#ifndef LAKESYNC_WORKER_H
#define LAKESYNC_WORKER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "column_batch.h"
#include "iceberg_types.h"
#include "kafka_consumer.h"
#include "paimon_binaryrow.h"
#include "parquet_writer.h"
#include "schema_evolve.h"
#include "schema_type.h"
#include "util/buf.h"
#include "util/error.h"

#define LS_WORKER_MAX_FIELDS 4096
#define LS_WORKER_MAX_PARTITIONS 16384 /* Kafka partitions of one topic */
#define LS_WORKER_BOUND_CODEPOINTS 64  /* string bounds cut (protocol) */
#define LS_WORKER_BOUND_BYTES 64       /* binary bounds cut (protocol) */
#define LS_WORKER_FILE_NAME_MAX 256
#define LS_WORKER_MAX_ERROR_WINDOW 10000000 /* messages */

/* ---- the job spec (GET .../spec) ---------------------------------------- */

typedef enum ls_worker_error_policy {
    LS_WORKER_ERRORS_DLQ = 0,
    LS_WORKER_ERRORS_SKIP,
    LS_WORKER_ERRORS_FAIL,
} ls_worker_error_policy;

typedef struct ls_worker_field {
    const char *source;
    const char *name;
    ls_type type;
    int32_t field_id;
} ls_worker_field;

typedef struct ls_worker_partition_field {
    const char *source; /* a fields[].name */
    const char *transform;
    const char *name;
    int32_t field_id;
} ls_worker_partition_field;

/* The spec, its strings borrowed from the JSON document it was parsed from
 * (the spec holds a reference to it). */
typedef struct ls_worker_spec {
    json_t *document;
    const char *job_id;
    int64_t run_id;
    const char *bootstrap_servers, *topic, *group_id;
    const char *security_protocol, *sasl_mechanism, *sasl_username, *sasl_password;
    ls_kafka_start_mode start_mode;
    int64_t start_timestamp_ms;
    int parse_level;
    ls_worker_field *fields;
    size_t field_count;
    ls_worker_partition_field *partition;
    size_t partition_count;
    bool paimon;
    const char *data_location; /* without a trailing '/' (stored separately) */
    char *data_location_trimmed;
    const char *storage_endpoint, *storage_region, *access_key_id, *secret_access_key;
    int path_style; /* -1 automatic */
    int64_t commit_interval_ms;
    uint64_t target_file_size_bytes;
    ls_worker_error_policy error_policy;
    ls_schema_evolution schema_evolution; /* none when the spec does not say */
    int64_t schema_id; /* the table schema of the fields; -1 when the spec does not say */
    /* The dead-letter table (dead_letter.h): its name and where its data
     * files go (no trailing '/'); NULL when the spec has none (then the
     * policy is skip or fail). */
    const char *dead_letter_table;
    char *dead_letter_location;
    /* The job stops (fatally) when more than max_error_ratio * error_window
     * of a window of error_window consecutive messages are rejected. */
    double max_error_ratio;
    int64_t error_window;
    const char **ignored_sources; /* sources schema evolution never adds */
    size_t ignored_count;
} ls_worker_spec;

/* Parses and checks a spec document (a borrowed object; the spec takes its
 * own reference). LS_ERR_INVALID with err->field naming the member. */
ls_code ls_worker_spec_parse(json_t *document, ls_worker_spec *out, ls_error *err) LS_MUST_USE;

/* Releases the spec. NULL-safe; the spec is zeroed. */
void ls_worker_spec_cleanup(ls_worker_spec *spec);

/* ---- offset ranges per Kafka partition ----------------------------------- */

/* What the worker knows of one partition: the half-open range [start, end)
 * of offsets whose messages are in uncommitted files (start == -1: not yet
 * known, set by the first message), and counters for metrics. pinned: the
 * table never saw the partition and start is where the job's start put it;
 * the next commit records it, even as an empty range. */
typedef struct ls_worker_partition_state {
    int64_t start, end;
    bool pinned;
    uint64_t messages, rows, bytes, errors, dead_letter_rows;
} ls_worker_partition_state;

typedef struct ls_worker_ranges {
    ls_worker_partition_state *items; /* indexed by partition number */
    size_t count;                     /* partitions 0..count-1 are tracked */
} ls_worker_ranges;

void ls_worker_ranges_init(ls_worker_ranges *r);
void ls_worker_ranges_cleanup(ls_worker_ranges *r);

/* Starts partition p at next_offset (the table's committed next offset, or
 * -1 when the table never saw it). LS_ERR_INTERNAL when p still holds
 * uncommitted messages (they would be lost or duplicated); LS_ERR_INVALID
 * for a partition outside 0..LS_WORKER_MAX_PARTITIONS-1. */
ls_code ls_worker_ranges_reset(ls_worker_ranges *r, int32_t p, int64_t next_offset,
                               ls_error *err) LS_MUST_USE;

/* Records that the message at offset of partition p goes into the open
 * files. *accepted is false (and nothing changes) when the offset is already
 * covered (below end: a replay the consumer should not deliver) or below a
 * known start. */
ls_code ls_worker_ranges_observe(ls_worker_ranges *r, int32_t p, int64_t offset, bool *accepted,
                                 ls_error *err) LS_MUST_USE;

/* Records where partition p, which the table never saw, starts (a latest
 * start: the high watermark at its first assignment) so that the next
 * commit sends [offset, offset) and the table keeps that start across
 * restarts. Ignored when p already has a position. */
ls_code ls_worker_ranges_pin(ls_worker_ranges *r, int32_t p, int64_t offset,
                             ls_error *err) LS_MUST_USE;

/* True when some partition has a non-empty range or a pinned start. */
bool ls_worker_ranges_pending(const ls_worker_ranges *r);

/* {"p": [start, end], ...} of the non-empty ranges and pinned starts. NULL
 * on allocation failure. */
json_t *ls_worker_ranges_to_json(const ls_worker_ranges *r);

/* True when offsets ({"p": next, ...}, the table's) holds end for every
 * non-empty range: the commit of these ranges has landed. */
bool ls_worker_ranges_landed(const ls_worker_ranges *r, const json_t *offsets);

/* After a successful commit: every range becomes empty at its end. */
void ls_worker_ranges_committed(ls_worker_ranges *r);

/* After abandoning uncommitted files: every range forgets its position
 * (start = end = -1) until the next reset. */
void ls_worker_ranges_abandon(ls_worker_ranges *r);

/* ---- commit JSON ---------------------------------------------------------- */

/* Writes v in decimal into out (at least 41 bytes). Returns out. */
const char *ls_worker_int128_text(ls_int128 v, char *out, size_t out_size);

/* One column's statistics as the protocol's JSON (field_id, sizes, counts,
 * lower/upper bounds typed and cut as docs/worker-protocol.md says,
 * bounds_truncated). NULL on allocation failure. */
json_t *ls_worker_column_json(const ls_parquet_column_stats *stats);

/* A partition value of type type (the transform's result type) as JSON:
 * the bounds encoding without cutting. v may be null (JSON null). */
json_t *ls_worker_value_json(ls_type type, const ls_iceberg_value *v);

/* The "files" entry of one data file. partition is borrowed (copied in). */
json_t *ls_worker_file_json(const char *path, const ls_parquet_file_stats *stats,
                            const json_t *partition);

/* ---- file naming ----------------------------------------------------------- */

/* The data file name: Iceberg "00003-7-<uuid>-00012.parquet" (worker index,
 * run id, uuid, sequence), Paimon "data-<uuid>-12.parquet". LS_ERR_TOO_LARGE
 * when out is too small. */
ls_code ls_worker_file_name(bool paimon, int worker_index, int64_t run_id, const char *uuid,
                            uint64_t sequence, char *out, size_t out_size,
                            ls_error *err) LS_MUST_USE;

/* A random (version 4) UUID in text form; out needs 37 bytes. */
ls_code ls_worker_uuid(char *out, size_t out_size, ls_error *err) LS_MUST_USE;

/* ---- partition routing ------------------------------------------------------ */

/* Computes each row's table partition from the job's partition fields. */
typedef struct ls_worker_partitioner {
    ls_iceberg_schema schema;
    ls_iceberg_partition_spec spec;
    size_t *source_columns; /* batch column of each partition field's source */
    ls_type *source_types;
    ls_type *result_types;
    ls_iceberg_value *values; /* scratch: one per partition field */
    size_t field_count;
    /* Paimon jobs: directories named as Paimon names them (paimon_meta.h). */
    bool paimon;
    char **paimon_names;            /* borrowed from spec */
    ls_paimon_type *paimon_types;
    ls_paimon_datum *paimon_values; /* scratch */
} ls_worker_partitioner;

/* Builds a partitioner for the spec's fields and partition (which may be
 * empty: every row then has the partition ""). LS_ERR_INVALID for a source
 * that names no field or a transform that does not apply. */
ls_code ls_worker_partitioner_init(ls_worker_partitioner *p, const ls_worker_spec *spec,
                                   ls_error *err) LS_MUST_USE;
void ls_worker_partitioner_cleanup(ls_worker_partitioner *p);

/* Reads the value of column col at value index value_index (the index among
 * the column's non-null values) as a typed value; bytes are borrowed. */
void ls_worker_batch_value(const ls_column *col, size_t value_index, ls_iceberg_value *out);

/* For row `row` of batch, whose non-null value indexes per column are in
 * cursors (the count of non-null values before the row), computes the
 * partition: appends its Hive-style path ("" when unpartitioned; for Paimon
 * jobs Paimon's own directory names, no trailing slash) to path and,
 * when values_json is non-NULL, stores a new {"name": value} object there. */
ls_code ls_worker_partition_row(ls_worker_partitioner *p, const ls_column_batch *batch, size_t row,
                                const size_t *cursors, ls_buf *path, json_t **values_json,
                                ls_error *err) LS_MUST_USE;

/* Appends row `row`'s partition key to key: the partition fields' values
 * in binary (a null flag each, strings length-prefixed), no formatting.
 * Rows with equal keys have the same partition path; different keys may
 * share a path (NaNs with different payloads), so a key only ever finds a
 * file, the path decides. */
ls_code ls_worker_partition_key(ls_worker_partitioner *p, const ls_column_batch *batch, size_t row,
                                const size_t *cursors, ls_buf *key, ls_error *err) LS_MUST_USE;

/* Appends row `row` of src (non-null value indexes in cursors) to dst, whose
 * column types match. Returns ls_column_batch_row_end's code. */
ls_code ls_worker_copy_row(const ls_column_batch *src, size_t row, const size_t *cursors,
                           ls_column_batch *dst, ls_error *err) LS_MUST_USE;

/* Advances cursors past row `row`. */
void ls_worker_advance_cursors(const ls_column_batch *batch, size_t row, size_t *cursors);

#endif
