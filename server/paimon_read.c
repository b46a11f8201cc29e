#include "paimon_read.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static ls_code nomem(ls_error *err)
{
    return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
}

/* --------------------------------------------------------------------------
 * Local directory storage.
 */
static ls_code dir_join(const char *root, const char *path, char *out, size_t size,
                        ls_error *err)
{
    int n = snprintf(out, size, "%s/%s", root, path);
    if (n < 0 || (size_t)n >= size)
        return ls_error_set(err, LS_ERR_INVALID, "path too long: %.200s", path);
    return LS_OK;
}

static ls_code dir_read(void *ctx, const char *path, ls_buf *out, ls_error *err)
{
    char full[4096];
    ls_code rc = dir_join(ctx, path, full, sizeof full, err);
    if (rc)
        return rc;
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ls_error_set(err, errno == ENOENT ? LS_ERR_NOT_FOUND : LS_ERR_IO,
                            "cannot open %.300s: %s", full, strerror(errno));
    for (;;) {
        rc = ls_buf_reserve(out, 65536, err);
        if (rc)
            break;
        ssize_t got = read(fd, out->data + out->len, 65536);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = ls_error_set(err, LS_ERR_IO, "cannot read %.300s: %s", full, strerror(errno));
            break;
        }
        if (got == 0)
            break;
        out->len += (size_t)got;
    }
    if (out->data)
        out->data[out->len] = '\0';
    close(fd);
    return rc;
}

static ls_code dir_list(void *ctx, const char *dir, ls_buf *names, ls_error *err)
{
    char full[4096];
    ls_code rc = dir_join(ctx, dir, full, sizeof full, err);
    if (rc)
        return rc;
    DIR *d = opendir(full);
    if (!d)
        return errno == ENOENT ? LS_OK
                               : ls_error_set(err, LS_ERR_IO, "cannot list %.300s: %s", full,
                                              strerror(errno));
    struct dirent *e;
    while (rc == LS_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        rc = ls_buf_append(names, e->d_name, strlen(e->d_name) + 1, err);
    }
    closedir(d);
    return rc;
}

ls_paimon_storage ls_paimon_storage_for_dir(const char *root)
{
    return (ls_paimon_storage){.read = dir_read, .list = dir_list, .ctx = (void *)root};
}

/* --------------------------------------------------------------------------
 * Snapshot ids and hints (SnapshotManager, HintFileUtils).
 */

/* Reads path into out (reset first). *found is false for LS_ERR_NOT_FOUND. */
static ls_code read_object(const ls_paimon_storage *st, const char *path, ls_buf *out,
                           bool *found, ls_error *err)
{
    ls_error local;
    ls_error_clear(&local);
    ls_buf_reset(out);
    ls_code rc = st->read(st->ctx, path, out, &local);
    *found = rc == LS_OK;
    if (rc == LS_ERR_NOT_FOUND)
        return LS_OK;
    if (rc)
        return ls_error_set(err, rc, "%s", local.message);
    return LS_OK;
}

static ls_code snapshot_exists(const ls_paimon_storage *st, int64_t id, bool *exists,
                               ls_error *err)
{
    char path[64];
    snprintf(path, sizeof path, "snapshot/snapshot-%" PRId64, id);
    ls_buf buf;
    ls_buf_init(&buf, LS_PAIMON_MAX_METADATA_BYTES);
    ls_code rc = read_object(st, path, &buf, exists, err);
    ls_buf_cleanup(&buf);
    return rc;
}

/* A hint file's number, or -1 when absent or not a positive decimal. */
static ls_code read_hint(const ls_paimon_storage *st, const char *name, int64_t *out,
                         ls_error *err)
{
    char path[64];
    snprintf(path, sizeof path, "snapshot/%s", name);
    ls_buf buf;
    ls_buf_init(&buf, 64);
    bool found = false;
    *out = -1;
    ls_error local;
    ls_error_clear(&local);
    ls_code rc = read_object(st, path, &buf, &found, &local);
    if (rc == LS_ERR_TOO_LARGE) {
        rc = LS_OK; /* not a hint Paimon could parse either: ignore it */
    } else if (rc) {
        rc = ls_error_set(err, rc, "%s", local.message);
    } else if (found && buf.len > 0) {
        char *end;
        errno = 0;
        long long v = strtoll((const char *)buf.data, &end, 10);
        if (errno == 0 && end != (char *)buf.data && *end == '\0' && v > 0)
            *out = v;
    }
    ls_buf_cleanup(&buf);
    return rc;
}

/* Appends id to a growing array. */
static ls_code push_id(int64_t **ids, size_t *count, size_t *cap, int64_t id, ls_error *err)
{
    if (*count == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 16;
        int64_t *grown = realloc(*ids, grown_cap * sizeof *grown);
        if (!grown)
            return nomem(err);
        *ids = grown;
        *cap = grown_cap;
    }
    (*ids)[(*count)++] = id;
    return LS_OK;
}

static int compare_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Collects the N of "<prefix><N>" names under dir, ascending. */
static ls_code collect_ids(const ls_paimon_storage *st, const char *dir, const char *prefix,
                           int64_t **ids_out, size_t *count_out, ls_error *err)
{
    ls_buf names;
    ls_buf_init(&names, (size_t)64 << 20);
    int64_t *ids = NULL;
    size_t count = 0, cap = 0;
    ls_code rc = st->list(st->ctx, dir, &names, err);
    size_t plen = strlen(prefix);
    for (size_t at = 0; rc == LS_OK && at < names.len;) {
        const char *name = (const char *)names.data + at;
        at += strlen(name) + 1;
        if (strncmp(name, prefix, plen) != 0 || name[plen] < '0' || name[plen] > '9')
            continue;
        char *end;
        long long v = strtoll(name + plen, &end, 10);
        if (*end != '\0' || v < 0)
            continue;
        rc = push_id(&ids, &count, &cap, v, err);
    }
    ls_buf_cleanup(&names);
    if (rc) {
        free(ids);
        return rc;
    }
    if (count)
        qsort(ids, count, sizeof *ids, compare_ids);
    *ids_out = ids;
    *count_out = count;
    return LS_OK;
}

/* Lists "<prefix><N>" names under dir; min and max get the extremes (-1: none). */
static ls_code list_ids(const ls_paimon_storage *st, const char *dir, const char *prefix,
                        int64_t *min, int64_t *max, ls_error *err)
{
    int64_t *ids = NULL;
    size_t count = 0;
    *min = *max = -1;
    ls_code rc = collect_ids(st, dir, prefix, &ids, &count, err);
    if (!rc && count) {
        *min = ids[0];
        *max = ids[count - 1];
    }
    free(ids);
    return rc;
}

/* Without listing: the last existing id of the run starting at from. */
static ls_code probe_up(const ls_paimon_storage *st, int64_t from, int64_t *last, ls_error *err)
{
    *last = 0;
    for (int64_t id = from, n = 0; n < LS_PAIMON_MAX_SNAPSHOT_PROBES; id++, n++) {
        bool exists = false;
        ls_code rc = snapshot_exists(st, id, &exists, err);
        if (rc)
            return rc;
        if (!exists)
            return LS_OK;
        *last = id;
    }
    return ls_error_set(err, LS_ERR_TOO_LARGE, "over %d snapshots to probe",
                        LS_PAIMON_MAX_SNAPSHOT_PROBES);
}

ls_code ls_paimon_latest_snapshot_id(const ls_paimon_storage *st, int64_t *id_out, ls_error *err)
{
    int64_t hint = -1, min = -1, max = -1;
    bool next_exists = false;
    *id_out = 0;
    ls_code rc = read_hint(st, "LATEST", &hint, err);
    if (rc == LS_OK && hint > 0)
        rc = snapshot_exists(st, hint + 1, &next_exists, err);
    if (rc || (hint > 0 && !next_exists)) {
        *id_out = rc ? 0 : hint;
        return rc;
    }
    if (st->list) {
        rc = list_ids(st, "snapshot", "snapshot-", &min, &max, err);
        *id_out = max > 0 ? max : 0;
        return rc;
    }
    /* Probe: from the stale hint upward, else from EARLIEST or 1. */
    int64_t from = hint > 0 ? hint + 1 : 1;
    if (hint <= 0) {
        rc = read_hint(st, "EARLIEST", &hint, err);
        if (rc == LS_OK && hint > 0)
            from = hint;
    }
    return rc ? rc : probe_up(st, from, id_out, err);
}

ls_code ls_paimon_earliest_snapshot_id(const ls_paimon_storage *st, int64_t *id_out,
                                       ls_error *err)
{
    int64_t hint = -1, min = -1, max = -1;
    bool exists = false;
    *id_out = 0;
    ls_code rc = read_hint(st, "EARLIEST", &hint, err);
    if (rc == LS_OK && hint > 0)
        rc = snapshot_exists(st, hint, &exists, err);
    if (rc || exists) {
        *id_out = rc ? 0 : hint;
        return rc;
    }
    if (st->list) {
        rc = list_ids(st, "snapshot", "snapshot-", &min, &max, err);
        *id_out = min > 0 ? min : 0;
        return rc;
    }
    int64_t latest = 0;
    rc = ls_paimon_latest_snapshot_id(st, &latest, err);
    for (int64_t id = 1; rc == LS_OK && id <= latest; id++) {
        rc = snapshot_exists(st, id, &exists, err);
        if (rc == LS_OK && exists) {
            *id_out = id;
            break;
        }
    }
    return rc;
}

ls_code ls_paimon_schema_ids(const ls_paimon_storage *st, int64_t **ids_out, size_t *count_out,
                             ls_error *err)
{
    *ids_out = NULL;
    *count_out = 0;
    if (st->list)
        return collect_ids(st, "schema", "schema-", ids_out, count_out, err);
    size_t cap = 0;
    ls_buf buf;
    ls_buf_init(&buf, LS_PAIMON_MAX_METADATA_BYTES);
    ls_code rc = LS_OK;
    for (int64_t id = 0; rc == LS_OK; id++) {
        char path[64];
        bool found = false;
        if (id == LS_PAIMON_MAX_SNAPSHOT_PROBES) {
            rc = ls_error_set(err, LS_ERR_TOO_LARGE, "over %d schemas to probe",
                              LS_PAIMON_MAX_SNAPSHOT_PROBES);
            break;
        }
        snprintf(path, sizeof path, "schema/schema-%" PRId64, id);
        rc = read_object(st, path, &buf, &found, err);
        if (rc || !found)
            break;
        rc = push_id(ids_out, count_out, &cap, id, err);
    }
    ls_buf_cleanup(&buf);
    if (rc) {
        free(*ids_out);
        *ids_out = NULL;
        *count_out = 0;
    }
    return rc;
}

ls_code ls_paimon_snapshot_ids(const ls_paimon_storage *st, int64_t **ids_out, size_t *count_out,
                               ls_error *err)
{
    int64_t earliest = 0, latest = 0;
    size_t cap = 0;
    *ids_out = NULL;
    *count_out = 0;
    if (st->list) {
        ls_code rc = collect_ids(st, "snapshot", "snapshot-", ids_out, count_out, err);
        /* Snapshot ids start at 1; a "snapshot-0" is no snapshot of Paimon's. */
        if (!rc && *count_out && (*ids_out)[0] == 0)
            memmove(*ids_out, *ids_out + 1, --*count_out * sizeof **ids_out);
        return rc;
    }
    /* Expiry removes snapshots from the oldest end: the ids in between exist. */
    ls_code rc = ls_paimon_earliest_snapshot_id(st, &earliest, err);
    if (!rc)
        rc = ls_paimon_latest_snapshot_id(st, &latest, err);
    if (!rc && earliest > 0 && latest - earliest >= LS_PAIMON_MAX_SNAPSHOT_PROBES)
        rc = ls_error_set(err, LS_ERR_TOO_LARGE, "over %d snapshots",
                          LS_PAIMON_MAX_SNAPSHOT_PROBES);
    for (int64_t id = earliest; !rc && earliest > 0 && id <= latest; id++)
        rc = push_id(ids_out, count_out, &cap, id, err);
    if (rc) {
        free(*ids_out);
        *ids_out = NULL;
        *count_out = 0;
    }
    return rc;
}

/* --------------------------------------------------------------------------
 * Table state.
 */
void ls_paimon_table_free(ls_paimon_table *t)
{
    if (!t)
        return;
    ls_paimon_snapshot_cleanup(&t->snapshot);
    ls_paimon_schema_cleanup(&t->schema);
    ls_paimon_manifest_metas_free(t->base_metas, t->base_meta_count);
    ls_paimon_manifest_metas_free(t->delta_metas, t->delta_meta_count);
    for (size_t i = 0; i < t->file_count; i++) {
        free(t->files[i].path);
        ls_paimon_manifest_entry_cleanup(&t->files[i].entry);
    }
    free(t->files);
    free(t->live_entries);
    free(t);
}

void ls_paimon_commit_input_set_previous(ls_paimon_commit_input *in, const ls_paimon_table *t)
{
    in->previous = t->has_snapshot ? &t->snapshot : NULL;
    in->previous_base = t->base_metas;
    in->previous_base_count = t->base_meta_count;
    in->previous_delta = t->delta_metas;
    in->previous_delta_count = t->delta_meta_count;
    in->merge_base = t->has_snapshot && t->base_meta_count + t->delta_meta_count >=
                                            LS_PAIMON_MANIFEST_MERGE_MIN_COUNT;
    in->merge_entries = in->merge_base ? t->live_entries : NULL;
    in->merge_entry_count = in->merge_base ? t->file_count : 0;
}

/* Names taken from metadata become paths: refuse anything but a plain name. */
static ls_code check_plain_name(const char *name, ls_error *err)
{
    if (!name[0] || strlen(name) > 400 || strchr(name, '/') || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0)
        return ls_error_set(err, LS_ERR_FORMAT, "metadata names a bad file '%.200s'", name);
    return LS_OK;
}

static ls_code read_required(const ls_paimon_storage *st, const char *path, ls_buf *buf,
                             ls_error *err)
{
    bool found = false;
    ls_code rc = read_object(st, path, buf, &found, err);
    if (rc == LS_OK && !found)
        rc = ls_error_set(err, LS_ERR_FORMAT, "%.300s is missing", path);
    return rc;
}

static ls_code read_schema(const ls_paimon_storage *st, int64_t id, ls_paimon_schema *out,
                           bool *found, ls_error *err)
{
    char path[64];
    snprintf(path, sizeof path, "schema/schema-%" PRId64, id);
    ls_buf buf;
    ls_buf_init(&buf, LS_PAIMON_MAX_METADATA_BYTES);
    ls_code rc = read_object(st, path, &buf, found, err);
    if (rc == LS_OK && *found)
        rc = ls_paimon_schema_from_json((const char *)buf.data, buf.len, out, err);
    ls_buf_cleanup(&buf);
    return rc;
}

/* The newest schema of a table without snapshots. */
static ls_code read_newest_schema(const ls_paimon_storage *st, ls_paimon_schema *out,
                                  ls_error *err)
{
    int64_t *ids = NULL;
    size_t count = 0;
    bool found = false;
    ls_code rc = ls_paimon_schema_ids(st, &ids, &count, err);
    int64_t max = count ? ids[count - 1] : -1;
    free(ids);
    if (rc)
        return rc;
    if (max < 0)
        return ls_error_set(err, LS_ERR_NOT_FOUND, "no schema file: not a Paimon table");
    rc = read_schema(st, max, out, &found, err);
    if (rc == LS_OK && !found)
        rc = ls_error_set(err, LS_ERR_FORMAT, "schema-%" PRId64 " vanished", max);
    return rc;
}

static ls_code read_list(const ls_paimon_storage *st, const char *name,
                         ls_paimon_manifest_meta **metas, size_t *count, ls_error *err)
{
    char path[512];
    ls_code rc = check_plain_name(name, err);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "manifest/%s", name);
    ls_buf buf;
    ls_buf_init(&buf, LS_PAIMON_MAX_METADATA_BYTES);
    rc = read_required(st, path, &buf, err);
    if (rc == LS_OK)
        rc = ls_paimon_manifest_list_read(buf.data, buf.len, metas, count, err);
    ls_buf_cleanup(&buf);
    if (rc)
        ls_error_name_field(err, name);
    return rc;
}

static bool same_file(const ls_paimon_manifest_entry *a, const ls_paimon_manifest_entry *b)
{
    return a->bucket == b->bucket && a->partition.len == b->partition.len &&
           memcmp(a->partition.data, b->partition.data, a->partition.len) == 0 &&
           strcmp(a->file.file_name, b->file.file_name) == 0;
}

/* Applies one manifest's entries: ADD appends (taking the entry), DELETE
 * removes the matching live file (FileEntry.mergeEntries). */
static ls_code apply_entries(ls_paimon_table *t, ls_paimon_manifest_entry *entries,
                             size_t count, size_t *cap, ls_error *err)
{
    for (size_t i = 0; i < count; i++) {
        ls_paimon_manifest_entry *e = &entries[i];
        if (e->kind == LS_PAIMON_KIND_DELETE) {
            for (size_t j = 0; j < t->file_count; j++) {
                if (!same_file(&t->files[j].entry, e))
                    continue;
                free(t->files[j].path);
                ls_paimon_manifest_entry_cleanup(&t->files[j].entry);
                memmove(&t->files[j], &t->files[j + 1],
                        (t->file_count - j - 1) * sizeof *t->files);
                t->file_count--;
                break;
            }
            continue;
        }
        if (t->file_count == *cap) {
            size_t grown_cap = *cap ? *cap * 2 : 16;
            ls_paimon_live_file *grown = realloc(t->files, grown_cap * sizeof *grown);
            if (!grown)
                return nomem(err);
            t->files = grown;
            *cap = grown_cap;
        }
        ls_paimon_live_file *f = &t->files[t->file_count++];
        f->entry = *e;
        memset(e, 0, sizeof *e);
        f->path = NULL;
    }
    return LS_OK;
}

static ls_code read_manifests(const ls_paimon_storage *st, ls_paimon_table *t,
                              const ls_paimon_manifest_meta *metas, size_t count, size_t *cap,
                              ls_error *err)
{
    ls_buf buf;
    ls_buf_init(&buf, LS_PAIMON_MAX_METADATA_BYTES);
    ls_code rc = LS_OK;
    for (size_t i = 0; rc == LS_OK && i < count; i++) {
        char path[512];
        ls_paimon_manifest_entry *entries = NULL;
        size_t n = 0;
        rc = check_plain_name(metas[i].file_name, err);
        if (rc)
            break;
        snprintf(path, sizeof path, "manifest/%s", metas[i].file_name);
        rc = read_required(st, path, &buf, err);
        if (rc == LS_OK)
            rc = ls_paimon_manifest_read(buf.data, buf.len, &entries, &n, err);
        if (rc == LS_OK)
            rc = apply_entries(t, entries, n, cap, err);
        if (rc)
            ls_error_name_field(err, metas[i].file_name);
        ls_paimon_manifest_entries_free(entries, n);
    }
    ls_buf_cleanup(&buf);
    return rc;
}

static ls_code resolve_paths(ls_paimon_table *t, ls_error *err)
{
    ls_buf path;
    ls_buf_init(&path, 1 << 20);
    t->live_entries = calloc(t->file_count ? t->file_count : 1, sizeof *t->live_entries);
    ls_code rc = t->live_entries ? LS_OK : nomem(err);
    for (size_t i = 0; rc == LS_OK && i < t->file_count; i++)
        t->live_entries[i] = &t->files[i].entry;
    for (size_t i = 0; rc == LS_OK && i < t->file_count; i++) {
        ls_paimon_live_file *f = &t->files[i];
        t->row_count += f->entry.file.row_count;
        ls_buf_reset(&path);
        if (f->entry.file.external_path) {
            rc = ls_buf_append_str(&path, f->entry.file.external_path, err);
        } else {
            rc = check_plain_name(f->entry.file.file_name, err);
            if (rc == LS_OK)
                rc = ls_paimon_data_file_path(&t->schema, f->entry.partition.data,
                                              f->entry.partition.len, f->entry.bucket,
                                              f->entry.file.file_name, &path, err);
        }
        if (rc == LS_OK && !(f->path = strdup((const char *)path.data)))
            rc = nomem(err);
    }
    ls_buf_cleanup(&path);
    return rc;
}

static ls_code read_state(const ls_paimon_storage *st, int64_t snapshot_id, ls_paimon_table *t,
                          ls_error *err)
{
    char path[64];
    snprintf(path, sizeof path, "snapshot/snapshot-%" PRId64, snapshot_id);
    ls_buf buf;
    ls_buf_init(&buf, LS_PAIMON_MAX_METADATA_BYTES);
    bool found = false;
    ls_code rc = read_object(st, path, &buf, &found, err);
    if (rc == LS_OK && !found)
        rc = ls_error_set(err, LS_ERR_NOT_FOUND, "snapshot %" PRId64 " does not exist",
                          snapshot_id);
    if (rc == LS_OK)
        rc = ls_paimon_snapshot_from_json((const char *)buf.data, buf.len, &t->snapshot, err);
    ls_buf_cleanup(&buf);
    if (rc)
        return rc;
    t->has_snapshot = true;
    rc = read_schema(st, t->snapshot.schema_id, &t->schema, &found, err);
    if (rc == LS_OK && !found)
        rc = ls_error_set(err, LS_ERR_FORMAT, "schema-%" PRId64 " of snapshot %" PRId64
                          " is missing", t->snapshot.schema_id, snapshot_id);
    if (rc == LS_OK)
        rc = read_list(st, t->snapshot.base_manifest_list, &t->base_metas, &t->base_meta_count,
                       err);
    if (rc == LS_OK)
        rc = read_list(st, t->snapshot.delta_manifest_list, &t->delta_metas,
                       &t->delta_meta_count, err);
    size_t cap = 0;
    if (rc == LS_OK)
        rc = read_manifests(st, t, t->base_metas, t->base_meta_count, &cap, err);
    if (rc == LS_OK)
        rc = read_manifests(st, t, t->delta_metas, t->delta_meta_count, &cap, err);
    return rc ? rc : resolve_paths(t, err);
}

static ls_code table_read(const ls_paimon_storage *st, int64_t snapshot_id, bool latest,
                          ls_paimon_table **out, ls_error *err)
{
    *out = NULL;
    ls_paimon_table *t = calloc(1, sizeof *t);
    if (!t)
        return nomem(err);
    ls_code rc = ls_paimon_latest_snapshot_id(st, &t->latest_snapshot_id, err);
    if (rc == LS_OK)
        rc = ls_paimon_earliest_snapshot_id(st, &t->earliest_snapshot_id, err);
    if (rc == LS_OK && latest)
        snapshot_id = t->latest_snapshot_id;
    if (rc == LS_OK && snapshot_id > 0)
        rc = read_state(st, snapshot_id, t, err);
    else if (rc == LS_OK)
        rc = read_newest_schema(st, &t->schema, err);
    if (rc) {
        ls_paimon_table_free(t);
        return rc;
    }
    *out = t;
    return LS_OK;
}

ls_code ls_paimon_table_read(const ls_paimon_storage *storage, ls_paimon_table **out,
                             ls_error *err)
{
    return table_read(storage, 0, true, out, err);
}

ls_code ls_paimon_table_read_snapshot(const ls_paimon_storage *storage, int64_t snapshot_id,
                                      ls_paimon_table **out, ls_error *err)
{
    if (snapshot_id <= 0)
        return ls_error_set(err, LS_ERR_INVALID, "snapshot id %" PRId64 " must be positive",
                            snapshot_id);
    return table_read(storage, snapshot_id, false, out, err);
}

ls_code ls_paimon_newest_schema(const ls_paimon_storage *storage, ls_paimon_schema *out,
                                ls_error *err)
{
    memset(out, 0, sizeof *out);
    return read_newest_schema(storage, out, err);
}

ls_code ls_paimon_read_schema(const ls_paimon_storage *storage, int64_t id,
                              ls_paimon_schema *out, ls_error *err)
{
    bool found = false;
    memset(out, 0, sizeof *out);
    ls_code rc = read_schema(storage, id, out, &found, err);
    if (rc == LS_OK && !found)
        rc = ls_error_set(err, LS_ERR_NOT_FOUND, "schema-%" PRId64 " does not exist", id);
    return rc;
}
