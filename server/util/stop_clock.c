/* The stop deadline (stop_clock.h). */
#include "util/stop_clock.h"

#include <time.h>

/* ls_stop_clock_begin runs in a signal handler: only a lock-free atomic may
 * be touched there (C11 7.14.1.1). */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 && ATOMIC_LONG_LOCK_FREE == 2,
               "the stop deadline must be a lock-free atomic");

#define MARGIN_MIN_MS 2000

void ls_stop_clock_plan(uint64_t grace_ms, uint64_t *budget_ms, uint64_t *cleanup_ms)
{
    uint64_t margin = grace_ms / 10 > MARGIN_MIN_MS ? grace_ms / 10 : MARGIN_MIN_MS;
    uint64_t budget = grace_ms > 2 * margin ? grace_ms - margin : grace_ms / 2;
    *budget_ms = budget;
    *cleanup_ms = (grace_ms - budget) / 2;
}

void ls_stop_clock_init(ls_stop_clock *clock, const volatile sig_atomic_t *flag,
                        uint64_t budget_ms, uint64_t cleanup_ms)
{
    clock->flag = flag;
    clock->budget_ms = budget_ms;
    clock->cleanup_ms = cleanup_ms;
    atomic_init(&clock->deadline_ms, 0);
}

uint64_t ls_stop_clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* a + b, or UINT64_MAX when that does not fit: budgets come from the
 * command line (lakesync storage --deadline-ms takes any uint64), and a sum
 * that wrapped would put the deadline in the past. */
static uint64_t add_saturating(uint64_t a, uint64_t b)
{
    return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

void ls_stop_clock_begin(ls_stop_clock *clock)
{
    uint64_t none = 0;
    uint64_t deadline = add_saturating(ls_stop_clock_now_ms(), clock->budget_ms);
    /* Only the first stop sets it; a deadline is never 0 (the monotonic
     * clock is past its origin by then). */
    atomic_compare_exchange_strong(&clock->deadline_ms, &none, deadline ? deadline : 1);
}

uint64_t ls_stop_clock_deadline(ls_stop_clock *clock)
{
    if (!clock)
        return 0;
    uint64_t deadline = atomic_load(&clock->deadline_ms);
    if (!deadline && clock->flag && *clock->flag) {
        ls_stop_clock_begin(clock);
        deadline = atomic_load(&clock->deadline_ms);
    }
    return deadline;
}

uint64_t ls_stop_clock_left_ms(ls_stop_clock *clock, bool cleanup)
{
    uint64_t deadline = ls_stop_clock_deadline(clock);
    if (!deadline)
        return UINT64_MAX;
    if (cleanup)
        deadline = add_saturating(deadline, clock->cleanup_ms);
    uint64_t now = ls_stop_clock_now_ms();
    return now < deadline ? deadline - now : 0;
}

uint64_t ls_stop_clock_cap_ms(ls_stop_clock *clock, uint64_t limit_ms, bool cleanup)
{
    uint64_t left = ls_stop_clock_left_ms(clock, cleanup);
    return left < limit_ms ? left : limit_ms;
}

bool ls_stop_clock_cut_in_flight(ls_stop_clock *clock, bool cleanup)
{
    return ls_stop_clock_left_ms(clock, cleanup) <= LS_STOP_CLOCK_CHECK_INTERVAL_MS;
}
