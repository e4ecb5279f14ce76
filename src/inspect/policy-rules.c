/* The policy's mcp rules compiled once per session, so the per-message work is lookups:
 * tool rules, scopes closed over implies, path roots against the workdir, method deny
 * lists, one token bucket per tool rule with a rate and one for mcp.limits.calls, the
 * call timeout and the kill switch path. */
#include "inspect/inspector-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int parse_rate(const struct policy *p, const char *rate, const char *at, struct rate_bucket *b,
                      struct mc_error *err)
{
        uint64_t count, per_ms;
        if (policy_parse_rate(rate, &count, &per_ms) < 0 || rate_bucket_init(b, count, per_ms) < 0)
                return mc_error_set(err, EINVAL, "policy %s: %s: not a rate: %s", p->path, at, rate);
        return 0;
}

static int compile_buckets(struct inspect_rules *r, const struct policy *p, struct mc_error *err)
{
        json_t *tools = policy_get(p, "/mcp/tools"), *spec;
        const char *name;
        size_t n = json_object_size(tools);
        r->tool_buckets = calloc(n + 1, sizeof(*r->tool_buckets));
        r->bucket_rules = calloc(n + 1, sizeof(*r->bucket_rules));
        if (!r->tool_buckets || !r->bucket_rules)
                return mc_error_set(err, ENOMEM, "inspector: out of memory");
        json_object_foreach(tools, name, spec) {
                const struct tool_rule *t = tool_rules_lookup(r->tools, name, strlen(name));
                /* a glob key is found by its own name too ("git_*" matches itself) */
                if (!t || strcmp(t->name, name) || !t->rate)
                        continue;
                int k = parse_rate(p, t->rate, t->pointer, &r->tool_buckets[r->n_buckets], err);
                if (k < 0)
                        return k;
                r->bucket_rules[r->n_buckets++] = t;
        }
        json_t *calls = policy_get(p, "/mcp/limits/calls");
        if (json_is_string(calls)) {
                int k = parse_rate(p, json_string_value(calls), "/mcp/limits/calls", &r->calls, err);
                if (k < 0)
                        return k;
                r->has_calls_limit = true;
        }
        return 0;
}

/* Whether any tool can be hidden: only then must tools/list results be parsed. */
static bool hides_tools(const struct policy *p)
{
        json_t *tools = policy_get(p, "/mcp/tools"), *spec;
        const char *name;
        json_t *star = json_object_get(tools, "*");
        if (!star || (json_is_string(star) && !strcmp(json_string_value(star), "deny")))
                return true;
        json_object_foreach(tools, name, spec)
                if (json_is_string(spec) && !strcmp(json_string_value(spec), "deny"))
                        return true;
        return false;
}

static int compile_limits(struct inspect_rules *r, const struct policy *p, struct mc_error *err)
{
        json_t *t = policy_get(p, "/mcp/limits/call_timeout");
        uint64_t ms = 0;
        if (json_is_string(t) && policy_parse_time(json_string_value(t), &ms) < 0)
                return mc_error_set(err, EINVAL, "policy %s: /mcp/limits/call_timeout: not a time",
                                    p->path);
        r->call_timeout_ns = ms * 1000000ULL;
        json_t *k = policy_get(p, "/mcp/kill_switch");
        if (json_is_string(k) && *json_string_value(k)) {
                r->kill_path = strdup(json_string_value(k));
                if (!r->kill_path)
                        return mc_error_set(err, ENOMEM, "inspector: out of memory");
        }
        return 0;
}

int rules_compile(struct inspect_rules *r, const struct policy *p, struct mc_error *err)
{
        json_t *wd = policy_get(p, "/filesystem/workdir");
        /* the policy layer always fills workdir; a hand-made tree without one resolves
         * relative paths against "/", as the default policy does */
        const char *workdir = json_is_string(wd) ? json_string_value(wd) : "/";
        int k = tool_rules_compile(policy_get(p, "/mcp/tools"), &r->tools, err);
        if (k >= 0)
                k = scopes_compile(policy_get(p, "/mcp/scopes"), policy_get(p, "/mcp/implies"),
                                   &r->scopes, err);
        if (k >= 0)
                k = path_rules_compile(policy_get(p, "/mcp/paths"), workdir, &r->paths, err);
        if (k >= 0)
                k = method_rules_compile(policy_get(p, "/mcp/methods"), &r->methods, err);
        if (k < 0)
                return mc_error_prefix(err, "policy %s", p->path);
        r->hides_tools = hides_tools(p);
        k = compile_buckets(r, p, err);
        return k < 0 ? k : compile_limits(r, p, err);
}

void rules_free(struct inspect_rules *r)
{
        tool_rules_free(r->tools);
        scopes_free(r->scopes);
        path_rules_free(r->paths);
        method_rules_free(r->methods);
        free(r->tool_buckets);
        free(r->bucket_rules);
        free(r->kill_path);
        kill_watch_free(r);
        *r = (struct inspect_rules){ 0 };
}

struct rate_bucket *rules_tool_bucket(struct inspect_rules *r, const struct tool_rule *t)
{
        for (size_t i = 0; i < r->n_buckets; i++)
                if (r->bucket_rules[i] == t)
                        return &r->tool_buckets[i];
        return NULL;
}
