/*
 * The dead-letter table: where a job's rejected messages go (issue 8).
 * Each job's table `<table>` has a sibling `<table>__dlq` in the same
 * database, format and catalog, unpartitioned, with this fixed schema
 * (Iceberg field ids = Parquet field ids = Paimon field ids):
 *
 *   id  name                type         content
 *    1  job_id              string       the job that rejected the message
 *    2  topic               string       Kafka topic
 *    3  kafka_partition     int          Kafka partition
 *    4  kafka_offset        bigint       Kafka offset
 *    5  kafka_timestamp     timestamptz  the message's Kafka timestamp
 *    6  kafka_key           string       key: text when UTF-8, else base64; null: no key
 *    7  kafka_key_encoding  string       "utf8" | "base64" | null (no key)
 *    8  value               string       the raw message, same encoding rule; null: tombstone
 *    9  value_encoding      string       "utf8" | "base64" | null (tombstone)
 *   10  error_kind          string       ls_jsonscan_error_kind_name, or "tombstone"
 *   11  error_field         string       source path of the field at fault ("" for syntax)
 *   12  error_offset        bigint       byte offset in the message where it was found
 *   13  error_message       string       human-readable reason
 *   14  ingested_at         timestamptz  when the worker rejected it
 *
 * Unpartitioned on purpose: dead letters are few (the error ratio caps
 * them), each worker writes one file per commit, and readers prune by the
 * min/max statistics of kafka_timestamp / ingested_at as well as they would
 * by a day partition, without a second directory level per day.
 *
 * Pure code (schema module): the column list and the row builder.
 */
#ifndef LAKESYNC_DEAD_LETTER_H
#define LAKESYNC_DEAD_LETTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "column_batch.h"
#include "schema_type.h"
#include "util/error.h"

#define LS_DEAD_LETTER_SUFFIX "__dlq"
#define LS_DEAD_LETTER_COLUMN_COUNT 14
/* A batch of dead letters holds at most this much; a 16 MiB message is 22
 * MiB in base64, so any message the scanner accepts to read fits. */
#define LS_DEAD_LETTER_BATCH_MAX_BYTES ((size_t)64 << 20)

typedef struct ls_dead_letter_column {
    const char *name;
    ls_type_kind kind;
    int32_t field_id;
} ls_dead_letter_column;

/* The fixed columns, in field-id order (index i has id i + 1). */
extern const ls_dead_letter_column ls_dead_letter_columns[LS_DEAD_LETTER_COLUMN_COUNT];

/* Writes "<table>__dlq" into out. LS_ERR_TOO_LARGE when it does not fit. */
ls_code ls_dead_letter_table_name(const char *table, char *out, size_t out_size,
                                  ls_error *err) LS_MUST_USE;

/* True when name ends with the dead-letter suffix (reserved for them). */
bool ls_dead_letter_is_name(const char *name);

/* One rejected message. value == NULL is a tombstone; key == NULL no key. */
typedef struct ls_dead_letter_record {
    const char *job_id, *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* < 0: unknown (null) */
    const uint8_t *key;
    size_t key_len;
    const uint8_t *value;
    size_t value_len;
    const char *error_kind, *error_field, *error_message;
    int64_t error_offset;
    int64_t ingested_at_ms;
} ls_dead_letter_record;

/* Appends one row to batch, whose columns must have the types of
 * ls_dead_letter_columns (LS_ERR_INTERNAL otherwise). Bytes that are not
 * UTF-8 are stored as base64 with encoding "base64". LS_ERR_TOO_LARGE when
 * the batch is full (the row is not added: flush and retry; a row that does
 * not fit an empty batch never will). */
ls_code ls_dead_letter_append(ls_column_batch *batch, const ls_dead_letter_record *record,
                              ls_error *err) LS_MUST_USE;

#endif
