/* Internals shared by the iceberg_*.c files; not part of the contract. */
#ifndef LAKESYNC_ICEBERG_INTERNAL_H
#define LAKESYNC_ICEBERG_INTERNAL_H

/* Pieces of the exact schemas Iceberg Java 1.8.1 writes (see
 * iceberg_manifest_schemas.c). The manifest schemas are split around the
 * fields of the partition record, which depend on the partition spec. */
extern const char ls_iceberg_manifest_schema_head[];
extern const char ls_iceberg_manifest_schema_tail[];
extern const char ls_iceberg_manifest_list_schema[];
extern const char ls_iceberg_manifest_iceberg_schema_head[];
extern const char ls_iceberg_manifest_iceberg_schema_tail[];
extern const char ls_iceberg_manifest_list_iceberg_schema[];

#endif
