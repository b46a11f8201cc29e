/*
 * Helpers the resource handlers share: paged lists, single-row loads, and
 * counting. All run inside a transaction the caller holds (ls_store_begin).
 */
#ifndef LAKESYNC_API_ROWS_H
#define LAKESYNC_API_ROWS_H

#include "api_router.h"

/* Builds one resource from the current row; NULL on allocation failure. */
typedef json_t *(*api_row_fn)(ls_stmt *stmt);

/* Answers a paged list. sql selects seq as column 0 and binds ?1 = the seq
 * to list after and ?2 = the row limit. Takes and releases the transaction
 * itself. */
ls_code api_rows_list(ls_api_request *req, const char *sql, api_row_fn row_fn,
                      ls_error *err) LS_MUST_USE;

/* Like api_rows_list for the rows of one parent: also binds ?3 = key (the
 * database of a table list, the job of an event list). */
ls_code api_rows_list_of(ls_api_request *req, const char *sql, const char *key,
                         api_row_fn row_fn, ls_error *err) LS_MUST_USE;

/* Ends the write transaction a handler opened: when rc is an error, rolls
 * back and returns it; otherwise commits and answers status with *resource,
 * which it takes (*resource is NULL afterwards). */
ls_code api_finish_write(ls_api_request *req, ls_code rc, int status, json_t **resource,
                         ls_error *err) LS_MUST_USE;

/* Loads one resource by key; LS_ERR_NOT_FOUND when there is none. */
typedef ls_code (*api_load_fn)(ls_store *store, const char *key, json_t **out, ls_error *err);

/* The whole GET of one resource: load it by the route parameter param in a
 * read transaction and answer 200 with it. */
ls_code api_reply_loaded(ls_api_request *req, api_load_fn load, const char *param,
                         ls_error *err) LS_MUST_USE;

/* Loads the one row sql (with ?1 = key) selects, built with row_fn.
 * LS_ERR_NOT_FOUND with "no <what> <key>" when there is none. */
ls_code api_rows_load(ls_store *store, const char *sql, const char *key, api_row_fn row_fn,
                      const char *what, json_t **out, ls_error *err) LS_MUST_USE;

/* Runs sql (?1 = arg when non-NULL, ?2 = arg2 when non-NULL) and stores the
 * first column of its first row in *out (0 when no row). */
ls_code api_rows_int(ls_store *store, const char *sql, const char *arg, const char *arg2,
                     int64_t *out, ls_error *err) LS_MUST_USE;

/* Runs sql (?1 = arg, ?2 = arg2, either may be NULL) and copies the first
 * column of the first row into out ("" when none). */
ls_code api_rows_text(ls_store *store, const char *sql, const char *arg, const char *arg2,
                      char *out, size_t out_size, ls_error *err) LS_MUST_USE;

/* Runs a write statement binding the NULL-terminated text args in order;
 * *changes (may be NULL) receives the rows changed. */
ls_code api_rows_exec(ls_store *store, const char *sql, const char *const *args, int64_t *changes,
                      ls_error *err) LS_MUST_USE;

/* The etag member of a loaded resource. */
const char *api_rows_etag(const json_t *resource);

#endif
