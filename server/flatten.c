/*
 * Parse-level flattening and destination names (see flatten.h). The walk
 * itself is jsonscan's: this file only keeps what it reports and names it.
 */
#include "flatten.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NO_SLOT UINT32_MAX

/* An open-addressing set of indexes into a caller's string array, either
 * exact or ASCII case-insensitive. Capacity is fixed at creation. */
typedef struct string_index {
    uint32_t *slots;
    size_t mask;
    bool fold_case;
} string_index;

static ls_code string_index_init(string_index *set, size_t capacity, bool fold_case, ls_error *err)
{
    size_t size = 16;
    while (size < 2 * capacity)
        size *= 2;
    set->slots = malloc(size * sizeof *set->slots);
    if (!set->slots)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory indexing field names");
    memset(set->slots, 0xff, size * sizeof *set->slots);
    set->mask = size - 1;
    set->fold_case = fold_case;
    return LS_OK;
}

static uint32_t string_hash(const char *s, bool fold_case)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)(fold_case ? tolower((unsigned char)*s) : *s)) * 16777619u;
    return h;
}

/* Finds s among strings; returns its index or NO_SLOT, and the slot where it
 * would go in *slot_out. */
static uint32_t string_index_find(const string_index *set, char *const *strings, const char *s,
                                  size_t *slot_out)
{
    size_t slot = string_hash(s, set->fold_case) & set->mask;
    for (;; slot = (slot + 1) & set->mask) {
        uint32_t i = set->slots[slot];
        if (i == NO_SLOT)
            break;
        if (set->fold_case ? strcasecmp(strings[i], s) == 0 : strcmp(strings[i], s) == 0)
            return i;
    }
    *slot_out = slot;
    return NO_SLOT;
}

ls_code ls_flatten_name(const char *source, char *out, size_t out_size, ls_error *err)
{
    size_t n = 0;
    /* A name must be an identifier: a leading digit gets a '_' before it. */
    if (source[0] >= '0' && source[0] <= '9' && out_size > 1)
        out[n++] = '_';
    for (const char *c = source; *c; c++) {
        unsigned char ch = (unsigned char)*c;
        if (ch == '\\' && (c[1] == '.' || c[1] == '\\'))
            ch = (unsigned char)*++c;
        if ((ch & 0xC0) == 0x80)
            continue; /* the rest of a UTF-8 character already became one '_' */
        bool word = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '_';
        if (n + 1 >= out_size)
            return ls_error_set(err, LS_ERR_TOO_LARGE, "field name for '%.60s' is too long",
                                source);
        out[n++] = word ? (char)ch : '_';
    }
    if (n == 0 && out_size > 1)
        out[n++] = '_'; /* the empty key */
    out[n] = '\0';
    return LS_OK;
}

void ls_flat_collisions_free(ls_flat_collision *collisions, size_t count)
{
    if (!collisions)
        return;
    for (size_t i = 0; i < count; i++) {
        free(collisions[i].source);
        free(collisions[i].wanted);
        free(collisions[i].assigned);
    }
    free(collisions);
}

/* Gives names[i] (already the wanted name, which is taken) the first free
 * "<wanted>_N" and records the collision. */
static ls_code assign_suffix(string_index *taken, char **names, size_t i, const char *source,
                             ls_flat_collision *collision, ls_error *err)
{
    char *wanted = names[i];
    size_t cap = strlen(wanted) + 24;
    char *candidate = malloc(cap);
    if (!candidate)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory naming fields");
    for (unsigned long n = 2;; n++) {
        snprintf(candidate, cap, "%s_%lu", wanted, n);
        size_t slot;
        names[i] = candidate; /* so the probe can compare against it */
        if (string_index_find(taken, names, candidate, &slot) == NO_SLOT) {
            taken->slots[slot] = (uint32_t)i;
            break;
        }
    }
    *collision = (ls_flat_collision){
        .source = strdup(source), .wanted = wanted, .assigned = strdup(candidate)};
    if (!collision->source || !collision->assigned)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory naming fields");
    return LS_OK;
}

ls_code ls_flatten_assign_names(const char *const *sources, size_t count, char **names,
                                ls_flat_collision **collisions, size_t *collision_count,
                                ls_error *err)
{
    string_index taken = {0};
    bool *collided = calloc(count ? count : 1, sizeof *collided);
    *collisions = calloc(count ? count : 1, sizeof **collisions);
    *collision_count = 0;
    for (size_t i = 0; i < count; i++)
        names[i] = NULL;
    ls_code rc = !collided || !*collisions
                     ? ls_error_set(err, LS_ERR_NOMEM, "out of memory naming fields")
                     : string_index_init(&taken, count, true, err);
    /* Pass 1: every free name goes to the first source wanting it. */
    for (size_t i = 0; !rc && i < count; i++) {
        char buf[LS_JSONSCAN_MAX_PATH_BYTES + 8];
        rc = ls_flatten_name(sources[i], buf, sizeof buf, err);
        if (!rc && !(names[i] = strdup(buf)))
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory naming fields");
        size_t slot;
        if (!rc && string_index_find(&taken, names, names[i], &slot) == NO_SLOT)
            taken.slots[slot] = (uint32_t)i;
        else if (!rc)
            collided[i] = true;
    }
    /* Pass 2: the others get suffixes, in order. */
    for (size_t i = 0; !rc && i < count; i++) {
        if (collided[i])
            rc = assign_suffix(&taken, names, i, sources[i], &(*collisions)[(*collision_count)++],
                               err);
    }
    free(taken.slots);
    free(collided);
    if (rc) {
        for (size_t i = 0; i < count; i++) {
            free(names[i]);
            names[i] = NULL;
        }
        ls_flat_collisions_free(*collisions, *collision_count);
        *collisions = NULL;
        *collision_count = 0;
    }
    return rc;
}

void ls_flat_result_cleanup(ls_flat_result *result)
{
    if (!result)
        return;
    for (size_t i = 0; i < result->count; i++) {
        free(result->fields[i].source);
        free(result->fields[i].name);
        free(result->fields[i].value);
    }
    free(result->fields);
    ls_flat_collisions_free(result->collisions, result->collision_count);
    memset(result, 0, sizeof *result);
}

typedef struct flatten_ctx {
    ls_flat_result *out;
    char **sources; /* parallel to out->fields, for the index */
    string_index by_source;
} flatten_ctx;

static ls_code set_value(ls_flat_field *f, const ls_json_leaf *leaf, ls_error *err)
{
    free(f->value);
    f->value = NULL;
    f->value_len = 0;
    f->kind = leaf->kind;
    if (!leaf->value)
        return LS_OK;
    f->value = malloc(leaf->value_len + 1);
    if (!f->value)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory flattening a message");
    memcpy(f->value, leaf->value, leaf->value_len);
    f->value[leaf->value_len] = '\0';
    f->value_len = leaf->value_len;
    return LS_OK;
}

static ls_code add_leaf(void *opaque, const ls_json_leaf *leaf, ls_error *err)
{
    flatten_ctx *ctx = opaque;
    ls_flat_result *out = ctx->out;
    size_t slot;
    uint32_t existing = string_index_find(&ctx->by_source, ctx->sources, leaf->path, &slot);
    if (existing != NO_SLOT)
        return set_value(&out->fields[existing], leaf, err); /* duplicate key: last wins */
    if (out->count == LS_FLATTEN_MAX_FIELDS)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "message has more than %d fields",
                            LS_FLATTEN_MAX_FIELDS);
    ls_flat_field *f = &out->fields[out->count];
    *f = (ls_flat_field){.source = strdup(leaf->path)};
    if (!f->source)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory flattening a message");
    ctx->sources[out->count] = f->source;
    ctx->by_source.slots[slot] = (uint32_t)out->count;
    out->count++;
    return set_value(f, leaf, err);
}

ls_code ls_flatten(const uint8_t *message, size_t length, int parse_level, ls_flat_result *out,
                   ls_jsonscan_error *record, ls_error *err)
{
    memset(out, 0, sizeof *out);
    flatten_ctx ctx = {.out = out};
    char **names = NULL;
    const char **sources = NULL;
    out->fields = calloc(LS_FLATTEN_MAX_FIELDS, sizeof *out->fields);
    ctx.sources = calloc(LS_FLATTEN_MAX_FIELDS, sizeof *ctx.sources);
    ls_code rc = !out->fields || !ctx.sources
                     ? ls_error_set(err, LS_ERR_NOMEM, "out of memory flattening a message")
                     : string_index_init(&ctx.by_source, LS_FLATTEN_MAX_FIELDS, false, err);
    if (!rc)
        rc = ls_json_walk(message, length, parse_level, 0, add_leaf, &ctx, record, err);
    if (!rc) {
        names = calloc(out->count ? out->count : 1, sizeof *names);
        sources = calloc(out->count ? out->count : 1, sizeof *sources);
        if (!names || !sources)
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory flattening a message");
    }
    for (size_t i = 0; !rc && i < out->count; i++)
        sources[i] = out->fields[i].source;
    if (!rc)
        rc = ls_flatten_assign_names(sources, out->count, names, &out->collisions,
                                     &out->collision_count, err);
    for (size_t i = 0; !rc && i < out->count; i++)
        out->fields[i].name = names[i];
    free(names);
    free(sources);
    free(ctx.sources);
    free(ctx.by_source.slots);
    if (rc)
        ls_flat_result_cleanup(out);
    return rc;
}
