/*
 * The objstore front: URI parsing, settings and environment, key checks,
 * counters and dispatch to the backend. Backends live in objstore_file.c and
 * objstore_s3.c.
 */
#include "objstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objstore_internal.h"

struct ls_objstore {
    ls_objstore_kind kind;
    const ls_objstore_backend_ops *ops;
    void *backend;
    ls_objstore_atomic_counters counters;
};

struct ls_objstore_upload {
    ls_objstore *store;
    void *state;
    ls_sink sink;
    bool failed;
};

void ls_objstore_options_init(ls_objstore_options *o)
{
    memset(o, 0, sizeof *o);
    o->path_style = -1;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static char *dup_n(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return out;
}

void ls_objstore_config_cleanup(ls_objstore_config *cfg)
{
    free(cfg->root_path);
    free(cfg->bucket);
    free(cfg->root_prefix);
    free(cfg->endpoint);
    free(cfg->region);
    free(cfg->access_key_id);
    if (cfg->secret_access_key) {
        /* Wipe the secret before handing the memory back. */
        volatile char *p = cfg->secret_access_key;
        while (*p)
            *p++ = '\0';
    }
    free(cfg->secret_access_key);
    free(cfg->session_token);
    memset(cfg, 0, sizeof *cfg);
}

/* "bucket/some/prefix" -> bucket, "some/prefix/". */
static ls_code parse_bucket_uri(const char *rest, ls_objstore_config *cfg, ls_error *err)
{
    const char *slash = strchr(rest, '/');
    size_t bucket_len = slash ? (size_t)(slash - rest) : strlen(rest);
    if (bucket_len == 0 || bucket_len > 63)
        return ls_error_set(err, LS_ERR_INVALID, "bucket name must have 1 to 63 characters");
    for (size_t i = 0; i < bucket_len; i++) {
        char c = rest[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              (c >= 'A' && c <= 'Z') || c == '_'))
            return ls_error_set(err, LS_ERR_INVALID, "bucket name has an invalid character '%c'",
                                c);
    }
    cfg->bucket = dup_n(rest, bucket_len);
    const char *prefix = slash ? slash + 1 : "";
    while (*prefix == '/')
        prefix++;
    size_t plen = strlen(prefix);
    while (plen > 0 && prefix[plen - 1] == '/')
        plen--;
    if (plen > 0) {
        char *trimmed = dup_n(prefix, plen);
        if (!trimmed)
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        ls_code rc = ls_objstore_key_check(trimmed, err);
        if (rc) {
            free(trimmed);
            ls_error_name_field(err, "uri");
            return rc;
        }
        cfg->root_prefix = malloc(plen + 2);
        if (cfg->root_prefix) {
            memcpy(cfg->root_prefix, trimmed, plen);
            memcpy(cfg->root_prefix + plen, "/", 2);
        }
        free(trimmed);
    } else {
        cfg->root_prefix = strdup("");
    }
    if (!cfg->bucket || !cfg->root_prefix)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    return LS_OK;
}

ls_code ls_objstore_parse_root(const char *uri, ls_objstore_config *cfg, ls_error *err)
{
    if (!uri || !*uri)
        return ls_error_set_field(err, LS_ERR_INVALID, "uri", "storage URI is empty");
    if (strncmp(uri, "s3://", 5) == 0) {
        cfg->kind = LS_OBJSTORE_S3;
        return parse_bucket_uri(uri + 5, cfg, err);
    }
    if (strncmp(uri, "oss://", 6) == 0) {
        cfg->kind = LS_OBJSTORE_OSS;
        return parse_bucket_uri(uri + 6, cfg, err);
    }
    const char *path = uri;
    if (strncmp(uri, "file://", 7) == 0)
        path = uri + 7;
    else if (strstr(uri, "://"))
        return ls_error_set_field(err, LS_ERR_INVALID, "uri",
                                  "unsupported storage scheme in '%.64s' (file, s3, oss)", uri);
    if (!*path)
        return ls_error_set_field(err, LS_ERR_INVALID, "uri", "file URI has no path");
    cfg->kind = LS_OBJSTORE_FILE;
    cfg->root_path = strdup(path);
    if (!cfg->root_path)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    return LS_OK;
}

ls_code ls_objstore_key_check(const char *key, ls_error *err)
{
    if (!key || !*key)
        return ls_error_set_field(err, LS_ERR_INVALID, "key", "object key is empty");
    size_t len = strlen(key);
    if (len > LS_OBJSTORE_KEY_MAX)
        return ls_error_set_field(err, LS_ERR_INVALID, "key", "object key longer than %d bytes",
                                  LS_OBJSTORE_KEY_MAX);
    if (key[0] == '/')
        return ls_error_set_field(err, LS_ERR_INVALID, "key",
                                  "object key '%.200s' must be relative (no leading '/')", key);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c < 0x20 || c == 0x7f)
            return ls_error_set_field(err, LS_ERR_INVALID, "key",
                                      "object key has a control character at byte %zu", i);
    }
    const char *seg = key;
    while (seg) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n == 0)
            return ls_error_set_field(err, LS_ERR_INVALID, "key",
                                      "object key '%.200s' has an empty segment", key);
        if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return ls_error_set_field(err, LS_ERR_INVALID, "key",
                                      "object key '%.200s' has a '.' or '..' segment; refused",
                                      key);
        seg = end ? end + 1 : NULL;
    }
    return LS_OK;
}

/* A prefix may be "" or end with '/'; its segments follow the key rules. */
static ls_code prefix_check(const char *prefix, ls_error *err)
{
    size_t len = strlen(prefix);
    if (len == 0)
        return LS_OK;
    if (len > LS_OBJSTORE_KEY_MAX)
        return ls_error_set_field(err, LS_ERR_INVALID, "prefix", "prefix too long");
    char *copy = dup_n(prefix, len);
    if (!copy)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (copy[len - 1] == '/')
        copy[len - 1] = '\0';
    ls_code rc = *copy ? ls_objstore_key_check(copy, err)
                       : ls_error_set_field(err, LS_ERR_INVALID, "prefix", "prefix is '/'");
    free(copy);
    return rc;
}

ls_code ls_objstore_uri_split(const char *object_uri, char **root_out, char **key_out,
                              ls_error *err)
{
    *root_out = NULL;
    *key_out = NULL;
    const char *rest;
    size_t scheme_len;
    if (strncmp(object_uri, "s3://", 5) == 0 || strncmp(object_uri, "oss://", 6) == 0) {
        scheme_len = object_uri[0] == 's' ? 5 : 6;
        rest = strchr(object_uri + scheme_len, '/');
        if (!rest || !rest[1])
            return ls_error_set_field(err, LS_ERR_INVALID, "uri",
                                      "'%.200s' names a bucket but no object", object_uri);
        *root_out = dup_n(object_uri, (size_t)(rest - object_uri));
        *key_out = strdup(rest + 1);
    } else {
        const char *path = strncmp(object_uri, "file://", 7) == 0 ? object_uri + 7 : object_uri;
        if (path[0] != '/')
            return ls_error_set_field(err, LS_ERR_INVALID, "uri",
                                      "file URI '%.200s' must hold an absolute path", object_uri);
        *root_out = strdup("file:///");
        *key_out = strdup(path + 1);
    }
    if (!*root_out || !*key_out) {
        free(*root_out);
        free(*key_out);
        *root_out = *key_out = NULL;
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    }
    return LS_OK;
}

static const char *first_env(const char *a, const char *b)
{
    const char *v = getenv(a);
    if ((!v || !*v) && b)
        v = getenv(b);
    return v && *v ? v : NULL;
}

static uint32_t or_default(uint32_t v, uint32_t d)
{
    return v ? v : d;
}

/* Applies options, environment and defaults for s3/oss. */
static ls_code resolve_remote(const ls_objstore_options *o, ls_objstore_config *cfg,
                              ls_error *err)
{
    const char *region = o->region ? o->region : first_env("AWS_REGION", "AWS_DEFAULT_REGION");
    if (cfg->kind == LS_OBJSTORE_OSS) {
        if (!region)
            return ls_error_set_field(err, LS_ERR_INVALID, "region",
                                      "oss:// needs a region such as cn-hangzhou");
        if (strncmp(region, "oss-", 4) == 0)
            region += 4;
    }
    cfg->region = strdup(region ? region : "us-east-1");
    const char *endpoint = o->endpoint ? o->endpoint : first_env("AWS_ENDPOINT_URL", NULL);
    bool custom_endpoint = endpoint != NULL;
    if (endpoint) {
        cfg->endpoint = strdup(endpoint);
        size_t n = cfg->endpoint ? strlen(cfg->endpoint) : 0;
        while (n > 0 && cfg->endpoint[n - 1] == '/')
            cfg->endpoint[--n] = '\0';
    } else {
        size_t n = strlen(cfg->region) + 64;
        cfg->endpoint = malloc(n);
        if (cfg->endpoint)
            snprintf(cfg->endpoint, n,
                     cfg->kind == LS_OBJSTORE_OSS ? "https://s3.oss-%s.aliyuncs.com"
                                                  : "https://s3.%s.amazonaws.com",
                     cfg->region);
    }
    if (!cfg->region || !cfg->endpoint)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (strncmp(cfg->endpoint, "http://", 7) != 0 && strncmp(cfg->endpoint, "https://", 8) != 0)
        return ls_error_set_field(err, LS_ERR_INVALID, "endpoint",
                                  "endpoint must start with http:// or https://");
    if (o->path_style >= 0)
        cfg->path_style = o->path_style != 0;
    else if (cfg->kind == LS_OBJSTORE_OSS)
        cfg->path_style = false;
    else
        cfg->path_style = custom_endpoint || strchr(cfg->bucket, '.') != NULL;

    const char *key_id = o->access_key_id, *secret = o->secret_access_key,
               *token = o->session_token;
    if (!key_id && !secret) {
        key_id = first_env("AWS_ACCESS_KEY_ID", NULL);
        secret = first_env("AWS_SECRET_ACCESS_KEY", NULL);
        if (!token)
            token = first_env("AWS_SESSION_TOKEN", NULL);
    }
    if (!key_id || !secret)
        return ls_error_set_field(err, LS_ERR_UNAUTHENTICATED, "access_key_id",
                                  "no credentials: set an access key id and secret key "
                                  "(options or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)");
    if (strlen(secret) > 200)
        return ls_error_set_field(err, LS_ERR_INVALID, "secret_access_key",
                                  "secret key longer than 200 characters");
    cfg->access_key_id = strdup(key_id);
    cfg->secret_access_key = strdup(secret);
    cfg->session_token = dup_or_null(token);
    if (!cfg->access_key_id || !cfg->secret_access_key || (token && !cfg->session_token))
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    return LS_OK;
}

static ls_code resolve_config(const char *uri, const ls_objstore_options *o,
                              ls_objstore_config *cfg, ls_error *err)
{
    ls_code rc = ls_objstore_parse_root(uri, cfg, err);
    if (rc)
        return rc;
    cfg->max_attempts = or_default(o->max_attempts, 6);
    cfg->retry_base_delay_ms = or_default(o->retry_base_delay_ms, 100);
    cfg->retry_max_delay_ms = or_default(o->retry_max_delay_ms, 5000);
    cfg->max_retry_total_ms = or_default(o->max_retry_total_ms, 120000);
    cfg->connect_timeout_ms = or_default(o->connect_timeout_ms, 10000);
    cfg->request_timeout_ms = or_default(o->request_timeout_ms, 300000);
    cfg->stall_timeout_ms = or_default(o->stall_timeout_ms, 30000);
    cfg->list_page_size = or_default(o->list_page_size, 1000);
    cfg->stop = o->stop;
    if (cfg->list_page_size > 1000)
        cfg->list_page_size = 1000;
    cfg->part_size_bytes = o->part_size_bytes ? o->part_size_bytes : 8u * 1024 * 1024;
    if (cfg->part_size_bytes < LS_OBJSTORE_MIN_PART_BYTES)
        return ls_error_set_field(err, LS_ERR_INVALID, "part_size_bytes",
                                  "multipart parts must be at least 5 MiB");
    if (cfg->part_size_bytes > 1024u * 1024 * 1024)
        return ls_error_set_field(err, LS_ERR_INVALID, "part_size_bytes",
                                  "multipart parts are capped at 1 GiB");
    if (cfg->kind == LS_OBJSTORE_FILE)
        return LS_OK;
    return resolve_remote(o, cfg, err);
}

ls_code ls_objstore_open(const char *root_uri, const ls_objstore_options *opts,
                         ls_objstore **out, ls_error *err)
{
    *out = NULL;
    ls_objstore_options defaults;
    if (!opts) {
        ls_objstore_options_init(&defaults);
        opts = &defaults;
    }
    ls_objstore_config cfg;
    memset(&cfg, 0, sizeof cfg);
    ls_objstore *store = calloc(1, sizeof *store);
    ls_code rc = store ? LS_OK : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = resolve_config(root_uri, opts, &cfg, err);
    if (rc)
        goto out;
    store->kind = cfg.kind;
    if (cfg.kind == LS_OBJSTORE_FILE)
        rc = ls_objstore_file_new(&cfg, &store->counters, &store->ops, &store->backend, err);
    else
        rc = ls_objstore_s3_new(&cfg, &store->counters, &store->ops, &store->backend, err);
out:
    ls_objstore_config_cleanup(&cfg);
    if (rc) {
        free(store);
        return rc;
    }
    *out = store;
    return LS_OK;
}

void ls_objstore_free(ls_objstore *store)
{
    if (!store)
        return;
    store->ops->free(store->backend);
    free(store);
}

ls_objstore_kind ls_objstore_get_kind(const ls_objstore *store)
{
    return store->kind;
}

/* Counts a failed operation and passes its code on. */
static ls_code counted(ls_objstore *store, ls_code rc)
{
    if (rc != LS_OK)
        ls_objstore_count(&store->counters.errors, 1);
    return rc;
}

ls_code ls_objstore_put(ls_objstore *store, const char *key, const void *data, size_t len,
                        ls_error *err)
{
    ls_code rc = ls_objstore_key_check(key, err);
    if (!rc)
        rc = store->ops->put(store->backend, key, data, len, false, err);
    return counted(store, rc);
}

ls_code ls_objstore_put_if_absent(ls_objstore *store, const char *key, const void *data,
                                  size_t len, ls_error *err)
{
    ls_code rc = ls_objstore_key_check(key, err);
    if (!rc)
        rc = store->ops->put(store->backend, key, data, len, true, err);
    return counted(store, rc);
}

ls_code ls_objstore_get(ls_objstore *store, const char *key, ls_buf *out, ls_error *err)
{
    ls_code rc = ls_objstore_key_check(key, err);
    if (!rc)
        rc = store->ops->get(store->backend, key, 0, UINT64_MAX, out, err);
    return counted(store, rc);
}

ls_code ls_objstore_get_range(ls_objstore *store, const char *key, uint64_t offset,
                              uint64_t len, ls_buf *out, ls_error *err)
{
    ls_code rc = ls_objstore_key_check(key, err);
    if (!rc && len == 0)
        return LS_OK;
    if (!rc && len == UINT64_MAX)
        len--; /* UINT64_MAX means "whole object" to backends */
    if (!rc)
        rc = store->ops->get(store->backend, key, offset, len, out, err);
    return counted(store, rc);
}

ls_code ls_objstore_head(ls_objstore *store, const char *key, ls_objstore_info *out,
                         ls_error *err)
{
    memset(out, 0, sizeof *out);
    ls_code rc = ls_objstore_key_check(key, err);
    if (!rc)
        rc = store->ops->head(store->backend, key, out, err);
    return counted(store, rc);
}

ls_code ls_objstore_delete(ls_objstore *store, const char *key, ls_error *err)
{
    ls_code rc = ls_objstore_key_check(key, err);
    if (!rc)
        rc = store->ops->del(store->backend, key, err);
    return counted(store, rc);
}

ls_code ls_objstore_list(ls_objstore *store, const char *prefix, const char *token,
                         ls_objstore_list_page *page, ls_error *err)
{
    ls_objstore_list_page_cleanup(page);
    if (!prefix)
        prefix = "";
    ls_code rc = prefix_check(prefix, err);
    if (!rc)
        rc = store->ops->list(store->backend, prefix, token, page, err);
    if (rc)
        ls_objstore_list_page_cleanup(page);
    return counted(store, rc);
}

void ls_objstore_list_page_cleanup(ls_objstore_list_page *page)
{
    if (!page)
        return;
    for (size_t i = 0; i < page->count; i++)
        free(page->entries[i].key);
    free(page->entries);
    free(page->next_token);
    memset(page, 0, sizeof *page);
}

ls_code ls_objstore_page_append(ls_objstore_list_page *page, const char *key, size_t key_len,
                                uint64_t size_bytes, int64_t modified_ms, ls_error *err)
{
    if (page->count >= 1000000)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "a list page holds at most 1000000 keys");
    if ((page->count & (page->count - 1)) == 0) { /* grow at powers of two */
        size_t cap = page->count ? page->count * 2 : 16;
        ls_objstore_entry *grown = realloc(page->entries, cap * sizeof *grown);
        if (!grown)
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory listing objects");
        page->entries = grown;
    }
    char *copy = dup_n(key, key_len);
    if (!copy)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory listing objects");
    page->entries[page->count++] = (ls_objstore_entry){
        .key = copy, .size_bytes = size_bytes, .modified_ms = modified_ms};
    return LS_OK;
}

static ls_code upload_sink_write(void *ctx, const void *data, size_t len, ls_error *err)
{
    ls_objstore_upload *u = ctx;
    if (u->failed)
        return ls_error_set(err, LS_ERR_INTERNAL, "write to an upload that already failed");
    ls_code rc = u->store->ops->upload_write(u->state, data, len, err);
    if (rc)
        u->failed = true;
    return rc;
}

ls_code ls_objstore_upload_begin(ls_objstore *store, const char *key, ls_objstore_upload **out,
                                 ls_error *err)
{
    *out = NULL;
    ls_code rc = ls_objstore_key_check(key, err);
    if (rc)
        return counted(store, rc);
    ls_objstore_upload *u = calloc(1, sizeof *u);
    if (!u)
        return counted(store, ls_error_set(err, LS_ERR_NOMEM, "out of memory"));
    rc = store->ops->upload_begin(store->backend, key, &u->state, err);
    if (rc) {
        free(u);
        return counted(store, rc);
    }
    u->store = store;
    u->sink = (ls_sink){.write = upload_sink_write, .ctx = u, .bytes_written = 0};
    *out = u;
    return LS_OK;
}

ls_sink *ls_objstore_upload_sink(ls_objstore_upload *upload)
{
    return &upload->sink;
}

ls_code ls_objstore_upload_commit(ls_objstore_upload *upload, ls_error *err)
{
    ls_objstore *store = upload->store;
    ls_code rc;
    if (upload->failed) {
        store->ops->upload_abort(upload->state);
        rc = ls_error_set(err, LS_ERR_INTERNAL, "commit of an upload whose write failed");
    } else {
        rc = store->ops->upload_commit(upload->state, err);
    }
    free(upload);
    return counted(store, rc);
}

void ls_objstore_upload_abort(ls_objstore_upload *upload)
{
    if (!upload)
        return;
    upload->store->ops->upload_abort(upload->state);
    free(upload);
}

void ls_objstore_counters_read(const ls_objstore *store, ls_objstore_counters *out)
{
    /* The atomics are only ever incremented; const access is a plain load. */
    ls_objstore_atomic_counters *c = (ls_objstore_atomic_counters *)&store->counters;
    out->put_requests = atomic_load_explicit(&c->put_requests, memory_order_relaxed);
    out->get_requests = atomic_load_explicit(&c->get_requests, memory_order_relaxed);
    out->head_requests = atomic_load_explicit(&c->head_requests, memory_order_relaxed);
    out->list_requests = atomic_load_explicit(&c->list_requests, memory_order_relaxed);
    out->delete_requests = atomic_load_explicit(&c->delete_requests, memory_order_relaxed);
    out->multipart_part_requests =
        atomic_load_explicit(&c->multipart_part_requests, memory_order_relaxed);
    out->multipart_control_requests =
        atomic_load_explicit(&c->multipart_control_requests, memory_order_relaxed);
    out->bytes_up = atomic_load_explicit(&c->bytes_up, memory_order_relaxed);
    out->bytes_down = atomic_load_explicit(&c->bytes_down, memory_order_relaxed);
    out->retries = atomic_load_explicit(&c->retries, memory_order_relaxed);
    out->errors = atomic_load_explicit(&c->errors, memory_order_relaxed);
}

uint32_t ls_objstore_backoff_cap_ms(uint32_t base_ms, uint32_t max_ms, uint32_t retry_number)
{
    if (retry_number == 0)
        return 0;
    uint64_t cap = base_ms;
    for (uint32_t i = 1; i < retry_number && cap < max_ms; i++)
        cap *= 2;
    return cap > max_ms ? max_ms : (uint32_t)cap;
}

uint32_t ls_objstore_backoff_delay_ms(uint32_t base_ms, uint32_t max_ms, uint32_t retry_number,
                                      uint32_t random_value)
{
    uint32_t cap = ls_objstore_backoff_cap_ms(base_ms, max_ms, retry_number);
    return (uint32_t)((uint64_t)random_value % ((uint64_t)cap + 1));
}

bool ls_objstore_http_status_retryable(long status)
{
    return (status >= 500 && status <= 599) || status == 429 || status == 408;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so no time zone setting is involved. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t ls_objstore_parse_iso8601_ms(const char *t, size_t len)
{
    /* YYYY-MM-DDTHH:MM:SS[.fff]Z */
    static const int pos[] = {0, 5, 8, 11, 14, 17};
    static const int width[] = {4, 2, 2, 2, 2, 2};
    int64_t v[6];
    if (len < 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':')
        return 0;
    for (int i = 0; i < 6; i++) {
        v[i] = 0;
        for (int k = 0; k < width[i]; k++) {
            char ch = t[pos[i] + k];
            if (ch < '0' || ch > '9')
                return 0;
            v[i] = v[i] * 10 + (ch - '0');
        }
    }
    int64_t ms = 0;
    size_t i = 19;
    if (t[i] == '.')
        for (int digits = 0, scale = 100; ++i < len && t[i] >= '0' && t[i] <= '9'; digits++)
            if (digits < 3) {
                ms += (t[i] - '0') * scale;
                scale /= 10;
            }
    if (i >= len || t[i] != 'Z' || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31)
        return 0;
    int64_t days = days_from_civil(v[0], v[1], v[2]);
    return ((days * 24 + v[3]) * 60 + v[4]) * 60000 + v[5] * 1000 + ms;
}
