/*
 * Iceberg table schema, partition specs, partition transforms, typed values
 * and their single-value binary serialization (Iceberg spec "Partition
 * Transforms", Appendix B "32-bit Hash Requirements", Appendix C "JSON
 * serialization", Appendix D "Single-value serialization"). Pure functions;
 * nothing here does I/O.
 *
 * Table columns are flat primitives typed with ls_type (schema_type.h):
 * boolean int bigint(=Iceberg long) float double decimal(P,S) string date
 * timestamp timestamptz binary.
 */
#ifndef LAKESYNC_ICEBERG_TYPES_H
#define LAKESYNC_ICEBERG_TYPES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "schema_type.h"
#include "util/buf.h"
#include "util/error.h"

#define LS_ICEBERG_MAX_FIELDS 4096      /* columns in one schema */

__extension__ typedef unsigned __int128 ls_iceberg_uint128;
#define LS_ICEBERG_MAX_PARTITION_FIELDS 64
#define LS_ICEBERG_MAX_NAME_BYTES 1024
#define LS_ICEBERG_BOUND_CODEPOINTS 16  /* metrics mode truncate(16) */
#define LS_ICEBERG_FIRST_PARTITION_FIELD_ID 1000

/* A typed value. Which member is used follows the value's ls_type storage:
 * boolean -> boolean; int, date -> i32; bigint, timestamp(tz) -> i64; float ->
 * f32; double -> f64; decimal -> unscaled (any precision); string, binary ->
 * bytes (borrowed, not NUL-terminated). */
typedef struct ls_iceberg_value {
    int is_null;
    union {
        int boolean;
        int32_t i32;
        int64_t i64;
        float f32;
        double f64;
        ls_int128 unscaled;
        struct {
            const uint8_t *data;
            size_t len;
        } bytes;
    } u;
} ls_iceberg_value;

/* Iceberg's type name: "boolean" "int" "long" "float" "double"
 * "decimal(P, S)"... written as Java does ("decimal(10, 2)"), "string" "date"
 * "timestamp" "timestamptz" "binary". out needs at least 32 bytes. */
const char *ls_iceberg_type_name(ls_type type, char *out, size_t out_size);

/* Parses an Iceberg primitive type name (also accepts "decimal(10,2)").
 * LS_ERR_UNPROCESSABLE for types we do not model (time, uuid, fixed[L],
 * nested types). */
ls_code ls_iceberg_type_parse(const char *name, ls_type *out, ls_error *err) LS_MUST_USE;

/* ---------------------------------------------------------------------------
 * Schema.
 */
typedef struct ls_iceberg_field {
    int32_t id;
    char *name;
    int required;
    ls_type type;
    char *doc; /* NULL when none */
} ls_iceberg_field;

typedef struct ls_iceberg_schema {
    int32_t schema_id;
    size_t field_count;
    ls_iceberg_field *fields;
} ls_iceberg_schema;

void ls_iceberg_schema_init(ls_iceberg_schema *s, int32_t schema_id);
void ls_iceberg_schema_cleanup(ls_iceberg_schema *s);
/* Appends a field (name copied). LS_ERR_INVALID for a duplicate id or name, an
 * id < 1, or an empty name; LS_ERR_TOO_LARGE past LS_ICEBERG_MAX_FIELDS. */
ls_code ls_iceberg_schema_add(ls_iceberg_schema *s, int32_t id, const char *name, ls_type type,
                              int required, ls_error *err) LS_MUST_USE;
ls_code ls_iceberg_schema_copy(const ls_iceberg_schema *from, ls_iceberg_schema *to,
                               ls_error *err) LS_MUST_USE;
const ls_iceberg_field *ls_iceberg_schema_find_id(const ls_iceberg_schema *s, int32_t id);
const ls_iceberg_field *ls_iceberg_schema_find_name(const ls_iceberg_schema *s, const char *name);
/* Highest field id (0 for an empty schema). */
int32_t ls_iceberg_schema_max_id(const ls_iceberg_schema *s);

/* {"type":"struct","schema-id":N,"fields":[{"id","name","required","type"}]}
 * (a new reference). NULL on allocation failure. */
json_t *ls_iceberg_schema_to_json(const ls_iceberg_schema *s);
/* Parses a schema object. LS_ERR_UNPROCESSABLE when it has nested or
 * unmodelled types (the caller may still keep the JSON). */
ls_code ls_iceberg_schema_from_json(const json_t *json, ls_iceberg_schema *out,
                                    ls_error *err) LS_MUST_USE;

/* ---------------------------------------------------------------------------
 * Partition transforms and specs.
 */
typedef enum ls_iceberg_transform_kind {
    LS_ICEBERG_IDENTITY = 0,
    LS_ICEBERG_YEAR,
    LS_ICEBERG_MONTH,
    LS_ICEBERG_DAY,
    LS_ICEBERG_HOUR,
    LS_ICEBERG_BUCKET,
    LS_ICEBERG_TRUNCATE,
    LS_ICEBERG_VOID,
} ls_iceberg_transform_kind;

typedef struct ls_iceberg_transform {
    ls_iceberg_transform_kind kind;
    int32_t param; /* bucket count N or truncate width W; else 0 */
} ls_iceberg_transform;

/* Parses "identity", "year", "month", "day", "hour", "bucket[N]",
 * "truncate[W]", "void" (N, W >= 1). LS_ERR_INVALID otherwise. */
ls_code ls_iceberg_transform_parse(const char *text, ls_iceberg_transform *out,
                                   ls_error *err) LS_MUST_USE;
/* The text form; out needs at least 24 bytes. */
const char *ls_iceberg_transform_format(ls_iceberg_transform t, char *out, size_t out_size);

/* The partition value type the transform produces from source: identity and
 * truncate keep it, day gives date, year/month/hour/bucket give int.
 * LS_ERR_INVALID when the transform does not apply to source (e.g. day of a
 * string, bucket of a float). */
ls_code ls_iceberg_transform_result_type(ls_iceberg_transform t, ls_type source, ls_type *out,
                                         ls_error *err) LS_MUST_USE;

/* Applies the transform to a value of type source. Null gives null. For
 * truncate of string/binary the result borrows a prefix of in's bytes.
 * LS_ERR_INVALID when the transform does not apply to source. */
ls_code ls_iceberg_transform_apply(ls_iceberg_transform t, ls_type source,
                                   const ls_iceberg_value *in, ls_iceberg_value *out,
                                   ls_error *err) LS_MUST_USE;

/* murmur3_x86_32 with seed 0 over bytes, and Iceberg's hash of a typed value
 * (Appendix B: int/date hashed as long, decimal as minimal big-endian
 * unscaled bytes, strings as UTF-8). LS_ERR_INVALID for boolean/float/double. */
int32_t ls_iceberg_murmur3_32(const void *data, size_t len);
ls_code ls_iceberg_hash(ls_type type, const ls_iceberg_value *v, int32_t *out,
                        ls_error *err) LS_MUST_USE;

typedef struct ls_iceberg_partition_field {
    int32_t source_id;
    int32_t field_id;
    char *name;
    ls_iceberg_transform transform;
} ls_iceberg_partition_field;

typedef struct ls_iceberg_partition_spec {
    int32_t spec_id;
    size_t field_count;
    ls_iceberg_partition_field *fields;
} ls_iceberg_partition_spec;

void ls_iceberg_spec_init(ls_iceberg_partition_spec *spec, int32_t spec_id);
void ls_iceberg_spec_cleanup(ls_iceberg_partition_spec *spec);
ls_code ls_iceberg_spec_copy(const ls_iceberg_partition_spec *from, ls_iceberg_partition_spec *to,
                             ls_error *err) LS_MUST_USE;

/* Java's default partition field name: identity -> source name, year/month/
 * day/hour -> "<src>_year"..., bucket[N] -> "<src>_bucket_N", truncate[W] ->
 * "<src>_trunc_W", void -> "<src>_null". */
ls_code ls_iceberg_partition_default_name(ls_iceberg_transform t, const char *source_name,
                                          char *out, size_t out_size, ls_error *err) LS_MUST_USE;

/* Adds a partition field on schema column source_name. name NULL = default
 * name; field_id 0 = next id (1000 for the first). Checks the transform
 * applies to the column type and that names and ids are unique. */
ls_code ls_iceberg_spec_add(ls_iceberg_partition_spec *spec, const ls_iceberg_schema *schema,
                            const char *source_name, const char *transform, const char *name,
                            int32_t field_id, ls_error *err) LS_MUST_USE;

/* The result type of spec field i under schema. */
ls_code ls_iceberg_spec_field_type(const ls_iceberg_partition_spec *spec, size_t i,
                                   const ls_iceberg_schema *schema, ls_type *out,
                                   ls_error *err) LS_MUST_USE;

/* {"spec-id":N,"fields":[{"name","transform","source-id","field-id"}]}, and
 * the bare fields array written in manifest headers. New references. */
json_t *ls_iceberg_spec_to_json(const ls_iceberg_partition_spec *spec);
json_t *ls_iceberg_spec_fields_to_json(const ls_iceberg_partition_spec *spec);
ls_code ls_iceberg_spec_from_json(const json_t *json, ls_iceberg_partition_spec *out,
                                  ls_error *err) LS_MUST_USE;

/* Highest partition field id of the spec, or 999 when it has none. */
int32_t ls_iceberg_spec_last_field_id(const ls_iceberg_partition_spec *spec);

/* Appends the Hive-style path of a partition tuple, as Java writes it:
 * "name=value/name=value" (no leading or trailing slash), names and values
 * URL-encoded (java.net.URLEncoder), values human-readable: day 2026-01-01,
 * hour 2026-01-01-10, month 2026-01, year 2026, timestamps ISO-8601, null
 * "null". values has one entry per spec field, typed by the result types. */
ls_code ls_iceberg_partition_path(const ls_iceberg_partition_spec *spec,
                                  const ls_iceberg_schema *schema, const ls_iceberg_value *values,
                                  ls_buf *out, ls_error *err) LS_MUST_USE;

/* Appends the human-readable string of one partition value (unescaped). */
ls_code ls_iceberg_human_value(ls_iceberg_transform t, ls_type result_type,
                               const ls_iceberg_value *v, ls_buf *out, ls_error *err) LS_MUST_USE;

/* ---------------------------------------------------------------------------
 * Single-value binary serialization (Appendix D) and metric bounds.
 */

/* Appends v's serialized bytes: little-endian int/long/float/double, date
 * int, timestamps long micros, boolean 0x00/0x01, string UTF-8, binary raw,
 * decimal unscaled big-endian minimal two's complement. v must not be null. */
ls_code ls_iceberg_value_to_bytes(ls_type type, const ls_iceberg_value *v, ls_buf *out,
                                  ls_error *err) LS_MUST_USE;
/* Parses serialized bytes; string/binary results borrow data. LS_ERR_FORMAT
 * for a wrong length. */
ls_code ls_iceberg_value_from_bytes(ls_type type, const uint8_t *data, size_t len,
                                    ls_iceberg_value *out, ls_error *err) LS_MUST_USE;

/* Truncates a lower bound per truncate(16): strings to 16 code points,
 * binary to 16 bytes (borrowing); other types unchanged. */
void ls_iceberg_bound_lower(ls_type type, const ls_iceberg_value *in, ls_iceberg_value *out);
/* Truncates an upper bound: the 16-code-point (16-byte) prefix with its last
 * code point (byte) incremented, dropping trailing ones that cannot be.
 * scratch (at least 64 bytes) holds the result bytes. Returns 0 when no
 * upper bound can be written (the caller then omits it), 1 otherwise. */
int ls_iceberg_bound_upper(ls_type type, const ls_iceberg_value *in, uint8_t *scratch,
                           size_t scratch_size, ls_iceberg_value *out);

/* Compares two non-null values of one type (-1, 0, 1): numeric order,
 * strings and binary by unsigned bytes (= code point order for UTF-8),
 * -0.0 < 0.0. NaN is not ordered: callers exclude it. */
int ls_iceberg_value_compare(ls_type type, const ls_iceberg_value *a, const ls_iceberg_value *b);

#endif
