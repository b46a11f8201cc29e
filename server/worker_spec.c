/*
 * Parsing the job spec the server hands a worker (GET .../spec). The spec
 * comes from our own server, but it is still input from outside the
 * process: every member is checked, and a bad one names itself in the error.
 */
#include <stdlib.h>
#include <string.h>

#include "worker.h"

static const char *opt_string(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

static ls_code need_string(const json_t *obj, const char *key, const char *field, const char **out,
                           ls_error *err)
{
    *out = opt_string(obj, key);
    if (!*out)
        return ls_error_set_field(err, LS_ERR_INVALID, field, "the spec needs a string here");
    return LS_OK;
}

static ls_code need_int(const json_t *obj, const char *key, const char *field, int64_t min,
                        int64_t *out, ls_error *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < min)
        return ls_error_set_field(err, LS_ERR_INVALID, field,
                                  "the spec needs an integer of at least %lld here",
                                  (long long)min);
    *out = json_integer_value(v);
    return LS_OK;
}

static ls_code parse_kafka(const json_t *doc, ls_worker_spec *s, ls_error *err)
{
    const json_t *kafka = json_object_get(doc, "kafka");
    const json_t *security = json_object_get(kafka, "security");
    ls_code rc = need_string(kafka, "bootstrap_servers", "kafka.bootstrap_servers",
                             &s->bootstrap_servers, err);
    if (!rc)
        rc = need_string(kafka, "topic", "kafka.topic", &s->topic, err);
    if (!rc)
        rc = need_string(kafka, "group_id", "kafka.group_id", &s->group_id, err);
    if (rc)
        return rc;
    s->security_protocol = opt_string(security, "protocol");
    s->sasl_mechanism = opt_string(security, "sasl_mechanism");
    s->sasl_username = opt_string(security, "username");
    s->sasl_password = opt_string(security, "password");

    const json_t *start = json_object_get(doc, "start");
    const char *mode = opt_string(start, "mode");
    if (!mode || strcmp(mode, "earliest") == 0) {
        s->start_mode = LS_KAFKA_START_EARLIEST;
    } else if (strcmp(mode, "latest") == 0) {
        s->start_mode = LS_KAFKA_START_LATEST;
    } else if (strcmp(mode, "timestamp") == 0) {
        s->start_mode = LS_KAFKA_START_TIMESTAMP;
        rc = need_int(start, "timestamp_ms", "start.timestamp_ms", 0, &s->start_timestamp_ms, err);
    } else {
        rc = ls_error_set_field(err, LS_ERR_INVALID, "start.mode", "unknown start mode '%s'", mode);
    }
    return rc;
}

static ls_code parse_fields(const json_t *doc, ls_worker_spec *s, ls_error *err)
{
    const json_t *fields = json_object_get(doc, "fields");
    size_t n = json_array_size(fields);
    if (!json_is_array(fields) || n == 0 || n > LS_WORKER_MAX_FIELDS)
        return ls_error_set_field(err, LS_ERR_INVALID, "fields", "the spec needs 1 to %d fields",
                                  LS_WORKER_MAX_FIELDS);
    s->fields = calloc(n, sizeof *s->fields);
    if (!s->fields)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    s->field_count = n;
    for (size_t i = 0; i < n; i++) {
        const json_t *f = json_array_get(fields, i);
        ls_worker_field *out = &s->fields[i];
        const char *type = NULL;
        int64_t id = 0;
        ls_code rc = need_string(f, "source", "fields[].source", &out->source, err);
        if (!rc)
            rc = need_string(f, "name", "fields[].name", &out->name, err);
        if (!rc)
            rc = need_string(f, "type", "fields[].type", &type, err);
        if (!rc)
            rc = ls_type_parse(type, &out->type, err);
        if (!rc)
            rc = need_int(f, "field_id", "fields[].field_id", 1, &id, err);
        if (rc) {
            ls_error_name_field(err, "fields");
            return rc;
        }
        out->field_id = (int32_t)id;
    }
    return LS_OK;
}

static ls_code parse_partition(const json_t *doc, ls_worker_spec *s, ls_error *err)
{
    const json_t *partition = json_object_get(doc, "partition");
    size_t n = json_array_size(partition);
    if (partition && !json_is_array(partition))
        return ls_error_set_field(err, LS_ERR_INVALID, "partition", "must be an array");
    if (n > LS_ICEBERG_MAX_PARTITION_FIELDS)
        return ls_error_set_field(err, LS_ERR_INVALID, "partition", "too many partition fields");
    if (n == 0)
        return LS_OK;
    s->partition = calloc(n, sizeof *s->partition);
    if (!s->partition)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    s->partition_count = n;
    for (size_t i = 0; i < n; i++) {
        const json_t *f = json_array_get(partition, i);
        ls_worker_partition_field *out = &s->partition[i];
        int64_t id = 0;
        ls_code rc = need_string(f, "source", "partition[].source", &out->source, err);
        if (!rc)
            rc = need_string(f, "transform", "partition[].transform", &out->transform, err);
        if (!rc)
            rc = need_string(f, "name", "partition[].name", &out->name, err);
        if (!rc)
            rc = need_int(f, "field_id", "partition[].field_id", 1, &id, err);
        if (rc)
            return rc;
        out->field_id = (int32_t)id;
    }
    return LS_OK;
}

/* A location without its trailing '/', copied into *out (the spec frees it). */
static ls_code trimmed_location(const char *location, const char *field, char **out, ls_error *err)
{
    *out = strdup(location);
    if (!*out)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    size_t n = strlen(*out);
    while (n > 0 && (*out)[n - 1] == '/')
        (*out)[--n] = '\0';
    if (n == 0)
        return ls_error_set_field(err, LS_ERR_INVALID, field, "is empty");
    return LS_OK;
}

static ls_code parse_storage(const json_t *doc, ls_worker_spec *s, ls_error *err)
{
    const char *location = NULL;
    ls_code rc = need_string(doc, "data_location", "data_location", &location, err);
    if (!rc)
        rc = trimmed_location(location, "data_location", &s->data_location_trimmed, err);
    if (rc)
        return rc;
    s->data_location = s->data_location_trimmed;
    const json_t *storage = json_object_get(doc, "storage");
    s->storage_endpoint = opt_string(storage, "endpoint");
    s->storage_region = opt_string(storage, "region");
    s->access_key_id = opt_string(storage, "access_key_id");
    s->secret_access_key = opt_string(storage, "secret_access_key");
    const json_t *path_style = json_object_get(storage, "path_style");
    s->path_style = json_is_boolean(path_style) ? (json_is_true(path_style) ? 1 : 0) : -1;
    return LS_OK;
}

static ls_code parse_policies(const json_t *doc, ls_worker_spec *s, ls_error *err)
{
    int64_t level = 0, interval = 0, target = 0;
    ls_code rc = need_int(doc, "parse_levels", "parse_levels", 0, &level, err);
    if (!rc)
        rc = need_int(doc, "commit_interval_ms", "commit_interval_ms", 100, &interval, err);
    if (!rc)
        rc = need_int(doc, "target_file_size_bytes", "target_file_size_bytes", 1024, &target, err);
    if (rc)
        return rc;
    s->parse_level = (int)(level > 64 ? 64 : level);
    s->commit_interval_ms = interval;
    s->target_file_size_bytes = (uint64_t)target;
    const char *format = opt_string(doc, "format");
    if (format && strcmp(format, "paimon") == 0)
        s->paimon = true;
    else if (format && strcmp(format, "iceberg") != 0)
        return ls_error_set_field(err, LS_ERR_INVALID, "format", "unknown format '%s'", format);
    const char *policy = opt_string(doc, "error_policy");
    if (!policy || strcmp(policy, "dlq") == 0)
        s->error_policy = LS_WORKER_ERRORS_DLQ;
    else if (strcmp(policy, "skip") == 0)
        s->error_policy = LS_WORKER_ERRORS_SKIP;
    else if (strcmp(policy, "fail") == 0)
        s->error_policy = LS_WORKER_ERRORS_FAIL;
    else
        return ls_error_set_field(err, LS_ERR_INVALID, "error_policy", "unknown policy '%s'",
                                  policy);
    /* A server that does not say cannot evolve the table: none. */
    const char *evolution = opt_string(doc, "schema_evolution");
    const json_t *schema_id = json_object_get(doc, "schema_id");
    s->schema_id = json_is_integer(schema_id) && json_integer_value(schema_id) >= 0
                       ? json_integer_value(schema_id)
                       : -1;
    s->schema_evolution = LS_EVOLUTION_NONE;
    const json_t *ignored = json_object_get(doc, "ignored_sources");
    size_t n = json_array_size(ignored);
    if (n > LS_WORKER_MAX_FIELDS)
        return ls_error_set_field(err, LS_ERR_INVALID, "ignored_sources", "too many sources");
    if (n && !(s->ignored_sources = calloc(n, sizeof *s->ignored_sources)))
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        s->ignored_sources[i] = json_string_value(json_array_get(ignored, i));
        if (!s->ignored_sources[i])
            return ls_error_set_field(err, LS_ERR_INVALID, "ignored_sources",
                                      "ignored_sources holds a non-string");
        s->ignored_count++;
    }
    return evolution ? ls_schema_evolution_parse(evolution, &s->schema_evolution, err) : LS_OK;
}

/* The dead-letter table (required by the dlq policy) and the error ratio
 * that stops the job (defaults: 1.0 over 1000 messages, which never does). */
static ls_code parse_dead_letter(const json_t *doc, ls_worker_spec *s, ls_error *err)
{
    const json_t *dead = json_object_get(doc, "dead_letter");
    const json_t *ratio = json_object_get(doc, "max_error_ratio");
    const json_t *window = json_object_get(doc, "error_window");
    const char *location = NULL;
    ls_code rc = LS_OK;
    if (dead) {
        rc = need_string(dead, "table", "dead_letter.table", &s->dead_letter_table, err);
        if (!rc)
            rc = need_string(dead, "data_location", "dead_letter.data_location", &location, err);
        if (!rc)
            rc = trimmed_location(location, "dead_letter.data_location",
                                  &s->dead_letter_location, err);
    } else if (s->error_policy == LS_WORKER_ERRORS_DLQ) {
        rc = ls_error_set_field(err, LS_ERR_INVALID, "dead_letter",
                                "the dlq error policy needs the spec's dead-letter table");
    }
    if (rc)
        return rc;
    s->max_error_ratio = 1.0;
    s->error_window = 1000;
    if (ratio && (!json_is_number(ratio) || json_number_value(ratio) < 0 ||
                  json_number_value(ratio) > 1))
        return ls_error_set_field(err, LS_ERR_INVALID, "max_error_ratio",
                                  "the spec needs a number from 0 to 1 here");
    if (ratio)
        s->max_error_ratio = json_number_value(ratio);
    if (window && (!json_is_integer(window) || json_integer_value(window) < 1 ||
                   json_integer_value(window) > LS_WORKER_MAX_ERROR_WINDOW))
        return ls_error_set_field(err, LS_ERR_INVALID, "error_window",
                                  "the spec needs an integer from 1 to %d here",
                                  LS_WORKER_MAX_ERROR_WINDOW);
    if (window)
        s->error_window = json_integer_value(window);
    return LS_OK;
}

ls_code ls_worker_spec_parse(json_t *document, ls_worker_spec *out, ls_error *err)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(document))
        return ls_error_set(err, LS_ERR_INVALID, "the spec is not a JSON object");
    out->document = json_incref(document);
    ls_code rc = need_string(document, "job_id", "job_id", &out->job_id, err);
    if (!rc)
        rc = need_int(document, "run_id", "run_id", 0, &out->run_id, err);
    if (!rc)
        rc = parse_kafka(document, out, err);
    if (!rc)
        rc = parse_fields(document, out, err);
    if (!rc)
        rc = parse_partition(document, out, err);
    if (!rc)
        rc = parse_storage(document, out, err);
    if (!rc)
        rc = parse_policies(document, out, err);
    if (!rc)
        rc = parse_dead_letter(document, out, err);
    if (rc)
        ls_worker_spec_cleanup(out);
    return rc;
}

void ls_worker_spec_cleanup(ls_worker_spec *spec)
{
    if (!spec)
        return;
    free(spec->fields);
    free(spec->partition);
    free(spec->ignored_sources);
    free(spec->data_location_trimmed);
    free(spec->dead_letter_location);
    json_decref(spec->document);
    memset(spec, 0, sizeof *spec);
}
