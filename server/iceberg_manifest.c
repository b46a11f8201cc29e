/*
 * Iceberg manifests and manifest lists: writers with Java 1.8.1's exact Avro
 * schemas, and readers that match fields by Iceberg field id.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg_internal.h"
#include "iceberg_manifest.h"

#define MAX_METRICS_PER_FILE 100000

/* ---- Avro schema pieces --------------------------------------------------- */

/* Java's AvroSchemaUtil.makeCompatibleName: invalid characters become
 * "_x<HEX>", a leading digit gets a "_" prefix. */
static ls_code avro_name(const char *name, ls_buf *out, ls_error *err)
{
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && name[i]; i++) {
        unsigned char c = (unsigned char)name[i];
        int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        int digit = c >= '0' && c <= '9';
        if (letter || (digit && i > 0))
            rc = ls_buf_append_byte(out, c, err);
        else if (digit)
            rc = ls_buf_printf(out, err, "_%c", c);
        else
            rc = ls_buf_printf(out, err, "_x%X", c);
    }
    return rc;
}

/* Bytes of the fixed type Iceberg uses for decimal(P,S): the fewest that
 * hold 10^P - 1 in two's complement (TypeUtil.decimalRequiredBytes). */
static size_t decimal_required_bytes(int precision)
{
    ls_iceberg_uint128 max = 1;
    for (int i = 0; i < precision; i++)
        max *= 10;
    max -= 1;
    size_t n = 1;
    while (n < 16 && (max >> (8 * n - 1)) != 0)
        n++;
    return n;
}

static ls_code avro_partition_type(ls_type t, ls_buf *out, ls_error *err)
{
    switch (t.kind) {
    case LS_TYPE_BOOLEAN: return ls_buf_append_str(out, "\"boolean\"", err);
    case LS_TYPE_INT: return ls_buf_append_str(out, "\"int\"", err);
    case LS_TYPE_BIGINT: return ls_buf_append_str(out, "\"long\"", err);
    case LS_TYPE_FLOAT: return ls_buf_append_str(out, "\"float\"", err);
    case LS_TYPE_DOUBLE: return ls_buf_append_str(out, "\"double\"", err);
    case LS_TYPE_STRING: return ls_buf_append_str(out, "\"string\"", err);
    case LS_TYPE_BINARY: return ls_buf_append_str(out, "\"bytes\"", err);
    case LS_TYPE_DATE: return ls_buf_append_str(out, "{\"type\":\"int\",\"logicalType\":\"date\"}", err);
    case LS_TYPE_TIMESTAMP:
    case LS_TYPE_TIMESTAMPTZ:
        return ls_buf_printf(out, err,
                             "{\"type\":\"long\",\"logicalType\":\"timestamp-micros\","
                             "\"adjust-to-utc\":%s}",
                             t.kind == LS_TYPE_TIMESTAMPTZ ? "true" : "false");
    case LS_TYPE_DECIMAL:
        return ls_buf_printf(out, err,
                             "{\"type\":\"fixed\",\"name\":\"decimal_%u_%u\",\"size\":%zu,"
                             "\"logicalType\":\"decimal\",\"precision\":%u,\"scale\":%u}",
                             t.precision, t.scale, decimal_required_bytes(t.precision),
                             t.precision, t.scale);
    }
    return ls_error_set(err, LS_ERR_INTERNAL, "unknown type");
}

static ls_code append_json_string(const char *s, ls_buf *out, ls_error *err)
{
    json_t *j = json_string(s);
    char *text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    if (!text)
        return ls_error_set(err, LS_ERR_INVALID, "name is not valid UTF-8");
    ls_code rc = ls_buf_append_str(out, text, err);
    free(text);
    return rc;
}

/* Builds both the Avro schema and the Iceberg-JSON schema of a manifest. */
static ls_code manifest_schemas(const ls_iceberg_schema *schema,
                                const ls_iceberg_partition_spec *spec, ls_buf *avro_out,
                                ls_buf *iceberg_out, ls_error *err)
{
    ls_code rc = ls_buf_append_str(avro_out, ls_iceberg_manifest_schema_head, err);
    if (!rc && iceberg_out)
        rc = ls_buf_append_str(iceberg_out, ls_iceberg_manifest_iceberg_schema_head, err);
    for (size_t i = 0; !rc && i < spec->field_count; i++) {
        const ls_iceberg_partition_field *f = &spec->fields[i];
        ls_type t;
        char tn[32];
        if ((rc = ls_iceberg_spec_field_type(spec, i, schema, &t, err)))
            break;
        rc = ls_buf_append_str(avro_out, i ? ",{\"name\":\"" : "{\"name\":\"", err);
        if (!rc)
            rc = avro_name(f->name, avro_out, err);
        if (!rc)
            rc = ls_buf_append_str(avro_out, "\",\"type\":[\"null\",", err);
        if (!rc)
            rc = avro_partition_type(t, avro_out, err);
        if (!rc)
            rc = ls_buf_printf(avro_out, err, "],\"default\":null,\"field-id\":%d}",
                               (int)f->field_id);
        if (rc || !iceberg_out)
            continue;
        rc = ls_buf_printf(iceberg_out, err, "%s{\"id\":%d,\"name\":", i ? "," : "",
                           (int)f->field_id);
        if (!rc)
            rc = append_json_string(f->name, iceberg_out, err);
        if (!rc)
            rc = ls_buf_printf(iceberg_out, err, ",\"required\":false,\"type\":\"%s\"}",
                               ls_iceberg_type_name(t, tn, sizeof tn));
    }
    if (!rc)
        rc = ls_buf_append_str(avro_out, ls_iceberg_manifest_schema_tail, err);
    if (!rc && iceberg_out)
        rc = ls_buf_append_str(iceberg_out, ls_iceberg_manifest_iceberg_schema_tail, err);
    return rc;
}

ls_code ls_iceberg_manifest_schema_json(const ls_iceberg_schema *schema,
                                        const ls_iceberg_partition_spec *spec, char **out,
                                        ls_error *err)
{
    ls_buf b;
    ls_buf_init(&b, 1 << 20);
    ls_code rc = manifest_schemas(schema, spec, &b, NULL, err);
    if (!rc && !(*out = (char *)ls_buf_take(&b, NULL)))
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory building a manifest schema");
    ls_buf_cleanup(&b);
    return rc;
}

const char *ls_iceberg_manifest_list_schema_json(void)
{
    return ls_iceberg_manifest_list_schema;
}

/* ---- value encoding ------------------------------------------------------- */

static ls_code encode_partition_value(ls_type t, const ls_iceberg_value *v, ls_buf *r,
                                      ls_error *err)
{
    if (v->is_null)
        return ls_avro_encode_union_branch(r, 0, err);
    ls_code rc = ls_avro_encode_union_branch(r, 1, err);
    if (rc)
        return rc;
    switch (t.kind) {
    case LS_TYPE_BOOLEAN: return ls_avro_encode_boolean(r, v->u.boolean, err);
    case LS_TYPE_INT:
    case LS_TYPE_DATE: return ls_avro_encode_int(r, v->u.i32, err);
    case LS_TYPE_BIGINT:
    case LS_TYPE_TIMESTAMP:
    case LS_TYPE_TIMESTAMPTZ: return ls_avro_encode_long(r, v->u.i64, err);
    case LS_TYPE_FLOAT: return ls_avro_encode_float(r, v->u.f32, err);
    case LS_TYPE_DOUBLE: return ls_avro_encode_double(r, v->u.f64, err);
    case LS_TYPE_STRING:
    case LS_TYPE_BINARY: return ls_avro_encode_bytes(r, v->u.bytes.data, v->u.bytes.len, err);
    case LS_TYPE_DECIMAL: {
        size_t n = decimal_required_bytes(t.precision);
        uint8_t be[16];
        ls_iceberg_uint128 u = (ls_iceberg_uint128)v->u.unscaled;
        for (int i = 15; i >= 0; i--) {
            be[i] = (uint8_t)(u & 0xff);
            u >>= 8;
        }
        /* The dropped leading bytes must be pure sign extension. */
        for (size_t i = 0; i < 16 - n; i++)
            if (be[i] != ((be[16 - n] & 0x80) ? 0xff : 0x00))
                return ls_error_set(err, LS_ERR_INVALID,
                                    "decimal partition value exceeds precision %u", t.precision);
        return ls_avro_encode_fixed(r, be + 16 - n, n, err);
    }
    }
    return ls_error_set(err, LS_ERR_INTERNAL, "unknown type");
}

/* Writes an Iceberg int->long map (array of key/value records) of the counts
 * selected by which (0 sizes, 1 values, 2 nulls, 3 NaNs); unknown (-1)
 * counts are left out. */
static ls_code encode_count_map(const ls_iceberg_data_file *f, int which, ls_buf *r,
                                ls_error *err)
{
    int64_t n = 0;
    for (size_t i = 0; i < f->column_count; i++) {
        const ls_iceberg_column_stats *c = &f->columns[i];
        int64_t v = which == 0 ? c->column_size_bytes
                    : which == 1 ? c->value_count
                    : which == 2 ? c->null_value_count
                                 : c->nan_value_count;
        n += v >= 0;
    }
    ls_code rc = ls_avro_encode_union_branch(r, 1, err);
    if (!rc && n)
        rc = ls_avro_encode_long(r, n, err);
    for (size_t i = 0; !rc && i < f->column_count; i++) {
        const ls_iceberg_column_stats *c = &f->columns[i];
        int64_t v = which == 0 ? c->column_size_bytes
                    : which == 1 ? c->value_count
                    : which == 2 ? c->null_value_count
                                 : c->nan_value_count;
        if (v < 0)
            continue;
        rc = ls_avro_encode_int(r, c->field_id, err);
        if (!rc)
            rc = ls_avro_encode_long(r, v, err);
    }
    if (!rc)
        rc = ls_avro_encode_long(r, 0, err);
    return rc;
}

/* Serializes the (truncated) bounds of every column into bounds[2*i] (lower)
 * and bounds[2*i+1] (upper); len SIZE_MAX marks an absent bound. */
typedef struct bound_bytes {
    uint8_t data[80];
    size_t len;
} bound_bytes;

static ls_code file_bounds(const ls_iceberg_schema *schema, const ls_iceberg_data_file *f,
                           bound_bytes *bounds, ls_error *err)
{
    ls_buf b;
    ls_buf_init(&b, 64);
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && i < f->column_count; i++) {
        const ls_iceberg_column_stats *c = &f->columns[i];
        const ls_iceberg_field *field = ls_iceberg_schema_find_id(schema, c->field_id);
        bounds[2 * i].len = bounds[2 * i + 1].len = SIZE_MAX;
        if (!field) {
            rc = ls_error_set(err, LS_ERR_INVALID, "column stats for unknown field id %d",
                              (int)c->field_id);
            break;
        }
        ls_type type = field->type;
        if (c->has_type) {
            /* Only the file's type before an allowed promotion may differ. */
            int ok = ls_type_equal(c->type, type) ||
                     (c->type.kind == LS_TYPE_INT && type.kind == LS_TYPE_BIGINT) ||
                     (c->type.kind == LS_TYPE_FLOAT && type.kind == LS_TYPE_DOUBLE) ||
                     (c->type.kind == LS_TYPE_DECIMAL && type.kind == LS_TYPE_DECIMAL &&
                      c->type.scale == type.scale && c->type.precision <= type.precision);
            if (!ok) {
                rc = ls_error_set(err, LS_ERR_INVALID,
                                  "column stats type of field %d does not match the schema",
                                  (int)c->field_id);
                break;
            }
            type = c->type;
        }
        for (int upper = 0; !rc && upper < 2; upper++) {
            ls_iceberg_value v;
            uint8_t scratch[64];
            if (!(upper ? c->has_upper_bound : c->has_lower_bound))
                continue;
            const ls_iceberg_value *in = upper ? &c->upper_bound : &c->lower_bound;
            if (in->is_null)
                continue;
            if (upper) {
                if (!ls_iceberg_bound_upper(type, in, scratch, sizeof scratch, &v))
                    continue;
            } else {
                ls_iceberg_bound_lower(type, in, &v);
            }
            ls_buf_reset(&b);
            if ((rc = ls_iceberg_value_to_bytes(type, &v, &b, err)))
                break;
            bound_bytes *out = &bounds[2 * i + (size_t)upper];
            memcpy(out->data, b.data, b.len);
            out->len = b.len;
        }
    }
    ls_buf_cleanup(&b);
    return rc;
}

static ls_code encode_bound_map(const ls_iceberg_data_file *f, const bound_bytes *bounds,
                                int upper, ls_buf *r, ls_error *err)
{
    int64_t n = 0;
    for (size_t i = 0; i < f->column_count; i++)
        n += bounds[2 * i + (size_t)upper].len != SIZE_MAX;
    ls_code rc = ls_avro_encode_union_branch(r, 1, err);
    if (!rc && n)
        rc = ls_avro_encode_long(r, n, err);
    for (size_t i = 0; !rc && i < f->column_count; i++) {
        const bound_bytes *b = &bounds[2 * i + (size_t)upper];
        if (b->len == SIZE_MAX)
            continue;
        rc = ls_avro_encode_int(r, f->columns[i].field_id, err);
        if (!rc)
            rc = ls_avro_encode_bytes(r, b->data, b->len, err);
    }
    if (!rc)
        rc = ls_avro_encode_long(r, 0, err);
    return rc;
}

static ls_code encode_entry(const ls_iceberg_schema *schema, const ls_iceberg_partition_spec *spec,
                            const ls_type *part_types, int64_t snapshot_id,
                            const ls_iceberg_data_file *f, ls_buf *r, ls_error *err)
{
    bound_bytes *bounds = NULL;
    ls_code rc = LS_OK;
    if (f->column_count > MAX_METRICS_PER_FILE)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "more than %d column stats",
                            MAX_METRICS_PER_FILE);
    if (f->column_count &&
        !(bounds = malloc(2 * f->column_count * sizeof *bounds)))
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory encoding a manifest entry");
    if ((rc = file_bounds(schema, f, bounds, err)))
        goto out;
    /* status ADDED, snapshot id, sequence numbers inherited (null). */
    if ((rc = ls_avro_encode_int(r, 1, err)) || (rc = ls_avro_encode_union_branch(r, 1, err)) ||
        (rc = ls_avro_encode_long(r, snapshot_id, err)) ||
        (rc = ls_avro_encode_union_branch(r, 0, err)) ||
        (rc = ls_avro_encode_union_branch(r, 0, err)))
        goto out;
    /* data_file */
    if ((rc = ls_avro_encode_int(r, 0, err)) || (rc = ls_avro_encode_string(r, f->path, err)) ||
        (rc = ls_avro_encode_string(r, f->file_format ? f->file_format : "PARQUET", err)))
        goto out;
    for (size_t i = 0; i < spec->field_count; i++)
        if ((rc = encode_partition_value(part_types[i], &f->partition[i], r, err)))
            goto out;
    if ((rc = ls_avro_encode_long(r, f->record_count, err)) ||
        (rc = ls_avro_encode_long(r, f->file_size_bytes, err)))
        goto out;
    for (int which = 0; which < 4; which++)
        if ((rc = encode_count_map(f, which, r, err)))
            goto out;
    if ((rc = encode_bound_map(f, bounds, 0, r, err)) ||
        (rc = encode_bound_map(f, bounds, 1, r, err)) ||
        (rc = ls_avro_encode_union_branch(r, 0, err))) /* key_metadata */
        goto out;
    if (f->split_offset_count) {
        if ((rc = ls_avro_encode_union_branch(r, 1, err)) ||
            (rc = ls_avro_encode_long(r, (int64_t)f->split_offset_count, err)))
            goto out;
        for (size_t i = 0; i < f->split_offset_count; i++)
            if ((rc = ls_avro_encode_long(r, f->split_offsets[i], err)))
                goto out;
        if ((rc = ls_avro_encode_long(r, 0, err)))
            goto out;
    } else if ((rc = ls_avro_encode_union_branch(r, 0, err))) {
        goto out;
    }
    /* equality_ids null, sort_order_id 0 (unsorted), referenced_data_file null */
    if ((rc = ls_avro_encode_union_branch(r, 0, err)) ||
        (rc = ls_avro_encode_union_branch(r, 1, err)) || (rc = ls_avro_encode_int(r, 0, err)) ||
        (rc = ls_avro_encode_union_branch(r, 0, err)))
        goto out;
out:
    free(bounds);
    return rc;
}

/* ---- partition summaries -------------------------------------------------- */

static int is_nan_value(ls_type t, const ls_iceberg_value *v)
{
    return !v->is_null && ((t.kind == LS_TYPE_FLOAT && isnan(v->u.f32)) ||
                           (t.kind == LS_TYPE_DOUBLE && isnan(v->u.f64)));
}

static ls_code summarize_partitions(const ls_iceberg_partition_spec *spec, const ls_type *types,
                                    const ls_iceberg_data_file *files, size_t n,
                                    ls_iceberg_manifest_file *m, ls_error *err)
{
    m->has_partitions = 1;
    m->partition_count = spec->field_count;
    if (!spec->field_count)
        return LS_OK;
    m->partitions = calloc(spec->field_count, sizeof *m->partitions);
    if (!m->partitions)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory summarizing partitions");
    ls_buf b;
    ls_buf_init(&b, 1 << 20);
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && i < spec->field_count; i++) {
        ls_iceberg_field_summary *s = &m->partitions[i];
        const ls_iceberg_value *lo = NULL, *hi = NULL;
        s->contains_nan = 0;
        for (size_t k = 0; k < n; k++) {
            const ls_iceberg_value *v = &files[k].partition[i];
            if (v->is_null) {
                s->contains_null = 1;
            } else if (is_nan_value(types[i], v)) {
                s->contains_nan = 1;
            } else {
                if (!lo || ls_iceberg_value_compare(types[i], v, lo) < 0)
                    lo = v;
                if (!hi || ls_iceberg_value_compare(types[i], v, hi) > 0)
                    hi = v;
            }
        }
        for (int upper = 0; !rc && upper < 2 && lo; upper++) {
            ls_buf_reset(&b);
            if ((rc = ls_iceberg_value_to_bytes(types[i], upper ? hi : lo, &b, err)))
                break;
            uint8_t *copy = malloc(b.len ? b.len : 1);
            if (!copy) {
                rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory summarizing partitions");
                break;
            }
            if (b.len)
                memcpy(copy, b.data, b.len);
            if (upper) {
                s->upper_bound = copy;
                s->upper_bound_len = b.len;
            } else {
                s->lower_bound = copy;
                s->lower_bound_len = b.len;
            }
        }
    }
    ls_buf_cleanup(&b);
    return rc;
}

void ls_iceberg_manifest_file_cleanup(ls_iceberg_manifest_file *m)
{
    if (!m)
        return;
    free(m->manifest_path);
    for (size_t i = 0; i < m->partition_count && m->partitions; i++) {
        free(m->partitions[i].lower_bound);
        free(m->partitions[i].upper_bound);
    }
    free(m->partitions);
    free(m->key_metadata);
    memset(m, 0, sizeof *m);
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    if (c && n)
        memcpy(c, p, n);
    return c;
}

ls_code ls_iceberg_manifest_file_copy(const ls_iceberg_manifest_file *from,
                                      ls_iceberg_manifest_file *to, ls_error *err)
{
    *to = *from;
    to->manifest_path = NULL;
    to->partitions = NULL;
    to->key_metadata = NULL;
    to->partition_count = 0;
    if (!(to->manifest_path = strdup(from->manifest_path)))
        goto nomem;
    if (from->key_metadata &&
        !(to->key_metadata = dup_bytes(from->key_metadata, from->key_metadata_len)))
        goto nomem;
    if (from->partition_count) {
        if (!(to->partitions = calloc(from->partition_count, sizeof *to->partitions)))
            goto nomem;
        to->partition_count = from->partition_count;
        for (size_t i = 0; i < from->partition_count; i++) {
            const ls_iceberg_field_summary *s = &from->partitions[i];
            ls_iceberg_field_summary *d = &to->partitions[i];
            *d = *s;
            d->lower_bound = d->upper_bound = NULL;
            if (s->lower_bound && !(d->lower_bound = dup_bytes(s->lower_bound, s->lower_bound_len)))
                goto nomem;
            if (s->upper_bound && !(d->upper_bound = dup_bytes(s->upper_bound, s->upper_bound_len)))
                goto nomem;
        }
    }
    return LS_OK;
nomem:
    ls_iceberg_manifest_file_cleanup(to);
    return ls_error_set(err, LS_ERR_NOMEM, "out of memory copying a manifest entry");
}

/* ---- writers -------------------------------------------------------------- */

static ls_code set_meta_json(ls_avro_writer *w, const char *key, json_t *j, ls_error *err)
{
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    if (!text)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory writing manifest metadata");
    ls_code rc = ls_avro_writer_set_meta_str(w, key, text, err);
    free(text);
    return rc;
}

static ls_code set_meta_int(ls_avro_writer *w, const char *key, int64_t v, ls_error *err)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)v);
    return ls_avro_writer_set_meta_str(w, key, text, err);
}

/* Checks what we wrote by reading it back (STYLE.md rule 11). */
static ls_code verify_manifest(const ls_buf *out, size_t start, const ls_iceberg_data_file *files,
                               size_t n, ls_error *err)
{
    ls_iceberg_manifest *m = NULL;
    ls_error inner = {0};
    ls_code rc = ls_iceberg_manifest_read(out->data + start, out->len - start, &m, &inner);
    if (rc)
        return ls_error_set(err, LS_ERR_INTERNAL, "manifest we wrote does not read back: %s",
                            inner.message);
    int ok = m->entry_count == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = strcmp(m->entries[i].file_path, files[i].path) == 0 &&
             m->entries[i].record_count == files[i].record_count &&
             m->entries[i].status == 1;
    ls_iceberg_manifest_free(m);
    if (!ok)
        return ls_error_set(err, LS_ERR_INTERNAL, "manifest we wrote reads back differently");
    return LS_OK;
}

/* Starts a data manifest of spec for schema into sink: the entry schema and
 * the header keys Java writes. types receives the partition result types. */
static ls_code manifest_writer_open(const ls_iceberg_schema *schema,
                                    const ls_iceberg_partition_spec *spec, ls_avro_codec codec,
                                    ls_sink *sink, ls_type *types, ls_avro_writer **out,
                                    ls_error *err)
{
    ls_buf avro_schema, iceberg_schema;
    ls_buf_init(&avro_schema, 1 << 20);
    ls_buf_init(&iceberg_schema, 1 << 20);
    ls_avro_writer *w = NULL;
    ls_code rc = LS_OK;
    *out = NULL;
    if (spec->field_count > LS_ICEBERG_MAX_PARTITION_FIELDS) {
        rc = ls_error_set(err, LS_ERR_TOO_LARGE, "too many partition fields");
        goto out;
    }
    for (size_t i = 0; i < spec->field_count; i++)
        if ((rc = ls_iceberg_spec_field_type(spec, i, schema, &types[i], err)))
            goto out;
    if ((rc = manifest_schemas(schema, spec, &avro_schema, &iceberg_schema, err)))
        goto out;
    ls_avro_writer_options opt = {.codec = codec};
    if ((rc = ls_avro_writer_new(sink, (const char *)avro_schema.data, &opt, &w, err)) ||
        (rc = set_meta_json(w, "schema", ls_iceberg_schema_to_json(schema), err)) ||
        (rc = set_meta_int(w, "schema-id", schema->schema_id, err)) ||
        (rc = set_meta_json(w, "partition-spec", ls_iceberg_spec_fields_to_json(spec), err)) ||
        (rc = set_meta_int(w, "partition-spec-id", spec->spec_id, err)) ||
        (rc = ls_avro_writer_set_meta_str(w, "format-version", "2", err)) ||
        (rc = ls_avro_writer_set_meta_str(w, "content", "data", err)) ||
        (rc = ls_avro_writer_set_meta_str(w, "iceberg.schema", (const char *)iceberg_schema.data,
                                          err)))
        goto out;
    *out = w;
    w = NULL;
out:
    ls_avro_writer_free(w);
    ls_buf_cleanup(&avro_schema);
    ls_buf_cleanup(&iceberg_schema);
    return rc;
}

/* Fills the manifest list entry of a manifest just written at path. */
static ls_code manifest_summary_init(const ls_iceberg_partition_spec *spec, const char *path,
                                     int64_t length, int64_t snapshot_id,
                                     int64_t sequence_number, ls_iceberg_manifest_file *m,
                                     ls_error *err)
{
    if (!(m->manifest_path = strdup(path)))
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    m->manifest_length = length;
    m->partition_spec_id = spec->spec_id;
    m->content = 0;
    m->sequence_number = m->min_sequence_number = sequence_number;
    m->added_snapshot_id = snapshot_id;
    return LS_OK;
}

ls_code ls_iceberg_manifest_write(const ls_iceberg_schema *schema,
                                  const ls_iceberg_partition_spec *spec, int64_t snapshot_id,
                                  int64_t sequence_number, const ls_iceberg_data_file *files,
                                  size_t file_count, const char *path, ls_avro_codec codec,
                                  ls_buf *out, ls_iceberg_manifest_file *summary_out,
                                  ls_error *err)
{
    memset(summary_out, 0, sizeof *summary_out);
    ls_type types[LS_ICEBERG_MAX_PARTITION_FIELDS];
    ls_avro_writer *w = NULL;
    ls_sink sink = ls_sink_for_buf(out);
    size_t start = out->len;
    ls_code rc = manifest_writer_open(schema, spec, codec, &sink, types, &w, err);
    if (rc)
        goto out;
    int64_t rows = 0;
    for (size_t i = 0; i < file_count; i++) {
        const ls_iceberg_data_file *f = &files[i];
        if (!f->path || !*f->path || f->record_count < 0 || f->file_size_bytes < 0 ||
            (spec->field_count && !f->partition)) {
            rc = ls_error_set(err, LS_ERR_INVALID, "data file %zu is incomplete", i);
            goto out;
        }
        rows += f->record_count;
        if ((rc = encode_entry(schema, spec, types, snapshot_id, f, ls_avro_writer_begin_record(w),
                               err)) ||
            (rc = ls_avro_writer_end_record(w, err)))
            goto out;
    }
    if ((rc = ls_avro_writer_finish(w, err)))
        goto out;
    if ((rc = verify_manifest(out, start, files, file_count, err)))
        goto out;
    ls_iceberg_manifest_file *m = summary_out;
    if ((rc = manifest_summary_init(spec, path, (int64_t)(out->len - start), snapshot_id,
                                    sequence_number, m, err)))
        goto out;
    m->added_files_count = (int32_t)file_count;
    m->added_rows_count = rows;
    rc = summarize_partitions(spec, types, files, file_count, m, err);
out:
    if (rc)
        ls_iceberg_manifest_file_cleanup(summary_out);
    ls_avro_writer_free(w);
    return rc;
}

/* ---- rewriting entries as read -------------------------------------------- */

ls_iceberg_value ls_iceberg_read_partition_value(ls_type t, const ls_iceberg_read_partition *p)
{
    ls_iceberg_value v = p->value;
    if (!v.is_null && p->kind == LS_AVRO_INT &&
        (t.kind == LS_TYPE_BIGINT || t.kind == LS_TYPE_TIMESTAMP || t.kind == LS_TYPE_TIMESTAMPTZ))
        v.u.i64 = p->value.u.i32;
    else if (!v.is_null && p->kind == LS_AVRO_FLOAT && t.kind == LS_TYPE_DOUBLE)
        v.u.f64 = p->value.u.f32;
    return v;
}

/* Writes one of the read metrics maps: which 0 sizes, 1 values, 2 nulls,
 * 3 NaNs (longs), 4 lower and 5 upper bounds (bytes); absent ones are left
 * out. */
static ls_code encode_read_map(const ls_iceberg_manifest_entry *e, int which, ls_buf *r,
                               ls_error *err)
{
    int64_t n = 0;
    for (size_t pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            ls_code rc = ls_avro_encode_union_branch(r, 1, err);
            if (!rc && n)
                rc = ls_avro_encode_long(r, n, err);
            if (rc)
                return rc;
        }
        for (size_t i = 0; i < e->metrics_count; i++) {
            const ls_iceberg_read_metrics *m = &e->metrics[i];
            int64_t count = which == 0 ? m->column_size_bytes
                            : which == 1 ? m->value_count
                            : which == 2 ? m->null_value_count
                                         : m->nan_value_count;
            const uint8_t *bound = which == 4 ? m->lower_bound : m->upper_bound;
            size_t bound_len = which == 4 ? m->lower_bound_len : m->upper_bound_len;
            int present = which < 4 ? count >= 0 : bound != NULL;
            if (!present)
                continue;
            if (pass == 0) {
                n++;
                continue;
            }
            ls_code rc = ls_avro_encode_int(r, m->field_id, err);
            if (!rc)
                rc = which < 4 ? ls_avro_encode_long(r, count, err)
                               : ls_avro_encode_bytes(r, bound, bound_len, err);
            if (rc)
                return rc;
        }
    }
    return ls_avro_encode_long(r, 0, err);
}

/* Encodes e's data_file as read, partition values typed by types. */
static ls_code encode_read_data_file(const ls_iceberg_partition_spec *spec, const ls_type *types,
                                     const ls_iceberg_manifest_entry *e, ls_buf *r, ls_error *err)
{
    ls_code rc;
    if ((rc = ls_avro_encode_int(r, e->content, err)) ||
        (rc = ls_avro_encode_string(r, e->file_path, err)) ||
        (rc = ls_avro_encode_string(r, e->file_format ? e->file_format : "PARQUET", err)))
        return rc;
    for (size_t i = 0; i < spec->field_count; i++) {
        ls_iceberg_value v = ls_iceberg_read_partition_value(types[i], &e->partition[i]);
        if ((rc = encode_partition_value(types[i], &v, r, err)))
            return rc;
    }
    if ((rc = ls_avro_encode_long(r, e->record_count, err)) ||
        (rc = ls_avro_encode_long(r, e->file_size_bytes, err)))
        return rc;
    for (int which = 0; which < 6; which++)
        if ((rc = encode_read_map(e, which, r, err)))
            return rc;
    if ((rc = ls_avro_encode_union_branch(r, 0, err))) /* key_metadata */
        return rc;
    if (e->has_split_offsets) {
        if ((rc = ls_avro_encode_union_branch(r, 1, err)) ||
            (e->split_offset_count &&
             (rc = ls_avro_encode_long(r, (int64_t)e->split_offset_count, err))))
            return rc;
        for (size_t i = 0; i < e->split_offset_count; i++)
            if ((rc = ls_avro_encode_long(r, e->split_offsets[i], err)))
                return rc;
        if ((rc = ls_avro_encode_long(r, 0, err)))
            return rc;
    } else if ((rc = ls_avro_encode_union_branch(r, 0, err))) {
        return rc;
    }
    /* equality_ids null, sort_order_id 0 (unsorted), referenced_data_file null */
    if ((rc = ls_avro_encode_union_branch(r, 0, err)) ||
        (rc = ls_avro_encode_union_branch(r, 1, err)) || (rc = ls_avro_encode_int(r, 0, err)))
        return rc;
    return ls_avro_encode_union_branch(r, 0, err);
}

static ls_code encode_entry_write(const ls_iceberg_partition_spec *spec, const ls_type *types,
                                  const ls_iceberg_entry_write *w, ls_buf *r, ls_error *err)
{
    ls_code rc;
    /* status, then snapshot id and both sequence numbers explicit: only
     * ADDED entries may inherit them from the manifest list. */
    if ((rc = ls_avro_encode_int(r, w->status, err)) ||
        (rc = ls_avro_encode_union_branch(r, 1, err)) ||
        (rc = ls_avro_encode_long(r, w->snapshot_id, err)) ||
        (rc = ls_avro_encode_union_branch(r, 1, err)) ||
        (rc = ls_avro_encode_long(r, w->sequence_number, err)) ||
        (rc = ls_avro_encode_union_branch(r, 1, err)) ||
        (rc = ls_avro_encode_long(r, w->file_sequence_number, err)))
        return rc;
    return encode_read_data_file(spec, types, w->entry, r, err);
}

/* Checks the entries are writable: data files whose partition has spec's
 * arity, statuses EXISTING or DELETED, explicit sequence numbers. */
static ls_code check_entry_writes(const ls_iceberg_partition_spec *spec,
                                  const ls_iceberg_entry_write *entries, size_t n, ls_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const ls_iceberg_entry_write *w = &entries[i];
        if ((w->status != 0 && w->status != 2) || w->snapshot_id < 0 || w->sequence_number < 0 ||
            w->file_sequence_number < 0 || !w->entry || w->entry->content != 0 ||
            !w->entry->file_path || w->entry->partition_count != spec->field_count)
            return ls_error_set(err, LS_ERR_INVALID, "manifest entry %zu cannot be rewritten", i);
    }
    return LS_OK;
}

/* Partition summaries over all entries (Java counts deleted ones too). */
static ls_code summarize_entry_partitions(const ls_iceberg_partition_spec *spec,
                                          const ls_type *types,
                                          const ls_iceberg_entry_write *entries, size_t n,
                                          ls_iceberg_manifest_file *m, ls_error *err)
{
    size_t fields = spec->field_count;
    ls_iceberg_data_file *files = calloc(n ? n : 1, sizeof *files);
    size_t value_count = n * fields;
    ls_iceberg_value *values = calloc(value_count ? value_count : 1, sizeof *values);
    ls_code rc = LS_OK;
    if (!files || !values) {
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory summarizing partitions");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < fields; k++)
            values[i * fields + k] = ls_iceberg_read_partition_value(types[k], &entries[i].entry->partition[k]);
        files[i].partition = &values[i * fields];
    }
    rc = summarize_partitions(spec, types, files, n, m, err);
out:
    free(files);
    free(values);
    return rc;
}

/* Checks a rewritten manifest reads back with the same entries. */
static ls_code verify_entry_writes(const ls_buf *out, size_t start,
                                   const ls_iceberg_entry_write *entries, size_t n, ls_error *err)
{
    ls_iceberg_manifest *m = NULL;
    ls_error inner = {0};
    if (ls_iceberg_manifest_read(out->data + start, out->len - start, &m, &inner))
        return ls_error_set(err, LS_ERR_INTERNAL, "manifest we wrote does not read back: %s",
                            inner.message);
    int ok = m->entry_count == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = strcmp(m->entries[i].file_path, entries[i].entry->file_path) == 0 &&
             m->entries[i].status == entries[i].status &&
             m->entries[i].record_count == entries[i].entry->record_count &&
             m->entries[i].sequence_number == entries[i].sequence_number;
    ls_iceberg_manifest_free(m);
    if (!ok)
        return ls_error_set(err, LS_ERR_INTERNAL, "manifest we wrote reads back differently");
    return LS_OK;
}

ls_code ls_iceberg_manifest_write_entries(const ls_iceberg_schema *schema,
                                          const ls_iceberg_partition_spec *spec,
                                          int64_t snapshot_id, int64_t sequence_number,
                                          const ls_iceberg_entry_write *entries, size_t count,
                                          const char *path, ls_avro_codec codec, ls_buf *out,
                                          ls_iceberg_manifest_file *summary_out, ls_error *err)
{
    memset(summary_out, 0, sizeof *summary_out);
    ls_type types[LS_ICEBERG_MAX_PARTITION_FIELDS];
    ls_avro_writer *w = NULL;
    ls_sink sink = ls_sink_for_buf(out);
    size_t start = out->len;
    ls_code rc = check_entry_writes(spec, entries, count, err);
    if (!rc)
        rc = manifest_writer_open(schema, spec, codec, &sink, types, &w, err);
    for (size_t i = 0; !rc && i < count; i++) {
        rc = encode_entry_write(spec, types, &entries[i], ls_avro_writer_begin_record(w), err);
        if (!rc)
            rc = ls_avro_writer_end_record(w, err);
    }
    if (!rc)
        rc = ls_avro_writer_finish(w, err);
    if (!rc)
        rc = verify_entry_writes(out, start, entries, count, err);
    ls_iceberg_manifest_file *m = summary_out;
    if (!rc)
        rc = manifest_summary_init(spec, path, (int64_t)(out->len - start), snapshot_id,
                                   sequence_number, m, err);
    int64_t min_seq = -1;
    for (size_t i = 0; !rc && i < count; i++) {
        const ls_iceberg_entry_write *e = &entries[i];
        if (e->status == 2) {
            m->deleted_files_count++;
            m->deleted_rows_count += e->entry->record_count;
            continue;
        }
        m->existing_files_count++;
        m->existing_rows_count += e->entry->record_count;
        if (min_seq < 0 || e->sequence_number < min_seq)
            min_seq = e->sequence_number;
    }
    if (!rc && min_seq >= 0)
        m->min_sequence_number = min_seq;
    if (!rc)
        rc = summarize_entry_partitions(spec, types, entries, count, m, err);
    if (rc)
        ls_iceberg_manifest_file_cleanup(summary_out);
    ls_avro_writer_free(w);
    return rc;
}

static ls_code encode_optional_bytes(ls_buf *r, const uint8_t *p, size_t n, ls_error *err)
{
    if (!p)
        return ls_avro_encode_union_branch(r, 0, err);
    ls_code rc = ls_avro_encode_union_branch(r, 1, err);
    return rc ? rc : ls_avro_encode_bytes(r, p, n, err);
}

static ls_code encode_manifest_file(const ls_iceberg_manifest_file *m, ls_buf *r, ls_error *err)
{
    ls_code rc;
    if ((rc = ls_avro_encode_string(r, m->manifest_path, err)) ||
        (rc = ls_avro_encode_long(r, m->manifest_length, err)) ||
        (rc = ls_avro_encode_int(r, m->partition_spec_id, err)) ||
        (rc = ls_avro_encode_int(r, m->content, err)) ||
        (rc = ls_avro_encode_long(r, m->sequence_number, err)) ||
        (rc = ls_avro_encode_long(r, m->min_sequence_number, err)) ||
        (rc = ls_avro_encode_long(r, m->added_snapshot_id, err)) ||
        (rc = ls_avro_encode_int(r, m->added_files_count, err)) ||
        (rc = ls_avro_encode_int(r, m->existing_files_count, err)) ||
        (rc = ls_avro_encode_int(r, m->deleted_files_count, err)) ||
        (rc = ls_avro_encode_long(r, m->added_rows_count, err)) ||
        (rc = ls_avro_encode_long(r, m->existing_rows_count, err)) ||
        (rc = ls_avro_encode_long(r, m->deleted_rows_count, err)))
        return rc;
    if (!m->has_partitions) {
        rc = ls_avro_encode_union_branch(r, 0, err);
    } else {
        rc = ls_avro_encode_union_branch(r, 1, err);
        if (!rc && m->partition_count)
            rc = ls_avro_encode_long(r, (int64_t)m->partition_count, err);
        for (size_t i = 0; !rc && i < m->partition_count; i++) {
            const ls_iceberg_field_summary *s = &m->partitions[i];
            rc = ls_avro_encode_boolean(r, s->contains_null, err);
            if (!rc)
                rc = s->contains_nan < 0 ? ls_avro_encode_union_branch(r, 0, err)
                                         : ls_avro_encode_union_branch(r, 1, err);
            if (!rc && s->contains_nan >= 0)
                rc = ls_avro_encode_boolean(r, s->contains_nan, err);
            if (!rc)
                rc = encode_optional_bytes(r, s->lower_bound, s->lower_bound_len, err);
            if (!rc)
                rc = encode_optional_bytes(r, s->upper_bound, s->upper_bound_len, err);
        }
        if (!rc)
            rc = ls_avro_encode_long(r, 0, err);
    }
    if (!rc)
        rc = encode_optional_bytes(r, m->key_metadata, m->key_metadata_len, err);
    return rc;
}

ls_code ls_iceberg_manifest_list_write(int64_t snapshot_id, int64_t parent_snapshot_id,
                                       int64_t sequence_number,
                                       const ls_iceberg_manifest_file *manifests, size_t count,
                                       ls_avro_codec codec, ls_buf *out, ls_error *err)
{
    ls_sink sink = ls_sink_for_buf(out);
    ls_avro_writer *w = NULL;
    ls_avro_writer_options opt = {.codec = codec};
    size_t start = out->len;
    ls_code rc;
    if ((rc = ls_avro_writer_new(&sink, ls_iceberg_manifest_list_schema, &opt, &w, err)) ||
        (rc = set_meta_int(w, "snapshot-id", snapshot_id, err)) ||
        (rc = parent_snapshot_id < 0
                  ? ls_avro_writer_set_meta_str(w, "parent-snapshot-id", "null", err)
                  : set_meta_int(w, "parent-snapshot-id", parent_snapshot_id, err)) ||
        (rc = set_meta_int(w, "sequence-number", sequence_number, err)) ||
        (rc = ls_avro_writer_set_meta_str(w, "format-version", "2", err)) ||
        (rc = ls_avro_writer_set_meta_str(w, "iceberg.schema",
                                          ls_iceberg_manifest_list_iceberg_schema, err)))
        goto out;
    for (size_t i = 0; i < count; i++)
        if ((rc = encode_manifest_file(&manifests[i], ls_avro_writer_begin_record(w), err)) ||
            (rc = ls_avro_writer_end_record(w, err)))
            goto out;
    if ((rc = ls_avro_writer_finish(w, err)))
        goto out;
    /* Read back what we wrote (STYLE.md rule 11). */
    ls_iceberg_manifest_file *back = NULL;
    size_t back_count = 0;
    ls_error inner = {0};
    if (ls_iceberg_manifest_list_read(out->data + start, out->len - start, &back, &back_count,
                                      &inner) != LS_OK ||
        back_count != count) {
        rc = ls_error_set(err, LS_ERR_INTERNAL, "manifest list we wrote does not read back: %s",
                          inner.message);
    }
    ls_iceberg_manifest_files_free(back, back_count);
out:
    ls_avro_writer_free(w);
    return rc;
}

/* ---- readers -------------------------------------------------------------- */

static int64_t field_int(const ls_avro_value *record, int64_t id, int64_t absent)
{
    const ls_avro_value *v = ls_avro_value_field_by_id(record, id);
    if (!v || v->kind == LS_AVRO_NULL)
        return absent;
    return ls_avro_value_integer(v);
}

static ls_code field_bytes(const ls_avro_value *record, int64_t id, uint8_t **out, size_t *len,
                           ls_error *err)
{
    const ls_avro_value *v = ls_avro_value_field_by_id(record, id);
    *out = NULL;
    *len = 0;
    if (!v || v->kind == LS_AVRO_NULL)
        return LS_OK;
    if (v->kind != LS_AVRO_BYTES && v->kind != LS_AVRO_STRING && v->kind != LS_AVRO_FIXED)
        return ls_error_set(err, LS_ERR_FORMAT, "field %lld is not bytes", (long long)id);
    if (!(*out = dup_bytes(v->u.bytes.data, v->u.bytes.len)))
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory reading a manifest");
    *len = v->u.bytes.len;
    return LS_OK;
}

static ls_code field_string(const ls_avro_value *record, int64_t id, char **out, ls_error *err)
{
    const ls_avro_value *v = ls_avro_value_field_by_id(record, id);
    if (!v || (v->kind != LS_AVRO_STRING && v->kind != LS_AVRO_BYTES))
        return ls_error_set(err, LS_ERR_FORMAT, "required string field %lld is missing",
                            (long long)id);
    if (!(*out = ls_avro_value_strdup(v)))
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory reading a manifest");
    return LS_OK;
}

static ls_code read_manifest_file(const ls_avro_value *v, ls_iceberg_manifest_file *m,
                                  ls_error *err)
{
    memset(m, 0, sizeof *m);
    ls_code rc = field_string(v, 500, &m->manifest_path, err);
    if (rc)
        return rc;
    m->manifest_length = field_int(v, 501, 0);
    m->partition_spec_id = (int32_t)field_int(v, 502, 0);
    m->content = (int32_t)field_int(v, 517, 0);
    m->sequence_number = field_int(v, 515, 0);
    m->min_sequence_number = field_int(v, 516, 0);
    m->added_snapshot_id = field_int(v, 503, 0);
    m->added_files_count = (int32_t)field_int(v, 504, 0);
    m->existing_files_count = (int32_t)field_int(v, 505, 0);
    m->deleted_files_count = (int32_t)field_int(v, 506, 0);
    m->added_rows_count = field_int(v, 512, 0);
    m->existing_rows_count = field_int(v, 513, 0);
    m->deleted_rows_count = field_int(v, 514, 0);
    const ls_avro_value *parts = ls_avro_value_field_by_id(v, 507);
    if (parts && parts->kind == LS_AVRO_ARRAY) {
        m->has_partitions = 1;
        size_t n = parts->u.list.count;
        if (n > LS_ICEBERG_MAX_PARTITION_FIELDS)
            return ls_error_set(err, LS_ERR_TOO_LARGE, "manifest summary of %zu partitions", n);
        if (n && !(m->partitions = calloc(n, sizeof *m->partitions)))
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory reading a manifest list");
        m->partition_count = n;
        for (size_t i = 0; i < n; i++) {
            const ls_avro_value *s = &parts->u.list.items[i];
            ls_iceberg_field_summary *d = &m->partitions[i];
            const ls_avro_value *cn = ls_avro_value_field_by_id(s, 509);
            const ls_avro_value *nan = ls_avro_value_field_by_id(s, 518);
            d->contains_null = cn && cn->kind == LS_AVRO_BOOLEAN && cn->u.boolean;
            d->contains_nan = nan && nan->kind == LS_AVRO_BOOLEAN ? nan->u.boolean : -1;
            if ((rc = field_bytes(s, 510, &d->lower_bound, &d->lower_bound_len, err)) ||
                (rc = field_bytes(s, 511, &d->upper_bound, &d->upper_bound_len, err)))
                return rc;
        }
    }
    return field_bytes(v, 519, &m->key_metadata, &m->key_metadata_len, err);
}

void ls_iceberg_manifest_files_free(ls_iceberg_manifest_file *files, size_t count)
{
    if (!files)
        return;
    for (size_t i = 0; i < count; i++)
        ls_iceberg_manifest_file_cleanup(&files[i]);
    free(files);
}

ls_code ls_iceberg_manifest_list_read(const uint8_t *data, size_t len,
                                      ls_iceberg_manifest_file **out, size_t *count_out,
                                      ls_error *err)
{
    ls_avro_reader *r = NULL;
    ls_iceberg_manifest_file *files = NULL;
    size_t count = 0, cap = 0;
    *out = NULL;
    *count_out = 0;
    ls_code rc = ls_avro_reader_open(data, len, &r, err);
    while (!rc) {
        const ls_avro_value *v;
        if ((rc = ls_avro_reader_next(r, &v, err)) || !v)
            break;
        if (count == cap) {
            if (cap >= LS_ICEBERG_MAX_ENTRIES) {
                rc = ls_error_set(err, LS_ERR_TOO_LARGE, "manifest list over %d entries",
                                  LS_ICEBERG_MAX_ENTRIES);
                break;
            }
            size_t ncap = cap ? cap * 2 : 8;
            ls_iceberg_manifest_file *nf = realloc(files, ncap * sizeof *nf);
            if (!nf) {
                rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory reading a manifest list");
                break;
            }
            files = nf;
            cap = ncap;
        }
        rc = read_manifest_file(v, &files[count], err);
        count++;
    }
    ls_avro_reader_free(r);
    if (rc) {
        ls_iceberg_manifest_files_free(files, count);
        return rc;
    }
    *out = files;
    *count_out = count;
    return LS_OK;
}

static ls_iceberg_read_metrics *metrics_for(ls_iceberg_manifest_entry *e, int32_t id,
                                            ls_error *err)
{
    for (size_t i = 0; i < e->metrics_count; i++)
        if (e->metrics[i].field_id == id)
            return &e->metrics[i];
    if (e->metrics_count >= MAX_METRICS_PER_FILE) {
        ls_error_set(err, LS_ERR_TOO_LARGE, "more than %d column metrics", MAX_METRICS_PER_FILE);
        return NULL;
    }
    ls_iceberg_read_metrics *m = realloc(e->metrics, (e->metrics_count + 1) * sizeof *m);
    if (!m) {
        ls_error_set(err, LS_ERR_NOMEM, "out of memory reading metrics");
        return NULL;
    }
    e->metrics = m;
    ls_iceberg_read_metrics *n = &m[e->metrics_count++];
    memset(n, 0, sizeof *n);
    n->field_id = id;
    n->column_size_bytes = n->value_count = n->null_value_count = n->nan_value_count = -1;
    return n;
}

/* Reads one of the int-keyed maps (Avro array of key/value records). */
static ls_code read_metric_map(const ls_avro_value *df, int64_t id, int which,
                               ls_iceberg_manifest_entry *e, ls_error *err)
{
    const ls_avro_value *map = ls_avro_value_field_by_id(df, id);
    if (!map || map->kind != LS_AVRO_ARRAY)
        return LS_OK;
    for (size_t i = 0; i < map->u.list.count; i++) {
        const ls_avro_value *kv = &map->u.list.items[i];
        const ls_avro_value *k = ls_avro_value_field(kv, "key");
        const ls_avro_value *v = ls_avro_value_field(kv, "value");
        if (!k || !v || k->kind != LS_AVRO_INT)
            return ls_error_set(err, LS_ERR_FORMAT, "malformed metrics map %lld", (long long)id);
        ls_iceberg_read_metrics *m = metrics_for(e, k->u.i32, err);
        if (!m)
            return err ? err->code : LS_ERR_NOMEM;
        if (which < 4) {
            int64_t n = ls_avro_value_integer(v);
            if (which == 0)
                m->column_size_bytes = n;
            else if (which == 1)
                m->value_count = n;
            else if (which == 2)
                m->null_value_count = n;
            else
                m->nan_value_count = n;
            continue;
        }
        if (v->kind != LS_AVRO_BYTES)
            return ls_error_set(err, LS_ERR_FORMAT, "bound is not bytes");
        uint8_t **dst = which == 4 ? &m->lower_bound : &m->upper_bound;
        size_t *dlen = which == 4 ? &m->lower_bound_len : &m->upper_bound_len;
        free(*dst);
        if (!(*dst = dup_bytes(v->u.bytes.data, v->u.bytes.len)))
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory reading bounds");
        *dlen = v->u.bytes.len;
    }
    return LS_OK;
}

static ls_code read_partition(const ls_avro_value *part, ls_iceberg_manifest_entry *e,
                              ls_error *err)
{
    if (!part || part->kind != LS_AVRO_RECORD)
        return ls_error_set(err, LS_ERR_FORMAT, "manifest entry has no partition record");
    size_t n = part->u.list.count;
    if (n > LS_ICEBERG_MAX_PARTITION_FIELDS)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "partition of %zu fields", n);
    if (n && !(e->partition = calloc(n, sizeof *e->partition)))
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory reading a partition");
    e->partition_count = n;
    for (size_t i = 0; i < n; i++) {
        const ls_avro_value *v = &part->u.list.items[i];
        ls_iceberg_read_partition *p = &e->partition[i];
        p->kind = v->kind;
        p->value.is_null = v->kind == LS_AVRO_NULL;
        const char *lt = v->schema ? v->schema->logical_type : NULL;
        p->logical_type = !lt ? NULL
                          : strcmp(lt, "date") == 0 ? "date"
                          : strcmp(lt, "decimal") == 0 ? "decimal"
                          : strcmp(lt, "timestamp-micros") == 0 ? "timestamp-micros"
                                                                 : "other";
        switch (v->kind) {
        case LS_AVRO_BOOLEAN: p->value.u.boolean = v->u.boolean; break;
        case LS_AVRO_INT: p->value.u.i32 = v->u.i32; break;
        case LS_AVRO_LONG: p->value.u.i64 = v->u.i64; break;
        case LS_AVRO_FLOAT: p->value.u.f32 = v->u.f32; break;
        case LS_AVRO_DOUBLE: p->value.u.f64 = v->u.f64; break;
        case LS_AVRO_STRING:
        case LS_AVRO_BYTES:
            if (!(p->value.u.bytes.data = dup_bytes(v->u.bytes.data, v->u.bytes.len)))
                return ls_error_set(err, LS_ERR_NOMEM, "out of memory reading a partition");
            p->value.u.bytes.len = v->u.bytes.len;
            break;
        case LS_AVRO_FIXED: {
            ls_iceberg_value dv;
            if (v->u.bytes.len < 1 || v->u.bytes.len > 16 ||
                ls_iceberg_value_from_bytes((ls_type){.kind = LS_TYPE_DECIMAL}, v->u.bytes.data,
                                            v->u.bytes.len, &dv, NULL) != LS_OK)
                return ls_error_set(err, LS_ERR_FORMAT, "unsupported fixed partition value");
            p->value.u.unscaled = dv.u.unscaled;
            break;
        }
        case LS_AVRO_NULL: break;
        default: return ls_error_set(err, LS_ERR_FORMAT, "unsupported partition value type");
        }
    }
    return LS_OK;
}

static void entry_cleanup(ls_iceberg_manifest_entry *e)
{
    free(e->file_path);
    free(e->file_format);
    for (size_t i = 0; i < e->partition_count && e->partition; i++)
        if (e->partition[i].kind == LS_AVRO_STRING || e->partition[i].kind == LS_AVRO_BYTES)
            free((void *)(uintptr_t)e->partition[i].value.u.bytes.data);
    free(e->partition);
    for (size_t i = 0; i < e->metrics_count; i++) {
        free(e->metrics[i].lower_bound);
        free(e->metrics[i].upper_bound);
    }
    free(e->metrics);
    free(e->split_offsets);
}

static int metrics_by_id(const void *a, const void *b)
{
    int32_t x = ((const ls_iceberg_read_metrics *)a)->field_id;
    int32_t y = ((const ls_iceberg_read_metrics *)b)->field_id;
    return (x > y) - (x < y);
}

static ls_code read_entry(const ls_avro_value *v, ls_iceberg_manifest_entry *e, ls_error *err)
{
    memset(e, 0, sizeof *e);
    e->status = (int32_t)field_int(v, 0, -1);
    e->snapshot_id = field_int(v, 1, -1);
    e->sequence_number = field_int(v, 3, -1);
    e->file_sequence_number = field_int(v, 4, -1);
    if (e->status < 0 || e->status > 2)
        return ls_error_set(err, LS_ERR_FORMAT, "manifest entry status %d", (int)e->status);
    const ls_avro_value *df = ls_avro_value_field_by_id(v, 2);
    if (!df || df->kind != LS_AVRO_RECORD)
        return ls_error_set(err, LS_ERR_FORMAT, "manifest entry has no data_file");
    e->content = (int32_t)field_int(df, 134, 0);
    e->record_count = field_int(df, 103, -1);
    e->file_size_bytes = field_int(df, 104, -1);
    ls_code rc;
    if ((rc = field_string(df, 100, &e->file_path, err)) ||
        (rc = field_string(df, 101, &e->file_format, err)) ||
        (rc = read_partition(ls_avro_value_field_by_id(df, 102), e, err)))
        return rc;
    static const int64_t map_ids[] = {108, 109, 110, 137, 125, 128};
    for (int i = 0; i < 6; i++)
        if ((rc = read_metric_map(df, map_ids[i], i, e, err)))
            return rc;
    if (e->metrics_count > 1)
        qsort(e->metrics, e->metrics_count, sizeof *e->metrics, metrics_by_id);
    const ls_avro_value *so = ls_avro_value_field_by_id(df, 132);
    if (so && so->kind == LS_AVRO_ARRAY) {
        e->has_split_offsets = 1;
        size_t n = so->u.list.count;
        if (n > LS_ICEBERG_MAX_SPLIT_OFFSETS)
            return ls_error_set(err, LS_ERR_TOO_LARGE, "%zu split offsets", n);
        if (n && !(e->split_offsets = malloc(n * sizeof *e->split_offsets)))
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory reading split offsets");
        for (size_t i = 0; i < n; i++)
            e->split_offsets[i] = ls_avro_value_integer(&so->u.list.items[i]);
        e->split_offset_count = n;
    }
    return LS_OK;
}

static char *meta_dup(const ls_avro_reader *r, const char *key)
{
    const char *v = ls_avro_reader_meta(r, key, NULL);
    return v ? strdup(v) : NULL;
}

ls_code ls_iceberg_manifest_read(const uint8_t *data, size_t len, ls_iceberg_manifest **out,
                                 ls_error *err)
{
    *out = NULL;
    ls_iceberg_manifest *m = calloc(1, sizeof *m);
    if (!m)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory reading a manifest");
    ls_avro_reader *r = NULL;
    size_t cap = 0;
    ls_code rc = ls_avro_reader_open(data, len, &r, err);
    if (rc)
        goto out;
    m->schema_json = meta_dup(r, "schema");
    m->partition_spec_json = meta_dup(r, "partition-spec");
    m->content = meta_dup(r, "content");
    const char *fv = ls_avro_reader_meta(r, "format-version", NULL);
    const char *sid = ls_avro_reader_meta(r, "partition-spec-id", NULL);
    m->format_version = fv ? atoi(fv) : 1;
    m->partition_spec_id = sid ? atoi(sid) : 0;
    for (;;) {
        const ls_avro_value *v;
        if ((rc = ls_avro_reader_next(r, &v, err)) || !v)
            break;
        if (m->entry_count == cap) {
            if (cap >= LS_ICEBERG_MAX_ENTRIES) {
                rc = ls_error_set(err, LS_ERR_TOO_LARGE, "manifest over %d entries",
                                  LS_ICEBERG_MAX_ENTRIES);
                break;
            }
            size_t ncap = cap ? cap * 2 : 8;
            ls_iceberg_manifest_entry *ne = realloc(m->entries, ncap * sizeof *ne);
            if (!ne) {
                rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory reading a manifest");
                break;
            }
            m->entries = ne;
            cap = ncap;
        }
        rc = read_entry(v, &m->entries[m->entry_count], err);
        m->entry_count++;
        if (rc)
            break;
    }
out:
    ls_avro_reader_free(r);
    if (rc) {
        ls_iceberg_manifest_free(m);
        return rc;
    }
    *out = m;
    return LS_OK;
}

void ls_iceberg_manifest_free(ls_iceberg_manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->entry_count; i++)
        entry_cleanup(&m->entries[i]);
    free(m->entries);
    free(m->schema_json);
    free(m->partition_spec_json);
    free(m->content);
    free(m);
}
