/*
 * Schema inference over sample messages (see schema_infer.h). Each sample is
 * flattened; per source path we keep only what type unification needs: the
 * kinds seen and a few "every string so far was ..." flags.
 */
#include "schema_infer.h"

#include <stdlib.h>
#include <string.h>

#define NO_FIELD UINT32_MAX

typedef struct accumulator {
    char *source;
    unsigned kinds;
    size_t present, nulls;
    char *example;
    bool integer_beyond_int64;  /* needs decimal(38,0) */
    bool integer_beyond_38;     /* needs string */
    bool all_timestamps_offset; /* every string an RFC 3339 timestamp with offset */
    bool all_timestamps;        /* every string a timestamp, offset or not */
    bool all_dates;             /* every string YYYY-MM-DD */
} accumulator;

struct ls_schema_infer {
    int level;
    size_t max_fields;
    accumulator *fields;
    size_t count;
    uint32_t *slots; /* open addressing by source, indexes into fields */
    size_t mask;
    size_t samples, invalid_samples, first_invalid_index;
    ls_jsonscan_error first_invalid;
};

ls_code ls_schema_infer_new(int parse_level, size_t max_fields, ls_schema_infer **out,
                            ls_error *err)
{
    *out = NULL;
    if (parse_level < 0 || parse_level > LS_JSONSCAN_MAX_LEVEL)
        return ls_error_set_field(err, LS_ERR_INVALID, "parse_levels",
                                  "parse level must be between 0 and %d, not %d",
                                  LS_JSONSCAN_MAX_LEVEL, parse_level);
    if (max_fields == 0 || max_fields > LS_FLATTEN_MAX_FIELDS)
        max_fields = LS_FLATTEN_MAX_FIELDS;
    ls_schema_infer *infer = calloc(1, sizeof *infer);
    size_t size = 16;
    while (size < 2 * max_fields)
        size *= 2;
    if (infer) {
        infer->fields = calloc(max_fields, sizeof *infer->fields);
        infer->slots = malloc(size * sizeof *infer->slots);
    }
    if (!infer || !infer->fields || !infer->slots) {
        ls_schema_infer_free(infer);
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory starting schema inference");
    }
    memset(infer->slots, 0xff, size * sizeof *infer->slots);
    infer->mask = size - 1;
    infer->level = parse_level;
    infer->max_fields = max_fields;
    *out = infer;
    return LS_OK;
}

void ls_schema_infer_free(ls_schema_infer *infer)
{
    if (!infer)
        return;
    for (size_t i = 0; i < infer->count; i++) {
        free(infer->fields[i].source);
        free(infer->fields[i].example);
    }
    free(infer->fields);
    free(infer->slots);
    free(infer);
}

static uint32_t source_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

/* The accumulator of a source, created on first sight. */
static ls_code find_field(ls_schema_infer *infer, const char *source, accumulator **out,
                          ls_error *err)
{
    size_t slot = source_hash(source) & infer->mask;
    for (; infer->slots[slot] != NO_FIELD; slot = (slot + 1) & infer->mask) {
        accumulator *a = &infer->fields[infer->slots[slot]];
        if (strcmp(a->source, source) == 0) {
            *out = a;
            return LS_OK;
        }
    }
    if (infer->count == infer->max_fields)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "the samples have more than %zu fields",
                            infer->max_fields);
    accumulator *a = &infer->fields[infer->count];
    *a = (accumulator){.source = strdup(source),
                       .all_timestamps_offset = true,
                       .all_timestamps = true,
                       .all_dates = true};
    if (!a->source)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory inferring a schema");
    infer->slots[slot] = (uint32_t)infer->count++;
    *out = a;
    return LS_OK;
}

/* How many digits an integer's text has, without sign. */
static size_t integer_digits(const char *text, size_t len, bool *negative)
{
    *negative = len > 0 && text[0] == '-';
    return *negative ? len - 1 : len;
}

static void note_integer(accumulator *a, const char *text, size_t len)
{
    bool negative;
    size_t digits = integer_digits(text, len, &negative);
    const char *d = negative ? text + 1 : text;
    bool fits = digits < 19 ||
                (digits == 19 &&
                 memcmp(d, negative ? "9223372036854775808" : "9223372036854775807", 19) <= 0);
    if (!fits)
        a->integer_beyond_int64 = true;
    if (digits > 38)
        a->integer_beyond_38 = true;
}

static bool has_offset(const char *text, size_t len)
{
    if (len > 0 && (text[len - 1] == 'Z' || text[len - 1] == 'z'))
        return true;
    return len >= 25 && (text[len - 6] == '+' || text[len - 6] == '-') && text[len - 3] == ':';
}

static void note_string(accumulator *a, const char *text, size_t len)
{
    int64_t micros;
    int32_t days;
    bool ts = ls_json_parse_timestamp((const uint8_t *)text, len, &micros);
    if (!ts)
        a->all_timestamps = false;
    if (!ts || !has_offset(text, len))
        a->all_timestamps_offset = false;
    if (!ls_json_parse_date((const uint8_t *)text, len, &days))
        a->all_dates = false;
}

static ls_code keep_example(accumulator *a, const ls_flat_field *f, ls_error *err)
{
    size_t n = f->value_len < LS_INFER_EXAMPLE_MAX ? f->value_len : LS_INFER_EXAMPLE_MAX;
    /* Cut on a UTF-8 boundary: back off continuation bytes. */
    while (n < f->value_len && n > 0 && ((uint8_t)f->value[n] & 0xC0) == 0x80)
        n--;
    a->example = malloc(n + 1);
    if (!a->example)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory inferring a schema");
    memcpy(a->example, f->value, n);
    a->example[n] = '\0';
    return LS_OK;
}

static ls_code note_field(ls_schema_infer *infer, const ls_flat_field *f, ls_error *err)
{
    accumulator *a = NULL;
    ls_code rc = find_field(infer, f->source, &a, err);
    if (rc)
        return rc;
    a->present++;
    a->kinds |= 1u << f->kind;
    if (f->kind == LS_JSON_NULL) {
        a->nulls++;
        return LS_OK;
    }
    if (f->kind == LS_JSON_INTEGER)
        note_integer(a, f->value, f->value_len);
    else if (f->kind == LS_JSON_STRING)
        note_string(a, f->value, f->value_len);
    return a->example ? LS_OK : keep_example(a, f, err);
}

ls_code ls_schema_infer_add(ls_schema_infer *infer, const uint8_t *message, size_t length,
                            ls_error *err)
{
    ls_flat_result flat;
    ls_jsonscan_error record;
    size_t index = infer->samples++;
    ls_code rc = ls_flatten(message, length, infer->level, &flat, &record, err);
    if (rc == LS_ERR_INVALID && record.kind != LS_JSONSCAN_OK) {
        if (infer->invalid_samples++ == 0) {
            infer->first_invalid = record;
            infer->first_invalid_index = index;
        }
        return LS_OK;
    }
    for (size_t i = 0; !rc && i < flat.count; i++)
        rc = note_field(infer, &flat.fields[i], err);
    ls_flat_result_cleanup(&flat);
    return rc;
}

/* The unified type of one field (the table in schema_infer.h). */
static ls_type unify(const accumulator *a)
{
    const unsigned null_bit = 1u << LS_JSON_NULL, integer = 1u << LS_JSON_INTEGER,
                   real = 1u << LS_JSON_REAL, boolean = 1u << LS_JSON_BOOLEAN,
                   string = 1u << LS_JSON_STRING;
    unsigned kinds = a->kinds & ~null_bit;
    if (kinds == integer) {
        if (a->integer_beyond_38)
            return (ls_type){.kind = LS_TYPE_STRING};
        if (a->integer_beyond_int64)
            return (ls_type){.kind = LS_TYPE_DECIMAL, .precision = 38, .scale = 0};
        return (ls_type){.kind = LS_TYPE_BIGINT};
    }
    if (kinds == real || kinds == (integer | real))
        return (ls_type){.kind = LS_TYPE_DOUBLE};
    if (kinds == boolean)
        return (ls_type){.kind = LS_TYPE_BOOLEAN};
    if (kinds == string && a->all_timestamps_offset)
        return (ls_type){.kind = LS_TYPE_TIMESTAMPTZ};
    if (kinds == string && a->all_timestamps)
        return (ls_type){.kind = LS_TYPE_TIMESTAMP};
    if (kinds == string && a->all_dates)
        return (ls_type){.kind = LS_TYPE_DATE};
    return (ls_type){.kind = LS_TYPE_STRING};
}

void ls_infer_result_cleanup(ls_infer_result *result)
{
    if (!result)
        return;
    for (size_t i = 0; i < result->count; i++) {
        free(result->fields[i].source);
        free(result->fields[i].name);
        free(result->fields[i].example);
    }
    free(result->fields);
    ls_flat_collisions_free(result->collisions, result->collision_count);
    memset(result, 0, sizeof *result);
}

static ls_code copy_field(const accumulator *a, ls_infer_field *f, ls_error *err)
{
    *f = (ls_infer_field){.source = strdup(a->source),
                          .type = unify(a),
                          .kinds = a->kinds,
                          .present = a->present,
                          .nulls = a->nulls};
    if (a->example)
        f->example = strdup(a->example);
    if (!f->source || (a->example && !f->example))
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory inferring a schema");
    return LS_OK;
}

ls_code ls_schema_infer_result(ls_schema_infer *infer, ls_infer_result *out, ls_error *err)
{
    memset(out, 0, sizeof *out);
    out->samples = infer->samples;
    out->invalid_samples = infer->invalid_samples;
    out->first_invalid = infer->first_invalid;
    out->first_invalid_index = infer->first_invalid_index;
    size_t n = infer->count;
    out->fields = calloc(n ? n : 1, sizeof *out->fields);
    const char **sources = calloc(n ? n : 1, sizeof *sources);
    char **names = calloc(n ? n : 1, sizeof *names);
    ls_code rc = LS_OK;
    if (!out->fields || !sources || !names)
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory inferring a schema");
    for (size_t i = 0; !rc && i < n; i++) {
        out->count = i + 1;
        rc = copy_field(&infer->fields[i], &out->fields[i], err);
        sources[i] = infer->fields[i].source;
    }
    if (!rc)
        rc = ls_flatten_assign_names(sources, n, names, &out->collisions, &out->collision_count,
                                     err);
    for (size_t i = 0; !rc && i < n; i++)
        out->fields[i].name = names[i];
    free(sources);
    free(names);
    if (rc)
        ls_infer_result_cleanup(out);
    return rc;
}
