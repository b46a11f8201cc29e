#include "offsets.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ls_offsets_init(ls_offsets *offsets, const char *topic)
{
    snprintf(offsets->topic, sizeof offsets->topic, "%s", topic ? topic : "");
    offsets->items = NULL;
    offsets->count = 0;
}

void ls_offsets_cleanup(ls_offsets *offsets)
{
    if (!offsets)
        return;
    free(offsets->items);
    offsets->items = NULL;
    offsets->count = 0;
}

static int compare_partition(const void *a, const void *b)
{
    int32_t x = ((const ls_partition_offset *)a)->partition;
    int32_t y = ((const ls_partition_offset *)b)->partition;
    return (x > y) - (x < y);
}

int64_t ls_offsets_get(const ls_offsets *offsets, int32_t partition)
{
    if (offsets->count == 0)
        return -1; /* items may be NULL, which bsearch must not be given */
    ls_partition_offset key = {.partition = partition};
    const ls_partition_offset *found =
        bsearch(&key, offsets->items, offsets->count, sizeof key, compare_partition);
    return found ? found->next_offset : -1;
}

/* Parses a partition id: a decimal string of 0..INT32_MAX without sign or
 * leading zeros, as ls_offsets_format writes them. */
static int parse_partition(const char *text, int32_t *out)
{
    if (!*text || (text[0] == '0' && text[1]) || strlen(text) > 10)
        return -1;
    int64_t value = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        value = value * 10 + (*p - '0');
    }
    if (value > INT32_MAX)
        return -1;
    *out = (int32_t)value;
    return 0;
}

static ls_code parse_partitions(json_t *partitions, ls_offsets *out, ls_error *err)
{
    size_t n = json_object_size(partitions);
    if (n > LS_OFFSETS_MAX_PARTITIONS)
        return ls_error_set(err, LS_ERR_FORMAT, "offsets list more than %d partitions",
                            LS_OFFSETS_MAX_PARTITIONS);
    out->items = calloc(n ? n : 1, sizeof *out->items);
    if (!out->items)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    const char *key;
    json_t *value;
    json_object_foreach(partitions, key, value) {
        ls_partition_offset *item = &out->items[out->count];
        if (parse_partition(key, &item->partition))
            return ls_error_set(err, LS_ERR_FORMAT, "offsets: '%s' is not a partition number", key);
        if (!json_is_integer(value) || json_integer_value(value) < 0)
            return ls_error_set(err, LS_ERR_FORMAT,
                                "offsets: partition %s needs a non-negative integer", key);
        item->next_offset = json_integer_value(value);
        out->count++;
    }
    qsort(out->items, out->count, sizeof *out->items, compare_partition);
    return LS_OK;
}

ls_code ls_offsets_parse(const char *json_text, ls_offsets *out, ls_error *err)
{
    ls_offsets_init(out, "");
    json_error_t jerr;
    json_t *root = json_loads(json_text, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return ls_error_set(err, LS_ERR_FORMAT, "offsets are not valid JSON: %s", jerr.text);
    ls_code rc = LS_OK;
    json_t *topic = json_object_get(root, "topic");
    json_t *partitions = json_object_get(root, "partitions");
    if (!json_is_string(topic) || json_string_length(topic) >= LS_OFFSETS_TOPIC_MAX)
        rc = ls_error_set(err, LS_ERR_FORMAT, "offsets need a \"topic\" string");
    else if (!json_is_object(partitions))
        rc = ls_error_set(err, LS_ERR_FORMAT, "offsets need a \"partitions\" object");
    if (!rc) {
        snprintf(out->topic, sizeof out->topic, "%s", json_string_value(topic));
        rc = parse_partitions(partitions, out, err);
    }
    json_decref(root);
    if (rc)
        ls_offsets_cleanup(out);
    return rc;
}

ls_code ls_offsets_format(const ls_offsets *offsets, char **out, ls_error *err)
{
    *out = NULL;
    json_t *partitions = json_object();
    json_t *root = json_pack("{s:s, s:o}", "topic", offsets->topic, "partitions", partitions);
    for (size_t i = 0; root && i < offsets->count; i++) {
        char key[16];
        snprintf(key, sizeof key, "%" PRId32, offsets->items[i].partition);
        if (json_object_set_new(partitions, key, json_integer(offsets->items[i].next_offset)))
            break;
    }
    /* JSON_SORT_KEYS would order "10" before "2"; insertion order is numeric. */
    *out = root ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    if (!*out)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory formatting offsets");
    return LS_OK;
}

static int compare_range(const void *a, const void *b)
{
    int32_t x = ((const ls_offset_range *)a)->partition;
    int32_t y = ((const ls_offset_range *)b)->partition;
    return (x > y) - (x < y);
}

static ls_code check_ranges(const ls_offsets *current, const ls_offset_range *sorted, size_t n,
                            ls_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const ls_offset_range *r = &sorted[i];
        if (r->partition < 0 || r->start < 0 || r->end < r->start)
            return ls_error_set(err, LS_ERR_INVALID,
                                "range [%" PRId64 ", %" PRId64 ") of partition %" PRId32
                                " is not a valid half-open range",
                                r->start, r->end, r->partition);
        if (i > 0 && sorted[i - 1].partition == r->partition)
            return ls_error_set(err, LS_ERR_INVALID, "partition %" PRId32 " is listed twice",
                                r->partition);
        int64_t expected = ls_offsets_get(current, r->partition);
        if (expected >= 0 && r->start != expected)
            return ls_error_set(err, LS_ERR_CONFLICT,
                                "partition %" PRId32 " starts at %" PRId64
                                " but the table's next offset is %" PRId64 " (%s)",
                                r->partition, r->start, expected,
                                r->start > expected ? "a gap" : "an overlap");
    }
    return LS_OK;
}

/* Merges current and the ranges' ends into next (both sorted). */
static ls_code merge(const ls_offsets *current, const ls_offset_range *sorted, size_t n,
                     ls_offsets *next, ls_error *err)
{
    next->items = calloc(current->count + n + 1, sizeof *next->items);
    if (!next->items)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    size_t i = 0, j = 0;
    while (i < current->count || j < n) {
        ls_partition_offset item;
        if (j == n || (i < current->count && current->items[i].partition < sorted[j].partition)) {
            item = current->items[i++];
        } else {
            item = (ls_partition_offset){sorted[j].partition, sorted[j].end};
            if (i < current->count && current->items[i].partition == sorted[j].partition)
                i++;
            j++;
        }
        next->items[next->count++] = item;
    }
    if (next->count > LS_OFFSETS_MAX_PARTITIONS)
        return ls_error_set(err, LS_ERR_INVALID, "more than %d partitions",
                            LS_OFFSETS_MAX_PARTITIONS);
    return LS_OK;
}

ls_code ls_offsets_advance(const ls_offsets *current, const char *topic,
                           const ls_offset_range *ranges, size_t range_count, ls_offsets *next,
                           ls_error *err)
{
    ls_offsets_init(next, topic);
    if (current->topic[0] && strcmp(current->topic, topic) != 0)
        return ls_error_set(err, LS_ERR_INVALID,
                            "the table holds topic '%s', not '%s'", current->topic, topic);
    if (range_count > LS_OFFSETS_MAX_PARTITIONS)
        return ls_error_set(err, LS_ERR_INVALID, "more than %d ranges", LS_OFFSETS_MAX_PARTITIONS);
    ls_offset_range *sorted = malloc((range_count ? range_count : 1) * sizeof *sorted);
    if (!sorted)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (range_count)
        memcpy(sorted, ranges, range_count * sizeof *sorted);
    qsort(sorted, range_count, sizeof *sorted, compare_range);
    ls_code rc = check_ranges(current, sorted, range_count, err);
    if (!rc)
        rc = merge(current, sorted, range_count, next, err);
    free(sorted);
    if (rc)
        ls_offsets_cleanup(next);
    return rc;
}
