/*
 * file:// backend: objects are files under a root directory, keys are
 * relative paths. Writes go to a temp file in the target's directory, are
 * fsynced, then renamed (put) or linked (create-if-absent) into place, and the
 * directory is fsynced, so a crash leaves the old object or the new one.
 * Keys were checked lexically by the front (no "..", no absolute path); here
 * the real parent directory is also checked to lie inside the real root, so a
 * symlink planted in the tree cannot lead writes outside it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "objstore_internal.h"

#define TEMP_MARK ".lakesync-tmp-"
#define LIST_WALK_MAX 1000000

typedef struct file_backend {
    char *root;      /* as given */
    char *real_root; /* realpath of root */
    uint32_t page_size;
    ls_objstore_atomic_counters *counters;
} file_backend;

typedef struct file_upload {
    file_backend *fb;
    int fd;
    char *temp_path;
    char *final_path;
    uint64_t bytes;
} file_upload;

static ls_code io_error(ls_error *err, const char *what, const char *path)
{
    int e = errno;
    ls_code code = e == ENOENT ? LS_ERR_NOT_FOUND : e == EACCES || e == EPERM ? LS_ERR_PERMISSION
                   : e == ENOSPC || e == EDQUOT ? LS_ERR_UNAVAILABLE : LS_ERR_IO;
    return ls_error_set(err, code, "%s '%.200s': %s", what, path, strerror(e));
}

static char *join_path(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    bool slash = na > 0 && a[na - 1] != '/';
    char *out = malloc(na + nb + 2);
    if (out) {
        memcpy(out, a, na);
        if (slash)
            out[na++] = '/';
        memcpy(out + na, b, nb + 1);
    }
    return out;
}

static ls_code fsync_dir_of(const char *path, ls_error *err);

/* LS_OK when directory dir resolves (symlinks followed) inside the real root. */
static ls_code dir_inside_root(const file_backend *fb, const char *dir, const char *path,
                               ls_error *err)
{
    char *real = realpath(dir, NULL);
    if (!real)
        return io_error(err, "cannot resolve directory", dir);
    size_t n = strlen(fb->real_root);
    bool inside = strncmp(real, fb->real_root, n) == 0 &&
                  (real[n] == '\0' || real[n] == '/' || (n == 1 && fb->real_root[0] == '/'));
    free(real);
    if (!inside)
        return ls_error_set_field(err, LS_ERR_PERMISSION, "key",
                                  "path '%.200s' resolves outside the storage root; refused", path);
    return LS_OK;
}

/* mkdir -p for the directories of path up to (not including) its last
 * segment. Each directory is checked to resolve inside the root before
 * anything is created beneath it, so a planted symlink cannot lead mkdir out. */
static ls_code make_parents(const file_backend *fb, const char *path, ls_error *err)
{
    char *copy = strdup(path);
    if (!copy)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    ls_code rc = LS_OK;
    size_t root_len = strlen(fb->root);
    for (char *p = copy + root_len; *p && !rc; p++) {
        if (*p != '/' || p == copy)
            continue;
        *p = '\0';
        bool created = mkdir(copy, 0755) == 0;
        if (!created && errno != EEXIST)
            rc = io_error(err, "cannot create directory", copy);
        if (!rc)
            rc = dir_inside_root(fb, copy, path, err);
        /* A new directory's entry must survive a crash like the file in it. */
        if (!rc && created)
            rc = fsync_dir_of(copy, err);
        *p = '/';
    }
    free(copy);
    return rc;
}

/* The directory part of path must resolve inside the real root. */
static ls_code check_inside_root(const file_backend *fb, const char *path, ls_error *err)
{
    char *dir = strdup(path);
    if (!dir)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir)
        *slash = '\0';
    ls_code rc = dir_inside_root(fb, dir, path, err);
    free(dir);
    return rc;
}

static ls_code fsync_dir_of(const char *path, ls_error *err)
{
    char *dir = strdup(path);
    if (!dir)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    ls_code rc = LS_OK;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0)
        rc = io_error(err, "cannot sync directory", dir);
    if (fd >= 0)
        close(fd);
    free(dir);
    return rc;
}

/* Opens a fresh temp file beside final_path (O_EXCL; name from pid + random). */
static ls_code open_temp(const file_backend *fb, const char *final_path, char **temp_out,
                         int *fd_out, ls_error *err)
{
    *temp_out = NULL;
    *fd_out = -1;
    ls_code rc = make_parents(fb, final_path, err);
    if (!rc)
        rc = check_inside_root(fb, final_path, err);
    if (rc)
        return rc;
    const char *slash = strrchr(final_path, '/');
    size_t dir_len = slash ? (size_t)(slash - final_path + 1) : 0;
    size_t n = strlen(final_path) + 64;
    char *temp = malloc(n);
    if (!temp)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    for (int attempt = 0; attempt < 16; attempt++) {
        snprintf(temp, n, "%.*s" TEMP_MARK "%ld-%08x", (int)dir_len, final_path, (long)getpid(),
                 arc4random());
        int fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            *temp_out = temp;
            *fd_out = fd;
            return LS_OK;
        }
        if (errno != EEXIST)
            break;
    }
    rc = io_error(err, "cannot create temp file", temp);
    free(temp);
    return rc;
}

static ls_code write_all(int fd, const void *data, size_t len, const char *path, ls_error *err)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return io_error(err, "cannot write", path);
        p += n;
        len -= (size_t)n;
    }
    return LS_OK;
}

/* Syncs and closes the temp file, then renames or links it to final_path. */
static ls_code publish_temp(int fd, const char *temp, const char *final_path, bool if_absent,
                            ls_error *err)
{
    ls_code rc = LS_OK;
    if (fsync(fd) != 0)
        rc = io_error(err, "cannot sync", temp);
    if (close(fd) != 0 && !rc)
        rc = io_error(err, "cannot close", temp);
    if (rc) {
        unlink(temp);
        return rc;
    }
    if (if_absent) {
        /* link() fails with EEXIST when the name is taken: atomic create. */
        if (link(temp, final_path) != 0) {
            rc = errno == EEXIST ? ls_error_set(err, LS_ERR_CONFLICT,
                                                "object '%.200s' already exists", final_path)
                                 : io_error(err, "cannot link", final_path);
        }
        unlink(temp);
    } else if (rename(temp, final_path) != 0) {
        rc = io_error(err, "cannot rename into", final_path);
        unlink(temp);
    }
    if (!rc)
        rc = fsync_dir_of(final_path, err);
    return rc;
}

static ls_code file_put(void *backend, const char *key, const void *data, size_t len,
                        bool if_absent, ls_error *err)
{
    file_backend *fb = backend;
    ls_objstore_count(&fb->counters->put_requests, 1);
    char *path = join_path(fb->root, key);
    if (!path)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    char *temp = NULL;
    int fd = -1;
    ls_code rc = open_temp(fb, path, &temp, &fd, err);
    if (!rc) {
        rc = write_all(fd, data, len, temp, err);
        if (rc) {
            close(fd);
            unlink(temp);
        } else {
            rc = publish_temp(fd, temp, path, if_absent, err);
        }
    }
    if (!rc)
        ls_objstore_count(&fb->counters->bytes_up, len);
    free(temp);
    free(path);
    return rc;
}

static ls_code file_get(void *backend, const char *key, uint64_t offset, uint64_t len,
                        ls_buf *out, ls_error *err)
{
    file_backend *fb = backend;
    ls_objstore_count(&fb->counters->get_requests, 1);
    char *path = join_path(fb->root, key);
    if (!path)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    int fd = -1;
    struct stat st;
    ls_code rc = check_inside_root(fb, path, err);
    if (rc)
        goto out;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        rc = io_error(err, "cannot open object", path);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = ls_error_set(err, LS_ERR_NOT_FOUND, "'%.200s' is not an object", path);
        goto out;
    }
    uint64_t size = (uint64_t)st.st_size;
    uint64_t want = offset >= size ? 0 : size - offset;
    if (len != UINT64_MAX && want > len)
        want = len;
    if (want > out->max_bytes - out->len || want > SIZE_MAX) {
        rc = ls_error_set(err, LS_ERR_TOO_LARGE, "object '%.200s' (%llu bytes) exceeds the cap",
                          key, (unsigned long long)want);
        goto out;
    }
    if ((rc = ls_buf_reserve(out, (size_t)want, err)))
        goto out;
    uint64_t done = 0;
    while (done < want) {
        ssize_t n = pread(fd, out->data + out->len, (size_t)(want - done), (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? io_error(err, "cannot read", path)
                       : ls_error_set(err, LS_ERR_IO, "'%.200s' shrank while read", path);
            goto out;
        }
        out->len += (size_t)n;
        done += (uint64_t)n;
    }
    out->data[out->len] = '\0';
    ls_objstore_count(&fb->counters->bytes_down, done);
out:
    if (fd >= 0)
        close(fd);
    free(path);
    return rc;
}

static ls_code file_head(void *backend, const char *key, ls_objstore_info *info, ls_error *err)
{
    file_backend *fb = backend;
    ls_objstore_count(&fb->counters->head_requests, 1);
    char *path = join_path(fb->root, key);
    if (!path)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    struct stat st;
    ls_code rc = check_inside_root(fb, path, err);
    if (rc)
        ;
    else if (stat(path, &st) != 0)
        rc = io_error(err, "no object", path);
    else if (!S_ISREG(st.st_mode))
        rc = ls_error_set(err, LS_ERR_NOT_FOUND, "'%.200s' is not an object", path);
    if (!rc) {
        info->size_bytes = (uint64_t)st.st_size;
        /* A weak ETag: changes whenever the file is replaced or rewritten. */
        snprintf(info->etag, sizeof info->etag, "%llx-%llx-%llx",
                 (unsigned long long)st.st_ino, (unsigned long long)st.st_mtim.tv_sec * 1000000000ull +
                     (unsigned long long)st.st_mtim.tv_nsec,
                 (unsigned long long)st.st_size);
    }
    free(path);
    return rc;
}

static ls_code file_del(void *backend, const char *key, ls_error *err)
{
    file_backend *fb = backend;
    ls_objstore_count(&fb->counters->delete_requests, 1);
    char *path = join_path(fb->root, key);
    if (!path)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    ls_error local;
    ls_error_clear(&local);
    ls_code rc = check_inside_root(fb, path, &local);
    struct stat st;
    if (rc == LS_ERR_NOT_FOUND) { /* the directory is missing: so is the object */
        rc = LS_OK;
        goto out;
    }
    if (rc) {
        ls_error_set_field(err, rc, local.field[0] ? local.field : NULL, "%s", local.message);
        goto out;
    }
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
        rc = ls_error_set(err, LS_ERR_INVALID, "'%.200s' is a directory, not an object", key);
    else if (unlink(path) == 0)
        rc = fsync_dir_of(path, err);
    else if (errno != ENOENT && errno != ENOTDIR)
        rc = io_error(err, "cannot delete", path);
out:
    free(path);
    return rc;
}

static int compare_entries(const void *a, const void *b)
{
    return strcmp(((const ls_objstore_entry *)a)->key, ((const ls_objstore_entry *)b)->key);
}

/* Collects every regular file under root whose key starts with prefix, with
 * an explicit stack of directories to visit. */
static ls_code walk_tree(file_backend *fb, const char *prefix, ls_objstore_list_page *all,
                         ls_error *err)
{
    char **stack = malloc(sizeof *stack * 64);
    size_t depth = 0, cap = 64, walked = 0;
    ls_code rc = LS_OK;
    if (!stack || !(stack[depth++] = strdup("")))
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    size_t plen = strlen(prefix);
    while (!rc && depth > 0) {
        char *rel = stack[--depth];
        char *dir_path = *rel ? join_path(fb->root, rel) : strdup(fb->root);
        DIR *dir = dir_path ? opendir(dir_path) : NULL;
        if (!dir && dir_path && errno != ENOENT && errno != ENOTDIR)
            rc = io_error(err, "cannot list", dir_path);
        for (struct dirent *de; !rc && dir && (de = readdir(dir));) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
                strncmp(de->d_name, TEMP_MARK, strlen(TEMP_MARK)) == 0)
                continue;
            if (++walked > LIST_WALK_MAX) {
                rc = ls_error_set(err, LS_ERR_TOO_LARGE, "more than %d files under the root",
                                  LIST_WALK_MAX);
                break;
            }
            char *child = *rel ? join_path(rel, de->d_name) : strdup(de->d_name);
            char *full = child ? join_path(fb->root, child) : NULL;
            struct stat st;
            if (!child || !full) {
                rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
            } else if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
                /* Descend only where the prefix can still match. */
                size_t clen = strlen(child);
                bool may_match = strncmp(child, prefix, clen < plen ? clen : plen) == 0;
                if (may_match && depth == cap) {
                    char **grown = realloc(stack, sizeof *stack * cap * 2);
                    if (!grown)
                        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
                    else
                        stack = grown, cap *= 2;
                }
                if (!rc && may_match) {
                    stack[depth++] = child;
                    child = NULL;
                }
            } else if (S_ISREG(st.st_mode) && strncmp(child, prefix, plen) == 0) {
                rc = ls_objstore_page_append(all, child, strlen(child), (uint64_t)st.st_size,
                                             (int64_t)st.st_mtim.tv_sec * 1000 +
                                                 st.st_mtim.tv_nsec / 1000000,
                                             err);
            }
            free(child);
            free(full);
        }
        if (dir)
            closedir(dir);
        free(dir_path);
        free(rel);
    }
    while (depth > 0)
        free(stack[--depth]);
    free(stack);
    return rc;
}

static ls_code file_list(void *backend, const char *prefix, const char *token,
                         ls_objstore_list_page *page, ls_error *err)
{
    file_backend *fb = backend;
    ls_objstore_count(&fb->counters->list_requests, 1);
    ls_objstore_list_page all = {0};
    ls_code rc = walk_tree(fb, prefix, &all, err);
    if (rc)
        goto out;
    if (all.count > 1)
        qsort(all.entries, all.count, sizeof all.entries[0], compare_entries);
    /* The token is the last key of the previous page: continue after it. */
    size_t start = 0;
    while (token && start < all.count && strcmp(all.entries[start].key, token) <= 0)
        start++;
    size_t end = start + fb->page_size < all.count ? start + fb->page_size : all.count;
    for (size_t i = start; i < end && !rc; i++)
        rc = ls_objstore_page_append(page, all.entries[i].key, strlen(all.entries[i].key),
                                     all.entries[i].size_bytes, all.entries[i].modified_ms, err);
    if (!rc && end < all.count && end > start) {
        page->next_token = strdup(all.entries[end - 1].key);
        if (!page->next_token)
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    }
out:
    ls_objstore_list_page_cleanup(&all);
    return rc;
}

static ls_code file_upload_begin(void *backend, const char *key, void **state, ls_error *err)
{
    file_backend *fb = backend;
    file_upload *u = calloc(1, sizeof *u);
    if (!u)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    u->fb = fb;
    u->fd = -1;
    u->final_path = join_path(fb->root, key);
    ls_code rc = u->final_path ? open_temp(fb, u->final_path, &u->temp_path, &u->fd, err)
                               : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (rc) {
        free(u->final_path);
        free(u);
        return rc;
    }
    *state = u;
    return LS_OK;
}

static ls_code file_upload_write(void *state, const void *data, size_t len, ls_error *err)
{
    file_upload *u = state;
    ls_code rc = write_all(u->fd, data, len, u->temp_path, err);
    if (!rc) {
        u->bytes += len;
        ls_objstore_count(&u->fb->counters->bytes_up, len);
    }
    return rc;
}

static void file_upload_free(file_upload *u)
{
    free(u->temp_path);
    free(u->final_path);
    free(u);
}

static ls_code file_upload_commit(void *state, ls_error *err)
{
    file_upload *u = state;
    ls_objstore_count(&u->fb->counters->put_requests, 1);
    ls_code rc = publish_temp(u->fd, u->temp_path, u->final_path, false, err);
    file_upload_free(u);
    return rc;
}

static void file_upload_abort(void *state)
{
    file_upload *u = state;
    if (u->fd >= 0)
        close(u->fd);
    unlink(u->temp_path);
    file_upload_free(u);
}

static void file_free(void *backend)
{
    file_backend *fb = backend;
    free(fb->root);
    free(fb->real_root);
    free(fb);
}

static const ls_objstore_backend_ops file_ops = {
    .put = file_put,
    .get = file_get,
    .head = file_head,
    .del = file_del,
    .list = file_list,
    .upload_begin = file_upload_begin,
    .upload_write = file_upload_write,
    .upload_commit = file_upload_commit,
    .upload_abort = file_upload_abort,
    .free = file_free,
};

ls_code ls_objstore_file_new(const ls_objstore_config *cfg, ls_objstore_atomic_counters *counters,
                             const ls_objstore_backend_ops **ops, void **backend, ls_error *err)
{
    file_backend *fb = calloc(1, sizeof *fb);
    if (!fb)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    fb->counters = counters;
    fb->page_size = cfg->list_page_size;
    fb->root = strdup(cfg->root_path);
    ls_code rc = fb->root ? LS_OK : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    /* Create the root and its parents (mkdir -p). */
    for (char *p = fb->root ? fb->root + 1 : NULL; !rc && p && *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(fb->root, 0755) != 0 && errno != EEXIST)
            rc = io_error(err, "cannot create directory", fb->root);
        *p = '/';
    }
    if (!rc && mkdir(fb->root, 0755) != 0 && errno != EEXIST)
        rc = io_error(err, "cannot create storage root", fb->root);
    if (!rc && !(fb->real_root = realpath(fb->root, NULL)))
        rc = io_error(err, "cannot resolve storage root", fb->root);
    if (rc) {
        file_free(fb);
        return rc;
    }
    *ops = &file_ops;
    *backend = fb;
    return LS_OK;
}
