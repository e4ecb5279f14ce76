/* The string-value rewriter of jsonstr.h: a walk over an already validated JSON text that
 * stops at each string value, decodes it only when it has escapes (most do not: the walk
 * then hands out the message's own bytes) and splices replacements into a copy made only
 * once something changes. */
#include "inspect/guards/jsonstr.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "inspect/guards/jsonstr-avx2.h"
#include "util/utf8.h"

enum { ST_VALUE, ST_VALUE_OR_CLOSE, ST_KEY_OR_CLOSE, ST_KEY, ST_AFTER_VALUE, ST_DONE };

static size_t skip_ws(const char *m, size_t pos, size_t end)
{
        while (pos < end && (m[pos] == ' ' || m[pos] == '\t' || m[pos] == '\n' || m[pos] == '\r'))
                pos++;
        return pos;
}

#if defined(__SSE2__)
/* Bit k set: byte k of the 16 at m is '"' or '\\', the only two bytes that matter inside a
 * JSON string. */
static inline unsigned specials16(const char *m)
{
        __m128i x = _mm_loadu_si128((const __m128i *)m);
        return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                                                        _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
}
#endif

/* The first '"' or '\\' at or after p, end when there is none. Tool results carry one
 * every few dozen bytes (\n, \" of embedded JSON), so this is inline, 16 bytes a step,
 * rather than a memchr per byte kind. */
static size_t next_special(const char *m, size_t p, size_t end)
{
        /* long results (a file's text, a multi-megabyte line) 64 bytes a step */
        if (end - p >= 256 && jsonstr_avx2_ready())
                return jsonstr_avx2_next_special(m, p, end);
#if defined(__SSE2__)
        for (; p + 16 <= end; p += 16) {
                unsigned k = specials16(m + p);
                if (k)
                        return p + (size_t)__builtin_ctz(k);
        }
#endif
        while (p < end && m[p] != '"' && m[p] != '\\')
                p++;
        return p;
}

/* pos is at the opening quote; returns one past the closing quote (end if unterminated).
 * A backslash takes the byte after it along, so an escaped quote never ends the string. */
static size_t string_end(const char *m, size_t pos, size_t end)
{
        size_t p = pos + 1;
        for (;;) {
                p = next_special(m, p, end);
                if (p >= end)
                        return end;
                if (m[p] == '"')
                        return p + 1;
                if (end - p < 2)
                        return end;
                p += 2;
        }
}

/* One past the value starting at pos (string, container or scalar). */
static size_t skip_value(const char *m, size_t pos, size_t end)
{
        if (pos >= end)
                return end;
        if (m[pos] == '"')
                return string_end(m, pos, end);
        if (m[pos] == '{' || m[pos] == '[') {
                size_t depth = 0;
                while (pos < end) {
                        char c = m[pos];
                        if (c == '"') {
                                pos = string_end(m, pos, end);
                                continue;
                        }
                        if (c == '{' || c == '[')
                                depth++;
                        else if ((c == '}' || c == ']') && --depth == 0)
                                return pos + 1;
                        pos++;
                }
                return end;
        }
        while (pos < end && !strchr(",}] \t\r\n", m[pos]))
                pos++;
        return pos;
}

/* Each byte's value as a hex digit plus one, 0 for a byte that is none. A table rather
 * than comparisons: the digits of \u escapes mix numbers and letters at random, and a
 * branch on each was a likely mispredict (CJK text escaped throughout, as Python's
 * json.dumps writes it, decoded at ~340 MB/s). */
static const unsigned char hex_digit[256] = {
        ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
        ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
        ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* The four hex digits at p as a number, -1 when they are not four hex digits. */
static long hex4(const char *p)
{
        const unsigned char *u = (const unsigned char *)p;
        unsigned a = hex_digit[u[0]], b = hex_digit[u[1]], c = hex_digit[u[2]], d = hex_digit[u[3]];
        if (!a | !b | !c | !d)
                return -1;
        return (long)((a - 1) << 12 | (b - 1) << 8 | (c - 1) << 4 | (d - 1));
}

/* A \u escape at raw[i] ('\\' 'u' and four hex digits), a surrogate pair taking two, as
 * UTF-8 at *o. A lone surrogate has no UTF-8 form; it decodes to U+FFFD (the guards see a
 * replacement character where a peer's decoder would see garbage; neither hides a token).
 * Returns the bytes consumed, 0 when malformed. */
static size_t decode_u(const char *raw, size_t i, size_t len, char **o)
{
        long cp = len - i >= 6 ? hex4(raw + i + 2) : -1;
        if (cp < 0)
                return 0;
        size_t used = 6;
        if (cp >= 0xD800 && cp <= 0xDBFF && len - i >= 12 && raw[i + 6] == '\\' && raw[i + 7] == 'u') {
                long lo = hex4(raw + i + 8);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        used = 12;
                }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xFFFD;
        *o += utf8_put(*o, (unsigned long)cp);
        return used;
}

/* The escape at raw[i] ('\\' and what follows, within raw[0..len)) decoded at *o, which has
 * room (an escape's UTF-8 is never longer than the escape); returns the bytes it took, 0
 * when it is malformed. */
static size_t decode_escape(const char *raw, size_t i, size_t len, char **o)
{
        static const char simple[256] = { ['n'] = '\n', ['t'] = '\t', ['r'] = '\r', ['b'] = '\b',
                                          ['f'] = '\f', ['"'] = '"', ['\\'] = '\\', ['/'] = '/' };
        if (len - i < 2)
                return 0;
        unsigned char c = (unsigned char)raw[i + 1];
        if (c == 'u')
                return decode_u(raw, i, len, o);
        if (!simple[c])
                return 0;
        *(*o)++ = simple[c];
        return 2;
}

/* Writes straight into out's reserved space: decoded text is never longer than its raw
 * form. */
int jsonstr_decode(const char *raw, size_t len, struct buf *out)
{
        if (buf_reserve(out, len + 4) < 0)
                return -ENOMEM;
        char *o = out->data + out->len;
        size_t i = 0;
        while (i < len) {
                const char *bs = memchr(raw + i, '\\', len - i);
                size_t plain = bs ? (size_t)(bs - raw) - i : len - i;
                memcpy(o, raw + i, plain);
                o += plain;
                i += plain;
                if (i >= len)
                        break;
                size_t used = decode_escape(raw, i, len, &o);
                if (!used)
                        return -EINVAL;
                i += used;
        }
        out->len = (size_t)(o - out->data);
        return 0;
}

int jsonstr_encode(const char *text, size_t len, struct buf *out)
{
        static const char hex[] = "0123456789abcdef";
        int rc = buf_reserve(out, len + 2);
        if (rc >= 0)
                rc = buf_append(out, "\"", 1);
        size_t i = 0;
        while (rc >= 0 && i < len) {
                size_t run = i;
                while (run < len && (unsigned char)text[run] >= 0x20 && text[run] != '"' && text[run] != '\\')
                        run++;
                rc = buf_append(out, text + i, run - i);
                i = run;
                if (rc < 0 || i >= len)
                        break;
                unsigned char c = (unsigned char)text[i++];
                char e[6] = { '\\', 0 };
                size_t n = 2;
                switch (c) {
                case '"': e[1] = '"'; break;
                case '\\': e[1] = '\\'; break;
                case '\n': e[1] = 'n'; break;
                case '\r': e[1] = 'r'; break;
                case '\t': e[1] = 't'; break;
                case '\b': e[1] = 'b'; break;
                case '\f': e[1] = 'f'; break;
                default:
                        memcpy(e + 1, "u00", 3);
                        e[4] = hex[c >> 4];
                        e[5] = hex[c & 15];
                        n = 6;
                }
                rc = buf_append(out, e, n);
        }
        return rc < 0 ? rc : buf_append(out, "\"", 1);
}

/* Does the raw key (between quotes) decode to the pointer token tok (already unescaped)? */
static bool key_is(const char *raw, size_t len, const char *tok, size_t toklen)
{
        if (!memchr(raw, '\\', len))
                return len == toklen && !memcmp(raw, tok, len);
        struct buf d = { 0 };
        bool same = jsonstr_decode(raw, len, &d) >= 0 && d.len == toklen && !memcmp(d.data, tok, toklen);
        buf_free(&d);
        return same;
}

/* The next reference token of a pointer, "~1" -> "/" and "~0" -> "~" undone, into tok. */
static const char *next_token(const char *p, char *tok, size_t cap, size_t *toklen)
{
        size_t n = 0;
        for (p++; *p && *p != '/'; p++) {
                char c = *p;
                if (c == '~' && (p[1] == '0' || p[1] == '1'))
                        c = *++p == '0' ? '~' : '/';
                if (n + 1 < cap)
                        tok[n++] = c;
        }
        *toklen = n;
        return p;
}

/* Within the container at pos, the start of the member named by tok (objects) or the
 * element at that index (arrays); end when absent. */
static size_t find_child(const char *m, size_t pos, size_t end, const char *tok, size_t toklen)
{
        bool obj = m[pos] == '{';
        char *stop;
        unsigned long want = strtoul(tok, &stop, 10);
        if (!obj && (toklen == 0 || tok[0] < '0' || tok[0] > '9' || *stop ||
                     (tok[0] == '0' && toklen > 1)))
                return end;
        pos = skip_ws(m, pos + 1, end);
        for (unsigned long idx = 0; pos < end && m[pos] != '}' && m[pos] != ']'; idx++) {
                bool hit = !obj && idx == want;
                if (obj) {
                        size_t ke = string_end(m, pos, end);
                        hit = ke >= pos + 2 && key_is(m + pos + 1, ke - pos - 2, tok, toklen);
                        pos = skip_ws(m, ke, end);
                        pos = skip_ws(m, pos + 1, end);          /* the ':' */
                }
                if (hit)
                        return pos;
                pos = skip_ws(m, skip_value(m, pos, end), end);
                if (pos < end && m[pos] == ',')
                        pos = skip_ws(m, pos + 1, end);
        }
        return end;
}

/* Where the value pointer names starts, or len when there is none. */
static size_t locate_start(const char *msg, size_t len, const char *pointer)
{
        size_t pos = skip_ws(msg, 0, len);
        const char *p = pointer;
        char tok[256];
        while (*p == '/') {
                size_t toklen;
                p = next_token(p, tok, sizeof(tok), &toklen);
                tok[toklen < sizeof(tok) ? toklen : sizeof(tok) - 1] = '\0';
                if (pos >= len || (msg[pos] != '{' && msg[pos] != '['))
                        return len;
                pos = find_child(msg, pos, len, tok, toklen);
                if (pos >= len)
                        return len;
        }
        return *p ? len : pos;
}

int jsonstr_locate(const char *msg, size_t len, const char *pointer, size_t *start, size_t *end)
{
        size_t pos = locate_start(msg, len, pointer);
        if (pos >= len)
                return 0;
        *start = pos;
        *end = skip_value(msg, pos, len);
        return 1;
}

int jsonstr_begin(struct jsonstr_iter *it, const char *msg, size_t len, const char *scope,
                  struct buf *out, struct mc_error *err)
{
        *it = (struct jsonstr_iter){ .msg = msg, .len = len, .out = out, .state = ST_VALUE };
        it->scope = strdup(scope ? scope : "");
        if (!it->scope)
                return mc_error_set(err, ENOMEM, "out of memory");
        /* The walk ends where the scoped value closes (its depth returns to zero), so it
         * needs no end found first: that would be one more pass over a multi-megabyte
         * result. */
        it->pos = locate_start(msg, len, it->scope);
        it->end = len;
        if (it->pos >= len) {
                it->state = ST_DONE;
                return 1;
        }
        return 0;
}

static int push(struct jsonstr_iter *it, bool is_object, struct mc_error *err)
{
        if (it->depth == JSONSTR_MAX_DEPTH)
                return mc_error_set(err, E2BIG, "JSON nested deeper than %d levels", JSONSTR_MAX_DEPTH);
        it->stack[it->depth++] = (struct jsonstr_frame){ .is_object = is_object };
        return 0;
}

/* From p, the byte after an escape, up to the next '"' or '\\' (or end): copied to *o as
 * it is scanned, 16 bytes a step (a whole step is stored even when a special byte ends it
 * early; the caller reserved 32 bytes beyond the raw length for that). Returns the
 * position of the special byte. */
static size_t copy_run(const char *m, size_t p, size_t end, char **o)
{
#if defined(__SSE2__)
        for (; p + 16 <= end; p += 16, *o += 16) {
                memcpy(*o, m + p, 16);
                unsigned k = specials16(m + p);
                if (k) {
                        *o += __builtin_ctz(k);
                        return p + (size_t)__builtin_ctz(k);
                }
        }
#endif
        while (p < end && m[p] != '"' && m[p] != '\\')
                *(*o)++ = m[p++];
        return p;
}

/* At a string value: hand out its decoded text. A string without escapes (most) is found
 * by one scan and handed out in place. From the first escape on, the scan decodes as it
 * goes, into space reserved once: decoded text is never longer than its raw form, which
 * ends before it->end. */
static int yield_string(struct jsonstr_iter *it, const char **text, size_t *len)
{
        const char *m = it->msg;
        size_t s = it->pos, p = next_special(m, s + 1, it->end);
        char *o = NULL;
        if (p < it->end && m[p] == '\\') {
                buf_reset(&it->decoded);
                if (buf_reserve(&it->decoded, it->end - s + 32) < 0)
                        return -ENOMEM;
                o = it->decoded.data;
                memcpy(o, m + s + 1, p - (s + 1));
                o += p - (s + 1);
                /* When the block decoder hands back a block it cannot do (a \u escape) at
                 * once, the scalar loop goes on alone for twice as long as the last time
                 * (32 bytes to 4 KiB), so text written all in \u escapes (JSON with
                 * ensure_ascii) is not slowed by a try at every escape. */
                size_t blocks_from = jsonstr_avx2_ready() ? 0 : SIZE_MAX, backoff = 32;
                while (p < it->end && m[p] == '\\') {
                        /* an escape never reaches past the string: a '"' ends it, and a '"'
                         * is not a hex digit or an escape letter */
                        size_t used = decode_escape(m, p, it->end, &o);
                        if (!used)
                                return -EINVAL;
                        p += used;
                        if (p >= blocks_from) {
                                size_t from = p;
                                p = jsonstr_avx2_decode(m, p, it->end, &o);
                                if (p - from < 32) {
                                        blocks_from = p + backoff;
                                        backoff = backoff < 4096 ? backoff * 2 : backoff;
                                } else {
                                        backoff = 32;
                                }
                        }
                        p = copy_run(m, p, it->end, &o);
                }
        }
        size_t e = p < it->end ? p + 1 : it->end;
        it->str_start = s;
        it->str_end = e;
        it->str_current = true;
        it->pos = e;
        it->state = ST_AFTER_VALUE;
        if (!o) {
                *text = m + s + 1;
                *len = p - (s + 1);
                return 1;
        }
        it->decoded.len = (size_t)(o - it->decoded.data);
        *text = it->decoded.data;
        *len = it->decoded.len;
        return 1;
}

/* After a value: a comma moves to the next member or element, a bracket closes. */
static int after_value(struct jsonstr_iter *it, char c)
{
        if (it->depth == 0) {
                it->state = ST_DONE;
                return 0;
        }
        struct jsonstr_frame *f = &it->stack[it->depth - 1];
        it->pos++;
        if (c == ',') {
                f->index++;
                it->state = f->is_object ? ST_KEY : ST_VALUE;
        } else {
                it->depth--;
                it->state = ST_AFTER_VALUE;
        }
        return 0;
}

static void read_key(struct jsonstr_iter *it)
{
        size_t e = string_end(it->msg, it->pos, it->end);
        struct jsonstr_frame *f = &it->stack[it->depth - 1];
        f->key_off = it->pos + 1;
        f->key_len = e - it->pos >= 2 ? e - it->pos - 2 : 0;
        it->pos = skip_ws(it->msg, e, it->end) + 1;              /* past the ':' */
        it->state = ST_VALUE;
}

int jsonstr_next(struct jsonstr_iter *it, const char **text, size_t *len, struct mc_error *err)
{
        it->str_current = false;
        while (it->state != ST_DONE) {
                it->pos = skip_ws(it->msg, it->pos, it->end);
                if (it->pos >= it->end)
                        break;
                char c = it->msg[it->pos];
                int rc = 0;
                switch (it->state) {
                case ST_VALUE_OR_CLOSE:
                case ST_KEY_OR_CLOSE:
                        if (c == ']' || c == '}') {
                                rc = after_value(it, c);
                                break;
                        }
                        if (it->state == ST_KEY_OR_CLOSE) {
                                read_key(it);
                                break;
                        }
                        /* fall through */
                case ST_VALUE:
                        if (c == '"')
                                return yield_string(it, text, len);
                        if (c == '{' || c == '[') {
                                rc = push(it, c == '{', err);
                                it->pos++;
                                it->state = c == '{' ? ST_KEY_OR_CLOSE : ST_VALUE_OR_CLOSE;
                        } else {
                                it->pos = skip_value(it->msg, it->pos, it->end);
                                it->state = ST_AFTER_VALUE;
                        }
                        break;
                case ST_KEY:
                        read_key(it);
                        break;
                case ST_AFTER_VALUE:
                        rc = after_value(it, c);
                        break;
                default:
                        it->state = ST_DONE;
                }
                if (rc < 0)
                        return rc;
        }
        it->state = ST_DONE;
        return 0;
}

int jsonstr_replace(struct jsonstr_iter *it, const char *text, size_t len)
{
        if (!it->str_current)
                return -EINVAL;
        int rc = buf_append(it->out, it->msg + it->copied, it->str_start - it->copied);
        if (rc >= 0)
                rc = jsonstr_encode(text, len, it->out);
        if (rc < 0)
                return rc;
        it->copied = it->str_end;
        it->changed = true;
        it->str_current = false;
        return 0;
}

static int append_pointer_token(struct buf *path, const char *s, size_t n)
{
        int rc = buf_append(path, "/", 1);
        for (size_t i = 0; rc >= 0 && i < n; i++)
                rc = s[i] == '~' ? buf_append(path, "~0", 2) :
                     s[i] == '/' ? buf_append(path, "~1", 2) : buf_append(path, s + i, 1);
        return rc;
}

int jsonstr_path(const struct jsonstr_iter *it, struct buf *path)
{
        int rc = buf_append_str(path, it->scope);
        for (size_t d = 0; rc >= 0 && d < it->depth; d++) {
                const struct jsonstr_frame *f = &it->stack[d];
                if (!f->is_object) {
                        rc = buf_printf(path, "/%zu", f->index);
                        continue;
                }
                struct buf key = { 0 };
                rc = jsonstr_decode(it->msg + f->key_off, f->key_len, &key);
                if (rc >= 0)
                        rc = append_pointer_token(path, key.data ? key.data : "", key.len);
                buf_free(&key);
        }
        return rc;
}

int jsonstr_finish(struct jsonstr_iter *it)
{
        if (!it->changed)
                return 0;
        if (buf_append(it->out, it->msg + it->copied, it->len - it->copied) < 0)
                return -ENOMEM;
        it->copied = it->len;
        return 1;
}

void jsonstr_end(struct jsonstr_iter *it)
{
        buf_free(&it->decoded);
        free(it->scope);
        it->scope = NULL;
}
