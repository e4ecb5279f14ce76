/* The strict single-pass JSON validator. Every message crosses it in both directions, so
 * it is written as a tight loop: plain string runs are skipped 16 bytes at a time (SSE2) or
 * 8 (SWAR), and nothing is allocated for ordinary messages.
 *
 * Why so strict (threats.md §4): anything mcpcage and the server could read differently
 * (duplicate keys, where parsers disagree on which one wins; invalid UTF-8, which some
 * replace and some reject; lone surrogates; depth bombs) would let a call hide from the
 * checks, so all of it is refused before classification. */
#include "inspect/jsonscan.h"
#include "inspect/jsonrpc.h"
#include "util/cpu.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* Up to this many keys an object is checked for duplicates by comparing each new key with
 * the previous ones; beyond it the keys are sorted once at the end of the object, so a
 * 100 000-key object costs n log n, not n^2 (and no hash an attacker could flood). */
#define SMALL_OBJECT_KEYS 16
#define INLINE_KEYS 64

struct keyent {
        const char *dec;        /* decoded key: into the buffer, or owned when escaped */
        size_t declen, pos;
        bool owned;
};

struct pathent {
        const char *key;
        size_t klen, index;
        bool is_array;
};

struct scanner {
        const unsigned char *b;
        size_t len, pos;
        int depth;
        bool oom;
        struct jscan_fault *f;
        struct keyent *keys;
        size_t nkeys, capkeys, nowned;
        struct pathent path[JSONRPC_MAX_DEPTH + 2];
        struct keyent inline_keys[INLINE_KEYS];
};

static bool scan_value(struct scanner *s, struct jv *v, struct jwatch *w);

/* The JSON pointer of path[1..upto], printable ASCII only (a fault reason is logged and
 * audited and must carry no content, only structure). */
static void put_pointer(const struct scanner *s, int upto, char *out, size_t cap)
{
        size_t o = 0;
        out[0] = '\0';
        for (int d = 1; d <= upto && o + 8 < cap; d++) {
                const struct pathent *p = &s->path[d];
                if (p->is_array) {
                        int n = snprintf(out + o, cap - o, "/%zu", p->index);
                        o = n > 0 && (size_t)n < cap - o ? o + (size_t)n : cap - 1;
                        continue;
                }
                out[o++] = '/';
                for (size_t i = 0; i < p->klen && i < 24 && o + 3 < cap; i++) {
                        unsigned char c = (unsigned char)p->key[i];
                        if (c == '~' || c == '/') {
                                out[o++] = '~';
                                out[o++] = c == '~' ? '0' : '1';
                        } else
                                out[o++] = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char)c : '?';
                }
                out[o] = '\0';
        }
}

__attribute__((format(printf, 3, 4)))
static bool fail(struct scanner *s, int code, const char *fmt, ...)
{
        struct jscan_fault *f = s->f;
        char where[96];
        va_list ap;

        f->code = code;
        f->pos = s->pos;
        va_start(ap, fmt);
        int n = vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
        va_end(ap);
        put_pointer(s, s->depth, where, sizeof(where));
        if (n >= 0 && (size_t)n < sizeof(f->reason) && where[0])
                snprintf(f->reason + n, sizeof(f->reason) - (size_t)n, " in %s", where);
        return false;
}

static inline void skip_ws(struct scanner *s)
{
        const unsigned char *b = s->b;
        size_t i = s->pos, n = s->len;
        while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
                i++;
        s->pos = i;
}

static inline bool is_plain(unsigned char c)
{
        return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Skip bytes that need no attention inside a string: printable ASCII other than '"' and
 * '\\'. Returns the index of the first byte that does (or n). */
static inline size_t skip_plain_short(const unsigned char *b, size_t i, size_t n)
{
#ifdef __SSE2__
        const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
        while (i + 16 <= n) {
                __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
                /* signed compare: < 0x20 catches control bytes and every byte >= 0x80 */
                __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, bs)),
                                         _mm_cmplt_epi8(x, sp));
                int mask = _mm_movemask_epi8(m);
                if (mask)
                        return i + (size_t)__builtin_ctz((unsigned)mask);
                i += 16;
        }
#endif
        while (i + 8 <= n) {
                uint64_t w;
                memcpy(&w, b + i, 8);
                uint64_t xq = w ^ (ONES * '"'), xb = w ^ (ONES * '\\');
                uint64_t special = (w & HIGHS) |
                                   ((w - ONES * 0x20) & ~w & HIGHS) |
                                   ((xq - ONES) & ~xq & HIGHS) |
                                   ((xb - ONES) & ~xb & HIGHS);
                if (special)
                        break;
                i += 8;
        }
        while (i < n && is_plain(b[i]))
                i++;
        return i;
}

#if defined(__x86_64__)
/* A long run (the text of a multi-megabyte result) 64 bytes a step on aligned blocks: no
 * load crosses a cache line, so the speed does not depend on where the buffer or this
 * loop's code happen to lie (a 16-byte loop's did, by ~5 % of an 8 MiB result's relay
 * time between two builds that differed elsewhere). */
__attribute__((target("avx2")))
static inline uint32_t attention32(__m256i x)
{
        /* signed compare: < 0x20 catches control bytes and every byte >= 0x80 */
        __m256i m = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('"')),
                                                    _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\\'))),
                                    _mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), x));
        return (uint32_t)_mm256_movemask_epi8(m);
}

__attribute__((target("avx2")))
static size_t skip_plain_long(const unsigned char *b, size_t i, size_t n)
{
        uint32_t k = attention32(_mm256_loadu_si256((const __m256i *)(const void *)(b + i)));
        if (k)
                return i + (size_t)__builtin_ctz(k);
        i += 32 - ((uintptr_t)(b + i) & 31);
        for (; n - i >= 64; i += 64) {
                uint64_t both = attention32(_mm256_load_si256((const __m256i *)(const void *)(b + i))) |
                                (uint64_t)attention32(_mm256_load_si256((const __m256i *)(const void *)(b + i + 32))) << 32;
                if (both)
                        return i + (size_t)__builtin_ctzll(both);
        }
        return skip_plain_short(b, i, n);
}

/* The same where the CPU has AVX-512BW: each class is one compare into a mask register, on
 * 64-byte aligned blocks (one cache line each). */
__attribute__((target("avx2,avx512f,avx512bw")))
static size_t skip_plain_long512(const unsigned char *b, size_t i, size_t n)
{
        const __m512i q = _mm512_set1_epi8('"'), bs = _mm512_set1_epi8('\\'), sp = _mm512_set1_epi8(0x20);
        __m512i x = _mm512_loadu_si512((const void *)(b + i));
        /* signed compare: < 0x20 catches control bytes and every byte >= 0x80 */
        uint64_t k = _mm512_cmpeq_epi8_mask(x, q) | _mm512_cmpeq_epi8_mask(x, bs) | _mm512_cmplt_epi8_mask(x, sp);
        if (k)
                return i + (size_t)__builtin_ctzll(k);
        i += 64 - ((uintptr_t)(b + i) & 63);
        for (; n - i >= 64; i += 64) {
                x = _mm512_load_si512((const void *)(b + i));
                k = _mm512_cmpeq_epi8_mask(x, q) | _mm512_cmpeq_epi8_mask(x, bs) | _mm512_cmplt_epi8_mask(x, sp);
                if (k)
                        return i + (size_t)__builtin_ctzll(k);
        }
        return skip_plain_short(b, i, n);
}

#endif

static inline size_t skip_plain(const unsigned char *b, size_t i, size_t n)
{
#if defined(__x86_64__)
        if (n - i >= 256 && cpu_has_avx512bw())
                return skip_plain_long512(b, i, n);
        if (n - i >= 256 && cpu_has_avx2())
                return skip_plain_long(b, i, n);
#endif
        return skip_plain_short(b, i, n);
}

/* Length of the UTF-8 sequence at b[i] (2..4), or 0 when it is not well formed: overlong
 * forms, UTF-16 surrogates encoded in UTF-8 and anything above U+10FFFF are refused. */
static inline size_t utf8_seq(const unsigned char *b, size_t i, size_t n)
{
        unsigned char c = b[i];
        unsigned char lo = 0x80, hi = 0xBF;
        size_t need;

        /* the common 3-byte form (most of the BMP) without the general checks */
        if (c >= 0xE1 && c <= 0xEF && c != 0xED && n - i > 2 &&
            (b[i + 1] & 0xC0) == 0x80 && (b[i + 2] & 0xC0) == 0x80)
                return 3;
        if (c >= 0xC2 && c <= 0xDF)
                need = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
                need = 2;
                if (c == 0xE0)
                        lo = 0xA0;
                else if (c == 0xED)
                        hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
                need = 3;
                if (c == 0xF0)
                        lo = 0x90;
                else if (c == 0xF4)
                        hi = 0x8F;
        } else
                return 0;
        if (n - i <= need)
                return 0;
        if (b[i + 1] < lo || b[i + 1] > hi)
                return 0;
        for (size_t k = 2; k <= need; k++)
                if (b[i + k] < 0x80 || b[i + k] > 0xBF)
                        return 0;
        return need + 1;
}

static int hexval(unsigned char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c |= 0x20;
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

static long hex4(const unsigned char *b, size_t i, size_t n)
{
        if (n - i < 4)
                return -1;
        long v = 0;
        for (int k = 0; k < 4; k++) {
                int h = hexval(b[i + (size_t)k]);
                if (h < 0)
                        return -1;
                v = v << 4 | h;
        }
        return v;
}

/* One escape at b[i] == '\\'; adds its decoded length to *dec. Returns the index after it,
 * or 0 when it is invalid (i is never 0 inside a string). */
static size_t scan_escape(const unsigned char *b, size_t i, size_t n, size_t *dec, bool *nul)
{
        if (i + 1 >= n)
                return 0;
        switch (b[i + 1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                *dec += 1;
                return i + 2;
        case 'u': {
                long cp = hex4(b, i + 2, n);
                if (cp < 0)
                        return 0;
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                        return 0; /* lone low surrogate */
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                        if (n - i < 12 || b[i + 6] != '\\' || b[i + 7] != 'u')
                                return 0;
                        long lo = hex4(b, i + 8, n);
                        if (lo < 0xDC00 || lo > 0xDFFF)
                                return 0;
                        *dec += 4;
                        return i + 12;
                }
                if (cp == 0)
                        *nul = true;
                *dec += cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
                return i + 6;
        }
        default:
                return 0;
        }
}

/* s->pos at the opening quote. Classifies problems with the exact byte offset. */
static bool scan_string(struct scanner *s, struct jv *v)
{
        const unsigned char *b = s->b;
        size_t n = s->len, i = s->pos + 1, dec = 0;
        bool esc = false, nul = false;

        for (;;) {
                size_t j = skip_plain(b, i, n);
                dec += j - i;
                i = j;
                if (i >= n) {
                        s->pos = i;
                        return fail(s, JSONRPC_PARSE_ERROR, "unterminated string at byte %zu", i);
                }
                unsigned char c = b[i];
                if (c == '"')
                        break;
                if (c == '\\') {
                        size_t k = scan_escape(b, i, n, &dec, &nul);
                        if (!k) {
                                s->pos = i;
                                return fail(s, JSONRPC_PARSE_ERROR,
                                            "invalid escape or lone surrogate at byte %zu", i);
                        }
                        esc = true;
                        i = k;
                        continue;
                }
                if (c < 0x20) {
                        s->pos = i;
                        if (c == 0)
                                return fail(s, JSONRPC_PARSE_ERROR, "NUL byte at byte %zu", i);
                        return fail(s, JSONRPC_PARSE_ERROR,
                                    "raw control character 0x%02x in a string at byte %zu", c, i);
                }
                /* a run of non-ASCII text (CJK, emoji) stays in this loop */
                do {
                        size_t k = utf8_seq(b, i, n);
                        if (!k) {
                                s->pos = i;
                                return fail(s, JSONRPC_PARSE_ERROR, "invalid UTF-8 at byte %zu", i);
                        }
                        i += k;
                        dec += k;
                } while (i < n && b[i] >= 0x80);
        }
        v->type = JV_STRING;
        v->off = s->pos;
        v->len = i + 1 - s->pos;
        v->declen = dec;
        v->esc = esc;
        v->nul = nul;
        s->pos = i + 1;
        return true;
}

/* A fraction or exponent that overflows a double (1e400), or a non-zero value that
 * underflows to zero (1e-400), would be read as inf/0 by one reader and as an error or an
 * exact value by another. Integers are exact tokens and never go through a double. */
static bool number_fits_double(const char *p, size_t len)
{
        char tmp[JSON_MAX_NUMBER_CHARS + 1];
        memcpy(tmp, p, len);
        tmp[len] = '\0';
        errno = 0;
        (void)strtod(tmp, NULL);
        return errno != ERANGE;
}

static bool scan_number(struct scanner *s, struct jv *v)
{
        const unsigned char *b = s->b;
        size_t n = s->len, i = s->pos;
        bool integer = true;

        if (b[i] == '-')
                i++;
        if (i < n && b[i] == '0')
                i++;
        else if (i < n && b[i] >= '1' && b[i] <= '9')
                while (i < n && b[i] >= '0' && b[i] <= '9')
                        i++;
        else
                goto bad;
        if (i < n && b[i] == '.') {
                integer = false;
                if (++i >= n || b[i] < '0' || b[i] > '9')
                        goto bad;
                while (i < n && b[i] >= '0' && b[i] <= '9')
                        i++;
        }
        if (i < n && (b[i] == 'e' || b[i] == 'E')) {
                integer = false;
                if (++i < n && (b[i] == '+' || b[i] == '-'))
                        i++;
                if (i >= n || b[i] < '0' || b[i] > '9')
                        goto bad;
                while (i < n && b[i] >= '0' && b[i] <= '9')
                        i++;
        }
        size_t len = i - s->pos;
        if (len > JSON_MAX_NUMBER_CHARS)
                return fail(s, JSONRPC_INVALID_REQUEST,
                            "number of %zu characters at byte %zu (at most %d)", len, s->pos,
                            JSON_MAX_NUMBER_CHARS);
        if (!integer && !number_fits_double((const char *)b + s->pos, len))
                return fail(s, JSONRPC_INVALID_REQUEST,
                            "number beyond the range of a double at byte %zu", s->pos);
        v->type = integer ? JV_INT : JV_NUMBER;
        v->off = s->pos;
        v->len = len;
        s->pos = i;
        return true;
bad:
        s->pos = i;
        return fail(s, JSONRPC_PARSE_ERROR, "invalid number at byte %zu", i);
}

static bool scan_literal(struct scanner *s, struct jv *v, const char *lit, enum jv_type t)
{
        size_t l = strlen(lit);
        if (s->len - s->pos < l || memcmp(s->b + s->pos, lit, l) != 0)
                return fail(s, JSONRPC_PARSE_ERROR, "invalid literal at byte %zu", s->pos);
        v->type = (uint8_t)t;
        v->off = s->pos;
        v->len = l;
        s->pos += l;
        return true;
}

static bool push_key(struct scanner *s, const struct jv *k)
{
        if (s->nkeys == s->capkeys) {
                size_t cap = s->capkeys * 2;
                struct keyent *nk;
                if (s->keys == s->inline_keys) {
                        nk = malloc(cap * sizeof(*nk));
                        if (nk)
                                memcpy(nk, s->inline_keys, sizeof(s->inline_keys));
                } else
                        nk = realloc(s->keys, cap * sizeof(*nk));
                if (!nk) {
                        s->oom = true;
                        return false;
                }
                s->keys = nk;
                s->capkeys = cap;
        }
        struct keyent *e = &s->keys[s->nkeys];
        e->declen = k->declen;
        e->pos = k->off;
        e->owned = false;
        e->dec = (const char *)s->b + k->off + 1;
        if (k->esc) {
                char *d = malloc(k->declen + 1);
                if (!d) {
                        s->oom = true;
                        return false;
                }
                json_str_decode((const char *)s->b + k->off + 1, k->len - 2, d);
                e->dec = d;
                e->owned = true;
                s->nowned++;
                s->nkeys++;
                /* "method\u0000" is "method" to every C-string reader and a different key
                 * to jansson: a parser differential, so the message is malformed */
                if (memchr(d, '\0', k->declen))
                        return fail(s, JSONRPC_INVALID_REQUEST, "U+0000 in an object key at byte %zu",
                                    k->off);
                return true;
        }
        s->nkeys++;
        return true;
}

static void pop_keys(struct scanner *s, size_t base)
{
        if (s->nowned)
                for (size_t i = base; i < s->nkeys; i++)
                        if (s->keys[i].owned) {
                                free((void *)s->keys[i].dec);
                                s->nowned--;
                        }
        s->nkeys = base;
}

static bool dup_fail(struct scanner *s, const struct keyent *k)
{
        char where[96], name[40];
        size_t o = 0;
        for (size_t i = 0; i < k->declen && i < 32; i++) {
                unsigned char c = (unsigned char)k->dec[i];
                name[o++] = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char)c : '?';
        }
        name[o] = '\0';
        put_pointer(s, s->depth - 1, where, sizeof(where));
        s->f->dup_top_id = s->depth == 1 && k->declen == 2 && !memcmp(k->dec, "id", 2);
        s->pos = k->pos;
        s->f->code = JSONRPC_INVALID_REQUEST;
        s->f->pos = k->pos;
        snprintf(s->f->reason, sizeof(s->f->reason), "duplicate key \"%s\" at %s", name,
                 where[0] ? where : "the top level");
        return false;
}

static int keycmp(const void *a, const void *b)
{
        const struct keyent *x = a, *y = b;
        size_t l = x->declen < y->declen ? x->declen : y->declen;
        int c = memcmp(x->dec, y->dec, l);
        if (c)
                return c;
        return (x->declen > y->declen) - (x->declen < y->declen);
}

/* Big objects: sort a copy of their keys once and look at neighbours. */
static bool check_big_object(struct scanner *s, size_t base)
{
        size_t n = s->nkeys - base;
        struct keyent *copy = malloc(n * sizeof(*copy));
        if (!copy) {
                s->oom = true;
                return false;
        }
        memcpy(copy, s->keys + base, n * sizeof(*copy));
        qsort(copy, n, sizeof(*copy), keycmp);
        const struct keyent *dup = NULL;
        for (size_t i = 1; i < n; i++)
                if (!keycmp(&copy[i - 1], &copy[i])) {
                        const struct keyent *later = copy[i].pos > copy[i - 1].pos ? &copy[i] : &copy[i - 1];
                        if (!dup || later->pos < dup->pos)
                                dup = later;
                }
        bool ok = dup ? dup_fail(s, dup) : true;
        free(copy);
        return ok;
}

static bool is_dup_small(const struct scanner *s, size_t base)
{
        const struct keyent *k = &s->keys[s->nkeys - 1];
        for (size_t i = base; i < s->nkeys - 1; i++)
                if (s->keys[i].declen == k->declen && !memcmp(s->keys[i].dec, k->dec, k->declen))
                        return true;
        return false;
}

static int watched(const struct scanner *s, const struct jwatch *w, const struct keyent *k)
{
        if (!w)
                return -1;
        for (size_t i = 0; i < w->n; i++)
                if (strlen(w->names[i]) == k->declen && !memcmp(w->names[i], k->dec, k->declen))
                        return (int)i;
        (void)s;
        return -1;
}

static bool scan_members(struct scanner *s, struct jwatch *w, size_t base)
{
        for (;;) {
                struct jv k, tmp;
                skip_ws(s);
                if (s->pos >= s->len || s->b[s->pos] != '"')
                        return fail(s, JSONRPC_PARSE_ERROR, "expected a key at byte %zu", s->pos);
                if (!scan_string(s, &k) || !push_key(s, &k))
                        return false;
                const struct keyent *ke = &s->keys[s->nkeys - 1];
                s->path[s->depth] = (struct pathent){ .key = ke->dec, .klen = ke->declen };
                size_t count = s->nkeys - base;
                if (count <= SMALL_OBJECT_KEYS && is_dup_small(s, base))
                        return dup_fail(s, ke);
                skip_ws(s);
                if (s->pos >= s->len || s->b[s->pos] != ':')
                        return fail(s, JSONRPC_PARSE_ERROR, "expected ':' at byte %zu", s->pos);
                s->pos++;
                int wi = watched(s, w, ke);
                struct jv *dst = wi >= 0 ? &w->out[wi] : &tmp;
                struct jwatch *child = wi >= 0 && w->child ? w->child[wi] : NULL;
                if (!scan_value(s, dst, child))
                        return false;
                skip_ws(s);
                if (s->pos < s->len && s->b[s->pos] == ',') {
                        s->pos++;
                        continue;
                }
                if (s->pos < s->len && s->b[s->pos] == '}') {
                        s->pos++;
                        if (s->nkeys - base > SMALL_OBJECT_KEYS)
                                return check_big_object(s, base);
                        return true;
                }
                return fail(s, JSONRPC_PARSE_ERROR, "expected ',' or '}' at byte %zu", s->pos);
        }
}

static bool enter(struct scanner *s)
{
        if (++s->depth > JSONRPC_MAX_DEPTH) {
                s->depth--;
                return fail(s, JSONRPC_PARSE_ERROR, "nesting deeper than %d at byte %zu",
                            JSONRPC_MAX_DEPTH, s->pos);
        }
        return true;
}

static bool scan_object(struct scanner *s, struct jv *v, struct jwatch *w)
{
        size_t off = s->pos, base = s->nkeys;
        if (!enter(s))
                return false;
        s->pos++;
        s->path[s->depth] = (struct pathent){ 0 };
        skip_ws(s);
        bool ok = true;
        if (s->pos < s->len && s->b[s->pos] == '}')
                s->pos++;
        else
                ok = scan_members(s, w, base);
        pop_keys(s, base);
        if (!ok)
                return false;
        s->depth--;
        v->type = JV_OBJECT;
        v->off = off;
        v->len = s->pos - off;
        return true;
}

static bool scan_array(struct scanner *s, struct jv *v)
{
        size_t off = s->pos;
        if (!enter(s))
                return false;
        s->pos++;
        s->path[s->depth] = (struct pathent){ .is_array = true };
        skip_ws(s);
        if (s->pos < s->len && s->b[s->pos] == ']')
                s->pos++;
        else
                for (;;) {
                        struct jv tmp;
                        if (!scan_value(s, &tmp, NULL))
                                return false;
                        skip_ws(s);
                        if (s->pos < s->len && s->b[s->pos] == ',') {
                                s->pos++;
                                s->path[s->depth].index++;
                                continue;
                        }
                        if (s->pos < s->len && s->b[s->pos] == ']') {
                                s->pos++;
                                break;
                        }
                        return fail(s, JSONRPC_PARSE_ERROR, "expected ',' or ']' at byte %zu", s->pos);
                }
        s->depth--;
        v->type = JV_ARRAY;
        v->off = off;
        v->len = s->pos - off;
        return true;
}

static bool scan_value(struct scanner *s, struct jv *v, struct jwatch *w)
{
        skip_ws(s);
        if (s->pos >= s->len)
                return fail(s, JSONRPC_PARSE_ERROR, "unexpected end of message at byte %zu", s->pos);
        switch (s->b[s->pos]) {
        case '{':
                return scan_object(s, v, w);
        case '[':
                return scan_array(s, v);
        case '"':
                return scan_string(s, v);
        case '-': case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9':
                return scan_number(s, v);
        case 't':
                return scan_literal(s, v, "true", JV_TRUE);
        case 'f':
                return scan_literal(s, v, "false", JV_FALSE);
        case 'n':
                return scan_literal(s, v, "null", JV_NULL);
        default:
                if (s->b[s->pos] >= 0x80 && !utf8_seq(s->b, s->pos, s->len))
                        return fail(s, JSONRPC_PARSE_ERROR, "invalid UTF-8 at byte %zu", s->pos);
                if (s->b[s->pos] == 0)
                        return fail(s, JSONRPC_PARSE_ERROR, "NUL byte at byte %zu", s->pos);
                return fail(s, JSONRPC_PARSE_ERROR, "unexpected character at byte %zu", s->pos);
        }
}

int json_scan(const char *buf, size_t len, struct jwatch *top, struct jv *root,
              struct jscan_fault *f)
{
        struct scanner s;
        s.b = (const unsigned char *)buf;
        s.len = len;
        s.pos = 0;
        s.depth = 0;
        s.oom = false;
        s.f = f;
        s.keys = s.inline_keys;
        s.nkeys = s.nowned = 0;
        s.capkeys = INLINE_KEYS;
        f->code = 0;
        f->dup_top_id = false;
        f->reason[0] = '\0';

        bool ok = scan_value(&s, root, top);
        if (ok) {
                skip_ws(&s);
                if (s.pos < s.len)
                        ok = fail(&s, JSONRPC_PARSE_ERROR, "trailing data after the message at byte %zu",
                                  s.pos);
        }
        pop_keys(&s, 0);
        if (s.keys != s.inline_keys)
                free(s.keys);
        if (s.oom)
                return -ENOMEM;
        return ok ? 0 : -EBADMSG;
}

bool json_scan_string_at(const char *buf, size_t len, size_t pos, struct jv *v, size_t *end)
{
        struct jscan_fault f;
        struct scanner s = { .b = (const unsigned char *)buf, .len = len, .pos = pos, .f = &f };
        if (pos >= len || buf[pos] != '"' || !scan_string(&s, v))
                return false;
        *end = s.pos;
        return true;
}
