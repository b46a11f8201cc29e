/*
 * One error type for all of lakesync (STYLE.md rule 5).
 *
 * A function that can fail returns an ls_code (LS_OK == 0) and, when given a
 * non-NULL ls_error, fills it with the code, an optional field name and a
 * fixed-size message. Reporting an error never allocates. The first error set
 * wins: later calls on an already-set ls_error keep the original, so the
 * innermost, most precise message reaches the user.
 */
#ifndef LAKESYNC_UTIL_ERROR_H
#define LAKESYNC_UTIL_ERROR_H

#include <stddef.h>

#define LS_MUST_USE __attribute__((warn_unused_result))
#define LS_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))

typedef enum ls_code {
    LS_OK = 0,
    LS_ERR_INVALID,         /* bad input from outside: a request, a message, a file */
    LS_ERR_NOT_FOUND,       /* the named thing does not exist */
    LS_ERR_CONFLICT,        /* state forbids it now (in use, already exists, fenced) */
    LS_ERR_PRECONDITION,    /* If-Match or another stated precondition failed */
    LS_ERR_TOO_LARGE,       /* over a documented cap */
    LS_ERR_UNAUTHENTICATED, /* no or bad credentials */
    LS_ERR_PERMISSION,      /* authenticated but not allowed */
    LS_ERR_UNPROCESSABLE,   /* well-formed but semantically unusable */
    LS_ERR_UNAVAILABLE,     /* a peer (broker, object store) cannot be reached; retryable */
    LS_ERR_FORMAT,          /* stored data we read is corrupt or not what we expect */
    LS_ERR_IO,              /* a local system call failed */
    LS_ERR_NOMEM,           /* allocation failed */
    LS_ERR_INTERNAL,        /* a bug: an invariant did not hold */
} ls_code;

#define LS_ERROR_FIELD_MAX 128
#define LS_ERROR_MESSAGE_MAX 384

typedef struct ls_error {
    ls_code code;
    char field[LS_ERROR_FIELD_MAX];     /* "" when the error names no field */
    char message[LS_ERROR_MESSAGE_MAX]; /* a full sentence fragment, no trailing period */
} ls_error;

/* Resets err to "no error". NULL-safe. */
void ls_error_clear(ls_error *err);

/* Sets code and formatted message unless err already holds an error. Returns
 * the code err holds afterwards (the first one set), or code when err is NULL. */
ls_code ls_error_set(ls_error *err, ls_code code, const char *fmt, ...) LS_PRINTF(3, 4);

/* Like ls_error_set, also naming the offending field (e.g. "sync.acus"). */
ls_code ls_error_set_field(ls_error *err, ls_code code, const char *field, const char *fmt, ...)
    LS_PRINTF(4, 5);

/* Sets the field of an error that has a code but no field yet, so a caller
 * can say where a nested failure happened. */
void ls_error_name_field(ls_error *err, const char *field);

/* A short stable name for a code: "invalid_argument", "not_found", ... used in
 * API error bodies and logs. */
const char *ls_code_name(ls_code code);

#endif
