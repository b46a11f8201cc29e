/* Shared by the maintenance sources: a table opened for maintenance. */
#ifndef LAKESYNC_MAINTENANCE_INTERNAL_H
#define LAKESYNC_MAINTENANCE_INTERNAL_H

#include "committer_update.h"
#include "iceberg_table.h"
#include "maintenance.h"
#include "objstore.h"

/* Reads objects of one table by full URI (an ls_iceberg_read_fn context). */
typedef struct ls_maint_reader {
    ls_objstore *store; /* rooted at location */
    const char *location;
} ls_maint_reader;

/* The key of uri inside the reader's location, or NULL when outside. */
const char *ls_maint_key(const ls_maint_reader *reader, const char *uri);

/* ls_iceberg_read_fn over ls_maint_reader: paths outside the table are
 * LS_ERR_FORMAT, so a metadata file cannot make maintenance read elsewhere. */
ls_code ls_maint_read(void *ctx, const char *path, ls_buf *out, ls_error *err) LS_MUST_USE;

/* A table and its current snapshot's live files, as of opening. */
typedef struct ls_maint_table {
    ls_committer_location where;
    ls_objstore *store;
    ls_maint_reader reader;
    ls_iceberg_scan *scan; /* NULL when the table has no metadata */
} ls_maint_table;

/* Opens ref's table (storage with ref's credentials) and scans it. Clean up
 * with ls_maint_table_close whatever it returns. */
ls_code ls_maint_table_open(ls_committer *committer, const ls_table_ref *ref,
                            ls_maint_table *out, ls_error *err) LS_MUST_USE;
void ls_maint_table_close(ls_maint_table *table);

/* The lakesync.job-id and lakesync.offsets of the newest snapshot in the
 * current ancestry that records offsets (NULL, NULL when none); pointers
 * into md. *carrier_id is that snapshot's id (-1 when none). */
void ls_maint_offsets_carrier(const ls_iceberg_metadata *md, const char **job_id,
                              const char **offsets, int64_t *carrier_id);

/* True (err filled with LS_ERR_UNAVAILABLE) once config->cancel is set. */
bool ls_maintenance_cancelled(const ls_maintenance_config *config, ls_error *err);

/* Wall-clock milliseconds since the epoch. */
int64_t ls_maint_wall_ms(void);

#endif
