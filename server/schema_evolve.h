/*
 * schema_evolve: a job's automatic schema evolution (advanced.schema_evolution),
 * the pure pieces both sides of docs/worker-protocol.md use.
 *
 *   none           fields no job field maps are ignored; a value of the wrong
 *                  type rejects its record (the scanner's type_mismatch /
 *                  out_of_range).
 *   add_columns    (the default) a field that appears at the job's parse
 *                  level and no job field maps becomes a new optional column:
 *                  typed from its value as schema_infer.h types one sample,
 *                  named from its source as flatten.h names it, a taken name
 *                  (case-insensitive) getting the first free "_2", "_3", ...
 *                  Sources in advanced.ignored_sources (fields a job leaves
 *                  out on purpose) are never added.
 *   add_and_widen  also widens a column whose type a value does not fit:
 *                  int -> bigint, float -> double, decimal(P,S) ->
 *                  decimal(38,S) — the Iceberg spec's type promotions, which
 *                  readers apply to older files. Nothing else: int -> double
 *                  or a number into a boolean column is a type conflict.
 * A value that no allowed change makes fit is a type conflict: its record is
 * rejected (kind type_conflict), the job goes on.
 *
 * The worker finds candidates (ls_schema_evolve_additions) and proposes them;
 * the server applies a proposal to the job's fields (ls_schema_evolve_apply),
 * which is where names are chosen and the policy enforced, then evolves the
 * table to match.
 */
#ifndef LAKESYNC_SCHEMA_EVOLVE_H
#define LAKESYNC_SCHEMA_EVOLVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schema_type.h"
#include "util/error.h"

typedef enum ls_schema_evolution {
    LS_EVOLUTION_NONE = 0,
    LS_EVOLUTION_ADD_COLUMNS,
    LS_EVOLUTION_ADD_AND_WIDEN,
} ls_schema_evolution;

#define LS_EVOLUTION_DEFAULT LS_EVOLUTION_ADD_COLUMNS
#define LS_EVOLUTION_SUMMARY_MAX 1024
#define LS_EVOLUTION_NAME_MAX 128 /* a job field name's bytes, as the API allows */

/* "none", "add_columns", "add_and_widen"; NULL text gives the default.
 * LS_ERR_INVALID (field "schema_evolution") for anything else. */
ls_code ls_schema_evolution_parse(const char *text, ls_schema_evolution *out,
                                  ls_error *err) LS_MUST_USE;
const char *ls_schema_evolution_name(ls_schema_evolution policy);

/* The type a column of type from widens to under add_and_widen when a value
 * does not fit it; false when from has no wider type. */
bool ls_schema_evolve_widened(ls_type from, ls_type *to);

/* The new fields of one message: of the sources given (source paths the
 * scanner saw and no job field maps), those holding a non-null value in the
 * message, each {"source": s, "type": t} with t as schema inference types
 * that one value. *add_out is a new array (possibly empty: every given
 * source was null here). LS_ERR_INVALID when the message is not usable. */
ls_code ls_schema_evolve_additions(const uint8_t *message, size_t length, int parse_level,
                                   const char *const *sources, size_t source_count,
                                   json_t **add_out, ls_error *err) LS_MUST_USE;

/* Applies a worker's proposal {"add": [{"source", "type"}], "widen":
 * [{"field_id", "type"}]} (both optional) to a job's fields (an array of
 * {"source", "name", "type"}; field i has id i + 1) under policy, at
 * parse_level. A source some field already maps, or a widening the field
 * already has, is skipped (another worker asked first); so is a source in
 * ignored (the job's advanced.ignored_sources, NULL for none). *fields_out is a new
 * array: the fields with the changes (added ones last, in proposal order);
 * summary gets a sentence naming every change ("" when none).
 * LS_ERR_INVALID (err->field names the member) for a malformed proposal or
 * a source path the parse level cannot hold; LS_ERR_CONFLICT for a change
 * the policy does not allow, a widening that is not a promotion, or more
 * than max_fields fields. */
ls_code ls_schema_evolve_apply(const json_t *fields, const json_t *ignored, int parse_level,
                               ls_schema_evolution policy, const json_t *proposal,
                               size_t max_fields, json_t **fields_out, char *summary,
                               size_t summary_size, ls_error *err) LS_MUST_USE;

#endif
