/* Shared between the redaction files: the built-in rule table (redact-catalogue.c) and the
 * compiled redactor (redact.c, redact-scan.c). Nothing outside guards/ includes this. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "inspect/guards/redact-gate.h"
#include "inspect/guards/redact.h"
#include "policy/policy.h"

/* Catalogue bits, as named in policy.md. */
enum {
        CAT_SECRETS = 1u << 0,
        CAT_PII = 1u << 1,
        CAT_BROAD = 1u << 2,
        CAT_CUSTOM = 1u << 3,   /* mcp.redact.custom: on wherever a list is non-empty */
        CAT_ENV = 1u << 4,      /* env.from_file values: always on for results */
};

/* How a rule is triggered. */
enum rule_trigger {
        TRIGGER_ANCHOR,         /* a literal (rule->anchors) occurs at the match start */
        TRIGGER_DIGITS,         /* a run of digits (cards, SSNs, phones, IBANs) */
};

/* Checks a match [start, end) in text (the "v" group when the pattern has one); false
 * drops it (validators.h). */
typedef bool (*rule_check_fn)(const char *text, size_t len, size_t start, size_t end);

/* The shape of a run of digits (single or double separators from " -.()" between groups),
 * computed once per run so the digit rules can refuse it before any regex runs. */
#define RUN_GROUPS 8
struct run_shape {
        size_t end;                     /* one past the last digit */
        unsigned digits, groups;
        unsigned char glen[RUN_GROUPS]; /* digits per group (the first RUN_GROUPS) */
        char sep[RUN_GROUPS];           /* first separator byte after each group */
};
typedef bool (*run_check_fn)(const char *text, size_t p, const struct run_shape *sh);
/* No run_check_fn accepts a run of fewer digits than this unless the two bytes before it
 * are capitals (the IBAN rule): the scan skips shorter runs without asking each rule. */
#define REDACT_RUN_MIN_DIGITS 7

struct rule_def {
        const char *kind;
        unsigned catalogue;
        enum rule_trigger trigger;
        /* Literals that must occur where the match starts (after the walk back). The
         * regex runs only where one of them occurs: this is the cheap gate. */
        const char *const *anchors;
        /* Bytes the match may begin with before the anchor (the local part of an email,
         * a URL scheme), walked over backwards at most max_back bytes. */
        const char *back;
        unsigned short max_back;
        /* Longest match after the start; the regex never reads further than this (plus
         * its lookahead), so one anchor costs one bounded attempt. */
        unsigned window;
        /* Matched with PCRE2_ANCHORED at the start. With a group named "v", only that group
         * is replaced (the value after "AccountKey=", the userinfo of a URL). */
        const char *pattern;
        rule_check_fn check;
        /* A test in C at the anchor (alen bytes long) before any regex runs (NULL: none). */
        bool (*pre)(const char *text, size_t len, size_t anchor, size_t alen);
        /* Broad rules give way to a precise one that overlaps them. */
        bool broad;
        /* For TRIGGER_DIGITS: whether a run starting at p is worth the regex. */
        run_check_fn run_ok;
};

extern const struct rule_def redact_rules[];
extern const size_t redact_rules_count;

/* Built-in kind names, in the order of the kind ids (the env and custom kinds follow). */
extern const char *const redact_builtin_kinds[];
extern const size_t redact_builtin_kinds_count;
int redact_builtin_kind_id(const char *kind);

/* A candidate found by the scan: [start, end) of the bytes to replace. */
struct redact_hit {
        size_t start, end;
        unsigned kind;
        bool broad;
};

struct compiled_rule {
        const struct rule_def *def;     /* NULL for custom patterns and env literals */
        pcre2_code *code;
        unsigned kind;
        unsigned catalogue;
        bool broad;
        int group;                      /* number of the group named "v", or 0 */
        const char *literal;            /* env secret: matched byte for byte */
        size_t literal_len;
        unsigned window;
        /* Bit sets over bytes: back = what the walk back may cross; edge = bytes that must
         * not precede the start (the pattern's leading lookbehind, tested in C before the
         * regex is tried at all). */
        uint8_t back[32], edge[32];
        bool has_edge;
};

/* One anchor literal, listed under the byte that triggers it. */
struct anchor_ref {
        const char *lit;
        unsigned short len, off;        /* off: where the trigger byte sits in lit */
        unsigned rule;                  /* index into redactor.rules */
};

struct redactor {
        struct compiled_rule *rules;
        size_t n_rules;
        /* No rule matches fewer bytes (PCRE2's minimum match length, a literal's length):
         * a shorter string, an argument's "ok" or "42", is not scanned at all. */
        size_t min_match;
        unsigned built_mask;            /* catalogues compiled into this redactor */

        /* The one-pass gate: trig[b] holds the catalogues with an anchor whose trigger byte
         * is b (digits: the catalogues with digit rules); by_byte[b] lists those anchors. */
        uint8_t trig[256];
        struct anchor_ref *by_byte[256];
        unsigned short n_by_byte[256];
        /* The bytes that may precede and follow each trigger byte in some anchor (any: the
         * trigger is an anchor's first or last byte), a second cheap test before memcmp. */
        struct {
                uint8_t prev[32], next[32];
                bool any_prev, any_next;
        } around[256];
        /* The vector gate for the last selection it was built for. */
        struct gate gate;
        unsigned gate_mask;
        bool gate_ok, gate_built;
        /* Hyperscan (MCPCAGE_HAVE_HYPERSCAN): every anchor literal in one database. */
        void *hs_db, *hs_scratch;
        struct anchor_ref *hs_anchors;
        size_t n_hs;
        struct hs_cand {
                size_t start;
                unsigned anchor;
        } *hs_cands;
        size_t n_hs_cands, cap_hs_cands;
        unsigned digit_rules[8];
        size_t n_digit_rules;
        unsigned custom_rules[POLICY_REDACT_CUSTOM_MAX];
        size_t n_custom;
        /* env literals without a usable trigger byte (all digits): found with memmem */
        unsigned plain_literals[64];
        size_t n_plain;

        /* mcp.redact.allow */
        char **allow_lit;
        size_t n_allow_lit;
        pcre2_code **allow_re;
        size_t n_allow_re;

        /* kinds: built-in, then env_secret, then custom names */
        char **kinds;
        size_t n_kinds;

        struct redact_sel results, arguments;

        pcre2_match_data *md;
        pcre2_match_context *mctx;
        pcre2_jit_stack *jit_stack;
        struct redact_hit *hits;
        size_t n_hits, cap_hits;
};

static inline bool byteset_has(const uint8_t *set, unsigned char b)
{
        return set[b >> 3] & (1u << (b & 7));
}

/* redact.c: compile with the JIT (opts: PCRE2_ANCHORED for the built-in rules). */
int redact_compile(const char *pattern, uint32_t opts, pcre2_code **out, const char *what,
                   struct mc_error *err);
/* redact-scan.c: the back and edge sets of a built-in rule; the trigger tables. */
void redact_rule_edges(struct compiled_rule *cr, const struct compiled_rule *prev, size_t n_prev);
int redact_build_gate(struct redactor *r, struct mc_error *err);
/* redact-hs.c (with MCPCAGE_HAVE_HYPERSCAN): the anchor database, and the anchors found in text
 * as hs_cands sorted by start. */
int redact_hs_build(struct redactor *r, struct mc_error *err);
void redact_hs_free(struct redactor *r);
int redact_hs_candidates(struct redactor *r, const char *text, size_t len);
/* redact-hs-cache.c: the compiled anchor databases kept between runs (see there). key: 64
 * hex digits naming the literal set on this CPU and Hyperscan. load returns NULL on any
 * miss or doubt; store (a serialized database) is best effort. Both do nothing until
 * redactor_cache_dir() is set. */
int redact_hs_cache_key(const char *const *lits, const size_t *lens, const unsigned *flags, size_t n,
                        char key[65]);
void *redact_hs_cache_load(const char *key);
void redact_hs_cache_store(const char *key, const char *bytes, size_t n);

/* redact-scan.c: every hit of the selected rules in text, sorted, overlaps resolved. */
int redact_scan(struct redactor *r, struct redact_sel sel, const char *text, size_t len);
