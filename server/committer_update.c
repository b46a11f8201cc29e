/* Metadata-only commits for maintenance: see committer_update.h. */
#include "committer_update.h"

#include <stdio.h>
#include <string.h>

#include "committer_catalog.h"
#include "util/log.h"

/* Loads ref's Iceberg row; a Paimon table is named as such. */
static ls_code load_iceberg(ls_committer *c, const ls_table_ref *ref, ls_table_pointer *t,
                            ls_error *err)
{
    ls_code rc = ls_catalog_load(ls_committer_store(c), ref, "iceberg", t, err);
    if (rc == LS_ERR_NOT_FOUND && ls_catalog_load(ls_committer_store(c), ref, "paimon", t,
                                                  &(ls_error){0}) == LS_OK)
        rc = ls_error_set(err, LS_ERR_UNPROCESSABLE, "%s.%s is a Paimon table", ref->database,
                          ref->table);
    if (!rc && !t->metadata_location[0])
        rc = ls_error_set(err, LS_ERR_UNPROCESSABLE, "%s.%s has no metadata yet", ref->database,
                          ref->table);
    return rc;
}

ls_code ls_committer_iceberg_location(ls_committer *c, const ls_table_ref *ref,
                                      ls_committer_location *out, ls_error *err)
{
    ls_table_pointer t;
    ls_code rc = load_iceberg(c, ref, &t, err);
    if (!rc) {
        snprintf(out->location, sizeof out->location, "%s", t.location);
        snprintf(out->metadata_location, sizeof out->metadata_location, "%s",
                 t.metadata_location);
    }
    return rc;
}

/* Loads, updates and stores; the caller holds the table lock. */
static ls_code update_locked(ls_committer *c, const ls_table_ref *ref,
                             ls_committer_update_fn update, void *ctx, char *uri,
                             size_t uri_size, ls_error *err)
{
    ls_table_pointer t;
    ls_objstore *os = NULL;
    ls_iceberg_metadata *md = NULL;
    int changed = 0;
    ls_code rc = load_iceberg(c, ref, &t, err);
    if (!rc)
        rc = ls_catalog_open_storage(t.location, ref, &os, err);
    if (!rc)
        rc = ls_committer_read_metadata(os, &t, &md, err);
    if (!rc) {
        ls_committer_table table = {.table_store = os, .location = t.location,
                                    .metadata_location = t.metadata_location};
        rc = update(ctx, &table, md, &changed, err);
    }
    if (!rc && changed)
        rc = ls_committer_write_next_metadata(os, &t, md, uri, uri_size, err);
    if (!rc && changed)
        rc = ls_catalog_swap(ls_committer_store(c), ref, t.metadata_location, uri, err);
    if (!rc && changed)
        ls_committer_write_version_hint(os, uri);
    ls_iceberg_metadata_free(md);
    ls_objstore_free(os);
    return rc;
}

ls_code ls_committer_update_iceberg(ls_committer *c, const ls_table_ref *ref,
                                    ls_committer_update_fn update, void *ctx,
                                    char *metadata_uri_out, size_t uri_size, ls_error *err)
{
    char uri[LS_CATALOG_PATH_MAX + 128] = "";
    pthread_mutex_t *lock = ls_committer_table_lock(c, ref);
    pthread_mutex_lock(lock);
    ls_code rc = update_locked(c, ref, update, ctx, uri, sizeof uri, err);
    pthread_mutex_unlock(lock);
    if (!rc && uri[0])
        ls_log_info("committer", "%s.%s: maintenance commit %s", ref->database, ref->table, uri);
    if (metadata_uri_out && uri_size)
        snprintf(metadata_uri_out, uri_size, "%s", rc ? "" : uri);
    return rc;
}

ls_code ls_committer_table_location(ls_committer *c, const ls_table_ref *ref, const char *format,
                                    ls_committer_location *out, ls_error *err)
{
    ls_table_pointer t;
    ls_code rc = ls_catalog_load(ls_committer_store(c), ref, format, &t, err);
    if (!rc) {
        snprintf(out->location, sizeof out->location, "%s", t.location);
        snprintf(out->metadata_location, sizeof out->metadata_location, "%s",
                 t.metadata_location);
    }
    return rc;
}

ls_code ls_committer_compact_paimon(ls_committer *c, const ls_table_ref *ref,
                                    const ls_paimon_compaction *job, int64_t *snapshot_id_out,
                                    ls_error *err)
{
    pthread_mutex_t *lock = ls_committer_table_lock(c, ref);
    pthread_mutex_lock(lock);
    ls_code rc = ls_committer_paimon_compact(ls_committer_store(c), ref, job, snapshot_id_out, err);
    pthread_mutex_unlock(lock);
    return rc;
}
