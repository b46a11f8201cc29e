/*
 * Avro object container reader: header, schema tree, blocks, and a
 * schema-driven decoder into generic values. Every count and length read from
 * the file is checked against the bytes that remain and against the caps in
 * avro.h before it is used.
 */
#include <stdlib.h>
#include <string.h>

#include "avro_internal.h"

typedef struct cursor {
    const uint8_t *data;
    size_t len, pos;
} cursor;

typedef struct meta_entry {
    char *key;
    char *value;
    size_t value_len;
} meta_entry;

struct ls_avro_reader {
    cursor file;
    meta_entry *meta;
    size_t meta_count;
    const char *schema_json;
    size_t schema_json_len;
    ls_avro_schema_tree *schema;
    ls_avro_codec codec;
    uint8_t sync[16];
    ls_buf block;
    cursor in_block;
    uint64_t block_remaining;
    avro_arena values;
    size_t value_count;
};

/* The cursor readers write their out-parameter even when they fail, so no
 * caller can read an indeterminate value (and GCC's -O2 flow analysis, which
 * cannot see that ls_error_set returns non-zero, agrees). */
static ls_code read_long(cursor *c, int64_t *out, ls_error *err)
{
    uint64_t n = 0;
    *out = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (c->pos >= c->len)
            return ls_error_set(err, LS_ERR_FORMAT, "Avro data ends inside a varint");
        uint8_t b = c->data[c->pos++];
        if (shift == 63 && (b & 0x7e))
            return ls_error_set(err, LS_ERR_FORMAT, "Avro varint overflows 64 bits");
        n |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)(n >> 1) ^ -(int64_t)(n & 1);
            return LS_OK;
        }
    }
    return ls_error_set(err, LS_ERR_FORMAT, "Avro varint longer than 10 bytes");
}

/* A length or count that must be in [0, remaining bytes or limit]. */
static ls_code read_length(cursor *c, size_t limit, const char *what, size_t *out, ls_error *err)
{
    int64_t v;
    *out = 0;
    ls_code rc = read_long(c, &v, err);
    if (rc)
        return rc;
    if (v < 0 || (uint64_t)v > limit)
        return ls_error_set(err, LS_ERR_FORMAT, "Avro %s length %lld is out of range", what,
                            (long long)v);
    *out = (size_t)v;
    return LS_OK;
}

static ls_code read_raw(cursor *c, size_t n, const uint8_t **out, ls_error *err)
{
    *out = NULL;
    if (c->len - c->pos < n)
        return ls_error_set(err, LS_ERR_FORMAT, "Avro data ends early");
    *out = c->data + c->pos;
    c->pos += n;
    return LS_OK;
}

static ls_code read_header_meta(ls_avro_reader *r, ls_error *err)
{
    cursor *c = &r->file;
    for (;;) {
        int64_t count;
        ls_code rc = read_long(c, &count, err);
        if (rc)
            return rc;
        if (count == 0)
            return LS_OK;
        if (count < 0) {
            /* A negative count is followed by the block's byte size. */
            int64_t ignored;
            if ((rc = read_long(c, &ignored, err)))
                return rc;
            count = -count;
        }
        if (count > LS_AVRO_MAX_META_ENTRIES ||
            r->meta_count + (size_t)count > LS_AVRO_MAX_META_ENTRIES)
            return ls_error_set(err, LS_ERR_TOO_LARGE, "more than %d Avro metadata entries",
                                LS_AVRO_MAX_META_ENTRIES);
        meta_entry *m = realloc(r->meta, (r->meta_count + (size_t)count) * sizeof *m);
        if (!m)
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory reading Avro metadata");
        r->meta = m;
        for (int64_t i = 0; i < count; i++) {
            size_t klen, vlen;
            const uint8_t *k, *v;
            if ((rc = read_length(c, c->len - c->pos, "metadata key", &klen, err)) ||
                (rc = read_raw(c, klen, &k, err)) ||
                (rc = read_length(c, c->len - c->pos, "metadata value", &vlen, err)) ||
                (rc = read_raw(c, vlen, &v, err)))
                return rc;
            meta_entry *e = &r->meta[r->meta_count];
            e->key = strndup((const char *)k, klen);
            e->value = malloc(vlen + 1);
            if (!e->key || !e->value) {
                free(e->key);
                free(e->value);
                return ls_error_set(err, LS_ERR_NOMEM, "out of memory reading Avro metadata");
            }
            memcpy(e->value, v, vlen);
            e->value[vlen] = '\0';
            e->value_len = vlen;
            r->meta_count++;
        }
    }
}

ls_code ls_avro_reader_open(const uint8_t *data, size_t len, ls_avro_reader **out,
                            ls_error *err)
{
    ls_avro_reader *r = calloc(1, sizeof *r);
    if (!r)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory opening an Avro file");
    r->file = (cursor){.data = data, .len = len, .pos = 0};
    ls_buf_init(&r->block, LS_AVRO_MAX_BLOCK_BYTES);
    avro_arena_init(&r->values, (size_t)LS_AVRO_MAX_RECORD_VALUES * sizeof(ls_avro_value));
    ls_code rc = LS_OK;
    const uint8_t *magic, *sync;
    if (len < 4 || memcmp(data, "Obj\x01", 4) != 0) {
        rc = ls_error_set(err, LS_ERR_FORMAT, "not an Avro object container file (bad magic)");
        goto fail;
    }
    if ((rc = read_raw(&r->file, 4, &magic, err)) || (rc = read_header_meta(r, err)) ||
        (rc = read_raw(&r->file, 16, &sync, err)))
        goto fail;
    memcpy(r->sync, sync, 16);
    size_t schema_len;
    r->schema_json = ls_avro_reader_meta(r, "avro.schema", &schema_len);
    if (!r->schema_json) {
        rc = ls_error_set(err, LS_ERR_FORMAT, "Avro header has no avro.schema");
        goto fail;
    }
    r->schema_json_len = schema_len;
    const char *codec = ls_avro_reader_meta(r, "avro.codec", NULL);
    r->codec = LS_AVRO_CODEC_NULL;
    if (codec && ls_avro_codec_parse(codec, &r->codec, NULL) != LS_OK) {
        rc = ls_error_set(err, LS_ERR_UNPROCESSABLE, "unsupported Avro codec '%.64s'", codec);
        goto fail;
    }
    if ((rc = ls_avro_schema_parse(r->schema_json, schema_len, &r->schema, err)))
        goto fail;
    *out = r;
    return LS_OK;
fail:
    ls_avro_reader_free(r);
    return rc;
}

const char *ls_avro_reader_meta(const ls_avro_reader *r, const char *key, size_t *len_out)
{
    for (size_t i = 0; i < r->meta_count; i++) {
        if (strcmp(r->meta[i].key, key) == 0) {
            if (len_out)
                *len_out = r->meta[i].value_len;
            return r->meta[i].value;
        }
    }
    return NULL;
}

size_t ls_avro_reader_meta_count(const ls_avro_reader *r)
{
    return r->meta_count;
}

const char *ls_avro_reader_meta_key(const ls_avro_reader *r, size_t i)
{
    return i < r->meta_count ? r->meta[i].key : NULL;
}

const char *ls_avro_reader_schema_json(const ls_avro_reader *r)
{
    return r->schema_json;
}

const ls_avro_schema *ls_avro_reader_schema(const ls_avro_reader *r)
{
    return ls_avro_schema_root(r->schema);
}

ls_avro_codec ls_avro_reader_codec(const ls_avro_reader *r)
{
    return r->codec;
}

static ls_avro_value *alloc_values(ls_avro_reader *r, size_t n, ls_error *err)
{
    if (n > LS_AVRO_MAX_RECORD_VALUES || r->value_count + n > LS_AVRO_MAX_RECORD_VALUES) {
        ls_error_set(err, LS_ERR_TOO_LARGE, "an Avro record has more than %u values",
                     LS_AVRO_MAX_RECORD_VALUES);
        return NULL;
    }
    ls_avro_value *v = avro_arena_alloc(&r->values, (n ? n : 1) * sizeof *v);
    if (!v) {
        ls_error_set(err, LS_ERR_NOMEM, "out of memory decoding an Avro record");
        return NULL;
    }
    r->value_count += n;
    return v;
}

/* Whether every value of s takes at least one byte. Looks one level into
 * records only (no recursion on input), so it may answer 0 for records that
 * do take bytes: that only weakens the check below, never rejects a valid
 * file. */
static int takes_bytes(const ls_avro_schema *s)
{
    switch (s->kind) {
    case LS_AVRO_NULL:
        return 0;
    case LS_AVRO_FIXED:
        return s->fixed_size > 0;
    case LS_AVRO_RECORD:
        for (size_t i = 0; i < s->count; i++) {
            ls_avro_kind k = s->fields[i].type->kind;
            if (k != LS_AVRO_NULL && k != LS_AVRO_RECORD && k != LS_AVRO_FIXED)
                return 1;
        }
        return 0;
    default:
        return 1;
    }
}

/* Reads an array/map block count: negative counts are followed by the
 * block's byte size. A count larger than the bytes left cannot be honest
 * when items take bytes: it is refused before anything is allocated. */
static ls_code read_block_count(cursor *c, const ls_avro_schema *s, size_t *out, ls_error *err)
{
    int64_t n = 0, bytes = 0;
    *out = 0;
    ls_code rc = read_long(c, &n, err);
    if (rc)
        return rc;
    if (n < 0) {
        if ((rc = read_long(c, &bytes, err)))
            return rc;
        if (n == INT64_MIN)
            return ls_error_set(err, LS_ERR_FORMAT, "bad Avro block count");
        n = -n;
    }
    if ((uint64_t)n > LS_AVRO_MAX_RECORD_VALUES)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "Avro array block of %lld items", (long long)n);
    if ((s->kind == LS_AVRO_MAP || takes_bytes(s->items)) && (uint64_t)n > c->len - c->pos)
        return ls_error_set(err, LS_ERR_FORMAT, "Avro block count %lld exceeds the data",
                            (long long)n);
    *out = (size_t)n;
    return LS_OK;
}

/* A record, array or map being decoded: children [0, end) are allocated,
 * [0, next) decoded. keys is the map's key array (NULL otherwise). */
typedef struct decode_frame {
    const ls_avro_schema *schema;
    ls_avro_value *value;
    ls_avro_value *keys;
    size_t next, end;
} decode_frame;

/* Grows an array/map value by n children (copying the ones decoded). */
static ls_code grow_children(ls_avro_reader *r, decode_frame *f, size_t n, ls_error *err)
{
    size_t total = f->end + n;
    int is_map = f->schema->kind == LS_AVRO_MAP;
    ls_avro_value *items = alloc_values(r, total, err);
    ls_avro_value *keys = is_map ? alloc_values(r, total, err) : NULL;
    if (!items || (is_map && !keys))
        return err ? err->code : LS_ERR_NOMEM;
    if (f->end) {
        memcpy(items, f->value->u.list.items, f->end * sizeof *items);
        if (is_map)
            memcpy(keys, f->keys, f->end * sizeof *keys);
    }
    f->value->u.list.items = items;
    f->value->u.list.keys = keys;
    f->keys = keys;
    f->end = total;
    f->value->u.list.count = total;
    return LS_OK;
}

/* Decodes a scalar into v, or prepares a container frame in *frame and sets
 * *push. Unions are resolved to their branch first. */
static ls_code begin_value(ls_avro_reader *r, cursor *c, const ls_avro_schema *s,
                           ls_avro_value *v, decode_frame *frame, int *push, ls_error *err)
{
    int32_t branch = -1;
    ls_code rc;
    *push = 0;
    if (s->kind == LS_AVRO_UNION) {
        int64_t b = 0;
        if ((rc = read_long(c, &b, err)))
            return rc;
        if (b < 0 || (uint64_t)b >= s->count)
            return ls_error_set(err, LS_ERR_FORMAT, "Avro union branch %lld out of range",
                                (long long)b);
        branch = (int32_t)b;
        s = s->branches[b];
    }
    memset(v, 0, sizeof *v);
    v->kind = s->kind;
    v->schema = s;
    v->branch = branch;
    const uint8_t *raw = NULL;
    int64_t n = 0;
    size_t len = 0;
    switch (s->kind) {
    case LS_AVRO_NULL:
        return LS_OK;
    case LS_AVRO_BOOLEAN:
        if ((rc = read_raw(c, 1, &raw, err)))
            return rc;
        if (*raw > 1)
            return ls_error_set(err, LS_ERR_FORMAT, "Avro boolean byte %u", *raw);
        v->u.boolean = *raw;
        return LS_OK;
    case LS_AVRO_INT:
    case LS_AVRO_ENUM:
        if ((rc = read_long(c, &n, err)))
            return rc;
        if (n < INT32_MIN || n > INT32_MAX ||
            (s->kind == LS_AVRO_ENUM && (n < 0 || (uint64_t)n >= s->count)))
            return ls_error_set(err, LS_ERR_FORMAT, "Avro int/enum value %lld out of range",
                                (long long)n);
        v->u.i32 = (int32_t)n;
        return LS_OK;
    case LS_AVRO_LONG:
        return read_long(c, &v->u.i64, err);
    case LS_AVRO_FLOAT: {
        uint32_t bits = 0;
        if ((rc = read_raw(c, 4, &raw, err)))
            return rc;
        for (int i = 0; i < 4; i++)
            bits |= (uint32_t)raw[i] << (8 * i);
        memcpy(&v->u.f32, &bits, 4);
        return LS_OK;
    }
    case LS_AVRO_DOUBLE: {
        uint64_t bits = 0;
        if ((rc = read_raw(c, 8, &raw, err)))
            return rc;
        for (int i = 0; i < 8; i++)
            bits |= (uint64_t)raw[i] << (8 * i);
        memcpy(&v->u.f64, &bits, 8);
        return LS_OK;
    }
    case LS_AVRO_BYTES:
    case LS_AVRO_STRING:
        if ((rc = read_length(c, c->len - c->pos, "bytes", &len, err)) ||
            (rc = read_raw(c, len, &v->u.bytes.data, err)))
            return rc;
        v->u.bytes.len = len;
        return LS_OK;
    case LS_AVRO_FIXED:
        v->u.bytes.len = s->fixed_size;
        return read_raw(c, s->fixed_size, &v->u.bytes.data, err);
    case LS_AVRO_RECORD:
        *frame = (decode_frame){.schema = s, .value = v};
        if (s->count) {
            if (!(v->u.list.items = alloc_values(r, s->count, err)))
                return err ? err->code : LS_ERR_NOMEM;
            v->u.list.count = frame->end = s->count;
            *push = 1;
        }
        return LS_OK;
    case LS_AVRO_ARRAY:
    case LS_AVRO_MAP:
        *frame = (decode_frame){.schema = s, .value = v};
        if ((rc = read_block_count(c, s, &len, err)))
            return rc;
        if (len == 0)
            return LS_OK;
        *push = 1;
        return grow_children(r, frame, len, err);
    case LS_AVRO_UNION:
        break;
    }
    return ls_error_set(err, LS_ERR_FORMAT, "Avro union directly inside a union");
}

/* Decodes one value of schema s into v with an explicit stack of container
 * frames (STYLE.md rule 9: no recursion on input), nesting at most
 * LS_AVRO_MAX_DEPTH containers. */
static ls_code decode(ls_avro_reader *r, cursor *c, const ls_avro_schema *s, ls_avro_value *v,
                      ls_error *err)
{
    decode_frame stack[LS_AVRO_MAX_DEPTH];
    size_t depth = 0;
    int push = 0;
    ls_code rc = begin_value(r, c, s, v, &stack[0], &push, err);
    if (rc || !push)
        return rc;
    depth = 1;
    while (depth > 0) {
        decode_frame *f = &stack[depth - 1];
        if (f->next < f->end) {
            size_t i = f->next++;
            const ls_avro_schema *child = f->schema->kind == LS_AVRO_RECORD
                                              ? f->schema->fields[i].type
                                              : f->schema->items;
            if (f->schema->kind == LS_AVRO_MAP) {
                size_t klen = 0;
                const uint8_t *k = NULL;
                if ((rc = read_length(c, c->len - c->pos, "map key", &klen, err)) ||
                    (rc = read_raw(c, klen, &k, err)))
                    return rc;
                f->keys[i] = (ls_avro_value){.kind = LS_AVRO_STRING, .branch = -1};
                f->keys[i].u.bytes.data = k;
                f->keys[i].u.bytes.len = klen;
            }
            decode_frame next = {0};
            if ((rc = begin_value(r, c, child, &f->value->u.list.items[i], &next, &push, err)))
                return rc;
            if (push) {
                if (depth == LS_AVRO_MAX_DEPTH)
                    return ls_error_set(err, LS_ERR_TOO_LARGE,
                                        "Avro value nests deeper than %d levels",
                                        LS_AVRO_MAX_DEPTH);
                stack[depth++] = next;
            }
            continue;
        }
        if (f->schema->kind != LS_AVRO_RECORD) {
            /* The next block of the array or map; 0 ends it. */
            size_t n = 0;
            if ((rc = read_block_count(c, f->schema, &n, err)))
                return rc;
            if (n) {
                if ((rc = grow_children(r, f, n, err)))
                    return rc;
                continue;
            }
        }
        depth--;
    }
    return LS_OK;
}

static ls_code load_block(ls_avro_reader *r, int *eof, ls_error *err)
{
    cursor *c = &r->file;
    *eof = 0;
    if (r->in_block.pos != r->in_block.len)
        return ls_error_set(err, LS_ERR_FORMAT, "Avro block has %zu undecoded bytes",
                            r->in_block.len - r->in_block.pos);
    if (c->pos == c->len) {
        *eof = 1;
        return LS_OK;
    }
    int64_t count;
    size_t size;
    const uint8_t *data, *sync;
    ls_code rc;
    if ((rc = read_long(c, &count, err)))
        return rc;
    if (count < 0)
        return ls_error_set(err, LS_ERR_FORMAT, "negative Avro block record count");
    if ((rc = read_length(c, c->len - c->pos, "block", &size, err)) ||
        (rc = read_raw(c, size, &data, err)) || (rc = read_raw(c, 16, &sync, err)))
        return rc;
    if (memcmp(sync, r->sync, 16) != 0)
        return ls_error_set(err, LS_ERR_FORMAT, "Avro sync marker mismatch after a block");
    ls_buf_reset(&r->block);
    if ((rc = avro_codec_decompress(r->codec, data, size, &r->block, LS_AVRO_MAX_BLOCK_BYTES,
                                    err)))
        return rc;
    r->in_block = (cursor){.data = r->block.data, .len = r->block.len, .pos = 0};
    r->block_remaining = (uint64_t)count;
    return LS_OK;
}

ls_code ls_avro_reader_next(ls_avro_reader *r, const ls_avro_value **out, ls_error *err)
{
    *out = NULL;
    avro_arena_reset(&r->values);
    r->value_count = 0;
    ls_code rc;
    while (r->block_remaining == 0) {
        int eof;
        if ((rc = load_block(r, &eof, err)))
            return rc;
        if (eof)
            return LS_OK;
    }
    ls_avro_value *v = alloc_values(r, 1, err);
    if (!v)
        return err ? err->code : LS_ERR_NOMEM;
    if ((rc = decode(r, &r->in_block, ls_avro_schema_root(r->schema), v, err)))
        return rc;
    r->block_remaining--;
    *out = v;
    return LS_OK;
}

void ls_avro_reader_free(ls_avro_reader *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->meta_count; i++) {
        free(r->meta[i].key);
        free(r->meta[i].value);
    }
    free(r->meta);
    ls_avro_schema_tree_free(r->schema);
    ls_buf_cleanup(&r->block);
    avro_arena_cleanup(&r->values);
    free(r);
}

const ls_avro_value *ls_avro_value_field(const ls_avro_value *record, const char *name)
{
    size_t i;
    if (!record || record->kind != LS_AVRO_RECORD ||
        !ls_avro_schema_field(record->schema, name, &i))
        return NULL;
    return &record->u.list.items[i];
}

const ls_avro_value *ls_avro_value_field_by_id(const ls_avro_value *record, int64_t field_id)
{
    if (!record || record->kind != LS_AVRO_RECORD)
        return NULL;
    for (size_t i = 0; i < record->schema->count; i++)
        if (record->schema->fields[i].field_id == field_id)
            return &record->u.list.items[i];
    return NULL;
}

int ls_avro_value_is_null(const ls_avro_value *v)
{
    return !v || v->kind == LS_AVRO_NULL;
}

int64_t ls_avro_value_integer(const ls_avro_value *v)
{
    if (!v)
        return 0;
    if (v->kind == LS_AVRO_INT || v->kind == LS_AVRO_ENUM)
        return v->u.i32;
    if (v->kind == LS_AVRO_LONG)
        return v->u.i64;
    return 0;
}

int ls_avro_value_string_equals(const ls_avro_value *v, const char *text)
{
    if (!v || (v->kind != LS_AVRO_STRING && v->kind != LS_AVRO_BYTES))
        return 0;
    size_t n = strlen(text);
    return v->u.bytes.len == n && (n == 0 || memcmp(v->u.bytes.data, text, n) == 0);
}

char *ls_avro_value_strdup(const ls_avro_value *v)
{
    if (!v || (v->kind != LS_AVRO_STRING && v->kind != LS_AVRO_BYTES && v->kind != LS_AVRO_FIXED))
        return NULL;
    char *s = malloc(v->u.bytes.len + 1);
    if (!s)
        return NULL;
    if (v->u.bytes.len)
        memcpy(s, v->u.bytes.data, v->u.bytes.len);
    s[v->u.bytes.len] = '\0';
    return s;
}
