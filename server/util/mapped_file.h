/*
 * A regular file read through a read-only memory mapping, line by line: the
 * scanner reads the page cache in place, with no copy into a read buffer.
 *
 * A mapping has one hazard a read() loop does not: when the file is
 * truncated while it is mapped, touching a page past the new end raises
 * SIGBUS, which would end the process. ls_mapped_file_lines guards its scan:
 * such a fault becomes the error "input file shrank while being read" and
 * the caller cleans up as for any other error. A file cut inside the last
 * page it still has faults nowhere (that page reads as zeros past the new
 * end), so the size is checked again after the scan: the same error.
 *
 * The guard is a process-wide SIGBUS handler installed for the duration of
 * one ls_mapped_file_lines call: one scan at a time per process (lakesync
 * convert's single thread). A SIGBUS at any other address keeps its previous
 * disposition.
 */
#ifndef LAKESYNC_UTIL_MAPPED_FILE_H
#define LAKESYNC_UTIL_MAPPED_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct ls_mapped_file {
    const uint8_t *data;
    size_t size;
    int fd; /* the caller's; checked for shrinking after the scan */
} ls_mapped_file;

/* Maps the first size bytes (size > 0) of fd, a regular file opened for
 * reading. LS_ERR_IO when the system refuses (the caller can read() instead). */
ls_code ls_mapped_file_map(ls_mapped_file *file, int fd, size_t size, ls_error *err) LS_MUST_USE;

/* Unmaps; NULL-safe, and safe on a zeroed or already unmapped file. */
void ls_mapped_file_unmap(ls_mapped_file *file);

/* Called for each line, without its '\n' (the last line may have none).
 * Returns 0 to go on; anything else stops the scan.
 * It runs under the SIGBUS guard: a read of a lost page leaves it at once
 * (siglongjmp), wherever it is. So it must read the line only in code that
 * holds no lock and leaves nothing half-done when cut short — its own
 * copying and parsing, memcpy, memchr (convert's scanner does only that) —
 * never inside stdio, malloc or another thread's shared state; and what it
 * built must be dropped when the scan returns LS_ERR_IO. Nothing may read
 * the line through a kept pointer after ls_mapped_file_lines returns: a
 * lost page would then raise a SIGBUS no guard catches. */
typedef int (*ls_line_fn)(void *ctx, const uint8_t *line, size_t len);

/* Calls fn for every line of the mapping in order. Pages behind the scan are
 * released as it goes, so the resident size stays near a few MiB however
 * large the file is. Returns LS_OK when every line was passed or fn stopped
 * the scan (*fn_rc holds fn's last return, 0 when it never stopped), or
 * LS_ERR_IO when the file shrank during the scan (fn may have seen zeros
 * for the lost bytes first). */
ls_code ls_mapped_file_lines(ls_mapped_file *file, ls_line_fn fn, void *ctx, int *fn_rc,
                             ls_error *err) LS_MUST_USE;

#endif
