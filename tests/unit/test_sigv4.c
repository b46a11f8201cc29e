/*
 * SigV4 against AWS's published vectors (tests/data/sigv4/, see its README):
 * each .req is parsed, signed with our code, and the canonical request, string
 * to sign and Authorization header are compared byte for byte.
 */
#include <string.h>

#include "sigv4.h"
#include "testing.h"

#define VECTOR_DIR LAKESYNC_SOURCE_DIR "/tests/data/sigv4/"

typedef struct parsed_request {
    char method[16];
    char path[512];
    ls_sigv4_pair query[LS_SIGV4_MAX_QUERY];
    size_t query_count;
    ls_sigv4_pair headers[LS_SIGV4_MAX_HEADERS];
    size_t header_count;
    char amz_date[LS_SIGV4_DATE_BYTES];
    char payload_hash[LS_SHA256_HEX_BYTES];
    char *text; /* owns every string above points into */
} parsed_request;

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes in place (the vectors' query strings are raw or encoded). */
static void percent_decode(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '%' && hex_value(r[1]) >= 0 && hex_value(r[2]) >= 0) {
            *w++ = (char)(hex_value(r[1]) * 16 + hex_value(r[2]));
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

static void parse_query(parsed_request *p, char *q)
{
    while (q && *q) {
        char *amp = strchr(q, '&');
        if (amp)
            *amp = '\0';
        char *eq = strchr(q, '=');
        if (eq)
            *eq = '\0';
        CHECK(p->query_count < LS_SIGV4_MAX_QUERY);
        percent_decode(q);
        if (eq)
            percent_decode(eq + 1);
        p->query[p->query_count++] = (ls_sigv4_pair){q, eq ? eq + 1 : ""};
        q = amp ? amp + 1 : NULL;
    }
}

static void parse_request(const char *name, parsed_request *p)
{
    char path[512];
    snprintf(path, sizeof path, VECTOR_DIR "%s.req", name);
    memset(p, 0, sizeof *p);
    p->text = testing_read_file(path, NULL);
    char *line_end = strchr(p->text, '\n');
    CHECK(line_end);
    *line_end = '\0';
    /* "METHOD URI HTTP/1.1": the URI itself may hold spaces (get-space). */
    char *sp = strchr(p->text, ' ');
    char *proto = strrchr(p->text, ' ');
    CHECK(sp && proto && proto > sp);
    *sp = '\0';
    *proto = '\0';
    snprintf(p->method, sizeof p->method, "%s", p->text);
    char *uri = sp + 1;
    char *qmark = strchr(uri, '?');
    if (qmark)
        *qmark = '\0';
    snprintf(p->path, sizeof p->path, "%s", uri);
    if (qmark)
        parse_query(p, qmark + 1);

    char *body = "";
    for (char *line = line_end + 1; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next = '\0';
        if (*line == '\0') { /* the blank line before a body */
            body = next ? next + 1 : "";
            break;
        }
        char *colon = strchr(line, ':');
        CHECK(colon);
        *colon = '\0';
        CHECK(p->header_count < LS_SIGV4_MAX_HEADERS);
        p->headers[p->header_count++] = (ls_sigv4_pair){line, colon + 1};
        if (strcmp(line, "X-Amz-Date") == 0 || strcmp(line, "x-amz-date") == 0)
            snprintf(p->amz_date, sizeof p->amz_date, "%s", colon + 1);
        if (next && next[1] == '\n') { /* header block ends, body follows */
            body = next + 2;
            break;
        }
        line = next ? next + 1 : NULL;
    }
    ls_sha256_hex(body, strlen(body), p->payload_hash);
}

static ls_sigv4_request as_request(const parsed_request *p)
{
    return (ls_sigv4_request){.method = p->method,
                              .path = p->path,
                              .query = p->query,
                              .query_count = p->query_count,
                              .headers = p->headers,
                              .header_count = p->header_count,
                              .payload_hash = p->payload_hash};
}

static char *read_vector(const char *name, const char *ext)
{
    char path[512];
    snprintf(path, sizeof path, VECTOR_DIR "%s.%s", name, ext);
    return testing_read_file(path, NULL);
}

static void check_vector(const char *name)
{
    parsed_request p;
    parse_request(name, &p);
    ls_sigv4_request req = as_request(&p);
    bool s3 = strncmp(name, "s3-", 3) == 0;
    ls_sigv4_credentials creds = {
        .access_key_id = s3 ? "AKIAIOSFODNN7EXAMPLE" : "AKIDEXAMPLE",
        .secret_access_key =
            s3 ? "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" : "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        .region = "us-east-1",
        .service = s3 ? "s3" : "service",
    };
    ls_error err;
    ls_error_clear(&err);
    ls_buf creq, signed_headers, sts, authz;
    ls_buf_init(&creq, 1 << 20);
    ls_buf_init(&signed_headers, 1 << 16);
    ls_buf_init(&sts, 1 << 16);
    ls_buf_init(&authz, 1 << 16);

    CHECK_OK(ls_sigv4_canonical_request(&req, &creq, &signed_headers, &err), &err);
    char *want_creq = read_vector(name, "creq");
    if (strcmp((char *)creq.data, want_creq) != 0)
        testing_fail(__FILE__, __LINE__, "%s: canonical request\n%s\nexpected\n%s", name,
                     (char *)creq.data, want_creq);
    CHECK_OK(ls_sigv4_string_to_sign(p.amz_date, creds.region, creds.service,
                                     (char *)creq.data, creq.len, &sts, &err),
             &err);
    char *want_sts = read_vector(name, "sts");
    CHECK_EQ_STR((char *)sts.data, want_sts);

    CHECK_OK(ls_sigv4_authorization(&req, &creds, p.amz_date, &authz, &err), &err);
    char *want_authz = read_vector(name, "authz");
    CHECK_EQ_STR((char *)authz.data, want_authz);
    free(want_creq);
    free(want_sts);
    free(want_authz);
    free(p.text);
    ls_buf_cleanup(&creq);
    ls_buf_cleanup(&signed_headers);
    ls_buf_cleanup(&sts);
    ls_buf_cleanup(&authz);
}

TEST(aws_vectors)
{
    char *list = testing_read_file(VECTOR_DIR "VECTORS", NULL);
    int count = 0;
    for (char *name = list; name && *name;) {
        char *nl = strchr(name, '\n');
        if (nl)
            *nl = '\0';
        if (*name) {
            check_vector(name);
            count++;
        }
        name = nl ? nl + 1 : NULL;
    }
    free(list);
    CHECK(count >= 15);
}

TEST(get_vanilla_query_order_key_case)
{
    check_vector("get-vanilla-query-order-key-case");
}

TEST(unicode_query_key)
{
    check_vector("get-vanilla-utf8-query");
}

TEST(space_in_path)
{
    check_vector("get-space");
}

TEST(form_body_hashed)
{
    check_vector("post-x-www-form-urlencoded");
}

TEST(s3_get_object_example)
{
    check_vector("s3-get-object");
}

TEST(sha256_known_values)
{
    char hex[LS_SHA256_HEX_BYTES];
    ls_sha256_hex("", 0, hex);
    CHECK_EQ_STR(hex, LS_SIGV4_EMPTY_SHA256);
    ls_sha256_hex("abc", 3, hex);
    CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(hmac_rfc4231_case2)
{
    uint8_t mac[LS_SHA256_BYTES];
    char hex[2 * LS_SHA256_BYTES + 1];
    const char *data = "what do ya want for nothing?";
    ls_hmac_sha256("Jefe", 4, data, strlen(data), mac);
    ls_hex_lower(mac, sizeof mac, hex);
    CHECK_EQ_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(empty_query_values_and_empty_keys)
{
    ls_error err;
    ls_error_clear(&err);
    ls_buf b;
    ls_buf_init(&b, 4096);
    ls_sigv4_pair q[] = {{"uploads", NULL}, {"", "x"}, {"a b", ""}, {"prefix", "dir/ü"}};
    CHECK_OK(ls_sigv4_canonical_query(q, 4, &b, &err), &err);
    CHECK_EQ_STR((char *)b.data, "=x&a%20b=&prefix=dir%2F%C3%BC&uploads=");
    ls_buf_cleanup(&b);
}

TEST(path_segments_encoded_slash_kept)
{
    ls_error err;
    ls_error_clear(&err);
    ls_buf b;
    ls_buf_init(&b, 4096);
    const char *path = "/bucket/dir with space/ключ+x=y&z.parquet";
    CHECK_OK(ls_sigv4_uri_encode(&b, path, strlen(path), true, &err), &err);
    CHECK_EQ_STR((char *)b.data,
                 "/bucket/dir%20with%20space/%D0%BA%D0%BB%D1%8E%D1%87%2Bx%3Dy%26z.parquet");
    ls_buf_cleanup(&b);
}

TEST(unsigned_payload_is_signed_verbatim)
{
    ls_sigv4_pair headers[] = {{"Host", "examplebucket.s3.amazonaws.com"},
                               {"x-amz-content-sha256", LS_SIGV4_UNSIGNED_PAYLOAD},
                               {"x-amz-date", "20130524T000000Z"}};
    ls_sigv4_request req = {.method = "PUT",
                            .path = "/test$file.text",
                            .headers = headers,
                            .header_count = 3,
                            .payload_hash = LS_SIGV4_UNSIGNED_PAYLOAD};
    ls_error err;
    ls_error_clear(&err);
    ls_buf creq, sh;
    ls_buf_init(&creq, 4096);
    ls_buf_init(&sh, 4096);
    CHECK_OK(ls_sigv4_canonical_request(&req, &creq, &sh, &err), &err);
    CHECK_EQ_STR((char *)creq.data,
                 "PUT\n/test%24file.text\n\nhost:examplebucket.s3.amazonaws.com\n"
                 "x-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20130524T000000Z\n\n"
                 "host;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD");
    CHECK_EQ_STR((char *)sh.data, "host;x-amz-content-sha256;x-amz-date");
    ls_buf_cleanup(&creq);
    ls_buf_cleanup(&sh);
}

TEST(rejects_bad_header_names_and_missing_parts)
{
    ls_sigv4_pair headers[] = {{"Bad Name", "x"}};
    ls_sigv4_request req = {.method = "GET", .path = "/", .headers = headers, .header_count = 1,
                            .payload_hash = LS_SIGV4_EMPTY_SHA256};
    ls_error err;
    ls_error_clear(&err);
    ls_buf a, b;
    ls_buf_init(&a, 4096);
    ls_buf_init(&b, 4096);
    CHECK_EQ_INT(ls_sigv4_canonical_request(&req, &a, &b, &err), LS_ERR_INVALID);
    ls_error_clear(&err);
    req.header_count = 0;
    req.path = "relative";
    CHECK_EQ_INT(ls_sigv4_canonical_request(&req, &a, &b, &err), LS_ERR_INVALID);
    ls_error_clear(&err);
    ls_sigv4_credentials creds = {.access_key_id = "A", .region = "r", .service = "s3"};
    req.path = "/";
    CHECK_EQ_INT(ls_sigv4_authorization(&req, &creds, "20150830T123600Z", &a, &err),
                 LS_ERR_UNAUTHENTICATED);
    ls_buf_cleanup(&a);
    ls_buf_cleanup(&b);
}

TEST(date_format)
{
    char d[LS_SIGV4_DATE_BYTES];
    ls_sigv4_format_date((time_t)1440938160, d);
    CHECK_EQ_STR(d, "20150830T123600Z");
}
