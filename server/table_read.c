/* Read-only access to catalog tables for the API (table_read.h). */
#include "table_read.h"

#include <jansson.h>
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

/* Copies the destination's text member key into out ("" when absent). */
static const char *copy_member(const json_t *dest, const char *key, char *out, size_t size)
{
    const char *text = json_string_value(json_object_get(dest, key));
    snprintf(out, size, "%s", text ? text : "");
    return out[0] ? out : NULL;
}

static ls_code storage_from_row(ls_stmt *stmt, const ls_secret_key *key, ls_table_storage *out,
                                ls_error *err)
{
    char aad[160];
    size_t len = 0;
    json_t *spec = json_loads(ls_stmt_text(stmt, 1), 0, NULL);
    const json_t *dest = json_object_get(spec, "destination");
    ls_objstore_options *o = &out->options;
    o->endpoint = copy_member(dest, "endpoint", out->endpoint, sizeof out->endpoint);
    o->region = copy_member(dest, "region", out->region, sizeof out->region);
    o->access_key_id =
        copy_member(dest, "access_key_id", out->access_key_id, sizeof out->access_key_id);
    /* As the job's run does (jobrun.c): path-style only when asked. */
    o->path_style = json_is_true(json_object_get(dest, "path_style")) ? 1 : -1;
    json_decref(spec);
    const void *sealed = ls_stmt_blob(stmt, 2, &len);
    if (!sealed || ls_stmt_is_null(stmt, 2))
        return LS_OK;
    ls_buf plain;
    ls_buf_init(&plain, sizeof out->secret_access_key - 1);
    snprintf(aad, sizeof aad, "job:%s:secret_access_key", ls_stmt_text(stmt, 0));
    ls_code rc = ls_secret_open(key, aad, sealed, len, &plain, err);
    if (!rc) {
        memcpy(out->secret_access_key, plain.data, plain.len);
        out->secret_access_key[plain.len] = '\0';
        o->secret_access_key = out->secret_access_key;
    }
    if (plain.data)
        memset(plain.data, 0, plain.len);
    ls_buf_cleanup(&plain);
    return rc;
}

ls_code ls_table_read_storage(ls_store *store, const ls_secret_key *key, const char *database,
                              const char *table, ls_table_storage *out, ls_error *err)
{
    ls_stmt *stmt = NULL;
    bool row = false;
    memset(out, 0, sizeof *out);
    ls_objstore_options_init(&out->options);
    ls_code rc = ls_store_begin_read(store, err);
    if (rc)
        return rc;
    rc = ls_stmt_prepare(store,
                         "SELECT id, spec, secret FROM jobs WHERE database = ?1 AND "
                         "table_name = ?2 ORDER BY seq LIMIT 1",
                         &stmt, err);
    if (!rc) {
        ls_stmt_bind_text(stmt, 1, database);
        ls_stmt_bind_text(stmt, 2, table);
        rc = ls_stmt_step(stmt, &row, err);
    }
    if (!rc && row)
        rc = storage_from_row(stmt, key, out, err);
    ls_stmt_free(stmt);
    ls_store_rollback(store);
    return rc;
}

void ls_table_storage_cleanup(ls_table_storage *storage)
{
    volatile char *p = storage->secret_access_key;
    for (size_t i = 0; i < sizeof storage->secret_access_key; i++)
        p[i] = 0;
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
    bool paimon = strcmp(pointer->format, "paimon") == 0;
    if (!paimon && strcmp(pointer->format, "iceberg") != 0)
        return ls_error_set(err, LS_ERR_UNPROCESSABLE, "table format %s is not readable",
                            pointer->format);
    /* A Paimon table's state lives in its own files (hints, snapshots),
     * found from the location alone. */
    if (!paimon && !pointer->metadata_location[0])
        return ls_error_set(err, LS_ERR_NOT_FOUND, "table at %s has no metadata yet",
                            pointer->location);
    ls_objstore_options defaults;
    ls_objstore_options_init(&defaults);
    ls_code rc =
        ls_objstore_open(pointer->location, options ? options : &defaults, &out->store, err);
    if (rc || paimon)
        return rc;
    ls_buf buf;
    ls_buf_init(&buf, LS_ICEBERG_MAX_METADATA_BYTES);
    rc = read_object(out, pointer->metadata_location, &buf, err);
    if (!rc)
        rc = ls_iceberg_metadata_parse((const char *)buf.data, buf.len, &out->metadata, err);
    ls_buf_cleanup(&buf);
    return rc;
}

ls_code ls_table_read_open_named(ls_store *store, const ls_secret_key *key, const char *database,
                                 const char *table, ls_table_open *out, ls_error *err)
{
    ls_table_pointer pointer;
    memset(out, 0, sizeof *out);
    ls_code rc = ls_table_read_pointer(store, database, table, &pointer, err);
    return rc ? rc : ls_table_read_open_pointer(store, key, database, table, &pointer, out, err);
}

ls_code ls_table_read_open_pointer(ls_store *store, const ls_secret_key *key,
                                   const char *database, const char *table,
                                   const ls_table_pointer *pointer, ls_table_open *out,
                                   ls_error *err)
{
    ls_table_storage storage;
    memset(out, 0, sizeof *out);
    ls_code rc = ls_table_read_storage(store, key, database, table, &storage, err);
    if (!rc)
        rc = ls_table_read_open(pointer, &storage.options, out, err);
    ls_table_storage_cleanup(&storage);
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
