#include "util/mapped_file.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* Pages behind the scan are dropped from the mapping this many bytes at a
 * time (a multiple of any page size), once the scan is a further window
 * past them: the resident size stays near two windows. */
#define DROP_WINDOW_BYTES ((size_t)16 << 20)

ls_code ls_mapped_file_map(ls_mapped_file *file, int fd, size_t size, ls_error *err)
{
    file->data = NULL;
    file->size = 0;
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED)
        return ls_error_set(err, LS_ERR_IO, "cannot map the input: %s", strerror(errno));
    (void)madvise(map, size, MADV_SEQUENTIAL);
    file->data = map;
    file->size = size;
    file->fd = fd;
    return LS_OK;
}

void ls_mapped_file_unmap(ls_mapped_file *file)
{
    if (!file || !file->data)
        return;
    munmap((void *)(uintptr_t)file->data, file->size);
    file->data = NULL;
    file->size = 0;
}

/* ---- the SIGBUS guard ----
 * The handler jumps back into ls_mapped_file_lines when the fault is a read
 * of the guarded range. siglongjmp out of a handler is safe only because of
 * what may fault there: the line callback reading its line in its own code
 * or memcpy/memchr, never inside malloc or stdio (the contract of ls_line_fn
 * in the header), so no lock stays held and no library state half-updated;
 * the caller's own state (a half-built row) is discarded by its error path. */

static sigjmp_buf guard_jump;
static const uint8_t *volatile guard_lo, *volatile guard_hi;
static volatile size_t guard_fault_offset;
static struct sigaction guard_previous;

static void guard_on_sigbus(int sig, siginfo_t *info, void *ucontext)
{
    (void)sig;
    (void)ucontext;
    const uint8_t *addr = info->si_addr;
    if (guard_lo && addr >= guard_lo && addr < guard_hi) {
        guard_fault_offset = (size_t)(addr - guard_lo);
        siglongjmp(guard_jump, 1);
    }
    /* Not ours: put the previous disposition back. Returning retries the
     * faulting access, which then meets it (by default: the process ends). */
    sigaction(SIGBUS, &guard_previous, NULL);
}

static ls_code guard_install(const ls_mapped_file *file, ls_error *err)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = guard_on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, &guard_previous) != 0)
        return ls_error_set(err, LS_ERR_IO, "cannot install a SIGBUS handler: %s",
                            strerror(errno));
    guard_lo = file->data;
    guard_hi = file->data + file->size;
    return LS_OK;
}

static void guard_remove(void)
{
    guard_lo = guard_hi = NULL;
    sigaction(SIGBUS, &guard_previous, NULL);
}

/* The scan itself: every line to fn, dropping pages behind it. */
static int scan_lines(const ls_mapped_file *file, ls_line_fn fn, void *ctx)
{
    const uint8_t *data = file->data;
    size_t size = file->size, start = 0, dropped = 0;
    int rc = 0;
    while (rc == 0 && start < size) {
        const uint8_t *nl = memchr(data + start, '\n', size - start);
        size_t end = nl ? (size_t)(nl - data) : size;
        rc = fn(ctx, data + start, end - start);
        start = end + 1;
        if (start - dropped >= 2 * DROP_WINDOW_BYTES) {
            (void)madvise((void *)(uintptr_t)(data + dropped), DROP_WINDOW_BYTES, MADV_DONTNEED);
            dropped += DROP_WINDOW_BYTES;
        }
    }
    return rc;
}

/* at_most: the file's new size, or the offset of the page that faulted. */
static ls_code shrank(const ls_mapped_file *file, size_t at_most, ls_error *err)
{
    return ls_error_set(err, LS_ERR_IO,
                        "input file shrank while being read (now at most %zu bytes of the %zu "
                        "it had when the read started)",
                        at_most, file->size);
}

ls_code ls_mapped_file_lines(ls_mapped_file *file, ls_line_fn fn, void *ctx, int *fn_rc,
                             ls_error *err)
{
    *fn_rc = 0;
    if (!file->data || file->size == 0)
        return LS_OK;
    ls_code rc = guard_install(file, err);
    if (rc)
        return rc;
    /* savemask 1: the handler runs with SIGBUS blocked; the jump must
     * restore the mask or a second fault would kill the process. */
    if (sigsetjmp(guard_jump, 1) != 0) {
        guard_remove();
        return shrank(file, guard_fault_offset, err);
    }
    *fn_rc = scan_lines(file, fn, ctx);
    guard_remove();
    struct stat st;
    if (fstat(file->fd, &st) == 0 && (uint64_t)st.st_size < file->size)
        return shrank(file, (size_t)st.st_size, err);
    return LS_OK;
}
