/*
 * Table maintenance inside the server (maintenance.h does the work): a
 * scheduler thread that maintains every table of the catalog at its
 * interval (Iceberg and Paimon), the REST routes to read its state and to run it now, its
 * Prometheus figures and its events.
 *
 * A table's first scheduled run comes one interval after the server first
 * saw it (not at start-up, when every table would run at once).
 * Settings come from the job that writes the table (advanced.maintenance;
 * a dead-letter table follows its job's), defaults for tables without a
 * job. Storage credentials are the job's destination ones, as for reads.
 * One table is maintained by one thread at a time: a run-now request while
 * the scheduler works on the table answers 409. Each finished run is an
 * event of the table's job (kind "maintenance", or "maintenance_failed").
 */
#ifndef LAKESYNC_API_MAINTENANCE_H
#define LAKESYNC_API_MAINTENANCE_H

#include "api_router.h"
#include "committer.h"
#include "util/buf.h"

typedef struct api_maintenance api_maintenance;

/* Starts the scheduler, which wakes every tick_ms (0: 1000) to run the
 * tables that are due. api and committer are borrowed and must outlive it. */
ls_code api_maintenance_start(ls_api *api, ls_committer *committer, int64_t tick_ms,
                              api_maintenance **out, ls_error *err) LS_MUST_USE;

/* Stops the scheduler and waits for runs in progress, which stop at their
 * next file (before committing); later run requests answer 503. The
 * committer may go away afterwards. NULL-safe; a second call does nothing. */
void api_maintenance_stop(api_maintenance *m);

/* Stops (if not yet) and frees, once no request can reach it any more.
 * NULL-safe. */
void api_maintenance_free(api_maintenance *m);

/* POST /api/v1/databases/{db}/tables/{table}/maintenance: runs compaction,
 * expiration and orphan removal now and answers 200 with the run's result.
 * GET of the same path: settings, figures and the last run. */
ls_code api_table_maintenance_run(ls_api_request *req, ls_error *err) LS_MUST_USE;
ls_code api_table_maintenance_get(ls_api_request *req, ls_error *err) LS_MUST_USE;

/* Appends the maintenance figures per table in Prometheus text format:
 * lakesync_table_maintenance_{runs,failures,files_rewritten,bytes_rewritten,
 * files_written,snapshots_expired,expired_files_deleted,orphans_deleted}_total
 * and lakesync_table_maintenance_last_run_timestamp_seconds, labels database
 * and table. */
ls_code api_maintenance_prometheus(api_maintenance *m, ls_buf *out, ls_error *err) LS_MUST_USE;

#endif
