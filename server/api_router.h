/*
 * The control-plane API's router: one table of routes, one dispatch function.
 *
 * Adding a route (later issues: jobs start/stop, sample, metrics, ...):
 *   1. write a handler  ls_code api_thing_verb(ls_api_request *req, ls_error *err)
 *      and declare it in server/api_handlers.h;
 *   2. add one line to the table in server/api_routes.c:
 *        {"POST", "/api/v1/jobs/{id}/start", api_job_start, LS_API_ROLE_STANDARD},
 *      A pattern is a literal path whose segments may be "{name}"; a {name}
 *      segment matches one non-empty path segment, read with
 *      api_param(req, "name"). Methods are matched exactly (HEAD is routed to
 *      GET by the dispatcher).
 *   3. describe it in api/openapi.yaml: e2e test api_openapi compares
 *      `lakesync serve --print-routes` with the spec's paths and methods and
 *      fails when they differ.
 *
 * Roles: LS_API_ROLE_PUBLIC needs no token; LS_API_ROLE_STANDARD needs any
 * valid token; LS_API_ROLE_ADMIN needs an admin token (401 without a valid
 * token, 403 with a standard one). The dispatcher checks them before the
 * handler runs.
 *
 * A handler either fills req->response through the api_reply_* helpers and
 * returns LS_OK, or returns an error code with err filled (code, field,
 * message): the dispatcher then answers with the status for the code
 * (ls_http_status_for_code) and the body
 *   {"error":{"code":"invalid_argument","message":"...","field":"sync.acus"}}.
 * Handlers run on HTTP server threads, several at once; they reach the state
 * through req->api->store inside ls_store_begin / commit (store_db.h).
 */
#ifndef LAKESYNC_API_ROUTER_H
#define LAKESYNC_API_ROUTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_server.h"
#include "secret.h"
#include "store_db.h"
#include "util/error.h"

#define LS_API_MAX_PARAMS 4
#define LS_API_PARAM_MAX 256
#define LS_API_URI_MAX 1024
#define LS_API_MAX_BODY_BYTES (1024u * 1024u)
#define LS_API_MAX_RESPONSE_BYTES (64u * 1024u * 1024u)

typedef enum ls_api_role {
    LS_API_ROLE_PUBLIC = 0,
    LS_API_ROLE_STANDARD,
    LS_API_ROLE_ADMIN,
} ls_api_role;

/* How to reach an object store: a job's destination settings; NULL fields
 * fall back to the AWS_* environment variables (DESIGN.md). */
typedef struct ls_api_store_access {
    const char *endpoint;
    const char *region;
    const char *access_key_id;
    const char *secret_access_key; /* plaintext: never log it */
    bool path_style;
} ls_api_store_access;

/* Tells whether an object-store prefix (s3://, oss://) holds no objects.
 * serve.c sets api_prefix_empty (api_prefix.h), which lists the prefix
 * through the object store; it must fail (not block) when the store cannot
 * be reached. */
typedef ls_code (*ls_api_prefix_empty_fn)(void *ctx, const char *uri,
                                          const ls_api_store_access *access, bool *empty,
                                          ls_error *err);

/* Server-wide state shared by all requests; owned by cmd_serve. */
typedef struct ls_api {
    ls_store *store;
    ls_secret_key key;
    char warehouse[LS_API_URI_MAX];      /* managed warehouse URI, ends with '/' */
    char web_dir[4096];                  /* static files root, realpath'd; "" disables */
    ls_api_prefix_empty_fn prefix_empty; /* NULL: only syntax is checked (unit tests) */
    void *prefix_empty_ctx;
    struct ls_jobrun *jobrun; /* running jobs (jobrun.h); owned by cmd_serve */
    struct api_maintenance *maintenance; /* table maintenance (api_maintenance.h); NULL: off */
    struct api_usage_cache *usage_cache; /* tables' usage by pointer (api_usage_cache.h); NULL:
                                            every read goes to the table */
} ls_api;

typedef struct ls_api_request {
    ls_api *api;
    const ls_http_request *http;
    ls_http_response *response;
    const char *param_names[LS_API_MAX_PARAMS];
    char param_values[LS_API_MAX_PARAMS][LS_API_PARAM_MAX];
    size_t param_count;
    ls_api_role role;  /* of the caller's token; PUBLIC when none */
    char token_id[64]; /* the caller's token id, "" when none */
    char allow[128];   /* set by the dispatcher for 405 answers */
} ls_api_request;

typedef ls_code (*ls_api_handler)(ls_api_request *req, ls_error *err);

typedef struct ls_api_route {
    const char *method;
    const char *pattern;
    ls_api_handler handler;
    ls_api_role role;
} ls_api_route;

/* The route table (server/api_routes.c), ending with a NULL method. */
extern const ls_api_route ls_api_routes[];

/* The ls_http_handler for the whole server: ctx is the ls_api. */
void ls_api_handle(void *ctx, const ls_http_request *request, ls_http_response *response);

/* Writes "METHOD PATTERN" lines for every route, sorted, to out (for the
 * OpenAPI consistency test). */
void ls_api_print_routes(FILE *out);

/* A {name} parameter of the matched route; "" when the route has none. */
const char *api_param(const ls_api_request *req, const char *name);

/* Answers status with the JSON body (stolen: freed here in all cases). When
 * the body has a string "etag" member it is also sent as the ETag header. */
ls_code api_reply_json(ls_api_request *req, int status, json_t *body, ls_error *err) LS_MUST_USE;

/* Answers 201 with Location: location and the body (stolen). */
ls_code api_reply_created(ls_api_request *req, const char *location, json_t *body,
                          ls_error *err) LS_MUST_USE;

/* Answers 204 without a body. */
ls_code api_reply_no_content(ls_api_request *req, ls_error *err) LS_MUST_USE;

/* Checks the request's If-Match header (absent: passes; "*", a quoted or bare
 * etag, or a comma-separated list of them) against the resource's etag.
 * LS_ERR_PRECONDITION when it does not match. */
ls_code api_check_if_match(const ls_api_request *req, const char *etag, ls_error *err) LS_MUST_USE;

/* Reads ?page_size= (1..1000, default 100) and ?page_token= (opaque, from a
 * previous next_page_token). *after_seq is the seq to list after. */
ls_code api_page_params(const ls_api_request *req, int64_t *page_size, int64_t *after_seq,
                        ls_error *err) LS_MUST_USE;

/* Builds {"items": items, "next_page_token": token or null} (items stolen). */
json_t *api_page_body(json_t *items, bool more, int64_t last_seq);

/* The current UTC time as RFC 3339 "2026-11-23T10:15:30Z". */
void api_now_rfc3339(char out[32]);

/* A new identifier "<prefix>" + 20 random hex digits, and a new etag. */
ls_code api_new_id(const char *prefix, char *out, size_t out_size, ls_error *err) LS_MUST_USE;
ls_code api_new_etag(char out[33], ls_error *err) LS_MUST_USE;

/* True when text is a valid resource id as produced by api_new_id: lower-case
 * letters, digits, '_' and '-', 1..64 characters. Lookups of other ids
 * answer 404 without touching the store. */
bool api_id_valid(const char *text);

#endif
