/*
 * Files embedded into the binary at build time (cmake/modules/20_embed.cmake):
 * the SQL migrations and the OpenAPI document. Each generated table is sorted
 * by name and ends with an all-zero entry; the data is NUL-terminated past len
 * so text files can be used as C strings. Everything is static, never freed.
 */
#ifndef LAKESYNC_STORE_EMBED_H
#define LAKESYNC_STORE_EMBED_H

#include <stddef.h>

typedef struct ls_embedded_file {
    const char *name;          /* base name, e.g. "0001_init.sql" */
    const unsigned char *data; /* len bytes followed by a NUL */
    size_t len;
} ls_embedded_file;

/* The migrations/NNNN_name.sql files, in version order. */
extern const ls_embedded_file ls_embedded_migrations[];
extern const size_t ls_embedded_migrations_count;

#endif
