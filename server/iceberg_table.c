/* Iceberg table reader over a read-file callback. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iceberg_table.h"

ls_code ls_iceberg_read_local_file(void *ctx, const char *path, ls_buf *out, ls_error *err)
{
    (void)ctx;
    if (strncmp(path, "file://", 7) == 0)
        path += 7;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return ls_error_set(err, LS_ERR_NOT_FOUND, "%.300s does not exist", path);
        return ls_error_set(err, LS_ERR_IO, "cannot open %.300s: %s", path, strerror(errno));
    }
    ls_code rc = LS_OK;
    uint8_t chunk[65536];
    size_t n;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = ls_buf_append(out, chunk, n, err);
    if (!rc && ferror(f))
        rc = ls_error_set(err, LS_ERR_IO, "cannot read %.300s", path);
    fclose(f);
    return rc;
}

static ls_code read_into(ls_iceberg_read_fn read, void *ctx, const char *path, size_t cap,
                         ls_buf *out, ls_error *err)
{
    ls_buf_cleanup(out);
    ls_buf_init(out, cap);
    ls_code rc = read(ctx, path, out, err);
    if (rc && err)
        ls_error_name_field(err, path);
    return rc;
}

static char *join(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

/* True when the hint is a non-negative decimal integer. */
static int hint_is_integer(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static ls_code probe(ls_iceberg_read_fn read, void *ctx, const char *path, int *exists,
                     ls_error *err)
{
    ls_buf b;
    ls_error inner = {0};
    ls_buf_init(&b, LS_ICEBERG_MAX_METADATA_BYTES);
    ls_code rc = read(ctx, path, &b, &inner);
    ls_buf_cleanup(&b);
    *exists = rc == LS_OK;
    if (rc == LS_ERR_NOT_FOUND)
        return LS_OK;
    if (rc)
        return ls_error_set(err, rc, "%s", inner.message);
    return LS_OK;
}

ls_code ls_iceberg_find_metadata(const char *location, ls_iceberg_read_fn read, void *ctx,
                                 char **path_out, ls_error *err)
{
    *path_out = NULL;
    size_t loc_len = strlen(location);
    char *base = join(location, loc_len && location[loc_len - 1] == '/' ? "" : "/", "metadata/");
    char *hint_path = base ? join(base, "version-hint.text", "") : NULL;
    ls_buf hint;
    ls_buf_init(&hint, 4096);
    ls_code rc = LS_OK;
    if (!hint_path) {
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        goto out;
    }
    ls_error inner = {0};
    ls_code hrc = read(ctx, hint_path, &hint, &inner);
    if (hrc && hrc != LS_ERR_NOT_FOUND && hrc != LS_ERR_TOO_LARGE) {
        rc = ls_error_set(err, hrc, "%s", inner.message);
        goto out;
    }
    if (hrc == LS_OK) {
        /* The first line, trimmed. */
        char *text = (char *)hint.data;
        text[strcspn(text, "\r\n")] = '\0';
        while (*text == ' ' || *text == '\t')
            text++;
        size_t n = strlen(text);
        while (n && (text[n - 1] == ' ' || text[n - 1] == '\t'))
            text[--n] = '\0';
        if (n && !strchr(text, '/')) {
            char *candidate = hint_is_integer(text) ? join(base, "v", text) : join(base, text, "");
            char *full = candidate ? join(candidate, ".metadata.json", "") : NULL;
            free(candidate);
            if (!full) {
                rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
                goto out;
            }
            int exists;
            if ((rc = probe(read, ctx, full, &exists, err))) {
                free(full);
                goto out;
            }
            if (exists) {
                *path_out = full;
                goto out;
            }
            free(full);
        }
    }
    /* No usable hint: probe v1, v2, ... keeping the highest that exists. */
    int misses = 0;
    for (int v = 1; v < 100000; v++) {
        char num[32];
        snprintf(num, sizeof num, "v%d.metadata.json", v);
        char *full = join(base, num, "");
        int exists;
        if (!full) {
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
            goto out;
        }
        if ((rc = probe(read, ctx, full, &exists, err))) {
            free(full);
            goto out;
        }
        if (exists) {
            free(*path_out);
            *path_out = full;
            continue;
        }
        free(full);
        if (*path_out || ++misses >= 10)
            break;
    }
    if (!*path_out)
        rc = ls_error_set(err, LS_ERR_NOT_FOUND, "no Iceberg metadata under %.300s", base);
out:
    ls_buf_cleanup(&hint);
    free(hint_path);
    free(base);
    return rc;
}

void ls_iceberg_scan_free(ls_iceberg_scan *scan)
{
    if (!scan)
        return;
    for (size_t i = 0; i < scan->file_count; i++) {
        ls_iceberg_live_file *f = &scan->files[i];
        free(f->path);
        for (size_t k = 0; k < f->partition_count; k++)
            if (f->partition[k].kind == LS_AVRO_STRING || f->partition[k].kind == LS_AVRO_BYTES)
                free((void *)(uintptr_t)f->partition[k].value.u.bytes.data);
        free(f->partition);
    }
    free(scan->files);
    ls_iceberg_metadata_free(scan->metadata);
    free(scan);
}

/* Moves the live entries of one manifest into the scan. */
static ls_code collect(ls_iceberg_scan *scan, size_t *cap, const ls_iceberg_manifest_file *mf,
                       ls_iceberg_manifest *m, ls_error *err)
{
    for (size_t i = 0; i < m->entry_count; i++) {
        ls_iceberg_manifest_entry *e = &m->entries[i];
        if (e->status == 2)
            continue;
        if (scan->file_count == *cap) {
            if (*cap >= LS_ICEBERG_MAX_LIVE_FILES)
                return ls_error_set(err, LS_ERR_TOO_LARGE, "more than %d live files",
                                    LS_ICEBERG_MAX_LIVE_FILES);
            size_t ncap = *cap ? *cap * 2 : 64;
            ls_iceberg_live_file *nf = realloc(scan->files, ncap * sizeof *nf);
            if (!nf)
                return ls_error_set(err, LS_ERR_NOMEM, "out of memory listing live files");
            scan->files = nf;
            *cap = ncap;
        }
        ls_iceberg_live_file *f = &scan->files[scan->file_count++];
        f->path = e->file_path;
        e->file_path = NULL;
        f->partition = e->partition;
        f->partition_count = e->partition_count;
        e->partition = NULL;
        e->partition_count = 0;
        /* v1 manifests have no content field: data; v1 lists have content 0. */
        f->content = e->content;
        f->record_count = e->record_count;
        f->file_size_bytes = e->file_size_bytes;
        f->spec_id = mf->partition_spec_id;
        f->sequence_number = e->sequence_number >= 0 ? e->sequence_number : mf->sequence_number;
        f->added_snapshot_id = e->snapshot_id >= 0 ? e->snapshot_id : mf->added_snapshot_id;
        if (f->content == 0) {
            scan->data_file_count++;
            scan->data_record_count += f->record_count;
        } else {
            scan->delete_file_count++;
        }
    }
    return LS_OK;
}

ls_code ls_iceberg_scan_table(const char *metadata_path, ls_iceberg_read_fn read, void *ctx,
                              ls_iceberg_scan **out, ls_error *err)
{
    *out = NULL;
    ls_iceberg_scan *scan = calloc(1, sizeof *scan);
    if (!scan)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory scanning a table");
    ls_buf b;
    ls_buf_init(&b, 0);
    ls_iceberg_manifest_file *list = NULL;
    size_t list_count = 0, cap = 0;
    ls_code rc = read_into(read, ctx, metadata_path, LS_ICEBERG_MAX_METADATA_BYTES, &b, err);
    if (!rc)
        rc = ls_iceberg_metadata_parse((const char *)b.data, b.len, &scan->metadata, err);
    if (rc)
        goto out;
    scan->snapshot_id = ls_iceberg_metadata_current_snapshot_id(scan->metadata);
    if (scan->snapshot_id < 0)
        goto out;
    const char *list_path = ls_iceberg_metadata_manifest_list(scan->metadata, -1);
    if (!list_path) {
        rc = ls_error_set(err, LS_ERR_UNPROCESSABLE,
                          "current snapshot %lld has no manifest list (not supported)",
                          (long long)scan->snapshot_id);
        goto out;
    }
    if ((rc = read_into(read, ctx, list_path, LS_ICEBERG_MAX_MANIFEST_BYTES, &b, err)) ||
        (rc = ls_iceberg_manifest_list_read(b.data, b.len, &list, &list_count, err)))
        goto out;
    scan->manifest_count = list_count;
    for (size_t i = 0; i < list_count; i++) {
        ls_iceberg_manifest *m = NULL;
        if ((rc = read_into(read, ctx, list[i].manifest_path, LS_ICEBERG_MAX_MANIFEST_BYTES, &b,
                            err)) ||
            (rc = ls_iceberg_manifest_read(b.data, b.len, &m, err))) {
            ls_error_name_field(err, list[i].manifest_path);
            goto out;
        }
        rc = collect(scan, &cap, &list[i], m, err);
        ls_iceberg_manifest_free(m);
        if (rc)
            goto out;
    }
out:
    ls_buf_cleanup(&b);
    ls_iceberg_manifest_files_free(list, list_count);
    if (rc) {
        ls_iceberg_scan_free(scan);
        return rc;
    }
    *out = scan;
    return LS_OK;
}
