/* Kafka data sources. The SASL password is write-only: sealed with the
 * server's key (secret.h) under "data_source:<id>:password" and only ever
 * reported as security.password_set. PATCH changes name and description
 * only, as in the seed's console. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api_handlers.h"
#include "api_json.h"
#include "api_rows.h"
#include "util/log.h"

#define SOURCE_NAME_MAX 128
#define DESCRIPTION_MAX 1024
#define SERVERS_MAX 1024
#define TOPIC_MAX 249
#define USERNAME_MAX 256
#define PASSWORD_MAX 1024

#define SOURCE_SELECT                                                                              \
    "SELECT seq, id, spec, etag, created_at, updated_at, password IS NOT NULL FROM data_sources "

static json_t *source_json(ls_stmt *stmt)
{
    json_t *doc = json_loads(ls_stmt_text(stmt, 2), 0, NULL);
    if (!doc)
        return NULL;
    json_object_set_new(doc, "id", json_string(ls_stmt_text(stmt, 1)));
    json_object_set_new(doc, "etag", json_string(ls_stmt_text(stmt, 3)));
    json_object_set_new(doc, "created_at", json_string(ls_stmt_text(stmt, 4)));
    json_object_set_new(doc, "updated_at", json_string(ls_stmt_text(stmt, 5)));
    json_t *security = json_object_get(doc, "security");
    if (security)
        json_object_set_new(security, "password_set", json_boolean(ls_stmt_int(stmt, 6)));
    return doc;
}

static ls_code source_load(ls_store *store, const char *id, json_t **out, ls_error *err)
{
    if (!api_id_valid(id))
        return ls_error_set(err, LS_ERR_NOT_FOUND, "no data source %s", id);
    return api_rows_load(store, SOURCE_SELECT "WHERE id = ?", id, source_json, "data source", out,
                         err);
}

/* host:port[,host:port...]: hosts are names or addresses, [v6] allowed. */
static ls_code servers_check(const char *servers, ls_error *err)
{
    const char *p = servers;
    while (1) {
        size_t len = strcspn(p, ",");
        const char *colon = NULL;
        for (size_t i = 0; i < len; i++) {
            if (p[i] == ':')
                colon = p + i;
        }
        size_t host_len = colon ? (size_t)(colon - p) : 0;
        size_t port_len = colon ? len - host_len - 1 : 0;
        long port = 0;
        bool ok = host_len > 0 && port_len > 0 && port_len <= 5;
        for (size_t i = 0; ok && i < port_len; i++) {
            ok = colon[1 + i] >= '0' && colon[1 + i] <= '9';
            port = port * 10 + (colon[1 + i] - '0');
        }
        for (size_t i = 0; ok && i < host_len; i++) {
            char c = p[i];
            ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-' || c == '_' || c == '[' || c == ']' || c == ':';
        }
        if (!ok || port < 1 || port > 65535)
            return ls_error_set_field(err, LS_ERR_INVALID, "bootstrap_servers",
                                      "bootstrap_servers must be host:port pairs separated by "
                                      "commas (port 1-65535)");
        if (p[len] == '\0')
            return LS_OK;
        p += len + 1;
    }
}

static ls_code topic_check(const char *topic, ls_error *err)
{
    bool ok = strcmp(topic, ".") != 0 && strcmp(topic, "..") != 0;
    for (const char *c = topic; ok && *c; c++)
        ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
             *c == '.' || *c == '_' || *c == '-';
    if (!ok)
        return ls_error_set_field(err, LS_ERR_INVALID, "topic",
                                  "topic must hold only letters, digits, '.', '_' and '-' (Kafka "
                                  "topic rules)");
    return LS_OK;
}

/* Validates "security" and writes its stored form (no password) into spec.
 * *password is the plaintext to seal, NULL when none. */
static ls_code security_check(const json_t *body, json_t *spec, const char **password,
                              ls_error *err)
{
    static const char *const allowed[] = {"protocol", "sasl_mechanism", "username", "password",
                                          NULL};
    static const char *const protocols[] = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL", NULL};
    static const char *const mechanisms[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", NULL};
    json_t *security = NULL;
    const char *protocol = NULL, *mechanism = NULL, *username = NULL;
    *password = NULL;
    ls_code rc = api_json_object(body, "", "security", false, &security, err);
    if (rc)
        return rc;
    json_t *empty = json_object();
    const json_t *s = security ? security : empty;
    rc = api_json_only(s, "security", allowed, err);
    if (!rc)
        rc = api_json_enum(s, "security", "protocol", protocols, "PLAINTEXT", &protocol, err);
    bool sasl = protocol && strncmp(protocol, "SASL_", 5) == 0;
    if (!rc)
        rc = api_json_enum(s, "security", "sasl_mechanism", mechanisms, sasl ? NULL : "",
                           &mechanism, err);
    if (!rc)
        rc = api_json_string(s, "security", "username", sasl, USERNAME_MAX, &username, err);
    if (!rc)
        rc = api_json_string(s, "security", "password", sasl, PASSWORD_MAX, password, err);
    if (!rc && !sasl && (mechanism[0] || username || *password))
        rc = ls_error_set_field(err, LS_ERR_INVALID,
                                mechanism[0] ? "security.sasl_mechanism"
                                : username   ? "security.username"
                                             : "security.password",
                                "SASL settings need security.protocol SASL_PLAINTEXT or SASL_SSL");
    if (!rc) {
        json_t *out = json_pack("{s:s}", "protocol", protocol);
        if (sasl) {
            json_object_set_new(out, "sasl_mechanism", json_string(mechanism));
            json_object_set_new(out, "username", json_string(username));
        }
        json_object_set_new(spec, "security", out);
    }
    json_decref(empty);
    return rc;
}

/* Validates a create body into the stored spec. */
static ls_code source_spec(const json_t *body, json_t *spec, const char **password, ls_error *err)
{
    static const char *const allowed[] = {
        "name",  "description",    "type",     "bootstrap_servers",
        "topic", "message_format", "security", NULL};
    static const char *const types[] = {"kafka", NULL};
    static const char *const formats[] = {"json", NULL};
    const char *name = NULL, *description = NULL, *type = NULL, *servers = NULL, *topic = NULL,
               *format = NULL;
    ls_code rc = api_json_only(body, "", allowed, err);
    if (!rc)
        rc = api_json_string(body, "", "name", false, SOURCE_NAME_MAX, &name, err);
    if (!rc)
        rc = api_json_text(body, "", "description", DESCRIPTION_MAX, &description, err);
    if (!rc)
        rc = api_json_enum(body, "", "type", types, "kafka", &type, err);
    if (!rc)
        rc = api_json_string(body, "", "bootstrap_servers", true, SERVERS_MAX, &servers, err);
    if (!rc)
        rc = servers_check(servers, err);
    if (!rc)
        rc = api_json_string(body, "", "topic", true, TOPIC_MAX, &topic, err);
    if (!rc)
        rc = topic_check(topic, err);
    if (!rc)
        rc = api_json_enum(body, "", "message_format", formats, "json", &format, err);
    if (rc == LS_ERR_INVALID && strcmp(err->field, "message_format") == 0) {
        ls_error_clear(err);
        rc = ls_error_set_field(err, LS_ERR_INVALID, "message_format",
                                "only JSON messages are supported (message_format \"json\")");
    }
    if (!rc)
        rc = security_check(body, spec, password, err);
    if (rc)
        return rc;
    if (name)
        json_object_set_new(spec, "name", json_string(name));
    json_object_set_new(spec, "description", json_string(description ? description : ""));
    json_object_set_new(spec, "type", json_string(type));
    json_object_set_new(spec, "bootstrap_servers", json_string(servers));
    json_object_set_new(spec, "topic", json_string(topic));
    json_object_set_new(spec, "message_format", json_string(format));
    return LS_OK;
}

/* Writes "<prefix>_YYYYMMDD_HHMMSS" (UTC) with "_N" appended when attempt > 1:
 * the seed's auto-generated names. */
void api_auto_name(const char *prefix, int attempt, char *out, size_t size)
{
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32];
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d_%H%M%S", &tm);
    if (attempt > 1)
        snprintf(out, size, "%s_%s_%d", prefix, stamp, attempt);
    else
        snprintf(out, size, "%s_%s", prefix, stamp);
}

static ls_code source_insert(ls_api *api, json_t *spec, const char *password, char id[64],
                             ls_error *err)
{
    char etag[33], now[32], aad[96];
    ls_buf sealed;
    ls_buf_init(&sealed, PASSWORD_MAX + LS_SECRET_SEAL_OVERHEAD);
    char *text = NULL;
    ls_stmt *stmt = NULL;
    bool row = false;
    api_now_rfc3339(now);
    ls_code rc = api_new_id("ds_", id, 64, err);
    if (!rc)
        rc = api_new_etag(etag, err);
    snprintf(aad, sizeof aad, "data_source:%s:password", id);
    if (!rc && password)
        rc = ls_secret_seal(&api->key, aad, password, strlen(password), &sealed, err);
    if (rc)
        goto out;
    text = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) {
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = ls_stmt_prepare(api->store,
                         "INSERT INTO data_sources(id, name, spec, password, etag, created_at, "
                         "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         &stmt, err);
    if (rc)
        goto out;
    ls_stmt_bind_text(stmt, 1, id);
    ls_stmt_bind_text(stmt, 2, json_string_value(json_object_get(spec, "name")));
    ls_stmt_bind_text(stmt, 3, text);
    ls_stmt_bind_blob(stmt, 4, password ? sealed.data : NULL, sealed.len);
    ls_stmt_bind_text(stmt, 5, etag);
    ls_stmt_bind_text(stmt, 6, now);
    ls_stmt_bind_text(stmt, 7, now);
    rc = ls_stmt_step(stmt, &row, err);
out:
    ls_stmt_free(stmt);
    free(text);
    ls_buf_cleanup(&sealed);
    return rc;
}

/* Inserts with the given name, or with an auto-generated one that is free. */
static ls_code source_insert_named(ls_api *api, json_t *spec, const char *password, char id[64],
                                   ls_error *err)
{
    if (json_object_get(spec, "name")) {
        ls_code rc = source_insert(api, spec, password, id, err);
        if (rc == LS_ERR_CONFLICT) {
            ls_error_clear(err);
            rc = ls_error_set_field(err, LS_ERR_CONFLICT, "name",
                                    "a data source named '%s' already exists",
                                    json_string_value(json_object_get(spec, "name")));
        }
        return rc;
    }
    for (int attempt = 1; attempt <= 100; attempt++) {
        char name[64];
        int64_t taken = 0;
        api_auto_name("kafka", attempt, name, sizeof name);
        ls_code rc = api_rows_int(api->store, "SELECT count(*) FROM data_sources WHERE name = ?",
                                  name, NULL, &taken, err);
        if (rc)
            return rc;
        if (taken == 0) {
            json_object_set_new(spec, "name", json_string(name));
            return source_insert(api, spec, password, id, err);
        }
    }
    return ls_error_set_field(err, LS_ERR_CONFLICT, "name",
                              "could not generate a free name; give one");
}

ls_code api_sources_list(ls_api_request *req, ls_error *err)
{
    return api_rows_list(req, SOURCE_SELECT "WHERE seq > ? ORDER BY seq LIMIT ?", source_json, err);
}

ls_code api_sources_create(ls_api_request *req, ls_error *err)
{
    json_t *body = NULL, *spec = json_object(), *source = NULL;
    const char *password = NULL;
    char id[64], location[128];
    ls_code rc = spec ? api_json_body(req, false, &body, err)
                      : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = source_spec(body, spec, &password, err);
    if (!rc)
        rc = ls_store_begin(req->api->store, err);
    if (rc)
        goto out;
    rc = source_insert_named(req->api, spec, password, id, err);
    if (!rc)
        rc = source_load(req->api->store, id, &source, err);
    if (rc) {
        ls_store_rollback(req->api->store);
        goto out;
    }
    rc = ls_store_commit(req->api->store, err);
    if (rc)
        goto out;
    ls_log_info("api", "data source %s created", id);
    snprintf(location, sizeof location, "/api/v1/data-sources/%s", id);
    rc = api_reply_created(req, location, source, err);
    source = NULL;
out:
    json_decref(source);
    json_decref(spec);
    json_decref(body);
    return rc;
}

ls_code api_source_get(ls_api_request *req, ls_error *err)
{
    return api_reply_loaded(req, source_load, "id", err);
}

/* Applies a PATCH body (name, description) to the stored spec text. */
static ls_code source_patch_apply(const json_t *body, json_t *spec, ls_error *err)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)body, key, value)
    {
        if (strcmp(key, "name") != 0 && strcmp(key, "description") != 0)
            return ls_error_set_field(err, LS_ERR_INVALID, key,
                                      "%s cannot be changed; only name and description can be "
                                      "edited (create a new data source instead)",
                                      key);
    }
    const char *name = NULL, *description = NULL;
    ls_code rc = api_json_string(body, "", "name", false, SOURCE_NAME_MAX, &name, err);
    if (!rc && json_is_null(json_object_get(body, "name")))
        rc = ls_error_set_field(err, LS_ERR_INVALID, "name", "name cannot be removed");
    if (!rc)
        rc = api_json_text(body, "", "description", DESCRIPTION_MAX, &description, err);
    if (rc)
        return rc;
    if (name)
        json_object_set_new(spec, "name", json_string(name));
    if (description || json_is_null(json_object_get(body, "description")))
        json_object_set_new(spec, "description", json_string(description ? description : ""));
    return LS_OK;
}

static ls_code source_update(ls_store *store, const char *id, json_t *spec, ls_error *err)
{
    char etag[33], now[32];
    api_now_rfc3339(now);
    ls_code rc = api_new_etag(etag, err);
    char *text = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
    if (!rc && !text)
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    const char *name = json_string_value(json_object_get(spec, "name"));
    const char *args[] = {name, text, etag, now, id, NULL};
    if (!rc)
        rc = api_rows_exec(store,
                           "UPDATE data_sources SET name = ?, spec = ?, etag = ?, updated_at = ? "
                           "WHERE id = ?",
                           args, NULL, err);
    if (rc == LS_ERR_CONFLICT) {
        ls_error_clear(err);
        rc = ls_error_set_field(err, LS_ERR_CONFLICT, "name",
                                "a data source named '%s' already exists", name);
    }
    free(text);
    return rc;
}

/* The stored spec: the resource without the fields the server adds. */
static void strip_server_fields(json_t *doc)
{
    static const char *const server_fields[] = {"id", "etag", "created_at", "updated_at", NULL};
    for (const char *const *f = server_fields; *f; f++)
        json_object_del(doc, *f);
    json_object_del(json_object_get(doc, "security"), "password_set");
}

ls_code api_source_patch(ls_api_request *req, ls_error *err)
{
    const char *id = api_param(req, "id");
    json_t *body = NULL, *source = NULL;
    ls_code rc = api_json_body(req, false, &body, err);
    if (!rc)
        rc = ls_store_begin(req->api->store, err);
    if (rc)
        goto out;
    rc = source_load(req->api->store, id, &source, err);
    if (!rc)
        rc = api_check_if_match(req, api_rows_etag(source), err);
    if (!rc) {
        strip_server_fields(source);
        rc = source_patch_apply(body, source, err);
    }
    if (!rc)
        rc = source_update(req->api->store, id, source, err);
    json_decref(source);
    source = NULL;
    if (!rc)
        rc = source_load(req->api->store, id, &source, err);
    rc = api_finish_write(req, rc, 200, &source, err);
out:
    json_decref(source);
    json_decref(body);
    return rc;
}

ls_code api_source_delete(ls_api_request *req, ls_error *err)
{
    const char *id = api_param(req, "id");
    json_t *source = NULL;
    char job[160];
    ls_code rc = ls_store_begin(req->api->store, err);
    if (rc)
        return rc;
    rc = source_load(req->api->store, id, &source, err);
    if (!rc)
        rc = api_check_if_match(req, api_rows_etag(source), err);
    if (!rc)
        rc = api_rows_text(req->api->store,
                           "SELECT name FROM jobs WHERE data_source_id = ? ORDER BY seq LIMIT 1",
                           id, NULL, job, sizeof job, err);
    if (!rc && job[0])
        rc = ls_error_set(err, LS_ERR_CONFLICT,
                          "job '%s' uses this data source; delete the job first", job);
    const char *args[] = {id, NULL};
    if (!rc)
        rc = api_rows_exec(req->api->store, "DELETE FROM data_sources WHERE id = ?", args, NULL,
                           err);
    json_decref(source);
    if (rc) {
        ls_store_rollback(req->api->store);
        return rc;
    }
    rc = ls_store_commit(req->api->store, err);
    return rc ? rc : api_reply_no_content(req, err);
}
