/* Iceberg schema and partition spec models and their JSON (spec Appendix C). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iceberg_types.h"

const char *ls_iceberg_type_name(ls_type type, char *out, size_t out_size)
{
    const char *name = "string";
    switch (type.kind) {
    case LS_TYPE_BOOLEAN: name = "boolean"; break;
    case LS_TYPE_INT: name = "int"; break;
    case LS_TYPE_BIGINT: name = "long"; break;
    case LS_TYPE_FLOAT: name = "float"; break;
    case LS_TYPE_DOUBLE: name = "double"; break;
    case LS_TYPE_DECIMAL:
        snprintf(out, out_size, "decimal(%u, %u)", type.precision, type.scale);
        return out;
    case LS_TYPE_STRING: name = "string"; break;
    case LS_TYPE_DATE: name = "date"; break;
    case LS_TYPE_TIMESTAMP: name = "timestamp"; break;
    case LS_TYPE_TIMESTAMPTZ: name = "timestamptz"; break;
    case LS_TYPE_BINARY: name = "binary"; break;
    }
    snprintf(out, out_size, "%s", name);
    return out;
}

ls_code ls_iceberg_type_parse(const char *name, ls_type *out, ls_error *err)
{
    static const struct {
        const char *name;
        ls_type_kind kind;
    } simple[] = {
        {"boolean", LS_TYPE_BOOLEAN},  {"int", LS_TYPE_INT},           {"long", LS_TYPE_BIGINT},
        {"float", LS_TYPE_FLOAT},      {"double", LS_TYPE_DOUBLE},     {"string", LS_TYPE_STRING},
        {"date", LS_TYPE_DATE},        {"timestamp", LS_TYPE_TIMESTAMP},
        {"timestamptz", LS_TYPE_TIMESTAMPTZ}, {"binary", LS_TYPE_BINARY},
    };
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
        if (strcmp(name, simple[i].name) == 0) {
            *out = (ls_type){.kind = simple[i].kind};
            return LS_OK;
        }
    }
    if (strncmp(name, "decimal", 7) == 0) {
        /* ls_type_parse accepts "decimal(P,S)" with spaces inside. */
        ls_type t;
        if (ls_type_parse(name, &t, NULL) == LS_OK && t.kind == LS_TYPE_DECIMAL) {
            *out = t;
            return LS_OK;
        }
        return ls_error_set(err, LS_ERR_INVALID, "invalid Iceberg decimal type '%.64s'", name);
    }
    return ls_error_set(err, LS_ERR_UNPROCESSABLE, "Iceberg type '%.64s' is not supported", name);
}

void ls_iceberg_schema_init(ls_iceberg_schema *s, int32_t schema_id)
{
    s->schema_id = schema_id;
    s->field_count = 0;
    s->fields = NULL;
}

void ls_iceberg_schema_cleanup(ls_iceberg_schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->field_count; i++) {
        free(s->fields[i].name);
        free(s->fields[i].doc);
    }
    free(s->fields);
    s->fields = NULL;
    s->field_count = 0;
}

const ls_iceberg_field *ls_iceberg_schema_find_id(const ls_iceberg_schema *s, int32_t id)
{
    for (size_t i = 0; i < s->field_count; i++)
        if (s->fields[i].id == id)
            return &s->fields[i];
    return NULL;
}

const ls_iceberg_field *ls_iceberg_schema_find_name(const ls_iceberg_schema *s, const char *name)
{
    for (size_t i = 0; i < s->field_count; i++)
        if (strcmp(s->fields[i].name, name) == 0)
            return &s->fields[i];
    return NULL;
}

int32_t ls_iceberg_schema_max_id(const ls_iceberg_schema *s)
{
    int32_t max = 0;
    for (size_t i = 0; i < s->field_count; i++)
        if (s->fields[i].id > max)
            max = s->fields[i].id;
    return max;
}

ls_code ls_iceberg_schema_add(ls_iceberg_schema *s, int32_t id, const char *name, ls_type type,
                              int required, ls_error *err)
{
    size_t name_len = strlen(name);
    if (id < 1)
        return ls_error_set(err, LS_ERR_INVALID, "Iceberg field id %d must be positive", id);
    if (name_len == 0 || name_len > LS_ICEBERG_MAX_NAME_BYTES)
        return ls_error_set(err, LS_ERR_INVALID, "Iceberg field name must be 1 to %d bytes",
                            LS_ICEBERG_MAX_NAME_BYTES);
    if (ls_iceberg_schema_find_id(s, id))
        return ls_error_set(err, LS_ERR_INVALID, "duplicate Iceberg field id %d", id);
    if (ls_iceberg_schema_find_name(s, name))
        return ls_error_set(err, LS_ERR_INVALID, "duplicate Iceberg field name '%.64s'", name);
    if (s->field_count >= LS_ICEBERG_MAX_FIELDS)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "more than %d fields in a schema",
                            LS_ICEBERG_MAX_FIELDS);
    ls_iceberg_field *f = realloc(s->fields, (s->field_count + 1) * sizeof *f);
    if (!f)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory adding a schema field");
    s->fields = f;
    ls_iceberg_field *nf = &f[s->field_count];
    nf->name = strdup(name);
    if (!nf->name)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory adding a schema field");
    nf->id = id;
    nf->type = type;
    nf->required = required ? 1 : 0;
    nf->doc = NULL;
    s->field_count++;
    return LS_OK;
}

ls_code ls_iceberg_schema_copy(const ls_iceberg_schema *from, ls_iceberg_schema *to,
                               ls_error *err)
{
    ls_iceberg_schema_init(to, from->schema_id);
    for (size_t i = 0; i < from->field_count; i++) {
        const ls_iceberg_field *f = &from->fields[i];
        ls_code rc = ls_iceberg_schema_add(to, f->id, f->name, f->type, f->required, err);
        if (!rc && f->doc && !(to->fields[i].doc = strdup(f->doc)))
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory copying a schema");
        if (rc) {
            ls_iceberg_schema_cleanup(to);
            return rc;
        }
    }
    return LS_OK;
}

json_t *ls_iceberg_schema_to_json(const ls_iceberg_schema *s)
{
    json_t *fields = json_array();
    json_t *root = json_object();
    if (!fields || !root)
        goto fail;
    for (size_t i = 0; i < s->field_count; i++) {
        const ls_iceberg_field *f = &s->fields[i];
        char type[32];
        json_t *jf = json_object();
        if (!jf || json_array_append_new(fields, jf) ||
            json_object_set_new(jf, "id", json_integer(f->id)) ||
            json_object_set_new(jf, "name", json_string(f->name)) ||
            json_object_set_new(jf, "required", json_boolean(f->required)) ||
            json_object_set_new(jf, "type",
                                json_string(ls_iceberg_type_name(f->type, type, sizeof type))) ||
            (f->doc && json_object_set_new(jf, "doc", json_string(f->doc))))
            goto fail;
    }
    if (json_object_set_new(root, "type", json_string("struct")) ||
        json_object_set_new(root, "schema-id", json_integer(s->schema_id)) ||
        json_object_set(root, "fields", fields))
        goto fail;
    json_decref(fields);
    return root;
fail:
    json_decref(fields);
    json_decref(root);
    return NULL;
}

ls_code ls_iceberg_schema_from_json(const json_t *json, ls_iceberg_schema *out, ls_error *err)
{
    const json_t *id = json_object_get(json, "schema-id");
    const json_t *fields = json_object_get(json, "fields");
    if (!json_is_array(fields))
        return ls_error_set(err, LS_ERR_FORMAT, "Iceberg schema has no fields array");
    ls_iceberg_schema_init(out, json_is_integer(id) ? (int32_t)json_integer_value(id) : 0);
    size_t i;
    const json_t *f;
    ls_code rc = LS_OK;
    json_array_foreach(fields, i, f) {
        const json_t *fid = json_object_get(f, "id"), *name = json_object_get(f, "name");
        const json_t *req = json_object_get(f, "required"), *type = json_object_get(f, "type");
        if (!json_is_integer(fid) || !json_is_string(name) || !type ||
            json_integer_value(fid) < 1 || json_integer_value(fid) > INT32_MAX) {
            rc = ls_error_set(err, LS_ERR_FORMAT, "Iceberg schema field %zu is malformed", i);
            break;
        }
        if (!json_is_string(type)) {
            rc = ls_error_set(err, LS_ERR_UNPROCESSABLE,
                              "Iceberg field '%.64s' has a nested type", json_string_value(name));
            break;
        }
        ls_type t;
        if ((rc = ls_iceberg_type_parse(json_string_value(type), &t, err)))
            break;
        if ((rc = ls_iceberg_schema_add(out, (int32_t)json_integer_value(fid),
                                        json_string_value(name), t, json_is_true(req), err)))
            break;
        const json_t *doc = json_object_get(f, "doc");
        if (json_is_string(doc) &&
            !(out->fields[out->field_count - 1].doc = strdup(json_string_value(doc)))) {
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory reading a schema");
            break;
        }
    }
    if (rc)
        ls_iceberg_schema_cleanup(out);
    return rc;
}

void ls_iceberg_spec_init(ls_iceberg_partition_spec *spec, int32_t spec_id)
{
    spec->spec_id = spec_id;
    spec->field_count = 0;
    spec->fields = NULL;
}

void ls_iceberg_spec_cleanup(ls_iceberg_partition_spec *spec)
{
    if (!spec)
        return;
    for (size_t i = 0; i < spec->field_count; i++)
        free(spec->fields[i].name);
    free(spec->fields);
    spec->fields = NULL;
    spec->field_count = 0;
}

int32_t ls_iceberg_spec_last_field_id(const ls_iceberg_partition_spec *spec)
{
    int32_t last = LS_ICEBERG_FIRST_PARTITION_FIELD_ID - 1;
    for (size_t i = 0; i < spec->field_count; i++)
        if (spec->fields[i].field_id > last)
            last = spec->fields[i].field_id;
    return last;
}

static ls_code spec_append(ls_iceberg_partition_spec *spec, int32_t source_id, int32_t field_id,
                           const char *name, ls_iceberg_transform t, ls_error *err)
{
    for (size_t i = 0; i < spec->field_count; i++) {
        if (spec->fields[i].field_id == field_id)
            return ls_error_set(err, LS_ERR_INVALID, "duplicate partition field id %d", field_id);
        if (strcmp(spec->fields[i].name, name) == 0)
            return ls_error_set(err, LS_ERR_INVALID, "duplicate partition field name '%.64s'",
                                name);
    }
    if (spec->field_count >= LS_ICEBERG_MAX_PARTITION_FIELDS)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "more than %d partition fields",
                            LS_ICEBERG_MAX_PARTITION_FIELDS);
    ls_iceberg_partition_field *f = realloc(spec->fields, (spec->field_count + 1) * sizeof *f);
    if (!f)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory adding a partition field");
    spec->fields = f;
    ls_iceberg_partition_field *nf = &f[spec->field_count];
    if (!(nf->name = strdup(name)))
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory adding a partition field");
    nf->source_id = source_id;
    nf->field_id = field_id;
    nf->transform = t;
    spec->field_count++;
    return LS_OK;
}

ls_code ls_iceberg_spec_copy(const ls_iceberg_partition_spec *from, ls_iceberg_partition_spec *to,
                             ls_error *err)
{
    ls_iceberg_spec_init(to, from->spec_id);
    for (size_t i = 0; i < from->field_count; i++) {
        const ls_iceberg_partition_field *f = &from->fields[i];
        ls_code rc = spec_append(to, f->source_id, f->field_id, f->name, f->transform, err);
        if (rc) {
            ls_iceberg_spec_cleanup(to);
            return rc;
        }
    }
    return LS_OK;
}

ls_code ls_iceberg_partition_default_name(ls_iceberg_transform t, const char *source_name,
                                          char *out, size_t out_size, ls_error *err)
{
    int n;
    switch (t.kind) {
    case LS_ICEBERG_IDENTITY: n = snprintf(out, out_size, "%s", source_name); break;
    case LS_ICEBERG_YEAR: n = snprintf(out, out_size, "%s_year", source_name); break;
    case LS_ICEBERG_MONTH: n = snprintf(out, out_size, "%s_month", source_name); break;
    case LS_ICEBERG_DAY: n = snprintf(out, out_size, "%s_day", source_name); break;
    case LS_ICEBERG_HOUR: n = snprintf(out, out_size, "%s_hour", source_name); break;
    case LS_ICEBERG_BUCKET:
        n = snprintf(out, out_size, "%s_bucket_%d", source_name, (int)t.param);
        break;
    case LS_ICEBERG_TRUNCATE:
        n = snprintf(out, out_size, "%s_trunc_%d", source_name, (int)t.param);
        break;
    default: n = snprintf(out, out_size, "%s_null", source_name); break;
    }
    if (n < 0 || (size_t)n >= out_size)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "partition field name too long");
    return LS_OK;
}

ls_code ls_iceberg_spec_add(ls_iceberg_partition_spec *spec, const ls_iceberg_schema *schema,
                            const char *source_name, const char *transform, const char *name,
                            int32_t field_id, ls_error *err)
{
    const ls_iceberg_field *src = ls_iceberg_schema_find_name(schema, source_name);
    if (!src)
        return ls_error_set(err, LS_ERR_INVALID, "partition source column '%.64s' does not exist",
                            source_name);
    ls_iceberg_transform t;
    ls_type result;
    ls_code rc = ls_iceberg_transform_parse(transform, &t, err);
    if (!rc)
        rc = ls_iceberg_transform_result_type(t, src->type, &result, err);
    if (rc)
        return rc;
    char default_name[LS_ICEBERG_MAX_NAME_BYTES + 32];
    if (!name) {
        if ((rc = ls_iceberg_partition_default_name(t, source_name, default_name,
                                                    sizeof default_name, err)))
            return rc;
        name = default_name;
    }
    if (*name == '\0' || strlen(name) > LS_ICEBERG_MAX_NAME_BYTES)
        return ls_error_set(err, LS_ERR_INVALID, "invalid partition field name");
    /* A partition name may equal its source column only for identity
     * (Java's PartitionSpec.Builder checkAndAddPartitionName rule). */
    const ls_iceberg_field *clash = ls_iceberg_schema_find_name(schema, name);
    if (clash && !(t.kind == LS_ICEBERG_IDENTITY && clash->id == src->id))
        return ls_error_set(err, LS_ERR_INVALID,
                            "partition field name '%.64s' conflicts with a column", name);
    if (field_id == 0)
        field_id = ls_iceberg_spec_last_field_id(spec) + 1;
    return spec_append(spec, src->id, field_id, name, t, err);
}

ls_code ls_iceberg_spec_field_type(const ls_iceberg_partition_spec *spec, size_t i,
                                   const ls_iceberg_schema *schema, ls_type *out, ls_error *err)
{
    const ls_iceberg_partition_field *f = &spec->fields[i];
    const ls_iceberg_field *src = ls_iceberg_schema_find_id(schema, f->source_id);
    if (!src)
        return ls_error_set(err, LS_ERR_FORMAT, "partition source id %d is not in the schema",
                            f->source_id);
    return ls_iceberg_transform_result_type(f->transform, src->type, out, err);
}

json_t *ls_iceberg_spec_fields_to_json(const ls_iceberg_partition_spec *spec)
{
    json_t *fields = json_array();
    if (!fields)
        return NULL;
    for (size_t i = 0; i < spec->field_count; i++) {
        const ls_iceberg_partition_field *f = &spec->fields[i];
        char t[32];
        json_t *jf = json_object();
        if (!jf || json_array_append_new(fields, jf) ||
            json_object_set_new(jf, "name", json_string(f->name)) ||
            json_object_set_new(jf, "transform",
                                json_string(ls_iceberg_transform_format(f->transform, t, sizeof t))) ||
            json_object_set_new(jf, "source-id", json_integer(f->source_id)) ||
            json_object_set_new(jf, "field-id", json_integer(f->field_id))) {
            json_decref(fields);
            return NULL;
        }
    }
    return fields;
}

json_t *ls_iceberg_spec_to_json(const ls_iceberg_partition_spec *spec)
{
    json_t *root = json_object();
    json_t *fields = ls_iceberg_spec_fields_to_json(spec);
    if (!root || !fields || json_object_set_new(root, "spec-id", json_integer(spec->spec_id)) ||
        json_object_set(root, "fields", fields)) {
        json_decref(root);
        json_decref(fields);
        return NULL;
    }
    json_decref(fields);
    return root;
}

ls_code ls_iceberg_spec_from_json(const json_t *json, ls_iceberg_partition_spec *out,
                                  ls_error *err)
{
    const json_t *id = json_object_get(json, "spec-id");
    const json_t *fields = json_is_array(json) ? json : json_object_get(json, "fields");
    if (!json_is_array(fields))
        return ls_error_set(err, LS_ERR_FORMAT, "Iceberg partition spec has no fields array");
    ls_iceberg_spec_init(out, json_is_integer(id) ? (int32_t)json_integer_value(id) : 0);
    size_t i;
    const json_t *f;
    json_array_foreach(fields, i, f) {
        const json_t *name = json_object_get(f, "name"), *tr = json_object_get(f, "transform");
        const json_t *src = json_object_get(f, "source-id"), *fid = json_object_get(f, "field-id");
        ls_iceberg_transform t;
        ls_code rc;
        if (!json_is_string(name) || !json_is_string(tr) || !json_is_integer(src)) {
            rc = ls_error_set(err, LS_ERR_FORMAT, "Iceberg partition field %zu is malformed", i);
        } else {
            /* v1 specs may omit field-id: ids are then assigned from 1000. */
            int32_t field_id = json_is_integer(fid)
                                   ? (int32_t)json_integer_value(fid)
                                   : LS_ICEBERG_FIRST_PARTITION_FIELD_ID + (int32_t)i;
            rc = ls_iceberg_transform_parse(json_string_value(tr), &t, err);
            if (!rc)
                rc = spec_append(out, (int32_t)json_integer_value(src), field_id,
                                 json_string_value(name), t, err);
        }
        if (rc) {
            ls_iceberg_spec_cleanup(out);
            return rc;
        }
    }
    return LS_OK;
}
