/* `wrap --dry-run`: what would change, as a unified-style diff of the pretty-printed
 * configuration before and after. A plain LCS over lines: desktop configs are a few
 * hundred lines, and a bigger input falls back to "everything changed" rather than
 * allocating a quadratic table. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "wrap/wrap-internal.h"

#define CONTEXT 3
#define MAX_CELLS (4u << 20)

struct lines {
        const char **at;
        size_t *len;
        size_t n;
};

static void lines_free(struct lines *l)
{
        free(l->at);
        free(l->len);
}

static int split(const char *text, struct lines *l)
{
        size_t cap = 1;
        for (const char *p = text; *p; p++)
                cap += *p == '\n';
        l->at = calloc(cap, sizeof(*l->at));
        l->len = calloc(cap, sizeof(*l->len));
        l->n = 0;
        if (!l->at || !l->len)
                return -ENOMEM;
        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) : strlen(p);
                l->at[l->n] = p;
                l->len[l->n++] = n;
                p += n + (nl != NULL);
        }
        return 0;
}

static bool same(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
        return a->len[i] == b->len[j] && !memcmp(a->at[i], b->at[j], a->len[i]);
}

/* The edit script: ' ' kept, '-' only in a, '+' only in b; with a[] and b[] indices. */
struct edit {
        char op;
        size_t i, j;
};

static struct edit *script(const struct lines *a, const struct lines *b, size_t *n_out)
{
        size_t w = b->n + 1, cells = (a->n + 1) * w;
        _cleanup_free_ uint32_t *lcs = cells <= MAX_CELLS ? calloc(cells, sizeof(*lcs)) : NULL;
        struct edit *e = calloc(a->n + b->n + 1, sizeof(*e));
        if (!e)
                return NULL;
        for (size_t i = a->n; lcs && i-- > 0;)
                for (size_t j = b->n; j-- > 0;)
                        lcs[i * w + j] = same(a, i, b, j) ? lcs[(i + 1) * w + j + 1] + 1
                                       : lcs[(i + 1) * w + j] > lcs[i * w + j + 1] ? lcs[(i + 1) * w + j]
                                       : lcs[i * w + j + 1];
        size_t i = 0, j = 0, n = 0;
        while (i < a->n || j < b->n) {
                if (lcs && i < a->n && j < b->n && same(a, i, b, j))
                        e[n++] = (struct edit){ ' ', i++, j++ };
                else if (i < a->n && (j == b->n || !lcs || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]))
                        e[n++] = (struct edit){ '-', i++, j };
                else
                        e[n++] = (struct edit){ '+', i, j++ };
        }
        *n_out = n;
        return e;
}

static void hunk(const struct edit *e, size_t from, size_t to, const struct lines *a,
                 const struct lines *b, FILE *out)
{
        size_t na = 0, nb = 0;
        for (size_t k = from; k < to; k++) {
                na += e[k].op != '+';
                nb += e[k].op != '-';
        }
        fprintf(out, "@@ -%zu,%zu +%zu,%zu @@\n", e[from].i + (na > 0), na, e[from].j + (nb > 0), nb);
        for (size_t k = from; k < to; k++) {
                const struct lines *l = e[k].op == '+' ? b : a;
                size_t idx = e[k].op == '+' ? e[k].j : e[k].i;
                fprintf(out, "%c%.*s\n", e[k].op, (int)l->len[idx], l->at[idx]);
        }
}

int wrap_diff(const char *before, const char *after, const char *label_before,
              const char *label_after, FILE *out)
{
        struct lines a = { 0 }, b = { 0 };
        size_t n = 0;
        struct edit *e = NULL;
        int r = split(before, &a) < 0 || split(after, &b) < 0 ? -ENOMEM : 0;
        if (r == 0 && !(e = script(&a, &b, &n)))
                r = -ENOMEM;
        if (r == 0)
                fprintf(out, "--- %s\n+++ %s\n", label_before, label_after);
        /* a hunk: the changes, CONTEXT kept lines around them; changes at most
         * 2*CONTEXT kept lines apart share one */
        for (size_t k = 0; r == 0 && k < n; k++) {
                if (e[k].op == ' ')
                        continue;
                size_t last = k;
                for (size_t m = k + 1; m < n && m - last <= 2 * CONTEXT + 1; m++)
                        if (e[m].op != ' ')
                                last = m;
                size_t from = k > CONTEXT ? k - CONTEXT : 0;
                size_t end = last + 1 + CONTEXT < n ? last + 1 + CONTEXT : n;
                hunk(e, from, end, &a, &b, out);
                k = end - 1;
        }
        free(e);
        lines_free(&a);
        lines_free(&b);
        return r;
}
