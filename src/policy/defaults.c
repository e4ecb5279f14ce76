/* Every key of policy.md gets a value, so consumers never need to know a default and a
 * missing key can never be read as "no restriction" by accident. The effective tree is
 * built in the order of the template below (policy.md order), user values first. Values
 * that depend on other keys (seccomp.action, filesystem.workdir, the read_only system
 * directories, a tool rule's redact) are computed after the template is applied.
 * A limit that is not set is null: "no limit", explicitly. */
#include <errno.h>
#include <string.h>

#include "policy/policy-internal.h"
#include "util/cleanup.h"

static const char DEFAULTS[] =
        "{"
        "\"version\": 1,"
        "\"description\": \"\","
        "\"require\": [],"
        "\"isolation\": \"auto\","
        "\"command\": {\"allow\": [], \"sha256\": {}},"
        "\"env\": {\"pass\": [\"HOME\", \"LOGNAME\", \"PATH\", \"SHELL\", \"TERM\", \"USER\", \"LANG\", \"LC_*\"],"
        "          \"set\": {}, \"from_file\": {}},"
        "\"filesystem\": {\"root\": \"empty\", \"read_only\": null, \"read_write\": [],"
        "                \"tmpfs\": [\"/tmp\"], \"mask\": [], \"workdir\": null},"
        "\"network\": {\"mode\": \"none\", \"allow\": [], \"forward\": {}},"
        "\"limits\": {\"memory\": null, \"pids\": null, \"cpu\": null, \"open_files\": null,"
        "            \"file_size\": null, \"wall_time\": \"0\", \"shutdown_grace\": \"2s\"},"
        "\"seccomp\": {\"profile\": \"default\", \"deny\": [], \"allow\": [], \"action\": null},"
        "\"mcp\": {"
        "  \"scopes\": [], \"implies\": {}, \"tools\": {},"
        "  \"paths\": {\"read\": [], \"write\": [], \"deny\": []},"
        "  \"methods\": {\"host\": {\"deny\": []}, \"server\": {\"deny\": [\"sampling/createMessage\"]}},"
        "  \"redact\": {\"results\": [\"secrets\"], \"arguments\": [], \"custom\": {}, \"allow\": []},"
        "  \"injection\": {\"action\": \"flag\"},"
        "  \"pin\": {\"on_change\": \"warn\"},"
        "  \"limits\": {\"message_bytes\": \"16M\", \"calls\": null, \"call_timeout\": null},"
        "  \"kill_switch\": \"${XDG_RUNTIME_DIR}/mcpcage/kill\""
        "},"
        "\"audit\": {\"file\": \"${XDG_STATE_HOME}/mcpcage/audit.jsonl\", \"syslog\": false,"
        "           \"arguments\": \"sanitized\", \"alert\": [], \"key\": null}"
        "}";

/* With root "empty" a policy that lists nothing still gets the system directories an
 * ordinary interpreter needs, read-only; "?" because not every distribution has each. */
static const char SYSTEM_READ_ONLY[] =
        "[\"/usr\", \"?/bin\", \"?/sbin\", \"?/lib\", \"?/lib32\", \"?/lib64\","
        " \"?/etc/alternatives\", \"?/etc/ld.so.cache\", \"?/etc/ssl\", \"?/etc/ca-certificates\","
        " \"?/etc/resolv.conf\", \"?/etc/hosts\", \"?/etc/nsswitch.conf\", \"?/etc/localtime\"]";

static const char TOOL_RULE_DEFAULTS[] =
        "{\"scopes\": [], \"paths\": {}, \"commands\": {}, \"urls\": {}, \"rate\": null,"
        " \"confirm\": false, \"redact\": null}";

const char *policy_default_action(const char *profile)
{
        return profile && !strcmp(profile, "strict") ? "kill" : "errno";
}

/* A non-empty template object is a structure (fixed keys); an empty one is a map. */
static json_t *fill(json_t *tmpl, json_t *user)
{
        json_t *out = json_object();
        const char *key;
        json_t *t;
        json_object_foreach(tmpl, key, t) {
                json_t *u = json_object_get(user, key);
                json_t *v;
                if (u && json_is_object(t) && json_object_size(t) && json_is_object(u))
                        v = fill(t, u);
                else
                        v = json_deep_copy(u ? u : t);
                json_object_set_new(out, key, v);
        }
        return out;
}

static void fill_object(json_t *obj, const char *defaults_json)
{
        json_t *d = json_loads(defaults_json, 0, NULL);
        json_object_update_missing(obj, d);
        json_decref(d);
}

static void fill_tool_rules(json_t *tree)
{
        json_t *results = json_pointer_get(tree, "/mcp/redact/results");
        const char *name;
        json_t *rule;
        json_object_foreach(json_pointer_get(tree, "/mcp/tools"), name, rule) {
                if (!json_is_object(rule))
                        continue;
                fill_object(rule, TOOL_RULE_DEFAULTS);
                if (json_is_null(json_object_get(rule, "redact")))
                        json_object_set_new(rule, "redact", json_deep_copy(results));
                const char *ptr;
                json_t *entry;
                json_object_foreach(json_object_get(rule, "commands"), ptr, entry)
                        fill_object(entry, "{\"allow\": [\"*\"], \"deny\": [], \"shell\": false}");
                json_object_foreach(json_object_get(rule, "urls"), ptr, entry)
                        fill_object(entry, "{\"allow\": []}");
        }
}

enum view_kind { VIEW_NONE, VIEW_RO, VIEW_RW, VIEW_TMPFS, VIEW_MASK };

static void view_consider(const char *entry, enum view_kind kind, const char *cwd,
                          size_t *best_len, enum view_kind *best, const char **best_entry)
{
        entry = policy_path_strip_optional(entry);
        size_t n = strlen(entry);
        /* deeper entries are applied later; at equal depth in the order ro, rw, tmpfs, mask */
        if (policy_path_is_under(cwd, entry) && (*best == VIEW_NONE || n >= *best_len)) {
                *best_len = n;
                *best = kind;
                *best_entry = entry;
        }
}

/* Is the current directory visible inside the sandbox, following policy.md's mount order? */
static bool cwd_in_view(json_t *fs, const struct policy_env *env)
{
        enum view_kind best = VIEW_NONE;
        size_t best_len = 0;
        const char *best_entry = NULL;
        if (!strcmp(json_string_value(json_object_get(fs, "root")), "host")) {
                view_consider("/", VIEW_RO, env->cwd, &best_len, &best, &best_entry);
                if (env->home)
                        view_consider(env->home, VIEW_TMPFS, env->cwd, &best_len, &best, &best_entry);
        }
        static const struct { const char *key; enum view_kind kind; } lists[] = {
                { "read_only", VIEW_RO }, { "read_write", VIEW_RW },
                { "tmpfs", VIEW_TMPFS }, { "mask", VIEW_MASK },
        };
        for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
                size_t i;
                json_t *e;
                json_array_foreach(json_object_get(fs, lists[l].key), i, e)
                        view_consider(json_string_value(e), lists[l].kind, env->cwd, &best_len, &best, &best_entry);
        }
        return best == VIEW_RO || best == VIEW_RW || (best == VIEW_TMPFS && !strcmp(best_entry, env->cwd));
}

static void fill_computed(json_t *tree, const struct policy_env *env)
{
        json_t *fs = json_object_get(tree, "filesystem");
        if (json_is_null(json_object_get(fs, "read_only"))) {
                bool empty = !strcmp(json_string_value(json_object_get(fs, "root")), "empty");
                json_object_set_new(fs, "read_only", empty ? json_loads(SYSTEM_READ_ONLY, 0, NULL) : json_array());
        }
        if (json_is_null(json_object_get(fs, "workdir"))) {
                bool in = env->cwd && !policy_path_check_absolute(env->cwd) && cwd_in_view(fs, env);
                json_object_set_new(fs, "workdir", json_string(in ? env->cwd : "/"));
        }
        json_t *seccomp = json_object_get(tree, "seccomp");
        if (json_is_null(json_object_get(seccomp, "action"))) {
                const char *profile = json_string_value(json_object_get(seccomp, "profile"));
                json_object_set_new(seccomp, "action", json_string(policy_default_action(profile)));
        }
        fill_tool_rules(tree);
}

int policy_fill_defaults(json_t *merged, const struct policy_env *env, json_t **effective,
                         struct mc_error *err)
{
        json_error_t jerr;
        _cleanup_json_ json_t *tmpl = json_loads(DEFAULTS, 0, &jerr);
        if (!tmpl)
                return mc_error_set(err, EINVAL, "built-in defaults: %d:%d: %s", jerr.line, jerr.column, jerr.text);
        struct policy_vars vars = { .env = env, .policy_dir = NULL, .ceiling = false };
        int r = policy_expand_tree(tmpl, "built-in defaults", &vars, err);
        if (r < 0)
                return r;
        json_t *out = fill(tmpl, merged);
        if (!out)
                return mc_error_set(err, ENOMEM, "out of memory");
        fill_computed(out, env);
        *effective = out;
        return 0;
}
