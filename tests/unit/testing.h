/*
 * A minimal unit-test harness (after libuv's test runner).
 *
 *   TEST(name) { CHECK(x == 1); CHECK_EQ_INT(a, b); CHECK_OK(rc, &err); }
 *
 * Each TEST registers itself at start-up. `test_<module> NAME` runs one test
 * (how ctest runs them: one process each, so a crash or leak is pinned to its
 * test); `test_<module>` with no argument runs all in one process; `--list`
 * prints the names. A failed CHECK prints file:line and the values and exits 1.
 * The CMake function lakesync_unit_test() finds tests by the regex
 * ^TEST\(name\) — keep TEST( at the start of the line.
 */
#ifndef LAKESYNC_TESTING_H
#define LAKESYNC_TESTING_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
void testing_register(const char *name, test_fn fn);
void testing_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/* Directory for a test's scratch files: created fresh per test run, under the
 * build tree; removed when the test passes. */
const char *testing_tmpdir(void);

/* Reads a whole file into a malloc'd NUL-terminated buffer; fails the test if
 * it cannot. */
char *testing_read_file(const char *path, size_t *len_out);

#define TEST(name)                                                                                 \
    static void test_##name(void);                                                                 \
    __attribute__((constructor)) static void register_##name(void)                                \
    {                                                                                              \
        testing_register(#name, test_##name);                                                     \
    }                                                                                              \
    static void test_##name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            testing_fail(__FILE__, __LINE__, "CHECK(%s) failed", #cond);                           \
    } while (0)

#define CHECK_EQ_INT(actual, expected)                                                             \
    do {                                                                                           \
        long long a_ = (long long)(actual), e_ = (long long)(expected);                            \
        if (a_ != e_)                                                                              \
            testing_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #actual, a_,       \
                         #expected, e_);                                                           \
    } while (0)

#define CHECK_EQ_STR(actual, expected)                                                             \
    do {                                                                                           \
        const char *a_ = (actual), *e_ = (expected);                                               \
        if (!a_ || !e_ || strcmp(a_, e_) != 0)                                                     \
            testing_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #actual,             \
                         a_ ? a_ : "(null)", e_ ? e_ : "(null)");                                  \
    } while (0)

#define CHECK_EQ_MEM(actual, expected, len)                                                        \
    do {                                                                                           \
        if (memcmp((actual), (expected), (len)) != 0)                                              \
            testing_fail(__FILE__, __LINE__, "%s differs from %s in its first %zu bytes",         \
                         #actual, #expected, (size_t)(len));                                       \
    } while (0)

/* rc must be LS_OK; otherwise prints the ls_error's message. errp must not
 * be NULL. */
#define CHECK_OK(rc, errp)                                                                         \
    do {                                                                                           \
        int rc_ = (int)(rc);                                                                       \
        if (rc_ != 0)                                                                              \
            testing_fail(__FILE__, __LINE__, "%s returned %d: %s (field '%s')", #rc, rc_,         \
                         (errp)->message, (errp)->field);                                          \
    } while (0)

#endif
