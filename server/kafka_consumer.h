/*
 * The worker's Kafka consumer: one consumer-group member reading one topic.
 *
 * The table, not Kafka, is the truth about progress (DESIGN.md, exactly-once
 * contract). So whenever partitions are assigned, the consumer asks its owner
 * for each partition's committed next offset (the position callback, which
 * reads the table's snapshot through the server) and starts there. Only a
 * partition the table has never seen starts from the job's start position:
 *
 *   earliest   the partition's low watermark
 *   latest     the partition's high watermark at its first assignment
 *              (the pinned callback lets the owner record it in the table,
 *              so a restart does not move it forward)
 *   timestamp  the first message whose timestamp is >= the start time
 *
 * The time start uses the broker's own lookup (ListOffsets by timestamp) when
 * the broker supports it. Some brokers do not (librdkafka's mock cluster
 * answers -1 for every time), which we detect by asking for time 0 on a
 * non-empty partition: a broker that supports the lookup answers its first
 * offset. Without support the consumer starts at the low watermark and drops
 * messages older than the start time until the first one at or after it,
 * which gives the same answer at the cost of reading the older prefix once.
 *
 * Rebalances call the owner's rebalance callback before partitions are
 * revoked (so it can commit or abandon what it holds) and after new ones are
 * assigned. Kafka group offsets are committed only for lag tools.
 *
 * Threading: one thread owns an ls_kafka_consumer; callbacks run inside
 * ls_kafka_consumer_poll on that thread.
 */
#ifndef LAKESYNC_KAFKA_CONSUMER_H
#define LAKESYNC_KAFKA_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* How to reach the brokers. Strings are borrowed for the duration of
 * ls_kafka_consumer_new only. NULL or "" means unset. */
typedef struct ls_kafka_connection {
    const char *bootstrap_servers;
    const char *security_protocol; /* plaintext, ssl, sasl_plaintext, sasl_ssl */
    const char *sasl_mechanism;    /* PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 */
    const char *sasl_username;
    const char *sasl_password;
} ls_kafka_connection;

typedef enum ls_kafka_start_mode {
    LS_KAFKA_START_EARLIEST = 0,
    LS_KAFKA_START_LATEST,
    LS_KAFKA_START_TIMESTAMP,
} ls_kafka_start_mode;

/* Returns the table's committed next offset for a partition in *next_offset,
 * or -1 when the table has never seen the partition. An error fails the
 * assignment: the consumer then holds no partitions and the error is
 * reported by the next ls_kafka_consumer_poll. */
typedef ls_code (*ls_kafka_position_fn)(void *ctx, int32_t partition, int64_t *next_offset,
                                        ls_error *err);

/* Told about assignment changes. assigned == false: these partitions are about
 * to be taken away; whatever the owner buffered for them must be committed or
 * dropped now. assigned == true: these partitions were just assigned. */
typedef void (*ls_kafka_rebalance_fn)(void *ctx, bool assigned, const int32_t *partitions,
                                      size_t count);

/* Told the offset a partition the table has never seen starts at, when that
 * start cannot be worked out again later: latest is the high watermark of
 * the moment, and resolving it again after a restart would skip whatever was
 * produced in between. The owner makes it durable (the worker commits the
 * empty range [offset, offset), so the table records it). Runs before the
 * partition's first message. */
typedef void (*ls_kafka_pinned_fn)(void *ctx, int32_t partition, int64_t offset);

typedef struct ls_kafka_consumer_options {
    const char *topic;
    const char *group_id;
    const char *client_id;       /* optional */
    ls_kafka_start_mode start_mode;
    int64_t start_timestamp_ms;  /* LS_KAFKA_START_TIMESTAMP only */
    int session_timeout_ms;      /* 0: librdkafka's default */
    int metadata_timeout_ms;     /* bound on broker look-ups; 0: 10000 */
    ls_kafka_position_fn position;
    ls_kafka_rebalance_fn rebalance; /* optional */
    ls_kafka_pinned_fn pinned;       /* optional */
    void *ctx;
} ls_kafka_consumer_options;

/* One consumed message. Pointers stay valid until the next poll or free. */
typedef struct ls_kafka_message {
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* -1 when the broker gave none */
    const uint8_t *key;   /* NULL when the message has no key */
    size_t key_len;
    const uint8_t *value; /* NULL for a tombstone */
    size_t value_len;
} ls_kafka_message;

typedef struct ls_kafka_consumer ls_kafka_consumer;

/* Creates a consumer and subscribes it to options->topic. The caller frees it
 * with ls_kafka_consumer_free. LS_ERR_INVALID for bad settings. */
ls_code ls_kafka_consumer_new(const ls_kafka_connection *connection,
                              const ls_kafka_consumer_options *options,
                              ls_kafka_consumer **out, ls_error *err) LS_MUST_USE;

/* Waits up to timeout_ms for a message. *got is false when none came (a
 * timeout is not an error). Rebalance and position callbacks run inside.
 * Errors: LS_ERR_UNAVAILABLE for fatal consumer errors and failed
 * assignments, LS_ERR_NOT_FOUND when the topic does not exist. Transient
 * broker errors are logged and retried by librdkafka, not returned. */
ls_code ls_kafka_consumer_poll(ls_kafka_consumer *consumer, int timeout_ms,
                               ls_kafka_message *message, bool *got, ls_error *err) LS_MUST_USE;

/* Moves every assigned partition back to its position (asking the position
 * callback again), dropping anything fetched but not yet polled. Used after
 * the owner abandoned uncommitted data, e.g. when a commit was fenced. */
ls_code ls_kafka_consumer_reposition(ls_kafka_consumer *consumer, ls_error *err) LS_MUST_USE;

/* Commits group offsets (asynchronously) so lag tools see progress. The table
 * stays the truth; a lost commit here loses nothing. */
ls_code ls_kafka_consumer_commit_offsets(ls_kafka_consumer *consumer, const int32_t *partitions,
                                         const int64_t *next_offsets, size_t count,
                                         ls_error *err) LS_MUST_USE;

/* The partitions currently assigned, sorted. Returns how many were written to
 * out (at most capacity). */
size_t ls_kafka_consumer_assignment(ls_kafka_consumer *consumer, int32_t *out, size_t capacity);

/* The last known high watermark (end offset) of a partition from fetch
 * responses, without a broker round trip; -1 when unknown. */
int64_t ls_kafka_consumer_high_watermark(ls_kafka_consumer *consumer, int32_t partition);

/* Leaves the group (revoking partitions through the rebalance callback) and
 * frees everything. NULL-safe. */
void ls_kafka_consumer_free(ls_kafka_consumer *consumer);

#endif
