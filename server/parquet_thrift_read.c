#include "parquet_thrift_read.h"

#include <string.h>

void ls_thrift_reader_init(ls_thrift_reader *r, const uint8_t *data, size_t len, uint32_t max_list,
                           ls_error *err)
{
    memset(r, 0, sizeof *r);
    r->pos = data;
    r->end = data + len;
    r->err = err;
    r->max_list = max_list;
}

ls_code ls_thrift_reader_fail(ls_thrift_reader *r, const char *what)
{
    if (r->rc == LS_OK)
        r->rc = ls_error_set(r->err, LS_ERR_FORMAT, "parquet metadata: %s", what);
    /* Stop all further reads: later calls see an empty input. */
    r->pos = r->end;
    return r->rc;
}

size_t ls_thrift_reader_offset(const ls_thrift_reader *r, const uint8_t *start)
{
    return (size_t)(r->pos - start);
}

static uint8_t read_byte(ls_thrift_reader *r)
{
    if (r->rc)
        return 0;
    if (r->pos >= r->end) {
        ls_thrift_reader_fail(r, "truncated");
        return 0;
    }
    return *r->pos++;
}

/* ULEB128 of at most 10 bytes; a longer one is corrupt, not just large. */
static uint64_t read_varint(ls_thrift_reader *r)
{
    uint64_t value = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        uint8_t byte = read_byte(r);
        if (r->rc)
            return 0;
        value |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return value;
    }
    ls_thrift_reader_fail(r, "varint longer than 10 bytes");
    return 0;
}

static int64_t unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static void skip_bytes(ls_thrift_reader *r, uint64_t n)
{
    if (r->rc)
        return;
    if (n > (uint64_t)(r->end - r->pos)) {
        ls_thrift_reader_fail(r, "length past the end of the metadata");
        return;
    }
    r->pos += n;
}

void ls_thrift_struct_enter(ls_thrift_reader *r)
{
    if (r->rc)
        return;
    if (r->depth >= LS_THRIFT_READ_MAX_DEPTH) {
        ls_thrift_reader_fail(r, "structs nested too deep");
        return;
    }
    r->depth++;
}

void ls_thrift_struct_leave(ls_thrift_reader *r)
{
    if (r->depth > 0)
        r->depth--;
}

bool ls_thrift_read_field(ls_thrift_reader *r, int16_t *last_id, ls_thrift_field *field)
{
    memset(field, 0, sizeof *field);
    uint8_t byte = read_byte(r);
    if (r->rc || byte == 0)
        return false;
    uint8_t type = byte & 0x0f;
    int delta = byte >> 4;
    int64_t id;
    if (delta)
        id = (int64_t)*last_id + delta;
    else
        id = unzigzag(read_varint(r));
    if (r->rc)
        return false;
    if (id < INT16_MIN || id > INT16_MAX || type == 0 || type > LS_THRIFT_UUID) {
        ls_thrift_reader_fail(r, "bad field header");
        return false;
    }
    *last_id = (int16_t)id;
    field->id = (int16_t)id;
    if (type == LS_THRIFT_BOOL_TRUE || type == LS_THRIFT_BOOL_FALSE) {
        field->bool_value = type == LS_THRIFT_BOOL_TRUE;
        type = LS_THRIFT_BOOL_TRUE; /* one code for "bool" from here on */
    }
    field->type = type;
    return true;
}

static bool check_type(ls_thrift_reader *r, const ls_thrift_field *field, uint8_t type)
{
    if (r->rc)
        return false;
    if (field && field->type != type) {
        ls_thrift_reader_fail(r, "field has an unexpected type");
        return false;
    }
    return true;
}

int32_t ls_thrift_read_i32(ls_thrift_reader *r, const ls_thrift_field *field)
{
    /* Enums and i32 share the encoding; i16 and i8 fields are accepted where
     * an i32 is expected because their values fit. */
    if (field && (field->type == LS_THRIFT_I16))
        field = NULL;
    if (field && field->type == LS_THRIFT_I8)
        return (int8_t)read_byte(r);
    if (!check_type(r, field, LS_THRIFT_I32))
        return 0;
    int64_t v = unzigzag(read_varint(r));
    if (v < INT32_MIN || v > INT32_MAX) {
        ls_thrift_reader_fail(r, "i32 out of range");
        return 0;
    }
    return (int32_t)v;
}

int64_t ls_thrift_read_i64(ls_thrift_reader *r, const ls_thrift_field *field)
{
    if (field && (field->type == LS_THRIFT_I32 || field->type == LS_THRIFT_I16))
        field = NULL;
    if (!check_type(r, field, LS_THRIFT_I64))
        return 0;
    return unzigzag(read_varint(r));
}

bool ls_thrift_read_bool(ls_thrift_reader *r, const ls_thrift_field *field)
{
    if (field) {
        check_type(r, field, LS_THRIFT_BOOL_TRUE);
        return r->rc ? false : field->bool_value;
    }
    /* A bool list element is one byte: 1 true, anything else false. */
    return read_byte(r) == LS_THRIFT_BOOL_TRUE;
}

const uint8_t *ls_thrift_read_binary(ls_thrift_reader *r, const ls_thrift_field *field,
                                     size_t *len_out)
{
    *len_out = 0;
    if (!check_type(r, field, LS_THRIFT_BINARY))
        return NULL;
    uint64_t len = read_varint(r);
    const uint8_t *start = r->pos;
    skip_bytes(r, len);
    if (r->rc)
        return NULL;
    *len_out = (size_t)len;
    return start;
}

bool ls_thrift_expect_struct(ls_thrift_reader *r, const ls_thrift_field *field)
{
    return check_type(r, field, LS_THRIFT_STRUCT);
}

/* A list or set header: count and element type, count capped by max_list and
 * by the bytes left (every element takes at least one byte, even an empty
 * struct), so a count can never ask for more memory than the input justifies. */
static uint32_t read_collection_header(ls_thrift_reader *r, uint8_t *elem_type)
{
    uint8_t byte = read_byte(r);
    uint64_t count = byte >> 4;
    *elem_type = byte & 0x0f;
    if (count == 15)
        count = read_varint(r);
    if (r->rc)
        return 0;
    if (count > (uint64_t)(r->end - r->pos)) {
        ls_thrift_reader_fail(r, "list longer than the metadata");
        return 0;
    }
    if (count > r->max_list) {
        /* Well-formed but over our cap: a different answer than corruption. */
        r->rc = ls_error_set(r->err, LS_ERR_TOO_LARGE,
                             "parquet metadata: list of %llu elements over the cap %u",
                             (unsigned long long)count, r->max_list);
        r->pos = r->end;
        return 0;
    }
    if (*elem_type == LS_THRIFT_BOOL_FALSE)
        *elem_type = LS_THRIFT_BOOL_TRUE;
    return (uint32_t)count;
}

uint32_t ls_thrift_read_list(ls_thrift_reader *r, const ls_thrift_field *field, uint8_t elem_type)
{
    if (!check_type(r, field, LS_THRIFT_LIST))
        return 0;
    uint8_t actual;
    uint32_t count = read_collection_header(r, &actual);
    if (r->rc)
        return 0;
    if (count > 0 && actual != elem_type) {
        ls_thrift_reader_fail(r, "list elements have an unexpected type");
        return 0;
    }
    return count;
}

/* One open container while skipping: a struct (reads field headers until
 * STOP) or a collection (remaining elements, alternating key/value types for
 * maps). */
typedef struct skip_frame {
    bool is_struct;
    int16_t last_id;
    uint8_t types[2];
    uint64_t remaining;
    uint64_t index;
} skip_frame;

/* Consumes a scalar value, or opens a container frame. Returns false on error. */
static bool skip_open(ls_thrift_reader *r, uint8_t type, skip_frame *stack, int *sp)
{
    switch (type) {
    case LS_THRIFT_BOOL_TRUE:
    case LS_THRIFT_BOOL_FALSE:
        return true; /* only reached for collection elements (one byte each) */
    case LS_THRIFT_I8:
        read_byte(r);
        return !r->rc;
    case LS_THRIFT_I16:
    case LS_THRIFT_I32:
    case LS_THRIFT_I64:
        read_varint(r);
        return !r->rc;
    case LS_THRIFT_DOUBLE:
        skip_bytes(r, 8);
        return !r->rc;
    case LS_THRIFT_UUID:
        skip_bytes(r, 16);
        return !r->rc;
    case LS_THRIFT_BINARY:
        skip_bytes(r, read_varint(r));
        return !r->rc;
    default:
        break;
    }
    if (*sp >= LS_THRIFT_READ_MAX_DEPTH) {
        ls_thrift_reader_fail(r, "values nested too deep");
        return false;
    }
    skip_frame *f = &stack[(*sp)++];
    memset(f, 0, sizeof *f);
    if (type == LS_THRIFT_STRUCT) {
        f->is_struct = true;
    } else if (type == LS_THRIFT_LIST || type == LS_THRIFT_SET) {
        f->remaining = read_collection_header(r, &f->types[0]);
        f->types[1] = f->types[0];
    } else if (type == LS_THRIFT_MAP) {
        uint64_t count = read_varint(r);
        if (count) {
            uint8_t kv = read_byte(r);
            f->types[0] = kv >> 4;
            f->types[1] = kv & 0x0f;
        }
        if (!r->rc && (count > r->max_list || count > (uint64_t)(r->end - r->pos)))
            ls_thrift_reader_fail(r, "map longer than its cap or the metadata");
        f->remaining = count * 2;
    } else {
        ls_thrift_reader_fail(r, "unknown value type");
    }
    return !r->rc;
}

void ls_thrift_skip(ls_thrift_reader *r, uint8_t type)
{
    skip_frame stack[LS_THRIFT_READ_MAX_DEPTH];
    int sp = 0;
    if (r->rc || !skip_open(r, type, stack, &sp))
        return;
    while (sp > 0 && !r->rc) {
        skip_frame *f = &stack[sp - 1];
        uint8_t next;
        if (f->is_struct) {
            ls_thrift_field field;
            if (!ls_thrift_read_field(r, &f->last_id, &field)) {
                sp--;
                continue;
            }
            next = field.type;
            if (next == LS_THRIFT_BOOL_TRUE)
                continue; /* the value was in the header */
        } else {
            if (f->remaining == 0) {
                sp--;
                continue;
            }
            f->remaining--;
            next = f->types[f->index++ & 1];
            if (next == LS_THRIFT_BOOL_TRUE || next == LS_THRIFT_BOOL_FALSE) {
                read_byte(r);
                continue;
            }
        }
        skip_open(r, next, stack, &sp);
    }
}
