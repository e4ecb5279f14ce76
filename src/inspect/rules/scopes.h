/* Scopes (policy.md mcp.scopes, mcp.implies; threats.md §2 "tool needing a scope not
 * granted; a scope only implied"): the granted set is mcp.scopes (with the --grant scopes
 * the policy layer merged in) closed transitively over mcp.implies. The policy layer
 * rejects implication cycles; the closure here terminates on them anyway. */
#pragma once

#include <stdbool.h>
#include <jansson.h>

#include "inspect/rules/decision.h"
#include "util/error.h"

struct scope_set;

/* granted: /mcp/scopes (array of strings, may be NULL); implies: /mcp/implies (object of
 * scope -> array of strings, may be NULL). */
int scopes_compile(json_t *granted, json_t *implies, struct scope_set **out,
                   struct mc_error *err);
void scopes_free(struct scope_set *s);
bool scopes_has(const struct scope_set *s, const char *scope);
/* required: a tool rule's "scopes" array (NULL or empty: nothing needed); rule its
 * pointer ("/mcp/tools/write_file/scopes"). All are needed; the first missing one decides
 * (rule "<rule>/<index>"). A non-string entry is denied. */
void scopes_check(const struct scope_set *s, json_t *required, const char *rule,
                  struct rule_decision *d);
