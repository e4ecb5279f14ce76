/* threats.md §2 "tool needing a scope not granted; a scope only implied". */
#include "inspect/rules/scopes.h"

#include <errno.h>
#include <string.h>

#include "tap.h"

static void check(const struct scope_set *s, const char *required_json, bool allow,
                  const char *rule)
{
        struct rule_decision d;
        json_t *req = json_loads(required_json, 0, NULL);
        scopes_check(s, req, "/mcp/tools/t/scopes", &d);
        json_decref(req);
        tap_ok(d.allow == allow, "requires %s: %s", required_json, allow ? "allowed" : "denied");
        if (!d.allow)
                printf("#   rule %s reason %s\n", d.rule, d.reason);
        if (rule)
                tap_is_str(d.rule, rule, "  ... decided by the expected rule");
}

int main(void)
{
        struct mc_error err = { 0 };
        struct scope_set *s = NULL;
        json_t *granted = json_pack("[s,s]", "files:write", "net:fetch");
        json_t *implies = json_loads("{\"files:write\": [\"files:read\"], \"files:read\": "
                                     "[\"files:list\"], \"a\": [\"b\"], \"b\": [\"a\", \"c\"], "
                                     "\"net:fetch\": [\"a\"]}", 0, NULL);

        tap_ok(scopes_compile(granted, implies, &s, &err) == 0, "compile scopes with a cycle a->b->a");
        tap_ok(scopes_has(s, "files:write") && scopes_has(s, "files:read") &&
               scopes_has(s, "files:list"), "implies is closed transitively");
        tap_ok(scopes_has(s, "a") && scopes_has(s, "b") && scopes_has(s, "c"),
               "a cycle in implies terminates and keeps every member");
        tap_ok(!scopes_has(s, "system:execute") && !scopes_has(s, NULL), "ungranted scopes are absent");
        check(s, "[\"files:read\"]", true, "/mcp/tools/t/scopes");
        check(s, "[\"files:read\", \"files:write\"]", true, NULL);
        check(s, "[\"files:read\", \"system:execute\", \"x\"]", false, "/mcp/tools/t/scopes/1");
        check(s, "[]", true, NULL);
        check(s, "[1]", false, NULL);
        struct rule_decision d;
        scopes_check(s, NULL, "/mcp/tools/t/scopes", &d);
        tap_ok(d.allow, "no scopes required: allowed");
        scopes_free(s);
        json_decref(granted);

        /* implication is one-way: files:read does not grant files:write */
        granted = json_pack("[s]", "files:read");
        tap_ok(scopes_compile(granted, implies, &s, &err) == 0, "compile files:read only");
        check(s, "[\"files:write\"]", false, NULL);
        scopes_free(s);
        json_decref(granted);
        json_decref(implies);

        tap_ok(scopes_compile(NULL, NULL, &s, &err) == 0, "no scopes at all compiles");
        check(s, "[\"files:read\"]", false, NULL);
        scopes_free(s);

        granted = json_pack("[i]", 3);
        tap_ok(scopes_compile(granted, NULL, &s, &err) == -EINVAL &&
               strstr(err.msg, "/mcp/scopes/0"), "a non-string scope is an error (%s)", err.msg);
        json_decref(granted);
        granted = json_pack("[s]", "a");
        implies = json_pack("{s:s}", "a", "b");
        tap_ok(scopes_compile(granted, implies, &s, &err) == -EINVAL &&
               strstr(err.msg, "/mcp/implies/a"), "a non-array implication is an error (%s)", err.msg);
        json_decref(granted);
        json_decref(implies);
        return tap_done();
}
