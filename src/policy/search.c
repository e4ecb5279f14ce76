/* Policy references to files: a reference containing '/' or ending in ".json" is a path
 * (relative ones resolve against the referring file's directory); anything else is a name
 * looked up on the search path, where the user's directory comes first so that a user can
 * shadow a shipped policy with their own, and "default" falls back to the built-in one. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/policy-internal.h"
#include "util/buf.h"
#include "util/cleanup.h"

static bool ends_with(const char *s, const char *suffix)
{
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && !strcmp(s + a - b, suffix);
}

/* Names are plain file names, so a name can never walk out of a search directory. */
bool policy_name_valid(const char *name)
{
        if (!name[0] || name[0] == '.')
                return false;
        for (const char *c = name; *c; c++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *c))
                        return false;
        return true;
}

static char *name_of_path(const char *path)
{
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        size_t n = strlen(base);
        if (ends_with(base, ".json"))
                n -= 5;
        return strndup(base, n);
}

static int resolve_path(const char *ref, const char *base_dir, char **path, char **name,
                        struct mc_error *err)
{
        _cleanup_free_ char *joined = NULL;
        if (ref[0] != '/' && base_dir) {
                if (asprintf(&joined, "%s/%s", base_dir, ref) < 0)
                        return mc_error_set(err, ENOMEM, "out of memory");
        }
        const char *p = joined ? joined : ref;
        char *real = realpath(p, NULL);
        if (!real)
                return mc_error_errno(err, errno, "%s: cannot open", p);
        *name = name_of_path(real);
        *path = real;
        return *name ? 0 : mc_error_set(err, ENOMEM, "out of memory");
}

static int resolve_name(const char *ref, const struct policy_env *env, char **path,
                        char **name, struct mc_error *err)
{
        if (!policy_name_valid(ref))
                return mc_error_set(err, EINVAL,
                                    "invalid policy name \"%s\" (letters, digits, '.', '_', '-')", ref);
        _cleanup_buf_ struct buf looked = { 0 };
        for (size_t i = 0; env->search_path[i]; i++) {
                _cleanup_free_ char *candidate = NULL;
                if (asprintf(&candidate, "%s/%s.json", env->search_path[i], ref) < 0)
                        return mc_error_set(err, ENOMEM, "out of memory");
                if (access(candidate, F_OK) == 0)
                        return resolve_path(candidate, NULL, path, name, err);
                if (errno != ENOENT && errno != ENOTDIR)
                        return mc_error_errno(err, errno, "%s: cannot access", candidate);
                if (buf_printf(&looked, "%s%s", i ? ", " : "", env->search_path[i]) < 0)
                        return mc_error_set(err, ENOMEM, "out of memory");
        }
        if (!strcmp(ref, "default")) {
                *path = strdup(POLICY_BUILTIN_PATH);
                *name = strdup("default");
                return *path && *name ? 0 : mc_error_set(err, ENOMEM, "out of memory");
        }
        if (buf_append(&looked, "", 1) < 0)
                return mc_error_set(err, ENOMEM, "out of memory");
        return mc_error_set(err, ENOENT, "policy \"%s\" not found (looked in %s)", ref,
                            looked.len > 1 ? looked.data : "no directories");
}

int policy_resolve(const char *ref, const char *base_dir, const struct policy_env *env,
                   char **path, char **name, struct mc_error *err)
{
        *path = *name = NULL;
        if (!ref) {
                *path = strdup(POLICY_BUILTIN_PATH);
                *name = strdup("default");
                return *path && *name ? 0 : mc_error_set(err, ENOMEM, "out of memory");
        }
        if (!ref[0])
                return mc_error_set(err, EINVAL, "empty policy name");
        if (strchr(ref, '/') || ends_with(ref, ".json"))
                return resolve_path(ref, base_dir, path, name, err);
        return resolve_name(ref, env, path, name, err);
}
