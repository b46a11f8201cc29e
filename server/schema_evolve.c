/* Automatic schema evolution: policies, widenings, proposals (schema_evolve.h). */
#include "schema_evolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flatten.h"
#include "jsonscan.h"
#include "schema_infer.h"

#define NAME_MAX_BYTES (LS_EVOLUTION_NAME_MAX + 16)

static const char *const policy_names[] = {"none", "add_columns", "add_and_widen"};

ls_code ls_schema_evolution_parse(const char *text, ls_schema_evolution *out, ls_error *err)
{
    if (!text) {
        *out = LS_EVOLUTION_DEFAULT;
        return LS_OK;
    }
    for (int i = 0; i < 3; i++)
        if (strcmp(text, policy_names[i]) == 0) {
            *out = (ls_schema_evolution)i;
            return LS_OK;
        }
    return ls_error_set_field(err, LS_ERR_INVALID, "schema_evolution",
                              "schema_evolution must be none, add_columns or add_and_widen, "
                              "not '%s'",
                              text);
}

const char *ls_schema_evolution_name(ls_schema_evolution policy)
{
    return (unsigned)policy < 3 ? policy_names[policy] : "none";
}

bool ls_schema_evolve_widened(ls_type from, ls_type *to)
{
    *to = from;
    if (from.kind == LS_TYPE_INT)
        to->kind = LS_TYPE_BIGINT;
    else if (from.kind == LS_TYPE_FLOAT)
        to->kind = LS_TYPE_DOUBLE;
    else if (from.kind == LS_TYPE_DECIMAL && from.precision < LS_DECIMAL_MAX_PRECISION)
        /* Straight to the widest: one schema change, not one per new digit. */
        to->precision = LS_DECIMAL_MAX_PRECISION;
    else
        return false;
    return true;
}

/* ---- the worker's side -------------------------------------------------- */

static bool listed(const char *source, const char *const *sources, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(sources[i], source) == 0)
            return true;
    return false;
}

ls_code ls_schema_evolve_additions(const uint8_t *message, size_t length, int parse_level,
                                   const char *const *sources, size_t source_count,
                                   json_t **add_out, ls_error *err)
{
    ls_schema_infer *infer = NULL;
    ls_infer_result result = {0};
    json_t *add = json_array();
    *add_out = NULL;
    ls_code rc = add ? ls_schema_infer_new(parse_level, 0, &infer, err)
                     : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = ls_schema_infer_add(infer, message, length, err);
    if (!rc)
        rc = ls_schema_infer_result(infer, &result, err);
    if (!rc && result.invalid_samples)
        rc = ls_error_set(err, LS_ERR_INVALID, "the message is not usable: %s",
                          result.first_invalid.message);
    for (size_t i = 0; !rc && i < result.count; i++) {
        const ls_infer_field *f = &result.fields[i];
        if (!listed(f->source, sources, source_count) || f->present == f->nulls)
            continue; /* mapped already, or only null here: no type to give it */
        char type[48];
        json_t *item = json_pack("{s:s, s:s}", "source", f->source, "type",
                                 ls_type_format(f->type, type, sizeof type));
        if (!item || json_array_append_new(add, item))
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    }
    ls_infer_result_cleanup(&result);
    ls_schema_infer_free(infer);
    if (rc) {
        json_decref(add);
        return rc;
    }
    *add_out = add;
    return LS_OK;
}

/* ---- the server's side -------------------------------------------------- */

static const char *member(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool name_taken(const json_t *fields, const char *name)
{
    size_t i;
    const json_t *f;
    json_array_foreach(fields, i, f) {
        const char *other = member(f, "name");
        if (other && strcasecmp(other, name) == 0)
            return true;
    }
    return false;
}

/* flatten.h's name for source, made distinct from the fields' names the way
 * flatten.h resolves collisions: the first free "<name>_N" from 2. */
static ls_code new_name(const json_t *fields, const char *source, char *out, size_t size,
                        ls_error *err)
{
    char wanted[2 * LS_JSONSCAN_MAX_PATH_BYTES + 8];
    ls_code rc = ls_flatten_name(source, wanted, sizeof wanted, err);
    if (rc)
        return rc;
    /* Job field names are at most LS_EVOLUTION_NAME_MAX bytes (the API's
     * rule); flatten's names are ASCII, so a cut is a clean prefix, and a
     * suffix of up to 7 bytes still fits. */
    char base[LS_EVOLUTION_NAME_MAX - 7];
    size_t len = strnlen(wanted, sizeof base - 1);
    memcpy(base, wanted, len);
    base[len] = '\0';
    snprintf(out, size, "%s", base);
    for (unsigned n = 2; name_taken(fields, out) && n < 1000000; n++)
        snprintf(out, size, "%s_%u", base, n);
    return LS_OK;
}

static bool source_mapped(const json_t *fields, const char *source)
{
    size_t i;
    const json_t *f;
    json_array_foreach(fields, i, f) {
        const char *other = member(f, "source");
        if (other && strcmp(other, source) == 0)
            return true;
    }
    return false;
}

/* The scanner's own check of a source path at a parse level. */
static ls_code check_source(const char *source, ls_type type, int parse_level, const char *field,
                            ls_error *err)
{
    ls_jsonscan_options options = {.parse_level = parse_level};
    ls_jsonscan_field f = {.source = source, .column = 0, .type = type};
    ls_jsonscan_plan *plan = NULL;
    ls_error why;
    ls_error_clear(&why);
    ls_code rc = ls_jsonscan_plan_new(&options, &f, 1, &plan, &why);
    ls_jsonscan_plan_free(plan);
    if (rc == LS_ERR_INVALID)
        return ls_error_set_field(err, LS_ERR_INVALID, field, "%s", why.message);
    return rc ? ls_error_set(err, rc, "%s", why.message) : LS_OK;
}

static void summarize(char *summary, size_t size, const char *change)
{
    size_t used = strlen(summary);
    if (used + 1 >= size)
        return;
    int n = snprintf(summary + used, size - used, "%s%s", used ? "; " : "", change);
    if (n >= 0 && (size_t)n >= size - used && size > 4)
        memcpy(summary + size - 4, "...", 4); /* cut: say so */
}

static ls_code proposal_type(const json_t *item, const char *member_name, ls_type *type,
                             ls_error *err)
{
    const char *text = member(item, "type");
    ls_error why;
    ls_error_clear(&why);
    if (!text || ls_type_parse(text, type, &why))
        return ls_error_set_field(err, LS_ERR_INVALID, member_name, "%s needs a valid type%s%s",
                                  member_name, why.message[0] ? ": " : "", why.message);
    return LS_OK;
}

static bool listed_in(const json_t *list, const char *source)
{
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), source) == 0)
            return true;
    }
    return false;
}

static ls_code apply_add(json_t *out, const json_t *ignored, int parse_level, const json_t *item,
                         size_t index, size_t max_fields, char *summary, size_t summary_size,
                         ls_error *err)
{
    char field[48], name[NAME_MAX_BYTES], type_text[48], change[NAME_MAX_BYTES + LS_JSONSCAN_MAX_PATH_BYTES + 96];
    snprintf(field, sizeof field, "add[%zu]", index);
    const char *source = member(item, "source");
    ls_type type;
    if (!source || !*source)
        return ls_error_set_field(err, LS_ERR_INVALID, field, "%s needs a source", field);
    ls_code rc = proposal_type(item, field, &type, err);
    if (!rc)
        rc = check_source(source, type, parse_level, field, err);
    if (rc || source_mapped(out, source) || listed_in(ignored, source))
        return rc;
    if (json_array_size(out) >= max_fields)
        return ls_error_set_field(err, LS_ERR_CONFLICT, field,
                                  "the job already has %zu fields, the most it may have",
                                  max_fields);
    rc = new_name(out, source, name, sizeof name, err);
    if (rc)
        return rc;
    ls_type_format(type, type_text, sizeof type_text);
    json_t *f = json_pack("{s:s, s:s, s:s}", "source", source, "name", name, "type", type_text);
    if (!f || json_array_append_new(out, f))
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    snprintf(change, sizeof change, "added column %s (%s) for '%s'", name, type_text, source);
    summarize(summary, summary_size, change);
    return LS_OK;
}

static ls_code apply_widen(json_t *out, ls_schema_evolution policy, const json_t *item,
                           size_t index, char *summary, size_t summary_size, ls_error *err)
{
    char field[48], from_text[48], to_text[48], change[NAME_MAX_BYTES + 128];
    snprintf(field, sizeof field, "widen[%zu]", index);
    const json_t *id = json_object_get(item, "field_id");
    json_int_t k = json_is_integer(id) ? json_integer_value(id) : 0;
    if (k < 1 || (size_t)k > json_array_size(out))
        return ls_error_set_field(err, LS_ERR_INVALID, field, "%s needs the field_id of a field",
                                  field);
    ls_type to, from;
    ls_code rc = proposal_type(item, field, &to, err);
    if (rc)
        return rc;
    json_t *f = json_array_get(out, (size_t)k - 1);
    const char *name = member(f, "name") ? member(f, "name") : "?";
    ls_error why;
    ls_error_clear(&why);
    if (!member(f, "type") || ls_type_parse(member(f, "type"), &from, &why))
        return ls_error_set_field(err, LS_ERR_INVALID, field, "field %s has no valid type", name);
    ls_type_format(from, from_text, sizeof from_text);
    ls_type_format(to, to_text, sizeof to_text);
    if (ls_type_equal(from, to))
        return LS_OK; /* widened already */
    if (policy != LS_EVOLUTION_ADD_AND_WIDEN)
        return ls_error_set_field(err, LS_ERR_CONFLICT, field,
                                  "column %s is %s and the job's schema_evolution (%s) does not "
                                  "widen columns",
                                  name, from_text, ls_schema_evolution_name(policy));
    if (!ls_type_promotes(from, to))
        return ls_error_set_field(err, LS_ERR_CONFLICT, field,
                                  "column %s cannot widen from %s to %s", name, from_text,
                                  to_text);
    if (json_object_set_new(f, "type", json_string(to_text)))
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    snprintf(change, sizeof change, "widened column %s from %s to %s", name, from_text, to_text);
    summarize(summary, summary_size, change);
    return LS_OK;
}

ls_code ls_schema_evolve_apply(const json_t *fields, const json_t *ignored, int parse_level,
                               ls_schema_evolution policy, const json_t *proposal,
                               size_t max_fields, json_t **fields_out, char *summary,
                               size_t summary_size, ls_error *err)
{
    const json_t *add = json_object_get(proposal, "add");
    const json_t *widen = json_object_get(proposal, "widen");
    *fields_out = NULL;
    if (summary_size)
        summary[0] = '\0';
    if (!json_is_object(proposal) || (add && !json_is_array(add)) ||
        (widen && !json_is_array(widen)))
        return ls_error_set(err, LS_ERR_INVALID,
                            "a schema proposal is an object with arrays add and widen");
    if (!json_is_array(fields))
        return ls_error_set(err, LS_ERR_INVALID, "the job has no fields array");
    if (policy == LS_EVOLUTION_NONE && json_array_size(add) + json_array_size(widen) > 0)
        return ls_error_set(err, LS_ERR_CONFLICT,
                            "the job's schema_evolution is none: its schema does not change");
    json_t *out = json_deep_copy(fields);
    ls_code rc = out ? LS_OK : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !rc && i < json_array_size(widen); i++)
        rc = apply_widen(out, policy, json_array_get(widen, i), i, summary, summary_size, err);
    for (size_t i = 0; !rc && i < json_array_size(add); i++)
        rc = apply_add(out, ignored, parse_level, json_array_get(add, i), i, max_fields, summary,
                       summary_size, err);
    if (rc) {
        json_decref(out);
        return rc;
    }
    *fields_out = out;
    return LS_OK;
}
