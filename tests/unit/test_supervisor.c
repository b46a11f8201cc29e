/* The supervisor with real processes: /bin/sh scripts stand in for workers so
 * each behaviour (crash, fatal exit, ignoring SIGTERM) is easy to provoke. */
#include "testing.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "supervisor.h"

#define MAX_EVENTS 64

typedef struct events {
    pthread_mutex_t mu;
    ls_job_state states[MAX_EVENTS];
    char last_reason[256];
    size_t count;
} events;

static void on_state(void *ctx, const char *job_id, ls_job_state state, const char *reason)
{
    events *ev = ctx;
    (void)job_id;
    pthread_mutex_lock(&ev->mu);
    if (ev->count < MAX_EVENTS)
        ev->states[ev->count++] = state;
    snprintf(ev->last_reason, sizeof ev->last_reason, "%s", reason);
    pthread_mutex_unlock(&ev->mu);
}

static ls_supervisor *supervisor(events *ev)
{
    pthread_mutex_init(&ev->mu, NULL);
    ev->count = 0;
    ls_supervisor_options options = {.on_state = on_state, .ctx = ev,
                                     .backoff_initial_ms = 20, .backoff_max_ms = 40};
    ls_supervisor *sup = NULL;
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_supervisor_new(&options, &sup, &err), &err);
    return sup;
}

static void start_script(ls_supervisor *sup, const char *script, int workers)
{
    const char *argv[] = {"/bin/sh", "-c", script};
    char dir_env[512];
    snprintf(dir_env, sizeof dir_env, "TEST_DIR=%s", testing_tmpdir());
    const char *env[] = {dir_env, "LAKESYNC_JOB_ID=job1"};
    ls_supervisor_job job = {.job_id = "job1", .argv = argv, .argc = 3, .env = env,
                             .env_count = 2, .worker_count = workers};
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_supervisor_start(sup, &job, &err), &err);
}

static bool wait_state(ls_supervisor *sup, ls_job_state want, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        if (ls_supervisor_state(sup, "job1", NULL, 0) == want)
            return true;
        usleep(10000);
    }
    return false;
}

static int count_lines(const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", testing_tmpdir(), name);
    if (access(path, F_OK) != 0)
        return 0;
    char *text = testing_read_file(path, NULL);
    int n = 0;
    for (char *p = text; *p; p++)
        n += *p == '\n';
    free(text);
    return n;
}

TEST(workers_get_index_and_environment_then_stop)
{
    events ev;
    ls_supervisor *sup = supervisor(&ev);
    start_script(sup, "echo \"$LAKESYNC_WORKER_INDEX $LAKESYNC_JOB_ID\" > \"$TEST_DIR/w$LAKESYNC_WORKER_INDEX\"; exec sleep 30", 3);
    int pids[8];
    for (int i = 0; i < 200 && ls_supervisor_worker_pids(sup, "job1", pids, 8) < 3; i++)
        usleep(10000);
    CHECK_EQ_INT(ls_supervisor_worker_pids(sup, "job1", pids, 8), 3);
    for (int i = 0; i < 3; i++) {
        char name[8], expect[32];
        snprintf(name, sizeof name, "w%d", i);
        snprintf(expect, sizeof expect, "%d job1\n", i);
        for (int t = 0; t < 200 && count_lines(name) == 0; t++)
            usleep(10000);
        char path[600];
        snprintf(path, sizeof path, "%s/%s", testing_tmpdir(), name);
        char *text = testing_read_file(path, NULL);
        CHECK_EQ_STR(text, expect);
        free(text);
    }
    CHECK_EQ_INT(ls_supervisor_state(sup, "job1", NULL, 0), LS_JOB_STARTING);
    ls_supervisor_mark_running(sup, "job1");
    CHECK_EQ_INT(ls_supervisor_state(sup, "job1", NULL, 0), LS_JOB_RUNNING);
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_supervisor_stop(sup, "job1", 5000, &err), &err);
    CHECK(wait_state(sup, LS_JOB_STOPPED, 3000));
    CHECK_EQ_INT(ls_supervisor_worker_pids(sup, "job1", pids, 8), 0);
    CHECK_EQ_INT(ev.count, 4);
    CHECK_EQ_INT(ev.states[0], LS_JOB_STARTING);
    CHECK_EQ_INT(ev.states[1], LS_JOB_RUNNING);
    CHECK_EQ_INT(ev.states[2], LS_JOB_STOPPING);
    CHECK_EQ_INT(ev.states[3], LS_JOB_STOPPED);
    ls_supervisor_free(sup, 1000);
}

TEST(crashing_worker_is_restarted_then_fails_the_job)
{
    events ev;
    ls_supervisor *sup = supervisor(&ev);
    start_script(sup, "echo run >> \"$TEST_DIR/runs\"; exit 1", 1);
    CHECK(wait_state(sup, LS_JOB_FAILED, 5000));
    CHECK_EQ_INT(count_lines("runs"), LS_SUPERVISOR_MAX_CRASHES);
    char reason[256];
    ls_supervisor_state(sup, "job1", reason, sizeof reason);
    CHECK(strstr(reason, "exited with status 1") != NULL);
    CHECK(strstr(reason, "crashes") != NULL);
    /* A failed job can be started again after a fix. */
    start_script(sup, "exec sleep 30", 1);
    CHECK_EQ_INT(ls_supervisor_state(sup, "job1", NULL, 0), LS_JOB_STARTING);
    ls_supervisor_free(sup, 1000);
}

TEST(fatal_exit_fails_at_once)
{
    events ev;
    ls_supervisor *sup = supervisor(&ev);
    start_script(sup, "echo run >> \"$TEST_DIR/runs\"; exit 3", 2);
    CHECK(wait_state(sup, LS_JOB_FAILED, 5000));
    usleep(200000);
    CHECK(count_lines("runs") <= 2); /* never restarted */
    char reason[256];
    ls_supervisor_state(sup, "job1", reason, sizeof reason);
    CHECK(strstr(reason, "status 3") != NULL);
    ls_supervisor_free(sup, 1000);
}

TEST(stop_escalates_to_sigkill_after_grace)
{
    events ev;
    ls_supervisor *sup = supervisor(&ev);
    start_script(sup, "trap '' TERM; echo up > \"$TEST_DIR/up\"; while :; do sleep 0.05; done", 1);
    for (int i = 0; i < 300 && count_lines("up") == 0; i++)
        usleep(10000);
    CHECK_EQ_INT(count_lines("up"), 1);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_supervisor_stop(sup, "job1", 300, &err), &err);
    CHECK_EQ_INT(ls_supervisor_state(sup, "job1", NULL, 0), LS_JOB_STOPPING);
    CHECK(wait_state(sup, LS_JOB_STOPPED, 3000));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long elapsed_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK(elapsed_ms >= 300);
    ls_supervisor_free(sup, 1000);
}

TEST(start_conflicts_and_bad_specs_are_refused)
{
    events ev;
    ls_supervisor *sup = supervisor(&ev);
    start_script(sup, "exec sleep 30", 1);
    const char *argv[] = {"/bin/sh", "-c", "true"};
    ls_supervisor_job job = {.job_id = "job1", .argv = argv, .argc = 3, .worker_count = 1};
    ls_error err;
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_supervisor_start(sup, &job, &err), LS_ERR_CONFLICT);
    CHECK(strstr(err.message, "already starting") != NULL);
    const char *relative[] = {"sh"};
    ls_supervisor_job bad = {.job_id = "job2", .argv = relative, .argc = 1, .worker_count = 1};
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_supervisor_start(sup, &bad, &err), LS_ERR_INVALID);
    bad.argv = argv;
    bad.argc = 3;
    bad.worker_count = 0;
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_supervisor_start(sup, &bad, &err), LS_ERR_INVALID);
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_supervisor_stop(sup, "nope", 100, &err), LS_ERR_NOT_FOUND);
    ls_supervisor_free(sup, 1000);
    /* free stopped the running job's worker. */
}

TEST(missing_program_fails_the_job)
{
    events ev;
    ls_supervisor *sup = supervisor(&ev);
    const char *argv[] = {"/nonexistent/lakesync-worker"};
    ls_supervisor_job job = {.job_id = "job1", .argv = argv, .argc = 1, .worker_count = 1};
    ls_error err;
    ls_error_clear(&err);
    CHECK_OK(ls_supervisor_start(sup, &job, &err), &err);
    /* exec fails in the child (status 127), which counts as crashes. */
    CHECK(wait_state(sup, LS_JOB_FAILED, 5000));
    char reason[256];
    ls_supervisor_state(sup, "job1", reason, sizeof reason);
    CHECK(strstr(reason, "status 127") != NULL);
    ls_supervisor_free(sup, 1000);
}
