/* The anchor literals through Hyperscan (optional: built when libhs is found). One pass of
 * its multi-literal matcher finds every occurrence of every anchor at several GB/s, where
 * the portable gate (redact-gate.c) has to stop at each trigger byte and compare; the regex
 * attempts and validators are the same either way. Measured in tests/bench/redact_bench.c;
 * see man/mcpcage-policy.5 ("Redaction catalogues", cost). */
#include <errno.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

#include "config.h"
#include "inspect/guards/redact-internal.h"
#include "util/cleanup.h"
#include "util/log.h"

#if MCPCAGE_HAVE_HYPERSCAN
#include <hs.h>

#include "inspect/guards/redact-hs-lib.h"

/* The check a cached database must pass before it is trusted as the gate: scanning the
 * literals one after another, each is reported with its own id where it ends. */
struct finds_all {
        const size_t *ends;
        bool *seen;
};

static int on_check(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ctx)
{
        struct finds_all *f = ctx;
        (void)from;
        (void)flags;
        if (f->ends[id] == to)
                f->seen[id] = true;
        return 0;
}

static bool finds_all(hs_database_t *db, hs_scratch_t *scratch, const char *const *lits,
                      const size_t *lens, size_t n)
{
        size_t total = 0;
        for (size_t i = 0; i < n; i++)
                total += lens[i] + 1;
        _cleanup_free_ char *text = malloc(total);
        _cleanup_free_ size_t *ends = calloc(n, sizeof(*ends));
        _cleanup_free_ bool *seen = calloc(n, sizeof(*seen));
        if (!text || !ends || !seen || total > UINT_MAX)
                return false;
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
                memcpy(text + at, lits[i], lens[i]);
                at += lens[i];
                ends[i] = at;
                text[at++] = '\0';
        }
        struct finds_all f = { .ends = ends, .seen = seen };
        if (redact_hs->scan(db, text, (unsigned)total, 0, scratch, on_check, &f) != HS_SUCCESS)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!seen[i])
                        return false;
        return true;
}

/* Compiles the anchors with libhs, serializes the database (stored under key when given)
 * and loads it with the runtime. 0 with *db NULL when the compiler cannot be loaded: the
 * portable gate then serves. */
static int compile(const char **lits, const size_t *lens, const unsigned *ids, const unsigned *flags,
                   size_t n, const char *key, hs_database_t **db, struct mc_error *err)
{
        const struct redact_hs_compiler *hc = redact_hs_compiler();
        if (!hc)
                return 0;
        hs_database_t *built = NULL;
        hs_compile_error_t *ce = NULL;
        if (hc->compile_lit_multi(lits, flags, ids, lens, (unsigned)n, HS_MODE_BLOCK, NULL, &built, &ce) !=
            HS_SUCCESS) {
                int rc = mc_error_set(err, EINVAL, "redaction anchors: hyperscan: %s",
                                      ce ? ce->message : "compile failed");
                hc->free_compile_error(ce);
                return rc;
        }
        char *bytes = NULL;
        size_t len = 0;
        hs_error_t e = hc->serialize_database(built, &bytes, &len);
        hc->free_database(built);
        if (e != HS_SUCCESS)
                return mc_error_set(err, ENOMEM, "redaction anchors: hyperscan: serializing the database");
        if (key)
                redact_hs_cache_store(key, bytes, len);
        e = redact_hs->deserialize_database(bytes, len, db);
        free(bytes);    /* Hyperscan's default allocator is malloc */
        if (e != HS_SUCCESS)
                return mc_error_set(err, EIO, "redaction anchors: hyperscan: the runtime refused the "
                                    "database its compiler built (error %d)", e);
        return 0;
}

/* The database from the cache when it has a good one, else compiled (and stored). */
static int load_or_compile(struct redactor *r, const char **lits, const size_t *lens, const unsigned *ids,
                           const unsigned *flags, size_t n, struct mc_error *err)
{
        char key[65];
        bool keyed = redact_hs_cache_key(lits, lens, flags, n, key) == 0;
        hs_database_t *db = keyed ? redact_hs_cache_load(key) : NULL;
        hs_scratch_t *scratch = NULL;
        if (db && (redact_hs->alloc_scratch(db, &scratch) != HS_SUCCESS || !finds_all(db, scratch, lits, lens, n))) {
                log_debug("redaction cache: %s.db does not find every anchor; compiling", key);
                redact_hs->free_scratch(scratch);
                redact_hs->free_database(db);
                scratch = NULL;
                db = NULL;
        }
        if (!db) {
                int rc = compile(lits, lens, ids, flags, n, keyed ? key : NULL, &db, err);
                if (rc < 0 || !db)
                        return rc;
        }
        r->hs_db = db;
        if (!scratch && redact_hs->alloc_scratch(db, &scratch) != HS_SUCCESS)
                return mc_error_set(err, ENOMEM, "redaction anchors: hyperscan scratch");
        r->hs_scratch = scratch;
        return 0;
}

int redact_hs_build(struct redactor *r, struct mc_error *err)
{
        size_t n = 0;
        for (unsigned b = 0; b < 256; b++)
                n += r->n_by_byte[b];
        /* Nothing to find: the library is not even loaded. Without it, or without SSSE3,
         * the portable gate serves. */
        if (!n || !redact_hs_lib() || redact_hs->valid_platform() != HS_SUCCESS)
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
                rc = load_or_compile(r, lits, lens, ids, flags, n, err);
        }
        free(lits);
        free(lens);
        free(ids);
        free(flags);
        return rc;
}

void redact_hs_free(struct redactor *r)
{
        if (redact_hs) {        /* else nothing of Hyperscan's was made */
                redact_hs->free_scratch(r->hs_scratch);
                redact_hs->free_database(r->hs_db);
        }
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
        hs_error_t e = redact_hs->scan(r->hs_db, text, (unsigned)len, 0, r->hs_scratch, on_match, r);
        if (e == HS_SCAN_TERMINATED)
                return -ENOMEM;
        if (e != HS_SUCCESS)
                return -EIO;
        sort_by_start(r->hs_cands, r->n_hs_cands);
        return 0;
}
#endif
