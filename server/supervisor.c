#include "supervisor.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/thread.h"

extern char **environ;

#define TICK_MS 50
#define STABLE_RUN_MS 60000
#define REASON_MAX 256

typedef struct worker_slot {
    pid_t pid;             /* 0 while not running */
    int64_t started_ms;
    int64_t restart_at_ms; /* when to (re)spawn; 0 = not scheduled */
    int64_t backoff_ms;
} worker_slot;

typedef struct sup_job {
    char *job_id;
    char **argv; /* NULL-terminated copies */
    char **env;  /* "NAME=value" copies, NULL-terminated */
    int worker_count;
    worker_slot workers[LS_SUPERVISOR_MAX_WORKERS];
    ls_job_state state;
    bool winding_down; /* failed, but workers are still being stopped */
    char reason[REASON_MAX];
    char worker_reason[REASON_MAX]; /* why a worker said it must exit (fatal) */
    int64_t crash_ms[LS_SUPERVISOR_MAX_CRASHES]; /* ring of recent crash times */
    size_t crash_next;
    int64_t kill_at_ms; /* stopping: when SIGKILL follows SIGTERM */
} sup_job;

struct ls_supervisor {
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_t thread;
    bool thread_started;
    bool quit;
    ls_supervisor_options options;
    sup_job *jobs[LS_SUPERVISOR_MAX_JOBS];
    size_t job_count;
};

const char *ls_job_state_name(ls_job_state state)
{
    switch (state) {
    case LS_JOB_STOPPED: return "stopped";
    case LS_JOB_STARTING: return "starting";
    case LS_JOB_RUNNING: return "running";
    case LS_JOB_STOPPING: return "stopping";
    case LS_JOB_FAILED: return "failed";
    }
    return "unknown";
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- job bookkeeping (all under mu) ---------------------------------- */

static void free_strings(char **strings)
{
    if (!strings)
        return;
    for (char **s = strings; *s; s++)
        free(*s);
    free(strings);
}

static char **copy_strings(const char *const *items, size_t count)
{
    char **copy = calloc(count + 1, sizeof *copy);
    for (size_t i = 0; copy && i < count; i++) {
        copy[i] = strdup(items[i]);
        if (!copy[i]) {
            free_strings(copy);
            return NULL;
        }
    }
    return copy;
}

static void job_free(sup_job *job)
{
    if (!job)
        return;
    free(job->job_id);
    free_strings(job->argv);
    free_strings(job->env);
    free(job);
}

static sup_job *find_job(ls_supervisor *sup, const char *job_id)
{
    for (size_t i = 0; i < sup->job_count; i++)
        if (strcmp(sup->jobs[i]->job_id, job_id) == 0)
            return sup->jobs[i];
    return NULL;
}

static size_t live_workers(const sup_job *job)
{
    size_t n = 0;
    for (int i = 0; i < job->worker_count; i++)
        n += job->workers[i].pid > 0;
    return n;
}

static void set_state(ls_supervisor *sup, sup_job *job, ls_job_state state, const char *reason)
{
    job->state = state;
    snprintf(job->reason, sizeof job->reason, "%s", reason ? reason : "");
    ls_log_info("supervisor", "job %s is %s%s%s", job->job_id, ls_job_state_name(state),
                job->reason[0] ? ": " : "", job->reason);
    if (sup->options.on_state)
        sup->options.on_state(sup->options.ctx, job->job_id, state, job->reason);
}

static void signal_workers(sup_job *job, int signo)
{
    for (int i = 0; i < job->worker_count; i++) {
        if (job->workers[i].pid > 0)
            kill(job->workers[i].pid, signo);
        job->workers[i].restart_at_ms = 0;
    }
}

/* Stops the workers of a job that is stopping or failing. */
static void begin_wind_down(sup_job *job, int64_t grace_ms)
{
    signal_workers(job, SIGTERM);
    job->kill_at_ms = now_ms() + (grace_ms > 0 ? grace_ms : 0);
}

/* ---- spawning (supervisor thread only) -------------------------------- */

/* The child's environment: the server's, minus names the job sets, plus the
 * job's entries and the worker index. */
static char **child_environment(const sup_job *job, int index)
{
    size_t base = 0, extra = 0;
    while (environ[base])
        base++;
    while (job->env[extra])
        extra++;
    char **envp = calloc(base + extra + 2, sizeof *envp);
    char index_entry[64];
    snprintf(index_entry, sizeof index_entry, "LAKESYNC_WORKER_INDEX=%d", index);
    size_t n = 0;
    for (size_t i = 0; envp && i < base; i++) {
        const char *eq = strchr(environ[i], '=');
        size_t name_len = eq ? (size_t)(eq - environ[i]) + 1 : strlen(environ[i]);
        bool overridden = strncmp(environ[i], "LAKESYNC_WORKER_INDEX=", 22) == 0;
        for (size_t j = 0; !overridden && j < extra; j++)
            overridden = strncmp(environ[i], job->env[j], name_len) == 0;
        if (!overridden)
            envp[n++] = strdup(environ[i]);
    }
    for (size_t j = 0; envp && j < extra; j++)
        envp[n++] = strdup(job->env[j]);
    if (envp)
        envp[n++] = strdup(index_entry);
    for (size_t i = 0; envp && i < n; i++) {
        if (!envp[i]) {
            free_strings(envp);
            return NULL;
        }
    }
    return envp;
}

static pid_t spawn_worker(const sup_job *job, int index)
{
    char **envp = child_environment(job, index);
    if (!envp)
        return -1;
    pid_t parent = getpid();
    sigset_t none;
    sigemptyset(&none);
    pid_t pid = fork();
    if (pid == 0) {
        /* Only async-signal-safe calls between fork and exec. The server
         * blocks SIGTERM and SIGINT (it sigwaits for them) and ignores
         * SIGPIPE; both survive exec, and a worker that cannot receive
         * SIGTERM cannot stop gracefully, so restore the defaults. A worker
         * must not outlive the server that supervises it: it gets SIGTERM
         * (and makes its final commit) when the supervisor thread goes away. */
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        execve(job->argv[0], job->argv, envp);
        _exit(127);
    }
    free_strings(envp);
    return pid;
}

static void spawn_due_workers(ls_supervisor *sup, sup_job *job, int64_t now)
{
    for (int i = 0; i < job->worker_count; i++) {
        worker_slot *w = &job->workers[i];
        if (w->pid > 0 || w->restart_at_ms == 0 || w->restart_at_ms > now)
            continue;
        w->restart_at_ms = 0;
        w->pid = spawn_worker(job, i);
        w->started_ms = now;
        if (w->pid < 0) {
            char reason[REASON_MAX];
            snprintf(reason, sizeof reason, "cannot start worker %d (%s): %s", i, job->argv[0],
                     strerror(errno));
            w->pid = 0;
            job->winding_down = true;
            begin_wind_down(job, 0);
            set_state(sup, job, LS_JOB_FAILED, reason);
            return;
        }
        ls_log_info("supervisor", "job %s worker %d started as pid %d", job->job_id, i,
                    (int)w->pid);
    }
}

/* ---- reaping (supervisor thread only) --------------------------------- */

static void describe_exit(int status, char *out, size_t size)
{
    if (WIFEXITED(status))
        snprintf(out, size, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, size, "was killed by signal %d", WTERMSIG(status));
    else
        snprintf(out, size, "ended (status %d)", status);
}

/* Records a crash; true when the job has now crashed too often. */
static bool record_crash(sup_job *job, int64_t now)
{
    job->crash_ms[job->crash_next % LS_SUPERVISOR_MAX_CRASHES] = now;
    job->crash_next++;
    if (job->crash_next < LS_SUPERVISOR_MAX_CRASHES)
        return false;
    int64_t oldest = job->crash_ms[job->crash_next % LS_SUPERVISOR_MAX_CRASHES];
    return now - oldest <= LS_SUPERVISOR_CRASH_WINDOW_MS;
}

static void handle_exit(ls_supervisor *sup, sup_job *job, int index, int status, int64_t now)
{
    worker_slot *w = &job->workers[index];
    char how[96], reason[REASON_MAX];
    describe_exit(status, how, sizeof how);
    w->pid = 0;
    ls_log_info("supervisor", "job %s worker %d %s", job->job_id, index, how);
    if (job->state == LS_JOB_STOPPING || job->winding_down)
        return;
    if (WIFEXITED(status) && WEXITSTATUS(status) == LS_WORKER_EXIT_FATAL) {
        if (job->worker_reason[0])
            snprintf(reason, sizeof reason, "worker %d: %.200s", index, job->worker_reason);
        else
            snprintf(reason, sizeof reason,
                     "worker %d %s: a problem restarting cannot fix (see the job's events)", index,
                     how);
        job->winding_down = true;
        begin_wind_down(job, 10000);
        set_state(sup, job, LS_JOB_FAILED, reason);
        return;
    }
    bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!clean && record_crash(job, now)) {
        snprintf(reason, sizeof reason, "worker %d %s; %d crashes within %d minutes", index, how,
                 LS_SUPERVISOR_MAX_CRASHES, LS_SUPERVISOR_CRASH_WINDOW_MS / 60000);
        job->winding_down = true;
        begin_wind_down(job, 10000);
        set_state(sup, job, LS_JOB_FAILED, reason);
        return;
    }
    if (now - w->started_ms >= STABLE_RUN_MS || clean)
        w->backoff_ms = sup->options.backoff_initial_ms;
    w->restart_at_ms = now + w->backoff_ms;
    ls_log_warn("supervisor", "job %s worker %d %s; restarting in %lld ms", job->job_id, index,
                how, (long long)w->backoff_ms);
    w->backoff_ms *= 2;
    if (w->backoff_ms > sup->options.backoff_max_ms)
        w->backoff_ms = sup->options.backoff_max_ms;
}

static void reap_job(ls_supervisor *sup, sup_job *job, int64_t now)
{
    for (int i = 0; i < job->worker_count; i++) {
        int status = 0;
        if (job->workers[i].pid > 0 && waitpid(job->workers[i].pid, &status, WNOHANG) > 0)
            handle_exit(sup, job, i, status, now);
    }
    bool winding = job->state == LS_JOB_STOPPING || job->winding_down;
    if (!winding)
        return;
    if (live_workers(job) == 0) {
        if (job->state == LS_JOB_STOPPING)
            set_state(sup, job, LS_JOB_STOPPED, "");
        job->winding_down = false;
    } else if (now >= job->kill_at_ms) {
        signal_workers(job, SIGKILL);
        job->kill_at_ms = now + 1000;
    }
}

static void *supervisor_main(void *arg)
{
    ls_supervisor *sup = arg;
    pthread_mutex_lock(&sup->mu);
    while (!sup->quit) {
        int64_t now = now_ms();
        for (size_t i = 0; i < sup->job_count; i++) {
            reap_job(sup, sup->jobs[i], now);
            if (sup->jobs[i]->state == LS_JOB_STARTING || sup->jobs[i]->state == LS_JOB_RUNNING)
                spawn_due_workers(sup, sup->jobs[i], now);
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&sup->wake, &sup->mu, &until);
    }
    pthread_mutex_unlock(&sup->mu);
    return NULL;
}

/* ---- public functions -------------------------------------------------- */

ls_code ls_supervisor_new(const ls_supervisor_options *options, ls_supervisor **out, ls_error *err)
{
    *out = NULL;
    ls_supervisor *sup = calloc(1, sizeof *sup);
    if (!sup)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    sup->options = *options;
    if (sup->options.backoff_initial_ms <= 0)
        sup->options.backoff_initial_ms = 1000;
    if (sup->options.backoff_max_ms <= 0)
        sup->options.backoff_max_ms = 60000;
    pthread_mutex_init(&sup->mu, NULL);
    pthread_cond_init(&sup->wake, NULL);
    /* A process-directed SIGTERM must reach the server's sigwait, not end
     * the process through this thread. */
    if (ls_thread_start_unsignalled(&sup->thread, supervisor_main, sup) != 0) {
        ls_supervisor_free(sup, 0);
        return ls_error_set(err, LS_ERR_IO, "cannot start the supervisor thread");
    }
    sup->thread_started = true;
    *out = sup;
    return LS_OK;
}

static ls_code validate_job(const ls_supervisor_job *job, ls_error *err)
{
    if (!job->job_id || !*job->job_id)
        return ls_error_set(err, LS_ERR_INVALID, "a job id is required");
    if (job->argc == 0 || !job->argv || !job->argv[0] || job->argv[0][0] != '/')
        return ls_error_set(err, LS_ERR_INVALID, "the worker command must be an absolute path");
    if (job->worker_count < 1 || job->worker_count > LS_SUPERVISOR_MAX_WORKERS)
        return ls_error_set(err, LS_ERR_INVALID, "worker count must be between 1 and %d, not %d",
                            LS_SUPERVISOR_MAX_WORKERS, job->worker_count);
    return LS_OK;
}

/* Finds the job's entry, creating it, or reusing a stopped or failed one. */
static ls_code job_entry(ls_supervisor *sup, const ls_supervisor_job *spec, sup_job **out,
                         ls_error *err)
{
    sup_job *job = find_job(sup, spec->job_id);
    if (job && (job->state != LS_JOB_STOPPED && job->state != LS_JOB_FAILED))
        return ls_error_set(err, LS_ERR_CONFLICT, "job %s is already %s", spec->job_id,
                            ls_job_state_name(job->state));
    if (job && live_workers(job) > 0)
        return ls_error_set(err, LS_ERR_CONFLICT, "job %s still has workers shutting down",
                            spec->job_id);
    if (!job) {
        if (sup->job_count == LS_SUPERVISOR_MAX_JOBS)
            return ls_error_set(err, LS_ERR_TOO_LARGE, "the supervisor runs at most %d jobs",
                                LS_SUPERVISOR_MAX_JOBS);
        job = calloc(1, sizeof *job);
        if (!job || !(job->job_id = strdup(spec->job_id))) {
            free(job);
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        }
        sup->jobs[sup->job_count++] = job;
    }
    free_strings(job->argv);
    free_strings(job->env);
    job->argv = copy_strings(spec->argv, spec->argc);
    job->env = copy_strings(spec->env, spec->env_count);
    if (!job->argv || !job->env)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    *out = job;
    return LS_OK;
}

ls_code ls_supervisor_start(ls_supervisor *sup, const ls_supervisor_job *spec, ls_error *err)
{
    ls_code rc = validate_job(spec, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&sup->mu);
    sup_job *job = NULL;
    rc = job_entry(sup, spec, &job, err);
    if (!rc) {
        int64_t now = now_ms();
        job->worker_count = spec->worker_count;
        job->crash_next = 0;
        job->winding_down = false;
        job->worker_reason[0] = '\0';
        for (int i = 0; i < LS_SUPERVISOR_MAX_WORKERS; i++)
            job->workers[i] = (worker_slot){.restart_at_ms = i < spec->worker_count ? now : 0,
                                            .backoff_ms = sup->options.backoff_initial_ms};
        set_state(sup, job, LS_JOB_STARTING, "");
        pthread_cond_signal(&sup->wake); /* spawning happens on the supervisor thread */
    }
    pthread_mutex_unlock(&sup->mu);
    return rc;
}

void ls_supervisor_mark_running(ls_supervisor *sup, const char *job_id)
{
    pthread_mutex_lock(&sup->mu);
    sup_job *job = find_job(sup, job_id);
    if (job && job->state == LS_JOB_STARTING)
        set_state(sup, job, LS_JOB_RUNNING, "");
    pthread_mutex_unlock(&sup->mu);
}

void ls_supervisor_note_failure(ls_supervisor *sup, const char *job_id, const char *reason)
{
    pthread_mutex_lock(&sup->mu);
    sup_job *job = find_job(sup, job_id);
    if (job && !job->worker_reason[0])
        snprintf(job->worker_reason, sizeof job->worker_reason, "%s", reason);
    pthread_mutex_unlock(&sup->mu);
}

ls_code ls_supervisor_stop(ls_supervisor *sup, const char *job_id, int64_t grace_ms, ls_error *err)
{
    ls_code rc = LS_OK;
    pthread_mutex_lock(&sup->mu);
    sup_job *job = find_job(sup, job_id);
    if (!job || job->state == LS_JOB_STOPPED || job->state == LS_JOB_FAILED) {
        rc = ls_error_set(err, LS_ERR_NOT_FOUND, "job %s is not running", job_id);
    } else if (job->state != LS_JOB_STOPPING) {
        begin_wind_down(job, grace_ms);
        set_state(sup, job, LS_JOB_STOPPING, "");
        pthread_cond_signal(&sup->wake);
    }
    pthread_mutex_unlock(&sup->mu);
    return rc;
}

ls_job_state ls_supervisor_state(ls_supervisor *sup, const char *job_id, char *reason,
                                 size_t reason_size)
{
    pthread_mutex_lock(&sup->mu);
    sup_job *job = find_job(sup, job_id);
    ls_job_state state = job ? job->state : LS_JOB_STOPPED;
    if (reason && reason_size)
        snprintf(reason, reason_size, "%s", job ? job->reason : "");
    pthread_mutex_unlock(&sup->mu);
    return state;
}

size_t ls_supervisor_worker_pids(ls_supervisor *sup, const char *job_id, int *pids,
                                 size_t capacity)
{
    size_t n = 0;
    pthread_mutex_lock(&sup->mu);
    sup_job *job = find_job(sup, job_id);
    for (int i = 0; job && i < job->worker_count && n < capacity; i++)
        if (job->workers[i].pid > 0)
            pids[n++] = (int)job->workers[i].pid;
    pthread_mutex_unlock(&sup->mu);
    return n;
}

static bool any_live(ls_supervisor *sup)
{
    for (size_t i = 0; i < sup->job_count; i++)
        if (live_workers(sup->jobs[i]) > 0)
            return true;
    return false;
}

void ls_supervisor_free(ls_supervisor *sup, int64_t grace_ms)
{
    if (!sup)
        return;
    if (sup->thread_started) {
        pthread_mutex_lock(&sup->mu);
        for (size_t i = 0; i < sup->job_count; i++) {
            sup_job *job = sup->jobs[i];
            if (job->state == LS_JOB_STARTING || job->state == LS_JOB_RUNNING) {
                begin_wind_down(job, grace_ms);
                set_state(sup, job, LS_JOB_STOPPING, "");
            }
        }
        pthread_mutex_unlock(&sup->mu);
        /* Let the thread reap until every worker is gone, then end it. */
        for (;;) {
            pthread_mutex_lock(&sup->mu);
            bool live = any_live(sup);
            if (!live)
                sup->quit = true;
            pthread_cond_signal(&sup->wake);
            pthread_mutex_unlock(&sup->mu);
            if (!live)
                break;
            usleep(TICK_MS * 1000);
        }
        pthread_join(sup->thread, NULL);
    }
    for (size_t i = 0; i < sup->job_count; i++)
        job_free(sup->jobs[i]);
    pthread_cond_destroy(&sup->wake);
    pthread_mutex_destroy(&sup->mu);
    free(sup);
}
