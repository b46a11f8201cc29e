/*
 * Inside the objstore module: the backend table each backend fills, the
 * shared counters, the retry schedule and the ListObjectsV2 XML reader.
 * Exposed only to objstore*.c and the module's unit tests.
 */
#ifndef LAKESYNC_OBJSTORE_INTERNAL_H
#define LAKESYNC_OBJSTORE_INTERNAL_H

#include <stdatomic.h>

#include "objstore.h"

typedef struct ls_objstore_atomic_counters {
    _Atomic uint64_t put_requests, get_requests, head_requests, list_requests, delete_requests;
    _Atomic uint64_t multipart_part_requests, multipart_control_requests;
    _Atomic uint64_t bytes_up, bytes_down, retries, errors;
} ls_objstore_atomic_counters;

static inline void ls_objstore_count(_Atomic uint64_t *counter, uint64_t n)
{
    atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

typedef struct ls_objstore_backend_ops {
    ls_code (*put)(void *backend, const char *key, const void *data, size_t len,
                   bool if_absent, ls_error *err);
    /* len == UINT64_MAX: the whole object. */
    ls_code (*get)(void *backend, const char *key, uint64_t offset, uint64_t len, ls_buf *out,
                   ls_error *err);
    ls_code (*head)(void *backend, const char *key, ls_objstore_info *out, ls_error *err);
    ls_code (*del)(void *backend, const char *key, ls_error *err);
    ls_code (*list)(void *backend, const char *prefix, const char *token,
                    ls_objstore_list_page *page, ls_error *err);
    ls_code (*upload_begin)(void *backend, const char *key, void **upload_state, ls_error *err);
    ls_code (*upload_write)(void *upload_state, const void *data, size_t len, ls_error *err);
    ls_code (*upload_commit)(void *upload_state, ls_error *err); /* frees the state */
    void (*upload_abort)(void *upload_state);                    /* frees the state */
    void (*free)(void *backend);
} ls_objstore_backend_ops;

/* The resolved settings handed to a backend (defaults applied, env read). */
typedef struct ls_objstore_config {
    ls_objstore_kind kind;
    char *root_path;   /* file: the directory */
    char *bucket;      /* s3/oss */
    char *root_prefix; /* s3/oss: "" or "some/prefix/" */
    char *endpoint;    /* s3/oss: "scheme://host[:port]" */
    char *region;
    char *access_key_id;
    char *secret_access_key;
    char *session_token;
    bool path_style;
    uint32_t max_attempts, retry_base_delay_ms, retry_max_delay_ms, max_retry_total_ms;
    uint32_t connect_timeout_ms, request_timeout_ms, stall_timeout_ms, list_page_size;
    uint64_t part_size_bytes;
    ls_stop_clock *stop; /* borrowed; NULL: never stopping */
} ls_objstore_config;

ls_code ls_objstore_file_new(const ls_objstore_config *cfg, ls_objstore_atomic_counters *counters,
                             const ls_objstore_backend_ops **ops, void **backend,
                             ls_error *err) LS_MUST_USE;
ls_code ls_objstore_s3_new(const ls_objstore_config *cfg, ls_objstore_atomic_counters *counters,
                           const ls_objstore_backend_ops **ops, void **backend,
                           ls_error *err) LS_MUST_USE;

/* Parses a root URI into cfg's kind, root_path / bucket + root_prefix
 * (malloc'd strings; the caller frees them with ls_objstore_config_cleanup). */
ls_code ls_objstore_parse_root(const char *uri, ls_objstore_config *cfg, ls_error *err) LS_MUST_USE;
void ls_objstore_config_cleanup(ls_objstore_config *cfg);

/* Retry schedule: exponential backoff with full jitter (AWS architecture
 * blog "Exponential Backoff And Jitter"). The cap before attempt n (n >= 1 is
 * the first retry) is min(max_delay, base * 2^(n-1)); the delay is uniform in
 * [0, cap], taken from random_value. */
uint32_t ls_objstore_backoff_cap_ms(uint32_t base_ms, uint32_t max_ms, uint32_t retry_number);
uint32_t ls_objstore_backoff_delay_ms(uint32_t base_ms, uint32_t max_ms, uint32_t retry_number,
                                      uint32_t random_value);

/* Whether an HTTP status is worth retrying: 5xx, 429 and 408. */
bool ls_objstore_http_status_retryable(long status);

/* Reads a ListObjectsV2 result: appends entries (full keys, XML-unescaped,
 * the root prefix stripped when strip_prefix is non-empty) to page, sets
 * *truncated and *next_token (malloc'd, NULL when absent). Entries whose key
 * lacks strip_prefix are refused (LS_ERR_FORMAT). Depth and size capped. */
ls_code ls_objstore_parse_list_xml(const char *xml, size_t len, const char *strip_prefix,
                                   ls_objstore_list_page *page, bool *truncated,
                                   char **next_token, ls_error *err) LS_MUST_USE;

/* Reads an S3 error document's Code and Message (either may come back ""). */
void ls_objstore_parse_error_xml(const char *xml, size_t len, char *code, size_t code_size,
                                 char *message, size_t message_size);

/* Reads <UploadId> (CreateMultipartUpload) or, with tag "ETag", the ETag of
 * a CompleteMultipartUpload result into out; LS_ERR_FORMAT when absent. */
ls_code ls_objstore_xml_find_text(const char *xml, size_t len, const char *tag, char *out,
                                  size_t out_size, ls_error *err) LS_MUST_USE;

/* Appends s XML-escaped (& < > " '). */
ls_code ls_objstore_xml_escape(ls_buf *out, const char *s, ls_error *err) LS_MUST_USE;

/* Appends a page entry (copies key). modified_ms 0: unknown. */
ls_code ls_objstore_page_append(ls_objstore_list_page *page, const char *key, size_t key_len,
                                uint64_t size_bytes, int64_t modified_ms,
                                ls_error *err) LS_MUST_USE;

/* Milliseconds since the epoch of an ISO 8601 UTC time as S3 lists it
 * ("2026-11-23T22:29:30.000Z"); 0 when it has another form. */
int64_t ls_objstore_parse_iso8601_ms(const char *text, size_t len);

#endif
