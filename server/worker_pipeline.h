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

/* Hands a list of writes to the thread, which does them in order and stops
 * at the first failure; the array, its writers and batches belong to the
 * thread until the next wait returns (count > 0). Waits for a job still in
 * flight first. */
void worker_pipeline_submit_list(worker_pipeline *p, const worker_pipeline_item *items,
                                 size_t count);

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
