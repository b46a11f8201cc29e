/*
 * Reading a catalog table for the API (read-only; the committer alone writes):
 * its pointer from SQLite table `tables`, its Iceberg metadata and live files
 * through ls_objstore (file://, s3://, oss://), and its data files as Parquet
 * sources for ls_parquet_reader.
 *
 * Every path in the metadata must lie under the table's location; others are
 * LS_ERR_FORMAT, so a metadata file cannot make the server read elsewhere.
 */
#ifndef LAKESYNC_TABLE_READ_H
#define LAKESYNC_TABLE_READ_H

#include <stdint.h>

#include "iceberg_metadata.h"
#include "iceberg_table.h"
#include "objstore.h"
#include "parquet_reader.h"
#include "secret.h"
#include "store_db.h"
#include "util/error.h"

#define LS_TABLE_READ_URI_MAX 4096

typedef struct ls_table_pointer {
    char format[16]; /* "iceberg" or "paimon" */
    char location[LS_TABLE_READ_URI_MAX];
    char metadata_location[LS_TABLE_READ_URI_MAX]; /* "" before the first metadata */
} ls_table_pointer;

/* Reads the row of database.table in its own read transaction.
 * LS_ERR_NOT_FOUND when the catalog has no such table. */
ls_code ls_table_read_pointer(ls_store *store, const char *database, const char *table,
                              ls_table_pointer *out, ls_error *err) LS_MUST_USE;

/* How to reach a table's files: the destination settings of the job that
 * writes it (its secret decrypted), else the AWS_* environment. */
typedef struct ls_table_storage {
    ls_objstore_options options; /* points into the buffers below */
    char endpoint[LS_TABLE_READ_URI_MAX];
    char region[64];
    char access_key_id[256];
    char secret_access_key[256]; /* plaintext: wiped by ls_table_storage_cleanup */
} ls_table_storage;

/* Fills out from the job whose destination is database.table (the first
 * one, as a table has one writing job); without such a job the options are
 * the defaults. LS_ERR_FORMAT when its stored secret cannot be decrypted.
 * Clean up with ls_table_storage_cleanup whatever it returns. */
ls_code ls_table_read_storage(ls_store *store, const ls_secret_key *key, const char *database,
                              const char *table, ls_table_storage *out, ls_error *err) LS_MUST_USE;
void ls_table_storage_cleanup(ls_table_storage *storage);

/* An open table: its store (rooted at the location) and, for Iceberg, its
 * parsed metadata. Clean up with ls_table_read_close whatever
 * ls_table_read_open returned. */
typedef struct ls_table_open {
    ls_table_pointer pointer;
    ls_objstore *store;
    ls_iceberg_metadata *metadata; /* NULL for a Paimon table */
} ls_table_open;

/* Opens a table's store (options NULL: the AWS_* environment). For an
 * Iceberg table also reads its current metadata file (LS_ERR_NOT_FOUND when
 * it has no metadata yet or the file is gone); a Paimon table is read from
 * its store with paimon_objstore.h. LS_ERR_UNPROCESSABLE for other formats. */
ls_code ls_table_read_open(const ls_table_pointer *pointer, const ls_objstore_options *options,
                           ls_table_open *out, ls_error *err) LS_MUST_USE;
void ls_table_read_close(ls_table_open *table);

/* Opens database.table as the API reads it: its pointer, its job's storage
 * settings (ls_table_read_storage), then ls_table_read_open. Close with
 * ls_table_read_close whatever this returns. */
ls_code ls_table_read_open_named(ls_store *store, const ls_secret_key *key, const char *database,
                                 const char *table, ls_table_open *out, ls_error *err) LS_MUST_USE;
/* The same for a pointer already read (ls_table_read_pointer). */
ls_code ls_table_read_open_pointer(ls_store *store, const ls_secret_key *key,
                                   const char *database, const char *table,
                                   const ls_table_pointer *pointer, ls_table_open *out,
                                   ls_error *err) LS_MUST_USE;

/* Lists the live files of the current snapshot (iceberg_table.h); the scan
 * parses its own copy of the metadata. Free with ls_iceberg_scan_free. */
ls_code ls_table_read_scan(ls_table_open *table, ls_iceberg_scan **out, ls_error *err) LS_MUST_USE;

/* One object of the table as a Parquet source (range GETs). The struct must
 * outlive the reader that uses its source. */
typedef struct ls_table_object {
    ls_objstore *store;
    char key[LS_OBJSTORE_KEY_MAX + 1];
    ls_parquet_source source;
} ls_table_object;

/* Prepares obj for uri, which must lie under the table's location; asks the
 * store for its size. */
ls_code ls_table_read_object(ls_table_open *table, const char *uri, ls_table_object *obj,
                             ls_error *err) LS_MUST_USE;

#endif
