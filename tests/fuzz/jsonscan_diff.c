#include "jsonscan_diff.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flatten.h"
#include "jsonscan.h"

#define MAX_FIELDS 256

LS_PRINTF(3, 4)
static int disagree(char *why, size_t why_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
    return 1;
}

/* jansson errors that stem from its documented limits, not from the input
 * being invalid JSON. */
static bool jansson_limit(const json_error_t *e)
{
    return strstr(e->text, "too big") || strstr(e->text, "overflow") ||
           strstr(e->text, "NUL byte in object key") || strstr(e->text, "maximum parsing depth");
}

/* The level-0 text must parse back to the same document. */
static int check_value_text(const uint8_t *data, size_t size, json_t *doc, char *why,
                            size_t why_size)
{
    ls_flat_result flat;
    ls_jsonscan_error record;
    ls_error err;
    ls_error_clear(&err);
    if (ls_flatten(data, size, 0, &flat, &record, &err))
        return record.kind == LS_JSONSCAN_TOO_LARGE || record.kind == LS_JSONSCAN_TOO_DEEP ||
                       err.code == LS_ERR_TOO_LARGE
                   ? 0
                   : disagree(why, why_size, "level 0 flatten failed: %s", record.message);
    int rc = 0;
    if (flat.count != 1) {
        rc = disagree(why, why_size, "level 0 gave %zu fields", flat.count);
    } else if (flat.fields[0].value) {
        json_error_t e;
        json_t *again = json_loadb(flat.fields[0].value, flat.fields[0].value_len,
                                   JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
        if (!again || !json_equal(again, doc))
            rc = disagree(why, why_size, "compact text differs from the document: %.200s",
                          flat.fields[0].value);
        json_decref(again);
    } else if (!json_is_null(doc)) {
        rc = disagree(why, why_size, "level 0 value is null but the document is not");
    }
    ls_flat_result_cleanup(&flat);
    return rc;
}

static ls_type type_for(ls_json_kind kind)
{
    switch (kind) {
    case LS_JSON_INTEGER:
        return (ls_type){.kind = LS_TYPE_BIGINT};
    case LS_JSON_REAL:
        return (ls_type){.kind = LS_TYPE_DOUBLE};
    case LS_JSON_BOOLEAN:
        return (ls_type){.kind = LS_TYPE_BOOLEAN};
    default:
        return (ls_type){.kind = LS_TYPE_STRING};
    }
}

/* Compares column c of row 0 with jansson's value of the same field. */
static int compare_column(const ls_column *col, json_t *v, const char *key, char *why,
                          size_t why_size)
{
    if (!ls_column_is_valid(col, 0))
        return json_is_null(v) ? 0 : disagree(why, why_size, "%s: null vs non-null", key);
    const uint8_t *values = col->values.data;
    switch (col->type.kind) {
    case LS_TYPE_BIGINT: {
        int64_t x;
        memcpy(&x, values, 8);
        return json_is_integer(v) && json_integer_value(v) == x
                   ? 0
                   : disagree(why, why_size, "%s: integer %lld differs", key, (long long)x);
    }
    case LS_TYPE_DOUBLE: {
        double x, y = json_is_real(v) ? json_real_value(v) : 0;
        memcpy(&x, values, 8);
        return json_is_real(v) && memcmp(&x, &y, 8) == 0
                   ? 0
                   : disagree(why, why_size, "%s: real %.17g vs %.17g", key, x, y);
    }
    case LS_TYPE_BOOLEAN:
        return json_is_boolean(v) && json_is_true(v) == (values[0] != 0)
                   ? 0
                   : disagree(why, why_size, "%s: boolean differs", key);
    default:
        break;
    }
    size_t len;
    const uint8_t *bytes = ls_column_bytes_at(col, 0, &len);
    if (json_is_string(v))
        return json_string_length(v) == len && memcmp(json_string_value(v), bytes, len) == 0
                   ? 0
                   : disagree(why, why_size, "%s: string differs", key);
    json_error_t e;
    json_t *again = json_loadb((const char *)bytes, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    int rc =
        again && json_equal(again, v) ? 0 : disagree(why, why_size, "%s: JSON text differs", key);
    json_decref(again);
    return rc;
}

/* A jansson key as a jsonscan source path ('.' and '\' escaped); false for
 * keys a plan cannot name: empty ones and the special sources, which
 * jsonscan.h documents as shadowing keys of the same spelling. */
static bool source_of(const char *key, char *out, size_t out_size)
{
    static const char *const special[] = {"__value__", "__kafka_partition__", "__kafka_offset__",
                                          "__kafka_timestamp__", "__kafka_key__"};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        if (strcmp(key, special[i]) == 0)
            return false;
    size_t n = 0;
    for (const char *c = key; *c; c++) {
        if (n + 3 > out_size)
            return false;
        if (*c == '.' || *c == '\\')
            out[n++] = '\\';
        out[n++] = *c;
    }
    out[n] = '\0';
    return n > 0;
}

static ls_json_kind kind_of(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_INTEGER:
        return LS_JSON_INTEGER;
    case JSON_REAL:
        return LS_JSON_REAL;
    case JSON_TRUE:
    case JSON_FALSE:
        return LS_JSON_BOOLEAN;
    case JSON_NULL:
        return LS_JSON_NULL;
    case JSON_OBJECT:
        return LS_JSON_OBJECT;
    case JSON_ARRAY:
        return LS_JSON_ARRAY;
    default:
        return LS_JSON_STRING;
    }
}

typedef struct field_set {
    ls_jsonscan_field fields[MAX_FIELDS];
    ls_type types[MAX_FIELDS];
    char sources[MAX_FIELDS][LS_JSONSCAN_MAX_PATH_BYTES];
    json_t *values[MAX_FIELDS];
    const char *keys[MAX_FIELDS];
    size_t count;
} field_set;

/* Scans the object with one column per top-level key and compares them. */
static int check_fields(const uint8_t *data, size_t size, json_t *doc, char *why, size_t why_size)
{
    static field_set set; /* large; the fuzzer is single-threaded */
    set.count = 0;
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v)
    {
        if (set.count == MAX_FIELDS)
            break;
        size_t i = set.count;
        if (!source_of(key, set.sources[i], sizeof set.sources[i]))
            continue;
        set.types[i] = type_for(kind_of(v));
        set.fields[i] =
            (ls_jsonscan_field){.source = set.sources[i], .column = i, .type = set.types[i]};
        set.values[i] = v;
        set.keys[i] = key;
        set.count++;
    }
    ls_jsonscan_options options = {.parse_level = 1, .max_depth = LS_JSONSCAN_MAX_DEPTH_LIMIT};
    ls_jsonscan_plan *plan = NULL;
    ls_column_batch *batch = NULL;
    ls_jsonscan_error record;
    ls_error err;
    ls_error_clear(&err);
    int rc = 0;
    char *compact = NULL;
    if (ls_jsonscan_plan_new(&options, set.fields, set.count, &plan, &err)) {
        rc = disagree(why, why_size, "plan failed: %s", err.message);
        goto out;
    }
    batch = ls_column_batch_new(set.types, set.count, (size_t)1 << 30);
    /* Twice with the same plan: the second scan matches keys against the
     * order the first one taught the plan (key prediction). Then jansson's
     * compact text of the same object, whose `"key":` spellings the
     * predicted keys' 16-byte patterns match in place (the input often has
     * whitespace there or other escapes), and the input once more. */
    compact = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
    for (int pass = 0; !rc && pass < 4; pass++) {
        const uint8_t *text = data;
        size_t len = size;
        if (pass == 2 && !compact)
            continue;
        if (pass == 2) {
            text = (const uint8_t *)compact;
            len = strlen(compact);
        }
        if (batch)
            ls_column_batch_reset(batch);
        if (!batch || ls_jsonscan_row(plan, text, len, NULL, batch, &record, &err)) {
            rc = disagree(why, why_size, "scan %d failed: %s %s", pass + 1, record.message,
                          err.message);
            goto out;
        }
        for (size_t i = 0; !rc && i < set.count; i++)
            rc = compare_column(&batch->columns[i], set.values[i], set.keys[i], why, why_size);
    }
out:
    free(compact);
    ls_column_batch_free(batch);
    ls_jsonscan_plan_free(plan);
    return rc;
}

int jsonscan_differential_check(const uint8_t *data, size_t size, char *why, size_t why_size)
{
    ls_jsonscan_error record;
    bool ours = ls_json_validate(data, size, LS_JSONSCAN_MAX_DEPTH_LIMIT, &record) == LS_OK;
    json_error_t e;
    json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    int rc = 0;
    if (!ours && (record.kind == LS_JSONSCAN_TOO_DEEP || record.kind == LS_JSONSCAN_TOO_LARGE))
        goto out; /* our documented caps */
    if (ours && !doc) {
        if (!jansson_limit(&e))
            rc = disagree(why, why_size, "jsonscan accepts, jansson rejects: %s", e.text);
        goto out;
    }
    if (!ours && doc && record.offset < size && data[record.offset] == '\0')
        goto out; /* jansson's reader takes a NUL byte outside strings for the end */
    if (!ours && doc) {
        rc = disagree(why, why_size, "jansson accepts, jsonscan rejects (%s at %zu): %s",
                      ls_jsonscan_error_kind_name(record.kind), record.offset, record.message);
        goto out;
    }
    if (!ours)
        goto out;
    rc = check_value_text(data, size, doc, why, why_size);
    if (!rc && json_is_object(doc))
        rc = check_fields(data, size, doc, why, why_size);
out:
    json_decref(doc);
    return rc;
}
