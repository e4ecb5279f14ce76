/* The scan: one pass over the text finds every place where a rule could match (a trigger
 * byte of one of the rules' anchor literals, or the start of a digit run), and only there
 * runs that rule's regex, anchored and bounded by its window. Most text has no trigger in
 * most 4-byte blocks, so the common cost is a table lookup per byte; the regexes run a few
 * times per kilobyte. Hits are then resolved: leftmost-longest among precise rules, the
 * broad catalogue only where no precise rule matched, allow entries dropped. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "inspect/guards/redact-internal.h"
#include "util/cleanup.h"

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }

/* Separators allowed between the groups of a digit run ("4111 1111", "(415) 555-2671"). */
static bool is_run_sep(unsigned char c)
{
        return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}

/* How common a byte is in the text that flows through a relay (prose, code, logs, JSON):
 * the trigger of an anchor is its rarest byte, so the gate fires as seldom as possible. */
static int byte_score(unsigned char c)
{
        static const char common[] = " etaoinsrhldcumfpgwybvkxjqz";
        const char *p = memchr(common, c, sizeof(common) - 1);
        if (p)
                return 100 - (int)(p - common) * 2;
        if (is_digit(c))
                return 70;
        if (c >= 'A' && c <= 'Z')
                return strchr("JKQXZ", c) ? 30 : 40;
        switch (c) {
        case '"': case '.': case ',': case '\n': return 65;
        case '/': return 60;
        case ':': case '-': case '(': case ')': return 55;
        case '_': case '=': return 50;
        case '@': case '~': case '^': return 15;
        default: return 35;
        }
}

/* The trigger of a literal: its rarest byte that is neither a digit nor a run separator
 * (the scan jumps over digit runs, so a trigger inside one would never be seen). */
static int pick_trigger(const char *lit, size_t len)
{
        int best = -1, best_score = 1000;
        for (size_t i = 0; i < len && i < 64; i++) {
                unsigned char c = (unsigned char)lit[i];
                if (is_digit(c) || is_run_sep(c))
                        continue;
                int sc = byte_score(c);
                if (sc < best_score) {
                        best = (int)i;
                        best_score = sc;
                }
        }
        return best;
}

static void byteset_add(uint8_t *set, unsigned char b)
{
        set[b >> 3] |= (uint8_t)(1u << (b & 7));
}

/* The leading lookbehind "(?<![...])" of a pattern, its length (0: none). */
static size_t lookbehind_len(const char *pat)
{
        if (strncmp(pat, "(?<![", 5) != 0)
                return 0;
        const char *close = strstr(pat + 5, "])");
        return close ? (size_t)(close + 2 - pat) : 0;
}

/* The leading lookbehind as a byte set, by asking PCRE2 which bytes its class matches: the
 * same class the regex will test, checked without it. Several rules share a class, so one
 * already worked out for an earlier rule (prev) is copied rather than asked again. */
void redact_rule_edges(struct compiled_rule *cr, const struct compiled_rule *prev, size_t n_prev)
{
        const char *pat = cr->def->pattern;
        for (const char *b = cr->def->back; b && *b; b++)
                byteset_add(cr->back, (unsigned char)*b);
        size_t lb = lookbehind_len(pat);
        if (!lb)
                return;
        for (size_t i = 0; i < n_prev; i++) {
                const struct compiled_rule *p = &prev[i];
                if (p->has_edge && p->def && lookbehind_len(p->def->pattern) == lb &&
                    !memcmp(p->def->pattern, pat, lb)) {
                        memcpy(cr->edge, p->edge, sizeof(cr->edge));
                        cr->has_edge = true;
                        return;
                }
        }
        char cls[128];
        int n = snprintf(cls, sizeof(cls), "%.*s]", (int)(lb - 6), pat + 4);
        pcre2_code *re = NULL;
        if (n <= 0 || (size_t)n >= sizeof(cls) || redact_compile(cls, 0, &re, "edge", NULL) < 0)
                return;
        pcre2_match_data *md = pcre2_match_data_create(1, NULL);
        for (unsigned b = 0; md && b < 256; b++) {
                unsigned char c = (unsigned char)b;
                if (pcre2_match(re, &c, 1, 0, 0, md, NULL) > 0)
                        byteset_add(cr->edge, c);
        }
        cr->has_edge = md != NULL;
        pcre2_match_data_free(md);
        pcre2_code_free(re);
}

static int add_anchor(struct redactor *r, const char *lit, size_t len, unsigned rule,
                      unsigned catalogue, struct mc_error *err)
{
        int off = pick_trigger(lit, len);
        if (off < 0)
                return 1;
        unsigned char c = (unsigned char)lit[off];
        struct anchor_ref *n = realloc(r->by_byte[c], (r->n_by_byte[c] + 1) * sizeof(*n));
        if (!n)
                return mc_error_set(err, ENOMEM, "out of memory");
        r->by_byte[c] = n;
        n[r->n_by_byte[c]++] = (struct anchor_ref){ .lit = lit, .len = (unsigned short)len,
                                                    .off = (unsigned short)off, .rule = rule };
        r->trig[c] |= (uint8_t)catalogue;
        if (off > 0)
                byteset_add(r->around[c].prev, (unsigned char)lit[off - 1]);
        else
                r->around[c].any_prev = true;
        if ((size_t)off + 1 < len)
                byteset_add(r->around[c].next, (unsigned char)lit[off + 1]);
        else
                r->around[c].any_next = true;
        return 0;
}

int redact_build_gate(struct redactor *r, struct mc_error *err)
{
        for (unsigned i = 0; i < r->n_rules; i++) {
                const struct compiled_rule *cr = &r->rules[i];
                int rc = 0;
                if (cr->literal) {
                        size_t n = cr->literal_len > 0xffff ? 0xffff : cr->literal_len;
                        rc = add_anchor(r, cr->literal, n, i, cr->catalogue, err);
                        if (rc == 1 && r->n_plain < (size_t)ARRAY_SIZE(r->plain_literals))
                                r->plain_literals[r->n_plain++] = i;
                        else if (rc == 1)
                                return mc_error_set(err, E2BIG, "too many env.from_file secrets");
                } else if (cr->def && cr->def->trigger == TRIGGER_DIGITS) {
                        if (r->n_digit_rules == ARRAY_SIZE(r->digit_rules))
                                return mc_error_set(err, E2BIG, "too many digit rules");
                        r->digit_rules[r->n_digit_rules++] = i;
                        for (unsigned char d = '0'; d <= '9'; d++)
                                r->trig[d] |= (uint8_t)cr->catalogue;
                } else if (cr->def) {
                        for (const char *const *a = cr->def->anchors; *a && rc == 0; a++)
                                rc = add_anchor(r, *a, strlen(*a), i, cr->catalogue, err);
                        if (rc > 0)
                                return mc_error_set(err, EINVAL, "rule %s: anchor without a "
                                                    "trigger byte", cr->def->kind);
                }
                if (rc < 0)
                        return rc;
        }
        return 0;
}

struct scan {
        struct redactor *r;
        unsigned mask;
        const char *t;
        size_t len;
        size_t floor;                   /* end of the last precise hit */
        struct redact_hit best;         /* the precise candidate at this trigger */
        size_t best_end;                /* where its whole match ends */
        bool have_best;
        bool digits_only;               /* the anchors were found elsewhere (Hyperscan) */
};

static int push_hit(struct redactor *r, const struct redact_hit *h)
{
        if (r->n_hits == r->cap_hits) {
                size_t cap = r->cap_hits ? r->cap_hits * 2 : 16;
                struct redact_hit *n = realloc(r->hits, cap * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                r->hits = n;
                r->cap_hits = cap;
        }
        r->hits[r->n_hits++] = *h;
        return 0;
}

/* mcp.redact.allow: a literal covering the span, or a pattern matching all of it. */
static bool allowed(struct redactor *r, const char *t, size_t len, size_t s, size_t e)
{
        for (size_t i = 0; i < r->n_allow_lit; i++) {
                size_t l = strlen(r->allow_lit[i]);
                if (l < e - s)
                        continue;
                for (size_t o = e >= l ? e - l : 0; o <= s && o + l <= len; o++)
                        if (!memcmp(t + o, r->allow_lit[i], l))
                                return true;
        }
        for (size_t i = 0; i < r->n_allow_re; i++)
                if (pcre2_match(r->allow_re[i], (PCRE2_SPTR)(t + s), e - s, 0,
                                PCRE2_ANCHORED | PCRE2_ENDANCHORED, r->md, NULL) > 0)
                        return true;
        return false;
}

/* A hit found at start; keeps the precise one that starts first (then the longest). */
static int offer(struct scan *sc, const struct compiled_rule *cr, size_t ms, size_t me,
                 size_t vs, size_t ve)
{
        if (ve <= vs || allowed(sc->r, sc->t, sc->len, vs, ve))
                return 0;
        struct redact_hit h = { .start = vs, .end = ve, .kind = cr->kind, .broad = cr->broad };
        if (cr->broad)
                return push_hit(sc->r, &h);
        if (!sc->have_best || vs < sc->best.start ||
            (vs == sc->best.start && ve > sc->best.end)) {
                sc->best = h;
                sc->best_end = me > ve ? me : ve;
                sc->have_best = true;
        }
        (void)ms;
        return 0;
}

static int run_regex(struct scan *sc, const struct compiled_rule *cr, size_t s, size_t lim)
{
        int rc = pcre2_jit_match(cr->code, (PCRE2_SPTR)sc->t, lim, s, 0, sc->r->md, sc->r->mctx);
        if (rc == PCRE2_ERROR_NOMATCH)
                return 0;
        return rc < 0 ? -EIO : 1;
}

/* One anchored attempt of a rule at s (before the walk back). */
static int attempt(struct scan *sc, const struct compiled_rule *cr, size_t s)
{
        const unsigned char *t = (const unsigned char *)sc->t;
        size_t anchor = s;
        while (cr->def->back && s > sc->floor && anchor - s < cr->def->max_back &&
               byteset_has(cr->back, t[s - 1]))
                s--;
        if (cr->has_edge && s > 0 && byteset_has(cr->edge, t[s - 1]))
                return 0;
        /* the window bounds the attempt; a match reaching its end is redone on the whole
         * text so a lookahead never mistakes the window's end for the text's */
        size_t lim = sc->len - s > cr->window + 16 ? s + cr->window + 16 : sc->len;
        int rc = run_regex(sc, cr, s, lim);
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->r->md);
        if (rc > 0 && lim < sc->len && ov[1] + 16 > lim)
                rc = run_regex(sc, cr, s, sc->len);
        if (rc <= 0)
                return rc;
        size_t ms = ov[0], me = ov[1], vs = ms, ve = me;
        if (cr->group && ov[2 * cr->group] != PCRE2_UNSET) {
                vs = ov[2 * cr->group];
                ve = ov[2 * cr->group + 1];
        }
        if (cr->def->check && !cr->def->check(sc->t, sc->len, vs, ve))
                return 0;
        return offer(sc, cr, ms, me, vs, ve);
}

static size_t take_best(struct scan *sc, size_t i, int *rc)
{
        if (!sc->have_best)
                return i + 1;
        sc->have_best = false;
        *rc = push_hit(sc->r, &sc->best);
        sc->floor = sc->best_end;
        return sc->best_end > i ? sc->best_end : i + 1;
}

/* The anchor a occurs at st: its rule's test, then its literal or regex. */
static int try_anchor(struct scan *sc, const struct anchor_ref *a, size_t st)
{
        const struct compiled_rule *cr = &sc->r->rules[a->rule];
        if (!(cr->catalogue & sc->mask) || st < sc->floor)
                return 0;
        if (cr->def && cr->def->pre && !cr->def->pre(sc->t, sc->len, st, a->len))
                return 0;
        if (!cr->literal)
                return attempt(sc, cr, st);
        if (cr->literal_len > sc->len - st || memcmp(sc->t + st, cr->literal, cr->literal_len))
                return 0;
        return offer(sc, cr, st, st + cr->literal_len, st, st + cr->literal_len);
}

static int on_anchor(struct scan *sc, size_t i, size_t *next)
{
        struct redactor *r = sc->r;
        const unsigned char *t = (const unsigned char *)sc->t;
        unsigned char c = t[i];
        int rc = 0;
        *next = i + 1;
        if ((!r->around[c].any_next && (i + 1 >= sc->len || !byteset_has(r->around[c].next, t[i + 1]))) ||
            (!r->around[c].any_prev && (i == 0 || !byteset_has(r->around[c].prev, t[i - 1]))))
                return 0;
        for (unsigned k = 0; k < r->n_by_byte[c] && rc >= 0; k++) {
                const struct anchor_ref *a = &r->by_byte[c][k];
                if (i < a->off || (unsigned char)a->lit[0] != t[i - a->off])
                        continue;
                size_t st = i - a->off;
                if (sc->len - st >= a->len && !memcmp(sc->t + st, a->lit, a->len))
                        rc = try_anchor(sc, a, st);
        }
        *next = take_best(sc, i, &rc);
        return rc < 0 ? rc : 0;
}

static size_t run_shape(const unsigned char *t, size_t len, size_t p, struct run_shape *sh)
{
        *sh = (struct run_shape){ 0 };
        size_t i = p;
        for (;;) {
                size_t g = i;
                while (i < len && is_digit(t[i]))
                        i++;
                if (sh->groups < RUN_GROUPS)
                        sh->glen[sh->groups] = (unsigned char)(i - g > 255 ? 255 : i - g);
                sh->digits += (unsigned)(i - g);
                sh->groups++;
                sh->end = i;
                size_t s = i;
                while (s < len && s - i < 2 && is_run_sep(t[s]))
                        s++;
                if (s == i || s >= len || !is_digit(t[s]))
                        return i;
                if (sh->groups - 1 < RUN_GROUPS)
                        sh->sep[sh->groups - 1] = (char)t[i];
                i = s;
        }
}

/* A digit run: the digit rules try its start, then the start of each later group while
 * enough digits remain for a card or a phone (an order number in front of a card number). */
static int on_digits(struct scan *sc, size_t i, size_t *next)
{
        const unsigned char *t = (const unsigned char *)sc->t;
        struct redactor *r = sc->r;
        struct run_shape sh;
        size_t end = run_shape(t, sc->len, i, &sh), p = i;
        unsigned left = sh.digits;
        int rc = 0;
        /* Most runs are short (a year, a count, "12:30:05"): no digit rule takes fewer than
         * REDACT_RUN_MIN_DIGITS digits unless capitals stand before them (an IBAN's check
         * digits), and later groups only have fewer. test-redact holds every digit rule to
         * this. */
        if (sh.digits < REDACT_RUN_MIN_DIGITS && !(i >= 2 && is_upper(t[i - 1]) && is_upper(t[i - 2]))) {
                *next = end;
                return 0;
        }
        for (unsigned tries = 0; tries < RUN_GROUPS && rc >= 0; tries++) {
                for (size_t k = 0; k < r->n_digit_rules && rc >= 0; k++) {
                        const struct compiled_rule *cr = &r->rules[r->digit_rules[k]];
                        if ((cr->catalogue & sc->mask) && cr->def->run_ok(sc->t, p, &sh))
                                rc = attempt(sc, cr, p);
                }
                if (sc->have_best || rc < 0)
                        break;
                left -= sh.glen[0];
                if (left < 7)
                        break;
                while (p < end && is_digit(t[p]))
                        p++;
                while (p < end && !is_digit(t[p]))
                        p++;
                if (p >= end)
                        break;
                run_shape(t, sc->len, p, &sh);
        }
        if (rc < 0)
                return rc;
        *next = sc->have_best ? take_best(sc, i, &rc) : end;
        return rc < 0 ? rc : 0;
}

/* Where a digit run containing position i begins (the gate fires on its first group of
 * four, the rules want the whole run). */
static size_t run_start(const unsigned char *t, size_t i, size_t lo)
{
        while (i > lo) {
                if (is_digit(t[i - 1])) {
                        i--;
                        continue;
                }
                size_t j = i;
                while (j > lo && i - j < 2 && is_run_sep(t[j - 1]))
                        j--;
                if (j == i || j == lo || !is_digit(t[j - 1]))
                        break;
                i = j;
        }
        return i;
}

static int dispatch(struct scan *sc, size_t pos, size_t done, size_t *next)
{
        const unsigned char *t = (const unsigned char *)sc->t;
        unsigned char c = t[pos];
        int rc = 0;
        *next = pos + 1;
        if (is_digit(c))
                return on_digits(sc, run_start(t, pos, done), next);
        if (!sc->digits_only && (sc->r->trig[c] & sc->mask))
                rc = on_anchor(sc, pos, next);
        /* two capitals and two digits: an IBAN's country code and check digits */
        if (rc >= 0 && *next == pos + 1 && is_upper(c) && sc->len - pos > 3 && is_upper(t[pos + 1]) &&
            is_digit(t[pos + 2]) && is_digit(t[pos + 3]) && (sc->r->trig['0'] & sc->mask)) {
                size_t hits = sc->r->n_hits;
                rc = on_digits(sc, pos + 2, next);
                /* nothing there: the capitals may still start a token ("SK07…") */
                if (sc->r->n_hits == hits)
                        *next = pos + 1;
        }
        return rc;
}

/* The gate for this selection: its trigger bytes and whether digit rules are on. */
static const struct gate *gate_for(struct redactor *r, unsigned mask, bool digits_only)
{
        if (digits_only)
                mask |= 1u << 31;
        if (r->gate_built && r->gate_mask == mask)
                return r->gate_ok ? &r->gate : NULL;
        unsigned char bytes[256];
        unsigned n = 0;
        for (unsigned b = 0; b < 256 && !digits_only; b++)
                if ((r->trig[b] & mask) && !is_digit((unsigned char)b))
                        bytes[n++] = (unsigned char)b;
        r->gate_built = true;
        r->gate_mask = mask;
        r->gate_ok = n <= GATE_MAX_BYTES;
        if (r->gate_ok)
                gate_init(&r->gate, bytes, n, r->trig['0'] & mask);
        return r->gate_ok ? &r->gate : NULL;
}

/* Without a gate (too many distinct trigger bytes): every byte through the table. */
static int scan_bytes(struct scan *sc)
{
        const unsigned char *t = (const unsigned char *)sc->t;
        const uint8_t *trig = sc->r->trig;
        const uint8_t m = (uint8_t)sc->mask;
        size_t i = 0, n = sc->len;
        while (i < n) {
                while (i < n && !(trig[t[i]] & m))
                        i++;
                if (i >= n)
                        break;
                size_t next = i + 1;
                int rc = is_digit(t[i]) ? on_digits(sc, i, &next) : dispatch(sc, i, i, &next);
                if (rc < 0)
                        return rc;
                i = next;
        }
        return 0;
}

/* The candidates of the block at i, in order; done: where the last match attempt ended. */
static int scan_block(struct scan *sc, uint64_t m, size_t i, size_t *done)
{
        while (m) {
                size_t pos = i + (size_t)__builtin_ctzll(m);
                m &= m - 1;
                if (pos < *done)
                        continue;
                size_t next;
                int rc = dispatch(sc, pos, *done, &next);
                if (rc < 0)
                        return rc;
                *done = next;
        }
        return 0;
}

/* Blocks the gate classifies per call in the body of a text (2 KiB). */
#define GATE_BATCH 32

static int scan_gate(struct scan *sc)
{
        const struct gate *g = gate_for(sc->r, sc->mask, sc->digits_only);
        if (!g)
                return scan_bytes(sc);
        if (sc->digits_only && !g->digits)
                return 0;
        const unsigned char *t = (const unsigned char *)sc->t;
        size_t n = sc->len, done = 0;
        for (size_t i = 0; i < n;) {
                int rc;
                if (i > 0 && n - i >= GATE_READ) {
                        /* the body: every block with its look-ahead inside the text */
                        uint64_t ms[GATE_BATCH];
                        size_t nb = (n - i - GATE_READ) / 64 + 1;
                        if (nb > GATE_BATCH)
                                nb = GATE_BATCH;
                        gate_blocks(g, t + i, nb, ms);
                        for (size_t b = 0; b < nb; b++, i += 64)
                                if (ms[b] && (rc = scan_block(sc, ms[b], i, &done)) < 0)
                                        return rc;
                        continue;
                }
                unsigned char pad[GATE_READ + 1] = { 0 };
                size_t k = n - i < GATE_READ ? n - i : GATE_READ;
                pad[0] = i ? t[i - 1] : 0;
                memcpy(pad + 1, t + i, k);
                uint64_t m = gate_block_padded(g, pad + 1, k);
                if (n - i < 64)
                        m &= (UINT64_C(1) << (n - i)) - 1;
                if ((rc = scan_block(sc, m, i, &done)) < 0)
                        return rc;
                i += 64;
        }
        return 0;
}

/* Custom patterns carry no anchor we know of: PCRE2's own start-of-match optimisations
 * (first code unit, required code unit) are their gate. */
static int scan_custom(struct scan *sc)
{
        struct redactor *r = sc->r;
        for (size_t k = 0; k < r->n_custom; k++) {
                const struct compiled_rule *cr = &r->rules[r->custom_rules[k]];
                size_t off = 0;
                while (off <= sc->len) {
                        int rc = pcre2_jit_match(cr->code, (PCRE2_SPTR)sc->t, sc->len, off, 0, r->md, r->mctx);
                        if (rc == PCRE2_ERROR_NOMATCH)
                                break;
                        if (rc < 0)
                                return -EIO;
                        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
                        size_t ms = ov[0], me = ov[1], vs = ms, ve = me;
                        if (cr->group && ov[2 * cr->group] != PCRE2_UNSET) {
                                vs = ov[2 * cr->group];
                                ve = ov[2 * cr->group + 1];
                        }
                        off = me > ms ? me : ms + 1;
                        while (off < sc->len && ((unsigned char)sc->t[off] & 0xC0) == 0x80)
                                off++;
                        if (ve > vs && !allowed(r, sc->t, sc->len, vs, ve)) {
                                struct redact_hit h = { .start = vs, .end = ve, .kind = cr->kind };
                                if (push_hit(r, &h) < 0)
                                        return -ENOMEM;
                        }
                }
        }
        return 0;
}

/* env secrets made only of digits and separators have no trigger byte. */
static int scan_plain_literals(struct scan *sc)
{
        struct redactor *r = sc->r;
        for (size_t k = 0; k < r->n_plain; k++) {
                const struct compiled_rule *cr = &r->rules[r->plain_literals[k]];
                const char *p = sc->t, *end = sc->t + sc->len;
                while ((p = memmem(p, (size_t)(end - p), cr->literal, cr->literal_len))) {
                        size_t s = (size_t)(p - sc->t);
                        struct redact_hit h = { .start = s, .end = s + cr->literal_len, .kind = cr->kind };
                        if (!allowed(r, sc->t, sc->len, h.start, h.end) && push_hit(r, &h) < 0)
                                return -ENOMEM;
                        p += cr->literal_len;
                }
        }
        return 0;
}

static int cmp_hit(const void *a, const void *b)
{
        const struct redact_hit *x = a, *y = b;
        if (x->start != y->start)
                return x->start < y->start ? -1 : 1;
        if (x->end != y->end)
                return x->end > y->end ? -1 : 1;
        return (int)x->broad - (int)y->broad;
}

static bool overlaps_kept(const struct redact_hit *kept, size_t n, const struct redact_hit *h)
{
        for (size_t i = 0; i < n; i++)
                if (h->start < kept[i].end && kept[i].start < h->end)
                        return true;
        return false;
}

/* Leftmost-longest among precise hits, then broad hits where they overlap none. */
static int resolve(struct redactor *r)
{
        if (r->n_hits < 2)
                return 0;
        qsort(r->hits, r->n_hits, sizeof(*r->hits), cmp_hit);
        struct redact_hit *all = malloc(r->n_hits * sizeof(*all));
        if (!all)
                return -ENOMEM;
        memcpy(all, r->hits, r->n_hits * sizeof(*all));
        size_t n = r->n_hits, kept = 0, last_end = 0;
        for (size_t i = 0; i < n; i++) {
                if (all[i].broad || (kept && all[i].start < last_end))
                        continue;
                r->hits[kept++] = all[i];
                last_end = all[i].end;
        }
        size_t precise = kept;
        for (size_t i = 0; i < n; i++)
                if (all[i].broad && !overlaps_kept(r->hits, kept, &all[i]))
                        r->hits[kept++] = all[i];
        free(all);
        r->n_hits = kept;
        if (kept > precise)
                qsort(r->hits, r->n_hits, sizeof(*r->hits), cmp_hit);
        return 0;
}

#if MCPCAGE_HAVE_HYPERSCAN
/* Anchors from Hyperscan's candidates, then digit runs through the gate. */
static int scan_hs(struct scan *sc)
{
        struct redactor *r = sc->r;
        int rc = redact_hs_candidates(r, sc->t, sc->len);
        for (size_t i = 0; rc >= 0 && i < r->n_hs_cands;) {
                size_t st = r->hs_cands[i].start, j = i;
                for (; j < r->n_hs_cands && r->hs_cands[j].start == st && rc >= 0; j++)
                        rc = try_anchor(sc, &r->hs_anchors[r->hs_cands[j].anchor], st);
                i = j;
                size_t next = take_best(sc, st, &rc);
                while (i < r->n_hs_cands && r->hs_cands[i].start < next)
                        i++;
        }
        if (rc < 0)
                return rc;
        sc->floor = 0;
        sc->digits_only = true;
        return scan_gate(sc);
}
#endif

/* Below this a string is not worth Hyperscan's per-call setup. */
#define HS_MIN_LEN 256

int redact_scan(struct redactor *r, struct redact_sel sel, const char *text, size_t len)
{
        struct scan sc = { .r = r, .mask = sel.mask & r->built_mask, .t = text, .len = len };
        r->n_hits = 0;
        if (len < r->min_match)
                return 0;
        int rc;
#if MCPCAGE_HAVE_HYPERSCAN
        if (r->hs_scratch && len >= HS_MIN_LEN)
                rc = scan_hs(&sc);
        else
#endif
                rc = scan_gate(&sc);
        if (rc >= 0 && (sc.mask & CAT_CUSTOM))
                rc = scan_custom(&sc);
        if (rc >= 0 && (sc.mask & CAT_ENV))
                rc = scan_plain_literals(&sc);
        if (rc < 0)
                return rc;
        return resolve(r);
}
