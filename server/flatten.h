/*
 * flatten: one message at a parse level (0-4) as the seed's field tables
 * show it: source path, destination name, JSON kind and value text.
 *
 * Semantics (the same walk as jsonscan.h, which defines source paths):
 *   level 0: one field "__value__", the whole message as compact JSON text;
 *   level L: objects are expanded down to depth L; values above depth L that
 *   are not objects, and every value at depth L, are fields; arrays are never
 *   expanded; values are strings unescaped, numbers as written, booleans
 *   "true"/"false", objects and arrays as compact JSON text, NULL for null.
 *   A duplicate key keeps its first position and takes the last value.
 *
 * Destination names: the source path with the separating dots and the dots
 * inside keys both replaced by '_' ("device.os" and the key "device.os" both
 * give "device_os"), so are every other character that is not a letter,
 * digit or '_' (one '_' per UTF-8 character): a name is an identifier, as
 * job fields require; a leading digit gets a '_' in front and the empty key
 * is named "_". Names are compared case-insensitively (query engines
 * fold case), so two sources may want the same name: the first source in
 * order keeps it, and every later one gets the first free "<name>_2",
 * "<name>_3", ... — a collision that is reported, never silent. Names that
 * are free are assigned before any suffix, so a source whose own name is
 * "a_b_2" keeps it even when a collision on "a_b" comes first.
 */
#ifndef LAKESYNC_FLATTEN_H
#define LAKESYNC_FLATTEN_H

#include <stddef.h>

#include "jsonscan.h"
#include "util/error.h"

#define LS_FLATTEN_MAX_FIELDS 4096

typedef struct ls_flat_field {
    char *source;
    char *name;
    ls_json_kind kind;
    char *value; /* NUL-terminated (a string may also contain NULs: use value_len); NULL for null */
    size_t value_len;
} ls_flat_field;

/* A source that did not get the name it wanted. */
typedef struct ls_flat_collision {
    char *source;
    char *wanted;
    char *assigned;
} ls_flat_collision;

typedef struct ls_flat_result {
    ls_flat_field *fields;
    size_t count;
    ls_flat_collision *collisions;
    size_t collision_count;
} ls_flat_result;

/* Flattens one message. On LS_ERR_INVALID *record says why the message is
 * not usable (invalid JSON, not an object at level >= 1, ...). More than
 * LS_FLATTEN_MAX_FIELDS fields is LS_ERR_TOO_LARGE. On success the caller owns
 * *out and releases it with ls_flat_result_cleanup; on failure *out is empty. */
ls_code ls_flatten(const uint8_t *message, size_t length, int parse_level, ls_flat_result *out,
                   ls_jsonscan_error *record, ls_error *err) LS_MUST_USE;

/* Releases a result and leaves it empty. NULL-safe. */
void ls_flat_result_cleanup(ls_flat_result *result);

/* The destination name a source path wants, before collisions: written into
 * out (NUL-terminated). LS_ERR_TOO_LARGE when it does not fit. */
ls_code ls_flatten_name(const char *source, char *out, size_t out_size, ls_error *err) LS_MUST_USE;

/* Assigns distinct names to sources in order, by the rules above. names
 * receives count malloc'd strings (caller frees each); *collisions (caller
 * frees with ls_flat_collisions_free) lists the renamed sources. */
ls_code ls_flatten_assign_names(const char *const *sources, size_t count, char **names,
                                ls_flat_collision **collisions, size_t *collision_count,
                                ls_error *err) LS_MUST_USE;

/* Frees a collision list. NULL-safe. */
void ls_flat_collisions_free(ls_flat_collision *collisions, size_t count);

#endif
