/*
 * A streaming Parquet writer for flat schemas (apache/parquet-format;
 * ../shared/reference/FORMAT-DIGEST.md section 3).
 *
 * Rows arrive as column batches (column_batch.h) whose column order is the
 * writer's. Each column chunk is dictionary encoded (PLAIN dictionary page +
 * RLE_DICTIONARY data pages) until its dictionary grows past a cap
 * (dictionary_max_bytes / _entries) or does not pay off (over half of the
 * first 4096 values distinct, or dictionary + indices no smaller than PLAIN
 * at the end of the first page), then PLAIN for the rest of the chunk (pages
 * already written keep their dictionary); every row group decides afresh.
 * Booleans are always PLAIN. Data pages are v1 with RLE definition levels for
 * optional columns; pages are compressed with the chosen codec. Statistics
 * (min_value/max_value/null_count, TypeDefinedOrder) are written per column
 * chunk.
 *
 * Memory is bounded: a row group's compressed pages are buffered per column
 * and go to the sink when the row group closes (at row_group_bytes); the file
 * is never held whole. On any error the writer stops: later calls fail with
 * the same code, no footer is written, and the sink's owner must abort the
 * object (util/sink.h), so a cut-short file is never presented as complete.
 *
 * Types: boolean BOOLEAN; int INT32; bigint INT64; float FLOAT; double DOUBLE;
 * decimal(P,S) INT32 (P <= 9), INT64 (P <= 18), FIXED_LEN_BYTE_ARRAY of the
 * minimum bytes (P > 18), all annotated DECIMAL; string BYTE_ARRAY + STRING;
 * binary BYTE_ARRAY; date INT32 DATE; timestamp INT64 TIMESTAMP(MICROS,
 * isAdjustedToUTC=false); timestamptz INT64 TIMESTAMP(MICROS, true). Every
 * column carries its field_id. Floats: NaN never enters min/max (counted in
 * nan_count); a min of +0.0 is written as -0.0 and a max of -0.0 as +0.0, as
 * parquet.thrift asks; infinities are ordinary values.
 */
#ifndef LAKESYNC_PARQUET_WRITER_H
#define LAKESYNC_PARQUET_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "column_batch.h"
#include "schema_type.h"
#include "util/error.h"
#include "util/sink.h"

/* Codec ids are parquet.thrift's CompressionCodec values. */
typedef enum ls_parquet_codec {
    LS_PARQUET_CODEC_NONE = 0,
    LS_PARQUET_CODEC_SNAPPY = 1,
    LS_PARQUET_CODEC_GZIP = 2,
    LS_PARQUET_CODEC_ZSTD = 6,
} ls_parquet_codec;

/* Parses "zstd", "snappy", "gzip", "none" (or "uncompressed"). */
ls_code ls_parquet_codec_parse(const char *text, ls_parquet_codec *out, ls_error *err) LS_MUST_USE;

/* The codec's name as ls_parquet_codec_parse accepts it. */
const char *ls_parquet_codec_name(ls_parquet_codec codec);

typedef struct ls_parquet_column_spec {
    const char *name; /* copied by ls_parquet_writer_new */
    int32_t field_id;
    ls_type type;
    bool required; /* REQUIRED column: a null in a batch is an error */
} ls_parquet_column_spec;

typedef struct ls_parquet_key_value {
    const char *key; /* both copied by ls_parquet_writer_new */
    const char *value;
} ls_parquet_key_value;

typedef struct ls_parquet_options {
    ls_parquet_codec codec;       /* default zstd */
    int compression_level;        /* 0 = the codec's lakesync default (zstd 3, gzip 6) */
    uint64_t row_group_bytes;     /* default 128 MiB: buffered bytes that close a row group */
    size_t page_bytes;            /* default 1 MiB: raw value bytes that close a page */
    bool dictionary;              /* default true */
    size_t dictionary_max_bytes;  /* default 1 MiB: PLAIN size that makes a chunk fall back */
    uint32_t dictionary_max_entries; /* default 65536 */
    const char *root_name;        /* default "table" (Paimon: "paimon_schema") */
    const ls_parquet_key_value *metadata; /* footer key_value_metadata, may be NULL */
    size_t metadata_count;
} ls_parquet_options;

/* Fills options with the defaults above. */
void ls_parquet_options_init(ls_parquet_options *options);

/* Statistics of one column over the whole file, for Iceberg manifests and
 * Paimon stats. Bounds are untruncated (strings may be long: callers truncate).
 * Which bound member is meaningful follows ls_type_storage(type): BOOL, INT32,
 * INT64 -> min_int/max_int (bool as 0/1, decimals with P <= 18 as unscaled);
 * FLOAT, DOUBLE -> min_double/max_double (float converted exactly);
 * INT128 -> min_int128/max_int128 (unscaled decimal); BYTES -> min_bytes/max_bytes. */
typedef struct ls_parquet_column_stats {
    int32_t field_id;
    ls_type type;
    uint64_t compressed_bytes; /* sum of the chunks' total_compressed_size (column_sizes) */
    uint64_t value_count;      /* values including nulls and NaN */
    uint64_t null_count;
    uint64_t nan_count;        /* float and double only, else 0 */
    bool has_min_max;          /* false when every value is null (or NaN) */
    int64_t min_int, max_int;
    double min_double, max_double;
    ls_int128 min_int128, max_int128;
    uint8_t *min_bytes, *max_bytes; /* owned by the stats */
    size_t min_bytes_len, max_bytes_len;
} ls_parquet_column_stats;

typedef struct ls_parquet_file_stats {
    uint64_t row_count;
    uint64_t file_size_bytes;
    uint64_t *split_offsets; /* start offset of each row group */
    size_t row_group_count;
    ls_parquet_column_stats *columns; /* one per column, in the writer's order */
    size_t column_count;
} ls_parquet_file_stats;

/* Frees what the stats own; the struct is zeroed. NULL-safe. */
void ls_parquet_file_stats_cleanup(ls_parquet_file_stats *stats);

typedef struct ls_parquet_writer ls_parquet_writer;

/* Creates a writer that writes to sink (borrowed; it must outlive the writer)
 * and writes the leading magic. options may be NULL for the defaults.
 * LS_ERR_INVALID for an empty schema, a column without a name, or bad options;
 * the sink's error when the first write fails. Returns NULL on failure with err
 * filled. The caller frees with ls_parquet_writer_free. */
ls_parquet_writer *ls_parquet_writer_new(const ls_parquet_column_spec *columns, size_t column_count,
                                         const ls_parquet_options *options, ls_sink *sink,
                                         ls_error *err);

/* Appends the batch's completed rows. The batch must have the writer's column
 * count and types (LS_ERR_INVALID otherwise); a null in a required column is
 * LS_ERR_INVALID and leaves the writer failed. May write closed row groups to
 * the sink. The batch is not modified. */
ls_code ls_parquet_writer_write_batch(ls_parquet_writer *writer, const ls_column_batch *batch,
                                      ls_error *err) LS_MUST_USE;

/* Writes the last row group and the footer. On success fills *stats (may be
 * NULL; the caller cleans it up with ls_parquet_file_stats_cleanup). After
 * close (successful or not) only _free is allowed. */
ls_code ls_parquet_writer_close(ls_parquet_writer *writer, ls_parquet_file_stats *stats,
                                ls_error *err) LS_MUST_USE;

/* Marks the writer failed without writing more; the caller aborts the sink.
 * NULL-safe. */
void ls_parquet_writer_abort(ls_parquet_writer *writer);

/* Frees the writer. NULL-safe. Does not touch the sink. */
void ls_parquet_writer_free(ls_parquet_writer *writer);

/* Rows written so far (including those not yet flushed). */
uint64_t ls_parquet_writer_row_count(const ls_parquet_writer *writer);

/* Bytes written to the sink plus bytes buffered for the open row group: an
 * estimate of the file size so far, for callers that roll files at a size. */
uint64_t ls_parquet_writer_estimated_bytes(const ls_parquet_writer *writer);

/* The minimum bytes of a FIXED_LEN_BYTE_ARRAY holding a decimal of precision
 * P (1..38): the smallest n with 2^(8n-1) > 10^P. */
int ls_parquet_decimal_bytes(int precision);

#endif
