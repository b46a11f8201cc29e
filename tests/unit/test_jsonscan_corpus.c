/*
 * Replays tests/data/jsonscan_corpus/ through the differential check of the
 * fuzz target (tests/fuzz/jsonscan_diff.h), so CI exercises it without
 * libFuzzer: every seed and every past crasher must keep jsonscan and jansson
 * in agreement.
 */
#include "testing.h"

#include <dirent.h>

#include "jsonscan_diff.h"

#define CORPUS_DIR LAKESYNC_SOURCE_DIR "/tests/data/jsonscan_corpus"

TEST(replay)
{
    DIR *dir = opendir(CORPUS_DIR);
    CHECK(dir);
    size_t files = 0, failures = 0;
    for (struct dirent *d; (d = readdir(dir));) {
        if (d->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, CORPUS_DIR "/%s", d->d_name);
        size_t len;
        char *data = testing_read_file(path, &len);
        char why[512];
        if (jsonscan_differential_check((const uint8_t *)data, len, why, sizeof why)) {
            fprintf(stderr, "%s: %s\n", d->d_name, why);
            failures++;
        }
        free(data);
        files++;
    }
    closedir(dir);
    CHECK(files >= 50);
    CHECK_EQ_INT(failures, 0);
}

/* Agreeing inputs pass: valid, invalid for both, and a jansson limit. */
TEST(check_passes_agreeing_inputs)
{
    char why[512];
    /* Both accept this; the check passes. */
    CHECK_EQ_INT(
        jsonscan_differential_check((const uint8_t *)"{\"a\":[1,2.5,\"x\"]}", 17, why, sizeof why),
        0);
    /* A BOM: both reject it, so they agree. */
    CHECK_EQ_INT(jsonscan_differential_check((const uint8_t *)"\xef\xbb\xbf{}", 5, why, sizeof why),
                 0);
    /* jansson cannot hold this integer; jsonscan accepts it as valid JSON. */
    CHECK_EQ_INT(jsonscan_differential_check((const uint8_t *)"[123456789012345678901234567890]",
                                             32, why, sizeof why),
                 0);
}
