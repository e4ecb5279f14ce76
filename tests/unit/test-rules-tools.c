/* threats.md §2 "tools/call of a tool the policy denies or hides", "tool needing a scope
 * not granted; a scope only implied", and mcp.methods, against tools.c and methods.c with
 * the policy.md example rules. */
#include "inspect/rules/methods.h"
#include "inspect/rules/tools.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static struct tool_rules *tools;
static struct scope_set *scopes;
static struct path_rules *paths;

static const char *policy_tools =
        "{\"read_text_file\": {\"scopes\": [\"files:read\"], \"paths\": {\"/path\": \"read\"}},"
        " \"write_file\": {\"scopes\": [\"files:write\"], \"paths\": {\"/path\": \"write\"},"
        "                 \"rate\": \"10/min\", \"confirm\": true, \"redact\": []},"
        " \"run_command\": {\"scopes\": [\"system:execute\"], \"commands\": {\"/command\":"
        "                 {\"allow\": [\"git\", \"ls\"], \"deny\": [\"\\\\brm\\\\s+-rf\\\\b\"]}}},"
        " \"fetch\": {\"urls\": {\"/url\": {\"allow\": [\"https://*.example.com/**\"]}}},"
        " \"git_*\": \"allow\", \"git_push*\": \"deny\", \"git_p*\": {\"scopes\": [\"git:p\"]},"
        " \"git_push_tags\": \"allow\", \"list_*\": \"allow\", \"*\": \"deny\"}";

static void lookup(const char *name, const char *want_pointer, bool visible)
{
        const struct tool_rule *r = tool_rules_lookup(tools, name, strlen(name));
        char label[128];
        snprintf(label, sizeof(label), "tool %s decided by %s", name,
                 want_pointer ? want_pointer : "no rule");
        tap_is_str(r ? r->pointer : NULL, want_pointer, label);
        tap_ok(tool_visible(tools, name, strlen(name)) == visible, "  ... %s in tools/list",
               visible ? "shown" : "hidden");
}

static void call(const char *name, const char *args_json, bool allow, const char *rule)
{
        struct rule_decision d;
        json_t *args = args_json ? json_loads(args_json, 0, NULL) : NULL;
        tool_check_call(tool_rules_lookup(tools, name, strlen(name)), scopes, paths, args, &d);
        json_decref(args);
        tap_ok(d.allow == allow, "call %s %s: %s", name, args_json ? args_json : "(no arguments)",
               allow ? "allowed" : "denied");
        if (!d.allow)
                printf("#   rule %s reason %s\n", d.rule, d.reason);
        if (rule)
                tap_is_str(d.rule, rule, "  ... decided by the expected rule");
}

static void lookups(void)
{
        lookup("write_file", "/mcp/tools/write_file", true);
        lookup("git_status", "/mcp/tools/git_*", true);
        lookup("git_push", "/mcp/tools/git_push*", false);
        lookup("git_push_force", "/mcp/tools/git_push*", false);
        lookup("git_push_tags", "/mcp/tools/git_push_tags", true);   /* exact beats glob */
        lookup("git_pull", "/mcp/tools/git_p*", true);
        lookup("list_files", "/mcp/tools/list_*", true);
        lookup("delete_everything", "/mcp/tools/*", false);
        lookup("git_*", "/mcp/tools/git_*", true);
        const struct tool_rule *w = tool_rules_lookup(tools, "write_file", 10);
        tap_ok(w && w->rate && !strcmp(w->rate, "10/min") && w->confirm &&
               json_array_size(w->redact) == 0, "write_file carries rate, confirm and redact");
        tap_ok(tool_rules_lookup(tools, "write_file\0x", 12) == NULL,
               "a name with a NUL byte has no rule");

        struct tool_rules *none = NULL;
        struct mc_error err = { 0 };
        json_t *j = json_pack("{s:s}", "only_this", "allow");
        tap_ok(tool_rules_compile(j, &none, &err) == 0, "compile a policy without \"*\"");
        tap_ok(!tool_visible(none, "other", 5) && !tool_rules_lookup(none, "other", 5),
               "without \"*\" an unknown tool has no rule and is hidden");
        tap_ok(tool_visible(none, "only_this", 9), "  ... the named one is visible");
        struct rule_decision d;
        tool_check_call(NULL, scopes, paths, NULL, &d);
        tap_ok(!d.allow && !strcmp(d.rule, "/mcp/tools"), "calling an unknown tool is denied");
        tool_rules_free(none);
        json_decref(j);

        j = json_pack("{s:{s:s}}", "a/b~c", "rate", "1/s");
        tap_ok(tool_rules_compile(j, &none, &err) == 0, "compile a tool name with / and ~");
        const struct tool_rule *r = tool_rules_lookup(none, "a/b~c", 5);
        tap_is_str(r ? r->pointer : NULL, "/mcp/tools/a~1b~0c", "  ... its pointer is escaped");
        tool_rules_free(none);
        json_decref(j);

        j = json_loads("{\"t\": {\"scopes\": [\"x\"], \"frobnicate\": 1}}", 0, NULL);
        tap_ok(tool_rules_compile(j, &none, &err) == -EINVAL && strstr(err.msg, "/mcp/tools/t/frobnicate"),
               "an unknown key in a tool rule is an error (%s)", err.msg);
        json_decref(j);
        j = json_pack("{s:s}", "t", "maybe");
        tap_ok(tool_rules_compile(j, &none, &err) == -EINVAL, "a rule string other than allow/deny is an error");
        json_decref(j);
        j = json_loads("{\"t\": {\"commands\": {\"/c\": {\"deny\": [\"(\"]}}}}", 0, NULL);
        tap_ok(tool_rules_compile(j, &none, &err) == -EINVAL &&
               strstr(err.msg, "/mcp/tools/t/commands/~1c/deny/0"),
               "a bad deny pattern names its pointer (%s)", err.msg);
        json_decref(j);
}

static void calls(void)
{
        char args[PATH_MAX + 64];
        call("delete_everything", "{}", false, "/mcp/tools/*");
        call("git_push", "{}", false, "/mcp/tools/git_push*");
        call("git_status", "{\"anything\": 1}", true, "/mcp/tools/git_*");
        call("read_text_file", "{\"path\": \"/tmp\"}", true, NULL);          /* files:read implied */
        call("write_file", "{\"path\": \"/tmp/x\"}", false, "/mcp/tools/write_file/scopes/0");
        call("run_command", "{\"command\": \"git status\"}", false, "/mcp/tools/run_command/scopes/0");
        call("git_pull", "{}", false, "/mcp/tools/git_p*/scopes/0");
        call("read_text_file", "{\"path\": \"/etc/passwd\"}", false, "/mcp/paths/read");
        call("read_text_file", "{\"path\": 42}", false, "/mcp/tools/read_text_file/paths/~1path");
        call("read_text_file", "[1]", false, "/mcp/tools/read_text_file");
        call("read_text_file", NULL, true, "/mcp/tools/read_text_file");
        call("fetch", "{\"url\": \"https://api.example.com/x\"}", true, NULL);
        call("fetch", "{\"url\": \"http://169.254.169.254/\"}", false, NULL);
        call("fetch", "{\"url\": \"https://ok.example.com@evil.com/\"}", false, NULL);
        snprintf(args, sizeof(args), "{\"path\": \"file:///tmp\"}");
        call("read_text_file", args, true, NULL);
}

static void methods(void)
{
        struct method_rules *m = NULL;
        struct mc_error err = { 0 };
        struct rule_decision d;
        json_t *j = json_loads("{\"host\": {\"deny\": [\"resources/subscribe\"]}, \"server\": "
                               "{\"deny\": [\"sampling/createMessage\", \"elicitation/*\"]}}", 0, NULL);
        tap_ok(method_rules_compile(j, &m, &err) == 0, "compile mcp.methods");
        method_check(m, METHOD_FROM_SERVER, "sampling/createMessage", &d);
        tap_ok(!d.allow && !strcmp(d.rule, "/mcp/methods/server/deny/0"),
               "sampling/createMessage from the server is denied (%s)", d.rule);
        method_check(m, METHOD_FROM_HOST, "sampling/createMessage", &d);
        tap_ok(d.allow, "the same method from the host is not (the list is per direction)");
        method_check(m, METHOD_FROM_SERVER, "elicitation/create", &d);
        tap_ok(!d.allow && !strcmp(d.rule, "/mcp/methods/server/deny/1"), "a glob entry denies");
        method_check(m, METHOD_FROM_SERVER, "roots/list", &d);
        tap_ok(d.allow && !strcmp(d.rule, "/mcp/methods/server"), "roots/list passes");
        method_check(m, METHOD_FROM_HOST, "resources/subscribe", &d);
        tap_ok(!d.allow, "a host method on the host list is denied");
        method_check(m, METHOD_FROM_HOST, "resources/subscribeX", &d);
        tap_ok(d.allow, "exact entries match exactly");
        method_check(m, METHOD_FROM_HOST, NULL, &d);
        tap_ok(!d.allow, "no method is denied");
        method_rules_free(m);
        json_decref(j);
        tap_ok(method_rules_compile(NULL, &m, &err) == 0, "no mcp.methods compiles");
        method_check(m, METHOD_FROM_SERVER, "sampling/createMessage", &d);
        tap_ok(d.allow, "  ... and denies nothing");
        method_rules_free(m);
        j = json_pack("{s:{s:[i]}}", "server", "deny", 1);
        tap_ok(method_rules_compile(j, &m, &err) == -EINVAL, "a non-string entry is an error");
        json_decref(j);
}

int main(void)
{
        struct mc_error err = { 0 };
        json_t *j = json_loads(policy_tools, 0, NULL);
        int r = tool_rules_compile(j, &tools, &err);
        json_decref(j);
        if (!tap_ok(r == 0, "compile the tool rules"))
                printf("#   %s\n", err.msg);
        json_t *granted = json_pack("[s]", "files:write-less"), *implies =
                json_pack("{s:[s]}", "files:write-less", "files:read");
        scopes_compile(granted, implies, &scopes, &err);
        json_decref(granted);
        json_decref(implies);
        json_t *p = json_pack("{s:[s]}", "read", "/tmp");
        path_rules_compile(p, "/", &paths, &err);
        json_decref(p);

        lookups();
        calls();
        methods();
        tool_rules_free(tools);
        scopes_free(scopes);
        path_rules_free(paths);
        return tap_done();
}
