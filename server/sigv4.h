/*
 * AWS Signature Version 4 (header-based, AWS4-HMAC-SHA256) and the hashes it
 * needs. Pure: bytes in, bytes out, no network, no clock, no environment. The
 * S3 adapter (objstore_s3.c) builds a request description, asks for the
 * Authorization header and sends it; tests check each step against AWS's
 * published vectors (tests/data/sigv4/).
 *
 * S3 rules followed here: the path is URI-encoded once per segment ('/' kept,
 * no "." / ".." normalization, no double encoding); query parameters are
 * encoded, sorted by encoded name then value, and written "name=" when the
 * value is empty; header names are lower-cased, values trimmed with inner runs
 * of spaces collapsed, repeated headers joined with ','. Hex is lower case,
 * percent-escapes upper case.
 */
#ifndef LAKESYNC_SIGV4_H
#define LAKESYNC_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/buf.h"
#include "util/error.h"

#define LS_SHA256_BYTES 32
#define LS_SHA256_HEX_BYTES 65 /* 64 hex digits and a NUL */
#define LS_SIGV4_DATE_BYTES 17 /* "20150830T123600Z" and a NUL */
#define LS_SIGV4_MAX_HEADERS 64
#define LS_SIGV4_MAX_QUERY 64

/* The payload hash of a request whose body is not hashed. */
#define LS_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* SHA-256 of the empty string, the payload hash of a request without body. */
#define LS_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A name and a value: a header or a decoded query parameter. A NULL value
 * means the empty string. */
typedef struct ls_sigv4_pair {
    const char *name;
    const char *value;
} ls_sigv4_pair;

/* What gets signed. Nothing is copied; all strings belong to the caller. */
typedef struct ls_sigv4_request {
    const char *method;       /* "GET", "PUT", ... */
    const char *path;         /* decoded, starting with '/': "/bucket/a b.txt" */
    const ls_sigv4_pair *query; /* decoded parameters, any order */
    size_t query_count;
    const ls_sigv4_pair *headers; /* every header to sign, host and x-amz-date included */
    size_t header_count;
    const char *payload_hash; /* lower-case hex SHA-256 of the body or LS_SIGV4_UNSIGNED_PAYLOAD */
} ls_sigv4_request;

typedef struct ls_sigv4_credentials {
    const char *access_key_id;
    const char *secret_access_key;
    const char *region;  /* "us-east-1" */
    const char *service; /* "s3" */
} ls_sigv4_credentials;

/* SHA-256 of data, as 64 lower-case hex digits and a NUL. */
void ls_sha256_hex(const void *data, size_t len, char out[LS_SHA256_HEX_BYTES]);

/* HMAC-SHA256 of data under key. */
void ls_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                    uint8_t out[LS_SHA256_BYTES]);

/* Writes bytes as lower-case hex followed by a NUL (out holds 2*len+1). */
void ls_hex_lower(const uint8_t *bytes, size_t len, char *out);

/* Formats t (UTC) as the x-amz-date "YYYYMMDDTHHMMSSZ". */
void ls_sigv4_format_date(time_t t, char out[LS_SIGV4_DATE_BYTES]);

/* Appends s[0..len) URI-encoded the AWS way: unreserved bytes A-Z a-z 0-9
 * - . _ ~ kept, every other byte as %XX (upper case); '/' kept when
 * keep_slash. */
ls_code ls_sigv4_uri_encode(ls_buf *out, const char *s, size_t len, bool keep_slash,
                            ls_error *err) LS_MUST_USE;

/* Appends the canonical query string of the parameters (also usable verbatim
 * as a URL's query). LS_ERR_TOO_LARGE past LS_SIGV4_MAX_QUERY parameters. */
ls_code ls_sigv4_canonical_query(const ls_sigv4_pair *query, size_t count, ls_buf *out,
                                 ls_error *err) LS_MUST_USE;

/* Writes the canonical request into creq and the signed-headers list
 * ("host;x-amz-date") into signed_headers (both reset first).
 * LS_ERR_INVALID for a missing method/path/payload hash or a header name that
 * is empty or not a token; LS_ERR_TOO_LARGE past LS_SIGV4_MAX_HEADERS. */
ls_code ls_sigv4_canonical_request(const ls_sigv4_request *req, ls_buf *creq,
                                   ls_buf *signed_headers, ls_error *err) LS_MUST_USE;

/* Writes the string to sign for a canonical request (out reset first).
 * amz_date is "YYYYMMDDTHHMMSSZ"; its first 8 characters give the scope date. */
ls_code ls_sigv4_string_to_sign(const char *amz_date, const char *region, const char *service,
                                const char *creq, size_t creq_len, ls_buf *out,
                                ls_error *err) LS_MUST_USE;

/* Derives the signing key from the secret, the date "YYYYMMDD", region and
 * service. */
void ls_sigv4_signing_key(const char *secret_access_key, const char *date8, const char *region,
                          const char *service, uint8_t out[LS_SHA256_BYTES]);

/* Computes the whole Authorization header value ("AWS4-HMAC-SHA256
 * Credential=..., SignedHeaders=..., Signature=...") into out (reset first).
 * The caller must have put the same amz_date in an x-amz-date header of req.
 * The secret never leaves this function. */
ls_code ls_sigv4_authorization(const ls_sigv4_request *req, const ls_sigv4_credentials *creds,
                               const char *amz_date, ls_buf *out, ls_error *err) LS_MUST_USE;

#endif
