/* Tool rules (policy.md mcp.tools; threats.md §2 "tools/call of a tool the policy denies or
 * hides", "tool needing a scope not granted"). mcp.tools maps a tool name to "allow",
 * "deny" or an object {scopes, paths, commands, urls, rate, confirm, redact}.
 *
 * Lookup order: the key equal to the name; else the glob keys ("git_*"; fnmatch without
 * FNM_PATHNAME, so "*" also matches "/") that match, the one with the longest literal
 * prefix first ("git_log_*" before "git_*"), ties by their order in the effective policy;
 * else the key "*"; else no rule, and the tool is unknown: denied and hidden.
 *
 * Visibility (tools/list filtering): a tool is listed when its rule exists and is not
 * "deny". A tool whose rule needs scopes the session lacks stays visible: design.md
 * answers such a call with a denied result the model can read, while a hidden tool is
 * answered "Unknown tool". */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "inspect/rules/commands.h"
#include "inspect/rules/decision.h"
#include "inspect/rules/paths.h"
#include "inspect/rules/scopes.h"
#include "inspect/rules/urls.h"
#include "util/error.h"

enum tool_action { TOOL_ALLOW, TOOL_DENY, TOOL_CHECK };

struct tool_rule {
        const char *name;               /* the key in mcp.tools: "write_file", "git_*", "*" */
        char pointer[RULE_POINTER_MAX]; /* "/mcp/tools/write_file" (audit `rule`) */
        /* pointer + "/scopes", "/paths", "/rate": the pointers its checks report, made once */
        char scopes_pointer[RULE_POINTER_MAX], paths_pointer[RULE_POINTER_MAX];
        char rate_pointer[RULE_POINTER_MAX];
        enum tool_action action;
        /* TOOL_CHECK only; each NULL when the rule does not say. Borrowed from the policy. */
        json_t *scopes;                 /* array of required scopes */
        json_t *paths;                  /* {pointer: "read"|"write"} */
        struct command_rules *commands; /* compiled "commands" */
        struct url_rules *urls;         /* compiled "urls" */
        const char *rate;               /* "10/min": parse with policy_parse_rate(), then
                                         * rate_bucket_init() one bucket per rule */
        bool confirm;                   /* ask the user (elicitation) before forwarding */
        json_t *redact;                 /* array: overrides mcp.redact.results for this tool */
};

struct tool_rules;

/* mcp_tools: /mcp/tools (NULL: no tools at all are allowed). A reference is kept. */
int tool_rules_compile(json_t *mcp_tools, struct tool_rules **out, struct mc_error *err);
void tool_rules_free(struct tool_rules *t);

/* The deciding rule, or NULL for an unknown tool. name is len bytes (a JSON string); a name
 * holding a NUL byte has no rule. */
const struct tool_rule *tool_rules_lookup(const struct tool_rules *t, const char *name,
                                          size_t len);
bool tool_visible(const struct tool_rules *t, const char *name, size_t len);

/* Everything about a tools/call that needs no state: the rule's action, then scopes, paths,
 * commands and URLs, in that order; the first failure decides. rule NULL (unknown tool)
 * denies with rule "/mcp/tools". Rate limits and confirmation are the inspector's (they
 * keep state or ask the user) and come after an allow here. arguments may be NULL. */
void tool_check_call(const struct tool_rule *rule, const struct scope_set *scopes,
                     const struct path_rules *paths, json_t *arguments, struct rule_decision *d);
