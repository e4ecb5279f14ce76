/* Tool rules: compile mcp.tools once, look a name up per call; see tools.h. */
#include "inspect/rules/tools.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/rules/glob.h"

struct tool_rules {
        json_t *tools;                  /* reference to /mcp/tools */
        struct tool_rule **globs;       /* pointers into rules, in lookup order */
        size_t n_globs;
        struct tool_rule *rules;        /* every key, in policy order */
        size_t n_rules;
        const struct tool_rule *fallback; /* the "*" rule, or NULL */
};

static int compile_object(struct tool_rule *r, json_t *spec, struct mc_error *err)
{
        char at[RULE_POINTER_MAX];
        const char *key;
        json_t *v;
        int k;

        json_object_foreach(spec, key, v) {
                rule_format(at, sizeof(at), "%s/%s", r->pointer, key);
                if (!strcmp(key, "scopes") && json_is_array(v)) {
                        r->scopes = v;
                } else if (!strcmp(key, "paths") && json_is_object(v)) {
                        r->paths = v;
                } else if (!strcmp(key, "commands")) {
                        k = command_rules_compile(v, at, &r->commands, err);
                        if (k < 0)
                                return k;
                } else if (!strcmp(key, "urls")) {
                        k = url_rules_compile(v, at, &r->urls, err);
                        if (k < 0)
                                return k;
                } else if (!strcmp(key, "rate") && (json_is_string(v) || json_is_null(v))) {
                        /* the effective policy writes "no rate" as null */
                        r->rate = json_string_value(v);
                } else if (!strcmp(key, "confirm") && json_is_boolean(v)) {
                        r->confirm = json_is_true(v);
                } else if (!strcmp(key, "redact") && (json_is_array(v) || json_is_null(v))) {
                        r->redact = json_is_array(v) ? v : NULL;
                } else {
                        return mc_error_set(err, EINVAL, "%s: unknown key or wrong type", at);
                }
        }
        return 0;
}

static int compile_rule(struct tool_rule *r, const char *name, json_t *spec,
                        struct mc_error *err)
{
        const char *s = json_string_value(spec);

        r->name = name;
        r->pointer[0] = '\0';
        rule_format(r->pointer, sizeof(r->pointer), "/mcp/tools");
        if (!rule_pointer_append(r->pointer, sizeof(r->pointer), name))
                return mc_error_set(err, ENAMETOOLONG, "/mcp/tools: tool name too long: %.64s", name);
        rule_format(r->scopes_pointer, sizeof(r->scopes_pointer), "%s/scopes", r->pointer);
        rule_format(r->paths_pointer, sizeof(r->paths_pointer), "%s/paths", r->pointer);
        rule_format(r->rate_pointer, sizeof(r->rate_pointer), "%s/rate", r->pointer);
        if (s && !strcmp(s, "allow")) {
                r->action = TOOL_ALLOW;
                return 0;
        }
        if (s && !strcmp(s, "deny")) {
                r->action = TOOL_DENY;
                return 0;
        }
        if (!json_is_object(spec))
                return mc_error_set(err, EINVAL, "%s: must be \"allow\", \"deny\" or an object",
                                    r->pointer);
        r->action = TOOL_CHECK;
        return compile_object(r, spec, err);
}

/* Longest literal prefix first; equal prefixes keep policy order (the sort is stabilised
 * by comparing positions). */
static int glob_order(const void *a, const void *b)
{
        const struct tool_rule *x = *(const struct tool_rule *const *)a;
        const struct tool_rule *y = *(const struct tool_rule *const *)b;
        size_t lx = glob_literal_prefix(x->name), ly = glob_literal_prefix(y->name);

        if (lx != ly)
                return lx > ly ? -1 : 1;
        return x < y ? -1 : x > y;
}

int tool_rules_compile(json_t *mcp_tools, struct tool_rules **out, struct mc_error *err)
{
        struct tool_rules *t;
        const char *key;
        json_t *spec;
        int k = 0;

        if (mcp_tools && !json_is_object(mcp_tools))
                return mc_error_set(err, EINVAL, "/mcp/tools: not an object");
        t = calloc(1, sizeof(*t));
        if (!t)
                return mc_error_set(err, ENOMEM, "/mcp/tools: out of memory");
        size_t n = json_object_size(mcp_tools);
        t->rules = calloc(n + 1, sizeof(*t->rules));
        t->globs = calloc(n + 1, sizeof(*t->globs));
        if (!t->rules || !t->globs) {
                tool_rules_free(t);
                return mc_error_set(err, ENOMEM, "/mcp/tools: out of memory");
        }
        t->tools = json_incref(mcp_tools);
        json_object_foreach(mcp_tools, key, spec) {
                struct tool_rule *r = &t->rules[t->n_rules++];
                k = compile_rule(r, key, spec, err);
                if (k < 0)
                        break;
                if (!strcmp(key, "*"))
                        t->fallback = r;
                else if (glob_is_pattern(key))
                        t->globs[t->n_globs++] = r;
        }
        if (k < 0) {
                tool_rules_free(t);
                return k;
        }
        qsort(t->globs, t->n_globs, sizeof(*t->globs), glob_order);
        *out = t;
        return 0;
}

void tool_rules_free(struct tool_rules *t)
{
        if (!t)
                return;
        for (size_t i = 0; i < t->n_rules; i++) {
                command_rules_free(t->rules[i].commands);
                url_rules_free(t->rules[i].urls);
        }
        free(t->rules);
        free(t->globs);
        json_decref(t->tools);
        free(t);
}

const struct tool_rule *tool_rules_lookup(const struct tool_rules *t, const char *name,
                                          size_t len)
{
        if (!t || !name || strlen(name) != len)
                return NULL;
        for (size_t i = 0; i < t->n_rules; i++)
                if (!strcmp(t->rules[i].name, name))
                        return &t->rules[i];
        for (size_t i = 0; i < t->n_globs; i++)
                if (glob_match(t->globs[i]->name, name, 0) == 1)
                        return t->globs[i];
        return t->fallback;
}

bool tool_visible(const struct tool_rules *t, const char *name, size_t len)
{
        const struct tool_rule *r = tool_rules_lookup(t, name, len);

        return r && r->action != TOOL_DENY;
}

void tool_check_call(const struct tool_rule *rule, const struct scope_set *scopes,
                     const struct path_rules *paths, json_t *arguments, struct rule_decision *d)
{
        if (!rule) {
                rule_deny(d, "/mcp/tools", "the policy has no rule for this tool");
                return;
        }
        if (rule->action == TOOL_DENY) {
                rule_deny(d, rule->pointer, "the policy denies tool %s", rule->name);
                return;
        }
        rule_allow(d, rule->pointer);
        if (rule->action == TOOL_ALLOW)
                return;
        if (arguments && !json_is_object(arguments)) {
                rule_deny(d, rule->pointer, "arguments are not an object");
                return;
        }
        if (rule->scopes) {
                scopes_check(scopes, rule->scopes, rule->scopes_pointer, d);
                if (!d->allow)
                        return;
        }
        if (rule->paths) {
                path_check_arguments(paths, rule->paths, rule->paths_pointer, arguments, d);
                if (!d->allow)
                        return;
        }
        if (rule->commands) {
                command_check_arguments(rule->commands, arguments, d);
                if (!d->allow)
                        return;
        }
        if (rule->urls) {
                url_check_arguments(rule->urls, arguments, d);
                if (!d->allow)
                        return;
        }
        rule_allow(d, rule->pointer);
}
