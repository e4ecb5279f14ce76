/* Command-line additions (--ro, --rw, --grant, --audit-log, --isolation) are written into
 * the merged layers as if the user's policy had said them, then defaults, validation and
 * the ceiling run again: an addition the ceiling forbids is refused exactly like the same
 * line in a policy file. The policy is only replaced when everything passed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy-internal.h"
#include "util/cleanup.h"

static json_t *array_at(json_t *root, const char *section, const char *sub, const char *key)
{
        json_t *obj = json_object_get(root, section);
        if (!obj) {
                obj = json_object();
                json_object_set_new(root, section, obj);
        }
        if (sub) {
                json_t *inner = json_object_get(obj, sub);
                if (!inner) {
                        inner = json_object();
                        json_object_set_new(obj, sub, inner);
                }
                obj = inner;
        }
        json_t *arr = json_object_get(obj, key);
        if (!arr) {
                arr = json_array();
                json_object_set_new(obj, key, arr);
        }
        return arr;
}

static void add_both(json_t *merged, json_t *written, const char *section, const char *sub,
                     const char *key, const char *value)
{
        json_t *v = json_string(value);
        policy_json_array_append_unique(array_at(merged, section, sub, key), v);
        policy_json_array_append_unique(array_at(written, section, sub, key), v);
        json_decref(v);
}

static void set_both(json_t *merged, json_t *written, const char *section, const char *key,
                     const char *value)
{
        json_t *trees[2] = { merged, written };
        for (int i = 0; i < 2; i++) {
                json_t *obj = section ? json_object_get(trees[i], section) : trees[i];
                if (!obj) {
                        obj = json_object();
                        json_object_set_new(trees[i], section, obj);
                }
                json_object_set_new(obj, key, json_string(value));
        }
}

/* Relative paths are relative to where mcpcage was started; trailing '/' is dropped. */
static int cli_path(const char *opt, const char *arg, const struct policy_env *env, char **out,
                    struct mc_error *err)
{
        char *p = NULL;
        if (arg[0] == '/' || !env->cwd)
                p = strdup(arg);
        else if (asprintf(&p, "%s/%s", env->cwd, arg) < 0)
                p = NULL;
        if (!p)
                return mc_error_set(err, ENOMEM, "out of memory");
        for (size_t n = strlen(p); n > 1 && p[n - 1] == '/'; n--)
                p[n - 1] = '\0';
        const char *bad = policy_path_check_absolute(p);
        if (bad) {
                free(p);
                return mc_error_set(err, EINVAL, "%s %s: %s", opt, arg, bad);
        }
        *out = p;
        return 0;
}

static int add_paths(json_t *m, json_t *w, const char *opt, const char **paths, size_t n,
                     bool write, const struct policy_env *env, struct mc_error *err)
{
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = NULL;
                int r = cli_path(opt, paths[i], env, &p, err);
                if (r < 0)
                        return r;
                add_both(m, w, "filesystem", NULL, write ? "read_write" : "read_only", p);
                add_both(m, w, "mcp", "paths", write ? "write" : "read", p);
        }
        return 0;
}

/* A list the policy left to its default (the system directories of read_only) keeps that
 * default when the command line adds to it. */
static void keep_defaults(json_t *m, json_t *effective)
{
        static const char *const LISTS[][2] = {
                { "filesystem", "read_only" }, { "filesystem", "read_write" },
        };
        for (size_t i = 0; i < sizeof(LISTS) / sizeof(LISTS[0]); i++) {
                json_t *section = json_object_get(m, LISTS[i][0]);
                if (section && json_object_get(section, LISTS[i][1]))
                        continue;
                json_t *have = json_object_get(json_object_get(effective, LISTS[i][0]), LISTS[i][1]);
                if (have)
                        json_array_extend(array_at(m, LISTS[i][0], NULL, LISTS[i][1]), have);
        }
}

static int apply(json_t *m, json_t *w, const struct policy_cli *cli, const struct policy_env *env,
                 struct mc_error *err)
{
        int r = add_paths(m, w, "--ro", cli->ro, cli->n_ro, false, env, err);
        if (r < 0)
                return r;
        r = add_paths(m, w, "--rw", cli->rw, cli->n_rw, true, env, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < cli->n_grant; i++) {
                if (!cli->grant[i][0] || strpbrk(cli->grant[i], " \t\n\r\f\v"))
                        return mc_error_set(err, EINVAL, "--grant '%s': a scope name is non-empty, without white space",
                                            cli->grant[i]);
                add_both(m, w, "mcp", NULL, "scopes", cli->grant[i]);
        }
        if (cli->audit_log) {
                _cleanup_free_ char *p = NULL;
                if (strcmp(cli->audit_log, "-")) {
                        r = cli_path("--audit-log", cli->audit_log, env, &p, err);
                        if (r < 0)
                                return r;
                }
                set_both(m, w, "audit", "file", p ? p : "-");
        }
        if (cli->isolation) {
                static const char *const modes[] = { "auto", "namespaces", "landlock", "none" };
                bool ok = false;
                for (size_t i = 0; i < 4; i++)
                        ok = ok || !strcmp(modes[i], cli->isolation);
                if (!ok)
                        return mc_error_set(err, EINVAL, "--isolation %s: expected auto, namespaces, landlock or none",
                                            cli->isolation);
                set_both(m, w, NULL, "isolation", cli->isolation);
        }
        return 0;
}

int policy_apply_cli(struct policy *p, const struct policy_cli *cli, const struct policy_env *env,
                     struct mc_error *err)
{
        /* Nothing to add: the loaded policy is already finished (validated, ceiling applied,
         * fingerprinted); finishing it again would give the same tree. */
        if (!cli->n_ro && !cli->n_rw && !cli->n_grant && !cli->audit_log && !cli->isolation)
                return 0;
        struct policy trial = { .name = p->name, .path = p->path };
        trial.merged = json_deep_copy(p->merged);
        trial.written = json_deep_copy(p->written);
        if (!trial.merged || !trial.written) {
                json_decref(trial.merged);
                json_decref(trial.written);
                return mc_error_set(err, ENOMEM, "out of memory");
        }
        if (cli->n_ro || cli->n_rw)
                keep_defaults(trial.merged, p->root);
        int r = apply(trial.merged, trial.written, cli, env, err);
        if (r >= 0)
                r = policy_finish(&trial, env, err);
        if (r < 0) {
                json_decref(trial.merged);
                json_decref(trial.written);
                json_decref(trial.root);
                return r;
        }
        json_decref(p->merged);
        json_decref(p->written);
        json_decref(p->root);
        p->merged = trial.merged;
        p->written = trial.written;
        p->root = trial.root;
        memcpy(p->sha256, trial.sha256, sizeof(p->sha256));
        return 0;
}
