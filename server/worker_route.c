/*
 * Routing rows to table partitions: the job's partition fields are Iceberg
 * transforms of destination columns, so the worker builds an Iceberg schema
 * and partition spec from its spec and lets the Iceberg module apply the
 * transforms and format the Hive-style path ("ts_day=2026-11-23"). Paimon
 * jobs use identity partitions only, which the same code computes; their
 * directories are named by the Paimon module, as Paimon readers look for them
 * (null as __DEFAULT_PARTITION__, dates as day numbers, Paimon's escapes).
 */
#include <stdlib.h>
#include <string.h>

#include "paimon_value.h"
#include "paimon_meta.h"
#include "worker.h"

ls_code ls_worker_partitioner_init(ls_worker_partitioner *p, const ls_worker_spec *spec,
                                   ls_error *err)
{
    memset(p, 0, sizeof *p);
    ls_iceberg_schema_init(&p->schema, 0);
    ls_iceberg_spec_init(&p->spec, 0);
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && i < spec->field_count; i++)
        rc = ls_iceberg_schema_add(&p->schema, spec->fields[i].field_id, spec->fields[i].name,
                                   spec->fields[i].type, 0, err);
    size_t n = spec->partition_count;
    if (rc || n == 0)
        goto out;
    p->source_columns = calloc(n, sizeof *p->source_columns);
    p->source_types = calloc(n, sizeof *p->source_types);
    p->result_types = calloc(n, sizeof *p->result_types);
    p->values = calloc(n, sizeof *p->values);
    if (!p->source_columns || !p->source_types || !p->result_types || !p->values) {
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        goto out;
    }
    p->field_count = n;
    p->paimon = spec->paimon;
    if (p->paimon) {
        p->paimon_names = calloc(n, sizeof *p->paimon_names);
        p->paimon_types = calloc(n, sizeof *p->paimon_types);
        p->paimon_values = calloc(n, sizeof *p->paimon_values);
        if (!p->paimon_names || !p->paimon_types || !p->paimon_values) {
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; !rc && i < n; i++) {
        const ls_worker_partition_field *f = &spec->partition[i];
        if (spec->paimon && strcmp(f->transform, "identity") != 0) {
            rc = ls_error_set_field(err, LS_ERR_INVALID, "partition",
                                    "Paimon tables partition by identity only, not '%s'",
                                    f->transform);
            break;
        }
        size_t column = spec->field_count;
        for (size_t c = 0; c < spec->field_count; c++)
            if (strcmp(spec->fields[c].name, f->source) == 0)
                column = c;
        if (column == spec->field_count) {
            rc = ls_error_set_field(err, LS_ERR_INVALID, "partition",
                                    "partition source '%s' names no field", f->source);
            break;
        }
        p->source_columns[i] = column;
        p->source_types[i] = spec->fields[column].type;
        rc = ls_iceberg_spec_add(&p->spec, &p->schema, f->source, f->transform, f->name,
                                 f->field_id, err);
        if (!rc)
            rc = ls_iceberg_spec_field_type(&p->spec, i, &p->schema, &p->result_types[i], err);
        if (!rc && p->paimon) {
            p->paimon_names[i] = p->spec.fields[i].name;
            p->paimon_types[i] = ls_paimon_type_from_ls(p->result_types[i], true);
        }
    }
out:
    if (rc)
        ls_worker_partitioner_cleanup(p);
    return rc;
}

void ls_worker_partitioner_cleanup(ls_worker_partitioner *p)
{
    ls_iceberg_schema_cleanup(&p->schema);
    ls_iceberg_spec_cleanup(&p->spec);
    free(p->source_columns);
    free(p->source_types);
    free(p->result_types);
    free(p->values);
    free(p->paimon_names);
    free(p->paimon_types);
    free(p->paimon_values);
    memset(p, 0, sizeof *p);
}

void ls_worker_batch_value(const ls_column *col, size_t i, ls_iceberg_value *out)
{
    memset(out, 0, sizeof *out);
    const uint8_t *values = col->values.data;
    switch (col->storage) {
    case LS_STORAGE_BOOL:
        out->u.boolean = values[i] != 0;
        break;
    case LS_STORAGE_INT32:
        memcpy(&out->u.i32, values + i * 4, 4);
        break;
    case LS_STORAGE_INT64: {
        int64_t v;
        memcpy(&v, values + i * 8, 8);
        if (col->type.kind == LS_TYPE_DECIMAL)
            out->u.unscaled = v;
        else
            out->u.i64 = v;
        break;
    }
    case LS_STORAGE_FLOAT:
        memcpy(&out->u.f32, values + i * 4, 4);
        break;
    case LS_STORAGE_DOUBLE:
        memcpy(&out->u.f64, values + i * 8, 8);
        break;
    case LS_STORAGE_INT128:
        memcpy(&out->u.unscaled, values + i * sizeof(ls_int128), sizeof(ls_int128));
        break;
    case LS_STORAGE_BYTES:
        out->u.bytes.data = ls_column_bytes_at(col, i, &out->u.bytes.len);
        break;
    }
}


static ls_code paimon_partition_path(ls_worker_partitioner *p, ls_buf *path, ls_error *err)
{
    for (size_t i = 0; i < p->field_count; i++)
        ls_paimon_datum_from_value(p->paimon_types[i], &p->values[i], &p->paimon_values[i]);
    size_t start = path->len;
    ls_code rc = ls_paimon_partition_path(p->paimon_names, p->paimon_types, p->paimon_values,
                                          p->field_count, NULL, path, err);
    if (!rc && path->len > start && path->data[path->len - 1] == '/')
        path->data[--path->len] = '\0'; /* the caller adds the separator */
    return rc;
}

/* The partition fields' values of row `row` into p->values. */
static ls_code transform_row(ls_worker_partitioner *p, const ls_column_batch *batch, size_t row,
                             const size_t *cursors, ls_error *err)
{
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && i < p->field_count; i++) {
        size_t c = p->source_columns[i];
        const ls_column *col = &batch->columns[c];
        ls_iceberg_value in = {.is_null = 1};
        if (ls_column_is_valid(col, row))
            ls_worker_batch_value(col, cursors[c], &in);
        rc = ls_iceberg_transform_apply(p->spec.fields[i].transform, p->source_types[i], &in,
                                        &p->values[i], err);
    }
    return rc;
}

ls_code ls_worker_partition_row(ls_worker_partitioner *p, const ls_column_batch *batch, size_t row,
                                const size_t *cursors, ls_buf *path, json_t **values_json,
                                ls_error *err)
{
    if (values_json)
        *values_json = NULL;
    json_t *values = values_json ? json_object() : NULL;
    if (values_json && !values)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    ls_code rc = transform_row(p, batch, row, cursors, err);
    for (size_t i = 0; !rc && values && i < p->field_count; i++)
        if (json_object_set_new(values, p->spec.fields[i].name,
                                ls_worker_value_json(p->result_types[i], &p->values[i])) != 0)
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (!rc && p->field_count > 0)
        rc = p->paimon ? paimon_partition_path(p, path, err)
                       : ls_iceberg_partition_path(&p->spec, &p->schema, p->values, path, err);
    if (rc) {
        json_decref(values);
        return rc;
    }
    if (values_json)
        *values_json = values;
    return LS_OK;
}

ls_code ls_worker_partition_key(ls_worker_partitioner *p, const ls_column_batch *batch, size_t row,
                                const size_t *cursors, ls_buf *key, ls_error *err)
{
    ls_code rc = transform_row(p, batch, row, cursors, err);
    for (size_t i = 0; !rc && i < p->field_count; i++) {
        const ls_iceberg_value *v = &p->values[i];
        rc = ls_buf_append_byte(key, v->is_null ? 0 : 1, err);
        if (rc || v->is_null)
            continue;
        ls_type_kind kind = p->result_types[i].kind;
        if (kind == LS_TYPE_STRING || kind == LS_TYPE_BINARY) {
            /* Length first: ("a","bc") and ("ab","c") differ. */
            uint32_t len = (uint32_t)v->u.bytes.len;
            rc = ls_buf_append(key, &len, sizeof len, err);
        }
        if (!rc)
            rc = ls_iceberg_value_to_bytes(p->result_types[i], v, key, err);
    }
    return rc;
}

void ls_worker_advance_cursors(const ls_column_batch *batch, size_t row, size_t *cursors)
{
    for (size_t c = 0; c < batch->column_count; c++)
        if (ls_column_is_valid(&batch->columns[c], row))
            cursors[c]++;
}

static ls_code copy_value(const ls_column *src, size_t i, ls_column *dst, ls_error *err)
{
    const uint8_t *values = src->values.data;
    switch (src->storage) {
    case LS_STORAGE_BOOL:
        return ls_column_set_bool(dst, values[i] != 0, err);
    case LS_STORAGE_INT32: {
        int32_t v;
        memcpy(&v, values + i * 4, 4);
        return ls_column_set_int32(dst, v, err);
    }
    case LS_STORAGE_INT64: {
        int64_t v;
        memcpy(&v, values + i * 8, 8);
        return ls_column_set_int64(dst, v, err);
    }
    case LS_STORAGE_FLOAT: {
        float v;
        memcpy(&v, values + i * 4, 4);
        return ls_column_set_float(dst, v, err);
    }
    case LS_STORAGE_DOUBLE: {
        double v;
        memcpy(&v, values + i * 8, 8);
        return ls_column_set_double(dst, v, err);
    }
    case LS_STORAGE_INT128: {
        ls_int128 v;
        memcpy(&v, values + i * sizeof v, sizeof v);
        return ls_column_set_int128(dst, v, err);
    }
    case LS_STORAGE_BYTES: {
        size_t len = 0;
        const uint8_t *data = ls_column_bytes_at(src, i, &len);
        return ls_column_set_bytes(dst, data, len, err);
    }
    }
    return ls_error_set(err, LS_ERR_INTERNAL, "unknown column storage");
}

ls_code ls_worker_copy_row(const ls_column_batch *src, size_t row, const size_t *cursors,
                           ls_column_batch *dst, ls_error *err)
{
    ls_column_batch_row_begin(dst);
    for (size_t c = 0; c < src->column_count; c++) {
        const ls_column *col = &src->columns[c];
        ls_code rc = ls_column_is_valid(col, row)
                         ? copy_value(col, cursors[c], &dst->columns[c], err)
                         : ls_column_set_null(&dst->columns[c], err);
        if (rc) {
            ls_column_batch_row_abort(dst);
            return rc;
        }
    }
    return ls_column_batch_row_end(dst, err);
}
