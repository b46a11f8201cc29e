/*
 * libFuzzer target: jsonscan against jansson (see jsonscan_diff.h). Any
 * disagreement aborts, so libFuzzer saves the input as a crasher; a crasher
 * belongs in tests/data/jsonscan_corpus/ once fixed, where the ctest replay
 * (jsonscan_corpus.replay) keeps it fixed.
 *
 *   cmake -B build-fuzz -DCMAKE_C_COMPILER=clang -DLAKESYNC_FUZZ=ON
 *   build-fuzz/fuzz_jsonscan -max_total_time=300 CORPUS_DIR tests/data/jsonscan_corpus
 */
#include <stdio.h>
#include <stdlib.h>

#include "jsonscan_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[512];
    if (jsonscan_differential_check(data, size, why, sizeof why)) {
        fprintf(stderr, "jsonscan and jansson disagree: %s\n", why);
        abort();
    }
    return 0;
}
