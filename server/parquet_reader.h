/*
 * A Parquet reader for flat schemas (apache/parquet-format;
 * ../shared/reference/FORMAT-DIGEST.md section 3): the counterpart of
 * parquet_writer.h, used by the table preview, fixture checks and compaction.
 *
 * Input comes through a read-at callback (offset, length), so a local file, a
 * memory buffer and object-store range GETs all work. Opening reads the
 * footer; reading fetches one column chunk at a time and decodes it into an
 * ls_column_batch (column_batch.h), so memory is bounded by the largest
 * column chunk and page plus the batch itself, each under a cap.
 *
 * Readable columns are the top-level primitive fields (REQUIRED or OPTIONAL).
 * Top-level groups (structs, lists, maps) and REPEATED fields are listed as
 * skipped fields and cannot be read. Supported: data pages v1 and v2,
 * dictionary pages (PLAIN_DICTIONARY / RLE_DICTIONARY), PLAIN, RLE booleans,
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
 * BYTE_STREAM_SPLIT values, RLE definition levels; codecs UNCOMPRESSED,
 * SNAPPY, GZIP, ZSTD. Anything else is LS_ERR_FORMAT naming what was found.
 *
 * Type mapping (physical + logical/converted type -> ls_type):
 *   BOOLEAN -> boolean
 *   INT32 -> int; + DATE -> date; + INT(8/16/32, signed) -> int;
 *     + INT(8/16, unsigned) -> int; + INT(32, unsigned) -> bigint;
 *     + DECIMAL(P,S) -> decimal(P,S); + TIME(MILLIS) -> int (raw)
 *   INT64 -> bigint; + TIMESTAMP(MILLIS|MICROS|NANOS) -> timestamp, or
 *     timestamptz when isAdjustedToUTC (converted TIMESTAMP_MILLIS/MICROS
 *     alone: timestamptz, as the legacy types meant UTC instants), values
 *     converted to microseconds (nanoseconds floor-divided);
 *     + INT(64, unsigned) -> decimal(20,0); + DECIMAL -> decimal;
 *     + TIME(MICROS|NANOS) -> bigint (raw)
 *   INT96 -> timestamp (legacy Impala/Spark nanosecond timestamps, in micros)
 *   FLOAT -> float; DOUBLE -> double
 *   BYTE_ARRAY + STRING/UTF8/JSON/ENUM -> string; + DECIMAL -> decimal;
 *     else binary
 *   FIXED_LEN_BYTE_ARRAY + DECIMAL -> decimal; else binary
 * Decimals with precision above 38 read as binary (the unscaled bytes).
 *
 * Hostile input: every length and count read from the file is checked
 * against the file size and a cap before use; corrupt or truncated files give
 * LS_ERR_FORMAT (caps: LS_ERR_TOO_LARGE), never a crash. Page CRCs are not
 * verified. Not supported (LS_ERR_FORMAT): LZ4 / LZ4_RAW / BROTLI codecs,
 * BIT_PACKED definition levels, column chunks in other files, encrypted
 * footers.
 *
 * A reader keeps scratch buffers between calls: use it from one thread at a
 * time (separate readers may run in parallel).
 */
#ifndef LAKESYNC_PARQUET_READER_H
#define LAKESYNC_PARQUET_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "column_batch.h"
#include "schema_type.h"
#include "util/error.h"

/* Reads exactly len bytes at offset into out. Returns LS_OK or fills err. */
typedef ls_code (*ls_parquet_read_at_fn)(void *ctx, uint64_t offset, void *out, size_t len,
                                         ls_error *err);

typedef struct ls_parquet_source {
    ls_parquet_read_at_fn read_at;
    void *ctx;           /* passed to read_at; borrowed */
    uint64_t size_bytes; /* the object's size */
} ls_parquet_source;

typedef struct ls_parquet_reader_options {
    size_t max_footer_bytes;    /* default 16 MiB */
    size_t max_chunk_bytes;     /* default 512 MiB: one compressed column chunk */
    size_t max_page_bytes;      /* default 256 MiB: one uncompressed page */
    size_t max_batch_bytes;     /* default 2 GiB: the batch of one row group read */
    uint32_t max_columns;       /* default 10000 schema elements */
    uint32_t max_column_chunks; /* default 262144: row groups x leaf columns */
} ls_parquet_reader_options;

/* Fills options with the defaults above. */
void ls_parquet_reader_options_init(ls_parquet_reader_options *options);

/* Parquet physical types (parquet.thrift Type). */
typedef enum ls_parquet_physical {
    LS_PARQUET_BOOLEAN = 0,
    LS_PARQUET_INT32 = 1,
    LS_PARQUET_INT64 = 2,
    LS_PARQUET_INT96 = 3,
    LS_PARQUET_FLOAT = 4,
    LS_PARQUET_DOUBLE = 5,
    LS_PARQUET_BYTE_ARRAY = 6,
    LS_PARQUET_FIXED_LEN_BYTE_ARRAY = 7,
} ls_parquet_physical;

/* A readable column. Strings are owned by the reader. */
typedef struct ls_parquet_reader_column {
    const char *name;
    bool has_field_id;
    int32_t field_id;
    ls_type type;  /* what values are decoded to */
    bool required; /* REQUIRED (no definition levels) */
    ls_parquet_physical physical;
    int32_t type_length;    /* FIXED_LEN_BYTE_ARRAY only */
    int32_t converted_type; /* parquet.thrift ConvertedType, -1 when absent */
    int32_t logical_type;   /* parquet.thrift LogicalType union field id, 0 when absent */
    size_t leaf_index;      /* position among all leaf columns (column chunks) */
} ls_parquet_reader_column;

/* Statistics of one column chunk as stored (parquet.thrift Statistics).
 * min/max are PLAIN encoded physical values (BYTE_ARRAY without the length
 * prefix) and point into the reader's footer: valid until _free. min_value /
 * max_value are the current fields; legacy_min / legacy_max the deprecated
 * ones (signed order only), given separately so the caller chooses. */
typedef struct ls_parquet_chunk_stats {
    ls_parquet_physical physical;
    int32_t codec;      /* parquet.thrift CompressionCodec */
    int64_t num_values; /* including nulls */
    int64_t total_compressed_bytes;
    int64_t total_uncompressed_bytes;
    bool has_null_count;
    int64_t null_count;
    bool has_distinct_count;
    int64_t distinct_count;
    const uint8_t *min_value, *max_value; /* NULL when absent */
    size_t min_value_len, max_value_len;
    const uint8_t *legacy_min, *legacy_max;
    size_t legacy_min_len, legacy_max_len;
} ls_parquet_chunk_stats;

typedef struct ls_parquet_reader ls_parquet_reader;

/* Opens a file through source (borrowed: it must outlive the reader) and
 * reads its footer. LS_ERR_FORMAT for anything that is not a well-formed
 * Parquet file (bad magic, corrupt metadata, a column chunk outside the
 * file, an unsupported schema element), LS_ERR_TOO_LARGE past a cap, or the
 * source's error. options may be NULL. NULL on failure with err filled; the
 * caller frees with ls_parquet_reader_free. */
ls_parquet_reader *ls_parquet_reader_open(const ls_parquet_source *source,
                                          const ls_parquet_reader_options *options, ls_error *err);

/* Opens a file held whole in memory (borrowed: it must outlive the reader). */
ls_parquet_reader *ls_parquet_reader_open_buffer(const void *data, size_t len,
                                                 const ls_parquet_reader_options *options,
                                                 ls_error *err);

/* Opens a local file with pread; the reader owns the descriptor.
 * LS_ERR_NOT_FOUND / LS_ERR_IO when it cannot be opened. */
ls_parquet_reader *ls_parquet_reader_open_path(const char *path,
                                               const ls_parquet_reader_options *options,
                                               ls_error *err);

/* Frees the reader. NULL-safe. */
void ls_parquet_reader_free(ls_parquet_reader *reader);

/* File-level metadata. */
uint64_t ls_parquet_reader_row_count(const ls_parquet_reader *reader);
size_t ls_parquet_reader_row_group_count(const ls_parquet_reader *reader);
uint64_t ls_parquet_reader_row_group_rows(const ls_parquet_reader *reader, size_t row_group);
int32_t ls_parquet_reader_version(const ls_parquet_reader *reader);
const char *ls_parquet_reader_created_by(const ls_parquet_reader *reader); /* "" if absent */

/* Footer key_value_metadata, in file order. *value is NUL-terminated (and
 * *value_len excludes the NUL); an absent value is "". An index past the
 * count gives NULL key and value. */
size_t ls_parquet_reader_metadata_count(const ls_parquet_reader *reader);
void ls_parquet_reader_metadata_at(const ls_parquet_reader *reader, size_t index, const char **key,
                                   const char **value, size_t *value_len);

/* Readable columns, in schema order. */
size_t ls_parquet_reader_column_count(const ls_parquet_reader *reader);
const ls_parquet_reader_column *ls_parquet_reader_column_at(const ls_parquet_reader *reader,
                                                            size_t index);

/* Index of the readable column named name, or -1. */
long ls_parquet_reader_column_find(const ls_parquet_reader *reader, const char *name);

/* Top-level fields that cannot be read (nested groups, repeated fields). */
size_t ls_parquet_reader_skipped_count(const ls_parquet_reader *reader);
const char *ls_parquet_reader_skipped_name(const ls_parquet_reader *reader, size_t index);

/* Statistics of one column chunk (column indexes readable columns).
 * LS_ERR_INVALID for an index out of range. */
ls_code ls_parquet_reader_chunk_stats(const ls_parquet_reader *reader, size_t row_group,
                                      size_t column, ls_parquet_chunk_stats *out,
                                      ls_error *err) LS_MUST_USE;

/* Creates a batch for a projection: columns lists readable column indexes
 * (NULL with column_count 0 means all columns). Its cap is the reader's
 * max_batch_bytes. NULL on allocation failure or a bad index. The caller
 * frees it with ls_column_batch_free. */
ls_column_batch *ls_parquet_reader_batch_new(const ls_parquet_reader *reader, const size_t *columns,
                                             size_t column_count);

/* Reads one row group's projected columns into batch (reset first), which
 * must come from ls_parquet_reader_batch_new with the same projection
 * (LS_ERR_INVALID otherwise). On error the batch holds partial data and
 * should only be reset or freed. */
ls_code ls_parquet_reader_read_row_group(ls_parquet_reader *reader, size_t row_group,
                                         const size_t *columns, size_t column_count,
                                         ls_column_batch *batch, ls_error *err) LS_MUST_USE;

#endif
