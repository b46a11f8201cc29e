/*
 * Small text helpers shared by modules that must not depend on a JSON
 * library: UTF-8 validation and base64 (RFC 4648, standard alphabet, padded).
 */
#ifndef LAKESYNC_UTIL_TEXT_H
#define LAKESYNC_UTIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when data[0..len) is valid UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). */
bool ls_utf8_valid(const uint8_t *data, size_t len);

/* The length of the base64 text of len bytes (without a NUL). */
size_t ls_base64_encoded_len(size_t len);

/* Writes the base64 text of data into out, which must hold
 * ls_base64_encoded_len(len) bytes (no NUL is written). */
void ls_base64_encode(const uint8_t *data, size_t len, char *out);

#endif
