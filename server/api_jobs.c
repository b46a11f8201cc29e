/* Job definitions: create, list, get, patch, delete. Jobs are stored
 * "stopped"; starting and stopping them belongs to the supervisor (a later
 * module). The checks that need stored state live here; the rest in
 * api_jobspec.c.
 *
 * Managed destinations: Iceberg tables at <warehouse><database>.db/<table>/.
 * ACUs are allocated from the resource group when a job is defined. */
#include <stdio.h>
#include <string.h>

#include "api_dest.h"
#include "api_handlers.h"
#include "api_jobspec.h"
#include "api_json.h"
#include "api_rows.h"
#include "util/log.h"

#define JOB_SELECT                                                                                 \
    "SELECT seq, id, spec, state, state_reason, etag, created_at, updated_at,"                     \
    " secret IS NOT NULL FROM jobs "
#define MERGE_DEPTH_MAX 8
#define LOCATION_MAX (LS_API_URI_MAX + 512)

static json_t *job_json(ls_stmt *stmt)
{
    json_t *doc = json_loads(ls_stmt_text(stmt, 2), 0, NULL);
    if (!doc)
        return NULL;
    const char *reason = ls_stmt_text(stmt, 4);
    json_object_set_new(doc, "id", json_string(ls_stmt_text(stmt, 1)));
    json_object_set_new(doc, "state", json_string(ls_stmt_text(stmt, 3)));
    json_object_set_new(doc, "state_reason", reason ? json_string(reason) : json_null());
    json_object_set_new(doc, "etag", json_string(ls_stmt_text(stmt, 5)));
    json_object_set_new(doc, "created_at", json_string(ls_stmt_text(stmt, 6)));
    json_object_set_new(doc, "updated_at", json_string(ls_stmt_text(stmt, 7)));
    json_object_set_new(json_object_get(doc, "destination"), "secret_access_key_set",
                        json_boolean(ls_stmt_int(stmt, 8)));
    return doc;
}

static ls_code job_load(ls_store *store, const char *id, json_t **out, ls_error *err)
{
    if (!api_id_valid(id))
        return ls_error_set(err, LS_ERR_NOT_FOUND, "no job %s", id);
    return api_rows_load(store, JOB_SELECT "WHERE id = ?", id, job_json, "job", out, err);
}

static const char *str_at(const json_t *doc, const char *object, const char *key)
{
    const json_t *o = object ? json_object_get(doc, object) : doc;
    return json_string_value(json_object_get(o, key));
}

/* The data source must exist; the resource group (default when omitted) too,
 * with enough ACUs left beside the other jobs (exclude_job_id: the job being
 * patched). Fills sync.resource_group_id. */
static ls_code refs_check(ls_store *store, json_t *doc, const api_job_spec *spec,
                          const char *exclude_job_id, char group_id[64], ls_error *err)
{
    int64_t count = 0, max = 0, used = 0;
    char name[160];
    ls_code rc = api_rows_int(store, "SELECT count(*) FROM data_sources WHERE id = ?",
                              spec->data_source_id, NULL, &count, err);
    if (!rc && count == 0)
        return ls_error_set_field(err, LS_ERR_UNPROCESSABLE, "data_source_id",
                                  "data source %s does not exist", spec->data_source_id);
    if (!rc && spec->resource_group_id)
        rc = api_rows_text(store, "SELECT id FROM resource_groups WHERE id = ?",
                           spec->resource_group_id, NULL, group_id, 64, err);
    else if (!rc)
        rc = api_rows_text(store, "SELECT id FROM resource_groups WHERE name = 'default'", NULL,
                           NULL, group_id, 64, err);
    if (!rc && !group_id[0])
        return ls_error_set_field(err, LS_ERR_UNPROCESSABLE, "sync.resource_group_id",
                                  "resource group %s does not exist",
                                  spec->resource_group_id ? spec->resource_group_id : "default");
    if (!rc)
        rc = api_rows_int(store, "SELECT max_acus FROM resource_groups WHERE id = ?", group_id,
                          NULL, &max, err);
    if (!rc)
        rc = api_rows_int(store,
                          "SELECT COALESCE(SUM(acus), 0) FROM jobs WHERE resource_group_id = ?1 "
                          "AND id IS NOT ?2",
                          group_id, exclude_job_id, &used, err);
    if (!rc)
        rc = api_rows_text(store, "SELECT name FROM resource_groups WHERE id = ?", group_id, NULL,
                           name, sizeof name, err);
    if (rc)
        return rc;
    int64_t available = max > used ? max - used : 0;
    if (spec->acus > available)
        return ls_error_set_field(err, LS_ERR_UNPROCESSABLE, "sync.acus",
                                  "acus %lld exceeds the %lld ACUs resource group '%s' has left "
                                  "(%lld max, %lld used)",
                                  (long long)spec->acus, (long long)available, name, (long long)max,
                                  (long long)used);
    json_object_set_new(json_object_get(doc, "sync"), "resource_group_id", json_string(group_id));
    return LS_OK;
}

/* The warehouse property of a Paimon database, normalized; "" when absent. */
static ls_code paimon_warehouse(const json_t *db, api_dest_uri *out, ls_error *err)
{
    const json_t *props = json_object_get(db, "properties");
    const char *key = "paimon.warehouse"; /* the seed spells it adb.paimon.warehouse */
    const char *warehouse = json_string_value(json_object_get(props, key));
    if (!warehouse) {
        key = "adb.paimon.warehouse";
        warehouse = json_string_value(json_object_get(props, key));
    }
    if (!warehouse)
        return ls_error_set_field(err, LS_ERR_UNPROCESSABLE, "database",
                                  "a Paimon database needs the property paimon.warehouse (or "
                                  "adb.paimon.warehouse)");
    ls_code rc = api_dest_parse(warehouse, "database", out, err);
    if (rc) {
        ls_error_clear(err);
        return ls_error_set_field(err, LS_ERR_UNPROCESSABLE, "database",
                                  "the database's %s '%s' is not a valid location", key,
                                  warehouse);
    }
    return LS_OK;
}

/* The seed's Paimon database requirements, then the table path: a Paimon
 * table lives at <database location><table>/. */
static ls_code paimon_database_check(ls_store *store, const api_job_spec *spec, ls_error *err)
{
    json_t *db = NULL;
    api_dest_uri warehouse, location;
    char suffix[160], table_path[LOCATION_MAX];
    ls_code rc = api_database_load(store, spec->database, &db, err);
    if (rc == LS_ERR_NOT_FOUND) {
        ls_error_clear(err);
        return ls_error_set_field(err, LS_ERR_UNPROCESSABLE, "database",
                                  "database %s does not exist; Paimon jobs need an existing "
                                  "external database with catalog paimon",
                                  spec->database);
    }
    if (rc)
        return rc;
    const char *loc = json_string_value(json_object_get(db, "location"));
    if (!json_is_true(json_object_get(db, "external")))
        rc = ls_error_set_field(err, LS_ERR_UNPROCESSABLE, "database",
                                "database %s must be external for a Paimon job", spec->database);
    else if (strcmp(str_at(db, NULL, "catalog"), "paimon") != 0)
        rc = ls_error_set_field(err, LS_ERR_UNPROCESSABLE, "database",
                                "database %s must have catalog paimon for a Paimon job",
                                spec->database);
    if (!rc)
        rc = paimon_warehouse(db, &warehouse, err);
    if (!rc && (!loc || api_dest_parse(loc, "database", &location, err) != LS_OK)) {
        ls_error_clear(err);
        rc = ls_error_set_field(err, LS_ERR_UNPROCESSABLE, "database",
                                "database %s needs a location ending in %s.db/", spec->database,
                                spec->database);
    }
    snprintf(suffix, sizeof suffix, "/%s.db/", spec->database);
    size_t len = rc ? 0 : strlen(location.normalized);
    if (!rc &&
        (len < strlen(suffix) || strcmp(location.normalized + len - strlen(suffix), suffix) != 0))
        rc = ls_error_set_field(err, LS_ERR_UNPROCESSABLE, "database",
                                "the location of database %s must end with %s.db/, not %s",
                                spec->database, spec->database, loc);
    if (!rc &&
        (strncmp(location.normalized, warehouse.normalized, strlen(warehouse.normalized)) != 0 ||
         strcmp(location.normalized, warehouse.normalized) == 0))
        rc = ls_error_set_field(err, LS_ERR_UNPROCESSABLE, "database",
                                "the location of database %s must lie under its warehouse %s",
                                spec->database, warehouse.normalized);
    if (!rc)
        rc = api_dest_join(table_path, sizeof table_path, location.normalized, spec->table, err);
    if (!rc && strcmp(table_path, spec->path_uri.normalized) != 0)
        rc = ls_error_set_field(err, LS_ERR_UNPROCESSABLE, "destination.path",
                                "a Paimon table's path must be its database location plus the "
                                "table name: %s",
                                table_path);
    json_decref(db);
    return rc;
}

/* Iceberg: the database must be an iceberg one; it is created when missing. */
static ls_code iceberg_database_ensure(ls_api *api, const api_job_spec *spec, ls_error *err)
{
    json_t *db = NULL;
    ls_code rc = api_database_load(api->store, spec->database, &db, err);
    if (rc == LS_ERR_NOT_FOUND) {
        char location[LOCATION_MAX];
        json_t *props = json_object();
        ls_error_clear(err);
        snprintf(location, sizeof location, "%s%s.db/", api->warehouse, spec->database);
        rc = props ? api_database_insert(api->store, spec->database, "iceberg", false, location,
                                         props, err)
                   : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        if (rc)
            ls_error_name_field(err, "database");
        json_decref(props);
        return rc;
    }
    if (!rc && strcmp(str_at(db, NULL, "catalog"), "iceberg") != 0)
        rc = ls_error_set_field(err, LS_ERR_UNPROCESSABLE, "database",
                                "database %s has catalog %s; an Iceberg job needs an iceberg "
                                "database",
                                spec->database, str_at(db, NULL, "catalog"));
    json_decref(db);
    return rc;
}

/* The location a job writes: the user's path, or the managed one. A managed
 * job may echo its derived path back (read-back-and-write clients), nothing
 * else. */
static ls_code effective_path(ls_api *api, json_t *doc, const api_job_spec *spec, char *out,
                              size_t size, ls_error *err)
{
    if (!spec->managed) {
        snprintf(out, size, "%s", spec->path_uri.normalized);
        return LS_OK;
    }
    char db_dir[LOCATION_MAX];
    snprintf(db_dir, sizeof db_dir, "%s%s.db/", api->warehouse, spec->database);
    ls_code rc = api_dest_join(out, size, db_dir, spec->table, err);
    if (rc)
        return rc;
    api_dest_uri given;
    if (spec->path && (api_dest_parse(spec->path, "destination.path", &given, err) != LS_OK ||
                       strcmp(given.normalized, out) != 0)) {
        ls_error_clear(err);
        return ls_error_set_field(err, LS_ERR_INVALID, "destination.path",
                                  "a managed destination's path is derived (%s); omit "
                                  "destination.path",
                                  out);
    }
    json_object_set_new(json_object_get(doc, "destination"), "path", json_string(out));
    return LS_OK;
}

/* Another job on the same table, a table the catalog already has, another
 * job's path overlapping this one, or a user path inside the managed
 * warehouse. */
static ls_code destination_free(ls_api *api, const api_job_spec *spec, const char *path,
                                ls_error *err)
{
    char other[160];
    int64_t tables = 0;
    ls_stmt *stmt = NULL;
    bool row = false;
    ls_code rc =
        api_rows_text(api->store, "SELECT name FROM jobs WHERE database = ? AND table_name = ?",
                      spec->database, spec->table, other, sizeof other, err);
    if (!rc && other[0])
        return ls_error_set_field(err, LS_ERR_CONFLICT, "table",
                                  "job '%s' already writes table %s.%s", other, spec->database,
                                  spec->table);
    if (!rc)
        rc = api_rows_int(api->store, "SELECT count(*) FROM tables WHERE database = ? AND name = ?",
                          spec->database, spec->table, &tables, err);
    if (!rc && tables > 0)
        return ls_error_set_field(err, LS_ERR_CONFLICT, "table",
                                  "table %s.%s already exists; a job creates its table",
                                  spec->database, spec->table);
    if (!rc && !spec->managed && api_dest_overlap(path, api->warehouse))
        return ls_error_set_field(err, LS_ERR_CONFLICT, "destination.path",
                                  "destination.path %s overlaps the managed warehouse %s", path,
                                  api->warehouse);
    if (!rc)
        rc = ls_stmt_prepare(api->store, "SELECT name, path FROM jobs ORDER BY seq", &stmt, err);
    while (!rc && (rc = ls_stmt_step(stmt, &row, err)) == LS_OK && row) {
        if (api_dest_overlap(path, ls_stmt_text(stmt, 1))) {
            rc = ls_error_set_field(err, LS_ERR_CONFLICT, "destination.path",
                                    "destination.path %s shares a prefix with the path %s of "
                                    "job '%s'; job paths must not overlap",
                                    path, ls_stmt_text(stmt, 1), ls_stmt_text(stmt, 0));
        }
    }
    ls_stmt_free(stmt);
    return rc;
}

/* The folder must be empty. Runs before the transaction: it touches the
 * file system or, through the object-store hook, the network, and must not
 * hold the store's lock meanwhile. A second job racing for the same path is
 * still refused inside the transaction by the overlap check. */
static ls_code destination_empty(ls_api *api, const json_t *doc, const api_job_spec *spec,
                                 const char *path, ls_error *err)
{
    const json_t *dest = json_object_get(doc, "destination");
    ls_api_store_access access = {
        .endpoint = str_at(dest, NULL, "endpoint"),
        .region = str_at(dest, NULL, "region"),
        .access_key_id = str_at(dest, NULL, "access_key_id"),
        .secret_access_key = spec->secret_set ? spec->secret : NULL,
        .path_style = json_is_true(json_object_get(dest, "path_style")),
    };
    /* Managed storage uses the server's own credentials (environment). */
    if (spec->managed)
        memset(&access, 0, sizeof access);
    api_dest_uri uri;
    ls_code rc = api_dest_parse(path, "destination.path", &uri, err);
    return rc ? rc : api_dest_check_empty(api, &uri, &access, "destination.path", err);
}

static ls_code seal_secret(ls_api *api, const api_job_spec *spec, const char *id, ls_buf *out,
                           ls_error *err)
{
    char aad[96];
    snprintf(aad, sizeof aad, "job:%s:secret_access_key", id);
    return ls_secret_seal(&api->key, aad, spec->secret, strlen(spec->secret), out, err);
}

typedef struct job_row {
    const char *id;
    const char *name;
    const char *group_id;
    const char *path;
    const char *etag;
    const char *now;
} job_row;

static ls_code job_insert(ls_api *api, const json_t *doc, const api_job_spec *spec,
                          const job_row *r, const ls_buf *secret, ls_error *err)
{
    ls_stmt *stmt = NULL;
    bool row = false;
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    ls_code rc = ls_stmt_prepare(api->store,
                                 "INSERT INTO jobs(id, name, data_source_id, resource_group_id, "
                                 "acus, database, table_name, path, spec, secret, etag, "
                                 "created_at, updated_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 &stmt, err);
    if (!rc) {
        const char *texts[] = {r->id, r->name, spec->data_source_id, r->group_id};
        for (int i = 0; i < 4; i++)
            ls_stmt_bind_text(stmt, i + 1, texts[i]);
        ls_stmt_bind_int(stmt, 5, spec->acus);
        ls_stmt_bind_text(stmt, 6, spec->database);
        ls_stmt_bind_text(stmt, 7, spec->table);
        ls_stmt_bind_text(stmt, 8, r->path);
        ls_stmt_bind_text(stmt, 9, text);
        ls_stmt_bind_blob(stmt, 10, secret->len ? secret->data : NULL, secret->len);
        ls_stmt_bind_text(stmt, 11, r->etag);
        ls_stmt_bind_text(stmt, 12, r->now);
        ls_stmt_bind_text(stmt, 13, r->now);
        rc = ls_stmt_step(stmt, &row, err);
    }
    if (rc == LS_ERR_CONFLICT) {
        ls_error_clear(err);
        rc = ls_error_set_field(err, LS_ERR_CONFLICT, "name", "a job named '%s' already exists",
                                r->name);
    }
    ls_stmt_free(stmt);
    free(text);
    return rc;
}

/* The job's name: given, or the seed's "kafka_YYYYMMDD_HHMMSS" made unique. */
static ls_code job_name(ls_store *store, json_t *doc, const api_job_spec *spec, ls_error *err)
{
    if (spec->name)
        return LS_OK;
    for (int attempt = 1; attempt <= 100; attempt++) {
        char name[64];
        int64_t taken = 0;
        api_auto_name("kafka", attempt, name, sizeof name);
        ls_code rc = api_rows_int(store, "SELECT count(*) FROM jobs WHERE name = ?", name, NULL,
                                  &taken, err);
        if (rc)
            return rc;
        if (taken == 0) {
            json_object_set_new(doc, "name", json_string(name));
            return LS_OK;
        }
    }
    return ls_error_set_field(err, LS_ERR_CONFLICT, "name", "could not generate a free name");
}

/* Every stateful rule for a new job, then the insert. */
static ls_code job_create_in_tx(ls_api *api, json_t *doc, const api_job_spec *spec,
                                const char *path, job_row *r, ls_error *err)
{
    char group_id[64] = "";
    ls_buf secret;
    ls_buf_init(&secret, API_JOB_SECRET_MAX + LS_SECRET_SEAL_OVERHEAD);
    ls_code rc = refs_check(api->store, doc, spec, NULL, group_id, err);
    if (!rc)
        rc = spec->paimon ? paimon_database_check(api->store, spec, err)
                          : iceberg_database_ensure(api, spec, err);
    if (!rc)
        rc = destination_free(api, spec, path, err);
    if (!rc)
        rc = job_name(api->store, doc, spec, err);
    if (!rc && spec->secret_set)
        rc = seal_secret(api, spec, r->id, &secret, err);
    if (!rc) {
        r->name = str_at(doc, NULL, "name");
        r->group_id = group_id;
        r->path = path;
        rc = job_insert(api, doc, spec, r, &secret, err);
    }
    ls_buf_cleanup(&secret);
    return rc;
}

ls_code api_jobs_create(ls_api_request *req, ls_error *err)
{
    json_t *doc = NULL, *job = NULL;
    api_job_spec spec;
    char id[64], etag[33], now[32], location[128], path[LOCATION_MAX];
    job_row r = {.id = id, .etag = etag, .now = now};
    api_now_rfc3339(now);
    memset(&spec, 0, sizeof spec);
    ls_code rc = api_json_body(req, false, &doc, err);
    if (!rc)
        rc = api_jobspec_check(doc, &spec, err);
    if (!rc)
        rc = effective_path(req->api, doc, &spec, path, sizeof path, err);
    if (!rc)
        rc = destination_empty(req->api, doc, &spec, path, err);
    if (!rc)
        rc = api_new_id("job_", id, sizeof id, err);
    if (!rc)
        rc = api_new_etag(etag, err);
    if (!rc)
        rc = ls_store_begin(req->api->store, err);
    if (rc)
        goto out;
    rc = job_create_in_tx(req->api, doc, &spec, path, &r, err);
    if (!rc)
        rc = job_load(req->api->store, id, &job, err);
    if (rc) {
        ls_store_rollback(req->api->store);
        goto out;
    }
    rc = ls_store_commit(req->api->store, err);
    if (rc)
        goto out;
    ls_log_info("api", "job %s defined (%s.%s)", id, spec.database, spec.table);
    snprintf(location, sizeof location, "/api/v1/jobs/%s", id);
    rc = api_reply_created(req, location, job, err);
    job = NULL;
out:
    api_jobspec_wipe(&spec);
    json_decref(job);
    json_decref(doc);
    return rc;
}

ls_code api_jobs_list(ls_api_request *req, ls_error *err)
{
    return api_rows_list(req, JOB_SELECT "WHERE seq > ? ORDER BY seq LIMIT ?", job_json, err);
}

ls_code api_job_get(ls_api_request *req, ls_error *err)
{
    return api_reply_loaded(req, job_load, "id", err);
}

/* RFC 7396 JSON merge patch of patch into target, without recursion:
 * objects merge member by member, null removes, anything else replaces. */
static ls_code merge_patch(json_t *target, const json_t *patch, ls_error *err)
{
    struct {
        json_t *target;
        const json_t *patch;
        int depth;
    } stack[64];
    size_t top = 0;
    stack[top].target = target;
    stack[top].patch = patch;
    stack[top++].depth = 0;
    while (top > 0) {
        top--;
        json_t *t = stack[top].target;
        const json_t *p = stack[top].patch;
        int depth = stack[top].depth;
        const char *key;
        json_t *value;
        json_object_foreach((json_t *)p, key, value)
        {
            if (json_is_null(value)) {
                json_object_del(t, key);
                continue;
            }
            if (!json_is_object(value)) {
                json_object_set_new(t, key, json_deep_copy(value));
                continue;
            }
            json_t *child = json_object_get(t, key);
            if (!json_is_object(child)) {
                child = json_object();
                json_object_set_new(t, key, child);
            }
            if (depth + 1 > MERGE_DEPTH_MAX || top == sizeof stack / sizeof stack[0])
                return ls_error_set_field(err, LS_ERR_INVALID, key, "%s is nested too deeply", key);
            stack[top].target = child;
            stack[top].patch = value;
            stack[top++].depth = depth + 1;
        }
    }
    return LS_OK;
}

/* Refuses changes to what a job's table and files depend on. */
static ls_code immutables_check(const json_t *old, const json_t *merged, ls_error *err)
{
    static const struct {
        const char *object;
        const char *key;
        const char *field;
    } fixed[] = {
        {NULL, "data_source_id", "data_source_id"},
        {NULL, "database", "database"},
        {NULL, "table", "table"},
        {"destination", "type", "destination.type"},
        {"destination", "format", "destination.format"},
        {"destination", "path", "destination.path"},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        const char *a = str_at(old, fixed[i].object, fixed[i].key);
        const char *b = str_at(merged, fixed[i].object, fixed[i].key);
        bool same = a && b && strcmp(a, b) == 0;
        if (!same && a && b && strcmp(fixed[i].key, "path") == 0) {
            api_dest_uri ua, ub;
            ls_error ignored = {0};
            same = api_dest_parse(a, "", &ua, &ignored) == LS_OK &&
                   api_dest_parse(b, "", &ub, &ignored) == LS_OK &&
                   strcmp(ua.normalized, ub.normalized) == 0;
        }
        if (!same)
            return ls_error_set_field(err, LS_ERR_INVALID, fixed[i].field,
                                      "%s cannot be changed after the job is created",
                                      fixed[i].field);
    }
    return LS_OK;
}

/* The stored form of a loaded job: without the fields the server adds. */
static json_t *stored_spec(const json_t *job)
{
    static const char *const server_fields[] = {
        "id", "state", "state_reason", "etag", "created_at", "updated_at", NULL};
    json_t *doc = json_deep_copy(job);
    for (const char *const *f = server_fields; doc && *f; f++)
        json_object_del(doc, *f);
    json_object_del(json_object_get(doc, "destination"), "secret_access_key_set");
    return doc;
}

static ls_code job_update(ls_api *api, const char *id, const json_t *doc, const api_job_spec *spec,
                          const ls_buf *secret, ls_error *err)
{
    char etag[33], now[32];
    ls_stmt *stmt = NULL;
    bool row = false, set_secret = spec->secret_set || spec->secret_cleared;
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    api_now_rfc3339(now);
    ls_code rc = text ? api_new_etag(etag, err) : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = ls_stmt_prepare(api->store,
                             set_secret ? "UPDATE jobs SET name = ?1, resource_group_id = ?2, "
                                          "acus = ?3, spec = ?4, etag = ?5, updated_at = ?6, "
                                          "secret = ?8 WHERE id = ?7"
                                        : "UPDATE jobs SET name = ?1, resource_group_id = ?2, "
                                          "acus = ?3, spec = ?4, etag = ?5, updated_at = ?6 "
                                          "WHERE id = ?7",
                             &stmt, err);
    if (!rc) {
        ls_stmt_bind_text(stmt, 1, str_at(doc, NULL, "name"));
        ls_stmt_bind_text(stmt, 2, str_at(doc, "sync", "resource_group_id"));
        ls_stmt_bind_int(stmt, 3, spec->acus);
        ls_stmt_bind_text(stmt, 4, text);
        ls_stmt_bind_text(stmt, 5, etag);
        ls_stmt_bind_text(stmt, 6, now);
        ls_stmt_bind_text(stmt, 7, id);
        if (set_secret)
            ls_stmt_bind_blob(stmt, 8, secret->len ? secret->data : NULL, secret->len);
        rc = ls_stmt_step(stmt, &row, err);
    }
    if (rc == LS_ERR_CONFLICT) {
        ls_error_clear(err);
        rc = ls_error_set_field(err, LS_ERR_CONFLICT, "name", "a job named '%s' already exists",
                                str_at(doc, NULL, "name"));
    }
    ls_stmt_free(stmt);
    free(text);
    return rc;
}

static ls_code job_patch_in_tx(ls_api_request *req, const json_t *old, const json_t *patch,
                               api_job_spec *spec, ls_error *err)
{
    const char *id = str_at(old, NULL, "id");
    char group_id[64] = "", path[LOCATION_MAX];
    ls_buf secret;
    ls_buf_init(&secret, API_JOB_SECRET_MAX + LS_SECRET_SEAL_OVERHEAD);
    json_t *merged = stored_spec(old);
    ls_code rc = merged ? api_check_if_match(req, api_rows_etag(old), err)
                        : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    /* A failed job runs no worker either: it may be fixed, then started. */
    const char *state = str_at(old, NULL, "state");
    if (!rc && strcmp(state, "stopped") != 0 && strcmp(state, "failed") != 0)
        rc = ls_error_set(err, LS_ERR_CONFLICT, "the job is %s; stop it before changing it",
                          state);
    if (!rc)
        rc = merge_patch(merged, patch, err);
    if (!rc && !json_object_get(merged, "name"))
        rc = ls_error_set_field(err, LS_ERR_INVALID, "name", "name cannot be removed");
    if (!rc)
        rc = api_jobspec_check(merged, spec, err);
    json_t *patch_dest = json_object_get(patch, "destination");
    if (json_is_null(json_object_get(patch_dest, "secret_access_key")))
        spec->secret_cleared = true;
    if (!rc)
        rc = immutables_check(old, merged, err);
    if (!rc)
        rc = effective_path(req->api, merged, spec, path, sizeof path, err);
    if (!rc)
        rc = refs_check(req->api->store, merged, spec, id, group_id, err);
    if (!rc && spec->secret_set)
        rc = seal_secret(req->api, spec, id, &secret, err);
    if (!rc)
        rc = job_update(req->api, id, merged, spec, &secret, err);
    ls_buf_cleanup(&secret);
    json_decref(merged);
    return rc;
}

ls_code api_job_patch(ls_api_request *req, ls_error *err)
{
    const char *id = api_param(req, "id");
    json_t *patch = NULL, *job = NULL;
    api_job_spec spec;
    memset(&spec, 0, sizeof spec);
    ls_code rc = api_json_body(req, false, &patch, err);
    if (!rc)
        rc = ls_store_begin(req->api->store, err);
    if (rc)
        goto out;
    rc = job_load(req->api->store, id, &job, err);
    if (!rc)
        rc = job_patch_in_tx(req, job, patch, &spec, err);
    json_decref(job);
    job = NULL;
    if (!rc)
        rc = job_load(req->api->store, id, &job, err);
    rc = api_finish_write(req, rc, 200, &job, err);
out:
    api_jobspec_wipe(&spec);
    json_decref(job);
    json_decref(patch);
    return rc;
}

ls_code api_job_delete(ls_api_request *req, ls_error *err)
{
    const char *id = api_param(req, "id");
    json_t *job = NULL;
    ls_code rc = ls_store_begin(req->api->store, err);
    if (rc)
        return rc;
    rc = job_load(req->api->store, id, &job, err);
    if (!rc)
        rc = api_check_if_match(req, api_rows_etag(job), err);
    if (!rc && strcmp(str_at(job, NULL, "state"), "stopped") != 0)
        rc = ls_error_set(err, LS_ERR_CONFLICT, "the job is %s; stop it before deleting it",
                          str_at(job, NULL, "state"));
    const char *args[] = {id, NULL};
    if (!rc)
        rc = api_rows_exec(req->api->store, "DELETE FROM jobs WHERE id = ?", args, NULL, err);
    json_decref(job);
    if (rc) {
        ls_store_rollback(req->api->store);
        return rc;
    }
    rc = ls_store_commit(req->api->store, err);
    if (rc)
        return rc;
    ls_log_info("api", "job %s deleted", id);
    return api_reply_no_content(req, err);
}
