/* Bearer tokens: authentication, the /api/v1/tokens routes, the first admin
 * token. Only SHA-256 hashes are stored; a token's text is shown once, in the
 * answer that creates it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_handlers.h"
#include "api_rows.h"
#include "api_json.h"
#include "util/log.h"

#define TOKEN_PREFIX "lst_"
#define TOKEN_NAME_MAX 128
#define ENV_TOKEN_MIN 16

static const char token_columns[] = "seq, id, name, role, etag, created_at";

static json_t *token_json(ls_stmt *stmt)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", ls_stmt_text(stmt, 1), "name",
                     ls_stmt_text(stmt, 2), "role", ls_stmt_text(stmt, 3), "etag",
                     ls_stmt_text(stmt, 4), "created_at", ls_stmt_text(stmt, 5));
}

ls_code api_auth_lookup(ls_api *api, const char *token, ls_api_role *role, char *id, size_t id_size,
                        ls_error *err)
{
    char hash[LS_SECRET_HASH_HEX];
    ls_secret_hash(token, hash);
    ls_stmt *stmt = NULL;
    bool row = false;
    ls_code rc = ls_store_begin_read(api->store, err);
    if (rc)
        return rc;
    rc = ls_stmt_prepare(api->store, "SELECT id, role FROM tokens WHERE hash = ?", &stmt, err);
    if (rc)
        goto out;
    ls_stmt_bind_text(stmt, 1, hash);
    rc = ls_stmt_step(stmt, &row, err);
    if (rc)
        goto out;
    if (!row) {
        rc = ls_error_set(err, LS_ERR_UNAUTHENTICATED, "the bearer token is unknown or revoked");
        goto out;
    }
    snprintf(id, id_size, "%s", ls_stmt_text(stmt, 0));
    *role = strcmp(ls_stmt_text(stmt, 1), "admin") == 0 ? LS_API_ROLE_ADMIN : LS_API_ROLE_STANDARD;
out:
    ls_stmt_free(stmt);
    ls_store_rollback(api->store);
    return rc;
}

/* Inserts a token row for text (hashed) and returns its id. */
static ls_code token_insert(ls_store *store, const char *name, const char *role, const char *text,
                            char id[64], ls_error *err)
{
    char hash[LS_SECRET_HASH_HEX], etag[33], now[32];
    ls_secret_hash(text, hash);
    api_now_rfc3339(now);
    ls_code rc = api_new_id("tok_", id, 64, err);
    if (!rc)
        rc = api_new_etag(etag, err);
    if (rc)
        return rc;
    ls_stmt *stmt = NULL;
    bool row = false;
    rc = ls_stmt_prepare(store,
                         "INSERT INTO tokens(id, name, role, hash, etag, created_at) "
                         "VALUES (?, ?, ?, ?, ?, ?)",
                         &stmt, err);
    if (rc)
        return rc;
    ls_stmt_bind_text(stmt, 1, id);
    ls_stmt_bind_text(stmt, 2, name);
    ls_stmt_bind_text(stmt, 3, role);
    ls_stmt_bind_text(stmt, 4, hash);
    ls_stmt_bind_text(stmt, 5, etag);
    ls_stmt_bind_text(stmt, 6, now);
    rc = ls_stmt_step(stmt, &row, err);
    ls_stmt_free(stmt);
    return rc;
}

static ls_code count_rows(ls_store *store, const char *sql, const char *arg, int64_t *out,
                          ls_error *err)
{
    ls_stmt *stmt = NULL;
    bool row = false;
    ls_code rc = ls_stmt_prepare(store, sql, &stmt, err);
    if (rc)
        return rc;
    if (arg)
        ls_stmt_bind_text(stmt, 1, arg);
    rc = ls_stmt_step(stmt, &row, err);
    *out = row ? ls_stmt_int(stmt, 0) : 0;
    ls_stmt_free(stmt);
    return rc;
}

static ls_code write_token_file(const char *path, const char *text, ls_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return ls_error_set(err, LS_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    ls_code rc = LS_OK;
    size_t len = strlen(text);
    if (fchmod(fd, 0600) != 0 || write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
        fsync(fd) != 0)
        rc = ls_error_set(err, LS_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    close(fd);
    return rc;
}

ls_code api_tokens_bootstrap(ls_api *api, const char *env_token, const char *token_path,
                             char *created, size_t created_size, ls_error *err)
{
    created[0] = '\0';
    char id[64], text[LS_SECRET_TOKEN_MAX];
    int64_t count = 0;
    ls_code rc = ls_store_begin(api->store, err);
    if (rc)
        return rc;
    if (env_token) {
        char hash[LS_SECRET_HASH_HEX];
        ls_secret_hash(env_token, hash);
        if (strlen(env_token) < ENV_TOKEN_MIN) {
            rc = ls_error_set(err, LS_ERR_INVALID,
                              "LAKESYNC_ADMIN_TOKEN must be at least %d characters", ENV_TOKEN_MIN);
            goto out;
        }
        rc =
            count_rows(api->store, "SELECT count(*) FROM tokens WHERE hash = ?", hash, &count, err);
        if (!rc && count == 0)
            rc = token_insert(api->store, "admin (LAKESYNC_ADMIN_TOKEN)", "admin", env_token, id,
                              err);
        goto out;
    }
    rc = count_rows(api->store, "SELECT count(*) FROM tokens WHERE role = 'admin'", NULL, &count,
                    err);
    if (rc || count > 0)
        goto out;
    rc = ls_secret_token_new(TOKEN_PREFIX, text, sizeof text, err);
    if (!rc)
        rc = token_insert(api->store, "admin (first start)", "admin", text, id, err);
    if (!rc)
        rc = write_token_file(token_path, text, err);
    if (!rc)
        snprintf(created, created_size, "%s", text);
out:
    if (rc) {
        ls_store_rollback(api->store);
        return rc;
    }
    return ls_store_commit(api->store, err);
}

ls_code api_tokens_list(ls_api_request *req, ls_error *err)
{
    int64_t page_size = 0, after = 0, last = 0;
    ls_code rc = api_page_params(req, &page_size, &after, err);
    if (rc)
        return rc;
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT %s FROM tokens WHERE seq > ? ORDER BY seq LIMIT ?",
             token_columns);
    json_t *items = json_array();
    ls_stmt *stmt = NULL;
    bool row = false, more = false;
    rc = ls_store_begin_read(req->api->store, err);
    if (rc)
        goto out;
    rc = ls_stmt_prepare(req->api->store, sql, &stmt, err);
    if (rc)
        goto out;
    ls_stmt_bind_int(stmt, 1, after);
    ls_stmt_bind_int(stmt, 2, page_size + 1);
    while ((rc = ls_stmt_step(stmt, &row, err)) == LS_OK && row) {
        if ((int64_t)json_array_size(items) == page_size) {
            more = true;
            break;
        }
        last = ls_stmt_int(stmt, 0);
        json_array_append_new(items, token_json(stmt));
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

/* Reads one token as JSON (without any secret); LS_ERR_NOT_FOUND when absent.
 * Must run inside a transaction. */
static ls_code token_load(ls_store *store, const char *id, json_t **out, ls_error *err)
{
    *out = NULL;
    if (!api_id_valid(id))
        return ls_error_set(err, LS_ERR_NOT_FOUND, "no token with this id");
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT %s FROM tokens WHERE id = ?", token_columns);
    ls_stmt *stmt = NULL;
    bool row = false;
    ls_code rc = ls_stmt_prepare(store, sql, &stmt, err);
    if (rc)
        return rc;
    ls_stmt_bind_text(stmt, 1, id);
    rc = ls_stmt_step(stmt, &row, err);
    if (!rc && !row)
        rc = ls_error_set(err, LS_ERR_NOT_FOUND, "no token with id %s", id);
    if (!rc) {
        *out = token_json(stmt);
        if (!*out)
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    }
    ls_stmt_free(stmt);
    return rc;
}

ls_code api_tokens_create(ls_api_request *req, ls_error *err)
{
    static const char *const allowed[] = {"name", "role", NULL};
    static const char *const roles[] = {"admin", "standard", NULL};
    json_t *body = NULL, *token = NULL;
    const char *name = NULL, *role = NULL;
    char id[64], text[LS_SECRET_TOKEN_MAX], location[128];
    ls_code rc = api_json_body(req, false, &body, err);
    if (!rc)
        rc = api_json_only(body, "", allowed, err);
    if (!rc)
        rc = api_json_string(body, "", "name", true, TOKEN_NAME_MAX, &name, err);
    if (!rc)
        rc = api_json_enum(body, "", "role", roles, "standard", &role, err);
    if (!rc)
        rc = ls_secret_token_new(TOKEN_PREFIX, text, sizeof text, err);
    if (!rc)
        rc = ls_store_begin(req->api->store, err);
    if (rc)
        goto out;
    rc = token_insert(req->api->store, name, role, text, id, err);
    if (!rc)
        rc = token_load(req->api->store, id, &token, err);
    if (rc) {
        ls_store_rollback(req->api->store);
        goto out;
    }
    rc = ls_store_commit(req->api->store, err);
    if (rc)
        goto out;
    ls_log_info("api", "token %s (%s) created by token %s", id, role, req->token_id);
    /* The only time the token's text leaves the server. */
    json_object_set_new(token, "token", json_string(text));
    snprintf(location, sizeof location, "/api/v1/tokens/%s", id);
    rc = api_reply_created(req, location, token, err);
    token = NULL;
out:
    json_decref(token);
    json_decref(body);
    return rc;
}

ls_code api_token_get(ls_api_request *req, ls_error *err)
{
    return api_reply_loaded(req, token_load, "id", err);
}

ls_code api_token_delete(ls_api_request *req, ls_error *err)
{
    const char *id = api_param(req, "id");
    json_t *token = NULL;
    ls_stmt *stmt = NULL;
    bool row = false;
    int64_t admins = 0;
    ls_code rc = ls_store_begin(req->api->store, err);
    if (rc)
        return rc;
    rc = token_load(req->api->store, id, &token, err);
    if (!rc)
        rc = api_check_if_match(req, json_string_value(json_object_get(token, "etag")), err);
    if (!rc)
        rc = count_rows(req->api->store, "SELECT count(*) FROM tokens WHERE role = 'admin'", NULL,
                        &admins, err);
    if (rc)
        goto out;
    /* Revoking the last admin token would lock everyone out of tokens and
     * resource groups for good. */
    if (admins == 1 && strcmp(json_string_value(json_object_get(token, "role")), "admin") == 0) {
        rc = ls_error_set(err, LS_ERR_CONFLICT,
                          "this is the last admin token; create another admin token first");
        goto out;
    }
    rc = ls_stmt_prepare(req->api->store, "DELETE FROM tokens WHERE id = ?", &stmt, err);
    if (rc)
        goto out;
    ls_stmt_bind_text(stmt, 1, id);
    rc = ls_stmt_step(stmt, &row, err);
out:
    ls_stmt_free(stmt);
    json_decref(token);
    if (rc) {
        ls_store_rollback(req->api->store);
        return rc;
    }
    rc = ls_store_commit(req->api->store, err);
    if (rc)
        return rc;
    ls_log_info("api", "token %s revoked by token %s", id, req->token_id);
    return api_reply_no_content(req, err);
}
