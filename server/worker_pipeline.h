/*
 * The worker's encoder thread: writes one scanned batch into a Parquet
 * writer while the worker scans the next (worker_pipeline.c explains the
 * ownership rules). Not a public contract.
 */
#ifndef LAKESYNC_WORKER_PIPELINE_H
#define LAKESYNC_WORKER_PIPELINE_H

#include "column_batch.h"
#include "parquet_writer.h"
#include "util/error.h"

#include <stdint.h>

typedef struct worker_pipeline worker_pipeline;

/* One write of a job: batch into writer. */
typedef struct worker_pipeline_item {
    ls_parquet_writer *writer;
    const ls_column_batch *batch;
} worker_pipeline_item;

/* Starts the thread. */
ls_code worker_pipeline_new(worker_pipeline **out, ls_error *err) LS_MUST_USE;

/* Hands writer and batch to the thread, which writes the batch into the
 * writer; both belong to the thread until the next wait returns. Waits for
 * a job still in flight first. */
void worker_pipeline_submit(worker_pipeline *p, ls_parquet_writer *writer,
                            const ls_column_batch *batch);

/* The file a routed row goes to: its writer and the batch its rows are
 * copied into first. */
typedef struct worker_pipeline_target {
    ls_parquet_writer *writer;
    ls_column_batch *batch;
} worker_pipeline_target;

/* A routed job: rows [begin, end) of batch are copied, in order, into the
 * batch of targets[route[row]]; a target batch reaching full_bytes is
 * written to its writer and emptied, and every target batch holding rows
 * is written at the end, so the job leaves them empty. cursors holds the
 * non-null value index of each batch column at row begin and is advanced
 * past the rows. Stops at the first failure. */
typedef struct worker_pipeline_route {
    const ls_column_batch *batch;
    const uint8_t *route;
    size_t begin, end;
    size_t *cursors;
    worker_pipeline_target *targets;
    size_t target_count;
    size_t full_bytes;
} worker_pipeline_route;

/* Hands a routed job to the thread (the struct is copied): the batch, the
 * route, the cursors, the targets array and their writers and batches
 * belong to the thread until the next wait returns. Waits for a job still
 * in flight first. */
void worker_pipeline_submit_route(worker_pipeline *p, const worker_pipeline_route *route);

/* The routed job on the calling thread (what the thread runs). */
ls_code worker_pipeline_run_route(const worker_pipeline_route *route, ls_error *err) LS_MUST_USE;

/* One writer of a closing job, with the close's outcome: its code, error
 * and the file's figures (to be cleaned up by the caller). The job frees
 * the writer once closed (NULL then): its buffers and compression context
 * go before the next file's close needs its own. */
typedef struct worker_pipeline_closing {
    ls_parquet_writer *writer;
    ls_code rc;
    ls_error err;
    ls_parquet_file_stats stats;
} worker_pipeline_closing;

/* Hands writers to the thread to close and free (worker_pipeline_close_writers),
 * outcomes in the items, not reported by the wait: the array and the
 * writers belong to the thread until the next wait returns. Waits for a
 * job still in flight first. */
void worker_pipeline_submit_close(worker_pipeline *p, worker_pipeline_closing *items,
                                  size_t count);

/* Closes and frees each item's writer on the calling thread (what the
 * thread runs for a closing job). */
void worker_pipeline_close_writers(worker_pipeline_closing *items, size_t count);

/* Waits until no job is in flight and reports the first failure of a job
 * since the last call (then forgotten). NULL-safe (LS_OK). */
ls_code worker_pipeline_wait(worker_pipeline *p, ls_error *err) LS_MUST_USE;

/* Waits until no job is in flight; a failure stays for the next wait. */
void worker_pipeline_idle(worker_pipeline *p);

/* Waits and forgets any failure: the files are being given up. */
void worker_pipeline_discard(worker_pipeline *p);

/* Lets a job in flight finish, stops the thread. NULL-safe. */
void worker_pipeline_free(worker_pipeline *p);

#endif
