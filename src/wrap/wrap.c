/* wrap_config / unwrap_config: one pass over mcpServers, each entry rewritten in place so
 * every key it has (env, cwd, disabled, keys this code never heard of) stays where it was.
 * Only stdio servers are wrapped: a remote one runs elsewhere and has nothing for mcpcage
 * to confine. */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "wrap/wrap.h"
#include "wrap/wrap-internal.h"

void wrap_report_free(struct wrap_report *r)
{
        for (size_t i = 0; i < r->n; i++) {
                free(r->notes[i].entry);
                free(r->notes[i].detail);
                free(r->notes[i].warning);
        }
        free(r->notes);
        *r = (struct wrap_report){ 0 };
}

size_t wrap_report_count(const struct wrap_report *r, enum wrap_outcome outcome)
{
        size_t n = 0;
        for (size_t i = 0; i < r->n; i++)
                n += r->notes[i].outcome == outcome;
        return n;
}

/* Takes detail and warning (malloc'd or NULL). */
static int note(struct wrap_report *r, const char *entry, enum wrap_outcome outcome,
                char *detail, char *warning, struct mc_error *err)
{
        _cleanup_free_ char *d = detail, *w = warning;
        struct wrap_note *grown = realloc(r->notes, (r->n + 1) * sizeof(*grown));
        if (!grown)
                return mc_error_set(err, ENOMEM, "out of memory");
        r->notes = grown;
        char *e = strdup(entry);
        if (!e)
                return mc_error_set(err, ENOMEM, "out of memory");
        r->notes[r->n++] = (struct wrap_note){ e, outcome, TAKE_PTR(d), TAKE_PTR(w) };
        return 0;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
        char *s = NULL;
        va_list ap;
        va_start(ap, f);
        if (vasprintf(&s, f, ap) < 0)
                s = NULL;
        va_end(ap);
        return s;
}

static int push(json_t *a, const char *s)
{
        return json_array_append_new(a, json_string(s));
}

/* --policy ENTRY=POLICY: the policy for ENTRY, or NULL. Checked up front by
 * check_overrides, so the value here is known to exist. */
static const char *override_for(const struct wrap_options *o, const char *entry)
{
        size_t n = strlen(entry);
        for (size_t i = 0; i < o->n_overrides; i++)
                if (!strncmp(o->overrides[i], entry, n) && o->overrides[i][n] == '=')
                        return o->overrides[i] + n + 1;
        return NULL;
}

static int check_overrides(json_t *servers, const struct wrap_options *o, struct mc_error *err)
{
        for (size_t i = 0; i < o->n_overrides; i++) {
                const char *eq = strchr(o->overrides[i], '=');
                if (!eq || eq == o->overrides[i])
                        return mc_error_set(err, EINVAL, "--policy %s: expected NAME=POLICY", o->overrides[i]);
                _cleanup_free_ char *name = strndup(o->overrides[i], (size_t)(eq - o->overrides[i]));
                if (!name)
                        return mc_error_set(err, ENOMEM, "out of memory");
                if (!json_object_get(servers, name))
                        return mc_error_set(err, ENOENT, "--policy %s: there is no server \"%s\" in mcpServers",
                                            o->overrides[i], name);
                _cleanup_free_ char *ref = NULL;
                if (wrap_policy_ref(eq + 1, o->env->search_path, &ref, err) < 0)
                        return mc_error_prefix(err, "--policy %s", o->overrides[i]);
        }
        return 0;
}

/* Warnings of one entry, joined with "; ". Takes msg. */
static void warn(char **warning, char *msg)
{
        if (!msg)
                return;
        char *joined = NULL;
        if (!*warning) {
                *warning = msg;
                return;
        }
        if (asprintf(&joined, "%s; %s", *warning, msg) >= 0) {
                free(*warning);
                *warning = joined;
        }
        free(msg);
}

/* server-filesystem's arguments are the directories it may read and write: each becomes
 * --rw, so the sandbox shows it the same trees it was configured with, and nothing else. */
static int add_dirs(json_t *out, json_t *args, ssize_t from, char **warning)
{
        for (size_t i = from < 0 ? json_array_size(args) : (size_t)from; i < json_array_size(args); i++) {
                const char *d = json_string_value(json_array_get(args, i));
                if (d[0] == '-')
                        continue;
                if (d[0] != '/') {
                        warn(warning, fmt("%s is not an absolute path: not added to the sandbox", d));
                        continue;
                }
                if (access(d, F_OK) < 0)
                        warn(warning, fmt("%s does not exist: mcpcage refuses to start the server until it does", d));
                if (push(out, "--rw") < 0 || push(out, d) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* The desktop app puts an entry's "env" into mcpcage's environment, and mcpcage hands
 * the server only what the policy's env.pass names: a token the server needs would be
 * dropped without a word. Say so now, and say when the policy does not load at all. */
static char *env_warning(json_t *entry, const char *policy, const struct policy_env *env)
{
        json_t *vars = json_object_get(entry, "env");
        if (!json_is_object(vars) || !json_object_size(vars))
                return NULL;
        struct policy *p = NULL;
        struct mc_error err = { 0 };
        if (policy_load(policy, env, &p, &err) < 0)
                return fmt("policy %s does not load, the server will not start: %s", policy, err.msg);
        json_t *pass = policy_get(p, "/env/pass");
        struct buf dropped = { 0 };
        const char *key;
        json_t *v;
        json_object_foreach(vars, key, v) {
                bool passed = false;
                for (size_t i = 0; i < json_array_size(pass) && !passed; i++) {
                        const char *glob = json_string_value(json_array_get(pass, i));
                        passed = glob && fnmatch(glob, key, 0) == 0;
                }
                if (!passed && buf_printf(&dropped, "%s%s", dropped.len ? ", " : "", key) < 0)
                        break;
        }
        policy_free(p);
        char *out = dropped.len ? fmt("env %.*s: not in policy %s's env.pass, so the server "
                                      "will not see %s", (int)dropped.len, dropped.data, policy,
                                      memchr(dropped.data, ',', dropped.len) ? "them" : "it") : NULL;
        buf_free(&dropped);
        return out;
}

struct plan {
        const char *entry, *command, *exec, *policy;
        json_t *args;           /* the original args, or NULL when the entry has none */
        ssize_t dirs_from;
};

static json_t *wrapped_args(const struct plan *p, char **warning)
{
        _cleanup_json_ json_t *out = json_array();
        if (!out || push(out, "--name") < 0 || push(out, p->entry) < 0 ||
            push(out, "--policy") < 0 || push(out, p->policy) < 0 ||
            add_dirs(out, p->args, p->dirs_from, warning) < 0)
                return NULL;
        if (strcmp(p->exec, p->command) &&
            (push(out, "--original-command") < 0 || push(out, p->command) < 0))
                return NULL;
        if (!p->args && push(out, "--original-without-args") < 0)
                return NULL;
        if (push(out, "--") < 0 || push(out, p->exec) < 0)
                return NULL;
        for (size_t i = 0; i < json_array_size(p->args); i++)
                if (json_array_append(out, json_array_get(p->args, i)) < 0)
                        return NULL;
        return TAKE_PTR(out);
}

static bool strings_only(json_t *args)
{
        size_t i;
        json_t *v;
        json_array_foreach(args, i, v)
                if (!json_is_string(v))
                        return false;
        return true;
}

static int wrap_entry(const char *name, json_t *entry, const struct wrap_options *o,
                      struct wrap_report *r, struct mc_error *err)
{
        /* held: the strings below outlive the entry's own "command" and "args" */
        _cleanup_json_ json_t *held_command = json_incref(json_object_get(entry, "command"));
        _cleanup_json_ json_t *args = json_incref(json_object_get(entry, "args"));
        const char *command = json_string_value(held_command);
        if (args && (!json_is_array(args) || !strings_only(args)))
                return note(r, name, WRAP_NOT_WRAPPED, strdup("\"args\" is not a list of strings"), NULL, err);
        _cleanup_free_ char *exec = NULL;
        char *warning = NULL;
        if (!strchr(command, '/')) {
                struct mc_error rerr = { 0 };
                if (wrap_resolve_command(command, o->path, &exec, &rerr) < 0)
                        return note(r, name, WRAP_NOT_WRAPPED, strdup(rerr.msg), NULL, err);
        } else if (command[0] != '/') {
                warn(&warning, fmt("%s is relative: it resolves against the desktop app's working directory", command));
        }
        struct wrap_match m = { 0 };
        if (wrap_match(command, args, o->env->search_path, &m, err) < 0) {
                free(warning);
                return -ENOMEM;
        }
        _cleanup_free_ char *matched = m.policy, *chosen = NULL;
        const char *policy = override_for(o, name);
        if (policy && wrap_policy_ref(policy, o->env->search_path, &chosen, err) < 0) {
                free(warning);
                return mc_error_prefix(err, "--policy %s=%s", name, policy);
        }
        struct plan p = { name, command, exec ? exec : command, chosen ? chosen : matched, args, m.dirs_from };
        json_t *new_args = wrapped_args(&p, &warning);
        warn(&warning, env_warning(entry, p.policy, o->env));
        if (!new_args || json_object_set_new(entry, "command", json_string(o->mcpcage)) < 0 ||
            json_object_set_new(entry, "args", new_args) < 0) {
                free(warning);
                return mc_error_set(err, ENOMEM, "out of memory");
        }
        return note(r, name, WRAP_WRAPPED, fmt("policy %s, command %s", p.policy, p.exec), warning, err);
}

static int each_server(json_t *config, const struct wrap_options *o, struct wrap_report *r,
                       bool wrap, struct mc_error *err)
{
        if (!json_is_object(config))
                return mc_error_set(err, EINVAL, "the configuration is not a JSON object");
        json_t *servers = json_object_get(config, "mcpServers");
        if (!servers)
                return 0;
        if (!json_is_object(servers))
                return mc_error_set(err, EINVAL, "/mcpServers is not an object");
        int rc = wrap ? check_overrides(servers, o, err) : 0;
        if (rc < 0)
                return rc;
        const char *name;
        json_t *entry;
        json_object_foreach(servers, name, entry) {
                const char *url = NULL, *command = json_string_value(json_object_get(entry, "command"));
                if (!json_is_object(entry))
                        rc = note(r, name, WRAP_NOT_WRAPPED, strdup("not a JSON object"), NULL, err);
                else if (wrap_is_remote(entry, &url))
                        rc = note(r, name, WRAP_REMOTE, strdup(url), NULL, err);
                else if (!command)
                        rc = note(r, name, WRAP_NOT_WRAPPED, strdup("no \"command\" string"), NULL, err);
                else if (wrap && wrap_is_mcpcage(command, o->mcpcage))
                        rc = note(r, name, WRAP_ALREADY, strdup(command),
                                  override_for(o, name) ? strdup("--policy for it ignored: unwrap it "
                                                                 "first to change its policy") : NULL, err);
                else if (wrap)
                        rc = wrap_entry(name, entry, o, r, err);
                else if (!wrap_is_mcpcage(command, o->mcpcage))
                        rc = note(r, name, WRAP_NOT_MCPCAGE, strdup(command), NULL, err);
                else {
                        struct mc_error uerr = { 0 };
                        bool ok = wrap_unwrap_entry(entry, &uerr) == 0;
                        rc = note(r, name, ok ? WRAP_UNWRAPPED : WRAP_NOT_WRAPPED,
                                  strdup(ok ? json_string_value(json_object_get(entry, "command")) : uerr.msg),
                                  NULL, err);
                }
                if (rc < 0)
                        return rc;
        }
        return 0;
}

int wrap_config(json_t *config, const struct wrap_options *o, struct wrap_report *r,
                struct mc_error *err)
{
        return each_server(config, o, r, true, err);
}

int unwrap_config(json_t *config, const struct wrap_options *o, struct wrap_report *r,
                  struct mc_error *err)
{
        return each_server(config, o, r, false, err);
}
