/*
 * The supervisor: runs each started job's worker processes, restarts them
 * with backoff when they die, stops them gracefully, and reports the job's
 * state as it changes.
 *
 * A job runs worker_count processes of the same command line; worker i gets
 * LAKESYNC_WORKER_INDEX=i and the job's environment (server URL, job id,
 * worker token) in its environment, never on its command line, where `ps`
 * would show the token.
 *
 * States (DESIGN.md): starting (spawned, no worker has said it is ready yet),
 * running (ls_supervisor_mark_running was called, normally on a worker's
 * first heartbeat), stopping (SIGTERM sent; workers make a final commit),
 * stopped, failed (with a reason). A worker that exits on its own is
 * restarted after a backoff of 1 s doubling to 60 s; a worker that ran for a
 * minute resets its backoff. A job fails when a worker dies
 * LS_SUPERVISOR_MAX_CRASHES times within LS_SUPERVISOR_CRASH_WINDOW_MS, or
 * exits with LS_WORKER_EXIT_FATAL (a problem a restart cannot fix: a bad
 * spec, a table that cannot be written). Stop waits grace_ms for a clean
 * exit, then sends SIGKILL: uncommitted data is never lost by that, only
 * re-read (the table holds the committed offsets). Workers are told the same
 * grace (LAKESYNC_STOP_GRACE_MS, set by jobrun.c) and end their final commit
 * before it, so the SIGKILL is only a backstop.
 *
 * Threads: the supervisor owns one thread that reaps and restarts. All public
 * functions are thread-safe. The state callback runs on the supervisor's
 * thread or the caller's, never concurrently for the same supervisor, and
 * must not call back into the supervisor.
 */
#ifndef LAKESYNC_SUPERVISOR_H
#define LAKESYNC_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define LS_SUPERVISOR_MAX_WORKERS 64
#define LS_SUPERVISOR_MAX_JOBS 1024
#define LS_SUPERVISOR_MAX_CRASHES 5
#define LS_SUPERVISOR_CRASH_WINDOW_MS (5 * 60 * 1000)

/* A worker that exits with this status has hit a problem no restart fixes. */
#define LS_WORKER_EXIT_FATAL 3

typedef enum ls_job_state {
    LS_JOB_STOPPED = 0,
    LS_JOB_STARTING,
    LS_JOB_RUNNING,
    LS_JOB_STOPPING,
    LS_JOB_FAILED,
} ls_job_state;

/* "stopped", "starting", ... as the API spells them. */
const char *ls_job_state_name(ls_job_state state);

/* Told every state change. reason is "" unless state is LS_JOB_FAILED (or an
 * informational note such as a restart). */
typedef void (*ls_supervisor_state_fn)(void *ctx, const char *job_id, ls_job_state state,
                                       const char *reason);

typedef struct ls_supervisor_options {
    ls_supervisor_state_fn on_state;
    void *ctx;
    int64_t backoff_initial_ms; /* 0: 1000 */
    int64_t backoff_max_ms;     /* 0: 60000 */
} ls_supervisor_options;

/* What to run for a job. argv[0] is the program path; env entries are
 * "NAME=value" added to the server's own environment. Both are copied. */
typedef struct ls_supervisor_job {
    const char *job_id;
    const char *const *argv;
    size_t argc;
    const char *const *env;
    size_t env_count;
    int worker_count; /* 1..LS_SUPERVISOR_MAX_WORKERS */
} ls_supervisor_job;

typedef struct ls_supervisor ls_supervisor;

/* Creates the supervisor and starts its thread. */
ls_code ls_supervisor_new(const ls_supervisor_options *options, ls_supervisor **out,
                          ls_error *err) LS_MUST_USE;

/* Starts a job's workers: state starting. LS_ERR_CONFLICT when the job is
 * already starting, running or stopping; LS_ERR_INVALID for a bad spec;
 * LS_ERR_IO when a process cannot be spawned (the job is then failed). */
ls_code ls_supervisor_start(ls_supervisor *sup, const ls_supervisor_job *job,
                            ls_error *err) LS_MUST_USE;

/* Marks a starting job running (its workers are up). No-op in other states. */
void ls_supervisor_mark_running(ls_supervisor *sup, const char *job_id);

/* Records why a worker of the job says it must exit with
 * LS_WORKER_EXIT_FATAL (its last heartbeat's "failure"): when that exit
 * comes, the job fails with this reason instead of the exit status. The
 * first reason of a run wins. */
void ls_supervisor_note_failure(ls_supervisor *sup, const char *job_id, const char *reason);

/* Asks a job's workers to stop (SIGTERM), escalating to SIGKILL after
 * grace_ms. Returns at once; the state goes stopping, then stopped.
 * LS_ERR_NOT_FOUND when the job is not running under this supervisor. */
ls_code ls_supervisor_stop(ls_supervisor *sup, const char *job_id, int64_t grace_ms,
                           ls_error *err) LS_MUST_USE;

/* The job's current state (LS_JOB_STOPPED for unknown jobs) and, if reason
 * is non-NULL, its reason (reason_size bytes at most). */
ls_job_state ls_supervisor_state(ls_supervisor *sup, const char *job_id, char *reason,
                                 size_t reason_size);

/* Process ids of a job's live workers, for tests and diagnostics. Returns how
 * many were written (at most capacity). */
size_t ls_supervisor_worker_pids(ls_supervisor *sup, const char *job_id, int *pids,
                                 size_t capacity);

/* Stops every job (grace_ms each, concurrently), waits for the processes,
 * stops the thread and frees everything. NULL-safe. */
void ls_supervisor_free(ls_supervisor *sup, int64_t grace_ms);

#endif
