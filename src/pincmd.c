/* `mcpcage pin`: the user's side of mcp.pin (threats.md §3 "rug pull"). A session that saw
 * a server change what it tells the model keeps that change as pending in the pin file;
 * here the user lists the pins, reads what changed (with the new definitions), and
 * accepts or forgets it. KEY is the full key or any unique prefix (list shows 12). */
#include "pincmd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "exit_codes.h"
#include "inspect/guards/pin.h"
#include "policy/policy.h"
#include "util/cleanup.h"
#include "util/log.h"

#define SHORT_KEY 12

static char *pins_dir(void)
{
        struct policy_env env = { 0 };
        struct mc_error err = { 0 };
        if (policy_env_from_process(&env, &err) < 0) {
                log_error("%s", err.msg);
                return NULL;
        }
        char *dir = pin_dir(env.xdg_state_home);
        policy_env_clear(&env);
        return dir;
}

/* The one key that starts with prefix, or NULL (said why). */
static const char *resolve(json_t *keys, const char *prefix)
{
        const char *found = NULL;
        size_t i, n = strlen(prefix);
        json_t *k;
        if (!n) {
                log_error("pin: an empty KEY");
                return NULL;
        }
        json_array_foreach(keys, i, k) {
                if (strncmp(json_string_value(k), prefix, n))
                        continue;
                if (found) {
                        log_error("pin: '%s' matches more than one pin; give more of the key", prefix);
                        return NULL;
                }
                found = json_string_value(k);
        }
        if (!found)
                log_error("pin: no pin with a key starting '%s' (see mcpcage pin list)", prefix);
        return found;
}

static const char *str(json_t *pin, const char *key)
{
        const char *s = json_string_value(json_object_get(pin, key));
        return s ? s : "?";
}

static void print_command(json_t *cmd)
{
        size_t i;
        json_t *a;
        json_array_foreach(cmd, i, a)
                if (i) /* [0] is the resolved executable, [1..] the argv as given */
                        printf("%s%s", i > 1 ? " " : "", json_is_string(a) ? json_string_value(a) : "?");
}

static int cmd_list(const char *dir, json_t *keys)
{
        size_t i;
        json_t *k;
        printf("%-*s  %-24s  %-7s  %s\n", SHORT_KEY, "KEY", "SERVER", "PENDING", "COMMAND");
        json_array_foreach(keys, i, k) {
                struct mc_error err = { 0 };
                _cleanup_json_ json_t *pin = NULL;
                if (pin_load(dir, json_string_value(k), &pin, &err) < 0 || !pin) {
                        printf("%.*s  (unreadable: %s)\n", SHORT_KEY, json_string_value(k), err.msg);
                        continue;
                }
                printf("%.*s  %-24s  %-7s  ", SHORT_KEY, json_string_value(k), str(pin, "server"),
                       json_object_get(pin, "pending") ? "yes" : "no");
                print_command(json_object_get(pin, "command"));
                putchar('\n');
        }
        return 0;
}

static void print_names(const char *label, json_t *names, json_t *objects)
{
        size_t i;
        json_t *n;
        json_array_foreach(names, i, n) {
                if (!json_is_string(n))
                        continue;
                printf("  tool %s: %s\n", label, json_string_value(n));
                json_t *obj = json_object_get(objects, json_string_value(n));
                if (!obj)
                        continue;
                /* the definition the model would read, for the user to review */
                _cleanup_free_ char *text = json_dumps(obj, JSON_INDENT(2) | JSON_SORT_KEYS);
                for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
                        nl = strchr(line, '\n');
                        printf("      %.*s\n", (int)(nl ? nl - line : (long)strlen(line)), line);
                        if (!nl)
                                break;
                }
        }
}

static int cmd_show(json_t *pin)
{
        json_t *approved = json_object_get(pin, "approved"), *pending = json_object_get(pin, "pending");
        printf("key:      %s\nserver:   %s\ncommand:  ", str(pin, "key"), str(pin, "server"));
        print_command(json_object_get(pin, "command"));
        const char *exe = json_string_value(json_array_get(json_object_get(pin, "command"), 0));
        printf("\nexecutable: %s\npolicy:   sha256 %s\npinned:   %s (updated %s), %zu tool(s)\n",
               exe ? exe : "?", str(pin, "policy_sha256"), str(pin, "created"), str(pin, "updated"),
               json_object_size(json_object_get(approved, "tools")));
        if (!pending) {
                printf("no pending change\n");
                return 0;
        }
        json_t *c = json_object_get(pending, "changes");
        printf("pending change (observed %s):\n", str(pending, "observed"));
        if (json_is_true(json_object_get(c, "server_info")))
                printf("  serverInfo changed\n");
        if (json_is_true(json_object_get(c, "instructions")))
                printf("  instructions changed\n");
        json_t *objects = json_object_get(pending, "objects");
        print_names("changed", json_object_get(c, "changed"), objects);
        print_names("new", json_object_get(c, "new"), objects);
        print_names("removed", json_object_get(c, "removed"), NULL);
        printf("accept it with: mcpcage pin approve %.*s\n", SHORT_KEY, str(pin, "key"));
        return 0;
}

static int cmd_approve(const char *dir, const char *key, json_t *pin)
{
        json_t *pending = json_object_get(pin, "pending");
        if (!pending) {
                log_error("pin %.*s: no pending change to approve", SHORT_KEY, key);
                return 1;
        }
        json_t *approved = json_pack("{s:O}", "tools", json_object_get(pending, "tools"));
        const char *keep[] = { "server_info", "instructions", "tool_names" };
        for (size_t i = 0; approved && i < 3; i++)
                if (json_object_get(pending, keep[i]))
                        json_object_set(approved, keep[i], json_object_get(pending, keep[i]));
        if (!approved || json_object_set_new(pin, "approved", approved) < 0) {
                log_error("pin: out of memory");
                return EXIT_MCPCAGE_ERROR;
        }
        json_object_del(pin, "pending");
        struct mc_error err = { 0 };
        if (pin_save(dir, key, pin, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_MCPCAGE_ERROR;
        }
        printf("approved: the next session of %.*s accepts what the server showed last\n", SHORT_KEY, key);
        return 0;
}

static int usage(void)
{
        log_error("pin: expected 'list', 'show KEY', 'approve KEY' or 'reset KEY' (see mcpcage --help)");
        return EXIT_MCPCAGE_ERROR;
}

static int on_key(const char *dir, const char *cmd, const char *key)
{
        struct mc_error err = { 0 };
        _cleanup_json_ json_t *pin = NULL;
        if (!strcmp(cmd, "reset")) {
                if (pin_remove(dir, key, &err) < 0) {
                        log_error("%s", err.msg);
                        return EXIT_MCPCAGE_ERROR;
                }
                printf("forgotten: the next session of %.*s is pinned afresh\n", SHORT_KEY, key);
                return 0;
        }
        if (pin_load(dir, key, &pin, &err) < 0 || !pin) {
                log_error("%s", err.msg[0] ? err.msg : "pin: the file disappeared");
                return EXIT_MCPCAGE_ERROR;
        }
        return !strcmp(cmd, "show") ? cmd_show(pin) : cmd_approve(dir, key, pin);
}

int pincmd_run(int argc, char **argv)
{
        if (argc < 1)
                return usage();
        const char *cmd = argv[0];
        bool with_key = !strcmp(cmd, "show") || !strcmp(cmd, "approve") || !strcmp(cmd, "reset");
        if (!(with_key ? argc == 2 : !strcmp(cmd, "list") && argc == 1))
                return usage();
        _cleanup_free_ char *dir = pins_dir();
        struct mc_error err = { 0 };
        _cleanup_json_ json_t *keys = NULL;
        if (!dir)
                return EXIT_MCPCAGE_ERROR;
        if (pin_list(dir, &keys, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_MCPCAGE_ERROR;
        }
        if (!with_key)
                return cmd_list(dir, keys);
        const char *key = resolve(keys, argv[1]);
        return key ? on_key(dir, cmd, key) : 1;
}
