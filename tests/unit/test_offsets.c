#include "testing.h"

#include "offsets.h"

static ls_offsets parse(const char *text)
{
    ls_offsets o;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_offsets_parse(text, &o, &err), &err);
    return o;
}

static char *format(const ls_offsets *o)
{
    char *text = NULL;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_offsets_format(o, &text, &err), &err);
    return text;
}

TEST(parse_and_format_in_numeric_order)
{
    ls_offsets o = parse("{\"topic\":\"t\",\"partitions\":{\"10\":5,\"2\":99,\"0\":1234}}");
    CHECK_EQ_STR(o.topic, "t");
    CHECK_EQ_INT(o.count, 3);
    CHECK_EQ_INT(ls_offsets_get(&o, 2), 99);
    CHECK_EQ_INT(ls_offsets_get(&o, 7), -1);
    char *text = format(&o);
    CHECK_EQ_STR(text, "{\"topic\":\"t\",\"partitions\":{\"0\":1234,\"2\":99,\"10\":5}}");
    free(text);
    ls_offsets_cleanup(&o);
}

TEST(parse_rejects_bad_documents)
{
    const char *bad[] = {
        "", "[]", "{\"partitions\":{}}", "{\"topic\":\"t\"}",
        "{\"topic\":\"t\",\"partitions\":{\"x\":1}}",
        "{\"topic\":\"t\",\"partitions\":{\"-1\":1}}",
        "{\"topic\":\"t\",\"partitions\":{\"01\":1}}",
        "{\"topic\":\"t\",\"partitions\":{\"0\":-5}}",
        "{\"topic\":\"t\",\"partitions\":{\"0\":\"5\"}}",
        "{\"topic\":\"t\",\"partitions\":{\"99999999999\":1}}",
        "{\"topic\":\"t\",\"partitions\":{\"0\":1,\"0\":2}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ls_offsets o;
        ls_error err;
        ls_error_clear(&err);
        CHECK_EQ_INT(ls_offsets_parse(bad[i], &o, &err), LS_ERR_FORMAT);
        CHECK(err.message[0] != '\0');
    }
}

TEST(advance_accepts_contiguous_ranges_and_new_partitions)
{
    ls_offsets cur = parse("{\"topic\":\"t\",\"partitions\":{\"0\":100,\"1\":50}}");
    ls_offset_range ranges[] = {{3, 7, 9}, {0, 100, 160}, {1, 50, 50}};
    ls_offsets next;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_offsets_advance(&cur, "t", ranges, 3, &next, &err), &err);
    char *text = format(&next);
    CHECK_EQ_STR(text, "{\"topic\":\"t\",\"partitions\":{\"0\":160,\"1\":50,\"3\":9}}");
    free(text);
    ls_offsets_cleanup(&next);
    ls_offsets_cleanup(&cur);
}

TEST(advance_from_empty_table_takes_any_start)
{
    ls_offsets cur;
    ls_offsets_init(&cur, "");
    ls_offset_range ranges[] = {{0, 42, 50}};
    ls_offsets next;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_offsets_advance(&cur, "events", ranges, 1, &next, &err), &err);
    CHECK_EQ_STR(next.topic, "events");
    CHECK_EQ_INT(ls_offsets_get(&next, 0), 50);
    ls_offsets_cleanup(&next);
}

TEST(advance_fences_gaps_and_overlaps)
{
    ls_offsets cur = parse("{\"topic\":\"t\",\"partitions\":{\"0\":100}}");
    ls_offsets next;
    ls_error err;
    ls_error_clear(&err);
    ls_offset_range gap[] = {{0, 101, 120}};
    CHECK_EQ_INT(ls_offsets_advance(&cur, "t", gap, 1, &next, &err), LS_ERR_CONFLICT);
    CHECK(strstr(err.message, "a gap") != NULL);
    CHECK_EQ_INT(next.count, 0);
    ls_error_clear(&err);
    ls_offset_range overlap[] = {{1, 0, 5}, {0, 90, 120}};
    CHECK_EQ_INT(ls_offsets_advance(&cur, "t", overlap, 2, &next, &err), LS_ERR_CONFLICT);
    CHECK(strstr(err.message, "an overlap") != NULL);
    CHECK(strstr(err.message, "partition 0") != NULL);
    ls_offsets_cleanup(&cur);
}

TEST(advance_rejects_malformed_ranges)
{
    ls_offsets cur = parse("{\"topic\":\"t\",\"partitions\":{}}");
    ls_offsets next;
    ls_error err;
    ls_offset_range backwards[] = {{0, 10, 9}};
    ls_offset_range twice[] = {{0, 1, 2}, {0, 2, 3}};
    ls_offset_range negative[] = {{0, -1, 2}};
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_offsets_advance(&cur, "t", backwards, 1, &next, &err), LS_ERR_INVALID);
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_offsets_advance(&cur, "t", twice, 2, &next, &err), LS_ERR_INVALID);
    CHECK(strstr(err.message, "twice") != NULL);
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_offsets_advance(&cur, "t", negative, 1, &next, &err), LS_ERR_INVALID);
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_offsets_advance(&cur, "other", twice, 1, &next, &err), LS_ERR_INVALID);
    CHECK(strstr(err.message, "holds topic 't'") != NULL);
    ls_offsets_cleanup(&cur);
}
