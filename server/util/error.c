#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ls_error_clear(ls_error *err)
{
    if (!err)
        return;
    err->code = LS_OK;
    err->field[0] = '\0';
    err->message[0] = '\0';
}

static ls_code error_vset(ls_error *err, ls_code code, const char *field, const char *fmt,
                          va_list ap) LS_PRINTF(4, 0);

static ls_code error_vset(ls_error *err, ls_code code, const char *field, const char *fmt,
                          va_list ap)
{
    if (!err)
        return code;
    if (err->code != LS_OK)
        return err->code;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    return code;
}

ls_code ls_error_set(ls_error *err, ls_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ls_code rc = error_vset(err, code, NULL, fmt, ap);
    va_end(ap);
    return rc;
}

ls_code ls_error_set_field(ls_error *err, ls_code code, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ls_code rc = error_vset(err, code, field, fmt, ap);
    va_end(ap);
    return rc;
}

void ls_error_name_field(ls_error *err, const char *field)
{
    if (err && err->code != LS_OK && err->field[0] == '\0' && field)
        snprintf(err->field, sizeof err->field, "%s", field);
}

const char *ls_code_name(ls_code code)
{
    switch (code) {
    case LS_OK: return "ok";
    case LS_ERR_INVALID: return "invalid_argument";
    case LS_ERR_NOT_FOUND: return "not_found";
    case LS_ERR_CONFLICT: return "conflict";
    case LS_ERR_PRECONDITION: return "precondition_failed";
    case LS_ERR_TOO_LARGE: return "too_large";
    case LS_ERR_UNAUTHENTICATED: return "unauthenticated";
    case LS_ERR_PERMISSION: return "permission_denied";
    case LS_ERR_UNPROCESSABLE: return "unprocessable";
    case LS_ERR_UNAVAILABLE: return "unavailable";
    case LS_ERR_FORMAT: return "corrupt_data";
    case LS_ERR_IO: return "io_error";
    case LS_ERR_NOMEM: return "out_of_memory";
    case LS_ERR_INTERNAL: return "internal";
    }
    return "unknown";
}
