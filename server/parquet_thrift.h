/*
 * A Thrift compact-protocol encoder, just enough for Parquet's metadata
 * (parquet.thrift: FileMetaData, PageHeader and what they contain).
 *
 * The encoder appends to a caller-owned ls_buf. Errors are sticky: the first
 * failed append (a cap or out of memory) is recorded in rc and err, every later
 * call does nothing, and the caller checks ls_thrift_finish() once at the end.
 * Structs nest up to LS_THRIFT_MAX_DEPTH deep; deeper nesting is a bug in the
 * caller and sets LS_ERR_INTERNAL.
 */
#ifndef LAKESYNC_PARQUET_THRIFT_H
#define LAKESYNC_PARQUET_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"

#define LS_THRIFT_MAX_DEPTH 16

/* Compact-protocol type codes (thrift-compact-protocol.md). */
enum {
    LS_THRIFT_BOOL_TRUE = 1,
    LS_THRIFT_BOOL_FALSE = 2,
    LS_THRIFT_I8 = 3,
    LS_THRIFT_I16 = 4,
    LS_THRIFT_I32 = 5,
    LS_THRIFT_I64 = 6,
    LS_THRIFT_DOUBLE = 7,
    LS_THRIFT_BINARY = 8,
    LS_THRIFT_LIST = 9,
    LS_THRIFT_STRUCT = 12,
};

typedef struct ls_thrift {
    ls_buf *out;
    ls_error *err;
    ls_code rc;
    int depth;                             /* open structs; 0 = top level */
    int16_t last_id[LS_THRIFT_MAX_DEPTH]; /* last field id written per open struct */
} ls_thrift;

/* Starts encoding into out (appending). err may be NULL. */
void ls_thrift_init(ls_thrift *t, ls_buf *out, ls_error *err);

/* Returns the first error, or LS_ERR_INTERNAL when structs are still open. */
ls_code ls_thrift_finish(ls_thrift *t) LS_MUST_USE;

/* Fields of the innermost open struct (or of the top-level struct, whose
 * begin/end the caller writes with ls_thrift_struct_begin/_end). Field ids must
 * increase within a struct. */
void ls_thrift_field_i16(ls_thrift *t, int16_t id, int16_t value);
void ls_thrift_field_i32(ls_thrift *t, int16_t id, int32_t value);
void ls_thrift_field_i64(ls_thrift *t, int16_t id, int64_t value);
void ls_thrift_field_bool(ls_thrift *t, int16_t id, bool value);
void ls_thrift_field_binary(ls_thrift *t, int16_t id, const void *data, size_t len);
void ls_thrift_field_string(ls_thrift *t, int16_t id, const char *text);

/* A struct-valued field: writes the field header and opens the struct. */
void ls_thrift_field_struct_begin(ls_thrift *t, int16_t id);

/* A list-valued field: writes the field header and the list header. The
 * caller then writes exactly count elements with the ls_thrift_elem_* calls
 * (structs: ls_thrift_struct_begin/_end). */
void ls_thrift_field_list_begin(ls_thrift *t, int16_t id, uint8_t elem_type, uint32_t count);

/* Opens a struct that is a list element or the top-level message. */
void ls_thrift_struct_begin(ls_thrift *t);

/* Closes the innermost struct (writes the stop byte). */
void ls_thrift_struct_end(ls_thrift *t);

/* List elements. */
void ls_thrift_elem_i32(ls_thrift *t, int32_t value);
void ls_thrift_elem_binary(ls_thrift *t, const void *data, size_t len);

/* Appends already-encoded bytes (e.g. list elements serialized earlier). */
void ls_thrift_raw(ls_thrift *t, const void *data, size_t len);

/* ULEB128 and zig-zag helpers, shared with the page encoders. Return the
 * number of bytes written to out (at most 10). */
size_t ls_varint_encode(uint64_t value, uint8_t *out);
static inline uint64_t ls_zigzag64(int64_t value)
{
    return ((uint64_t)value << 1) ^ (uint64_t)(value >> 63);
}

#endif
