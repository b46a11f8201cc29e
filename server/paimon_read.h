/*
 * Reading a Paimon table's metadata: the latest (or a given) snapshot, its
 * schema, and the live data files (ADD minus DELETE entries of the base and
 * delta manifest lists), with their partition values and row counts. Storage
 * is abstract: the caller gives a "read object by path" callback (paths are
 * relative to the table root, e.g. "snapshot/LATEST"), so the same code
 * serves a local directory and an object store. Reading the rows themselves
 * needs a Parquet reader and is not done here.
 *
 * Snapshot hints follow Paimon's SnapshotManager: LATEST is trusted only when
 * snapshot-<LATEST+1> does not exist, EARLIEST only when snapshot-<EARLIEST>
 * exists; otherwise the snapshot directory is listed (when the storage can
 * list) or snapshot ids are probed upward from the hint.
 */
#ifndef LAKESYNC_PAIMON_READ_H
#define LAKESYNC_PAIMON_READ_H

#include <stddef.h>
#include <stdint.h>

#include "paimon_meta.h"
#include "util/buf.h"
#include "util/error.h"

typedef struct ls_paimon_storage {
    /* Appends the whole object at path to out. LS_ERR_NOT_FOUND when it does
     * not exist; any other code is a failure to report. */
    ls_code (*read)(void *ctx, const char *path, ls_buf *out, ls_error *err);
    /* Optional (NULL when the storage cannot list): appends the names of the
     * objects directly under dir ("snapshot"), each followed by a NUL. */
    ls_code (*list)(void *ctx, const char *dir, ls_buf *names, ls_error *err);
    void *ctx;
} ls_paimon_storage;

/* Caps on what a table may hold (LS_ERR_TOO_LARGE past them). */
#define LS_PAIMON_MAX_METADATA_BYTES ((size_t)256 << 20) /* one metadata object */
#define LS_PAIMON_MAX_SNAPSHOT_PROBES 100000

/* A storage over a local directory (the table root), for file:// tables and
 * tests. root is borrowed and must outlive the storage. */
ls_paimon_storage ls_paimon_storage_for_dir(const char *root);

typedef struct ls_paimon_live_file {
    char *path;                     /* relative to the table root */
    ls_paimon_manifest_entry entry; /* kind ADD; partition, bucket, DataFileMeta */
} ls_paimon_live_file;

typedef struct ls_paimon_table {
    int64_t earliest_snapshot_id; /* 0 when the table has no snapshot */
    int64_t latest_snapshot_id;
    bool has_snapshot;
    ls_paimon_snapshot snapshot; /* the snapshot read */
    ls_paimon_schema schema;     /* schema-<snapshot.schemaId>, or the newest schema */
    ls_paimon_manifest_meta *base_metas; /* records of the base manifest list */
    size_t base_meta_count;
    ls_paimon_manifest_meta *delta_metas; /* records of the delta manifest list */
    size_t delta_meta_count;
    ls_paimon_live_file *files; /* in manifest order */
    size_t file_count;
    int64_t row_count; /* sum of the live files' row counts */
    const ls_paimon_manifest_entry **live_entries; /* &files[i].entry, for merging */
} ls_paimon_table;

/* Paimon's manifest.merge-min-count: merge a snapshot's manifests into one
 * once it has this many. */
#define LS_PAIMON_MANIFEST_MERGE_MIN_COUNT 30

/* Sets the previous-snapshot fields of a commit input from a table read:
 * previous (NULL without a snapshot), the base and delta records, and, when
 * the snapshot has LS_PAIMON_MANIFEST_MERGE_MIN_COUNT or more manifests, a
 * merged base of its live files. in borrows from table, which must outlive
 * the planning. */
void ls_paimon_commit_input_set_previous(ls_paimon_commit_input *in, const ls_paimon_table *table);

/* Reads the latest snapshot's state. A table with schema files but no
 * snapshot reads as has_snapshot false, no files, the newest schema.
 * LS_ERR_NOT_FOUND when there is no schema-0 (not a Paimon table),
 * LS_ERR_FORMAT for corrupt metadata, storage errors as the callback gave
 * them. *out is the caller's (ls_paimon_table_free). */
ls_code ls_paimon_table_read(const ls_paimon_storage *storage, ls_paimon_table **out,
                             ls_error *err) LS_MUST_USE;

/* Same for a given snapshot id (LS_ERR_NOT_FOUND when it does not exist). */
ls_code ls_paimon_table_read_snapshot(const ls_paimon_storage *storage, int64_t snapshot_id,
                                      ls_paimon_table **out, ls_error *err) LS_MUST_USE;

void ls_paimon_table_free(ls_paimon_table *table);

/* The table's newest schema file (the highest schema-<id>), which a writer
 * uses even when the latest snapshot names an older one (SchemaManager
 * latest()). out is uninitialized storage. LS_ERR_NOT_FOUND when there is no
 * schema-0. */
ls_code ls_paimon_newest_schema(const ls_paimon_storage *storage, ls_paimon_schema *out,
                                ls_error *err) LS_MUST_USE;

/* Schema <id> (LS_ERR_NOT_FOUND when absent); out is uninitialized storage. */
ls_code ls_paimon_read_schema(const ls_paimon_storage *storage, int64_t id,
                              ls_paimon_schema *out, ls_error *err) LS_MUST_USE;

/* Latest and earliest snapshot ids by Paimon's hint rules (0 when none). */
ls_code ls_paimon_latest_snapshot_id(const ls_paimon_storage *storage, int64_t *id_out,
                                     ls_error *err) LS_MUST_USE;
ls_code ls_paimon_earliest_snapshot_id(const ls_paimon_storage *storage, int64_t *id_out,
                                       ls_error *err) LS_MUST_USE;

/* The ids of a table's schema files (schema/schema-<N>) and snapshot files
 * (snapshot/snapshot-<N>, N >= 1), ascending, in *ids_out (malloc'd, the
 * caller frees; NULL when there are none). Listed when the storage can list;
 * otherwise schema ids are probed from 0 up to the first missing one, and
 * snapshot ids run from the earliest to the latest (expiry removes the oldest
 * first). LS_ERR_TOO_LARGE past LS_PAIMON_MAX_SNAPSHOT_PROBES probes. */
ls_code ls_paimon_schema_ids(const ls_paimon_storage *storage, int64_t **ids_out,
                             size_t *count_out, ls_error *err) LS_MUST_USE;
ls_code ls_paimon_snapshot_ids(const ls_paimon_storage *storage, int64_t **ids_out,
                               size_t *count_out, ls_error *err) LS_MUST_USE;

#endif
