#include "parquet_thrift.h"

#include <string.h>

size_t ls_varint_encode(uint64_t value, uint8_t *out)
{
    size_t n = 0;
    while (value >= 0x80) {
        out[n++] = (uint8_t)(value | 0x80);
        value >>= 7;
    }
    out[n++] = (uint8_t)value;
    return n;
}

void ls_thrift_init(ls_thrift *t, ls_buf *out, ls_error *err)
{
    memset(t, 0, sizeof *t);
    t->out = out;
    t->err = err;
}

ls_code ls_thrift_finish(ls_thrift *t)
{
    if (t->rc == LS_OK && t->depth != 0)
        t->rc = ls_error_set(t->err, LS_ERR_INTERNAL, "thrift encoder finished with %d open structs",
                             t->depth);
    return t->rc;
}

static void put(ls_thrift *t, const void *data, size_t len)
{
    if (t->rc)
        return;
    t->rc = ls_buf_append(t->out, data, len, t->err);
}

static void put_varint(ls_thrift *t, uint64_t value)
{
    uint8_t tmp[10];
    put(t, tmp, ls_varint_encode(value, tmp));
}

/* Writes a field header: the short form (delta << 4 | type) when the id is
 * 1..15 above the previous one, else the type byte and the zig-zag id. */
static void field_header(ls_thrift *t, int16_t id, uint8_t type)
{
    if (t->rc)
        return;
    int16_t *last = &t->last_id[t->depth];
    int delta = id - *last;
    if (delta > 0 && delta <= 15) {
        uint8_t byte = (uint8_t)((delta << 4) | type);
        put(t, &byte, 1);
    } else {
        put(t, &type, 1);
        put_varint(t, ls_zigzag64(id));
    }
    *last = id;
}

void ls_thrift_field_i16(ls_thrift *t, int16_t id, int16_t value)
{
    field_header(t, id, LS_THRIFT_I16);
    put_varint(t, ls_zigzag64(value));
}

void ls_thrift_field_i32(ls_thrift *t, int16_t id, int32_t value)
{
    field_header(t, id, LS_THRIFT_I32);
    put_varint(t, ls_zigzag64(value));
}

void ls_thrift_field_i64(ls_thrift *t, int16_t id, int64_t value)
{
    field_header(t, id, LS_THRIFT_I64);
    put_varint(t, ls_zigzag64(value));
}

void ls_thrift_field_bool(ls_thrift *t, int16_t id, bool value)
{
    field_header(t, id, value ? LS_THRIFT_BOOL_TRUE : LS_THRIFT_BOOL_FALSE);
}

void ls_thrift_field_binary(ls_thrift *t, int16_t id, const void *data, size_t len)
{
    field_header(t, id, LS_THRIFT_BINARY);
    ls_thrift_elem_binary(t, data, len);
}

void ls_thrift_field_string(ls_thrift *t, int16_t id, const char *text)
{
    ls_thrift_field_binary(t, id, text, strlen(text));
}

void ls_thrift_struct_begin(ls_thrift *t)
{
    if (t->rc)
        return;
    if (t->depth + 1 >= LS_THRIFT_MAX_DEPTH) {
        t->rc = ls_error_set(t->err, LS_ERR_INTERNAL, "thrift structs nested too deep");
        return;
    }
    t->depth++;
    t->last_id[t->depth] = 0;
}

void ls_thrift_field_struct_begin(ls_thrift *t, int16_t id)
{
    field_header(t, id, LS_THRIFT_STRUCT);
    ls_thrift_struct_begin(t);
}

void ls_thrift_struct_end(ls_thrift *t)
{
    if (t->rc)
        return;
    if (t->depth == 0) {
        t->rc = ls_error_set(t->err, LS_ERR_INTERNAL, "thrift struct end without a begin");
        return;
    }
    uint8_t stop = 0;
    put(t, &stop, 1);
    t->depth--;
}

void ls_thrift_field_list_begin(ls_thrift *t, int16_t id, uint8_t elem_type, uint32_t count)
{
    field_header(t, id, LS_THRIFT_LIST);
    if (count <= 14) {
        uint8_t byte = (uint8_t)((count << 4) | elem_type);
        put(t, &byte, 1);
    } else {
        uint8_t byte = (uint8_t)(0xF0 | elem_type);
        put(t, &byte, 1);
        put_varint(t, count);
    }
}

void ls_thrift_elem_i32(ls_thrift *t, int32_t value)
{
    put_varint(t, ls_zigzag64(value));
}

void ls_thrift_elem_binary(ls_thrift *t, const void *data, size_t len)
{
    put_varint(t, len);
    put(t, data, len);
}

void ls_thrift_raw(ls_thrift *t, const void *data, size_t len)
{
    put(t, data, len);
}
