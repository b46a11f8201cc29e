/*
 * The differential check between jsonscan and jansson, shared by the libFuzzer
 * target (fuzz_jsonscan) and the ctest replay of tests/data/jsonscan_corpus/.
 *
 * For one input it compares: validity (ls_json_validate vs jansson's
 * json_loadb with JSON_DECODE_ANY | JSON_ALLOW_NUL), and when both accept:
 * the level-0 "__value__" text re-parsed by jansson equals jansson's document,
 * and for an object every top-level field scanned into a column typed by its
 * kind (bigint, double, boolean, string) equals jansson's value exactly.
 * Known, documented differences are excused, never hidden: jansson rejects
 * numbers that overflow its integer or double and NUL bytes in keys, it
 * stops reading at a NUL byte outside strings (so "4\0" passes), and it
 * nests to 2048 while jsonscan is checked at its limit of 1024.
 */
#ifndef LAKESYNC_JSONSCAN_DIFF_H
#define LAKESYNC_JSONSCAN_DIFF_H

#include <stddef.h>
#include <stdint.h>

/* 0 when the two agree; 1 with a description in why when they do not. */
int jsonscan_differential_check(const uint8_t *data, size_t size, char *why, size_t why_size);

#endif
