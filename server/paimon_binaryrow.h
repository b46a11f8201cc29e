/*
 * Paimon's BinaryRow serialization and bucket hash, byte-identical to Paimon
 * Java (paimon-common BinaryRow, BinaryRowWriter, AbstractBinaryWriter,
 * SerializationUtils, MurmurHashUtils; FORMAT-DIGEST.md sections 2.6 and 2.7).
 * Bytes in, bytes out.
 *
 * A BinaryRow is: a null bit set of ((arity + 63 + 8) / 64) * 8 bytes (byte 0
 * is the RowKind, 0 = INSERT; field i is null when bit i + 8 is set, LSB first
 * within a byte), one 8-byte little-endian slot per field, then an 8-byte
 * aligned variable part. Manifests store rows "serialized": a 4-byte
 * big-endian arity, then the row bytes.
 *
 * Paimon compares partitions and stats by these bytes, so every unused byte is
 * zero, exactly as Paimon's writer leaves it.
 */
#ifndef LAKESYNC_PAIMON_BINARYROW_H
#define LAKESYNC_PAIMON_BINARYROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schema_type.h"
#include "util/buf.h"
#include "util/error.h"

/* The Paimon data types lakesync reads and writes (atomic types only). */
typedef enum ls_paimon_kind {
    LS_PAIMON_BOOLEAN = 0,
    LS_PAIMON_TINYINT,
    LS_PAIMON_SMALLINT,
    LS_PAIMON_INT,
    LS_PAIMON_BIGINT,
    LS_PAIMON_FLOAT,
    LS_PAIMON_DOUBLE,
    LS_PAIMON_DATE,
    LS_PAIMON_DECIMAL,
    LS_PAIMON_STRING,        /* STRING = VARCHAR(2147483647) */
    LS_PAIMON_BYTES,         /* BYTES = VARBINARY(2147483647) */
    LS_PAIMON_TIMESTAMP,     /* TIMESTAMP(p) */
    LS_PAIMON_TIMESTAMP_LTZ, /* TIMESTAMP(p) WITH LOCAL TIME ZONE */
} ls_paimon_kind;

typedef struct ls_paimon_type {
    ls_paimon_kind kind;
    uint8_t precision; /* DECIMAL 1..38, TIMESTAMP 0..9 */
    uint8_t scale;     /* DECIMAL */
    bool nullable;     /* false prints " NOT NULL" */
} ls_paimon_type;

/* One field value. Which member is used follows the field's type:
 * BOOLEAN b; TINYINT/SMALLINT/INT/DATE (days since 1970-01-01) i32;
 * BIGINT i64; FLOAT f32; DOUBLE f64; DECIMAL unscaled (for any precision);
 * STRING/BYTES bytes (borrowed, not NUL-terminated); TIMESTAMP(_LTZ) ts, as
 * epoch milliseconds plus nanoseconds within the millisecond (0..999999). */
typedef struct ls_paimon_datum {
    bool is_null;
    union {
        bool b;
        int32_t i32;
        int64_t i64;
        float f32;
        double f64;
        ls_int128 unscaled;
        struct {
            const uint8_t *data;
            size_t len;
        } bytes;
        struct {
            int64_t millis;
            int32_t nanos_of_milli;
        } ts;
    } v;
} ls_paimon_datum;

/* Most fields a row may have (a cap on untrusted arity prefixes). */
#define LS_PAIMON_MAX_ARITY 4096

/* Bytes of the null bit set (with the RowKind byte) for a row of arity fields. */
size_t ls_paimon_binaryrow_bitset_bytes(size_t arity);

/* Appends the BinaryRow of values (types[i] describes values[i]) to out,
 * without the arity prefix. LS_ERR_INVALID when a value does not fit its type
 * (a decimal wider than its precision, nanos out of range, a null in a type we
 * cannot encode). */
ls_code ls_paimon_binaryrow_encode(const ls_paimon_type *types, const ls_paimon_datum *values,
                                   size_t arity, ls_buf *out, ls_error *err) LS_MUST_USE;

/* Same with Paimon's SerializationUtils arity prefix (4 bytes big-endian):
 * the bytes of _PARTITION, _MIN_KEY and stats in manifests. */
ls_code ls_paimon_binaryrow_serialize(const ls_paimon_type *types, const ls_paimon_datum *values,
                                      size_t arity, ls_buf *out, ls_error *err) LS_MUST_USE;

/* The serialized empty row (arity 0): 00000000 followed by 8 zero bytes. */
extern const uint8_t ls_paimon_empty_row[12];

/* Decodes a row without prefix of arity fields into out[0..arity). String and
 * bytes values point into row. LS_ERR_FORMAT when the bytes are too short or a
 * var-part reference falls outside them (the bytes come from files). */
ls_code ls_paimon_binaryrow_decode(const uint8_t *row, size_t row_len,
                                   const ls_paimon_type *types, size_t arity,
                                   ls_paimon_datum *out, ls_error *err) LS_MUST_USE;

/* Reads the arity prefix of serialized bytes. LS_ERR_FORMAT when shorter than
 * 4 bytes or over LS_PAIMON_MAX_ARITY. */
ls_code ls_paimon_binaryrow_arity(const uint8_t *bytes, size_t len, size_t *arity_out,
                                  ls_error *err) LS_MUST_USE;

/* Decodes serialized bytes; the prefix must equal arity (LS_ERR_FORMAT). */
ls_code ls_paimon_binaryrow_deserialize(const uint8_t *bytes, size_t len,
                                        const ls_paimon_type *types, size_t arity,
                                        ls_paimon_datum *out, ls_error *err) LS_MUST_USE;

/* Paimon's MurmurHashUtils.hashBytesByWords with seed 42: Murmur3-32 over
 * 4-byte little-endian words, final mix with the length. len must be a
 * multiple of 4 (BinaryRows always are). */
int32_t ls_paimon_hash_bytes_by_words(const uint8_t *data, size_t len);

/* The bucket of a row in a table of num_buckets (> 0) fixed buckets:
 * Math.abs(hash % num_buckets) with hash = BinaryRow.hashCode() of the
 * bucket-key row (types/values, no arity prefix), as DefaultBucketFunction. */
ls_code ls_paimon_bucket(const ls_paimon_type *types, const ls_paimon_datum *values,
                         size_t arity, int32_t num_buckets, int32_t *bucket_out,
                         ls_error *err) LS_MUST_USE;

/* True when decimals of this precision are stored in the slot (p <= 18). */
bool ls_paimon_decimal_is_compact(int precision);

/* True when timestamps of this precision are stored in the slot (p <= 3). */
bool ls_paimon_timestamp_is_compact(int precision);

/* The Paimon type lakesync writes for a job field type: boolean BOOLEAN, int
 * INT, bigint BIGINT, float FLOAT, double DOUBLE, decimal(p,s) DECIMAL(p, s),
 * string STRING, date DATE, timestamp TIMESTAMP(6), timestamptz TIMESTAMP(6)
 * WITH LOCAL TIME ZONE, binary BYTES. */
ls_paimon_type ls_paimon_type_from_ls(ls_type type, bool nullable);

/* The job field type a Paimon type reads as (TINYINT and SMALLINT as int,
 * BYTES as binary, TIMESTAMP WITH LOCAL TIME ZONE as timestamptz). */
ls_type ls_paimon_type_to_ls(ls_paimon_type type);

/* Formats Paimon's type string ("DECIMAL(10, 2)", "TIMESTAMP(6) WITH LOCAL
 * TIME ZONE", "INT NOT NULL") into out (at least 48 bytes). Returns out. */
const char *ls_paimon_type_format(ls_paimon_type type, char *out, size_t out_size);

/* Parses Paimon's type string (the forms above, plus VARCHAR(n)/CHAR(n) read as
 * STRING and VARBINARY(n)/BINARY(n) as BYTES). LS_ERR_UNPROCESSABLE for a valid
 * Paimon type lakesync does not handle (ARRAY, MAP, ROW, TIME, ...),
 * LS_ERR_FORMAT for garbage. */
ls_code ls_paimon_type_parse(const char *text, ls_paimon_type *out, ls_error *err) LS_MUST_USE;

#endif
