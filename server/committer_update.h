/*
 * Metadata-only changes to an Iceberg table under the committer's rules,
 * for table maintenance (maintenance.h): compaction's "replace" snapshot and
 * snapshot expiration. The change runs under the table's commit lock on the
 * metadata current at that moment, so it serializes with ingestion commits
 * and never works from a stale snapshot; the result is stored as the next
 * metadata version (create-if-absent) and the pointer moves by
 * compare-and-swap, exactly as an append commit does.
 */
#ifndef LAKESYNC_COMMITTER_UPDATE_H
#define LAKESYNC_COMMITTER_UPDATE_H

#include "committer.h"
#include "committer_paimon.h"
#include "iceberg_metadata.h"

/* The table as the update sees it: table_store is rooted at location. */
typedef struct ls_committer_table {
    ls_objstore *table_store;
    const char *location;          /* fully qualified, no trailing slash */
    const char *metadata_location; /* the current metadata file */
} ls_committer_table;

/* Changes md in place (and may store files under the table, e.g.
 * manifests). *changed = 0 leaves the table as it is. An error aborts the
 * update: nothing is committed (files it stored become orphans). */
typedef ls_code (*ls_committer_update_fn)(void *ctx, const ls_committer_table *table,
                                          ls_iceberg_metadata *md, int *changed, ls_error *err);

/* Runs update on ref's current metadata under the table's commit lock, then
 * commits md as the next metadata version. *metadata_uri_out (may be NULL)
 * receives the new metadata file, "" when nothing changed. Errors: the
 * update's; LS_ERR_NOT_FOUND for an unknown table; LS_ERR_UNPROCESSABLE for
 * a Paimon table or one without metadata; LS_ERR_CONFLICT when the pointer
 * moved under us (another server process); storage errors. */
ls_code ls_committer_update_iceberg(ls_committer *c, const ls_table_ref *ref,
                                    ls_committer_update_fn update, void *ctx,
                                    char *metadata_uri_out, size_t uri_size,
                                    ls_error *err) LS_MUST_USE;

/* Where ref's Iceberg table lives and its current metadata file, read from
 * the catalog without the lock (a view that may be stale by the time it is
 * used: updates re-read under the lock). Same errors as the update. */
#define LS_COMMITTER_URI_MAX 2048
typedef struct ls_committer_location {
    char location[LS_COMMITTER_URI_MAX];
    char metadata_location[LS_COMMITTER_URI_MAX];
} ls_committer_location;
ls_code ls_committer_iceberg_location(ls_committer *c, const ls_table_ref *ref,
                                      ls_committer_location *out, ls_error *err) LS_MUST_USE;

/* The same for a table of the given format ("iceberg", "paimon"; for
 * Paimon metadata_location is the latest snapshot file). LS_ERR_NOT_FOUND
 * when there is no such table of that format. */
ls_code ls_committer_table_location(ls_committer *c, const ls_table_ref *ref, const char *format,
                                    ls_committer_location *out, ls_error *err) LS_MUST_USE;

/* Commits a Paimon compaction (committer_paimon.h) under the table's commit
 * lock; *snapshot_id_out is the COMPACT snapshot's id. */
ls_code ls_committer_compact_paimon(ls_committer *c, const ls_table_ref *ref,
                                    const ls_paimon_compaction *job, int64_t *snapshot_id_out,
                                    ls_error *err) LS_MUST_USE;

#endif
