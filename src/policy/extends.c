/* A policy file and everything it extends, merged into one tree: parents first, left to
 * right, then the file itself. Each file has its variables expanded with its own
 * ${POLICY_DIR} and is validated on its own, so an error names the file that holds it.
 * The chain of files being loaded is kept to refuse cycles with the whole chain named. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy-internal.h"
#include "util/buf.h"
#include "util/cleanup.h"

struct chain {
        const char *paths[POLICY_MAX_DEPTH + 1];
        size_t n;
};

static int load_layer(const char *path, const struct policy_env *env, struct chain *chain,
                      json_t **merged, json_t **written, struct mc_error *err);

static int cycle_error(const struct chain *chain, const char *again, const char *file,
                       size_t index, struct mc_error *err)
{
        _cleanup_buf_ struct buf b = { 0 };
        size_t from = 0;
        while (from < chain->n && strcmp(chain->paths[from], again))
                from++;
        for (size_t i = from; i < chain->n; i++)
                buf_printf(&b, "%s -> ", chain->paths[i]);
        buf_printf(&b, "%s", again);
        if (!b.data)
                return mc_error_set(err, ENOMEM, "out of memory");
        return mc_error_set(err, ELOOP, "%s: /extends/%zu: extends cycle: %s", file, index, b.data);
}

static char *dir_of(const char *path)
{
        const char *slash = strrchr(path, '/');
        if (!slash)
                return strdup(".");
        return slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
}

/* Loads every parent named in /extends into acc (and acc_written). */
static int load_parents(json_t *extends, const char *file, const char *dir,
                        const struct policy_env *env, struct chain *chain, json_t *acc,
                        json_t *acc_written, struct mc_error *err)
{
        size_t i;
        json_t *ref;
        json_array_foreach(extends, i, ref) {
                const char *s = json_string_value(ref);
                _cleanup_free_ char *path = NULL, *name = NULL;
                if (!dir && (strchr(s, '/') || strstr(s, ".json")) && s[0] != '/')
                        return mc_error_set(err, EINVAL, "%s: /extends/%zu: a relative path needs a policy file to be relative to", file, i);
                int r = policy_resolve(s, dir, env, &path, &name, err);
                if (r < 0)
                        return mc_error_prefix(err, "%s: /extends/%zu", file, i);
                for (size_t k = 0; k < chain->n; k++)
                        if (!strcmp(chain->paths[k], path))
                                return cycle_error(chain, path, file, i, err);
                _cleanup_json_ json_t *m = NULL, *w = NULL;
                r = load_layer(path, env, chain, &m, &w, err);
                if (r < 0)
                        return r;
                struct ptr at = { .len = 0 };
                policy_merge(acc, m, &at);
                policy_merge(acc_written, w, &at);
        }
        return 0;
}

static int load_layer(const char *path, const struct policy_env *env, struct chain *chain,
                      json_t **merged, json_t **written, struct mc_error *err)
{
        if (chain->n >= POLICY_MAX_DEPTH)
                return mc_error_set(err, ELOOP, "%s: /extends: nested more than %d deep",
                                    path, POLICY_MAX_DEPTH);
        bool builtin = !strcmp(path, POLICY_BUILTIN_PATH);
        _cleanup_json_ json_t *tree = NULL;
        int r = builtin ? policy_read_builtin(&tree, err) : policy_read_file(path, false, &tree, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *dir = builtin ? NULL : dir_of(path);
        struct policy_vars vars = { .env = env, .policy_dir = dir, .ceiling = false };
        r = policy_expand_tree(tree, path, &vars, err);
        if (r < 0)
                return r;
        r = policy_validate(tree, path, false, err);
        if (r < 0)
                return r;

        _cleanup_json_ json_t *acc = json_object(), *acc_written = json_object();
        if (!acc || !acc_written)
                return mc_error_set(err, ENOMEM, "out of memory");
        json_t *extends = json_object_get(tree, "extends");
        if (extends) {
                chain->paths[chain->n++] = path;
                r = load_parents(extends, path, dir, env, chain, acc, acc_written, err);
                chain->n--;
                if (r < 0)
                        return r;
                json_object_del(tree, "extends");
        }
        struct ptr at = { .len = 0 };
        policy_merge(acc, tree, &at);
        if (!builtin)
                policy_merge(acc_written, tree, &at);
        *merged = TAKE_PTR(acc);
        *written = TAKE_PTR(acc_written);
        return 0;
}

int policy_load_layers(const char *path, const struct policy_env *env, json_t **merged,
                       json_t **written, struct mc_error *err)
{
        struct chain chain = { .n = 0 };
        return load_layer(path, env, &chain, merged, written, err);
}
