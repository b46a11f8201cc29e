#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_server.h"
#include "testing.h"

/* Echoes what the server parsed, so the test sees the request as handed over. */
static void echo_handler(void *ctx, const ls_http_request *req, ls_http_response *resp)
{
    (void)ctx;
    ls_error err = {0};
    const char *q = ls_http_request_query(req, "q");
    const char *h = ls_http_request_header(req, "x-test");
    resp->status = 200;
    resp->content_type = "text/plain";
    if (ls_http_response_add_header(resp, "X-Echo", "yes", &err) ||
        ls_buf_printf(&resp->body, &err, "%s %s len=%zu q=%s h=%s", req->method, req->path,
                      req->body_len, q ? q : "-", h ? h : "-"))
        resp->status = 500;
}

static ls_http_server *start(size_t max_body)
{
    ls_http_config config = {.listen = "127.0.0.1:0",
                             .max_body_bytes = max_body,
                             .max_response_bytes = 1 << 20,
                             .threads = 2,
                             .handler = echo_handler};
    ls_http_server *server = NULL;
    ls_error err = {0};
    CHECK_OK(ls_http_server_start(&config, &server, &err), &err);
    return server;
}

/* Sends raw bytes and reads the whole answer (the request asks to close). */
static char *exchange(ls_http_server *server, const char *head, size_t body_len, const char *tail)
{
    const char *address = ls_http_server_address(server);
    int port = atoi(strrchr(address, ':') + 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
    CHECK(write(fd, head, strlen(head)) == (ssize_t)strlen(head));
    char chunk[4096];
    memset(chunk, 'x', sizeof chunk);
    for (size_t sent = 0; sent < body_len;) {
        size_t n = body_len - sent < sizeof chunk ? body_len - sent : sizeof chunk;
        ssize_t w = write(fd, chunk, n);
        CHECK(w > 0);
        sent += (size_t)w;
    }
    if (tail)
        CHECK(write(fd, tail, strlen(tail)) == (ssize_t)strlen(tail));
    size_t cap = 1 << 16, len = 0;
    char *out = calloc(1, cap + 1);
    ssize_t r;
    while ((r = read(fd, out + len, cap - len)) > 0)
        len += (size_t)r;
    close(fd);
    return out;
}

TEST(parse_listen)
{
    char host[64];
    uint16_t port = 1;
    ls_error err = {0};
    CHECK_OK(ls_http_parse_listen("127.0.0.1:8080", host, sizeof host, &port, &err), &err);
    CHECK_EQ_STR(host, "127.0.0.1");
    CHECK_EQ_INT(port, 8080);
    CHECK_OK(ls_http_parse_listen("[::1]:0", host, sizeof host, &port, &err), &err);
    CHECK_EQ_STR(host, "::1");
    CHECK_EQ_INT(port, 0);
    const char *bad[] = {"8080", ":80", "host:", "host:65536", "host:8x", "[::1:80", "h:123456"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ls_error_clear(&err);
        CHECK_EQ_INT(ls_http_parse_listen(bad[i], host, sizeof host, &port, &err), LS_ERR_INVALID);
    }
}

TEST(request_reaches_handler)
{
    ls_http_server *server = start(1024);
    CHECK(strncmp(ls_http_server_address(server), "127.0.0.1:", 10) == 0);
    CHECK(strcmp(ls_http_server_address(server), "127.0.0.1:0") != 0);
    char *answer = exchange(server,
                            "POST /a%20b?q=1%2B1 HTTP/1.1\r\nHost: x\r\nX-Test: t\r\n"
                            "Content-Length: 5\r\nConnection: close\r\n\r\nhello",
                            0, NULL);
    CHECK(strstr(answer, "HTTP/1.1 200") == answer);
    CHECK(strstr(answer, "X-Echo: yes") != NULL);
    CHECK(strstr(answer, "POST /a b len=5 q=1+1 h=t") != NULL);
    free(answer);
    ls_http_server_free(server);
}

TEST(body_over_cap_is_413)
{
    ls_http_server *server = start(1024);
    char *answer = exchange(server,
                            "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
                            "Connection: close\r\n\r\n",
                            5000, NULL);
    CHECK(strstr(answer, "HTTP/1.1 413") == answer);
    CHECK(strstr(answer, "\"code\":\"too_large\"") != NULL);
    free(answer);
    /* A chunked body without Content-Length is capped while it arrives. */
    answer = exchange(server,
                      "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                      "Connection: close\r\n\r\n800\r\n",
                      2048, "\r\n0\r\n\r\n");
    CHECK(strstr(answer, "HTTP/1.1 413") == answer);
    free(answer);
    ls_http_server_free(server);
}

TEST(body_at_cap_is_accepted)
{
    ls_http_server *server = start(1024);
    char *answer = exchange(server,
                            "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n"
                            "Connection: close\r\n\r\n",
                            1024, NULL);
    CHECK(strstr(answer, "HTTP/1.1 200") == answer);
    CHECK(strstr(answer, "len=1024") != NULL);
    free(answer);
    ls_http_server_free(server);
}

TEST(status_for_code)
{
    CHECK_EQ_INT(ls_http_status_for_code(LS_ERR_INVALID), 400);
    CHECK_EQ_INT(ls_http_status_for_code(LS_ERR_UNAUTHENTICATED), 401);
    CHECK_EQ_INT(ls_http_status_for_code(LS_ERR_PERMISSION), 403);
    CHECK_EQ_INT(ls_http_status_for_code(LS_ERR_NOT_FOUND), 404);
    CHECK_EQ_INT(ls_http_status_for_code(LS_ERR_CONFLICT), 409);
    CHECK_EQ_INT(ls_http_status_for_code(LS_ERR_PRECONDITION), 412);
    CHECK_EQ_INT(ls_http_status_for_code(LS_ERR_TOO_LARGE), 413);
    CHECK_EQ_INT(ls_http_status_for_code(LS_ERR_UNPROCESSABLE), 422);
    CHECK_EQ_INT(ls_http_status_for_code(LS_ERR_IO), 500);
}
