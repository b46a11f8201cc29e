/*
 * Avro schema JSON -> schema tree. The JSON is parsed iteratively with a depth
 * cap; the conversion walks that already depth-capped tree, so its recursion
 * is bounded by LS_AVRO_MAX_DEPTH as well (checked again here).
 */
#include <stdlib.h>
#include <string.h>

#include "avro_internal.h"

typedef struct named_type {
    const char *full_name;
    const ls_avro_schema *schema;
    struct named_type *next;
} named_type;

struct ls_avro_schema_tree {
    avro_arena arena;
    const ls_avro_schema *root;
    named_type *names;
};

typedef struct schema_builder {
    ls_avro_schema_tree *tree;
    ls_error *err;
} schema_builder;

static ls_code schema_fail(schema_builder *b, const char *what, const char *detail)
{
    return ls_error_set(b->err, LS_ERR_FORMAT, "invalid Avro schema: %s%s%.80s", what,
                        detail ? " " : "", detail ? detail : "");
}

static ls_code schema_nomem(schema_builder *b)
{
    return ls_error_set(b->err, LS_ERR_TOO_LARGE, "Avro schema exceeds its memory cap");
}

static const struct {
    const char *name;
    ls_avro_kind kind;
} primitives[] = {
    {"null", LS_AVRO_NULL},     {"boolean", LS_AVRO_BOOLEAN}, {"int", LS_AVRO_INT},
    {"long", LS_AVRO_LONG},     {"float", LS_AVRO_FLOAT},     {"double", LS_AVRO_DOUBLE},
    {"bytes", LS_AVRO_BYTES},   {"string", LS_AVRO_STRING},
};

static int primitive_kind(const char *name, ls_avro_kind *out)
{
    for (size_t i = 0; i < sizeof primitives / sizeof primitives[0]; i++) {
        if (strcmp(primitives[i].name, name) == 0) {
            *out = primitives[i].kind;
            return 1;
        }
    }
    return 0;
}

static const ls_avro_schema *lookup_named(schema_builder *b, const char *ref, const char *ns)
{
    char full[512];
    int has_dot = strchr(ref, '.') != NULL;
    if (!has_dot && ns && *ns) {
        size_t nl = strlen(ns), rl = strlen(ref);
        if (nl + 1 + rl < sizeof full) {
            memcpy(full, ns, nl);
            full[nl] = '.';
            memcpy(full + nl + 1, ref, rl + 1);
            for (named_type *n = b->tree->names; n; n = n->next)
                if (strcmp(n->full_name, full) == 0)
                    return n->schema;
        }
    }
    for (named_type *n = b->tree->names; n; n = n->next)
        if (strcmp(n->full_name, ref) == 0)
            return n->schema;
    return NULL;
}

/* Registers a named type; its full name is namespace.name unless name
 * already contains a dot. */
static ls_code register_named(schema_builder *b, ls_avro_schema *s, const avro_json *obj,
                              const char **ns_inout)
{
    const avro_json *name = avro_json_get(obj, "name");
    const avro_json *ns = avro_json_get(obj, "namespace");
    if (!name || name->kind != AVRO_JSON_STRING || name->string_len == 0)
        return schema_fail(b, "named type without a name", NULL);
    const char *space = *ns_inout;
    if (ns && ns->kind == AVRO_JSON_STRING)
        space = ns->string;
    const char *full = name->string;
    if (!strchr(name->string, '.') && space && *space) {
        size_t nl = strlen(space);
        char *f = avro_arena_alloc(&b->tree->arena, nl + 1 + name->string_len + 1);
        if (!f)
            return schema_nomem(b);
        memcpy(f, space, nl);
        f[nl] = '.';
        memcpy(f + nl + 1, name->string, name->string_len + 1);
        full = f;
    } else if (strchr(name->string, '.')) {
        /* A dotted name sets the namespace for its children. */
        const char *dot = strrchr(name->string, '.');
        space = avro_arena_strndup(&b->tree->arena, name->string,
                                   (size_t)(dot - name->string));
        if (!space)
            return schema_nomem(b);
    }
    named_type *n = avro_arena_alloc(&b->tree->arena, sizeof *n);
    if (!n)
        return schema_nomem(b);
    n->full_name = full;
    n->schema = s;
    n->next = b->tree->names;
    b->tree->names = n;
    s->name = full;
    *ns_inout = space;
    return LS_OK;
}

static int64_t json_id(const avro_json *v)
{
    return v && v->kind == AVRO_JSON_NUMBER && v->is_integer ? v->integer : LS_AVRO_NO_ID;
}

static ls_code build(schema_builder *b, const avro_json *j, const char *ns, size_t depth,
                     const ls_avro_schema **out);

static ls_code build_record(schema_builder *b, ls_avro_schema *s, const avro_json *j,
                            const char *ns, size_t depth)
{
    const avro_json *fields = avro_json_get(j, "fields");
    if (!fields || fields->kind != AVRO_JSON_ARRAY)
        return schema_fail(b, "record without fields", s->name);
    ls_avro_field *fs = avro_arena_alloc(&b->tree->arena,
                                         (fields->child_count + 1) * sizeof *fs);
    if (!fs)
        return schema_nomem(b);
    size_t i = 0;
    for (const avro_json *f = fields->first_child; f; f = f->next, i++) {
        const avro_json *name = avro_json_get(f, "name");
        const avro_json *type = avro_json_get(f, "type");
        if (!name || name->kind != AVRO_JSON_STRING || !type)
            return schema_fail(b, "record field without name or type in", s->name);
        fs[i].name = name->string;
        fs[i].field_id = json_id(avro_json_get(f, "field-id"));
        ls_code rc = build(b, type, ns, depth + 1, &fs[i].type);
        if (rc)
            return rc;
    }
    s->fields = fs;
    s->count = fields->child_count;
    return LS_OK;
}

static ls_code build_object(schema_builder *b, const avro_json *j, const char *ns, size_t depth,
                            const ls_avro_schema **out)
{
    const avro_json *type = avro_json_get(j, "type");
    if (!type)
        return schema_fail(b, "object without type", NULL);
    if (type->kind != AVRO_JSON_STRING)
        return build(b, type, ns, depth + 1, out);
    ls_avro_schema *s = avro_arena_alloc(&b->tree->arena, sizeof *s);
    if (!s)
        return schema_nomem(b);
    s->element_id = LS_AVRO_NO_ID;
    const avro_json *lt = avro_json_get(j, "logicalType");
    if (lt && lt->kind == AVRO_JSON_STRING)
        s->logical_type = lt->string;
    const avro_json *prec = avro_json_get(j, "precision"), *scale = avro_json_get(j, "scale");
    if (prec && prec->kind == AVRO_JSON_NUMBER && prec->is_integer && prec->integer >= 0 &&
        prec->integer <= 1000)
        s->precision = (int32_t)prec->integer;
    if (scale && scale->kind == AVRO_JSON_NUMBER && scale->is_integer && scale->integer >= 0 &&
        scale->integer <= 1000)
        s->scale = (int32_t)scale->integer;
    const char *t = type->string;
    ls_code rc = LS_OK;
    if (primitive_kind(t, &s->kind)) {
        /* A primitive with attributes, e.g. {"type":"int","logicalType":"date"}. */
    } else if (strcmp(t, "record") == 0 || strcmp(t, "error") == 0) {
        s->kind = LS_AVRO_RECORD;
        if ((rc = register_named(b, s, j, &ns)))
            return rc;
        if ((rc = build_record(b, s, j, ns, depth)))
            return rc;
    } else if (strcmp(t, "enum") == 0) {
        s->kind = LS_AVRO_ENUM;
        if ((rc = register_named(b, s, j, &ns)))
            return rc;
        const avro_json *syms = avro_json_get(j, "symbols");
        if (!syms || syms->kind != AVRO_JSON_ARRAY || syms->child_count == 0)
            return schema_fail(b, "enum without symbols", s->name);
        const char **names = avro_arena_alloc(&b->tree->arena, syms->child_count * sizeof *names);
        if (!names)
            return schema_nomem(b);
        size_t i = 0;
        for (const avro_json *c = syms->first_child; c; c = c->next, i++) {
            if (c->kind != AVRO_JSON_STRING)
                return schema_fail(b, "enum symbol is not a string in", s->name);
            names[i] = c->string;
        }
        s->symbols = names;
        s->count = syms->child_count;
    } else if (strcmp(t, "array") == 0 || strcmp(t, "map") == 0) {
        int is_array = t[0] == 'a';
        s->kind = is_array ? LS_AVRO_ARRAY : LS_AVRO_MAP;
        const avro_json *items = avro_json_get(j, is_array ? "items" : "values");
        if (!items)
            return schema_fail(b, is_array ? "array without items" : "map without values", NULL);
        s->element_id = json_id(avro_json_get(j, "element-id"));
        if ((rc = build(b, items, ns, depth + 1, &s->items)))
            return rc;
    } else if (strcmp(t, "fixed") == 0) {
        s->kind = LS_AVRO_FIXED;
        const avro_json *size = avro_json_get(j, "size");
        if (!size || size->kind != AVRO_JSON_NUMBER || !size->is_integer || size->integer < 0 ||
            size->integer > (1 << 20))
            return schema_fail(b, "fixed without a valid size", NULL);
        if ((rc = register_named(b, s, j, &ns)))
            return rc;
        s->fixed_size = (size_t)size->integer;
    } else {
        const ls_avro_schema *named = lookup_named(b, t, ns);
        if (!named)
            return schema_fail(b, "unknown type", t);
        *out = named;
        return LS_OK;
    }
    *out = s;
    return LS_OK;
}

static ls_code build(schema_builder *b, const avro_json *j, const char *ns, size_t depth,
                     const ls_avro_schema **out)
{
    if (depth > LS_AVRO_MAX_DEPTH)
        return ls_error_set(b->err, LS_ERR_TOO_LARGE, "Avro schema nests deeper than %d levels",
                            LS_AVRO_MAX_DEPTH);
    if (j->kind == AVRO_JSON_STRING) {
        ls_avro_kind kind;
        if (primitive_kind(j->string, &kind)) {
            ls_avro_schema *s = avro_arena_alloc(&b->tree->arena, sizeof *s);
            if (!s)
                return schema_nomem(b);
            s->kind = kind;
            s->element_id = LS_AVRO_NO_ID;
            *out = s;
            return LS_OK;
        }
        const ls_avro_schema *named = lookup_named(b, j->string, ns);
        if (!named)
            return schema_fail(b, "unknown type", j->string);
        *out = named;
        return LS_OK;
    }
    if (j->kind == AVRO_JSON_ARRAY) {
        ls_avro_schema *s = avro_arena_alloc(&b->tree->arena, sizeof *s);
        if (!s)
            return schema_nomem(b);
        s->kind = LS_AVRO_UNION;
        s->element_id = LS_AVRO_NO_ID;
        if (j->child_count == 0)
            return schema_fail(b, "empty union", NULL);
        const ls_avro_schema **branches =
            avro_arena_alloc(&b->tree->arena, j->child_count * sizeof *branches);
        if (!branches)
            return schema_nomem(b);
        size_t i = 0;
        for (const avro_json *c = j->first_child; c; c = c->next, i++) {
            ls_code rc = build(b, c, ns, depth + 1, &branches[i]);
            if (rc)
                return rc;
            if (branches[i]->kind == LS_AVRO_UNION)
                return schema_fail(b, "union directly inside a union", NULL);
        }
        s->branches = branches;
        s->count = j->child_count;
        *out = s;
        return LS_OK;
    }
    if (j->kind == AVRO_JSON_OBJECT)
        return build_object(b, j, ns, depth, out);
    return schema_fail(b, "a schema must be a string, array or object", NULL);
}

ls_code ls_avro_schema_parse(const char *json, size_t len, ls_avro_schema_tree **out,
                             ls_error *err)
{
    if (len > LS_AVRO_MAX_SCHEMA_BYTES)
        return ls_error_set(err, LS_ERR_TOO_LARGE, "Avro schema JSON is over %u bytes",
                            LS_AVRO_MAX_SCHEMA_BYTES);
    ls_avro_schema_tree *tree = calloc(1, sizeof *tree);
    if (!tree)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory parsing an Avro schema");
    /* JSON nodes and schema nodes are both small; 32 bytes of source per node
     * is far above what real schemas need, so this cap never bites them. */
    avro_arena_init(&tree->arena, (size_t)64 * LS_AVRO_MAX_SCHEMA_BYTES);
    avro_json *root;
    ls_code rc = avro_json_parse(json, len, &tree->arena, LS_AVRO_MAX_DEPTH, &root, err);
    if (rc)
        goto fail;
    schema_builder b = {.tree = tree, .err = err};
    rc = build(&b, root, NULL, 0, &tree->root);
    if (rc)
        goto fail;
    *out = tree;
    return LS_OK;
fail:
    ls_avro_schema_tree_free(tree);
    return rc;
}

const ls_avro_schema *ls_avro_schema_root(const ls_avro_schema_tree *tree)
{
    return tree->root;
}

void ls_avro_schema_tree_free(ls_avro_schema_tree *tree)
{
    if (!tree)
        return;
    avro_arena_cleanup(&tree->arena);
    free(tree);
}

const ls_avro_field *ls_avro_schema_field(const ls_avro_schema *record, const char *name,
                                          size_t *index_out)
{
    if (!record || record->kind != LS_AVRO_RECORD)
        return NULL;
    for (size_t i = 0; i < record->count; i++) {
        if (strcmp(record->fields[i].name, name) == 0) {
            if (index_out)
                *index_out = i;
            return &record->fields[i];
        }
    }
    return NULL;
}
