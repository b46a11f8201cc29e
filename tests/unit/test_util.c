#include "testing.h"

#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"
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
