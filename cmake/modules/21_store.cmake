# store: SQLite state and the embedded migrations (server/store_db.h). The only
# module that includes sqlite3.h.
file(GLOB lakesync_migration_files CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/migrations/[0-9][0-9][0-9][0-9]_*.sql)
lakesync_embed(OUTPUT ${CMAKE_BINARY_DIR}/generated/embedded_migrations.c
               SYMBOL ls_embedded_migrations
               FILES ${lakesync_migration_files})
lakesync_module(store MAIN SOURCES
  server/store_db.c
  ${CMAKE_BINARY_DIR}/generated/embedded_migrations.c
  DEPS ls_util PkgConfig::SQLITE3)

lakesync_unit_test(store SOURCES tests/unit/test_store.c DEPS ls_store)
