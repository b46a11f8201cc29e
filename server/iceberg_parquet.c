/* Parquet file statistics -> Iceberg data file metrics. */
#include <string.h>

#include "iceberg_parquet.h"

/* One bound of a column as an Iceberg value of the column's type. */
static ls_iceberg_value bound(const ls_parquet_column_stats *c, int upper)
{
    ls_iceberg_value v;
    memset(&v, 0, sizeof v);
    switch (ls_type_storage(c->type)) {
    case LS_STORAGE_BOOL:
        v.u.boolean = (int)(upper ? c->max_int : c->min_int);
        break;
    case LS_STORAGE_INT32:
        v.u.i32 = (int32_t)(upper ? c->max_int : c->min_int);
        break;
    case LS_STORAGE_INT64:
        /* Decimals with P <= 18 are stored as unscaled int64. */
        if (c->type.kind == LS_TYPE_DECIMAL)
            v.u.unscaled = upper ? c->max_int : c->min_int;
        else
            v.u.i64 = upper ? c->max_int : c->min_int;
        break;
    case LS_STORAGE_FLOAT:
        v.u.f32 = (float)(upper ? c->max_double : c->min_double);
        break;
    case LS_STORAGE_DOUBLE:
        v.u.f64 = upper ? c->max_double : c->min_double;
        break;
    case LS_STORAGE_INT128:
        v.u.unscaled = upper ? c->max_int128 : c->min_int128;
        break;
    case LS_STORAGE_BYTES:
        v.u.bytes.data = upper ? c->max_bytes : c->min_bytes;
        v.u.bytes.len = upper ? c->max_bytes_len : c->min_bytes_len;
        break;
    }
    return v;
}

static int fits(uint64_t v)
{
    return v <= (uint64_t)INT64_MAX;
}

ls_code ls_iceberg_data_file_from_parquet(const ls_parquet_file_stats *stats, const char *path,
                                          const ls_iceberg_value *partition,
                                          ls_iceberg_column_stats *columns_out,
                                          int64_t *split_offsets_out, ls_iceberg_data_file *out,
                                          ls_error *err)
{
    memset(out, 0, sizeof *out);
    if (!fits(stats->row_count) || !fits(stats->file_size_bytes))
        return ls_error_set(err, LS_ERR_INVALID, "Parquet file counts overflow int64");
    for (size_t i = 0; i < stats->column_count; i++) {
        const ls_parquet_column_stats *c = &stats->columns[i];
        ls_iceberg_column_stats *o = &columns_out[i];
        if (c->field_id < 1)
            return ls_error_set(err, LS_ERR_INVALID, "Parquet column %zu has no field id", i);
        if (!fits(c->compressed_bytes) || !fits(c->value_count) || !fits(c->null_count) ||
            !fits(c->nan_count))
            return ls_error_set(err, LS_ERR_INVALID, "Parquet column %zu counts overflow", i);
        int floating = c->type.kind == LS_TYPE_FLOAT || c->type.kind == LS_TYPE_DOUBLE;
        memset(o, 0, sizeof *o);
        o->field_id = c->field_id;
        o->column_size_bytes = (int64_t)c->compressed_bytes;
        o->value_count = (int64_t)c->value_count;
        o->null_value_count = (int64_t)c->null_count;
        o->nan_value_count = floating ? (int64_t)c->nan_count : -1;
        o->has_type = 1;
        o->type = c->type;
        o->has_lower_bound = o->has_upper_bound = c->has_min_max;
        if (c->has_min_max) {
            o->lower_bound = bound(c, 0);
            o->upper_bound = bound(c, 1);
        }
    }
    for (size_t i = 0; i < stats->row_group_count; i++) {
        if (!fits(stats->split_offsets[i]))
            return ls_error_set(err, LS_ERR_INVALID, "Parquet row group offset overflows");
        split_offsets_out[i] = (int64_t)stats->split_offsets[i];
    }
    out->path = path;
    out->file_format = "PARQUET";
    out->file_size_bytes = (int64_t)stats->file_size_bytes;
    out->record_count = (int64_t)stats->row_count;
    out->partition = partition;
    out->column_count = stats->column_count;
    out->columns = columns_out;
    out->split_offset_count = stats->row_group_count;
    out->split_offsets = split_offsets_out;
    return LS_OK;
}
