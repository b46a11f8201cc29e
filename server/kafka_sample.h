/*
 * kafka_sample: the latest messages of a topic, for the console's "sample
 * data" and for schema inference. Adapter over librdkafka (the only module
 * besides the worker's consumer that includes rdkafka.h).
 *
 * How: read the topic's partitions from metadata, query each partition's low
 * and high watermarks, assign every partition at max(low, high - limit)
 * without joining a consumer group, and read until each partition reaches its
 * high watermark or the time bound passes. The newest `limit` messages by
 * (timestamp, then partition, then offset) are kept, newest first.
 *
 * Messages are never truncated: fetch sizes allow LS_KAFKA_MESSAGE_MAX_BYTES
 * per message. Every message carries its partition, offset, timestamp, key and
 * value, and whether the value is valid JSON (with jsonscan's error when not).
 */
#ifndef LAKESYNC_KAFKA_SAMPLE_H
#define LAKESYNC_KAFKA_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jsonscan.h"
#include "util/error.h"

#define LS_KAFKA_MESSAGE_MAX_BYTES ((size_t)16 << 20)
#define LS_KAFKA_SAMPLE_MAX_LIMIT 1000
#define LS_KAFKA_SAMPLE_MAX_TOTAL_BYTES ((size_t)64 << 20)
#define LS_KAFKA_SAMPLE_DEFAULT_TIMEOUT_MS 10000

/* How to reach a cluster. Strings may be NULL or "" when unused. */
typedef struct ls_kafka_settings {
    const char *bootstrap_servers; /* "host:port[,host:port...]", required */
    const char *security_protocol; /* plaintext (default), ssl, sasl_plaintext, sasl_ssl */
    const char *sasl_mechanism;    /* PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 */
    const char *username;
    const char *password;
    const char *ssl_ca_location; /* CA bundle file; system default when NULL */
} ls_kafka_settings;

typedef struct ls_kafka_sample_message {
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* -1 when the message has none */
    uint8_t *key;         /* NULL when the message has no key */
    size_t key_len;
    uint8_t *value; /* NULL for a null value (tombstone) */
    size_t value_len;
    bool json_valid;
    ls_jsonscan_error json_error; /* kind LS_JSONSCAN_OK when valid */
} ls_kafka_sample_message;

typedef struct ls_kafka_sample {
    ls_kafka_sample_message *messages; /* newest first */
    size_t count;
    int32_t partition_count;
    bool incomplete; /* the time bound or LS_KAFKA_SAMPLE_MAX_TOTAL_BYTES cut the read short */
} ls_kafka_sample;

/* Fetches up to limit (1..LS_KAFKA_SAMPLE_MAX_LIMIT) latest messages of topic
 * within about timeout_ms (0 = default). Fails with LS_ERR_INVALID on bad
 * settings or limit (err->field names the setting), LS_ERR_NOT_FOUND when
 * the topic does not exist, LS_ERR_UNAVAILABLE when no broker answers in
 * time, LS_ERR_UNAUTHENTICATED / LS_ERR_PERMISSION when the broker refuses.
 * An empty topic is success with count 0. The caller releases *out with
 * ls_kafka_sample_cleanup (also after a failure: *out is then empty). */
ls_code ls_kafka_sample_fetch(const ls_kafka_settings *settings, const char *topic, size_t limit,
                              int timeout_ms, ls_kafka_sample *out, ls_error *err) LS_MUST_USE;

/* The number of partitions of topic, within about timeout_ms (0 = default).
 * Errors as ls_kafka_sample_fetch. Never creates the topic. */
ls_code ls_kafka_topic_partitions(const ls_kafka_settings *settings, const char *topic,
                                  int timeout_ms, int32_t *count, ls_error *err) LS_MUST_USE;

/* Releases a sample and leaves it empty. NULL-safe. */
void ls_kafka_sample_cleanup(ls_kafka_sample *sample);

#endif
