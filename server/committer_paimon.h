/*
 * The committer's Paimon side, internal to the committer module: committer.c
 * owns the striped locks and calls these with the table's lock held (create
 * and commit). Same contract as the Iceberg path (committer.h), with the
 * table's latest snapshot file as the truth:
 *
 *   1. read the latest snapshot (ls_paimon_table_read over the object store);
 *   2. fence against its lakesync.offsets property (offsets.h);
 *   3. check every data file is where Paimon looks for it
 *      (<location>/<partition dirs>/bucket-0/<name>) with the claimed size;
 *   4. write the manifest and manifest lists, then snapshot/snapshot-<id>
 *      only if absent (losing that race to another writer: re-read, re-plan),
 *      then the LATEST/EARLIEST hints;
 *   5. compare-and-swap the `tables` pointer to the new snapshot's path.
 */
#ifndef LAKESYNC_COMMITTER_PAIMON_H
#define LAKESYNC_COMMITTER_PAIMON_H

#include <jansson.h>
#include <stdbool.h>

#include "committer.h"
#include "paimon_meta.h"

/* True when the catalog holds ref as a Paimon table (false on any error:
 * the Iceberg path then reports it). */
bool ls_committer_paimon_is_table(ls_store *store, const ls_table_ref *ref);

/* See ls_committer_create_paimon (committer.h). */
ls_code ls_committer_paimon_create(ls_store *store, const ls_table_ref *ref, const char *location,
                                   const ls_iceberg_schema *schema,
                                   const ls_iceberg_partition_spec *spec,
                                   ls_error *err) LS_MUST_USE;

/* See ls_committer_offsets (committer.h); out is initialized here. */
ls_code ls_committer_paimon_offsets(ls_store *store, const ls_table_ref *ref, ls_offsets *out,
                                    ls_error *err) LS_MUST_USE;

/* See ls_committer_commit_json (committer.h); result must be initialized by
 * the caller (zeroed, offsets with ls_offsets_init). */
ls_code ls_committer_paimon_commit(ls_store *store, const ls_table_ref *ref, const char *job_id,
                                   const char *topic, const json_t *request,
                                   ls_commit_result *result, ls_error *err) LS_MUST_USE;

/* See ls_committer_schema_id (committer.h). */
ls_code ls_committer_paimon_schema_id(ls_store *store, const ls_table_ref *ref, int64_t *id_out,
                                      ls_error *err) LS_MUST_USE;

/* See ls_committer_evolve_schema (committer.h). */
ls_code ls_committer_paimon_evolve(ls_store *store, const ls_table_ref *ref,
                                   const ls_iceberg_schema *proposed, int64_t *schema_id_out,
                                   bool *changed_out, ls_error *err) LS_MUST_USE;

/* Lands the dead-letter part of the table's latest snapshot in
 * "<table>__dlq" if it has not landed yet (see ls_committer_commit_json).
 * LS_OK when there is nothing to do. Called with the table's lock held. */
ls_code ls_committer_paimon_roll_forward(ls_store *store, const ls_table_ref *ref,
                                         ls_error *err) LS_MUST_USE;

/* A compaction to commit: removed names live files (partition, bucket and
 * file name are matched; the rest is taken from the table), added are the
 * new files' ADD entries holding the same rows. Both borrowed. */
typedef struct ls_paimon_compaction {
    const ls_paimon_manifest_entry *removed;
    size_t removed_count;
    const ls_paimon_manifest_entry *added;
    size_t added_count;
} ls_paimon_compaction;

/* Commits a COMPACT snapshot on the latest one: DELETE entries of the
 * removed files, ADD entries of the new ones, the latest snapshot's
 * lakesync.job-id, lakesync.offsets and (dead-letter tables)
 * lakesync.source-snapshot carried over, then moves the catalog pointer.
 * Dead letters pending from the latest commit land first. The caller holds the table's commit lock. LS_ERR_CONFLICT when a
 * removed file is no longer live (nothing written); LS_ERR_INVALID when the
 * rows differ; storage errors. */
ls_code ls_committer_paimon_compact(ls_store *store, const ls_table_ref *ref,
                                    const ls_paimon_compaction *job, int64_t *snapshot_id_out,
                                    ls_error *err) LS_MUST_USE;

#endif
