/*
 * The committer: the only writer of table pointers (DESIGN.md "Tables and
 * catalog"). It creates Iceberg and Paimon tables and commits workers' data
 * files to them, each commit one snapshot, atomically. For Iceberg:
 *
 *   1. read the table's pointer (SQLite) and its metadata file;
 *   2. fence: the request's offset ranges must start where the current
 *      snapshot's lakesync.offsets end (offsets.h) — else LS_ERR_CONFLICT
 *      and nothing is written;
 *   3. check every data file lies under the table's data/ and has the size
 *      the worker claims (a cut-short upload is refused);
 *   4. write the manifest and manifest list, then the next
 *      metadata/vN.metadata.json with create-if-absent, which is durable
 *      when it returns;
 *   5. compare-and-swap the pointer inside a SQLite transaction;
 *   6. rewrite metadata/version-hint.text so path-based readers find vN.
 * A crash between 4 and 5 leaves an unreferenced metadata file (an orphan,
 * never read); the next commit finds that name taken and writes the next
 * free one (at most 16 orphans skipped per commit).
 *
 * Paimon tables follow the same steps with the latest snapshot file as the
 * truth (committer_paimon.h): fence against its lakesync.offsets property,
 * write manifests, create snapshot/snapshot-<id> only if absent, then move
 * the pointer to it. ls_committer_offsets and ls_committer_commit_json serve
 * both formats, dispatching on the table's format in the catalog.
 *
 * Commits to one table are serialized inside the process (striped locks);
 * commits to different tables run in parallel. The SQLite compare-and-swap
 * also protects against a second server process.
 */
#ifndef LAKESYNC_COMMITTER_H
#define LAKESYNC_COMMITTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iceberg_types.h"
#include "objstore.h"
#include "offsets.h"
#include "store_db.h"
#include "util/error.h"

#define LS_COMMITTER_MAX_FILES 100000 /* data files in one commit request */

typedef struct ls_committer ls_committer;

/* store is borrowed and must outlive the committer. */
ls_code ls_committer_new(ls_store *store, ls_committer **out, ls_error *err) LS_MUST_USE;
void ls_committer_free(ls_committer *c);

/* Where and how to reach a table's files. */
typedef struct ls_table_ref {
    const char *database;
    const char *table;
    const ls_objstore_options *storage; /* credentials for the table location; NULL: env */
} ls_table_ref;

/* Creates an Iceberg v2 table at location (fully qualified, no trailing
 * slash) with schema and spec: metadata/v1.metadata.json, version-hint.text
 * and its row in `tables`. LS_ERR_CONFLICT when the table already exists in
 * the catalog; LS_ERR_NOT_FOUND when the database does not. */
ls_code ls_committer_create_iceberg(ls_committer *c, const ls_table_ref *ref,
                                    const char *location, const ls_iceberg_schema *schema,
                                    const ls_iceberg_partition_spec *spec,
                                    ls_error *err) LS_MUST_USE;

/* Creates a Paimon append table (bucket -1, Parquet files, Avro manifests)
 * at location (fully qualified, no trailing slash): schema/schema-0 with
 * schema's fields (their ids, which must increase from 1; all nullable) and
 * spec's identity fields as partition keys, created only if absent, and its
 * row in `tables` with format 'paimon' pointing at schema-0 until the first
 * snapshot. LS_ERR_CONFLICT when the table exists in the catalog or the
 * location already holds a schema-0; LS_ERR_UNPROCESSABLE for a partition
 * transform other than identity. */
ls_code ls_committer_create_paimon(ls_committer *c, const ls_table_ref *ref,
                                   const char *location, const ls_iceberg_schema *schema,
                                   const ls_iceberg_partition_spec *spec,
                                   ls_error *err) LS_MUST_USE;

/* The dead-letter table's fixed schema (dead_letter.h) into an initialized
 * schema. */
ls_code ls_committer_dead_letter_schema(ls_iceberg_schema *out, ls_error *err) LS_MUST_USE;

/* Creates ref's dead-letter table "<table>__dlq" (dead_letter.h) in the same
 * database and format, unpartitioned, at location + "__dlq", unless the
 * catalog already has it (then LS_OK and nothing changes). location is the
 * job's table location (no trailing slash). */
ls_code ls_committer_ensure_dead_letter(ls_committer *c, const ls_table_ref *ref, bool paimon,
                                        const char *location, ls_error *err) LS_MUST_USE;

/* The table's committed offsets (empty when it has no snapshot). */
ls_code ls_committer_offsets(ls_committer *c, const ls_table_ref *ref, ls_offsets *out,
                             ls_error *err) LS_MUST_USE;

/* What a commit produced. offsets is initialized by the commit call and
 * cleaned up by the caller (ls_offsets_cleanup) whatever it returns. */
typedef struct ls_commit_result {
    int64_t snapshot_id;     /* 0 when nothing was written */
    int64_t sequence_number;
    ls_offsets offsets;      /* after the commit; the table's current ones on conflict */
} ls_commit_result;

/* Commits a request in the JSON form of docs/worker-protocol.md
 * (POST /internal/v1/jobs/{id}/commits): ranges and files with typed bounds,
 * read against the table's current schema. job_id and topic are recorded in
 * the snapshot summary (lakesync.job-id, lakesync.offsets). A request with
 * no files only advances offsets (a snapshot with no manifest added).
 * Paimon data files must lie at <location>/<partition dirs>/bucket-0/<name>
 * with the directories as Paimon names them; the answer's sequence_number
 * is then the snapshot id. A request's optional "schema_id" (Paimon) is the
 * schema its files were written with: their DataFileMeta schemaId and the
 * schema their stats are read against (default: the newest).
 * dead_letter_files (same form as files, unpartitioned, under the dead-letter
 * table's location) go to "<table>__dlq" in the same commit: for Iceberg
 * both pointers move in one SQLite transaction (both tables land or
 * neither); for Paimon, whose snapshot files are the truth, the job's
 * snapshot lands first carrying the dead-letter files in its property
 * lakesync.dead-letter-files, then the dead-letter snapshot records
 * lakesync.source-snapshot; a dead-letter part that did not land is
 * completed (rolled forward) before the table's next commit and when its
 * offsets are read, so every dead letter lands exactly once.
 * LS_ERR_UNPROCESSABLE when dead letters come for a table without its
 * dead-letter table.
 * Errors: LS_ERR_CONFLICT when fenced (result->offsets = the table's);
 * LS_ERR_INVALID naming the field for a malformed request or a file outside
 * the table or of the wrong size; LS_ERR_UNAVAILABLE/LS_ERR_IO from storage. */
ls_code ls_committer_commit_json(ls_committer *c, const ls_table_ref *ref, const char *job_id,
                                 const char *topic, const json_t *request,
                                 ls_commit_result *result, ls_error *err) LS_MUST_USE;

/* The table's current schema id: Iceberg's current-schema-id, Paimon's
 * newest schema file. Workers send it back with their commits (the schema
 * their files were written with). */
ls_code ls_committer_schema_id(ls_committer *c, const ls_table_ref *ref, int64_t *id_out,
                               ls_error *err) LS_MUST_USE;

/* Schema evolution, serialized with the table's commits: makes proposed
 * (every column of the table by id, in order) the table's current schema.
 * Allowed changes are those of ls_iceberg_metadata_evolve_schema: new
 * optional columns with ids above the table's last column id, and the type
 * promotions of ls_type_promotes; a column absent from proposed is kept.
 * Iceberg: a new metadata file (schemas, current-schema-id, last-column-id,
 * metadata-log) and the pointer moved to it. Paimon: schema/schema-<N+1>
 * (created only if absent) with the new fields and highestFieldId; commits
 * after it use the newest schema. *schema_id_out is the table's current
 * schema id afterwards; *changed_out whether this call changed it (false
 * when the table already had proposed, e.g. another worker asked first).
 * LS_ERR_CONFLICT for a change the format refuses (nothing written). */
ls_code ls_committer_evolve_schema(ls_committer *c, const ls_table_ref *ref,
                                   const ls_iceberg_schema *proposed, int64_t *schema_id_out,
                                   bool *changed_out, ls_error *err) LS_MUST_USE;

#endif
