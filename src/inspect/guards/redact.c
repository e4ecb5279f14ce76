/* Compiling a redactor from the effective policy, and rewriting one string with it. The
 * scan itself (the one-pass gate and the regex attempts) is redact-scan.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "inspect/guards/redact-internal.h"
#include "policy/policy.h"
#include "util/cleanup.h"
#include "util/log.h"

/* env.from_file values shorter than this are not redacted: "1" or "true" everywhere in the
 * output would destroy it and protects nothing. */
#define ENV_SECRET_MIN 8

static int catalogue_bit(const char *name, unsigned *bit)
{
        static const struct { const char *name; unsigned bit; } cats[] = {
                { "secrets", CAT_SECRETS }, { "pii", CAT_PII }, { "secrets-broad", CAT_BROAD },
        };
        for (size_t i = 0; i < ARRAY_SIZE(cats); i++)
                if (!strcmp(cats[i].name, name)) {
                        *bit = cats[i].bit;
                        return 0;
                }
        return -EINVAL;
}

static int list_mask(json_t *list, const char *where, unsigned *mask, struct mc_error *err)
{
        size_t i;
        json_t *v;
        *mask = 0;
        if (!list || json_is_null(list))
                return 0;
        if (!json_is_array(list))
                return mc_error_set(err, EINVAL, "%s: expected a list of catalogues", where);
        json_array_foreach(list, i, v) {
                unsigned bit;
                if (!json_is_string(v) || catalogue_bit(json_string_value(v), &bit) < 0)
                        return mc_error_set(err, EINVAL, "%s/%zu: not a redaction catalogue "
                                            "(secrets, pii, secrets-broad)", where, i);
                *mask |= bit;
        }
        return 0;
}

/* Custom patterns apply wherever a list turns redaction on. */
static unsigned with_custom(unsigned mask)
{
        return mask ? mask | CAT_CUSTOM : 0;
}

/* Every catalogue named anywhere, so one compiled redactor serves every tool. */
static int policy_mask(json_t *root, unsigned *all, struct mc_error *err)
{
        unsigned m;
        const char *name;
        json_t *rule;
        int r = list_mask(json_pointer_get(root, "/mcp/redact/results"), "/mcp/redact/results", &m, err);
        if (r < 0)
                return r;
        *all = m;
        r = list_mask(json_pointer_get(root, "/mcp/redact/arguments"), "/mcp/redact/arguments", &m, err);
        if (r < 0)
                return r;
        *all |= m;
        json_object_foreach(json_pointer_get(root, "/mcp/tools"), name, rule) {
                if (!json_is_object(rule))
                        continue;
                r = list_mask(json_object_get(rule, "redact"), "/mcp/tools/<tool>/redact", &m, err);
                if (r < 0)
                        return mc_error_prefix(err, "tool \"%s\"", name);
                *all |= m;
        }
        return 0;
}

static int push_rule(struct redactor *r, const struct compiled_rule *cr)
{
        struct compiled_rule *n = realloc(r->rules, (r->n_rules + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        r->rules = n;
        r->rules[r->n_rules++] = *cr;
        return 0;
}

static int push_kind(struct redactor *r, const char *name)
{
        char **n = realloc(r->kinds, (r->n_kinds + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        r->kinds = n;
        r->kinds[r->n_kinds] = strdup(name);
        if (!r->kinds[r->n_kinds])
                return -ENOMEM;
        r->n_kinds++;
        return 0;
}

int redact_compile(const char *pattern, uint32_t opts, pcre2_code **out, const char *what,
                   struct mc_error *err)
{
        int code;
        PCRE2_SIZE off;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &code,
                                       &off, NULL);
        if (!re) {
                PCRE2_UCHAR msg[160];
                pcre2_get_error_message(code, msg, sizeof(msg));
                return mc_error_set(err, EINVAL, "%s: invalid pattern at offset %zu: %s", what,
                                    (size_t)off, (const char *)msg);
        }
        /* Without the JIT a hostile result could make the interpreter crawl; the JIT is
         * part of every Debian build of libpcre2-8, so its absence is a hard error. */
        int rc = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
        if (rc < 0) {
                pcre2_code_free(re);
                return mc_error_set(err, ENOTSUP, "%s: PCRE2 JIT unavailable (error %d)", what, rc);
        }
        *out = re;
        return 0;
}

static int value_group(pcre2_code *re)
{
        int n = pcre2_substring_number_from_name(re, (PCRE2_SPTR) "v");
        return n > 0 ? n : 0;
}

static int add_builtin(struct redactor *r, unsigned mask, struct mc_error *err)
{
        for (size_t i = 0; i < redact_rules_count; i++) {
                const struct rule_def *d = &redact_rules[i];
                if (!(d->catalogue & mask))
                        continue;
                struct compiled_rule cr = { .def = d, .catalogue = d->catalogue, .broad = d->broad,
                                            .kind = (unsigned)redact_builtin_kind_id(d->kind),
                                            .window = d->window };
                int r2 = redact_compile(d->pattern, PCRE2_ANCHORED, &cr.code, d->kind, err);
                if (r2 < 0)
                        return r2;
                cr.group = value_group(cr.code);
                redact_rule_edges(&cr, r->rules, r->n_rules);
                r2 = push_rule(r, &cr);
                if (r2 < 0) {
                        pcre2_code_free(cr.code);
                        return mc_error_set(err, ENOMEM, "out of memory");
                }
        }
        return 0;
}

static int add_env(struct redactor *r, const char *const *secrets, struct mc_error *err)
{
        unsigned kind = (unsigned)redact_builtin_kind_id("env_secret");
        for (size_t i = 0; secrets && secrets[i]; i++) {
                size_t n = strlen(secrets[i]);
                if (n < ENV_SECRET_MIN) {
                        log_warn("env.from_file secret #%zu is shorter than %d bytes: not "
                                 "redacted from results (use a longer secret)", i + 1, ENV_SECRET_MIN);
                        continue;
                }
                struct compiled_rule cr = { .catalogue = CAT_ENV, .kind = kind,
                                            .literal = strdup(secrets[i]), .literal_len = n };
                if (!cr.literal || push_rule(r, &cr) < 0) {
                        free((char *)cr.literal);
                        return mc_error_set(err, ENOMEM, "out of memory");
                }
        }
        return 0;
}

static int add_custom(struct redactor *r, json_t *custom, struct mc_error *err)
{
        const char *name;
        json_t *pat;
        json_object_foreach(custom, name, pat) {
                if (r->n_custom == ARRAY_SIZE(r->custom_rules))
                        return mc_error_set(err, E2BIG, "/mcp/redact/custom: more than %zu patterns",
                                            ARRAY_SIZE(r->custom_rules));
                char where[300];
                snprintf(where, sizeof(where), "/mcp/redact/custom/%s", name);
                struct compiled_rule cr = { .catalogue = CAT_CUSTOM, .kind = (unsigned)r->n_kinds };
                int rc = redact_compile(json_string_value(pat), PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
                                        &cr.code, where, err);
                if (rc < 0)
                        return rc;
                cr.group = value_group(cr.code);
                if (push_kind(r, name) < 0 || push_rule(r, &cr) < 0) {
                        pcre2_code_free(cr.code);
                        return mc_error_set(err, ENOMEM, "out of memory");
                }
                r->custom_rules[r->n_custom++] = (unsigned)(r->n_rules - 1);
        }
        return 0;
}

/* "/regex/" is a pattern (it must match the whole redacted span), anything else a literal
 * (the span must lie inside an occurrence of it). */
static int add_allow(struct redactor *r, json_t *allow, struct mc_error *err)
{
        size_t i;
        json_t *v;
        size_t n = json_array_size(allow);
        r->allow_lit = calloc(n + 1, sizeof(*r->allow_lit));
        r->allow_re = calloc(n + 1, sizeof(*r->allow_re));
        if (!r->allow_lit || !r->allow_re)
                return mc_error_set(err, ENOMEM, "out of memory");
        json_array_foreach(allow, i, v) {
                const char *s = json_string_value(v);
                size_t len = json_string_length(v);
                if (len >= 2 && s[0] == '/' && s[len - 1] == '/') {
                        _cleanup_free_ char *inner = strndup(s + 1, len - 2);
                        char where[64];
                        snprintf(where, sizeof(where), "/mcp/redact/allow/%zu", i);
                        if (!inner)
                                return mc_error_set(err, ENOMEM, "out of memory");
                        int rc = redact_compile(inner, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
                                                &r->allow_re[r->n_allow_re], where, err);
                        if (rc < 0)
                                return rc;
                        r->n_allow_re++;
                } else if (len) {
                        r->allow_lit[r->n_allow_lit] = strdup(s);
                        if (!r->allow_lit[r->n_allow_lit])
                                return mc_error_set(err, ENOMEM, "out of memory");
                        r->n_allow_lit++;
                }
        }
        return 0;
}

static int make_selections(struct redactor *r, json_t *root, struct mc_error *err)
{
        unsigned m;
        int rc = list_mask(json_pointer_get(root, "/mcp/redact/results"), "/mcp/redact/results", &m, err);
        if (rc < 0)
                return rc;
        r->results.mask = with_custom(m) | CAT_ENV;
        rc = list_mask(json_pointer_get(root, "/mcp/redact/arguments"), "/mcp/redact/arguments", &m, err);
        if (rc < 0)
                return rc;
        r->arguments.mask = with_custom(m);
        return 0;
}

static int scratch_new(struct redactor *r, struct mc_error *err)
{
        r->md = pcre2_match_data_create(16, NULL);
        r->mctx = pcre2_match_context_create(NULL);
        /* the longest built-in window (a PEM block) needs more than the 32 KiB default */
        r->jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
        if (!r->md || !r->mctx || !r->jit_stack)
                return mc_error_set(err, ENOMEM, "out of memory");
        pcre2_jit_stack_assign(r->mctx, NULL, r->jit_stack);
        return 0;
}

/* The fewest bytes any rule can match: a literal's length, or PCRE2's lower bound for a
 * pattern (lookbehinds read before the match and are not counted; 0 when PCRE2 has none). */
static size_t shortest_match(const struct redactor *r)
{
        size_t least = SIZE_MAX;
        for (size_t i = 0; i < r->n_rules; i++) {
                const struct compiled_rule *cr = &r->rules[i];
                uint32_t n = 0;
                if (cr->literal)
                        n = (uint32_t)cr->literal_len;
                else if (pcre2_pattern_info(cr->code, PCRE2_INFO_MINLENGTH, &n) != 0)
                        n = 0;
                least = n < least ? n : least;
        }
        return least == SIZE_MAX ? 0 : least;
}

int redactor_new(json_t *root, const char *const *env_secrets, struct redactor **out,
                 struct mc_error *err)
{
        unsigned mask;
        int rc = policy_mask(root, &mask, err);
        if (rc < 0)
                return rc;
        struct redactor *r = calloc(1, sizeof(*r));
        if (!r)
                return mc_error_set(err, ENOMEM, "out of memory");
        r->built_mask = mask | CAT_CUSTOM | CAT_ENV;
        for (size_t i = 0; i < redact_builtin_kinds_count && rc >= 0; i++)
                rc = push_kind(r, redact_builtin_kinds[i]) < 0 ? mc_error_set(err, ENOMEM, "out of memory") : 0;
        if (rc >= 0)
                rc = add_builtin(r, mask, err);
        if (rc >= 0)
                rc = add_env(r, env_secrets, err);
        if (rc >= 0)
                rc = add_custom(r, json_pointer_get(root, "/mcp/redact/custom"), err);
        if (rc >= 0)
                rc = add_allow(r, json_pointer_get(root, "/mcp/redact/allow"), err);
        if (rc >= 0)
                r->min_match = shortest_match(r);
        if (rc >= 0)
                rc = make_selections(r, root, err);
        if (rc >= 0)
                rc = scratch_new(r, err);
        if (rc >= 0)
                rc = redact_build_gate(r, err);
#if MCPCAGE_HAVE_HYPERSCAN
        if (rc >= 0)
                rc = redact_hs_build(r, err);
#endif
        if (rc < 0) {
                redactor_free(r);
                return rc;
        }
        *out = r;
        return 0;
}

void redactor_free(struct redactor *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->n_rules; i++) {
                pcre2_code_free(r->rules[i].code);
                free((char *)r->rules[i].literal);
        }
        free(r->rules);
        for (size_t b = 0; b < 256; b++)
                free(r->by_byte[b]);
        for (size_t i = 0; i < r->n_allow_lit; i++)
                free(r->allow_lit[i]);
        free(r->allow_lit);
        for (size_t i = 0; i < r->n_allow_re; i++)
                pcre2_code_free(r->allow_re[i]);
        free(r->allow_re);
        for (size_t i = 0; i < r->n_kinds; i++)
                free(r->kinds[i]);
        free(r->kinds);
        pcre2_match_data_free(r->md);
        pcre2_match_context_free(r->mctx);
        pcre2_jit_stack_free(r->jit_stack);
        free(r->hits);
#if MCPCAGE_HAVE_HYPERSCAN
        redact_hs_free(r);
#endif
        free(r);
}

struct redact_sel redactor_results(const struct redactor *r)
{
        return r->results;
}

struct redact_sel redactor_arguments(const struct redactor *r)
{
        return r->arguments;
}

int redactor_sel_list(const struct redactor *r, json_t *list, struct redact_sel *sel,
                      struct mc_error *err)
{
        unsigned m;
        int rc = list_mask(list, "redact", &m, err);
        if (rc < 0)
                return rc;
        if (m & ~r->built_mask)
                return mc_error_set(err, EINVAL, "redact: a catalogue of this list was not "
                                    "compiled (not named in the policy)");
        sel->mask = with_custom(m) | CAT_ENV;
        return 0;
}

size_t redactor_n_kinds(const struct redactor *r)
{
        return r->n_kinds;
}

const char *redactor_kind_name(const struct redactor *r, size_t kind)
{
        return kind < r->n_kinds ? r->kinds[kind] : NULL;
}

int redact_string(struct redactor *r, struct redact_sel sel, const char *text, size_t len,
                  struct buf *out, unsigned *counts)
{
        if (!(sel.mask & r->built_mask) || !len)
                return 0;
        int rc = redact_scan(r, sel, text, len);
        if (rc < 0)
                return rc;
        if (!r->n_hits)
                return 0;
        size_t pos = 0;
        for (size_t i = 0; i < r->n_hits; i++) {
                const struct redact_hit *h = &r->hits[i];
                if (buf_append(out, text + pos, h->start - pos) < 0 ||
                    buf_printf(out, "[REDACTED:%s]", r->kinds[h->kind]) < 0)
                        return -ENOMEM;
                if (counts)
                        counts[h->kind]++;
                pos = h->end;
        }
        if (buf_append(out, text + pos, len - pos) < 0)
                return -ENOMEM;
        return 1;
}

int redactor_counts_json(const struct redactor *r, const unsigned *counts, json_t *obj)
{
        for (size_t k = 0; k < r->n_kinds; k++) {
                if (!counts[k])
                        continue;
                json_int_t prev = json_integer_value(json_object_get(obj, r->kinds[k]));
                if (json_object_set_new(obj, r->kinds[k], json_integer(prev + counts[k])) < 0)
                        return -ENOMEM;
        }
        return 0;
}
