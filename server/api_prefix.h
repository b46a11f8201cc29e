/*
 * The object-store half of "a destination must be an empty folder"
 * (DESIGN.md, Rules from the seed): the ls_api_prefix_empty_fn that serve.c
 * installs as ls_api.prefix_empty.
 */
#ifndef LAKESYNC_API_PREFIX_H
#define LAKESYNC_API_PREFIX_H

#include <stdbool.h>

#include "api_router.h"

/* Tells whether the s3:// or oss:// location uri ("s3://bucket/some/prefix/",
 * normalized by api_dest_parse) holds no object. A zero-byte folder marker
 * whose key is the prefix itself (what consoles create for a new folder)
 * does not count. The store is reached with access (a job's destination
 * settings; NULL fields fall back to the AWS_* environment, path_style false
 * means automatic), with at most a few seconds of retries so the API answers
 * promptly. ctx is unused (NULL). Fails, with a message naming the reason
 * and never a secret, when the store cannot be reached
 * (LS_ERR_UNAVAILABLE), no credentials are found or they are refused
 * (LS_ERR_UNAUTHENTICATED), the bucket does not exist (LS_ERR_NOT_FOUND),
 * access is denied (LS_ERR_PERMISSION) or the settings are invalid
 * (LS_ERR_INVALID). */
ls_code api_prefix_empty(void *ctx, const char *uri, const ls_api_store_access *access, bool *empty,
                         ls_error *err) LS_MUST_USE;

#endif
