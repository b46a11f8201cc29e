/* Maintenance settings, results and the whole run: see maintenance.h. */
#include <string.h>

#include "maintenance_internal.h"

#define MIB ((int64_t)1 << 20)

void ls_maintenance_config_init(ls_maintenance_config *c)
{
    c->enabled = true;
    c->target_file_size_bytes = 128 * MIB;
    c->min_input_files = 5;
    c->snapshot_max_age_ms = 3600 * 1000;
    c->snapshot_min_keep = 10;
    c->orphan_age_ms = 3600 * 1000;
    c->interval_ms = 300 * 1000;
    c->cancel = NULL;
}

/* Reads an integer member in [min, max] into *out times scale. */
static ls_code read_int(const json_t *obj, const char *key, const char *field, int64_t min,
                        int64_t max, int64_t scale, int64_t *out, ls_error *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return LS_OK;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return ls_error_set_field(err, LS_ERR_INVALID, field,
                                  "%s must be an integer from %lld to %lld", field,
                                  (long long)min, (long long)max);
    *out = (int64_t)json_integer_value(v) * scale;
    return LS_OK;
}

/* Refuses members other than the allowed ones (a typo must not pass). */
static ls_code only_keys(const json_t *obj, const char *const *allowed, const char *prefix,
                         ls_error *err)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        int known = 0;
        for (size_t i = 0; allowed[i] && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (!known) {
            char field[160];
            snprintf(field, sizeof field, "%s.%s", prefix, key);
            return ls_error_set_field(err, LS_ERR_INVALID, field, "unknown setting %s", field);
        }
    }
    return LS_OK;
}

ls_code ls_maintenance_config_from_json(const json_t *m, ls_maintenance_config *out, ls_error *err)
{
    static const char *const keys[] = {"enabled", "target_file_size_mb", "min_input_files",
                                       "snapshot_retention", "orphan_age_s", "interval_s", NULL};
    static const char *const retention_keys[] = {"max_age_s", "min_keep", NULL};
    const char *p = "advanced.maintenance";
    ls_maintenance_config_init(out);
    if (!m || json_is_null(m))
        return LS_OK;
    if (!json_is_object(m))
        return ls_error_set_field(err, LS_ERR_INVALID, p, "%s must be an object", p);
    ls_code rc = only_keys(m, keys, p, err);
    const json_t *enabled = json_object_get(m, "enabled");
    if (!rc && enabled && !json_is_boolean(enabled))
        rc = ls_error_set_field(err, LS_ERR_INVALID, "advanced.maintenance.enabled",
                                "advanced.maintenance.enabled must be true or false");
    if (!rc && enabled)
        out->enabled = json_is_true(enabled);
    if (!rc)
        rc = read_int(m, "target_file_size_mb", "advanced.maintenance.target_file_size_mb", 1,
                      4096, MIB, &out->target_file_size_bytes, err);
    if (!rc)
        rc = read_int(m, "min_input_files", "advanced.maintenance.min_input_files", 2, 100000, 1,
                      &out->min_input_files, err);
    if (!rc)
        rc = read_int(m, "orphan_age_s", "advanced.maintenance.orphan_age_s", 60, 365 * 86400,
                      1000, &out->orphan_age_ms, err);
    if (!rc)
        rc = read_int(m, "interval_s", "advanced.maintenance.interval_s", 1, 7 * 86400, 1000,
                      &out->interval_ms, err);
    const json_t *r = json_object_get(m, "snapshot_retention");
    if (!rc && r && !json_is_object(r))
        rc = ls_error_set_field(err, LS_ERR_INVALID, "advanced.maintenance.snapshot_retention",
                                "advanced.maintenance.snapshot_retention must be an object");
    if (!rc && r)
        rc = only_keys(r, retention_keys, "advanced.maintenance.snapshot_retention", err);
    if (!rc && r)
        rc = read_int(r, "max_age_s", "advanced.maintenance.snapshot_retention.max_age_s", 0,
                      3650 * 86400LL, 1000, &out->snapshot_max_age_ms, err);
    if (!rc && r)
        rc = read_int(r, "min_keep", "advanced.maintenance.snapshot_retention.min_keep", 1,
                      1000000, 1, &out->snapshot_min_keep, err);
    return rc;
}

json_t *ls_maintenance_result_json(const ls_maintenance_result *r)
{
    return json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
        "partitions_compacted", (json_int_t)r->partitions_compacted, "files_rewritten",
        (json_int_t)r->files_rewritten, "bytes_rewritten", (json_int_t)r->bytes_rewritten,
        "records_rewritten", (json_int_t)r->records_rewritten, "files_written",
        (json_int_t)r->files_written, "bytes_written", (json_int_t)r->bytes_written,
        "replace_snapshot_id", (json_int_t)r->replace_snapshot_id, "data_files_before",
        (json_int_t)r->data_files_before, "data_files_after", (json_int_t)r->data_files_after,
        "max_partition_files_before", (json_int_t)r->max_partition_files_before,
        "max_partition_files_after", (json_int_t)r->max_partition_files_after,
        "snapshots_expired", (json_int_t)r->snapshots_expired, "expired_files_deleted",
        (json_int_t)r->expired_files_deleted, "orphans_deleted", (json_int_t)r->orphans_deleted,
        "orphan_bytes_deleted", (json_int_t)r->orphan_bytes_deleted);
}

bool ls_maintenance_cancelled(const ls_maintenance_config *config, ls_error *err)
{
    if (!config->cancel || !atomic_load(config->cancel))
        return false;
    ls_error_set(err, LS_ERR_UNAVAILABLE, "maintenance stopped: the server is shutting down");
    return true;
}

ls_code ls_maintenance_run(ls_committer *committer, const ls_table_ref *ref,
                           const ls_maintenance_config *config, int64_t now_ms,
                           ls_maintenance_result *result, ls_error *err)
{
    ls_committer_location where;
    ls_error probe;
    ls_error_clear(&probe);
    if (ls_committer_table_location(committer, ref, "paimon", &where, &probe) == LS_OK) {
        ls_code rc = ls_maintenance_compact_paimon(committer, ref, config, result, err);
        if (!rc && ls_maintenance_cancelled(config, err))
            rc = LS_ERR_UNAVAILABLE;
        if (!rc)
            rc = ls_maintenance_expire_paimon(committer, ref, config, now_ms, result, err);
        if (!rc && ls_maintenance_cancelled(config, err))
            rc = LS_ERR_UNAVAILABLE;
        if (!rc)
            rc = ls_maintenance_remove_orphans_paimon(committer, ref, config, now_ms, result,
                                                      err);
        return rc;
    }
    ls_code rc = ls_maintenance_compact(committer, ref, config, result, err);
    if (!rc && ls_maintenance_cancelled(config, err))
        rc = LS_ERR_UNAVAILABLE;
    if (!rc)
        rc = ls_maintenance_expire(committer, ref, config, now_ms, result, err);
    if (!rc && ls_maintenance_cancelled(config, err))
        rc = LS_ERR_UNAVAILABLE;
    if (!rc)
        rc = ls_maintenance_remove_orphans(committer, ref, config, now_ms, result, err);
    return rc;
}
