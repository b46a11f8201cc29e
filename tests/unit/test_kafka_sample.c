#include "testing.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <time.h>

#include "kafka_sample.h"

/* An in-process mock cluster (the same broker as lakesync_testbroker). */
typedef struct cluster {
    rd_kafka_t *host;
    rd_kafka_mock_cluster_t *mock;
    rd_kafka_t *producer;
    char bootstrap[128];
} cluster;

static void cluster_start(cluster *c, const char *topic, int partitions)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "2", errstr, sizeof errstr);
    c->host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    CHECK(c->host);
    c->mock = rd_kafka_mock_cluster_new(c->host, 1);
    CHECK(c->mock);
    CHECK(rd_kafka_mock_topic_create(c->mock, topic, partitions, 1) == 0);
    snprintf(c->bootstrap, sizeof c->bootstrap, "%s", rd_kafka_mock_cluster_bootstraps(c->mock));
    conf = rd_kafka_conf_new();
    CHECK(rd_kafka_conf_set(conf, "bootstrap.servers", c->bootstrap, errstr, sizeof errstr) == 0);
    CHECK(rd_kafka_conf_set(conf, "message.max.bytes", "4000000", errstr, sizeof errstr) == 0);
    c->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    CHECK(c->producer);
}

static void produce(cluster *c, const char *topic, int32_t partition, const void *value, size_t len,
                    const char *key, int64_t timestamp_ms)
{
    rd_kafka_resp_err_t e = rd_kafka_producev(
        c->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
        RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_END);
    CHECK(e == 0);
}

static void cluster_stop(cluster *c)
{
    rd_kafka_destroy(c->producer);
    rd_kafka_mock_cluster_destroy(c->mock);
    rd_kafka_destroy(c->host);
}

TEST(latest_messages_across_partitions)
{
    cluster c;
    cluster_start(&c, "t", 3);
    char *big = malloc(100 * 1024 + 1);
    CHECK(big);
    big[0] = '"';
    memset(big + 1, 'x', 100 * 1024 - 2);
    big[100 * 1024 - 1] = '"';
    for (int i = 0; i < 30; i++) {
        char v[64];
        snprintf(v, sizeof v, "{\"i\":%d}", i);
        produce(&c, "t", i % 3, v, strlen(v), i % 2 ? "k" : NULL, 1700000000000 + i);
    }
    produce(&c, "t", 0, big, 100 * 1024, "big", 1700000000100);
    const uint8_t garbage[] = {0xff, 0x00, 0x13, 0x37, '{'};
    produce(&c, "t", 1, garbage, sizeof garbage, NULL, 1700000000101);
    CHECK(rd_kafka_flush(c.producer, 5000) == 0);

    ls_kafka_settings settings = {.bootstrap_servers = c.bootstrap};
    ls_kafka_sample sample;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_kafka_sample_fetch(&settings, "t", 5, 10000, &sample, &err), &err);
    CHECK_EQ_INT(sample.partition_count, 3);
    CHECK_EQ_INT(sample.count, 5);
    CHECK(!sample.incomplete);
    /* Newest first: garbage, big, then i = 29, 28, 27. */
    ls_kafka_sample_message *m = sample.messages;
    CHECK_EQ_INT(m[0].partition, 1);
    CHECK_EQ_INT(m[0].value_len, sizeof garbage);
    CHECK_EQ_MEM(m[0].value, garbage, sizeof garbage);
    CHECK(!m[0].json_valid);
    CHECK_EQ_INT(m[0].json_error.kind, LS_JSONSCAN_INVALID_JSON);
    CHECK_EQ_INT(m[0].json_error.offset, 0);
    CHECK(m[0].key == NULL);
    CHECK_EQ_INT(m[1].value_len, 100 * 1024); /* untruncated */
    CHECK(m[1].json_valid);
    CHECK_EQ_MEM(m[1].key, "big", 3);
    CHECK_EQ_INT(m[1].timestamp_ms, 1700000000100);
    CHECK_EQ_INT(m[2].value_len, 8);
    CHECK_EQ_MEM(m[2].value, "{\"i\":29}", 8);
    CHECK_EQ_INT(m[2].partition, 29 % 3);
    CHECK_EQ_INT(m[2].offset, 9);
    CHECK(m[2].json_valid);
    CHECK_EQ_MEM(m[2].key, "k", 1);
    CHECK_EQ_INT(m[4].timestamp_ms, 1700000000027);
    ls_kafka_sample_cleanup(&sample);
    free(big);
    cluster_stop(&c);
}

TEST(empty_topic_and_missing_topic)
{
    cluster c;
    cluster_start(&c, "empty", 2);
    ls_kafka_settings settings = {.bootstrap_servers = c.bootstrap};
    ls_kafka_sample sample;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_kafka_sample_fetch(&settings, "empty", 10, 10000, &sample, &err), &err);
    CHECK_EQ_INT(sample.count, 0);
    CHECK_EQ_INT(sample.partition_count, 2);
    ls_kafka_sample_cleanup(&sample);
    ls_error_clear(&err);
    ls_code rc = ls_kafka_sample_fetch(&settings, "nope", 10, 5000, &sample, &err);
    if (rc != LS_ERR_NOT_FOUND)
        testing_fail(__FILE__, __LINE__, "missing topic: rc %d: %s", rc, err.message);
    CHECK(strstr(err.message, "nope"));
    cluster_stop(&c);
}

TEST(unreachable_broker_fails_in_bounded_time)
{
    ls_kafka_settings settings = {.bootstrap_servers = "127.0.0.1:1"};
    ls_kafka_sample sample;
    ls_error err;
    ls_error_clear(&err);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(ls_kafka_sample_fetch(&settings, "t", 10, 2000, &sample, &err) == LS_ERR_UNAVAILABLE);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double elapsed = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(elapsed < 6.0);
    CHECK_EQ_STR(err.field, "bootstrap_servers");
}

TEST(bad_arguments)
{
    ls_kafka_settings settings = {.bootstrap_servers = "127.0.0.1:9092"};
    ls_kafka_sample sample;
    ls_error err;
    ls_error_clear(&err);
    CHECK(ls_kafka_sample_fetch(&settings, "t", 0, 0, &sample, &err) == LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "limit");
    ls_error_clear(&err);
    CHECK(ls_kafka_sample_fetch(&settings, "", 5, 0, &sample, &err) == LS_ERR_INVALID);
    ls_error_clear(&err);
    settings.security_protocol = "carrier_pigeon";
    CHECK(ls_kafka_sample_fetch(&settings, "t", 5, 0, &sample, &err) == LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "security.protocol");
}

TEST(three_megabyte_message_is_not_truncated)
{
    cluster c;
    cluster_start(&c, "big", 1);
    size_t n = 3u << 20;
    char *value = malloc(n);
    CHECK(value);
    memset(value, '7', n); /* one long JSON number */
    produce(&c, "big", 0, value, n, NULL, 1700000000000);
    produce(&c, "big", 0, "{}", 2, NULL, 1700000000001);
    CHECK(rd_kafka_flush(c.producer, 10000) == 0);
    ls_kafka_settings settings = {.bootstrap_servers = c.bootstrap};
    ls_kafka_sample sample;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_kafka_sample_fetch(&settings, "big", 10, 20000, &sample, &err), &err);
    CHECK_EQ_INT(sample.count, 2);
    CHECK_EQ_INT(sample.messages[1].value_len, n);
    CHECK_EQ_MEM(sample.messages[1].value, value, n);
    CHECK(sample.messages[1].json_valid);
    ls_kafka_sample_cleanup(&sample);
    free(value);
    cluster_stop(&c);
}
