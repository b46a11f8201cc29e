/* Snapshot expiration and orphan removal (maintenance.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dead_letter.h"
#include "maintenance_internal.h"
#include "paimon_objstore.h"
#include "paimon_read.h"
#include "util/log.h"

#define METADATA_LOG_MAX 100
#define MAX_SNAPSHOTS 10000000

/* ---- a set of strings ----------------------------------------------------- */

/* Grows by push, then sorted once by strset_seal for lookups. */
typedef struct strset {
    char **items;
    size_t count, cap;
} strset;

static ls_code strset_add(strset *s, const char *text, ls_error *err)
{
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char **grown = realloc(s->items, cap * sizeof *grown);
        if (!grown)
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        s->items = grown;
        s->cap = cap;
    }
    if (!(s->items[s->count] = strdup(text)))
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    s->count++;
    return LS_OK;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts and removes duplicates. */
static void strset_seal(strset *s)
{
    if (s->count < 2)
        return;
    qsort(s->items, s->count, sizeof *s->items, compare_strings);
    size_t n = 1;
    for (size_t i = 1; i < s->count; i++) {
        if (strcmp(s->items[i], s->items[n - 1]) == 0)
            free(s->items[i]);
        else
            s->items[n++] = s->items[i];
    }
    s->count = n;
}

static int strset_has(const strset *s, const char *text)
{
    return s->count && bsearch(&text, s->items, s->count, sizeof *s->items, compare_strings);
}

static void strset_cleanup(strset *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->items[i]);
    free(s->items);
    memset(s, 0, sizeof *s);
}

/* ---- what snapshots reach --------------------------------------------------- */

/* The manifests of the manifest lists in lists (skipping lists that are
 * already gone) into manifests. */
static ls_code read_lists(const ls_maint_reader *reader, const strset *lists, strset *manifests,
                          ls_error *err)
{
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && i < lists->count; i++) {
        ls_buf b;
        ls_buf_init(&b, LS_ICEBERG_MAX_MANIFEST_BYTES);
        ls_iceberg_manifest_file *files = NULL;
        size_t n = 0;
        ls_error inner = {0};
        ls_code read_rc = ls_maint_read((void *)reader, lists->items[i], &b, &inner);
        if (read_rc == LS_ERR_NOT_FOUND) {
            ls_buf_cleanup(&b);
            continue;
        }
        rc = read_rc ? ls_error_set(err, read_rc, "%s", inner.message)
                     : ls_iceberg_manifest_list_read(b.data, b.len, &files, &n, err);
        for (size_t k = 0; !rc && k < n; k++)
            rc = strset_add(manifests, files[k].manifest_path, err);
        ls_iceberg_manifest_files_free(files, n);
        ls_buf_cleanup(&b);
    }
    strset_seal(manifests);
    return rc;
}

/* The data files of manifests: live entries into live (may be NULL), every
 * entry into all (may be NULL). Manifests already gone are skipped. */
static ls_code read_manifests(const ls_maint_reader *reader, const strset *manifests,
                              strset *live, strset *all, ls_error *err)
{
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && i < manifests->count; i++) {
        ls_buf b;
        ls_buf_init(&b, LS_ICEBERG_MAX_MANIFEST_BYTES);
        ls_iceberg_manifest *m = NULL;
        ls_error inner = {0};
        ls_code read_rc = ls_maint_read((void *)reader, manifests->items[i], &b, &inner);
        if (read_rc == LS_ERR_NOT_FOUND) {
            ls_buf_cleanup(&b);
            continue;
        }
        rc = read_rc ? ls_error_set(err, read_rc, "%s", inner.message)
                     : ls_iceberg_manifest_read(b.data, b.len, &m, err);
        for (size_t k = 0; !rc && m && k < m->entry_count; k++) {
            const ls_iceberg_manifest_entry *e = &m->entries[k];
            if (live && e->status != 2)
                rc = strset_add(live, e->file_path, err);
            if (!rc && all)
                rc = strset_add(all, e->file_path, err);
        }
        ls_iceberg_manifest_free(m);
        ls_buf_cleanup(&b);
    }
    if (live)
        strset_seal(live);
    if (all)
        strset_seal(all);
    return rc;
}

/* ---- expiration ------------------------------------------------------------ */

typedef struct snapshot_row {
    int64_t id, sequence_number, timestamp_ms;
    const char *manifest_list;
    int keep;
} snapshot_row;

static int newest_first(const void *a, const void *b)
{
    const snapshot_row *x = a, *y = b;
    return (x->sequence_number < y->sequence_number) - (x->sequence_number > y->sequence_number);
}

typedef struct expire_ctx {
    const ls_maintenance_config *config;
    int64_t now_ms;
    strset kept_lists, expired_lists;
    int64_t expired;
} expire_ctx;

static snapshot_row *find_row(snapshot_row *rows, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].id == id)
            return &rows[i];
    return NULL;
}

/* Marks what must stay: the newest min_keep, those younger than max_age,
 * the current snapshot and its ancestry down to the one carrying
 * lakesync.offsets (the committer walks that chain), and refs' targets. */
static void mark_kept(const expire_ctx *x, const ls_iceberg_metadata *md, snapshot_row *rows,
                      size_t n)
{
    qsort(rows, n, sizeof *rows, newest_first);
    for (size_t i = 0; i < n; i++)
        rows[i].keep = (int64_t)i < x->config->snapshot_min_keep ||
                       rows[i].timestamp_ms >= x->now_ms - x->config->snapshot_max_age_ms;
    const char *job, *offsets;
    int64_t carrier;
    ls_maint_offsets_carrier(md, &job, &offsets, &carrier);
    int64_t id = ls_iceberg_metadata_current_snapshot_id(md);
    for (size_t hops = 0; id > 0 && hops <= n; hops++) {
        snapshot_row *r = find_row(rows, n, id);
        if (!r)
            break;
        r->keep = 1;
        if (id == carrier || carrier < 0)
            break;
        const json_t *parent =
            json_object_get(ls_iceberg_metadata_snapshot(md, id), "parent-snapshot-id");
        id = json_is_integer(parent) ? json_integer_value(parent) : -1;
    }
    const char *name;
    const json_t *ref;
    json_object_foreach(json_object_get(ls_iceberg_metadata_json(md), "refs"), name, ref) {
        snapshot_row *r = find_row(rows, n, json_integer_value(json_object_get(ref, "snapshot-id")));
        if (r)
            r->keep = 1;
    }
}

static ls_code expire_update(void *ctx, const ls_committer_table *table, ls_iceberg_metadata *md,
                             int *changed, ls_error *err)
{
    expire_ctx *x = ctx;
    const json_t *snapshots = json_object_get(ls_iceberg_metadata_json(md), "snapshots");
    size_t n = json_array_size(snapshots);
    if (n > MAX_SNAPSHOTS)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "more than %d snapshots", MAX_SNAPSHOTS);
    snapshot_row *rows = calloc(n ? n : 1, sizeof *rows);
    int64_t *ids = calloc(n ? n : 1, sizeof *ids);
    ls_code rc = rows && ids ? LS_OK : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        const json_t *s = json_array_get(snapshots, i);
        rows[i] = (snapshot_row){
            .id = json_integer_value(json_object_get(s, "snapshot-id")),
            .sequence_number = json_integer_value(json_object_get(s, "sequence-number")),
            .timestamp_ms = json_integer_value(json_object_get(s, "timestamp-ms")),
            .manifest_list = json_string_value(json_object_get(s, "manifest-list"))};
    }
    if (!rc)
        mark_kept(x, md, rows, n);
    size_t expired = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        strset *lists = rows[i].keep ? &x->kept_lists : &x->expired_lists;
        if (!rows[i].keep)
            ids[expired++] = rows[i].id;
        if (rows[i].manifest_list)
            rc = strset_add(lists, rows[i].manifest_list, err);
    }
    if (!rc && expired)
        rc = ls_iceberg_metadata_remove_snapshots(md, ids, expired, table->metadata_location,
                                                  x->now_ms, METADATA_LOG_MAX, err);
    *changed = !rc && expired;
    x->expired = rc ? 0 : (int64_t)expired;
    free(rows);
    free(ids);
    return rc;
}

/* Deletes each listed URI of the table that is not in keep; counts them. */
static ls_code delete_unkept(const ls_maint_reader *reader, const strset *uris, const strset *keep,
                             int64_t *deleted, ls_error *err)
{
    for (size_t i = 0; i < uris->count; i++) {
        if (keep && strset_has(keep, uris->items[i]))
            continue;
        const char *key = ls_maint_key(reader, uris->items[i]);
        if (!key) {
            ls_log_warn("maintenance", "not deleting %s: outside the table", uris->items[i]);
            continue;
        }
        ls_code rc = ls_objstore_delete(reader->store, key, err);
        if (rc)
            return rc;
        (*deleted)++;
    }
    return LS_OK;
}

/* After the expiration committed: the files only expired snapshots reached
 * (their lists, manifests no kept list names, and data files no kept
 * manifest holds live, including those a kept replace marked DELETED). */
static ls_code delete_expired_files(const ls_maint_reader *reader, expire_ctx *x,
                                    ls_maintenance_result *result, ls_error *err)
{
    strset kept_manifests = {0}, expired_manifests = {0}, live = {0}, candidates = {0};
    strset_seal(&x->kept_lists);
    strset_seal(&x->expired_lists);
    ls_code rc = read_lists(reader, &x->kept_lists, &kept_manifests, err);
    if (!rc)
        rc = read_lists(reader, &x->expired_lists, &expired_manifests, err);
    if (!rc)
        rc = read_manifests(reader, &kept_manifests, &live, &candidates, err);
    if (!rc) {
        /* Entries of manifests only expired snapshots reach are candidates too. */
        strset only_expired = {0};
        for (size_t i = 0; !rc && i < expired_manifests.count; i++)
            if (!strset_has(&kept_manifests, expired_manifests.items[i]))
                rc = strset_add(&only_expired, expired_manifests.items[i], err);
        strset_seal(&only_expired);
        strset more = {0};
        if (!rc)
            rc = read_manifests(reader, &only_expired, NULL, &more, err);
        for (size_t i = 0; !rc && i < more.count; i++)
            rc = strset_add(&candidates, more.items[i], err);
        strset_seal(&candidates);
        /* Data files first, then manifests, then lists: a crash midway
         * leaves only unreferenced files, which orphan removal finds. */
        if (!rc)
            rc = delete_unkept(reader, &candidates, &live, &result->expired_files_deleted, err);
        if (!rc)
            rc = delete_unkept(reader, &only_expired, NULL, &result->expired_files_deleted, err);
        strset_cleanup(&more);
        strset_cleanup(&only_expired);
    }
    if (!rc)
        rc = delete_unkept(reader, &x->expired_lists, &x->kept_lists,
                           &result->expired_files_deleted, err);
    strset_cleanup(&kept_manifests);
    strset_cleanup(&expired_manifests);
    strset_cleanup(&live);
    strset_cleanup(&candidates);
    return rc;
}

ls_code ls_maintenance_expire(ls_committer *committer, const ls_table_ref *ref,
                              const ls_maintenance_config *config, int64_t now_ms,
                              ls_maintenance_result *result, ls_error *err)
{
    expire_ctx x = {.config = config, .now_ms = now_ms};
    ls_maint_table table;
    memset(&table, 0, sizeof table);
    ls_objstore_options defaults;
    ls_objstore_options_init(&defaults);
    ls_code rc = ls_committer_update_iceberg(committer, ref, expire_update, &x, NULL, 0, err);
    if (!rc && x.expired) {
        result->snapshots_expired += x.expired;
        rc = ls_committer_iceberg_location(committer, ref, &table.where, err);
        if (!rc)
            rc = ls_objstore_open(table.where.location, ref->storage ? ref->storage : &defaults,
                                  &table.store, err);
        table.reader = (ls_maint_reader){.store = table.store, .location = table.where.location};
        if (!rc)
            rc = delete_expired_files(&table.reader, &x, result, err);
    }
    ls_objstore_free(table.store);
    strset_cleanup(&x.kept_lists);
    strset_cleanup(&x.expired_lists);
    return rc;
}

/* ---- orphans ---------------------------------------------------------------- */

/* Every file the table's metadata references: the current metadata and the
 * metadata log, the version hint, every snapshot's manifest list, their
 * manifests and every data file those name (in any status). */
static ls_code referenced_files(const ls_maint_table *t, strset *out, ls_error *err)
{
    const json_t *root = ls_iceberg_metadata_json(t->scan->metadata);
    strset lists = {0}, manifests = {0};
    char hint[LS_COMMITTER_URI_MAX + 64];
    snprintf(hint, sizeof hint, "%s/metadata/version-hint.text", t->where.location);
    ls_code rc = strset_add(out, t->where.metadata_location, err);
    if (!rc)
        rc = strset_add(out, hint, err);
    size_t i;
    const json_t *item;
    json_array_foreach(json_object_get(root, "metadata-log"), i, item) {
        const char *file = json_string_value(json_object_get(item, "metadata-file"));
        if (!rc && file)
            rc = strset_add(out, file, err);
    }
    json_array_foreach(json_object_get(root, "snapshots"), i, item) {
        const char *list = json_string_value(json_object_get(item, "manifest-list"));
        if (!rc && list)
            rc = strset_add(&lists, list, err);
    }
    strset_seal(&lists);
    if (!rc)
        rc = read_lists(&t->reader, &lists, &manifests, err);
    if (!rc)
        rc = read_manifests(&t->reader, &manifests, NULL, out, err);
    for (size_t k = 0; !rc && k < lists.count; k++)
        rc = strset_add(out, lists.items[k], err);
    for (size_t k = 0; !rc && k < manifests.count; k++)
        rc = strset_add(out, manifests.items[k], err);
    strset_seal(out);
    strset_cleanup(&lists);
    strset_cleanup(&manifests);
    return rc;
}

/* Deletes the unreferenced, old enough objects under prefix. */
static ls_code delete_orphans_under(const ls_maint_table *t, const char *prefix,
                                    const strset *referenced, int64_t before_ms,
                                    ls_maintenance_result *result, ls_error *err)
{
    ls_objstore_list_page page = {0};
    char *token = NULL;
    char uri[LS_COMMITTER_URI_MAX + LS_OBJSTORE_KEY_MAX + 2];
    ls_code rc;
    do {
        rc = ls_objstore_list(t->store, prefix, token, &page, err);
        free(token);
        token = page.next_token;
        page.next_token = NULL;
        for (size_t i = 0; !rc && i < page.count; i++) {
            const ls_objstore_entry *e = &page.entries[i];
            snprintf(uri, sizeof uri, "%s/%s", t->where.location, e->key);
            /* An unknown age is never old enough. */
            if (strset_has(referenced, uri) || e->modified_ms <= 0 || e->modified_ms >= before_ms)
                continue;
            rc = ls_objstore_delete(t->store, e->key, err);
            if (!rc) {
                result->orphans_deleted++;
                result->orphan_bytes_deleted += (int64_t)e->size_bytes;
                ls_log_info("maintenance", "deleted orphan %s", uri);
            }
        }
    } while (!rc && token);
    free(token);
    ls_objstore_list_page_cleanup(&page);
    return rc;
}

ls_code ls_maintenance_remove_orphans(ls_committer *committer, const ls_table_ref *ref,
                                      const ls_maintenance_config *config, int64_t now_ms,
                                      ls_maintenance_result *result, ls_error *err)
{
    ls_maint_table table;
    strset referenced = {0};
    ls_code rc = ls_maint_table_open(committer, ref, &table, err);
    if (!rc)
        rc = referenced_files(&table, &referenced, err);
    if (!rc)
        rc = delete_orphans_under(&table, "data/", &referenced, now_ms - config->orphan_age_ms,
                                  result, err);
    if (!rc)
        rc = delete_orphans_under(&table, "metadata/", &referenced,
                                  now_ms - config->orphan_age_ms, result, err);
    strset_cleanup(&referenced);
    ls_maint_table_close(&table);
    return rc;
}

/* ---- Paimon snapshot expiration ------------------------------------------------ */

/* Reads snapshot/snapshot-<id> (uninitialized out). */
static ls_code paimon_snapshot(const ls_paimon_storage *st, int64_t id, ls_paimon_snapshot *out,
                               ls_error *err)
{
    char path[64];
    ls_buf buf;
    ls_buf_init(&buf, LS_PAIMON_MAX_JSON_BYTES);
    snprintf(path, sizeof path, "snapshot/snapshot-%" PRId64, id);
    ls_code rc = st->read(st->ctx, path, &buf, err);
    if (!rc)
        rc = ls_paimon_snapshot_from_json((const char *)buf.data, buf.len, out, err);
    ls_buf_cleanup(&buf);
    return rc;
}

/* The first snapshot to keep: scanning from the latest down, snapshots stay
 * while among the newest min_keep, younger than max_age, or until one that
 * records lakesync.offsets (the committer reads them from there). Paimon
 * keeps a contiguous range, so everything older expires. */
static ls_code paimon_first_kept(const ls_paimon_storage *st, const int64_t *ids, size_t n,
                                 const ls_maintenance_config *config, int64_t now_ms,
                                 size_t *first_out, ls_error *err)
{
    bool carrier_found = false;
    size_t first = n - 1;
    ls_code rc = LS_OK;
    for (size_t k = n; k-- > 0;) {
        ls_paimon_snapshot snap;
        if ((rc = paimon_snapshot(st, ids[k], &snap, err)))
            break;
        size_t rank = n - 1 - k;
        bool keep = k == n - 1 || (int64_t)rank < config->snapshot_min_keep ||
                    snap.time_millis >= now_ms - config->snapshot_max_age_ms || !carrier_found;
        carrier_found |= ls_paimon_strmap_get(&snap.properties, LS_PAIMON_PROP_OFFSETS) != NULL;
        ls_paimon_snapshot_cleanup(&snap);
        if (!keep)
            break;
        first = k;
    }
    *first_out = first;
    return rc;
}

/* The manifests named by a snapshot's lists into manifests, the lists into
 * lists (either may be NULL). */
static ls_code paimon_snapshot_files(const ls_paimon_storage *st, int64_t id, strset *lists,
                                     strset *manifests, strset *delta_manifests, ls_error *err)
{
    ls_paimon_snapshot snap;
    ls_code rc = paimon_snapshot(st, id, &snap, err);
    if (rc)
        return rc;
    const char *names[] = {snap.base_manifest_list, snap.delta_manifest_list,
                           snap.changelog_manifest_list};
    for (size_t i = 0; !rc && i < 3; i++) {
        if (!names[i])
            continue;
        char path[600];
        snprintf(path, sizeof path, "manifest/%s", names[i]);
        if (lists)
            rc = strset_add(lists, path, err);
        ls_buf buf;
        ls_buf_init(&buf, LS_PAIMON_MAX_METADATA_BYTES);
        ls_paimon_manifest_meta *metas = NULL;
        size_t count = 0;
        ls_error inner = {0};
        ls_code read_rc = rc ? rc : st->read(st->ctx, path, &buf, &inner);
        if (!rc && read_rc && read_rc != LS_ERR_NOT_FOUND)
            rc = ls_error_set(err, read_rc, "%s", inner.message);
        if (!rc && !read_rc)
            rc = ls_paimon_manifest_list_read(buf.data, buf.len, &metas, &count, err);
        for (size_t k = 0; !rc && k < count; k++) {
            snprintf(path, sizeof path, "manifest/%s", metas[k].file_name);
            if (manifests)
                rc = strset_add(manifests, path, err);
            if (!rc && delta_manifests && i == 1)
                rc = strset_add(delta_manifests, path, err);
        }
        ls_paimon_manifest_metas_free(metas, count);
        ls_buf_cleanup(&buf);
    }
    ls_paimon_snapshot_cleanup(&snap);
    return rc;
}

/* The data files of manifests (paths relative to the table root): every
 * entry into all (may be NULL), ADD entries into added (may be NULL). */
static ls_code paimon_manifest_files(const ls_paimon_storage *st, const ls_paimon_schema *schema,
                                     const strset *manifests, strset *all, strset *added,
                                     ls_error *err)
{
    ls_code rc = LS_OK;
    ls_buf path;
    ls_buf_init(&path, 1 << 16);
    for (size_t i = 0; !rc && i < manifests->count; i++) {
        ls_buf buf;
        ls_buf_init(&buf, LS_PAIMON_MAX_METADATA_BYTES);
        ls_paimon_manifest_entry *entries = NULL;
        size_t count = 0;
        ls_error inner = {0};
        ls_code read_rc = st->read(st->ctx, manifests->items[i], &buf, &inner);
        if (read_rc && read_rc != LS_ERR_NOT_FOUND)
            rc = ls_error_set(err, read_rc, "%s", inner.message);
        if (!rc && !read_rc)
            rc = ls_paimon_manifest_read(buf.data, buf.len, &entries, &count, err);
        for (size_t k = 0; !rc && k < count; k++) {
            const ls_paimon_manifest_entry *e = &entries[k];
            ls_buf_reset(&path);
            rc = ls_paimon_data_file_path(schema, e->partition.data, e->partition.len, e->bucket,
                                          e->file.file_name, &path, err);
            if (!rc)
                rc = ls_buf_append(&path, "", 1, err);
            if (!rc && all)
                rc = strset_add(all, (const char *)path.data, err);
            if (!rc && added && e->kind == LS_PAIMON_KIND_ADD)
                rc = strset_add(added, (const char *)path.data, err);
        }
        ls_paimon_manifest_entries_free(entries, count);
        ls_buf_cleanup(&buf);
    }
    ls_buf_cleanup(&path);
    if (all)
        strset_seal(all);
    if (added)
        strset_seal(added);
    return rc;
}

/* What an expiration keeps and drops, gathered before anything is deleted. */
typedef struct paimon_expiry {
    strset kept_manifests, kept_files;          /* manifests and data files to keep */
    strset expired_lists, expired_manifests, candidates;
} paimon_expiry;

static void paimon_expiry_cleanup(paimon_expiry *x)
{
    strset_cleanup(&x->kept_manifests);
    strset_cleanup(&x->kept_files);
    strset_cleanup(&x->expired_lists);
    strset_cleanup(&x->expired_manifests);
    strset_cleanup(&x->candidates);
}

/* Files live in a kept snapshot are those live in the first kept one plus
 * those added by the later ones (their delta manifests). */
static ls_code paimon_gather(const ls_paimon_storage *st, const int64_t *ids, size_t n,
                             size_t first, paimon_expiry *x, ls_error *err)
{
    ls_paimon_table *first_table = NULL;
    strset deltas = {0};
    ls_code rc = ls_paimon_table_read_snapshot(st, ids[first], &first_table, err);
    for (size_t i = 0; !rc && i < first_table->file_count; i++)
        rc = strset_add(&x->kept_files, first_table->files[i].path, err);
    for (size_t k = first; !rc && k < n; k++)
        rc = paimon_snapshot_files(st, ids[k], NULL, &x->kept_manifests, k > first ? &deltas : NULL,
                                   err);
    strset_seal(&x->kept_manifests);
    strset_seal(&deltas);
    strset later_adds = {0};
    if (!rc)
        rc = paimon_manifest_files(st, &first_table->schema, &deltas, NULL, &later_adds, err);
    for (size_t i = 0; !rc && i < later_adds.count; i++)
        rc = strset_add(&x->kept_files, later_adds.items[i], err);
    strset_seal(&x->kept_files);
    for (size_t k = 0; !rc && k < first; k++)
        rc = paimon_snapshot_files(st, ids[k], &x->expired_lists, &x->expired_manifests, NULL, err);
    strset_seal(&x->expired_lists);
    strset_seal(&x->expired_manifests);
    strset only_expired = {0};
    for (size_t i = 0; !rc && i < x->expired_manifests.count; i++)
        if (!strset_has(&x->kept_manifests, x->expired_manifests.items[i]))
            rc = strset_add(&only_expired, x->expired_manifests.items[i], err);
    strset_seal(&only_expired);
    /* Candidates: every file an expired snapshot's manifests name, even in
     * manifests kept snapshots still use (a file a kept COMPACT removed is
     * named there as added); kept_files spares the live ones. */
    if (!rc)
        rc = paimon_manifest_files(st, &first_table->schema, &x->expired_manifests,
                                   &x->candidates, NULL, err);
    strset_cleanup(&x->expired_manifests);
    x->expired_manifests = only_expired;
    strset_cleanup(&later_adds);
    strset_cleanup(&deltas);
    ls_paimon_table_free(first_table);
    return rc;
}

/* Deletes keys of set not in keep (may be NULL), counting them. */
static ls_code delete_keys(ls_objstore *store, const strset *set, const strset *keep,
                           int64_t *deleted, ls_error *err)
{
    for (size_t i = 0; i < set->count; i++) {
        if (keep && strset_has(keep, set->items[i]))
            continue;
        ls_code rc = ls_objstore_delete(store, set->items[i], err);
        if (rc)
            return rc;
        (*deleted)++;
    }
    return LS_OK;
}

/* Snapshot files first (ascending) and the EARLIEST hint, so no reader picks
 * an expired snapshot once its files start to go; then lists, manifests and
 * data files. A crash midway leaves only unreferenced files. */
static ls_code paimon_delete(ls_objstore *store, const int64_t *ids, size_t first,
                             const paimon_expiry *x, ls_maintenance_result *result, ls_error *err)
{
    ls_code rc = LS_OK;
    for (size_t k = 0; !rc && k < first; k++) {
        char path[64];
        snprintf(path, sizeof path, "snapshot/snapshot-%" PRId64, ids[k]);
        rc = ls_objstore_delete(store, path, err);
    }
    char hint[24];
    int len = snprintf(hint, sizeof hint, "%" PRId64, ids[first]);
    if (!rc)
        rc = ls_objstore_put(store, "snapshot/EARLIEST", hint, (size_t)len, err);
    if (!rc)
        result->snapshots_expired += (int64_t)first;
    if (!rc)
        rc = delete_keys(store, &x->expired_lists, NULL, &result->expired_files_deleted, err);
    if (!rc)
        rc = delete_keys(store, &x->expired_manifests, NULL, &result->expired_files_deleted, err);
    if (!rc)
        rc = delete_keys(store, &x->candidates, &x->kept_files, &result->expired_files_deleted,
                         err);
    return rc;
}

ls_code ls_maintenance_expire_paimon(ls_committer *committer, const ls_table_ref *ref,
                                     const ls_maintenance_config *config, int64_t now_ms,
                                     ls_maintenance_result *result, ls_error *err)
{
    ls_committer_location where;
    ls_objstore *store = NULL;
    int64_t *ids = NULL;
    size_t n = 0, first = 0;
    paimon_expiry x;
    memset(&x, 0, sizeof x);
    ls_objstore_options defaults;
    ls_objstore_options_init(&defaults);
    ls_code rc = ls_committer_table_location(committer, ref, "paimon", &where, err);
    if (!rc)
        rc = ls_objstore_open(where.location, ref->storage ? ref->storage : &defaults, &store,
                              err);
    ls_paimon_storage st = ls_paimon_storage_for_objstore(store);
    if (!rc)
        rc = ls_paimon_snapshot_ids(&st, &ids, &n, err);
    if (!rc && n > 1)
        rc = paimon_first_kept(&st, ids, n, config, now_ms, &first, err);
    if (!rc && n > 1 && first > 0)
        rc = paimon_gather(&st, ids, n, first, &x, err);
    if (!rc && n > 1 && first > 0)
        rc = paimon_delete(store, ids, first, &x, result, err);
    paimon_expiry_cleanup(&x);
    free(ids);
    ls_objstore_free(store);
    return rc;
}

/* ---- Paimon orphans ----------------------------------------------------------- */

/* Every object a snapshot of the table names: the snapshot files and hints,
 * their manifest lists and manifests, and every data file those name. */
static ls_code paimon_referenced(const ls_paimon_storage *st, const int64_t *ids, size_t n,
                                 strset *out, ls_error *err)
{
    strset manifests = {0};
    ls_paimon_schema schema;
    bool have_schema = false;
    ls_code rc = strset_add(out, "snapshot/EARLIEST", err);
    if (!rc)
        rc = strset_add(out, "snapshot/LATEST", err);
    for (size_t k = 0; !rc && k < n; k++) {
        char path[64];
        snprintf(path, sizeof path, "snapshot/snapshot-%" PRId64, ids[k]);
        rc = strset_add(out, path, err);
        if (!rc)
            rc = paimon_snapshot_files(st, ids[k], out, &manifests, NULL, err);
    }
    strset_seal(&manifests);
    if (!rc && (rc = ls_paimon_newest_schema(st, &schema, err)) == LS_OK)
        have_schema = true;
    if (!rc)
        rc = paimon_manifest_files(st, &schema, &manifests, out, NULL, err);
    for (size_t i = 0; !rc && i < manifests.count; i++)
        rc = strset_add(out, manifests.items[i], err);
    strset_seal(out);
    if (have_schema)
        ls_paimon_schema_cleanup(&schema);
    strset_cleanup(&manifests);
    return rc;
}

/* Only manifests and data files may be orphans; schema files, snapshot
 * files and anything lakesync does not write are never touched. */
static bool paimon_may_be_orphan(const char *key)
{
    if (strncmp(key, "manifest/manifest-", 18) == 0)
        return true;
    size_t n = strlen(key);
    return n > 8 && strcmp(key + n - 8, ".parquet") == 0 &&
           (strncmp(key, "bucket-", 7) == 0 || strstr(key, "/bucket-") != NULL);
}

ls_code ls_maintenance_remove_orphans_paimon(ls_committer *committer, const ls_table_ref *ref,
                                             const ls_maintenance_config *config, int64_t now_ms,
                                             ls_maintenance_result *result, ls_error *err)
{
    ls_committer_location where;
    ls_objstore *store = NULL;
    int64_t *ids = NULL;
    size_t n = 0;
    strset referenced = {0};
    ls_objstore_list_page page = {0};
    char *token = NULL;
    ls_objstore_options defaults;
    ls_objstore_options_init(&defaults);
    /* A dead-letter table may hold files its job's latest snapshot names as
     * pending (landed by the next commit): not orphans, so left alone. */
    if (ls_dead_letter_is_name(ref->table))
        return LS_OK;
    ls_code rc = ls_committer_table_location(committer, ref, "paimon", &where, err);
    if (!rc)
        rc = ls_objstore_open(where.location, ref->storage ? ref->storage : &defaults, &store,
                              err);
    ls_paimon_storage st = ls_paimon_storage_for_objstore(store);
    if (!rc)
        rc = ls_paimon_snapshot_ids(&st, &ids, &n, err);
    if (!rc)
        rc = paimon_referenced(&st, ids, n, &referenced, err);
    int64_t before_ms = now_ms - config->orphan_age_ms;
    while (!rc) {
        rc = ls_objstore_list(store, "", token, &page, err);
        free(token);
        token = page.next_token;
        page.next_token = NULL;
        for (size_t i = 0; !rc && i < page.count; i++) {
            const ls_objstore_entry *e = &page.entries[i];
            if (!paimon_may_be_orphan(e->key) || strset_has(&referenced, e->key) ||
                e->modified_ms <= 0 || e->modified_ms >= before_ms)
                continue;
            rc = ls_objstore_delete(store, e->key, err);
            if (!rc) {
                result->orphans_deleted++;
                result->orphan_bytes_deleted += (int64_t)e->size_bytes;
                ls_log_info("maintenance", "deleted orphan %s/%s", where.location, e->key);
            }
        }
        if (!token)
            break;
    }
    free(token);
    ls_objstore_list_page_cleanup(&page);
    strset_cleanup(&referenced);
    free(ids);
    ls_objstore_free(store);
    return rc;
}
