/* Parquet writer stats -> Iceberg manifest metrics, end to end in memory. */
#include <math.h>
#include <string.h>

#include "iceberg_parquet.h"
#include "testing.h"

TEST(parquet_stats_to_manifest)
{
    ls_error err = {0};
    ls_type types[4] = {{.kind = LS_TYPE_BIGINT}, {.kind = LS_TYPE_STRING},
                        {.kind = LS_TYPE_DOUBLE}, {.kind = LS_TYPE_DECIMAL, .precision = 10, .scale = 2}};
    ls_parquet_column_spec cols[4] = {{"id", 1, types[0], true},
                                      {"name", 2, types[1], false},
                                      {"score", 3, types[2], false},
                                      {"price", 4, types[3], false}};
    ls_buf file;
    ls_buf_init(&file, 1 << 24);
    ls_sink sink = ls_sink_for_buf(&file);
    ls_parquet_writer *w = ls_parquet_writer_new(cols, 4, NULL, &sink, &err);
    CHECK(w != NULL);
    ls_column_batch *batch = ls_column_batch_new(types, 4, 1 << 20);
    static const char *names[] = {"alpha", "a name that is longer than sixteen", NULL};
    static const double scores[] = {1.5, -2.0, NAN};
    for (int r = 0; r < 3; r++) {
        ls_column_batch_row_begin(batch);
        CHECK_OK(ls_column_set_int64(&batch->columns[0], 10 - r, &err), &err);
        if (names[r])
            CHECK_OK(ls_column_set_bytes(&batch->columns[1], names[r], strlen(names[r]), &err), &err);
        else
            CHECK_OK(ls_column_set_null(&batch->columns[1], &err), &err);
        CHECK_OK(ls_column_set_double(&batch->columns[2], scores[r], &err), &err);
        CHECK_OK(ls_column_set_int64(&batch->columns[3], (r - 1) * 1234, &err), &err);
        CHECK_OK(ls_column_batch_row_end(batch, &err), &err);
    }
    CHECK_OK(ls_parquet_writer_write_batch(w, batch, &err), &err);
    ls_parquet_file_stats stats;
    CHECK_OK(ls_parquet_writer_close(w, &stats, &err), &err);
    CHECK_EQ_INT(stats.file_size_bytes, file.len);

    ls_iceberg_column_stats cstats[4];
    int64_t offsets[8];
    ls_iceberg_data_file df;
    CHECK(stats.row_group_count <= 8);
    CHECK_OK(ls_iceberg_data_file_from_parquet(&stats, "file:///t/data/x.parquet", NULL, cstats,
                                               offsets, &df, &err),
             &err);
    CHECK_EQ_INT(df.record_count, 3);
    CHECK_EQ_INT(df.file_size_bytes, file.len);
    CHECK_EQ_INT(df.split_offset_count, 1);
    CHECK_EQ_INT(df.split_offsets[0], 4);
    CHECK_EQ_INT(cstats[1].null_value_count, 1);
    CHECK_EQ_INT(cstats[2].nan_value_count, 1);
    CHECK_EQ_INT(cstats[0].nan_value_count, -1);

    /* Into a manifest and back: serialized, truncated bounds. */
    ls_iceberg_schema schema;
    ls_iceberg_partition_spec spec;
    ls_iceberg_schema_init(&schema, 0);
    for (int i = 0; i < 4; i++)
        CHECK_OK(ls_iceberg_schema_add(&schema, cols[i].field_id, cols[i].name, types[i],
                                       cols[i].required, &err),
                 &err);
    ls_iceberg_spec_init(&spec, 0);
    ls_buf man;
    ls_buf_init(&man, 1 << 20);
    ls_iceberg_manifest_file mf;
    CHECK_OK(ls_iceberg_manifest_write(&schema, &spec, 9, 1, &df, 1, "file:///t/m.avro",
                                       LS_AVRO_CODEC_NULL, &man, &mf, &err),
             &err);
    ls_iceberg_manifest *m;
    CHECK_OK(ls_iceberg_manifest_read(man.data, man.len, &m, &err), &err);
    const ls_iceberg_manifest_entry *e = &m->entries[0];
    CHECK_EQ_INT(e->metrics_count, 4);
    CHECK_EQ_MEM(e->metrics[0].lower_bound, "\x08\0\0\0\0\0\0\0", 8);
    CHECK_EQ_MEM(e->metrics[0].upper_bound, "\x0a\0\0\0\0\0\0\0", 8);
    CHECK_EQ_INT(e->metrics[1].lower_bound_len, 16);
    CHECK_EQ_MEM(e->metrics[1].lower_bound, "a name that is l", 16);
    CHECK_EQ_INT(e->metrics[1].upper_bound_len, 5);
    CHECK_EQ_MEM(e->metrics[1].upper_bound, "alpha", 5);
    CHECK_EQ_MEM(e->metrics[2].lower_bound, "\0\0\0\0\0\0\0\xc0", 8); /* -2.0, NaN excluded */
    CHECK_EQ_MEM(e->metrics[3].lower_bound, "\xfb\x2e", 2);          /* -1234 */
    CHECK_EQ_MEM(e->metrics[3].upper_bound, "\x04\xd2", 2);          /* 1234 */
    CHECK(e->metrics[0].column_size_bytes > 0);
    CHECK_EQ_INT(e->metrics[1].value_count, 3);
    ls_iceberg_manifest_free(m);
    ls_iceberg_manifest_file_cleanup(&mf);
    ls_buf_cleanup(&man);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&schema);
    ls_parquet_file_stats_cleanup(&stats);
    ls_column_batch_free(batch);
    ls_parquet_writer_free(w);
    ls_buf_cleanup(&file);
}
