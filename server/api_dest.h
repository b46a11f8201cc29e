/*
 * Destination locations of jobs and databases: file:///dir/, s3://bucket/prefix/,
 * oss://bucket/prefix/.
 *
 * Parsing validates the syntax and yields a normalized form that always ends
 * with '/', so prefix tests work on whole path segments: s3://b/sls1/ and
 * s3://b/sls1x/ do not overlap, s3://b/a/ and s3://b/a/b/ do.
 *
 * Emptiness ("an empty folder", DESIGN.md): file:// is checked on the local
 * file system. s3:// and oss:// are checked through ls_api.prefix_empty
 * (api_prefix.h, set by serve.c), which lists the prefix in the store; when
 * it is NULL (unit tests) only their syntax is validated.
 */
#ifndef LAKESYNC_API_DEST_H
#define LAKESYNC_API_DEST_H

#include <stdbool.h>

#include "api_router.h"

typedef enum api_scheme {
    API_SCHEME_FILE = 0,
    API_SCHEME_S3,
    API_SCHEME_OSS,
} api_scheme;

typedef struct api_dest_uri {
    api_scheme scheme;
    char normalized[LS_API_URI_MAX]; /* e.g. "file:///data/t/" or "s3://b/p/" */
} api_dest_uri;

/* Validates uri and fills out. LS_ERR_INVALID naming field on bad syntax. */
ls_code api_dest_parse(const char *uri, const char *field, api_dest_uri *out,
                       ls_error *err) LS_MUST_USE;

/* True when one normalized location is a prefix of the other on segment
 * boundaries (equal locations overlap too). */
bool api_dest_overlap(const char *a, const char *b);

/* Writes base (normalized) + segment + "/" into out. LS_ERR_INVALID when too long. */
ls_code api_dest_join(char *out, size_t size, const char *base, const char *segment,
                      ls_error *err) LS_MUST_USE;

/* Checks that the location holds nothing (absent counts as empty).
 * LS_ERR_UNPROCESSABLE naming field when it is not empty or not a directory;
 * object-store locations pass when api->prefix_empty is NULL; otherwise its
 * failures are reported as LS_ERR_UNPROCESSABLE naming field. */
ls_code api_dest_check_empty(const ls_api *api, const api_dest_uri *uri,
                             const ls_api_store_access *access, const char *field,
                             ls_error *err) LS_MUST_USE;

#endif
