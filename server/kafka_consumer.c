#include "kafka_consumer.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "util/log.h"

/* Topics with more partitions than this are refused: every per-partition
 * array below is sized by it. Kafka's own practical limit is far lower. */
#define MAX_PARTITIONS 16384
#define NO_FILTER INT64_MIN

/* The prefetch bounds (queued.min.messages, queued.max.messages.kbytes) and
 * the refill kick that keeps librdkafka 2.0 fetching (see build_conf and
 * maybe_kick_fetcher). */
#define PREFETCH_MESSAGES 100000
#define PREFETCH_KBYTES 65536
/* One fetch response, all partitions, and one partition's share: a whole
 * message of up to the scanner's 16 MiB limit plus its batch framing. */
#define FETCH_MAX_BYTES (17 << 20)
#define QUEUE_SAMPLE_EVERY 32 /* messages between looks at the queue length */

struct ls_kafka_consumer {
    rd_kafka_t *rk;
    char *topic;
    ls_kafka_consumer_options options;
    rd_kafka_message_t *current; /* the message last returned by poll */
    int32_t *assigned;           /* sorted partition ids */
    int64_t *filter_ts;          /* per assigned slot: drop messages older than this */
    size_t assigned_count;
    ls_error pending; /* an error raised inside a callback, reported by poll */
    rd_kafka_queue_t *queue; /* the consumer queue, for its length */
    /* The refill kick: armed when the queue was full enough for the fetcher
     * to stop, fired when it has drained (maybe_kick_fetcher). */
    bool kick_armed;
    unsigned polls;
    uint64_t polled_messages, polled_bytes; /* for the queue's size in bytes */
};

static int compare_int32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static ssize_t assigned_slot(const ls_kafka_consumer *c, int32_t partition)
{
    const int32_t *found =
        bsearch(&partition, c->assigned, c->assigned_count, sizeof(int32_t), compare_int32);
    return found ? found - c->assigned : -1;
}

/* ---- configuration ---------------------------------------------------- */

static ls_code conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, ls_error *err)
{
    char errstr[256];
    if (!value || !*value)
        return LS_OK;
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        return ls_error_set_field(err, LS_ERR_INVALID, name, "kafka setting %s: %s", name, errstr);
    return LS_OK;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *facility, const char *buf)
{
    (void)rk;
    /* syslog levels: 0-3 errors, 4 warnings, 5-6 info, 7 debug. */
    ls_log_level mapped = level <= 3 ? LS_LOG_ERROR : level == 4 ? LS_LOG_WARN
                          : level <= 6 ? LS_LOG_INFO : LS_LOG_DEBUG;
    ls_log(mapped, "kafka", "%s: %s", facility, buf);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t code,
                         rd_kafka_topic_partition_list_t *partitions, void *opaque);

static ls_code build_conf(const ls_kafka_connection *conn, const ls_kafka_consumer_options *opt,
                          ls_kafka_consumer *c, rd_kafka_conf_t **out, ls_error *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char number[32];
    ls_code rc = conf_set(conf, "bootstrap.servers", conn->bootstrap_servers, err);
    if (!rc)
        rc = conf_set(conf, "security.protocol", conn->security_protocol, err);
    if (!rc)
        rc = conf_set(conf, "sasl.mechanism", conn->sasl_mechanism, err);
    if (!rc)
        rc = conf_set(conf, "sasl.username", conn->sasl_username, err);
    if (!rc)
        rc = conf_set(conf, "sasl.password", conn->sasl_password, err);
    if (!rc)
        rc = conf_set(conf, "group.id", opt->group_id, err);
    if (!rc)
        rc = conf_set(conf, "client.id", opt->client_id, err);
    /* Progress lives in the table; Kafka offsets are written by hand, for lag. */
    if (!rc)
        rc = conf_set(conf, "enable.auto.commit", "false", err);
    if (!rc)
        rc = conf_set(conf, "enable.auto.offset.store", "false", err);
    /* The prefetch queue: librdkafka stops fetching while the local queue
     * (counted across the whole high-level consumer) holds more than
     * queued.min.messages or queued.max.messages.kbytes; before 2.1 it then
     * looks again only when its broker thread wakes, up to 1 s later
     * (fetch.queue.backoff.ms came in 2.1). maybe_kick_fetcher wakes it when
     * the queue has drained, so the queue need not cover a second of work:
     * it holds up to the bounds plus one fetch response. Each queued message
     * costs librdkafka's op (~200 B) beside its share of the fetch buffer.
     * bench/e2e_worker.sh (1M x 276 B, 128 partitions), worker peak RSS:
     * 250k messages and the default 50 MiB fetch.max.bytes 210-260 MiB;
     * 100k and 17 MiB 140-150 MiB, at the same rate. */
    snprintf(number, sizeof number, "%d", PREFETCH_MESSAGES);
    if (!rc)
        rc = conf_set(conf, "queued.min.messages", number, err);
    snprintf(number, sizeof number, "%d", PREFETCH_KBYTES);
    if (!rc)
        rc = conf_set(conf, "queued.max.messages.kbytes", number, err);
    /* A partition's fetch holds a whole message of up to 16 MiB (the JSON
     * scanner's limit, which rejects larger ones as too_large into the
     * dead-letter table) at once: librdkafka's default of 1 MiB only grows
     * by retries, and some brokers (the test broker among them) then never
     * deliver a 10 MB message. fetch.max.bytes still caps a whole fetch. */
    snprintf(number, sizeof number, "%d", FETCH_MAX_BYTES);
    if (!rc)
        rc = conf_set(conf, "fetch.message.max.bytes", number, err);
    if (!rc)
        rc = conf_set(conf, "fetch.max.bytes", number, err);
    /* Idle partitions answer sooner, so a fresh message waits at most this
     * long at the broker (freshness with 1 s commits). */
    if (!rc)
        rc = conf_set(conf, "fetch.wait.max.ms", "100", err);
    /* Round-robin spreads a topic's partitions evenly over a job's workers. */
    if (!rc)
        rc = conf_set(conf, "partition.assignment.strategy", "roundrobin", err);
    if (!rc && opt->session_timeout_ms > 0) {
        snprintf(number, sizeof number, "%d", opt->session_timeout_ms);
        rc = conf_set(conf, "session.timeout.ms", number, err);
        if (!rc && opt->session_timeout_ms < 3000)
            rc = conf_set(conf, "heartbeat.interval.ms", "100", err);
    }
    if (rc) {
        rd_kafka_conf_destroy(conf);
        return rc;
    }
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_opaque(conf, c);
    *out = conf;
    return LS_OK;
}

/* ---- start positions ---------------------------------------------------- */

static int metadata_timeout(const ls_kafka_consumer *c)
{
    return c->options.metadata_timeout_ms > 0 ? c->options.metadata_timeout_ms : 10000;
}

/* Looks up, for each partition in list, the first offset at or after
 * timestamp_ms. Results (or -1) are written to offsets_out in list order. */
static ls_code lookup_by_time(ls_kafka_consumer *c, const rd_kafka_topic_partition_list_t *list,
                              int64_t timestamp_ms, int64_t *offsets_out, ls_error *err)
{
    rd_kafka_topic_partition_list_t *query = rd_kafka_topic_partition_list_copy(list);
    for (int i = 0; i < query->cnt; i++)
        query->elems[i].offset = timestamp_ms;
    rd_kafka_resp_err_t code = rd_kafka_offsets_for_times(c->rk, query, metadata_timeout(c));
    if (code) {
        rd_kafka_topic_partition_list_destroy(query);
        return ls_error_set(err, LS_ERR_UNAVAILABLE, "looking up offsets by time in topic %s: %s",
                            c->topic, rd_kafka_err2str(code));
    }
    for (int i = 0; i < query->cnt; i++)
        offsets_out[i] = query->elems[i].err ? -1 : query->elems[i].offset;
    rd_kafka_topic_partition_list_destroy(query);
    return LS_OK;
}

/* Decides where an unseen partition starts for a time start, from the
 * broker's answers: see the header for the reasoning. */
static void choose_time_start(int64_t at_time, int64_t at_zero, int64_t low, int64_t high,
                              int64_t start_ms, int64_t *offset, int64_t *filter)
{
    if (at_time >= 0) {
        *offset = at_time; /* the broker found it */
        *filter = NO_FILTER;
    } else if (at_zero >= 0 || high <= low) {
        /* The broker can look up times and found no message at or after the
         * start (or the partition is empty): begin at the end, still
         * filtering in case a producer sets old timestamps on new messages. */
        *offset = high;
        *filter = start_ms;
    } else {
        /* The broker cannot look up times: scan from the start. */
        *offset = low;
        *filter = start_ms;
    }
}

/* Resolves the start of partitions the table has never seen, for the latest
 * and timestamp modes. Latest is pinned to the high watermark now, not left
 * to librdkafka's lazy OFFSET_END, which would be resolved only when fetching
 * begins and so skip messages produced in between. */
static ls_code resolve_unseen_starts(ls_kafka_consumer *c, rd_kafka_topic_partition_list_t *unseen,
                                     int64_t *filters, ls_error *err)
{
    size_t n = (size_t)unseen->cnt;
    bool by_time = c->options.start_mode == LS_KAFKA_START_TIMESTAMP;
    int64_t *at_time = calloc(n, sizeof *at_time), *at_zero = calloc(n, sizeof *at_zero);
    ls_code rc = LS_OK;
    if (!at_time || !at_zero) {
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory resolving start offsets");
        goto out;
    }
    if (by_time) {
        rc = lookup_by_time(c, unseen, c->options.start_timestamp_ms, at_time, err);
        if (!rc)
            rc = lookup_by_time(c, unseen, 0, at_zero, err);
    }
    for (size_t i = 0; !rc && i < n; i++) {
        int64_t low = 0, high = 0;
        int32_t partition = unseen->elems[i].partition;
        rd_kafka_resp_err_t code = rd_kafka_query_watermark_offsets(c->rk, c->topic, partition,
                                                                    &low, &high, metadata_timeout(c));
        if (code) {
            rc = ls_error_set(err, LS_ERR_UNAVAILABLE, "watermarks of %s[%d]: %s", c->topic,
                              (int)partition, rd_kafka_err2str(code));
            break;
        }
        filters[i] = NO_FILTER;
        if (by_time)
            choose_time_start(at_time[i], at_zero[i], low, high, c->options.start_timestamp_ms,
                              &unseen->elems[i].offset, &filters[i]);
        else
            unseen->elems[i].offset = high;
        ls_log_info("kafka", "%s[%d] is new to the table and starts at offset %lld%s", c->topic,
                    (int)partition, (long long)unseen->elems[i].offset,
                    filters[i] == NO_FILTER ? "" : " (skipping messages older than the start time)");
    }
out:
    free(at_time);
    free(at_zero);
    return rc;
}

/* Fills in the offset of every partition in list: the table's position, or
 * the job's start position for partitions the table has never seen. filters
 * receives the per-partition minimum timestamp (NO_FILTER for none). */
static ls_code resolve_positions(ls_kafka_consumer *c, rd_kafka_topic_partition_list_t *list,
                                 int64_t *filters, ls_error *err)
{
    rd_kafka_topic_partition_list_t *unseen = rd_kafka_topic_partition_list_new(list->cnt);
    ls_code rc = LS_OK;
    for (int i = 0; i < list->cnt && !rc; i++) {
        int64_t next = -1;
        filters[i] = NO_FILTER;
        rc = c->options.position(c->options.ctx, list->elems[i].partition, &next, err);
        if (rc)
            break;
        if (next >= 0)
            list->elems[i].offset = next;
        else if (c->options.start_mode == LS_KAFKA_START_EARLIEST)
            list->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
        else
            rd_kafka_topic_partition_list_add(unseen, c->topic, list->elems[i].partition);
    }
    if (!rc && unseen->cnt > 0) {
        int64_t *unseen_filters = calloc((size_t)unseen->cnt, sizeof *unseen_filters);
        rc = unseen_filters ? resolve_unseen_starts(c, unseen, unseen_filters, err)
                            : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        for (int u = 0; !rc && u < unseen->cnt; u++) {
            for (int i = 0; i < list->cnt; i++) {
                if (list->elems[i].partition == unseen->elems[u].partition) {
                    list->elems[i].offset = unseen->elems[u].offset;
                    filters[i] = unseen_filters[u];
                }
            }
            /* A time start is found again by the same lookup; latest is not. */
            if (c->options.pinned && c->options.start_mode == LS_KAFKA_START_LATEST)
                c->options.pinned(c->options.ctx, unseen->elems[u].partition,
                                  unseen->elems[u].offset);
        }
        free(unseen_filters);
    }
    rd_kafka_topic_partition_list_destroy(unseen);
    return rc;
}

/* ---- assignment ---------------------------------------------------------- */

static void clear_assignment(ls_kafka_consumer *c)
{
    c->assigned_count = 0;
}

/* Records list (already resolved) as the assignment, with its filters. */
static ls_code remember_assignment(ls_kafka_consumer *c, const rd_kafka_topic_partition_list_t *list,
                                   const int64_t *filters, ls_error *err)
{
    if (list->cnt > MAX_PARTITIONS)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "topic %s has more than %d partitions",
                            c->topic, MAX_PARTITIONS);
    c->assigned_count = (size_t)list->cnt;
    for (int i = 0; i < list->cnt; i++)
        c->assigned[i] = list->elems[i].partition;
    qsort(c->assigned, c->assigned_count, sizeof(int32_t), compare_int32);
    for (int i = 0; i < list->cnt; i++)
        c->filter_ts[assigned_slot(c, list->elems[i].partition)] = filters[i];
    return LS_OK;
}

static void notify(ls_kafka_consumer *c, bool assigned)
{
    if (c->options.rebalance && c->assigned_count > 0)
        c->options.rebalance(c->options.ctx, assigned, c->assigned, c->assigned_count);
}

static void handle_assign(ls_kafka_consumer *c, rd_kafka_topic_partition_list_t *partitions)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_copy(partitions);
    int64_t *filters = calloc((size_t)(list->cnt ? list->cnt : 1), sizeof *filters);
    ls_code rc = filters ? resolve_positions(c, list, filters, &c->pending)
                         : ls_error_set(&c->pending, LS_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = remember_assignment(c, list, filters, &c->pending);
    if (rc) {
        /* Holding partitions we cannot position would risk reading from the
         * wrong place; hold none and let poll report why. */
        ls_log_error("kafka", "assignment of %s failed: %s", c->topic, c->pending.message);
        clear_assignment(c);
        rd_kafka_assign(c->rk, NULL);
    } else {
        rd_kafka_assign(c->rk, list);
        notify(c, true);
    }
    free(filters);
    rd_kafka_topic_partition_list_destroy(list);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t code,
                         rd_kafka_topic_partition_list_t *partitions, void *opaque)
{
    ls_kafka_consumer *c = opaque;
    if (code == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        handle_assign(c, partitions);
        return;
    }
    if (code != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
        ls_log_warn("kafka", "rebalance error on %s: %s", c->topic, rd_kafka_err2str(code));
    notify(c, false);
    clear_assignment(c);
    rd_kafka_assign(rk, NULL);
}

/* ---- public functions ---------------------------------------------------- */

ls_code ls_kafka_consumer_new(const ls_kafka_connection *connection,
                              const ls_kafka_consumer_options *options, ls_kafka_consumer **out,
                              ls_error *err)
{
    *out = NULL;
    if (!options->topic || !*options->topic)
        return ls_error_set_field(err, LS_ERR_INVALID, "topic", "a topic is required");
    if (!options->group_id || !*options->group_id || !options->position)
        return ls_error_set(err, LS_ERR_INVALID, "a group id and a position callback are required");
    ls_kafka_consumer *c = calloc(1, sizeof *c);
    if (!c)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    c->options = *options;
    c->topic = strdup(options->topic);
    c->options.topic = c->topic;
    c->assigned = calloc(MAX_PARTITIONS, sizeof *c->assigned);
    c->filter_ts = calloc(MAX_PARTITIONS, sizeof *c->filter_ts);
    rd_kafka_conf_t *conf = NULL;
    ls_code rc = (!c->topic || !c->assigned || !c->filter_ts)
                     ? ls_error_set(err, LS_ERR_NOMEM, "out of memory")
                     : build_conf(connection, options, c, &conf, err);
    if (rc)
        goto fail;
    char errstr[512];
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!c->rk) {
        rd_kafka_conf_destroy(conf);
        rc = ls_error_set(err, LS_ERR_INVALID, "creating the Kafka consumer: %s", errstr);
        goto fail;
    }
    rd_kafka_poll_set_consumer(c->rk);
    c->queue = rd_kafka_queue_get_consumer(c->rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, c->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t code = rd_kafka_subscribe(c->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (code) {
        rc = ls_error_set(err, LS_ERR_INVALID, "subscribing to %s: %s", c->topic,
                          rd_kafka_err2str(code));
        goto fail;
    }
    *out = c;
    return LS_OK;
fail:
    ls_kafka_consumer_free(c);
    return rc;
}

static void release_current(ls_kafka_consumer *c)
{
    if (c->current) {
        rd_kafka_message_destroy(c->current);
        c->current = NULL;
    }
}

/* Translates an error carried by a consumed message. Returns LS_OK for
 * transient errors that librdkafka retries by itself. */
static ls_code message_error(ls_kafka_consumer *c, const rd_kafka_message_t *m, ls_error *err)
{
    switch (m->err) {
    case RD_KAFKA_RESP_ERR__PARTITION_EOF:
        return LS_OK;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
        return ls_error_set(err, LS_ERR_NOT_FOUND, "topic %s does not exist", c->topic);
    case RD_KAFKA_RESP_ERR__FATAL:
        return ls_error_set(err, LS_ERR_UNAVAILABLE, "fatal Kafka consumer error: %s",
                            rd_kafka_message_errstr(m));
    default:
        ls_log_warn("kafka", "%s: %s", c->topic, rd_kafka_message_errstr(m));
        return LS_OK;
    }
}

/* True when m is older than its partition's start time and must be dropped. */
static bool filtered_out(ls_kafka_consumer *c, const rd_kafka_message_t *m)
{
    ssize_t slot = assigned_slot(c, m->partition);
    if (slot < 0 || c->filter_ts[slot] == NO_FILTER)
        return false;
    rd_kafka_timestamp_type_t type;
    int64_t ts = rd_kafka_message_timestamp(m, &type);
    if (ts >= 0 && ts < c->filter_ts[slot])
        return true;
    c->filter_ts[slot] = NO_FILTER; /* the first message at or after the start */
    return false;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* librdkafka 2.0 stops fetching once its queue passes the prefetch bounds
 * and looks again only when its broker thread wakes for another reason, at
 * the latest a second later: a consumer faster than that drains the queue
 * and waits idle (bench/e2e_worker.sh saw two such pauses of ~0.5 s per 1M
 * messages). Any request to the broker wakes that thread, which then sees
 * the drained queue and fetches. So once the queue was full enough for the
 * fetcher to stop and has drained to three quarters of the bounds (it
 * fetches again below them; what is left covers the next fetch's round
 * trip), a ListOffsets query for the assignment goes to each leader; the
 * answers are not awaited (timeout 0: librdkafka drops them safely) and
 * only the wake-up matters.
 * The byte bound is watched through the average size of polled messages. */
static void maybe_kick_fetcher(ls_kafka_consumer *c)
{
    if (c->assigned_count == 0 || ++c->polls % QUEUE_SAMPLE_EVERY != 0)
        return;
    uint64_t queued = (uint64_t)rd_kafka_queue_length(c->queue);
    uint64_t average = c->polled_messages ? c->polled_bytes / c->polled_messages : 0;
    uint64_t bytes = queued * average, byte_bound = (uint64_t)PREFETCH_KBYTES * 1024;
    if (queued >= PREFETCH_MESSAGES || bytes >= byte_bound / 8 * 7) {
        c->kick_armed = true;
        return;
    }
    if (!c->kick_armed || queued > PREFETCH_MESSAGES / 4 * 3 || bytes > byte_bound / 4 * 3)
        return;
    c->kick_armed = false;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)c->assigned_count);
    for (size_t i = 0; i < c->assigned_count; i++)
        rd_kafka_topic_partition_list_add(list, c->topic, c->assigned[i])->offset =
            RD_KAFKA_OFFSET_END;
    (void)rd_kafka_offsets_for_times(c->rk, list, 0);
    rd_kafka_topic_partition_list_destroy(list);
}

ls_code ls_kafka_consumer_poll(ls_kafka_consumer *c, int timeout_ms, ls_kafka_message *message,
                               bool *got, ls_error *err)
{
    *got = false;
    release_current(c);
    maybe_kick_fetcher(c);
    /* A queued message is taken without reading the clock (the common case
     * when busy); the deadline matters only when the queue is empty. */
    int64_t deadline = -1;
    for (;;) {
        int wait_ms = 0;
        if (deadline >= 0) {
            int64_t left = deadline - now_ms();
            wait_ms = left > 0 ? (int)left : 0;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, wait_ms);
        if (c->pending.code) {
            if (m)
                rd_kafka_message_destroy(m);
            ls_code rc = ls_error_set(err, c->pending.code, "%s", c->pending.message);
            ls_error_clear(&c->pending);
            return rc;
        }
        if (!m && deadline < 0 && timeout_ms > 0) {
            deadline = now_ms() + timeout_ms; /* nothing queued: wait */
            continue;
        }
        if (!m)
            return LS_OK;
        if (m->err || filtered_out(c, m)) {
            ls_code rc = m->err ? message_error(c, m, err) : LS_OK;
            rd_kafka_message_destroy(m);
            if (deadline < 0)
                deadline = now_ms() + timeout_ms;
            if (rc || now_ms() >= deadline)
                return rc;
            continue;
        }
        c->current = m;
        c->polled_messages++;
        c->polled_bytes += m->len;
        rd_kafka_timestamp_type_t type;
        *message = (ls_kafka_message){
            .partition = m->partition,
            .offset = m->offset,
            .timestamp_ms = rd_kafka_message_timestamp(m, &type),
            .key = m->key,
            .key_len = m->key_len,
            .value = m->payload,
            .value_len = m->payload ? m->len : 0,
        };
        *got = true;
        return LS_OK;
    }
}

ls_code ls_kafka_consumer_reposition(ls_kafka_consumer *c, ls_error *err)
{
    release_current(c);
    if (c->assigned_count == 0)
        return LS_OK;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)c->assigned_count);
    for (size_t i = 0; i < c->assigned_count; i++)
        rd_kafka_topic_partition_list_add(list, c->topic, c->assigned[i]);
    int64_t *filters = calloc(c->assigned_count, sizeof *filters);
    ls_code rc = filters ? resolve_positions(c, list, filters, err)
                         : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (!rc) {
        rd_kafka_error_t *error = rd_kafka_seek_partitions(c->rk, list, metadata_timeout(c));
        if (error) {
            rc = ls_error_set(err, LS_ERR_UNAVAILABLE, "seeking %s: %s", c->topic,
                              rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
        }
        for (int i = 0; !rc && i < list->cnt; i++) {
            if (list->elems[i].err)
                rc = ls_error_set(err, LS_ERR_UNAVAILABLE, "seeking %s[%d]: %s", c->topic,
                                  (int)list->elems[i].partition,
                                  rd_kafka_err2str(list->elems[i].err));
        }
    }
    if (!rc)
        rc = remember_assignment(c, list, filters, err);
    free(filters);
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

ls_code ls_kafka_consumer_commit_offsets(ls_kafka_consumer *c, const int32_t *partitions,
                                         const int64_t *next_offsets, size_t count, ls_error *err)
{
    if (count == 0)
        return LS_OK;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)count);
    for (size_t i = 0; i < count; i++)
        rd_kafka_topic_partition_list_add(list, c->topic, partitions[i])->offset = next_offsets[i];
    rd_kafka_resp_err_t code = rd_kafka_commit(c->rk, list, 1);
    rd_kafka_topic_partition_list_destroy(list);
    if (code && code != RD_KAFKA_RESP_ERR__NO_OFFSET)
        return ls_error_set(err, LS_ERR_UNAVAILABLE, "committing group offsets of %s: %s",
                            c->topic, rd_kafka_err2str(code));
    return LS_OK;
}

size_t ls_kafka_consumer_assignment(ls_kafka_consumer *c, int32_t *out, size_t capacity)
{
    size_t n = c->assigned_count < capacity ? c->assigned_count : capacity;
    memcpy(out, c->assigned, n * sizeof *out);
    return n;
}

int64_t ls_kafka_consumer_high_watermark(ls_kafka_consumer *c, int32_t partition)
{
    int64_t low = -1, high = -1;
    if (rd_kafka_get_watermark_offsets(c->rk, c->topic, partition, &low, &high))
        return -1;
    return high == RD_KAFKA_OFFSET_INVALID ? -1 : high;
}

void ls_kafka_consumer_free(ls_kafka_consumer *c)
{
    if (!c)
        return;
    release_current(c);
    if (c->queue)
        rd_kafka_queue_destroy(c->queue);
    if (c->rk) {
        rd_kafka_consumer_close(c->rk);
        rd_kafka_destroy(c->rk);
    }
    free(c->assigned);
    free(c->filter_ts);
    free(c->topic);
    free(c);
}
