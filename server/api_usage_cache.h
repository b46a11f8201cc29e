/*
 * A table's usage (api_table_usage) remembered per catalog pointer, so that
 * polling GET /jobs/{id}/metrics does not read a table's metadata and
 * manifests again while nothing was committed.
 *
 * The key is (database, table, metadata_location). Every commit and
 * compaction of a table, and an Iceberg table's expiry or schema change,
 * moves its metadata_location (the catalog's compare-and-swap); an Iceberg
 * table's usage is read from the file it names, so an entry is right exactly
 * while the pointer is unchanged. A Paimon table's usage is read from its
 * store's latest snapshot, which the pointer names as lakesync committed it
 * last (a Paimon expiry keeps the latest snapshot, a schema change writes
 * none); a snapshot that another engine adds shows at lakesync's next commit.
 * Tables are never dropped from the catalog, so a pointer is never reused.
 *
 * One entry per table (a new pointer replaces the old one); at most capacity
 * tables, the least recently used one evicted first. Thread-safe: the HTTP
 * server answers on several threads.
 */
#ifndef LAKESYNC_API_USAGE_CACHE_H
#define LAKESYNC_API_USAGE_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "api_handlers.h"
#include "util/error.h"

typedef struct api_usage_cache api_usage_cache;

/* capacity >= 1. */
ls_code api_usage_cache_new(size_t capacity, api_usage_cache **out, ls_error *err) LS_MUST_USE;
void api_usage_cache_free(api_usage_cache *cache);

/* True, filling out, when database.table's entry was stored for exactly this
 * metadata_location. */
bool api_usage_cache_get(api_usage_cache *cache, const char *database, const char *table,
                         const char *metadata_location, api_table_usage *out);

/* Stores usage (read successfully for metadata_location) as database.table's
 * entry, replacing an older pointer's. Out of memory only skips the entry. */
void api_usage_cache_put(api_usage_cache *cache, const char *database, const char *table,
                         const char *metadata_location, const api_table_usage *usage);

/* Entries held (for tests). */
size_t api_usage_cache_count(api_usage_cache *cache);

#endif
