#include "committer.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "committer_paimon.h"
#include "committer_catalog.h"
#include "committer_request.h"
#include "dead_letter.h"
#include "iceberg_metadata.h"
#include "util/log.h"

#define LOCK_STRIPES 64
#define PATH_MAX_BYTES LS_CATALOG_PATH_MAX
#define METADATA_NAME_TRIES 16 /* orphaned metadata names skipped per commit */

struct ls_committer {
    ls_store *store;
    pthread_mutex_t stripes[LOCK_STRIPES];
};

ls_code ls_committer_new(ls_store *store, ls_committer **out, ls_error *err)
{
    ls_committer *c = calloc(1, sizeof *c);
    if (!c)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    c->store = store;
    for (int i = 0; i < LOCK_STRIPES; i++)
        pthread_mutex_init(&c->stripes[i], NULL);
    *out = c;
    return LS_OK;
}

void ls_committer_free(ls_committer *c)
{
    if (!c)
        return;
    for (int i = 0; i < LOCK_STRIPES; i++)
        pthread_mutex_destroy(&c->stripes[i]);
    free(c);
}

/* The stripe serializing commits to one table (FNV-1a of its name). */
static pthread_mutex_t *table_lock(ls_committer *c, const ls_table_ref *ref)
{
    uint32_t h = 2166136261u;
    for (const char *s = ref->database; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    h = (h ^ 0xff) * 16777619u;
    for (const char *s = ref->table; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return &c->stripes[h % LOCK_STRIPES];
}

/* ---- the table pointer ------------------------------------------------ */

typedef ls_table_pointer table_pointer;

/* ---- files ------------------------------------------------------------ */

/* The key of uri inside the table location, or NULL when it is not under it. */
static const char *key_in_table(const table_pointer *t, const char *uri)
{
    size_t n = strlen(t->location);
    if (strncmp(uri, t->location, n) != 0 || uri[n] != '/')
        return NULL;
    return uri + n + 1;
}

/* The N of ".../metadata/vN.metadata.json"; 0 when the name has another form. */
static int64_t metadata_version(const char *metadata_location)
{
    const char *name = strrchr(metadata_location, '/');
    name = name ? name + 1 : metadata_location;
    int64_t n = 0;
    if (name[0] != 'v')
        return 0;
    const char *p = name + 1;
    for (; *p >= '0' && *p <= '9' && n < INT64_MAX / 10; p++)
        n = n * 10 + (*p - '0');
    return strcmp(p, ".metadata.json") == 0 ? n : 0;
}

/* Writes metadata/vN.metadata.json (create-if-absent) and the version hint
 * is left to the caller, after the pointer moved. */
static ls_code write_metadata(ls_objstore *os, const ls_iceberg_metadata *md, int64_t version,
                              char *key, size_t key_size, ls_error *err)
{
    char *json = NULL;
    ls_code rc = ls_iceberg_metadata_to_json(md, &json, err);
    if (rc)
        return rc;
    snprintf(key, key_size, "metadata/v%" PRId64 ".metadata.json", version);
    rc = ls_objstore_put_if_absent(os, key, json, strlen(json), err);
    free(json);
    return rc;
}

/* Writes md as the first free version after t's current one. The next
 * name may be taken by an orphan of a commit that failed before its pointer
 * moved (a crash, or the other table of a two-table commit failing): skip
 * past it, the pointer is the truth. */
static ls_code write_next_metadata(ls_objstore *os, const ls_table_pointer *t,
                                   const ls_iceberg_metadata *md, char *key, size_t key_size,
                                   ls_error *err)
{
    ls_code rc = LS_OK;
    int64_t version = metadata_version(t->metadata_location) + 1;
    for (int tries = 0; tries < METADATA_NAME_TRIES; tries++, version++) {
        ls_error name_err;
        ls_error_clear(&name_err);
        rc = write_metadata(os, md, version, key, key_size, &name_err);
        if (rc != LS_ERR_CONFLICT || tries + 1 == METADATA_NAME_TRIES) {
            if (rc)
                ls_error_set(err, rc, "%s", name_err.message);
            break;
        }
    }
    return rc;
}

static void write_version_hint(ls_objstore *os, int64_t version)
{
    char text[32];
    ls_error err;
    ls_error_clear(&err);
    int n = snprintf(text, sizeof text, "%" PRId64, version);
    /* Only path-based readers use the hint; the catalog pointer is the truth,
     * so a failure here is logged, not fatal. */
    if (ls_objstore_put(os, "metadata/version-hint.text", text, (size_t)n, &err))
        ls_log_warn("committer", "version hint not updated: %s", err.message);
}

ls_code ls_committer_create_iceberg(ls_committer *c, const ls_table_ref *ref, const char *location,
                                    const ls_iceberg_schema *schema,
                                    const ls_iceberg_partition_spec *spec, ls_error *err)
{
    ls_iceberg_metadata *md = NULL;
    ls_objstore *os = NULL;
    table_pointer t;
    memset(&t, 0, sizeof t);
    char key[256], uri[PATH_MAX_BYTES + 256];
    snprintf(t.location, sizeof t.location, "%s", location);
    pthread_mutex_t *lock = table_lock(c, ref);
    pthread_mutex_lock(lock);
    ls_code rc = ls_iceberg_metadata_new_table(location, NULL, schema, spec, NULL, 0, ls_catalog_wall_ms(),
                                               &md, err);
    if (!rc)
        rc = ls_catalog_open_storage(t.location, ref, &os, err);
    if (!rc)
        rc = write_metadata(os, md, 1, key, sizeof key, err);
    if (rc == LS_ERR_CONFLICT)
        rc = ls_error_set(err, LS_ERR_CONFLICT, "%s already holds table metadata", location);
    if (!rc) {
        snprintf(uri, sizeof uri, "%s/%s", location, key);
        rc = ls_catalog_insert(c->store, ref, "iceberg", location, uri, err);
    }
    if (!rc)
        write_version_hint(os, 1);
    ls_objstore_free(os);
    ls_iceberg_metadata_free(md);
    pthread_mutex_unlock(lock);
    return rc;
}

ls_code ls_committer_create_paimon(ls_committer *c, const ls_table_ref *ref, const char *location,
                                   const ls_iceberg_schema *schema,
                                   const ls_iceberg_partition_spec *spec, ls_error *err)
{
    pthread_mutex_t *lock = table_lock(c, ref);
    pthread_mutex_lock(lock);
    ls_code rc = ls_committer_paimon_create(c->store, ref, location, schema, spec, err);
    pthread_mutex_unlock(lock);
    return rc;
}

ls_code ls_committer_dead_letter_schema(ls_iceberg_schema *out, ls_error *err)
{
    ls_code rc = LS_OK;
    for (size_t i = 0; !rc && i < LS_DEAD_LETTER_COLUMN_COUNT; i++) {
        const ls_dead_letter_column *col = &ls_dead_letter_columns[i];
        rc = ls_iceberg_schema_add(out, col->field_id, col->name, (ls_type){.kind = col->kind}, 0,
                                   err);
    }
    return rc;
}

ls_code ls_committer_ensure_dead_letter(ls_committer *c, const ls_table_ref *ref, bool paimon,
                                        const char *location, ls_error *err)
{
    char name[LS_CATALOG_PATH_MAX], dead_location[PATH_MAX_BYTES + 16];
    ls_table_pointer existing;
    ls_iceberg_schema schema;
    ls_iceberg_partition_spec spec;
    ls_iceberg_schema_init(&schema, 0);
    ls_iceberg_spec_init(&spec, 0);
    ls_code rc = ls_dead_letter_table_name(ref->table, name, sizeof name, err);
    if (rc)
        return rc;
    ls_table_ref dead = *ref;
    dead.table = name;
    rc = ls_catalog_load(c->store, &dead, paimon ? "paimon" : "iceberg", &existing, err);
    if (rc != LS_ERR_NOT_FOUND)
        return rc; /* there already, or the catalog failed */
    ls_error_clear(err);
    int n = snprintf(dead_location, sizeof dead_location, "%s%s", location, LS_DEAD_LETTER_SUFFIX);
    if (n < 0 || (size_t)n >= sizeof dead_location)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "table location %s is too long", location);
    rc = ls_committer_dead_letter_schema(&schema, err);
    if (!rc)
        rc = paimon ? ls_committer_create_paimon(c, &dead, dead_location, &schema, &spec, err)
                    : ls_committer_create_iceberg(c, &dead, dead_location, &schema, &spec, err);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&schema);
    return rc;
}

/* ---- reading the current state ---------------------------------------- */

static ls_code read_metadata(ls_objstore *os, const table_pointer *t, ls_iceberg_metadata **out,
                             ls_error *err)
{
    const char *key = key_in_table(t, t->metadata_location);
    if (!key)
        return ls_error_set(err, LS_ERR_FORMAT, "metadata %s lies outside table location %s",
                            t->metadata_location, t->location);
    ls_buf buf;
    ls_buf_init(&buf, LS_ICEBERG_MAX_METADATA_BYTES);
    ls_code rc = ls_objstore_get(os, key, &buf, err);
    if (!rc)
        rc = ls_iceberg_metadata_parse((const char *)buf.data, buf.len, out, err);
    ls_buf_cleanup(&buf);
    return rc;
}

/* The offsets of the newest snapshot that records them: the current one,
 * or an ancestor when a maintenance snapshot carries none. */
static ls_code table_offsets(const ls_iceberg_metadata *md, ls_offsets *out, ls_error *err)
{
    int64_t id = ls_iceberg_metadata_current_snapshot_id(md);
    for (int hops = 0; id > 0 && hops < 100000; hops++) {
        const char *text = ls_iceberg_metadata_summary(md, id, "lakesync.offsets");
        if (text)
            return ls_offsets_parse(text, out, err);
        const json_t *snap = ls_iceberg_metadata_snapshot(md, id);
        const json_t *parent = json_object_get(snap, "parent-snapshot-id");
        id = json_is_integer(parent) ? json_integer_value(parent) : -1;
    }
    ls_offsets_init(out, "");
    return LS_OK;
}

ls_code ls_committer_offsets(ls_committer *c, const ls_table_ref *ref, ls_offsets *out,
                             ls_error *err)
{
    table_pointer t;
    ls_objstore *os = NULL;
    ls_iceberg_metadata *md = NULL;
    if (ls_committer_paimon_is_table(c->store, ref)) {
        /* A worker reads offsets when it starts: a good moment to land a
         * dead-letter part the last commit left pending. */
        ls_error dead_err;
        ls_error_clear(&dead_err);
        pthread_mutex_t *lock = table_lock(c, ref);
        pthread_mutex_lock(lock);
        if (ls_committer_paimon_roll_forward(c->store, ref, &dead_err))
            ls_log_warn("committer", "%s.%s: pending dead letters not landed yet: %s",
                        ref->database, ref->table, dead_err.message);
        pthread_mutex_unlock(lock);
        return ls_committer_paimon_offsets(c->store, ref, out, err);
    }
    ls_offsets_init(out, "");
    ls_code rc = ls_catalog_open(c->store, ref, "iceberg", &t, &os, err);
    if (!rc)
        rc = read_metadata(os, &t, &md, err);
    if (!rc)
        rc = table_offsets(md, out, err);
    ls_iceberg_metadata_free(md);
    ls_objstore_free(os);
    return rc;
}

/* ---- committing --------------------------------------------------------- */

/* Every file must lie under the table's data/ and be exactly as large as the
 * worker says: a file cut short by a failed upload is never committed. */
static ls_code check_files(ls_objstore *os, const table_pointer *t, const ls_commit_files *f,
                           ls_error *err)
{
    for (size_t i = 0; i < f->file_count; i++) {
        char field[48];
        snprintf(field, sizeof field, "files[%zu].path", i);
        const char *key = key_in_table(t, f->files[i].path);
        if (!key || strncmp(key, "data/", 5) != 0 || strstr(key, "/../") || strstr(key, "/./"))
            return ls_error_set_field(err, LS_ERR_INVALID, field,
                                      "data files must lie under %s/data/", t->location);
        ls_objstore_info info;
        ls_code rc = ls_objstore_head(os, key, &info, err);
        if (rc == LS_ERR_NOT_FOUND)
            return ls_error_set_field(err, LS_ERR_INVALID, field, "%s does not exist",
                                      f->files[i].path);
        if (rc)
            return rc;
        if ((int64_t)info.size_bytes != f->files[i].file_size_bytes)
            return ls_error_set_field(err, LS_ERR_INVALID, field,
                                      "%s has %" PRIu64 " bytes, not the %" PRId64 " claimed",
                                      f->files[i].path, info.size_bytes,
                                      f->files[i].file_size_bytes);
    }
    return LS_OK;
}

/* The current snapshot's manifest list, empty when there is no snapshot. */
static ls_code read_parent_list(ls_objstore *os, const table_pointer *t,
                                const ls_iceberg_metadata *md, ls_buf *out, ls_error *err)
{
    const char *list = ls_iceberg_metadata_manifest_list(md, -1);
    if (ls_iceberg_metadata_current_snapshot_id(md) < 0 || !list)
        return LS_OK;
    const char *key = key_in_table(t, list);
    if (!key)
        return ls_error_set(err, LS_ERR_FORMAT, "manifest list %s lies outside the table", list);
    return ls_objstore_get(os, key, out, err);
}

/* Decodes, fences and checks a request; fills *next with the offsets after
 * it. On a fence the table's offsets go to result->offsets. */
static ls_code prepare(ls_objstore *os, const table_pointer *t, const ls_iceberg_metadata *md,
                       const char *topic, const json_t *request, ls_commit_files *files,
                       ls_offsets *next, ls_commit_result *result, ls_error *err)
{
    ls_iceberg_schema schema;
    ls_iceberg_partition_spec spec;
    ls_offsets current;
    ls_iceberg_schema_init(&schema, 0);
    ls_iceberg_spec_init(&spec, 0);
    ls_offsets_init(next, topic);
    ls_code rc = table_offsets(md, &current, err);
    if (rc)
        goto out_schema;
    rc = ls_iceberg_metadata_current_schema(md, &schema, err);
    if (!rc)
        rc = ls_iceberg_metadata_default_spec(md, &spec, err);
    if (!rc)
        rc = ls_commit_files_decode(request, &schema, &spec, files, err);
    if (!rc)
        rc = ls_offsets_advance(&current, topic, files->ranges, files->range_count, next, err);
    if (rc == LS_ERR_CONFLICT) {
        ls_offsets_cleanup(&result->offsets);
        result->offsets = current;
        ls_offsets_init(&current, "");
    }
    if (!rc)
        rc = check_files(os, t, files, err);
    ls_offsets_cleanup(&current);
out_schema:
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&schema);
    return rc;
}

/* One table's part of a commit: the job's table, or its dead-letter table,
 * which commits in the same SQLite transaction. */
typedef struct table_part {
    ls_table_ref ref;
    char name[LS_CATALOG_PATH_MAX];
    table_pointer t;
    ls_objstore *os;
    ls_iceberg_metadata *md;
    ls_commit_files files;
    ls_iceberg_append_result appended;
    char metadata_key[128];
    char metadata_uri[PATH_MAX_BYTES + 128];
} table_part;

static void part_init(table_part *p, const ls_table_ref *ref, const char *name)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name ? name : ref->table);
    p->ref = *ref;
    p->ref.table = p->name;
}

/* Reads the part's pointer and current metadata. */
static ls_code part_open(ls_committer *c, table_part *p, ls_error *err)
{
    ls_code rc = ls_catalog_open(c->store, &p->ref, "iceberg", &p->t, &p->os, err);
    if (!rc)
        rc = read_metadata(p->os, &p->t, &p->md, err);
    return rc;
}

static void part_cleanup(table_part *p)
{
    ls_iceberg_append_result_cleanup(&p->appended);
    ls_commit_files_cleanup(&p->files);
    ls_iceberg_metadata_free(p->md);
    ls_objstore_free(p->os);
    memset(p, 0, sizeof *p);
}

/* The dead-letter part of a request: its dead_letter_files, decoded against
 * the dead-letter table's schema and checked like data files. */
static ls_code prepare_dead_letters(table_part *p, const json_t *request, ls_error *err)
{
    ls_iceberg_schema schema;
    ls_iceberg_partition_spec spec;
    ls_iceberg_schema_init(&schema, 0);
    ls_iceberg_spec_init(&spec, 0);
    json_t *part = json_pack("{s:O, s:O}", "ranges", json_object_get(request, "ranges"), "files",
                             json_object_get(request, "dead_letter_files"));
    ls_code rc = part ? LS_OK : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = ls_iceberg_metadata_current_schema(p->md, &schema, err);
    if (!rc)
        rc = ls_iceberg_metadata_default_spec(p->md, &spec, err);
    if (!rc)
        rc = ls_commit_files_decode(part, &schema, &spec, &p->files, err);
    if (!rc)
        rc = check_files(p->os, &p->t, &p->files, err);
    if (rc == LS_ERR_INVALID && strncmp(err->field, "files", 5) == 0) {
        /* Name the member as the request spells it. */
        char field[LS_ERROR_FIELD_MAX + 16];
        snprintf(field, sizeof field, "dead_letter_%s", err->field);
        memcpy(err->field, field, sizeof err->field - 1);
        err->field[sizeof err->field - 1] = '\0';
    }
    json_decref(part);
    ls_iceberg_spec_cleanup(&spec);
    ls_iceberg_schema_cleanup(&schema);
    return rc;
}

/* Builds the part's snapshot, writes its files and the next metadata
 * (create-if-absent), and sets its metadata_uri. */
static ls_code write_snapshot(table_part *p, const char *job_id, const ls_offsets *next,
                              ls_error *err)
{
    const table_pointer *t = &p->t;
    char uuid[37], manifest[PATH_MAX_BYTES + 128], list[PATH_MAX_BYTES + 128];
    char *offsets_text = NULL;
    int64_t snapshot_id = 0;
    ls_buf parent;
    ls_buf_init(&parent, (size_t)1 << 30);
    ls_code rc = ls_iceberg_random_uuid(uuid, err);
    if (!rc)
        rc = ls_iceberg_random_snapshot_id(&snapshot_id, err);
    if (!rc)
        rc = ls_offsets_format(next, &offsets_text, err);
    if (!rc)
        rc = read_parent_list(p->os, t, p->md, &parent, err);
    if (rc)
        goto out;
    snprintf(manifest, sizeof manifest, "%s/metadata/%s-m0.avro", t->location, uuid);
    snprintf(list, sizeof list, "%s/metadata/snap-%" PRId64 "-1-%s.avro", t->location,
             snapshot_id, uuid);
    ls_iceberg_property summary[] = {{"lakesync.job-id", job_id},
                                     {"lakesync.offsets", offsets_text}};
    ls_iceberg_append append = {
        .snapshot_id = snapshot_id, .timestamp_ms = ls_catalog_wall_ms(), .manifest_path = manifest,
        .manifest_list_path = list, .files = p->files.files, .file_count = p->files.file_count,
        .parent_manifest_list = parent.len ? parent.data : NULL,
        .parent_manifest_list_len = parent.len, .extra_summary = summary, .extra_summary_count = 2,
        .previous_metadata_file = t->metadata_location, .codec = LS_AVRO_CODEC_DEFLATE,
    };
    ls_iceberg_append_result *out = &p->appended;
    rc = ls_iceberg_metadata_append(p->md, &append, out, err);
    if (!rc && out->manifest.len)
        rc = ls_objstore_put(p->os, key_in_table(t, manifest), out->manifest.data,
                             out->manifest.len, err);
    if (!rc)
        rc = ls_objstore_put(p->os, key_in_table(t, list), out->manifest_list.data,
                             out->manifest_list.len, err);
    if (!rc)
        rc = write_next_metadata(p->os, t, p->md, p->metadata_key, sizeof p->metadata_key, err);
    if (!rc)
        snprintf(p->metadata_uri, sizeof p->metadata_uri, "%s/%s", t->location, p->metadata_key);
out:
    free(offsets_text);
    ls_buf_cleanup(&parent);
    return rc;
}

/* True when the request carries dead letters; LS_ERR_INVALID when its
 * dead_letter_files member is not an array. */
static ls_code has_dead_letters(const json_t *request, bool *out, ls_error *err)
{
    const json_t *dead = json_object_get(request, "dead_letter_files");
    *out = json_array_size(dead) > 0;
    if (dead && !json_is_array(dead) && !json_is_null(dead))
        return ls_error_set_field(err, LS_ERR_INVALID, "dead_letter_files", "must be an array");
    return LS_OK;
}

/* The Iceberg commit: both parts' metadata are written first (each
 * create-if-absent, so durable and unreferenced until the swap), then both
 * pointers move in one SQLite transaction. A failure anywhere before the
 * swap leaves both tables as they were; the swap is all or nothing. */
static ls_code commit_iceberg(ls_committer *c, const ls_table_ref *ref, const char *job_id,
                              const char *topic, const json_t *request, ls_commit_result *result,
                              ls_error *err)
{
    table_part main_part, dead_part;
    ls_offsets next;
    bool dead = false;
    char dead_name[LS_CATALOG_PATH_MAX];
    ls_offsets_init(&next, topic);
    part_init(&main_part, ref, NULL);
    part_init(&dead_part, ref, NULL);
    ls_code rc = has_dead_letters(request, &dead, err);
    if (!rc && dead)
        rc = ls_dead_letter_table_name(ref->table, dead_name, sizeof dead_name, err);
    if (!rc)
        rc = part_open(c, &main_part, err);
    if (!rc)
        rc = prepare(main_part.os, &main_part.t, main_part.md, topic, request, &main_part.files,
                     &next, result, err);
    if (!rc && dead) {
        part_init(&dead_part, ref, dead_name);
        rc = part_open(c, &dead_part, err);
        if (rc == LS_ERR_NOT_FOUND) {
            ls_error_clear(err);
            rc = ls_error_set(err, LS_ERR_UNPROCESSABLE,
                              "the request carries dead letters but %s.%s does not exist",
                              ref->database, dead_name);
        }
        if (!rc)
            rc = prepare_dead_letters(&dead_part, request, err);
    }
    if (!rc)
        rc = write_snapshot(&main_part, job_id, &next, err);
    if (!rc && dead)
        rc = write_snapshot(&dead_part, job_id, &next, err);
    if (!rc) {
        ls_catalog_move moves[2] = {
            {&main_part.ref, main_part.t.metadata_location, main_part.metadata_uri},
            {&dead_part.ref, dead_part.t.metadata_location, dead_part.metadata_uri},
        };
        rc = ls_catalog_swap_all(c->store, moves, dead ? 2 : 1, err);
    }
    if (!rc) {
        write_version_hint(main_part.os, metadata_version(main_part.metadata_uri));
        if (dead)
            write_version_hint(dead_part.os, metadata_version(dead_part.metadata_uri));
        result->snapshot_id = main_part.appended.snapshot_id;
        result->sequence_number = main_part.appended.sequence_number;
        ls_offsets_cleanup(&result->offsets);
        result->offsets = next;
        ls_offsets_init(&next, topic);
        ls_log_info("committer", "%s.%s: snapshot %" PRId64 " with %zu files, %zu dead-letter files",
                    ref->database, ref->table, result->snapshot_id, main_part.files.file_count,
                    dead_part.files.file_count);
    }
    ls_offsets_cleanup(&next);
    part_cleanup(&dead_part);
    part_cleanup(&main_part);
    return rc;
}

ls_code ls_committer_commit_json(ls_committer *c, const ls_table_ref *ref, const char *job_id,
                                 const char *topic, const json_t *request,
                                 ls_commit_result *result, ls_error *err)
{
    memset(result, 0, sizeof *result);
    ls_offsets_init(&result->offsets, topic);
    pthread_mutex_t *lock = table_lock(c, ref);
    pthread_mutex_lock(lock);
    ls_code rc = ls_committer_paimon_is_table(c->store, ref)
                     ? ls_committer_paimon_commit(c->store, ref, job_id, topic, request, result,
                                                  err)
                     : commit_iceberg(c, ref, job_id, topic, request, result, err);
    pthread_mutex_unlock(lock);
    return rc;
}

/* ---- schema evolution ---------------------------------------------------- */

static ls_code evolve_iceberg(ls_committer *c, const ls_table_ref *ref,
                              const ls_iceberg_schema *proposed, int64_t *schema_id_out,
                              bool *changed_out, ls_error *err)
{
    table_pointer t;
    ls_objstore *os = NULL;
    ls_iceberg_metadata *md = NULL;
    ls_iceberg_schema current;
    int changed = 0;
    char metadata_key[128], metadata_uri[PATH_MAX_BYTES + 128];
    ls_iceberg_schema_init(&current, 0);
    ls_code rc = ls_catalog_open(c->store, ref, "iceberg", &t, &os, err);
    if (!rc)
        rc = read_metadata(os, &t, &md, err);
    /* Logged before the change: the entry carries the old last-updated-ms. */
    if (!rc)
        rc = ls_iceberg_metadata_log_previous(md, t.metadata_location, err);
    if (!rc)
        rc = ls_iceberg_metadata_evolve_schema(md, proposed, ls_catalog_wall_ms(), &changed, err);
    if (!rc && changed)
        rc = write_metadata(os, md, metadata_version(t.metadata_location) + 1, metadata_key,
                            sizeof metadata_key, err);
    if (!rc && changed) {
        snprintf(metadata_uri, sizeof metadata_uri, "%s/%s", t.location, metadata_key);
        rc = ls_catalog_swap(c->store, ref, t.metadata_location, metadata_uri, err);
        if (!rc)
            write_version_hint(os, metadata_version(metadata_uri));
    }
    if (!rc)
        rc = ls_iceberg_metadata_current_schema(md, &current, err);
    if (!rc) {
        *schema_id_out = current.schema_id;
        *changed_out = changed != 0;
        if (changed)
            ls_log_info("committer", "%s.%s: schema %" PRId32 " is current", ref->database,
                        ref->table, current.schema_id);
    }
    ls_iceberg_schema_cleanup(&current);
    ls_iceberg_metadata_free(md);
    ls_objstore_free(os);
    return rc;
}

ls_code ls_committer_schema_id(ls_committer *c, const ls_table_ref *ref, int64_t *id_out,
                               ls_error *err)
{
    table_pointer t;
    ls_objstore *os = NULL;
    ls_iceberg_metadata *md = NULL;
    *id_out = -1;
    if (ls_committer_paimon_is_table(c->store, ref))
        return ls_committer_paimon_schema_id(c->store, ref, id_out, err);
    ls_code rc = ls_catalog_open(c->store, ref, "iceberg", &t, &os, err);
    if (!rc)
        rc = read_metadata(os, &t, &md, err);
    if (!rc) {
        const json_t *id = json_object_get(ls_iceberg_metadata_json(md), "current-schema-id");
        *id_out = json_is_integer(id) ? json_integer_value(id) : 0; /* v1: schema 0 */
    }
    ls_iceberg_metadata_free(md);
    ls_objstore_free(os);
    return rc;
}

ls_code ls_committer_evolve_schema(ls_committer *c, const ls_table_ref *ref,
                                   const ls_iceberg_schema *proposed, int64_t *schema_id_out,
                                   bool *changed_out, ls_error *err)
{
    *schema_id_out = -1;
    *changed_out = false;
    pthread_mutex_t *lock = table_lock(c, ref);
    pthread_mutex_lock(lock);
    ls_code rc = ls_committer_paimon_is_table(c->store, ref)
                     ? ls_committer_paimon_evolve(c->store, ref, proposed, schema_id_out,
                                                  changed_out, err)
                     : evolve_iceberg(c, ref, proposed, schema_id_out, changed_out, err);
    pthread_mutex_unlock(lock);
    return rc;
}

/* ---- for committer_update.c --------------------------------------------- */

pthread_mutex_t *ls_committer_table_lock(ls_committer *c, const ls_table_ref *ref)
{
    /* A dead-letter table moves together with its job's table, under the
     * job table's lock: maintenance of it must take the same one. */
    if (ls_dead_letter_is_name(ref->table)) {
        char base[PATH_MAX_BYTES];
        size_t n = strlen(ref->table) - strlen(LS_DEAD_LETTER_SUFFIX);
        snprintf(base, sizeof base, "%.*s", (int)n, ref->table);
        ls_table_ref job_table = *ref;
        job_table.table = base;
        return table_lock(c, &job_table);
    }
    return table_lock(c, ref);
}

ls_store *ls_committer_store(ls_committer *c)
{
    return c->store;
}

ls_code ls_committer_read_metadata(ls_objstore *os, const ls_table_pointer *t,
                                   ls_iceberg_metadata **out, ls_error *err)
{
    return read_metadata(os, t, out, err);
}

ls_code ls_committer_write_next_metadata(ls_objstore *os, const ls_table_pointer *t,
                                         const ls_iceberg_metadata *md, char *uri,
                                         size_t uri_size, ls_error *err)
{
    char key[128];
    ls_code rc = write_next_metadata(os, t, md, key, sizeof key, err);
    if (!rc)
        snprintf(uri, uri_size, "%s/%s", t->location, key);
    return rc;
}

void ls_committer_write_version_hint(ls_objstore *os, const char *metadata_uri)
{
    write_version_hint(os, metadata_version(metadata_uri));
}
