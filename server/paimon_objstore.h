/*
 * A Paimon table's storage (paimon_read.h) over an object store rooted at the
 * table location: the adapter between the pure Paimon format code and
 * ls_objstore, shared by the committer (which writes tables) and the API
 * (which reads them). Paths are keys relative to the root ("snapshot/LATEST").
 */
#ifndef LAKESYNC_PAIMON_OBJSTORE_H
#define LAKESYNC_PAIMON_OBJSTORE_H

#include "objstore.h"
#include "paimon_read.h"

/* Reads objects with ls_objstore_get and lists a directory's direct children
 * (deeper keys skipped) page by page. store is borrowed and must outlive the
 * storage. */
ls_paimon_storage ls_paimon_storage_for_objstore(ls_objstore *store);

#endif
