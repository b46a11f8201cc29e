/*
 * The destination field types of a job (DESIGN.md "Field types"), shared by the
 * API's validation, the JSON scanner, the Parquet writer and table metadata.
 *
 * Text forms: boolean, int, bigint, float, double, decimal(P,S), string, date,
 * timestamp, timestamptz, binary. int is 32-bit, bigint 64-bit; timestamps are
 * microseconds since 1970-01-01 (timestamp: local wall-clock, timestamptz: UTC
 * instant); date is days since 1970-01-01; decimal has 1 <= P <= 38, 0 <= S <= P.
 */
#ifndef LAKESYNC_SCHEMA_TYPE_H
#define LAKESYNC_SCHEMA_TYPE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef enum ls_type_kind {
    LS_TYPE_BOOLEAN = 0,
    LS_TYPE_INT,
    LS_TYPE_BIGINT,
    LS_TYPE_FLOAT,
    LS_TYPE_DOUBLE,
    LS_TYPE_DECIMAL,
    LS_TYPE_STRING,
    LS_TYPE_DATE,
    LS_TYPE_TIMESTAMP,
    LS_TYPE_TIMESTAMPTZ,
    LS_TYPE_BINARY,
} ls_type_kind;

#define LS_DECIMAL_MAX_PRECISION 38

typedef struct ls_type {
    ls_type_kind kind;
    uint8_t precision; /* decimal only */
    uint8_t scale;     /* decimal only */
} ls_type;

/* How a column's non-null values are laid out in memory (see column_batch.h). */
typedef enum ls_storage {
    LS_STORAGE_BOOL,    /* uint8_t 0 or 1 */
    LS_STORAGE_INT32,   /* int32_t: int, date */
    LS_STORAGE_INT64,   /* int64_t: bigint, timestamps, decimal with P <= 18 */
    LS_STORAGE_FLOAT,   /* float */
    LS_STORAGE_DOUBLE,  /* double */
    LS_STORAGE_INT128,  /* ls_int128: decimal with P > 18 */
    LS_STORAGE_BYTES,   /* variable length: string (UTF-8), binary */
} ls_storage;

__extension__ typedef __int128 ls_int128;

/* Parses a type's text form (case-insensitive, spaces allowed inside the
 * decimal parentheses). LS_ERR_INVALID with a message naming the text. */
ls_code ls_type_parse(const char *text, ls_type *out, ls_error *err) LS_MUST_USE;

/* Writes the canonical text form ("decimal(10,2)") into out (at least 24
 * bytes). Returns out. */
const char *ls_type_format(ls_type type, char *out, size_t out_size);

/* The in-memory storage of a type's values. */
ls_storage ls_type_storage(ls_type type);

/* True when both are the same type (kind, and precision and scale for decimals). */
int ls_type_equal(ls_type a, ls_type b);

/* True when a column of type from may become type to without rewriting data:
 * the same type, or one of the Iceberg spec's type promotions (int -> bigint,
 * float -> double, decimal(P,S) -> decimal(P',S) with P' > P), which Paimon
 * also reads. Schema evolution allows exactly these. */
int ls_type_promotes(ls_type from, ls_type to);

#endif
