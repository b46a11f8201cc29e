#include "store_db.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

/* Writers wait this long for a lock held by another process (a second
 * lakesync pointed at the same file, or the sqlite3 shell) before failing. */
#define STORE_BUSY_TIMEOUT_MS 5000

struct ls_store {
    sqlite3 *db;
    pthread_mutex_t mutex;
    bool in_transaction;
    int64_t schema_version;
};

struct ls_stmt {
    ls_store *store;
    sqlite3_stmt *stmt;
    int bind_rc; /* first failed bind, reported by the next step */
};

static ls_code translate(sqlite3 *db, int rc, ls_error *err, const char *what)
{
    int primary = rc & 0xff;
    if (primary == SQLITE_CONSTRAINT)
        return ls_error_set(err, LS_ERR_CONFLICT, "%s: %s", what, sqlite3_errmsg(db));
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        return ls_error_set(err, LS_ERR_UNAVAILABLE, "%s: database is busy: %s", what,
                            sqlite3_errmsg(db));
    if (primary == SQLITE_NOMEM)
        return ls_error_set(err, LS_ERR_NOMEM, "%s: out of memory", what);
    return ls_error_set(err, LS_ERR_IO, "%s: %s", what, sqlite3_errmsg(db));
}

ls_code ls_store_exec(ls_store *store, const char *sql, ls_error *err)
{
    int rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return translate(store->db, rc, err, "sql");
    return LS_OK;
}

/* Parses the NNNN of "NNNN_name.sql"; 0 when the name does not match. */
static int64_t migration_version(const char *name)
{
    int64_t version = 0;
    size_t digits = 0;
    while (name[digits] >= '0' && name[digits] <= '9' && digits < 9) {
        version = version * 10 + (name[digits] - '0');
        digits++;
    }
    if (digits != 4 || name[digits] != '_')
        return 0;
    size_t len = strlen(name);
    if (len < 9 || strcmp(name + len - 4, ".sql") != 0)
        return 0;
    return version;
}

static ls_code read_applied_version(ls_store *store, int64_t *out, ls_error *err)
{
    ls_stmt *stmt = NULL;
    bool row = false;
    ls_code rc = ls_stmt_prepare(store, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                                 &stmt, err);
    if (rc)
        goto out;
    rc = ls_stmt_step(stmt, &row, err);
    if (rc)
        goto out;
    *out = row ? ls_stmt_int(stmt, 0) : 0;
out:
    ls_stmt_free(stmt);
    return rc;
}

static ls_code apply_migration(ls_store *store, const ls_embedded_file *file, int64_t version,
                               ls_error *err)
{
    ls_stmt *stmt = NULL;
    bool row = false;
    ls_code rc = ls_store_begin(store, err);
    if (rc)
        return rc;
    ls_error exec_err = {0};
    rc = ls_store_exec(store, (const char *)file->data, &exec_err);
    if (rc) {
        ls_error_set(err, rc, "migration %s failed: %s", file->name, exec_err.message);
        goto out;
    }
    rc = ls_stmt_prepare(store,
                         "INSERT INTO schema_migrations(version, name, applied_at) "
                         "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
                         &stmt, err);
    if (rc)
        goto out;
    ls_stmt_bind_int(stmt, 1, version);
    ls_stmt_bind_text(stmt, 2, file->name);
    rc = ls_stmt_step(stmt, &row, err);
    if (rc)
        goto out;
    ls_stmt_free(stmt);
    stmt = NULL;
    rc = ls_store_commit(store, err);
    if (rc == LS_OK)
        ls_log_info("store", "applied migration %s", file->name);
    return rc;
out:
    ls_stmt_free(stmt);
    ls_store_rollback(store);
    return rc;
}

static ls_code apply_migrations(ls_store *store, const ls_embedded_file *migrations, size_t count,
                                ls_error *err)
{
    ls_code rc = LS_OK;
    rc = ls_store_exec(store,
                       "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                       " applied_at TEXT NOT NULL)",
                       err);
    if (rc)
        return rc;
    int64_t applied = 0, known = 0;
    rc = read_applied_version(store, &applied, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < count; i++) {
        int64_t version = migration_version(migrations[i].name);
        /* Our own build produced this list: a bad name is a bug, not input. */
        if (version <= known)
            return ls_error_set(err, LS_ERR_INTERNAL,
                                "embedded migration '%s' is misnamed or out of order",
                                migrations[i].name);
        known = version;
    }
    if (applied > known)
        return ls_error_set(err, LS_ERR_FORMAT,
                            "the database schema is at version %lld, newer than this lakesync "
                            "(which knows up to version %lld); use a newer lakesync binary",
                            (long long)applied, (long long)known);
    for (size_t i = 0; i < count; i++) {
        int64_t version = migration_version(migrations[i].name);
        if (version <= applied)
            continue;
        rc = apply_migration(store, &migrations[i], version, err);
        if (rc)
            return rc;
        applied = version;
    }
    store->schema_version = applied;
    return LS_OK;
}

ls_code ls_store_open_with(const char *path, const ls_embedded_file *migrations, size_t count,
                           ls_store **out, ls_error *err)
{
    *out = NULL;
    ls_store *store = calloc(1, sizeof *store);
    if (!store)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory opening the store");
    pthread_mutex_init(&store->mutex, NULL);
    ls_code rc = LS_OK;
    int src = sqlite3_open_v2(
        path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
    if (src != SQLITE_OK) {
        rc = ls_error_set(err, LS_ERR_IO, "cannot open database %s: %s", path,
                          store->db ? sqlite3_errmsg(store->db) : "out of memory");
        goto out;
    }
    sqlite3_extended_result_codes(store->db, 1);
    sqlite3_busy_timeout(store->db, STORE_BUSY_TIMEOUT_MS);
    rc = ls_store_exec(store,
                       "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                       " PRAGMA foreign_keys=ON;",
                       err);
    if (rc)
        goto out;
    rc = apply_migrations(store, migrations, count, err);
    if (rc)
        goto out;
    *out = store;
    return LS_OK;
out:
    ls_store_free(store);
    return rc;
}

ls_code ls_store_open(const char *path, ls_store **out, ls_error *err)
{
    return ls_store_open_with(path, ls_embedded_migrations, ls_embedded_migrations_count, out, err);
}

void ls_store_free(ls_store *store)
{
    if (!store)
        return;
    sqlite3_close(store->db);
    pthread_mutex_destroy(&store->mutex);
    free(store);
}

int64_t ls_store_schema_version(const ls_store *store)
{
    return store->schema_version;
}

static ls_code begin_with(ls_store *store, const char *sql, ls_error *err)
{
    pthread_mutex_lock(&store->mutex);
    int rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        ls_code code = translate(store->db, rc, err, "begin transaction");
        pthread_mutex_unlock(&store->mutex);
        return code;
    }
    store->in_transaction = true;
    return LS_OK;
}

ls_code ls_store_begin(ls_store *store, ls_error *err)
{
    /* IMMEDIATE takes the write lock up front, so a transaction that reads
     * and then writes cannot fail half-way with SQLITE_BUSY. */
    return begin_with(store, "BEGIN IMMEDIATE", err);
}

ls_code ls_store_begin_read(ls_store *store, ls_error *err)
{
    return begin_with(store, "BEGIN DEFERRED", err);
}

ls_code ls_store_commit(ls_store *store, ls_error *err)
{
    int rc = sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL);
    ls_code code = LS_OK;
    if (rc != SQLITE_OK) {
        code = translate(store->db, rc, err, "commit");
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    }
    store->in_transaction = false;
    pthread_mutex_unlock(&store->mutex);
    return code;
}

void ls_store_rollback(ls_store *store)
{
    if (!store || !store->in_transaction)
        return;
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    store->in_transaction = false;
    pthread_mutex_unlock(&store->mutex);
}

int64_t ls_store_changes(ls_store *store)
{
    return sqlite3_changes64(store->db);
}

ls_code ls_stmt_prepare(ls_store *store, const char *sql, ls_stmt **out, ls_error *err)
{
    *out = NULL;
    ls_stmt *stmt = calloc(1, sizeof *stmt);
    if (!stmt)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory preparing a statement");
    stmt->store = store;
    int rc = sqlite3_prepare_v2(store->db, sql, -1, &stmt->stmt, NULL);
    if (rc != SQLITE_OK) {
        ls_code code = translate(store->db, rc, err, "prepare");
        free(stmt);
        return code;
    }
    *out = stmt;
    return LS_OK;
}

static void note_bind(ls_stmt *stmt, int rc)
{
    if (rc != SQLITE_OK && stmt->bind_rc == SQLITE_OK)
        stmt->bind_rc = rc;
}

void ls_stmt_bind_text(ls_stmt *stmt, int index, const char *text)
{
    if (!text)
        note_bind(stmt, sqlite3_bind_null(stmt->stmt, index));
    else
        note_bind(stmt, sqlite3_bind_text(stmt->stmt, index, text, -1, SQLITE_TRANSIENT));
}

void ls_stmt_bind_int(ls_stmt *stmt, int index, int64_t value)
{
    note_bind(stmt, sqlite3_bind_int64(stmt->stmt, index, value));
}

void ls_stmt_bind_blob(ls_stmt *stmt, int index, const void *data, size_t len)
{
    if (!data)
        note_bind(stmt, sqlite3_bind_null(stmt->stmt, index));
    else
        note_bind(stmt, sqlite3_bind_blob64(stmt->stmt, index, data, len, SQLITE_TRANSIENT));
}

void ls_stmt_bind_null(ls_stmt *stmt, int index)
{
    note_bind(stmt, sqlite3_bind_null(stmt->stmt, index));
}

ls_code ls_stmt_step(ls_stmt *stmt, bool *has_row, ls_error *err)
{
    *has_row = false;
    if (stmt->bind_rc != SQLITE_OK)
        return translate(stmt->store->db, stmt->bind_rc, err, "bind");
    int rc = sqlite3_step(stmt->stmt);
    if (rc == SQLITE_ROW) {
        *has_row = true;
        return LS_OK;
    }
    if (rc == SQLITE_DONE)
        return LS_OK;
    return translate(stmt->store->db, rc, err, "step");
}

void ls_stmt_reset(ls_stmt *stmt)
{
    sqlite3_reset(stmt->stmt);
    sqlite3_clear_bindings(stmt->stmt);
    stmt->bind_rc = SQLITE_OK;
}

const char *ls_stmt_text(ls_stmt *stmt, int column)
{
    return (const char *)sqlite3_column_text(stmt->stmt, column);
}

int64_t ls_stmt_int(ls_stmt *stmt, int column)
{
    return sqlite3_column_int64(stmt->stmt, column);
}

const void *ls_stmt_blob(ls_stmt *stmt, int column, size_t *len_out)
{
    const void *data = sqlite3_column_blob(stmt->stmt, column);
    *len_out = (size_t)sqlite3_column_bytes(stmt->stmt, column);
    return data;
}

bool ls_stmt_is_null(ls_stmt *stmt, int column)
{
    return sqlite3_column_type(stmt->stmt, column) == SQLITE_NULL;
}

void ls_stmt_free(ls_stmt *stmt)
{
    if (!stmt)
        return;
    sqlite3_finalize(stmt->stmt);
    free(stmt);
}
