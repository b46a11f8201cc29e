/*
 * The Iceberg REST catalog at /iceberg/v1 (apache/iceberg
 * open-api/rest-catalog-open-api.yaml), the read side engines need: config,
 * namespaces (list, load, create) and tables (list, load, exists). A
 * namespace is one of our Iceberg databases (single level); a table is a row
 * of `tables` in the iceberg format, loaded from its current metadata file.
 * Commits go through jobs, not through this catalog.
 *
 * Errors use the catalog's shape {"error":{"message","type","code"}} rather
 * than our API's, so Iceberg clients raise their usual exceptions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_handlers.h"
#include "api_json.h"
#include "table_read.h"

#define NAMESPACE_NAME_MAX 128
#define TABLE_NAME_MAX 256
#define PAGE_SIZE_DEFAULT 1000
#define PAGE_SIZE_MAX 10000

/* The exception type clients map a status to. */
static const char *error_type(int status, const char *not_found)
{
    switch (status) {
    case 400:
        return "BadRequestException";
    case 401:
        return "NotAuthorizedException";
    case 403:
        return "ForbiddenException";
    case 404:
        return not_found;
    case 409:
        return "AlreadyExistsException";
    case 422:
        return "UnprocessableEntityException";
    case 503:
        return "ServiceUnavailableException";
    default:
        return "ServerErrorException";
    }
}

json_t *api_iceberg_error_json(int status, const char *message, const char *not_found_type)
{
    return json_pack("{s:{s:s,s:s,s:i}}", "error", "message", message, "type",
                     error_type(status, not_found_type), "code", status);
}

/* Answers a handler's outcome: LS_OK passes through; an error becomes the
 * catalog's error body (not_found names the missing kind of thing). */
static ls_code finish(ls_api_request *req, ls_code rc, const ls_error *failure,
                      const char *not_found, ls_error *err)
{
    if (!rc)
        return LS_OK;
    int status = ls_http_status_for_code(rc);
    json_t *body = api_iceberg_error_json(status, failure->message, not_found);
    if (!body)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    return api_reply_json(req, status, body, err);
}

static bool is_head(const ls_api_request *req)
{
    return strcmp(req->http->method, "HEAD") == 0;
}

ls_code api_iceberg_config(ls_api_request *req, ls_error *err)
{
    json_t *body = json_pack("{s:{},s:{}}", "defaults", "overrides");
    if (!body)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    return api_reply_json(req, 200, body, err);
}

/* ?pageToken= (a seq this server issued) and ?pageSize=. */
static ls_code page_params(const ls_api_request *req, int64_t *after, int64_t *size, ls_error *err)
{
    const char *token = ls_http_request_query(req->http, "pageToken");
    const char *text = ls_http_request_query(req->http, "pageSize");
    char *end = NULL;
    *after = 0;
    *size = PAGE_SIZE_DEFAULT;
    if (token && *token) {
        *after = strtoll(token, &end, 10);
        if (*end || *after < 0)
            return ls_error_set(err, LS_ERR_INVALID, "pageToken is not one this server issued");
    }
    if (text) {
        *size = strtoll(text, &end, 10);
        if (!*text || *end || *size < 1 || *size > PAGE_SIZE_MAX)
            return ls_error_set(err, LS_ERR_INVALID, "pageSize must be from 1 to %d",
                                PAGE_SIZE_MAX);
    }
    return LS_OK;
}

/* Runs a listing: sql selects seq first and binds ?1 = after, ?2 = limit,
 * ?3 = arg; item builds one entry from the row. Answers
 * {key: [...], "next-page-token": ...}. */
static ls_code list_rows(ls_api_request *req, const char *sql, const char *arg,
                         json_t *(*item)(ls_stmt *stmt), const char *key, ls_error *err)
{
    int64_t after = 0, size = 0, last = 0;
    ls_stmt *stmt = NULL;
    bool row = false, more = false;
    json_t *items = json_array();
    ls_code rc = page_params(req, &after, &size, err);
    if (!rc && !items)
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = ls_store_begin_read(req->api->store, err);
    if (rc)
        goto out;
    rc = ls_stmt_prepare(req->api->store, sql, &stmt, err);
    if (!rc) {
        ls_stmt_bind_int(stmt, 1, after);
        ls_stmt_bind_int(stmt, 2, size + 1); /* one more tells whether a page follows */
        if (arg)
            ls_stmt_bind_text(stmt, 3, arg);
    }
    while (!rc && (rc = ls_stmt_step(stmt, &row, err)) == LS_OK && row) {
        if ((int64_t)json_array_size(items) == size) {
            more = true;
            break;
        }
        json_t *entry = item(stmt);
        if (!entry || json_array_append_new(items, entry))
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        last = ls_stmt_int(stmt, 0);
    }
    ls_stmt_free(stmt);
    ls_store_rollback(req->api->store);
out:
    if (rc) {
        json_decref(items);
        return rc;
    }
    char token[32];
    snprintf(token, sizeof token, "%lld", (long long)last);
    json_t *body = json_pack("{s:o,s:o}", key, items, "next-page-token",
                             more ? json_string(token) : json_null());
    return api_reply_json(req, 200, body, err);
}

static json_t *namespace_item(ls_stmt *stmt)
{
    return json_pack("[s]", ls_stmt_text(stmt, 1));
}

ls_code api_iceberg_namespaces_list(ls_api_request *req, ls_error *err)
{
    ls_error failure = {0};
    ls_code rc;
    /* Our namespaces have one level: the children of any parent are none. */
    const char *parent = ls_http_request_query(req->http, "parent");
    if (parent && *parent) {
        rc = ls_error_set(&failure, LS_ERR_NOT_FOUND, "namespace %s does not exist", parent);
        return finish(req, rc, &failure, "NoSuchNamespaceException", err);
    }
    rc = list_rows(req,
                   "SELECT seq, name FROM databases WHERE catalog = 'iceberg' AND seq > ?1 "
                   "ORDER BY seq LIMIT ?2",
                   NULL, namespace_item, "namespaces", &failure);
    return finish(req, rc, &failure, "NoSuchNamespaceException", err);
}

/* Loads namespace's properties; LS_ERR_NOT_FOUND unless it is an Iceberg
 * database. */
static ls_code namespace_load(ls_api_request *req, const char *name, json_t **properties,
                              ls_error *err)
{
    json_t *db = NULL;
    *properties = NULL;
    if (!api_lower_identifier_valid(name, NAMESPACE_NAME_MAX))
        return ls_error_set(err, LS_ERR_NOT_FOUND, "namespace %s does not exist", name);
    ls_code rc = ls_store_begin_read(req->api->store, err);
    if (rc)
        return rc;
    rc = api_database_load(req->api->store, name, &db, err);
    ls_store_rollback(req->api->store);
    if (!rc && strcmp(json_string_value(json_object_get(db, "catalog")), "iceberg") != 0)
        rc = ls_error_set(err, LS_ERR_NOT_FOUND, "namespace %s is not an Iceberg database", name);
    if (!rc) {
        *properties = json_deep_copy(json_object_get(db, "properties"));
        const json_t *location = json_object_get(db, "location");
        if (*properties && json_is_string(location))
            json_object_set(*properties, "location", (json_t *)location);
    }
    json_decref(db);
    if (!rc && !*properties)
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    return rc;
}

ls_code api_iceberg_namespace_get(ls_api_request *req, ls_error *err)
{
    ls_error failure = {0};
    const char *name = api_param(req, "namespace");
    json_t *properties = NULL;
    ls_code rc = namespace_load(req, name, &properties, &failure);
    if (!rc && is_head(req)) {
        json_decref(properties);
        return api_reply_no_content(req, err);
    }
    if (!rc)
        return api_reply_json(
            req, 200, json_pack("{s:[s],s:o}", "namespace", name, "properties", properties), err);
    return finish(req, rc, &failure, "NoSuchNamespaceException", err);
}

/* Reads CreateNamespaceRequest: {"namespace": ["name"], "properties": {...}}. */
static ls_code create_request(const json_t *body, const char **name, const json_t **properties,
                              ls_error *err)
{
    const json_t *ns = json_object_get(body, "namespace");
    *properties = json_object_get(body, "properties");
    if (!json_is_array(ns) || json_array_size(ns) != 1 || !json_is_string(json_array_get(ns, 0)))
        return ls_error_set(err, LS_ERR_INVALID,
                            "namespace must be an array of one level, e.g. [\"sales\"]");
    *name = json_string_value(json_array_get(ns, 0));
    if (!api_lower_identifier_valid(*name, NAMESPACE_NAME_MAX))
        return ls_error_set(err, LS_ERR_INVALID,
                            "namespace %s must be lower-case letters, digits and '_'", *name);
    if (*properties && !json_is_object(*properties))
        return ls_error_set(err, LS_ERR_INVALID, "properties must be an object of strings");
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)*properties, key, value)
    {
        if (!json_is_string(value))
            return ls_error_set(err, LS_ERR_INVALID, "property %s must be a string", key);
    }
    return LS_OK;
}

ls_code api_iceberg_namespace_create(ls_api_request *req, ls_error *err)
{
    ls_error failure = {0};
    json_t *body = NULL, *empty = json_object(), *properties = NULL;
    const json_t *given = NULL;
    const char *name = NULL;
    char location[LS_API_URI_MAX + 256];
    ls_code rc = api_json_body(req, false, &body, &failure);
    if (!rc)
        rc = create_request(body, &name, &given, &failure);
    if (!rc && !empty)
        rc = ls_error_set(&failure, LS_ERR_NOMEM, "out of memory");
    if (rc)
        goto out;
    /* Managed like a database created through /api/v1 (api_databases.c). */
    snprintf(location, sizeof location, "%s%s.db/", req->api->warehouse, name);
    rc = ls_store_begin(req->api->store, &failure);
    if (rc)
        goto out;
    rc = api_database_insert(req->api->store, name, "iceberg", false, location,
                             given ? given : empty, &failure);
    if (rc) {
        ls_store_rollback(req->api->store);
        goto out;
    }
    rc = ls_store_commit(req->api->store, &failure);
    if (!rc)
        rc = namespace_load(req, name, &properties, &failure);
out:
    if (!rc) {
        rc = api_reply_json(
            req, 200, json_pack("{s:[s],s:o}", "namespace", name, "properties", properties), err);
    } else {
        if (rc == LS_ERR_CONFLICT)
            snprintf(failure.message, sizeof failure.message, "namespace %s already exists",
                     name ? name : "");
        rc = finish(req, rc, &failure, "NoSuchNamespaceException", err);
    }
    json_decref(body);
    json_decref(empty);
    return rc;
}

static json_t *table_item(ls_stmt *stmt)
{
    return json_pack("{s:[s],s:s}", "namespace", ls_stmt_text(stmt, 1), "name",
                     ls_stmt_text(stmt, 2));
}

ls_code api_iceberg_tables_list(ls_api_request *req, ls_error *err)
{
    ls_error failure = {0};
    const char *name = api_param(req, "namespace");
    json_t *properties = NULL;
    ls_code rc = namespace_load(req, name, &properties, &failure);
    json_decref(properties);
    if (!rc)
        rc = list_rows(req,
                       "SELECT seq, database, name FROM tables WHERE database = ?3 AND "
                       "format = 'iceberg' AND seq > ?1 ORDER BY seq LIMIT ?2",
                       name, table_item, "identifiers", &failure);
    return finish(req, rc, &failure, "NoSuchNamespaceException", err);
}

/* LoadTableResult, or 204 for HEAD (tableExists). */
ls_code api_iceberg_table_load(ls_api_request *req, ls_error *err)
{
    ls_error failure = {0};
    const char *ns = api_param(req, "namespace"), *name = api_param(req, "table");
    ls_table_pointer pointer;
    ls_table_open table;
    json_t *properties = NULL;
    memset(&table, 0, sizeof table);
    ls_code rc = namespace_load(req, ns, &properties, &failure);
    json_decref(properties);
    if (rc)
        return finish(req, rc, &failure, "NoSuchNamespaceException", err);
    if (!api_identifier_valid(name, TABLE_NAME_MAX))
        rc = ls_error_set(&failure, LS_ERR_NOT_FOUND, "table %s.%s does not exist", ns, name);
    if (!rc)
        rc = ls_table_read_pointer(req->api->store, ns, name, &pointer, &failure);
    if (!rc && strcmp(pointer.format, "iceberg") != 0)
        rc = ls_error_set(&failure, LS_ERR_NOT_FOUND, "table %s.%s is not an Iceberg table", ns,
                          name);
    if (!rc && is_head(req))
        return api_reply_no_content(req, err);
    ls_table_storage storage;
    memset(&storage, 0, sizeof storage);
    if (!rc)
        rc = ls_table_read_storage(req->api->store, &req->api->key, ns, name, &storage, &failure);
    if (!rc)
        rc = ls_table_read_open(&pointer, &storage.options, &table, &failure);
    ls_table_storage_cleanup(&storage);
    if (!rc) {
        json_t *body = json_pack("{s:s,s:O,s:{}}", "metadata-location", pointer.metadata_location,
                                 "metadata", ls_iceberg_metadata_json(table.metadata), "config");
        rc = body ? api_reply_json(req, 200, body, err)
                  : ls_error_set(&failure, LS_ERR_NOMEM, "out of memory");
    }
    ls_table_read_close(&table);
    if (rc && failure.code)
        return finish(req, rc, &failure, "NoSuchTableException", err);
    return rc;
}
