/* Redaction of secrets and personal data in the strings that flow back to the model
 * (threats.md §3): tool results, resource contents, prompts, error messages, and optionally
 * request arguments. A redactor is compiled once per session from the effective policy
 * (mcp.redact.*, the tool rules' redact lists) and the env.from_file secret values; every
 * match becomes "[REDACTED:<kind>]" and is counted by kind, never logged. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "util/buf.h"
#include "util/error.h"

struct redactor;

/* Which catalogues apply to one string: a small value the caller picks per message. */
struct redact_sel {
        unsigned mask;
};

/* Compiles every catalogue the policy names anywhere (mcp.redact.results, .arguments, each
 * mcp.tools rule's redact), mcp.redact.custom and mcp.redact.allow. env_secrets: NULL or a
 * NULL-terminated list of env.from_file values; each is redacted byte for byte as
 * env_secret wherever results are scanned (values shorter than 8 bytes are skipped with a
 * warning: redacting "1" everywhere would destroy every result). */
int redactor_new(json_t *policy_root, const char *const *env_secrets, struct redactor **out,
                 struct mc_error *err);
void redactor_free(struct redactor *r);

/* Where compiled anchor databases are kept between runs ($XDG_CACHE_HOME/mcpcage/hyperscan;
 * redact-hs-cache.c). Unset or NULL (unit tests, fuzzers): every redactor compiles its own.
 * Process-wide; the string is copied. */
void redactor_cache_dir(const char *dir);
static inline void redactor_freep(struct redactor **r) { if (*r) redactor_free(*r); }
#define _cleanup_redactor_ __attribute__((cleanup(redactor_freep)))

/* Selections: mcp.redact.results (env secrets included), mcp.redact.arguments, or a tool
 * rule's own redact list (a JSON array of catalogue names; it replaces the results list
 * for that tool, env secrets still apply). redactor_sel_list fails with -EINVAL on a name
 * that is not a catalogue or was not compiled (the policy layer validated both). */
struct redact_sel redactor_results(const struct redactor *r);
struct redact_sel redactor_arguments(const struct redactor *r);
int redactor_sel_list(const struct redactor *r, json_t *list, struct redact_sel *sel,
                      struct mc_error *err);
static inline bool redact_sel_empty(struct redact_sel sel) { return sel.mask == 0; }

/* Kinds are numbered 0..redactor_n_kinds()-1: the built-in ones of policy.md, env_secret,
 * then each custom pattern's name. counts arrays have redactor_n_kinds() entries. */
size_t redactor_n_kinds(const struct redactor *r);
const char *redactor_kind_name(const struct redactor *r, size_t kind);

/* Redacts one decoded string. Returns 1 when something was replaced (out holds the new
 * text, appended after out's current contents), 0 when nothing was (out untouched), or
 * -ENOMEM / -EIO (a regex failed to run: the caller fails closed). counts (may be NULL)
 * is incremented per kind. */
int redact_string(struct redactor *r, struct redact_sel sel, const char *text, size_t len,
                  struct buf *out, unsigned *counts);

/* Redacts every string value (never a key) of one JSON-RPC message below the JSON pointer
 * scope ("" for the whole message, "/result", "/params/arguments", "/error"). msg is a
 * complete JSON text that the reader already validated. Returns 1 and fills out with the
 * rewritten message (every byte outside the changed strings kept), 0 when nothing changed
 * (forward the original bytes), <0 on error (with err). */
int redact_message(struct redactor *r, struct redact_sel sel, const char *msg, size_t len,
                   const char *scope, struct buf *out, unsigned *counts, struct mc_error *err);

/* Adds {"kind": count, ...} for every non-zero count to obj (the audit "redactions"). */
int redactor_counts_json(const struct redactor *r, const unsigned *counts, json_t *obj);
