/*
 * Object storage: one interface over a local directory (file://), Amazon S3
 * or an S3-compatible server such as MinIO (s3://), and Alibaba OSS through its
 * S3-compatible endpoint (oss://).
 *
 * An ls_objstore is opened on a root URI and addresses objects by keys
 * relative to that root:
 *
 *   file:///var/lakesync/warehouse     (file://relative/dir and bare paths too)
 *   s3://bucket  or  s3://bucket/some/prefix
 *   oss://bucket[/prefix]
 *
 * A key is a '/'-separated relative path: no leading '/', no empty, "." or
 * ".." segment, no NUL or control byte, at most LS_OBJSTORE_KEY_MAX bytes.
 * Every operation refuses other keys with LS_ERR_INVALID before touching
 * storage, so a key can never escape the root.
 *
 * Failures: LS_ERR_NOT_FOUND (no such object), LS_ERR_CONFLICT (create-if-
 * absent found one), LS_ERR_UNAUTHENTICATED / LS_ERR_PERMISSION (401 / 403),
 * LS_ERR_UNAVAILABLE (the store could not be reached or kept failing with
 * 5xx / 429 / timeouts past the retry bound), LS_ERR_TOO_LARGE (a cap),
 * LS_ERR_IO (local file system), LS_ERR_FORMAT (a response we cannot parse).
 * Remote requests are retried with exponential backoff and full jitter on
 * 5xx, 429, timeouts and connection errors, bounded by max_attempts and
 * max_retry_total_ms.
 *
 * A stop deadline (options.stop, util/stop_clock.h) bounds a stopping
 * worker's requests by the supervisor's grace period: once the clock's stop
 * began, each s3/oss attempt ends by the deadline (curl's timeout is cut to
 * the time left; an attempt in flight when the stop begins is cut off at
 * its last look at the clock before it), no retry waits past it, and a
 * request made after it fails at once with LS_ERR_UNAVAILABLE, saying so. Aborting a multipart upload (which
 * listing cannot see, so orphan removal never would) gets the clock's
 * cleanup allowance past the deadline. file:// is local I/O and not bounded.
 *
 * Threads: an ls_objstore may be used by several threads at once (each
 * request takes its own connection from a small pool); an upload handle
 * belongs to one thread. Credentials are never logged nor returned.
 */
#ifndef LAKESYNC_OBJSTORE_H
#define LAKESYNC_OBJSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/sink.h"
#include "util/stop_clock.h"

#define LS_OBJSTORE_KEY_MAX 1024
#define LS_OBJSTORE_ETAG_MAX 128
#define LS_OBJSTORE_MIN_PART_BYTES (5u * 1024 * 1024)
#define LS_OBJSTORE_MAX_PARTS 10000

typedef struct ls_objstore ls_objstore;

typedef enum ls_objstore_kind {
    LS_OBJSTORE_FILE,
    LS_OBJSTORE_S3,
    LS_OBJSTORE_OSS,
} ls_objstore_kind;

/* Settings; zero / NULL fields take the documented default. Strings are
 * copied by ls_objstore_open. */
typedef struct ls_objstore_options {
    const char *endpoint;          /* "http://127.0.0.1:9000"; else AWS_ENDPOINT_URL, else the
                                      provider's (s3.<region>.amazonaws.com,
                                      s3.oss-<region>.aliyuncs.com) */
    const char *region;            /* else AWS_REGION, AWS_DEFAULT_REGION; s3: "us-east-1" */
    const char *access_key_id;     /* else AWS_ACCESS_KEY_ID */
    const char *secret_access_key; /* else AWS_SECRET_ACCESS_KEY */
    const char *session_token;     /* else AWS_SESSION_TOKEN (only when the key came from env) */
    int path_style;                /* 1 path-style, 0 virtual-hosted, -1 (default) automatic:
                                      s3 with a custom endpoint or a dotted bucket uses path-style,
                                      otherwise virtual-hosted; oss is virtual-hosted */
    uint32_t max_attempts;         /* per request, first try included; default 6 */
    uint32_t retry_base_delay_ms;  /* default 100 */
    uint32_t retry_max_delay_ms;   /* cap of one backoff; default 5000 */
    uint32_t max_retry_total_ms;   /* no new attempt after this much time; default 120000 */
    uint32_t connect_timeout_ms;   /* default 10000 */
    uint32_t request_timeout_ms;   /* one attempt, transfer included; default 300000 */
    uint32_t stall_timeout_ms;     /* an attempt moving no byte this long fails (and is
                                      retried); default 30000. A connection that takes a
                                      request and never answers would otherwise hold its
                                      caller (an API thread, a commit) for request_timeout_ms */
    uint64_t part_size_bytes;      /* multipart part size; default 8 MiB, at least 5 MiB */
    uint32_t list_page_size;       /* keys per list page (max-keys); default 1000 */
    ls_stop_clock *stop;           /* s3/oss: once its stop began, every request ends by its
                                      deadline (see below); borrowed, must outlive the store */
} ls_objstore_options;

/* Usage figures of one ls_objstore since it was opened. For s3/oss each HTTP
 * request counts, retries included (what a provider bills); file:// counts
 * its operations the same way. Read with ls_objstore_counters_read. */
typedef struct ls_objstore_counters {
    uint64_t put_requests;       /* single PUTs, create-if-absent included */
    uint64_t get_requests;       /* whole and range GETs */
    uint64_t head_requests;
    uint64_t list_requests;      /* list pages */
    uint64_t delete_requests;
    uint64_t multipart_part_requests;    /* UploadPart */
    uint64_t multipart_control_requests; /* create, complete, abort */
    uint64_t bytes_up;           /* request bodies sent (retries included) */
    uint64_t bytes_down;         /* response bodies received */
    uint64_t retries;            /* attempts after the first */
    uint64_t errors;             /* operations that failed */
} ls_objstore_counters;

typedef struct ls_objstore_info {
    uint64_t size_bytes;
    char etag[LS_OBJSTORE_ETAG_MAX]; /* without quotes; "" if the store gave none */
} ls_objstore_info;

typedef struct ls_objstore_entry {
    char *key; /* relative to the root */
    uint64_t size_bytes;
    int64_t modified_ms; /* last modification, ms since the epoch; 0 when unknown */
} ls_objstore_entry;

/* One page of a listing. Owned by the caller: ls_objstore_list_page_cleanup. */
typedef struct ls_objstore_list_page {
    ls_objstore_entry *entries; /* sorted by key (byte order) */
    size_t count;
    char *next_token; /* pass back to get the next page; NULL on the last page */
} ls_objstore_list_page;

/* A streaming upload; see ls_objstore_upload_begin. */
typedef struct ls_objstore_upload ls_objstore_upload;

/* Fills o with the defaults (all NULL / automatic). */
void ls_objstore_options_init(ls_objstore_options *o);

/* Opens a store rooted at root_uri. opts may be NULL. file:// creates the root
 * directory when missing. s3/oss check nothing on the network here; they fail
 * with LS_ERR_UNAUTHENTICATED when no credentials are found. */
ls_code ls_objstore_open(const char *root_uri, const ls_objstore_options *opts,
                         ls_objstore **out, ls_error *err) LS_MUST_USE;

/* Closes the store. NULL-safe. Uploads must be finished first. */
void ls_objstore_free(ls_objstore *store);

ls_objstore_kind ls_objstore_get_kind(const ls_objstore *store);

/* Splits a full object URI into a root URI (malloc'd) and a key (malloc'd):
 * "s3://b/x/y.txt" -> "s3://b", "x/y.txt"; "file:///tmp/a/b" -> "file:///",
 * "tmp/a/b". The key is not validated here. */
ls_code ls_objstore_uri_split(const char *object_uri, char **root_out, char **key_out,
                              ls_error *err) LS_MUST_USE;

/* LS_OK when key is a valid key (see above), LS_ERR_INVALID otherwise. */
ls_code ls_objstore_key_check(const char *key, ls_error *err) LS_MUST_USE;

/* Stores data[0..len) under key, replacing any object; atomic (readers see the
 * old or the new object, never a part). Verified: the store's ETag must equal
 * the MD5 when it is an MD5 (s3/oss), file:// fsyncs file and directory. */
ls_code ls_objstore_put(ls_objstore *store, const char *key, const void *data, size_t len,
                        ls_error *err) LS_MUST_USE;

/* Like ls_objstore_put, but only if no object exists under key: otherwise
 * LS_ERR_CONFLICT and nothing changes. file:// uses link() of a synced temp
 * file, s3 sends If-None-Match: *, oss sends x-oss-forbid-overwrite: true.
 * s3/oss first check with HEAD so servers that ignore the header (s3rver)
 * still refuse the common case; the header makes it atomic where supported.
 * Caveat: if an attempt's answer is lost and the retry finds the object, the
 * result is LS_ERR_CONFLICT although the object is ours; a caller that must
 * tell the two apart reads the object back and compares. */
ls_code ls_objstore_put_if_absent(ls_objstore *store, const char *key, const void *data,
                                  size_t len, ls_error *err) LS_MUST_USE;

/* Appends the whole object to out. The object must fit out's cap
 * (LS_ERR_TOO_LARGE otherwise, out unchanged in length). */
ls_code ls_objstore_get(ls_objstore *store, const char *key, ls_buf *out,
                        ls_error *err) LS_MUST_USE;

/* Appends bytes [offset, offset+len) to out; fewer when the object ends
 * first (zero when offset is at or past the end). */
ls_code ls_objstore_get_range(ls_objstore *store, const char *key, uint64_t offset,
                              uint64_t len, ls_buf *out, ls_error *err) LS_MUST_USE;

/* Size and ETag of an object. */
ls_code ls_objstore_head(ls_objstore *store, const char *key, ls_objstore_info *out,
                         ls_error *err) LS_MUST_USE;

/* Removes an object. Removing a missing object succeeds (as on S3). */
ls_code ls_objstore_delete(ls_objstore *store, const char *key, ls_error *err) LS_MUST_USE;

/* Lists objects whose key starts with prefix ("" for all; a prefix may end
 * with '/'), one page at a time: pass NULL as token first, then the page's
 * next_token until it is NULL. page must be zeroed ({0}) or hold a page of an
 * earlier call: it is cleaned up first, so a token taken from it must have
 * been moved out (set page->next_token = NULL after taking it). */
ls_code ls_objstore_list(ls_objstore *store, const char *prefix, const char *token,
                         ls_objstore_list_page *page, ls_error *err) LS_MUST_USE;

/* Frees a page's entries and token; the page is empty afterwards. NULL-safe. */
void ls_objstore_list_page_cleanup(ls_objstore_list_page *page);

/* Starts a streaming upload to key. Write through ls_objstore_upload_sink();
 * nothing is visible under key until ls_objstore_upload_commit succeeds.
 * s3/oss buffer one part (part_size_bytes) at a time and switch to a
 * multipart upload once the object outgrows one part; file:// writes a temp
 * file beside the target. */
ls_code ls_objstore_upload_begin(ls_objstore *store, const char *key,
                                 ls_objstore_upload **out, ls_error *err) LS_MUST_USE;

/* The upload's sink (owned by the upload, valid until commit or abort). A
 * write error leaves the upload to be aborted. */
ls_sink *ls_objstore_upload_sink(ls_objstore_upload *upload);

/* Finishes the upload and makes the object visible; verifies its length
 * (HEAD after a multipart upload). Frees the upload whatever the outcome; on
 * failure the partial object or multipart upload is aborted and removed. */
ls_code ls_objstore_upload_commit(ls_objstore_upload *upload, ls_error *err) LS_MUST_USE;

/* Abandons the upload, removing what was sent (best effort), and frees it.
 * NULL-safe. */
void ls_objstore_upload_abort(ls_objstore_upload *upload);

/* Copies the store's counters (each read atomically). */
void ls_objstore_counters_read(const ls_objstore *store, ls_objstore_counters *out);

#endif
