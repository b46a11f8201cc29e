/*
 * A job definition's syntax and the seed's rules that need no stored state
 * (DESIGN.md "Rules from the seed"): destination type and format, paths,
 * names, parse levels, fields and their types, partition transforms and
 * their type compatibility, start position, ACU minimum, commit interval.
 * Rules that depend on other resources (data source, resource group, the
 * ACUs left, databases, other jobs' paths, non-empty folders) are checked by
 * api_jobs.c.
 *
 * Errors are LS_ERR_INVALID (400) naming the field, e.g. "fields[1].type".
 */
#ifndef LAKESYNC_API_JOBSPEC_H
#define LAKESYNC_API_JOBSPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api_dest.h"
#include "util/error.h"

#define API_JOB_SECRET_MAX 1024
#define API_JOB_FIELDS_MAX 4096
#define API_JOB_PARTITIONS_MAX 16
#define API_JOB_COMMIT_INTERVAL_DEFAULT_S 300
#define API_JOB_COMMIT_INTERVAL_MAX_S 86400
#define API_JOB_ACUS_MIN 2
#define API_JOB_ACUS_DEFAULT 2

/* What the stateful checks need, pointing into the checked document. */
typedef struct api_job_spec {
    const char *name; /* NULL: auto-generate */
    const char *data_source_id;
    bool managed;          /* destination.type "managed" */
    bool paimon;           /* destination.format "paimon" */
    const char *path;      /* destination.path as given, NULL when absent */
    api_dest_uri path_uri; /* parsed path (user_path only) */
    const char *database;
    const char *table;
    const char *resource_group_id; /* NULL: the default group */
    int64_t acus;
    /* destination.secret_access_key: set (plaintext in secret), or explicitly
     * null (cleared), or neither (keep the stored one). */
    bool secret_set;
    bool secret_cleared;
    char secret[API_JOB_SECRET_MAX + 1];
} api_job_spec;

/* Checks doc (a job as a client sends it, or a stored job merged with a
 * PATCH) and normalizes it in place: defaults filled in, type names made
 * canonical, the secret moved out of the document into spec->secret. The
 * caller wipes spec with api_jobspec_wipe. */
ls_code api_jobspec_check(json_t *doc, api_job_spec *spec, ls_error *err) LS_MUST_USE;

/* Overwrites the secret held in spec. */
void api_jobspec_wipe(api_job_spec *spec);

/* Checks an RFC 3339 date-time ("2026-11-23T10:15:30Z", fractions and
 * offsets allowed) with real calendar ranges. */
bool api_rfc3339_valid(const char *text);

#endif
