#include "sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

void ls_hex_lower(const uint8_t *bytes, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0x0f];
    }
    out[2 * len] = '\0';
}

void ls_sha256_hex(const void *data, size_t len, char out[LS_SHA256_HEX_BYTES])
{
    uint8_t digest[LS_SHA256_BYTES];
    SHA256(data, len, digest);
    ls_hex_lower(digest, sizeof digest, out);
}

void ls_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                    uint8_t out[LS_SHA256_BYTES])
{
    unsigned int out_len = LS_SHA256_BYTES;
    /* HMAC() only fails on allocation failure inside OpenSSL; a zeroed MAC
     * then makes the request fail authentication instead of crashing. */
    if (!HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &out_len))
        memset(out, 0, LS_SHA256_BYTES);
}

void ls_sigv4_format_date(time_t t, char out[LS_SIGV4_DATE_BYTES])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, LS_SIGV4_DATE_BYTES, "%Y%m%dT%H%M%SZ", &tm);
}

/* A buffer's text, "" while nothing was appended. */
static const char *buf_text(const ls_buf *b)
{
    return b->data ? (const char *)b->data : "";
}

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

ls_code ls_sigv4_uri_encode(ls_buf *out, const char *s, size_t len, bool keep_slash,
                            ls_error *err)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        ls_code rc;
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            rc = ls_buf_append_byte(out, c, err);
        } else {
            char esc[3] = {'%', digits[c >> 4], digits[c & 0x0f]};
            rc = ls_buf_append(out, esc, 3, err);
        }
        if (rc)
            return rc;
    }
    return LS_OK;
}

/* An encoded query parameter, sorted by name then value (byte order). */
typedef struct encoded_param {
    char *name;
    char *value;
} encoded_param;

static int compare_params(const void *a, const void *b)
{
    const encoded_param *pa = a, *pb = b;
    int c = strcmp(pa->name, pb->name);
    return c ? c : strcmp(pa->value, pb->value);
}

static char *encode_dup(const char *s, ls_error *err)
{
    ls_buf b;
    ls_buf_init(&b, 64 * 1024);
    if (!s)
        s = "";
    if (ls_sigv4_uri_encode(&b, s, strlen(s), false, err)) {
        ls_buf_cleanup(&b);
        return NULL;
    }
    char *out = (char *)ls_buf_take(&b, NULL);
    if (!out)
        ls_error_set(err, LS_ERR_NOMEM, "out of memory encoding a query parameter");
    return out;
}

ls_code ls_sigv4_canonical_query(const ls_sigv4_pair *query, size_t count, ls_buf *out,
                                 ls_error *err)
{
    if (count > LS_SIGV4_MAX_QUERY)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "more than %d query parameters",
                            LS_SIGV4_MAX_QUERY);
    encoded_param params[LS_SIGV4_MAX_QUERY];
    memset(params, 0, sizeof params);
    ls_code rc = LS_OK;
    for (size_t i = 0; i < count; i++) {
        params[i].name = encode_dup(query[i].name, err);
        params[i].value = encode_dup(query[i].value, err);
        if (!params[i].name || !params[i].value) {
            rc = err ? err->code : LS_ERR_NOMEM;
            goto out;
        }
    }
    qsort(params, count, sizeof params[0], compare_params);
    for (size_t i = 0; i < count; i++) {
        rc = ls_buf_printf(out, err, "%s%s=%s", i ? "&" : "", params[i].name, params[i].value);
        if (rc)
            goto out;
    }
out:
    for (size_t i = 0; i < count; i++) {
        free(params[i].name);
        free(params[i].value);
    }
    return rc;
}

/* A header in canonical form: lower-case name, trimmed value. */
typedef struct canonical_header {
    char name[128];
    const char *value; /* into the caller's string */
    size_t index;      /* original position: keeps repeated headers in order */
} canonical_header;

static int compare_headers(const void *a, const void *b)
{
    const canonical_header *ha = a, *hb = b;
    int c = strcmp(ha->name, hb->name);
    if (c)
        return c;
    return ha->index < hb->index ? -1 : ha->index > hb->index;
}

static bool is_token_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != ':' && c != '(' && c != ')' && c != ',' && c != '/' &&
           c != ';' && c != '<' && c != '=' && c != '>' && c != '?' && c != '@' && c != '[' &&
           c != '\\' && c != ']' && c != '{' && c != '}' && c != '"';
}

/* Appends a value trimmed, with runs of spaces and tabs collapsed to one space. */
static ls_code append_trimmed(ls_buf *out, const char *v, ls_error *err)
{
    if (!v)
        return LS_OK;
    while (*v == ' ' || *v == '\t')
        v++;
    bool pending_space = false;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n') {
            pending_space = true;
            continue;
        }
        if (pending_space && ls_buf_append_byte(out, ' ', err))
            return err ? err->code : LS_ERR_NOMEM;
        pending_space = false;
        if (ls_buf_append_byte(out, (uint8_t)*v, err))
            return err ? err->code : LS_ERR_NOMEM;
    }
    return LS_OK;
}

static ls_code lower_header_names(const ls_sigv4_request *req, canonical_header *hs,
                                  ls_error *err)
{
    for (size_t i = 0; i < req->header_count; i++) {
        const char *n = req->headers[i].name;
        size_t len = n ? strlen(n) : 0;
        if (len == 0 || len >= sizeof hs[i].name)
            return ls_error_set(err, LS_ERR_INVALID, "header name empty or too long");
        for (size_t j = 0; j < len; j++) {
            unsigned char c = (unsigned char)n[j];
            if (!is_token_char(c))
                return ls_error_set(err, LS_ERR_INVALID, "header name '%s' is not a token", n);
            hs[i].name[j] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
        }
        hs[i].name[len] = '\0';
        hs[i].value = req->headers[i].value;
        hs[i].index = i;
    }
    return LS_OK;
}

static ls_code append_headers(canonical_header *hs, size_t count, ls_buf *creq,
                              ls_buf *signed_headers, ls_error *err)
{
    ls_code rc = LS_OK;
    for (size_t i = 0; i < count; i++) {
        bool same_as_previous = i > 0 && strcmp(hs[i].name, hs[i - 1].name) == 0;
        if (same_as_previous) {
            rc = ls_buf_append_byte(creq, ',', err);
        } else {
            if (i > 0 && (rc = ls_buf_append_byte(creq, '\n', err)))
                return rc;
            rc = ls_buf_printf(creq, err, "%s:", hs[i].name);
            if (!rc)
                rc = ls_buf_printf(signed_headers, err, "%s%s", i ? ";" : "", hs[i].name);
        }
        if (!rc)
            rc = append_trimmed(creq, hs[i].value, err);
        if (rc)
            return rc;
    }
    /* Each canonical header line ends with '\n', then a blank line follows. */
    return ls_buf_append_str(creq, count ? "\n\n" : "\n", err);
}

ls_code ls_sigv4_canonical_request(const ls_sigv4_request *req, ls_buf *creq,
                                   ls_buf *signed_headers, ls_error *err)
{
    if (!req->method || !req->path || req->path[0] != '/' || !req->payload_hash)
        return ls_error_set(err, LS_ERR_INVALID,
                            "a signed request needs a method, an absolute path and a payload hash");
    if (req->header_count > LS_SIGV4_MAX_HEADERS)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "more than %d signed headers",
                            LS_SIGV4_MAX_HEADERS);
    ls_buf_reset(creq);
    ls_buf_reset(signed_headers);
    canonical_header hs[LS_SIGV4_MAX_HEADERS];
    ls_code rc = lower_header_names(req, hs, err);
    if (rc)
        return rc;
    qsort(hs, req->header_count, sizeof hs[0], compare_headers);

    rc = ls_buf_printf(creq, err, "%s\n", req->method);
    if (!rc)
        rc = ls_sigv4_uri_encode(creq, req->path, strlen(req->path), true, err);
    if (!rc)
        rc = ls_buf_append_byte(creq, '\n', err);
    if (!rc)
        rc = ls_sigv4_canonical_query(req->query, req->query_count, creq, err);
    if (!rc)
        rc = ls_buf_append_byte(creq, '\n', err);
    if (!rc)
        rc = append_headers(hs, req->header_count, creq, signed_headers, err);
    if (!rc)
        rc = ls_buf_printf(creq, err, "%s\n%s", buf_text(signed_headers), req->payload_hash);
    return rc;
}

ls_code ls_sigv4_string_to_sign(const char *amz_date, const char *region, const char *service,
                                const char *creq, size_t creq_len, ls_buf *out, ls_error *err)
{
    if (!amz_date || strlen(amz_date) != LS_SIGV4_DATE_BYTES - 1)
        return ls_error_set(err, LS_ERR_INVALID, "x-amz-date must look like 20150830T123600Z");
    char creq_hash[LS_SHA256_HEX_BYTES];
    ls_sha256_hex(creq, creq_len, creq_hash);
    ls_buf_reset(out);
    return ls_buf_printf(out, err, "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s", amz_date,
                         amz_date, region, service, creq_hash);
}

void ls_sigv4_signing_key(const char *secret_access_key, const char *date8, const char *region,
                          const char *service, uint8_t out[LS_SHA256_BYTES])
{
    /* "AWS4" + secret as the first key; kept on the stack and wiped. */
    char first_key[256];
    int n = snprintf(first_key, sizeof first_key, "AWS4%s", secret_access_key);
    size_t first_len = n < 0 ? 0 : ((size_t)n < sizeof first_key ? (size_t)n : sizeof first_key - 1);
    uint8_t k_date[LS_SHA256_BYTES], k_region[LS_SHA256_BYTES], k_service[LS_SHA256_BYTES];
    ls_hmac_sha256(first_key, first_len, date8, strlen(date8), k_date);
    ls_hmac_sha256(k_date, sizeof k_date, region, strlen(region), k_region);
    ls_hmac_sha256(k_region, sizeof k_region, service, strlen(service), k_service);
    ls_hmac_sha256(k_service, sizeof k_service, "aws4_request", 12, out);
    OPENSSL_cleanse(first_key, sizeof first_key);
    OPENSSL_cleanse(k_date, sizeof k_date);
    OPENSSL_cleanse(k_region, sizeof k_region);
    OPENSSL_cleanse(k_service, sizeof k_service);
}

ls_code ls_sigv4_authorization(const ls_sigv4_request *req, const ls_sigv4_credentials *creds,
                               const char *amz_date, ls_buf *out, ls_error *err)
{
    if (!creds->access_key_id || !creds->secret_access_key || !creds->region || !creds->service)
        return ls_error_set(err, LS_ERR_UNAUTHENTICATED,
                            "signing needs an access key id, a secret key, a region and a service");
    ls_buf creq, signed_headers, sts;
    ls_buf_init(&creq, 1024 * 1024);
    ls_buf_init(&signed_headers, 16 * 1024);
    ls_buf_init(&sts, 4096);
    ls_code rc = ls_sigv4_canonical_request(req, &creq, &signed_headers, err);
    if (!rc)
        rc = ls_sigv4_string_to_sign(amz_date, creds->region, creds->service,
                                     buf_text(&creq), creq.len, &sts, err);
    if (rc)
        goto out;
    char date8[9];
    memcpy(date8, amz_date, 8);
    date8[8] = '\0';
    uint8_t key[LS_SHA256_BYTES], mac[LS_SHA256_BYTES];
    ls_sigv4_signing_key(creds->secret_access_key, date8, creds->region, creds->service, key);
    ls_hmac_sha256(key, sizeof key, sts.data, sts.len, mac);
    OPENSSL_cleanse(key, sizeof key);
    char signature[2 * LS_SHA256_BYTES + 1];
    ls_hex_lower(mac, sizeof mac, signature);
    ls_buf_reset(out);
    rc = ls_buf_printf(out, err,
                       "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, "
                       "Signature=%s",
                       creds->access_key_id, date8, creds->region, creds->service,
                       buf_text(&signed_headers), signature);
out:
    ls_buf_cleanup(&creq);
    ls_buf_cleanup(&signed_headers);
    ls_buf_cleanup(&sts);
    return rc;
}
