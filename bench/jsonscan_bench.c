/*
 * bench_jsonscan: the hot-path scanner against jansson's parse alone, on the
 * same 1M reference messages in the same run, single thread.
 *
 * Messages have the shape of the seed's example with its values quoted, plus
 * a timestamp, a float and an array (~280 bytes each); they are generated
 * deterministically from a fixed seed. The scanner maps every field at parse
 * level 2 into a column batch (flushed every 65536 rows, as a worker would);
 * jansson runs json_loadb + json_decref on each message. Prints MB/s of both
 * and the ratio.
 *
 *   bench_jsonscan [message_count] [repeats]
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonscan.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static const char *pick(const char *const *options, size_t n)
{
    return options[rng_next() % n];
}

/* Writes message i into out; returns its length. */
static size_t make_message(char *out, size_t cap)
{
    static const char *const names[] = {"zhangle", "lisi", "wangwu", "zhaoliu", "sunqi"};
    static const char *const fathers[] = {"zhangsan", "lisan", "wangsan"};
    static const char *const mothers[] = {"limei", "hanmei", "liumei"};
    static const char *const brands[] = {"none", "apple", "huawei", "xiaomi"};
    static const char *const tags[] = {"new", "vip", "beta", "churn", "promo"};
    uint64_t r = rng_next();
    int n = snprintf(
        out, cap,
        "{\"name\":\"%s-%06" PRIu64 "\",\"age\":%" PRIu64 ",\"device\":{\"os\":{\"test\":\"lag\","
        "\"member\":{\"fa\":\"%s\",\"mo\":\"%s\"}},\"brand\":\"%s\",\"version\":\"11.4.%" PRIu64
        "\"},\"event_time\":\"2024-05-%02" PRIu64 "T%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64
        ".%03" PRIu64 "Z\",\"score\":%" PRIu64 ".%04" PRIu64 ",\"tags\":[\"%s\",\"%s\"],"
        "\"city\":\"hangzhou\",\"ip\":\"10.%" PRIu64 ".%" PRIu64 ".%" PRIu64 "\",\"active\":%s}",
        pick(names, 5), r % 1000000, 18 + r % 60, pick(fathers, 3), pick(mothers, 3),
        pick(brands, 4), r % 10, 1 + r % 28, r % 24, r % 60, (r >> 8) % 60, (r >> 16) % 1000,
        (r >> 20) % 1000, (r >> 30) % 10000, pick(tags, 5), pick(tags, 5), (r >> 24) % 256,
        (r >> 32) % 256, (r >> 48) % 256, (r >> 40) & 1 ? "true" : "false");
    return (size_t)n;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const field_specs[][2] = {
    {"name", "string"},           {"age", "bigint"},
    {"device.os", "string"},      {"device.brand", "string"},
    {"device.version", "string"}, {"event_time", "timestamptz"},
    {"score", "double"},          {"tags", "string"},
    {"city", "string"},           {"ip", "string"},
    {"active", "boolean"},
};
#define FIELD_COUNT (sizeof field_specs / sizeof field_specs[0])

/* evolving: the plan a job with schema evolution (add_columns, the default)
 * runs with: unmapped paths collected, messages with new fields held. */
static double run_scanner(char *const *msgs, const size_t *lens, size_t count, bool evolving)
{
    ls_jsonscan_field fields[FIELD_COUNT];
    ls_type types[FIELD_COUNT];
    ls_error err;
    ls_error_clear(&err);
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        if (ls_type_parse(field_specs[i][1], &types[i], &err))
            goto fail;
        fields[i] = (ls_jsonscan_field){.source = field_specs[i][0], .column = i, .type = types[i]};
    }
    ls_jsonscan_options options = {.parse_level = 2, .collect_unmapped = evolving};
    ls_jsonscan_plan *plan;
    if (ls_jsonscan_plan_new(&options, fields, FIELD_COUNT, &plan, &err))
        goto fail;
    ls_jsonscan_set_hold_unmapped(plan, evolving);
    ls_column_batch *batch = ls_column_batch_new(types, FIELD_COUNT, (size_t)256 << 20);
    ls_jsonscan_error record;
    size_t rows = 0;
    double start = now_seconds();
    for (size_t i = 0; i < count; i++) {
        ls_kafka_meta meta = {.partition = 0, .offset = (int64_t)i};
        if (ls_jsonscan_row(plan, (const uint8_t *)msgs[i], lens[i], &meta, batch, &record, &err)) {
            fprintf(stderr, "message %zu: %s %s\n", i, record.message, err.message);
            exit(1);
        }
        if (batch->row_count == 65536) {
            rows += batch->row_count;
            ls_column_batch_reset(batch);
        }
    }
    double elapsed = now_seconds() - start;
    rows += batch->row_count;
    if (rows != count)
        exit(1);
    ls_column_batch_free(batch);
    ls_jsonscan_plan_free(plan);
    return elapsed;
fail:
    fprintf(stderr, "bench_jsonscan: %s\n", err.message);
    exit(1);
}

static double run_jansson(char *const *msgs, const size_t *lens, size_t count)
{
    double start = now_seconds();
    for (size_t i = 0; i < count; i++) {
        json_error_t error;
        json_t *doc = json_loadb(msgs[i], lens[i], 0, &error);
        if (!doc) {
            fprintf(stderr, "jansson rejected message %zu: %s\n", i, error.text);
            exit(1);
        }
        json_decref(doc);
    }
    return now_seconds() - start;
}

int main(int argc, char **argv)
{
    size_t count = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    int repeats = argc > 2 ? atoi(argv[2]) : 3;
    if (count == 0 || repeats <= 0)
        return 2;
    char **msgs = malloc(count * sizeof *msgs);
    size_t *lens = malloc(count * sizeof *lens);
    char *arena = malloc(count * 400);
    if (!msgs || !lens || !arena)
        return 1;
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        msgs[i] = arena + i * 400;
        lens[i] = make_message(msgs[i], 400);
        total += lens[i];
    }
    double best_scan = 1e9, best_jansson = 1e9, best_evolving = 1e9;
    for (int r = 0; r < repeats; r++) {
        double s = run_scanner(msgs, lens, count, false), j = run_jansson(msgs, lens, count);
        double e = run_scanner(msgs, lens, count, true);
        best_scan = s < best_scan ? s : best_scan;
        best_jansson = j < best_jansson ? j : best_jansson;
        best_evolving = e < best_evolving ? e : best_evolving;
    }
    double mb = (double)total / 1e6;
    printf("messages %zu, average %.1f bytes, %.1f MB; best of %d runs\n", count,
           (double)total / (double)count, mb, repeats);
    printf("jsonscan level 2, %zu columns: %.3f s  %.1f MB/s  %.0f msg/s\n", FIELD_COUNT, best_scan,
           mb / best_scan, (double)count / best_scan);
    printf("jansson json_loadb+decref:   %.3f s  %.1f MB/s  %.0f msg/s\n", best_jansson,
           mb / best_jansson, (double)count / best_jansson);
    printf("ratio jsonscan/jansson: %.2fx\n", best_jansson / best_scan);
    printf("jsonscan with schema evolution (unmapped collected, new fields held): %.3f s; "
           "ratio vs jansson %.2fx, vs jsonscan without %.2fx\n",
           best_evolving, best_jansson / best_evolving, best_scan / best_evolving);
    free(arena);
    free(lens);
    free(msgs);
    return 0;
}
