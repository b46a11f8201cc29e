/*
 * Internal to the table endpoints: what api_tables.c (the routes, Iceberg)
 * and api_tables_paimon.c (Paimon tables, in the same response shapes)
 * share.
 */
#ifndef LAKESYNC_API_TABLES_H
#define LAKESYNC_API_TABLES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api_router.h"
#include "table_read.h"

/* Opens the route's table {db}/{table} (ls_table_read_open_named);
 * LS_ERR_NOT_FOUND for names no table can have. The caller closes it with
 * ls_table_read_close whatever this returns. */
ls_code api_table_open_route(ls_api_request *req, ls_table_open *table, ls_error *err) LS_MUST_USE;

/* Values as the table endpoints show them (the preview, partition values
 * of the file list). Days since 1970-01-01 as "YYYY-MM-DD", for any value. */
void api_table_format_days(int64_t days, char *out, size_t size);

/* Microseconds since the epoch as RFC 3339 with microseconds, with "Z" for
 * an instant (utc) and without a zone for a local timestamp. */
void api_table_format_micros(int64_t micros, bool utc, char *out, size_t size);

/* An unscaled decimal as a string with scale digits after the point; text
 * that is UTF-8 as a string (text true), other bytes as lowercase hex; a
 * double, or "NaN" / "Infinity" / "-Infinity". NULL when out of memory. */
json_t *api_table_decimal_json(ls_int128 unscaled, int scale);
json_t *api_table_bytes_json(const uint8_t *data, size_t len, bool text);
json_t *api_table_real_json(double v);

/* Writes milliseconds since the epoch as RFC 3339 UTC with microseconds;
 * values past what microseconds hold write as the epoch. */
void api_table_format_ms(int64_t ms, char *out, size_t size);

/* A copy of a snapshot summary (or property map; NULL or not an object:
 * empty) with lakesync.offsets parsed from its JSON text into an object.
 * NULL when out of memory. */
json_t *api_table_summary_json(const json_t *summary);

/* Appends the rows of the Parquet data file at uri (under the table's
 * location) to rows as objects keyed by schema's column names (matched by
 * field id; {"fields":[{"id","name"}]}), until rows holds limit of them. */
ls_code api_table_preview_file(ls_table_open *table, const char *uri, const json_t *schema,
                               json_t *rows, size_t limit, ls_error *err) LS_MUST_USE;

/* api_tables_paimon.c: the bodies of the table, snapshots and preview
 * endpoints for an open Paimon table; *out is the caller's. */
ls_code api_paimon_table_json(const ls_api_request *req, ls_table_open *table, json_t **out,
                              ls_error *err) LS_MUST_USE;
ls_code api_paimon_snapshots_json(ls_table_open *table, json_t **out, ls_error *err) LS_MUST_USE;
ls_code api_paimon_preview_json(ls_table_open *table, size_t limit, json_t **out,
                                ls_error *err) LS_MUST_USE;

#endif
