/*
 * testbroker: a standalone Kafka broker for tests, benchmarks and demos, on
 * librdkafka's mock cluster (rdkafka_mock.h). It speaks the real Kafka
 * protocol on loopback; kcat and lakesync talk to it like to any broker.
 *
 *   lakesync_testbroker [--topic NAME:PARTITIONS]... [--brokers N]
 *                       [--exit-on-stdin-eof]
 *
 * Creates the topics, prints "bootstrap HOST:PORT" on stdout (one line,
 * flushed) and runs until SIGTERM or SIGINT. With --exit-on-stdin-eof it also
 * stops when its stdin reaches end of file, so a test harness that spawns it
 * with a pipe cannot leak it even when the harness dies without cleaning up.
 *
 * With --exit-on-stdin-eof, commands read one per line on stdin (faults for
 * tests), each answered on stdout
 * by "ok <command>" once done or "error <command>: <why>":
 *   down ID|all   the broker disconnects its clients and refuses new
 *                 connections (rd_kafka_mock_broker_set_down; no leader
 *                 change, so its partitions are unavailable meanwhile)
 *   up ID|all     it accepts connections again
 * Broker ids are 1..N (--brokers N).
 *
 * Caveats of the mock (../shared/TESTING.md): about 5 MiB kept per partition
 * (older messages silently dropped), no ListOffsets by timestamp, slow group
 * joins. Exit status: 0 on a signal or EOF, 1 when the cluster cannot start,
 * 2 on bad usage.
 */
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_TOPICS 64
#define MAX_PARTITIONS 10000

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct topic_spec {
    char name[250];
    int partitions;
} topic_spec;

typedef struct options {
    topic_spec topics[MAX_TOPICS];
    int topic_count;
    int brokers;
    bool exit_on_stdin_eof;
} options;

static int usage(void)
{
    fprintf(stderr, "usage: lakesync_testbroker [--topic NAME:PARTITIONS]... [--brokers N] "
                    "[--exit-on-stdin-eof]\n");
    return 2;
}

static bool parse_topic(const char *arg, topic_spec *out)
{
    const char *colon = strrchr(arg, ':');
    size_t name_len = colon ? (size_t)(colon - arg) : strlen(arg);
    if (name_len == 0 || name_len >= sizeof out->name)
        return false;
    memcpy(out->name, arg, name_len);
    out->name[name_len] = '\0';
    out->partitions = 1;
    if (colon) {
        char *end;
        long n = strtol(colon + 1, &end, 10);
        if (*end != '\0' || n < 1 || n > MAX_PARTITIONS)
            return false;
        out->partitions = (int)n;
    }
    return true;
}

static int parse_args(int argc, char **argv, options *opt)
{
    *opt = (options){.brokers = 1};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc) {
            if (opt->topic_count == MAX_TOPICS ||
                !parse_topic(argv[++i], &opt->topics[opt->topic_count++]))
                return usage();
        } else if (strcmp(argv[i], "--brokers") == 0 && i + 1 < argc) {
            opt->brokers = atoi(argv[++i]);
            if (opt->brokers < 1 || opt->brokers > 16)
                return usage();
        } else if (strcmp(argv[i], "--exit-on-stdin-eof") == 0) {
            opt->exit_on_stdin_eof = true;
        } else {
            return usage();
        }
    }
    return 0;
}

/* Runs one command line (see the header) and answers it on stdout. */
static void run_command(rd_kafka_mock_cluster_t *cluster, int brokers, char *line)
{
    char verb[16] = "", target[16] = "";
    int32_t id = -1;
    const char *why = NULL;
    if (sscanf(line, "%15s %15s", verb, target) != 2) {
        why = "expected 'down ID|all' or 'up ID|all'";
    } else if (strcmp(target, "all") != 0) {
        char *end = NULL;
        long n = strtol(target, &end, 10);
        if (*end || n < 1 || n > brokers)
            why = "no such broker";
        id = (int32_t)n;
    }
    rd_kafka_resp_err_t rerr = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (!why && strcmp(verb, "down") == 0)
        rerr = rd_kafka_mock_broker_set_down(cluster, id);
    else if (!why && strcmp(verb, "up") == 0)
        rerr = rd_kafka_mock_broker_set_up(cluster, id);
    else if (!why)
        why = "unknown command";
    if (!why && rerr)
        why = rd_kafka_err2str(rerr);
    if (why)
        printf("error %s: %s\n", line, why);
    else
        printf("ok %s\n", line);
    fflush(stdout);
}

/* Waits for a signal, or for stdin's end when asked, running the commands
 * that arrive on stdin meanwhile. */
static void wait_for_stop(rd_kafka_mock_cluster_t *cluster, int brokers, bool watch_stdin)
{
    char line[256];
    size_t used = 0;
    while (!stop_requested) {
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        int n = poll(&pfd, watch_stdin ? 1 : 0, 500);
        if (n < 0 && errno != EINTR)
            return;
        if (n <= 0)
            continue;
        ssize_t got = read(STDIN_FILENO, line + used, sizeof line - 1 - used);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return; /* EOF or error: the harness is gone */
        used += (size_t)got;
        line[used] = '\0';
        char *newline;
        while ((newline = strchr(line, '\n')) != NULL) {
            *newline = '\0';
            if (newline > line)
                run_command(cluster, brokers, line);
            used -= (size_t)(newline + 1 - line);
            memmove(line, newline + 1, used + 1);
        }
        if (used == sizeof line - 1)
            used = 0; /* an overlong line: drop it */
    }
}

int main(int argc, char **argv)
{
    options opt;
    if (parse_args(argc, argv, &opt))
        return 2;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    /* The handle only hosts the mock cluster; it never produces. */
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "testbroker: cannot create a librdkafka handle: %s\n", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(rk, opt.brokers);
    if (!cluster) {
        fprintf(stderr, "testbroker: cannot start the mock cluster\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    int status = 0;
    for (int i = 0; i < opt.topic_count; i++) {
        rd_kafka_resp_err_t rerr =
            rd_kafka_mock_topic_create(cluster, opt.topics[i].name, opt.topics[i].partitions, 1);
        if (rerr) {
            fprintf(stderr, "testbroker: cannot create topic %s: %s\n", opt.topics[i].name,
                    rd_kafka_err2str(rerr));
            status = 1;
            goto out;
        }
    }
    printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(cluster));
    fflush(stdout);
    wait_for_stop(cluster, opt.brokers, opt.exit_on_stdin_eof);
out:
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(rk);
    return status;
}
