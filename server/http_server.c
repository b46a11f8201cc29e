#include "http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "util/log.h"

/* Bodies declared larger than this are refused before reading them; smaller
 * over-cap bodies are read and discarded first, so the client gets a clean
 * 413 instead of a reset connection. */
#define DRAIN_LIMIT_BYTES (64u * 1024 * 1024)
#define CONNECTION_TIMEOUT_S 30
#define CONNECTION_LIMIT 512
#define ADDRESS_MAX 96

struct ls_http_server {
    struct MHD_Daemon *daemon;
    ls_http_config config;
    char address[ADDRESS_MAX];
};

/* Per-request state between MHD's calls of the access handler. */
typedef struct request_state {
    ls_buf body;
    int too_large;
    size_t drained_bytes; /* read and discarded after the cap was passed */
    int responded;        /* a 413 was queued before the body ended */
} request_state;

ls_code ls_http_parse_listen(const char *listen, char *host, size_t host_size, uint16_t *port,
                             ls_error *err)
{
    const char *colon = strrchr(listen, ':');
    const char *host_start = listen, *host_end = colon;
    if (!colon || colon == listen)
        goto bad;
    if (listen[0] == '[') {
        if (colon[-1] != ']')
            goto bad;
        host_start = listen + 1;
        host_end = colon - 1;
    }
    size_t host_len = (size_t)(host_end - host_start);
    if (host_len == 0 || host_len >= host_size)
        goto bad;
    memcpy(host, host_start, host_len);
    host[host_len] = '\0';
    const char *p = colon + 1;
    unsigned long value = 0;
    if (*p == '\0' || strlen(p) > 5)
        goto bad;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            goto bad;
        value = value * 10 + (unsigned long)(*p - '0');
    }
    if (value > 65535)
        goto bad;
    *port = (uint16_t)value;
    return LS_OK;
bad:
    return ls_error_set(err, LS_ERR_INVALID, "listen address must be HOST:PORT, not '%s'", listen);
}

int ls_http_status_for_code(ls_code code)
{
    switch (code) {
    case LS_OK:
        return 200;
    case LS_ERR_INVALID:
        return 400;
    case LS_ERR_UNAUTHENTICATED:
        return 401;
    case LS_ERR_PERMISSION:
        return 403;
    case LS_ERR_NOT_FOUND:
        return 404;
    case LS_ERR_CONFLICT:
        return 409;
    case LS_ERR_PRECONDITION:
        return 412;
    case LS_ERR_TOO_LARGE:
        return 413;
    case LS_ERR_UNPROCESSABLE:
        return 422;
    case LS_ERR_UNAVAILABLE:
        return 503;
    default:
        return 500;
    }
}

const char *ls_http_request_header(const ls_http_request *request, const char *name)
{
    return MHD_lookup_connection_value(request->connection, MHD_HEADER_KIND, name);
}

const char *ls_http_request_query(const ls_http_request *request, const char *name)
{
    return MHD_lookup_connection_value(request->connection, MHD_GET_ARGUMENT_KIND, name);
}

ls_code ls_http_response_add_header(ls_http_response *response, const char *name, const char *value,
                                    ls_error *err)
{
    if (response->header_count == LS_HTTP_MAX_HEADERS)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "too many response headers");
    ls_http_header *h = &response->headers[response->header_count];
    if (strlen(name) >= sizeof h->name || strlen(value) >= sizeof h->value)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "response header %s too long", name);
    snprintf(h->name, sizeof h->name, "%s", name);
    snprintf(h->value, sizeof h->value, "%s", value);
    response->header_count++;
    return LS_OK;
}

static enum MHD_Result send_response(struct MHD_Connection *connection, ls_http_response *resp)
{
    size_t len = 0;
    uint8_t *body = ls_buf_take(&resp->body, &len);
    if (!body)
        return MHD_NO;
    struct MHD_Response *mhd = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!mhd) {
        free(body);
        return MHD_NO;
    }
    if (resp->content_type)
        MHD_add_response_header(mhd, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    for (size_t i = 0; i < resp->header_count; i++)
        MHD_add_response_header(mhd, resp->headers[i].name, resp->headers[i].value);
    /* The console and API never need to be framed or sniffed. */
    MHD_add_response_header(mhd, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(mhd, "X-Frame-Options", "DENY");
    enum MHD_Result ret = MHD_queue_response(connection, (unsigned)resp->status, mhd);
    MHD_destroy_response(mhd);
    return ret;
}

static void response_init(ls_http_response *resp, size_t max_bytes)
{
    memset(resp, 0, sizeof *resp);
    resp->status = 500;
    ls_buf_init(&resp->body, max_bytes);
}

static enum MHD_Result send_too_large(struct MHD_Connection *connection, size_t max_body)
{
    ls_http_response resp;
    response_init(&resp, 4096);
    resp.status = 413;
    resp.content_type = "application/json";
    ls_error err = {0};
    if (ls_buf_printf(&resp.body, &err,
                      "{\"error\":{\"code\":\"too_large\",\"message\":\"the request body "
                      "exceeds %zu bytes\",\"field\":\"body\"}}",
                      max_body))
        return MHD_NO;
    return send_response(connection, &resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    ls_http_server *server = cls;
    request_state *state = *con_cls;
    if (!state) {
        state = calloc(1, sizeof *state);
        if (!state)
            return MHD_NO;
        ls_buf_init(&state->body, server->config.max_body_bytes);
        *con_cls = state;
        const char *length =
            MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Content-Length");
        unsigned long long declared = length ? strtoull(length, NULL, 10) : 0;
        if (declared > server->config.max_body_bytes) {
            state->too_large = 1;
            if (declared > DRAIN_LIMIT_BYTES) {
                state->responded = 1;
                return send_too_large(connection, server->config.max_body_bytes);
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        ls_error err = {0};
        if (!state->too_large &&
            ls_buf_append(&state->body, upload_data, *upload_data_size, &err) != LS_OK) {
            state->too_large = 1;
            ls_buf_cleanup(&state->body);
        }
        if (state->too_large)
            state->drained_bytes += *upload_data_size;
        *upload_data_size = 0;
        /* A body that never ends (chunked) is not drained forever. */
        if (state->drained_bytes > DRAIN_LIMIT_BYTES && !state->responded) {
            state->responded = 1;
            return send_too_large(connection, server->config.max_body_bytes);
        }
        return MHD_YES;
    }
    if (state->responded)
        return MHD_YES;
    if (state->too_large)
        return send_too_large(connection, server->config.max_body_bytes);

    ls_http_request request = {
        .method = method,
        .path = url,
        .body = state->body.data ? state->body.data : (const uint8_t *)"",
        .body_len = state->body.len,
        .connection = connection,
    };
    ls_http_response resp;
    response_init(&resp, server->config.max_response_bytes);
    server->config.handler(server->config.handler_ctx, &request, &resp);
    enum MHD_Result ret = send_response(connection, &resp);
    ls_buf_cleanup(&resp.body);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)connection;
    (void)toe;
    request_state *state = *con_cls;
    if (!state)
        return;
    ls_buf_cleanup(&state->body);
    free(state);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    ls_log_warn("http", "%s", line);
}

static ls_code resolve(const char *host, uint16_t port, struct sockaddr_storage *addr,
                       socklen_t *addr_len, ls_error *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char port_text[8];
    snprintf(port_text, sizeof port_text, "%u", (unsigned)port);
    int rc = getaddrinfo(host, port_text, &hints, &res);
    if (rc != 0 || !res)
        return ls_error_set(err, LS_ERR_INVALID, "cannot resolve listen host '%s': %s", host,
                            gai_strerror(rc));
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return LS_OK;
}

/* Fills server->address from the listening socket, so port 0 reports the
 * port the kernel picked. */
static ls_code read_bound_address(ls_http_server *server, ls_error *err)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_LISTEN_FD);
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    char host[INET6_ADDRSTRLEN], port[8];
    if (!info || getsockname(info->listen_fd, (struct sockaddr *)&addr, &len) != 0 ||
        getnameinfo((struct sockaddr *)&addr, len, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return ls_error_set(err, LS_ERR_IO, "cannot read the bound address");
    if (addr.ss_family == AF_INET6)
        snprintf(server->address, sizeof server->address, "[%s]:%s", host, port);
    else
        snprintf(server->address, sizeof server->address, "%s:%s", host, port);
    return LS_OK;
}

ls_code ls_http_server_start(const ls_http_config *config, ls_http_server **out, ls_error *err)
{
    *out = NULL;
    char host[256];
    uint16_t port = 0;
    struct sockaddr_storage addr;
    socklen_t addr_len = 0;
    ls_code rc = ls_http_parse_listen(config->listen, host, sizeof host, &port, err);
    if (rc)
        return rc;
    rc = resolve(host, port, &addr, &addr_len, err);
    if (rc)
        return rc;
    ls_http_server *server = calloc(1, sizeof *server);
    if (!server)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory starting the HTTP server");
    server->config = *config;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    server->daemon = MHD_start_daemon(
        flags, port, NULL, NULL, on_request, server, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, server,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
        config->threads ? config->threads : 1, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)CONNECTION_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, server, MHD_OPTION_END);
    if (!server->daemon) {
        free(server);
        return ls_error_set(err, LS_ERR_IO, "cannot listen on %s (address in use or not local?)",
                            config->listen);
    }
    rc = read_bound_address(server, err);
    if (rc) {
        ls_http_server_free(server);
        return rc;
    }
    *out = server;
    return LS_OK;
}

const char *ls_http_server_address(const ls_http_server *server)
{
    return server->address;
}

void ls_http_server_free(ls_http_server *server)
{
    if (!server)
        return;
    if (server->daemon)
        MHD_stop_daemon(server->daemon);
    free(server);
}
