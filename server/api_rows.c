#include "api_rows.h"

#include <stdio.h>
#include <string.h>

ls_code api_rows_list(ls_api_request *req, const char *sql, api_row_fn row_fn, ls_error *err)
{
    return api_rows_list_of(req, sql, NULL, row_fn, err);
}

ls_code api_rows_list_of(ls_api_request *req, const char *sql, const char *key,
                         api_row_fn row_fn, ls_error *err)
{
    int64_t page_size = 0, after = 0, last = 0;
    ls_code rc = api_page_params(req, &page_size, &after, err);
    if (rc)
        return rc;
    json_t *items = json_array();
    ls_stmt *stmt = NULL;
    bool row = false, more = false;
    if (!items)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    rc = ls_store_begin_read(req->api->store, err);
    if (rc)
        goto out;
    rc = ls_stmt_prepare(req->api->store, sql, &stmt, err);
    if (rc)
        goto out;
    ls_stmt_bind_int(stmt, 1, after);
    /* One row more than asked tells whether another page exists. */
    ls_stmt_bind_int(stmt, 2, page_size + 1);
    if (key)
        ls_stmt_bind_text(stmt, 3, key);
    while ((rc = ls_stmt_step(stmt, &row, err)) == LS_OK && row) {
        if ((int64_t)json_array_size(items) == page_size) {
            more = true;
            break;
        }
        json_t *item = row_fn(stmt);
        if (!item) {
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
            break;
        }
        last = ls_stmt_int(stmt, 0);
        json_array_append_new(items, item);
    }
out:
    ls_stmt_free(stmt);
    ls_store_rollback(req->api->store);
    if (rc) {
        json_decref(items);
        return rc;
    }
    return api_reply_json(req, 200, api_page_body(items, more, last), err);
}

ls_code api_rows_load(ls_store *store, const char *sql, const char *key, api_row_fn row_fn,
                      const char *what, json_t **out, ls_error *err)
{
    *out = NULL;
    ls_stmt *stmt = NULL;
    bool row = false;
    ls_code rc = ls_stmt_prepare(store, sql, &stmt, err);
    if (rc)
        return rc;
    ls_stmt_bind_text(stmt, 1, key);
    rc = ls_stmt_step(stmt, &row, err);
    if (!rc && !row)
        rc = ls_error_set(err, LS_ERR_NOT_FOUND, "no %s %s", what, key);
    if (!rc) {
        *out = row_fn(stmt);
        if (!*out)
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    }
    ls_stmt_free(stmt);
    return rc;
}

static ls_code run_first(ls_store *store, const char *sql, const char *arg, const char *arg2,
                         int64_t *int_out, char *text_out, size_t text_size, ls_error *err)
{
    ls_stmt *stmt = NULL;
    bool row = false;
    ls_code rc = ls_stmt_prepare(store, sql, &stmt, err);
    if (rc)
        return rc;
    if (arg)
        ls_stmt_bind_text(stmt, 1, arg);
    if (arg2)
        ls_stmt_bind_text(stmt, 2, arg2);
    rc = ls_stmt_step(stmt, &row, err);
    if (int_out)
        *int_out = row ? ls_stmt_int(stmt, 0) : 0;
    if (text_out) {
        const char *text = row ? ls_stmt_text(stmt, 0) : NULL;
        snprintf(text_out, text_size, "%s", text ? text : "");
    }
    ls_stmt_free(stmt);
    return rc;
}

ls_code api_rows_int(ls_store *store, const char *sql, const char *arg, const char *arg2,
                     int64_t *out, ls_error *err)
{
    return run_first(store, sql, arg, arg2, out, NULL, 0, err);
}

ls_code api_rows_text(ls_store *store, const char *sql, const char *arg, const char *arg2,
                      char *out, size_t out_size, ls_error *err)
{
    return run_first(store, sql, arg, arg2, NULL, out, out_size, err);
}

ls_code api_rows_exec(ls_store *store, const char *sql, const char *const *args, int64_t *changes,
                      ls_error *err)
{
    ls_stmt *stmt = NULL;
    bool row = false;
    ls_code rc = ls_stmt_prepare(store, sql, &stmt, err);
    if (rc)
        return rc;
    for (int i = 0; args && args[i]; i++)
        ls_stmt_bind_text(stmt, i + 1, args[i]);
    rc = ls_stmt_step(stmt, &row, err);
    if (!rc && changes)
        *changes = ls_store_changes(store);
    ls_stmt_free(stmt);
    return rc;
}

const char *api_rows_etag(const json_t *resource)
{
    const char *etag = json_string_value(json_object_get(resource, "etag"));
    return etag ? etag : "";
}

ls_code api_reply_loaded(ls_api_request *req, api_load_fn load, const char *param, ls_error *err)
{
    json_t *resource = NULL;
    ls_code rc = ls_store_begin_read(req->api->store, err);
    if (rc)
        return rc;
    rc = load(req->api->store, api_param(req, param), &resource, err);
    ls_store_rollback(req->api->store);
    return rc ? rc : api_reply_json(req, 200, resource, err);
}

ls_code api_finish_write(ls_api_request *req, ls_code rc, int status, json_t **resource,
                         ls_error *err)
{
    if (rc) {
        ls_store_rollback(req->api->store);
        return rc;
    }
    rc = ls_store_commit(req->api->store, err);
    if (rc)
        return rc;
    json_t *body = *resource;
    *resource = NULL;
    return api_reply_json(req, status, body, err);
}
