/*
 * The worker's second stage: one thread that writes a scanned batch into its
 * file's Parquet writer (encoding, dictionaries, compression, and the
 * upload of finished row groups) while the worker's own thread consumes and
 * scans the next batch (worker_files.c, worker_flush_staging).
 *
 * One job at most is in flight, handed over under the mutex: one write of
 * a batch into a writer (an unpartitioned table), or a routed staging batch
 * (a partitioned one: the worker's thread computed each row's file, this
 * one copies the rows into the files' batches and writes them). Between
 * the submit and the next wait the thread owns those writers (with their
 * uploads), those batches and the job's arrays; the worker's thread
 * touches none of them until a wait has returned, which the mutex orders
 * after the thread's last access. A commit splits its closing files between
 * the two threads (the third kind of job): each close compresses and
 * uploads its file's open pages, most of a partitioned table's commit. Every other use of open files (rolling, closing,
 * aborting, measuring buffered bytes) waits first, so a commit, a revoke, a
 * stop or a schema change always sees every scanned row in its file: the
 * exactly-once contract is the single-threaded one. A staging batch costs
 * one mutex round trip (4096 rows), nothing per row.
 */
#include "worker_pipeline.h"

#include "worker.h"
#include "util/thread.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct worker_pipeline {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    bool quit;
    /* The job: busy from submit until the thread has done every write (or
     * stopped at a failed one). */
    bool busy;
    enum { JOB_WRITE, JOB_ROUTE, JOB_CLOSE } kind;
    worker_pipeline_item one;
    worker_pipeline_route route;
    worker_pipeline_closing *closing;
    size_t closing_count;
    /* The first failure since the last reporting wait. */
    ls_code rc;
    ls_error err;
};

static void *pipeline_main(void *arg)
{
    worker_pipeline *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->busy && !p->quit)
            pthread_cond_wait(&p->cond, &p->lock);
        if (!p->busy)
            break; /* quit, and no job left */
        pthread_mutex_unlock(&p->lock);
        ls_error err;
        ls_error_clear(&err);
        ls_code rc = LS_OK;
        if (p->kind == JOB_ROUTE)
            rc = worker_pipeline_run_route(&p->route, &err);
        else if (p->kind == JOB_WRITE)
            rc = ls_parquet_writer_write_batch(p->one.writer, p->one.batch, &err);
        else
            worker_pipeline_close_writers(p->closing, p->closing_count);
        pthread_mutex_lock(&p->lock);
        if (rc && !p->rc) {
            p->rc = rc;
            p->err = err;
        }
        p->busy = false;
        pthread_cond_broadcast(&p->cond);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

ls_code worker_pipeline_new(worker_pipeline **out, ls_error *err)
{
    *out = NULL;
    worker_pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    ls_error_clear(&p->err);
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return ls_error_set(err, LS_ERR_NOMEM, "cannot create the encoder's lock");
    }
    if (pthread_cond_init(&p->cond, NULL) != 0) {
        pthread_mutex_destroy(&p->lock);
        free(p);
        return ls_error_set(err, LS_ERR_NOMEM, "cannot create the encoder's condition");
    }
    /* The worker's SIGTERM must reach its main thread, whose waits (a
     * commit's backoff, the control client's) end when it interrupts them. */
    if (ls_thread_start_unsignalled(&p->thread, pipeline_main, p) != 0) {
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return ls_error_set(err, LS_ERR_NOMEM, "cannot start the encoder thread");
    }
    *out = p;
    return LS_OK;
}

/* Waits until no job is in flight. Lock held. */
static void wait_idle_locked(worker_pipeline *p)
{
    while (p->busy)
        pthread_cond_wait(&p->cond, &p->lock);
}

void worker_pipeline_submit(worker_pipeline *p, ls_parquet_writer *writer,
                            const ls_column_batch *batch)
{
    pthread_mutex_lock(&p->lock);
    wait_idle_locked(p); /* callers wait first; this keeps one job at most */
    p->one.writer = writer;
    p->one.batch = batch;
    p->kind = JOB_WRITE;
    p->busy = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

void worker_pipeline_submit_route(worker_pipeline *p, const worker_pipeline_route *route)
{
    pthread_mutex_lock(&p->lock);
    wait_idle_locked(p);
    p->route = *route;
    p->kind = JOB_ROUTE;
    p->busy = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

void worker_pipeline_submit_close(worker_pipeline *p, worker_pipeline_closing *items,
                                  size_t count)
{
    pthread_mutex_lock(&p->lock);
    wait_idle_locked(p);
    p->closing = items;
    p->closing_count = count;
    p->kind = JOB_CLOSE;
    p->busy = count > 0;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

void worker_pipeline_close_writers(worker_pipeline_closing *items, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        worker_pipeline_closing *c = &items[i];
        ls_error_clear(&c->err);
        c->rc = ls_parquet_writer_close(c->writer, &c->stats, &c->err);
        ls_parquet_writer_free(c->writer);
        c->writer = NULL;
    }
}

/* Writes target t's rows and empties its batch. */
static ls_code write_target(worker_pipeline_target *t, ls_error *err)
{
    ls_code rc = ls_parquet_writer_write_batch(t->writer, t->batch, err);
    ls_column_batch_reset(t->batch);
    return rc;
}

ls_code worker_pipeline_run_route(const worker_pipeline_route *r, ls_error *err)
{
    ls_code rc = LS_OK;
    for (size_t row = r->begin; !rc && row < r->end; row++) {
        worker_pipeline_target *t = &r->targets[r->route[row]];
        rc = ls_worker_copy_row(r->batch, row, r->cursors, t->batch, err);
        if (!rc && ls_column_batch_bytes(t->batch) >= r->full_bytes)
            rc = write_target(t, err);
        ls_worker_advance_cursors(r->batch, row, r->cursors);
    }
    for (size_t i = 0; !rc && i < r->target_count; i++)
        if (r->targets[i].batch->row_count > 0)
            rc = write_target(&r->targets[i], err);
    return rc;
}

ls_code worker_pipeline_wait(worker_pipeline *p, ls_error *err)
{
    if (!p)
        return LS_OK;
    pthread_mutex_lock(&p->lock);
    wait_idle_locked(p);
    ls_code rc = p->rc;
    if (rc) {
        *err = p->err;
        p->rc = LS_OK;
        ls_error_clear(&p->err);
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void worker_pipeline_idle(worker_pipeline *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    wait_idle_locked(p);
    pthread_mutex_unlock(&p->lock);
}

void worker_pipeline_discard(worker_pipeline *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    wait_idle_locked(p);
    p->rc = LS_OK;
    ls_error_clear(&p->err);
    pthread_mutex_unlock(&p->lock);
}

void worker_pipeline_free(worker_pipeline *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->quit = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
