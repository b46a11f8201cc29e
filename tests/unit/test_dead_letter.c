/* The dead-letter row builder: every column filled as dead_letter.h says,
 * bytes that are not UTF-8 as base64, tombstones and keyless messages as
 * nulls, a full batch refusing the row without a trace. */
#include "testing.h"

#include "dead_letter.h"

static ls_column_batch *new_batch(size_t max_bytes)
{
    ls_type types[LS_DEAD_LETTER_COLUMN_COUNT];
    for (size_t i = 0; i < LS_DEAD_LETTER_COLUMN_COUNT; i++) {
        types[i] = (ls_type){.kind = ls_dead_letter_columns[i].kind};
        CHECK_EQ_INT(ls_dead_letter_columns[i].field_id, (int)i + 1);
    }
    ls_column_batch *b = ls_column_batch_new(types, LS_DEAD_LETTER_COLUMN_COUNT, max_bytes);
    CHECK(b != NULL);
    return b;
}

/* The text of string column col at row (which must be its value_index'th
 * non-null value), or NULL for a null. */
static char *text_at(const ls_column_batch *b, size_t col, size_t row, size_t value_index)
{
    const ls_column *c = &b->columns[col];
    if (!ls_column_is_valid(c, row))
        return NULL;
    size_t len = 0;
    const uint8_t *p = ls_column_bytes_at(c, value_index, &len);
    char *out = malloc(len + 1);
    memcpy(out, p, len);
    out[len] = '\0';
    return out;
}

static void check_text(const ls_column_batch *b, size_t col, size_t row, size_t value_index,
                       const char *expected)
{
    char *got = text_at(b, col, row, value_index);
    if (!expected)
        CHECK(got == NULL);
    else
        CHECK_EQ_STR(got, expected);
    free(got);
}

TEST(rows_hold_every_column)
{
    ls_column_batch *b = new_batch((size_t)1 << 20);
    ls_error err;
    ls_error_clear(&err);
    ls_dead_letter_record r = {.job_id = "job1", .topic = "events", .partition = 3, .offset = 42,
                               .timestamp_ms = 1700000000123, .key = (const uint8_t *)"k1",
                               .key_len = 2, .value = (const uint8_t *)"{\"a\":", .value_len = 5,
                               .error_kind = "invalid_json", .error_field = "",
                               .error_message = "unexpected end", .error_offset = 5,
                               .ingested_at_ms = 1700000001000};
    CHECK_OK(ls_dead_letter_append(b, &r, &err), &err);
    CHECK_EQ_INT(b->row_count, 1);
    check_text(b, 0, 0, 0, "job1");
    check_text(b, 1, 0, 0, "events");
    CHECK_EQ_INT(((const int32_t *)(const void *)b->columns[2].values.data)[0], 3);
    CHECK_EQ_INT(((const int64_t *)(const void *)b->columns[3].values.data)[0], 42);
    CHECK(((const int64_t *)(const void *)b->columns[4].values.data)[0] == 1700000000123000LL);
    check_text(b, 5, 0, 0, "k1");
    check_text(b, 6, 0, 0, "utf8");
    check_text(b, 7, 0, 0, "{\"a\":");
    check_text(b, 8, 0, 0, "utf8");
    check_text(b, 9, 0, 0, "invalid_json");
    check_text(b, 10, 0, 0, "");
    CHECK_EQ_INT(((const int64_t *)(const void *)b->columns[11].values.data)[0], 5);
    check_text(b, 12, 0, 0, "unexpected end");
    CHECK(((const int64_t *)(const void *)b->columns[13].values.data)[0] == 1700000001000000LL);
    ls_column_batch_free(b);
}

TEST(binary_is_base64_and_absent_is_null)
{
    ls_column_batch *b = new_batch((size_t)1 << 20);
    ls_error err;
    ls_error_clear(&err);
    /* Invalid UTF-8 (a lone continuation byte) in the value, no key. */
    ls_dead_letter_record r = {.job_id = "j", .topic = "t", .timestamp_ms = -1,
                               .value = (const uint8_t *)"\x80\xff\x00", .value_len = 3,
                               .error_kind = "invalid_utf8", .error_message = "bad"};
    CHECK_OK(ls_dead_letter_append(b, &r, &err), &err);
    CHECK(!ls_column_is_valid(&b->columns[4], 0)); /* unknown timestamp */
    check_text(b, 5, 0, 0, NULL);
    check_text(b, 6, 0, 0, NULL);
    check_text(b, 7, 0, 0, "gP8A");
    check_text(b, 8, 0, 0, "base64");
    /* A tombstone: no value at all, distinct from an empty one. */
    ls_dead_letter_record tombstone = {.job_id = "j", .topic = "t", .timestamp_ms = 5,
                                       .key = (const uint8_t *)"\xfe", .key_len = 1,
                                       .error_kind = "tombstone", .error_message = "null value"};
    CHECK_OK(ls_dead_letter_append(b, &tombstone, &err), &err);
    check_text(b, 5, 1, 0, "/g==");
    check_text(b, 6, 1, 0, "base64");
    check_text(b, 7, 1, 1, NULL);
    check_text(b, 8, 1, 1, NULL);
    ls_dead_letter_record empty = {.job_id = "j", .topic = "t", .value = (const uint8_t *)"",
                                   .error_kind = "invalid_json", .error_message = "empty"};
    CHECK_OK(ls_dead_letter_append(b, &empty, &err), &err);
    check_text(b, 7, 2, 1, "");
    check_text(b, 8, 2, 1, "utf8");
    ls_column_batch_free(b);
}

TEST(a_full_batch_refuses_the_row_whole)
{
    ls_column_batch *b = new_batch(4096);
    ls_error err;
    ls_error_clear(&err);
    static uint8_t big[3000];
    memset(big, 'x', sizeof big);
    ls_dead_letter_record r = {.job_id = "j", .topic = "t", .value = big, .value_len = sizeof big,
                               .error_kind = "type_mismatch", .error_message = "m"};
    CHECK_OK(ls_dead_letter_append(b, &r, &err), &err); /* the first row always fits */
    size_t bytes = ls_column_batch_bytes(b);
    CHECK_EQ_INT(ls_dead_letter_append(b, &r, &err), LS_ERR_TOO_LARGE);
    CHECK_EQ_INT(b->row_count, 1);
    CHECK_EQ_INT(ls_column_batch_bytes(b), bytes);
    ls_column_batch_free(b);
}

TEST(names_carry_the_suffix)
{
    char name[16];
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_dead_letter_table_name("events", name, sizeof name, &err), &err);
    CHECK_EQ_STR(name, "events__dlq");
    CHECK(ls_dead_letter_is_name(name));
    CHECK(!ls_dead_letter_is_name("events"));
    CHECK_EQ_INT(ls_dead_letter_table_name("a_long_table_name", name, sizeof name, &err),
                 LS_ERR_TOO_LARGE);
}
