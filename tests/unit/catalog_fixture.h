/*
 * The catalog the committer and maintenance tests share: a SQLite store at
 * <tmp>/lakesync.db holding one database row, and a committer on it.
 */
#ifndef LAKESYNC_TEST_CATALOG_FIXTURE_H
#define LAKESYNC_TEST_CATALOG_FIXTURE_H

#include "committer.h"
#include "store_db.h"

/* Opens the store, inserts database db of catalog kind ("iceberg", or
 * "paimon", which is external as the seed requires) and creates a committer.
 * Fails the test on any error. */
void catalog_fixture_open(const char *db, const char *kind, ls_store **store,
                          ls_committer **committer);

#endif
