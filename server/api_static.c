/* Static files of the console (web/) for every path outside /api/. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_handlers.h"

#define STATIC_FILE_MAX_BYTES (16u * 1024 * 1024)

static const struct {
    const char *extension;
    const char *type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".yaml", "application/yaml"},
};

static const char *content_type_for(const char *path)
{
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof content_types / sizeof content_types[0]; i++) {
        if (strcmp(dot, content_types[i].extension) == 0)
            return content_types[i].type;
    }
    return "application/octet-stream";
}

/* Refuses ".", ".." and hidden segments before touching the file system, so
 * a request can never name a file outside web_dir even before realpath. */
static bool request_path_safe(const char *path)
{
    if (path[0] != '/')
        return false;
    const char *p = path + 1;
    while (*p) {
        size_t len = strcspn(p, "/");
        if (len > 0 && p[0] == '.')
            return false;
        for (size_t i = 0; i < len; i++) {
            if (p[i] == '\\' || (unsigned char)p[i] < 0x20)
                return false;
        }
        p += len;
        if (*p == '/')
            p++;
    }
    return true;
}

static ls_code read_file(const char *path, ls_buf *out, ls_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return ls_error_set(err, LS_ERR_NOT_FOUND, "no such file");
    ls_code rc = LS_OK;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = ls_error_set(err, LS_ERR_NOT_FOUND, "no such file");
        goto out;
    }
    if ((size_t)st.st_size > STATIC_FILE_MAX_BYTES) {
        rc = ls_error_set(err, LS_ERR_TOO_LARGE, "file too large to serve");
        goto out;
    }
    rc = ls_buf_reserve(out, (size_t)st.st_size, err);
    if (rc)
        goto out;
    ssize_t n;
    while ((n = read(fd, out->data + out->len, out->cap - out->len)) > 0)
        out->len += (size_t)n;
    if (n < 0)
        rc = ls_error_set(err, LS_ERR_IO, "cannot read a static file");
    out->data[out->len] = '\0';
out:
    close(fd);
    return rc;
}

ls_code api_static_serve(ls_api_request *req, ls_error *err)
{
    const char *method = req->http->method;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        snprintf(req->allow, sizeof req->allow, "GET, HEAD");
        return ls_error_set(err, LS_ERR_INVALID, "method %s is not allowed here; use GET", method);
    }
    const char *path = req->http->path;
    if (!req->api->web_dir[0] || !request_path_safe(path))
        return ls_error_set(err, LS_ERR_NOT_FOUND, "no such file");
    char joined[PATH_MAX], resolved[PATH_MAX];
    size_t len = strlen(path);
    int n = snprintf(joined, sizeof joined, "%s%s%s", req->api->web_dir, path,
                     path[len - 1] == '/' ? "index.html" : "");
    if (n < 0 || (size_t)n >= sizeof joined || !realpath(joined, resolved))
        return ls_error_set(err, LS_ERR_NOT_FOUND, "no such file");
    /* Symbolic links inside web/ must not lead outside it either. */
    size_t root_len = strlen(req->api->web_dir);
    if (strncmp(resolved, req->api->web_dir, root_len) != 0 || resolved[root_len] != '/')
        return ls_error_set(err, LS_ERR_NOT_FOUND, "no such file");
    ls_buf_reset(&req->response->body);
    ls_code rc = read_file(resolved, &req->response->body, err);
    if (rc)
        return rc;
    req->response->status = 200;
    req->response->content_type = content_type_for(resolved);
    return LS_OK;
}
