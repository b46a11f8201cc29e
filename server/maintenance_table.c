/* Opening a table for maintenance: see maintenance_internal.h. */
#include <string.h>
#include <sys/time.h>

#include "maintenance_internal.h"

const char *ls_maint_key(const ls_maint_reader *reader, const char *uri)
{
    size_t n = strlen(reader->location);
    if (strncmp(uri, reader->location, n) != 0 || uri[n] != '/')
        return NULL;
    return uri + n + 1;
}

ls_code ls_maint_read(void *ctx, const char *path, ls_buf *out, ls_error *err)
{
    const ls_maint_reader *reader = ctx;
    const char *key = ls_maint_key(reader, path);
    if (!key)
        return ls_error_set(err, LS_ERR_FORMAT, "%.300s lies outside table location %.300s", path,
                            reader->location);
    return ls_objstore_get(reader->store, key, out, err);
}

ls_code ls_maint_table_open(ls_committer *committer, const ls_table_ref *ref,
                            ls_maint_table *out, ls_error *err)
{
    memset(out, 0, sizeof *out);
    ls_objstore_options defaults;
    ls_objstore_options_init(&defaults);
    ls_code rc = ls_committer_iceberg_location(committer, ref, &out->where, err);
    if (!rc)
        rc = ls_objstore_open(out->where.location, ref->storage ? ref->storage : &defaults,
                              &out->store, err);
    if (rc)
        return rc;
    out->reader = (ls_maint_reader){.store = out->store, .location = out->where.location};
    return ls_iceberg_scan_table(out->where.metadata_location, ls_maint_read, &out->reader,
                                 &out->scan, err);
}

void ls_maint_table_close(ls_maint_table *table)
{
    ls_iceberg_scan_free(table->scan);
    ls_objstore_free(table->store);
    memset(table, 0, sizeof *table);
}

void ls_maint_offsets_carrier(const ls_iceberg_metadata *md, const char **job_id,
                              const char **offsets, int64_t *carrier_id)
{
    *job_id = *offsets = NULL;
    *carrier_id = -1;
    int64_t id = ls_iceberg_metadata_current_snapshot_id(md);
    /* Bounded like the committer's walk: a cycle cannot hang us. */
    for (int hops = 0; id > 0 && hops < 100000; hops++) {
        const char *text = ls_iceberg_metadata_summary(md, id, "lakesync.offsets");
        if (text) {
            *offsets = text;
            *job_id = ls_iceberg_metadata_summary(md, id, "lakesync.job-id");
            *carrier_id = id;
            return;
        }
        const json_t *parent = json_object_get(ls_iceberg_metadata_snapshot(md, id),
                                               "parent-snapshot-id");
        id = json_is_integer(parent) ? json_integer_value(parent) : -1;
    }
}

int64_t ls_maint_wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}
