#include "api_jobspec.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api_json.h"
#include "maintenance.h"
#include "dead_letter.h"
#include "schema_type.h"

#define NAME_MAX_LEN 128
#define API_JOB_ERROR_WINDOW_DEFAULT 1000
#define API_JOB_ERROR_WINDOW_MAX 10000000 /* LS_WORKER_MAX_ERROR_WINDOW */
#define SOURCE_MAX_LEN 1024
#define JOB_NAME_MAX 128
#define ENDPOINT_MAX 512
#define REGION_MAX 64
#define ACCESS_KEY_MAX 256
#define TRANSFORM_ARG_MAX 2147483647L

static const char *const kafka_sources[] = {"__kafka_timestamp__", "__kafka_partition__",
                                            "__kafka_offset__", "__kafka_key__", NULL};

/* Types each Kafka metadata source can be written as. */
static bool kafka_type_ok(const char *source, ls_type_kind kind)
{
    if (strcmp(source, "__kafka_timestamp__") == 0)
        return kind == LS_TYPE_TIMESTAMP || kind == LS_TYPE_TIMESTAMPTZ || kind == LS_TYPE_BIGINT ||
               kind == LS_TYPE_STRING;
    if (strcmp(source, "__kafka_partition__") == 0)
        return kind == LS_TYPE_INT || kind == LS_TYPE_BIGINT || kind == LS_TYPE_STRING;
    if (strcmp(source, "__kafka_offset__") == 0)
        return kind == LS_TYPE_BIGINT || kind == LS_TYPE_STRING;
    return kind == LS_TYPE_STRING || kind == LS_TYPE_BINARY; /* __kafka_key__ */
}

static bool is_kafka_source(const char *source)
{
    for (const char *const *k = kafka_sources; *k; k++) {
        if (strcmp(*k, source) == 0)
            return true;
    }
    return false;
}

void api_jobspec_wipe(api_job_spec *spec)
{
    OPENSSL_cleanse(spec->secret, sizeof spec->secret);
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* Reads n digits at *p into *out, advancing *p. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

bool api_rfc3339_valid(const char *text)
{
    const char *p = text;
    int year, month, day, hour, minute, second, oh, om;
    if (!digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &month) || *p++ != '-' ||
        !digits(&p, 2, &day) || (*p != 'T' && *p != 't') || !(++p) || !digits(&p, 2, &hour) ||
        *p++ != ':' || !digits(&p, 2, &minute) || *p++ != ':' || !digits(&p, 2, &second))
        return false;
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
        minute > 59 || second > 60)
        return false;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
        return true;
    if (*p != '+' && *p != '-')
        return false;
    p++;
    return digits(&p, 2, &oh) && *p++ == ':' && digits(&p, 2, &om) && *p == '\0' && oh <= 23 &&
           om <= 59;
}

static ls_code refuse_read_only(const json_t *doc, ls_error *err)
{
    static const char *const read_only[] = {
        "id", "state", "state_reason", "etag", "created_at", "updated_at", NULL};
    for (const char *const *f = read_only; *f; f++) {
        if (json_object_get(doc, *f))
            return ls_error_set_field(err, LS_ERR_INVALID, *f,
                                      "%s is set by the server and cannot be written", *f);
    }
    return LS_OK;
}

/* Copies the write-only secret out of the document and removes it. */
static ls_code take_secret(json_t *dest, api_job_spec *spec, ls_error *err)
{
    json_t *value = json_object_get(dest, "secret_access_key");
    if (!value)
        return LS_OK;
    if (json_is_null(value)) {
        spec->secret_cleared = true;
    } else if (!json_is_string(value) || json_string_length(value) == 0 ||
               json_string_length(value) > API_JOB_SECRET_MAX) {
        return ls_error_set_field(err, LS_ERR_INVALID, "destination.secret_access_key",
                                  "destination.secret_access_key must be a string of 1 to %d "
                                  "bytes",
                                  API_JOB_SECRET_MAX);
    } else {
        snprintf(spec->secret, sizeof spec->secret, "%s", json_string_value(value));
        spec->secret_set = true;
    }
    json_object_del(dest, "secret_access_key");
    return LS_OK;
}

static ls_code destination_credentials(json_t *dest, ls_error *err)
{
    const char *endpoint = NULL, *region = NULL, *key_id = NULL;
    bool path_style = false;
    ls_code rc =
        api_json_string(dest, "destination", "endpoint", false, ENDPOINT_MAX, &endpoint, err);
    if (!rc && endpoint && strncmp(endpoint, "http://", 7) != 0 &&
        strncmp(endpoint, "https://", 8) != 0)
        rc = ls_error_set_field(err, LS_ERR_INVALID, "destination.endpoint",
                                "destination.endpoint must be an http:// or https:// URL");
    if (!rc)
        rc = api_json_string(dest, "destination", "region", false, REGION_MAX, &region, err);
    if (!rc)
        rc = api_json_string(dest, "destination", "access_key_id", false, ACCESS_KEY_MAX, &key_id,
                             err);
    if (!rc)
        rc = api_json_bool(dest, "destination", "path_style", &path_style, err);
    if (!rc)
        json_object_set_new(dest, "path_style", json_boolean(path_style));
    return rc;
}

static ls_code destination_check(json_t *doc, api_job_spec *spec, ls_error *err)
{
    static const char *const allowed[] = {"type",
                                          "path",
                                          "format",
                                          "endpoint",
                                          "region",
                                          "access_key_id",
                                          "secret_access_key",
                                          "path_style",
                                          "secret_access_key_set",
                                          NULL};
    static const char *const types[] = {"managed", "user_path", NULL};
    static const char *const formats[] = {"iceberg", "paimon", NULL};
    json_t *dest = NULL;
    const char *type = NULL, *format = NULL;
    ls_code rc = api_json_object(doc, "", "destination", true, &dest, err);
    if (!rc)
        rc = api_json_only(dest, "destination", allowed, err);
    if (rc)
        return rc;
    json_object_del(dest, "secret_access_key_set"); /* a read-back echo, ignored */
    rc = api_json_enum(dest, "destination", "type", types, NULL, &type, err);
    if (!rc)
        rc = api_json_enum(dest, "destination", "format", formats, "iceberg", &format, err);
    if (!rc)
        rc = api_json_string(dest, "destination", "path", false, LS_API_URI_MAX - 8, &spec->path,
                             err);
    if (rc)
        return rc;
    spec->managed = strcmp(type, "managed") == 0;
    spec->paimon = strcmp(format, "paimon") == 0;
    json_object_set_new(dest, "format", json_string(format));
    if (spec->managed && spec->paimon)
        return ls_error_set_field(err, LS_ERR_INVALID, "destination.format",
                                  "managed storage supports only Iceberg; write Paimon to a "
                                  "user_path destination");
    if (!spec->managed && !spec->path)
        return ls_error_set_field(err, LS_ERR_INVALID, "destination.path",
                                  "destination.path is required for a user_path destination");
    if (!spec->managed) {
        rc = api_dest_parse(spec->path, "destination.path", &spec->path_uri, err);
        if (rc)
            return rc;
    }
    rc = take_secret(dest, spec, err);
    return rc ? rc : destination_credentials(dest, err);
}

/* A field's source: a message path, or __value__ at level 0, or Kafka
 * metadata. Other __x__ names are reserved. */
static ls_code field_source_check(const char *source, int64_t levels, const char *field,
                                  ls_error *err)
{
    size_t len = strlen(source);
    bool reserved = len > 4 && strncmp(source, "__", 2) == 0 && strcmp(source + len - 2, "__") == 0;
    if (reserved && !is_kafka_source(source) && strcmp(source, "__value__") != 0)
        return ls_error_set_field(err, LS_ERR_INVALID, field,
                                  "%s '%s' is reserved; use __value__, __kafka_timestamp__, "
                                  "__kafka_partition__, __kafka_offset__ or __kafka_key__",
                                  field, source);
    if (strcmp(source, "__value__") == 0 && levels != 0)
        return ls_error_set_field(err, LS_ERR_INVALID, field,
                                  "%s __value__ exists only with parse_levels 0", field);
    if (levels == 0 && !reserved)
        return ls_error_set_field(err, LS_ERR_INVALID, field,
                                  "with parse_levels 0 the message is one field, __value__; "
                                  "%s '%s' cannot be read",
                                  field, source);
    if (source[0] == '.' || source[len - 1] == '.' || strstr(source, ".."))
        return ls_error_set_field(err, LS_ERR_INVALID, field,
                                  "%s '%s' must be a dotted path without empty parts", field,
                                  source);
    return LS_OK;
}

/* Derives a destination name from a source: dots become '_' (the seed). */
static void name_from_source(const char *source, char *out, size_t size)
{
    snprintf(out, size, "%s", source);
    for (char *p = out; *p; p++) {
        if (*p == '.')
            *p = '_';
    }
}

static ls_code field_check(json_t *item, size_t index, int64_t levels, ls_error *err)
{
    static const char *const allowed[] = {"source", "name", "type", NULL};
    char prefix[32], field[API_FIELD_MAX], derived[SOURCE_MAX_LEN + 1], canonical[32];
    const char *source = NULL, *name = NULL, *type_text = NULL;
    ls_type type;
    snprintf(prefix, sizeof prefix, "fields[%zu]", index);
    if (!json_is_object(item))
        return ls_error_set_field(err, LS_ERR_INVALID, prefix, "%s must be an object", prefix);
    ls_code rc = api_json_only(item, prefix, allowed, err);
    if (!rc)
        rc = api_json_string(item, prefix, "source", true, SOURCE_MAX_LEN, &source, err);
    api_json_field(field, sizeof field, prefix, "source");
    if (!rc)
        rc = field_source_check(source, levels, field, err);
    if (!rc)
        rc = api_json_string(item, prefix, "name", false, NAME_MAX_LEN, &name, err);
    if (rc)
        return rc;
    if (!name) {
        name_from_source(source, derived, sizeof derived);
        json_object_set_new(item, "name", json_string(derived));
        name = json_string_value(json_object_get(item, "name"));
    }
    api_json_field(field, sizeof field, prefix, "name");
    if (!api_identifier_valid(name, NAME_MAX_LEN))
        return ls_error_set_field(err, LS_ERR_INVALID, field,
                                  "%s '%s' must start with a letter or '_' and hold only "
                                  "letters, digits and '_' (at most %d)",
                                  field, name, NAME_MAX_LEN);
    rc = api_json_string(item, prefix, "type", true, 64, &type_text, err);
    api_json_field(field, sizeof field, prefix, "type");
    if (!rc && ls_type_parse(type_text, &type, err) != LS_OK)
        ls_error_name_field(err, field);
    if (err->code)
        return err->code;
    if (is_kafka_source(source) && !kafka_type_ok(source, type.kind))
        return ls_error_set_field(err, LS_ERR_INVALID, field, "%s %s cannot hold %s", field,
                                  type_text, source);
    json_object_set_new(item, "type",
                        json_string(ls_type_format(type, canonical, sizeof canonical)));
    return LS_OK;
}

static ls_code fields_check(json_t *doc, int64_t levels, ls_error *err)
{
    json_t *fields = NULL;
    ls_code rc = api_json_array(doc, "", "fields", true, API_JOB_FIELDS_MAX, &fields, err);
    if (rc)
        return rc;
    if (json_array_size(fields) == 0)
        return ls_error_set_field(err, LS_ERR_INVALID, "fields", "fields must not be empty");
    for (size_t i = 0; i < json_array_size(fields); i++) {
        rc = field_check(json_array_get(fields, i), i, levels, err);
        if (rc)
            return rc;
        const char *name = json_string_value(json_object_get(json_array_get(fields, i), "name"));
        /* Quadratic, but bounded by API_JOB_FIELDS_MAX and cheap per pair. */
        for (size_t j = 0; j < i; j++) {
            const char *other =
                json_string_value(json_object_get(json_array_get(fields, j), "name"));
            if (strcasecmp(name, other) == 0) {
                char field[API_FIELD_MAX];
                snprintf(field, sizeof field, "fields[%zu].name", i);
                return ls_error_set_field(err, LS_ERR_INVALID, field,
                                          "%s '%s' repeats fields[%zu].name", field, name, j);
            }
        }
    }
    return LS_OK;
}

typedef enum transform_kind {
    TRANSFORM_IDENTITY,
    TRANSFORM_YEAR,
    TRANSFORM_MONTH,
    TRANSFORM_DAY,
    TRANSFORM_HOUR,
    TRANSFORM_BUCKET,
    TRANSFORM_TRUNCATE,
} transform_kind;

static const char *const transform_suffix[] = {"",     "year",   "month", "day",
                                               "hour", "bucket", "trunc"};

/* Parses identity | year | month | day | hour | bucket[N] | truncate[W]. */
static bool transform_parse(const char *text, transform_kind *kind)
{
    static const char *const plain[] = {"identity", "year", "month", "day", "hour"};
    for (int i = 0; i < 5; i++) {
        if (strcmp(text, plain[i]) == 0) {
            *kind = (transform_kind)i;
            return true;
        }
    }
    const char *arg;
    if (strncmp(text, "bucket[", 7) == 0) {
        *kind = TRANSFORM_BUCKET;
        arg = text + 7;
    } else if (strncmp(text, "truncate[", 9) == 0) {
        *kind = TRANSFORM_TRUNCATE;
        arg = text + 9;
    } else {
        return false;
    }
    long value = 0;
    size_t n = 0;
    while (arg[n] >= '0' && arg[n] <= '9' && n < 10) {
        value = value * 10 + (arg[n] - '0');
        n++;
    }
    return n > 0 && arg[0] != '0' && arg[n] == ']' && arg[n + 1] == '\0' && value >= 1 &&
           value <= TRANSFORM_ARG_MAX;
}

static bool transform_accepts(transform_kind kind, ls_type_kind type)
{
    bool temporal = type == LS_TYPE_TIMESTAMP || type == LS_TYPE_TIMESTAMPTZ;
    switch (kind) {
    case TRANSFORM_IDENTITY:
        return true;
    case TRANSFORM_YEAR:
    case TRANSFORM_MONTH:
    case TRANSFORM_DAY:
        return temporal || type == LS_TYPE_DATE;
    case TRANSFORM_HOUR:
        return temporal;
    case TRANSFORM_BUCKET:
        return type != LS_TYPE_BOOLEAN && type != LS_TYPE_FLOAT && type != LS_TYPE_DOUBLE;
    case TRANSFORM_TRUNCATE:
        return type == LS_TYPE_INT || type == LS_TYPE_BIGINT || type == LS_TYPE_DECIMAL ||
               type == LS_TYPE_STRING || type == LS_TYPE_BINARY;
    }
    return false;
}

/* The field a partition reads: by destination name, or the field that maps
 * a Kafka metadata source. NULL when none. */
static json_t *partition_field(json_t *fields, const char *source)
{
    for (size_t i = 0; i < json_array_size(fields); i++) {
        json_t *f = json_array_get(fields, i);
        if (strcmp(json_string_value(json_object_get(f, "name")), source) == 0)
            return f;
    }
    for (size_t i = 0; is_kafka_source(source) && i < json_array_size(fields); i++) {
        json_t *f = json_array_get(fields, i);
        if (strcmp(json_string_value(json_object_get(f, "source")), source) == 0)
            return f;
    }
    return NULL;
}

static ls_code partition_name_check(json_t *fields, json_t *parts, size_t index, json_t *field,
                                    transform_kind kind, ls_error *err)
{
    char prefix[40], name_field[API_FIELD_MAX], derived[NAME_MAX_LEN + 16];
    const char *name = NULL;
    json_t *item = json_array_get(parts, index);
    const char *column = json_string_value(json_object_get(field, "name"));
    snprintf(prefix, sizeof prefix, "partition[%zu]", index);
    api_json_field(name_field, sizeof name_field, prefix, "name");
    ls_code rc = api_json_string(item, prefix, "name", false, NAME_MAX_LEN, &name, err);
    if (rc)
        return rc;
    if (!name) {
        snprintf(derived, sizeof derived, "%s%s%s", column, kind ? "_" : "",
                 transform_suffix[kind]);
        json_object_set_new(item, "name", json_string(derived));
        name = json_string_value(json_object_get(item, "name"));
    }
    if (!api_identifier_valid(name, NAME_MAX_LEN))
        return ls_error_set_field(err, LS_ERR_INVALID, name_field,
                                  "%s '%s' must start with a letter or '_' and hold only "
                                  "letters, digits and '_'",
                                  name_field, name);
    json_t *clash = partition_field(fields, name);
    if (clash && (kind != TRANSFORM_IDENTITY || clash != field))
        return ls_error_set_field(err, LS_ERR_INVALID, name_field,
                                  "%s '%s' is already a field name", name_field, name);
    for (size_t j = 0; j < index; j++) {
        if (strcasecmp(name,
                       json_string_value(json_object_get(json_array_get(parts, j), "name"))) == 0)
            return ls_error_set_field(err, LS_ERR_INVALID, name_field,
                                      "%s '%s' repeats partition[%zu].name", name_field, name, j);
    }
    return LS_OK;
}

static ls_code partition_check(json_t *fields, json_t *parts, size_t index, bool paimon,
                               transform_kind *kinds, json_t **sources, ls_error *err)
{
    static const char *const allowed[] = {"source", "transform", "name", NULL};
    char prefix[40], field[API_FIELD_MAX];
    const char *source = NULL, *transform = NULL;
    json_t *item = json_array_get(parts, index);
    snprintf(prefix, sizeof prefix, "partition[%zu]", index);
    if (!json_is_object(item))
        return ls_error_set_field(err, LS_ERR_INVALID, prefix, "%s must be an object", prefix);
    ls_code rc = api_json_only(item, prefix, allowed, err);
    if (!rc)
        rc = api_json_string(item, prefix, "source", true, SOURCE_MAX_LEN, &source, err);
    if (!rc)
        rc = api_json_string(item, prefix, "transform", true, 32, &transform, err);
    if (rc)
        return rc;
    json_t *target = partition_field(fields, source);
    api_json_field(field, sizeof field, prefix, "source");
    if (!target)
        return ls_error_set_field(err, LS_ERR_INVALID, field,
                                  "%s '%s' must name one of the job's fields", field, source);
    api_json_field(field, sizeof field, prefix, "transform");
    if (!transform_parse(transform, &kinds[index]))
        return ls_error_set_field(err, LS_ERR_INVALID, field,
                                  "%s must be identity, year, month, day, hour, bucket[N] or "
                                  "truncate[W] (N, W from 1 to 2147483647), not '%s'",
                                  field, transform);
    if (paimon && kinds[index] != TRANSFORM_IDENTITY)
        return ls_error_set_field(err, LS_ERR_INVALID, field,
                                  "Paimon tables partition by column values only: use identity");
    ls_type type;
    ls_error ignored = {0};
    if (ls_type_parse(json_string_value(json_object_get(target, "type")), &type, &ignored) ||
        !transform_accepts(kinds[index], type.kind))
        return ls_error_set_field(err, LS_ERR_INVALID, field,
                                  "%s %s cannot apply to field '%s' of type %s", field, transform,
                                  json_string_value(json_object_get(target, "name")),
                                  json_string_value(json_object_get(target, "type")));
    sources[index] = target;
    for (size_t j = 0; j < index; j++) {
        if (sources[j] == target && kinds[j] == kinds[index])
            return ls_error_set_field(err, LS_ERR_INVALID, field,
                                      "%s repeats partition[%zu] on the same field", field, j);
    }
    return partition_name_check(fields, parts, index, target, kinds[index], err);
}

static ls_code partitions_check(json_t *doc, bool paimon, ls_error *err)
{
    json_t *parts = NULL;
    transform_kind kinds[API_JOB_PARTITIONS_MAX];
    json_t *sources[API_JOB_PARTITIONS_MAX];
    ls_code rc = api_json_array(doc, "", "partition", false, API_JOB_PARTITIONS_MAX, &parts, err);
    if (rc)
        return rc;
    if (!parts) {
        json_object_set_new(doc, "partition", json_array());
        return LS_OK;
    }
    json_t *fields = json_object_get(doc, "fields");
    for (size_t i = 0; i < json_array_size(parts); i++) {
        rc = partition_check(fields, parts, i, paimon, kinds, sources, err);
        if (rc)
            return rc;
    }
    return LS_OK;
}

static ls_code start_check(json_t *sync, ls_error *err)
{
    static const char *const allowed[] = {"mode", "timestamp", NULL};
    static const char *const modes[] = {"earliest", "latest", "timestamp", NULL};
    json_t *start = NULL;
    const char *mode = NULL, *timestamp = NULL;
    ls_code rc = api_json_object(sync, "sync", "start", false, &start, err);
    if (rc)
        return rc;
    if (!start) {
        start = json_object();
        json_object_set_new(sync, "start", start);
    }
    rc = api_json_only(start, "sync.start", allowed, err);
    if (!rc)
        rc = api_json_enum(start, "sync.start", "mode", modes, "earliest", &mode, err);
    if (!rc)
        rc = api_json_string(start, "sync.start", "timestamp", false, 64, &timestamp, err);
    if (rc)
        return rc;
    bool by_time = strcmp(mode, "timestamp") == 0;
    if (by_time && !timestamp)
        return ls_error_set_field(err, LS_ERR_INVALID, "sync.start.timestamp",
                                  "sync.start.timestamp is required when sync.start.mode is "
                                  "timestamp");
    if (!by_time && timestamp)
        return ls_error_set_field(err, LS_ERR_INVALID, "sync.start.timestamp",
                                  "sync.start.timestamp is only used when sync.start.mode is "
                                  "timestamp");
    if (timestamp && !api_rfc3339_valid(timestamp))
        return ls_error_set_field(err, LS_ERR_INVALID, "sync.start.timestamp",
                                  "sync.start.timestamp must be an RFC 3339 date-time such as "
                                  "2026-11-23T10:15:30Z, not '%s'",
                                  timestamp);
    json_object_set_new(start, "mode", json_string(mode));
    if (!timestamp)
        json_object_del(start, "timestamp");
    return LS_OK;
}

static ls_code sync_check(json_t *doc, api_job_spec *spec, ls_error *err)
{
    static const char *const allowed[] = {"start", "resource_group_id", "acus", NULL};
    json_t *sync = NULL, *acus = NULL;
    ls_code rc = api_json_object(doc, "", "sync", false, &sync, err);
    if (rc)
        return rc;
    if (!sync) {
        sync = json_object();
        json_object_set_new(doc, "sync", sync);
    }
    rc = api_json_only(sync, "sync", allowed, err);
    if (!rc)
        rc = start_check(sync, err);
    if (!rc)
        rc = api_json_string(sync, "sync", "resource_group_id", false, 64, &spec->resource_group_id,
                             err);
    if (rc)
        return rc;
    spec->acus = API_JOB_ACUS_DEFAULT;
    acus = json_object_get(sync, "acus");
    if (acus && !json_is_null(acus)) {
        if (!json_is_integer(acus))
            return ls_error_set_field(err, LS_ERR_INVALID, "sync.acus",
                                      "sync.acus must be an integer");
        spec->acus = (int64_t)json_integer_value(acus);
        if (spec->acus < API_JOB_ACUS_MIN)
            return ls_error_set_field(err, LS_ERR_INVALID, "sync.acus", "acus must be at least %d",
                                      API_JOB_ACUS_MIN);
    }
    json_object_set_new(sync, "acus", json_integer(spec->acus));
    return LS_OK;
}

/* How the job treats bad records (issue 8): error_policy dlq (default:
 * to the dead-letter table), skip (counted only) or fail (the job stops);
 * and, for dlq and skip, max_error_ratio (0..1, default 1: never) over
 * error_window consecutive messages (default 1000) past which the job
 * fails. Defaults are written into the stored spec. */
static ls_code advanced_errors_check(json_t *advanced, ls_error *err)
{
    static const char *const policies[] = {"dlq", "skip", "fail", NULL};
    const char *policy = NULL;
    int64_t window = API_JOB_ERROR_WINDOW_DEFAULT;
    double ratio = 1.0;
    ls_code rc = api_json_enum(advanced, "advanced", "error_policy", policies, "dlq", &policy, err);
    if (!rc)
        rc = api_json_int(advanced, "advanced", "error_window", false, 1,
                          API_JOB_ERROR_WINDOW_MAX, &window, NULL, err);
    const json_t *given = json_object_get(advanced, "max_error_ratio");
    if (!rc && given && (!json_is_number(given) || json_number_value(given) < 0 ||
                         json_number_value(given) > 1))
        rc = ls_error_set_field(err, LS_ERR_INVALID, "advanced.max_error_ratio",
                                "advanced.max_error_ratio must be a number from 0 to 1");
    if (!rc && given)
        ratio = json_number_value(given);
    if (!rc) {
        json_object_set_new(advanced, "error_policy", json_string(policy));
        json_object_set_new(advanced, "max_error_ratio", json_real(ratio));
        json_object_set_new(advanced, "error_window", json_integer(window));
    }
    return rc;
}

/* advanced.ignored_sources: source paths schema evolution never adds. */
static ls_code ignored_sources_check(const json_t *advanced, ls_error *err)
{
    json_t *list = NULL;
    ls_code rc = api_json_array(advanced, "advanced", "ignored_sources", false,
                                API_JOB_FIELDS_MAX, &list, err);
    for (size_t i = 0; !rc && i < json_array_size(list); i++) {
        const char *text = json_string_value(json_array_get(list, i));
        if (!text || !*text || strlen(text) > SOURCE_MAX_LEN)
            rc = ls_error_set_field(err, LS_ERR_INVALID, "advanced.ignored_sources",
                                    "advanced.ignored_sources[%zu] must be a source path of 1 to "
                                    "%d bytes",
                                    i, SOURCE_MAX_LEN);
    }
    return rc;
}

static ls_code advanced_check(json_t *doc, ls_error *err)
{
    static const char *const allowed[] = {"commit_interval_s", "maintenance",  "schema_evolution",
                                          "error_policy",      "max_error_ratio", "error_window",
                                          "ignored_sources",   NULL};
    static const char *const evolutions[] = {"none", "add_columns", "add_and_widen", NULL};
    json_t *advanced = NULL;
    int64_t interval = API_JOB_COMMIT_INTERVAL_DEFAULT_S;
    const char *evolution = NULL;
    ls_code rc = api_json_object(doc, "", "advanced", false, &advanced, err);
    if (rc)
        return rc;
    if (!advanced) {
        advanced = json_object();
        json_object_set_new(doc, "advanced", advanced);
    }
    rc = api_json_only(advanced, "advanced", allowed, err);
    if (!rc)
        rc = api_json_int(advanced, "advanced", "commit_interval_s", false, 1,
                          API_JOB_COMMIT_INTERVAL_MAX_S, &interval, NULL, err);
    if (!rc)
        json_object_set_new(advanced, "commit_interval_s", json_integer(interval));
    ls_maintenance_config maintenance;
    if (!rc)
        rc = ls_maintenance_config_from_json(json_object_get(advanced, "maintenance"),
                                             &maintenance, err);
    if (!rc)
        rc = api_json_enum(advanced, "advanced", "schema_evolution", evolutions, "add_columns",
                           &evolution, err);
    if (!rc)
        json_object_set_new(advanced, "schema_evolution", json_string(evolution));
    if (!rc)
        rc = advanced_errors_check(advanced, err);
    if (!rc)
        rc = ignored_sources_check(advanced, err);
    return rc;
}

static ls_code names_check(json_t *doc, api_job_spec *spec, ls_error *err)
{
    ls_code rc = api_json_string(doc, "", "name", false, JOB_NAME_MAX, &spec->name, err);
    if (!rc)
        rc = api_json_string(doc, "", "data_source_id", true, 64, &spec->data_source_id, err);
    if (!rc)
        rc = api_json_string(doc, "", "database", true, NAME_MAX_LEN, &spec->database, err);
    if (!rc && !api_lower_identifier_valid(spec->database, NAME_MAX_LEN))
        rc = ls_error_set_field(err, LS_ERR_INVALID, "database",
                                "database names use lower-case letters, digits and '_' and "
                                "start with a letter or '_'");
    if (!rc)
        rc = api_json_string(doc, "", "table", true, NAME_MAX_LEN, &spec->table, err);
    if (!rc && !api_lower_identifier_valid(spec->table, NAME_MAX_LEN))
        rc = ls_error_set_field(err, LS_ERR_INVALID, "table",
                                "table names use lower-case letters, digits and '_' and start "
                                "with a letter or '_'");
    if (!rc && ls_dead_letter_is_name(spec->table))
        rc = ls_error_set_field(err, LS_ERR_INVALID, "table",
                                "table names ending in '%s' are reserved for dead-letter tables",
                                LS_DEAD_LETTER_SUFFIX);
    return rc;
}

ls_code api_jobspec_check(json_t *doc, api_job_spec *spec, ls_error *err)
{
    static const char *const allowed[] = {
        "name",         "data_source_id", "destination", "database",   "table", "parse_levels",
        "fields",       "partition",      "sync",        "advanced",   "id",    "state",
        "state_reason", "etag",           "created_at",  "updated_at", NULL};
    int64_t levels = 1;
    memset(spec, 0, sizeof *spec);
    ls_code rc = api_json_only(doc, "", allowed, err);
    if (!rc)
        rc = refuse_read_only(doc, err);
    if (!rc)
        rc = names_check(doc, spec, err);
    if (!rc)
        rc = destination_check(doc, spec, err);
    if (!rc)
        rc = api_json_int(doc, "", "parse_levels", false, 0, 4, &levels, NULL, err);
    if (!rc) {
        json_object_set_new(doc, "parse_levels", json_integer(levels));
        rc = fields_check(doc, levels, err);
    }
    if (!rc)
        rc = partitions_check(doc, spec->paimon, err);
    if (!rc)
        rc = sync_check(doc, spec, err);
    if (!rc)
        rc = advanced_check(doc, err);
    return rc;
}
