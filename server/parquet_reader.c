/*
 * The Parquet reader: footer, schema mapping and row-group reads. Footer
 * decoding is in parquet_reader_meta.c, pages in parquet_reader_page.c and
 * values in parquet_reader_values.c.
 */
#include "parquet_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parquet_reader_internal.h"

struct ls_parquet_reader {
    ls_parquet_source source;
    ls_parquet_reader_options opts;
    int fd;             /* owned descriptor for _open_path, else -1 */
    const uint8_t *mem; /* borrowed buffer for _open_buffer */
    size_t mem_len;
    uint8_t *footer;   /* FileMetaData bytes; statistics point into them */
    uint64_t data_end; /* where the footer starts: column chunks end before it */
    pq_file_meta meta;
    ls_parquet_reader_column *columns;
    pq_column_desc *descs;
    size_t column_count;
    const char **skipped; /* names owned by meta */
    size_t skipped_count;
    ls_buf chunk; /* the column chunk being decoded */
    pq_scratch scratch;
};

void ls_parquet_reader_options_init(ls_parquet_reader_options *o)
{
    o->max_footer_bytes = (size_t)16 << 20;
    o->max_chunk_bytes = (size_t)512 << 20;
    o->max_page_bytes = (size_t)256 << 20;
    o->max_batch_bytes = (size_t)2 << 30;
    o->max_columns = 10000;
    o->max_column_chunks = 262144;
}

static ls_code format_error(ls_error *err, const char *what)
{
    return ls_error_set(err, LS_ERR_FORMAT, "parquet: %s", what);
}

/* ConvertedType values used in the mapping. */
enum {
    CT_UTF8 = 0,
    CT_ENUM = 4,
    CT_DECIMAL = 5,
    CT_DATE = 6,
    CT_TIME_MILLIS = 7,
    CT_TIME_MICROS = 8,
    CT_TIMESTAMP_MILLIS = 9,
    CT_TIMESTAMP_MICROS = 10,
    CT_UINT_8 = 11,
    CT_UINT_16 = 12,
    CT_UINT_32 = 13,
    CT_UINT_64 = 14,
    CT_JSON = 19,
};
/* LogicalType union ids. */
enum {
    LT_STRING = 1,
    LT_ENUM = 4,
    LT_DECIMAL = 5,
    LT_DATE = 6,
    LT_TIME = 7,
    LT_TIMESTAMP = 8,
    LT_INTEGER = 10,
    LT_JSON = 12,
};

/* Decimal precision and scale from the logical type, else the legacy fields. */
static bool decimal_of(const pq_schema_element *e, int32_t *precision, int32_t *scale)
{
    if (e->logical == LT_DECIMAL) {
        *precision = e->logical_precision;
        *scale = e->logical_scale;
        return true;
    }
    if (e->logical == 0 && e->converted_type == CT_DECIMAL) {
        *precision = e->precision;
        *scale = e->scale;
        return true;
    }
    return false;
}

static ls_code map_decimal(const pq_schema_element *e, ls_type *t, pq_conversion *conv,
                           ls_error *err)
{
    int32_t p = 0, s = 0;
    decimal_of(e, &p, &s);
    bool bytes = e->type == LS_PARQUET_BYTE_ARRAY || e->type == LS_PARQUET_FIXED_LEN_BYTE_ARRAY;
    if (bytes && p > LS_DECIMAL_MAX_PRECISION) {
        t->kind = LS_TYPE_BINARY; /* wider than we can hold: the unscaled bytes */
        *conv = PQ_CONV_BYTES;
        return LS_OK;
    }
    if (p < 1 || p > LS_DECIMAL_MAX_PRECISION || s < 0 || s > p ||
        (e->type == LS_PARQUET_INT32 && p > 18) ||
        (!bytes && e->type != LS_PARQUET_INT32 && e->type != LS_PARQUET_INT64))
        return ls_error_set_field(err, LS_ERR_FORMAT, e->name,
                                  "parquet: invalid decimal(%d,%d) on physical type %d", (int)p,
                                  (int)s, (int)e->type);
    t->kind = LS_TYPE_DECIMAL;
    t->precision = (uint8_t)p;
    t->scale = (uint8_t)s;
    bool wide = ls_type_storage(*t) == LS_STORAGE_INT128;
    if (bytes)
        *conv = PQ_CONV_DECIMAL_BE;
    else if (e->type == LS_PARQUET_INT32)
        *conv = PQ_CONV_INT32_I64;
    else
        *conv = wide ? PQ_CONV_INT64_I128 : PQ_CONV_INT64;
    return LS_OK;
}

static void map_int32(const pq_schema_element *e, ls_type *t, pq_conversion *conv)
{
    t->kind = LS_TYPE_INT;
    *conv = PQ_CONV_INT32;
    if (e->logical == LT_DATE || (e->logical == 0 && e->converted_type == CT_DATE)) {
        t->kind = LS_TYPE_DATE;
    } else if ((e->logical == LT_INTEGER && !e->int_signed && e->int_bit_width == 32) ||
               (e->logical == 0 && e->converted_type == CT_UINT_32)) {
        t->kind = LS_TYPE_BIGINT;
        *conv = PQ_CONV_UINT32_I64;
    }
    /* INT(8/16/32), UINT_8/16 and TIME(MILLIS) keep their int32 values. */
}

static void map_int64(const pq_schema_element *e, ls_type *t, pq_conversion *conv)
{
    t->kind = LS_TYPE_BIGINT;
    *conv = PQ_CONV_INT64;
    int unit = 0;
    bool utc = true;
    if (e->logical == LT_TIMESTAMP) {
        unit = e->logical_unit;
        utc = e->logical_utc;
    } else if (e->logical == 0 && e->converted_type == CT_TIMESTAMP_MILLIS) {
        unit = 1;
    } else if (e->logical == 0 && e->converted_type == CT_TIMESTAMP_MICROS) {
        unit = 2;
    }
    if (unit >= 1 && unit <= 3) {
        t->kind = utc ? LS_TYPE_TIMESTAMPTZ : LS_TYPE_TIMESTAMP;
        *conv = unit == 1 ? PQ_CONV_MILLIS : unit == 3 ? PQ_CONV_NANOS : PQ_CONV_INT64;
    } else if ((e->logical == LT_INTEGER && !e->int_signed) ||
               (e->logical == 0 && e->converted_type == CT_UINT_64)) {
        t->kind = LS_TYPE_DECIMAL;
        t->precision = 20;
        t->scale = 0;
        *conv = PQ_CONV_UINT64_I128;
    }
}

static bool is_text(const pq_schema_element *e)
{
    if (e->logical)
        return e->logical == LT_STRING || e->logical == LT_ENUM || e->logical == LT_JSON;
    return e->converted_type == CT_UTF8 || e->converted_type == CT_ENUM ||
           e->converted_type == CT_JSON;
}

/* The ls_type and conversion of a primitive schema element. */
static ls_code map_type(const pq_schema_element *e, ls_type *t, pq_conversion *conv, ls_error *err)
{
    int32_t p, s;
    memset(t, 0, sizeof *t);
    if (decimal_of(e, &p, &s))
        return map_decimal(e, t, conv, err);
    switch (e->type) {
    case LS_PARQUET_BOOLEAN:
        t->kind = LS_TYPE_BOOLEAN;
        *conv = PQ_CONV_BOOL;
        break;
    case LS_PARQUET_INT32:
        map_int32(e, t, conv);
        break;
    case LS_PARQUET_INT64:
        map_int64(e, t, conv);
        break;
    case LS_PARQUET_INT96:
        t->kind = LS_TYPE_TIMESTAMP;
        *conv = PQ_CONV_INT96;
        break;
    case LS_PARQUET_FLOAT:
        t->kind = LS_TYPE_FLOAT;
        *conv = PQ_CONV_FLOAT;
        break;
    case LS_PARQUET_DOUBLE:
        t->kind = LS_TYPE_DOUBLE;
        *conv = PQ_CONV_DOUBLE;
        break;
    case LS_PARQUET_BYTE_ARRAY:
        t->kind = is_text(e) ? LS_TYPE_STRING : LS_TYPE_BINARY;
        *conv = PQ_CONV_BYTES;
        break;
    case LS_PARQUET_FIXED_LEN_BYTE_ARRAY:
        if (e->type_length <= 0)
            return ls_error_set_field(err, LS_ERR_FORMAT, e->name,
                                      "parquet: FIXED_LEN_BYTE_ARRAY without a positive length");
        t->kind = LS_TYPE_BINARY;
        *conv = PQ_CONV_BYTES;
        break;
    default:
        return ls_error_set_field(err, LS_ERR_FORMAT, e->name, "parquet: unknown physical type %d",
                                  (int)e->type);
    }
    return LS_OK;
}

static ls_code add_column(ls_parquet_reader *r, const pq_schema_element *e, size_t leaf,
                          ls_error *err)
{
    ls_parquet_reader_column *c = &r->columns[r->column_count];
    pq_column_desc *d = &r->descs[r->column_count];
    ls_code rc = map_type(e, &c->type, &d->conversion, err);
    if (rc)
        return rc;
    c->name = e->name;
    c->has_field_id = e->has_field_id;
    c->field_id = e->field_id;
    c->required = e->repetition == PQ_REQUIRED;
    c->physical = (ls_parquet_physical)e->type;
    c->type_length = e->type_length;
    c->converted_type = e->converted_type;
    c->logical_type = e->logical;
    c->leaf_index = leaf;
    d->physical = e->type;
    d->type_length = e->type_length;
    d->required = c->required;
    d->storage = ls_type_storage(c->type);
    d->name = e->name;
    r->column_count++;
    return LS_OK;
}

/* Skips a top-level group's subtree (elements in depth-first order) with a
 * counter instead of recursion; returns the leaves it holds in *leaves. */
static ls_code skip_subtree(const pq_file_meta *m, size_t *index, size_t *leaves, ls_error *err)
{
    uint64_t pending = 1;
    while (pending > 0) {
        if (*index >= m->schema_count)
            return format_error(err, "schema ends inside a group");
        const pq_schema_element *e = &m->schema[(*index)++];
        pending--;
        if (e->num_children > 0)
            pending += (uint64_t)e->num_children;
        else
            (*leaves)++;
    }
    return LS_OK;
}

/* Walks the root's children: primitive REQUIRED/OPTIONAL fields become
 * columns, everything else is listed as skipped. */
static ls_code build_schema(ls_parquet_reader *r, ls_error *err)
{
    const pq_file_meta *m = &r->meta;
    const pq_schema_element *root = &m->schema[0];
    if (root->num_children < 0 || root->type >= 0)
        return format_error(err, "schema root is not a group");
    r->columns = calloc(m->schema_count, sizeof *r->columns);
    r->descs = calloc(m->schema_count, sizeof *r->descs);
    r->skipped = calloc(m->schema_count, sizeof *r->skipped);
    if (!r->columns || !r->descs || !r->skipped)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory for the parquet schema");
    size_t index = 1, leaf = 0;
    ls_code rc;
    for (int32_t child = 0; child < root->num_children; child++) {
        if (index >= m->schema_count)
            return format_error(err, "schema has fewer elements than the root's children");
        const pq_schema_element *e = &m->schema[index];
        if (e->num_children < 0 || (e->num_children == 0 && e->type < 0))
            return format_error(err, "schema element is neither a group nor a primitive");
        if (e->num_children > 0 || e->repetition == PQ_REPEATED) {
            r->skipped[r->skipped_count++] = e->name;
            if ((rc = skip_subtree(m, &index, &leaf, err)))
                return rc;
            continue;
        }
        if (e->repetition != PQ_REQUIRED && e->repetition != PQ_OPTIONAL)
            return format_error(err, "schema field without a valid repetition");
        if ((rc = add_column(r, e, leaf, err)))
            return rc;
        index++;
        leaf++;
    }
    if (index != m->schema_count || leaf != m->leaf_count)
        return format_error(err, "schema elements do not match the root's children");
    return LS_OK;
}

/* Row counts must add up, so a reader can trust them for paging. */
static ls_code check_row_groups(const ls_parquet_reader *r, ls_error *err)
{
    uint64_t total = 0;
    for (size_t g = 0; g < r->meta.row_group_count; g++) {
        uint64_t rows = (uint64_t)r->meta.row_groups[g].num_rows;
        if (rows > (uint64_t)INT64_MAX - total)
            return format_error(err, "row group row counts overflow");
        total += rows;
    }
    if (total != (uint64_t)r->meta.num_rows)
        return format_error(err, "row groups do not add up to the file's num_rows");
    return LS_OK;
}

static ls_code read_footer(ls_parquet_reader *r, ls_error *err)
{
    uint64_t size = r->source.size_bytes;
    uint8_t tail[8], head[4];
    if (size < 12)
        return format_error(err, "file too short to be parquet");
    ls_code rc = r->source.read_at(r->source.ctx, size - 8, tail, 8, err);
    if (rc || (rc = r->source.read_at(r->source.ctx, 0, head, 4, err)))
        return rc;
    if (memcmp(tail + 4, "PAR1", 4) || memcmp(head, "PAR1", 4))
        return format_error(err, "missing PAR1 magic (or an encrypted footer)");
    uint64_t len = (uint64_t)tail[0] | (uint64_t)tail[1] << 8 | (uint64_t)tail[2] << 16 |
                   (uint64_t)tail[3] << 24;
    if (len > size - 12)
        return format_error(err, "footer length past the start of the file");
    if (len > r->opts.max_footer_bytes)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "parquet: footer of %llu bytes over the cap %zu",
                            (unsigned long long)len, r->opts.max_footer_bytes);
    r->data_end = size - 8 - len;
    r->footer = malloc(len ? (size_t)len : 1);
    if (!r->footer)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory for the parquet footer");
    if ((rc = r->source.read_at(r->source.ctx, size - 8 - len, r->footer, (size_t)len, err)))
        return rc;
    return pq_file_meta_decode(r->footer, (size_t)len, &r->opts, &r->meta, err);
}

/* Reads and checks the footer of a reader whose source and options are set;
 * frees the reader on failure. */
static ls_parquet_reader *finish_open(ls_parquet_reader *r, ls_error *err)
{
    ls_buf_init(&r->chunk, r->opts.max_chunk_bytes);
    pq_scratch_init(&r->scratch, r->opts.max_page_bytes);
    ls_code rc = read_footer(r, err);
    if (rc == LS_OK)
        rc = build_schema(r, err);
    if (rc == LS_OK)
        rc = check_row_groups(r, err);
    if (rc) {
        ls_parquet_reader_free(r);
        return NULL;
    }
    return r;
}

ls_parquet_reader *ls_parquet_reader_open(const ls_parquet_source *source,
                                          const ls_parquet_reader_options *options, ls_error *err)
{
    ls_parquet_reader *r = calloc(1, sizeof *r);
    if (!r) {
        ls_error_set(err, LS_ERR_NOMEM, "out of memory opening a parquet file");
        return NULL;
    }
    r->fd = -1;
    r->source = *source;
    if (options)
        r->opts = *options;
    else
        ls_parquet_reader_options_init(&r->opts);
    return finish_open(r, err);
}

static ls_code buffer_read_at(void *ctx, uint64_t offset, void *out, size_t len, ls_error *err)
{
    const ls_parquet_reader *r = ctx;
    if (offset > r->mem_len || len > r->mem_len - offset)
        return ls_error_set(err, LS_ERR_FORMAT, "parquet: read past the end of the buffer");
    if (len)
        memcpy(out, r->mem + offset, len);
    return LS_OK;
}

/* Opens a reader whose source reads from the reader itself (buffer, fd):
 * the context is set after allocation, so open in two steps. */
static ls_parquet_reader *open_self(ls_parquet_read_at_fn read_at, uint64_t size, int fd,
                                    const void *mem, const ls_parquet_reader_options *options,
                                    ls_error *err)
{
    ls_parquet_source probe = {read_at, NULL, size};
    ls_parquet_reader *r = calloc(1, sizeof *r);
    if (!r) {
        if (fd >= 0)
            close(fd);
        ls_error_set(err, LS_ERR_NOMEM, "out of memory opening a parquet file");
        return NULL;
    }
    r->fd = fd;
    r->mem = mem;
    r->mem_len = (size_t)size;
    probe.ctx = r;
    r->source = probe;
    r->opts = *options;
    return finish_open(r, err);
}

ls_parquet_reader *ls_parquet_reader_open_buffer(const void *data, size_t len,
                                                 const ls_parquet_reader_options *options,
                                                 ls_error *err)
{
    ls_parquet_reader_options defaults;
    ls_parquet_reader_options_init(&defaults);
    return open_self(buffer_read_at, len, -1, data, options ? options : &defaults, err);
}

static ls_code fd_read_at(void *ctx, uint64_t offset, void *out, size_t len, ls_error *err)
{
    const ls_parquet_reader *r = ctx;
    uint8_t *p = out;
    while (len > 0) {
        ssize_t n = pread(r->fd, p, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ls_error_set(err, LS_ERR_IO, "parquet: read failed: %s", strerror(errno));
        if (n == 0)
            return ls_error_set(err, LS_ERR_FORMAT, "parquet: file shorter than expected");
        p += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return LS_OK;
}

ls_parquet_reader *ls_parquet_reader_open_path(const char *path,
                                               const ls_parquet_reader_options *options,
                                               ls_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        ls_error_set(err, e == ENOENT ? LS_ERR_NOT_FOUND : LS_ERR_IO, "cannot open %s: %s", path,
                     strerror(e));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        ls_error_set(err, LS_ERR_INVALID, "%s is not a regular file", path);
        return NULL;
    }
    ls_parquet_reader_options defaults;
    ls_parquet_reader_options_init(&defaults);
    return open_self(fd_read_at, (uint64_t)st.st_size, fd, NULL, options ? options : &defaults,
                     err);
}

void ls_parquet_reader_free(ls_parquet_reader *r)
{
    if (!r)
        return;
    pq_file_meta_cleanup(&r->meta);
    free(r->footer);
    free(r->columns);
    free(r->descs);
    free(r->skipped);
    ls_buf_cleanup(&r->chunk);
    pq_scratch_cleanup(&r->scratch);
    if (r->fd >= 0)
        close(r->fd);
    free(r);
}

uint64_t ls_parquet_reader_row_count(const ls_parquet_reader *r)
{
    return (uint64_t)r->meta.num_rows;
}

size_t ls_parquet_reader_row_group_count(const ls_parquet_reader *r)
{
    return r->meta.row_group_count;
}

uint64_t ls_parquet_reader_row_group_rows(const ls_parquet_reader *r, size_t row_group)
{
    return row_group < r->meta.row_group_count ? (uint64_t)r->meta.row_groups[row_group].num_rows
                                               : 0;
}

int32_t ls_parquet_reader_version(const ls_parquet_reader *r)
{
    return r->meta.version;
}

const char *ls_parquet_reader_created_by(const ls_parquet_reader *r)
{
    return r->meta.created_by;
}

size_t ls_parquet_reader_metadata_count(const ls_parquet_reader *r)
{
    return r->meta.key_value_count;
}

void ls_parquet_reader_metadata_at(const ls_parquet_reader *r, size_t index, const char **key,
                                   const char **value, size_t *value_len)
{
    if (index >= r->meta.key_value_count) {
        *key = NULL;
        *value = NULL;
        if (value_len)
            *value_len = 0;
        return;
    }
    const pq_key_value *kv = &r->meta.key_values[index];
    *key = kv->key;
    *value = kv->value;
    if (value_len)
        *value_len = kv->value_len;
}

size_t ls_parquet_reader_column_count(const ls_parquet_reader *r)
{
    return r->column_count;
}

const ls_parquet_reader_column *ls_parquet_reader_column_at(const ls_parquet_reader *r,
                                                            size_t index)
{
    return index < r->column_count ? &r->columns[index] : NULL;
}

long ls_parquet_reader_column_find(const ls_parquet_reader *r, const char *name)
{
    for (size_t i = 0; i < r->column_count; i++)
        if (strcmp(r->columns[i].name, name) == 0)
            return (long)i;
    return -1;
}

size_t ls_parquet_reader_skipped_count(const ls_parquet_reader *r)
{
    return r->skipped_count;
}

const char *ls_parquet_reader_skipped_name(const ls_parquet_reader *r, size_t index)
{
    return index < r->skipped_count ? r->skipped[index] : NULL;
}

ls_code ls_parquet_reader_chunk_stats(const ls_parquet_reader *r, size_t row_group, size_t column,
                                      ls_parquet_chunk_stats *out, ls_error *err)
{
    if (row_group >= r->meta.row_group_count || column >= r->column_count)
        return ls_error_set(err, LS_ERR_INVALID, "parquet: no row group %zu column %zu", row_group,
                            column);
    const pq_chunk_meta *c = &r->meta.row_groups[row_group].chunks[r->columns[column].leaf_index];
    *out = c->stats;
    out->physical = (ls_parquet_physical)c->type;
    out->codec = c->codec;
    out->num_values = c->num_values;
    out->total_compressed_bytes = c->total_compressed;
    out->total_uncompressed_bytes = c->total_uncompressed;
    return LS_OK;
}

ls_column_batch *ls_parquet_reader_batch_new(const ls_parquet_reader *r, const size_t *columns,
                                             size_t column_count)
{
    size_t n = columns ? column_count : r->column_count;
    ls_type *types = calloc(n ? n : 1, sizeof *types);
    if (!types)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t c = columns ? columns[i] : i;
        if (c >= r->column_count) {
            free(types);
            return NULL;
        }
        types[i] = r->columns[c].type;
    }
    ls_column_batch *batch = ls_column_batch_new(types, n, r->opts.max_batch_bytes);
    free(types);
    return batch;
}

/* Fetches one column chunk's bytes into r->chunk after checking that its
 * extent lies between the leading magic and the footer. */
static ls_code fetch_chunk(ls_parquet_reader *r, const pq_chunk_meta *c, const char *name,
                           ls_error *err)
{
    int64_t start = c->data_page_offset;
    /* Some writers put 0 in dictionary_page_offset when there is none. */
    if (c->has_dictionary_page_offset && c->dictionary_page_offset > 0 &&
        c->dictionary_page_offset < start)
        start = c->dictionary_page_offset;
    uint64_t data_end = r->data_end;
    if (start < 4 || c->total_compressed <= 0 || (uint64_t)start > data_end ||
        (uint64_t)c->total_compressed > data_end - (uint64_t)start)
        return ls_error_set_field(err, LS_ERR_FORMAT, name,
                                  "parquet: column chunk lies outside the file's data");
    if ((uint64_t)c->total_compressed > r->opts.max_chunk_bytes)
        return ls_error_set_field(err, LS_ERR_TOO_LARGE, name,
                                  "parquet: column chunk of %lld bytes over the cap %zu",
                                  (long long)c->total_compressed, r->opts.max_chunk_bytes);
    ls_buf_reset(&r->chunk);
    size_t len = (size_t)c->total_compressed;
    ls_code rc = ls_buf_reserve(&r->chunk, len, err);
    if (rc == LS_OK)
        rc = r->source.read_at(r->source.ctx, (uint64_t)start, r->chunk.data, len, err);
    if (rc == LS_OK)
        r->chunk.len = len;
    return rc;
}

static ls_code read_column(ls_parquet_reader *r, size_t row_group, size_t column,
                           ls_column_batch *batch, ls_column *col, ls_error *err)
{
    const ls_parquet_reader_column *rc_col = &r->columns[column];
    const pq_row_group *g = &r->meta.row_groups[row_group];
    const pq_chunk_meta *c = &g->chunks[rc_col->leaf_index];
    if (c->has_file_path)
        return ls_error_set_field(err, LS_ERR_FORMAT, rc_col->name,
                                  "parquet: column chunk in another file is not supported");
    if (c->type != (int32_t)rc_col->physical || c->num_values != g->num_rows)
        return ls_error_set_field(
            err, LS_ERR_FORMAT, rc_col->name,
            "parquet: column chunk type or value count disagrees with the schema");
    ls_code rc = fetch_chunk(r, c, rc_col->name, err);
    if (rc)
        return rc;
    size_t used = ls_column_batch_bytes(batch);
    if (used > r->opts.max_batch_bytes)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "parquet: row group over the batch cap");
    rc = pq_chunk_decode(&r->descs[column], c->codec, r->chunk.data, r->chunk.len, g->num_rows,
                         &r->scratch, col, r->opts.max_batch_bytes - used, err);
    if (rc)
        ls_error_name_field(err, rc_col->name);
    return rc;
}

ls_code ls_parquet_reader_read_row_group(ls_parquet_reader *r, size_t row_group,
                                         const size_t *columns, size_t column_count,
                                         ls_column_batch *batch, ls_error *err)
{
    size_t n = columns ? column_count : r->column_count;
    if (row_group >= r->meta.row_group_count || batch->column_count != n || batch->in_row)
        return ls_error_set(err, LS_ERR_INVALID,
                            "parquet: bad row group or batch for the projection");
    for (size_t i = 0; i < n; i++) {
        size_t c = columns ? columns[i] : i;
        if (c >= r->column_count || !ls_type_equal(batch->columns[i].type, r->columns[c].type))
            return ls_error_set(err, LS_ERR_INVALID,
                                "parquet: batch does not match the projection");
    }
    ls_column_batch_reset(batch);
    for (size_t i = 0; i < n; i++) {
        ls_code rc =
            read_column(r, row_group, columns ? columns[i] : i, batch, &batch->columns[i], err);
        if (rc)
            return rc;
    }
    batch->row_count = (size_t)r->meta.row_groups[row_group].num_rows;
    return LS_OK;
}
