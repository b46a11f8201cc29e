#include "api_router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api_handlers.h"
#include "util/log.h"

#define PAGE_SIZE_DEFAULT 100
#define PAGE_SIZE_MAX 1000
#define PATH_SEGMENTS_MAX 16

/* Splits a path into at most max segments in place (the copy in buf). Returns
 * the count, or -1 for too many segments or an empty segment (which no route
 * has, e.g. "//" or a trailing "/"). */
static int split_path(const char *path, char *buf, size_t buf_size, char **segments, int max)
{
    size_t len = strlen(path);
    if (len == 0 || len >= buf_size || path[0] != '/')
        return -1;
    memcpy(buf, path + 1, len);
    int count = 0;
    char *p = buf;
    while (1) {
        if (count == max)
            return -1;
        segments[count++] = p;
        char *slash = strchr(p, '/');
        if (!slash)
            break;
        *slash = '\0';
        p = slash + 1;
    }
    for (int i = 0; i < count; i++) {
        if (segments[i][0] == '\0')
            return -1;
    }
    return count;
}

/* Matches one route against the request's segments, capturing parameters. */
static bool route_matches(const ls_api_route *route, char **segments, int count,
                          ls_api_request *req)
{
    char pattern_buf[256];
    char *parts[PATH_SEGMENTS_MAX];
    int n = split_path(route->pattern, pattern_buf, sizeof pattern_buf, parts, PATH_SEGMENTS_MAX);
    if (n != count)
        return false;
    size_t params = 0;
    for (int i = 0; i < n; i++) {
        size_t plen = strlen(parts[i]);
        if (parts[i][0] == '{' && parts[i][plen - 1] == '}') {
            if (params == LS_API_MAX_PARAMS || strlen(segments[i]) >= LS_API_PARAM_MAX)
                return false;
            params++;
            continue;
        }
        if (strcmp(parts[i], segments[i]) != 0)
            return false;
    }
    /* Capture only once the whole route matched. The names point into the
     * static pattern strings, so they stay valid. */
    req->param_count = 0;
    const char *p = route->pattern;
    for (int i = 0; i < n; i++) {
        p++; /* the '/' */
        size_t plen = strcspn(p, "/");
        if (p[0] == '{') {
            req->param_names[req->param_count] = p;
            snprintf(req->param_values[req->param_count], LS_API_PARAM_MAX, "%s", segments[i]);
            req->param_count++;
        }
        p += plen;
    }
    return true;
}

const char *api_param(const ls_api_request *req, const char *name)
{
    size_t name_len = strlen(name);
    for (size_t i = 0; i < req->param_count; i++) {
        const char *n = req->param_names[i] + 1;
        if (strncmp(n, name, name_len) == 0 && n[name_len] == '}')
            return req->param_values[i];
    }
    return "";
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when invalid. */
static size_t utf8_sequence(const unsigned char *p)
{
    size_t len = p[0] < 0x80             ? 1
                 : (p[0] & 0xe0) == 0xc0 ? 2
                 : (p[0] & 0xf0) == 0xe0 ? 3
                 : (p[0] & 0xf8) == 0xf0 ? 4
                                         : 0;
    if (len == 2 && p[0] < 0xc2)
        return 0; /* overlong */
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    }
    return len;
}

/* Error messages quote client input (ids decoded from the URL, names) and
 * may be cut mid-character by the fixed-size ls_error: replace whatever is
 * not valid UTF-8 with '?' so the JSON body can always be encoded. */
static void utf8_sanitize(const char *in, char *out, size_t size)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t used = 0;
    while (*p && used + 1 < size) {
        size_t len = utf8_sequence(p);
        if (len == 0 || used + len >= size) {
            out[used++] = '?';
            p++;
            continue;
        }
        memcpy(out + used, p, len);
        used += len;
        p += len;
    }
    out[used] = '\0';
}

static void reply_error(ls_api_request *req, const ls_error *err)
{
    ls_http_response *resp = req->response;
    ls_code code = err->code ? err->code : LS_ERR_INTERNAL;
    resp->status = ls_http_status_for_code(code);
    resp->content_type = "application/json";
    ls_buf_reset(&resp->body);
    resp->header_count = 0;
    char message[LS_ERROR_MESSAGE_MAX], field[LS_ERROR_FIELD_MAX];
    utf8_sanitize(err->message[0] ? err->message : ls_code_name(code), message, sizeof message);
    utf8_sanitize(err->field, field, sizeof field);
    json_t *body;
    /* Iceberg clients parse the catalog's own error shape (401s included). */
    if (strncmp(req->http->path, "/iceberg/", 9) == 0)
        body = api_iceberg_error_json(resp->status, message, "NotFoundException");
    else
        body = json_pack("{s:{s:s,s:s}}", "error", "code", ls_code_name(code), "message", message);
    if (body && field[0])
        json_object_set_new(json_object_get(body, "error"), "field", json_string(field));
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    ls_error ignored = {0};
    if (!text || ls_buf_append_str(&resp->body, text, &ignored))
        resp->status = 500;
    free(text);
    json_decref(body);
    if (code == LS_ERR_UNAUTHENTICATED &&
        ls_http_response_add_header(resp, "WWW-Authenticate", "Bearer realm=\"lakesync\"",
                                    &ignored))
        resp->status = 500;
}

ls_code api_reply_json(ls_api_request *req, int status, json_t *body, ls_error *err)
{
    ls_code rc = LS_OK;
    char *text = NULL;
    if (!body)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory building the response");
    text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory encoding the response");
        goto out;
    }
    ls_buf_reset(&req->response->body);
    rc = ls_buf_append_str(&req->response->body, text, err);
    if (rc)
        goto out;
    json_t *etag = json_object_get(body, "etag");
    if (json_is_string(etag)) {
        char quoted[80];
        snprintf(quoted, sizeof quoted, "\"%s\"", json_string_value(etag));
        rc = ls_http_response_add_header(req->response, "ETag", quoted, err);
        if (rc)
            goto out;
    }
    req->response->status = status;
    req->response->content_type = "application/json";
out:
    free(text);
    json_decref(body);
    return rc;
}

ls_code api_reply_created(ls_api_request *req, const char *location, json_t *body, ls_error *err)
{
    ls_code rc = ls_http_response_add_header(req->response, "Location", location, err);
    if (rc) {
        json_decref(body);
        return rc;
    }
    return api_reply_json(req, 201, body, err);
}

ls_code api_reply_no_content(ls_api_request *req, ls_error *err)
{
    (void)err;
    ls_buf_reset(&req->response->body);
    req->response->status = 204;
    req->response->content_type = NULL;
    return LS_OK;
}

/* Compares one If-Match list element (possibly W/ and quoted) with etag. */
static bool etag_element_matches(const char *p, size_t len, const char *etag)
{
    while (len > 0 && (*p == ' ' || *p == '\t')) {
        p++;
        len--;
    }
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    if (len == 1 && *p == '*')
        return true;
    if (len >= 2 && p[0] == 'W' && p[1] == '/') {
        p += 2;
        len -= 2;
    }
    if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
        p++;
        len -= 2;
    }
    return len == strlen(etag) && memcmp(p, etag, len) == 0;
}

ls_code api_check_if_match(const ls_api_request *req, const char *etag, ls_error *err)
{
    const char *header = ls_http_request_header(req->http, "If-Match");
    if (!header)
        return LS_OK;
    const char *p = header;
    while (1) {
        size_t len = strcspn(p, ",");
        if (etag_element_matches(p, len, etag))
            return LS_OK;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    return ls_error_set_field(err, LS_ERR_PRECONDITION, "If-Match",
                              "If-Match does not match the current etag \"%s\"; read the "
                              "resource again",
                              etag);
}

static bool parse_decimal(const char *text, int64_t max, int64_t *out)
{
    int64_t value = 0;
    if (!text[0] || strlen(text) > 18)
        return false;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        value = value * 10 + (*p - '0');
    }
    if (value > max)
        return false;
    *out = value;
    return true;
}

ls_code api_page_params(const ls_api_request *req, int64_t *page_size, int64_t *after_seq,
                        ls_error *err)
{
    const char *size = ls_http_request_query(req->http, "page_size");
    const char *token = ls_http_request_query(req->http, "page_token");
    *page_size = PAGE_SIZE_DEFAULT;
    *after_seq = 0;
    if (size && (!parse_decimal(size, PAGE_SIZE_MAX, page_size) || *page_size < 1))
        return ls_error_set_field(err, LS_ERR_INVALID, "page_size",
                                  "page_size must be an integer from 1 to %d", PAGE_SIZE_MAX);
    /* The token is "p" + the last seq returned: opaque to clients. */
    if (token && token[0] &&
        (token[0] != 'p' || !parse_decimal(token + 1, INT64_MAX / 2, after_seq)))
        return ls_error_set_field(err, LS_ERR_INVALID, "page_token",
                                  "page_token is not one this server issued");
    return LS_OK;
}

json_t *api_page_body(json_t *items, bool more, int64_t last_seq)
{
    json_t *token = json_null();
    if (more) {
        char text[32];
        snprintf(text, sizeof text, "p%lld", (long long)last_seq);
        token = json_string(text);
    }
    return json_pack("{s:o,s:o}", "items", items, "next_page_token", token);
}

void api_now_rfc3339(char out[32])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

ls_code api_new_id(const char *prefix, char *out, size_t out_size, ls_error *err)
{
    char hex[21];
    ls_code rc = ls_secret_random_hex(10, hex, sizeof hex, err);
    if (rc)
        return rc;
    if ((size_t)snprintf(out, out_size, "%s%s", prefix, hex) >= out_size)
        return ls_error_set(err, LS_ERR_INTERNAL, "id buffer too small");
    return LS_OK;
}

ls_code api_new_etag(char out[33], ls_error *err)
{
    return ls_secret_random_hex(16, out, 33, err);
}

bool api_id_valid(const char *text)
{
    size_t len = strlen(text);
    if (len == 0 || len > 64)
        return false;
    for (const char *p = text; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return false;
    }
    return true;
}

/* Resolves the caller's role from "Authorization: Bearer <token>". */
static ls_code authenticate(ls_api_request *req, ls_api_role needed, ls_error *err)
{
    const char *header = ls_http_request_header(req->http, "Authorization");
    if (!header)
        return ls_error_set(err, LS_ERR_UNAUTHENTICATED,
                            "this route needs an Authorization: Bearer <token> header");
    if (strncasecmp(header, "Bearer ", 7) != 0 || header[7] == '\0')
        return ls_error_set(err, LS_ERR_UNAUTHENTICATED,
                            "the Authorization header must be 'Bearer <token>'");
    ls_code rc =
        api_auth_lookup(req->api, header + 7, &req->role, req->token_id, sizeof req->token_id, err);
    if (rc)
        return rc;
    if (needed == LS_API_ROLE_ADMIN && req->role != LS_API_ROLE_ADMIN)
        return ls_error_set(err, LS_ERR_PERMISSION, "this route needs an admin token");
    return LS_OK;
}

/* Finds the route for the request. *path_known tells whether some route has
 * this path with another method (405 rather than 404). allow lists them. */
static const ls_api_route *find_route(ls_api_request *req, const char *method, bool *path_known,
                                      char *allow, size_t allow_size)
{
    char buf[2048];
    char *segments[PATH_SEGMENTS_MAX];
    int count = split_path(req->http->path, buf, sizeof buf, segments, PATH_SEGMENTS_MAX);
    *path_known = false;
    allow[0] = '\0';
    if (count < 0)
        return NULL;
    const ls_api_route *found = NULL;
    for (const ls_api_route *r = ls_api_routes; r->method; r++) {
        ls_api_request probe = *req;
        if (!route_matches(r, segments, count, &probe))
            continue;
        *path_known = true;
        size_t used = strlen(allow);
        snprintf(allow + used, allow_size - used, "%s%s", used ? ", " : "", r->method);
        if (!found && strcmp(r->method, method) == 0) {
            found = r;
            *req = probe;
        }
    }
    return found;
}

static ls_code dispatch_api(ls_api_request *req, ls_error *err)
{
    const char *method = strcmp(req->http->method, "HEAD") == 0 ? "GET" : req->http->method;
    bool path_known = false;
    char allow[128];
    const ls_api_route *route = find_route(req, method, &path_known, allow, sizeof allow);
    if (!route && path_known) {
        snprintf(req->allow, sizeof req->allow, "%s", allow);
        return ls_error_set(err, LS_ERR_INVALID, "method %s is not allowed here; use %s",
                            req->http->method, allow);
    }
    if (!route)
        return ls_error_set(err, LS_ERR_NOT_FOUND, "no such API route");
    if (route->role != LS_API_ROLE_PUBLIC) {
        ls_code rc = authenticate(req, route->role, err);
        if (rc)
            return rc;
    }
    return route->handler(req, err);
}

void ls_api_handle(void *ctx, const ls_http_request *request, ls_http_response *response)
{
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    ls_api_request req = {.api = ctx, .http = request, .response = response};
    ls_error err = {0};
    ls_code rc;
    /* /api/v1 for people and automation, /internal/v1 for workers, /metrics
     * for Prometheus, /iceberg/v1 for engines (the REST catalog); the rest
     * is the console's static files. */
    if (strncmp(request->path, "/api/", 5) == 0 || strcmp(request->path, "/api") == 0 ||
        strncmp(request->path, "/internal/", 10) == 0 || strcmp(request->path, "/metrics") == 0 ||
        strncmp(request->path, "/iceberg/", 9) == 0)
        rc = dispatch_api(&req, &err);
    else
        rc = api_static_serve(&req, &err);
    if (rc) {
        reply_error(&req, &err);
        ls_error ignored = {0};
        if (req.allow[0] &&
            ls_http_response_add_header(response, "Allow", req.allow, &ignored) == LS_OK)
            response->status = 405;
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    long ms = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1000000;
    /* Paths only: query strings and bodies may carry secrets. */
    ls_log(response->status >= 500 ? LS_LOG_WARN : LS_LOG_DEBUG, "http", "%s %s %d %ldms",
           request->method, request->path, response->status, ms);
}

static int compare_lines(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void ls_api_print_routes(FILE *out)
{
    char *lines[256];
    size_t count = 0;
    for (const ls_api_route *r = ls_api_routes; r->method && count < 256; r++) {
        size_t len = strlen(r->method) + strlen(r->pattern) + 2;
        lines[count] = malloc(len);
        if (!lines[count])
            break;
        snprintf(lines[count], len, "%s %s", r->method, r->pattern);
        count++;
    }
    qsort(lines, count, sizeof lines[0], compare_lines);
    for (size_t i = 0; i < count; i++) {
        fprintf(out, "%s\n", lines[i]);
        free(lines[i]);
    }
}
