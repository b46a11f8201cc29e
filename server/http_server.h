/*
 * The HTTP server (libmicrohttpd; the only module that includes
 * microhttpd.h). It accepts connections on its own threads, reads each
 * request body into memory up to a cap, and hands complete requests to one
 * handler function. It knows nothing about routes, JSON or auth: those are
 * the api module's (server/api_router.h).
 *
 * Bodies larger than max_body_bytes are answered 413 with the API's error
 * body by this layer; the handler never sees them. The handler runs on a
 * server thread, possibly several at once, and must fill the response.
 */
#ifndef LAKESYNC_HTTP_SERVER_H
#define LAKESYNC_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"

#define LS_HTTP_MAX_HEADERS 8
#define LS_HTTP_HEADER_VALUE_MAX 1024

typedef struct ls_http_server ls_http_server;

/* A complete request. Everything is owned by the server and valid only
 * during the handler call. */
typedef struct ls_http_request {
    const char *method;  /* "GET", "POST", ... */
    const char *path;    /* percent-decoded, without the query string */
    const uint8_t *body; /* body_len bytes, NUL-terminated; "" when none */
    size_t body_len;
    void *connection; /* internal: for the header and query accessors */
} ls_http_request;

typedef struct ls_http_header {
    char name[64];
    char value[LS_HTTP_HEADER_VALUE_MAX];
} ls_http_header;

/* The handler's answer. The server initializes it (status 500, empty body
 * capped at body.max_bytes, no headers) and frees it after sending. */
typedef struct ls_http_response {
    int status;
    const char *content_type; /* a static string; NULL sends none */
    ls_buf body;
    ls_http_header headers[LS_HTTP_MAX_HEADERS];
    size_t header_count;
} ls_http_response;

typedef void (*ls_http_handler)(void *ctx, const ls_http_request *request,
                                ls_http_response *response);

typedef struct ls_http_config {
    const char *listen;        /* "HOST:PORT" or "[V6]:PORT"; port 0 picks a free one */
    size_t max_body_bytes;     /* request bodies above this get 413 */
    size_t max_response_bytes; /* cap of ls_http_response.body */
    unsigned threads;          /* worker threads, >= 1 */
    ls_http_handler handler;
    void *handler_ctx;
} ls_http_config;

/* Parses "HOST:PORT" into host (NUL-terminated, brackets removed) and port.
 * LS_ERR_INVALID naming the text when malformed. */
ls_code ls_http_parse_listen(const char *listen, char *host, size_t host_size, uint16_t *port,
                             ls_error *err) LS_MUST_USE;

/* Binds and starts serving. *out is owned by the caller (ls_http_server_free).
 * LS_ERR_INVALID for a bad address, LS_ERR_IO when binding fails. */
ls_code ls_http_server_start(const ls_http_config *config, ls_http_server **out,
                             ls_error *err) LS_MUST_USE;

/* The bound address as "HOST:PORT" (numeric host; IPv6 in brackets), with the
 * real port when 0 was asked. Owned by the server. */
const char *ls_http_server_address(const ls_http_server *server);

/* Stops accepting, finishes running handlers, frees everything. NULL-safe. */
void ls_http_server_free(ls_http_server *server);

/* A request header (case-insensitive name) or NULL. */
const char *ls_http_request_header(const ls_http_request *request, const char *name);

/* A decoded query parameter or NULL ("" for "?flag"). */
const char *ls_http_request_query(const ls_http_request *request, const char *name);

/* Adds a response header. LS_ERR_TOO_LARGE past LS_HTTP_MAX_HEADERS or an
 * over-long value. */
ls_code ls_http_response_add_header(ls_http_response *response, const char *name, const char *value,
                                    ls_error *err) LS_MUST_USE;

/* The HTTP status for an error code: 400, 401, 403, 404, 409, 412, 413, 422,
 * 503 or 500. */
int ls_http_status_for_code(ls_code code);

#endif
