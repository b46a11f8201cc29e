/* Manifests and manifest lists: Avro containers with the Java writer's schemas. */
#include "paimon_meta.h"

#include <stdlib.h>
#include <string.h>

/* Verbatim from the header of the fixture manifest
 * append_unaware_unpartitioned_timestamps/manifest/manifest-ed1bcdf9-...-0. */
const char ls_paimon_manifest_schema_json[] =
    "{\"type\":\"record\",\"name\":\"record\",\"namespace\":\"org.apache.paimon.avro.generated"
    "\",\"fields\":[{\"name\":\"_VERSION\",\"type\":\"int\"},{\"name\":\"_KIND\",\"type\":\"int"
    "\"},{\"name\":\"_PARTITION\",\"type\":\"bytes\"},{\"name\":\"_BUCKET\",\"type\":\"int\"},{"
    "\"name\":\"_TOTAL_BUCKETS\",\"type\":\"int\"},{\"name\":\"_FILE\",\"type\":{\"type\":\"rec"
    "ord\",\"name\":\"record__FILE\",\"fields\":[{\"name\":\"_FILE_NAME\",\"type\":\"string\"},"
    "{\"name\":\"_FILE_SIZE\",\"type\":\"long\"},{\"name\":\"_ROW_COUNT\",\"type\":\"long\"},{"
    "\"name\":\"_MIN_KEY\",\"type\":\"bytes\"},{\"name\":\"_MAX_KEY\",\"type\":\"bytes\"},{\"na"
    "me\":\"_KEY_STATS\",\"type\":{\"type\":\"record\",\"name\":\"record__FILE__KEY_STATS\",\"f"
    "ields\":[{\"name\":\"_MIN_VALUES\",\"type\":\"bytes\"},{\"name\":\"_MAX_VALUES\",\"type\":"
    "\"bytes\"},{\"name\":\"_NULL_COUNTS\",\"type\":[\"null\",{\"type\":\"array\",\"items\":[\""
    "null\",\"long\"]}],\"default\":null}]}},{\"name\":\"_VALUE_STATS\",\"type\":{\"type\":\"re"
    "cord\",\"name\":\"record__FILE__VALUE_STATS\",\"fields\":[{\"name\":\"_MIN_VALUES\",\"type"
    "\":\"bytes\"},{\"name\":\"_MAX_VALUES\",\"type\":\"bytes\"},{\"name\":\"_NULL_COUNTS\",\"t"
    "ype\":[\"null\",{\"type\":\"array\",\"items\":[\"null\",\"long\"]}],\"default\":null}]}},{"
    "\"name\":\"_MIN_SEQUENCE_NUMBER\",\"type\":\"long\"},{\"name\":\"_MAX_SEQUENCE_NUMBER\",\""
    "type\":\"long\"},{\"name\":\"_SCHEMA_ID\",\"type\":\"long\"},{\"name\":\"_LEVEL\",\"type\""
    ":\"int\"},{\"name\":\"_EXTRA_FILES\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},{"
    "\"name\":\"_CREATION_TIME\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":\"timest"
    "amp-millis\"}],\"default\":null},{\"name\":\"_DELETE_ROW_COUNT\",\"type\":[\"null\",\"long"
    "\"],\"default\":null},{\"name\":\"_EMBEDDED_FILE_INDEX\",\"type\":[\"null\",\"bytes\"],\"d"
    "efault\":null},{\"name\":\"_FILE_SOURCE\",\"type\":[\"null\",\"int\"],\"default\":null},{"
    "\"name\":\"_VALUE_STATS_COLS\",\"type\":[\"null\",{\"type\":\"array\",\"items\":\"string\""
    "}],\"default\":null},{\"name\":\"_EXTERNAL_PATH\",\"type\":[\"null\",\"string\"],\"default"
    "\":null},{\"name\":\"_FIRST_ROW_ID\",\"type\":[\"null\",\"long\"],\"default\":null}]}}]}";

/* Verbatim from the header of every fixture manifest list. */
const char ls_paimon_manifest_list_schema_json[] =
    "{\"type\":\"record\",\"name\":\"record\",\"namespace\":\"org.apache.paimon.avro.generated"
    "\",\"fields\":[{\"name\":\"_VERSION\",\"type\":\"int\"},{\"name\":\"_FILE_NAME\",\"type\":"
    "\"string\"},{\"name\":\"_FILE_SIZE\",\"type\":\"long\"},{\"name\":\"_NUM_ADDED_FILES\",\"t"
    "ype\":\"long\"},{\"name\":\"_NUM_DELETED_FILES\",\"type\":\"long\"},{\"name\":\"_PARTITION"
    "_STATS\",\"type\":{\"type\":\"record\",\"name\":\"record__PARTITION_STATS\",\"fields\":[{"
    "\"name\":\"_MIN_VALUES\",\"type\":\"bytes\"},{\"name\":\"_MAX_VALUES\",\"type\":\"bytes\"}"
    ",{\"name\":\"_NULL_COUNTS\",\"type\":[\"null\",{\"type\":\"array\",\"items\":[\"null\",\"l"
    "ong\"]}],\"default\":null}]}},{\"name\":\"_SCHEMA_ID\",\"type\":\"long\"},{\"name\":\"_MIN"
    "_BUCKET\",\"type\":[\"null\",\"int\"],\"default\":null},{\"name\":\"_MAX_BUCKET\",\"type\""
    ":[\"null\",\"int\"],\"default\":null},{\"name\":\"_MIN_LEVEL\",\"type\":[\"null\",\"int\"]"
    ",\"default\":null},{\"name\":\"_MAX_LEVEL\",\"type\":[\"null\",\"int\"],\"default\":null}]"
    "}";

/* Both formats carry _VERSION = 2, Paimon's permanent format identifier. */
#define PAIMON_MANIFEST_VERSION 2

static ls_code nomem(ls_error *err)
{
    return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
}

/* --------------------------------------------------------------------------
 * Encoding, in schema field order.
 */
static ls_code enc_optional_long(ls_buf *b, int64_t v, ls_error *err)
{
    if (v == LS_PAIMON_ABSENT)
        return ls_avro_encode_union_branch(b, 0, err);
    ls_code rc = ls_avro_encode_union_branch(b, 1, err);
    return rc ? rc : ls_avro_encode_long(b, v, err);
}

static ls_code enc_strings(ls_buf *b, char *const *list, size_t count, ls_error *err)
{
    ls_code rc = LS_OK;
    if (count) {
        rc = ls_avro_encode_long(b, (int64_t)count, err);
        for (size_t i = 0; rc == LS_OK && i < count; i++)
            rc = ls_avro_encode_string(b, list[i], err);
    }
    return rc ? rc : ls_avro_encode_long(b, 0, err);
}

static ls_code enc_stats(ls_buf *b, const ls_paimon_stats *s, ls_error *err)
{
    ls_code rc = ls_avro_encode_bytes(b, s->min_values.data, s->min_values.len, err);
    if (rc == LS_OK)
        rc = ls_avro_encode_bytes(b, s->max_values.data, s->max_values.len, err);
    if (rc == LS_OK && s->null_counts_is_null)
        return ls_avro_encode_union_branch(b, 0, err);
    if (rc == LS_OK)
        rc = ls_avro_encode_union_branch(b, 1, err);
    if (rc == LS_OK && s->null_count_count)
        rc = ls_avro_encode_long(b, (int64_t)s->null_count_count, err);
    for (size_t i = 0; rc == LS_OK && i < s->null_count_count; i++)
        rc = enc_optional_long(b, s->null_counts[i], err);
    return rc ? rc : ls_avro_encode_long(b, 0, err);
}

static ls_code enc_data_file(ls_buf *b, const ls_paimon_data_file *f, ls_error *err)
{
    ls_code rc = ls_avro_encode_string(b, f->file_name, err);
    if (rc == LS_OK)
        rc = ls_avro_encode_long(b, f->file_size, err);
    if (rc == LS_OK)
        rc = ls_avro_encode_long(b, f->row_count, err);
    if (rc == LS_OK)
        rc = ls_avro_encode_bytes(b, f->min_key.data, f->min_key.len, err);
    if (rc == LS_OK)
        rc = ls_avro_encode_bytes(b, f->max_key.data, f->max_key.len, err);
    if (rc == LS_OK)
        rc = enc_stats(b, &f->key_stats, err);
    if (rc == LS_OK)
        rc = enc_stats(b, &f->value_stats, err);
    if (rc == LS_OK)
        rc = ls_avro_encode_long(b, f->min_sequence_number, err);
    if (rc == LS_OK)
        rc = ls_avro_encode_long(b, f->max_sequence_number, err);
    if (rc == LS_OK)
        rc = ls_avro_encode_long(b, f->schema_id, err);
    if (rc == LS_OK)
        rc = ls_avro_encode_int(b, f->level, err);
    if (rc == LS_OK)
        rc = enc_strings(b, f->extra_files, f->extra_file_count, err);
    if (rc == LS_OK)
        rc = enc_optional_long(b, f->creation_time_millis, err);
    if (rc == LS_OK)
        rc = enc_optional_long(b, f->delete_row_count, err);
    if (rc == LS_OK && !f->embedded_file_index.data)
        rc = ls_avro_encode_union_branch(b, 0, err);
    else if (rc == LS_OK && (rc = ls_avro_encode_union_branch(b, 1, err)) == LS_OK)
        rc = ls_avro_encode_bytes(b, f->embedded_file_index.data, f->embedded_file_index.len,
                                  err);
    if (rc == LS_OK)
        rc = enc_optional_long(b, f->file_source < 0 ? LS_PAIMON_ABSENT : f->file_source, err);
    if (rc == LS_OK && f->value_stats_cols_is_null)
        rc = ls_avro_encode_union_branch(b, 0, err);
    else if (rc == LS_OK && (rc = ls_avro_encode_union_branch(b, 1, err)) == LS_OK)
        rc = enc_strings(b, f->value_stats_cols, f->value_stats_col_count, err);
    if (rc == LS_OK && !f->external_path)
        rc = ls_avro_encode_union_branch(b, 0, err);
    else if (rc == LS_OK && (rc = ls_avro_encode_union_branch(b, 1, err)) == LS_OK)
        rc = ls_avro_encode_string(b, f->external_path, err);
    if (rc == LS_OK)
        rc = enc_optional_long(b, f->first_row_id, err);
    return rc;
}

static ls_code enc_entry(ls_buf *b, const ls_paimon_manifest_entry *e, ls_error *err)
{
    ls_code rc = ls_avro_encode_int(b, PAIMON_MANIFEST_VERSION, err);
    if (rc == LS_OK)
        rc = ls_avro_encode_int(b, e->kind, err);
    if (rc == LS_OK)
        rc = ls_avro_encode_bytes(b, e->partition.data, e->partition.len, err);
    if (rc == LS_OK)
        rc = ls_avro_encode_int(b, e->bucket, err);
    if (rc == LS_OK)
        rc = ls_avro_encode_int(b, e->total_buckets, err);
    return rc ? rc : enc_data_file(b, &e->file, err);
}

static ls_code enc_meta(ls_buf *b, const ls_paimon_manifest_meta *m, ls_error *err)
{
    ls_code rc = ls_avro_encode_int(b, PAIMON_MANIFEST_VERSION, err);
    if (rc == LS_OK)
        rc = ls_avro_encode_string(b, m->file_name, err);
    if (rc == LS_OK)
        rc = ls_avro_encode_long(b, m->file_size, err);
    if (rc == LS_OK)
        rc = ls_avro_encode_long(b, m->num_added_files, err);
    if (rc == LS_OK)
        rc = ls_avro_encode_long(b, m->num_deleted_files, err);
    if (rc == LS_OK)
        rc = enc_stats(b, &m->partition_stats, err);
    if (rc == LS_OK)
        rc = ls_avro_encode_long(b, m->schema_id, err);
    if (rc == LS_OK)
        rc = enc_optional_long(b, m->min_bucket, err);
    if (rc == LS_OK)
        rc = enc_optional_long(b, m->max_bucket, err);
    if (rc == LS_OK)
        rc = enc_optional_long(b, m->min_level, err);
    if (rc == LS_OK)
        rc = enc_optional_long(b, m->max_level, err);
    return rc;
}

typedef ls_code (*encode_fn)(ls_buf *b, const void *item, ls_error *err);

static ls_code enc_entry_any(ls_buf *b, const void *item, ls_error *err)
{
    return enc_entry(b, item, err);
}

static ls_code enc_meta_any(ls_buf *b, const void *item, ls_error *err)
{
    return enc_meta(b, item, err);
}

static ls_code write_container(const char *schema, const void *items, size_t item_size,
                               size_t count, encode_fn encode, ls_avro_codec codec, ls_buf *out,
                               ls_error *err)
{
    ls_sink sink = ls_sink_for_buf(out);
    ls_avro_writer_options options = {.codec = codec};
    ls_avro_writer *w = NULL;
    ls_code rc = ls_avro_writer_new(&sink, schema, &options, &w, err);
    for (size_t i = 0; rc == LS_OK && i < count; i++) {
        rc = encode(ls_avro_writer_begin_record(w), (const char *)items + i * item_size, err);
        if (rc == LS_OK)
            rc = ls_avro_writer_end_record(w, err);
    }
    if (rc == LS_OK)
        rc = ls_avro_writer_finish(w, err);
    ls_avro_writer_free(w);
    return rc;
}

ls_code ls_paimon_manifest_write(const ls_paimon_manifest_entry *entries, size_t count,
                                 ls_avro_codec codec, ls_buf *out, ls_error *err)
{
    return write_container(ls_paimon_manifest_schema_json, entries, sizeof *entries, count,
                           enc_entry_any, codec, out, err);
}

ls_code ls_paimon_manifest_list_write(const ls_paimon_manifest_meta *metas, size_t count,
                                      ls_avro_codec codec, ls_buf *out, ls_error *err)
{
    return write_container(ls_paimon_manifest_list_schema_json, metas, sizeof *metas, count,
                           enc_meta_any, codec, out, err);
}

/* --------------------------------------------------------------------------
 * Decoding by field name (Paimon's own reader matches names; older layouts
 * lack trailing nullable fields, which then read as null).
 */
static ls_code missing(const char *name, ls_error *err)
{
    return ls_error_set_field(err, LS_ERR_FORMAT, name, "manifest field %s is missing or mistyped",
                              name);
}

static ls_code dec_long(const ls_avro_value *rec, const char *name, int64_t *out, ls_error *err)
{
    const ls_avro_value *v = ls_avro_value_field(rec, name);
    if (!v || (v->kind != LS_AVRO_INT && v->kind != LS_AVRO_LONG))
        return missing(name, err);
    *out = ls_avro_value_integer(v);
    return LS_OK;
}

static ls_code dec_int(const ls_avro_value *rec, const char *name, int32_t *out, ls_error *err)
{
    int64_t v = 0;
    ls_code rc = dec_long(rec, name, &v, err);
    if (rc == LS_OK && (v < INT32_MIN || v > INT32_MAX))
        return missing(name, err);
    *out = (int32_t)v;
    return rc;
}

/* A nullable long: absent fields and nulls read as LS_PAIMON_ABSENT. */
static ls_code dec_opt_long(const ls_avro_value *rec, const char *name, int64_t *out,
                            ls_error *err)
{
    const ls_avro_value *v = ls_avro_value_field(rec, name);
    *out = LS_PAIMON_ABSENT;
    if (ls_avro_value_is_null(v))
        return LS_OK;
    if (v->kind != LS_AVRO_INT && v->kind != LS_AVRO_LONG)
        return missing(name, err);
    *out = ls_avro_value_integer(v);
    return LS_OK;
}

static ls_code copy_bytes(const ls_avro_value *v, ls_paimon_bytes *out, ls_error *err)
{
    out->data = malloc(v->u.bytes.len ? v->u.bytes.len : 1);
    if (!out->data)
        return nomem(err);
    if (v->u.bytes.len)
        memcpy(out->data, v->u.bytes.data, v->u.bytes.len);
    out->len = v->u.bytes.len;
    return LS_OK;
}

static ls_code dec_bytes(const ls_avro_value *rec, const char *name, ls_paimon_bytes *out,
                         ls_error *err)
{
    const ls_avro_value *v = ls_avro_value_field(rec, name);
    if (!v || (v->kind != LS_AVRO_BYTES && v->kind != LS_AVRO_STRING))
        return missing(name, err);
    return copy_bytes(v, out, err);
}

static ls_code dec_string(const ls_avro_value *v, const char *name, char **out, ls_error *err)
{
    if (!v || v->kind != LS_AVRO_STRING)
        return missing(name, err);
    return (*out = ls_avro_value_strdup(v)) ? LS_OK : nomem(err);
}

static ls_code dec_strings(const ls_avro_value *v, const char *name, char ***list, size_t *count,
                           ls_error *err)
{
    if (!v || v->kind != LS_AVRO_ARRAY)
        return missing(name, err);
    *list = calloc(v->u.list.count ? v->u.list.count : 1, sizeof **list);
    if (!*list)
        return nomem(err);
    for (size_t i = 0; i < v->u.list.count; i++) {
        ls_code rc = dec_string(&v->u.list.items[i], name, &(*list)[i], err);
        if (rc)
            return rc;
        *count = i + 1;
    }
    return LS_OK;
}

static ls_code dec_stats(const ls_avro_value *rec, const char *name, ls_paimon_stats *s,
                         ls_error *err)
{
    const ls_avro_value *v = ls_avro_value_field(rec, name);
    if (!v || v->kind != LS_AVRO_RECORD)
        return missing(name, err);
    ls_code rc = dec_bytes(v, "_MIN_VALUES", &s->min_values, err);
    if (rc == LS_OK)
        rc = dec_bytes(v, "_MAX_VALUES", &s->max_values, err);
    if (rc)
        return rc;
    const ls_avro_value *counts = ls_avro_value_field(v, "_NULL_COUNTS");
    if (ls_avro_value_is_null(counts)) {
        s->null_counts_is_null = true;
        return LS_OK;
    }
    if (counts->kind != LS_AVRO_ARRAY)
        return missing("_NULL_COUNTS", err);
    s->null_counts = calloc(counts->u.list.count ? counts->u.list.count : 1,
                            sizeof *s->null_counts);
    if (!s->null_counts)
        return nomem(err);
    s->null_count_count = counts->u.list.count;
    for (size_t i = 0; i < counts->u.list.count; i++) {
        const ls_avro_value *c = &counts->u.list.items[i];
        s->null_counts[i] = ls_avro_value_is_null(c) ? LS_PAIMON_ABSENT : ls_avro_value_integer(c);
    }
    return LS_OK;
}

static ls_code dec_data_file_tail(const ls_avro_value *f, ls_paimon_data_file *out,
                                  ls_error *err)
{
    ls_code rc = dec_opt_long(f, "_CREATION_TIME", &out->creation_time_millis, err);
    if (rc == LS_OK)
        rc = dec_opt_long(f, "_DELETE_ROW_COUNT", &out->delete_row_count, err);
    const ls_avro_value *v = ls_avro_value_field(f, "_EMBEDDED_FILE_INDEX");
    if (rc == LS_OK && !ls_avro_value_is_null(v))
        rc = v->kind == LS_AVRO_BYTES ? copy_bytes(v, &out->embedded_file_index, err)
                                      : missing("_EMBEDDED_FILE_INDEX", err);
    int64_t source = LS_PAIMON_ABSENT;
    if (rc == LS_OK)
        rc = dec_opt_long(f, "_FILE_SOURCE", &source, err);
    out->file_source = source == LS_PAIMON_ABSENT ? -1 : (int32_t)source;
    v = ls_avro_value_field(f, "_VALUE_STATS_COLS");
    out->value_stats_cols_is_null = ls_avro_value_is_null(v);
    if (rc == LS_OK && !out->value_stats_cols_is_null)
        rc = dec_strings(v, "_VALUE_STATS_COLS", &out->value_stats_cols,
                         &out->value_stats_col_count, err);
    v = ls_avro_value_field(f, "_EXTERNAL_PATH");
    if (rc == LS_OK && !ls_avro_value_is_null(v))
        rc = dec_string(v, "_EXTERNAL_PATH", &out->external_path, err);
    if (rc == LS_OK)
        rc = dec_opt_long(f, "_FIRST_ROW_ID", &out->first_row_id, err);
    return rc;
}

static ls_code dec_data_file(const ls_avro_value *f, ls_paimon_data_file *out, ls_error *err)
{
    if (!f || f->kind != LS_AVRO_RECORD)
        return missing("_FILE", err);
    ls_code rc = dec_string(ls_avro_value_field(f, "_FILE_NAME"), "_FILE_NAME", &out->file_name,
                            err);
    if (rc == LS_OK)
        rc = dec_long(f, "_FILE_SIZE", &out->file_size, err);
    if (rc == LS_OK)
        rc = dec_long(f, "_ROW_COUNT", &out->row_count, err);
    if (rc == LS_OK)
        rc = dec_bytes(f, "_MIN_KEY", &out->min_key, err);
    if (rc == LS_OK)
        rc = dec_bytes(f, "_MAX_KEY", &out->max_key, err);
    if (rc == LS_OK)
        rc = dec_stats(f, "_KEY_STATS", &out->key_stats, err);
    if (rc == LS_OK)
        rc = dec_stats(f, "_VALUE_STATS", &out->value_stats, err);
    if (rc == LS_OK)
        rc = dec_long(f, "_MIN_SEQUENCE_NUMBER", &out->min_sequence_number, err);
    if (rc == LS_OK)
        rc = dec_long(f, "_MAX_SEQUENCE_NUMBER", &out->max_sequence_number, err);
    if (rc == LS_OK)
        rc = dec_long(f, "_SCHEMA_ID", &out->schema_id, err);
    if (rc == LS_OK)
        rc = dec_int(f, "_LEVEL", &out->level, err);
    if (rc == LS_OK)
        rc = dec_strings(ls_avro_value_field(f, "_EXTRA_FILES"), "_EXTRA_FILES",
                         &out->extra_files, &out->extra_file_count, err);
    return rc ? rc : dec_data_file_tail(f, out, err);
}

static ls_code dec_version(const ls_avro_value *rec, ls_error *err)
{
    int32_t version = 0;
    ls_code rc = dec_int(rec, "_VERSION", &version, err);
    if (rc == LS_OK && version != PAIMON_MANIFEST_VERSION)
        rc = ls_error_set(err, LS_ERR_FORMAT, "manifest _VERSION %d, expected %d", (int)version,
                          PAIMON_MANIFEST_VERSION);
    return rc;
}

static ls_code dec_entry(const ls_avro_value *rec, ls_paimon_manifest_entry *e, ls_error *err)
{
    ls_code rc = dec_version(rec, err);
    if (rc == LS_OK)
        rc = dec_int(rec, "_KIND", &e->kind, err);
    if (rc == LS_OK && e->kind != LS_PAIMON_KIND_ADD && e->kind != LS_PAIMON_KIND_DELETE)
        rc = ls_error_set(err, LS_ERR_FORMAT, "manifest _KIND %d", (int)e->kind);
    if (rc == LS_OK)
        rc = dec_bytes(rec, "_PARTITION", &e->partition, err);
    if (rc == LS_OK)
        rc = dec_int(rec, "_BUCKET", &e->bucket, err);
    if (rc == LS_OK)
        rc = dec_int(rec, "_TOTAL_BUCKETS", &e->total_buckets, err);
    return rc ? rc : dec_data_file(ls_avro_value_field(rec, "_FILE"), &e->file, err);
}

static ls_code dec_meta(const ls_avro_value *rec, ls_paimon_manifest_meta *m, ls_error *err)
{
    ls_code rc = dec_version(rec, err);
    if (rc == LS_OK)
        rc = dec_string(ls_avro_value_field(rec, "_FILE_NAME"), "_FILE_NAME", &m->file_name, err);
    if (rc == LS_OK)
        rc = dec_long(rec, "_FILE_SIZE", &m->file_size, err);
    if (rc == LS_OK)
        rc = dec_long(rec, "_NUM_ADDED_FILES", &m->num_added_files, err);
    if (rc == LS_OK)
        rc = dec_long(rec, "_NUM_DELETED_FILES", &m->num_deleted_files, err);
    if (rc == LS_OK)
        rc = dec_stats(rec, "_PARTITION_STATS", &m->partition_stats, err);
    if (rc == LS_OK)
        rc = dec_long(rec, "_SCHEMA_ID", &m->schema_id, err);
    if (rc == LS_OK)
        rc = dec_opt_long(rec, "_MIN_BUCKET", &m->min_bucket, err);
    if (rc == LS_OK)
        rc = dec_opt_long(rec, "_MAX_BUCKET", &m->max_bucket, err);
    if (rc == LS_OK)
        rc = dec_opt_long(rec, "_MIN_LEVEL", &m->min_level, err);
    if (rc == LS_OK)
        rc = dec_opt_long(rec, "_MAX_LEVEL", &m->max_level, err);
    return rc;
}

typedef ls_code (*decode_fn)(const ls_avro_value *rec, void *item, ls_error *err);

static ls_code dec_entry_any(const ls_avro_value *rec, void *item, ls_error *err)
{
    return dec_entry(rec, item, err);
}

static ls_code dec_meta_any(const ls_avro_value *rec, void *item, ls_error *err)
{
    return dec_meta(rec, item, err);
}

/* Reads every record into a growing array of item_size items (zeroed before
 * decoding, so a failed item can still be cleaned up by the caller). */
static ls_code read_container(const uint8_t *data, size_t len, size_t item_size,
                              decode_fn decode, void **items_out, size_t *count_out,
                              ls_error *err)
{
    ls_avro_reader *r = NULL;
    char *items = NULL;
    size_t count = 0, cap = 0;
    ls_code rc = ls_avro_reader_open(data, len, &r, err);
    while (rc == LS_OK) {
        const ls_avro_value *rec = NULL;
        rc = ls_avro_reader_next(r, &rec, err);
        if (rc || !rec)
            break;
        if (rec->kind != LS_AVRO_RECORD) {
            rc = ls_error_set(err, LS_ERR_FORMAT, "manifest record is not an Avro record");
            break;
        }
        if (count == LS_PAIMON_MAX_MANIFEST_ENTRIES) {
            rc = ls_error_set(err, LS_ERR_TOO_LARGE, "manifest has over %u entries",
                              LS_PAIMON_MAX_MANIFEST_ENTRIES);
            break;
        }
        if (count == cap) {
            size_t grown_cap = cap ? cap * 2 : 8;
            char *grown = realloc(items, grown_cap * item_size);
            if (!grown) {
                rc = nomem(err);
                break;
            }
            items = grown;
            cap = grown_cap;
        }
        memset(items + count * item_size, 0, item_size);
        count++;
        rc = decode(rec, items + (count - 1) * item_size, err);
    }
    ls_avro_reader_free(r);
    *items_out = items;
    *count_out = count;
    return rc;
}

ls_code ls_paimon_manifest_read(const uint8_t *data, size_t len,
                                ls_paimon_manifest_entry **entries_out, size_t *count_out,
                                ls_error *err)
{
    void *items = NULL;
    size_t count = 0;
    ls_code rc = read_container(data, len, sizeof(ls_paimon_manifest_entry), dec_entry_any,
                                &items, &count, err);
    if (rc) {
        ls_paimon_manifest_entries_free(items, count);
        items = NULL;
        count = 0;
    }
    *entries_out = items;
    *count_out = count;
    return rc;
}

ls_code ls_paimon_manifest_list_read(const uint8_t *data, size_t len,
                                     ls_paimon_manifest_meta **metas_out, size_t *count_out,
                                     ls_error *err)
{
    void *items = NULL;
    size_t count = 0;
    ls_code rc = read_container(data, len, sizeof(ls_paimon_manifest_meta), dec_meta_any,
                                &items, &count, err);
    if (rc) {
        ls_paimon_manifest_metas_free(items, count);
        items = NULL;
        count = 0;
    }
    *metas_out = items;
    *count_out = count;
    return rc;
}
