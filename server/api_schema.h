/*
 * Sample data and schema inference in the /api/v1 control plane:
 *
 *   GET  /api/v1/data-sources/{id}/sample?limit=N[&timeout_ms=T]
 *        The latest N (1..1000, default 10) messages of the source's topic,
 *        untruncated, newest first: {data_source_id, topic, partition_count,
 *        incomplete, items:[{partition, offset, timestamp_ms, key,
 *        key_encoding, value, value_encoding, value_bytes, json_valid,
 *        json_error}]}. key and value are text when valid UTF-8
 *        (encoding "utf8"), base64 otherwise ("base64"), null when absent.
 *        json_error is null or {kind, offset, message}. 503 when the brokers
 *        do not answer in time, 404 when the topic (or source) does not exist.
 *
 *   POST /api/v1/schema/infer
 *        {data_source_id | messages[], parse_levels (0-4, default 1),
 *         sample_size (1..1000, default 100)}: messages are strings (the
 *        message text) or any other JSON value (used as its compact text).
 *        Answers {parse_levels, samples, invalid_samples, first_invalid,
 *        fields:[{source, name, type}] (a job's fields as is),
 *        field_details:[{source, name, kinds, present, nulls, example}],
 *        collisions:[{source, wanted, assigned}]}.
 */
#ifndef LAKESYNC_API_SCHEMA_H
#define LAKESYNC_API_SCHEMA_H

#include "api_router.h"

ls_code api_source_sample(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_schema_infer(ls_api_request *req, ls_error *err) LS_MUST_USE;

#endif
