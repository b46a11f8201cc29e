/*
 * A small XML reader for the few S3 responses we read (ListObjectsV2,
 * CreateMultipartUpload, CompleteMultipartUpload, errors). Not a general
 * parser: elements, attributes (skipped), text, CDATA, comments, processing
 * instructions and the five predefined entities plus numeric references.
 * DOCTYPE is refused (no entity expansion). An explicit stack with a depth cap
 * replaces recursion (STYLE rule 9).
 */
#include <stdlib.h>
#include <string.h>

#include "objstore_internal.h"

#define XML_MAX_DEPTH 16
#define XML_NAME_MAX 64
#define XML_TEXT_MAX (64 * 1024)

typedef ls_code (*xml_close_fn)(void *ctx, char names[][XML_NAME_MAX], size_t depth,
                                const char *text, size_t text_len, ls_error *err);

typedef struct xml_reader {
    const char *p, *end;
    char names[XML_MAX_DEPTH][XML_NAME_MAX];
    size_t depth;
    ls_buf text;
} xml_reader;

static bool starts(const xml_reader *r, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(r->end - r->p) >= n && memcmp(r->p, s, n) == 0;
}

/* Moves past the next occurrence of s; LS_ERR_FORMAT when there is none. */
static ls_code skip_past(xml_reader *r, const char *s, ls_error *err)
{
    size_t n = strlen(s);
    for (const char *q = r->p; q + n <= r->end; q++) {
        if (memcmp(q, s, n) == 0) {
            r->p = q + n;
            return LS_OK;
        }
    }
    return ls_error_set(err, LS_ERR_FORMAT, "XML response ends inside a markup ('%s' missing)", s);
}

static ls_code append_utf8(ls_buf *b, unsigned long cp, ls_error *err)
{
    uint8_t out[4];
    size_t n;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return ls_error_set(err, LS_ERR_FORMAT, "XML character reference out of range");
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        out[0] = (uint8_t)(0xF0 | (cp >> 18));
        out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return ls_buf_append(b, out, n, err);
}

/* Decodes one entity starting at '&'. */
static ls_code read_entity(xml_reader *r, ls_error *err)
{
    const char *semi = memchr(r->p, ';', (size_t)(r->end - r->p) < 12 ? (size_t)(r->end - r->p) : 12);
    if (!semi)
        return ls_error_set(err, LS_ERR_FORMAT, "XML text has a bare '&'");
    const char *name = r->p + 1;
    size_t n = (size_t)(semi - name);
    static const struct {
        const char *name;
        char c;
    } named[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
    r->p = semi + 1;
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (strlen(named[i].name) == n && memcmp(name, named[i].name, n) == 0)
            return ls_buf_append_byte(&r->text, (uint8_t)named[i].c, err);
    if (n >= 2 && name[0] == '#') {
        bool hex = name[1] == 'x';
        unsigned long cp = 0;
        size_t start = hex ? 2 : 1;
        if (start >= n)
            return ls_error_set(err, LS_ERR_FORMAT, "empty XML character reference");
        for (size_t i = start; i < n; i++) {
            char c = name[i];
            int d = (c >= '0' && c <= '9')                ? c - '0'
                    : (hex && c >= 'a' && c <= 'f')       ? c - 'a' + 10
                    : (hex && c >= 'A' && c <= 'F')       ? c - 'A' + 10
                                                          : -1;
            if (d < 0)
                return ls_error_set(err, LS_ERR_FORMAT, "bad XML character reference");
            cp = cp * (hex ? 16 : 10) + (unsigned long)d;
            if (cp > 0x10FFFF)
                return ls_error_set(err, LS_ERR_FORMAT, "XML character reference out of range");
        }
        return append_utf8(&r->text, cp, err);
    }
    return ls_error_set(err, LS_ERR_FORMAT, "unknown XML entity '&%.*s;'", (int)n, name);
}

static ls_code read_name(xml_reader *r, char out[XML_NAME_MAX], ls_error *err)
{
    size_t n = 0;
    while (r->p < r->end && *r->p != '>' && *r->p != '/' && *r->p != ' ' && *r->p != '\t' &&
           *r->p != '\r' && *r->p != '\n') {
        if (n + 1 >= XML_NAME_MAX)
            return ls_error_set(err, LS_ERR_FORMAT, "XML element name too long");
        out[n++] = *r->p++;
    }
    out[n] = '\0';
    if (n == 0)
        return ls_error_set(err, LS_ERR_FORMAT, "XML element without a name");
    return LS_OK;
}

/* Reads "<name attr="v" ...>" or "<name/>" from just after '<'. */
static ls_code read_open_tag(xml_reader *r, xml_close_fn on_close, void *ctx, ls_error *err)
{
    if (r->depth >= XML_MAX_DEPTH)
        return ls_error_set(err, LS_ERR_FORMAT, "XML nested deeper than %d", XML_MAX_DEPTH);
    ls_code rc = read_name(r, r->names[r->depth], err);
    if (rc)
        return rc;
    char quote = 0;
    while (r->p < r->end) {
        char c = *r->p++;
        if (quote) {
            if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '>') {
            /* r->p is past '>'; a name of at least one byte precedes it. */
            bool self_closing = r->p[-2] == '/';
            r->depth++;
            ls_buf_reset(&r->text);
            if (!self_closing)
                return LS_OK;
            rc = on_close(ctx, r->names, r->depth, "", 0, err);
            r->depth--;
            return rc;
        }
    }
    return ls_error_set(err, LS_ERR_FORMAT, "XML response ends inside a tag");
}

static ls_code read_close_tag(xml_reader *r, xml_close_fn on_close, void *ctx, ls_error *err)
{
    char name[XML_NAME_MAX];
    ls_code rc = read_name(r, name, err);
    if (rc)
        return rc;
    while (r->p < r->end && *r->p != '>')
        r->p++;
    if (r->p >= r->end)
        return ls_error_set(err, LS_ERR_FORMAT, "XML response ends inside a closing tag");
    r->p++;
    if (r->depth == 0 || strcmp(r->names[r->depth - 1], name) != 0)
        return ls_error_set(err, LS_ERR_FORMAT, "XML closing tag </%s> does not match", name);
    const char *text = r->text.data ? (const char *)r->text.data : "";
    rc = on_close(ctx, r->names, r->depth, text, r->text.len, err);
    r->depth--;
    ls_buf_reset(&r->text);
    return rc;
}

static ls_code xml_walk(const char *xml, size_t len, xml_close_fn on_close, void *ctx,
                        ls_error *err)
{
    xml_reader r = {.p = xml, .end = xml + len, .depth = 0};
    ls_buf_init(&r.text, XML_TEXT_MAX);
    ls_code rc = LS_OK;
    bool seen_root = false;
    while (!rc && r.p < r.end) {
        if (starts(&r, "<?")) {
            rc = skip_past(&r, "?>", err);
        } else if (starts(&r, "<!--")) {
            rc = skip_past(&r, "-->", err);
        } else if (starts(&r, "<![CDATA[")) {
            r.p += 9;
            const char *start = r.p;
            rc = skip_past(&r, "]]>", err);
            if (!rc)
                rc = ls_buf_append(&r.text, start, (size_t)(r.p - 3 - start), err);
        } else if (starts(&r, "<!")) {
            rc = ls_error_set(err, LS_ERR_FORMAT, "XML DOCTYPE and declarations are refused");
        } else if (starts(&r, "</")) {
            r.p += 2;
            rc = read_close_tag(&r, on_close, ctx, err);
        } else if (*r.p == '<') {
            r.p++;
            if (r.depth == 0 && seen_root)
                rc = ls_error_set(err, LS_ERR_FORMAT, "XML has more than one root element");
            seen_root = true;
            if (!rc)
                rc = read_open_tag(&r, on_close, ctx, err);
        } else if (*r.p == '&') {
            rc = read_entity(&r, err);
        } else {
            if (r.depth == 0 && *r.p != ' ' && *r.p != '\n' && *r.p != '\r' && *r.p != '\t')
                rc = ls_error_set(err, LS_ERR_FORMAT, "XML has text outside its root element");
            else
                rc = ls_buf_append_byte(&r.text, (uint8_t)*r.p, err);
            r.p++;
        }
    }
    if (!rc && (r.depth != 0 || !seen_root))
        rc = ls_error_set(err, LS_ERR_FORMAT, "XML response is incomplete");
    if (rc == LS_ERR_TOO_LARGE && err)
        err->code = LS_ERR_FORMAT;
    ls_buf_cleanup(&r.text);
    return rc;
}

typedef struct list_ctx {
    const char *strip_prefix;
    ls_objstore_list_page *page;
    bool *truncated;
    char **next_token;
    char key[LS_OBJSTORE_KEY_MAX + 1];
    size_t key_len;
    bool have_key;
    uint64_t size;
    bool have_size;
    int64_t modified_ms;
} list_ctx;

static ls_code parse_u64(const char *text, size_t len, uint64_t *out, ls_error *err)
{
    uint64_t v = 0;
    if (len == 0 || len > 20)
        return ls_error_set(err, LS_ERR_FORMAT, "bad object size in a listing");
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return ls_error_set(err, LS_ERR_FORMAT, "bad object size in a listing");
        uint64_t d = (uint64_t)(text[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return ls_error_set(err, LS_ERR_FORMAT, "object size overflows");
        v = v * 10 + d;
    }
    *out = v;
    return LS_OK;
}

static ls_code list_on_close(void *vctx, char names[][XML_NAME_MAX], size_t depth,
                             const char *text, size_t len, ls_error *err)
{
    list_ctx *c = vctx;
    const char *name = names[depth - 1];
    if (depth == 3 && strcmp(names[1], "Contents") == 0) {
        if (strcmp(name, "Key") == 0) {
            if (len > LS_OBJSTORE_KEY_MAX)
                return ls_error_set(err, LS_ERR_FORMAT, "listed key too long");
            memcpy(c->key, text, len);
            c->key[len] = '\0';
            c->key_len = len;
            c->have_key = true;
        } else if (strcmp(name, "Size") == 0) {
            ls_code rc = parse_u64(text, len, &c->size, err);
            if (rc)
                return rc;
            c->have_size = true;
        } else if (strcmp(name, "LastModified") == 0) {
            c->modified_ms = ls_objstore_parse_iso8601_ms(text, len);
        }
        return LS_OK;
    }
    if (depth == 2 && strcmp(name, "Contents") == 0) {
        if (!c->have_key || !c->have_size)
            return ls_error_set(err, LS_ERR_FORMAT, "listing entry without Key or Size");
        size_t skip = strlen(c->strip_prefix);
        if (c->key_len < skip || memcmp(c->key, c->strip_prefix, skip) != 0)
            return ls_error_set(err, LS_ERR_FORMAT, "listed key outside the requested prefix");
        c->have_key = c->have_size = false;
        int64_t modified_ms = c->modified_ms;
        c->modified_ms = 0;
        return ls_objstore_page_append(c->page, c->key + skip, c->key_len - skip, c->size,
                                       modified_ms, err);
    }
    if (depth == 2 && strcmp(name, "IsTruncated") == 0) {
        *c->truncated = len == 4 && memcmp(text, "true", 4) == 0;
    } else if (depth == 2 && strcmp(name, "NextContinuationToken") == 0 && len > 0) {
        free(*c->next_token);
        *c->next_token = strndup(text, len);
        if (!*c->next_token)
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory");
    } else if (depth == 1 && strcmp(name, "ListBucketResult") != 0) {
        return ls_error_set(err, LS_ERR_FORMAT, "expected ListBucketResult, got <%s>", name);
    }
    return LS_OK;
}

ls_code ls_objstore_parse_list_xml(const char *xml, size_t len, const char *strip_prefix,
                                   ls_objstore_list_page *page, bool *truncated,
                                   char **next_token, ls_error *err)
{
    list_ctx c = {.strip_prefix = strip_prefix ? strip_prefix : "",
                  .page = page,
                  .truncated = truncated,
                  .next_token = next_token};
    *truncated = false;
    *next_token = NULL;
    ls_code rc = xml_walk(xml, len, list_on_close, &c, err);
    if (!rc && *truncated && !*next_token)
        rc = ls_error_set(err, LS_ERR_FORMAT, "truncated listing without NextContinuationToken");
    if (rc) {
        free(*next_token);
        *next_token = NULL;
    }
    return rc;
}

typedef struct find_ctx {
    const char *tag;
    char *out;
    size_t out_size;
    bool found;
    char *message;
    size_t message_size;
} find_ctx;

static ls_code find_on_close(void *vctx, char names[][XML_NAME_MAX], size_t depth,
                             const char *text, size_t len, ls_error *err)
{
    (void)err;
    find_ctx *c = vctx;
    const char *name = names[depth - 1];
    if (depth == 2 && !c->found && strcmp(name, c->tag) == 0) {
        size_t n = len < c->out_size - 1 ? len : c->out_size - 1;
        memcpy(c->out, text, n);
        c->out[n] = '\0';
        c->found = true;
    } else if (depth == 2 && c->message && strcmp(name, "Message") == 0) {
        size_t n = len < c->message_size - 1 ? len : c->message_size - 1;
        memcpy(c->message, text, n);
        c->message[n] = '\0';
    }
    return LS_OK;
}

ls_code ls_objstore_xml_find_text(const char *xml, size_t len, const char *tag, char *out,
                                  size_t out_size, ls_error *err)
{
    find_ctx c = {.tag = tag, .out = out, .out_size = out_size};
    out[0] = '\0';
    ls_code rc = xml_walk(xml, len, find_on_close, &c, err);
    if (!rc && !c.found)
        rc = ls_error_set(err, LS_ERR_FORMAT, "response has no <%s>", tag);
    return rc;
}

void ls_objstore_parse_error_xml(const char *xml, size_t len, char *code, size_t code_size,
                                 char *message, size_t message_size)
{
    find_ctx c = {.tag = "Code", .out = code, .out_size = code_size, .message = message,
                  .message_size = message_size};
    code[0] = '\0';
    message[0] = '\0';
    ls_error ignored;
    ls_error_clear(&ignored);
    (void)xml_walk(xml, len, find_on_close, &c, &ignored);
}

ls_code ls_objstore_xml_escape(ls_buf *out, const char *s, ls_error *err)
{
    ls_code rc = LS_OK;
    for (; *s && !rc; s++) {
        switch (*s) {
        case '&': rc = ls_buf_append_str(out, "&amp;", err); break;
        case '<': rc = ls_buf_append_str(out, "&lt;", err); break;
        case '>': rc = ls_buf_append_str(out, "&gt;", err); break;
        case '"': rc = ls_buf_append_str(out, "&quot;", err); break;
        case '\'': rc = ls_buf_append_str(out, "&apos;", err); break;
        default: rc = ls_buf_append_byte(out, (uint8_t)*s, err); break;
        }
    }
    return rc;
}
