#include "api_dest.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"

#define BUCKET_MIN 3
#define BUCKET_MAX 63

static bool bucket_valid(const char *bucket, size_t len, bool dots_allowed)
{
    if (len < BUCKET_MIN || len > BUCKET_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = bucket[i];
        bool edge = i == 0 || i == len - 1;
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  (!edge && (c == '-' || (dots_allowed && c == '.')));
        if (!ok || (c == '.' && bucket[i + 1] == '.'))
            return false;
    }
    return true;
}

/* Checks the segments of a path ("a/b/c" or "a/b/c/"): no empty, "." or ".."
 * segment, no characters that change a URI's meaning. */
static bool path_valid(const char *path)
{
    const char *p = path;
    while (*p) {
        size_t len = strcspn(p, "/");
        if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)p[i];
            if (c < 0x20 || c == 0x7f || c == '\\' || c == '?' || c == '#' || c == '%')
                return false;
        }
        p += len;
        if (*p == '/')
            p++;
    }
    return true;
}

static ls_code bad(const char *field, const char *uri, const char *why, ls_error *err)
{
    return ls_error_set_field(err, LS_ERR_INVALID, field, "%s '%s' is not valid: %s", field, uri,
                              why);
}

ls_code api_dest_parse(const char *uri, const char *field, api_dest_uri *out, ls_error *err)
{
    const char *rest;
    memset(out, 0, sizeof *out);
    if (strlen(uri) >= LS_API_URI_MAX - 2)
        return bad(field, uri, "too long", err);
    if (strncmp(uri, "file://", 7) == 0) {
        out->scheme = API_SCHEME_FILE;
        rest = uri + 7;
        if (strncmp(rest, "localhost/", 10) == 0)
            rest += 9;
        if (rest[0] != '/')
            return bad(field, uri, "use file:///absolute/path/", err);
        rest++;
        if (!path_valid(rest) || rest[0] == '\0')
            return bad(field, uri,
                       "the path needs non-empty segments without '.', '..', "
                       "'?', '#', '%' or '\\'",
                       err);
        snprintf(out->normalized, sizeof out->normalized, "file:///%s", rest);
    } else if (strncmp(uri, "s3://", 5) == 0 || strncmp(uri, "oss://", 6) == 0) {
        bool s3 = uri[0] == 's';
        out->scheme = s3 ? API_SCHEME_S3 : API_SCHEME_OSS;
        rest = uri + (s3 ? 5 : 6);
        size_t bucket_len = strcspn(rest, "/");
        if (!bucket_valid(rest, bucket_len, s3))
            return bad(field, uri, "the bucket name needs 3-63 lower-case letters, digits or '-'",
                       err);
        const char *key = rest + bucket_len;
        if (*key == '/')
            key++;
        if (!path_valid(key))
            return bad(field, uri,
                       "the key prefix needs non-empty segments without '.', "
                       "'..', '?', '#', '%' or '\\'",
                       err);
        snprintf(out->normalized, sizeof out->normalized, "%s", uri);
    } else {
        return bad(field, uri, "use file://, s3:// or oss://", err);
    }
    size_t len = strlen(out->normalized);
    if (out->normalized[len - 1] != '/') {
        out->normalized[len] = '/';
        out->normalized[len + 1] = '\0';
    }
    return LS_OK;
}

bool api_dest_overlap(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    /* Both end with '/', so a plain prefix test is a segment-boundary test. */
    return strncmp(a, b, la < lb ? la : lb) == 0;
}

ls_code api_dest_join(char *out, size_t size, const char *base, const char *segment, ls_error *err)
{
    if ((size_t)snprintf(out, size, "%s%s/", base, segment) >= size)
        return ls_error_set(err, LS_ERR_INVALID, "location %s%s/ is too long", base, segment);
    return LS_OK;
}

static ls_code check_local_empty(const char *path, const char *uri, const char *field,
                                 ls_error *err)
{
    DIR *dir = opendir(path);
    if (!dir && errno == ENOENT)
        return LS_OK;
    if (!dir && errno == ENOTDIR)
        return ls_error_set_field(err, LS_ERR_UNPROCESSABLE, field,
                                  "%s %s exists and is not a directory", field, uri);
    if (!dir)
        return ls_error_set_field(err, LS_ERR_UNPROCESSABLE, field, "%s %s cannot be read: %s",
                                  field, uri, strerror(errno));
    struct dirent *entry;
    bool empty = true;
    while (empty && (entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
            empty = false;
    }
    closedir(dir);
    if (!empty)
        return ls_error_set_field(err, LS_ERR_UNPROCESSABLE, field,
                                  "%s %s is not empty; a destination must be an empty folder",
                                  field, uri);
    return LS_OK;
}

ls_code api_dest_check_empty(const ls_api *api, const api_dest_uri *uri,
                             const ls_api_store_access *access, const char *field, ls_error *err)
{
    if (uri->scheme == API_SCHEME_FILE)
        return check_local_empty(uri->normalized + 7, uri->normalized, field, err);
    if (!api->prefix_empty) {
        ls_log_debug("api", "emptiness of %s not checked: no object-store client yet",
                     uri->normalized);
        return LS_OK;
    }
    bool empty = false;
    ls_error store_err = {0};
    /* An unreachable store or refused credentials are the destination's
     * problem, not the API caller's authentication: always 422. */
    if (api->prefix_empty(api->prefix_empty_ctx, uri->normalized, access, &empty, &store_err))
        return ls_error_set_field(err, LS_ERR_UNPROCESSABLE, field,
                                  "cannot check that %s %s is empty: %s", field, uri->normalized,
                                  store_err.message);
    if (!empty)
        return ls_error_set_field(err, LS_ERR_UNPROCESSABLE, field,
                                  "%s %s is not empty; a destination must be an empty folder",
                                  field, uri->normalized);
    return LS_OK;
}
