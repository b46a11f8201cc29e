#include "testing.h"

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"
#include "util/mapped_file.h"
#include "util/stop_clock.h"
#include "util/text.h"

TEST(error_first_message_wins)
{
    ls_error err;
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_error_set_field(&err, LS_ERR_INVALID, "sync.acus", "acus must be at least %d", 2),
                 LS_ERR_INVALID);
    CHECK_EQ_INT(ls_error_set(&err, LS_ERR_INTERNAL, "later"), LS_ERR_INVALID);
    CHECK_EQ_STR(err.message, "acus must be at least 2");
    CHECK_EQ_STR(err.field, "sync.acus");
    CHECK_EQ_STR(ls_code_name(err.code), "invalid_argument");
}

TEST(error_null_is_allowed)
{
    CHECK_EQ_INT(ls_error_set(NULL, LS_ERR_IO, "x"), LS_ERR_IO);
    ls_error_clear(NULL);
}

TEST(error_name_field_only_fills_empty)
{
    ls_error err;
    ls_error_clear(&err);
    ls_error_name_field(&err, "ignored");
    CHECK_EQ_STR(err.field, "");
    (void)ls_error_set(&err, LS_ERR_INVALID, "bad");
    ls_error_name_field(&err, "fields[2].type");
    ls_error_name_field(&err, "other");
    CHECK_EQ_STR(err.field, "fields[2].type");
}

TEST(error_message_is_truncated_not_overflowed)
{
    ls_error err;
    ls_error_clear(&err);
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    (void)ls_error_set(&err, LS_ERR_INVALID, "%s", big);
    CHECK_EQ_INT(strlen(err.message), LS_ERROR_MESSAGE_MAX - 1);
}

TEST(buf_append_and_take)
{
    ls_buf b;
    ls_buf_init(&b, 1024);
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_buf_append_str(&b, "hello ", &err), &err);
    CHECK_OK(ls_buf_printf(&b, &err, "%s %d", "world", 42), &err);
    CHECK_EQ_STR((char *)b.data, "hello world 42");
    size_t len = 0;
    char *s = (char *)ls_buf_take(&b, &len);
    CHECK_EQ_INT(len, 14);
    CHECK_EQ_STR(s, "hello world 42");
    free(s);
    CHECK(b.data == NULL && b.len == 0);
    ls_buf_cleanup(&b);
}

/* Appends of every short length take ls_buf_copy's word paths (4-7, 8-16
 * bytes) or memcpy: the bytes, the length and the NUL must come out the
 * same whichever path. */
TEST(buf_append_every_short_length)
{
    ls_error err;
    ls_error_clear(&err);
    uint8_t src[50], want[48 * 47 / 2 + 1];
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)(0xA0 + i);
    ls_buf b;
    ls_buf_init(&b, 1 << 20);
    size_t total = 0;
    for (size_t n = 0; n < 48; n++) { /* from src + 0, 1 or 2 */
        CHECK_OK(ls_buf_append(&b, src + (n % 3), n, &err), &err);
        memcpy(want + total, src + (n % 3), n);
        total += n;
        CHECK_EQ_INT(b.len, total);
        CHECK_EQ_INT(b.data[b.len], 0);
    }
    CHECK_EQ_MEM(b.data, want, total);
    ls_buf_cleanup(&b);
}

/* Short byte strings compare equal only when every byte is, including the
 * bytes only one of the two overlapping words covers. */
TEST(bytes_equal_every_short_length)
{
    uint8_t a[40], b[40];
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = b[i] = (uint8_t)('a' + i % 26);
    for (size_t n = 0; n <= 32; n++) {
        CHECK(ls_bytes_equal(a, b, n));
        for (size_t k = 0; k < n; k++) {
            b[k] ^= 0x20;
            CHECK(!ls_bytes_equal(a, b, n));
            b[k] ^= 0x20;
        }
    }
}

TEST(buf_cap_is_an_error_and_keeps_contents)
{
    ls_buf b;
    ls_buf_init(&b, 8);
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_buf_append(&b, "12345678", 8, &err), &err);
    CHECK_EQ_INT(ls_buf_append_byte(&b, '9', &err), LS_ERR_TOO_LARGE);
    CHECK_EQ_INT(b.len, 8);
    CHECK_EQ_MEM(b.data, "12345678", 8);
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_buf_printf(&b, &err, "%d", 1), LS_ERR_TOO_LARGE);
    ls_buf_cleanup(&b);
}

TEST(buf_take_of_empty_gives_empty_string)
{
    ls_buf b;
    ls_buf_init(&b, 8);
    size_t len = 99;
    char *s = (char *)ls_buf_take(&b, &len);
    CHECK(s != NULL);
    CHECK_EQ_INT(len, 0);
    CHECK_EQ_STR(s, "");
    free(s);
}

TEST(log_level_parse)
{
    ls_log_level level;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_log_level_parse("warn", &level, &err), &err);
    CHECK_EQ_INT(level, LS_LOG_WARN);
    CHECK_EQ_INT(ls_log_level_parse("loud", &level, &err), LS_ERR_INVALID);
    CHECK(strstr(err.message, "loud") != NULL);
}

#include "util/sink.h"

TEST(sink_for_buf_counts_and_respects_cap)
{
    ls_buf b;
    ls_buf_init(&b, 5);
    ls_sink sink = ls_sink_for_buf(&b);
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_sink_write(&sink, "abc", 3, &err), &err);
    CHECK_EQ_INT(sink.bytes_written, 3);
    CHECK_EQ_INT(ls_sink_write(&sink, "def", 3, &err), LS_ERR_TOO_LARGE);
    CHECK_EQ_INT(sink.bytes_written, 3);
    CHECK_EQ_MEM(b.data, "abc", 3);
    ls_buf_cleanup(&b);
}

TEST(utf8_validation_follows_rfc_3629)
{
    CHECK(ls_utf8_valid((const uint8_t *)"", 0));
    CHECK(ls_utf8_valid((const uint8_t *)"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 12));
    CHECK(!ls_utf8_valid((const uint8_t *)"\xc0\xaf", 2));         /* overlong '/' */
    CHECK(!ls_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));     /* a UTF-8 encoded surrogate */
    CHECK(!ls_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
    CHECK(!ls_utf8_valid((const uint8_t *)"\xe2\x82", 2));         /* cut short */
    CHECK(!ls_utf8_valid((const uint8_t *)"\xff", 1));
    CHECK(!ls_utf8_valid((const uint8_t *)"\x80", 1)); /* a lone continuation byte */
}

TEST(base64_pads_as_rfc_4648_says)
{
    static const char *const expected[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
                                           "Zm9vYmFy"};
    for (size_t n = 0; n <= 6; n++) {
        char out[16] = {0};
        CHECK_EQ_INT(ls_base64_encoded_len(n), strlen(expected[n]));
        ls_base64_encode((const uint8_t *)"foobar", n, out);
        CHECK_EQ_STR(out, expected[n]);
    }
}

/* ---- mapped_file ---- */

/* Creates a file holding lines lines of width bytes each (the last byte a
 * '\n'); returns a descriptor open for reading and writing. */
static int mapped_fixture(const char *name, size_t lines, size_t width)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", testing_tmpdir(), name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    char *line = malloc(width);
    CHECK(line != NULL);
    memset(line, 'x', width - 1);
    line[width - 1] = '\n';
    for (size_t i = 0; i < lines; i++)
        CHECK_EQ_INT(write(fd, line, width), (long long)width);
    free(line);
    return fd;
}

typedef struct line_log {
    size_t calls, bytes;
    size_t truncate_at_call; /* 0: never */
    off_t truncate_to;
    int fd;
    bool touch_after_truncate; /* read the line again once the file is cut */
} line_log;

static int log_line(void *ctx, const uint8_t *line, size_t len)
{
    line_log *log = ctx;
    log->calls++;
    log->bytes += len;
    if (log->calls == log->truncate_at_call) {
        CHECK_EQ_INT(ftruncate(log->fd, log->truncate_to), 0);
        if (log->touch_after_truncate && len > 0) {
            volatile uint8_t last = line[len - 1];
            (void)last;
        }
    }
    return 0;
}

/* SIGBUS's disposition, to check the guard put back what it found (the
 * default, or ASan's handler in a sanitizer build). */
static struct sigaction sigbus_now(void)
{
    struct sigaction now;
    CHECK_EQ_INT(sigaction(SIGBUS, NULL, &now), 0);
    return now;
}

static bool sigbus_same(struct sigaction a, struct sigaction b)
{
    /* sa_handler shares its storage with sa_sigaction. Flags are not
     * compared: glibc adds SA_RESTORER to any disposition it installs. */
    return a.sa_handler == b.sa_handler;
}

TEST(mapped_file_passes_every_line)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/lines", testing_tmpdir());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ_INT(write(fd, "a\nbb\n\nccc", 9), 9); /* no '\n' after the last line */
    ls_mapped_file file;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_mapped_file_map(&file, fd, 9, &err), &err);
    line_log log = {.fd = fd};
    int fn_rc = -1;
    CHECK_OK(ls_mapped_file_lines(&file, log_line, &log, &fn_rc, &err), &err);
    CHECK_EQ_INT(fn_rc, 0);
    CHECK_EQ_INT(log.calls, 4);
    CHECK_EQ_INT(log.bytes, 6);
    ls_mapped_file_unmap(&file);
    close(fd);
}

/* Truncating the file under the scan: the read past the new end that would
 * raise SIGBUS (here the callback's own, as the scanner's would be) ends the
 * scan with an error, and the handler is gone afterwards. */
TEST(mapped_file_truncated_during_the_scan_is_an_error)
{
    struct sigaction before = sigbus_now();
    const size_t width = 1024, lines = 4096; /* 4 MiB */
    int fd = mapped_fixture("cut", lines, width);
    ls_mapped_file file;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_mapped_file_map(&file, fd, lines * width, &err), &err);
    /* Line 11 starts at 10240, past the 8192 bytes left. */
    line_log log = {.fd = fd, .truncate_at_call = 11, .truncate_to = 8192,
                    .touch_after_truncate = true};
    int fn_rc = -1;
    CHECK_EQ_INT(ls_mapped_file_lines(&file, log_line, &log, &fn_rc, &err), LS_ERR_IO);
    CHECK(strstr(err.message, "input file shrank while being read") != NULL);
    CHECK_EQ_INT(log.calls, 11);
    CHECK(sigbus_same(sigbus_now(), before));
    ls_mapped_file_unmap(&file);
    close(fd);
}

/* A cut inside the last page left faults nowhere (the rest of the page reads
 * as zeros): the size check after the scan reports it. */
TEST(mapped_file_cut_within_its_last_page_is_an_error)
{
    struct sigaction before = sigbus_now();
    int fd = mapped_fixture("cut_tail", 10, 1000);
    ls_mapped_file file;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_mapped_file_map(&file, fd, 10000, &err), &err);
    line_log log = {.fd = fd, .truncate_at_call = 1, .truncate_to = 9500};
    int fn_rc = -1;
    CHECK_EQ_INT(ls_mapped_file_lines(&file, log_line, &log, &fn_rc, &err), LS_ERR_IO);
    CHECK(strstr(err.message, "now at most 9500 bytes of the 10000") != NULL);
    CHECK(sigbus_same(sigbus_now(), before));
    ls_mapped_file_unmap(&file);
    close(fd);
}

static int stop_at_second(void *ctx, const uint8_t *line, size_t len)
{
    (void)line;
    (void)len;
    return ++*(int *)ctx == 2 ? 7 : 0;
}

TEST(mapped_file_callback_stops_the_scan)
{
    int fd = mapped_fixture("stop", 5, 10);
    ls_mapped_file file;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_mapped_file_map(&file, fd, 50, &err), &err);
    int calls = 0, fn_rc = 0;
    CHECK_OK(ls_mapped_file_lines(&file, stop_at_second, &calls, &fn_rc, &err), &err);
    CHECK_EQ_INT(calls, 2);
    CHECK_EQ_INT(fn_rc, 7);
    ls_mapped_file_unmap(&file);
    close(fd);
}

TEST(stop_clock_plan_keeps_a_margin_for_cleanup_and_exit)
{
    uint64_t budget = 0, cleanup = 0;
    ls_stop_clock_plan(30000, &budget, &cleanup); /* the default grace: a tenth */
    CHECK_EQ_INT(budget, 27000);
    CHECK_EQ_INT(cleanup, 1500);
    ls_stop_clock_plan(8000, &budget, &cleanup); /* a tenth is under 2 s: 2 s */
    CHECK_EQ_INT(budget, 6000);
    CHECK_EQ_INT(cleanup, 1000);
    ls_stop_clock_plan(3000, &budget, &cleanup); /* under two margins: half */
    CHECK_EQ_INT(budget, 1500);
    CHECK_EQ_INT(cleanup, 750);
    ls_stop_clock_plan(1000, &budget, &cleanup); /* the server's smallest grace */
    CHECK_EQ_INT(budget, 500);
    CHECK_EQ_INT(cleanup, 250);
    ls_stop_clock_plan(3600000, &budget, &cleanup); /* the largest */
    CHECK_EQ_INT(budget, 3240000);
    CHECK_EQ_INT(cleanup, 180000);
    for (uint64_t grace = 1000; grace <= 100000; grace += 500) {
        ls_stop_clock_plan(grace, &budget, &cleanup);
        CHECK(budget + cleanup < grace && budget >= grace / 2 && cleanup > 0);
    }
}

TEST(stop_clock_begins_once_and_counts_down)
{
    ls_stop_clock clock;
    ls_stop_clock_init(&clock, NULL, 2000, 500);
    CHECK_EQ_INT(ls_stop_clock_deadline(&clock), 0);
    CHECK(ls_stop_clock_left_ms(&clock, false) == UINT64_MAX);
    CHECK_EQ_INT(ls_stop_clock_cap_ms(&clock, 300000, false), 300000);
    uint64_t before = ls_stop_clock_now_ms();
    ls_stop_clock_begin(&clock);
    uint64_t deadline = ls_stop_clock_deadline(&clock);
    CHECK(deadline >= before + 2000 && deadline <= ls_stop_clock_now_ms() + 2000);
    ls_stop_clock_begin(&clock); /* a second stop keeps the first deadline */
    CHECK_EQ_INT(ls_stop_clock_deadline(&clock), deadline);
    uint64_t left = ls_stop_clock_left_ms(&clock, false);
    CHECK(left <= 2000 && left > 1000);
    uint64_t with_cleanup = ls_stop_clock_left_ms(&clock, true);
    CHECK(with_cleanup >= left + 500 && with_cleanup <= 2500);
    CHECK_EQ_INT(ls_stop_clock_cap_ms(&clock, 100, false), 100);
    CHECK(ls_stop_clock_cap_ms(&clock, 300000, false) <= 2000);
    /* Over a second left: a transfer in flight gets another look. */
    CHECK(!ls_stop_clock_cut_in_flight(&clock, false));
}

TEST(stop_clock_cuts_a_transfer_in_flight_at_its_last_look)
{
    ls_stop_clock clock;
    ls_stop_clock_init(&clock, NULL, 900, 5000);
    CHECK(!ls_stop_clock_cut_in_flight(&clock, false)); /* not stopping */
    ls_stop_clock_begin(&clock);
    /* Under a second left: the next look (a second away at most) could
     * come past the deadline, so this is the last one. */
    CHECK(ls_stop_clock_cut_in_flight(&clock, false));
    CHECK(!ls_stop_clock_cut_in_flight(&clock, true)); /* cleanup: 5.9 s left */
    CHECK(!ls_stop_clock_cut_in_flight(NULL, false));
}

TEST(stop_clock_passed_deadline_leaves_nothing_but_cleanup)
{
    ls_stop_clock clock;
    ls_stop_clock_init(&clock, NULL, 0, 60000);
    ls_stop_clock_begin(&clock); /* a zero budget: the deadline is now */
    CHECK_EQ_INT(ls_stop_clock_left_ms(&clock, false), 0);
    CHECK_EQ_INT(ls_stop_clock_cap_ms(&clock, 300000, false), 0);
    uint64_t cleanup = ls_stop_clock_left_ms(&clock, true);
    CHECK(cleanup > 50000 && cleanup <= 60000);
}

TEST(stop_clock_flag_begins_the_stop_when_read)
{
    static volatile sig_atomic_t flag;
    ls_stop_clock clock;
    ls_stop_clock_init(&clock, &flag, 1000, 0);
    CHECK_EQ_INT(ls_stop_clock_deadline(&clock), 0);
    flag = 1;
    uint64_t before = ls_stop_clock_now_ms();
    uint64_t deadline = ls_stop_clock_deadline(&clock);
    CHECK(deadline >= before + 1000 && deadline <= ls_stop_clock_now_ms() + 1000);
    CHECK_EQ_INT(ls_stop_clock_deadline(NULL), 0);
    CHECK(ls_stop_clock_left_ms(NULL, true) == UINT64_MAX);
}

/* A budget too large for the clock (lakesync storage --deadline-ms takes any
 * uint64) is a deadline far away, not one wrapped round into the past. */
TEST(stop_clock_huge_budget_saturates_instead_of_wrapping)
{
    ls_stop_clock clock;
    ls_stop_clock_init(&clock, NULL, UINT64_MAX, UINT64_MAX);
    ls_stop_clock_begin(&clock);
    CHECK(ls_stop_clock_deadline(&clock) > ls_stop_clock_now_ms());
    CHECK(ls_stop_clock_left_ms(&clock, false) > (uint64_t)1 << 62);
    CHECK(ls_stop_clock_left_ms(&clock, true) >= ls_stop_clock_left_ms(&clock, false));
    CHECK(!ls_stop_clock_cut_in_flight(&clock, false));
    CHECK_EQ_INT(ls_stop_clock_cap_ms(&clock, 300000, true), 300000);
    /* A normal budget with a huge cleanup allowance: only the cleanup sum
     * could wrap. */
    ls_stop_clock_init(&clock, NULL, 60000, UINT64_MAX);
    ls_stop_clock_begin(&clock);
    CHECK(ls_stop_clock_left_ms(&clock, true) > (uint64_t)1 << 62);
}
