/* Read-only access to catalog tables for the API (table_read.h). */
#include "table_read.h"

#include <stdio.h>
#include <string.h>

ls_code ls_table_read_pointer(ls_store *store, const char *database, const char *table,
                              ls_table_pointer *out, ls_error *err)
{
    ls_stmt *stmt = NULL;
    bool row = false;
    ls_code rc = ls_store_begin_read(store, err);
    if (rc)
        return rc;
    rc = ls_stmt_prepare(store,
                         "SELECT format, location, metadata_location FROM tables "
                         "WHERE database = ?1 AND name = ?2",
                         &stmt, err);
    if (rc)
        goto out;
    ls_stmt_bind_text(stmt, 1, database);
    ls_stmt_bind_text(stmt, 2, table);
    rc = ls_stmt_step(stmt, &row, err);
    if (rc)
        goto out;
    if (!row) {
        rc = ls_error_set(err, LS_ERR_NOT_FOUND, "no table %s.%s", database, table);
        goto out;
    }
    const char *metadata = ls_stmt_text(stmt, 2);
    snprintf(out->format, sizeof out->format, "%s", ls_stmt_text(stmt, 0));
    snprintf(out->location, sizeof out->location, "%s", ls_stmt_text(stmt, 1));
    snprintf(out->metadata_location, sizeof out->metadata_location, "%s", metadata ? metadata : "");
out:
    ls_stmt_free(stmt);
    ls_store_rollback(store); /* read only */
    return rc;
}

/* The key of uri inside the table location, or NULL when it lies elsewhere. */
static const char *key_in_table(const ls_table_pointer *t, const char *uri)
{
    size_t n = strlen(t->location);
    while (n > 0 && t->location[n - 1] == '/')
        n--;
    if (n == 0 || strncmp(uri, t->location, n) != 0 || uri[n] != '/')
        return NULL;
    return uri + n + 1;
}

static ls_code read_object(ls_table_open *table, const char *uri, ls_buf *out, ls_error *err)
{
    const char *key = key_in_table(&table->pointer, uri);
    if (!key)
        return ls_error_set(err, LS_ERR_FORMAT, "%s lies outside table location %s", uri,
                            table->pointer.location);
    return ls_objstore_get(table->store, key, out, err);
}

ls_code ls_table_read_open(const ls_table_pointer *pointer, const ls_objstore_options *options,
                           ls_table_open *out, ls_error *err)
{
    memset(out, 0, sizeof *out);
    out->pointer = *pointer;
    if (strcmp(pointer->format, "iceberg") != 0)
        return ls_error_set(err, LS_ERR_UNPROCESSABLE,
                            "Paimon table reading is not available through the API yet");
    if (!pointer->metadata_location[0])
        return ls_error_set(err, LS_ERR_NOT_FOUND, "table at %s has no metadata yet",
                            pointer->location);
    ls_objstore_options defaults;
    ls_objstore_options_init(&defaults);
    ls_code rc =
        ls_objstore_open(pointer->location, options ? options : &defaults, &out->store, err);
    if (rc)
        return rc;
    ls_buf buf;
    ls_buf_init(&buf, LS_ICEBERG_MAX_METADATA_BYTES);
    rc = read_object(out, pointer->metadata_location, &buf, err);
    if (!rc)
        rc = ls_iceberg_metadata_parse((const char *)buf.data, buf.len, &out->metadata, err);
    ls_buf_cleanup(&buf);
    return rc;
}

void ls_table_read_close(ls_table_open *table)
{
    ls_iceberg_metadata_free(table->metadata);
    ls_objstore_free(table->store);
    table->metadata = NULL;
    table->store = NULL;
}

/* ls_iceberg_read_fn over the table's store. */
static ls_code scan_read(void *ctx, const char *path, ls_buf *out, ls_error *err)
{
    return read_object(ctx, path, out, err);
}

ls_code ls_table_read_scan(ls_table_open *table, ls_iceberg_scan **out, ls_error *err)
{
    return ls_iceberg_scan_table(table->pointer.metadata_location, scan_read, table, out, err);
}

/* ls_parquet_read_at_fn: one range GET; a short answer means the object
 * changed under us, which is a format error for the reader. */
static ls_code object_read_at(void *ctx, uint64_t offset, void *out, size_t len, ls_error *err)
{
    ls_table_object *obj = ctx;
    ls_buf buf;
    ls_buf_init(&buf, len ? len : 1);
    ls_code rc = ls_objstore_get_range(obj->store, obj->key, offset, len, &buf, err);
    if (!rc && buf.len != len)
        rc = ls_error_set(err, LS_ERR_FORMAT, "%s ended early at offset %llu", obj->key,
                          (unsigned long long)(offset + buf.len));
    if (!rc && len)
        memcpy(out, buf.data, len);
    ls_buf_cleanup(&buf);
    return rc;
}

ls_code ls_table_read_object(ls_table_open *table, const char *uri, ls_table_object *obj,
                             ls_error *err)
{
    const char *key = key_in_table(&table->pointer, uri);
    if (!key)
        return ls_error_set(err, LS_ERR_FORMAT, "%s lies outside table location %s", uri,
                            table->pointer.location);
    if ((size_t)snprintf(obj->key, sizeof obj->key, "%s", key) >= sizeof obj->key)
        return ls_error_set(err, LS_ERR_FORMAT, "object key of %s is too long", uri);
    obj->store = table->store;
    ls_objstore_info info;
    ls_code rc = ls_objstore_head(table->store, obj->key, &info, err);
    if (rc)
        return rc;
    obj->source =
        (ls_parquet_source){.read_at = object_read_at, .ctx = obj, .size_bytes = info.size_bytes};
    return LS_OK;
}
