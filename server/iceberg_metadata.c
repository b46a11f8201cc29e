/* Iceberg table metadata JSON: create, parse, evolve, append, serialize. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "iceberg_metadata.h"

struct ls_iceberg_metadata {
    json_t *root;
};

ls_code ls_iceberg_random_snapshot_id(int64_t *out, ls_error *err)
{
    uint64_t v = 0;
    do {
        if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
            return ls_error_set(err, LS_ERR_IO, "getrandom failed");
        v &= (uint64_t)INT64_MAX;
    } while (v == 0);
    *out = (int64_t)v;
    return LS_OK;
}

ls_code ls_iceberg_random_uuid(char out[37], ls_error *err)
{
    uint8_t b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        return ls_error_set(err, LS_ERR_IO, "getrandom failed");
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
    return LS_OK;
}

static ls_code nomem(ls_error *err)
{
    return ls_error_set(err, LS_ERR_NOMEM, "out of memory building table metadata");
}

/* json_object_set_new that reports failure as an ls_code. */
static ls_code put(json_t *obj, const char *key, json_t *value, ls_error *err)
{
    if (!value || json_object_set_new(obj, key, value))
        return nomem(err);
    return LS_OK;
}

static const char *reserved_properties[] = {
    "format-version", "uuid", "snapshot-count", "current-snapshot-id",
    "current-snapshot-summary", "current-snapshot-timestamp-ms", "current-schema",
    "default-partition-spec", "default-sort-order",
};

ls_code ls_iceberg_metadata_new_table(const char *location, const char *table_uuid,
                                      const ls_iceberg_schema *schema,
                                      const ls_iceberg_partition_spec *spec,
                                      const ls_iceberg_property *properties,
                                      size_t property_count, int64_t now_ms,
                                      ls_iceberg_metadata **out, ls_error *err)
{
    size_t loc_len = strlen(location);
    if (loc_len == 0 || !strstr(location, "://") || location[loc_len - 1] == '/')
        return ls_error_set(err, LS_ERR_INVALID,
                            "table location '%.200s' must be a fully qualified URI without a "
                            "trailing slash", location);
    if (schema->field_count == 0)
        return ls_error_set(err, LS_ERR_INVALID, "a table needs at least one column");
    char uuid[37];
    ls_code rc = LS_OK;
    if (!table_uuid) {
        if ((rc = ls_iceberg_random_uuid(uuid, err)))
            return rc;
        table_uuid = uuid;
    }
    /* The spec must refer to columns of the schema with applicable transforms. */
    for (size_t i = 0; i < spec->field_count; i++) {
        ls_type t;
        if ((rc = ls_iceberg_spec_field_type(spec, i, schema, &t, err)))
            return rc;
    }
    json_t *root = json_object();
    json_t *props = json_object();
    if (!root || !props) {
        json_decref(root);
        json_decref(props);
        return nomem(err);
    }
    for (size_t i = 0; i < property_count; i++) {
        for (size_t k = 0; k < sizeof reserved_properties / sizeof reserved_properties[0]; k++)
            if (strcmp(properties[i].key, reserved_properties[k]) == 0)
                rc = ls_error_set(err, LS_ERR_INVALID, "table property '%s' is reserved",
                                  properties[i].key);
        if (!rc)
            rc = put(props, properties[i].key, json_string(properties[i].value), err);
        if (rc)
            break;
    }
    json_t *sort_order = json_pack("{s:i,s:[]}", "order-id", 0, "fields");
    if (!rc)
        rc = put(root, "format-version", json_integer(2), err);
    if (!rc)
        rc = put(root, "table-uuid", json_string(table_uuid), err);
    if (!rc)
        rc = put(root, "location", json_string(location), err);
    if (!rc)
        rc = put(root, "last-sequence-number", json_integer(0), err);
    if (!rc)
        rc = put(root, "last-updated-ms", json_integer(now_ms), err);
    if (!rc)
        rc = put(root, "last-column-id", json_integer(ls_iceberg_schema_max_id(schema)), err);
    if (!rc)
        rc = put(root, "current-schema-id", json_integer(schema->schema_id), err);
    if (!rc)
        rc = put(root, "schemas", json_pack("[o]", ls_iceberg_schema_to_json(schema)), err);
    if (!rc)
        rc = put(root, "default-spec-id", json_integer(spec->spec_id), err);
    if (!rc)
        rc = put(root, "partition-specs", json_pack("[o]", ls_iceberg_spec_to_json(spec)), err);
    if (!rc)
        rc = put(root, "last-partition-id", json_integer(ls_iceberg_spec_last_field_id(spec)),
                 err);
    if (!rc)
        rc = put(root, "default-sort-order-id", json_integer(0), err);
    if (!rc)
        rc = put(root, "sort-orders", json_pack("[O]", sort_order), err);
    if (!rc)
        rc = put(root, "properties", json_incref(props), err);
    if (!rc)
        rc = put(root, "current-snapshot-id", json_integer(-1), err);
    if (!rc)
        rc = put(root, "refs", json_object(), err);
    if (!rc)
        rc = put(root, "snapshots", json_array(), err);
    if (!rc)
        rc = put(root, "statistics", json_array(), err);
    if (!rc)
        rc = put(root, "snapshot-log", json_array(), err);
    if (!rc)
        rc = put(root, "metadata-log", json_array(), err);
    json_decref(sort_order);
    json_decref(props);
    if (!rc && !(*out = malloc(sizeof **out)))
        rc = nomem(err);
    if (rc) {
        json_decref(root);
        return rc;
    }
    (*out)->root = root;
    return LS_OK;
}

static int64_t get_int(const json_t *obj, const char *key, int64_t absent)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : absent;
}

ls_code ls_iceberg_metadata_parse(const char *json, size_t len, ls_iceberg_metadata **out,
                                  ls_error *err)
{
    if (len > LS_ICEBERG_MAX_METADATA_BYTES)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "table metadata over %u bytes",
                            LS_ICEBERG_MAX_METADATA_BYTES);
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return ls_error_set(err, LS_ERR_FORMAT, "table metadata is not JSON: %s (line %d)",
                            jerr.text, jerr.line);
    int64_t fv = get_int(root, "format-version", -1);
    const char *why = NULL;
    if (!json_is_object(root))
        why = "not an object";
    else if (fv < 1 || fv > 3)
        why = "format-version missing or unsupported";
    else if (!json_is_string(json_object_get(root, "location")))
        why = "location missing";
    else if (fv >= 2 && !json_is_string(json_object_get(root, "table-uuid")))
        why = "table-uuid missing";
    else if (fv >= 2 && !json_is_integer(json_object_get(root, "last-sequence-number")))
        why = "last-sequence-number missing";
    if (why) {
        json_decref(root);
        return ls_error_set(err, LS_ERR_FORMAT, "invalid table metadata: %s", why);
    }
    if (!(*out = malloc(sizeof **out))) {
        json_decref(root);
        return nomem(err);
    }
    (*out)->root = root;
    return LS_OK;
}

ls_code ls_iceberg_metadata_to_json(const ls_iceberg_metadata *md, char **out, ls_error *err)
{
    *out = json_dumps(md->root, JSON_INDENT(2));
    return *out ? LS_OK : nomem(err);
}

void ls_iceberg_metadata_free(ls_iceberg_metadata *md)
{
    if (!md)
        return;
    json_decref(md->root);
    free(md);
}

const json_t *ls_iceberg_metadata_json(const ls_iceberg_metadata *md)
{
    return md->root;
}

int ls_iceberg_metadata_format_version(const ls_iceberg_metadata *md)
{
    return (int)get_int(md->root, "format-version", 1);
}

const char *ls_iceberg_metadata_location(const ls_iceberg_metadata *md)
{
    return json_string_value(json_object_get(md->root, "location"));
}

const char *ls_iceberg_metadata_table_uuid(const ls_iceberg_metadata *md)
{
    return json_string_value(json_object_get(md->root, "table-uuid"));
}

int64_t ls_iceberg_metadata_current_snapshot_id(const ls_iceberg_metadata *md)
{
    int64_t id = get_int(md->root, "current-snapshot-id", -1);
    return id < 0 ? -1 : id;
}

int64_t ls_iceberg_metadata_last_sequence_number(const ls_iceberg_metadata *md)
{
    return get_int(md->root, "last-sequence-number", 0);
}

int64_t ls_iceberg_metadata_last_updated_ms(const ls_iceberg_metadata *md)
{
    return get_int(md->root, "last-updated-ms", 0);
}

int32_t ls_iceberg_metadata_last_column_id(const ls_iceberg_metadata *md)
{
    return (int32_t)get_int(md->root, "last-column-id", 0);
}

const json_t *ls_iceberg_metadata_snapshot(const ls_iceberg_metadata *md, int64_t snapshot_id)
{
    if (snapshot_id < 0)
        snapshot_id = ls_iceberg_metadata_current_snapshot_id(md);
    if (snapshot_id < 0)
        return NULL;
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(md->root, "snapshots"), i, s) {
        if (get_int(s, "snapshot-id", -1) == snapshot_id)
            return s;
    }
    return NULL;
}

const char *ls_iceberg_metadata_manifest_list(const ls_iceberg_metadata *md, int64_t snapshot_id)
{
    return json_string_value(
        json_object_get(ls_iceberg_metadata_snapshot(md, snapshot_id), "manifest-list"));
}

const char *ls_iceberg_metadata_summary(const ls_iceberg_metadata *md, int64_t snapshot_id,
                                        const char *key)
{
    const json_t *summary = json_object_get(ls_iceberg_metadata_snapshot(md, snapshot_id), "summary");
    return json_string_value(json_object_get(summary, key));
}

static const json_t *find_by_id(const json_t *array, const char *id_key, int64_t id)
{
    size_t i;
    const json_t *v;
    json_array_foreach(array, i, v) {
        if (get_int(v, id_key, -1) == id)
            return v;
    }
    return NULL;
}

ls_code ls_iceberg_metadata_current_schema(const ls_iceberg_metadata *md, ls_iceberg_schema *out,
                                           ls_error *err)
{
    const json_t *schema = find_by_id(json_object_get(md->root, "schemas"), "schema-id",
                                      get_int(md->root, "current-schema-id", 0));
    if (!schema)
        schema = json_object_get(md->root, "schema"); /* v1 */
    if (!schema)
        return ls_error_set(err, LS_ERR_FORMAT, "table metadata has no current schema");
    return ls_iceberg_schema_from_json(schema, out, err);
}

ls_code ls_iceberg_metadata_default_spec(const ls_iceberg_metadata *md,
                                         ls_iceberg_partition_spec *out, ls_error *err)
{
    const json_t *spec = find_by_id(json_object_get(md->root, "partition-specs"), "spec-id",
                                    get_int(md->root, "default-spec-id", 0));
    if (!spec) {
        /* v1: "partition-spec" is the bare fields array of spec 0. */
        const json_t *fields = json_object_get(md->root, "partition-spec");
        if (!fields)
            return ls_error_set(err, LS_ERR_FORMAT, "table metadata has no default spec");
        return ls_iceberg_spec_from_json(fields, out, err);
    }
    return ls_iceberg_spec_from_json(spec, out, err);
}

/* ---- schema evolution ------------------------------------------------------ */

static int schemas_equal(const ls_iceberg_schema *a, const ls_iceberg_schema *b)
{
    if (a->field_count != b->field_count)
        return 0;
    for (size_t i = 0; i < a->field_count; i++) {
        const ls_iceberg_field *x = &a->fields[i], *y = &b->fields[i];
        if (x->id != y->id || strcmp(x->name, y->name) != 0 || x->required != y->required ||
            !ls_type_equal(x->type, y->type))
            return 0;
    }
    return 1;
}

ls_code ls_iceberg_metadata_evolve_schema(ls_iceberg_metadata *md,
                                          const ls_iceberg_schema *proposed, int64_t now_ms,
                                          int *changed_out, ls_error *err)
{
    ls_iceberg_schema current;
    *changed_out = 0;
    ls_code rc = ls_iceberg_metadata_current_schema(md, &current, err);
    if (rc)
        return rc;
    int32_t last_id = ls_iceberg_metadata_last_column_id(md);
    if (schemas_equal(&current, proposed))
        goto out;
    for (size_t i = 0; !rc && i < proposed->field_count; i++) {
        const ls_iceberg_field *f = &proposed->fields[i];
        const ls_iceberg_field *old = ls_iceberg_schema_find_id(&current, f->id);
        char a[32], b[32];
        if (old) {
            if (!ls_type_promotes(old->type, f->type))
                rc = ls_error_set_field(err, LS_ERR_CONFLICT, f->name,
                                        "column '%s' cannot change from %s to %s", f->name,
                                        ls_iceberg_type_name(old->type, a, sizeof a),
                                        ls_iceberg_type_name(f->type, b, sizeof b));
            else if (f->required && !old->required)
                rc = ls_error_set_field(err, LS_ERR_CONFLICT, f->name,
                                        "optional column '%s' cannot become required", f->name);
        } else if (f->id <= last_id) {
            rc = ls_error_set_field(err, LS_ERR_CONFLICT, f->name,
                                    "new column '%s' must have an id above %d", f->name, last_id);
        } else if (f->required) {
            rc = ls_error_set_field(err, LS_ERR_CONFLICT, f->name,
                                    "new column '%s' must be optional", f->name);
        }
    }
    if (rc)
        goto out;
    int64_t new_id = 0;
    size_t i;
    const json_t *s;
    json_t *schemas = json_object_get(md->root, "schemas");
    if (!json_is_array(schemas)) {
        rc = ls_error_set(err, LS_ERR_FORMAT, "table metadata has no schemas list");
        goto out;
    }
    json_array_foreach(schemas, i, s) {
        if (get_int(s, "schema-id", -1) >= new_id)
            new_id = get_int(s, "schema-id", -1) + 1;
    }
    ls_iceberg_schema copy;
    if ((rc = ls_iceberg_schema_copy(proposed, &copy, err)))
        goto out;
    copy.schema_id = (int32_t)new_id;
    json_t *js = ls_iceberg_schema_to_json(&copy);
    ls_iceberg_schema_cleanup(&copy);
    int32_t max_id = ls_iceberg_schema_max_id(proposed);
    if (!js || json_array_append_new(schemas, js)) {
        rc = nomem(err);
        goto out;
    }
    if ((rc = put(md->root, "current-schema-id", json_integer(new_id), err)) ||
        (rc = put(md->root, "last-column-id", json_integer(max_id > last_id ? max_id : last_id),
                  err)) ||
        (rc = put(md->root, "last-updated-ms", json_integer(now_ms), err)))
        goto out;
    *changed_out = 1;
out:
    ls_iceberg_schema_cleanup(&current);
    return rc;
}

/* ---- snapshots -------------------------------------------------------------- */

static ls_code append_to(json_t *root, const char *key, json_t *item, ls_error *err)
{
    json_t *arr = json_object_get(root, key);
    if (!arr) {
        if ((arr = json_array()) == NULL || json_object_set_new(root, key, arr)) {
            json_decref(item);
            return nomem(err);
        }
    }
    if (!item || !json_is_array(arr) || json_array_append_new(arr, item))
        return nomem(err);
    return LS_OK;
}

ls_code ls_iceberg_metadata_log_previous(ls_iceberg_metadata *md, const char *previous_metadata_file,
                                         ls_error *err)
{
    json_t *entry = json_pack("{s:I,s:s}", "timestamp-ms",
                              (json_int_t)ls_iceberg_metadata_last_updated_ms(md), "metadata-file",
                              previous_metadata_file);
    return append_to(md->root, "metadata-log", entry, err);
}

ls_code ls_iceberg_metadata_add_snapshot(ls_iceberg_metadata *md, const ls_iceberg_snapshot *snap,
                                         const char *previous_metadata_file, ls_error *err)
{
    if (snap->snapshot_id <= 0 || ls_iceberg_metadata_snapshot(md, snap->snapshot_id))
        return ls_error_set(err, LS_ERR_INVALID, "snapshot id %lld is invalid or already used",
                            (long long)snap->snapshot_id);
    int has_operation = 0;
    json_t *summary = json_object();
    ls_code rc = summary ? LS_OK : nomem(err);
    for (size_t i = 0; !rc && i < snap->summary_count; i++) {
        has_operation |= strcmp(snap->summary[i].key, "operation") == 0;
        rc = put(summary, snap->summary[i].key, json_string(snap->summary[i].value), err);
    }
    if (!rc && !has_operation)
        rc = ls_error_set(err, LS_ERR_INVALID, "a snapshot summary needs an operation");
    if (rc) {
        json_decref(summary);
        return rc;
    }
    int64_t parent = ls_iceberg_metadata_current_snapshot_id(md);
    int64_t seq = ls_iceberg_metadata_last_sequence_number(md) + 1;
    int64_t previous_updated = ls_iceberg_metadata_last_updated_ms(md);
    json_t *s = json_object();
    rc = s ? LS_OK : nomem(err);
    if (!rc)
        rc = put(s, "sequence-number", json_integer(seq), err);
    if (!rc)
        rc = put(s, "snapshot-id", json_integer(snap->snapshot_id), err);
    if (!rc && parent >= 0)
        rc = put(s, "parent-snapshot-id", json_integer(parent), err);
    if (!rc)
        rc = put(s, "timestamp-ms", json_integer(snap->timestamp_ms), err);
    if (!rc)
        rc = put(s, "summary", json_incref(summary), err);
    if (!rc)
        rc = put(s, "manifest-list", json_string(snap->manifest_list), err);
    if (!rc)
        rc = put(s, "schema-id", json_integer(get_int(md->root, "current-schema-id", 0)), err);
    json_decref(summary);
    /* Build everything new before touching md, so a failure leaves it as it
     * was (apart from an allocation failure in the final sets, which leaves
     * the snapshot list longer than the pointer: still valid metadata). */
    json_t *log = json_pack("{s:I,s:I}", "timestamp-ms", (json_int_t)snap->timestamp_ms,
                            "snapshot-id", (json_int_t)snap->snapshot_id);
    json_t *mlog = previous_metadata_file
                       ? json_pack("{s:I,s:s}", "timestamp-ms", (json_int_t)previous_updated,
                                   "metadata-file", previous_metadata_file)
                       : NULL;
    json_t *refs = json_pack("{s:{s:I,s:s}}", "main", "snapshot-id",
                             (json_int_t)snap->snapshot_id, "type", "branch");
    if (rc || !log || !refs || (previous_metadata_file && !mlog)) {
        json_decref(s);
        json_decref(log);
        json_decref(mlog);
        json_decref(refs);
        return rc ? rc : nomem(err);
    }
    /* Keep other refs (tags, branches) and replace main. */
    json_t *old_refs = json_object_get(md->root, "refs");
    if (json_is_object(old_refs))
        json_object_update_missing(refs, old_refs);
    if ((rc = append_to(md->root, "snapshots", s, err)) ||
        (rc = append_to(md->root, "snapshot-log", log, err)) ||
        (mlog && (rc = append_to(md->root, "metadata-log", mlog, err))) ||
        (rc = put(md->root, "refs", refs, err)) ||
        (rc = put(md->root, "current-snapshot-id", json_integer(snap->snapshot_id), err)) ||
        (rc = put(md->root, "last-sequence-number", json_integer(seq), err)) ||
        (rc = put(md->root, "last-updated-ms", json_integer(snap->timestamp_ms), err)))
        return rc;
    return LS_OK;
}

/* ---- append ------------------------------------------------------------------ */

static int64_t summary_int(const ls_iceberg_metadata *md, const char *key)
{
    const char *v = ls_iceberg_metadata_summary(md, -1, key);
    return v ? strtoll(v, NULL, 10) : 0;
}

/* Number of distinct partition tuples among files (1 for unpartitioned). */
static ls_code changed_partitions(const ls_iceberg_schema *schema,
                                  const ls_iceberg_partition_spec *spec,
                                  const ls_iceberg_data_file *files, size_t n, int64_t *out,
                                  ls_error *err)
{
    *out = 0;
    if (n == 0)
        return LS_OK;
    if (spec->field_count == 0) {
        *out = 1;
        return LS_OK;
    }
    char **keys = calloc(n, sizeof *keys);
    if (!keys)
        return nomem(err);
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && i < n; i++) {
        ls_buf b;
        ls_buf_init(&b, 1 << 20);
        rc = ls_iceberg_partition_path(spec, schema, files[i].partition, &b, err);
        if (!rc && !(keys[i] = (char *)ls_buf_take(&b, NULL)))
            rc = nomem(err);
        ls_buf_cleanup(&b);
        int seen = 0;
        for (size_t k = 0; !rc && !seen && k < i; k++)
            seen = strcmp(keys[k], keys[i]) == 0;
        if (!rc && !seen)
            (*out)++;
    }
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    return rc;
}

void ls_iceberg_append_result_cleanup(ls_iceberg_append_result *r)
{
    if (!r)
        return;
    ls_buf_cleanup(&r->manifest);
    ls_buf_cleanup(&r->manifest_list);
}

ls_code ls_iceberg_metadata_append(ls_iceberg_metadata *md, const ls_iceberg_append *a,
                                   ls_iceberg_append_result *out, ls_error *err)
{
    memset(out, 0, sizeof *out);
    ls_buf_init(&out->manifest, 256u << 20);
    ls_buf_init(&out->manifest_list, 256u << 20);
    ls_iceberg_schema schema;
    ls_iceberg_partition_spec spec;
    ls_iceberg_manifest_file *list = NULL;
    size_t list_count = 0;
    ls_iceberg_manifest_file *parent = NULL;
    size_t parent_count = 0;
    int have_schema = 0, have_spec = 0;
    int64_t snapshot_id = a->snapshot_id;
    int64_t seq = ls_iceberg_metadata_last_sequence_number(md) + 1;
    ls_code rc = LS_OK;
    /* v2 requires fully qualified locations everywhere (spec "File
     * Locations in Metadata"). */
    if (!strstr(a->manifest_list_path, "://") || (a->file_count && !strstr(a->manifest_path, "://")))
        return ls_error_set(err, LS_ERR_INVALID, "manifest paths must be fully qualified URIs");
    for (size_t i = 0; i < a->file_count; i++)
        if (!a->files[i].path || !strstr(a->files[i].path, "://"))
            return ls_error_set(err, LS_ERR_INVALID,
                                "data file path '%.200s' is not a fully qualified URI",
                                a->files[i].path ? a->files[i].path : "");
    if ((rc = ls_iceberg_metadata_current_schema(md, &schema, err)))
        goto out;
    have_schema = 1;
    if ((rc = ls_iceberg_metadata_default_spec(md, &spec, err)))
        goto out;
    have_spec = 1;
    if (snapshot_id == 0 && (rc = ls_iceberg_random_snapshot_id(&snapshot_id, err)))
        goto out;
    int64_t current = ls_iceberg_metadata_current_snapshot_id(md);
    if (current >= 0 && !a->parent_manifest_list) {
        rc = ls_error_set(err, LS_ERR_INVALID, "append needs the current snapshot's manifest list");
        goto out;
    }
    if (a->parent_manifest_list &&
        (rc = ls_iceberg_manifest_list_read(a->parent_manifest_list, a->parent_manifest_list_len,
                                            &parent, &parent_count, err)))
        goto out;
    list = calloc(parent_count + 1, sizeof *list);
    if (!list) {
        rc = nomem(err);
        goto out;
    }
    int64_t added_size = 0, added_rows = 0, changed = 0;
    if (a->file_count) {
        if ((rc = ls_iceberg_manifest_write(&schema, &spec, snapshot_id, seq, a->files,
                                            a->file_count, a->manifest_path, a->codec,
                                            &out->manifest, &list[0], err)))
            goto out;
        list_count = 1;
        for (size_t i = 0; i < a->file_count; i++) {
            added_size += a->files[i].file_size_bytes;
            added_rows += a->files[i].record_count;
        }
        if ((rc = changed_partitions(&schema, &spec, a->files, a->file_count, &changed, err)))
            goto out;
    }
    /* Carried-over manifests keep their sequence numbers, ids and counts. */
    for (size_t i = 0; i < parent_count; i++) {
        list[list_count] = parent[i];
        memset(&parent[i], 0, sizeof parent[i]);
        list_count++;
    }
    if ((rc = ls_iceberg_manifest_list_write(snapshot_id, current, seq, list, list_count, a->codec,
                                             &out->manifest_list, err)))
        goto out;
    char v[11][24];
    snprintf(v[0], sizeof v[0], "%zu", a->file_count);
    snprintf(v[1], sizeof v[1], "%lld", (long long)added_rows);
    snprintf(v[2], sizeof v[2], "%lld", (long long)added_size);
    snprintf(v[3], sizeof v[3], "%lld", (long long)changed);
    snprintf(v[4], sizeof v[4], "%lld", (long long)(summary_int(md, "total-records") + added_rows));
    snprintf(v[5], sizeof v[5], "%lld",
             (long long)(summary_int(md, "total-files-size") + added_size));
    snprintf(v[6], sizeof v[6], "%lld",
             (long long)(summary_int(md, "total-data-files") + (int64_t)a->file_count));
    snprintf(v[7], sizeof v[7], "%lld", (long long)summary_int(md, "total-delete-files"));
    snprintf(v[8], sizeof v[8], "%lld", (long long)summary_int(md, "total-position-deletes"));
    snprintf(v[9], sizeof v[9], "%lld", (long long)summary_int(md, "total-equality-deletes"));
    static const char *keys[] = {"added-data-files",   "added-records",
                                 "added-files-size",   "changed-partition-count",
                                 "total-records",      "total-files-size",
                                 "total-data-files",   "total-delete-files",
                                 "total-position-deletes", "total-equality-deletes"};
    size_t n = 1 + 10 + a->extra_summary_count;
    ls_iceberg_property *summary = calloc(n, sizeof *summary);
    if (!summary) {
        rc = nomem(err);
        goto out;
    }
    summary[0] = (ls_iceberg_property){"operation", "append"};
    for (size_t i = 0; i < 10; i++)
        summary[1 + i] = (ls_iceberg_property){keys[i], v[i]};
    for (size_t i = 0; i < a->extra_summary_count; i++)
        summary[11 + i] = a->extra_summary[i];
    ls_iceberg_snapshot snap = {.snapshot_id = snapshot_id,
                                .timestamp_ms = a->timestamp_ms,
                                .manifest_list = a->manifest_list_path,
                                .summary = summary,
                                .summary_count = n};
    rc = ls_iceberg_metadata_add_snapshot(md, &snap, a->previous_metadata_file, err);
    free(summary);
    if (rc)
        goto out;
    out->snapshot_id = snapshot_id;
    out->sequence_number = seq;
out:
    ls_iceberg_manifest_files_free(list, list_count);
    ls_iceberg_manifest_files_free(parent, parent_count);
    if (have_schema)
        ls_iceberg_schema_cleanup(&schema);
    if (have_spec)
        ls_iceberg_spec_cleanup(&spec);
    if (rc)
        ls_iceberg_append_result_cleanup(out);
    return rc;
}

/* ---- snapshot expiration ------------------------------------------------------ */

static int id_listed(int64_t id, const int64_t *ids, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* A copy of the array at key without the items whose id_key is listed. */
static json_t *without_ids(const json_t *root, const char *key, const char *id_key,
                           const int64_t *ids, size_t count)
{
    json_t *out = json_array();
    const json_t *arr = json_object_get(root, key);
    size_t i;
    const json_t *item;
    json_array_foreach(arr, i, item) {
        if (!out)
            break;
        if (id_listed(get_int(item, id_key, -1), ids, count))
            continue;
        if (json_array_append(out, (json_t *)item)) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

ls_code ls_iceberg_metadata_remove_snapshots(ls_iceberg_metadata *md, const int64_t *ids,
                                             size_t count, const char *previous_metadata_file,
                                             int64_t now_ms, size_t metadata_log_max,
                                             ls_error *err)
{
    int64_t current = ls_iceberg_metadata_current_snapshot_id(md);
    for (size_t i = 0; i < count; i++)
        if (ids[i] == current || !ls_iceberg_metadata_snapshot(md, ids[i]))
            return ls_error_set(err, LS_ERR_INVALID, "snapshot %lld cannot be removed",
                                (long long)ids[i]);
    json_t *snapshots = without_ids(md->root, "snapshots", "snapshot-id", ids, count);
    json_t *log = without_ids(md->root, "snapshot-log", "snapshot-id", ids, count);
    json_t *mlog = json_array();
    json_t *refs = json_object();
    const json_t *old_mlog = json_object_get(md->root, "metadata-log");
    size_t keep_from = 0, old_count = json_array_size(old_mlog) + (previous_metadata_file != NULL);
    if (old_count > metadata_log_max)
        keep_from = old_count - metadata_log_max;
    for (size_t i = keep_from; mlog && i < json_array_size(old_mlog); i++)
        if (json_array_append(mlog, json_array_get(old_mlog, i)))
            break;
    if (mlog && previous_metadata_file && metadata_log_max)
        json_array_append_new(mlog, json_pack("{s:I,s:s}", "timestamp-ms",
                                              (json_int_t)ls_iceberg_metadata_last_updated_ms(md),
                                              "metadata-file", previous_metadata_file));
    /* Tags and branches of removed snapshots go with them. */
    const char *name;
    const json_t *ref;
    json_object_foreach(json_object_get(md->root, "refs"), name, ref) {
        if (refs && !id_listed(get_int(ref, "snapshot-id", -1), ids, count))
            json_object_set(refs, name, (json_t *)ref);
    }
    if (!snapshots || !log || !mlog || !refs) {
        json_decref(snapshots);
        json_decref(log);
        json_decref(mlog);
        json_decref(refs);
        return nomem(err);
    }
    ls_code rc;
    if ((rc = put(md->root, "snapshots", snapshots, err)) ||
        (rc = put(md->root, "snapshot-log", log, err)) ||
        (rc = put(md->root, "metadata-log", mlog, err)) || (rc = put(md->root, "refs", refs, err)) ||
        (rc = put(md->root, "last-updated-ms", json_integer(now_ms), err)))
        return rc;
    return LS_OK;
}
