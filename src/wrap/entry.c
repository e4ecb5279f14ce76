/* Reading mcpServers entries: remote or stdio, under mcpcage or not, and taking a wrapped
 * entry apart again. mcpcage's own options end at the first "--" that is not an option's
 * value, so the option table below mirrors main.c's: an entry named "--" is written as
 * "--name", "--", and must not be mistaken for the separator. */
#include <errno.h>
#include <string.h>

#include "wrap/wrap-internal.h"

/* mcpcage's run options that take a value (main.c's long_options with required_argument). */
static const char *const value_options[] = {
        "policy", "name", "audit-log", "ro", "rw", "grant", "isolation", "user",
        "original-command",
};

bool wrap_is_mcpcage(const char *command, const char *mcpcage)
{
        const char *slash = strrchr(command, '/');
        return !strcmp(slash ? slash + 1 : command, "mcpcage") ||
               (mcpcage && !strcmp(command, mcpcage));
}

bool wrap_is_remote(json_t *entry, const char **what)
{
        const char *url = json_string_value(json_object_get(entry, "url"));
        const char *type = json_string_value(json_object_get(entry, "type"));
        if (url || json_object_get(entry, "url")) {
                *what = url ? url : "(url)";
                return true;
        }
        if (type && strcmp(type, "stdio")) {
                *what = type;
                return true;
        }
        return false;
}

struct wrapped_args {
        ssize_t separator;
        const char *original_command;
        bool without_args;
};

static bool takes_value(const char *long_name, size_t n)
{
        for (size_t i = 0; i < sizeof(value_options) / sizeof(value_options[0]); i++)
                if (strlen(value_options[i]) == n && !strncmp(long_name, value_options[i], n))
                        return true;
        return false;
}

/* A short option cluster ("-vq", "-p", "-pNAME"): does it consume the next argument? */
static bool short_needs_next(const char *arg)
{
        const char *p = strchr(arg + 1, 'p');
        return p && !p[1];
}

static void walk(json_t *args, struct wrapped_args *w)
{
        *w = (struct wrapped_args){ .separator = -1 };
        size_t n = json_array_size(args);
        for (size_t i = 0; i < n; i++) {
                const char *a = json_string_value(json_array_get(args, i));
                if (!a || a[0] != '-' || !a[1])
                        return;         /* not a run: a subcommand or a malformed entry */
                if (!strcmp(a, "--")) {
                        w->separator = (ssize_t)i;
                        return;
                }
                if (a[1] != '-') {
                        i += short_needs_next(a);
                        continue;
                }
                const char *name = a + 2, *eq = strchr(name, '=');
                size_t len = eq ? (size_t)(eq - name) : strlen(name);
                const char *value = eq ? eq + 1 : json_string_value(json_array_get(args, i + 1));
                if (len == strlen("original-without-args") && !strncmp(name, "original-without-args", len))
                        w->without_args = true;
                if (len == strlen("original-command") && !strncmp(name, "original-command", len))
                        w->original_command = value;
                if (!eq && takes_value(name, len))
                        i++;
        }
}

ssize_t wrap_separator(json_t *args)
{
        struct wrapped_args w;
        walk(args, &w);
        return w.separator;
}

int wrap_unwrap_entry(json_t *entry, struct mc_error *err)
{
        json_t *args = json_object_get(entry, "args");
        struct wrapped_args w;
        walk(args, &w);
        if (w.separator < 0)
                return mc_error_set(err, EINVAL, "its args have no \"--\" followed by the server's command");
        size_t first = (size_t)w.separator + 1, n = json_array_size(args);
        const char *command = json_string_value(json_array_get(args, first));
        if (!command)
                return mc_error_set(err, EINVAL, "no command string after \"--\" in its args");
        if (w.without_args && n > first + 1)
                return mc_error_set(err, EINVAL, "--original-without-args, yet arguments follow the command");
        json_t *restored = json_array();
        json_t *cmd = json_string(w.original_command ? w.original_command : command);
        if (!restored || !cmd) {
                json_decref(restored);
                json_decref(cmd);
                return mc_error_set(err, ENOMEM, "out of memory");
        }
        for (size_t i = first + 1; i < n; i++)
                if (json_array_append(restored, json_array_get(args, i)) < 0) {
                        json_decref(restored);
                        json_decref(cmd);
                        return mc_error_set(err, ENOMEM, "out of memory");
                }
        /* set in place: the keys keep their positions */
        int r = json_object_set_new(entry, "command", cmd);
        if (w.without_args) {
                json_decref(restored);
                if (r == 0)
                        r = json_object_del(entry, "args");
        } else if (r == 0) {
                r = json_object_set_new(entry, "args", restored);
        } else {
                json_decref(restored);
        }
        if (r < 0)
                return mc_error_set(err, ENOMEM, "out of memory");
        return 0;
}
