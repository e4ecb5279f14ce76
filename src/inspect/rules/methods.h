/* Methods denied per direction (policy.md mcp.methods; threats.md §2 "sampling/createMessage
 * from the server when denied"): mcp.methods.host.deny applies to what the host sends,
 * mcp.methods.server.deny to what the server sends. Entries are exact method names or
 * globs (notifications, then "/", then "*"; fnmatch without FNM_PATHNAME, so "*" also
 * matches "/"). */
#pragma once

#include <jansson.h>

#include "inspect/rules/decision.h"
#include "util/error.h"

enum method_dir { METHOD_FROM_HOST, METHOD_FROM_SERVER };

struct method_rules;

/* mcp_methods: /mcp/methods (NULL: nothing denied). A reference is kept. */
int method_rules_compile(json_t *mcp_methods, struct method_rules **out, struct mc_error *err);
void method_rules_free(struct method_rules *m);
/* Deny: rule "/mcp/methods/server/deny/0". Allow: rule "/mcp/methods/server". */
void method_check(const struct method_rules *m, enum method_dir dir, const char *method,
                  struct rule_decision *d);
