/*
 * Converting the typed values the worker and committers carry
 * (ls_iceberg_value, iceberg_types.h) into Paimon datums (paimon_binaryrow.h).
 */
#ifndef LAKESYNC_PAIMON_VALUE_H
#define LAKESYNC_PAIMON_VALUE_H

#include "iceberg_types.h"
#include "paimon_binaryrow.h"

/* Fills d with v read as Paimon type t: timestamps (microseconds in v) become
 * millis plus nanos of the milli, floored; strings and bytes borrow v's
 * storage. v's member must be the one ls_type_storage names for t. */
void ls_paimon_datum_from_value(ls_paimon_type t, const ls_iceberg_value *v, ls_paimon_datum *d);

#endif
