/*
 * lakesync's state in SQLite (the only module that includes sqlite3.h).
 *
 * One ls_store owns one SQLite connection in WAL mode. All access happens
 * inside a transaction: ls_store_begin takes the store's mutex and starts an
 * IMMEDIATE transaction, ls_store_commit / ls_store_rollback end it and
 * release the mutex. Every request thread therefore sees a consistent state
 * and writers never interleave. Keep transactions short: no network I/O inside.
 *
 * Migrations: ls_store_open applies the embedded migrations/NNNN_name.sql in
 * version order, each in its own transaction, and records each applied
 * version in schema_migrations, so a restart applies nothing twice. A database
 * that records a version newer than the binary knows is refused with
 * LS_ERR_FORMAT and a message saying so (an old binary must not write a newer
 * schema).
 *
 * Statements: ls_stmt_prepare / bind / step / column / free. Bind failures are
 * remembered and reported by the next ls_stmt_step, so callers can bind
 * several parameters without checking each. Column text and blobs are owned
 * by the statement and valid until the next step or free. SQLite errors are
 * translated here: constraint violations become LS_ERR_CONFLICT, SQLITE_BUSY
 * LS_ERR_UNAVAILABLE, anything else LS_ERR_IO with sqlite's message.
 */
#ifndef LAKESYNC_STORE_DB_H
#define LAKESYNC_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store_embed.h"
#include "util/error.h"

typedef struct ls_store ls_store;
typedef struct ls_stmt ls_stmt;

/* Opens (creating when absent) the database at path and applies the embedded
 * migrations. *out is owned by the caller (ls_store_free). */
ls_code ls_store_open(const char *path, ls_store **out, ls_error *err) LS_MUST_USE;

/* Like ls_store_open with an explicit migration list (count entries named
 * NNNN_name.sql, sorted by version); for tests. */
ls_code ls_store_open_with(const char *path, const ls_embedded_file *migrations, size_t count,
                           ls_store **out, ls_error *err) LS_MUST_USE;

/* Closes the connection. Must not be inside a transaction. NULL-safe. */
void ls_store_free(ls_store *store);

/* The highest migration version applied. */
int64_t ls_store_schema_version(const ls_store *store);

/* Starts a write transaction, holding the store's mutex until commit or
 * rollback. Not reentrant. */
ls_code ls_store_begin(ls_store *store, ls_error *err) LS_MUST_USE;

/* Starts a read transaction (DEFERRED: it takes no write lock on the file,
 * so other processes' writers are not blocked), holding the store's mutex
 * until commit or rollback. For handlers that only read. */
ls_code ls_store_begin_read(ls_store *store, ls_error *err) LS_MUST_USE;

/* Commits and releases the mutex. On failure the transaction is rolled back
 * and the mutex released as well. */
ls_code ls_store_commit(ls_store *store, ls_error *err) LS_MUST_USE;

/* Rolls back and releases the mutex. Does nothing outside a transaction. */
void ls_store_rollback(ls_store *store);

/* Runs SQL without parameters or results (inside a transaction). */
ls_code ls_store_exec(ls_store *store, const char *sql, ls_error *err) LS_MUST_USE;

/* Rows changed by the last INSERT, UPDATE or DELETE. */
int64_t ls_store_changes(ls_store *store);

/* Prepares one statement; *out is owned by the caller (ls_stmt_free). */
ls_code ls_stmt_prepare(ls_store *store, const char *sql, ls_stmt **out, ls_error *err) LS_MUST_USE;

/* Binds parameter index (1-based). text NULL binds SQL NULL; text is copied. */
void ls_stmt_bind_text(ls_stmt *stmt, int index, const char *text);
void ls_stmt_bind_int(ls_stmt *stmt, int index, int64_t value);
void ls_stmt_bind_blob(ls_stmt *stmt, int index, const void *data, size_t len);
void ls_stmt_bind_null(ls_stmt *stmt, int index);

/* Executes or advances: *has_row is true when a result row is available. */
ls_code ls_stmt_step(ls_stmt *stmt, bool *has_row, ls_error *err) LS_MUST_USE;

/* Resets the statement so it can be bound and stepped again. */
void ls_stmt_reset(ls_stmt *stmt);

/* Result columns (0-based) of the current row. */
const char *ls_stmt_text(ls_stmt *stmt, int column); /* NULL for SQL NULL */
int64_t ls_stmt_int(ls_stmt *stmt, int column);
const void *ls_stmt_blob(ls_stmt *stmt, int column, size_t *len_out);
bool ls_stmt_is_null(ls_stmt *stmt, int column);

/* Finalizes. NULL-safe. */
void ls_stmt_free(ls_stmt *stmt);

#endif
