/* The anchor literals through Hyperscan (optional: built when libhs is found). One pass of
 * its multi-literal matcher finds every occurrence of every anchor at several GB/s, where
 * the portable gate (redact-gate.c) has to stop at each trigger byte and compare; the regex
 * attempts and validators are the same either way. Measured in tests/bench/redact_bench.c;
 * see man/mcpcage-policy.5 ("Redaction catalogues", cost). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/guards/redact-internal.h"

#if HAVE_HYPERSCAN
#include <hs.h>

int redact_hs_build(struct redactor *r, struct mc_error *err)
{
        if (hs_valid_platform() != HS_SUCCESS)
                return 0;       /* no SSSE3: the portable gate serves */
        size_t n = 0;
        for (unsigned b = 0; b < 256; b++)
                n += r->n_by_byte[b];
        if (!n)
                return 0;
        r->hs_anchors = calloc(n, sizeof(*r->hs_anchors));
        const char **lits = calloc(n, sizeof(*lits));
        size_t *lens = calloc(n, sizeof(*lens));
        unsigned *ids = calloc(n, sizeof(*ids)), *flags = calloc(n, sizeof(*flags));
        int rc = 0;
        if (!r->hs_anchors || !lits || !lens || !ids || !flags) {
                rc = mc_error_set(err, ENOMEM, "out of memory");
        } else {
                for (unsigned b = 0; b < 256; b++)
                        for (unsigned k = 0; k < r->n_by_byte[b]; k++) {
                                r->hs_anchors[r->n_hs] = r->by_byte[b][k];
                                lits[r->n_hs] = r->by_byte[b][k].lit;
                                lens[r->n_hs] = r->by_byte[b][k].len;
                                ids[r->n_hs] = (unsigned)r->n_hs;
                                r->n_hs++;
                        }
                hs_database_t *db = NULL;
                hs_compile_error_t *ce = NULL;
                if (hs_compile_lit_multi(lits, flags, ids, lens, (unsigned)n, HS_MODE_BLOCK, NULL,
                                         &db, &ce) != HS_SUCCESS) {
                        rc = mc_error_set(err, EINVAL, "redaction anchors: hyperscan: %s",
                                          ce ? ce->message : "compile failed");
                        hs_free_compile_error(ce);
                } else {
                        hs_scratch_t *scratch = NULL;
                        r->hs_db = db;
                        if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS)
                                rc = mc_error_set(err, ENOMEM, "redaction anchors: hyperscan scratch");
                        r->hs_scratch = scratch;
                }
        }
        free(lits);
        free(lens);
        free(ids);
        free(flags);
        return rc;
}

void redact_hs_free(struct redactor *r)
{
        hs_free_scratch(r->hs_scratch);
        hs_free_database(r->hs_db);
        free(r->hs_anchors);
        free(r->hs_cands);
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
                    unsigned flags, void *ctx)
{
        struct redactor *r = ctx;
        (void)from;
        (void)flags;
        if (r->n_hs_cands == r->cap_hs_cands) {
                size_t cap = r->cap_hs_cands ? r->cap_hs_cands * 2 : 64;
                struct hs_cand *c = realloc(r->hs_cands, cap * sizeof(*c));
                if (!c)
                        return 1;       /* stops the scan; reported as ENOMEM */
                r->hs_cands = c;
                r->cap_hs_cands = cap;
        }
        r->hs_cands[r->n_hs_cands++] = (struct hs_cand){
                .start = (size_t)to - r->hs_anchors[id].len, .anchor = id };
        return 0;
}

/* Hyperscan reports by end offset, so starts are out of order only where a longer anchor
 * ends with a shorter one: an insertion sort is linear here, qsort was not. */
static void sort_by_start(struct hs_cand *c, size_t n)
{
        for (size_t i = 1; i < n; i++) {
                struct hs_cand v = c[i];
                size_t j = i;
                for (; j > 0 && c[j - 1].start > v.start; j--)
                        c[j] = c[j - 1];
                c[j] = v;
        }
}

int redact_hs_candidates(struct redactor *r, const char *text, size_t len)
{
        r->n_hs_cands = 0;
        hs_error_t e = hs_scan(r->hs_db, text, (unsigned)len, 0, r->hs_scratch, on_match, r);
        if (e == HS_SCAN_TERMINATED)
                return -ENOMEM;
        if (e != HS_SUCCESS)
                return -EIO;
        sort_by_start(r->hs_cands, r->n_hs_cands);
        return 0;
}
#endif
