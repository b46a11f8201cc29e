/*
 * The control-plane client: a reused libcurl easy handle (so keep-alive
 * spares a connection per commit), one request function with bounded
 * retries, and the four protocol calls on top.
 */
#include "control_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "util/buf.h"
#include "util/log.h"

#define URL_MAX 2048
#define AUTH_HEADER_MAX 1024

struct ls_control_client {
    ls_control_options options;
    char *server_url; /* without a trailing '/' */
    char *job_id;
    char *auth_header; /* "Authorization: Bearer ..." (secret) */
    CURL *curl;
    uint64_t jitter_state;
    ls_stop_clock *stop; /* NULL: never stopping */
};

void ls_control_options_init(ls_control_options *o)
{
    memset(o, 0, sizeof *o);
    o->connect_timeout_ms = 5000;
    o->request_timeout_ms = 30000;
    o->max_attempts = 6;
    o->retry_base_delay_ms = 200;
    o->retry_max_delay_ms = 5000;
    o->max_retry_total_ms = 60000;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* xorshift64: jitter only needs to spread retries of several workers. */
static uint64_t next_random(ls_control_client *c)
{
    uint64_t x = c->jitter_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c->jitter_state = x;
    return x;
}

ls_code ls_control_client_new(const ls_control_options *options, ls_control_client **out,
                              ls_error *err)
{
    *out = NULL;
    if (!options->server_url || !*options->server_url || !options->job_id || !*options->job_id ||
        !options->token || !*options->token)
        return ls_error_set(err, LS_ERR_INVALID,
                            "the server URL, the job id and the worker token are required");
    if (strlen(options->token) > AUTH_HEADER_MAX - 32 || strlen(options->server_url) > URL_MAX / 2)
        return ls_error_set(err, LS_ERR_INVALID, "the server URL or the worker token is too long");
    ls_control_client *c = calloc(1, sizeof *c);
    if (!c)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    c->options = *options;
    c->server_url = strdup(options->server_url);
    c->job_id = strdup(options->job_id);
    c->auth_header = malloc(AUTH_HEADER_MAX);
    c->curl = curl_easy_init();
    if (!c->server_url || !c->job_id || !c->auth_header || !c->curl) {
        ls_control_client_free(c);
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory creating the control client");
    }
    size_t n = strlen(c->server_url);
    while (n > 0 && c->server_url[n - 1] == '/')
        c->server_url[--n] = '\0';
    snprintf(c->auth_header, AUTH_HEADER_MAX, "Authorization: Bearer %s", options->token);
    c->options.server_url = c->server_url;
    c->options.job_id = c->job_id;
    c->options.token = NULL; /* only the header keeps it */
    if (getrandom(&c->jitter_state, sizeof c->jitter_state, 0) != sizeof c->jitter_state ||
        c->jitter_state == 0)
        c->jitter_state = now_ms() | 1u;
    *out = c;
    return LS_OK;
}

void ls_control_client_free(ls_control_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    if (c->auth_header) {
        /* The header holds the token: do not leave it in freed memory. */
        volatile char *p = c->auth_header;
        for (size_t i = 0; i < AUTH_HEADER_MAX; i++)
            p[i] = 0;
    }
    free(c->auth_header);
    free(c->server_url);
    free(c->job_id);
    free(c);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    ls_buf *buf = ctx;
    ls_error ignored;
    size_t n = size * nmemb;
    if (ls_buf_append(buf, data, n, &ignored) != LS_OK)
        return 0; /* makes curl fail with CURLE_WRITE_ERROR: over the cap */
    return n;
}

void ls_control_watch_stop(ls_control_client *c, ls_stop_clock *clock)
{
    c->stop = clock;
}

/* Milliseconds left before the stop deadline (UINT64_MAX while not
 * stopping). */
static uint64_t time_left(ls_control_client *c)
{
    return ls_stop_clock_left_ms(c->stop, false);
}

/* Waits ms, or less when a stop leaves less time than that. The clock is
 * looked at every 100 ms: a stop can begin without interrupting the wait
 * (SIGTERM lands on any thread that does not block it, such as the
 * worker's encoder thread). */
static void sleep_ms(ls_control_client *c, uint64_t ms)
{
    uint64_t until = now_ms() + ms;
    for (;;) {
        uint64_t now = now_ms(), left = time_left(c);
        if (now >= until || left == 0)
            return;
        uint64_t step = until - now < 100 ? until - now : 100;
        if (step > left)
            step = left;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)step * 1000000L};
        nanosleep(&ts, NULL); /* a signal only ends this step early */
    }
}

/* curl's progress callback of an attempt that began before the stop (one
 * begun later has its timeout cut to the time left): cuts it off at the
 * last look at the clock before the deadline. */
static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    const ls_control_client *c = ctx;
    return ls_stop_clock_cut_in_flight(c->stop, false);
}

/* One attempt. *status is the HTTP status, or 0 when no answer came (then
 * the curl error is in err as LS_ERR_UNAVAILABLE). */
static ls_code attempt(ls_control_client *c, const char *method, const char *url, const char *body,
                       ls_buf *response, long *status, ls_error *err)
{
    uint64_t timeout = c->options.request_timeout_ms, left = time_left(c);
    if (left < timeout)
        timeout = left;
    *status = 0;
    if (timeout == 0) /* curl reads 0 as no timeout at all */
        return ls_error_set(err, LS_ERR_UNAVAILABLE, "%s %s: the deadline has passed", method, url);
    struct curl_slist *headers = NULL;
    char curl_message[CURL_ERROR_SIZE] = "";
    ls_code rc = LS_OK;
    headers = curl_slist_append(headers, c->auth_header);
    headers = curl_slist_append(headers, "Accept: application/json");
    if (body)
        headers = curl_slist_append(headers, "Content-Type: application/json");
    if (!headers)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory building request headers");
    CURL *h = c->curl;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->options.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout);
    if (left == UINT64_MAX) { /* not stopping yet: watch for it */
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, response);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_message);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? strlen(body) : 0));
    }
    *status = 0;
    CURLcode code = curl_easy_perform(h);
    if (code == CURLE_WRITE_ERROR && response->len + CURL_MAX_WRITE_SIZE > response->max_bytes)
        rc = ls_error_set(err, LS_ERR_TOO_LARGE, "the server's answer to %s is over %zu bytes",
                          method, response->max_bytes);
    else if (code != CURLE_OK)
        rc = ls_error_set(err, LS_ERR_UNAVAILABLE, "%s %s: %s", method, url,
                          curl_message[0] ? curl_message : curl_easy_strerror(code));
    else
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(headers);
    return rc;
}

static uint64_t backoff_ms(ls_control_client *c, uint32_t attempt_index)
{
    uint64_t delay = c->options.retry_base_delay_ms;
    for (uint32_t i = 0; i < attempt_index && delay < c->options.retry_max_delay_ms; i++)
        delay *= 2;
    if (delay > c->options.retry_max_delay_ms)
        delay = c->options.retry_max_delay_ms;
    /* Equal jitter: at least half the delay, so retries never hammer. */
    return delay / 2 + (delay > 1 ? next_random(c) % (delay / 2 + 1) : 0);
}

static ls_code status_error(long status, const char *method, const char *path, ls_error *err)
{
    ls_code code = LS_ERR_INVALID;
    if (status == 401)
        code = LS_ERR_UNAUTHENTICATED;
    else if (status == 403)
        code = LS_ERR_PERMISSION;
    else if (status == 404)
        code = LS_ERR_NOT_FOUND;
    else if (status == 409)
        code = LS_ERR_CONFLICT;
    else if (status == 413)
        code = LS_ERR_TOO_LARGE;
    else if (status >= 500)
        code = LS_ERR_UNAVAILABLE;
    return ls_error_set(err, code, "%s %s answered HTTP %ld", method, path, status);
}

/* Sends a request with retries; on any HTTP answer that is not retried,
 * *status holds it and the body is in response. Returns the error for
 * statuses other than 2xx. */
static ls_code request(ls_control_client *c, const char *method, const char *endpoint,
                       const char *body, ls_buf *response, long *status, bool *retried,
                       ls_error *err)
{
    char url[URL_MAX];
    int n =
        snprintf(url, sizeof url, "%s/internal/v1/jobs/%s/%s", c->server_url, c->job_id, endpoint);
    if (n < 0 || (size_t)n >= sizeof url)
        return ls_error_set(err, LS_ERR_INVALID, "the control-plane URL is too long");
    uint64_t started = now_ms();
    for (uint32_t i = 0;; i++) {
        ls_error attempt_err;
        ls_error_clear(&attempt_err);
        ls_buf_reset(response);
        ls_code rc = attempt(c, method, url, body, response, status, &attempt_err);
        if (rc == LS_OK && *status >= 200 && *status < 300)
            return LS_OK;
        if (rc == LS_OK && *status < 500)
            return status_error(*status, method, endpoint, err);
        if (rc != LS_OK && rc != LS_ERR_UNAVAILABLE)
            return ls_error_set(err, rc, "%s", attempt_err.message);
        uint64_t delay = backoff_ms(c, i);
        *retried = true; /* a failed attempt may still have reached the server */
        if (i + 1 >= c->options.max_attempts ||
            now_ms() + delay - started > c->options.max_retry_total_ms || delay >= time_left(c)) {
            if (rc == LS_OK)
                return status_error(*status, method, endpoint, err);
            return ls_error_set(err, LS_ERR_UNAVAILABLE, "%s (after %u attempts)",
                                attempt_err.message, i + 1);
        }
        ls_log_warn("control", "%s %s failed (%s), retrying in %llu ms", method, endpoint,
                    rc ? attempt_err.message : "server error", (unsigned long long)delay);
        sleep_ms(c, delay);
    }
}

static ls_code parse_body(const ls_buf *response, const char *what, json_t **out, ls_error *err)
{
    json_error_t jerr;
    *out = json_loadb((const char *)response->data, response->len, 0, &jerr);
    if (!*out || !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return ls_error_set(err, LS_ERR_FORMAT, "the server's answer to %s is not a JSON object",
                            what);
    }
    return LS_OK;
}

/* GET or POST endpoint and parse the JSON object answered. */
static ls_code call_json(ls_control_client *c, const char *method, const char *endpoint,
                         const json_t *body, json_t **out, long *status, bool *retried,
                         ls_error *err)
{
    ls_buf response;
    char *text = NULL;
    ls_code rc = LS_OK;
    *out = NULL;
    ls_buf_init(&response, LS_CONTROL_MAX_RESPONSE_BYTES);
    if (body) {
        text = json_dumps(body, JSON_COMPACT);
        if (!text) {
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory encoding a request body");
            goto out;
        }
    }
    rc = request(c, method, endpoint, text, &response, status, retried, err);
    if (rc == LS_OK)
        rc = parse_body(&response, endpoint, out, err);
    else if (rc == LS_ERR_CONFLICT && response.len > 0) {
        ls_error ignored;
        if (parse_body(&response, endpoint, out, &ignored) != LS_OK)
            *out = NULL;
    }
out:
    free(text);
    ls_buf_cleanup(&response);
    return rc;
}

ls_code ls_control_get_spec(ls_control_client *c, json_t **spec_out, ls_error *err)
{
    long status = 0;
    bool retried = false;
    return call_json(c, "GET", "spec", NULL, spec_out, &status, &retried, err);
}

ls_code ls_control_get_offsets(ls_control_client *c, json_t **partitions_out, ls_error *err)
{
    long status = 0;
    bool retried = false;
    json_t *answer = NULL;
    *partitions_out = NULL;
    ls_code rc = call_json(c, "GET", "offsets", NULL, &answer, &status, &retried, err);
    if (rc)
        return rc;
    json_t *partitions = json_object_get(answer, "partitions");
    if (!partitions)
        partitions = json_object(); /* nothing committed yet */
    else if (json_is_object(partitions))
        json_incref(partitions);
    else
        partitions = NULL;
    json_decref(answer);
    if (!partitions)
        return ls_error_set(err, LS_ERR_FORMAT, "the offsets answer has no partitions object");
    *partitions_out = partitions;
    return LS_OK;
}

ls_code ls_control_post_commit(ls_control_client *c, const json_t *body, json_t **response_out,
                               bool *retried_out, ls_error *err)
{
    long status = 0;
    *retried_out = false;
    return call_json(c, "POST", "commits", body, response_out, &status, retried_out, err);
}

ls_code ls_control_post_schema(ls_control_client *c, const json_t *body, json_t **response_out,
                               ls_error *err)
{
    long status = 0;
    bool retried = false;
    return call_json(c, "POST", "schema", body, response_out, &status, &retried, err);
}

ls_code ls_control_post_heartbeat(ls_control_client *c, const json_t *body, bool *stop_out,
                                  ls_error *err)
{
    long status = 0;
    bool retried = false;
    json_t *answer = NULL;
    *stop_out = false;
    ls_code rc = call_json(c, "POST", "heartbeat", body, &answer, &status, &retried, err);
    if (rc)
        return rc;
    *stop_out = json_is_true(json_object_get(answer, "stop"));
    json_decref(answer);
    return LS_OK;
}

const json_t *ls_control_conflict_offsets(const json_t *body)
{
    if (!body)
        return NULL;
    const json_t *offsets = json_object_get(body, "offsets");
    if (!offsets)
        offsets = json_object_get(json_object_get(body, "error"), "offsets");
    return json_is_object(offsets) ? offsets : NULL;
}
