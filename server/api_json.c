#include "api_json.h"

#include <stdio.h>
#include <string.h>

ls_code api_json_body(const ls_api_request *req, bool allow_empty, json_t **out, ls_error *err)
{
    *out = NULL;
    const ls_http_request *http = req->http;
    if (http->body_len == 0) {
        if (!allow_empty)
            return ls_error_set_field(err, LS_ERR_INVALID, "body",
                                      "the request needs a JSON object body");
        *out = json_object();
        return *out ? LS_OK : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    }
    json_error_t jerr;
    json_t *doc =
        json_loadb((const char *)http->body, http->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        return ls_error_set_field(err, LS_ERR_INVALID, "body",
                                  "the body is not valid JSON: %s at line %d column %d", jerr.text,
                                  jerr.line, jerr.column);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return ls_error_set_field(err, LS_ERR_INVALID, "body", "the body must be a JSON object");
    }
    *out = doc;
    return LS_OK;
}

void api_json_field(char *out, size_t size, const char *prefix, const char *key)
{
    if (prefix && prefix[0])
        snprintf(out, size, "%s.%s", prefix, key);
    else
        snprintf(out, size, "%s", key);
}

ls_code api_json_only(const json_t *obj, const char *prefix, const char *const *allowed,
                      ls_error *err)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value)
    {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(*a, key) == 0;
        if (!known) {
            char field[API_FIELD_MAX];
            api_json_field(field, sizeof field, prefix, key);
            return ls_error_set_field(err, LS_ERR_INVALID, field, "unknown field '%s'", field);
        }
    }
    return LS_OK;
}

static json_t *member(const json_t *obj, const char *key)
{
    json_t *value = json_object_get(obj, key);
    return json_is_null(value) ? NULL : value;
}

static ls_code missing(const char *prefix, const char *key, ls_error *err)
{
    char field[API_FIELD_MAX];
    api_json_field(field, sizeof field, prefix, key);
    return ls_error_set_field(err, LS_ERR_INVALID, field, "%s is required", field);
}

static ls_code wrong_type(const char *prefix, const char *key, const char *type, ls_error *err)
{
    char field[API_FIELD_MAX];
    api_json_field(field, sizeof field, prefix, key);
    return ls_error_set_field(err, LS_ERR_INVALID, field, "%s must be %s", field, type);
}

static ls_code string_member(const json_t *obj, const char *prefix, const char *key, bool required,
                             bool allow_empty, size_t max_len, const char **out, ls_error *err)
{
    *out = NULL;
    json_t *value = member(obj, key);
    if (!value)
        return required ? missing(prefix, key, err) : LS_OK;
    if (!json_is_string(value))
        return wrong_type(prefix, key, "a string", err);
    const char *text = json_string_value(value);
    size_t len = json_string_length(value);
    char field[API_FIELD_MAX];
    api_json_field(field, sizeof field, prefix, key);
    if (len == 0 && !allow_empty)
        return ls_error_set_field(err, LS_ERR_INVALID, field, "%s must not be empty", field);
    if (len > max_len)
        return ls_error_set_field(err, LS_ERR_INVALID, field, "%s is longer than %zu bytes", field,
                                  max_len);
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
            return ls_error_set_field(err, LS_ERR_INVALID, field,
                                      "%s must not contain control characters", field);
    }
    *out = text;
    return LS_OK;
}

ls_code api_json_string(const json_t *obj, const char *prefix, const char *key, bool required,
                        size_t max_len, const char **out, ls_error *err)
{
    return string_member(obj, prefix, key, required, false, max_len, out, err);
}

ls_code api_json_text(const json_t *obj, const char *prefix, const char *key, size_t max_len,
                      const char **out, ls_error *err)
{
    return string_member(obj, prefix, key, false, true, max_len, out, err);
}

ls_code api_json_int(const json_t *obj, const char *prefix, const char *key, bool required,
                     int64_t min, int64_t max, int64_t *out, bool *present, ls_error *err)
{
    if (present)
        *present = false;
    json_t *value = member(obj, key);
    if (!value)
        return required ? missing(prefix, key, err) : LS_OK;
    if (!json_is_integer(value))
        return wrong_type(prefix, key, "an integer", err);
    int64_t v = (int64_t)json_integer_value(value);
    if (v < min || v > max) {
        char field[API_FIELD_MAX];
        api_json_field(field, sizeof field, prefix, key);
        return ls_error_set_field(err, LS_ERR_INVALID, field, "%s must be from %lld to %lld", field,
                                  (long long)min, (long long)max);
    }
    *out = v;
    if (present)
        *present = true;
    return LS_OK;
}

ls_code api_json_bool(const json_t *obj, const char *prefix, const char *key, bool *out,
                      ls_error *err)
{
    json_t *value = member(obj, key);
    if (!value)
        return LS_OK;
    if (!json_is_boolean(value))
        return wrong_type(prefix, key, "true or false", err);
    *out = json_is_true(value);
    return LS_OK;
}

ls_code api_json_object(const json_t *obj, const char *prefix, const char *key, bool required,
                        json_t **out, ls_error *err)
{
    *out = NULL;
    json_t *value = member(obj, key);
    if (!value)
        return required ? missing(prefix, key, err) : LS_OK;
    if (!json_is_object(value))
        return wrong_type(prefix, key, "an object", err);
    *out = value;
    return LS_OK;
}

ls_code api_json_array(const json_t *obj, const char *prefix, const char *key, bool required,
                       size_t max_items, json_t **out, ls_error *err)
{
    *out = NULL;
    json_t *value = member(obj, key);
    if (!value)
        return required ? missing(prefix, key, err) : LS_OK;
    if (!json_is_array(value))
        return wrong_type(prefix, key, "an array", err);
    if (json_array_size(value) > max_items) {
        char field[API_FIELD_MAX];
        api_json_field(field, sizeof field, prefix, key);
        return ls_error_set_field(err, LS_ERR_INVALID, field, "%s has more than %zu items", field,
                                  max_items);
    }
    *out = value;
    return LS_OK;
}

ls_code api_json_enum(const json_t *obj, const char *prefix, const char *key,
                      const char *const *choices, const char *def, const char **out, ls_error *err)
{
    const char *text = NULL;
    ls_code rc = api_json_string(obj, prefix, key, def == NULL, 64, &text, err);
    if (rc)
        return rc;
    if (!text) {
        *out = def;
        return LS_OK;
    }
    for (const char *const *c = choices; *c; c++) {
        if (strcmp(*c, text) == 0) {
            *out = *c;
            return LS_OK;
        }
    }
    char field[API_FIELD_MAX], list[256] = "";
    api_json_field(field, sizeof field, prefix, key);
    for (const char *const *c = choices; *c; c++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", *c);
    }
    return ls_error_set_field(err, LS_ERR_INVALID, field, "%s must be one of %s, not '%s'", field,
                              list, text);
}

static bool identifier_valid(const char *text, size_t max_len, bool lower_only)
{
    size_t len = strlen(text);
    if (len == 0 || len > max_len)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        bool ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9') ||
                  (!lower_only && c >= 'A' && c <= 'Z');
        if (!ok)
            return false;
    }
    return true;
}

bool api_identifier_valid(const char *text, size_t max_len)
{
    return identifier_valid(text, max_len, false);
}

bool api_lower_identifier_valid(const char *text, size_t max_len)
{
    return identifier_valid(text, max_len, true);
}
