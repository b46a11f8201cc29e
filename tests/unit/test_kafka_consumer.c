/* The consumer against librdkafka's in-process mock cluster: start positions
 * from the table, earliest, latest, and a time start on a broker that cannot
 * look offsets up by time. */
#include "testing.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <time.h>
#include <unistd.h>

#include "kafka_consumer.h"

#define PARTITIONS 3
#define MAX_SEEN 1024

typedef struct cluster {
    rd_kafka_t *owner; /* the handle the mock cluster runs in */
    rd_kafka_mock_cluster_t *mock;
    const char *bootstraps;
} cluster;

static void cluster_start(cluster *cl, const char *topic)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    cl->owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    CHECK(cl->owner != NULL);
    cl->mock = rd_kafka_mock_cluster_new(cl->owner, 1);
    CHECK(cl->mock != NULL);
    CHECK_EQ_INT(rd_kafka_mock_topic_create(cl->mock, topic, PARTITIONS, 1), 0);
    cl->bootstraps = rd_kafka_mock_cluster_bootstraps(cl->mock);
}

static void cluster_stop(cluster *cl)
{
    rd_kafka_mock_cluster_destroy(cl->mock);
    rd_kafka_destroy(cl->owner);
}

/* Produces count messages to every partition; message i has timestamp
 * base_ts + 10 * i and value "p<partition>-<i>". */
static void produce(const cluster *cl, const char *topic, int first, int count, int64_t base_ts)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", cl->bootstraps, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    CHECK(producer != NULL);
    for (int p = 0; p < PARTITIONS; p++) {
        for (int i = first; i < first + count; i++) {
            char value[32];
            int n = snprintf(value, sizeof value, "p%d-%d", p, i);
            rd_kafka_resp_err_t code = rd_kafka_producev(
                producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(p),
                RD_KAFKA_V_VALUE(value, (size_t)n), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_TIMESTAMP(base_ts + 10 * i), RD_KAFKA_V_END);
            CHECK_EQ_INT(code, 0);
        }
    }
    CHECK_EQ_INT(rd_kafka_flush(producer, 10000), 0);
    rd_kafka_destroy(producer);
}

typedef struct table_positions {
    int64_t next[PARTITIONS]; /* -1: never seen */
    int assignments;
    int64_t pinned[PARTITIONS]; /* what the pinned callback said; 0 when silent */
    int pin_calls;
} table_positions;

static void pinned_cb(void *ctx, int32_t partition, int64_t offset)
{
    table_positions *t = ctx;
    t->pinned[partition] = offset;
    t->pin_calls++;
}

static ls_code position_cb(void *ctx, int32_t partition, int64_t *next, ls_error *err)
{
    (void)err;
    table_positions *t = ctx;
    *next = t->next[partition];
    return LS_OK;
}

static void rebalance_cb(void *ctx, bool assigned, const int32_t *partitions, size_t count)
{
    (void)partitions;
    table_positions *t = ctx;
    if (assigned && count > 0)
        t->assignments++;
}

static ls_kafka_consumer *consumer_new(const cluster *cl, const char *topic,
                                       ls_kafka_start_mode mode, int64_t start_ts,
                                       table_positions *t)
{
    char group[64];
    snprintf(group, sizeof group, "g-%d-%ld", (int)getpid(), (long)time(NULL));
    ls_kafka_connection conn = {.bootstrap_servers = cl->bootstraps};
    ls_kafka_consumer_options opt = {
        .topic = topic, .group_id = group, .start_mode = mode, .start_timestamp_ms = start_ts,
        .session_timeout_ms = 6000, .metadata_timeout_ms = 5000,
        .position = position_cb, .rebalance = rebalance_cb, .pinned = pinned_cb, .ctx = t,
    };
    ls_kafka_consumer *c = NULL;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_kafka_consumer_new(&conn, &opt, &c, &err), &err);
    return c;
}

typedef struct seen {
    int32_t partition[MAX_SEEN];
    int64_t offset[MAX_SEEN];
    size_t count;
} seen;

/* Polls until want messages arrived or 20 s passed. */
static void consume(ls_kafka_consumer *c, seen *s, size_t want)
{
    time_t until = time(NULL) + 20;
    ls_error err;
    ls_error_clear(&err);
    while (s->count < want && time(NULL) < until) {
        ls_kafka_message m;
        bool got = false;
        CHECK_OK(ls_kafka_consumer_poll(c, 200, &m, &got, &err), &err);
        if (!got)
            continue;
        CHECK(s->count < MAX_SEEN);
        char expect[32];
        snprintf(expect, sizeof expect, "p%d-%lld", (int)m.partition, (long long)m.offset);
        CHECK(m.value_len == strlen(expect) && memcmp(m.value, expect, m.value_len) == 0);
        s->partition[s->count] = m.partition;
        s->offset[s->count] = m.offset;
        s->count++;
    }
}

/* Polls until the consumer holds its partitions; nothing may arrive before. */
static void wait_assigned(ls_kafka_consumer *c, table_positions *t, seen *s)
{
    time_t until = time(NULL) + 20;
    ls_error err;
    ls_error_clear(&err);
    while (t->assignments == 0 && time(NULL) < until) {
        ls_kafka_message m;
        bool got = false;
        CHECK_OK(ls_kafka_consumer_poll(c, 100, &m, &got, &err), &err);
        if (got) {
            CHECK(s->count < MAX_SEEN);
            s->partition[s->count] = m.partition;
            s->offset[s->count] = m.offset;
            s->count++;
        }
    }
    CHECK_EQ_INT(t->assignments, 1);
}

/* Every partition p must have been read exactly at offsets [from[p], to). */
static void check_ranges(const seen *s, const int64_t *from, int64_t to)
{
    size_t expected = 0;
    for (int p = 0; p < PARTITIONS; p++) {
        expected += (size_t)(to - from[p]);
        int64_t next = from[p];
        for (size_t i = 0; i < s->count; i++) {
            if (s->partition[i] != p)
                continue;
            CHECK_EQ_INT(s->offset[i], next);
            next++;
        }
        CHECK_EQ_INT(next, to);
    }
    CHECK_EQ_INT(s->count, expected);
}

TEST(earliest_respects_table_positions)
{
    cluster cl;
    cluster_start(&cl, "events");
    produce(&cl, "events", 0, 10, 1000);
    table_positions t = {.next = {4, -1, -1}};
    ls_kafka_consumer *c = consumer_new(&cl, "events", LS_KAFKA_START_EARLIEST, 0, &t);
    seen s = {0};
    consume(c, &s, 26);
    int64_t from[PARTITIONS] = {4, 0, 0};
    check_ranges(&s, from, 10);
    CHECK_EQ_INT(t.assignments, 1);
    CHECK_EQ_INT(t.pin_calls, 0); /* earliest is found again by the same lookup */
    ls_kafka_consumer_free(c);
    cluster_stop(&cl);
}

TEST(latest_reads_only_new_messages)
{
    cluster cl;
    cluster_start(&cl, "events");
    produce(&cl, "events", 0, 5, 1000);
    table_positions t = {.next = {-1, -1, 2}};
    ls_kafka_consumer *c = consumer_new(&cl, "events", LS_KAFKA_START_LATEST, 0, &t);
    /* Latest is pinned at assignment: produce only once assigned. */
    seen s = {0};
    wait_assigned(c, &t, &s);
    produce(&cl, "events", 5, 3, 2000);
    consume(c, &s, 3 + 3 + 6);
    int64_t from[PARTITIONS] = {5, 5, 2}; /* partition 2 resumes from the table */
    check_ranges(&s, from, 8);
    /* The owner was told where the unseen partitions start, to record it. */
    CHECK_EQ_INT(t.pin_calls, 2);
    CHECK_EQ_INT(t.pinned[0], 5);
    CHECK_EQ_INT(t.pinned[1], 5);
    ls_kafka_consumer_free(c);
    cluster_stop(&cl);
}

TEST(timestamp_start_without_broker_lookup)
{
    cluster cl;
    cluster_start(&cl, "events");
    produce(&cl, "events", 0, 10, 1000); /* offset i has timestamp 1000 + 10 i */
    table_positions t = {.next = {-1, 7, -1}};
    /* 1035 falls between offsets 3 (1030) and 4 (1040): the first message at or
     * after it is offset 4. */
    ls_kafka_consumer *c = consumer_new(&cl, "events", LS_KAFKA_START_TIMESTAMP, 1035, &t);
    seen s = {0};
    consume(c, &s, 6 + 3 + 6);
    int64_t from[PARTITIONS] = {4, 7, 4};
    check_ranges(&s, from, 10);
    ls_kafka_consumer_free(c);
    cluster_stop(&cl);
}

TEST(timestamp_after_every_message_waits_for_new_ones)
{
    cluster cl;
    cluster_start(&cl, "events");
    produce(&cl, "events", 0, 4, 1000);
    table_positions t = {.next = {-1, -1, -1}};
    ls_kafka_consumer *c = consumer_new(&cl, "events", LS_KAFKA_START_TIMESTAMP, 5000, &t);
    seen s = {0};
    wait_assigned(c, &t, &s);
    CHECK_EQ_INT(s.count, 0);
    produce(&cl, "events", 4, 2, 6000);
    consume(c, &s, 6);
    int64_t from[PARTITIONS] = {4, 4, 4};
    check_ranges(&s, from, 6);
    ls_kafka_consumer_free(c);
    cluster_stop(&cl);
}

TEST(reposition_rereads_from_the_table)
{
    cluster cl;
    cluster_start(&cl, "events");
    produce(&cl, "events", 0, 6, 1000);
    table_positions t = {.next = {-1, -1, -1}};
    ls_kafka_consumer *c = consumer_new(&cl, "events", LS_KAFKA_START_EARLIEST, 0, &t);
    seen s = {0};
    consume(c, &s, 18);
    CHECK_EQ_INT(s.count, 18);
    /* The owner committed up to offset 3 everywhere, then abandoned the rest. */
    for (int p = 0; p < PARTITIONS; p++)
        t.next[p] = 3;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_kafka_consumer_reposition(c, &err), &err);
    seen again = {0};
    consume(c, &again, 9);
    int64_t from[PARTITIONS] = {3, 3, 3};
    check_ranges(&again, from, 6);
    ls_kafka_consumer_free(c);
    cluster_stop(&cl);
}

TEST(missing_settings_are_refused)
{
    ls_kafka_connection conn = {.bootstrap_servers = "127.0.0.1:1"};
    ls_kafka_consumer_options opt = {.topic = "", .group_id = "g", .position = position_cb};
    ls_kafka_consumer *c = NULL;
    ls_error err;
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_kafka_consumer_new(&conn, &opt, &c, &err), LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "topic");
    CHECK(c == NULL);
    ls_error_clear(&err);
    opt.topic = "t";
    conn.security_protocol = "carrier_pigeon";
    CHECK_EQ_INT(ls_kafka_consumer_new(&conn, &opt, &c, &err), LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "security.protocol");
}
