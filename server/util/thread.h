/*
 * Threads that take no signals.
 *
 * A process-directed signal (SIGTERM from the supervisor or a user) is
 * delivered to any thread that does not block it. The processes here wait
 * for their stop signals in one place (the server's sigwait, the worker's
 * main thread whose waits a signal cuts short), so every helper thread is
 * started with all signals blocked.
 */
#ifndef LAKESYNC_UTIL_THREAD_H
#define LAKESYNC_UTIL_THREAD_H

#include <pthread.h>

/* pthread_create with every signal blocked in the new thread; the caller's
 * mask is unchanged. Returns pthread_create's result. */
int ls_thread_start_unsignalled(pthread_t *thread, void *(*main)(void *), void *arg);

#endif
