#include "testing.h"

#include "column_batch.h"
#include "schema_type.h"

static ls_type parse(const char *text)
{
    ls_type t;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_type_parse(text, &t, &err), &err);
    return t;
}

TEST(type_parse_and_format_round_trip)
{
    const char *names[] = {"boolean", "int",  "bigint",    "float",       "double", "string",
                           "date",    "timestamp", "timestamptz", "binary", "decimal(10,2)",
                           "decimal(38,0)"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char out[32];
        CHECK_EQ_STR(ls_type_format(parse(names[i]), out, sizeof out), names[i]);
    }
    ls_type t = parse("DECIMAL( 23 , 5 )");
    CHECK_EQ_INT(t.kind, LS_TYPE_DECIMAL);
    CHECK_EQ_INT(t.precision, 23);
    CHECK_EQ_INT(t.scale, 5);
    CHECK_EQ_INT(ls_type_storage(t), LS_STORAGE_INT128);
    CHECK_EQ_INT(ls_type_storage(parse("decimal(18,2)")), LS_STORAGE_INT64);
}

TEST(type_parse_rejects_bad_types)
{
    const char *bad[] = {"", "varchar", "decimal", "decimal(0,0)", "decimal(39,1)",
                         "decimal(5,6)", "decimal(5,2", "decimal(5,2)x", "decimal(1000,1)",
                         "decimal(-1,0)"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ls_type t;
        ls_error err;
        ls_error_clear(&err);
        CHECK_EQ_INT(ls_type_parse(bad[i], &t, &err), LS_ERR_INVALID);
        CHECK(err.message[0] != '\0');
    }
}

TEST(batch_rows_nulls_and_bytes)
{
    ls_type types[] = {parse("bigint"), parse("string")};
    ls_column_batch *batch = ls_column_batch_new(types, 2, 1 << 20);
    CHECK(batch != NULL);
    ls_error err;
    ls_error_clear(&err);
    ls_column_batch_row_begin(batch);
    CHECK_OK(ls_column_set_int64(&batch->columns[0], 7, &err), &err);
    CHECK_OK(ls_column_set_bytes(&batch->columns[1], "abc", 3, &err), &err);
    CHECK_OK(ls_column_batch_row_end(batch, &err), &err);
    ls_column_batch_row_begin(batch); /* both null */
    CHECK_OK(ls_column_batch_row_end(batch, &err), &err);
    ls_column_batch_row_begin(batch);
    CHECK_OK(ls_column_set_bytes(&batch->columns[1], "", 0, &err), &err);
    CHECK_OK(ls_column_batch_row_end(batch, &err), &err);

    CHECK_EQ_INT(batch->row_count, 3);
    ls_column *ints = &batch->columns[0], *strs = &batch->columns[1];
    CHECK_EQ_INT(ints->value_count, 1);
    CHECK(ls_column_is_valid(ints, 0) && !ls_column_is_valid(ints, 1) && !ls_column_is_valid(ints, 2));
    CHECK_EQ_INT(((int64_t *)(void *)ints->values.data)[0], 7);
    CHECK_EQ_INT(strs->value_count, 2);
    size_t len;
    const uint8_t *v = ls_column_bytes_at(strs, 0, &len);
    CHECK(len == 3 && memcmp(v, "abc", 3) == 0);
    ls_column_bytes_at(strs, 1, &len);
    CHECK_EQ_INT(len, 0);
    ls_column_batch_free(batch);
}

TEST(batch_duplicate_set_replaces_and_abort_undoes)
{
    ls_type types[] = {parse("string"), parse("int")};
    ls_column_batch *batch = ls_column_batch_new(types, 2, 1 << 20);
    ls_error err;
    ls_error_clear(&err);
    ls_column_batch_row_begin(batch);
    CHECK_OK(ls_column_set_bytes(&batch->columns[0], "first", 5, &err), &err);
    CHECK_OK(ls_column_set_bytes(&batch->columns[0], "second", 6, &err), &err);
    CHECK_OK(ls_column_set_int32(&batch->columns[1], 1, &err), &err);
    CHECK_OK(ls_column_set_null(&batch->columns[1], &err), &err);
    CHECK_OK(ls_column_batch_row_end(batch, &err), &err);

    ls_column_batch_row_begin(batch);
    CHECK_OK(ls_column_set_bytes(&batch->columns[0], "aborted", 7, &err), &err);
    CHECK_OK(ls_column_set_int32(&batch->columns[1], 9, &err), &err);
    ls_column_batch_row_abort(batch);

    CHECK_EQ_INT(batch->row_count, 1);
    size_t len;
    const uint8_t *v = ls_column_bytes_at(&batch->columns[0], 0, &len);
    CHECK(len == 6 && memcmp(v, "second", 6) == 0);
    CHECK_EQ_INT(batch->columns[0].value_count, 1);
    CHECK_EQ_INT(batch->columns[0].bytes.len, 6);
    CHECK_EQ_INT(batch->columns[1].value_count, 0);
    CHECK_EQ_INT(batch->columns[1].valid.len, 1);
    ls_column_batch_free(batch);
}

/* A refused row (row_end over the cap) removes what the row set and the
 * nulls row_end filled in, in every column kind; the next row then fits. */
TEST(batch_cap_refusal_undoes_values_and_filled_nulls)
{
    ls_type types[] = {parse("string"), parse("bigint"), parse("int")};
    ls_column_batch *batch = ls_column_batch_new(types, 3, 96);
    ls_error err;
    ls_error_clear(&err);
    ls_column_batch_row_begin(batch);
    CHECK_OK(ls_column_set_bytes(&batch->columns[0], "ab", 2, &err), &err);
    CHECK_OK(ls_column_set_int64(&batch->columns[1], 5, &err), &err);
    CHECK_OK(ls_column_batch_row_end(batch, &err), &err); /* int column: null */
    size_t before = ls_column_batch_bytes(batch);
    char big[80];
    memset(big, 'x', sizeof big);
    ls_column_batch_row_begin(batch);
    CHECK_OK(ls_column_set_bytes(&batch->columns[0], big, sizeof big, &err), &err);
    CHECK_OK(ls_column_set_int32(&batch->columns[2], 3, &err), &err);
    CHECK_EQ_INT(ls_column_batch_row_end(batch, &err), LS_ERR_TOO_LARGE); /* bigint: null */
    CHECK_EQ_INT(batch->row_count, 1);
    CHECK_EQ_INT(ls_column_batch_bytes(batch), before);
    for (size_t i = 0; i < 3; i++) {
        CHECK_EQ_INT(batch->columns[i].valid.len, 1);
        CHECK(!batch->columns[i].set_in_row);
    }
    CHECK_EQ_INT(batch->columns[0].value_count, 1);
    CHECK_EQ_INT(batch->columns[1].value_count, 1);
    CHECK_EQ_INT(batch->columns[2].value_count, 0);
    ls_column_batch_row_begin(batch);
    CHECK_OK(ls_column_set_bytes(&batch->columns[0], "cd", 2, &err), &err);
    CHECK_OK(ls_column_batch_row_end(batch, &err), &err);
    CHECK_EQ_INT(batch->row_count, 2);
    size_t len;
    const uint8_t *v = ls_column_bytes_at(&batch->columns[0], 1, &len);
    CHECK(len == 2 && memcmp(v, "cd", 2) == 0);
    CHECK(ls_column_is_valid(&batch->columns[1], 0) && !ls_column_is_valid(&batch->columns[1], 1));
    CHECK_EQ_INT(((int64_t *)(void *)batch->columns[1].values.data)[0], 5);
    ls_column_batch_free(batch);
}

TEST(batch_cap_refuses_row_and_reset_reuses)
{
    ls_type types[] = {parse("string")};
    ls_column_batch *batch = ls_column_batch_new(types, 1, 64);
    ls_error err;
    ls_error_clear(&err);
    char value[40];
    memset(value, 'v', sizeof value);
    ls_column_batch_row_begin(batch);
    CHECK_OK(ls_column_set_bytes(&batch->columns[0], value, sizeof value, &err), &err);
    CHECK_OK(ls_column_batch_row_end(batch, &err), &err); /* the first row always fits */
    ls_column_batch_row_begin(batch);
    CHECK_OK(ls_column_set_bytes(&batch->columns[0], value, sizeof value, &err), &err);
    CHECK_EQ_INT(ls_column_batch_row_end(batch, &err), LS_ERR_TOO_LARGE);
    CHECK_EQ_INT(batch->row_count, 1);
    CHECK_EQ_INT(batch->columns[0].bytes.len, sizeof value);
    ls_column_batch_reset(batch);
    CHECK_EQ_INT(batch->row_count, 0);
    CHECK_EQ_INT(ls_column_batch_bytes(batch), sizeof(uint32_t));
    ls_column_batch_free(batch);
}
