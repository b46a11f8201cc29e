/* schema-N and snapshot-N JSON, stats and data-file helpers, partition paths. */
#include "paimon_meta.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Output of the JSON we write stays small; this cap only guards mistakes. */
#define JSON_OUT_MAX_DEPTH 16

static char *dup_str(const char *s)
{
    return s ? strdup(s) : NULL;
}

static ls_code nomem(ls_error *err)
{
    return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
}

/* --------------------------------------------------------------------------
 * Ordered string maps.
 */
ls_code ls_paimon_strmap_set(ls_paimon_strmap *map, const char *key, const char *value,
                             ls_error *err)
{
    for (size_t i = 0; i < map->count; i++) {
        if (strcmp(map->keys[i], key) == 0) {
            char *v = strdup(value);
            if (!v)
                return nomem(err);
            free(map->values[i]);
            map->values[i] = v;
            return LS_OK;
        }
    }
    char **keys = realloc(map->keys, (map->count + 1) * sizeof *keys);
    if (!keys)
        return nomem(err);
    map->keys = keys;
    char **values = realloc(map->values, (map->count + 1) * sizeof *values);
    if (!values)
        return nomem(err);
    map->values = values;
    char *k = strdup(key), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return nomem(err);
    }
    map->keys[map->count] = k;
    map->values[map->count] = v;
    map->count++;
    return LS_OK;
}

const char *ls_paimon_strmap_get(const ls_paimon_strmap *map, const char *key)
{
    for (size_t i = 0; i < map->count; i++)
        if (strcmp(map->keys[i], key) == 0)
            return map->values[i];
    return NULL;
}

void ls_paimon_strmap_cleanup(ls_paimon_strmap *map)
{
    for (size_t i = 0; i < map->count; i++) {
        free(map->keys[i]);
        free(map->values[i]);
    }
    free(map->keys);
    free(map->values);
    memset(map, 0, sizeof *map);
}

static ls_code strmap_copy(const ls_paimon_strmap *from, ls_paimon_strmap *to, ls_error *err)
{
    memset(to, 0, sizeof *to);
    for (size_t i = 0; i < from->count; i++) {
        ls_code rc = ls_paimon_strmap_set(to, from->keys[i], from->values[i], err);
        if (rc)
            return rc;
    }
    return LS_OK;
}

static void free_strings(char **list, size_t count)
{
    for (size_t i = 0; list && i < count; i++)
        free(list[i]);
    free(list);
}

static ls_code push_string(char ***list, size_t *count, const char *s, ls_error *err)
{
    char **grown = realloc(*list, (*count + 1) * sizeof *grown);
    if (!grown)
        return nomem(err);
    *list = grown;
    if (!(grown[*count] = strdup(s)))
        return nomem(err);
    (*count)++;
    return LS_OK;
}

/* --------------------------------------------------------------------------
 * Jackson's DefaultPrettyPrinter layout: objects one entry per line indented
 * by two spaces per object level, "key" : value, arrays inline "[ a, b ]",
 * empty containers "{ }" and "[ ]". Paimon writes all its JSON this way.
 */
static ls_code jackson_string(ls_buf *out, const char *s, ls_error *err)
{
    ls_code rc = ls_buf_append_byte(out, '"', err);
    for (const unsigned char *p = (const unsigned char *)s; rc == LS_OK && *p; p++) {
        switch (*p) {
        case '"': rc = ls_buf_append_str(out, "\\\"", err); break;
        case '\\': rc = ls_buf_append_str(out, "\\\\", err); break;
        case '\b': rc = ls_buf_append_str(out, "\\b", err); break;
        case '\t': rc = ls_buf_append_str(out, "\\t", err); break;
        case '\f': rc = ls_buf_append_str(out, "\\f", err); break;
        case '\n': rc = ls_buf_append_str(out, "\\n", err); break;
        case '\r': rc = ls_buf_append_str(out, "\\r", err); break;
        default:
            if (*p < 0x20)
                rc = ls_buf_printf(out, err, "\\u%04X", *p);
            else
                rc = ls_buf_append_byte(out, *p, err);
        }
    }
    return rc ? rc : ls_buf_append_byte(out, '"', err);
}

static ls_code jackson_indent(ls_buf *out, int level, ls_error *err)
{
    ls_code rc = ls_buf_append_byte(out, '\n', err);
    for (int i = 0; rc == LS_OK && i < level; i++)
        rc = ls_buf_append_str(out, "  ", err);
    return rc;
}

static ls_code jackson_value(ls_buf *out, const json_t *v, int level, ls_error *err);

static ls_code jackson_object(ls_buf *out, const json_t *v, int level, ls_error *err)
{
    if (json_object_size(v) == 0)
        return ls_buf_append_str(out, "{ }", err);
    ls_code rc = ls_buf_append_byte(out, '{', err);
    const char *key;
    const json_t *item;
    int first = 1;
    json_object_foreach((json_t *)v, key, item) {
        if (rc == LS_OK && !first)
            rc = ls_buf_append_byte(out, ',', err);
        first = 0;
        if (rc == LS_OK)
            rc = jackson_indent(out, level + 1, err);
        if (rc == LS_OK)
            rc = jackson_string(out, key, err);
        if (rc == LS_OK)
            rc = ls_buf_append_str(out, " : ", err);
        if (rc == LS_OK)
            rc = jackson_value(out, item, level + 1, err);
    }
    if (rc == LS_OK)
        rc = jackson_indent(out, level, err);
    return rc ? rc : ls_buf_append_byte(out, '}', err);
}

static ls_code jackson_value(ls_buf *out, const json_t *v, int level, ls_error *err)
{
    if (level > JSON_OUT_MAX_DEPTH)
        return ls_error_set(err, LS_ERR_INTERNAL, "JSON nesting over %d", JSON_OUT_MAX_DEPTH);
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return jackson_object(out, v, level, err);
    case JSON_ARRAY: {
        if (json_array_size(v) == 0)
            return ls_buf_append_str(out, "[ ]", err);
        ls_code rc = ls_buf_append_str(out, "[ ", err);
        for (size_t i = 0; rc == LS_OK && i < json_array_size(v); i++) {
            if (i)
                rc = ls_buf_append_str(out, ", ", err);
            if (rc == LS_OK)
                rc = jackson_value(out, json_array_get(v, i), level, err);
        }
        return rc ? rc : ls_buf_append_str(out, " ]", err);
    }
    case JSON_STRING:
        return jackson_string(out, json_string_value(v), err);
    case JSON_INTEGER:
        return ls_buf_printf(out, err, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_TRUE:
        return ls_buf_append_str(out, "true", err);
    case JSON_FALSE:
        return ls_buf_append_str(out, "false", err);
    case JSON_NULL:
        return ls_buf_append_str(out, "null", err);
    case JSON_REAL:
        return ls_buf_printf(out, err, "%.17g", json_real_value(v));
    }
    return ls_error_set(err, LS_ERR_INTERNAL, "unknown JSON value type");
}

/* Adds key: value to obj, taking the reference; failure is out of memory. */
static int put(json_t *obj, const char *key, json_t *value)
{
    return value ? json_object_set_new(obj, key, value) : -1;
}

static json_t *strings_json(char *const *list, size_t count)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < count; i++)
        if (json_array_append_new(a, json_string(list[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *strmap_json(const ls_paimon_strmap *map)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < map->count; i++)
        if (put(o, map->keys[i], json_string(map->values[i]))) {
            json_decref(o);
            return NULL;
        }
    return o;
}

static ls_code emit(json_t *root, int failed, ls_buf *out, ls_error *err)
{
    ls_code rc = failed || !root ? nomem(err) : jackson_value(out, root, 0, err);
    json_decref(root);
    return rc;
}

/* --------------------------------------------------------------------------
 * Schemas.
 */
ls_code ls_paimon_schema_init_append(ls_paimon_schema *schema, int64_t id, int64_t time_millis,
                                     ls_error *err)
{
    memset(schema, 0, sizeof *schema);
    schema->version = 3;
    schema->id = id;
    schema->highest_field_id = -1;
    schema->time_millis = time_millis;
    ls_code rc = ls_paimon_strmap_set(&schema->options, "bucket", "-1", err);
    if (rc == LS_OK)
        rc = ls_paimon_strmap_set(&schema->options, "manifest.format", "avro", err);
    if (rc == LS_OK)
        rc = ls_paimon_strmap_set(&schema->options, "file.format", "parquet", err);
    if (rc)
        ls_paimon_schema_cleanup(schema);
    return rc;
}

void ls_paimon_schema_cleanup(ls_paimon_schema *schema)
{
    for (size_t i = 0; schema->fields && i < schema->field_count; i++) {
        free(schema->fields[i].name);
        free(schema->fields[i].description);
    }
    free(schema->fields);
    free_strings(schema->partition_keys, schema->partition_key_count);
    free_strings(schema->primary_keys, schema->primary_key_count);
    ls_paimon_strmap_cleanup(&schema->options);
    free(schema->comment);
    memset(schema, 0, sizeof *schema);
}

static ls_code schema_push_field(ls_paimon_schema *schema, int32_t id, const char *name,
                                 ls_paimon_type type, const char *description, ls_error *err)
{
    if (schema->field_count >= LS_PAIMON_MAX_FIELDS)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "a Paimon schema holds at most %d fields",
                            LS_PAIMON_MAX_FIELDS);
    ls_paimon_field *fields =
        realloc(schema->fields, (schema->field_count + 1) * sizeof *fields);
    if (!fields)
        return nomem(err);
    schema->fields = fields;
    ls_paimon_field *f = &fields[schema->field_count];
    memset(f, 0, sizeof *f);
    f->id = id;
    f->type = type;
    f->name = strdup(name);
    f->description = dup_str(description);
    schema->field_count++;
    if (!f->name || (description && !f->description))
        return nomem(err);
    return LS_OK;
}

ls_code ls_paimon_schema_add_field(ls_paimon_schema *schema, const char *name,
                                   ls_paimon_type type, ls_error *err)
{
    if (ls_paimon_schema_field(schema, name))
        return ls_error_set_field(err, LS_ERR_CONFLICT, name, "field '%s' exists", name);
    ls_code rc = schema_push_field(schema, schema->highest_field_id + 1, name, type, NULL, err);
    if (rc == LS_OK)
        schema->highest_field_id++;
    return rc;
}

ls_code ls_paimon_schema_add_partition_key(ls_paimon_schema *schema, const char *name,
                                           ls_error *err)
{
    if (!ls_paimon_schema_field(schema, name))
        return ls_error_set_field(err, LS_ERR_NOT_FOUND, name,
                                  "partition key '%s' is not a field", name);
    return push_string(&schema->partition_keys, &schema->partition_key_count, name, err);
}

const ls_paimon_field *ls_paimon_schema_field(const ls_paimon_schema *schema, const char *name)
{
    for (size_t i = 0; i < schema->field_count; i++)
        if (strcmp(schema->fields[i].name, name) == 0)
            return &schema->fields[i];
    return NULL;
}

ls_code ls_paimon_schema_partition_types(const ls_paimon_schema *schema, ls_paimon_type *types,
                                         ls_error *err)
{
    for (size_t i = 0; i < schema->partition_key_count; i++) {
        const ls_paimon_field *f = ls_paimon_schema_field(schema, schema->partition_keys[i]);
        if (!f)
            return ls_error_set(err, LS_ERR_FORMAT, "partition key '%s' names no field",
                                schema->partition_keys[i]);
        types[i] = f->type;
    }
    return LS_OK;
}

ls_code ls_paimon_schema_copy(const ls_paimon_schema *schema, ls_paimon_schema *out,
                              ls_error *err)
{
    memset(out, 0, sizeof *out);
    out->version = schema->version;
    out->id = schema->id;
    out->highest_field_id = schema->highest_field_id;
    out->time_millis = schema->time_millis;
    ls_code rc = LS_OK;
    for (size_t i = 0; rc == LS_OK && i < schema->field_count; i++)
        rc = schema_push_field(out, schema->fields[i].id, schema->fields[i].name,
                               schema->fields[i].type, schema->fields[i].description, err);
    for (size_t i = 0; rc == LS_OK && i < schema->partition_key_count; i++)
        rc = push_string(&out->partition_keys, &out->partition_key_count,
                         schema->partition_keys[i], err);
    for (size_t i = 0; rc == LS_OK && i < schema->primary_key_count; i++)
        rc = push_string(&out->primary_keys, &out->primary_key_count, schema->primary_keys[i],
                         err);
    if (rc == LS_OK)
        rc = strmap_copy(&schema->options, &out->options, err);
    if (rc == LS_OK && schema->comment && !(out->comment = strdup(schema->comment)))
        rc = nomem(err);
    if (rc)
        ls_paimon_schema_cleanup(out);
    return rc;
}

ls_code ls_paimon_schema_evolve(const ls_paimon_schema *current, int64_t time_millis,
                                ls_paimon_schema *next, ls_error *err)
{
    ls_code rc = ls_paimon_schema_copy(current, next, err);
    if (rc == LS_OK) {
        next->id = current->id + 1;
        next->time_millis = time_millis;
    }
    return rc;
}

ls_code ls_paimon_schema_to_json(const ls_paimon_schema *schema, ls_buf *out, ls_error *err)
{
    json_t *root = json_object(), *fields = json_array();
    int failed = !root || !fields;
    failed |= put(root, "version", json_integer(schema->version));
    failed |= put(root, "id", json_integer(schema->id));
    for (size_t i = 0; !failed && i < schema->field_count; i++) {
        const ls_paimon_field *f = &schema->fields[i];
        char type[64];
        json_t *o = json_object();
        failed |= !o || json_array_append_new(fields, o);
        if (failed)
            break;
        failed |= put(o, "id", json_integer(f->id));
        failed |= put(o, "name", json_string(f->name));
        failed |= put(o, "type", json_string(ls_paimon_type_format(f->type, type, sizeof type)));
        if (f->description)
            failed |= put(o, "description", json_string(f->description));
    }
    failed |= put(root, "fields", fields);
    failed |= put(root, "highestFieldId", json_integer(schema->highest_field_id));
    failed |= put(root, "partitionKeys",
                  strings_json(schema->partition_keys, schema->partition_key_count));
    failed |= put(root, "primaryKeys",
                  strings_json(schema->primary_keys, schema->primary_key_count));
    failed |= put(root, "options", strmap_json(&schema->options));
    if (schema->comment)
        failed |= put(root, "comment", json_string(schema->comment));
    failed |= put(root, "timeMillis", json_integer(schema->time_millis));
    return emit(root, failed, out, err);
}

/* Reads an array of strings at key into list/count. */
static ls_code read_strings(const json_t *root, const char *key, char ***list, size_t *count,
                            ls_error *err)
{
    const json_t *a = json_object_get(root, key);
    if (!a)
        return LS_OK;
    if (!json_is_array(a))
        return ls_error_set_field(err, LS_ERR_FORMAT, key, "'%s' is not an array", key);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *s = json_array_get(a, i);
        if (!json_is_string(s))
            return ls_error_set_field(err, LS_ERR_FORMAT, key, "'%s' holds a non-string", key);
        ls_code rc = push_string(list, count, json_string_value(s), err);
        if (rc)
            return rc;
    }
    return LS_OK;
}

static ls_code read_strmap(const json_t *root, const char *key, ls_paimon_strmap *map,
                           ls_error *err)
{
    const json_t *o = json_object_get(root, key), *v;
    const char *k;
    if (!o || json_is_null(o))
        return LS_OK;
    if (!json_is_object(o))
        return ls_error_set_field(err, LS_ERR_FORMAT, key, "'%s' is not an object", key);
    json_object_foreach((json_t *)o, k, v) {
        if (!json_is_string(v))
            return ls_error_set_field(err, LS_ERR_FORMAT, key, "'%s.%s' is not a string", key,
                                      k);
        ls_code rc = ls_paimon_strmap_set(map, k, json_string_value(v), err);
        if (rc)
            return rc;
    }
    return LS_OK;
}

static ls_code need_integer(const json_t *root, const char *key, int64_t *out, ls_error *err)
{
    const json_t *v = json_object_get(root, key);
    if (!json_is_integer(v))
        return ls_error_set_field(err, LS_ERR_FORMAT, key, "'%s' is missing or not an integer",
                                  key);
    *out = json_integer_value(v);
    return LS_OK;
}

static ls_code opt_integer(const json_t *root, const char *key, int64_t *out, ls_error *err)
{
    const json_t *v = json_object_get(root, key);
    *out = LS_PAIMON_ABSENT;
    if (!v || json_is_null(v))
        return LS_OK;
    if (!json_is_integer(v))
        return ls_error_set_field(err, LS_ERR_FORMAT, key, "'%s' is not an integer", key);
    *out = json_integer_value(v);
    return LS_OK;
}

static ls_code opt_string(const json_t *root, const char *key, char **out, ls_error *err)
{
    const json_t *v = json_object_get(root, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return LS_OK;
    if (!json_is_string(v))
        return ls_error_set_field(err, LS_ERR_FORMAT, key, "'%s' is not a string", key);
    return (*out = strdup(json_string_value(v))) ? LS_OK : nomem(err);
}

static ls_code need_string(const json_t *root, const char *key, char **out, ls_error *err)
{
    ls_code rc = opt_string(root, key, out, err);
    if (rc == LS_OK && !*out)
        rc = ls_error_set_field(err, LS_ERR_FORMAT, key, "'%s' is missing", key);
    return rc;
}

static ls_code parse_json(const char *json, size_t len, const char *what, json_t **out,
                          ls_error *err)
{
    if (len > LS_PAIMON_MAX_JSON_BYTES)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "%s JSON of %zu bytes is over the cap", what,
                            len);
    json_error_t jerr;
    *out = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!*out)
        return ls_error_set(err, LS_ERR_FORMAT, "%s JSON: %s (line %d)", what, jerr.text,
                            jerr.line);
    if (!json_is_object(*out)) {
        json_decref(*out);
        return ls_error_set(err, LS_ERR_FORMAT, "%s JSON is not an object", what);
    }
    return LS_OK;
}

static ls_code read_schema_fields(const json_t *root, ls_paimon_schema *out, ls_error *err)
{
    const json_t *fields = json_object_get(root, "fields");
    if (!json_is_array(fields))
        return ls_error_set_field(err, LS_ERR_FORMAT, "fields", "'fields' is not an array");
    for (size_t i = 0; i < json_array_size(fields); i++) {
        const json_t *f = json_array_get(fields, i);
        int64_t id = 0;
        const json_t *name = json_object_get(f, "name"), *type = json_object_get(f, "type");
        const json_t *desc = json_object_get(f, "description");
        ls_code rc = need_integer(f, "id", &id, err);
        if (rc)
            return rc;
        if (!json_is_string(name) || id < 0 || id > INT32_MAX)
            return ls_error_set_field(err, LS_ERR_FORMAT, "fields", "field %zu is malformed", i);
        if (!json_is_string(type))
            return ls_error_set_field(err, LS_ERR_UNPROCESSABLE, json_string_value(name),
                                      "field '%s' has a nested type", json_string_value(name));
        ls_paimon_type t;
        rc = ls_paimon_type_parse(json_string_value(type), &t, err);
        if (rc == LS_OK)
            rc = schema_push_field(out, (int32_t)id, json_string_value(name), t,
                                   json_is_string(desc) ? json_string_value(desc) : NULL, err);
        if (rc)
            return rc;
    }
    return LS_OK;
}

ls_code ls_paimon_schema_from_json(const char *json, size_t len, ls_paimon_schema *out,
                                   ls_error *err)
{
    memset(out, 0, sizeof *out);
    json_t *root = NULL;
    ls_code rc = parse_json(json, len, "schema", &root, err);
    if (rc)
        return rc;
    int64_t version = 0, highest = 0;
    const json_t *comment = json_object_get(root, "comment");
    rc = need_integer(root, "version", &version, err);
    if (rc == LS_OK)
        rc = need_integer(root, "id", &out->id, err);
    if (rc == LS_OK)
        rc = read_schema_fields(root, out, err);
    if (rc == LS_OK)
        rc = need_integer(root, "highestFieldId", &highest, err);
    if (rc == LS_OK)
        rc = read_strings(root, "partitionKeys", &out->partition_keys,
                          &out->partition_key_count, err);
    if (rc == LS_OK)
        rc = read_strings(root, "primaryKeys", &out->primary_keys, &out->primary_key_count, err);
    if (rc == LS_OK)
        rc = read_strmap(root, "options", &out->options, err);
    if (rc == LS_OK && json_is_string(comment) &&
        !(out->comment = strdup(json_string_value(comment))))
        rc = nomem(err);
    if (rc == LS_OK)
        rc = need_integer(root, "timeMillis", &out->time_millis, err);
    out->version = (int32_t)version;
    out->highest_field_id = (int32_t)highest;
    json_decref(root);
    if (rc)
        ls_paimon_schema_cleanup(out);
    return rc;
}

/* --------------------------------------------------------------------------
 * Snapshots.
 */
void ls_paimon_snapshot_cleanup(ls_paimon_snapshot *s)
{
    free(s->base_manifest_list);
    free(s->delta_manifest_list);
    free(s->changelog_manifest_list);
    free(s->index_manifest);
    free(s->commit_user);
    free(s->commit_kind);
    free(s->statistics);
    ls_paimon_strmap_cleanup(&s->properties);
    memset(s, 0, sizeof *s);
}

ls_code ls_paimon_snapshot_copy(const ls_paimon_snapshot *s, ls_paimon_snapshot *out,
                                ls_error *err)
{
    *out = *s;
    out->base_manifest_list = dup_str(s->base_manifest_list);
    out->delta_manifest_list = dup_str(s->delta_manifest_list);
    out->changelog_manifest_list = dup_str(s->changelog_manifest_list);
    out->index_manifest = dup_str(s->index_manifest);
    out->commit_user = dup_str(s->commit_user);
    out->commit_kind = dup_str(s->commit_kind);
    out->statistics = dup_str(s->statistics);
    ls_code rc = strmap_copy(&s->properties, &out->properties, err);
    if (rc == LS_OK && ((s->base_manifest_list && !out->base_manifest_list) ||
                        (s->delta_manifest_list && !out->delta_manifest_list) ||
                        (s->changelog_manifest_list && !out->changelog_manifest_list) ||
                        (s->index_manifest && !out->index_manifest) ||
                        (s->commit_user && !out->commit_user) ||
                        (s->commit_kind && !out->commit_kind) ||
                        (s->statistics && !out->statistics)))
        rc = nomem(err);
    if (rc)
        ls_paimon_snapshot_cleanup(out);
    return rc;
}

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

ls_code ls_paimon_snapshot_to_json(const ls_paimon_snapshot *s, ls_buf *out, ls_error *err)
{
    json_t *root = json_object();
    int failed = !root;
    failed |= put(root, "version", json_integer(s->version));
    failed |= put(root, "id", json_integer(s->id));
    failed |= put(root, "schemaId", json_integer(s->schema_id));
    failed |= put(root, "baseManifestList", string_or_null(s->base_manifest_list));
    if (s->base_manifest_list_size != LS_PAIMON_ABSENT)
        failed |= put(root, "baseManifestListSize", json_integer(s->base_manifest_list_size));
    failed |= put(root, "deltaManifestList", string_or_null(s->delta_manifest_list));
    if (s->delta_manifest_list_size != LS_PAIMON_ABSENT)
        failed |= put(root, "deltaManifestListSize", json_integer(s->delta_manifest_list_size));
    failed |= put(root, "changelogManifestList", string_or_null(s->changelog_manifest_list));
    if (s->changelog_manifest_list_size != LS_PAIMON_ABSENT)
        failed |= put(root, "changelogManifestListSize",
                      json_integer(s->changelog_manifest_list_size));
    if (s->index_manifest)
        failed |= put(root, "indexManifest", json_string(s->index_manifest));
    failed |= put(root, "commitUser", string_or_null(s->commit_user));
    failed |= put(root, "commitIdentifier", json_integer(s->commit_identifier));
    failed |= put(root, "commitKind", string_or_null(s->commit_kind));
    failed |= put(root, "timeMillis", json_integer(s->time_millis));
    failed |= put(root, "logOffsets", json_object());
    failed |= put(root, "totalRecordCount", json_integer(s->total_record_count));
    failed |= put(root, "deltaRecordCount", json_integer(s->delta_record_count));
    if (s->changelog_record_count != LS_PAIMON_ABSENT)
        failed |= put(root, "changelogRecordCount", json_integer(s->changelog_record_count));
    if (s->watermark != LS_PAIMON_ABSENT)
        failed |= put(root, "watermark", json_integer(s->watermark));
    if (s->statistics)
        failed |= put(root, "statistics", json_string(s->statistics));
    if (s->properties.count)
        failed |= put(root, "properties", strmap_json(&s->properties));
    if (s->next_row_id != LS_PAIMON_ABSENT)
        failed |= put(root, "nextRowId", json_integer(s->next_row_id));
    return emit(root, failed, out, err);
}

ls_code ls_paimon_snapshot_from_json(const char *json, size_t len, ls_paimon_snapshot *out,
                                     ls_error *err)
{
    memset(out, 0, sizeof *out);
    json_t *root = NULL;
    ls_code rc = parse_json(json, len, "snapshot", &root, err);
    if (rc)
        return rc;
    int64_t version = 0;
    rc = need_integer(root, "version", &version, err);
    if (rc == LS_OK)
        rc = need_integer(root, "id", &out->id, err);
    if (rc == LS_OK)
        rc = need_integer(root, "schemaId", &out->schema_id, err);
    if (rc == LS_OK)
        rc = need_string(root, "baseManifestList", &out->base_manifest_list, err);
    if (rc == LS_OK)
        rc = opt_integer(root, "baseManifestListSize", &out->base_manifest_list_size, err);
    if (rc == LS_OK)
        rc = need_string(root, "deltaManifestList", &out->delta_manifest_list, err);
    if (rc == LS_OK)
        rc = opt_integer(root, "deltaManifestListSize", &out->delta_manifest_list_size, err);
    if (rc == LS_OK)
        rc = opt_string(root, "changelogManifestList", &out->changelog_manifest_list, err);
    if (rc == LS_OK)
        rc = opt_integer(root, "changelogManifestListSize", &out->changelog_manifest_list_size,
                         err);
    if (rc == LS_OK)
        rc = opt_string(root, "indexManifest", &out->index_manifest, err);
    if (rc == LS_OK)
        rc = need_string(root, "commitUser", &out->commit_user, err);
    if (rc == LS_OK)
        rc = need_integer(root, "commitIdentifier", &out->commit_identifier, err);
    if (rc == LS_OK)
        rc = need_string(root, "commitKind", &out->commit_kind, err);
    if (rc == LS_OK)
        rc = need_integer(root, "timeMillis", &out->time_millis, err);
    if (rc == LS_OK)
        rc = need_integer(root, "totalRecordCount", &out->total_record_count, err);
    if (rc == LS_OK)
        rc = need_integer(root, "deltaRecordCount", &out->delta_record_count, err);
    if (rc == LS_OK)
        rc = opt_integer(root, "changelogRecordCount", &out->changelog_record_count, err);
    if (rc == LS_OK)
        rc = opt_integer(root, "watermark", &out->watermark, err);
    if (rc == LS_OK)
        rc = opt_string(root, "statistics", &out->statistics, err);
    if (rc == LS_OK)
        rc = read_strmap(root, "properties", &out->properties, err);
    if (rc == LS_OK)
        rc = opt_integer(root, "nextRowId", &out->next_row_id, err);
    out->version = (int32_t)version;
    json_decref(root);
    if (rc)
        ls_paimon_snapshot_cleanup(out);
    return rc;
}

/* --------------------------------------------------------------------------
 * Stats and data files.
 */
static ls_code bytes_from_buf(ls_paimon_bytes *b, ls_buf *buf, ls_error *err)
{
    free(b->data);
    b->data = ls_buf_take(buf, &b->len);
    return b->data ? LS_OK : nomem(err);
}

static ls_code bytes_set(ls_paimon_bytes *b, const void *data, size_t len, ls_error *err)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return nomem(err);
    if (len)
        memcpy(copy, data, len);
    free(b->data);
    b->data = copy;
    b->len = len;
    return LS_OK;
}

void ls_paimon_stats_cleanup(ls_paimon_stats *stats)
{
    free(stats->min_values.data);
    free(stats->max_values.data);
    free(stats->null_counts);
    memset(stats, 0, sizeof *stats);
}

ls_code ls_paimon_stats_set_empty(ls_paimon_stats *stats, ls_error *err)
{
    ls_paimon_stats_cleanup(stats);
    ls_code rc = bytes_set(&stats->min_values, ls_paimon_empty_row, sizeof ls_paimon_empty_row,
                           err);
    if (rc == LS_OK)
        rc = bytes_set(&stats->max_values, ls_paimon_empty_row, sizeof ls_paimon_empty_row, err);
    return rc;
}

ls_code ls_paimon_stats_set(ls_paimon_stats *stats, const ls_paimon_type *types,
                            const ls_paimon_datum *mins, const ls_paimon_datum *maxs,
                            const int64_t *null_counts, size_t n, ls_error *err)
{
    ls_paimon_stats_cleanup(stats);
    ls_buf buf;
    ls_buf_init(&buf, (size_t)256 << 20);
    ls_code rc = ls_paimon_binaryrow_serialize(types, mins, n, &buf, err);
    if (rc == LS_OK)
        rc = bytes_from_buf(&stats->min_values, &buf, err);
    if (rc == LS_OK)
        rc = ls_paimon_binaryrow_serialize(types, maxs, n, &buf, err);
    if (rc == LS_OK)
        rc = bytes_from_buf(&stats->max_values, &buf, err);
    ls_buf_cleanup(&buf);
    if (rc == LS_OK && n) {
        stats->null_counts = malloc(n * sizeof *stats->null_counts);
        if (!stats->null_counts)
            rc = nomem(err);
        for (size_t i = 0; rc == LS_OK && i < n; i++)
            stats->null_counts[i] = null_counts ? null_counts[i] : LS_PAIMON_ABSENT;
        stats->null_count_count = n;
    }
    if (rc)
        ls_paimon_stats_cleanup(stats);
    return rc;
}

void ls_paimon_data_file_cleanup(ls_paimon_data_file *f)
{
    free(f->file_name);
    free(f->min_key.data);
    free(f->max_key.data);
    ls_paimon_stats_cleanup(&f->key_stats);
    ls_paimon_stats_cleanup(&f->value_stats);
    free_strings(f->extra_files, f->extra_file_count);
    free(f->embedded_file_index.data);
    free_strings(f->value_stats_cols, f->value_stats_col_count);
    free(f->external_path);
    memset(f, 0, sizeof *f);
}

ls_code ls_paimon_data_file_init_append(ls_paimon_data_file *f, const char *file_name,
                                        int64_t file_size, int64_t row_count, int64_t schema_id,
                                        int64_t creation_time_millis, ls_error *err)
{
    memset(f, 0, sizeof *f);
    f->file_size = file_size;
    f->row_count = row_count;
    f->min_sequence_number = 0;
    f->max_sequence_number = row_count > 0 ? row_count - 1 : 0;
    f->schema_id = schema_id;
    f->level = 0;
    f->creation_time_millis = creation_time_millis;
    f->delete_row_count = 0;
    f->file_source = LS_PAIMON_FILE_SOURCE_APPEND;
    f->value_stats_cols_is_null = true;
    f->first_row_id = LS_PAIMON_ABSENT;
    ls_code rc = (f->file_name = strdup(file_name)) ? LS_OK : nomem(err);
    if (rc == LS_OK)
        rc = bytes_set(&f->min_key, ls_paimon_empty_row, sizeof ls_paimon_empty_row, err);
    if (rc == LS_OK)
        rc = bytes_set(&f->max_key, ls_paimon_empty_row, sizeof ls_paimon_empty_row, err);
    if (rc == LS_OK)
        rc = ls_paimon_stats_set_empty(&f->key_stats, err);
    if (rc == LS_OK)
        rc = ls_paimon_stats_set_empty(&f->value_stats, err);
    if (rc)
        ls_paimon_data_file_cleanup(f);
    return rc;
}

void ls_paimon_manifest_entry_cleanup(ls_paimon_manifest_entry *e)
{
    free(e->partition.data);
    ls_paimon_data_file_cleanup(&e->file);
    memset(e, 0, sizeof *e);
}

void ls_paimon_manifest_entries_free(ls_paimon_manifest_entry *entries, size_t count)
{
    for (size_t i = 0; entries && i < count; i++)
        ls_paimon_manifest_entry_cleanup(&entries[i]);
    free(entries);
}

void ls_paimon_manifest_meta_cleanup(ls_paimon_manifest_meta *m)
{
    free(m->file_name);
    ls_paimon_stats_cleanup(&m->partition_stats);
    memset(m, 0, sizeof *m);
}

void ls_paimon_manifest_metas_free(ls_paimon_manifest_meta *metas, size_t count)
{
    for (size_t i = 0; metas && i < count; i++)
        ls_paimon_manifest_meta_cleanup(&metas[i]);
    free(metas);
}

ls_code ls_paimon_manifest_meta_copy(const ls_paimon_manifest_meta *m,
                                     ls_paimon_manifest_meta *out, ls_error *err)
{
    *out = *m;
    memset(&out->partition_stats, 0, sizeof out->partition_stats);
    out->file_name = strdup(m->file_name);
    const ls_paimon_stats *s = &m->partition_stats;
    ls_paimon_stats *d = &out->partition_stats;
    ls_code rc = out->file_name ? LS_OK : nomem(err);
    if (rc == LS_OK)
        rc = bytes_set(&d->min_values, s->min_values.data, s->min_values.len, err);
    if (rc == LS_OK)
        rc = bytes_set(&d->max_values, s->max_values.data, s->max_values.len, err);
    d->null_counts_is_null = s->null_counts_is_null;
    if (rc == LS_OK && s->null_count_count) {
        d->null_counts = malloc(s->null_count_count * sizeof *d->null_counts);
        if (!d->null_counts)
            rc = nomem(err);
        else
            memcpy(d->null_counts, s->null_counts, s->null_count_count * sizeof *d->null_counts);
        d->null_count_count = s->null_count_count;
    }
    if (rc)
        ls_paimon_manifest_meta_cleanup(out);
    return rc;
}

/* --------------------------------------------------------------------------
 * Partition paths.
 */

/* PartitionPathUtils.CHAR_TO_ESCAPE: control characters, DEL and
 * "#%'*\/:=?\\{}[]^. Bytes >= 0x80 (UTF-8 of non-ASCII) are never escaped. */
static int needs_escaping(unsigned char c)
{
    return c < 0x20 || c == 0x7f || (c < 0x80 && strchr("\"#%'*/:=?\\{}[]^", c) != NULL);
}

static ls_code append_escaped(ls_buf *out, const uint8_t *s, size_t len, ls_error *err)
{
    ls_code rc = LS_OK;
    for (size_t i = 0; rc == LS_OK && i < len; i++)
        rc = needs_escaping(s[i]) ? ls_buf_printf(out, err, "%%%02X", s[i])
                                  : ls_buf_append_byte(out, s[i], err);
    return rc;
}

/* Java's Character.isWhitespace over the UTF-8 text (StringUtils.isNullOrWhitespaceOnly). */
static int is_blank(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint32_t c = s[i];
        size_t n = 1;
        if (c >= 0xe0 && c < 0xf0 && i + 2 < len) {
            c = ((c & 0x0f) << 12) | ((uint32_t)(s[i + 1] & 0x3f) << 6) | (s[i + 2] & 0x3f);
            n = 3;
        } else if (c >= 0xc0 && c < 0xe0 && i + 1 < len) {
            c = ((c & 0x1f) << 6) | (s[i + 1] & 0x3f);
            n = 2;
        }
        int ws = (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x1680 ||
                 (c >= 0x2000 && c <= 0x2006) || (c >= 0x2008 && c <= 0x200a) || c == 0x2028 ||
                 c == 0x2029 || c == 0x205f || c == 0x3000;
        if (!ws)
            return 0;
        i += n;
    }
    return 1;
}

/* Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm). */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* java.time.LocalDateTime.toString(): yyyy-MM-ddTHH:mm[:ss[.fff|.ffffff|.fffffffff]]. */
static ls_code format_local_date_time(int64_t millis, int32_t nanos_of_milli, char *out,
                                      size_t size, ls_error *err)
{
    int64_t days = millis / 86400000, ms = millis % 86400000;
    if (ms < 0) {
        days--;
        ms += 86400000;
    }
    int64_t year;
    int month, day;
    civil_from_days(days, &year, &month, &day);
    if (year < 0 || year > 9999)
        return ls_error_set(err, LS_ERR_UNPROCESSABLE,
                            "timestamp partition value out of years 0000-9999");
    int64_t nano = (ms % 1000) * 1000000 + nanos_of_milli;
    int secs = (int)(ms / 1000);
    int n = snprintf(out, size, "%04d-%02d-%02dT%02d:%02d", (int)year, month, day, secs / 3600,
                     secs / 60 % 60);
    if (secs % 60 || nano) {
        n += snprintf(out + n, size - (size_t)n, ":%02d", secs % 60);
        if (nano % 1000000 == 0 && nano)
            snprintf(out + n, size - (size_t)n, ".%03d", (int)(nano / 1000000));
        else if (nano % 1000 == 0 && nano)
            snprintf(out + n, size - (size_t)n, ".%06d", (int)(nano / 1000));
        else if (nano)
            snprintf(out + n, size - (size_t)n, ".%09d", (int)nano);
    }
    return LS_OK;
}

/* BigDecimal.toPlainString() of unscaled * 10^-scale. */
static void format_decimal(ls_int128 unscaled, int scale, char *out, size_t size)
{
    char digits[48];
    int n = 0, neg = unscaled < 0;
    do {
        int r = (int)(unscaled % 10);
        digits[n++] = (char)('0' + (r < 0 ? -r : r));
        unscaled /= 10;
    } while (unscaled != 0);
    while (n <= scale)
        digits[n++] = '0';
    size_t o = 0;
    if (neg && o + 1 < size)
        out[o++] = '-';
    for (int i = n - 1; i >= 0 && o + 2 < size; i--) {
        out[o++] = digits[i];
        if (i == scale && scale > 0)
            out[o++] = '.';
    }
    out[o] = '\0';
}

static ls_code partition_value_text(const ls_paimon_type *t, const ls_paimon_datum *d,
                                    char *text, size_t size, const uint8_t **data, size_t *len,
                                    ls_error *err)
{
    ls_code rc = LS_OK;
    *data = (const uint8_t *)text;
    switch (t->kind) {
    case LS_PAIMON_BOOLEAN: snprintf(text, size, "%s", d->v.b ? "true" : "false"); break;
    case LS_PAIMON_TINYINT:
    case LS_PAIMON_SMALLINT:
    case LS_PAIMON_INT:
    case LS_PAIMON_DATE: snprintf(text, size, "%d", (int)d->v.i32); break;
    case LS_PAIMON_BIGINT: snprintf(text, size, "%" PRId64, d->v.i64); break;
    case LS_PAIMON_DECIMAL: format_decimal(d->v.unscaled, t->scale, text, size); break;
    case LS_PAIMON_STRING:
        *data = d->v.bytes.data;
        *len = d->v.bytes.len;
        return LS_OK;
    case LS_PAIMON_TIMESTAMP:
    case LS_PAIMON_TIMESTAMP_LTZ:
        rc = format_local_date_time(d->v.ts.millis, d->v.ts.nanos_of_milli, text, size, err);
        break;
    case LS_PAIMON_FLOAT:
    case LS_PAIMON_DOUBLE:
    case LS_PAIMON_BYTES:
        return ls_error_set(err, LS_ERR_UNPROCESSABLE,
                            "FLOAT, DOUBLE and BYTES partition keys are not supported");
    }
    *len = strlen(text);
    return rc;
}

ls_code ls_paimon_partition_path(char *const *names, const ls_paimon_type *types,
                                 const ls_paimon_datum *values, size_t count,
                                 const char *default_name, ls_buf *out, ls_error *err)
{
    if (!default_name)
        default_name = LS_PAIMON_DEFAULT_PARTITION_NAME;
    for (size_t i = 0; i < count; i++) {
        char text[96];
        const uint8_t *data = (const uint8_t *)default_name;
        size_t len = strlen(default_name);
        if (!names[i][0])
            return ls_error_set(err, LS_ERR_INVALID, "empty partition key name");
        if (!values[i].is_null) {
            ls_code rc = partition_value_text(&types[i], &values[i], text, sizeof text, &data,
                                              &len, err);
            if (rc)
                return rc;
            if (len == 0 || is_blank(data, len)) {
                data = (const uint8_t *)default_name;
                len = strlen(default_name);
            }
        }
        ls_code rc = append_escaped(out, (const uint8_t *)names[i], strlen(names[i]), err);
        if (rc == LS_OK)
            rc = ls_buf_append_byte(out, '=', err);
        if (rc == LS_OK)
            rc = append_escaped(out, data, len, err);
        if (rc == LS_OK)
            rc = ls_buf_append_byte(out, '/', err);
        if (rc)
            return rc;
    }
    return LS_OK;
}

ls_code ls_paimon_data_file_path(const ls_paimon_schema *schema, const uint8_t *partition,
                                 size_t partition_len, int32_t bucket, const char *file_name,
                                 ls_buf *out, ls_error *err)
{
    size_t n = schema->partition_key_count;
    ls_paimon_type *types = calloc(n ? n : 1, sizeof *types);
    ls_paimon_datum *values = calloc(n ? n : 1, sizeof *values);
    ls_code rc = types && values ? LS_OK : nomem(err);
    if (rc == LS_OK)
        rc = ls_paimon_schema_partition_types(schema, types, err);
    if (rc == LS_OK)
        rc = ls_paimon_binaryrow_deserialize(partition, partition_len, types, n, values, err);
    if (rc == LS_OK)
        rc = ls_paimon_partition_path(schema->partition_keys, types, values, n, 
                                      ls_paimon_strmap_get(&schema->options,
                                                           "partition.default-name"),
                                      out, err);
    if (rc == LS_OK)
        rc = ls_buf_printf(out, err, "bucket-%d/%s", (int)bucket, file_name);
    free(types);
    free(values);
    return rc;
}
