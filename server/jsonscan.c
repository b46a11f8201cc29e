/*
 * The hot-path JSON scanner (see jsonscan.h for the contract).
 *
 * One pass, no tree: a loop over the bytes with an explicit stack of open
 * containers. The plan's source paths form a trie; while the scanner walks
 * objects above the parse level it looks each key up among the children of
 * the current trie node, so values nobody maps are only validated, never
 * copied. An object or array that a column wants as JSON text is
 * "captured": when it closes, its span of the message is the text, used in
 * place when no whitespace was skipped inside it (the scanner notes where it
 * last skipped any), otherwise compacted once into a buffer. Strings are
 * unescaped only when a column takes them and they hold a backslash.
 */
#include "jsonscan.h"

#include "util/text.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define NONE UINT32_MAX

/* The string scanner reads 8 bytes at a time and finds the first special
 * byte by counting trailing zero bits, which assumes little-endian loads. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "jsonscan assumes little-endian");
#define PATH_BUF_BYTES (LS_JSONSCAN_MAX_PATH_BYTES + 8)

typedef struct plan_field {
    char *source;
    size_t column;
    ls_type type;
    bool required;
    uint32_t next; /* next field on the same node, or NONE */
} plan_field;

/* A plain key as compact JSON spells it, closing quote and ':' included
 * (`name":`), in two little-endian words with a mask of the bytes that count:
 * a member whose key is the predicted one is recognized with two loads and
 * compares instead of a key compare, a quote check and a colon check (near
 * the end of a message, where 16 bytes cannot be loaded, with a compare of
 * its len bytes). Keys of up to KEY_PATTERN_MAX bytes have one. */
#define KEY_PATTERN_BYTES 16
#define KEY_PATTERN_MAX (KEY_PATTERN_BYTES - 2)
typedef struct key_pattern {
    uint64_t word[2], mask[2];
    size_t len; /* key bytes + 2 */
} key_pattern;

/* A learned guess of the next key (see plan_node): the node, and its pattern
 * when it has one, so checking the guess needs no lookup in the nodes. */
typedef struct key_guess {
    uint32_t node; /* NONE: no guess */
    const key_pattern *pattern;
} key_guess;

#define NO_GUESS ((key_guess){.node = NONE, .pattern = NULL})

typedef struct plan_node {
    uint8_t *key; /* unescaped key bytes (owned) */
    size_t key_len;
    uint32_t hash;
    uint32_t parent;
    uint32_t fields; /* first field, or NONE */
    uint32_t child_count;
    uint32_t table_start; /* open-addressing slots in plan->slots */
    uint32_t table_mask;
    /* Key prediction: messages of one topic mostly repeat their key order,
     * so the scanner remembers which child came first in this node's object
     * last time (guess_first) and which sibling followed this node
     * (guess_next), and tries that key's bytes before hashing (see
     * key_predicted). Learned while scanning; NONE when unknown. */
    key_guess guess_first;
    key_guess guess_next;
    bool plain; /* key bytes can be matched in a message as they are: valid
                   UTF-8 without quotes, backslashes or control characters */
    bool has_pattern; /* plain and at most KEY_PATTERN_MAX bytes */
    key_pattern pattern;
} plan_node;

typedef struct unmapped_entry {
    char *path;
    unsigned kinds;
} unmapped_entry;

enum { NOT_LISTED = 0, LISTED, HELD };

/* One open container. */
typedef struct frame {
    uint32_t node;          /* trie node whose children are looked up, NONE when not expanding */
    key_guess *guess_slot;  /* where the guess for the next key is learned, NULL for none */
    key_guess guess;        /* the guess itself, copied from *guess_slot */
    uint32_t target_fields; /* fields receiving this container's text, or NONE */
    size_t path_len;        /* path length of this container */
    size_t offset;          /* where the container starts in the message */
    uint8_t depth;          /* depth of this container's value (root = 0) */
    bool is_object;
    bool expand;   /* members are fields or are expanded further */
    bool hook;     /* this container is a leaf the hook wants */
    bool captured; /* this container opened a capture */
} frame;

/* What the scanner knows about the value it is about to read. */
typedef struct value_ctx {
    uint32_t node;
    uint32_t fields;
    size_t path_len;
    unsigned depth;
    bool in_levels; /* depth within 1..level (or the root at level 0) */
    /* In collect_unmapped mode the source path is built only when a hook or
     * an expanded object needs it (value_path): most keys are mapped and
     * never need theirs. lazy_key NULL: path_len is already set. */
    const uint8_t *lazy_key;
    size_t lazy_len, lazy_base;
    bool lazy_dot;
} value_ctx;

struct ls_jsonscan_plan {
    int level;
    size_t max_depth;
    size_t max_message_bytes;
    bool collect_unmapped;
    bool hooks; /* walk_fn != NULL || collect_unmapped, kept for hook_mode */
    plan_field *fields;
    size_t field_count;
    bool any_required; /* check_required has work to do */
    plan_node *nodes;
    size_t node_count;
    uint32_t *slots;
    uint32_t value_fields; /* "__value__" */
    uint32_t partition_fields, offset_fields, timestamp_fields, key_fields;
    frame *stack;
    /* Conversion errors held back until the message ends (see deliver). */
    uint8_t *pending; /* per field: NOT_LISTED, LISTED or HELD */
    uint32_t *pending_list;
    size_t pending_count;
    ls_jsonscan_error *field_errors;
    ls_buf capture; /* compacted container text; NUL-terminated numbers for strtod */
    ls_buf scratch; /* unescaped strings and keys */
    char path[PATH_BUF_BYTES];
    /* Walk mode (ls_json_walk): every leaf goes to the callback. */
    ls_json_leaf_fn walk_fn;
    void *walk_ctx;
    ls_code walk_rc;
    /* Unmapped-path set. */
    unmapped_entry *unmapped;
    size_t unmapped_count, unmapped_dropped;
    uint32_t *unmapped_table; /* 2 * LS_JSONSCAN_MAX_UNMAPPED slots */
    bool hold_unmapped;     /* see ls_jsonscan_set_hold_unmapped */
    char **ignored;           /* options.ignored_paths, copied */
    uint32_t *ignored_table;  /* open addressing, ignored_mask + 1 slots */
    uint32_t ignored_mask;
    size_t ignored_count;
    uint64_t checked_batch; /* id of the last batch check_batch accepted, 0: none */
    size_t unmapped_values; /* non-null unmapped values in the current message */
    size_t duplicate_keys;  /* mapped values of the current message that replaced one */
};

/* A scalar token or a captured container, handed to the coercions. */
typedef struct token {
    ls_json_kind kind;
    const uint8_t *raw; /* numbers, literals: the text; strings: with quotes; containers: compact */
    size_t raw_len;
    bool escaped;  /* a string with backslashes */
    bool verbatim; /* raw bytes are the content: the Kafka key, a whole string message */
    size_t offset;
} token;

typedef struct scanner {
    ls_jsonscan_plan *plan;
    const uint8_t *start, *p, *end;
    ls_column_batch *batch;
    ls_jsonscan_error *record;
    ls_error *err;
    size_t stack_count;
    bool root_not_object;
    size_t ws_end;     /* just past the last whitespace skipped between tokens */
    const char *field; /* source path of the field being converted */
} scanner;

/* ---------------------------------------------------------------- errors */

static const char *const error_kind_names[] = {
    "ok",         "invalid_json",  "invalid_utf8", "too_deep",      "too_large",
    "not_object", "type_mismatch", "out_of_range", "required_null", "type_conflict",
};

const char *ls_jsonscan_error_kind_name(ls_jsonscan_error_kind kind)
{
    if ((size_t)kind < sizeof error_kind_names / sizeof error_kind_names[0])
        return error_kind_names[kind];
    return "unknown";
}

const char *ls_json_kind_name(ls_json_kind kind)
{
    static const char *const names[] = {"null",   "boolean", "integer", "real",
                                        "string", "object",  "array"};
    if ((size_t)kind < sizeof names / sizeof names[0])
        return names[kind];
    return "unknown";
}

/* Records the first record-level error; returns LS_ERR_INVALID so callers can
 * write `return fail(...)`. */
LS_PRINTF(4, 5)
static ls_code fail(scanner *s, ls_jsonscan_error_kind kind, const uint8_t *at, const char *fmt,
                    ...)
{
    ls_jsonscan_error *r = s->record;
    if (r->kind != LS_JSONSCAN_OK)
        return LS_ERR_INVALID;
    r->kind = kind;
    r->offset = at ? (size_t)(at - s->start) : 0;
    snprintf(r->field, sizeof r->field, "%s", s->field ? s->field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    return LS_ERR_INVALID;
}

/* Errors from the column batch or buffers: a cap is the record's fault
 * (too_large), allocation failure is not. */
static ls_code sink_error(scanner *s, ls_code rc, const uint8_t *at)
{
    if (rc == LS_ERR_TOO_LARGE)
        return fail(s, LS_JSONSCAN_TOO_LARGE, at, "value exceeds a buffer cap: %s",
                    s->err->message);
    return rc;
}

/* ---------------------------------------------------------------- bytes */

/* Byte classes inside strings: 0 plain ASCII, 1 quote, 2 backslash, 3 control,
 * 4-6 UTF-8 lead bytes of 2-4 byte sequences, 7 never valid. */
static const uint8_t string_class[256] = {
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    7, 7, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
};

static inline bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline const uint8_t *skip_ws(const uint8_t *p, const uint8_t *end)
{
    while (p < end && is_ws(*p))
        p++;
    return p;
}

/* skip_ws for the scanner: remembers where whitespace was last skipped, so
 * a captured container with none inside needs no compaction pass. */
static inline const uint8_t *skip_ws_noted(scanner *s, const uint8_t *p)
{
    /* One compare rules out the usual case, a structural byte or a letter. */
    if (p < s->end && *p <= ' ' && is_ws(*p)) {
        p = skip_ws(p, s->end);
        s->ws_end = (size_t)(p - s->start);
    }
    return p;
}

/* A mask with the high bit set in the lowest byte of x that needs a closer
 * look inside a string (a quote, a backslash, a control character or a
 * non-ASCII byte), 0 when none does. Bits above the first flagged byte may
 * be spurious (borrows), so only the lowest one is used. */
static inline uint64_t swar_special(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');
    uint64_t control = (x - ones * 0x20) & ~x;
    uint64_t zq = (quote - ones) & ~quote, zb = (backslash - ones) & ~backslash;
    return (control | zq | zb | x) & highs;
}

/* Skips string bytes that need no closer look: returns the first quote,
 * backslash, control character or non-ASCII byte at or after p, or end. SSE2
 * (baseline on x86_64) takes 16 bytes at a time; other targets use the
 * 8-byte SWAR test. Neither reads at or past end. */
static inline const uint8_t *string_skip_plain(const uint8_t *p, const uint8_t *end)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(' ');
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* A signed compare: bytes 0x80-0xFF are negative, so "below a space"
         * flags control characters and non-ASCII bytes together. */
        __m128i special = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
            _mm_cmplt_epi8(x, space));
        unsigned mask = (unsigned)_mm_movemask_epi8(special);
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    while (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        uint64_t mask = swar_special(x);
        if (mask)
            return p + (unsigned)__builtin_ctzll(mask) / 8; /* little-endian: lowest byte first */
        p += 8;
    }
    while (p < end && string_class[*p] == 0)
        p++;
    return p;
}

/* Validates one UTF-8 sequence starting with lead byte class cls at p.
 * Returns its length, or 0 when invalid. */
static size_t utf8_sequence(const uint8_t *p, const uint8_t *end, uint8_t cls)
{
    size_t n = (size_t)cls - 2; /* class 4 -> 2 bytes, 5 -> 3, 6 -> 4 */
    if ((size_t)(end - p) < n)
        return 0;
    uint8_t lo = 0x80, hi = 0xBF;
    if (p[0] == 0xE0)
        lo = 0xA0;
    else if (p[0] == 0xED)
        hi = 0x9F; /* no UTF-16 surrogates encoded as UTF-8 */
    else if (p[0] == 0xF0)
        lo = 0x90;
    else if (p[0] == 0xF4)
        hi = 0x8F; /* nothing above U+10FFFF */
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

static bool utf8_valid(const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len;
    while (p < end) {
        uint8_t cls = string_class[*p];
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t n = cls >= 4 && cls <= 6 ? utf8_sequence(p, end, cls) : 0;
        if (n == 0)
            return false;
        p += n;
    }
    return true;
}

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits of a \u escape at p (just past "\u"). -1 if bad. */
static long hex4(const uint8_t *p, const uint8_t *end)
{
    if (end - p < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Validates an escape at p (on the backslash). Returns its length or 0 after
 * recording the error. */
static size_t scan_escape(scanner *s, const uint8_t *p)
{
    const uint8_t *end = s->end;
    if (end - p < 2) {
        fail(s, LS_JSONSCAN_INVALID_JSON, p, "unterminated string");
        return 0;
    }
    switch (p[1]) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
        return 2;
    case 'u':
        break;
    default:
        fail(s, LS_JSONSCAN_INVALID_JSON, p, "invalid escape '\\%c'",
             p[1] >= 0x20 && p[1] < 0x7f ? p[1] : '?');
        return 0;
    }
    long u = hex4(p + 2, end);
    if (u < 0) {
        fail(s, LS_JSONSCAN_INVALID_JSON, p, "invalid \\u escape");
        return 0;
    }
    if (u >= 0xDC00 && u <= 0xDFFF) {
        fail(s, LS_JSONSCAN_INVALID_UTF8, p, "lone low surrogate \\u%04lX", u);
        return 0;
    }
    if (u < 0xD800 || u > 0xDBFF)
        return 6;
    long lo = (end - p >= 8 && p[6] == '\\' && p[7] == 'u') ? hex4(p + 8, end) : -1;
    if (lo < 0xDC00 || lo > 0xDFFF) {
        fail(s, LS_JSONSCAN_INVALID_UTF8, p, "high surrogate \\u%04lX without a low surrogate", u);
        return 0;
    }
    return 12;
}

/* scan_string from p, inside the string: the loop over escapes, UTF-8 and
 * errors. */
static const uint8_t *scan_string_rest(scanner *s, const uint8_t *p, bool *escaped)
{
    const uint8_t *end = s->end;
    for (;;) {
        p = string_skip_plain(p, end);
        if (p >= end) {
            fail(s, LS_JSONSCAN_INVALID_JSON, p, "unterminated string");
            return NULL;
        }
        uint8_t cls = string_class[*p];
        if (cls == 0) {
            p++;
        } else if (cls == 1) {
            return p + 1;
        } else if (cls == 2) {
            size_t n = scan_escape(s, p);
            if (n == 0)
                return NULL;
            *escaped = true;
            p += n;
        } else if (cls == 3) {
            fail(s, LS_JSONSCAN_INVALID_JSON, p, "unescaped control character 0x%02x in a string",
                 *p);
            return NULL;
        } else {
            size_t n = cls == 7 ? 0 : utf8_sequence(p, end, cls);
            if (n == 0) {
                fail(s, LS_JSONSCAN_INVALID_UTF8, p, "invalid UTF-8 in a string");
                return NULL;
            }
            p += n;
        }
    }
}

/* Scans a string whose opening quote is at p. Returns the position after the
 * closing quote, or NULL after recording the error. */
static const uint8_t *scan_string(scanner *s, const uint8_t *p, bool *escaped)
{
    return scan_string_rest(s, p + 1, escaped);
}

/* scan_string for values, inlined where they are read: most strings are
 * plain ASCII up to their closing quote, found without a call. */
static inline const uint8_t *scan_string_value(scanner *s, const uint8_t *p, bool *escaped)
{
    const uint8_t *q = string_skip_plain(p + 1, s->end);
    if (q < s->end && *q == '"')
        return q + 1;
    return scan_string_rest(s, q, escaped);
}

static size_t utf8_encode(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Unescapes an already validated string body into out (which must hold len
 * bytes: unescaping never grows a string). Returns the new length. */
static size_t unescape(const uint8_t *p, size_t len, uint8_t *out)
{
    const uint8_t *end = p + len;
    uint8_t *o = out;
    while (p < end) {
        const uint8_t *bs = memchr(p, '\\', (size_t)(end - p));
        size_t run = bs ? (size_t)(bs - p) : (size_t)(end - p);
        memcpy(o, p, run);
        o += run;
        p += run;
        if (!bs)
            break;
        uint8_t c = p[1];
        p += 2;
        switch (c) {
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u': {
            uint32_t cp = (uint32_t)hex4(p, end);
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo = (uint32_t)hex4(p + 2, end);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            o += utf8_encode(cp, o);
            break;
        }
        default:
            *o++ = c;
            break;
        }
    }
    return (size_t)(o - out);
}

/* Scans a number at p per RFC 8259. Returns the end or NULL if malformed;
 * sets *real when it has a fraction or exponent. */
static const uint8_t *scan_number(const uint8_t *p, const uint8_t *end, bool *real)
{
    *real = false;
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        return NULL;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return NULL;
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        *real = true;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        *real = true;
    }
    return p;
}

/* ---------------------------------------------------------------- numbers */

/* A validated JSON number as sign, up to 38 significant digits and a power of
 * ten: value = (neg ? -1 : 1) * mantissa * 10^exp10, plus what was dropped. */
typedef struct decimal_parts {
    bool neg;
    ls_int128 mantissa;
    int64_t exp10;
    unsigned digits;
    bool dropped_nonzero; /* fraction digits beyond 38 significant ones, not all 0 */
    int first_dropped;    /* the first dropped fraction digit, -1 when none */
} decimal_parts;

enum { DEC_OK = 0, DEC_INEXACT, DEC_OVERFLOW };

/* The exponent of a validated number, p just past the 'e'. Magnitudes stop
 * growing at 10^9: far beyond any double or decimal, and no overflow. */
static int64_t exponent_parse(const uint8_t *p, const uint8_t *end)
{
    bool neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    int64_t e = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++)
        if (e < 1000000000)
            e = e * 10 + (*p - '0');
    return neg ? -e : e;
}

static void decimal_parse(const uint8_t *p, const uint8_t *end, decimal_parts *d)
{
    *d = (decimal_parts){.first_dropped = -1};
    if (*p == '-') {
        d->neg = true;
        p++;
    }
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        if (d->mantissa == 0 && *p == '0')
            continue;
        if (d->digits < 38) {
            d->mantissa = d->mantissa * 10 + (*p - '0');
            d->digits++;
        } else {
            d->exp10++; /* integer digits beyond 38: the magnitude overflows anyway */
        }
    }
    if (p < end && *p == '.') {
        for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
            if (d->mantissa == 0 && *p == '0') {
                d->exp10--;
            } else if (d->digits < 38) {
                d->mantissa = d->mantissa * 10 + (*p - '0');
                d->digits++;
                d->exp10--;
            } else {
                if (d->first_dropped < 0)
                    d->first_dropped = *p - '0';
                if (*p != '0')
                    d->dropped_nonzero = true;
            }
        }
    }
    if (p < end && (*p == 'e' || *p == 'E'))
        d->exp10 += exponent_parse(p + 1, end);
}

static ls_int128 pow10_128(unsigned n)
{
    ls_int128 v = 1;
    while (n--)
        v *= 10;
    return v;
}

/* The value as an integer count of 10^-scale units. With round, extra digits
 * round half away from zero; without, they make the result DEC_INEXACT.
 * Magnitudes of 10^38 and more are DEC_OVERFLOW. */
static int decimal_scaled(const decimal_parts *d, unsigned scale, bool round, ls_int128 *out)
{
    const ls_int128 limit = pow10_128(38);
    ls_int128 m = d->mantissa;
    *out = 0;
    if (m == 0)
        return DEC_OK;
    int64_t k = d->exp10 + (int64_t)scale;
    bool inexact = d->dropped_nonzero;
    if (k >= 0) {
        for (; k > 0; k--) {
            if (m >= limit / 10)
                return DEC_OVERFLOW;
            m *= 10;
        }
        if (round && d->first_dropped >= 5)
            m++;
    } else if (k < -38) {
        m = 0;
        inexact = true;
    } else {
        ls_int128 p = pow10_128((unsigned)-k);
        ls_int128 r = m % p;
        m /= p;
        if (r != 0)
            inexact = true;
        if (round && r >= p - r)
            m++;
    }
    if (m >= limit)
        return DEC_OVERFLOW;
    *out = d->neg ? -m : m;
    return inexact && !round ? DEC_INEXACT : DEC_OK;
}

static const double exact_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Clinger's exact fast path on a validated number: with at most 15
 * significant digits (below 2^53) and a power of ten that a double holds
 * exactly (10^-22 .. 10^22), one multiplication or division rounds
 * correctly, as strtod would. Digits and exponent are counted as
 * decimal_parse counts them, in 64-bit arithmetic. false when the number
 * needs the general path. */
static bool double_fast_path(const uint8_t *p, const uint8_t *end, double *out)
{
    bool neg = p < end && *p == '-';
    p += neg;
    uint64_t mantissa = 0;
    unsigned digits = 0;
    int64_t exp10 = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        if (mantissa == 0 && *p == '0')
            continue;
        if (++digits > 15)
            return false;
        mantissa = mantissa * 10 + (uint64_t)(*p - '0');
    }
    if (p < end && *p == '.') {
        for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
            exp10--;
            if (mantissa == 0 && *p == '0')
                continue;
            if (++digits > 15)
                return false;
            mantissa = mantissa * 10 + (uint64_t)(*p - '0');
        }
    }
    if (p < end && (*p == 'e' || *p == 'E'))
        exp10 += exponent_parse(p + 1, end);
    if (exp10 < -22 || exp10 > 22)
        return false;
    double v = (double)mantissa;
    v = exp10 < 0 ? v / exact_pow10[-exp10] : v * exact_pow10[exp10];
    *out = neg ? -v : v;
    return true;
}

/* Converts a validated number to double, correctly rounded: the exact fast
 * path when it applies, otherwise strtod on a NUL-terminated copy. false
 * when the number overflows to infinity. */
static bool number_to_double(scanner *s, const uint8_t *p, size_t len, double *out)
{
    if (double_fast_path(p, p + len, out))
        return true;
    /* Not scratch: a number from a string with escapes lives there. */
    ls_buf *b = &s->plan->capture;
    ls_buf_reset(b);
    if (ls_buf_append(b, p, len, NULL)) {
        *out = 0;
        return false;
    }
    b->data[b->len] = '\0';
    errno = 0;
    double v = strtod((const char *)b->data, NULL);
    *out = v;
    return !isinf(v);
}

/* ---------------------------------------------------------------- dates */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool read_digits(const uint8_t *p, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    *out = v;
    return true;
}

static bool parse_ymd(const uint8_t *t, int64_t *days)
{
    unsigned y, m, d;
    if (!read_digits(t, 4, &y) || t[4] != '-' || !read_digits(t + 5, 2, &m) || t[7] != '-' ||
        !read_digits(t + 8, 2, &d))
        return false;
    static const unsigned month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > month_days[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap)
        return false;
    *days = days_from_civil(y, m, d);
    return true;
}

bool ls_json_parse_date(const uint8_t *text, size_t len, int32_t *days_out)
{
    int64_t days;
    if (len != 10 || !parse_ymd(text, &days))
        return false;
    *days_out = (int32_t)days;
    return true;
}

/* Parses the optional ".fraction" and offset after the seconds. */
static bool parse_time_tail(const uint8_t *t, const uint8_t *end, int64_t *micros,
                            int64_t *offset_s)
{
    *micros = 0;
    *offset_s = 0;
    if (t < end && *t == '.') {
        t++;
        if (t >= end || *t < '0' || *t > '9')
            return false;
        int64_t scale = 100000;
        for (; t < end && *t >= '0' && *t <= '9'; t++, scale /= 10)
            *micros += (*t - '0') * scale;
    }
    if (t == end)
        return true;
    if ((*t == 'Z' || *t == 'z') && t + 1 == end)
        return true;
    unsigned oh, om;
    if (end - t != 6 || (*t != '+' && *t != '-') || !read_digits(t + 1, 2, &oh) || t[3] != ':' ||
        !read_digits(t + 4, 2, &om) || oh > 23 || om > 59)
        return false;
    *offset_s = (int64_t)(oh * 3600 + om * 60) * (*t == '-' ? -1 : 1);
    return true;
}

bool ls_json_parse_timestamp(const uint8_t *text, size_t len, int64_t *micros_out)
{
    const uint8_t *t = text, *end = text + len;
    int64_t days, frac, offset_s;
    unsigned h, mi, sec;
    if (len < 19 || !parse_ymd(t, &days) || (t[10] != 'T' && t[10] != 't' && t[10] != ' '))
        return false;
    if (!read_digits(t + 11, 2, &h) || t[13] != ':' || !read_digits(t + 14, 2, &mi) ||
        t[16] != ':' || !read_digits(t + 17, 2, &sec) || h > 23 || mi > 59 || sec > 59)
        return false;
    if (!parse_time_tail(t + 19, end, &frac, &offset_s))
        return false;
    int64_t seconds = days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
    *micros_out = seconds * 1000000 + frac;
    return true;
}

/* ---------------------------------------------------------------- coercion */

/* The content of a string token (unescaped when needed) or the raw text of
 * any other token. */
static ls_code token_text(scanner *s, const token *t, const uint8_t **text, size_t *len)
{
    if (t->kind != LS_JSON_STRING || t->verbatim) {
        *text = t->raw;
        *len = t->raw_len;
        return LS_OK;
    }
    const uint8_t *body = t->raw + 1;
    size_t body_len = t->raw_len - 2;
    if (!t->escaped) {
        *text = body;
        *len = body_len;
        return LS_OK;
    }
    ls_buf *b = &s->plan->scratch;
    ls_buf_reset(b);
    ls_code rc = ls_buf_reserve(b, body_len, s->err);
    if (rc)
        return sink_error(s, rc, t->raw);
    b->len = unescape(body, body_len, b->data);
    *text = b->data;
    *len = b->len;
    return LS_OK;
}

/* The number a token holds: a JSON number, or a string whose whole content is
 * a JSON number. false when it holds none. */
static bool token_number(scanner *s, const token *t, const uint8_t **num, size_t *len)
{
    if (t->kind == LS_JSON_INTEGER || t->kind == LS_JSON_REAL) {
        *num = t->raw;
        *len = t->raw_len;
        return true;
    }
    if (t->kind != LS_JSON_STRING || token_text(s, t, num, len) != LS_OK)
        return false;
    bool real;
    return *len > 0 && scan_number(*num, *num + *len, &real) == *num + *len;
}

static ls_code mismatch(scanner *s, const token *t, ls_type type)
{
    char name[32];
    return fail(s, LS_JSONSCAN_TYPE_MISMATCH, s->start + t->offset, "a JSON %s cannot become %s",
                ls_json_kind_name(t->kind), ls_type_format(type, name, sizeof name));
}

static ls_code out_of_range(scanner *s, const token *t, ls_type type)
{
    char name[32];
    return fail(s, LS_JSONSCAN_OUT_OF_RANGE, s->start + t->offset, "value out of range for %s",
                ls_type_format(type, name, sizeof name));
}

/* The common case of a plain integer of at most 18 digits, without the
 * general decimal machinery. */
static bool small_integer(const uint8_t *p, size_t len, ls_int128 *out)
{
    bool neg = len > 0 && p[0] == '-';
    size_t i = neg ? 1 : 0;
    if (len - i == 0 || len - i > 18)
        return false;
    int64_t v = 0;
    for (; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = neg ? -v : v;
    return true;
}

static ls_code set_integer(scanner *s, ls_column *col, const token *t)
{
    const uint8_t *num;
    size_t len;
    if (!token_number(s, t, &num, &len))
        return mismatch(s, t, col->type);
    decimal_parts d;
    ls_int128 v;
    int rc = DEC_OK;
    if (!small_integer(num, len, &v)) {
        decimal_parse(num, num + len, &d);
        rc = decimal_scaled(&d, 0, false, &v);
    }
    if (rc == DEC_INEXACT)
        return fail(s, LS_JSONSCAN_TYPE_MISMATCH, s->start + t->offset, "%.*s is not an integer",
                    (int)(len > 40 ? 40 : len), num);
    bool narrow = col->type.kind != LS_TYPE_BIGINT;
    ls_int128 lo = narrow ? INT32_MIN : INT64_MIN, hi = narrow ? INT32_MAX : INT64_MAX;
    if (rc == DEC_OVERFLOW || v < lo || v > hi)
        return out_of_range(s, t, col->type);
    if (narrow)
        return ls_column_set_int32(col, (int32_t)v, s->err);
    return ls_column_set_int64(col, (int64_t)v, s->err);
}

static ls_code set_floating(scanner *s, ls_column *col, const token *t)
{
    const uint8_t *num;
    size_t len;
    double v;
    if (!token_number(s, t, &num, &len))
        return mismatch(s, t, col->type);
    if (!number_to_double(s, num, len, &v))
        return out_of_range(s, t, col->type);
    if (col->type.kind == LS_TYPE_DOUBLE)
        return ls_column_set_double(col, v, s->err);
    if (isinf((float)v))
        return out_of_range(s, t, col->type);
    return ls_column_set_float(col, (float)v, s->err);
}

static ls_code set_decimal(scanner *s, ls_column *col, const token *t)
{
    const uint8_t *num;
    size_t len;
    if (!token_number(s, t, &num, &len))
        return mismatch(s, t, col->type);
    decimal_parts d;
    ls_int128 v;
    decimal_parse(num, num + len, &d);
    ls_int128 limit = pow10_128(col->type.precision);
    if (decimal_scaled(&d, col->type.scale, true, &v) == DEC_OVERFLOW || v >= limit || v <= -limit)
        return out_of_range(s, t, col->type);
    if (col->storage == LS_STORAGE_INT64)
        return ls_column_set_int64(col, (int64_t)v, s->err);
    return ls_column_set_int128(col, v, s->err);
}

static ls_code set_text(scanner *s, ls_column *col, const token *t)
{
    /* The usual case, a string without escapes, is its body in place. */
    if (t->kind == LS_JSON_STRING && !t->escaped && !t->verbatim)
        return ls_column_set_bytes(col, t->raw + 1, t->raw_len - 2, s->err);
    const uint8_t *text;
    size_t len;
    ls_code rc = token_text(s, t, &text, &len);
    if (rc)
        return rc;
    if (t->verbatim && col->type.kind == LS_TYPE_STRING && !utf8_valid(text, len))
        return fail(s, LS_JSONSCAN_INVALID_UTF8, NULL, "the Kafka key is not valid UTF-8");
    return ls_column_set_bytes(col, text, len, s->err);
}

static ls_code set_boolean(scanner *s, ls_column *col, const token *t)
{
    if (t->kind == LS_JSON_BOOLEAN)
        return ls_column_set_bool(col, t->raw[0] == 't', s->err);
    const uint8_t *text;
    size_t len;
    if (t->kind == LS_JSON_STRING && token_text(s, t, &text, &len) == LS_OK) {
        if (len == 4 && memcmp(text, "true", 4) == 0)
            return ls_column_set_bool(col, true, s->err);
        if (len == 5 && memcmp(text, "false", 5) == 0)
            return ls_column_set_bool(col, false, s->err);
    }
    return mismatch(s, t, col->type);
}

static ls_code set_date(scanner *s, ls_column *col, const token *t)
{
    const uint8_t *text;
    size_t len;
    int32_t days;
    if (t->kind == LS_JSON_STRING && token_text(s, t, &text, &len) == LS_OK &&
        ls_json_parse_date(text, len, &days))
        return ls_column_set_int32(col, days, s->err);
    if (t->kind == LS_JSON_INTEGER || t->kind == LS_JSON_REAL)
        return set_integer(s, col, t);
    return mismatch(s, t, col->type);
}

static ls_code set_timestamp(scanner *s, ls_column *col, const token *t)
{
    const uint8_t *text, *num;
    size_t len;
    int64_t micros;
    if (t->kind == LS_JSON_STRING && token_text(s, t, &text, &len) == LS_OK &&
        ls_json_parse_timestamp(text, len, &micros))
        return ls_column_set_int64(col, micros, s->err);
    if (!token_number(s, t, &num, &len))
        return mismatch(s, t, col->type);
    decimal_parts d;
    ls_int128 v;
    decimal_parse(num, num + len, &d);
    /* Epoch milliseconds at scale 3 are microseconds. */
    if (decimal_scaled(&d, 3, true, &v) == DEC_OVERFLOW || v < INT64_MIN || v > INT64_MAX)
        return out_of_range(s, t, col->type);
    return ls_column_set_int64(col, (int64_t)v, s->err);
}

/* Converts one token into one column of the open row. */
static ls_code set_value(scanner *s, const plan_field *f, const token *t)
{
    ls_column *col = &s->batch->columns[f->column];
    s->field = f->source;
    ls_code rc;
    if (t->kind == LS_JSON_NULL) {
        rc = ls_column_set_null(col, s->err);
    } else {
        switch (f->type.kind) {
        case LS_TYPE_BOOLEAN:
            rc = set_boolean(s, col, t);
            break;
        case LS_TYPE_INT:
        case LS_TYPE_BIGINT:
            rc = set_integer(s, col, t);
            break;
        case LS_TYPE_FLOAT:
        case LS_TYPE_DOUBLE:
            rc = set_floating(s, col, t);
            break;
        case LS_TYPE_DECIMAL:
            rc = set_decimal(s, col, t);
            break;
        case LS_TYPE_DATE:
            rc = set_date(s, col, t);
            break;
        case LS_TYPE_TIMESTAMP:
        case LS_TYPE_TIMESTAMPTZ:
            rc = set_timestamp(s, col, t);
            break;
        default:
            rc = set_text(s, col, t);
            break;
        }
    }
    if (rc && rc != LS_ERR_INVALID)
        rc = sink_error(s, rc, s->start + t->offset);
    s->field = NULL;
    return rc;
}

/* Converts a token into every field of a list. A conversion error is held
 * back, not returned: with duplicate keys the last occurrence wins, so a
 * later good value of the same field clears it (see pending_errors_check). */
static ls_code deliver_all(scanner *s, uint32_t field_index, const token *t)
{
    ls_jsonscan_plan *plan = s->plan;
    for (uint32_t i = field_index; i != NONE; i = plan->fields[i].next) {
        /* Seen before in this message (converted, or held failed): a
         * duplicate key, whose last occurrence wins; counted for reports. */
        if (s->batch->columns[plan->fields[i].column].set_in_row ||
            plan->pending[i] != NOT_LISTED)
            plan->duplicate_keys++;
        ls_code rc = set_value(s, &plan->fields[i], t);
        if (rc == LS_OK) {
            if (plan->pending[i] == HELD)
                plan->pending[i] = LISTED;
            continue;
        }
        if (rc != LS_ERR_INVALID)
            return rc;
        plan->field_errors[i] = *s->record;
        s->record->kind = LS_JSONSCAN_OK;
        if (plan->pending[i] == NOT_LISTED) /* each field is listed once per row */
            plan->pending_list[plan->pending_count++] = i;
        plan->pending[i] = HELD;
    }
    return LS_OK;
}

/* deliver_all, with the most common case first: a value for the only field
 * of a column, seen for the first time in this message. It takes no
 * bookkeeping (nothing held, no duplicate). A value that does not convert
 * leaves the column as it was, so deliver_all converts it again to hold the
 * error (fail() keeps the first record, the same one). Strings without
 * escapes for a string column skip set_value's dispatch. */
static inline ls_code deliver(scanner *s, uint32_t field_index, const token *t)
{
    const ls_jsonscan_plan *plan = s->plan;
    const plan_field *f = &plan->fields[field_index];
    ls_column *col = &s->batch->columns[f->column];
    if (f->next != NONE || col->set_in_row || plan->pending[field_index] != NOT_LISTED)
        return deliver_all(s, field_index, t);
    if (f->type.kind == LS_TYPE_STRING && t->kind == LS_JSON_STRING && !t->escaped &&
        !t->verbatim && ls_column_set_bytes(col, t->raw + 1, t->raw_len - 2, s->err) == LS_OK)
        return LS_OK;
    if (set_value(s, f, t) == LS_OK)
        return LS_OK;
    return deliver_all(s, field_index, t); /* records the error as a held one */
}

/* After the whole message: the first field whose last occurrence failed to
 * convert fails the record. Clears the pending state for the next row. */
static ls_code pending_errors_check(scanner *s)
{
    ls_jsonscan_plan *plan = s->plan;
    ls_code rc = LS_OK;
    for (size_t k = 0; k < plan->pending_count; k++) {
        uint32_t i = plan->pending_list[k];
        if (plan->pending[i] == HELD && rc == LS_OK && s->record->kind == LS_JSONSCAN_OK) {
            *s->record = plan->field_errors[i];
            rc = LS_ERR_INVALID;
        }
        plan->pending[i] = NOT_LISTED;
    }
    plan->pending_count = 0;
    return rc;
}

/* ---------------------------------------------------------------- plan */

static uint32_t key_hash(const uint8_t *key, size_t len)
{
    /* Length and the first and last two bytes tell a job's keys apart well
     * enough for a small table, at a fixed cost per key; memcmp settles it. */
    if (len == 0)
        return 0;
    uint32_t h = (uint32_t)len * 0x9E3779B1u;
    h ^= (uint32_t)key[0] << 8 | key[len - 1];
    h ^= (uint32_t)key[len / 2] << 16 | (uint32_t)key[len > 1 ? 1 : 0] << 24;
    return h * 0x85EBCA6Bu ^ (h >> 13);
}

/* Keys of JSON objects are short: no library call to compare them. */
static inline bool key_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
    return ls_bytes_equal(a, b, len);
}

static uint32_t node_child(const ls_jsonscan_plan *plan, uint32_t node, const uint8_t *key,
                           size_t len, uint32_t hash)
{
    const plan_node *n = &plan->nodes[node];
    if (n->child_count == 0)
        return NONE;
    for (uint32_t i = hash & n->table_mask;; i = (i + 1) & n->table_mask) {
        uint32_t c = plan->slots[n->table_start + i];
        if (c == NONE)
            return NONE;
        const plan_node *cn = &plan->nodes[c];
        if (cn->hash == hash && cn->key_len == len && key_equal(cn->key, key, len))
            return c;
    }
}

/* Whether a message holding exactly these key bytes between quotes holds a
 * valid string without escapes, so that matching the bytes also validates
 * them (key_predicted). */
static bool key_plain(const uint8_t *key, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (key[i] < 0x20 || key[i] == '"' || key[i] == '\\')
            return false;
    return utf8_valid(key, len);
}

/* Sets n's key pattern (see key_pattern) when its key can have one. The
 * bytes past the pattern stay zero in both word and mask, so a whole-word
 * compare ignores whatever follows the ':' in a message. */
static void key_pattern_init(plan_node *n)
{
    n->has_pattern = n->plain && n->key_len <= KEY_PATTERN_MAX;
    if (!n->has_pattern)
        return;
    uint8_t bytes[KEY_PATTERN_BYTES] = {0}, mask[KEY_PATTERN_BYTES] = {0};
    memcpy(bytes, n->key, n->key_len);
    bytes[n->key_len] = '"';
    bytes[n->key_len + 1] = ':';
    memset(mask, 0xFF, n->key_len + 2);
    memcpy(n->pattern.word, bytes, sizeof bytes);
    memcpy(n->pattern.mask, mask, sizeof mask);
    n->pattern.len = n->key_len + 2;
}

/* Finds or adds the child of parent named key (a linear search: plans are
 * built once, the hash tables come afterwards). */
static ls_code node_add(ls_jsonscan_plan *plan, uint32_t parent, const uint8_t *key, size_t len,
                        uint32_t *out, ls_error *err)
{
    for (uint32_t i = 1; i < plan->node_count; i++) {
        plan_node *n = &plan->nodes[i];
        if (n->parent == parent && n->key_len == len && memcmp(n->key, key, len) == 0) {
            *out = i;
            return LS_OK;
        }
    }
    plan_node *n = &plan->nodes[plan->node_count];
    *n = (plan_node){.key = malloc(len ? len : 1),
                     .key_len = len,
                     .hash = key_hash(key, len),
                     .parent = parent,
                     .fields = NONE,
                     .guess_first = NO_GUESS,
                     .guess_next = NO_GUESS,
                     .plain = key_plain(key, len)};
    if (!n->key)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory building a scan plan");
    memcpy(n->key, key, len);
    key_pattern_init(n);
    plan->nodes[parent].child_count++;
    *out = (uint32_t)plan->node_count++;
    return LS_OK;
}

/* Adds the trie path of source and returns its node. Segments are split at
 * unescaped dots; "\." and "\\" stand for a literal dot and backslash. */
static ls_code plan_add_path(ls_jsonscan_plan *plan, const char *source, uint32_t *out,
                             ls_error *err)
{
    uint8_t segment[LS_JSONSCAN_MAX_PATH_BYTES];
    size_t seg_len = 0;
    unsigned depth = 0;
    uint32_t node = 0;
    for (const char *c = source;; c++) {
        if (*c == '.' || *c == '\0') {
            if (seg_len == 0)
                return ls_error_set_field(err, LS_ERR_INVALID, source,
                                          "source path '%s' has an empty segment", source);
            if (++depth > (unsigned)plan->level)
                return ls_error_set_field(err, LS_ERR_INVALID, source,
                                          "source path '%s' is deeper than parse level %d", source,
                                          plan->level);
            ls_code rc = node_add(plan, node, segment, seg_len, &node, err);
            if (rc)
                return rc;
            seg_len = 0;
            if (*c == '\0')
                break;
            continue;
        }
        if (*c == '\\') {
            if (c[1] != '.' && c[1] != '\\')
                return ls_error_set_field(err, LS_ERR_INVALID, source,
                                          "source path '%s': only \\. and \\\\ may be escaped",
                                          source);
            c++;
        }
        segment[seg_len++] = (uint8_t)*c;
    }
    *out = node;
    return LS_OK;
}

/* Builds each node's open-addressing child table. */
static ls_code plan_build_tables(ls_jsonscan_plan *plan, ls_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < plan->node_count; i++) {
        plan_node *n = &plan->nodes[i];
        uint32_t size = 1;
        while (size < 2 * n->child_count)
            size *= 2;
        n->table_start = (uint32_t)total;
        n->table_mask = size - 1;
        total += size;
    }
    plan->slots = malloc(total * sizeof *plan->slots);
    if (!plan->slots)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory building a scan plan");
    memset(plan->slots, 0xff, total * sizeof *plan->slots);
    for (uint32_t i = 1; i < plan->node_count; i++) {
        plan_node *n = &plan->nodes[i];
        plan_node *p = &plan->nodes[n->parent];
        uint32_t slot = n->hash & p->table_mask;
        while (plan->slots[p->table_start + slot] != NONE)
            slot = (slot + 1) & p->table_mask;
        plan->slots[p->table_start + slot] = i;
    }
    return LS_OK;
}

/* The field list a special source goes to, or NULL for an ordinary path. */
static uint32_t *special_list(ls_jsonscan_plan *plan, const char *source)
{
    if (strcmp(source, "__value__") == 0)
        return &plan->value_fields;
    if (strcmp(source, "__kafka_partition__") == 0)
        return &plan->partition_fields;
    if (strcmp(source, "__kafka_offset__") == 0)
        return &plan->offset_fields;
    if (strcmp(source, "__kafka_timestamp__") == 0)
        return &plan->timestamp_fields;
    if (strcmp(source, "__kafka_key__") == 0)
        return &plan->key_fields;
    return NULL;
}

static ls_code plan_add_field(ls_jsonscan_plan *plan, const ls_jsonscan_field *f, uint32_t index,
                              ls_error *err)
{
    if (!f->source || strlen(f->source) >= LS_JSONSCAN_MAX_PATH_BYTES)
        return ls_error_set(err, LS_ERR_INVALID, "field %u has no source or one too long", index);
    plan_field *pf = &plan->fields[index];
    *pf = (plan_field){.source = strdup(f->source),
                       .column = f->column,
                       .type = f->type,
                       .required = f->required,
                       .next = NONE};
    if (!pf->source)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory building a scan plan");
    plan->any_required |= f->required;
    uint32_t *list = special_list(plan, f->source);
    if (!list) {
        uint32_t node;
        ls_code rc = plan_add_path(plan, f->source, &node, err);
        if (rc)
            return rc;
        list = &plan->nodes[node].fields;
    }
    /* Append, so fields sharing a source are converted in the caller's order. */
    while (*list != NONE)
        list = &plan->fields[*list].next;
    *list = index;
    return LS_OK;
}

static ls_code plan_alloc(ls_jsonscan_plan *plan, size_t field_count, ls_error *err)
{
    plan->fields = calloc(field_count ? field_count : 1, sizeof *plan->fields);
    plan->nodes = calloc(field_count * LS_JSONSCAN_MAX_LEVEL + 1, sizeof *plan->nodes);
    plan->stack = calloc(plan->max_depth + 1, sizeof *plan->stack);
    size_t n = field_count ? field_count : 1;
    plan->pending = calloc(n, sizeof *plan->pending);
    plan->pending_list = calloc(n, sizeof *plan->pending_list);
    plan->field_errors = calloc(n, sizeof *plan->field_errors);
    if (!plan->fields || !plan->nodes || !plan->stack || !plan->pending || !plan->pending_list ||
        !plan->field_errors)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory building a scan plan");
    plan->nodes[0] = (plan_node){
        .parent = NONE, .fields = NONE, .guess_first = NO_GUESS, .guess_next = NO_GUESS};
    plan->node_count = 1;
    ls_buf_init(&plan->capture, plan->max_message_bytes + 16);
    ls_buf_init(&plan->scratch, plan->max_message_bytes + 16);
    plan->value_fields = plan->partition_fields = plan->offset_fields = NONE;
    plan->timestamp_fields = plan->key_fields = NONE;
    if (plan->collect_unmapped) {
        plan->unmapped = calloc(LS_JSONSCAN_MAX_UNMAPPED, sizeof *plan->unmapped);
        plan->unmapped_table = malloc(2 * LS_JSONSCAN_MAX_UNMAPPED * sizeof(uint32_t));
        if (!plan->unmapped || !plan->unmapped_table)
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory building a scan plan");
        memset(plan->unmapped_table, 0xff, 2 * LS_JSONSCAN_MAX_UNMAPPED * sizeof(uint32_t));
    }
    return LS_OK;
}

static ls_code ignored_init(ls_jsonscan_plan *plan, const ls_jsonscan_options *options,
                            ls_error *err);

ls_code ls_jsonscan_plan_new(const ls_jsonscan_options *options, const ls_jsonscan_field *fields,
                             size_t field_count, ls_jsonscan_plan **out, ls_error *err)
{
    *out = NULL;
    if (options->parse_level < 0 || options->parse_level > LS_JSONSCAN_MAX_LEVEL)
        return ls_error_set_field(err, LS_ERR_INVALID, "parse_levels",
                                  "parse level must be between 0 and %d, not %d",
                                  LS_JSONSCAN_MAX_LEVEL, options->parse_level);
    if (field_count > LS_JSONSCAN_MAX_FIELDS)
        return ls_error_set_field(err, LS_ERR_INVALID, "fields", "at most %d fields, not %zu",
                                  LS_JSONSCAN_MAX_FIELDS, field_count);
    if (options->max_depth > LS_JSONSCAN_MAX_DEPTH_LIMIT)
        return ls_error_set(err, LS_ERR_INVALID, "max_depth must be at most %d",
                            LS_JSONSCAN_MAX_DEPTH_LIMIT);
    ls_jsonscan_plan *plan = calloc(1, sizeof *plan);
    if (!plan)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory building a scan plan");
    plan->level = options->parse_level;
    plan->max_depth = options->max_depth ? options->max_depth : LS_JSONSCAN_DEFAULT_MAX_DEPTH;
    plan->max_message_bytes = options->max_message_bytes ? options->max_message_bytes
                                                         : LS_JSONSCAN_DEFAULT_MAX_MESSAGE_BYTES;
    plan->collect_unmapped = options->collect_unmapped;
    plan->hooks = plan->collect_unmapped;
    ls_code rc = plan_alloc(plan, field_count, err);
    if (!rc)
        rc = ignored_init(plan, options, err);
    for (size_t i = 0; !rc && i < field_count; i++) {
        plan->field_count = i + 1;
        rc = plan_add_field(plan, &fields[i], (uint32_t)i, err);
    }
    if (!rc)
        rc = plan_build_tables(plan, err);
    if (rc) {
        ls_jsonscan_plan_free(plan);
        return rc;
    }
    *out = plan;
    return LS_OK;
}

void ls_jsonscan_plan_free(ls_jsonscan_plan *plan)
{
    if (!plan)
        return;
    for (size_t i = 0; i < plan->field_count; i++)
        free(plan->fields[i].source);
    for (size_t i = 0; i < plan->node_count; i++)
        free(plan->nodes[i].key);
    ls_jsonscan_unmapped_reset(plan);
    free(plan->unmapped);
    free(plan->unmapped_table);
    for (size_t i = 0; i < plan->ignored_count; i++)
        free(plan->ignored[i]);
    free(plan->ignored);
    free(plan->ignored_table);
    free(plan->fields);
    free(plan->nodes);
    free(plan->slots);
    free(plan->stack);
    free(plan->pending);
    free(plan->pending_list);
    free(plan->field_errors);
    ls_buf_cleanup(&plan->capture);
    ls_buf_cleanup(&plan->scratch);
    free(plan);
}

/* ---------------------------------------------------------------- unmapped paths */

size_t ls_jsonscan_duplicate_keys(const ls_jsonscan_plan *plan)
{
    return plan->duplicate_keys;
}

size_t ls_jsonscan_unmapped_count(const ls_jsonscan_plan *plan)
{
    return plan->unmapped_count;
}

const char *ls_jsonscan_unmapped_path(const ls_jsonscan_plan *plan, size_t index,
                                      unsigned *kinds_out)
{
    if (index >= plan->unmapped_count)
        return NULL;
    if (kinds_out)
        *kinds_out = plan->unmapped[index].kinds;
    return plan->unmapped[index].path;
}

size_t ls_jsonscan_unmapped_dropped(const ls_jsonscan_plan *plan)
{
    return plan->unmapped_dropped;
}

void ls_jsonscan_set_hold_unmapped(ls_jsonscan_plan *plan, bool hold)
{
    plan->hold_unmapped = hold && plan->collect_unmapped;
}

void ls_jsonscan_unmapped_reset(ls_jsonscan_plan *plan)
{
    for (size_t i = 0; i < plan->unmapped_count; i++)
        free(plan->unmapped[i].path);
    plan->unmapped_count = 0;
    plan->unmapped_dropped = 0;
    if (plan->unmapped_table)
        memset(plan->unmapped_table, 0xff, 2 * LS_JSONSCAN_MAX_UNMAPPED * sizeof(uint32_t));
}

/* Remembers path as unmapped; dropping it when the set is full or memory
 * runs out, since schema-evolution hints must never fail a record. */
static bool ignored(const ls_jsonscan_plan *plan, const char *path, size_t len)
{
    if (!plan->ignored_count)
        return false;
    for (uint32_t slot = key_hash((const uint8_t *)path, len) & plan->ignored_mask;;
         slot = (slot + 1) & plan->ignored_mask) {
        uint32_t i = plan->ignored_table[slot];
        if (i == NONE)
            return false;
        if (strlen(plan->ignored[i]) == len && memcmp(plan->ignored[i], path, len) == 0)
            return true;
    }
}

/* Copies the ignored paths into a hash set (at most half full). */
static ls_code ignored_init(ls_jsonscan_plan *plan, const ls_jsonscan_options *options,
                            ls_error *err)
{
    size_t n = options->ignored_count, size = 16;
    if (!options->collect_unmapped || n == 0)
        return LS_OK;
    if (n > LS_JSONSCAN_MAX_FIELDS)
        return ls_error_set(err, LS_ERR_INVALID, "at most %d ignored paths, not %zu",
                            LS_JSONSCAN_MAX_FIELDS, n);
    while (size < 2 * n)
        size *= 2;
    plan->ignored = calloc(n, sizeof *plan->ignored);
    plan->ignored_table = malloc(size * sizeof *plan->ignored_table);
    if (!plan->ignored || !plan->ignored_table)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory building a scan plan");
    memset(plan->ignored_table, 0xff, size * sizeof *plan->ignored_table);
    plan->ignored_mask = (uint32_t)size - 1;
    for (size_t i = 0; i < n; i++) {
        const char *path = options->ignored_paths[i];
        size_t len = path ? strlen(path) : 0;
        if (!path || ignored(plan, path, len))
            continue;
        if (!(plan->ignored[plan->ignored_count] = strdup(path)))
            return ls_error_set(err, LS_ERR_NOMEM, "out of memory building a scan plan");
        uint32_t slot = key_hash((const uint8_t *)path, len) & plan->ignored_mask;
        while (plan->ignored_table[slot] != NONE)
            slot = (slot + 1) & plan->ignored_mask;
        plan->ignored_table[slot] = (uint32_t)plan->ignored_count++;
    }
    return LS_OK;
}

static void unmapped_note(ls_jsonscan_plan *plan, const char *path, size_t len, ls_json_kind kind)
{
    if (ignored(plan, path, len))
        return; /* left out on purpose: not a new field */
    plan->unmapped_values += kind != LS_JSON_NULL;
    const uint32_t mask = 2 * LS_JSONSCAN_MAX_UNMAPPED - 1;
    uint32_t slot = key_hash((const uint8_t *)path, len) & mask;
    for (;; slot = (slot + 1) & mask) {
        uint32_t i = plan->unmapped_table[slot];
        if (i == NONE)
            break;
        unmapped_entry *e = &plan->unmapped[i];
        if (strlen(e->path) == len && memcmp(e->path, path, len) == 0) {
            e->kinds |= 1u << kind;
            return;
        }
    }
    char *copy = plan->unmapped_count < LS_JSONSCAN_MAX_UNMAPPED ? strndup(path, len) : NULL;
    if (!copy) {
        plan->unmapped_dropped++;
        return;
    }
    plan->unmapped[plan->unmapped_count] = (unmapped_entry){.path = copy, .kinds = 1u << kind};
    plan->unmapped_table[slot] = (uint32_t)plan->unmapped_count++;
}

/* ---------------------------------------------------------------- the scan */

static const value_ctx dead_ctx = {.node = NONE, .fields = NONE, .depth = 255};

static inline bool hook_mode(const ls_jsonscan_plan *plan)
{
    return plan->hooks; /* asked for every key and value: one load */
}

/* A leaf at the parse level that no field maps: the walk callback or the
 * unmapped set wants it. */
static inline bool hook_wanted(const scanner *s, const value_ctx *v)
{
    return v->in_levels && v->fields == NONE && hook_mode(s->plan);
}

/* Appends a key to the path at base, escaping '.' and '\'. Returns the new
 * length, or LS_JSONSCAN_MAX_PATH_BYTES + 1 when the path does not fit. */
static size_t path_push(ls_jsonscan_plan *plan, size_t base, bool dot, const uint8_t *key,
                        size_t len)
{
    const size_t too_long = LS_JSONSCAN_MAX_PATH_BYTES + 1;
    if (base >= too_long)
        return too_long;
    size_t n = base;
    if (dot)
        plan->path[n++] = '.';
    for (size_t i = 0; i < len; i++) {
        if (n + 2 > LS_JSONSCAN_MAX_PATH_BYTES)
            return too_long;
        if (key[i] == '.' || key[i] == '\\')
            plan->path[n++] = '\\';
        plan->path[n++] = (char)key[i];
    }
    return n;
}

/* v's source path in plan->path, appending its key now if it was put off. */
static size_t value_path(ls_jsonscan_plan *plan, value_ctx *v)
{
    if (v->lazy_key) {
        v->path_len = path_push(plan, v->lazy_base, v->lazy_dot, v->lazy_key, v->lazy_len);
        v->lazy_key = NULL;
    }
    return v->path_len;
}

static ls_code leaf_hook(scanner *s, size_t path_len, const token *t)
{
    ls_jsonscan_plan *plan = s->plan;
    if (path_len > LS_JSONSCAN_MAX_PATH_BYTES) {
        if (plan->walk_fn)
            return fail(s, LS_JSONSCAN_TOO_LARGE, s->start + t->offset,
                        "a source path is longer than %d bytes", LS_JSONSCAN_MAX_PATH_BYTES);
        plan->unmapped_dropped++;
        return LS_OK;
    }
    plan->path[path_len] = '\0';
    if (!plan->walk_fn) {
        unmapped_note(plan, plan->path, path_len, t->kind);
        return LS_OK;
    }
    ls_json_leaf leaf = {
        .path = plan->path, .path_len = path_len, .kind = t->kind, .offset = t->offset};
    if (t->kind != LS_JSON_NULL && !(t->kind == LS_JSON_OBJECT && !t->raw)) {
        ls_code rc = token_text(s, t, &leaf.value, &leaf.value_len);
        if (rc)
            return rc;
    }
    ls_code rc = plan->walk_fn(plan->walk_ctx, &leaf, s->err);
    if (rc)
        plan->walk_rc = rc;
    return rc;
}

/* The compact text of a valid JSON span: whitespace outside strings removed.
 * Points into the message itself when there is none to remove (the usual
 * case for machine-written JSON), otherwise into the capture buffer. */
static ls_code compact(scanner *s, const uint8_t *p, size_t len, const uint8_t **out,
                       size_t *out_len)
{
    const uint8_t *end = p + len, *q = p;
    bool in_string = false;
    ls_buf *b = &s->plan->capture;
    uint8_t *o = NULL;
    for (; q < end; q++) {
        uint8_t c = *q;
        if (in_string) {
            if (c == '\\') {
                if (o)
                    *o++ = c;
                c = *++q;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (is_ws(c)) {
            if (!o) {
                ls_buf_reset(b);
                ls_code rc = ls_buf_reserve(b, len, s->err);
                if (rc)
                    return sink_error(s, rc, p);
                memcpy(b->data, p, (size_t)(q - p));
                o = b->data + (q - p);
            }
            continue;
        }
        if (o)
            *o++ = c;
    }
    *out = o ? b->data : p;
    *out_len = o ? (size_t)(o - b->data) : len;
    return LS_OK;
}

/* Points f's key guess at slot (NULL: no guess) and loads the guess. */
static inline void frame_guess(frame *f, key_guess *slot)
{
    f->guess_slot = slot;
    f->guess = slot ? *slot : NO_GUESS;
}

/* Remembers node as the key that follows at f's position (see plan_node). */
static inline void guess_learn(const ls_jsonscan_plan *plan, frame *f, uint32_t node)
{
    if (!f->guess_slot || f->guess.node == node) /* the usual case: it was right */
        return;
    const plan_node *n = node != NONE ? &plan->nodes[node] : NULL;
    *f->guess_slot = (key_guess){node, n && n->has_pattern ? &n->pattern : NULL};
}

static ls_code close_container(scanner *s)
{
    ls_jsonscan_plan *plan = s->plan;
    frame *f = &plan->stack[--s->stack_count];
    s->p++;
    if (!f->captured)
        return LS_OK;
    token t = {.kind = f->is_object ? LS_JSON_OBJECT : LS_JSON_ARRAY,
               .offset = f->offset,
               .raw = s->start + f->offset,
               .raw_len = (size_t)(s->p - s->start) - f->offset};
    if (s->ws_end > f->offset) {
        ls_code rc = compact(s, t.raw, t.raw_len, &t.raw, &t.raw_len);
        if (rc)
            return rc;
    }
    if (f->target_fields != NONE)
        return deliver(s, f->target_fields, &t);
    return leaf_hook(s, f->path_len, &t);
}

/* Opens an object or array at p. Empty containers are closed at once;
 * otherwise *opened tells the caller to read members. */
static ls_code open_container(scanner *s, value_ctx *v, const uint8_t *p, bool *opened)
{
    ls_jsonscan_plan *plan = s->plan;
    if (s->stack_count >= plan->max_depth)
        return fail(s, LS_JSONSCAN_TOO_DEEP, p, "nesting deeper than %zu levels", plan->max_depth);
    bool is_object = *p == '{';
    bool has_children = v->node != NONE && plan->nodes[v->node].child_count > 0;
    bool expand =
        is_object && v->depth < (unsigned)plan->level && (has_children || hook_mode(plan));
    /* Members' paths and a hook on the container itself start from it. */
    size_t path_len = hook_mode(plan) && (expand || hook_wanted(s, v)) ? value_path(plan, v) : 0;
    frame *f = &plan->stack[s->stack_count++];
    *f = (frame){.node = NONE,
                 .target_fields = v->fields,
                 .path_len = path_len,
                 .offset = (size_t)(p - s->start),
                 .depth = (uint8_t)v->depth,
                 .is_object = is_object};
    f->expand = expand;
    if (f->expand) {
        f->node = v->node;
        frame_guess(f, v->node != NONE ? &plan->nodes[v->node].guess_first : NULL);
    }
    f->hook = !f->expand && hook_wanted(s, v);
    if (f->hook && !plan->walk_fn) {
        /* The unmapped set needs only the kind, not the text. */
        token t = {.kind = is_object ? LS_JSON_OBJECT : LS_JSON_ARRAY};
        f->hook = false;
        leaf_hook(s, path_len, &t);
    }
    f->captured = v->fields != NONE || f->hook;
    s->p = skip_ws_noted(s, p + 1);
    if (s->p < s->end && *s->p == (is_object ? '}' : ']'))
        return close_container(s);
    *opened = true;
    return LS_OK;
}

static const uint8_t *scan_literal(const uint8_t *p, const uint8_t *end, const char *word, size_t n)
{
    return (size_t)(end - p) >= n && memcmp(p, word, n) == 0 ? p + n : NULL;
}

/* Reads one value at the current position: a scalar completely, a container
 * only its opening (see open_container). */
static ls_code scan_value(scanner *s, value_ctx *v, bool *opened)
{
    const uint8_t *p = skip_ws_noted(s, s->p), *end = s->end, *e;
    *opened = false;
    if (p >= end)
        return fail(s, LS_JSONSCAN_INVALID_JSON, p, "unexpected end of input, expected a value");
    if (v->depth == 0 && s->plan->level > 0 && *p != '{')
        s->root_not_object = true;
    if (*p == '{' || *p == '[')
        return open_container(s, v, p, opened);
    token t = {.raw = p, .offset = (size_t)(p - s->start)};
    bool real = false;
    switch (*p) {
    case '"':
        t.kind = LS_JSON_STRING;
        e = scan_string_value(s, p, &t.escaped);
        if (!e)
            return LS_ERR_INVALID;
        /* "__value__" is the message's JSON text, so a string message keeps
         * its quotes and escapes. */
        t.verbatim = v->depth == 0;
        break;
    case 't':
        t.kind = LS_JSON_BOOLEAN;
        e = scan_literal(p, end, "true", 4);
        break;
    case 'f':
        t.kind = LS_JSON_BOOLEAN;
        e = scan_literal(p, end, "false", 5);
        break;
    case 'n':
        t.kind = LS_JSON_NULL;
        e = scan_literal(p, end, "null", 4);
        break;
    default:
        e = scan_number(p, end, &real);
        t.kind = real ? LS_JSON_REAL : LS_JSON_INTEGER;
        break;
    }
    if (!e)
        return fail(s, LS_JSONSCAN_INVALID_JSON, p, "invalid value");
    t.raw_len = (size_t)(e - p);
    s->p = e;
    if (v->fields != NONE)
        return deliver(s, v->fields, &t);
    if (hook_wanted(s, v))
        return leaf_hook(s, value_path(s->plan, v), &t);
    return LS_OK;
}

/* The child of f's node that the key at p (on its opening quote) is, when it
 * is the key predicted for this position and spelled without escapes; NONE
 * otherwise. A match is the whole key: a plain key holds no quote, so the
 * quote after it closes the string, and its bytes are valid string content. */
static inline uint32_t key_predicted(const ls_jsonscan_plan *plan, const frame *f,
                                     const uint8_t *p, const uint8_t *end)
{
    if (f->guess.node == NONE || !plan->nodes[f->guess.node].plain)
        return NONE;
    const plan_node *n = &plan->nodes[f->guess.node];
    size_t len = n->key_len;
    if ((size_t)(end - p) < len + 2 || p[len + 1] != '"' || !key_equal(p + 1, n->key, len))
        return NONE;
    return f->guess.node;
}

/* The key (unescaped: in scratch when escaped) of a member of expanded
 * object f is node's (NONE: no node): learns the key order and sets *v for
 * the member's value. */
static inline void key_resolved(scanner *s, frame *f, const uint8_t *key, size_t len,
                                bool escaped, uint32_t node, value_ctx *v)
{
    ls_jsonscan_plan *plan = s->plan;
    /* Learn the order: the next message will likely repeat it. */
    guess_learn(plan, f, node);
    frame_guess(f, node != NONE ? &plan->nodes[node].guess_next : NULL);
    v->node = node;
    v->fields = node != NONE ? plan->nodes[node].fields : NONE;
    v->depth = f->depth + 1u;
    v->in_levels = v->depth <= (unsigned)plan->level;
    v->path_len = 0;
    v->lazy_key = NULL;
    if (hook_mode(plan) && (escaped || plan->walk_fn)) {
        /* An unescaped key lives in scratch, which the value may reuse; the
         * walk wants every path: build it now. */
        v->path_len = path_push(plan, f->path_len, f->depth > 0, key, len);
    } else if (hook_mode(plan)) {
        v->lazy_key = key;
        v->lazy_len = len;
        v->lazy_base = f->path_len;
        v->lazy_dot = f->depth > 0;
    }
}

/* Works out what the value of a key in an expanded object is to the plan.
 * node is the key's node when key_predicted found it, else NONE. */
static ls_code key_context(scanner *s, frame *f, const uint8_t *q, const uint8_t *e,
                           bool escaped, uint32_t node, value_ctx *v)
{
    ls_jsonscan_plan *plan = s->plan;
    const uint8_t *key = q + 1;
    size_t len = (size_t)(e - q) - 2;
    if (escaped) {
        ls_buf_reset(&plan->scratch);
        ls_code rc = ls_buf_reserve(&plan->scratch, len, s->err);
        if (rc)
            return sink_error(s, rc, q);
        len = unescape(key, len, plan->scratch.data);
        key = plan->scratch.data;
    }
    if (node == NONE && f->node != NONE)
        node = node_child(plan, f->node, key, len, key_hash(key, len));
    key_resolved(s, f, key, len, escaped, node, v);
    return LS_OK;
}

/* Reads `"key" :` inside object f and sets *v for the member's value. */
static ls_code read_key(scanner *s, frame *f, value_ctx *v)
{
    const uint8_t *p = skip_ws_noted(s, s->p), *end = s->end;
    if (p >= end || *p != '"')
        return fail(s, LS_JSONSCAN_INVALID_JSON, p, "expected a string key");
    bool escaped = false;
    uint32_t node = f->expand ? key_predicted(s->plan, f, p, end) : NONE;
    const uint8_t *e =
        node != NONE ? p + s->plan->nodes[node].key_len + 2 : scan_string(s, p, &escaped);
    if (!e)
        return LS_ERR_INVALID;
    *v = dead_ctx;
    if (f->expand) {
        ls_code rc = key_context(s, f, p, e, escaped, node, v);
        if (rc)
            return rc;
    }
    p = e < end && *e == ':' ? e : skip_ws_noted(s, e);
    if (p >= end || *p != ':')
        return fail(s, LS_JSONSCAN_INVALID_JSON, p, "expected ':' after a key");
    s->p = p + 1;
    return LS_OK;
}

/* Whether the bytes at p start with pattern k; at least KEY_PATTERN_BYTES
 * of them can be read when whole_words, else only k->len. */
static inline bool key_pattern_matches(const key_pattern *k, const uint8_t *p, bool whole_words)
{
    if (!whole_words) /* the last member of a message: its key is at the end */
        return key_equal(p, (const uint8_t *)k->word, k->len);
    uint64_t a, b;
    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    return (((a ^ k->word[0]) & k->mask[0]) | ((b ^ k->word[1]) & k->mask[1])) == 0;
}

/* read_key for the usual member of machine-written JSON: the predicted key
 * (of up to KEY_PATTERN_MAX bytes) right at s->p, a ':' right after it.
 * Anything else goes to read_key. */
static inline ls_code read_key_fast(scanner *s, frame *f, value_ctx *v)
{
    const uint8_t *p = s->p, *end = s->end;
    /* The opening quote, then a whole pattern's bytes to load. */
    const key_pattern *k = f->guess.pattern;
    if (k && end - p > (ptrdiff_t)k->len && *p == '"' &&
        key_pattern_matches(k, p + 1, end - p > KEY_PATTERN_BYTES)) {
        key_resolved(s, f, p + 1, k->len - 2, false, f->guess.node, v);
        s->p = p + 1 + k->len;
        return LS_OK;
    }
    return read_key(s, f, v); /* which still tries the guess (key_predicted) */
}

/* After a complete value inside containers: reads ',' or closers until the
 * next value is due (*more) or the root value is complete. */
static ls_code after_value(scanner *s, value_ctx *v, bool *more)
{
    *more = false;
    while (s->stack_count > 0) {
        const uint8_t *p = skip_ws_noted(s, s->p);
        frame *f = &s->plan->stack[s->stack_count - 1];
        s->p = p;
        if (p >= s->end)
            return fail(s, LS_JSONSCAN_INVALID_JSON, p, "unexpected end of input in %s",
                        f->is_object ? "an object" : "an array");
        if (*p == ',') {
            s->p = p + 1;
            *more = true;
            if (f->is_object)
                return read_key_fast(s, f, v); /* which sets *v */
            *v = dead_ctx;
            return LS_OK;
        }
        if (*p != (f->is_object ? '}' : ']'))
            return fail(s, LS_JSONSCAN_INVALID_JSON, p, "expected ',' or '%c'",
                        f->is_object ? '}' : ']');
        ls_code rc = close_container(s);
        if (rc)
            return rc;
    }
    return LS_OK;
}

static ls_code scan_document(scanner *s)
{
    const ls_jsonscan_plan *plan = s->plan;
    value_ctx v = {.node = 0,
                   .fields = plan->value_fields,
                   .depth = 0,
                   .in_levels = plan->level == 0,
                   .path_len = 0};
    if (plan->level == 0 && hook_mode(plan)) {
        memcpy(s->plan->path, "__value__", 9);
        v.path_len = 9;
    }
    for (;;) {
        bool opened, more;
        ls_code rc = scan_value(s, &v, &opened);
        if (!rc && opened) {
            frame *f = &s->plan->stack[s->stack_count - 1];
            v = dead_ctx;
            if (f->is_object)
                rc = read_key_fast(s, f, &v);
            more = true;
        } else if (!rc) {
            rc = after_value(s, &v, &more);
        }
        if (rc)
            return rc;
        if (!more)
            break;
    }
    const uint8_t *p = skip_ws(s->p, s->end);
    if (p != s->end)
        return fail(s, LS_JSONSCAN_INVALID_JSON, p, "unexpected characters after the JSON value");
    if (s->root_not_object)
        return fail(s, LS_JSONSCAN_NOT_OBJECT, s->start,
                    "parse level %d needs a JSON object, the message is another value",
                    plan->level);
    return LS_OK;
}

/* ---------------------------------------------------------------- entry points */

/* Gives the Kafka metadata columns their values, as tokens so the same
 * coercions apply (a partition into a string column is its decimal text). */
/* v in decimal at the end of out[24]; returns where the text starts (no
 * terminator). snprintf costs more than the rest of a short message's
 * metadata, once per message. */
static const char *decimal_text(int64_t v, char out[24], size_t *len)
{
    char *p = out + 24;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    *len = (size_t)(out + 24 - p);
    return p;
}

static ls_code deliver_meta(scanner *s, const ls_kafka_meta *meta)
{
    const ls_jsonscan_plan *plan = s->plan;
    char text[24];
    const uint32_t lists[3] = {plan->partition_fields, plan->offset_fields, plan->timestamp_fields};
    if (lists[0] == NONE && lists[1] == NONE && lists[2] == NONE && plan->key_fields == NONE)
        return LS_OK;
    for (int i = 0; i < 3; i++) {
        if (lists[i] == NONE)
            continue;
        token t = {.kind = meta ? LS_JSON_INTEGER : LS_JSON_NULL, .raw = (const uint8_t *)text};
        if (meta) {
            int64_t v = i == 0 ? meta->partition : i == 1 ? meta->offset : meta->timestamp_ms;
            t.raw = (const uint8_t *)decimal_text(v, text, &t.raw_len);
        }
        ls_code rc = deliver(s, lists[i], &t);
        if (rc)
            return rc;
    }
    if (plan->key_fields == NONE)
        return LS_OK;
    token key = {.kind = LS_JSON_NULL, .verbatim = true};
    if (meta && meta->key) {
        key = (token){
            .kind = LS_JSON_STRING, .raw = meta->key, .raw_len = meta->key_len, .verbatim = true};
    }
    return deliver(s, plan->key_fields, &key);
}

static ls_code check_required(scanner *s)
{
    const ls_jsonscan_plan *plan = s->plan;
    if (!plan->any_required)
        return LS_OK;
    for (size_t i = 0; i < plan->field_count; i++) {
        const plan_field *f = &plan->fields[i];
        if (!f->required)
            continue;
        const ls_column *col = &s->batch->columns[f->column];
        if (!col->set_in_row || col->valid.data[col->valid.len - 1] == 0) {
            s->field = f->source;
            return fail(s, LS_JSONSCAN_REQUIRED_NULL, NULL, "required field %s is null or absent",
                        f->source);
        }
    }
    return LS_OK;
}

/* Checks once per batch (a batch's column types never change) that its
 * columns have the plan's types: per row it cost as much as a short field. */
static ls_code check_batch(ls_jsonscan_plan *plan, const ls_column_batch *batch, ls_error *err)
{
    if (batch->id == plan->checked_batch)
        return LS_OK;
    for (size_t i = 0; i < plan->field_count; i++) {
        const plan_field *f = &plan->fields[i];
        /* Kinds first: only decimals need ls_type_equal's closer look. */
        if (f->column >= batch->column_count ||
            batch->columns[f->column].type.kind != f->type.kind ||
            (f->type.kind == LS_TYPE_DECIMAL &&
             !ls_type_equal(batch->columns[f->column].type, f->type)))
            return ls_error_set_field(err, LS_ERR_INTERNAL, f->source,
                                      "column %zu of the batch does not match the scan plan",
                                      f->column);
    }
    plan->checked_batch = batch->id;
    return LS_OK;
}

static void record_clear(ls_jsonscan_error *record)
{
    record->kind = LS_JSONSCAN_OK;
    record->offset = 0;
    record->field[0] = '\0';
    record->message[0] = '\0';
}

ls_code ls_jsonscan_row(ls_jsonscan_plan *plan, const uint8_t *message, size_t length,
                        const ls_kafka_meta *meta, ls_column_batch *batch,
                        ls_jsonscan_error *record, ls_error *err)
{
    record_clear(record);
    ls_code rc = check_batch(plan, batch, err);
    if (rc)
        return rc;
    scanner s = {.plan = plan,
                 .start = message,
                 .p = message,
                 .end = message + length,
                 .batch = batch,
                 .record = record,
                 .err = err};
    if (length > plan->max_message_bytes)
        return fail(&s, LS_JSONSCAN_TOO_LARGE, NULL, "message of %zu bytes is over the %zu cap",
                    length, plan->max_message_bytes);
    ls_column_batch_row_begin(batch);
    plan->unmapped_values = 0;
    plan->duplicate_keys = 0;
    rc = scan_document(&s);
    if (!rc)
        rc = deliver_meta(&s, meta);
    ls_code held = pending_errors_check(&s);
    if (!rc)
        rc = held;
    if (!rc)
        rc = check_required(&s);
    if (!rc && plan->hold_unmapped && plan->unmapped_values > 0)
        rc = ls_error_set(err, LS_ERR_CONFLICT,
                          "the message has %zu value(s) at paths no field maps",
                          plan->unmapped_values);
    if (rc) {
        ls_column_batch_row_abort(batch);
        return rc;
    }
    return ls_column_batch_row_end(batch, err);
}

static ls_code walk_run(const uint8_t *message, size_t length, int parse_level, size_t max_depth,
                        ls_json_leaf_fn fn, void *ctx, ls_jsonscan_error *record, ls_error *err)
{
    ls_jsonscan_options options = {.parse_level = parse_level, .max_depth = max_depth};
    ls_jsonscan_plan *plan = NULL;
    record_clear(record);
    ls_code rc = ls_jsonscan_plan_new(&options, NULL, 0, &plan, err);
    if (rc)
        return rc;
    plan->walk_fn = fn;
    plan->hooks = plan->walk_fn != NULL || plan->collect_unmapped; /* validation has no fn */
    plan->walk_ctx = ctx;
    scanner s = {.plan = plan,
                 .start = message,
                 .p = message,
                 .end = message + length,
                 .record = record,
                 .err = err};
    if (length > plan->max_message_bytes)
        rc = fail(&s, LS_JSONSCAN_TOO_LARGE, NULL, "message of %zu bytes is over the %zu cap",
                  length, plan->max_message_bytes);
    else
        rc = scan_document(&s);
    if (plan->walk_rc)
        rc = plan->walk_rc;
    ls_jsonscan_plan_free(plan);
    return rc;
}

ls_code ls_json_walk(const uint8_t *message, size_t length, int parse_level, size_t max_depth,
                     ls_json_leaf_fn fn, void *ctx, ls_jsonscan_error *record, ls_error *err)
{
    return walk_run(message, length, parse_level, max_depth, fn, ctx, record, err);
}

ls_code ls_json_validate(const uint8_t *message, size_t length, size_t max_depth,
                         ls_jsonscan_error *record)
{
    ls_error err;
    ls_error_clear(&err);
    ls_code rc = walk_run(message, length, 0, max_depth, NULL, NULL, record, &err);
    if (rc && record->kind == LS_JSONSCAN_OK) {
        /* Only allocation can fail here; report it as the record's problem. */
        record->kind = LS_JSONSCAN_TOO_LARGE;
        snprintf(record->message, sizeof record->message, "%s", err.message);
        rc = LS_ERR_INVALID;
    }
    return rc;
}
