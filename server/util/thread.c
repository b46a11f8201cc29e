#include "util/thread.h"

#include <signal.h>

int ls_thread_start_unsignalled(pthread_t *thread, void *(*main)(void *), void *arg)
{
    /* The new thread inherits the mask in force when it is created. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int failed = pthread_create(thread, NULL, main, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return failed;
}
