/*
 * Sampling the latest messages of a topic (see kafka_sample.h). librdkafka's
 * errors are translated to ls_code here and nowhere else.
 */
#include "kafka_sample.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/log.h"

/* Fetch sizes: a single message of LS_KAFKA_MESSAGE_MAX_BYTES plus its
 * record-batch framing must fit one partition fetch, and librdkafka wants
 * receive.message.max.bytes >= fetch.max.bytes + 512. */
#define PARTITION_FETCH_BYTES "17825792" /* 17 MiB */
#define FETCH_MAX_BYTES "33554432"       /* 32 MiB */
#define RECEIVE_MAX_BYTES "33555456"     /* 32 MiB + 1 KiB */

typedef struct partition_state {
    int64_t low, high;
    bool done;
} partition_state;

typedef struct sampler {
    rd_kafka_t *rk;
    const char *topic;
    size_t limit;
    int64_t deadline_ms;
    partition_state *partitions;
    int32_t partition_count;
    ls_kafka_sample *out;
    size_t capacity;
    size_t total_bytes;
    rd_kafka_resp_err_t last_error; /* from the error callback */
} sampler;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining_ms(const sampler *s)
{
    int64_t left = s->deadline_ms - now_ms();
    return left < 0 ? 0 : (int)left;
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    (void)level;
    ls_log_debug("kafka", "%s: %s", fac, buf);
}

static void on_error(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    (void)rk;
    sampler *s = opaque;
    s->last_error = (rd_kafka_resp_err_t)code;
    ls_log_debug("kafka", "sample: %s", reason);
}

static ls_code conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
                        const char *field, ls_error *err)
{
    char errstr[256];
    if (!value || !*value)
        return LS_OK;
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        return ls_error_set_field(err, LS_ERR_INVALID, field, "%s", errstr);
    return LS_OK;
}

static ls_code build_conf(const ls_kafka_settings *settings, int timeout_ms, sampler *s,
                          rd_kafka_conf_t *conf, ls_error *err)
{
    char timeout[24];
    snprintf(timeout, sizeof timeout, "%d", timeout_ms < 1000 ? 1000 : timeout_ms);
    const char *const fixed[][2] = {
        {"group.id", "lakesync-sample"},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "true"},
        {"allow.auto.create.topics", "false"},
        {"auto.offset.reset", "earliest"},
        {"max.partition.fetch.bytes", PARTITION_FETCH_BYTES},
        {"fetch.max.bytes", FETCH_MAX_BYTES},
        {"receive.message.max.bytes", RECEIVE_MAX_BYTES},
        {"socket.timeout.ms", timeout},
        {"socket.connection.setup.timeout.ms", timeout},
        {"topic.metadata.refresh.interval.ms", "1000"},
        {"log.connection.close", "false"},
        {"client.id", "lakesync-sample"},
    };
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && i < sizeof fixed / sizeof fixed[0]; i++)
        rc = conf_set(conf, fixed[i][0], fixed[i][1], "kafka", err);
    if (!rc)
        rc = conf_set(conf, "bootstrap.servers", settings->bootstrap_servers, "bootstrap_servers",
                      err);
    if (!rc)
        rc = conf_set(conf, "security.protocol", settings->security_protocol, "security.protocol",
                      err);
    if (!rc)
        rc = conf_set(conf, "sasl.mechanisms", settings->sasl_mechanism, "security.sasl_mechanism",
                      err);
    if (!rc)
        rc = conf_set(conf, "sasl.username", settings->username, "security.username", err);
    if (!rc)
        rc = conf_set(conf, "sasl.password", settings->password, "security.password", err);
    if (!rc)
        rc = conf_set(conf, "ssl.ca.location", settings->ssl_ca_location,
                      "security.ssl_ca_location", err);
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_opaque(conf, s);
    return rc;
}

/* Maps a librdkafka error to our codes, with the topic in the message. */
static ls_code kafka_error(const sampler *s, rd_kafka_resp_err_t e, const char *what, ls_error *err)
{
    rd_kafka_resp_err_t cause = s->last_error ? s->last_error : e;
    ls_code code = LS_ERR_UNAVAILABLE;
    switch (cause) {
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        return ls_error_set_field(err, LS_ERR_NOT_FOUND, "topic", "topic '%s' does not exist",
                                  s->topic);
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
        code = LS_ERR_UNAUTHENTICATED;
        break;
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
        code = LS_ERR_PERMISSION;
        break;
    default:
        break;
    }
    if (code == LS_ERR_UNAVAILABLE && (e == RD_KAFKA_RESP_ERR__TIMED_OUT || !s->last_error))
        return ls_error_set_field(err, code, "bootstrap_servers",
                                  "%s: no answer from the Kafka brokers in time (%s)", what,
                                  rd_kafka_err2str(cause));
    return ls_error_set_field(err, code, "bootstrap_servers", "%s: %s", what,
                              rd_kafka_err2str(cause));
}

/* Finds the topic in a metadata answer: its error and partition count. */
static rd_kafka_resp_err_t topic_in(const struct rd_kafka_metadata *md, const char *topic,
                                    int *partition_count)
{
    for (int i = 0; i < md->topic_cnt; i++) {
        if (strcmp(md->topics[i].topic, topic) == 0) {
            *partition_count = md->topics[i].partition_cnt;
            return md->topics[i].err;
        }
    }
    return RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
}

/* Reads the topic's partition count, retrying while the cluster is still
 * electing leaders, until the deadline. Metadata is asked for all topics:
 * asking for one by name lets some brokers (the test broker among them)
 * create it, and sampling must never create a topic. */
static ls_code read_partitions(sampler *s, ls_error *err)
{
    for (;;) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t e = rd_kafka_metadata(s->rk, 1, NULL, &md, remaining_ms(s));
        if (e)
            return kafka_error(s, e, "reading topic metadata", err);
        int count = 0;
        rd_kafka_resp_err_t terr = topic_in(md, s->topic, &count);
        rd_kafka_metadata_destroy(md);
        if (!terr && count > 0) {
            s->partition_count = count;
            return LS_OK;
        }
        bool transient = terr == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE || (!terr && count == 0);
        if (!transient || remaining_ms(s) < 200) {
            s->last_error = 0;
            return kafka_error(s, terr ? terr : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC,
                               "reading topic metadata", err);
        }
        struct timespec pause = {.tv_nsec = 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

/* Queries watermarks and assigns every non-empty partition at its tail. */
static ls_code assign_tails(sampler *s, size_t *pending, ls_error *err)
{
    s->partitions = calloc((size_t)s->partition_count, sizeof *s->partitions);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(s->partition_count);
    ls_code rc = LS_OK;
    *pending = 0;
    if (!s->partitions || !list) {
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory sampling a topic");
        goto out;
    }
    for (int32_t p = 0; p < s->partition_count; p++) {
        partition_state *ps = &s->partitions[p];
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(s->rk, s->topic, p, &ps->low,
                                                                 &ps->high, remaining_ms(s));
        if (e) {
            rc = kafka_error(s, e, "reading partition offsets", err);
            goto out;
        }
        ps->done = ps->high <= ps->low;
        if (ps->done)
            continue;
        int64_t start = ps->high - (int64_t)s->limit;
        rd_kafka_topic_partition_list_add(list, s->topic, p)->offset =
            start > ps->low ? start : ps->low;
        (*pending)++;
    }
    if (*pending > 0) {
        rd_kafka_resp_err_t e = rd_kafka_assign(s->rk, list);
        if (e)
            rc = kafka_error(s, e, "assigning partitions", err);
    }
out:
    if (list)
        rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

static ls_code keep_message(sampler *s, const rd_kafka_message_t *m, ls_error *err)
{
    ls_kafka_sample *out = s->out;
    if (out->count == s->capacity) {
        size_t cap = s->capacity ? s->capacity * 2 : 64;
        ls_kafka_sample_message *grown = realloc(out->messages, cap * sizeof *grown);
        if (!grown)
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory sampling a topic");
        out->messages = grown;
        s->capacity = cap;
    }
    ls_kafka_sample_message *msg = &out->messages[out->count];
    *msg = (ls_kafka_sample_message){.partition = m->partition,
                                     .offset = m->offset,
                                     .timestamp_ms = rd_kafka_message_timestamp(m, NULL)};
    if (m->key) {
        msg->key = malloc(m->key_len ? m->key_len : 1);
        if (!msg->key)
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory sampling a topic");
        memcpy(msg->key, m->key, m->key_len);
        msg->key_len = m->key_len;
    }
    out->count++; /* counted now so cleanup frees the key if the value fails */
    if (m->payload) {
        msg->value = malloc(m->len ? m->len : 1);
        if (!msg->value)
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory sampling a topic");
        memcpy(msg->value, m->payload, m->len);
        msg->value_len = m->len;
    }
    msg->json_valid = ls_json_validate(msg->value, msg->value_len, 0, &msg->json_error) == LS_OK;
    s->total_bytes += m->len + m->key_len;
    return LS_OK;
}

/* Consumes until every assigned partition reached its high watermark, the
 * deadline passes or the byte budget is spent. */
static ls_code consume_tails(sampler *s, size_t pending, ls_error *err)
{
    while (pending > 0) {
        int wait = remaining_ms(s);
        if (wait == 0 || s->total_bytes > LS_KAFKA_SAMPLE_MAX_TOTAL_BYTES) {
            s->out->incomplete = true;
            return LS_OK;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(s->rk, wait < 100 ? wait : 100);
        if (!m)
            continue;
        ls_code rc = LS_OK;
        int32_t p = m->partition;
        bool ours = m->rkt && p >= 0 && p < s->partition_count && !s->partitions[p].done;
        if (!ours) {
            if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && !m->rkt)
                ls_log_debug("kafka", "sample: %s", rd_kafka_message_errstr(m));
        } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF ||
                   m->offset >= s->partitions[p].high) {
            s->partitions[p].done = true;
            pending--;
        } else if (m->err) {
            ls_log_debug("kafka", "sample: partition %d: %s", p, rd_kafka_message_errstr(m));
        } else {
            rc = keep_message(s, m, err);
            if (!rc && m->offset + 1 >= s->partitions[p].high) {
                s->partitions[p].done = true;
                pending--;
            }
        }
        rd_kafka_message_destroy(m);
        if (rc)
            return rc;
    }
    return LS_OK;
}

static void message_free(ls_kafka_sample_message *m)
{
    free(m->key);
    free(m->value);
}

/* Newest first: timestamp, then partition, then offset, all descending except
 * partition, so the order is total and stable across runs. */
static int newest_first(const void *a, const void *b)
{
    const ls_kafka_sample_message *x = a, *y = b;
    if (x->timestamp_ms != y->timestamp_ms)
        return x->timestamp_ms > y->timestamp_ms ? -1 : 1;
    if (x->partition != y->partition)
        return x->partition < y->partition ? -1 : 1;
    if (x->offset != y->offset)
        return x->offset > y->offset ? -1 : 1;
    return 0;
}

void ls_kafka_sample_cleanup(ls_kafka_sample *sample)
{
    if (!sample)
        return;
    for (size_t i = 0; i < sample->count; i++)
        message_free(&sample->messages[i]);
    free(sample->messages);
    memset(sample, 0, sizeof *sample);
}

ls_code ls_kafka_sample_fetch(const ls_kafka_settings *settings, const char *topic, size_t limit,
                              int timeout_ms, ls_kafka_sample *out, ls_error *err)
{
    memset(out, 0, sizeof *out);
    if (!settings->bootstrap_servers || !*settings->bootstrap_servers)
        return ls_error_set_field(err, LS_ERR_INVALID, "bootstrap_servers",
                                  "bootstrap servers are required");
    if (!topic || !*topic)
        return ls_error_set_field(err, LS_ERR_INVALID, "topic", "a topic is required");
    if (limit < 1 || limit > LS_KAFKA_SAMPLE_MAX_LIMIT)
        return ls_error_set_field(err, LS_ERR_INVALID, "limit", "limit must be between 1 and %d",
                                  LS_KAFKA_SAMPLE_MAX_LIMIT);
    if (timeout_ms <= 0)
        timeout_ms = LS_KAFKA_SAMPLE_DEFAULT_TIMEOUT_MS;
    sampler s = {.topic = topic, .limit = limit, .out = out, .deadline_ms = now_ms() + timeout_ms};
    char errstr[512];
    size_t pending = 0;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    ls_code rc = build_conf(settings, timeout_ms, &s, conf, err);
    if (!rc) {
        s.rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
        conf = NULL; /* owned by rk on success, destroyed below otherwise */
        if (!s.rk)
            rc = ls_error_set_field(err, LS_ERR_INVALID, "kafka", "%s", errstr);
    }
    if (conf)
        rd_kafka_conf_destroy(conf);
    if (!rc)
        rc = read_partitions(&s, err);
    if (!rc)
        rc = assign_tails(&s, &pending, err);
    if (!rc)
        rc = consume_tails(&s, pending, err);
    out->partition_count = s.partition_count;
    if (!rc && out->count > 0) {
        qsort(out->messages, out->count, sizeof *out->messages, newest_first);
        for (size_t i = limit; i < out->count; i++)
            message_free(&out->messages[i]);
        if (out->count > limit)
            out->count = limit;
    }
    if (s.rk) {
        rd_kafka_consumer_close(s.rk);
        rd_kafka_destroy(s.rk);
    }
    free(s.partitions);
    if (rc)
        ls_kafka_sample_cleanup(out);
    return rc;
}

ls_code ls_kafka_topic_partitions(const ls_kafka_settings *settings, const char *topic,
                                  int timeout_ms, int32_t *count, ls_error *err)
{
    *count = 0;
    if (!settings->bootstrap_servers || !*settings->bootstrap_servers)
        return ls_error_set_field(err, LS_ERR_INVALID, "bootstrap_servers",
                                  "bootstrap servers are required");
    if (!topic || !*topic)
        return ls_error_set_field(err, LS_ERR_INVALID, "topic", "a topic is required");
    if (timeout_ms <= 0)
        timeout_ms = LS_KAFKA_SAMPLE_DEFAULT_TIMEOUT_MS;
    ls_kafka_sample unused = {0};
    sampler s = {.topic = topic, .out = &unused, .deadline_ms = now_ms() + timeout_ms};
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    ls_code rc = build_conf(settings, timeout_ms, &s, conf, err);
    if (!rc) {
        s.rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
        conf = NULL;
        if (!s.rk)
            rc = ls_error_set_field(err, LS_ERR_INVALID, "kafka", "%s", errstr);
    }
    if (conf)
        rd_kafka_conf_destroy(conf);
    if (!rc)
        rc = read_partitions(&s, err);
    if (!rc)
        *count = s.partition_count;
    if (s.rk)
        rd_kafka_destroy(s.rk);
    return rc;
}
