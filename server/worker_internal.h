/*
 * The worker's state, shared by worker.c (the loop, commits, heartbeats) and
 * worker_files.c (open files and routing). Not a public contract.
 */
#ifndef LAKESYNC_WORKER_INTERNAL_H
#define LAKESYNC_WORKER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "control_client.h"
#include "dead_letter.h"
#include "jsonscan.h"
#include "kafka_consumer.h"
#include "objstore.h"
#include "worker_pipeline.h"
#include "worker.h"

#define MAX_OPEN_FILES 64                   /* open partition files per worker */
#define STAGING_MAX_BYTES ((size_t)8 << 20) /* scanned rows before routing */
#define STAGING_MAX_ROWS 4096
/* Closed files waiting for a commit: past the soft cap the worker commits
 * after the current message. One message flushes the staging batch at most
 * once, and a flush closes at most one file per row plus the open ones, so
 * the hard cap (the array's size) cannot be reached. */
#define WAITING_FILES_SOFT_CAP 1024
#define MAX_WAITING_FILES (WAITING_FILES_SOFT_CAP + STAGING_MAX_ROWS + MAX_OPEN_FILES)
_Static_assert(MAX_OPEN_FILES <= 256, "a staging row's file slot is a byte (route)");
#define FILE_BATCH_MAX_BYTES ((size_t)1 << 20) /* routed rows before the Parquet writer */
#define ROW_GROUP_MAX_BYTES ((uint64_t)32 << 20)
/* Buffered in all open files: commit early past it. Encoded pages are only
 * part of what an open file holds (dictionaries, routed batches, writer
 * state), so with 28 day partitions open the worker's peak RSS is well
 * above this (bench/e2e_worker.sh with LAKESYNC_BENCH_PARTITION=day: 320 MiB
 * at 160; at 96 MiB 237-261 MiB, 214-222 MiB once the worker keeps large
 * buffers mapped, see keep_large_buffers_mapped in worker.c). */
#define BUFFER_BUDGET_BYTES ((uint64_t)96 << 20)

typedef struct worker_file {
    char *path;        /* partition path, "" when unpartitioned */
    char *key;         /* object key under the data location */
    json_t *partition; /* {"name": value} for the commit */
    ls_objstore_upload *upload;
    ls_parquet_writer *writer;
    ls_column_batch *batch; /* partitioned tables: rows routed here first */
    /* The partition key (ls_worker_partition_key) of the row that opened
     * it: rows with this key go here without formatting their path. */
    uint8_t *route_key;
    size_t route_key_len;
    uint64_t last_used;
} worker_file;

typedef struct waiting_file {
    char *key;
    json_t *json;     /* the commit request's "files" entry */
    bool dead_letter; /* a file of the dead-letter table ("dead_letter_files") */
} waiting_file;

typedef struct worker {
    ls_worker_spec spec;
    int worker_index;
    ls_control_client *control;
    ls_kafka_consumer *consumer;
    ls_objstore *store;
    ls_jsonscan_plan *plan;
    ls_type *types;
    ls_parquet_column_spec *columns;
    ls_parquet_options parquet;
    ls_worker_partitioner partitioner;
    ls_column_batch *staging;
    /* The batch the encoder thread is writing or routing (or last did),
     * swapped with staging at each flush; NULL until the first. */
    ls_column_batch *spare;
    worker_pipeline *pipeline; /* the encoder thread, started by the first flush */
    /* Partitioned tables: each staging row's file (its slot in files), the
     * files as the encoder thread's job names them, and the value cursors
     * the thread copies rows with (worker_files.c). */
    uint8_t route[STAGING_MAX_ROWS];
    worker_pipeline_target targets[MAX_OPEN_FILES];
    size_t *route_cursors;
    /* A commit's closing writers (worker_close_all_files). */
    worker_pipeline_closing closing[MAX_OPEN_FILES];
    size_t *cursors;
    worker_file files[MAX_OPEN_FILES];
    size_t file_count;
    waiting_file done[MAX_WAITING_FILES];
    size_t done_count;
    ls_worker_ranges ranges;
    /* The dead-letter table (worker_dlq.c): one open file at a time,
     * unpartitioned; NULL store when the spec has no dead-letter table. */
    ls_objstore *dead_store;
    ls_column_batch *dead_batch;
    ls_parquet_column_spec dead_columns[LS_DEAD_LETTER_COLUMN_COUNT];
    worker_file dead_file;
    bool dead_open;
    /* The error-ratio window: messages and rejections since it began. */
    int64_t window_messages, window_errors;
    json_t *offsets_cache; /* the table's offsets, for the current assignment */
    char uuid[40];
    uint64_t file_sequence, use_clock;
    bool commit_soon; /* a cap was crossed: commit at the next chance */
    bool additions_refused; /* the server refused new columns: take rows without them */
    bool stop;        /* graceful stop requested (signal or heartbeat) */
    bool failed;      /* failure holds why the worker must exit */
    bool fatal;       /* ... and a restart cannot fix it */
    ls_error failure;
    /* Metrics since start. */
    uint64_t messages, rows, bytes, errors, files_written, commits, fenced, dead_letter_rows;
    uint64_t duplicate_key_rows; /* rows from messages with duplicate keys */
    int64_t last_snapshot_id;
    uint64_t last_commit_ms, last_heartbeat_ms, heartbeat_interval_ms;
} worker;

/* worker_evolve.c: the schema built from the spec, and its evolution. */
bool worker_evolving(const worker *w);
ls_code worker_schema_build(worker *w, ls_error *err) LS_MUST_USE;
void worker_schema_free(worker *w);
/* Starts the unmapped-path set over once it holds many (null-only) paths. */
void worker_unmapped_tidy(worker *w);
/* The proposal of the new fields of a held message (NULL in *out when none
 * has a value to type it by); the unmapped set starts over. */
ls_code worker_additions_proposal(worker *w, const uint8_t *value, size_t len, json_t **out,
                                  ls_error *err) LS_MUST_USE;
/* The proposal widening the columns of record's source, or NULL when the
 * policy or the value's kind allows none. */
json_t *worker_widen_proposal(const worker *w, const ls_jsonscan_error *record);
/* Turns an unresolved type_mismatch / out_of_range into type_conflict,
 * naming the column, its type and the value's. */
void worker_type_conflict(const worker *w, ls_jsonscan_error *record);
/* Rebuilds the spec and schema from the server's answer to a proposal. */
ls_code worker_apply_schema(worker *w, const json_t *answer, ls_error *err) LS_MUST_USE;
/* worker.c: opens an object store at location with the spec's credentials. */
ls_code worker_open_store(worker *w, const char *location, ls_objstore **out,
                          ls_error *err) LS_MUST_USE;

/* worker_files.c */
/* Finishes f (footer, upload) and adds it to the waiting list with its
 * commit JSON (location: where its key lives); f is emptied whatever
 * happens. */
ls_code worker_file_finish(worker *w, worker_file *f, const char *location, bool dead_letter,
                           ls_error *err) LS_MUST_USE;
ls_code worker_flush_staging(worker *w, ls_error *err) LS_MUST_USE;
ls_code worker_close_file(worker *w, size_t i, ls_error *err) LS_MUST_USE;
ls_code worker_close_all_files(worker *w, ls_error *err) LS_MUST_USE;
void worker_file_abort(worker_file *f);
/* Lets the encoder thread finish its batch and forgets its failure: for
 * code about to abort the open files or free the batches. */
void worker_files_quiesce(worker *w);
bool worker_has_file(const worker *w, const char *path);
uint64_t worker_buffered_bytes(const worker *w);
/* Forgets the files waiting for a commit, deleting their objects when asked. */
void worker_drop_waiting_files(worker *w, bool delete_objects);

/* worker_dlq.c: the dead-letter table's file. */
/* Opens the dead-letter store and batch when the spec has a table. */
ls_code worker_dlq_setup(worker *w, ls_error *err) LS_MUST_USE;
/* Appends a rejected message (kind: the error kind's name, or "tombstone")
 * to the open dead-letter file, opening one when needed. */
ls_code worker_dlq_add(worker *w, const ls_kafka_message *m, const char *kind,
                       const ls_jsonscan_error *record, ls_error *err) LS_MUST_USE;
/* Closes the open dead-letter file into the waiting list (before a commit). */
ls_code worker_dlq_close(worker *w, ls_error *err) LS_MUST_USE;
/* Drops the open dead-letter file and its unwritten rows. */
void worker_dlq_abort(worker *w);
void worker_dlq_cleanup(worker *w);

#endif
