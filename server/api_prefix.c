#include "api_prefix.h"

#include <stdio.h>
#include <string.h>

#include "objstore.h"
#include "util/log.h"

/* The API answers while the caller waits: a few seconds at most in all, and
 * the HTTP thread is held meanwhile. A store that stalls is cut at the first
 * request timeout (no retry starts after PREFIX_RETRY_TOTAL_MS); one that
 * refuses connections or answers 5xx gets PREFIX_MAX_ATTEMPTS quick tries. */
#define PREFIX_MAX_ATTEMPTS 3
#define PREFIX_RETRY_BASE_DELAY_MS 100
#define PREFIX_RETRY_MAX_DELAY_MS 500
#define PREFIX_RETRY_TOTAL_MS 3000
#define PREFIX_CONNECT_TIMEOUT_MS 2000
#define PREFIX_REQUEST_TIMEOUT_MS 3000
/* Two keys tell a folder marker alone from a marker followed by objects. */
#define PREFIX_LIST_KEYS 2

static const char *nonempty_or_null(const char *text)
{
    return text && text[0] ? text : NULL;
}

/* Splits "s3://bucket/a/b/" into the root "s3://bucket" and the key prefix
 * "a/b/" ("" for the whole bucket). */
static ls_code split_location(const char *uri, char *root, size_t root_size, const char **prefix,
                              ls_error *err)
{
    const char *scheme_end = strstr(uri, "://");
    if (!scheme_end || (strncmp(uri, "s3://", 5) != 0 && strncmp(uri, "oss://", 6) != 0))
        return ls_error_set(err, LS_ERR_INVALID, "%.200s is not an s3:// or oss:// location", uri);
    const char *bucket = scheme_end + 3;
    size_t root_len = (size_t)(bucket - uri) + strcspn(bucket, "/");
    if (root_len >= root_size)
        return ls_error_set(err, LS_ERR_INVALID, "location %.200s is too long", uri);
    memcpy(root, uri, root_len);
    root[root_len] = '\0';
    *prefix = uri[root_len] == '/' ? uri + root_len + 1 : uri + root_len;
    return LS_OK;
}

/* Rewrites an object-store failure as the reason a user can act on; the
 * store's own message (status, S3 error code) follows. Object-store
 * messages never hold a secret (objstore.h). */
static ls_code explain(const ls_error *store_err, const char *root, ls_error *err)
{
    const char *why;
    switch (store_err->code) {
    case LS_ERR_UNAVAILABLE:
        why = "the object store cannot be reached";
        break;
    case LS_ERR_NOT_FOUND:
        why = "no such bucket";
        break;
    case LS_ERR_UNAUTHENTICATED:
        why = "no usable credentials";
        break;
    case LS_ERR_PERMISSION:
        why = "access denied";
        break;
    default:
        why = "the object store refused the request";
        break;
    }
    return ls_error_set(err, store_err->code, "%s (%s): %s", why, root, store_err->message);
}

static void options_for(const ls_api_store_access *access, ls_objstore_options *o)
{
    ls_objstore_options_init(o);
    o->endpoint = nonempty_or_null(access->endpoint);
    o->region = nonempty_or_null(access->region);
    o->access_key_id = nonempty_or_null(access->access_key_id);
    o->secret_access_key = nonempty_or_null(access->secret_access_key);
    /* As the job runtime does: true forces path-style, false is automatic. */
    o->path_style = access->path_style ? 1 : -1;
    o->max_attempts = PREFIX_MAX_ATTEMPTS;
    o->retry_base_delay_ms = PREFIX_RETRY_BASE_DELAY_MS;
    o->retry_max_delay_ms = PREFIX_RETRY_MAX_DELAY_MS;
    o->max_retry_total_ms = PREFIX_RETRY_TOTAL_MS;
    o->connect_timeout_ms = PREFIX_CONNECT_TIMEOUT_MS;
    o->request_timeout_ms = PREFIX_REQUEST_TIMEOUT_MS;
    o->list_page_size = PREFIX_LIST_KEYS;
}

ls_code api_prefix_empty(void *ctx, const char *uri, const ls_api_store_access *access, bool *empty,
                         ls_error *err)
{
    (void)ctx;
    static const ls_api_store_access from_environment = {0};
    char root[LS_API_URI_MAX];
    const char *prefix = NULL;
    ls_objstore *store = NULL;
    ls_objstore_list_page page = {0};
    ls_objstore_options options;
    ls_error store_err = {0};
    *empty = false;
    ls_code rc = split_location(uri, root, sizeof root, &prefix, err);
    if (rc)
        return rc;
    options_for(access ? access : &from_environment, &options);
    rc = ls_objstore_open(root, &options, &store, &store_err);
    if (!rc)
        rc = ls_objstore_list(store, prefix, NULL, &page, &store_err);
    if (rc) {
        ls_log_info("api", "cannot list %s: %s", uri, store_err.message);
        rc = explain(&store_err, root, err);
        goto out;
    }
    *empty = true;
    for (size_t i = 0; i < page.count; i++) {
        bool marker = page.entries[i].size_bytes == 0 && strcmp(page.entries[i].key, prefix) == 0;
        if (!marker)
            *empty = false;
    }
out:
    ls_objstore_list_page_cleanup(&page);
    ls_objstore_free(store);
    return rc;
}
