/*
 * Reading request bodies: strict JSON with field-named errors.
 *
 * Every function reports problems as LS_ERR_INVALID (400) with err->field
 * naming the offending field as a path: "sync.acus", "fields[2].type". JSON
 * null counts as absent for optional fields. Values returned point into the
 * json_t and live as long as it does.
 */
#ifndef LAKESYNC_API_JSON_H
#define LAKESYNC_API_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api_router.h"

#define API_FIELD_MAX 128

/* Parses the request body as one JSON object (duplicate keys refused). *out
 * is owned by the caller (json_decref). An empty body is an empty object only
 * when allow_empty. */
ls_code api_json_body(const ls_api_request *req, bool allow_empty, json_t **out,
                      ls_error *err) LS_MUST_USE;

/* Writes "prefix.key" (or "key" when prefix is "") into out. */
void api_json_field(char *out, size_t size, const char *prefix, const char *key);

/* Refuses members of obj whose names are not in allowed (NULL-terminated). */
ls_code api_json_only(const json_t *obj, const char *prefix, const char *const *allowed,
                      ls_error *err) LS_MUST_USE;

/* A string member of 1..max_len bytes without control characters; *out is
 * NULL when absent and not required. */
ls_code api_json_string(const json_t *obj, const char *prefix, const char *key, bool required,
                        size_t max_len, const char **out, ls_error *err) LS_MUST_USE;

/* An optional string member that may be empty (descriptions). */
ls_code api_json_text(const json_t *obj, const char *prefix, const char *key, size_t max_len,
                      const char **out, ls_error *err) LS_MUST_USE;

/* An integer member within [min, max]; *present tells whether it was given
 * (may be NULL when required). */
ls_code api_json_int(const json_t *obj, const char *prefix, const char *key, bool required,
                     int64_t min, int64_t max, int64_t *out, bool *present,
                     ls_error *err) LS_MUST_USE;

/* A boolean member; *out keeps its value when absent. */
ls_code api_json_bool(const json_t *obj, const char *prefix, const char *key, bool *out,
                      ls_error *err) LS_MUST_USE;

/* An object / array member; *out is NULL when absent and not required. */
ls_code api_json_object(const json_t *obj, const char *prefix, const char *key, bool required,
                        json_t **out, ls_error *err) LS_MUST_USE;
ls_code api_json_array(const json_t *obj, const char *prefix, const char *key, bool required,
                       size_t max_items, json_t **out, ls_error *err) LS_MUST_USE;

/* One of the NULL-terminated choices; *out is def when absent. */
ls_code api_json_enum(const json_t *obj, const char *prefix, const char *key,
                      const char *const *choices, const char *def, const char **out,
                      ls_error *err) LS_MUST_USE;

/* True for [A-Za-z_][A-Za-z0-9_]* of at most max_len bytes. */
bool api_identifier_valid(const char *text, size_t max_len);

/* True for [a-z_][a-z0-9_]* of at most max_len bytes (database and table names). */
bool api_lower_identifier_valid(const char *text, size_t max_len);

#endif
