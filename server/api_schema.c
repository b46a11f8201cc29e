/*
 * Sample data and schema inference (see api_schema.h). The data source's
 * connection settings are read in a short transaction; the broker is talked
 * to outside it, so a slow broker never holds the store.
 */
#include "api_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_json.h"
#include "kafka_sample.h"
#include "schema_infer.h"
#include "secret.h"
#include "util/text.h"

#define SAMPLE_DEFAULT_LIMIT 10
#define INFER_DEFAULT_SAMPLES 100
#define INFER_MAX_MESSAGES 1000
#define PASSWORD_MAX 1024

/* What sampling needs from a stored data source. */
typedef struct source_conn {
    char servers[1024];
    char topic[256];
    char protocol[32];
    char mechanism[32];
    char username[260];
    ls_buf password; /* plaintext; wiped by source_conn_cleanup */
} source_conn;

static void source_conn_cleanup(source_conn *c)
{
    if (c->password.data)
        memset(c->password.data, 0, c->password.cap);
    ls_buf_cleanup(&c->password);
}

static void copy_member(const json_t *obj, const char *key, char *out, size_t size)
{
    const char *v = json_string_value(json_object_get(obj, key));
    snprintf(out, size, "%s", v ? v : "");
}

/* Reads the spec and opens the sealed password of data source id. */
static ls_code source_conn_read(ls_api *api, const char *id, source_conn *c, ls_error *err)
{
    ls_stmt *stmt = NULL;
    json_t *spec = NULL;
    bool row = false;
    ls_code rc = ls_stmt_prepare(api->store, "SELECT spec, password FROM data_sources WHERE id = ?",
                                 &stmt, err);
    if (rc)
        return rc;
    ls_stmt_bind_text(stmt, 1, id);
    rc = ls_stmt_step(stmt, &row, err);
    if (!rc && !row)
        rc = ls_error_set_field(err, LS_ERR_NOT_FOUND, "data_source_id", "no data source %s", id);
    if (!rc && !(spec = json_loads(ls_stmt_text(stmt, 0), 0, NULL)))
        rc = ls_error_set(err, LS_ERR_FORMAT, "data source %s has an unreadable spec", id);
    if (rc)
        goto out;
    copy_member(spec, "bootstrap_servers", c->servers, sizeof c->servers);
    copy_member(spec, "topic", c->topic, sizeof c->topic);
    const json_t *security = json_object_get(spec, "security");
    copy_member(security, "protocol", c->protocol, sizeof c->protocol);
    copy_member(security, "sasl_mechanism", c->mechanism, sizeof c->mechanism);
    copy_member(security, "username", c->username, sizeof c->username);
    if (!ls_stmt_is_null(stmt, 1)) {
        char aad[96];
        size_t len;
        const void *sealed = ls_stmt_blob(stmt, 1, &len);
        snprintf(aad, sizeof aad, "data_source:%s:password", id);
        rc = ls_secret_open(&api->key, aad, sealed, len, &c->password, err);
    }
out:
    json_decref(spec);
    ls_stmt_free(stmt);
    return rc;
}

static ls_code source_conn_load(ls_api *api, const char *id, source_conn *c, ls_error *err)
{
    memset(c, 0, sizeof *c);
    ls_buf_init(&c->password, PASSWORD_MAX + 1);
    if (!api_id_valid(id))
        return ls_error_set_field(err, LS_ERR_NOT_FOUND, "data_source_id", "no data source %s", id);
    ls_code rc = ls_store_begin(api->store, err);
    if (rc)
        return rc;
    rc = source_conn_read(api, id, c, err);
    ls_store_rollback(api->store); /* read only */
    return rc;
}

static ls_code source_sample(ls_api *api, const char *id, size_t limit, int timeout_ms,
                             ls_kafka_sample *out, char *topic, size_t topic_size, ls_error *err)
{
    source_conn c;
    ls_code rc = source_conn_load(api, id, &c, err);
    if (!rc) {
        ls_kafka_settings settings = {.bootstrap_servers = c.servers,
                                      .security_protocol = c.protocol,
                                      .sasl_mechanism = c.mechanism,
                                      .username = c.username,
                                      .password =
                                          c.password.data ? (const char *)c.password.data : NULL};
        snprintf(topic, topic_size, "%s", c.topic);
        rc = ls_kafka_sample_fetch(&settings, c.topic, limit, timeout_ms, out, err);
    }
    source_conn_cleanup(&c);
    return rc;
}

/* ---------------------------------------------------------------- sample */

static char *base64_encode(const uint8_t *data, size_t len)
{
    size_t n = ls_base64_encoded_len(len);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    ls_base64_encode(data, len, out);
    out[n] = '\0';
    return out;
}

/* Sets obj[name] to the bytes as text (UTF-8) or base64, and
 * obj[name_encoding]; null when data is NULL. */
static int set_bytes(json_t *obj, const char *name, const uint8_t *data, size_t len)
{
    char encoding_key[32];
    snprintf(encoding_key, sizeof encoding_key, "%s_encoding", name);
    if (!data)
        return json_object_set_new(obj, name, json_null()) ||
               json_object_set_new(obj, encoding_key, json_null());
    json_t *text = json_stringn((const char *)data, len); /* NULL unless valid UTF-8 */
    if (text)
        return json_object_set_new(obj, name, text) ||
               json_object_set_new(obj, encoding_key, json_string("utf8"));
    char *b64 = base64_encode(data, len);
    int rc = !b64 || json_object_set_new(obj, name, json_string(b64)) ||
             json_object_set_new(obj, encoding_key, json_string("base64"));
    free(b64);
    return rc;
}

static json_t *record_error_json(const ls_jsonscan_error *e)
{
    if (e->kind == LS_JSONSCAN_OK)
        return json_null();
    json_t *obj = json_pack("{s:s, s:I, s:s}", "kind", ls_jsonscan_error_kind_name(e->kind),
                            "offset", (json_int_t)e->offset, "message", e->message);
    if (obj && e->field[0])
        json_object_set_new(obj, "field", json_string(e->field));
    return obj;
}

static json_t *message_json(const ls_kafka_sample_message *m)
{
    json_t *obj =
        json_pack("{s:i, s:I, s:I, s:b, s:o}", "partition", (int)m->partition, "offset",
                  (json_int_t)m->offset, "timestamp_ms", (json_int_t)m->timestamp_ms, "json_valid",
                  m->json_valid, "json_error", record_error_json(&m->json_error));
    if (!obj || set_bytes(obj, "key", m->key, m->key_len) ||
        set_bytes(obj, "value", m->value, m->value_len) ||
        json_object_set_new(obj, "value_bytes", json_integer((json_int_t)m->value_len))) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* A positive integer query parameter within [min, max], def when absent. */
static ls_code query_int(const ls_api_request *req, const char *name, long min, long max, long def,
                         long *out, ls_error *err)
{
    const char *text = ls_http_request_query(req->http, name);
    *out = def;
    if (!text)
        return LS_OK;
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < min || v > max)
        return ls_error_set_field(err, LS_ERR_INVALID, name,
                                  "%s must be an integer from %ld to %ld", name, min, max);
    *out = v;
    return LS_OK;
}

ls_code api_source_sample(ls_api_request *req, ls_error *err)
{
    long limit, timeout_ms;
    char topic[256] = "";
    ls_kafka_sample sample = {0};
    json_t *items = NULL, *body = NULL;
    ls_code rc =
        query_int(req, "limit", 1, LS_KAFKA_SAMPLE_MAX_LIMIT, SAMPLE_DEFAULT_LIMIT, &limit, err);
    if (!rc)
        rc = query_int(req, "timeout_ms", 100, 60000, LS_KAFKA_SAMPLE_DEFAULT_TIMEOUT_MS,
                       &timeout_ms, err);
    if (!rc)
        rc = source_sample(req->api, api_param(req, "id"), (size_t)limit, (int)timeout_ms, &sample,
                           topic, sizeof topic, err);
    if (rc)
        goto out;
    items = json_array();
    for (size_t i = 0; items && i < sample.count; i++) {
        if (json_array_append_new(items, message_json(&sample.messages[i]))) {
            json_decref(items);
            items = NULL;
        }
    }
    body = items ? json_pack("{s:s, s:s, s:i, s:b, s:o}", "data_source_id", api_param(req, "id"),
                             "topic", topic, "partition_count", (int)sample.partition_count,
                             "incomplete", sample.incomplete, "items", items)
                 : NULL;
    items = NULL;
    rc = body ? api_reply_json(req, 200, body, err)
              : ls_error_set(err, LS_ERR_NOMEM, "out of memory building the sample");
out:
    ls_kafka_sample_cleanup(&sample);
    return rc;
}

/* ---------------------------------------------------------------- infer */

/* Adds the request's messages[]: strings are message text, other values are
 * used as their compact JSON text. */
static ls_code infer_add_messages(ls_schema_infer *infer, const json_t *messages, size_t limit,
                                  ls_error *err)
{
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && i < json_array_size(messages) && i < limit; i++) {
        const json_t *m = json_array_get(messages, i);
        if (json_is_string(m)) {
            rc = ls_schema_infer_add(infer, (const uint8_t *)json_string_value(m),
                                     json_string_length(m), err);
            continue;
        }
        char *text = json_dumps(m, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
        if (!text)
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory reading messages");
        rc = ls_schema_infer_add(infer, (const uint8_t *)text, strlen(text), err);
        free(text);
    }
    return rc;
}

/* Adds the latest messages of a data source; null values count as invalid. */
static ls_code infer_add_source(ls_api *api, ls_schema_infer *infer, const char *id, size_t limit,
                                ls_error *err)
{
    ls_kafka_sample sample = {0};
    char topic[256];
    ls_code rc = source_sample(api, id, limit, LS_KAFKA_SAMPLE_DEFAULT_TIMEOUT_MS, &sample, topic,
                               sizeof topic, err);
    for (size_t i = 0; !rc && i < sample.count; i++)
        rc = ls_schema_infer_add(
            infer, sample.messages[i].value ? sample.messages[i].value : (const uint8_t *)"",
            sample.messages[i].value_len, err);
    ls_kafka_sample_cleanup(&sample);
    return rc;
}

static json_t *kinds_json(unsigned kinds)
{
    json_t *list = json_array();
    for (int k = LS_JSON_NULL; list && k <= LS_JSON_ARRAY; k++)
        if (kinds & (1u << k))
            json_array_append_new(list, json_string(ls_json_kind_name((ls_json_kind)k)));
    return list;
}

static json_t *infer_json(const ls_infer_result *r, int64_t levels)
{
    json_t *fields = json_array(), *details = json_array(), *collisions = json_array();
    for (size_t i = 0; fields && details && i < r->count; i++) {
        const ls_infer_field *f = &r->fields[i];
        char type[32];
        json_array_append_new(fields,
                              json_pack("{s:s, s:s, s:s}", "source", f->source, "name", f->name,
                                        "type", ls_type_format(f->type, type, sizeof type)));
        json_array_append_new(details,
                              json_pack("{s:s, s:s, s:o, s:I, s:I, s:s?}", "source", f->source,
                                        "name", f->name, "kinds", kinds_json(f->kinds), "present",
                                        (json_int_t)f->present, "nulls", (json_int_t)f->nulls,
                                        "example", f->example));
    }
    for (size_t i = 0; collisions && i < r->collision_count; i++)
        json_array_append_new(
            collisions, json_pack("{s:s, s:s, s:s}", "source", r->collisions[i].source, "wanted",
                                  r->collisions[i].wanted, "assigned", r->collisions[i].assigned));
    json_t *first = record_error_json(&r->first_invalid);
    if (first && json_is_object(first))
        json_object_set_new(first, "index", json_integer((json_int_t)r->first_invalid_index));
    return json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "parse_levels", (json_int_t)levels,
                     "samples", (json_int_t)r->samples, "invalid_samples",
                     (json_int_t)r->invalid_samples, "first_invalid", first, "fields", fields,
                     "field_details", details, "collisions", collisions);
}

/* Reads and checks the request body. */
static ls_code infer_body(const json_t *body, const char **source_id, json_t **messages,
                          int64_t *levels, int64_t *sample_size, ls_error *err)
{
    static const char *const allowed[] = {"data_source_id", "messages", "parse_levels",
                                          "sample_size", NULL};
    ls_code rc = api_json_only(body, "", allowed, err);
    if (!rc)
        rc = api_json_string(body, "", "data_source_id", false, 64, source_id, err);
    if (!rc)
        rc = api_json_array(body, "", "messages", false, INFER_MAX_MESSAGES, messages, err);
    *levels = 1;
    *sample_size = INFER_DEFAULT_SAMPLES;
    if (!rc)
        rc = api_json_int(body, "", "parse_levels", false, 0, LS_JSONSCAN_MAX_LEVEL, levels, NULL,
                          err);
    if (!rc)
        rc = api_json_int(body, "", "sample_size", false, 1, INFER_MAX_MESSAGES, sample_size, NULL,
                          err);
    if (!rc && (*source_id != NULL) == (*messages != NULL))
        rc = ls_error_set_field(err, LS_ERR_INVALID, "data_source_id",
                                "give exactly one of data_source_id and messages");
    return rc;
}

ls_code api_schema_infer(ls_api_request *req, ls_error *err)
{
    json_t *body = NULL, *messages = NULL;
    const char *source_id = NULL;
    int64_t levels = 1, sample_size = INFER_DEFAULT_SAMPLES;
    ls_schema_infer *infer = NULL;
    ls_infer_result result = {0};
    ls_code rc = api_json_body(req, false, &body, err);
    if (!rc)
        rc = infer_body(body, &source_id, &messages, &levels, &sample_size, err);
    if (!rc)
        rc = ls_schema_infer_new((int)levels, 0, &infer, err);
    if (!rc && messages)
        rc = infer_add_messages(infer, messages, (size_t)sample_size, err);
    else if (!rc)
        rc = infer_add_source(req->api, infer, source_id, (size_t)sample_size, err);
    if (!rc)
        rc = ls_schema_infer_result(infer, &result, err);
    if (!rc) {
        json_t *answer = infer_json(&result, levels);
        rc = answer ? api_reply_json(req, 200, answer, err)
                    : ls_error_set(err, LS_ERR_NOMEM, "out of memory building the schema");
    }
    ls_infer_result_cleanup(&result);
    ls_schema_infer_free(infer);
    json_decref(body);
    return rc;
}
