/*
 * The worker's schema: the scan plan, the column types and the Parquet
 * columns built from the spec's fields, and their automatic evolution
 * (schema_evolve.h, docs/worker-protocol.md "POST .../schema").
 *
 * With a policy other than none (and a parse level of 1 or more) the plan
 * collects unmapped paths and holds back a message that has values at paths
 * no field maps. worker.c then commits everything before that message,
 * proposes the new fields (or a widening) to the server, and rebuilds the
 * schema from the server's answer, so that no file ever mixes two schemas
 * and every file carries the field ids of the schema it was written with.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "worker_internal.h"

/* Unmapped paths are only hints for the held message; past this many (nulls
 * at paths no field maps pile up) the set starts over. */
#define UNMAPPED_RESET_AT (LS_JSONSCAN_MAX_UNMAPPED / 2)

bool worker_evolving(const worker *w)
{
    return w->spec.schema_evolution != LS_EVOLUTION_NONE && w->spec.parse_level >= 1;
}

/* The scanner plan, the column types and the Parquet schema, all in the
 * spec's field order (field i is batch column i). */
ls_code worker_schema_build(worker *w, ls_error *err)
{
    size_t n = w->spec.field_count;
    ls_jsonscan_field *fields = calloc(n ? n : 1, sizeof *fields);
    w->types = calloc(n ? n : 1, sizeof *w->types);
    w->columns = calloc(n ? n : 1, sizeof *w->columns);
    w->cursors = calloc(n ? n : 1, sizeof *w->cursors);
    w->route_cursors = calloc(n ? n : 1, sizeof *w->route_cursors);
    ls_code rc = LS_OK;
    if (!fields || !w->types || !w->columns || !w->cursors || !w->route_cursors) {
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const ls_worker_field *f = &w->spec.fields[i];
        fields[i] = (ls_jsonscan_field){.source = f->source, .column = i, .type = f->type};
        w->types[i] = f->type;
        w->columns[i] =
            (ls_parquet_column_spec){.name = f->name, .field_id = f->field_id, .type = f->type};
    }
    ls_jsonscan_options options = {.parse_level = w->spec.parse_level,
                                   .collect_unmapped = worker_evolving(w),
                                   .ignored_paths = w->spec.ignored_sources,
                                   .ignored_count = w->spec.ignored_count};
    rc = ls_jsonscan_plan_new(&options, fields, n, &w->plan, err);
    if (rc)
        goto out;
    ls_jsonscan_set_hold_unmapped(w->plan, worker_evolving(w) && !w->additions_refused);
    w->staging = ls_column_batch_new(w->types, n, STAGING_MAX_BYTES);
    if (!w->staging) {
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        goto out;
    }
    ls_parquet_options_init(&w->parquet);
    w->parquet.row_group_bytes = w->spec.target_file_size_bytes < ROW_GROUP_MAX_BYTES
                                     ? w->spec.target_file_size_bytes
                                     : ROW_GROUP_MAX_BYTES;
    if (w->spec.paimon)
        w->parquet.root_name = "paimon_schema";
    rc = ls_worker_partitioner_init(&w->partitioner, &w->spec, err);
out:
    free(fields);
    return rc;
}

void worker_schema_free(worker *w)
{
    worker_files_quiesce(w); /* the thread may read the spare batch */
    ls_column_batch_free(w->staging);
    ls_column_batch_free(w->spare);
    w->spare = NULL;
    ls_jsonscan_plan_free(w->plan);
    ls_worker_partitioner_cleanup(&w->partitioner);
    free(w->types);
    free(w->columns);
    free(w->cursors);
    free(w->route_cursors);
    w->staging = NULL;
    w->plan = NULL;
    w->types = NULL;
    w->columns = NULL;
    w->cursors = NULL;
    w->route_cursors = NULL;
}

void worker_unmapped_tidy(worker *w)
{
    if (w->plan && ls_jsonscan_unmapped_count(w->plan) > UNMAPPED_RESET_AT)
        ls_jsonscan_unmapped_reset(w->plan);
}

/* ---- proposals ------------------------------------------------------------ */

static json_t *proposal_body(const worker *w, json_t *add, json_t *widen)
{
    return json_pack("{sIsisoso}", "run_id", (json_int_t)w->spec.run_id, "worker_index",
                     w->worker_index, "add", add ? add : json_array(), "widen",
                     widen ? widen : json_array());
}

ls_code worker_additions_proposal(worker *w, const uint8_t *value, size_t len, json_t **out,
                                  ls_error *err)
{
    size_t n = ls_jsonscan_unmapped_count(w->plan);
    const char **sources = calloc(n ? n : 1, sizeof *sources);
    json_t *add = NULL;
    *out = NULL;
    if (!sources)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        sources[i] = ls_jsonscan_unmapped_path(w->plan, i, NULL);
    ls_code rc = ls_schema_evolve_additions(value, len, w->spec.parse_level, sources, n, &add, err);
    free(sources);
    ls_jsonscan_unmapped_reset(w->plan);
    if (rc)
        return rc;
    if (json_array_size(add) == 0) {
        json_decref(add);
        return LS_OK;
    }
    *out = proposal_body(w, add, NULL);
    return *out ? LS_OK : ls_error_set(err, LS_ERR_NOMEM, "out of memory");
}

json_t *worker_widen_proposal(const worker *w, const ls_jsonscan_error *record)
{
    if (w->spec.schema_evolution != LS_EVOLUTION_ADD_AND_WIDEN ||
        record->kind != LS_JSONSCAN_OUT_OF_RANGE)
        return NULL; /* a value of another kind fits no wider type either */
    json_t *widen = json_array();
    for (size_t i = 0; widen && i < w->spec.field_count; i++) {
        const ls_worker_field *f = &w->spec.fields[i];
        ls_type to;
        char text[48];
        if (strcmp(f->source, record->field) != 0 || !ls_schema_evolve_widened(f->type, &to))
            continue;
        json_array_append_new(widen, json_pack("{sIss}", "field_id", (json_int_t)(i + 1), "type",
                                               ls_type_format(to, text, sizeof text)));
    }
    if (json_array_size(widen) == 0) {
        json_decref(widen);
        return NULL;
    }
    return proposal_body(w, NULL, widen);
}

void worker_type_conflict(const worker *w, ls_jsonscan_error *record)
{
    if (record->kind != LS_JSONSCAN_TYPE_MISMATCH && record->kind != LS_JSONSCAN_OUT_OF_RANGE)
        return;
    const ls_worker_field *f = NULL;
    for (size_t i = 0; i < w->spec.field_count && !f; i++)
        if (strcmp(w->spec.fields[i].source, record->field) == 0)
            f = &w->spec.fields[i];
    char type[48], message[2 * sizeof record->message];
    snprintf(message, sizeof message, "type conflict: column %s is %s and %s; schema_evolution %s "
             "allows no change that fits it", f ? f->name : record->field,
             f ? ls_type_format(f->type, type, sizeof type) : "?", record->message,
             ls_schema_evolution_name(w->spec.schema_evolution));
    size_t len = strnlen(message, sizeof record->message - 1); /* cut to fit */
    memcpy(record->message, message, len);
    record->message[len] = '\0';
    record->kind = LS_JSONSCAN_TYPE_CONFLICT;
}

/* ---- applying the server's answer ------------------------------------------ */

/* The spec with the answer's fields (and schema id and ignored sources):
 * the document keeps every other member (and the strings the consumer and
 * the store were given), only those are replaced. Everything built from the old fields is rebuilt. The caller
 * has committed: no staging rows, no open or waiting files. */
ls_code worker_apply_schema(worker *w, const json_t *answer, ls_error *err)
{
    const json_t *fields = json_object_get(answer, "fields");
    if (!json_is_array(fields) || json_array_size(fields) < w->spec.field_count)
        return ls_error_set(err, LS_ERR_FORMAT, "the schema answer has no complete fields list");
    json_t *document = json_incref(w->spec.document);
    json_t *old_fields = json_incref(json_object_get(document, "fields"));
    ls_worker_spec next;
    const json_t *schema_id = json_object_get(answer, "schema_id");
    const json_t *ignored = json_object_get(answer, "ignored_sources");
    json_t *old_ignored = json_incref(json_object_get(document, "ignored_sources"));
    ls_code rc = json_object_set(document, "fields", (json_t *)fields) ||
                         (json_is_integer(schema_id) &&
                          json_object_set(document, "schema_id", (json_t *)schema_id)) ||
                         (json_is_array(ignored) &&
                          json_object_set(document, "ignored_sources", (json_t *)ignored))
                     ? ls_error_set(err, LS_ERR_NOMEM, "out of memory")
                     : ls_worker_spec_parse(document, &next, err);
    if (rc) {
        /* Put the old members back: the current spec still points into them. */
        if (json_object_set(document, "fields", old_fields) ||
            (old_ignored && json_object_set(document, "ignored_sources", old_ignored)))
            rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory");
        json_decref(old_fields);
        json_decref(old_ignored);
        json_decref(document);
        return rc;
    }
    worker_schema_free(w);
    ls_worker_spec_cleanup(&w->spec);
    w->spec = next;
    json_decref(old_fields);
    json_decref(old_ignored);
    json_decref(document);
    ls_log_info("worker", "schema %lld: %zu fields", (long long)json_integer_value(
                    json_object_get(answer, "schema_id")), w->spec.field_count);
    return worker_schema_build(w, err);
}
