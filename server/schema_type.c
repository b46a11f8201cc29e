#include "schema_type.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    ls_type_kind kind;
} simple_types[] = {
    {"boolean", LS_TYPE_BOOLEAN},  {"int", LS_TYPE_INT},
    {"bigint", LS_TYPE_BIGINT},    {"float", LS_TYPE_FLOAT},
    {"double", LS_TYPE_DOUBLE},    {"string", LS_TYPE_STRING},
    {"date", LS_TYPE_DATE},        {"timestamp", LS_TYPE_TIMESTAMP},
    {"timestamptz", LS_TYPE_TIMESTAMPTZ}, {"binary", LS_TYPE_BINARY},
};

/* Reads an unsigned decimal number of at most two digits at *p. */
static int parse_small_number(const char **p, int *out)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    if (!isdigit((unsigned char)*s))
        return -1;
    int value = 0, digits = 0;
    while (isdigit((unsigned char)*s) && digits < 3) {
        value = value * 10 + (*s - '0');
        s++;
        digits++;
    }
    if (isdigit((unsigned char)*s))
        return -1;
    while (*s == ' ')
        s++;
    *p = s;
    *out = value;
    return 0;
}

static ls_code parse_decimal(const char *text, ls_type *out, ls_error *err)
{
    const char *p = text + strlen("decimal");
    int precision = 0, scale = 0;
    if (*p != '(' || (p++, parse_small_number(&p, &precision)) || *p++ != ',' ||
        parse_small_number(&p, &scale) || *p++ != ')' || *p != '\0')
        return ls_error_set(err, LS_ERR_INVALID,
                            "type '%s' is not of the form decimal(P,S)", text);
    if (precision < 1 || precision > LS_DECIMAL_MAX_PRECISION)
        return ls_error_set(err, LS_ERR_INVALID,
                            "decimal precision must be between 1 and %d, not %d",
                            LS_DECIMAL_MAX_PRECISION, precision);
    if (scale > precision)
        return ls_error_set(err, LS_ERR_INVALID,
                            "decimal scale %d must not exceed its precision %d", scale, precision);
    out->kind = LS_TYPE_DECIMAL;
    out->precision = (uint8_t)precision;
    out->scale = (uint8_t)scale;
    return LS_OK;
}

ls_code ls_type_parse(const char *text, ls_type *out, ls_error *err)
{
    char lower[64];
    size_t n = strlen(text);
    if (n == 0 || n >= sizeof lower)
        return ls_error_set(err, LS_ERR_INVALID, "unknown type '%.40s'", text);
    for (size_t i = 0; i <= n; i++)
        lower[i] = (char)tolower((unsigned char)text[i]);
    for (size_t i = 0; i < sizeof simple_types / sizeof simple_types[0]; i++) {
        if (strcmp(lower, simple_types[i].name) == 0) {
            *out = (ls_type){.kind = simple_types[i].kind};
            return LS_OK;
        }
    }
    if (strncmp(lower, "decimal", 7) == 0)
        return parse_decimal(lower, out, err);
    return ls_error_set(err, LS_ERR_INVALID,
                        "unknown type '%s' (expected boolean, int, bigint, float, double, "
                        "decimal(P,S), string, date, timestamp, timestamptz or binary)",
                        text);
}

const char *ls_type_format(ls_type type, char *out, size_t out_size)
{
    if (type.kind == LS_TYPE_DECIMAL) {
        snprintf(out, out_size, "decimal(%u,%u)", type.precision, type.scale);
        return out;
    }
    for (size_t i = 0; i < sizeof simple_types / sizeof simple_types[0]; i++) {
        if (simple_types[i].kind == type.kind) {
            snprintf(out, out_size, "%s", simple_types[i].name);
            return out;
        }
    }
    snprintf(out, out_size, "unknown");
    return out;
}

ls_storage ls_type_storage(ls_type type)
{
    switch (type.kind) {
    case LS_TYPE_BOOLEAN: return LS_STORAGE_BOOL;
    case LS_TYPE_INT:
    case LS_TYPE_DATE: return LS_STORAGE_INT32;
    case LS_TYPE_BIGINT:
    case LS_TYPE_TIMESTAMP:
    case LS_TYPE_TIMESTAMPTZ: return LS_STORAGE_INT64;
    case LS_TYPE_FLOAT: return LS_STORAGE_FLOAT;
    case LS_TYPE_DOUBLE: return LS_STORAGE_DOUBLE;
    case LS_TYPE_DECIMAL: return type.precision <= 18 ? LS_STORAGE_INT64 : LS_STORAGE_INT128;
    case LS_TYPE_STRING:
    case LS_TYPE_BINARY: return LS_STORAGE_BYTES;
    }
    return LS_STORAGE_BYTES;
}

int ls_type_equal(ls_type a, ls_type b)
{
    if (a.kind != b.kind)
        return 0;
    if (a.kind == LS_TYPE_DECIMAL)
        return a.precision == b.precision && a.scale == b.scale;
    return 1;
}

int ls_type_promotes(ls_type from, ls_type to)
{
    if (ls_type_equal(from, to))
        return 1;
    if (from.kind == LS_TYPE_INT && to.kind == LS_TYPE_BIGINT)
        return 1;
    if (from.kind == LS_TYPE_FLOAT && to.kind == LS_TYPE_DOUBLE)
        return 1;
    return from.kind == LS_TYPE_DECIMAL && to.kind == LS_TYPE_DECIMAL &&
           from.scale == to.scale && to.precision > from.precision;
}
