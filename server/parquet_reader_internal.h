/*
 * Internals shared by the Parquet reader's files: the decoded footer
 * (parquet_reader_meta.c), page and value decoding (parquet_reader_page.c)
 * and the reader itself (parquet_reader.c). Not a public contract.
 */
#ifndef LAKESYNC_PARQUET_READER_INTERNAL_H
#define LAKESYNC_PARQUET_READER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parquet_reader.h"
#include "util/buf.h"
#include "util/error.h"

/* Unsigned 128-bit arithmetic for decimals (shifts of negative values are
 * done unsigned). */
__extension__ typedef unsigned __int128 pq_uint128;

/* parquet.thrift enums used by the reader. */
enum {
    PQ_REQUIRED = 0,
    PQ_OPTIONAL = 1,
    PQ_REPEATED = 2,
};
enum {
    PQ_ENC_PLAIN = 0,
    PQ_ENC_PLAIN_DICTIONARY = 2,
    PQ_ENC_RLE = 3,
    PQ_ENC_BIT_PACKED = 4,
    PQ_ENC_DELTA_BINARY_PACKED = 5,
    PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
    PQ_ENC_DELTA_BYTE_ARRAY = 7,
    PQ_ENC_RLE_DICTIONARY = 8,
    PQ_ENC_BYTE_STREAM_SPLIT = 9,
};
enum {
    PQ_PAGE_DATA = 0,
    PQ_PAGE_INDEX = 1,
    PQ_PAGE_DICTIONARY = 2,
    PQ_PAGE_DATA_V2 = 3,
};
enum {
    PQ_CODEC_UNCOMPRESSED = 0,
    PQ_CODEC_SNAPPY = 1,
    PQ_CODEC_GZIP = 2,
    PQ_CODEC_ZSTD = 6,
};

/* One SchemaElement, with the parts of LogicalType the reader maps. */
typedef struct pq_schema_element {
    char *name;   /* owned, NUL-terminated */
    int32_t type; /* physical type, -1 for groups */
    int32_t type_length;
    int32_t repetition; /* -1 when absent (the root) */
    int32_t num_children;
    int32_t converted_type; /* -1 when absent */
    int32_t scale, precision;
    bool has_field_id;
    int32_t field_id;
    int32_t logical;      /* LogicalType union field id, 0 when absent */
    int32_t logical_unit; /* TimeUnit union field id (1 millis, 2 micros, 3 nanos) */
    bool logical_utc;     /* TIMESTAMP / TIME isAdjustedToUTC */
    int32_t logical_scale, logical_precision;
    int32_t int_bit_width; /* INTEGER */
    bool int_signed;
} pq_schema_element;

/* One ColumnChunk with its ColumnMetaData. */
typedef struct pq_chunk_meta {
    int32_t type;
    int32_t codec;
    int64_t num_values;
    int64_t total_uncompressed;
    int64_t total_compressed;
    int64_t data_page_offset;
    bool has_dictionary_page_offset;
    int64_t dictionary_page_offset;
    bool has_file_path; /* data in another file: unsupported */
    bool has_meta_data;
    ls_parquet_chunk_stats stats;
} pq_chunk_meta;

typedef struct pq_row_group {
    int64_t num_rows;
    pq_chunk_meta *chunks; /* leaf_count of them */
} pq_row_group;

typedef struct pq_key_value {
    char *key;   /* owned */
    char *value; /* owned, "" when absent */
    size_t value_len;
} pq_key_value;

typedef struct pq_file_meta {
    int32_t version;
    int64_t num_rows;
    char *created_by; /* owned, "" when absent */
    pq_schema_element *schema;
    size_t schema_count;
    size_t leaf_count;
    pq_row_group *row_groups;
    size_t row_group_count;
    pq_key_value *key_values;
    size_t key_value_count;
} pq_file_meta;

/* Decodes FileMetaData from the footer bytes (which must outlive meta: the
 * statistics point into them). Checks counts against the caps but not the
 * schema's shape (the reader does that). LS_ERR_FORMAT / LS_ERR_TOO_LARGE /
 * LS_ERR_NOMEM; meta is cleaned up on failure. */
ls_code pq_file_meta_decode(const uint8_t *data, size_t len, const ls_parquet_reader_options *opts,
                            pq_file_meta *meta, ls_error *err) LS_MUST_USE;

void pq_file_meta_cleanup(pq_file_meta *meta);

/* How a column's physical values become the batch's storage. */
typedef enum pq_conversion {
    PQ_CONV_BOOL,       /* BOOLEAN -> uint8 */
    PQ_CONV_INT32,      /* INT32 -> int32 */
    PQ_CONV_INT32_I64,  /* INT32 -> int64 (decimals, via sign extension) */
    PQ_CONV_UINT32_I64, /* INT32 read unsigned -> int64 */
    PQ_CONV_INT64,      /* INT64 -> int64 */
    PQ_CONV_INT64_I128, /* INT64 -> int128 (decimal stored wide) */
    PQ_CONV_UINT64_I128,
    PQ_CONV_MILLIS, /* INT64 millis -> micros */
    PQ_CONV_NANOS,  /* INT64 nanos -> micros */
    PQ_CONV_INT96,  /* INT96 (nanos of day, Julian day) -> micros */
    PQ_CONV_FLOAT,
    PQ_CONV_DOUBLE,
    PQ_CONV_BYTES,      /* BYTE_ARRAY / FLBA -> bytes */
    PQ_CONV_DECIMAL_BE, /* BYTE_ARRAY / FLBA big-endian two's complement -> int64/int128 */
} pq_conversion;

/* Where decoded values go: a batch column's buffers or a dictionary's. For
 * byte values offsets holds uint32 end offsets after a leading 0. */
typedef struct pq_values {
    ls_buf *values;  /* fixed-width values */
    ls_buf *offsets; /* bytes storage only */
    ls_buf *bytes;   /* bytes storage only */
    size_t count;
} pq_values;

/* What the page decoder needs to know about a column. */
typedef struct pq_column_desc {
    int32_t physical;
    int32_t type_length;
    bool required;
    pq_conversion conversion;
    ls_storage storage;
    const char *name;
} pq_column_desc;

/* Per-reader scratch reused across chunks, so reading allocates only when a
 * chunk needs more than any before it. */
typedef struct pq_scratch {
    ls_buf page;    /* decompressed page body */
    ls_buf indices; /* delta-decoded integers or lengths of one page */
    ls_buf dict_values, dict_offsets, dict_bytes;
    ls_buf delta_prefix; /* DELTA_BYTE_ARRAY prefix lengths */
    ls_buf delta_bytes;  /* DELTA_BYTE_ARRAY reconstruction */
    void *zstd;          /* ZSTD_DCtx, created on first use */
} pq_scratch;

void pq_scratch_init(pq_scratch *s, size_t max_page_bytes);
void pq_scratch_cleanup(pq_scratch *s);

/* Decodes every page of one column chunk (chunk bytes, len) into col, which
 * must receive exactly expected_rows rows. */
ls_code pq_chunk_decode(const pq_column_desc *desc, int32_t codec, const uint8_t *chunk, size_t len,
                        int64_t expected_rows, pq_scratch *scratch, ls_column *col,
                        size_t max_batch_bytes, ls_error *err) LS_MUST_USE;

#endif
