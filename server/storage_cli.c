/*
 * `lakesync storage`: operate on object storage from the shell, for operators
 * and tests. Every operation goes through ls_objstore, so it exercises the
 * same code as the worker: streaming multipart put, range gets, paging.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "objstore.h"
#include "util/log.h"

#define CHUNK_BYTES (1024 * 1024)
#define GET_RANGE_BYTES (8u * 1024 * 1024)
#define PUT_IF_ABSENT_MAX (512u * 1024 * 1024)
#define DEADLINE_CLEANUP_MS 2000 /* past --deadline-ms: aborting a multipart upload */

static void storage_usage(FILE *out)
{
    fprintf(out,
            "usage: lakesync storage <command> [options] URI [FILE]\n"
            "\n"
            "commands:\n"
            "  put URI [FILE]            upload FILE (default stdin), multipart when large\n"
            "  put-if-absent URI [FILE]  upload only if nothing exists under URI (exit 1, 'conflict')\n"
            "  get URI [FILE]            download into FILE (default stdout)\n"
            "  cat URI                   download to stdout\n"
            "  head URI                  print {\"size_bytes\":N,\"etag\":\"...\"}\n"
            "  ls URI                    list keys under a prefix: SIZE<TAB>KEY per line\n"
            "  rm URI                    delete (deleting a missing object succeeds)\n"
            "\n"
            "URI: s3://bucket/key, oss://bucket/key, file:///abs/path\n"
            "\n"
            "options (environment in brackets):\n"
            "  --endpoint URL            S3-compatible endpoint [AWS_ENDPOINT_URL]\n"
            "  --region NAME             [AWS_REGION]\n"
            "  --access-key-id ID        [AWS_ACCESS_KEY_ID]\n"
            "  --secret-access-key KEY   [AWS_SECRET_ACCESS_KEY] (prefer the environment)\n"
            "  --path-style | --virtual-hosted   addressing [LAKESYNC_STORAGE_PATH_STYLE=1|0]\n"
            "  --max-attempts N          attempts per request (default 6)\n"
            "  --retry-base-ms N         first backoff cap (default 100)\n"
            "  --retry-max-ms N          largest backoff (default 5000)\n"
            "  --max-retry-ms N          total time budget of one request's retries (default 120000)\n"
            "  --timeout-ms N            one attempt's time limit (default 300000)\n"
            "  --connect-timeout-ms N    (default 10000)\n"
            "  --part-size BYTES         multipart part size, at least 5 MiB (default 8 MiB)\n"
            "  --max-keys N              list page size (default 1000)\n"
            "  --deadline-ms N           every request ends N ms after the start, retries\n"
            "                            included (a multipart upload cut off is aborted\n"
            "                            within 2 s more); default none\n"
            "  --stats                   print request and byte counters to stderr\n");
}

static int parse_u64_arg(const char *flag, const char *text, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text ? text : "", &end, 10);
    if (!text || !*text || *end || errno || text[0] == '-') {
        fprintf(stderr, "lakesync storage: %s needs a non-negative integer\n", flag);
        return 2;
    }
    *out = v;
    return 0;
}

static int parse_u32_arg(const char *flag, const char *text, uint32_t *out)
{
    uint64_t v;
    int rc = parse_u64_arg(flag, text, &v);
    if (rc)
        return rc;
    if (v > UINT32_MAX) {
        fprintf(stderr, "lakesync storage: %s is too large\n", flag);
        return 2;
    }
    *out = (uint32_t)v;
    return 0;
}

static int report(const char *what, const ls_error *err)
{
    fprintf(stderr, "lakesync storage: %s failed: %s: %s\n", what, ls_code_name(err->code),
            err->message);
    return 1;
}

static int write_all_fd(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int open_input(const char *file)
{
    if (!file || strcmp(file, "-") == 0)
        return STDIN_FILENO;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fprintf(stderr, "lakesync storage: cannot open '%s': %s\n", file, strerror(errno));
    return fd;
}

static int do_put(ls_objstore *store, const char *key, const char *file)
{
    int fd = open_input(file);
    if (fd < 0)
        return 1;
    ls_error err;
    ls_error_clear(&err);
    ls_objstore_upload *up = NULL;
    uint8_t *chunk = malloc(CHUNK_BYTES);
    int status = 1;
    if (!chunk || ls_objstore_upload_begin(store, key, &up, &err) != LS_OK) {
        status = chunk ? report("put", &err) : 1;
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, chunk, CHUNK_BYTES);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "lakesync storage: read failed: %s\n", strerror(errno));
            ls_objstore_upload_abort(up);
            goto out;
        }
        if (n == 0)
            break;
        if (ls_sink_write(ls_objstore_upload_sink(up), chunk, (size_t)n, &err) != LS_OK) {
            ls_objstore_upload_abort(up);
            status = report("put", &err);
            goto out;
        }
    }
    status = ls_objstore_upload_commit(up, &err) == LS_OK ? 0 : report("put", &err);
out:
    free(chunk);
    if (fd != STDIN_FILENO && fd >= 0)
        close(fd);
    return status;
}

static int do_put_if_absent(ls_objstore *store, const char *key, const char *file)
{
    int fd = open_input(file);
    if (fd < 0)
        return 1;
    ls_buf data;
    ls_buf_init(&data, PUT_IF_ABSENT_MAX);
    ls_error err;
    ls_error_clear(&err);
    int status = 1;
    for (;;) {
        if (ls_buf_reserve(&data, CHUNK_BYTES, &err) != LS_OK) {
            status = report("put-if-absent", &err);
            goto out;
        }
        ssize_t n = read(fd, data.data + data.len, CHUNK_BYTES);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "lakesync storage: read failed: %s\n", strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        data.len += (size_t)n;
    }
    status = ls_objstore_put_if_absent(store, key, data.data ? (const void *)data.data : "",
                                       data.len, &err) == LS_OK
                 ? 0
                 : report("put-if-absent", &err);
out:
    ls_buf_cleanup(&data);
    if (fd != STDIN_FILENO)
        close(fd);
    return status;
}

/* Downloads in ranges so memory stays bounded whatever the object's size. */
static int do_get(ls_objstore *store, const char *key, const char *file)
{
    ls_error err;
    ls_error_clear(&err);
    ls_objstore_info info;
    if (ls_objstore_head(store, key, &info, &err) != LS_OK)
        return report("get", &err);
    int fd = STDOUT_FILENO;
    if (file && strcmp(file, "-") != 0) {
        fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            fprintf(stderr, "lakesync storage: cannot create '%s': %s\n", file, strerror(errno));
            return 1;
        }
    }
    ls_buf chunk;
    ls_buf_init(&chunk, GET_RANGE_BYTES);
    int status = 0;
    for (uint64_t offset = 0; offset < info.size_bytes && status == 0;) {
        ls_buf_reset(&chunk);
        if (ls_objstore_get_range(store, key, offset, GET_RANGE_BYTES, &chunk, &err) != LS_OK) {
            status = report("get", &err);
        } else if (chunk.len == 0) {
            fprintf(stderr, "lakesync storage: get failed: object shrank while read\n");
            status = 1;
        } else if (write_all_fd(fd, chunk.data, chunk.len) != 0) {
            fprintf(stderr, "lakesync storage: write failed: %s\n", strerror(errno));
            status = 1;
        }
        offset += chunk.len;
    }
    ls_buf_cleanup(&chunk);
    if (fd != STDOUT_FILENO && close(fd) != 0 && status == 0) {
        fprintf(stderr, "lakesync storage: close failed: %s\n", strerror(errno));
        status = 1;
    }
    return status;
}

static int do_head(ls_objstore *store, const char *key)
{
    ls_error err;
    ls_error_clear(&err);
    ls_objstore_info info;
    if (ls_objstore_head(store, key, &info, &err) != LS_OK)
        return report("head", &err);
    printf("{\"size_bytes\":%llu,\"etag\":\"", (unsigned long long)info.size_bytes);
    for (const char *p = info.etag; *p; p++)
        if (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
            putchar(*p);
    printf("\"}\n");
    return 0;
}

static int do_ls(ls_objstore *store, const char *prefix)
{
    ls_error err;
    ls_error_clear(&err);
    ls_objstore_list_page page = {0};
    char *token = NULL;
    int status = 0;
    do {
        if (ls_objstore_list(store, prefix, token, &page, &err) != LS_OK) {
            status = report("ls", &err);
            break;
        }
        for (size_t i = 0; i < page.count; i++)
            printf("%llu\t%s\n", (unsigned long long)page.entries[i].size_bytes,
                   page.entries[i].key);
        free(token);
        token = page.next_token;
        page.next_token = NULL;
    } while (token);
    free(token);
    ls_objstore_list_page_cleanup(&page);
    return status;
}

static int do_rm(ls_objstore *store, const char *key)
{
    ls_error err;
    ls_error_clear(&err);
    return ls_objstore_delete(store, key, &err) == LS_OK ? 0 : report("rm", &err);
}

/* ls takes a bucket or a prefix: "s3://b" and "s3://b/dir/" are both fine. */
static int split_for_ls(const char *uri, char **root, char **prefix, ls_error *err)
{
    const char *scheme_end = strstr(uri, "://");
    bool remote = strncmp(uri, "s3://", 5) == 0 || strncmp(uri, "oss://", 6) == 0;
    if (remote && !strchr(scheme_end + 3, '/')) {
        *root = strdup(uri);
        *prefix = strdup("");
        return *root && *prefix ? 0 : 1;
    }
    if (ls_objstore_uri_split(uri, root, prefix, err) != LS_OK)
        return 1;
    return 0;
}

static void print_stats(const ls_objstore *store)
{
    ls_objstore_counters c;
    ls_objstore_counters_read(store, &c);
    fprintf(stderr,
            "stats: {\"put\":%llu,\"get\":%llu,\"head\":%llu,\"list\":%llu,\"delete\":%llu,"
            "\"parts\":%llu,\"multipart_control\":%llu,\"bytes_up\":%llu,\"bytes_down\":%llu,"
            "\"retries\":%llu,\"errors\":%llu}\n",
            (unsigned long long)c.put_requests, (unsigned long long)c.get_requests,
            (unsigned long long)c.head_requests, (unsigned long long)c.list_requests,
            (unsigned long long)c.delete_requests, (unsigned long long)c.multipart_part_requests,
            (unsigned long long)c.multipart_control_requests, (unsigned long long)c.bytes_up,
            (unsigned long long)c.bytes_down, (unsigned long long)c.retries,
            (unsigned long long)c.errors);
}

/* What the command line sets beside the store's options. */
typedef struct cli_flags {
    bool stats;
    uint64_t deadline_ms; /* 0: none */
} cli_flags;

/* Parses one option at argv[*i]; returns 0, or 2 on bad usage. */
static int parse_option(int argc, char **argv, int *i, ls_objstore_options *o, cli_flags *flags)
{
    const char *flag = argv[*i];
    const char *value = *i + 1 < argc ? argv[*i + 1] : NULL;
    uint64_t v64 = 0;
    int rc = 0;
    bool takes_value = true;
    if (strcmp(flag, "--endpoint") == 0)
        o->endpoint = value;
    else if (strcmp(flag, "--region") == 0)
        o->region = value;
    else if (strcmp(flag, "--access-key-id") == 0)
        o->access_key_id = value;
    else if (strcmp(flag, "--secret-access-key") == 0)
        o->secret_access_key = value;
    else if (strcmp(flag, "--max-attempts") == 0)
        rc = parse_u32_arg(flag, value, &o->max_attempts);
    else if (strcmp(flag, "--retry-base-ms") == 0)
        rc = parse_u32_arg(flag, value, &o->retry_base_delay_ms);
    else if (strcmp(flag, "--retry-max-ms") == 0)
        rc = parse_u32_arg(flag, value, &o->retry_max_delay_ms);
    else if (strcmp(flag, "--max-retry-ms") == 0)
        rc = parse_u32_arg(flag, value, &o->max_retry_total_ms);
    else if (strcmp(flag, "--timeout-ms") == 0)
        rc = parse_u32_arg(flag, value, &o->request_timeout_ms);
    else if (strcmp(flag, "--connect-timeout-ms") == 0)
        rc = parse_u32_arg(flag, value, &o->connect_timeout_ms);
    else if (strcmp(flag, "--max-keys") == 0)
        rc = parse_u32_arg(flag, value, &o->list_page_size);
    else if (strcmp(flag, "--part-size") == 0) {
        rc = parse_u64_arg(flag, value, &v64);
        o->part_size_bytes = v64;
    } else if (strcmp(flag, "--deadline-ms") == 0) {
        rc = parse_u64_arg(flag, value, &flags->deadline_ms);
        if (!rc && flags->deadline_ms == 0) {
            fprintf(stderr, "lakesync storage: --deadline-ms must be at least 1\n");
            rc = 2;
        }
    } else {
        takes_value = false;
        if (strcmp(flag, "--path-style") == 0)
            o->path_style = 1;
        else if (strcmp(flag, "--virtual-hosted") == 0)
            o->path_style = 0;
        else if (strcmp(flag, "--stats") == 0)
            flags->stats = true;
        else {
            fprintf(stderr, "lakesync storage: unknown option '%s'\n", flag);
            return 2;
        }
    }
    if (takes_value && !value) {
        fprintf(stderr, "lakesync storage: %s needs a value\n", flag);
        return 2;
    }
    if (takes_value)
        (*i)++;
    return rc;
}

static int run_command(const char *cmd, const char *uri, const char *file, ls_objstore_options *o,
                       const cli_flags *flags)
{
    ls_error err;
    ls_error_clear(&err);
    /* The same deadline a stopping worker's requests end by (stop_clock.h),
     * started now. */
    ls_stop_clock deadline;
    if (flags->deadline_ms) {
        ls_stop_clock_init(&deadline, NULL, flags->deadline_ms, DEADLINE_CLEANUP_MS);
        ls_stop_clock_begin(&deadline);
        o->stop = &deadline;
    }
    char *root = NULL, *key = NULL;
    int status;
    if (strcmp(cmd, "ls") == 0)
        status = split_for_ls(uri, &root, &key, &err);
    else
        status = ls_objstore_uri_split(uri, &root, &key, &err) == LS_OK ? 0 : 1;
    if (status) {
        report(cmd, &err);
        goto out;
    }
    ls_objstore *store = NULL;
    if (ls_objstore_open(root, o, &store, &err) != LS_OK) {
        status = report(cmd, &err);
        goto out;
    }
    if (strcmp(cmd, "put") == 0)
        status = do_put(store, key, file);
    else if (strcmp(cmd, "put-if-absent") == 0)
        status = do_put_if_absent(store, key, file);
    else if (strcmp(cmd, "get") == 0)
        status = do_get(store, key, file);
    else if (strcmp(cmd, "cat") == 0)
        status = do_get(store, key, NULL);
    else if (strcmp(cmd, "head") == 0)
        status = do_head(store, key);
    else if (strcmp(cmd, "ls") == 0)
        status = do_ls(store, key);
    else
        status = do_rm(store, key);
    fflush(stdout);
    if (flags->stats)
        print_stats(store);
    ls_objstore_free(store);
out:
    free(root);
    free(key);
    return status;
}

int cmd_storage(int argc, char **argv)
{
    static const char *const commands[] = {"put", "put-if-absent", "get", "cat",
                                           "head", "ls", "rm"};
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        storage_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    bool known = false;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        known = known || strcmp(cmd, commands[i]) == 0;
    if (!known) {
        fprintf(stderr, "lakesync storage: unknown command '%s'\n", cmd);
        storage_usage(stderr);
        return 2;
    }
    ls_objstore_options o;
    ls_objstore_options_init(&o);
    const char *path_style = getenv("LAKESYNC_STORAGE_PATH_STYLE");
    if (path_style && *path_style)
        o.path_style = strcmp(path_style, "0") != 0;
    cli_flags flags = {0};
    const char *positional[2] = {NULL, NULL};
    size_t npos = 0;
    for (int i = 2; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] == '-') {
            int rc = parse_option(argc, argv, &i, &o, &flags);
            if (rc)
                return rc;
        } else if (npos < 2) {
            positional[npos++] = argv[i];
        } else {
            fprintf(stderr, "lakesync storage: too many arguments\n");
            return 2;
        }
    }
    bool takes_file = strcmp(cmd, "put") == 0 || strcmp(cmd, "put-if-absent") == 0 ||
                      strcmp(cmd, "get") == 0;
    if (npos < 1 || (npos == 2 && !takes_file)) {
        storage_usage(stderr);
        return 2;
    }
    return run_command(cmd, positional[0], positional[1], &o, &flags);
}
