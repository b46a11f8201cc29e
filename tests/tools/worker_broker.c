/*
 * worker_broker: a minimal standalone Kafka broker (librdkafka's mock
 * cluster) for the worker's end-to-end test, used when the shared
 * lakesync_testbroker tool is not built. Same interface, subset:
 *
 *   lakesync_worker_broker --topic NAME:PARTITIONS
 *
 * Prints "bootstrap HOST:PORT" (one line, flushed) and runs until its stdin
 * reaches end of file or it gets SIGTERM / SIGINT, so a harness that dies
 * cannot leak it.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

int main(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "--topic") != 0 || !strchr(argv[2], ':')) {
        fprintf(stderr, "usage: lakesync_worker_broker --topic NAME:PARTITIONS\n");
        return 2;
    }
    char name[256];
    const char *colon = strrchr(argv[2], ':');
    size_t len = (size_t)(colon - argv[2]);
    int partitions = atoi(colon + 1);
    if (len == 0 || len >= sizeof name || partitions < 1 || partitions > 10000) {
        fprintf(stderr, "worker_broker: bad topic '%s'\n", argv[2]);
        return 2;
    }
    memcpy(name, argv[2], len);
    name[len] = '\0';
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "worker_broker: %s\n", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t *mock = rd_kafka_mock_cluster_new(rk, 1);
    if (!mock || rd_kafka_mock_topic_create(mock, name, partitions, 1) != 0) {
        fprintf(stderr, "worker_broker: the mock cluster did not start\n");
        return 1;
    }
    printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mock));
    fflush(stdout);
    while (!stop_requested) {
        struct pollfd in = {.fd = 0, .events = POLLIN};
        if (poll(&in, 1, 200) > 0) {
            char buf[256];
            if (read(0, buf, sizeof buf) <= 0)
                break;
        }
    }
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(rk);
    return 0;
}
