/*
 * Kafka progress as a table records it, and the fencing rule of DESIGN.md's
 * exactly-once contract. Pure: JSON text in, JSON text out.
 *
 * A table's offsets are the next offset to read per Kafka partition, for all
 * partitions committed so far, stored in each snapshot as
 *   lakesync.offsets = {"topic":"t","partitions":{"0":1234,"1":99}}
 * A commit covers, per partition, the half-open range [start, end) of offsets
 * its files hold. It is accepted only when every start equals the table's
 * next offset for that partition (any start for a partition never seen):
 * a gap would lose messages, an overlap would duplicate them, and both mean
 * the sender is a zombie or a replay.
 */
#ifndef LAKESYNC_OFFSETS_H
#define LAKESYNC_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define LS_OFFSETS_MAX_PARTITIONS 16384
#define LS_OFFSETS_TOPIC_MAX 256

typedef struct ls_partition_offset {
    int32_t partition;
    int64_t next_offset;
} ls_partition_offset;

/* Offsets sorted by partition, each partition once. */
typedef struct ls_offsets {
    char topic[LS_OFFSETS_TOPIC_MAX];
    ls_partition_offset *items;
    size_t count;
} ls_offsets;

typedef struct ls_offset_range {
    int32_t partition;
    int64_t start; /* inclusive */
    int64_t end;   /* exclusive, >= start */
} ls_offset_range;

/* Empty offsets for topic (may be "" until known). */
void ls_offsets_init(ls_offsets *offsets, const char *topic);
void ls_offsets_cleanup(ls_offsets *offsets);

/* Parses the JSON form. LS_ERR_FORMAT names what is wrong (stored data we
 * wrote ourselves should always parse). */
ls_code ls_offsets_parse(const char *json_text, ls_offsets *out, ls_error *err) LS_MUST_USE;

/* The JSON form, partitions in ascending order; malloc'd, caller frees. */
ls_code ls_offsets_format(const ls_offsets *offsets, char **out, ls_error *err) LS_MUST_USE;

/* The next offset of a partition, or -1 when the table never saw it. */
int64_t ls_offsets_get(const ls_offsets *offsets, int32_t partition);

/* Applies the fencing rule: checks ranges against current and, when all pass,
 * fills *next (initialized by this function) with current advanced to the
 * ranges' ends. LS_ERR_CONFLICT naming the first partition whose start does
 * not match (and *next left empty); LS_ERR_INVALID for a range with
 * end < start, a negative start, a partition listed twice, or a topic that
 * differs from current's. */
ls_code ls_offsets_advance(const ls_offsets *current, const char *topic,
                           const ls_offset_range *ranges, size_t range_count, ls_offsets *next,
                           ls_error *err) LS_MUST_USE;

#endif
