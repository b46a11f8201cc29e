/* Databases of the catalog: {name, catalog: iceberg|paimon, external,
 * location, properties}. A managed (non-external) database's location
 * defaults to <warehouse><name>.db/. Iceberg jobs create their database when
 * it is missing (api_jobs.c, through api_database_insert). */
#include <stdio.h>
#include <string.h>

#include "api_dest.h"
#include "api_handlers.h"
#include "api_json.h"
#include "api_rows.h"

#define DB_NAME_MAX 128
#define PROPERTIES_MAX 64
#define PROPERTY_KEY_MAX 256
#define PROPERTY_VALUE_MAX 4096

#define DB_SELECT                                                                                  \
    "SELECT seq, name, catalog, external, location, properties, etag, created_at, updated_at "     \
    "FROM databases "

static json_t *database_json(ls_stmt *stmt)
{
    json_t *properties = json_loads(ls_stmt_text(stmt, 5), 0, NULL);
    if (!properties)
        return NULL;
    const char *location = ls_stmt_text(stmt, 4);
    return json_pack("{s:s,s:s,s:b,s:o,s:o,s:s,s:s,s:s}", "name", ls_stmt_text(stmt, 1), "catalog",
                     ls_stmt_text(stmt, 2), "external", (int)ls_stmt_int(stmt, 3), "location",
                     location ? json_string(location) : json_null(), "properties", properties,
                     "etag", ls_stmt_text(stmt, 6), "created_at", ls_stmt_text(stmt, 7),
                     "updated_at", ls_stmt_text(stmt, 8));
}

ls_code api_database_load(ls_store *store, const char *name, json_t **out, ls_error *err)
{
    if (!api_lower_identifier_valid(name, DB_NAME_MAX))
        return ls_error_set(err, LS_ERR_NOT_FOUND, "no database %s", name);
    return api_rows_load(store, DB_SELECT "WHERE name = ?", name, database_json, "database", out,
                         err);
}

ls_code api_database_insert(ls_store *store, const char *name, const char *catalog, bool external,
                            const char *location, const json_t *properties, ls_error *err)
{
    char etag[33], now[32];
    api_now_rfc3339(now);
    ls_code rc = api_new_etag(etag, err);
    char *props = json_dumps(properties, JSON_COMPACT | JSON_SORT_KEYS);
    if (!rc && !props)
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    ls_stmt *stmt = NULL;
    bool row = false;
    if (!rc)
        rc = ls_stmt_prepare(store,
                             "INSERT INTO databases(name, catalog, external, location, "
                             "properties, etag, created_at, updated_at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             &stmt, err);
    if (!rc) {
        ls_stmt_bind_text(stmt, 1, name);
        ls_stmt_bind_text(stmt, 2, catalog);
        ls_stmt_bind_int(stmt, 3, external);
        ls_stmt_bind_text(stmt, 4, location);
        ls_stmt_bind_text(stmt, 5, props);
        ls_stmt_bind_text(stmt, 6, etag);
        ls_stmt_bind_text(stmt, 7, now);
        ls_stmt_bind_text(stmt, 8, now);
        rc = ls_stmt_step(stmt, &row, err);
    }
    if (rc == LS_ERR_CONFLICT) {
        ls_error_clear(err);
        rc = ls_error_set_field(err, LS_ERR_CONFLICT, "name", "database '%s' already exists", name);
    }
    ls_stmt_free(stmt);
    free(props);
    return rc;
}

static ls_code properties_check(const json_t *properties, ls_error *err)
{
    if (json_object_size(properties) > PROPERTIES_MAX)
        return ls_error_set_field(err, LS_ERR_INVALID, "properties",
                                  "properties has more than %d entries", PROPERTIES_MAX);
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)properties, key, value)
    {
        char field[API_FIELD_MAX];
        api_json_field(field, sizeof field, "properties", key);
        if (strlen(key) == 0 || strlen(key) > PROPERTY_KEY_MAX)
            return ls_error_set_field(err, LS_ERR_INVALID, "properties",
                                      "property names must have 1 to %d bytes", PROPERTY_KEY_MAX);
        if (!json_is_string(value) || json_string_length(value) > PROPERTY_VALUE_MAX)
            return ls_error_set_field(err, LS_ERR_INVALID, field,
                                      "%s must be a string of at most %d bytes", field,
                                      PROPERTY_VALUE_MAX);
    }
    return LS_OK;
}

/* Validates a create body; *location_out is the location to store (the
 * given one, or the derived one for a managed database). */
static ls_code database_check(ls_api *api, const json_t *body, const char **name,
                              const char **catalog, bool *external, char *location_out,
                              size_t location_size, json_t **properties, ls_error *err)
{
    static const char *const allowed[] = {"name",     "catalog",    "external",
                                          "location", "properties", NULL};
    static const char *const catalogs[] = {"iceberg", "paimon", NULL};
    const char *location = NULL;
    api_dest_uri uri;
    ls_code rc = api_json_only(body, "", allowed, err);
    if (!rc)
        rc = api_json_string(body, "", "name", true, DB_NAME_MAX, name, err);
    if (!rc && !api_lower_identifier_valid(*name, DB_NAME_MAX))
        rc = ls_error_set_field(err, LS_ERR_INVALID, "name",
                                "database names use lower-case letters, digits and '_' and "
                                "start with a letter or '_'");
    if (!rc)
        rc = api_json_enum(body, "", "catalog", catalogs, "iceberg", catalog, err);
    if (!rc)
        rc = api_json_bool(body, "", "external", external, err);
    if (!rc)
        rc = api_json_string(body, "", "location", false, LS_API_URI_MAX - 8, &location, err);
    if (!rc && location)
        rc = api_dest_parse(location, "location", &uri, err);
    if (!rc && !location && *external)
        rc = ls_error_set_field(err, LS_ERR_INVALID, "location",
                                "location is required for an external database");
    if (!rc)
        rc = api_json_object(body, "", "properties", false, properties, err);
    if (!rc && *properties)
        rc = properties_check(*properties, err);
    if (rc)
        return rc;
    if (location)
        snprintf(location_out, location_size, "%s", location);
    else
        snprintf(location_out, location_size, "%s%s.db/", api->warehouse, *name);
    return LS_OK;
}

ls_code api_databases_list(ls_api_request *req, ls_error *err)
{
    return api_rows_list(req, DB_SELECT "WHERE seq > ? ORDER BY seq LIMIT ?", database_json, err);
}

ls_code api_databases_create(ls_api_request *req, ls_error *err)
{
    json_t *body = NULL, *properties = NULL, *db = NULL, *empty = json_object();
    const char *name = NULL, *catalog = NULL;
    bool external = false;
    char location[LS_API_URI_MAX + 256], path[256];
    ls_code rc = api_json_body(req, false, &body, err);
    if (!rc)
        rc = database_check(req->api, body, &name, &catalog, &external, location, sizeof location,
                            &properties, err);
    if (!rc)
        rc = ls_store_begin(req->api->store, err);
    if (rc)
        goto out;
    rc = api_database_insert(req->api->store, name, catalog, external, location,
                             properties ? properties : empty, err);
    if (!rc)
        rc = api_database_load(req->api->store, name, &db, err);
    if (rc) {
        ls_store_rollback(req->api->store);
        goto out;
    }
    rc = ls_store_commit(req->api->store, err);
    if (rc)
        goto out;
    snprintf(path, sizeof path, "/api/v1/databases/%s", name);
    rc = api_reply_created(req, path, db, err);
    db = NULL;
out:
    json_decref(db);
    json_decref(empty);
    json_decref(body);
    return rc;
}

ls_code api_database_get(ls_api_request *req, ls_error *err)
{
    return api_reply_loaded(req, api_database_load, "db", err);
}

ls_code api_database_delete(ls_api_request *req, ls_error *err)
{
    const char *name = api_param(req, "db");
    json_t *db = NULL;
    char job[160];
    int64_t tables = 0;
    ls_code rc = ls_store_begin(req->api->store, err);
    if (rc)
        return rc;
    rc = api_database_load(req->api->store, name, &db, err);
    if (!rc)
        rc = api_check_if_match(req, api_rows_etag(db), err);
    if (!rc)
        rc = api_rows_text(req->api->store,
                           "SELECT name FROM jobs WHERE database = ? ORDER BY seq LIMIT 1", name,
                           NULL, job, sizeof job, err);
    if (!rc && job[0])
        rc = ls_error_set(err, LS_ERR_CONFLICT,
                          "job '%s' writes to this database; delete the job first", job);
    if (!rc)
        rc = api_rows_int(req->api->store, "SELECT count(*) FROM tables WHERE database = ?", name,
                          NULL, &tables, err);
    if (!rc && tables > 0)
        rc = ls_error_set(err, LS_ERR_CONFLICT, "the database holds %lld table(s)",
                          (long long)tables);
    const char *args[] = {name, NULL};
    if (!rc)
        rc =
            api_rows_exec(req->api->store, "DELETE FROM databases WHERE name = ?", args, NULL, err);
    json_decref(db);
    if (rc) {
        ls_store_rollback(req->api->store);
        return rc;
    }
    rc = ls_store_commit(req->api->store, err);
    return rc ? rc : api_reply_no_content(req, err);
}
