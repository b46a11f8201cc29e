/*
 * A Thrift compact-protocol decoder for Parquet's metadata (FileMetaData,
 * PageHeader), the counterpart of parquet_thrift.h's encoder. Internal to the
 * Parquet reader.
 *
 * The decoder reads from a caller-owned byte range and never reads past it.
 * Errors are sticky, as in the encoder: the first problem (truncated input,
 * an over-long varint, a length or count past the end of the input, a wrong
 * field type, structs nested deeper than LS_THRIFT_READ_MAX_DEPTH) records
 * LS_ERR_FORMAT in rc and err (a list count over max_list: LS_ERR_TOO_LARGE),
 * and every later call returns zeros without reading. Callers check rc once
 * per struct. Strings and binaries are returned as pointers
 * into the input (zero copy), so the input must outlive their use.
 *
 * Unknown fields are skipped with an explicit stack, never by recursion, so a
 * hostile file cannot exhaust the C stack.
 */
#ifndef LAKESYNC_PARQUET_THRIFT_READ_H
#define LAKESYNC_PARQUET_THRIFT_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parquet_thrift.h"
#include "util/error.h"

#define LS_THRIFT_READ_MAX_DEPTH 32

/* Compact-protocol codes the encoder does not produce but a reader must skip. */
enum {
    LS_THRIFT_SET = 10,
    LS_THRIFT_MAP = 11,
    LS_THRIFT_UUID = 13,
};

typedef struct ls_thrift_reader {
    const uint8_t *pos;
    const uint8_t *end;
    ls_error *err;
    ls_code rc;
    int depth;         /* open structs */
    uint32_t max_list; /* cap on any list, set or map element count */
} ls_thrift_reader;

/* One field header: type 0 means the struct ended (the STOP byte). bool_value
 * holds a BOOL field's value, which compact encodes in the header. */
typedef struct ls_thrift_field {
    uint8_t type;
    int16_t id;
    bool bool_value;
} ls_thrift_field;

/* Starts decoding len bytes at data. max_list caps the element count of any
 * list (counts are also capped by the bytes left, since every element takes
 * at least one byte). */
void ls_thrift_reader_init(ls_thrift_reader *r, const uint8_t *data, size_t len, uint32_t max_list,
                           ls_error *err);

/* Records a format error (first one wins) with a message; returns the code. */
ls_code ls_thrift_reader_fail(ls_thrift_reader *r, const char *what);

/* Bytes consumed so far from the start given to _init. */
size_t ls_thrift_reader_offset(const ls_thrift_reader *r, const uint8_t *start);

/* Enters a struct (a list element, a struct field or the top-level message);
 * fails past the depth limit. *last_id must start at 0 and is the caller's
 * per-struct field-id state for ls_thrift_read_field. */
void ls_thrift_struct_enter(ls_thrift_reader *r);
void ls_thrift_struct_leave(ls_thrift_reader *r);

/* Reads the next field header of the innermost struct. Returns false at the
 * struct's STOP byte or after an error. */
bool ls_thrift_read_field(ls_thrift_reader *r, int16_t *last_id, ls_thrift_field *field);

/* Values. Each checks that the field's type matches (field may be NULL for a
 * list element, whose type the caller checked). */
int32_t ls_thrift_read_i32(ls_thrift_reader *r, const ls_thrift_field *field);
int64_t ls_thrift_read_i64(ls_thrift_reader *r, const ls_thrift_field *field);
bool ls_thrift_read_bool(ls_thrift_reader *r, const ls_thrift_field *field);
const uint8_t *ls_thrift_read_binary(ls_thrift_reader *r, const ls_thrift_field *field,
                                     size_t *len_out);

/* Checks that a field is a struct (the caller then enters it). */
bool ls_thrift_expect_struct(ls_thrift_reader *r, const ls_thrift_field *field);

/* Reads a list header of a list field. Returns the element count (0 after an
 * error) and checks the element type against elem_type. */
uint32_t ls_thrift_read_list(ls_thrift_reader *r, const ls_thrift_field *field, uint8_t elem_type);

/* Skips a value of the given compact type (nested values included). */
void ls_thrift_skip(ls_thrift_reader *r, uint8_t type);

#endif
