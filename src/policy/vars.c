/* ${VAR} and leading "~/" in every string value of a policy file. An unknown or unset
 * variable is an error, never an empty string: "${HOEM}/projects" must not become
 * "/projects". Expansion happens per file because ${POLICY_DIR} differs between the files
 * of an extends chain. In the ceiling only variables the user cannot steer through the
 * environment are allowed (HOME, USER and UID come from the password database), so a user
 * cannot move a path the security team granted by exporting XDG_CONFIG_HOME=/. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy-internal.h"
#include "util/buf.h"
#include "util/cleanup.h"

struct var {
        const char *name;
        size_t offset;          /* into struct policy_env; SIZE_MAX for POLICY_DIR */
        bool steerable;         /* comes from the user's environment */
};

static const struct var VARS[] = {
        { "HOME", offsetof(struct policy_env, home), false },
        { "USER", offsetof(struct policy_env, user), false },
        { "UID", offsetof(struct policy_env, uid), false },
        { "CWD", offsetof(struct policy_env, cwd), true },
        { "TMPDIR", offsetof(struct policy_env, tmpdir), true },
        { "XDG_CONFIG_HOME", offsetof(struct policy_env, xdg_config_home), true },
        { "XDG_STATE_HOME", offsetof(struct policy_env, xdg_state_home), true },
        { "XDG_CACHE_HOME", offsetof(struct policy_env, xdg_cache_home), true },
        { "XDG_RUNTIME_DIR", offsetof(struct policy_env, xdg_runtime_dir), true },
        { "POLICY_DIR", SIZE_MAX, false },
};

static const char *lookup(const char *name, size_t n, const struct policy_vars *v,
                          char *why, size_t why_len)
{
        for (size_t i = 0; i < sizeof(VARS) / sizeof(VARS[0]); i++) {
                if (strlen(VARS[i].name) != n || strncmp(VARS[i].name, name, n))
                        continue;
                if (v->ceiling && VARS[i].steerable) {
                        snprintf(why, why_len, "variable ${%s} comes from the user's environment "
                                 "and is not allowed in the ceiling", VARS[i].name);
                        return NULL;
                }
                const char *val = VARS[i].offset == SIZE_MAX ? v->policy_dir
                        : *(char *const *)((const char *)v->env + VARS[i].offset);
                if (!val) {
                        if (VARS[i].offset == SIZE_MAX)
                                snprintf(why, why_len, "${POLICY_DIR} is not available in the built-in policy");
                        else
                                snprintf(why, why_len, "variable ${%s} is not set", VARS[i].name);
                }
                return val;
        }
        snprintf(why, why_len, "unknown variable ${%.*s}", (int)n, name);
        return NULL;
}

int policy_expand_string(const char *s, const struct policy_vars *v, char **out,
                         char *why, size_t why_len)
{
        _cleanup_buf_ struct buf b = { 0 };
        const char *c = s;
        /* "~/x" and the optional form "?~/x" mean ${HOME}/x. */
        if (c[0] == '?' && c[1] == '~' && c[2] == '/') {
                if (buf_append(&b, "?", 1) < 0)
                        return -ENOMEM;
                c++;
        }
        if (c[0] == '~' && c[1] == '/') {
                const char *home = lookup("HOME", 4, v, why, why_len);
                if (!home || buf_append_str(&b, home) < 0)
                        return home ? -ENOMEM : -EINVAL;
                c++;
        }
        while (*c) {
                const char *dollar = strstr(c, "${");
                size_t lit = dollar ? (size_t)(dollar - c) : strlen(c);
                if (buf_append(&b, c, lit) < 0)
                        return -ENOMEM;
                if (!dollar)
                        break;
                const char *close = strchr(dollar + 2, '}');
                if (!close) {
                        snprintf(why, why_len, "unterminated variable (missing '}')");
                        return -EINVAL;
                }
                const char *val = lookup(dollar + 2, (size_t)(close - dollar - 2), v, why, why_len);
                if (!val)
                        return -EINVAL;
                if (buf_append_str(&b, val) < 0)
                        return -ENOMEM;
                c = close + 1;
        }
        if (buf_append(&b, "", 1) < 0)
                return -ENOMEM;
        *out = TAKE_PTR(b.data);
        return 0;
}

static int expand_walk(json_t *node, struct ptr *at, const char *file,
                       const struct policy_vars *v, struct mc_error *err)
{
        if (json_is_object(node)) {
                const char *key;
                json_t *child;
                json_object_foreach(node, key, child) {
                        size_t old = policy_ptr_push(at, key);
                        int r = expand_walk(child, at, file, v, err);
                        ptr_pop(at, old);
                        if (r < 0)
                                return r;
                }
        } else if (json_is_array(node)) {
                size_t i;
                json_t *child;
                json_array_foreach(node, i, child) {
                        size_t old = policy_ptr_push_index(at, i);
                        int r = expand_walk(child, at, file, v, err);
                        ptr_pop(at, old);
                        if (r < 0)
                                return r;
                }
        } else if (json_is_string(node)) {
                char why[256] = "";
                _cleanup_free_ char *s = NULL;
                int r = policy_expand_string(json_string_value(node), v, &s, why, sizeof(why));
                if (r == -ENOMEM)
                        return mc_error_set(err, ENOMEM, "out of memory");
                if (r < 0)
                        return mc_error_set(err, EINVAL, "%s: %s: %s", file, ptr_str(at), why);
                if (json_string_set(node, s) < 0)
                        return mc_error_set(err, EINVAL, "%s: %s: expanded value is not valid UTF-8",
                                            file, ptr_str(at));
        }
        return 0;
}

int policy_expand_tree(json_t *tree, const char *file, const struct policy_vars *v,
                       struct mc_error *err)
{
        struct ptr at = { .len = 0 };
        at.s[0] = '\0';
        return expand_walk(tree, &at, file, v, err);
}
