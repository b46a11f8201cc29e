/*
 * The stop deadline of a stopping process, shared by its network clients.
 *
 * A job's worker gets SIGTERM, then SIGKILL when the supervisor's grace
 * period (LAKESYNC_STOP_GRACE_MS) ends. From the stop on, every request it
 * makes (to the server: control_client.h; to object storage: objstore.h)
 * must end by one deadline, so that it exits cleanly before the SIGKILL.
 * The clock holds that deadline: budget_ms after the stop began. Best-effort
 * cleanup (aborting a multipart upload, which nothing else would remove)
 * may run cleanup_ms past it; the rest of the grace is left for the exit.
 *
 * Threads: any thread may read the clock; ls_stop_clock_begin may also be
 * called from a signal handler (it only reads the monotonic clock and
 * swaps a lock-free atomic).
 */
#ifndef LAKESYNC_UTIL_STOP_CLOCK_H
#define LAKESYNC_UTIL_STOP_CLOCK_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct ls_stop_clock {
    const volatile sig_atomic_t *flag; /* a set flag begins the stop; NULL: only begin */
    uint64_t budget_ms;                /* from the stop to the deadline */
    uint64_t cleanup_ms;               /* best-effort cleanup past the deadline */
    _Atomic uint64_t deadline_ms;      /* CLOCK_MONOTONIC ms; 0 while not stopping */
} ls_stop_clock;

/* How a grace period is spent: the margin, a tenth of it but at least 2 s,
 * is kept from the requests (half of it for cleanup, half for the exit
 * itself); a grace shorter than two margins gives the requests half of it.
 * Pure, for the worker and its tests. */
void ls_stop_clock_plan(uint64_t grace_ms, uint64_t *budget_ms, uint64_t *cleanup_ms);

/* Sets up a clock that is not stopping. flag may be NULL. */
void ls_stop_clock_init(ls_stop_clock *clock, const volatile sig_atomic_t *flag,
                        uint64_t budget_ms, uint64_t cleanup_ms);

/* Starts the stop now: the deadline is budget_ms from now. A second call
 * keeps the first deadline. Async-signal-safe. */
void ls_stop_clock_begin(ls_stop_clock *clock);

/* The deadline (CLOCK_MONOTONIC ms), 0 while not stopping. Begins the stop
 * first when the flag is set. NULL-safe (never stopping). */
uint64_t ls_stop_clock_deadline(ls_stop_clock *clock);

/* Milliseconds left before the deadline (with cleanup: before the end of
 * the cleanup allowance past it); UINT64_MAX while not stopping or for a
 * NULL clock; 0 once it has passed. */
uint64_t ls_stop_clock_left_ms(ls_stop_clock *clock, bool cleanup);

/* limit_ms cut to what is left (see ls_stop_clock_left_ms). 0 means the
 * time is up: callers must not pass it on as "no limit" (curl reads a 0
 * timeout so). */
uint64_t ls_stop_clock_cap_ms(ls_stop_clock *clock, uint64_t limit_ms, bool cleanup);

/* How often, at the least, a transfer in flight gets a look at the clock:
 * curl calls its progress callback about once a second while a transfer
 * is idle (a stalled upload), more often while data moves. */
#define LS_STOP_CLOCK_CHECK_INTERVAL_MS 1000

/* For the progress callback of a transfer that began before the stop (one
 * begun later has its timeout cut to the time left): whether to cut it off
 * now, because the next look at the clock could come past the deadline
 * (with cleanup: past the cleanup allowance). False while not stopping. */
bool ls_stop_clock_cut_in_flight(ls_stop_clock *clock, bool cleanup);

/* CLOCK_MONOTONIC in milliseconds, the clock's time base. */
uint64_t ls_stop_clock_now_ms(void);

#endif
