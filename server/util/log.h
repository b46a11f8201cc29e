/*
 * Logging to stderr, one line per event: time, level, component, message.
 *
 * Never log secrets: passwords, secret keys and tokens are redacted by the
 * callers that hold them (they never pass them here).
 */
#ifndef LAKESYNC_UTIL_LOG_H
#define LAKESYNC_UTIL_LOG_H

#include "util/error.h"

typedef enum ls_log_level {
    LS_LOG_DEBUG = 0,
    LS_LOG_INFO,
    LS_LOG_WARN,
    LS_LOG_ERROR,
} ls_log_level;

/* Sets the process-wide threshold; messages below it are dropped. */
void ls_log_set_level(ls_log_level level);

/* Parses "debug", "info", "warn" or "error". LS_ERR_INVALID otherwise. */
ls_code ls_log_level_parse(const char *text, ls_log_level *out, ls_error *err) LS_MUST_USE;

/* Writes one line when level passes the threshold. component is a short name
 * such as "http" or "worker". */
void ls_log(ls_log_level level, const char *component, const char *fmt, ...) LS_PRINTF(3, 4);

#define ls_log_debug(component, ...) ls_log(LS_LOG_DEBUG, component, __VA_ARGS__)
#define ls_log_info(component, ...) ls_log(LS_LOG_INFO, component, __VA_ARGS__)
#define ls_log_warn(component, ...) ls_log(LS_LOG_WARN, component, __VA_ARGS__)
#define ls_log_error(component, ...) ls_log(LS_LOG_ERROR, component, __VA_ARGS__)

#endif
