/*
 * `lakesync serve`: the control plane. Opens the state, makes sure the
 * default resource group and an admin token exist, serves the API and the
 * console until SIGTERM or SIGINT, then stops accepting, lets running
 * requests finish and closes the state.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_dest.h"
#include "api_handlers.h"
#include "api_maintenance.h"
#include "api_prefix.h"
#include "api_usage_cache.h"
#include "jobrun.h"
#include "cli.h"
#include "util/log.h"

#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEFAULT_DATA_DIR "./var"
#define DEFAULT_GROUP_ACUS 48
#define HTTP_THREADS 4
/* Tables whose usage (GET /jobs/{id}/metrics) is remembered: one entry per
 * table, so this covers a server's jobs; more only costs a re-read. */
#define USAGE_CACHE_TABLES 256

typedef struct serve_options {
    const char *listen;
    const char *data_dir;
    const char *log_level;
    const char *warehouse;
    const char *web_dir;
    long default_group_acus;
    bool print_routes;
} serve_options;

static void serve_usage(FILE *out)
{
    fprintf(
        out,
        "usage: lakesync serve [options]\n"
        "  --listen HOST:PORT        address to serve on (env LAKESYNC_LISTEN, default %s;\n"
        "                            port 0 picks a free port)\n"
        "  --data-dir DIR            state directory (env LAKESYNC_DATA_DIR, default %s)\n"
        "  --log-level LEVEL         debug, info, warn, error (env LAKESYNC_LOG_LEVEL)\n"
        "  --warehouse URI           managed warehouse (env LAKESYNC_WAREHOUSE,\n"
        "                            default file://<data dir>/warehouse/)\n"
        "  --default-group-acus N    size of the 'default' resource group created at\n"
        "                            first start (env LAKESYNC_DEFAULT_GROUP_ACUS, default %d)\n"
        "  --web-dir DIR             console files (env LAKESYNC_WEB_DIR)\n"
        "  --print-routes            print the API routes and exit\n"
        "LAKESYNC_ADMIN_TOKEN, when set, is accepted as an admin token.\n"
        "LAKESYNC_STOP_GRACE_MS: how long a stopping job's workers get for their final\n"
        "commit before they are killed (1000 to 3600000, default 30000).\n",
        DEFAULT_LISTEN, DEFAULT_DATA_DIR, DEFAULT_GROUP_ACUS);
}

static const char *env_or(const char *name, const char *fallback)
{
    const char *value = getenv(name);
    return value && value[0] ? value : fallback;
}

static int parse_options(int argc, char **argv, serve_options *opt)
{
    static const struct option longopts[] = {{"listen", required_argument, NULL, 'l'},
                                             {"data-dir", required_argument, NULL, 'd'},
                                             {"log-level", required_argument, NULL, 'v'},
                                             {"warehouse", required_argument, NULL, 'w'},
                                             {"web-dir", required_argument, NULL, 'W'},
                                             {"default-group-acus", required_argument, NULL, 'a'},
                                             {"print-routes", no_argument, NULL, 'p'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *acus = env_or("LAKESYNC_DEFAULT_GROUP_ACUS", NULL);
    opt->listen = env_or("LAKESYNC_LISTEN", DEFAULT_LISTEN);
    opt->data_dir = env_or("LAKESYNC_DATA_DIR", DEFAULT_DATA_DIR);
    opt->log_level = env_or("LAKESYNC_LOG_LEVEL", "info");
    opt->warehouse = env_or("LAKESYNC_WAREHOUSE", NULL);
    opt->web_dir = env_or("LAKESYNC_WEB_DIR", LAKESYNC_WEB_DIR_DEFAULT);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            opt->listen = optarg;
            break;
        case 'd':
            opt->data_dir = optarg;
            break;
        case 'v':
            opt->log_level = optarg;
            break;
        case 'w':
            opt->warehouse = optarg;
            break;
        case 'W':
            opt->web_dir = optarg;
            break;
        case 'a':
            acus = optarg;
            break;
        case 'p':
            opt->print_routes = true;
            break;
        case 'h':
            serve_usage(stdout);
            return 0;
        default:
            serve_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "lakesync serve: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    opt->default_group_acus = DEFAULT_GROUP_ACUS;
    if (acus) {
        char *end = NULL;
        opt->default_group_acus = strtol(acus, &end, 10);
        if (*end || opt->default_group_acus < 2 || opt->default_group_acus > 100000) {
            fprintf(stderr, "lakesync serve: --default-group-acus must be 2..100000\n");
            return 2;
        }
    }
    return -1;
}

/* mkdir -p with mode 0700 for the parts it creates. */
static ls_code make_dirs(const char *path, ls_error *err)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return ls_error_set(err, LS_ERR_INVALID, "data directory path too long");
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return ls_error_set(err, LS_ERR_IO, "cannot create %s: %s", buf, strerror(errno));
        *p = saved;
        if (saved == '\0')
            break;
    }
    return LS_OK;
}

/* Fills the warehouse and web root of api from the options. */
static ls_code configure_paths(ls_api *api, const serve_options *opt, const char *data_dir,
                               ls_error *err)
{
    char warehouse[LS_API_URI_MAX];
    if (opt->warehouse)
        snprintf(warehouse, sizeof warehouse, "%s", opt->warehouse);
    else if (snprintf(warehouse, sizeof warehouse, "file://%s/warehouse/", data_dir) >=
             (int)sizeof warehouse)
        return ls_error_set(err, LS_ERR_INVALID, "data directory path too long");
    api_dest_uri uri;
    ls_code rc = api_dest_parse(warehouse, "warehouse", &uri, err);
    if (rc)
        return rc;
    snprintf(api->warehouse, sizeof api->warehouse, "%s", uri.normalized);
    if (!realpath(opt->web_dir, api->web_dir)) {
        ls_log_warn("serve", "console directory %s not found; serving the API only", opt->web_dir);
        api->web_dir[0] = '\0';
    }
    return LS_OK;
}

/* Opens the state and creates what the first start needs. */
static ls_code open_state(ls_api *api, const serve_options *opt, ls_error *err)
{
    char data_dir[PATH_MAX], path[PATH_MAX + 32], token[LS_SECRET_TOKEN_MAX];
    ls_code rc = make_dirs(opt->data_dir, err);
    if (rc)
        return rc;
    if (!realpath(opt->data_dir, data_dir))
        return ls_error_set(err, LS_ERR_IO, "cannot resolve %s: %s", opt->data_dir,
                            strerror(errno));
    snprintf(path, sizeof path, "%s/lakesync.db", data_dir);
    rc = ls_store_open(path, &api->store, err);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "%s/secret.key", data_dir);
    rc = ls_secret_key_load_or_create(path, &api->key, err);
    if (!rc)
        rc = configure_paths(api, opt, data_dir, err);
    if (!rc)
        rc = api_groups_bootstrap(api, opt->default_group_acus, err);
    snprintf(path, sizeof path, "%s/admin.token", data_dir);
    if (!rc)
        rc = api_tokens_bootstrap(api, env_or("LAKESYNC_ADMIN_TOKEN", NULL), path, token,
                                  sizeof token, err);
    if (!rc && token[0]) {
        /* Printed once, on stdout only (never to the log), as DESIGN.md says. */
        printf("admin token: %s (saved in %s)\n", token, path);
        fflush(stdout);
    }
    return rc;
}

/* Tells the job runtime where workers reach this server and resumes the
 * jobs that were running. A wildcard listen address is reached on loopback. */
static void start_jobs(ls_api *api, const char *address)
{
    char url[320];
    if (strncmp(address, "0.0.0.0:", 8) == 0)
        snprintf(url, sizeof url, "http://127.0.0.1:%s", address + 8);
    else if (strncmp(address, "[::]:", 5) == 0)
        snprintf(url, sizeof url, "http://[::1]:%s", address + 5);
    else
        snprintf(url, sizeof url, "http://%s", address);
    ls_jobrun_set_server_url(api->jobrun, url);
    ls_error err;
    ls_error_clear(&err);
    if (ls_jobrun_resume(api->jobrun, &err))
        ls_log_error("serve", "resuming jobs: %s", err.message);
}

/* The job runtime runs workers from this very binary. */
static ls_code open_jobs(ls_api *api, const serve_options *opt, ls_error *err)
{
    char self[PATH_MAX];
    if (!realpath("/proc/self/exe", self))
        return ls_error_set(err, LS_ERR_IO, "cannot find this program's path: %s",
                            strerror(errno));
    const char *grace = env_or("LAKESYNC_STOP_GRACE_MS", NULL);
    char *end = NULL;
    long long grace_ms = grace ? strtoll(grace, &end, 10) : 0;
    if (grace && (*end || grace_ms < 1000 || grace_ms > 3600000))
        return ls_error_set(err, LS_ERR_INVALID,
                            "LAKESYNC_STOP_GRACE_MS must be milliseconds from 1000 to 3600000");
    ls_jobrun_options options = {.store = api->store, .key = &api->key,
                                 .worker_program = self, .log_level = opt->log_level,
                                 .stop_grace_ms = grace_ms};
    return ls_jobrun_new(&options, &api->jobrun, err);
}

static int run_server(ls_api *api, const serve_options *opt)
{
    ls_error err = {0};
    ls_http_server *server = NULL;
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    /* Blocked before the HTTP threads exist, so they inherit the mask and
     * only sigwait below receives the signals. */
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    ls_http_config config = {.listen = opt->listen,
                             .max_body_bytes = LS_API_MAX_BODY_BYTES,
                             .max_response_bytes = LS_API_MAX_RESPONSE_BYTES,
                             .threads = HTTP_THREADS,
                             .handler = ls_api_handle,
                             .handler_ctx = api};
    if (ls_http_server_start(&config, &server, &err)) {
        ls_log_error("serve", "%s", err.message);
        return 1;
    }
    printf("listening on http://%s\n", ls_http_server_address(server));
    fflush(stdout);
    start_jobs(api, ls_http_server_address(server));
    if (api_maintenance_start(api, ls_jobrun_committer(api->jobrun), 0, &api->maintenance, &err))
        ls_log_error("serve", "table maintenance is off: %s", err.message);
    ls_log_info("serve", "listening on http://%s, warehouse %s", ls_http_server_address(server),
                api->warehouse);
    int sig = 0;
    sigwait(&signals, &sig);
    ls_log_info("serve", "received %s; shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    /* Maintenance stops first (it commits through the job runtime's
     * committer), then workers, while the API still answers their final
     * commits. */
    api_maintenance_stop(api->maintenance);
    ls_jobrun_free(api->jobrun);
    api->jobrun = NULL;
    ls_http_server_free(server);
    api_maintenance_free(api->maintenance);
    api->maintenance = NULL;
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    serve_options opt = {0};
    int status = parse_options(argc, argv, &opt);
    if (status >= 0)
        return status;
    if (opt.print_routes) {
        ls_api_print_routes(stdout);
        return 0;
    }
    ls_error err = {0};
    ls_log_level level;
    if (ls_log_level_parse(opt.log_level, &level, &err)) {
        fprintf(stderr, "lakesync serve: %s\n", err.message);
        return 2;
    }
    ls_log_set_level(level);
    char host[256];
    uint16_t port = 0;
    if (ls_http_parse_listen(opt.listen, host, sizeof host, &port, &err)) {
        fprintf(stderr, "lakesync serve: %s\n", err.message);
        return 2;
    }
    ls_api api = {.prefix_empty = api_prefix_empty};
    status = 1;
    if (open_state(&api, &opt, &err) || open_jobs(&api, &opt, &err) ||
        api_usage_cache_new(USAGE_CACHE_TABLES, &api.usage_cache, &err)) {
        ls_log_error("serve", "%s", err.message);
        goto out;
    }
    status = run_server(&api, &opt);
    if (status == 0)
        ls_log_info("serve", "stopped");
out:
    ls_jobrun_free(api.jobrun);
    api_usage_cache_free(api.usage_cache);
    ls_store_free(api.store);
    ls_secret_key_wipe(&api.key);
    return status;
}
