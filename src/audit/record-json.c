/* The caller's fields of a record, serialised straight into the line buffer. This is the
 * per-call hot path, and jansson's json_dumpb spends most of its time on things a record
 * does not need: a hashtable of every container on the way down (loop detection: malloc,
 * snprintf of the pointer, free), a callback per piece, snprintf per integer. Measured on
 * a typical call record: json_dumpb ~3 us, this ~0.3 us.
 *
 * The bytes must be exactly jansson's (JSON_COMPACT, no ENSURE_ASCII, no ESCAPE_SLASH): the
 * chain hashes them and SIEM parsers key on them; tests/unit/test-audit.c pins them. So the
 * fast path writes only what it can write identically (null, true, false, integers, UTF-8
 * strings, arrays, objects in insertion order) and hands everything else to jansson: a real
 * is formatted by jansson itself, and a string that is not valid UTF-8 (only a _nocheck
 * constructor makes one) or a tree deeper than any parsed message makes the caller dump the
 * whole fields with json_dumpb, which then gives jansson's own verdict. */
#include "audit/audit-internal.h"

#include <errno.h>
#include <string.h>

/* jansson's parser stops at 2048 levels; only a cycle (a caller bug) goes deeper. */
#define DEPTH_MAX 4096

/* Length of the valid UTF-8 sequence at p (first byte >= 0x80), 0 if invalid: the rules of
 * jansson's utf8_check_first/utf8_check_full (no overlongs, no surrogates, <= U+10FFFF). */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
        unsigned c = p[0];
        size_t n;
        uint32_t v;
        if (c >= 0xC2 && c <= 0xDF) {
                n = 2;
                v = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
                n = 3;
                v = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
                n = 4;
                v = c & 0x07;
        } else {
                return 0;
        }
        if ((size_t)(end - p) < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xC0) != 0x80)
                        return 0;
                v = (v << 6) | (p[i] & 0x3F);
        }
        if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10FFFF ||
            (v >= 0xD800 && v <= 0xDFFF))
                return 0;
        return n;
}

/* One escape as jansson writes it: the short forms, else \u00XX with upper-case hex. */
static int append_escape(struct buf *b, unsigned char c)
{
        static const char hex[] = "0123456789ABCDEF";
        char seq[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF] };
        switch (c) {
        case '\\': return line_puts(b, "\\\\");
        case '"': return line_puts(b, "\\\"");
        case '\b': return line_puts(b, "\\b");
        case '\f': return line_puts(b, "\\f");
        case '\n': return line_puts(b, "\\n");
        case '\r': return line_puts(b, "\\r");
        case '\t': return line_puts(b, "\\t");
        default: return line_put(b, seq, sizeof(seq));
        }
}

static int append_string(struct buf *b, const char *str, size_t len)
{
        const unsigned char *p = (const unsigned char *)str, *end = p + len;
        if (buf_reserve(b, len + 2) < 0)
                return -ENOMEM;
        b->data[b->len++] = '"';
        while (p < end) {
                const unsigned char *run = p;
                while (p < end) {
                        if (*p >= 0x80) {
                                size_t n = utf8_len(p, end);
                                if (!n)
                                        return -EAGAIN;
                                p += n;
                        } else if (*p >= 0x20 && *p != '"' && *p != '\\') {
                                p++;
                        } else {
                                break;
                        }
                }
                if (line_put(b, run, (size_t)(p - run)) < 0)
                        return -ENOMEM;
                if (p < end && append_escape(b, *p++) < 0)
                        return -ENOMEM;
        }
        return line_putc(b, '"');
}

/* "%" JSON_INTEGER_FORMAT, without snprintf. */
static int append_integer(struct buf *b, json_int_t v)
{
        char tmp[24];
        size_t n = sizeof(tmp);
        unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
        do {
                tmp[--n] = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (v < 0)
                tmp[--n] = '-';
        return line_put(b, tmp + n, sizeof(tmp) - n);
}

/* jansson's own formatting of a real (its precision and "always a dot or an exponent"). */
static int append_real(struct buf *b, const json_t *v)
{
        char tmp[64];
        size_t n = json_dumpb(v, tmp, sizeof(tmp), JSON_ENCODE_ANY | JSON_COMPACT);
        if (n == 0 || n > sizeof(tmp))
                return -EAGAIN;
        return line_put(b, tmp, n);
}

static int append_value(struct buf *b, const json_t *v, unsigned depth);

/* The members of an object, "k":v,... in insertion order, without braces. The iterator
 * calls, not json_object_foreach, which looks each key up again to step. */
static int append_members(struct buf *b, const json_t *obj, unsigned depth)
{
        json_t *o = (json_t *)obj;      /* jansson's iterators take non-const */
        bool first = true;
        for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
                if (!first && line_putc(b, ',') < 0)
                        return -ENOMEM;
                first = false;
                int r = append_string(b, json_object_iter_key(it), record_key_len(it));
                if (r < 0)
                        return r;
                if (line_putc(b, ':') < 0)
                        return -ENOMEM;
                r = append_value(b, json_object_iter_value(it), depth + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int append_array(struct buf *b, const json_t *arr, unsigned depth)
{
        size_t i;
        json_t *value;
        if (line_putc(b, '[') < 0)
                return -ENOMEM;
        json_array_foreach(arr, i, value) {
                if (i > 0 && line_putc(b, ',') < 0)
                        return -ENOMEM;
                int r = append_value(b, value, depth + 1);
                if (r < 0)
                        return r;
        }
        return line_putc(b, ']');
}

static int append_value(struct buf *b, const json_t *v, unsigned depth)
{
        if (depth > DEPTH_MAX)
                return -EAGAIN;
        switch (json_typeof(v)) {
        case JSON_OBJECT: {
                if (line_putc(b, '{') < 0)
                        return -ENOMEM;
                int r = append_members(b, v, depth);
                return r < 0 ? r : line_putc(b, '}');
        }
        case JSON_ARRAY: return append_array(b, v, depth);
        case JSON_STRING: return append_string(b, json_string_value(v), json_string_length(v));
        case JSON_INTEGER: return append_integer(b, json_integer_value(v));
        case JSON_REAL: return append_real(b, v);
        case JSON_TRUE: return line_puts(b, "true");
        case JSON_FALSE: return line_puts(b, "false");
        case JSON_NULL: return line_puts(b, "null");
        default: return -EAGAIN;
        }
}

int record_json_members(struct buf *b, const json_t *obj)
{
        return append_members(b, obj, 0);
}

int audit_json_string(struct buf *b, const char *s, size_t len)
{
        return append_string(b, s, len);
}

int audit_json_integer(struct buf *b, json_int_t v)
{
        return append_integer(b, v);
}

int audit_json_value(struct buf *b, const json_t *v)
{
        return append_value(b, v, 0);
}
