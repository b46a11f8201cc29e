/*
 * schema_infer: a job's field list from sample messages at a parse level.
 *
 * Each sample is flattened (flatten.h); fields are merged by source path in
 * first-seen order across samples, then named (collisions renamed and
 * reported as flatten.h describes). A field's type unifies every non-null
 * value seen:
 *   only integers            bigint; decimal(38,0) if one is outside int64 but
 *                            has at most 38 digits; string beyond that
 *   integers and reals       double
 *   only booleans            boolean
 *   only strings             timestamptz when every one is an RFC 3339
 *                            timestamp with an offset ("...Z", "+08:00");
 *                            timestamp when every one is such a timestamp and
 *                            some lack the offset; date when every one is
 *                            "YYYY-MM-DD"; string otherwise
 *   objects, arrays          string (JSON text)
 *   only nulls, or any mix   string
 * Invalid samples (bad JSON, not an object above level 0) are counted and
 * skipped; the first one's error is kept for the caller to show.
 */
#ifndef LAKESYNC_SCHEMA_INFER_H
#define LAKESYNC_SCHEMA_INFER_H

#include <stddef.h>

#include "flatten.h"
#include "jsonscan.h"
#include "schema_type.h"
#include "util/error.h"

#define LS_INFER_EXAMPLE_MAX 256

typedef struct ls_infer_field {
    char *source;   /* source path, as a job's fields[].source */
    char *name;     /* destination name, as fields[].name */
    ls_type type;   /* as fields[].type */
    unsigned kinds; /* ORed 1u << ls_json_kind of all values seen, nulls included */
    size_t present; /* samples in which the field occurred */
    size_t nulls;   /* of those, how many had null */
    char *example;  /* the first non-null value's text, cut at LS_INFER_EXAMPLE_MAX
                       bytes on a UTF-8 boundary; NULL when only nulls */
} ls_infer_field;

typedef struct ls_infer_result {
    ls_infer_field *fields;
    size_t count;
    ls_flat_collision *collisions;
    size_t collision_count;
    size_t samples;                  /* all samples added */
    size_t invalid_samples;          /* of those, skipped as unusable */
    ls_jsonscan_error first_invalid; /* kind LS_JSONSCAN_OK when none */
    size_t first_invalid_index;      /* which sample (0-based) */
} ls_infer_result;

typedef struct ls_schema_infer ls_schema_infer;

/* Starts an inference at parse_level (0-4). max_fields caps the merged field
 * list (0 = LS_FLATTEN_MAX_FIELDS). Caller frees with ls_schema_infer_free. */
ls_code ls_schema_infer_new(int parse_level, size_t max_fields, ls_schema_infer **out,
                            ls_error *err) LS_MUST_USE;

/* Frees an inference. NULL-safe. */
void ls_schema_infer_free(ls_schema_infer *infer);

/* Adds one sample. An unusable message is counted, not an error (LS_OK).
 * LS_ERR_TOO_LARGE when the merged fields would pass max_fields;
 * LS_ERR_NOMEM. */
ls_code ls_schema_infer_add(ls_schema_infer *infer, const uint8_t *message, size_t length,
                            ls_error *err) LS_MUST_USE;

/* Produces the result (the inference stays usable). The caller releases
 * *out with ls_infer_result_cleanup. */
ls_code ls_schema_infer_result(ls_schema_infer *infer, ls_infer_result *out,
                               ls_error *err) LS_MUST_USE;

/* Releases a result and leaves it empty. NULL-safe. */
void ls_infer_result_cleanup(ls_infer_result *result);

#endif
