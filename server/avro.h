/*
 * Avro object container files (Avro 1.11 specification, "Object Container
 * Files"): a writer and a schema-driven generic reader. Bytes in, bytes out;
 * no I/O besides the caller's ls_sink.
 *
 * We write containers ourselves because libavro cannot add header metadata and
 * rewrites schema JSON, dropping Iceberg's field-id attributes
 * (FORMAT-DIGEST.md section 0). The writer puts the caller's schema JSON in the
 * header verbatim and does not check records against it: callers encode each
 * record with the ls_avro_encode_* functions in schema order. Codecs: null,
 * deflate (raw RFC 1951), snappy (raw block + big-endian CRC32 of the
 * uncompressed data), zstandard (one frame per block).
 *
 * The reader parses the header, the writer schema JSON (into a schema tree,
 * with explicit stacks and depth limits) and decodes records into a generic
 * value tree. Every length read from a file is capped.
 */
#ifndef LAKESYNC_AVRO_H
#define LAKESYNC_AVRO_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/sink.h"

/* Caps applied by the reader (a file over them is LS_ERR_TOO_LARGE). */
#define LS_AVRO_MAX_DEPTH 64                      /* schema and value nesting */
#define LS_AVRO_MAX_BLOCK_BYTES (256u << 20)      /* one (decompressed) block */
#define LS_AVRO_MAX_META_ENTRIES 1024             /* header metadata entries */
#define LS_AVRO_MAX_RECORD_VALUES (4u << 20)      /* value nodes in one record */
#define LS_AVRO_MAX_SCHEMA_BYTES (4u << 20)       /* the avro.schema JSON */

typedef enum ls_avro_codec {
    LS_AVRO_CODEC_NULL = 0,
    LS_AVRO_CODEC_DEFLATE,
    LS_AVRO_CODEC_SNAPPY,
    LS_AVRO_CODEC_ZSTANDARD,
} ls_avro_codec;

/* The codec's name as written under avro.codec ("null", "deflate", "snappy",
 * "zstandard"). */
const char *ls_avro_codec_name(ls_avro_codec codec);

/* Parses a codec name; LS_ERR_INVALID for an unknown one. */
ls_code ls_avro_codec_parse(const char *name, ls_avro_codec *out, ls_error *err) LS_MUST_USE;

/* ---------------------------------------------------------------------------
 * Value encoding (Avro binary encoding), appending to a capped ls_buf.
 * int and long are both zig-zag varints; a union value is its branch index
 * (ls_avro_encode_long) followed by the branch's value; an array or map is
 * written as one block: count, items (map: key string then value), then 0.
 */
ls_code ls_avro_encode_long(ls_buf *out, int64_t value, ls_error *err) LS_MUST_USE;
ls_code ls_avro_encode_int(ls_buf *out, int32_t value, ls_error *err) LS_MUST_USE;
ls_code ls_avro_encode_boolean(ls_buf *out, int value, ls_error *err) LS_MUST_USE;
ls_code ls_avro_encode_float(ls_buf *out, float value, ls_error *err) LS_MUST_USE;
ls_code ls_avro_encode_double(ls_buf *out, double value, ls_error *err) LS_MUST_USE;
/* bytes and string: long length, then the bytes. */
ls_code ls_avro_encode_bytes(ls_buf *out, const void *data, size_t len, ls_error *err) LS_MUST_USE;
ls_code ls_avro_encode_string(ls_buf *out, const char *text, ls_error *err) LS_MUST_USE;
/* fixed: the bytes only. */
ls_code ls_avro_encode_fixed(ls_buf *out, const void *data, size_t len, ls_error *err) LS_MUST_USE;
/* A union branch index (same as ls_avro_encode_long). */
ls_code ls_avro_encode_union_branch(ls_buf *out, int32_t branch, ls_error *err) LS_MUST_USE;

/* ---------------------------------------------------------------------------
 * Writer.
 */
typedef struct ls_avro_writer ls_avro_writer;

typedef struct ls_avro_writer_options {
    ls_avro_codec codec;
    const uint8_t *sync_marker; /* 16 bytes, or NULL for random (getrandom) */
    size_t block_target_bytes;  /* flush a block when it reaches this; 0 = 64 KiB */
    size_t max_record_bytes;    /* cap of one encoded record; 0 = 64 MiB */
} ls_avro_writer_options;

/* Creates a writer that will write to sink (borrowed; it must outlive the
 * writer). schema_json is copied and written verbatim under avro.schema.
 * Nothing is written until the first record or ls_avro_writer_finish. */
ls_code ls_avro_writer_new(ls_sink *sink, const char *schema_json,
                           const ls_avro_writer_options *options, ls_avro_writer **out,
                           ls_error *err) LS_MUST_USE;

/* Adds a header metadata entry (key and value copied). Only before the header
 * is written (LS_ERR_INTERNAL after); the keys avro.schema and avro.codec are
 * reserved (LS_ERR_INVALID). Duplicate keys are LS_ERR_INVALID. */
ls_code ls_avro_writer_set_meta(ls_avro_writer *w, const char *key, const void *value,
                                size_t value_len, ls_error *err) LS_MUST_USE;
/* Same with a NUL-terminated string value. */
ls_code ls_avro_writer_set_meta_str(ls_avro_writer *w, const char *key, const char *value,
                                    ls_error *err) LS_MUST_USE;

/* Returns the (emptied) buffer the caller encodes the next record into with
 * ls_avro_encode_*; then call ls_avro_writer_end_record. The buffer belongs to
 * the writer; its cap is max_record_bytes. */
ls_buf *ls_avro_writer_begin_record(ls_avro_writer *w);

/* Appends the record encoded since begin_record to the current block, writing
 * the header first if needed and flushing full blocks to the sink. */
ls_code ls_avro_writer_end_record(ls_avro_writer *w, ls_error *err) LS_MUST_USE;

/* Writes the header if not yet written and the last block. The writer accepts
 * no records afterwards. */
ls_code ls_avro_writer_finish(ls_avro_writer *w, ls_error *err) LS_MUST_USE;

/* Number of records ended so far. */
uint64_t ls_avro_writer_record_count(const ls_avro_writer *w);

/* Frees the writer (does not touch the sink). NULL-safe. */
void ls_avro_writer_free(ls_avro_writer *w);

/* ---------------------------------------------------------------------------
 * Schema tree (parsed from schema JSON). Owned by the reader or by an
 * ls_avro_schema_parse result; read-only for callers.
 */
typedef enum ls_avro_kind {
    LS_AVRO_NULL = 0,
    LS_AVRO_BOOLEAN,
    LS_AVRO_INT,
    LS_AVRO_LONG,
    LS_AVRO_FLOAT,
    LS_AVRO_DOUBLE,
    LS_AVRO_BYTES,
    LS_AVRO_STRING,
    LS_AVRO_RECORD,
    LS_AVRO_ENUM,
    LS_AVRO_ARRAY,
    LS_AVRO_MAP,
    LS_AVRO_UNION,
    LS_AVRO_FIXED,
} ls_avro_kind;

typedef struct ls_avro_schema ls_avro_schema;

#define LS_AVRO_NO_ID INT64_MIN /* an absent field-id / element-id attribute */

typedef struct ls_avro_field {
    const char *name;
    const ls_avro_schema *type;
    int64_t field_id; /* the Iceberg "field-id" attribute, or LS_AVRO_NO_ID */
} ls_avro_field;

struct ls_avro_schema {
    ls_avro_kind kind;
    const char *name;         /* record, enum, fixed: the full name; else NULL */
    const char *logical_type; /* "date", "map", "timestamp-micros", ... or NULL */
    int32_t precision, scale; /* decimal logical type; 0 when absent */
    int64_t element_id;       /* array "element-id" or LS_AVRO_NO_ID */
    size_t fixed_size;        /* fixed */
    size_t count;             /* record: fields; union: branches; enum: symbols */
    const ls_avro_field *fields;           /* record */
    const ls_avro_schema *const *branches; /* union */
    const char *const *symbols;            /* enum */
    const ls_avro_schema *items;           /* array items, map values */
};

typedef struct ls_avro_schema_tree ls_avro_schema_tree;

/* Parses schema JSON (e.g. the avro.schema header value). Depth is limited to
 * LS_AVRO_MAX_DEPTH. LS_ERR_FORMAT for invalid JSON or schemas. */
ls_code ls_avro_schema_parse(const char *json, size_t len, ls_avro_schema_tree **out,
                             ls_error *err) LS_MUST_USE;
const ls_avro_schema *ls_avro_schema_root(const ls_avro_schema_tree *tree);
void ls_avro_schema_tree_free(ls_avro_schema_tree *tree);

/* A record field by name, or NULL. *index_out (when non-NULL) gets its index. */
const ls_avro_field *ls_avro_schema_field(const ls_avro_schema *record, const char *name,
                                          size_t *index_out);

/* ---------------------------------------------------------------------------
 * Generic values produced by the reader. A union value is represented by its
 * chosen branch (kind != LS_AVRO_UNION) with branch set to the branch index;
 * outside unions branch is -1. Strings are not NUL-terminated: use len.
 */
typedef struct ls_avro_value ls_avro_value;
struct ls_avro_value {
    ls_avro_kind kind;
    const ls_avro_schema *schema; /* the concrete (branch) schema */
    int32_t branch;
    union {
        int boolean;
        int32_t i32;     /* int, enum symbol index */
        int64_t i64;     /* long */
        float f32;
        double f64;
        struct {
            const uint8_t *data;
            size_t len;
        } bytes;         /* bytes, string, fixed */
        struct {
            ls_avro_value *items; /* record: one per field; array items; map values */
            const ls_avro_value *keys; /* map only: string values, parallel to items */
            size_t count;
        } list;
    } u;
};

/* Record field value by name (NULL when the record has no such field). */
const ls_avro_value *ls_avro_value_field(const ls_avro_value *record, const char *name);
/* Record field value by Iceberg field-id (NULL when absent). */
const ls_avro_value *ls_avro_value_field_by_id(const ls_avro_value *record, int64_t field_id);
/* True for NULL pointers and null values. */
int ls_avro_value_is_null(const ls_avro_value *v);
/* Integer of an int or long value (0 for other kinds). */
int64_t ls_avro_value_integer(const ls_avro_value *v);
/* True when v is a string or bytes value equal to text. */
int ls_avro_value_string_equals(const ls_avro_value *v, const char *text);
/* Copies a string/bytes value into a malloc'd NUL-terminated string (caller
 * frees); NULL when v is not string/bytes/fixed or on allocation failure. */
char *ls_avro_value_strdup(const ls_avro_value *v);

/* ---------------------------------------------------------------------------
 * Reader over a whole file in memory.
 */
typedef struct ls_avro_reader ls_avro_reader;

/* Parses the header and the schema. data is borrowed and must stay valid and
 * unchanged until ls_avro_reader_free. LS_ERR_FORMAT for a malformed file,
 * LS_ERR_TOO_LARGE over a cap, LS_ERR_UNPROCESSABLE for an unknown codec. */
ls_code ls_avro_reader_open(const uint8_t *data, size_t len, ls_avro_reader **out,
                            ls_error *err) LS_MUST_USE;

/* Header metadata value for key (NULL when absent); *len_out gets its length.
 * Values are NUL-terminated copies. */
const char *ls_avro_reader_meta(const ls_avro_reader *r, const char *key, size_t *len_out);
/* Number of metadata entries and the i-th key (for listing). */
size_t ls_avro_reader_meta_count(const ls_avro_reader *r);
const char *ls_avro_reader_meta_key(const ls_avro_reader *r, size_t i);

/* The avro.schema JSON exactly as stored, and its parsed tree. */
const char *ls_avro_reader_schema_json(const ls_avro_reader *r);
const ls_avro_schema *ls_avro_reader_schema(const ls_avro_reader *r);
ls_avro_codec ls_avro_reader_codec(const ls_avro_reader *r);

/* Decodes the next record: *out points to it, or is NULL at the end of the
 * file. The value (and any bytes it points to) stays valid until the next
 * call or ls_avro_reader_free. */
ls_code ls_avro_reader_next(ls_avro_reader *r, const ls_avro_value **out,
                            ls_error *err) LS_MUST_USE;

void ls_avro_reader_free(ls_avro_reader *r);

#endif
