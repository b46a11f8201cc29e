/*
 * s3:// and oss:// backend over libcurl (the only file that includes curl.h).
 * Every request is signed with SigV4 (sigv4.h) and always carries
 * x-amz-content-sha256. Requests are retried with exponential backoff and full
 * jitter on 5xx / 429 / 408, timeouts and connection errors, bounded by
 * max_attempts and max_retry_total_ms; the error of the last attempt is what
 * the caller sees. curl errors are translated here and nowhere else.
 * Once a stop clock's stop began (objstore.h), attempts, retries and
 * backoffs end by its deadline.
 * CURLOPT_VERBOSE stays off: its trace would print the Authorization header.
 */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "objstore_internal.h"
#include "sigv4.h"
#include "util/log.h"

#define POOL_MAX 8
#define LIST_BODY_MAX (16u * 1024 * 1024)
#define ERROR_BODY_MAX (64u * 1024)
#define CONTROL_BODY_MAX (4u * 1024 * 1024)

typedef struct s3_backend {
    bool oss;
    char *bucket, *root_prefix, *region, *access_key_id, *secret_access_key, *session_token;
    char *url_base;  /* "http://127.0.0.1:9000" or "https://bucket.s3.us-east-1.amazonaws.com" */
    char *host;      /* the Host header: authority of url_base */
    char *path_base; /* "/bucket" (path-style) or "" */
    uint32_t max_attempts, base_delay_ms, max_delay_ms, max_total_ms;
    uint32_t connect_timeout_ms, request_timeout_ms, stall_timeout_ms, page_size;
    uint64_t part_size;
    ls_objstore_atomic_counters *counters;
    ls_stop_clock *stop; /* NULL: never stopping */
    pthread_mutex_t pool_lock;
    CURL *pool[POOL_MAX];
    size_t pool_count;
} s3_backend;

/* One logical request; attempts are made by s3_perform. */
typedef struct s3_request {
    const char *method;
    const char *key; /* full key (root prefix included), NULL for the bucket */
    ls_sigv4_pair query[4];
    size_t query_count;
    ls_sigv4_pair headers[6]; /* extra signed headers */
    size_t header_count;
    const uint8_t *body;
    size_t body_len;
    ls_buf *response;      /* 2xx body goes here (its cap applies); NULL: dropped */
    _Atomic uint64_t *kind; /* the counter of this request kind */
    bool cleanup;           /* may use the stop clock's cleanup allowance (aborts) */
} s3_request;

typedef struct s3_response {
    long status;
    char etag[LS_OBJSTORE_ETAG_MAX];
    uint64_t content_length;
    bool have_length;
    ls_buf error_body;
} s3_response;

/* State of one attempt shared with curl's callbacks. */
typedef struct transfer {
    CURL *curl;
    ls_stop_clock *stop;
    const s3_request *req;
    s3_response *resp;
    size_t read_pos;
    bool body_too_large;
} transfer;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_global_rc = CURLE_OK;

static void curl_global_setup(void)
{
    curl_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static uint64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(uint32_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static CURL *pool_take(s3_backend *b)
{
    CURL *c = NULL;
    pthread_mutex_lock(&b->pool_lock);
    if (b->pool_count > 0)
        c = b->pool[--b->pool_count];
    pthread_mutex_unlock(&b->pool_lock);
    return c ? c : curl_easy_init();
}

static void pool_give(s3_backend *b, CURL *c)
{
    /* Drop the pointers into this request's stack and header list; the
     * connection cache survives a reset. */
    curl_easy_reset(c);
    pthread_mutex_lock(&b->pool_lock);
    if (b->pool_count < POOL_MAX) {
        b->pool[b->pool_count++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&b->pool_lock);
    if (c)
        curl_easy_cleanup(c);
}

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
    transfer *t = userdata;
    size_t len = size * n;
    long status = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    ls_buf *dest = (status >= 200 && status < 300) ? t->req->response : &t->resp->error_body;
    if (!dest)
        return len;
    ls_error ignored;
    ls_error_clear(&ignored);
    if (ls_buf_append(dest, data, len, &ignored) != LS_OK) {
        if (dest == &t->resp->error_body)
            return len; /* an overlong error body is cut, not fatal */
        t->body_too_large = true;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    return len;
}

static bool header_is(const char *line, size_t len, const char *name, const char **value,
                      size_t *value_len)
{
    size_t n = strlen(name);
    if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
        return false;
    const char *v = line + n + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    *value = v;
    *value_len = (size_t)(end - v);
    return true;
}

static size_t on_header(char *line, size_t size, size_t n, void *userdata)
{
    transfer *t = userdata;
    size_t len = size * n;
    const char *v;
    size_t vlen;
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) { /* a new response (after 100 Continue) */
        t->resp->etag[0] = '\0';
        t->resp->have_length = false;
    } else if (header_is(line, len, "ETag", &v, &vlen)) {
        if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
            v++;
            vlen -= 2;
        }
        if (vlen >= sizeof t->resp->etag)
            vlen = sizeof t->resp->etag - 1;
        memcpy(t->resp->etag, v, vlen);
        t->resp->etag[vlen] = '\0';
    } else if (header_is(line, len, "Content-Length", &v, &vlen)) {
        uint64_t value = 0;
        bool ok = vlen > 0 && vlen <= 19;
        for (size_t i = 0; ok && i < vlen; i++) {
            ok = v[i] >= '0' && v[i] <= '9';
            value = value * 10 + (uint64_t)(v[i] - '0');
        }
        t->resp->content_length = value;
        t->resp->have_length = ok;
    }
    return len;
}

static size_t on_read(char *buffer, size_t size, size_t n, void *userdata)
{
    transfer *t = userdata;
    size_t room = size * n, left = t->req->body_len - t->read_pos;
    size_t take = left < room ? left : room;
    if (take > 0)
        memcpy(buffer, t->req->body + t->read_pos, take);
    t->read_pos += take;
    return take;
}

static int on_seek(void *userdata, curl_off_t offset, int origin)
{
    transfer *t = userdata;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > t->req->body_len)
        return CURL_SEEKFUNC_CANTSEEK;
    t->read_pos = (size_t)offset;
    return CURL_SEEKFUNC_OK;
}

/* curl's progress callback of an attempt that began before the stop: cuts
 * it off at the last look at the clock before the deadline. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    const transfer *t = userdata;
    return ls_stop_clock_cut_in_flight(t->stop, t->req->cleanup);
}

/* Bounds one attempt by the stop deadline, left_ms away (UINT64_MAX while
 * not stopping): once stopping, its timeouts are cut to the time left;
 * before, the progress callback watches for a stop that begins meanwhile. */
static void bound_by_stop(const s3_backend *b, transfer *t, uint64_t left_ms)
{
    if (!b->stop)
        return;
    if (left_ms != UINT64_MAX) {
        uint64_t total = left_ms < b->request_timeout_ms ? left_ms : b->request_timeout_ms;
        uint64_t connect = left_ms < b->connect_timeout_ms ? left_ms : b->connect_timeout_ms;
        curl_easy_setopt(t->curl, CURLOPT_TIMEOUT_MS, (long)total);
        curl_easy_setopt(t->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)connect);
        /* The retries of a request reuse its handle without a reset: a
         * callback armed for an attempt before the stop would still point
         * at that attempt's transfer, which is out of scope now. */
        curl_easy_setopt(t->curl, CURLOPT_NOPROGRESS, 1L);
        return;
    }
    curl_easy_setopt(t->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(t->curl, CURLOPT_XFERINFODATA, t);
    curl_easy_setopt(t->curl, CURLOPT_NOPROGRESS, 0L);
}

/* Builds the decoded path of a request: path_base + "/" + key. */
static ls_code request_path(const s3_backend *b, const s3_request *req, ls_buf *out,
                            ls_error *err)
{
    if (req->key)
        return ls_buf_printf(out, err, "%s/%s", b->path_base, req->key);
    return ls_buf_append_str(out, *b->path_base ? b->path_base : "/", err);
}

/* Sets the options of one attempt that do not depend on signing. */
static void set_transfer_options(const s3_backend *b, transfer *t, const char *url,
                                 struct curl_slist *headers, char *errbuf)
{
    CURL *c = t->curl;
    const s3_request *req = t->req;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_VERBOSE, 0L); /* its trace would show Authorization */
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)b->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)b->request_timeout_ms);
    /* Less than a byte a second for the stall timeout (whole seconds, as
     * curl counts them) ends the attempt with a retryable timeout. */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)((b->stall_timeout_ms + 999) / 1000));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (strcmp(req->method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(req->method, "PUT") == 0) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, t);
        curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(c, CURLOPT_SEEKDATA, t);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
    } else if (strcmp(req->method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    } else if (strcmp(req->method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    }
}

/* Signs the request and sets every curl option of one attempt. */
static ls_code prepare_attempt(s3_backend *b, transfer *t, const char *payload_hash,
                               struct curl_slist **headers_out, char *errbuf, ls_error *err)
{
    const s3_request *req = t->req;
    ls_buf path, url, auth, line;
    ls_buf_init(&path, 8192);
    ls_buf_init(&url, 16384);
    ls_buf_init(&auth, 4096);
    ls_buf_init(&line, 8192);
    struct curl_slist *hl = NULL;
    char amz_date[LS_SIGV4_DATE_BYTES];
    ls_sigv4_format_date(time(NULL), amz_date);
    ls_sigv4_pair signed_headers[12];
    size_t hc = 0;
    signed_headers[hc++] = (ls_sigv4_pair){"host", b->host};
    signed_headers[hc++] = (ls_sigv4_pair){"x-amz-content-sha256", payload_hash};
    signed_headers[hc++] = (ls_sigv4_pair){"x-amz-date", amz_date};
    if (b->session_token)
        signed_headers[hc++] = (ls_sigv4_pair){"x-amz-security-token", b->session_token};
    for (size_t i = 0; i < req->header_count; i++)
        signed_headers[hc++] = req->headers[i];

    ls_code rc = request_path(b, req, &path, err);
    ls_sigv4_request sreq = {.method = req->method, .path = (const char *)path.data,
                             .query = req->query, .query_count = req->query_count,
                             .headers = signed_headers, .header_count = hc,
                             .payload_hash = payload_hash};
    ls_sigv4_credentials creds = {.access_key_id = b->access_key_id,
                                  .secret_access_key = b->secret_access_key,
                                  .region = b->region, .service = "s3"};
    if (!rc)
        rc = ls_sigv4_authorization(&sreq, &creds, amz_date, &auth, err);
    if (!rc)
        rc = ls_buf_append_str(&url, b->url_base, err);
    if (!rc)
        rc = ls_sigv4_uri_encode(&url, (const char *)path.data, path.len, true, err);
    if (!rc && req->query_count) {
        rc = ls_buf_append_byte(&url, '?', err);
        if (!rc)
            rc = ls_sigv4_canonical_query(req->query, req->query_count, &url, err);
    }
    for (size_t i = 0; !rc && i < hc; i++) {
        ls_buf_reset(&line);
        rc = ls_buf_printf(&line, err, "%s: %s", signed_headers[i].name,
                           signed_headers[i].value ? signed_headers[i].value : "");
        struct curl_slist *next = rc ? NULL : curl_slist_append(hl, (const char *)line.data);
        if (!rc && !next)
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory building headers");
        if (next)
            hl = next;
    }
    if (!rc) {
        ls_buf_reset(&line);
        rc = ls_buf_printf(&line, err, "Authorization: %s", (const char *)auth.data);
    }
    const char *extra[] = {(const char *)line.data, "Expect:", "Accept:"};
    for (size_t i = 0; !rc && i < 3; i++) {
        struct curl_slist *next = curl_slist_append(hl, extra[i]);
        if (!next)
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory building headers");
        else
            hl = next;
    }
    if (!rc) {
        set_transfer_options(b, t, (const char *)url.data, hl, errbuf);
        *headers_out = hl;
        hl = NULL;
    }
    curl_slist_free_all(hl);
    if (auth.data)
        OPENSSL_cleanse(auth.data, auth.len);
    ls_buf_cleanup(&path);
    ls_buf_cleanup(&url);
    ls_buf_cleanup(&auth);
    ls_buf_cleanup(&line);
    return rc;
}

static bool curl_code_retryable(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
        return true;
    default:
        return false;
    }
}

/* Maps a non-2xx status to a code and message (into a local error). */
static ls_code status_error(const s3_request *req, const s3_response *resp, ls_error *err)
{
    char code[64], message[256];
    ls_objstore_parse_error_xml((const char *)resp->error_body.data, resp->error_body.len, code,
                                sizeof code, message, sizeof message);
    long s = resp->status;
    ls_code lc = s == 404                                  ? LS_ERR_NOT_FOUND
                 : s == 401                                ? LS_ERR_UNAUTHENTICATED
                 : s == 403                                ? LS_ERR_PERMISSION
                 : s == 409 || s == 412                    ? LS_ERR_CONFLICT
                 : ls_objstore_http_status_retryable(s)    ? LS_ERR_UNAVAILABLE
                                                           : LS_ERR_INVALID;
    return ls_error_set(err, lc, "%s %s: HTTP %ld%s%s%s%s", req->method,
                        req->key ? req->key : "(bucket)", s, *code ? " " : "", code,
                        *message ? ": " : "", message);
}

/* One attempt, with left_ms before the stop deadline (UINT64_MAX while not
 * stopping). *retryable tells whether another attempt may help. */
static ls_code attempt_once(s3_backend *b, transfer *t, const char *payload_hash, uint64_t left_ms,
                            bool *retryable, ls_error *err)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = NULL;
    *retryable = false;
    ls_code rc = prepare_attempt(b, t, payload_hash, &headers, errbuf, err);
    if (rc)
        return rc;
    bound_by_stop(b, t, left_ms);
    CURLcode cc = curl_easy_perform(t->curl);
    curl_off_t up = 0, down = 0;
    curl_easy_getinfo(t->curl, CURLINFO_SIZE_UPLOAD_T, &up);
    curl_easy_getinfo(t->curl, CURLINFO_SIZE_DOWNLOAD_T, &down);
    ls_objstore_count(&b->counters->bytes_up, (uint64_t)(up > 0 ? up : 0));
    ls_objstore_count(&b->counters->bytes_down, (uint64_t)(down > 0 ? down : 0));
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->resp->status);
    curl_slist_free_all(headers);
    if (cc != CURLE_OK) {
        const char *method = t->req->method, *key = t->req->key ? t->req->key : "(bucket)";
        const char *why = errbuf[0] ? errbuf : curl_easy_strerror(cc);
        if (t->body_too_large)
            return ls_error_set(err, LS_ERR_TOO_LARGE, "%s %s: response exceeds the buffer cap",
                                method, key);
        if (cc == CURLE_ABORTED_BY_CALLBACK) /* only ours aborts */
            return ls_error_set(err, LS_ERR_UNAVAILABLE, "%s %s: cut off at the deadline",
                                method, key);
        if (ls_stop_clock_left_ms(b->stop, t->req->cleanup) == 0) /* its timeout, cut to it */
            return ls_error_set(err, LS_ERR_UNAVAILABLE, "%s %s: cut off at the deadline (%s)",
                                method, key, why);
        *retryable = curl_code_retryable(cc);
        bool our_fault = cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL;
        return ls_error_set(err, our_fault ? LS_ERR_INVALID : LS_ERR_UNAVAILABLE, "%s %s: %s",
                            method, key, why);
    }
    if (t->resp->status >= 200 && t->resp->status < 300)
        return LS_OK;
    *retryable = ls_objstore_http_status_retryable(t->resp->status);
    return status_error(t->req, t->resp, err);
}

/* Waits a backoff of ms, or less when the stop deadline comes first. */
static void backoff_sleep(const s3_backend *b, const s3_request *req, uint32_t ms)
{
    uint64_t until = monotonic_ms() + ms;
    for (;;) {
        uint64_t now = monotonic_ms();
        uint64_t left = ls_stop_clock_left_ms(b->stop, req->cleanup);
        if (now >= until || left == 0)
            return;
        uint64_t step = until - now < 100 ? until - now : 100; /* a stop may begin meanwhile */
        sleep_ms((uint32_t)(step < left ? step : left));
    }
}

/* The error of a request given up for the stop deadline. */
static ls_code stop_error(const s3_request *req, uint32_t attempts, const ls_error *last,
                          ls_error *err)
{
    const char *key = req->key ? req->key : "(bucket)";
    if (attempts == 0)
        return ls_error_set(err, LS_ERR_UNAVAILABLE, "%s %s: the deadline has passed",
                            req->method, key);
    if (strstr(last->message, "cut off at the deadline"))
        return ls_error_set(err, LS_ERR_UNAVAILABLE, "%s", last->message);
    return ls_error_set(err, LS_ERR_UNAVAILABLE,
                        "%s %s: no retry past the deadline after %u attempt(s): %s",
                        req->method, key, attempts, last->message);
}

/* Runs a request with retries. resp is reset for each attempt; the response
 * buffer is cut back to its length before the first attempt. */
static ls_code s3_perform(s3_backend *b, const s3_request *req, s3_response *resp, ls_error *err)
{
    char payload_hash[LS_SHA256_HEX_BYTES];
    ls_sha256_hex(req->body ? (const void *)req->body : "", req->body_len, payload_hash);
    size_t response_start = req->response ? req->response->len : 0;
    uint64_t started = monotonic_ms();
    ls_error last;
    ls_error_clear(&last);
    ls_code rc = LS_OK;
    uint32_t attempt = 0;
    bool stopped = false;
    ls_buf_init(&resp->error_body, ERROR_BODY_MAX);
    resp->status = 0; /* as is, when the deadline passed before any attempt */
    resp->etag[0] = '\0';
    resp->have_length = false;
    CURL *curl = pool_take(b);
    if (!curl)
        return ls_error_set(err, LS_ERR_NOMEM, "cannot create an HTTP handle");
    for (;;) {
        uint64_t left = ls_stop_clock_left_ms(b->stop, req->cleanup);
        if (left == 0) {
            stopped = true;
            rc = LS_ERR_UNAVAILABLE;
            break;
        }
        attempt++;
        ls_error_clear(&last);
        ls_buf_reset(&resp->error_body);
        resp->status = 0;
        resp->etag[0] = '\0';
        resp->have_length = false;
        if (req->response)
            req->response->len = response_start;
        transfer t = {.curl = curl, .stop = b->stop, .req = req, .resp = resp};
        bool retryable = false;
        ls_objstore_count(req->kind, 1);
        rc = attempt_once(b, &t, payload_hash, left, &retryable, &last);
        if (rc == LS_OK || !retryable || attempt >= b->max_attempts)
            break;
        uint32_t delay = ls_objstore_backoff_delay_ms(b->base_delay_ms, b->max_delay_ms, attempt,
                                                      arc4random());
        uint64_t elapsed = monotonic_ms() - started;
        if (elapsed + delay >= b->max_total_ms)
            break;
        if (delay >= ls_stop_clock_left_ms(b->stop, req->cleanup)) {
            stopped = true; /* the retry would start past the deadline */
            break;
        }
        ls_log_warn("objstore", "%s; attempt %u of %u failed, retrying in %u ms", last.message,
                    attempt, b->max_attempts, delay);
        ls_objstore_count(&b->counters->retries, 1);
        backoff_sleep(b, req, delay);
    }
    pool_give(b, curl);
    if (req->response && req->response->data)
        req->response->data[req->response->len] = '\0';
    if (rc == LS_OK)
        return LS_OK;
    if (stopped)
        return stop_error(req, attempt, &last, err);
    if (rc == LS_ERR_UNAVAILABLE && attempt > 1)
        return ls_error_set(err, rc, "gave up after %u attempts in %llu ms: %s", attempt,
                            (unsigned long long)(monotonic_ms() - started), last.message);
    return ls_error_set_field(err, rc, last.field[0] ? last.field : NULL, "%s", last.message);
}

static char *full_key(const s3_backend *b, const char *key)
{
    size_t np = strlen(b->root_prefix), nk = strlen(key);
    char *out = malloc(np + nk + 1);
    if (out) {
        memcpy(out, b->root_prefix, np);
        memcpy(out + np, key, nk + 1);
    }
    return out;
}

/* MD5 of data as base64 (Content-MD5) and as lower-case hex (ETag check). */
static void md5_both(const void *data, size_t len, char b64[32], char hex[33])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(data, len, digest, &n, EVP_md5(), NULL) || n != 16) {
        b64[0] = hex[0] = '\0';
        return;
    }
    EVP_EncodeBlock((unsigned char *)b64, digest, 16);
    ls_hex_lower(digest, 16, hex);
}

static bool is_md5_hex(const char *etag)
{
    if (strlen(etag) != 32)
        return false;
    for (size_t i = 0; i < 32; i++) {
        char c = etag[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

/* The store's ETag must exist, and equal the MD5 when it is one. */
static ls_code verify_etag(const char *what, const char *key, const char *etag, const char *md5_hex,
                           ls_error *err)
{
    if (!etag[0])
        return ls_error_set(err, LS_ERR_FORMAT, "%s %s: the store returned no ETag", what, key);
    if (md5_hex && md5_hex[0] && is_md5_hex(etag) && strcasecmp(etag, md5_hex) != 0)
        return ls_error_set(err, LS_ERR_FORMAT,
                            "%s %s: ETag %s does not match the MD5 %s of the bytes sent", what,
                            key, etag, md5_hex);
    return LS_OK;
}

static ls_code s3_head_full(s3_backend *b, const char *fkey, ls_objstore_info *info, ls_error *err)
{
    s3_request req = {.method = "HEAD", .key = fkey, .kind = &b->counters->head_requests};
    s3_response resp;
    ls_code rc = s3_perform(b, &req, &resp, err);
    if (!rc && !resp.have_length)
        rc = ls_error_set(err, LS_ERR_FORMAT, "HEAD %s: no Content-Length", fkey);
    if (!rc) {
        info->size_bytes = resp.content_length;
        snprintf(info->etag, sizeof info->etag, "%s", resp.etag);
    }
    ls_buf_cleanup(&resp.error_body);
    return rc;
}

static ls_code s3_put_full(s3_backend *b, const char *fkey, const void *data, size_t len,
                           bool if_absent, ls_error *err)
{
    char md5_b64[32], md5_hex[33];
    md5_both(data, len, md5_b64, md5_hex);
    s3_request req = {.method = "PUT", .key = fkey, .body = data, .body_len = len,
                      .kind = &b->counters->put_requests};
    req.headers[req.header_count++] = (ls_sigv4_pair){"content-md5", md5_b64};
    if (if_absent)
        req.headers[req.header_count++] =
            b->oss ? (ls_sigv4_pair){"x-oss-forbid-overwrite", "true"}
                   : (ls_sigv4_pair){"if-none-match", "*"};
    s3_response resp;
    ls_code rc = s3_perform(b, &req, &resp, err);
    if (!rc)
        rc = verify_etag("PUT", fkey, resp.etag, md5_hex, err);
    ls_buf_cleanup(&resp.error_body);
    return rc;
}

static ls_code s3_put(void *backend, const char *key, const void *data, size_t len,
                      bool if_absent, ls_error *err)
{
    s3_backend *b = backend;
    char *fkey = full_key(b, key);
    if (!fkey)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    ls_code rc = LS_OK;
    if (if_absent) {
        /* Servers that ignore the conditional header (s3rver, old MinIO)
         * still refuse when the object is already there. */
        ls_objstore_info info;
        ls_error local;
        ls_error_clear(&local);
        rc = s3_head_full(b, fkey, &info, &local);
        if (rc == LS_OK)
            rc = ls_error_set(err, LS_ERR_CONFLICT, "object '%s' already exists", key);
        else if (rc == LS_ERR_NOT_FOUND)
            rc = LS_OK;
        else
            ls_error_set(err, rc, "%s", local.message);
    }
    if (!rc)
        rc = s3_put_full(b, fkey, data, len, if_absent, err);
    free(fkey);
    return rc;
}

static ls_code s3_get(void *backend, const char *key, uint64_t offset, uint64_t len,
                      ls_buf *out, ls_error *err)
{
    s3_backend *b = backend;
    char *fkey = full_key(b, key);
    if (!fkey)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    char range[64];
    bool ranged = len != UINT64_MAX;
    s3_request req = {.method = "GET", .key = fkey, .response = out,
                      .kind = &b->counters->get_requests};
    if (ranged) {
        snprintf(range, sizeof range, "bytes=%llu-%llu", (unsigned long long)offset,
                 (unsigned long long)(offset + len - 1));
        req.headers[req.header_count++] = (ls_sigv4_pair){"range", range};
    }
    size_t start = out->len;
    s3_response resp;
    ls_error local;
    ls_error_clear(&local);
    ls_code rc = s3_perform(b, &req, &resp, &local);
    if (rc == LS_ERR_INVALID && ranged && resp.status == 416) {
        rc = LS_OK; /* the range starts at or past the end: no bytes */
    } else if (rc) {
        ls_error_set_field(err, rc, local.field[0] ? local.field : NULL, "%s", local.message);
    } else if (ranged && resp.status == 200) {
        /* The server ignored Range and sent it all: keep the asked slice. */
        size_t got = out->len - start;
        size_t from = offset < got ? (size_t)offset : got;
        size_t keep = got - from < len ? got - from : (size_t)len;
        memmove(out->data + start, out->data + start + from, keep);
        out->len = start + keep;
        out->data[out->len] = '\0';
    } else if (resp.have_length && resp.content_length != out->len - start) {
        rc = ls_error_set(err, LS_ERR_UNAVAILABLE, "GET %s: got %zu bytes of %llu", key,
                          out->len - start, (unsigned long long)resp.content_length);
    }
    if (rc)
        out->len = start;
    if (out->data)
        out->data[out->len] = '\0';
    ls_buf_cleanup(&resp.error_body);
    free(fkey);
    return rc;
}

static ls_code s3_head(void *backend, const char *key, ls_objstore_info *info, ls_error *err)
{
    s3_backend *b = backend;
    char *fkey = full_key(b, key);
    if (!fkey)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    ls_code rc = s3_head_full(b, fkey, info, err);
    free(fkey);
    return rc;
}

static ls_code s3_del(void *backend, const char *key, ls_error *err)
{
    s3_backend *b = backend;
    char *fkey = full_key(b, key);
    if (!fkey)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    s3_request req = {.method = "DELETE", .key = fkey, .kind = &b->counters->delete_requests};
    s3_response resp;
    ls_error local;
    ls_error_clear(&local);
    ls_code rc = s3_perform(b, &req, &resp, &local);
    if (rc == LS_ERR_NOT_FOUND)
        rc = LS_OK;
    else if (rc)
        ls_error_set(err, rc, "%s", local.message);
    ls_buf_cleanup(&resp.error_body);
    free(fkey);
    return rc;
}

static ls_code s3_list(void *backend, const char *prefix, const char *token,
                       ls_objstore_list_page *page, ls_error *err)
{
    s3_backend *b = backend;
    char *fprefix = full_key(b, prefix);
    char max_keys[16];
    snprintf(max_keys, sizeof max_keys, "%u", b->page_size);
    ls_buf body;
    ls_buf_init(&body, LIST_BODY_MAX);
    s3_request req = {.method = "GET", .key = NULL, .response = &body,
                      .kind = &b->counters->list_requests};
    req.query[req.query_count++] = (ls_sigv4_pair){"list-type", "2"};
    req.query[req.query_count++] = (ls_sigv4_pair){"max-keys", max_keys};
    req.query[req.query_count++] = (ls_sigv4_pair){"prefix", fprefix};
    if (token)
        req.query[req.query_count++] = (ls_sigv4_pair){"continuation-token", token};
    s3_response resp;
    resp.error_body.data = NULL;
    ls_code rc = fprefix ? s3_perform(b, &req, &resp, err)
                         : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    bool truncated = false;
    char *next = NULL;
    if (!rc)
        rc = ls_objstore_parse_list_xml((const char *)body.data, body.len, b->root_prefix, page,
                                        &truncated, &next, err);
    if (!rc && truncated)
        page->next_token = next;
    else
        free(next);
    if (fprefix)
        ls_buf_cleanup(&resp.error_body);
    ls_buf_cleanup(&body);
    free(fprefix);
    return rc;
}

/* ---- multipart upload ---- */

typedef struct s3_upload {
    s3_backend *b;
    char *key;  /* full key */
    ls_buf part; /* the part being filled */
    char upload_id[1024];
    bool started;
    char (*etags)[LS_OBJSTORE_ETAG_MAX];
    size_t part_count, etag_cap;
    uint64_t total;
} s3_upload;

static ls_code multipart_create(s3_upload *u, ls_error *err)
{
    s3_backend *b = u->b;
    ls_buf body;
    ls_buf_init(&body, CONTROL_BODY_MAX);
    s3_request req = {.method = "POST", .key = u->key, .response = &body,
                      .kind = &b->counters->multipart_control_requests};
    req.query[req.query_count++] = (ls_sigv4_pair){"uploads", ""};
    s3_response resp;
    ls_code rc = s3_perform(b, &req, &resp, err);
    if (!rc)
        rc = ls_objstore_xml_find_text((const char *)body.data, body.len, "UploadId",
                                       u->upload_id, sizeof u->upload_id, err);
    if (!rc && !u->upload_id[0])
        rc = ls_error_set(err, LS_ERR_FORMAT, "CreateMultipartUpload returned an empty UploadId");
    if (!rc)
        u->started = true;
    ls_buf_cleanup(&resp.error_body);
    ls_buf_cleanup(&body);
    return rc;
}

static ls_code multipart_send_part(s3_upload *u, ls_error *err)
{
    s3_backend *b = u->b;
    if (u->part_count >= LS_OBJSTORE_MAX_PARTS)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "upload %s needs more than %d parts", u->key,
                            LS_OBJSTORE_MAX_PARTS);
    if (u->part_count == u->etag_cap) {
        size_t cap = u->etag_cap ? u->etag_cap * 2 : 16;
        void *grown = realloc(u->etags, cap * sizeof *u->etags);
        if (!grown)
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        u->etags = grown;
        u->etag_cap = cap;
    }
    char number[16], md5_b64[32], md5_hex[33];
    snprintf(number, sizeof number, "%zu", u->part_count + 1);
    md5_both(u->part.data ? (const void *)u->part.data : "", u->part.len, md5_b64, md5_hex);
    s3_request req = {.method = "PUT", .key = u->key, .body = u->part.data,
                      .body_len = u->part.len, .kind = &b->counters->multipart_part_requests};
    req.query[req.query_count++] = (ls_sigv4_pair){"partNumber", number};
    req.query[req.query_count++] = (ls_sigv4_pair){"uploadId", u->upload_id};
    req.headers[req.header_count++] = (ls_sigv4_pair){"content-md5", md5_b64};
    s3_response resp;
    ls_code rc = s3_perform(b, &req, &resp, err);
    if (!rc)
        rc = verify_etag("UploadPart", u->key, resp.etag, md5_hex, err);
    if (!rc) {
        snprintf(u->etags[u->part_count], LS_OBJSTORE_ETAG_MAX, "%s", resp.etag);
        u->part_count++;
        ls_buf_reset(&u->part);
    }
    ls_buf_cleanup(&resp.error_body);
    return rc;
}

static ls_code multipart_complete(s3_upload *u, ls_error *err)
{
    s3_backend *b = u->b;
    ls_buf xml, body;
    ls_buf_init(&xml, (size_t)LS_OBJSTORE_MAX_PARTS * 256);
    ls_buf_init(&body, CONTROL_BODY_MAX);
    ls_code rc = ls_buf_append_str(&xml, "<CompleteMultipartUpload>", err);
    for (size_t i = 0; !rc && i < u->part_count; i++) {
        rc = ls_buf_printf(&xml, err, "<Part><PartNumber>%zu</PartNumber><ETag>&quot;", i + 1);
        if (!rc)
            rc = ls_objstore_xml_escape(&xml, u->etags[i], err);
        if (!rc)
            rc = ls_buf_append_str(&xml, "&quot;</ETag></Part>", err);
    }
    if (!rc)
        rc = ls_buf_append_str(&xml, "</CompleteMultipartUpload>", err);
    s3_request req = {.method = "POST", .key = u->key, .body = xml.data, .body_len = xml.len,
                      .response = &body, .kind = &b->counters->multipart_control_requests};
    req.query[req.query_count++] = (ls_sigv4_pair){"uploadId", u->upload_id};
    req.headers[req.header_count++] = (ls_sigv4_pair){"content-type", "application/xml"};
    s3_response resp;
    resp.error_body.data = NULL;
    if (!rc)
        rc = s3_perform(b, &req, &resp, err);
    if (!rc) {
        /* A 200 may still carry an <Error> document (S3 reports late
         * failures of CompleteMultipartUpload that way). */
        char code[64], message[256];
        ls_objstore_parse_error_xml((const char *)body.data, body.len, code, sizeof code, message,
                                    sizeof message);
        if (body.data && strstr((const char *)body.data, "<Error>"))
            rc = ls_error_set(err, LS_ERR_UNAVAILABLE, "CompleteMultipartUpload %s: %s %s",
                              u->key, code, message);
    }
    ls_buf_cleanup(&resp.error_body);
    ls_buf_cleanup(&xml);
    ls_buf_cleanup(&body);
    return rc;
}

static void multipart_abort(s3_upload *u)
{
    if (!u->started)
        return;
    s3_backend *b = u->b;
    /* Past a stop's deadline too (its cleanup allowance): listing never
     * shows an unfinished multipart upload, so orphan removal cannot. */
    s3_request req = {.method = "DELETE", .key = u->key,
                      .kind = &b->counters->multipart_control_requests, .cleanup = true};
    req.query[req.query_count++] = (ls_sigv4_pair){"uploadId", u->upload_id};
    s3_response resp;
    ls_error local;
    ls_error_clear(&local);
    if (s3_perform(b, &req, &resp, &local) != LS_OK)
        ls_log_warn("objstore", "abort of multipart upload for %s failed: %s", u->key,
                    local.message);
    ls_buf_cleanup(&resp.error_body);
    u->started = false;
}

static ls_code s3_upload_begin(void *backend, const char *key, void **state, ls_error *err)
{
    s3_backend *b = backend;
    s3_upload *u = calloc(1, sizeof *u);
    if (!u || !(u->key = full_key(b, key))) {
        free(u);
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    }
    u->b = b;
    ls_buf_init(&u->part, (size_t)b->part_size);
    *state = u;
    return LS_OK;
}

static ls_code s3_upload_write(void *state, const void *data, size_t len, ls_error *err)
{
    s3_upload *u = state;
    const uint8_t *p = data;
    while (len > 0) {
        size_t room = u->part.max_bytes - u->part.len;
        size_t take = len < room ? len : room;
        ls_code rc = ls_buf_append(&u->part, p, take, err);
        if (rc)
            return rc;
        p += take;
        len -= take;
        u->total += take;
        if (u->part.len == u->part.max_bytes) {
            rc = u->started ? LS_OK : multipart_create(u, err);
            if (!rc)
                rc = multipart_send_part(u, err);
            if (rc)
                return rc;
        }
    }
    return LS_OK;
}

static void s3_upload_free(s3_upload *u)
{
    ls_buf_cleanup(&u->part);
    free(u->etags);
    free(u->key);
    free(u);
}

static ls_code s3_upload_commit(void *state, ls_error *err)
{
    s3_upload *u = state;
    ls_code rc;
    if (!u->started) {
        /* Smaller than one part: a single verified PUT. */
        rc = s3_put_full(u->b, u->key, u->part.data ? (const void *)u->part.data : "",
                         u->part.len, false, err);
    } else {
        rc = u->part.len > 0 ? multipart_send_part(u, err) : LS_OK;
        if (!rc)
            rc = multipart_complete(u, err);
        if (rc) {
            multipart_abort(u);
        } else {
            u->started = false;
            ls_objstore_info info;
            rc = s3_head_full(u->b, u->key, &info, err);
            if (!rc && info.size_bytes != u->total)
                rc = ls_error_set(err, LS_ERR_FORMAT,
                                  "multipart upload %s: store holds %llu bytes, %llu were sent",
                                  u->key, (unsigned long long)info.size_bytes,
                                  (unsigned long long)u->total);
            if (!rc && !info.etag[0])
                rc = ls_error_set(err, LS_ERR_FORMAT, "multipart upload %s: no ETag", u->key);
        }
    }
    s3_upload_free(u);
    return rc;
}

static void s3_upload_abort(void *state)
{
    s3_upload *u = state;
    multipart_abort(u);
    s3_upload_free(u);
}

static void s3_free(void *backend)
{
    s3_backend *b = backend;
    for (size_t i = 0; i < b->pool_count; i++)
        curl_easy_cleanup(b->pool[i]);
    pthread_mutex_destroy(&b->pool_lock);
    if (b->secret_access_key)
        OPENSSL_cleanse(b->secret_access_key, strlen(b->secret_access_key));
    free(b->bucket);
    free(b->root_prefix);
    free(b->region);
    free(b->access_key_id);
    free(b->secret_access_key);
    free(b->session_token);
    free(b->url_base);
    free(b->host);
    free(b->path_base);
    free(b);
}

static const ls_objstore_backend_ops s3_ops = {
    .put = s3_put,
    .get = s3_get,
    .head = s3_head,
    .del = s3_del,
    .list = s3_list,
    .upload_begin = s3_upload_begin,
    .upload_write = s3_upload_write,
    .upload_commit = s3_upload_commit,
    .upload_abort = s3_upload_abort,
    .free = s3_free,
};

/* Splits the endpoint and derives url_base, host and path_base. */
static ls_code s3_addressing(s3_backend *b, const char *endpoint, bool path_style, ls_error *err)
{
    const char *sep = strstr(endpoint, "://");
    const char *authority = sep + 3;
    if (!*authority || strchr(authority, '/') || strchr(authority, '?') || strchr(authority, '@'))
        return ls_error_set_field(err, LS_ERR_INVALID, "endpoint",
                                  "endpoint must be scheme://host[:port] without a path");
    size_t scheme_len = (size_t)(sep - endpoint);
    size_t n = strlen(endpoint) + strlen(b->bucket) + 8;
    b->url_base = malloc(n);
    b->host = malloc(n);
    b->path_base = malloc(strlen(b->bucket) + 2);
    if (!b->url_base || !b->host || !b->path_base)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (path_style) {
        snprintf(b->url_base, n, "%s", endpoint);
        snprintf(b->host, n, "%s", authority);
        snprintf(b->path_base, strlen(b->bucket) + 2, "/%s", b->bucket);
    } else {
        snprintf(b->url_base, n, "%.*s://%s.%s", (int)scheme_len, endpoint, b->bucket, authority);
        snprintf(b->host, n, "%s.%s", b->bucket, authority);
        b->path_base[0] = '\0';
    }
    return LS_OK;
}

ls_code ls_objstore_s3_new(const ls_objstore_config *cfg, ls_objstore_atomic_counters *counters,
                           const ls_objstore_backend_ops **ops, void **backend, ls_error *err)
{
    pthread_once(&curl_once, curl_global_setup);
    if (curl_global_rc != CURLE_OK)
        return ls_error_set(err, LS_ERR_INTERNAL, "libcurl failed to initialize: %s",
                            curl_easy_strerror(curl_global_rc));
    s3_backend *b = calloc(1, sizeof *b);
    if (!b)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&b->pool_lock, NULL);
    b->oss = cfg->kind == LS_OBJSTORE_OSS;
    b->counters = counters;
    b->stop = cfg->stop;
    b->bucket = strdup(cfg->bucket);
    b->root_prefix = strdup(cfg->root_prefix);
    b->region = strdup(cfg->region);
    b->access_key_id = strdup(cfg->access_key_id);
    b->secret_access_key = strdup(cfg->secret_access_key);
    b->session_token = cfg->session_token ? strdup(cfg->session_token) : NULL;
    b->max_attempts = cfg->max_attempts;
    b->base_delay_ms = cfg->retry_base_delay_ms;
    b->max_delay_ms = cfg->retry_max_delay_ms;
    b->max_total_ms = cfg->max_retry_total_ms;
    b->connect_timeout_ms = cfg->connect_timeout_ms;
    b->request_timeout_ms = cfg->request_timeout_ms;
    b->stall_timeout_ms = cfg->stall_timeout_ms;
    b->page_size = cfg->list_page_size;
    b->part_size = cfg->part_size_bytes;
    ls_code rc = LS_OK;
    if (!b->bucket || !b->root_prefix || !b->region || !b->access_key_id ||
        !b->secret_access_key || (cfg->session_token && !b->session_token))
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = s3_addressing(b, cfg->endpoint, cfg->path_style, err);
    if (rc) {
        s3_free(b);
        return rc;
    }
    *ops = &s3_ops;
    *backend = b;
    return LS_OK;
}
