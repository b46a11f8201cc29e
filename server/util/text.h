/*
 * Small text helpers shared by modules that must not depend on a JSON
 * library: UTF-8 validation and base64 (RFC 4648, standard alphabet, padded).
 */
#ifndef LAKESYNC_UTIL_TEXT_H
#define LAKESYNC_UTIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* True when data[0..len) is valid UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). */
bool ls_utf8_valid(const uint8_t *data, size_t len);

/* a[0..len) == b[0..len), without a library call for the short keys and
 * values of hot loops: 4 to 16 bytes compare as two overlapping words, read
 * only inside both ranges; longer ones use memcmp. */
static inline bool ls_bytes_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
    if (len > 16)
        return memcmp(a, b, len) == 0;
    if (len >= 8) {
        uint64_t x[4];
        memcpy(&x[0], a, 8);
        memcpy(&x[1], b, 8);
        memcpy(&x[2], a + len - 8, 8);
        memcpy(&x[3], b + len - 8, 8);
        return x[0] == x[1] && x[2] == x[3];
    }
    if (len >= 4) {
        uint32_t x[4];
        memcpy(&x[0], a, 4);
        memcpy(&x[1], b, 4);
        memcpy(&x[2], a + len - 4, 4);
        memcpy(&x[3], b + len - 4, 4);
        return x[0] == x[1] && x[2] == x[3];
    }
    for (size_t i = 0; i < len; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* The length of the base64 text of len bytes (without a NUL). */
size_t ls_base64_encoded_len(size_t len);

/* Writes the base64 text of data into out, which must hold
 * ls_base64_encoded_len(len) bytes (no NUL is written). */
void ls_base64_encode(const uint8_t *data, size_t len, char *out);

#endif
