#include "util/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The one piece of process-wide mutable state: set once at start-up from a
 * flag, read by every thread, hence atomic. */
static _Atomic int log_threshold = LS_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void ls_log_set_level(ls_log_level level)
{
    atomic_store(&log_threshold, (int)level);
}

ls_code ls_log_level_parse(const char *text, ls_log_level *out, ls_error *err)
{
    for (int i = 0; i <= LS_LOG_ERROR; i++) {
        if (strcmp(text, level_names[i]) == 0) {
            *out = (ls_log_level)i;
            return LS_OK;
        }
    }
    return ls_error_set(err, LS_ERR_INVALID,
                        "log level must be one of debug, info, warn, error, not '%s'", text);
}

void ls_log(ls_log_level level, const char *component, const char *fmt, ...)
{
    if ((int)level < atomic_load(&log_threshold))
        return;
    char line[2048];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %-8s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, now.tv_nsec / 1000000, level_names[level], component);
    if (n < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    /* One fputs per line keeps lines from concurrent threads whole. */
    size_t len = strlen(line);
    if (len + 1 < sizeof line) {
        line[len] = '\n';
        line[len + 1] = '\0';
    }
    fputs(line, stderr);
}
