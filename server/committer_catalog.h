/*
 * The committers' shared access to the catalog (SQLite table `tables`) and to
 * a table's storage. Internal to the committer module: the Iceberg and Paimon
 * committers differ in their files, not in how they move a table's pointer.
 *
 * Every function runs its own short transaction (the store's rule: all access
 * inside one); none does network I/O inside it.
 */
#ifndef LAKESYNC_COMMITTER_CATALOG_H
#define LAKESYNC_COMMITTER_CATALOG_H

#include <stdint.h>

#include "committer.h"

#define LS_CATALOG_PATH_MAX 2048

/* A table's catalog row: where it lives and its current metadata file. */
typedef struct ls_table_pointer {
    char location[LS_CATALOG_PATH_MAX];
    char metadata_location[LS_CATALOG_PATH_MAX]; /* "" before the first metadata */
} ls_table_pointer;

/* Reads the row of ref with this format ("iceberg", "paimon").
 * LS_ERR_NOT_FOUND when there is none. */
ls_code ls_catalog_load(ls_store *store, const ls_table_ref *ref, const char *format,
                        ls_table_pointer *out, ls_error *err) LS_MUST_USE;

/* Moves the pointer from expected to next, only if it still is expected
 * (compare-and-swap). LS_ERR_CONFLICT when another commit moved it. */
ls_code ls_catalog_swap(ls_store *store, const ls_table_ref *ref, const char *expected,
                        const char *next, ls_error *err) LS_MUST_USE;

/* One pointer move of ls_catalog_swap_all. */
typedef struct ls_catalog_move {
    const ls_table_ref *ref;
    const char *expected, *next;
} ls_catalog_move;

/* Compare-and-swaps several pointers in ONE transaction: all move or none
 * does (a job's table and its dead-letter table commit together).
 * LS_ERR_CONFLICT naming the first table that moved on. */
ls_code ls_catalog_swap_all(ls_store *store, const ls_catalog_move *moves, size_t count,
                            ls_error *err) LS_MUST_USE;

/* Inserts the row of a new table. LS_ERR_CONFLICT when it exists. */
ls_code ls_catalog_insert(ls_store *store, const ls_table_ref *ref, const char *format,
                          const char *location, const char *metadata_location,
                          ls_error *err) LS_MUST_USE;

/* Opens the object store rooted at location with ref's credentials (the
 * environment's when ref has none). */
ls_code ls_catalog_open_storage(const char *location, const ls_table_ref *ref, ls_objstore **out,
                                ls_error *err) LS_MUST_USE;

/* Loads ref's row of this format and opens the store at its location: how
 * every committer operation on an existing table begins. *os_out is NULL
 * unless it returns LS_OK. */
ls_code ls_catalog_open(ls_store *store, const ls_table_ref *ref, const char *format,
                        ls_table_pointer *t, ls_objstore **os_out, ls_error *err) LS_MUST_USE;

/* Wall-clock milliseconds since the epoch (snapshot and creation times). */
int64_t ls_catalog_wall_ms(void);

/* ---- the Iceberg committer's internals, for committer_update.c ---- */

#include <pthread.h>

#include "iceberg_metadata.h"

/* The mutex serializing commits to ref's table in this process (for a
 * dead-letter table, its job table's: the two commit together). */
pthread_mutex_t *ls_committer_table_lock(ls_committer *c, const ls_table_ref *ref);
ls_store *ls_committer_store(ls_committer *c);

/* Reads and parses t's current metadata file. */
ls_code ls_committer_read_metadata(ls_objstore *os, const ls_table_pointer *t,
                                   ls_iceberg_metadata **out, ls_error *err) LS_MUST_USE;

/* Stores md as the first free version after t's current one
 * (create-if-absent, skipping names orphaned by failed commits; past a few
 * of them LS_ERR_CONFLICT) and gives its full URI. */
ls_code ls_committer_write_next_metadata(ls_objstore *os, const ls_table_pointer *t,
                                         const ls_iceberg_metadata *md, char *uri,
                                         size_t uri_size, ls_error *err) LS_MUST_USE;

/* Points metadata/version-hint.text at metadata_uri (failure only logged). */
void ls_committer_write_version_hint(ls_objstore *os, const char *metadata_uri);

#endif
