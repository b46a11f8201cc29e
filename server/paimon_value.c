/*
 * Typed values (the Iceberg module's ls_iceberg_value, which the worker and
 * the committers share) as Paimon datums, for partition BinaryRows.
 */
#include "paimon_value.h"

#include <string.h>

void ls_paimon_datum_from_value(ls_paimon_type t, const ls_iceberg_value *v, ls_paimon_datum *d)
{
    memset(d, 0, sizeof *d);
    d->is_null = v->is_null != 0;
    switch (t.kind) {
    case LS_PAIMON_BOOLEAN:
        d->v.b = v->u.boolean != 0;
        break;
    case LS_PAIMON_BIGINT:
        d->v.i64 = v->u.i64;
        break;
    case LS_PAIMON_FLOAT:
        d->v.f32 = v->u.f32;
        break;
    case LS_PAIMON_DOUBLE:
        d->v.f64 = v->u.f64;
        break;
    case LS_PAIMON_DECIMAL:
        d->v.unscaled = v->u.unscaled;
        break;
    case LS_PAIMON_STRING:
    case LS_PAIMON_BYTES:
        d->v.bytes.data = v->u.bytes.data;
        d->v.bytes.len = v->u.bytes.len;
        break;
    case LS_PAIMON_TIMESTAMP:
    case LS_PAIMON_TIMESTAMP_LTZ: { /* microseconds: floor millis + nanos of the milli */
        int64_t us = v->u.i64, ms = us / 1000 - (us % 1000 < 0);
        d->v.ts.millis = ms;
        d->v.ts.nanos_of_milli = (int32_t)((us - ms * 1000) * 1000);
        break;
    }
    default: /* TINYINT, SMALLINT, INT, DATE */
        d->v.i32 = v->u.i32;
        break;
    }
}
