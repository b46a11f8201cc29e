/* Resource groups: ACU pools jobs draw from. used_acus is the sum of the ACUs
 * of the jobs defined in the group (allocated when a job is defined, as the
 * seed deducts them); available_acus = max_acus - used_acus. */
#include <stdio.h>
#include <string.h>

#include "api_handlers.h"
#include "api_json.h"
#include "api_rows.h"
#include "util/log.h"

#define GROUP_NAME_MAX 64
#define GROUP_ACUS_MAX 100000
#define DEFAULT_GROUP "default"

#define GROUP_SELECT                                                                               \
    "SELECT g.seq, g.id, g.name, g.max_acus, g.etag, g.created_at, g.updated_at,"                  \
    " (SELECT COALESCE(SUM(j.acus), 0) FROM jobs j WHERE j.resource_group_id = g.id)"              \
    " FROM resource_groups g "

static json_t *group_json(ls_stmt *stmt)
{
    int64_t max = ls_stmt_int(stmt, 3), used = ls_stmt_int(stmt, 7);
    return json_pack("{s:s,s:s,s:I,s:I,s:I,s:s,s:s,s:s}", "id", ls_stmt_text(stmt, 1), "name",
                     ls_stmt_text(stmt, 2), "max_acus", (json_int_t)max, "used_acus",
                     (json_int_t)used, "available_acus", (json_int_t)(max > used ? max - used : 0),
                     "etag", ls_stmt_text(stmt, 4), "created_at", ls_stmt_text(stmt, 5),
                     "updated_at", ls_stmt_text(stmt, 6));
}

static ls_code group_load(ls_store *store, const char *id, json_t **out, ls_error *err)
{
    if (!api_id_valid(id))
        return ls_error_set(err, LS_ERR_NOT_FOUND, "no resource group %s", id);
    return api_rows_load(store, GROUP_SELECT "WHERE g.id = ?", id, group_json, "resource group",
                         out, err);
}

static ls_code group_insert(ls_store *store, const char *name, int64_t max_acus, char id[64],
                            ls_error *err)
{
    char etag[33], now[32], acus[24];
    api_now_rfc3339(now);
    snprintf(acus, sizeof acus, "%lld", (long long)max_acus);
    ls_code rc = api_new_id("rg_", id, 64, err);
    if (!rc)
        rc = api_new_etag(etag, err);
    if (rc)
        return rc;
    const char *args[] = {id, name, acus, etag, now, now, NULL};
    rc = api_rows_exec(store,
                       "INSERT INTO resource_groups(id, name, max_acus, etag, created_at, "
                       "updated_at) VALUES (?, ?, CAST(? AS INTEGER), ?, ?, ?)",
                       args, NULL, err);
    if (rc == LS_ERR_CONFLICT) {
        ls_error_clear(err);
        return ls_error_set_field(err, LS_ERR_CONFLICT, "name",
                                  "a resource group named '%s' already exists", name);
    }
    return rc;
}

ls_code api_groups_bootstrap(ls_api *api, int64_t max_acus, ls_error *err)
{
    char id[64];
    int64_t count = 0;
    ls_code rc = ls_store_begin(api->store, err);
    if (rc)
        return rc;
    rc = api_rows_int(api->store, "SELECT count(*) FROM resource_groups WHERE name = ?",
                      DEFAULT_GROUP, NULL, &count, err);
    if (!rc && count == 0) {
        rc = group_insert(api->store, DEFAULT_GROUP, max_acus, id, err);
        if (!rc)
            ls_log_info("api", "created resource group 'default' with %lld ACUs",
                        (long long)max_acus);
    }
    if (rc) {
        ls_store_rollback(api->store);
        return rc;
    }
    return ls_store_commit(api->store, err);
}

static ls_code group_name_check(const char *name, ls_error *err)
{
    if (!api_identifier_valid(name, GROUP_NAME_MAX))
        return ls_error_set_field(err, LS_ERR_INVALID, "name",
                                  "name must start with a letter or '_' and hold only letters, "
                                  "digits and '_' (at most %d)",
                                  GROUP_NAME_MAX);
    return LS_OK;
}

ls_code api_groups_list(ls_api_request *req, ls_error *err)
{
    return api_rows_list(req, GROUP_SELECT "WHERE g.seq > ? ORDER BY g.seq LIMIT ?", group_json,
                         err);
}

ls_code api_groups_create(ls_api_request *req, ls_error *err)
{
    static const char *const allowed[] = {"name", "max_acus", NULL};
    json_t *body = NULL, *group = NULL;
    const char *name = NULL;
    int64_t max_acus = 0;
    char id[64], location[128];
    ls_code rc = api_json_body(req, false, &body, err);
    if (!rc)
        rc = api_json_only(body, "", allowed, err);
    if (!rc)
        rc = api_json_string(body, "", "name", true, GROUP_NAME_MAX, &name, err);
    if (!rc)
        rc = group_name_check(name, err);
    if (!rc)
        rc = api_json_int(body, "", "max_acus", true, 2, GROUP_ACUS_MAX, &max_acus, NULL, err);
    if (!rc)
        rc = ls_store_begin(req->api->store, err);
    if (rc)
        goto out;
    rc = group_insert(req->api->store, name, max_acus, id, err);
    if (!rc)
        rc = group_load(req->api->store, id, &group, err);
    if (rc) {
        ls_store_rollback(req->api->store);
        goto out;
    }
    rc = ls_store_commit(req->api->store, err);
    if (rc)
        goto out;
    snprintf(location, sizeof location, "/api/v1/resource-groups/%s", id);
    rc = api_reply_created(req, location, group, err);
    group = NULL;
out:
    json_decref(group);
    json_decref(body);
    return rc;
}

ls_code api_group_get(ls_api_request *req, ls_error *err)
{
    return api_reply_loaded(req, group_load, "id", err);
}

/* Checks a PATCH against the group as it is: the default group keeps its
 * name, and max_acus cannot drop below what jobs already hold. */
static ls_code group_patch_check(const json_t *group, const char *name, bool has_max,
                                 int64_t max_acus, ls_error *err)
{
    const char *current = json_string_value(json_object_get(group, "name"));
    if (name && strcmp(current, DEFAULT_GROUP) == 0 && strcmp(name, DEFAULT_GROUP) != 0)
        return ls_error_set_field(err, LS_ERR_CONFLICT, "name",
                                  "the default resource group cannot be renamed");
    int64_t used = json_integer_value(json_object_get(group, "used_acus"));
    if (has_max && max_acus < used)
        return ls_error_set_field(err, LS_ERR_CONFLICT, "max_acus",
                                  "max_acus %lld is below the %lld ACUs the group's jobs use",
                                  (long long)max_acus, (long long)used);
    return LS_OK;
}

ls_code api_group_patch(ls_api_request *req, ls_error *err)
{
    static const char *const allowed[] = {"name", "max_acus", NULL};
    json_t *body = NULL, *group = NULL;
    const char *name = NULL, *id = api_param(req, "id");
    int64_t max_acus = 0;
    bool has_max = false;
    char etag[33], now[32], acus[24];
    ls_code rc = api_json_body(req, false, &body, err);
    if (!rc)
        rc = api_json_only(body, "", allowed, err);
    if (!rc)
        rc = api_json_string(body, "", "name", false, GROUP_NAME_MAX, &name, err);
    if (!rc && name)
        rc = group_name_check(name, err);
    if (!rc)
        rc = api_json_int(body, "", "max_acus", false, 2, GROUP_ACUS_MAX, &max_acus, &has_max, err);
    if (!rc)
        rc = api_new_etag(etag, err);
    if (!rc)
        rc = ls_store_begin(req->api->store, err);
    if (rc)
        goto out;
    rc = group_load(req->api->store, id, &group, err);
    if (!rc)
        rc = api_check_if_match(req, api_rows_etag(group), err);
    if (!rc)
        rc = group_patch_check(group, name, has_max, max_acus, err);
    if (rc)
        goto fail;
    api_now_rfc3339(now);
    snprintf(acus, sizeof acus, "%lld",
             has_max ? (long long)max_acus
                     : (long long)json_integer_value(json_object_get(group, "max_acus")));
    const char *args[] = {
        name ? name : json_string_value(json_object_get(group, "name")), acus, etag, now, id, NULL};
    rc = api_rows_exec(req->api->store,
                       "UPDATE resource_groups SET name = ?, max_acus = CAST(? AS INTEGER), "
                       "etag = ?, updated_at = ? WHERE id = ?",
                       args, NULL, err);
    if (rc == LS_ERR_CONFLICT) {
        ls_error_clear(err);
        rc = ls_error_set_field(err, LS_ERR_CONFLICT, "name",
                                "a resource group named '%s' already exists", name);
    }
    json_decref(group);
    group = NULL;
    if (!rc)
        rc = group_load(req->api->store, id, &group, err);
fail: /* api_finish_write rolls back when rc holds an error */
    rc = api_finish_write(req, rc, 200, &group, err);
out:
    json_decref(group);
    json_decref(body);
    return rc;
}

ls_code api_group_delete(ls_api_request *req, ls_error *err)
{
    const char *id = api_param(req, "id");
    json_t *group = NULL;
    int64_t jobs = 0;
    ls_code rc = ls_store_begin(req->api->store, err);
    if (rc)
        return rc;
    rc = group_load(req->api->store, id, &group, err);
    if (!rc)
        rc = api_check_if_match(req, api_rows_etag(group), err);
    if (rc)
        goto out;
    if (strcmp(json_string_value(json_object_get(group, "name")), DEFAULT_GROUP) == 0) {
        rc = ls_error_set(err, LS_ERR_CONFLICT, "the default resource group cannot be deleted");
        goto out;
    }
    rc = api_rows_int(req->api->store, "SELECT count(*) FROM jobs WHERE resource_group_id = ?", id,
                      NULL, &jobs, err);
    if (!rc && jobs > 0)
        rc = ls_error_set(err, LS_ERR_CONFLICT,
                          "%lld job(s) use this resource group; move or delete them first",
                          (long long)jobs);
    if (rc)
        goto out;
    const char *args[] = {id, NULL};
    rc =
        api_rows_exec(req->api->store, "DELETE FROM resource_groups WHERE id = ?", args, NULL, err);
out:
    json_decref(group);
    if (rc) {
        ls_store_rollback(req->api->store);
        return rc;
    }
    rc = ls_store_commit(req->api->store, err);
    return rc ? rc : api_reply_no_content(req, err);
}
