#include "committer_catalog.h"

#include <stdio.h>
#include <sys/time.h>

ls_code ls_catalog_load(ls_store *store, const ls_table_ref *ref, const char *format,
                        ls_table_pointer *out, ls_error *err)
{
    ls_stmt *stmt = NULL;
    bool row = false;
    ls_code rc = ls_store_begin(store, err);
    if (rc)
        return rc;
    rc = ls_stmt_prepare(store,
                         "SELECT location, metadata_location FROM tables "
                         "WHERE database = ?1 AND name = ?2 AND format = ?3",
                         &stmt, err);
    if (!rc) {
        ls_stmt_bind_text(stmt, 1, ref->database);
        ls_stmt_bind_text(stmt, 2, ref->table);
        ls_stmt_bind_text(stmt, 3, format);
        rc = ls_stmt_step(stmt, &row, err);
    }
    if (!rc && !row)
        rc = ls_error_set(err, LS_ERR_NOT_FOUND, "%s table %s.%s does not exist", format,
                          ref->database, ref->table);
    if (!rc) {
        const char *metadata = ls_stmt_text(stmt, 1);
        snprintf(out->location, sizeof out->location, "%s", ls_stmt_text(stmt, 0));
        snprintf(out->metadata_location, sizeof out->metadata_location, "%s",
                 metadata ? metadata : "");
    }
    ls_stmt_free(stmt);
    ls_store_rollback(store); /* read only */
    return rc;
}

/* Runs a prepared write and commits, or rolls back on failure. */
static ls_code finish_write(ls_store *store, ls_stmt *stmt, ls_code rc, ls_error *err)
{
    ls_stmt_free(stmt);
    if (!rc)
        return ls_store_commit(store, err);
    ls_store_rollback(store);
    return rc;
}

/* One compare-and-swap inside the caller's transaction. */
static ls_code swap_one(ls_store *store, const ls_catalog_move *m, ls_error *err)
{
    ls_stmt *stmt = NULL;
    bool row = false;
    ls_code rc = ls_stmt_prepare(store,
                                 "UPDATE tables SET metadata_location = ?1 WHERE database = ?2 AND "
                                 "name = ?3 AND metadata_location = ?4",
                                 &stmt, err);
    if (!rc) {
        ls_stmt_bind_text(stmt, 1, m->next);
        ls_stmt_bind_text(stmt, 2, m->ref->database);
        ls_stmt_bind_text(stmt, 3, m->ref->table);
        ls_stmt_bind_text(stmt, 4, m->expected);
        rc = ls_stmt_step(stmt, &row, err);
    }
    if (!rc && ls_store_changes(store) != 1)
        rc = ls_error_set(err, LS_ERR_CONFLICT,
                          "table %s.%s moved on while this commit was being written",
                          m->ref->database, m->ref->table);
    ls_stmt_free(stmt);
    return rc;
}

ls_code ls_catalog_swap_all(ls_store *store, const ls_catalog_move *moves, size_t count,
                            ls_error *err)
{
    ls_code rc = ls_store_begin(store, err);
    if (rc)
        return rc;
    for (size_t i = 0; !rc && i < count; i++)
        rc = swap_one(store, &moves[i], err);
    return finish_write(store, NULL, rc, err);
}

ls_code ls_catalog_swap(ls_store *store, const ls_table_ref *ref, const char *expected,
                        const char *next, ls_error *err)
{
    ls_catalog_move move = {.ref = ref, .expected = expected, .next = next};
    return ls_catalog_swap_all(store, &move, 1, err);
}

ls_code ls_catalog_insert(ls_store *store, const ls_table_ref *ref, const char *format,
                          const char *location, const char *metadata_location, ls_error *err)
{
    ls_stmt *stmt = NULL;
    bool row = false;
    ls_code rc = ls_store_begin(store, err);
    if (rc)
        return rc;
    rc = ls_stmt_prepare(store,
                         "INSERT INTO tables (database, name, format, location, "
                         "metadata_location, created_at) VALUES (?1, ?2, ?3, ?4, ?5, "
                         "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                         &stmt, err);
    if (!rc) {
        ls_stmt_bind_text(stmt, 1, ref->database);
        ls_stmt_bind_text(stmt, 2, ref->table);
        ls_stmt_bind_text(stmt, 3, format);
        ls_stmt_bind_text(stmt, 4, location);
        ls_stmt_bind_text(stmt, 5, metadata_location);
        rc = ls_stmt_step(stmt, &row, err);
    }
    return finish_write(store, stmt, rc, err);
}

ls_code ls_catalog_open_storage(const char *location, const ls_table_ref *ref, ls_objstore **out,
                                ls_error *err)
{
    ls_objstore_options defaults;
    ls_objstore_options_init(&defaults);
    return ls_objstore_open(location, ref->storage ? ref->storage : &defaults, out, err);
}

int64_t ls_catalog_wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

ls_code ls_catalog_open(ls_store *store, const ls_table_ref *ref, const char *format,
                        ls_table_pointer *t, ls_objstore **os_out, ls_error *err)
{
    *os_out = NULL;
    ls_code rc = ls_catalog_load(store, ref, format, t, err);
    if (!rc)
        rc = ls_catalog_open_storage(t->location, ref, os_out, err);
    return rc;
}
