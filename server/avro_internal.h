/*
 * Internals shared by the avro_*.c files: an arena, a small JSON tree parser
 * for schema JSON, and the block codecs. Not part of the module's contract.
 */
#ifndef LAKESYNC_AVRO_INTERNAL_H
#define LAKESYNC_AVRO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "avro.h"
#include "util/buf.h"
#include "util/error.h"

/* A bump allocator: many small allocations freed at once. */
typedef struct avro_arena_chunk avro_arena_chunk;
typedef struct avro_arena {
    avro_arena_chunk *head;
    size_t used_bytes;  /* total handed out since the last reset */
    size_t max_bytes;   /* cap on used_bytes */
} avro_arena;

void avro_arena_init(avro_arena *a, size_t max_bytes);
/* Zeroed memory, 16-byte aligned; NULL when over the cap or out of memory. */
void *avro_arena_alloc(avro_arena *a, size_t size);
char *avro_arena_strndup(avro_arena *a, const char *s, size_t len);
/* Frees all chunks but the first, which is kept for reuse. */
void avro_arena_reset(avro_arena *a);
void avro_arena_cleanup(avro_arena *a);

/* A parsed JSON value. Object members and array items are a linked list of
 * children; an object member carries its key. */
typedef enum avro_json_kind {
    AVRO_JSON_NULL,
    AVRO_JSON_BOOL,
    AVRO_JSON_NUMBER,
    AVRO_JSON_STRING,
    AVRO_JSON_ARRAY,
    AVRO_JSON_OBJECT,
} avro_json_kind;

typedef struct avro_json avro_json;
struct avro_json {
    avro_json_kind kind;
    int boolean;
    int is_integer;
    int64_t integer;
    double number;
    const char *string; /* NUL-terminated, decoded */
    size_t string_len;
    const char *key;    /* member key when inside an object */
    avro_json *first_child;
    avro_json *next;
    size_t child_count;
};

/* Parses JSON text into nodes allocated from arena, nesting at most
 * max_depth. LS_ERR_FORMAT on malformed text. */
ls_code avro_json_parse(const char *text, size_t len, avro_arena *arena, size_t max_depth,
                        avro_json **out, ls_error *err) LS_MUST_USE;
/* An object's member by key, or NULL. */
const avro_json *avro_json_get(const avro_json *object, const char *key);

/* Block codecs. compress appends to out; decompress appends at most max_bytes
 * to out (LS_ERR_TOO_LARGE beyond, LS_ERR_FORMAT on corrupt input). */
ls_code avro_codec_compress(ls_avro_codec codec, const uint8_t *in, size_t len, ls_buf *out,
                            ls_error *err) LS_MUST_USE;
ls_code avro_codec_decompress(ls_avro_codec codec, const uint8_t *in, size_t len, ls_buf *out,
                              size_t max_bytes, ls_error *err) LS_MUST_USE;

#endif
