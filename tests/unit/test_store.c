#include <stdio.h>
#include <unistd.h>

#include "store_db.h"
#include "testing.h"

static const unsigned char m1_sql[] = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE);";
static const unsigned char m2_sql[] = "ALTER TABLE t ADD COLUMN note TEXT;";

static const ls_embedded_file two_migrations[] = {
    {"0001_first.sql", m1_sql, sizeof m1_sql - 1},
    {"0002_second.sql", m2_sql, sizeof m2_sql - 1},
};

static void db_path(char *out, size_t size)
{
    snprintf(out, size, "%s/state.db", testing_tmpdir());
}

TEST(embedded_migrations_apply)
{
    char path[512];
    db_path(path, sizeof path);
    ls_error err = {0};
    ls_store *store = NULL;
    CHECK_OK(ls_store_open(path, &store, &err), &err);
    CHECK(ls_store_schema_version(store) >= 1);
    CHECK_OK(ls_store_begin(store, &err), &err);
    CHECK_OK(ls_store_exec(store, "SELECT count(*) FROM jobs", &err), &err);
    ls_store_rollback(store);
    ls_store_free(store);
}

TEST(restart_applies_nothing_twice)
{
    char path[512];
    db_path(path, sizeof path);
    ls_error err = {0};
    ls_store *store = NULL;
    CHECK_OK(ls_store_open_with(path, two_migrations, 1, &store, &err), &err);
    CHECK_EQ_INT(ls_store_schema_version(store), 1);
    ls_store_free(store);
    /* A second start with one more migration applies only the new one: the
     * first would fail ("table t already exists") if run again. */
    CHECK_OK(ls_store_open_with(path, two_migrations, 2, &store, &err), &err);
    CHECK_EQ_INT(ls_store_schema_version(store), 2);
    ls_store_free(store);
    CHECK_OK(ls_store_open_with(path, two_migrations, 2, &store, &err), &err);
    CHECK_EQ_INT(ls_store_schema_version(store), 2);

    ls_stmt *stmt = NULL;
    bool row = false;
    CHECK_OK(ls_store_begin(store, &err), &err);
    CHECK_OK(ls_stmt_prepare(store, "SELECT count(*) FROM schema_migrations", &stmt, &err), &err);
    CHECK_OK(ls_stmt_step(stmt, &row, &err), &err);
    CHECK(row);
    CHECK_EQ_INT(ls_stmt_int(stmt, 0), 2);
    ls_stmt_free(stmt);
    ls_store_rollback(store);
    ls_store_free(store);
}

TEST(newer_database_refused)
{
    char path[512];
    db_path(path, sizeof path);
    ls_error err = {0};
    ls_store *store = NULL;
    CHECK_OK(ls_store_open_with(path, two_migrations, 2, &store, &err), &err);
    ls_store_free(store);
    ls_code rc = ls_store_open_with(path, two_migrations, 1, &store, &err);
    CHECK_EQ_INT(rc, LS_ERR_FORMAT);
    CHECK(store == NULL);
    CHECK(strstr(err.message, "version 2, newer than this lakesync") != NULL);
}

TEST(failed_migration_is_not_recorded)
{
    static const unsigned char bad_sql[] = "CREATE TABLE u (x); THIS IS NOT SQL;";
    const ls_embedded_file bad[] = {{"0001_bad.sql", bad_sql, sizeof bad_sql - 1}};
    char path[512];
    db_path(path, sizeof path);
    ls_error err = {0};
    ls_store *store = NULL;
    CHECK_EQ_INT(ls_store_open_with(path, bad, 1, &store, &err), LS_ERR_IO);
    CHECK(strstr(err.message, "0001_bad.sql") != NULL);
    /* The same file then opens with a good migration 1: nothing was kept. */
    ls_error_clear(&err);
    CHECK_OK(ls_store_open_with(path, two_migrations, 1, &store, &err), &err);
    CHECK_EQ_INT(ls_store_schema_version(store), 1);
    ls_store_free(store);
}

TEST(misordered_migrations_are_a_bug)
{
    const ls_embedded_file swapped[] = {two_migrations[1], two_migrations[0]};
    char path[512];
    db_path(path, sizeof path);
    ls_error err = {0};
    ls_store *store = NULL;
    CHECK_EQ_INT(ls_store_open_with(path, swapped, 2, &store, &err), LS_ERR_INTERNAL);
}

TEST(statements_bind_step_and_translate_constraints)
{
    char path[512];
    db_path(path, sizeof path);
    ls_error err = {0};
    ls_store *store = NULL;
    CHECK_OK(ls_store_open_with(path, two_migrations, 2, &store, &err), &err);
    CHECK_OK(ls_store_begin(store, &err), &err);
    ls_stmt *stmt = NULL;
    bool row = true;
    CHECK_OK(ls_stmt_prepare(store, "INSERT INTO t(name, note) VALUES (?, ?)", &stmt, &err), &err);
    ls_stmt_bind_text(stmt, 1, "a");
    ls_stmt_bind_null(stmt, 2);
    CHECK_OK(ls_stmt_step(stmt, &row, &err), &err);
    CHECK(!row);
    CHECK_EQ_INT(ls_store_changes(store), 1);
    ls_stmt_reset(stmt);
    ls_stmt_bind_text(stmt, 1, "a");
    CHECK_EQ_INT(ls_stmt_step(stmt, &row, &err), LS_ERR_CONFLICT);
    ls_stmt_free(stmt);
    CHECK_OK(ls_store_commit(store, &err), &err);

    ls_error_clear(&err);
    CHECK_OK(ls_store_begin(store, &err), &err);
    CHECK_OK(ls_stmt_prepare(store, "SELECT name, note, ? FROM t", &stmt, &err), &err);
    ls_stmt_bind_blob(stmt, 1, "\x01\x02", 2);
    CHECK_OK(ls_stmt_step(stmt, &row, &err), &err);
    CHECK(row);
    CHECK_EQ_STR(ls_stmt_text(stmt, 0), "a");
    CHECK(ls_stmt_is_null(stmt, 1));
    size_t len = 0;
    const unsigned char *blob = ls_stmt_blob(stmt, 2, &len);
    CHECK_EQ_INT(len, 2);
    CHECK_EQ_INT(blob[1], 2);
    CHECK_OK(ls_stmt_step(stmt, &row, &err), &err);
    CHECK(!row);
    ls_stmt_free(stmt);
    ls_store_rollback(store);
    ls_store_free(store);
}

TEST(bad_sql_reports_error)
{
    char path[512];
    db_path(path, sizeof path);
    ls_error err = {0};
    ls_store *store = NULL;
    CHECK_OK(ls_store_open_with(path, two_migrations, 1, &store, &err), &err);
    ls_stmt *stmt = NULL;
    CHECK_OK(ls_store_begin(store, &err), &err);
    CHECK_EQ_INT(ls_stmt_prepare(store, "SELEC nothing", &stmt, &err), LS_ERR_IO);
    CHECK(stmt == NULL);
    ls_store_rollback(store);
    ls_store_free(store);
}

TEST(read_transaction_leaves_the_file_writable_by_others)
{
    char path[512];
    db_path(path, sizeof path);
    ls_error err = {0};
    ls_store *a = NULL, *b = NULL;
    CHECK_OK(ls_store_open_with(path, two_migrations, 2, &a, &err), &err);
    CHECK_OK(ls_store_open_with(path, two_migrations, 2, &b, &err), &err);
    /* While a holds a read transaction, another connection can still write. */
    CHECK_OK(ls_store_begin_read(a, &err), &err);
    CHECK_OK(ls_store_exec(a, "SELECT count(*) FROM t", &err), &err);
    CHECK_OK(ls_store_begin(b, &err), &err);
    CHECK_OK(ls_store_exec(b, "INSERT INTO t(name) VALUES ('b')", &err), &err);
    CHECK_OK(ls_store_commit(b, &err), &err);
    ls_store_rollback(a);
    ls_store_free(a);
    ls_store_free(b);
}
