/*
 * jsonscan: the hot-path JSON scanner. It validates one Kafka message strictly
 * and writes the fields a job maps straight into an ls_column_batch row, in one
 * pass over the bytes, without building a document tree.
 *
 * Validation (RFC 8259, strict):
 *   - one JSON value surrounded by optional whitespace (space, tab, CR, LF);
 *     anything after it is an error. An empty message, a byte-order mark,
 *     comments, single quotes, trailing commas, NaN / Infinity, leading zeros,
 *     "+1", ".5", "1." and unescaped control characters are errors;
 *   - strings must be valid UTF-8 (no overlongs, no surrogates encoded as
 *     UTF-8, nothing above U+10FFFF); \u escapes must pair surrogates
 *     correctly (a lone \uD800 or \uDC00 is an error); \u0000 is accepted;
 *   - nesting deeper than max_depth (objects plus arrays, default 64) is an
 *     error (too_deep), checked with an explicit stack: no recursion on input;
 *   - a message longer than max_message_bytes (default 16 MiB) is too_large;
 *   - numbers of any size are valid JSON; range is a per-column question.
 *   - duplicate keys are valid: the last occurrence wins for a mapped column,
 *     also for errors (an earlier value that cannot be converted does not
 *     fail the record when a later one can; a bad last one does).
 *
 * Parse levels and source paths (the seed's semantics, see flatten.h):
 *   level 0 maps the whole message as the field "__value__", as compact JSON
 *   text (a message that is a string keeps its quotes and escapes; a message
 *   that is null gives NULL);
 *   level L >= 1 requires the message to be an object (otherwise type_mismatch
 *   with kind not_object) and expands objects down to depth L: a value at
 *   depth d <= L is a field when it is not an object or d == L; objects above
 *   depth L are expanded into their members; an empty object above depth L
 *   yields no field. Arrays are always fields (JSON text).
 *   A source path joins the keys from the root with '.'; a '.' or '\' inside a
 *   key is written "\." or "\\" so paths stay unambiguous ("a\.b" is the
 *   top-level key "a.b", "a.b" is key "b" inside object "a"). Keys are compared
 *   after unescaping JSON escapes, byte for byte.
 *   Special sources, available at every level: "__value__" (the whole message
 *   as compact JSON text), "__kafka_partition__", "__kafka_offset__",
 *   "__kafka_timestamp__" (milliseconds since the epoch, as Kafka gives it) and
 *   "__kafka_key__" (raw key bytes; null when the message has no key). A JSON
 *   key spelled like a special source is not reachable by that name.
 *
 * Coercion rules: how a JSON value becomes a column value. A JSON null, and a
 * mapped path absent from the message, give a SQL NULL (required_null for a
 * required field). Everything not listed is type_mismatch.
 *   boolean      true/false; the strings "true" / "false".
 *   int, bigint  JSON numbers denoting an integer exactly (18, -3, 1.0, 1e3,
 *                1.50e2); strings holding such a number ("18"), no spaces.
 *                A fraction that is not zero (1.5) is type_mismatch; outside
 *                int32 / int64 is out_of_range.
 *   float,double any JSON number, or a string holding one ("18.5"); correctly
 *                rounded (strtod semantics). A finite number that overflows
 *                the type (1e400, or 1e39 for float) is out_of_range;
 *                underflow rounds to zero as strtod does.
 *   decimal(P,S) JSON numbers or strings holding one, parsed exactly into the
 *                unscaled integer (int64 when P <= 18, ls_int128 otherwise).
 *                More fractional digits than S are rounded half away from
 *                zero; more than P - S integer digits is out_of_range.
 *   string       strings, unescaped (UTF-8); numbers as their original text
 *                ("1.50e2" stays "1.50e2"); true / false as "true" / "false";
 *                objects and arrays as compact JSON text: whitespace outside
 *                strings removed, key order, escapes and number spellings kept
 *                exactly as in the message.
 *   binary       like string; strings give their unescaped bytes.
 *   date         "YYYY-MM-DD" strings (proleptic Gregorian, years 0001-9999);
 *                integers are days since 1970-01-01 (out_of_range beyond
 *                int32).
 *   timestamp, timestamptz
 *                RFC 3339 strings "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|
 *                -HH:MM)"; 't' and a space are accepted for 'T', 'z' for 'Z';
 *                the offset may be omitted, the time is then taken as UTC;
 *                with an offset the instant is converted to UTC. Fractions
 *                beyond microseconds are truncated. Numbers (and strings
 *                holding one) are epoch MILLISECONDS, like Kafka timestamps and
 *                JavaScript's Date.now(); fractional milliseconds keep
 *                microsecond precision (1.5 -> 1500 us). Stored as
 *                microseconds since 1970-01-01 (UTC for timestamptz, wall
 *                clock for timestamp).
 *   Kafka metadata follows the same rules from the values: partition and
 *   offset are integers, the timestamp an integer of milliseconds, the key a
 *   string (its bytes; invalid UTF-8 into a string column is invalid_utf8).
 *
 * Ownership and threads: a plan is built once per job, holds its own scratch
 * buffers and must be used by one thread at a time (build one per thread).
 * All strings passed in are copied.
 */
#ifndef LAKESYNC_JSONSCAN_H
#define LAKESYNC_JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "column_batch.h"
#include "schema_type.h"
#include "util/error.h"

#define LS_JSONSCAN_MAX_LEVEL 4
#define LS_JSONSCAN_DEFAULT_MAX_DEPTH 64
#define LS_JSONSCAN_MAX_DEPTH_LIMIT 1024
#define LS_JSONSCAN_DEFAULT_MAX_MESSAGE_BYTES ((size_t)16 << 20)
#define LS_JSONSCAN_MAX_FIELDS 4096
#define LS_JSONSCAN_MAX_PATH_BYTES 1024
#define LS_JSONSCAN_MAX_UNMAPPED 1024

/* Why a record could not be converted: what the dead-letter table stores. */
typedef enum ls_jsonscan_error_kind {
    LS_JSONSCAN_OK = 0,
    LS_JSONSCAN_INVALID_JSON,  /* syntax error, empty message, trailing garbage */
    LS_JSONSCAN_INVALID_UTF8,  /* bad UTF-8 bytes or a lone surrogate escape */
    LS_JSONSCAN_TOO_DEEP,      /* nesting deeper than max_depth */
    LS_JSONSCAN_TOO_LARGE,     /* message over max_message_bytes, or a value
                                  over the column batch's cap */
    LS_JSONSCAN_NOT_OBJECT,    /* parse level >= 1 but the message is not an object */
    LS_JSONSCAN_TYPE_MISMATCH, /* the value's JSON kind cannot become the column's type */
    LS_JSONSCAN_OUT_OF_RANGE,  /* right kind, but it does not fit the column's type */
    LS_JSONSCAN_REQUIRED_NULL, /* a required field is null or absent */
    LS_JSONSCAN_TYPE_CONFLICT, /* never from the scanner: the worker's verdict on a
                                  type_mismatch / out_of_range that schema
                                  evolution cannot resolve (schema_evolve.h) */
} ls_jsonscan_error_kind;

/* A record-level error. field is the source path ("" for syntax errors);
 * offset is the byte offset in the message where the problem was found. */
typedef struct ls_jsonscan_error {
    ls_jsonscan_error_kind kind;
    size_t offset;
    char field[LS_ERROR_FIELD_MAX];
    char message[LS_ERROR_MESSAGE_MAX];
} ls_jsonscan_error;

/* One mapped field of a job. */
typedef struct ls_jsonscan_field {
    const char *source; /* source path, e.g. "device.os.test" or "__kafka_offset__" */
    size_t column;      /* destination column index in the batch */
    ls_type type;       /* must equal the batch column's type */
    bool required;      /* null or absent -> LS_JSONSCAN_REQUIRED_NULL */
} ls_jsonscan_field;

typedef struct ls_jsonscan_options {
    int parse_level;          /* 0..4 */
    size_t max_depth;         /* 0 = LS_JSONSCAN_DEFAULT_MAX_DEPTH */
    size_t max_message_bytes; /* 0 = LS_JSONSCAN_DEFAULT_MAX_MESSAGE_BYTES */
    bool collect_unmapped;    /* remember source paths at the parse level that no
                                 field maps (for schema evolution) */
    /* With collect_unmapped: source paths that are neither collected nor
     * hold a message (fields a job leaves out on purpose). Copied. */
    const char *const *ignored_paths;
    size_t ignored_count;
} ls_jsonscan_options;

/* Kafka metadata of one message. key == NULL means the message has no key. */
typedef struct ls_kafka_meta {
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms;
    const uint8_t *key;
    size_t key_len;
} ls_kafka_meta;

/* The JSON kind of a value, as flatten and unmapped-field collection see it. */
typedef enum ls_json_kind {
    LS_JSON_NULL = 0,
    LS_JSON_BOOLEAN,
    LS_JSON_INTEGER, /* a number without fraction or exponent */
    LS_JSON_REAL,    /* a number with a fraction or exponent */
    LS_JSON_STRING,
    LS_JSON_OBJECT,
    LS_JSON_ARRAY,
} ls_json_kind;

/* "null", "boolean", "integer", "real", "string", "object", "array". */
const char *ls_json_kind_name(ls_json_kind kind);

/* A short stable name for an error kind: "invalid_json", "invalid_utf8",
 * "too_deep", "too_large", "not_object", "type_mismatch", "out_of_range",
 * "required_null", "type_conflict" ("ok" for LS_JSONSCAN_OK). */
const char *ls_jsonscan_error_kind_name(ls_jsonscan_error_kind kind);

typedef struct ls_jsonscan_plan ls_jsonscan_plan;

/* Compiles a mapping. Fails with LS_ERR_INVALID (err->field names the
 * source) on a bad level, a malformed path, a path deeper than the parse
 * level, a special source given a type it cannot take, or more than
 * LS_JSONSCAN_MAX_FIELDS fields. Several fields may share a source. The caller
 * frees *out with ls_jsonscan_plan_free. */
ls_code ls_jsonscan_plan_new(const ls_jsonscan_options *options, const ls_jsonscan_field *fields,
                             size_t field_count, ls_jsonscan_plan **out, ls_error *err) LS_MUST_USE;

/* Frees a plan. NULL-safe. */
void ls_jsonscan_plan_free(ls_jsonscan_plan *plan);

/* Scans one message and appends one row to batch (row_begin ... row_end):
 * mapped columns receive their values, all other columns are null.
 *   LS_OK              the row was added.
 *   LS_ERR_INVALID     the record cannot be converted: *record holds kind,
 *                      field, offset and message; the batch is unchanged
 *                      (the row was aborted). Send it to the dead-letter table.
 *   LS_ERR_TOO_LARGE   the batch is full (see column_batch.h): the row was
 *                      aborted; flush the batch and scan the message again.
 *                      err says so; *record is not set.
 *   LS_ERR_NOMEM       allocation failed; the row was aborted.
 *   LS_ERR_CONFLICT    only with ls_jsonscan_set_hold_unmapped: the message
 *                      has new fields; the row was aborted.
 * meta may be NULL (Kafka metadata columns are then null). record and err
 * must not be NULL. The batch's columns must have the plan's types at the
 * plan's column indexes (LS_ERR_INTERNAL otherwise, checked on every call). */
ls_code ls_jsonscan_row(ls_jsonscan_plan *plan, const uint8_t *message, size_t length,
                        const ls_kafka_meta *meta, ls_column_batch *batch,
                        ls_jsonscan_error *record, ls_error *err) LS_MUST_USE;

/* How many mapped values of the last message scanned replaced an earlier
 * value of the same field (JSON duplicate keys, the last occurrence wins):
 * 0 for a message without duplicates. Valid after ls_jsonscan_row, whatever
 * it returned. */
size_t ls_jsonscan_duplicate_keys(const ls_jsonscan_plan *plan);

/* With collect_unmapped: the distinct source paths seen at or above the parse
 * level that no field maps, in first-seen order, across all messages scanned
 * since the plan was made or last reset (at most LS_JSONSCAN_MAX_UNMAPPED;
 * later ones are dropped and ls_jsonscan_unmapped_dropped counts them). The
 * kinds are the ORed bits (1u << ls_json_kind) of all values seen. Returned
 * strings are owned by the plan, valid until the next reset or free. */
size_t ls_jsonscan_unmapped_count(const ls_jsonscan_plan *plan);
const char *ls_jsonscan_unmapped_path(const ls_jsonscan_plan *plan, size_t index,
                                      unsigned *kinds_out);
size_t ls_jsonscan_unmapped_dropped(const ls_jsonscan_plan *plan);
void ls_jsonscan_unmapped_reset(ls_jsonscan_plan *plan);

/* With collect_unmapped, for schema evolution: while hold is set, a message
 * that is otherwise valid but has a non-null value at a path no field maps
 * is not added: ls_jsonscan_row aborts the row and returns LS_ERR_CONFLICT
 * (err says so; *record is not set), and the unmapped set holds its paths.
 * The caller evolves the mapping, or clears hold and scans it again to take
 * the row without those values. Nulls at unmapped paths never hold a row. */
void ls_jsonscan_set_hold_unmapped(ls_jsonscan_plan *plan, bool hold);

/* Validates one message only (no mapping): LS_OK when it is valid JSON under
 * the rules above, LS_ERR_INVALID with *record filled otherwise. max_depth 0
 * means the default. */
ls_code ls_json_validate(const uint8_t *message, size_t length, size_t max_depth,
                         ls_jsonscan_error *record) LS_MUST_USE;

/* One field of a message at a parse level, as ls_json_walk reports it.
 * path is the source path (NUL-terminated, escaped as above; "__value__" at
 * level 0). value: strings unescaped, numbers as written, booleans "true" /
 * "false", objects and arrays as compact JSON text, NULL for null. Both point
 * into scratch storage valid only during the callback. offset is where the
 * value starts in the message. */
typedef struct ls_json_leaf {
    const char *path;
    size_t path_len;
    ls_json_kind kind;
    const uint8_t *value;
    size_t value_len;
    size_t offset;
} ls_json_leaf;

typedef ls_code (*ls_json_leaf_fn)(void *ctx, const ls_json_leaf *leaf, ls_error *err);

/* Validates a message and calls fn for every field at parse_level in
 * document order (duplicate keys are reported each time they occur).
 * LS_ERR_INVALID with *record filled when the message is invalid (fn may
 * already have been called for earlier fields); a source path longer than
 * LS_JSONSCAN_MAX_PATH_BYTES is too_large. An error returned by fn stops the
 * walk and is returned as is. max_depth 0 means the default. */
ls_code ls_json_walk(const uint8_t *message, size_t length, int parse_level, size_t max_depth,
                     ls_json_leaf_fn fn, void *ctx, ls_jsonscan_error *record,
                     ls_error *err) LS_MUST_USE;

/* Parses an RFC 3339 timestamp as the coercion rules describe (offset
 * optional) into microseconds since the epoch, UTC. false when text is not one. */
bool ls_json_parse_timestamp(const uint8_t *text, size_t len, int64_t *micros_out);

/* Parses "YYYY-MM-DD" into days since 1970-01-01. false when text is not one. */
bool ls_json_parse_date(const uint8_t *text, size_t len, int32_t *days_out);

#endif
