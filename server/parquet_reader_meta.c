/*
 * FileMetaData decoding (parquet.thrift field ids). One function per struct
 * type; nesting follows the fixed shape of the thrift definitions, never the
 * input, and unknown fields go to the decoder's non-recursive skip.
 */
#include <stdlib.h>
#include <string.h>

#include "parquet_reader_internal.h"
#include "parquet_thrift_read.h"

/* Allocation failure while decoding: recorded like a format error so the
 * decoder stops, but with its own code. */
static void fail_nomem(ls_thrift_reader *r)
{
    if (r->rc == LS_OK)
        r->rc = ls_error_set(r->err, LS_ERR_NOMEM, "out of memory reading parquet metadata");
    r->pos = r->end;
}

static char *dup_text(ls_thrift_reader *r, const uint8_t *data, size_t len)
{
    if (r->rc)
        return NULL;
    char *s = malloc(len + 1);
    if (!s) {
        fail_nomem(r);
        return NULL;
    }
    if (len)
        memcpy(s, data, len);
    s[len] = '\0';
    return s;
}

static char *read_text(ls_thrift_reader *r, const ls_thrift_field *f, size_t *len_out)
{
    size_t len;
    const uint8_t *data = ls_thrift_read_binary(r, f, &len);
    if (len_out)
        *len_out = len;
    return dup_text(r, data, len);
}

/* Allocates a zeroed array of count elements (count is already capped). */
static void *alloc_array(ls_thrift_reader *r, size_t count, size_t size)
{
    if (r->rc)
        return NULL;
    void *p = calloc(count ? count : 1, size);
    if (!p)
        fail_nomem(r);
    return p;
}

/* An empty-struct-valued union member (TimeUnit, StringType, ...): returns the
 * id of the member present, skipping its body. */
static int32_t read_union_id(ls_thrift_reader *r)
{
    int16_t last = 0;
    int32_t id = 0;
    ls_thrift_field f;
    ls_thrift_struct_enter(r);
    while (ls_thrift_read_field(r, &last, &f)) {
        id = f.id;
        ls_thrift_skip(r, f.type);
    }
    ls_thrift_struct_leave(r);
    return id;
}

/* The body of a TimestampType / TimeType: isAdjustedToUTC and unit. */
static void read_time_type(ls_thrift_reader *r, pq_schema_element *e)
{
    int16_t last = 0;
    ls_thrift_field f;
    ls_thrift_struct_enter(r);
    while (ls_thrift_read_field(r, &last, &f)) {
        if (f.id == 1)
            e->logical_utc = ls_thrift_read_bool(r, &f);
        else if (f.id == 2 && ls_thrift_expect_struct(r, &f))
            e->logical_unit = read_union_id(r);
        else
            ls_thrift_skip(r, f.type);
    }
    ls_thrift_struct_leave(r);
}

/* DecimalType {1 scale, 2 precision} or IntType {1 bitWidth, 2 isSigned}. */
static void read_pair_type(ls_thrift_reader *r, pq_schema_element *e, bool is_decimal)
{
    int16_t last = 0;
    ls_thrift_field f;
    ls_thrift_struct_enter(r);
    while (ls_thrift_read_field(r, &last, &f)) {
        if (is_decimal && f.id == 1)
            e->logical_scale = ls_thrift_read_i32(r, &f);
        else if (is_decimal && f.id == 2)
            e->logical_precision = ls_thrift_read_i32(r, &f);
        else if (!is_decimal && f.id == 1)
            e->int_bit_width = ls_thrift_read_i32(r, &f);
        else if (!is_decimal && f.id == 2)
            e->int_signed = ls_thrift_read_bool(r, &f);
        else
            ls_thrift_skip(r, f.type);
    }
    ls_thrift_struct_leave(r);
}

static void read_logical_type(ls_thrift_reader *r, pq_schema_element *e)
{
    int16_t last = 0;
    ls_thrift_field f;
    ls_thrift_struct_enter(r);
    while (ls_thrift_read_field(r, &last, &f)) {
        if (!ls_thrift_expect_struct(r, &f))
            break;
        e->logical = f.id;
        switch (f.id) {
        case 5: /* DECIMAL */
            read_pair_type(r, e, true);
            break;
        case 7: /* TIME */
        case 8: /* TIMESTAMP */
            read_time_type(r, e);
            break;
        case 10: /* INTEGER */
            read_pair_type(r, e, false);
            break;
        default:
            ls_thrift_skip(r, f.type);
            break;
        }
    }
    ls_thrift_struct_leave(r);
}

static void read_schema_element(ls_thrift_reader *r, pq_schema_element *e)
{
    int16_t last = 0;
    ls_thrift_field f;
    e->type = -1;
    e->repetition = -1;
    e->converted_type = -1;
    ls_thrift_struct_enter(r);
    while (ls_thrift_read_field(r, &last, &f)) {
        switch (f.id) {
        case 1:
            e->type = ls_thrift_read_i32(r, &f);
            break;
        case 2:
            e->type_length = ls_thrift_read_i32(r, &f);
            break;
        case 3:
            e->repetition = ls_thrift_read_i32(r, &f);
            break;
        case 4:
            free(e->name);
            e->name = read_text(r, &f, NULL);
            break;
        case 5:
            e->num_children = ls_thrift_read_i32(r, &f);
            break;
        case 6:
            e->converted_type = ls_thrift_read_i32(r, &f);
            break;
        case 7:
            e->scale = ls_thrift_read_i32(r, &f);
            break;
        case 8:
            e->precision = ls_thrift_read_i32(r, &f);
            break;
        case 9:
            e->field_id = ls_thrift_read_i32(r, &f);
            e->has_field_id = true;
            break;
        case 10:
            if (ls_thrift_expect_struct(r, &f))
                read_logical_type(r, e);
            break;
        default:
            ls_thrift_skip(r, f.type);
            break;
        }
    }
    ls_thrift_struct_leave(r);
    if (!r->rc && !e->name)
        ls_thrift_reader_fail(r, "schema element without a name");
}

static void read_statistics(ls_thrift_reader *r, ls_parquet_chunk_stats *s)
{
    int16_t last = 0;
    ls_thrift_field f;
    ls_thrift_struct_enter(r);
    while (ls_thrift_read_field(r, &last, &f)) {
        switch (f.id) {
        case 1:
            s->legacy_max = ls_thrift_read_binary(r, &f, &s->legacy_max_len);
            break;
        case 2:
            s->legacy_min = ls_thrift_read_binary(r, &f, &s->legacy_min_len);
            break;
        case 3:
            s->null_count = ls_thrift_read_i64(r, &f);
            s->has_null_count = true;
            break;
        case 4:
            s->distinct_count = ls_thrift_read_i64(r, &f);
            s->has_distinct_count = true;
            break;
        case 5:
            s->max_value = ls_thrift_read_binary(r, &f, &s->max_value_len);
            break;
        case 6:
            s->min_value = ls_thrift_read_binary(r, &f, &s->min_value_len);
            break;
        default:
            ls_thrift_skip(r, f.type);
            break;
        }
    }
    ls_thrift_struct_leave(r);
}

static void read_column_meta(ls_thrift_reader *r, pq_chunk_meta *c)
{
    int16_t last = 0;
    ls_thrift_field f;
    c->has_meta_data = true;
    ls_thrift_struct_enter(r);
    while (ls_thrift_read_field(r, &last, &f)) {
        switch (f.id) {
        case 1:
            c->type = ls_thrift_read_i32(r, &f);
            break;
        case 4:
            c->codec = ls_thrift_read_i32(r, &f);
            break;
        case 5:
            c->num_values = ls_thrift_read_i64(r, &f);
            break;
        case 6:
            c->total_uncompressed = ls_thrift_read_i64(r, &f);
            break;
        case 7:
            c->total_compressed = ls_thrift_read_i64(r, &f);
            break;
        case 9:
            c->data_page_offset = ls_thrift_read_i64(r, &f);
            break;
        case 11:
            c->dictionary_page_offset = ls_thrift_read_i64(r, &f);
            c->has_dictionary_page_offset = true;
            break;
        case 12:
            if (ls_thrift_expect_struct(r, &f))
                read_statistics(r, &c->stats);
            break;
        default:
            ls_thrift_skip(r, f.type);
            break;
        }
    }
    ls_thrift_struct_leave(r);
}

static void read_column_chunk(ls_thrift_reader *r, pq_chunk_meta *c)
{
    int16_t last = 0;
    ls_thrift_field f;
    ls_thrift_struct_enter(r);
    while (ls_thrift_read_field(r, &last, &f)) {
        if (f.id == 1) {
            c->has_file_path = true;
            ls_thrift_skip(r, f.type);
        } else if (f.id == 3 && ls_thrift_expect_struct(r, &f)) {
            read_column_meta(r, c);
        } else {
            ls_thrift_skip(r, f.type);
        }
    }
    ls_thrift_struct_leave(r);
    if (!r->rc && !c->has_meta_data)
        ls_thrift_reader_fail(r, "column chunk without meta_data");
}

/* A RowGroup; its column list must have one chunk per leaf column. */
static void read_row_group(ls_thrift_reader *r, pq_row_group *g, size_t leaf_count)
{
    int16_t last = 0;
    ls_thrift_field f;
    bool have_columns = false;
    ls_thrift_struct_enter(r);
    while (ls_thrift_read_field(r, &last, &f)) {
        if (f.id == 1 && !have_columns) {
            uint32_t n = ls_thrift_read_list(r, &f, LS_THRIFT_STRUCT);
            if (!r->rc && n != leaf_count) {
                ls_thrift_reader_fail(r, "row group column count differs from the schema");
                break;
            }
            g->chunks = alloc_array(r, n, sizeof *g->chunks);
            for (uint32_t i = 0; i < n && !r->rc; i++)
                read_column_chunk(r, &g->chunks[i]);
            have_columns = true;
        } else if (f.id == 3) {
            g->num_rows = ls_thrift_read_i64(r, &f);
        } else {
            ls_thrift_skip(r, f.type);
        }
    }
    ls_thrift_struct_leave(r);
    if (!r->rc && (!have_columns || g->num_rows < 0))
        ls_thrift_reader_fail(r, "row group without columns or with a negative row count");
}

static void read_key_value(ls_thrift_reader *r, pq_key_value *kv)
{
    int16_t last = 0;
    ls_thrift_field f;
    ls_thrift_struct_enter(r);
    while (ls_thrift_read_field(r, &last, &f)) {
        if (f.id == 1 && !kv->key)
            kv->key = read_text(r, &f, NULL);
        else if (f.id == 2 && !kv->value)
            kv->value = read_text(r, &f, &kv->value_len);
        else
            ls_thrift_skip(r, f.type);
    }
    ls_thrift_struct_leave(r);
    if (!r->rc && !kv->value)
        kv->value = dup_text(r, (const uint8_t *)"", 0);
    if (!r->rc && !kv->key)
        ls_thrift_reader_fail(r, "key_value_metadata entry without a key");
}

/* Counts the schema's leaves: every element without children is one. */
static size_t count_leaves(const pq_file_meta *m)
{
    size_t leaves = 0;
    for (size_t i = 1; i < m->schema_count; i++)
        if (m->schema[i].num_children <= 0)
            leaves++;
    return leaves;
}

static void read_schema_list(ls_thrift_reader *r, const ls_thrift_field *f, pq_file_meta *m,
                             const ls_parquet_reader_options *opts)
{
    uint32_t n = ls_thrift_read_list(r, f, LS_THRIFT_STRUCT);
    if (r->rc)
        return;
    if (m->schema || n == 0 || n > opts->max_columns) {
        ls_thrift_reader_fail(r, "schema repeated, empty or over the column cap");
        return;
    }
    m->schema = alloc_array(r, n, sizeof *m->schema);
    for (uint32_t i = 0; i < n && !r->rc; i++) {
        m->schema_count = i + 1;
        read_schema_element(r, &m->schema[i]);
    }
    m->leaf_count = count_leaves(m);
}

static void read_row_group_list(ls_thrift_reader *r, const ls_thrift_field *f, pq_file_meta *m,
                                const ls_parquet_reader_options *opts)
{
    uint32_t n = ls_thrift_read_list(r, f, LS_THRIFT_STRUCT);
    if (r->rc)
        return;
    /* The schema comes first in every writer we know; row groups need it to
     * size their chunk arrays. */
    if (!m->schema || m->row_groups) {
        ls_thrift_reader_fail(r, "row groups before the schema or repeated");
        return;
    }
    if ((uint64_t)n * (m->leaf_count ? m->leaf_count : 1) > opts->max_column_chunks) {
        if (r->rc == LS_OK)
            r->rc = ls_error_set(r->err, LS_ERR_TOO_LARGE,
                                 "parquet metadata: %u row groups x %zu columns is over the cap %u",
                                 n, m->leaf_count, opts->max_column_chunks);
        r->pos = r->end;
        return;
    }
    m->row_groups = alloc_array(r, n, sizeof *m->row_groups);
    for (uint32_t i = 0; i < n && !r->rc; i++) {
        m->row_group_count = i + 1;
        read_row_group(r, &m->row_groups[i], m->leaf_count);
    }
}

static void read_key_value_list(ls_thrift_reader *r, const ls_thrift_field *f, pq_file_meta *m)
{
    uint32_t n = ls_thrift_read_list(r, f, LS_THRIFT_STRUCT);
    if (r->rc || m->key_values)
        return;
    m->key_values = alloc_array(r, n, sizeof *m->key_values);
    for (uint32_t i = 0; i < n && !r->rc; i++) {
        m->key_value_count = i + 1;
        read_key_value(r, &m->key_values[i]);
    }
}

ls_code pq_file_meta_decode(const uint8_t *data, size_t len, const ls_parquet_reader_options *opts,
                            pq_file_meta *m, ls_error *err)
{
    ls_thrift_reader r;
    ls_thrift_reader_init(&r, data, len, opts->max_column_chunks, err);
    memset(m, 0, sizeof *m);
    m->num_rows = -1;
    int16_t last = 0;
    ls_thrift_field f;
    ls_thrift_struct_enter(&r);
    while (ls_thrift_read_field(&r, &last, &f)) {
        switch (f.id) {
        case 1:
            m->version = ls_thrift_read_i32(&r, &f);
            break;
        case 2:
            read_schema_list(&r, &f, m, opts);
            break;
        case 3:
            m->num_rows = ls_thrift_read_i64(&r, &f);
            break;
        case 4:
            read_row_group_list(&r, &f, m, opts);
            break;
        case 5:
            read_key_value_list(&r, &f, m);
            break;
        case 6:
            if (!m->created_by)
                m->created_by = read_text(&r, &f, NULL);
            else
                ls_thrift_skip(&r, f.type);
            break;
        default:
            ls_thrift_skip(&r, f.type);
            break;
        }
    }
    ls_thrift_struct_leave(&r);
    if (!r.rc && (!m->schema || m->num_rows < 0))
        ls_thrift_reader_fail(&r, "FileMetaData without schema or num_rows");
    if (!r.rc && !m->created_by)
        m->created_by = dup_text(&r, (const uint8_t *)"", 0);
    if (r.rc) {
        pq_file_meta_cleanup(m);
        return r.rc;
    }
    return LS_OK;
}

void pq_file_meta_cleanup(pq_file_meta *m)
{
    for (size_t i = 0; i < m->schema_count; i++)
        free(m->schema[i].name);
    free(m->schema);
    for (size_t i = 0; i < m->row_group_count; i++)
        free(m->row_groups[i].chunks);
    free(m->row_groups);
    for (size_t i = 0; i < m->key_value_count; i++) {
        free(m->key_values[i].key);
        free(m->key_values[i].value);
    }
    free(m->key_values);
    free(m->created_by);
    memset(m, 0, sizeof *m);
}
