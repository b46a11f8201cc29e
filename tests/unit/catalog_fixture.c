#include "catalog_fixture.h"

#include <stdio.h>
#include <string.h>

#include "testing.h"

void catalog_fixture_open(const char *db, const char *kind, ls_store **store,
                          ls_committer **committer)
{
    ls_error err;
    ls_error_clear(&err);
    char path[1100], sql[512];
    snprintf(path, sizeof path, "%s/lakesync.db", testing_tmpdir());
    CHECK_OK(ls_store_open(path, store, &err), &err);
    snprintf(sql, sizeof sql,
             "INSERT INTO databases (name, catalog, external, location, properties, etag, "
             "created_at, updated_at) VALUES ('%s', '%s', %d, NULL, '{}', 'e', "
             "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
             db, kind, strcmp(kind, "paimon") == 0);
    CHECK_OK(ls_store_exec(*store, sql, &err), &err);
    CHECK_OK(ls_committer_new(*store, committer, &err), &err);
}
