#include "api_usage_cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct usage_entry {
    char *table_key;   /* "database\0table\0", table_len bytes */
    size_t table_len;
    char *pointer;     /* metadata_location */
    api_table_usage usage;
    uint64_t used;     /* cache tick of the last get or put: least is evicted */
} usage_entry;

struct api_usage_cache {
    pthread_mutex_t lock;
    usage_entry *entries;
    size_t count, capacity;
    uint64_t tick;
};

ls_code api_usage_cache_new(size_t capacity, api_usage_cache **out, ls_error *err)
{
    *out = NULL;
    if (capacity == 0)
        return ls_error_set(err, LS_ERR_INVALID, "usage cache capacity must be at least 1");
    api_usage_cache *c = calloc(1, sizeof *c);
    if (c)
        c->entries = calloc(capacity, sizeof *c->entries);
    if (!c || !c->entries) {
        free(c);
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&c->lock, NULL);
    c->capacity = capacity;
    *out = c;
    return LS_OK;
}

static void entry_clear(usage_entry *e)
{
    free(e->table_key);
    free(e->pointer);
    memset(e, 0, sizeof *e);
}

void api_usage_cache_free(api_usage_cache *cache)
{
    if (!cache)
        return;
    for (size_t i = 0; i < cache->count; i++)
        entry_clear(&cache->entries[i]);
    pthread_mutex_destroy(&cache->lock);
    free(cache->entries);
    free(cache);
}

/* "database\0table\0" in buf (NULL when it does not fit); its length in len.
 * The NULs keep ("a.b", "c") and ("a", "b.c") apart. */
static const char *table_key(const char *database, const char *table, char *buf, size_t size,
                             size_t *len)
{
    size_t d = strlen(database) + 1, t = strlen(table) + 1;
    if (d + t > size)
        return NULL;
    memcpy(buf, database, d);
    memcpy(buf + d, table, t);
    *len = d + t;
    return buf;
}

/* The entry of the table key, or NULL. Under the lock. */
static usage_entry *find(api_usage_cache *c, const char *key, size_t len)
{
    for (size_t i = 0; i < c->count; i++) {
        usage_entry *e = &c->entries[i];
        if (e->table_len == len && memcmp(e->table_key, key, len) == 0)
            return e;
    }
    return NULL;
}

bool api_usage_cache_get(api_usage_cache *cache, const char *database, const char *table,
                         const char *metadata_location, api_table_usage *out)
{
    char buf[1024];
    size_t len = 0;
    const char *key = table_key(database, table, buf, sizeof buf, &len);
    if (!key)
        return false;
    pthread_mutex_lock(&cache->lock);
    usage_entry *e = find(cache, key, len);
    bool hit = e && strcmp(e->pointer, metadata_location) == 0;
    if (hit) {
        *out = e->usage;
        e->used = ++cache->tick;
    }
    pthread_mutex_unlock(&cache->lock);
    return hit;
}

/* The slot for a new table: a free one, else the least recently used one
 * (cleared). Under the lock. */
static usage_entry *slot_for_new(api_usage_cache *c)
{
    if (c->count < c->capacity)
        return &c->entries[c->count++];
    usage_entry *oldest = &c->entries[0];
    for (size_t i = 1; i < c->count; i++)
        if (c->entries[i].used < oldest->used)
            oldest = &c->entries[i];
    entry_clear(oldest);
    return oldest;
}

void api_usage_cache_put(api_usage_cache *cache, const char *database, const char *table,
                         const char *metadata_location, const api_table_usage *usage)
{
    char buf[1024];
    size_t len = 0;
    const char *key = table_key(database, table, buf, sizeof buf, &len);
    char *pointer = key ? strdup(metadata_location) : NULL;
    if (!pointer)
        return;
    pthread_mutex_lock(&cache->lock);
    usage_entry *e = find(cache, key, len);
    if (!e) {
        char *copy = malloc(len);
        e = copy ? slot_for_new(cache) : NULL;
        if (e) {
            memcpy(copy, key, len);
            e->table_key = copy;
            e->table_len = len;
        }
    }
    if (e) {
        free(e->pointer);
        e->pointer = pointer;
        e->usage = *usage;
        e->used = ++cache->tick;
        pointer = NULL;
    }
    pthread_mutex_unlock(&cache->lock);
    free(pointer);
}

size_t api_usage_cache_count(api_usage_cache *cache)
{
    pthread_mutex_lock(&cache->lock);
    size_t n = cache->count;
    pthread_mutex_unlock(&cache->lock);
    return n;
}
