/*
 * bench_gen_reference: writes N reference NDJSON messages to stdout, one per
 * line, deterministically (fixed seed): the shape of the seed's example with
 * its values quoted, plus a timestamp, a float and an array (~280 bytes).
 * Same seed, xorshift and format as make_message in bench/jsonscan_bench.c.
 *
 *   bench_gen_reference [count] > reference.ndjson
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

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

int main(int argc, char **argv)
{
    static const char *const names[] = {"zhangle", "lisi", "wangwu", "zhaoliu", "sunqi"};
    static const char *const fathers[] = {"zhangsan", "lisan", "wangsan"};
    static const char *const mothers[] = {"limei", "hanmei", "liumei"};
    static const char *const brands[] = {"none", "apple", "huawei", "xiaomi"};
    static const char *const tags[] = {"new", "vip", "beta", "churn", "promo"};
    long count = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    static char out_buf[1 << 20];
    setvbuf(stdout, out_buf, _IOFBF, sizeof out_buf);
    for (long i = 0; i < count; i++) {
        uint64_t r = rng_next();
        /* Picks are drawn into locals so the order of draws is defined (C
         * leaves argument evaluation order unspecified); the messages have
         * jsonscan_bench.c's shape and distribution, not necessarily its
         * exact bytes. */
        const char *name = pick(names, 5), *fa = pick(fathers, 3), *mo = pick(mothers, 3);
        const char *brand = pick(brands, 4), *tag1 = pick(tags, 5), *tag2 = pick(tags, 5);
        printf("{\"name\":\"%s-%06" PRIu64 "\",\"age\":%" PRIu64 ",\"device\":{\"os\":{\"test\":\"lag\","
               "\"member\":{\"fa\":\"%s\",\"mo\":\"%s\"}},\"brand\":\"%s\",\"version\":\"11.4.%" PRIu64
               "\"},\"event_time\":\"2024-05-%02" PRIu64 "T%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64
               ".%03" PRIu64 "Z\",\"score\":%" PRIu64 ".%04" PRIu64 ",\"tags\":[\"%s\",\"%s\"],"
               "\"city\":\"hangzhou\",\"ip\":\"10.%" PRIu64 ".%" PRIu64 ".%" PRIu64 "\",\"active\":%s}\n",
               name, r % 1000000, 18 + r % 60, fa, mo, brand, r % 10, 1 + r % 28, r % 24, r % 60,
               (r >> 8) % 60, (r >> 16) % 1000, (r >> 20) % 1000, (r >> 30) % 10000, tag1, tag2,
               (r >> 24) % 256, (r >> 32) % 256, (r >> 48) % 256, (r >> 40) & 1 ? "true" : "false");
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
