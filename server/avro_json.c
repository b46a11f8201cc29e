/*
 * A small JSON parser for Avro schema JSON (and an arena for its nodes). It
 * is iterative with an explicit container stack so hostile input cannot
 * overflow the C stack (STYLE.md rule 9).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "avro_internal.h"

struct avro_arena_chunk {
    avro_arena_chunk *next;
    size_t size, used;
    _Alignas(16) uint8_t data[];
};

void avro_arena_init(avro_arena *a, size_t max_bytes)
{
    a->head = NULL;
    a->used_bytes = 0;
    a->max_bytes = max_bytes;
}

void *avro_arena_alloc(avro_arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (size == 0)
        size = 16;
    if (size > a->max_bytes || a->used_bytes > a->max_bytes - size)
        return NULL;
    avro_arena_chunk *c = a->head;
    if (!c || c->size - c->used < size) {
        size_t chunk = size > 32768 ? size : 32768;
        c = malloc(sizeof *c + chunk);
        if (!c)
            return NULL;
        c->next = a->head;
        c->size = chunk;
        c->used = 0;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    a->used_bytes += size;
    memset(p, 0, size);
    return p;
}

char *avro_arena_strndup(avro_arena *a, const char *s, size_t len)
{
    char *p = avro_arena_alloc(a, len + 1);
    if (p) {
        if (len)
            memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

void avro_arena_reset(avro_arena *a)
{
    avro_arena_chunk *c = a->head;
    if (!c)
        return;
    /* Keep the oldest chunk (the last in the list); it serves the common case
     * of many small records without calling malloc again. */
    while (c->next) {
        avro_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    c->used = 0;
    a->head = c;
    a->used_bytes = 0;
}

void avro_arena_cleanup(avro_arena *a)
{
    avro_arena_chunk *c = a->head;
    while (c) {
        avro_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->used_bytes = 0;
}

const avro_json *avro_json_get(const avro_json *object, const char *key)
{
    if (!object || object->kind != AVRO_JSON_OBJECT)
        return NULL;
    for (const avro_json *c = object->first_child; c; c = c->next)
        if (strcmp(c->key, key) == 0)
            return c;
    return NULL;
}

typedef struct json_parser {
    const char *text;
    size_t len, pos;
    avro_arena *arena;
    ls_error *err;
} json_parser;

static ls_code json_fail(json_parser *p, const char *what)
{
    return ls_error_set(p->err, LS_ERR_FORMAT, "invalid schema JSON at byte %zu: %s", p->pos,
                        what);
}

static void json_skip_ws(json_parser *p)
{
    while (p->pos < p->len && (p->text[p->pos] == ' ' || p->text[p->pos] == '\t' ||
                               p->text[p->pos] == '\n' || p->text[p->pos] == '\r'))
        p->pos++;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int json_read_hex4(json_parser *p, uint32_t *out)
{
    if (p->len - p->pos < 4)
        return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value(p->text[p->pos + (size_t)i]);
        if (h < 0)
            return -1;
        v = (v << 4) | (uint32_t)h;
    }
    p->pos += 4;
    *out = v;
    return 0;
}

static size_t utf8_put(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Parses a string starting at the opening quote. The decoded form is never
 * longer than the source, so one allocation of the source length suffices. */
static ls_code json_string(json_parser *p, const char **out, size_t *out_len)
{
    size_t start = ++p->pos;
    size_t end = start;
    while (end < p->len && p->text[end] != '"') {
        if (p->text[end] == '\\')
            end++;
        end++;
    }
    if (end >= p->len)
        return json_fail(p, "unterminated string");
    char *s = avro_arena_alloc(p->arena, end - start + 1);
    if (!s)
        return ls_error_set(p->err, LS_ERR_TOO_LARGE, "schema JSON exceeds its memory cap");
    size_t n = 0;
    while (p->pos < end) {
        char c = p->text[p->pos++];
        if ((unsigned char)c < 0x20)
            return json_fail(p, "control character in string");
        if (c != '\\') {
            s[n++] = c;
            continue;
        }
        char e = p->text[p->pos++];
        switch (e) {
        case '"': s[n++] = '"'; break;
        case '\\': s[n++] = '\\'; break;
        case '/': s[n++] = '/'; break;
        case 'b': s[n++] = '\b'; break;
        case 'f': s[n++] = '\f'; break;
        case 'n': s[n++] = '\n'; break;
        case 'r': s[n++] = '\r'; break;
        case 't': s[n++] = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (json_read_hex4(p, &cp))
                return json_fail(p, "bad \\u escape");
            if (cp >= 0xd800 && cp < 0xdc00 && p->pos + 6 <= end && p->text[p->pos] == '\\' &&
                p->text[p->pos + 1] == 'u') {
                p->pos += 2;
                if (json_read_hex4(p, &lo) || lo < 0xdc00 || lo > 0xdfff)
                    return json_fail(p, "bad surrogate pair");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            /* \uXXXX is 6 source bytes and decodes to at most 4 (a pair: 12 -> 4). */
            n += utf8_put(cp, s + n);
            break;
        }
        default:
            return json_fail(p, "bad escape");
        }
    }
    p->pos = end + 1;
    s[n] = '\0';
    *out = s;
    *out_len = n;
    return LS_OK;
}

static ls_code json_number(json_parser *p, avro_json *node)
{
    char tmp[64];
    size_t n = 0;
    int integer = 1;
    while (p->pos < p->len && strchr("+-0123456789.eE", p->text[p->pos]) && p->text[p->pos]) {
        if (n + 1 >= sizeof tmp)
            return json_fail(p, "number too long");
        char c = p->text[p->pos++];
        if (c == '.' || c == 'e' || c == 'E')
            integer = 0;
        tmp[n++] = c;
    }
    tmp[n] = '\0';
    char *endp;
    errno = 0;
    node->kind = AVRO_JSON_NUMBER;
    if (integer) {
        long long v = strtoll(tmp, &endp, 10);
        if (*endp || errno || n == 0)
            return json_fail(p, "bad integer");
        node->is_integer = 1;
        node->integer = v;
        node->number = (double)v;
    } else {
        double d = strtod(tmp, &endp);
        if (*endp || n == 0)
            return json_fail(p, "bad number");
        node->number = d;
    }
    return LS_OK;
}

static int json_literal(json_parser *p, const char *word)
{
    size_t n = strlen(word);
    if (p->len - p->pos >= n && memcmp(p->text + p->pos, word, n) == 0) {
        p->pos += n;
        return 1;
    }
    return 0;
}

/* Parses one scalar or the opening of a container into node. */
static ls_code json_value_start(json_parser *p, avro_json *node)
{
    if (p->pos >= p->len)
        return json_fail(p, "unexpected end");
    char c = p->text[p->pos];
    if (c == '{' || c == '[') {
        node->kind = c == '{' ? AVRO_JSON_OBJECT : AVRO_JSON_ARRAY;
        p->pos++;
        return LS_OK;
    }
    if (c == '"') {
        node->kind = AVRO_JSON_STRING;
        return json_string(p, &node->string, &node->string_len);
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return json_number(p, node);
    if (json_literal(p, "true")) {
        node->kind = AVRO_JSON_BOOL;
        node->boolean = 1;
        return LS_OK;
    }
    if (json_literal(p, "false")) {
        node->kind = AVRO_JSON_BOOL;
        return LS_OK;
    }
    if (json_literal(p, "null")) {
        node->kind = AVRO_JSON_NULL;
        return LS_OK;
    }
    return json_fail(p, "unexpected character");
}

enum json_state { WANT_VALUE, WANT_KEY, WANT_KEY_OR_END, WANT_VALUE_OR_END, WANT_COMMA_OR_END };

ls_code avro_json_parse(const char *text, size_t len, avro_arena *arena, size_t max_depth,
                        avro_json **out, ls_error *err)
{
    json_parser p = {.text = text, .len = len, .pos = 0, .arena = arena, .err = err};
    avro_json **stack = calloc(max_depth + 1, sizeof *stack);
    avro_json **tails = calloc(max_depth + 1, sizeof *tails);
    ls_code rc = LS_OK;
    size_t depth = 0;
    avro_json *root = NULL;
    const char *key = NULL;
    enum json_state state = WANT_VALUE;
    if (!stack || !tails) {
        rc = ls_error_set(err, LS_ERR_NOMEM, "out of memory parsing schema JSON");
        goto out;
    }
    for (;;) {
        json_skip_ws(&p);
        if (p.pos >= p.len) {
            rc = json_fail(&p, "unexpected end");
            goto out;
        }
        char c = p.text[p.pos];
        int closed = 0;
        if (state == WANT_KEY_OR_END && c == '}') {
            closed = 1;
        } else if (state == WANT_VALUE_OR_END && c == ']') {
            closed = 1;
        } else if (state == WANT_COMMA_OR_END) {
            avro_json *top = stack[depth - 1];
            if (c == ',') {
                p.pos++;
                state = top->kind == AVRO_JSON_OBJECT ? WANT_KEY : WANT_VALUE;
                continue;
            }
            if (c != (top->kind == AVRO_JSON_OBJECT ? '}' : ']')) {
                rc = json_fail(&p, "expected ',' or a closing bracket");
                goto out;
            }
            closed = 1;
        } else if (state == WANT_KEY || state == WANT_KEY_OR_END) {
            size_t klen;
            if (c != '"') {
                rc = json_fail(&p, "expected an object key");
                goto out;
            }
            if ((rc = json_string(&p, &key, &klen)))
                goto out;
            json_skip_ws(&p);
            if (p.pos >= p.len || p.text[p.pos] != ':') {
                rc = json_fail(&p, "expected ':'");
                goto out;
            }
            p.pos++;
            state = WANT_VALUE;
            continue;
        } else {
            avro_json *node = avro_arena_alloc(arena, sizeof *node);
            if (!node) {
                rc = ls_error_set(err, LS_ERR_TOO_LARGE, "schema JSON exceeds its memory cap");
                goto out;
            }
            if ((rc = json_value_start(&p, node)))
                goto out;
            node->key = key ? key : "";
            key = NULL;
            if (depth == 0) {
                root = node;
            } else {
                avro_json *parent = stack[depth - 1];
                if (tails[depth - 1])
                    tails[depth - 1]->next = node;
                else
                    parent->first_child = node;
                tails[depth - 1] = node;
                parent->child_count++;
            }
            if (node->kind == AVRO_JSON_OBJECT || node->kind == AVRO_JSON_ARRAY) {
                if (depth >= max_depth) {
                    rc = ls_error_set(err, LS_ERR_TOO_LARGE,
                                      "schema JSON nests deeper than %zu levels", max_depth);
                    goto out;
                }
                stack[depth] = node;
                tails[depth] = NULL;
                depth++;
                state = node->kind == AVRO_JSON_OBJECT ? WANT_KEY_OR_END : WANT_VALUE_OR_END;
                continue;
            }
            if (depth == 0)
                break;
            state = WANT_COMMA_OR_END;
            continue;
        }
        if (closed) {
            p.pos++;
            depth--;
            if (depth == 0)
                break;
            state = WANT_COMMA_OR_END;
        }
    }
    json_skip_ws(&p);
    if (p.pos != p.len) {
        rc = json_fail(&p, "trailing characters");
        goto out;
    }
    *out = root;
out:
    free(stack);
    free(tails);
    return rc;
}
